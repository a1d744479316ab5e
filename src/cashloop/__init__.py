"""Cashloop: receivables, credit and financial indicators for finance teams."""

__version__ = "0.1.0"
