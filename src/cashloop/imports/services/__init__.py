"""Import services: run (one import), invoices/customers/payments writers, bulk SQL."""
