"""Rows → records + problems, one kind of file at a time (invoices, customers, payments).

A `RowParser` is built once per file: it picks a date format per date column from a sample of the
first rows (saying when it had to assume month-first) and binds one converter per mapped column,
so that the per-row work is a few dictionary look-ups. A row with an error gives no record; a
warning (a due date before the issue date) keeps the record. Each record carries `source_hash`,
the digest of its normalized fields, which makes a second import of the same row a no-op.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from cashloop.core.importing import dates
from cashloop.core.importing.issues import RowProblem
from cashloop.core.importing.records import (
    CreditNoteRecord,
    CustomerRecord,
    InvoiceRecord,
    PaymentRecord,
    Record,
    digest,
    invoice_hash,
)
from cashloop.core.importing.values import currency_code, flag, minor_units
from cashloop.core.money import exponent
from cashloop.core.problems import gettext_noop

DATE_FIELDS = {"invoices": ("issue_date", "due_date", "settled_date"), "customers": (),
               "payments": ("date",)}
SAMPLE_ROWS = 5000
_LANGUAGES = {"zh": "zh-hans", "zh-cn": "zh-hans", "zh_cn": "zh-hans", "zh-hans": "zh-hans",
              "chinese": "zh-hans", "中文": "zh-hans", "简体中文": "zh-hans", "cn": "zh-hans",
              "en": "en", "english": "en", "英文": "en", "英语": "en", "en-us": "en", "en-gb": "en"}
_COUNTRIES = {"china": "CN", "中国": "CN", "prc": "CN", "usa": "US", "united states": "US",
              "美国": "US", "germany": "DE", "德国": "DE", "japan": "JP", "日本": "JP",
              "hong kong": "HK", "香港": "HK", "united kingdom": "GB", "uk": "GB", "英国": "GB",
              "france": "FR", "法国": "FR", "singapore": "SG", "新加坡": "SG"}


class RowParser:
    """Parses one file's rows of one kind with converters chosen once."""

    def __init__(self, kind: str, header: Sequence[str], mapping: dict[str, int], currency: str,
                 date_format: str | None = None, sample: Sequence[Sequence[str]] = (),
                 unknown_settlement_day: date | None = None) -> None:
        """`unknown_settlement_day`: the day given to a paid part known only from an open amount
        (`open_amount` mapped, no settled date on the row), usually the day of the import; rows
        that needed it are counted in `assumed_settlements`. None: such rows are errors."""
        self.kind, self.header, self.mapping, self.currency = kind, list(header), mapping, currency
        self.unknown_settlement_day = unknown_settlement_day
        self.assumed_settlements = 0
        self.exp = exponent(currency)
        self.notes: list[RowProblem] = []
        self.date_choices: dict[str, dates.DateChoice] = {}
        self.date_parsers: dict[str, Callable[[str], date | None]] = {}
        self._choose_dates(sample, date_format)
        self._currency_cache: dict[str, str | None] = {}
        self.width = max(mapping.values(), default=-1) + 1  # cells a row needs for the fast path
        self.parse: Callable[[int, list[str]], tuple[Record | None, list[RowProblem]]] = {
            "invoices": self._invoice, "customers": self._customer, "payments": self._payment,
        }[kind]

    @property
    def date_format(self) -> str | None:
        for field in DATE_FIELDS[self.kind]:
            if field in self.date_choices:
                return self.date_choices[field].fmt
        return None

    def _choose_dates(self, sample: Sequence[Sequence[str]], forced: str | None) -> None:
        fields = [f for f in DATE_FIELDS[self.kind] if f in self.mapping]
        values = {f: [self._cell(row, f) for row in sample] for f in fields}
        pooled = [v for f in fields for v in values[f] if v]
        day_first = dates.day_first_evidence(pooled)
        for field in fields:
            choice = dates.choose_format(values[field], forced, day_first)
            self.date_choices[field] = choice
            self.date_parsers[field] = dates.make_parser(choice)
            column = self.header[self.mapping[field]]
            example = next((v for v in values[field] if v), "")
            if choice.ambiguous:
                twin = dates.DAY_FIRST_TWIN.get(choice.fmt) or next(
                    (m for m, d in dates.DAY_FIRST_TWIN.items() if d == choice.fmt), "")
                self.notes.append(RowProblem(
                    None, column, field, example, "date.ambiguous",
                    gettext_noop("dates such as {value} read both ways; assumed {format} (not {other}); "
                    "choose with --date-format"), (("format", choice.fmt), ("other", twin)),
                    "warning"))
            if choice.fallback:
                self.notes.append(RowProblem(
                    None, column, field, example, "date.mixed",
                    gettext_noop("no single date format fits column {column}; each value is read on its own"),
                    (), "warning"))

    def _cell(self, cells: Sequence[str], field: str) -> str:
        index = self.mapping.get(field)
        if index is None or index >= len(cells):
            return ""
        return cells[index].strip()

    def _problem(self, line: int, field: str, value: str, code: str, message: str,
                 severity: str = "error", **params: str) -> RowProblem:
        column = self.header[self.mapping[field]] if field in self.mapping else ""
        return RowProblem(line, column, field, value, code, message, tuple(params.items()),
                          severity)  # type: ignore[arg-type]

    def _text(self, line: int, cells: Sequence[str], field: str, max_length: int,
              problems: list[RowProblem], required: bool = False) -> str:
        value = self._cell(cells, field)
        if required and not value:
            problems.append(self._problem(line, field, value, "value.missing",
                                          gettext_noop("{field} is empty")))
        elif len(value) > max_length:
            problems.append(self._problem(line, field, value[:80], "value.too_long",
                                          gettext_noop("{field} is longer than {max} characters"),
                                          max=str(max_length)))
        return value

    def _date(self, line: int, cells: Sequence[str], field: str,
              problems: list[RowProblem], required: bool = False) -> date | None:
        value = self._cell(cells, field)
        if not value:
            if required:
                problems.append(self._problem(line, field, value, "value.missing",
                                              gettext_noop("{field} is empty")))
            return None
        parsed = self.date_parsers[field](value)
        if parsed is None:
            problems.append(self._problem(
                line, field, value, "date.unreadable",
                gettext_noop("cannot read date {value} (expected format {format})"),
                format=self.date_choices[field].fmt))
        return parsed

    def _currency(self, line: int, cells: Sequence[str], problems: list[RowProblem]) -> str:
        value = self._cell(cells, "currency")
        if not value:
            return self.currency
        try:
            code = self._currency_cache[value]
        except KeyError:
            code = self._currency_cache[value] = currency_code(value)
        if code is None:
            problems.append(self._problem(line, "currency", value, "currency.unknown",
                                          gettext_noop("{value} is not an ISO 4217 currency code")))
            return self.currency
        return code

    def _amount(self, line: int, cells: Sequence[str], field: str, currency: str,
                problems: list[RowProblem], required: bool = True,
                positive: bool = True) -> int | None:
        value = self._cell(cells, field)
        if not value:
            if required:
                problems.append(self._problem(line, field, value, "value.missing",
                                              gettext_noop("{field} is empty")))
            return None
        minor = minor_units(value, currency, self.exp if currency == self.currency else None)
        if minor is None:
            problems.append(self._problem(line, field, value, "amount.unreadable",
                                          gettext_noop("cannot read amount {value}")))
        elif positive and minor <= 0:
            problems.append(self._problem(
                line, field, value, "amount.not_positive",
                gettext_noop("{field} must be more than zero (credit notes are not imported as invoices)")))
        elif minor < 0:
            problems.append(self._problem(line, field, value, "amount.negative",
                                          gettext_noop("{field} must not be negative")))
        return minor

    def _paid_from_open(self, line: int, cells: list[str], currency: str, amount: int, paid: int,
                        settled_date: date | None, problems: list[RowProblem]) -> tuple[int, bool]:
        """The paid part as amount − open amount, and whether its day must be assumed."""
        open_value = self._amount(line, cells, "open_amount", currency, problems, required=False,
                                  positive=False)
        if open_value is None or open_value < 0:
            return paid, False
        if open_value > amount:
            problems.append(self._problem(
                line, "open_amount", self._cell(cells, "open_amount"), "open.exceeds_amount",
                gettext_noop("open amount {value} is more than the invoice amount")))
            return paid, False
        if self._cell(cells, "paid_amount") and paid != amount - open_value:
            problems.append(self._problem(
                line, "open_amount", self._cell(cells, "open_amount"), "open.paid_mismatch",
                gettext_noop("paid amount and open amount {value} do not add up to the invoice "
                             "amount")))
            return paid, False
        paid = amount - open_value
        return paid, paid > 0 and settled_date is None and self.unknown_settlement_day is not None

    def _invoice(self, line: int, cells: list[str]) -> tuple[Record | None, list[RowProblem]]:
        """The fast path for a clean row; any doubt goes to the careful path that says why."""
        record = self._invoice_fast(line, cells) if len(cells) >= self.width else None
        return (record, []) if record is not None else self._invoice_careful(line, cells)

    def _invoice_fast(self, line: int, c: list[str]) -> InvoiceRecord | None:
        m = self.mapping
        number, customer = c[m["number"]].strip(), c[m["customer"]].strip()
        if not number or not customer or len(number) > 64 or len(customer) > 64:
            return None
        issue_date = self.date_parsers["issue_date"](c[m["issue_date"]].strip())
        if issue_date is None:
            return None
        due_date = None
        if "due_date" in m:
            raw = c[m["due_date"]].strip()
            if raw:
                due_date = self.date_parsers["due_date"](raw)
                if due_date is None or due_date < issue_date:
                    return None
        currency = self.currency
        if "currency" in m:
            raw = c[m["currency"]].strip()
            if raw:
                code = self._currency_cache.get(raw, "?")
                if code == "?":
                    code = self._currency_cache[raw] = currency_code(raw)
                if not code:
                    return None
                currency = code
        exp = self.exp if currency == self.currency else None
        amount = minor_units(c[m["amount"]], currency, exp)
        if amount is None or amount <= 0:
            return None
        settled_date = None
        if "settled_date" in m:
            raw = c[m["settled_date"]].strip()
            if raw:
                settled_date = self.date_parsers["settled_date"](raw)
                if settled_date is None or settled_date < issue_date:
                    return None
        paid = amount if settled_date is not None else 0
        if "paid_amount" in m:
            raw = c[m["paid_amount"]].strip()
            if raw:
                paid_value = minor_units(raw, currency, exp)
                if paid_value is None or paid_value < 0 or paid_value > amount \
                        or (paid_value > 0 and settled_date is None):
                    return None
                paid = paid_value
        if "open_amount" in m:
            raw = c[m["open_amount"]].strip()
            if raw:
                open_value = minor_units(raw, currency, exp)
                if open_value is None or not 0 <= open_value <= amount or (
                        "paid_amount" in m and c[m["paid_amount"]].strip()) or (
                        open_value < amount and settled_date is None):
                    return None  # the careful path checks the two against each other, dates
                paid = amount - open_value
        disputed = False
        if "disputed" in m:
            value = flag(c[m["disputed"]])
            if value is None:
                return None
            disputed = value
        contract = c[m["contract"]].strip() if "contract" in m else ""
        if len(contract) > 64:
            return None
        description = c[m["description"]].strip()[:500] if "description" in m else ""
        if paid == 0:
            settled_date = None
        return InvoiceRecord(line, number, customer, issue_date, due_date, amount, currency,
                             settled_date, paid, disputed, contract, description,
                             invoice_hash(number, customer, issue_date, due_date, amount, currency,
                                          settled_date, paid, disputed, contract, description),
                             c[m["customer_name"]].strip()[:200] if "customer_name" in m else "")

    def _invoice_careful(self, line: int, cells: list[str]) -> tuple[Record | None,
                                                                      list[RowProblem]]:
        problems: list[RowProblem] = []
        number = self._text(line, cells, "number", 64, problems, required=True)
        customer = self._text(line, cells, "customer", 64, problems, required=True)
        issue_date = self._date(line, cells, "issue_date", problems, required=True)
        due_date = self._date(line, cells, "due_date", problems) if "due_date" in self.mapping \
            else None
        currency = self._currency(line, cells, problems) if "currency" in self.mapping \
            else self.currency
        amount = self._amount(line, cells, "amount", currency, problems, positive=False)
        if amount is not None and amount <= 0:
            return self._credit_note(line, cells, problems, number, customer, issue_date,
                                     amount, currency)
        settled_date = self._date(line, cells, "settled_date", problems) \
            if "settled_date" in self.mapping else None
        paid = 0
        if "paid_amount" in self.mapping:
            paid_value = self._amount(line, cells, "paid_amount", currency, problems,
                                      required=False, positive=False)
            if paid_value is not None:
                paid = paid_value
            elif settled_date is not None and amount is not None:
                paid = amount
        elif settled_date is not None and amount is not None:
            paid = amount
        assumed = False  # the paid part is known from an open amount, not when it was paid
        if "open_amount" in self.mapping and amount is not None and amount > 0:
            paid, assumed = self._paid_from_open(line, cells, currency, amount, paid,
                                                 settled_date, problems)
        disputed = False
        if "disputed" in self.mapping:
            raw = self._cell(cells, "disputed")
            value = flag(raw)
            if value is None:
                problems.append(self._problem(line, "disputed", raw, "flag.unreadable",
                                              gettext_noop("cannot read {value} as yes or no")))
            else:
                disputed = value
        contract = self._text(line, cells, "contract", 64, problems)
        description = self._cell(cells, "description")[:500]
        if amount is not None and paid > amount > 0:
            problems.append(self._problem(
                line, "paid_amount", self._cell(cells, "paid_amount"), "paid.exceeds_amount",
                gettext_noop("paid amount {value} is more than the invoice amount")))
        if paid > 0 and settled_date is None and "settled_date" in self.mapping and not assumed \
                and not any(p.field == "settled_date" for p in problems):
            problems.append(self._problem(
                line, "settled_date", "", "settled.missing",
                gettext_noop("a paid amount needs a settled date (the day it was paid)")))
        if paid > 0 and "settled_date" not in self.mapping and not assumed:
            problems.append(self._problem(
                line, "paid_amount", self._cell(cells, "paid_amount"), "settled.missing",
                gettext_noop("a paid amount needs a settled_date column (the day it was paid)")))
        if issue_date is None or amount is None or any(p.is_error for p in problems):
            return None, problems
        if due_date is not None and due_date < issue_date:
            problems.append(self._problem(
                line, "due_date", self._cell(cells, "due_date"), "due.before_issue",
                gettext_noop("due date {value} is before the issue date; imported as is"), "warning"))
        if settled_date is not None and settled_date < issue_date:
            problems.append(self._problem(
                line, "settled_date", self._cell(cells, "settled_date"), "settled.before_issue",
                gettext_noop("settled date {value} is before the issue date; imported as is"), "warning"))
        if paid == 0:
            settled_date = None
        # The hash is of what the file says, so the same file imported on another day is
        # unchanged although its assumed settlement day would differ.
        source_hash = invoice_hash(number, customer, issue_date, due_date, amount, currency,
                                   settled_date, paid, disputed, contract, description)
        if assumed and paid > 0 and settled_date is None:
            settled_date = self.unknown_settlement_day
            self.assumed_settlements += 1
        return InvoiceRecord(line, number, customer, issue_date, due_date, amount, currency,
                             settled_date, paid, disputed, contract, description,
                             source_hash, self._cell(cells, "customer_name")[:200]), problems

    def _credit_note(self, line: int, cells: list[str], problems: list[RowProblem], number: str,
                     customer: str, issue_date: date | None, amount: int,
                     currency: str) -> tuple[Record | None, list[RowProblem]]:
        raw = self._cell(cells, "amount")
        problems = [p for p in problems if p.code != "amount.negative"]
        if amount == 0:
            problems.append(self._problem(line, "amount", raw, "amount.zero",
                                          gettext_noop("amount is zero: nothing to collect")))
        if issue_date is None or any(p.is_error for p in problems):
            return None, problems
        problems.append(self._problem(
            line, "amount", raw, "amount.credit_note",
            gettext_noop("negative amount {value}: imported as credit note {number}"), "warning",
            number=number))
        reason = self._cell(cells, "description")[:500]
        source_hash = digest("credit", number, customer, issue_date, -amount, currency, reason)
        return CreditNoteRecord(line, number, customer, issue_date, -amount, currency, reason,
                                source_hash), problems

    def _payment(self, line: int, cells: list[str]) -> tuple[Record | None, list[RowProblem]]:
        problems: list[RowProblem] = []
        reference = self._text(line, cells, "reference", 100, problems, required=True)
        customer = self._text(line, cells, "customer", 64, problems, required=True)
        received = self._date(line, cells, "date", problems, required=True)
        currency = self._currency(line, cells, problems) if "currency" in self.mapping \
            else self.currency
        amount = self._amount(line, cells, "amount", currency, problems)
        invoice = self._text(line, cells, "invoice", 64, problems)
        if received is None or amount is None or any(p.is_error for p in problems):
            return None, problems
        source_hash = digest(reference, customer, received, amount, currency, invoice)
        return PaymentRecord(line, reference, customer, received, amount, currency, invoice,
                             source_hash), problems

    def _customer(self, line: int, cells: list[str]) -> tuple[Record | None, list[RowProblem]]:
        problems: list[RowProblem] = []
        code = self._text(line, cells, "code", 64, problems, required=True)
        values: dict[str, Any] = {}
        limits = {"name": 200, "tax_id": 64, "industry": 100, "phone": 40, "sales_rep": 120,
                  "department": 100, "tier": 8, "payment_terms": 64, "email": 254}
        for field, max_length in limits.items():
            if field in self.mapping:
                values[field] = self._text(line, cells, field, max_length, problems)
        email = values.get("email")
        if email and ("@" not in email or " " in email):
            problems.append(self._problem(line, "email", email, "email.invalid",
                                          gettext_noop("{value} is not an email address")))
        currency = self.currency
        if "currency" in self.mapping:
            raw = self._cell(cells, "currency")
            currency = self._currency(line, cells, problems)
            values["currency"] = currency if raw else ""
        if "country" in self.mapping:
            raw = self._cell(cells, "country")
            country = raw.upper() if len(raw) == 2 and raw.isalpha() else _COUNTRIES.get(raw.casefold())
            if raw and country is None:
                problems.append(self._problem(line, "country", raw, "country.unknown",
                                              gettext_noop("{value} is not an ISO 3166 country code")))
            values["country"] = country or ""
        if "language" in self.mapping:
            raw = self._cell(cells, "language")
            values["language"] = _LANGUAGES.get(raw.casefold(), raw.casefold()[:10])
        if "credit_limit" in self.mapping:
            values["credit_limit"] = self._amount(line, cells, "credit_limit", currency, problems,
                                                  required=False, positive=False)
        if any(p.is_error for p in problems):
            return None, problems
        source_hash = digest(code, *(f"{k}={values[k]}" for k in sorted(values)))
        return CustomerRecord(line, code, values, source_hash), problems
