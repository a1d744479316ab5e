"""Rows → records: dates, amounts, flags, settlement, warnings, duplicates."""

from datetime import date

import pytest

from cashloop.core.importing.checks import DuplicateCheck
from cashloop.core.importing.dates import choose_format, make_parser, normalize_format
from cashloop.core.importing.parse import InvoiceRecord, RowParser
from cashloop.core.importing.values import currency_code, flag, minor_units

HEADER = ["number", "customer", "issue_date", "due_date", "amount", "currency", "settled_date",
          "paid_amount", "disputed"]
MAPPING = {name: i for i, name in enumerate(HEADER)}


def parser(rows, date_format=None):
    return RowParser("invoices", HEADER, MAPPING, "CNY", date_format, rows)


def test_iso_m_d_y_y_m_d_and_chinese_dates_are_read():
    for text, fmt in [("2024-03-05", "%Y-%m-%d"), ("3/25/2024", "%m/%d/%Y"),
                      ("2024/3/5", "%Y/%m/%d"), ("2024年3月5日", "%Y年%m月%d日")]:
        choice = choose_format([text])
        assert choice.fmt == fmt
        assert make_parser(choice)(text) in (date(2024, 3, 5), date(2024, 3, 25))


def test_ambiguous_slash_dates_assume_month_first_and_say_so():
    p = parser([["A", "C", "03/04/2024", "", "1", "", "", "", ""]])
    assert p.date_format == "%m/%d/%Y"
    assert [n.code for n in p.notes] == ["date.ambiguous"]
    record, _ = p.parse(2, ["A", "C", "03/04/2024", "", "1", "", "", "", ""])
    assert record.issue_date == date(2024, 3, 4)


def test_a_day_above_twelve_anywhere_decides_day_first():
    rows = [["A", "C", "03/04/2024", "25/04/2024", "1", "", "", "", ""]]
    p = parser(rows)
    assert p.date_format == "%d/%m/%Y" and p.notes == []


def test_date_format_option_is_honoured_and_friendly_names_work():
    p = parser([["A", "C", "03/04/2024", "", "1", "", "", "", ""]], "dmy")
    record, _ = p.parse(2, ["A", "C", "03/04/2024", "", "1", "", "", "", ""])
    assert record.issue_date == date(2024, 4, 3)
    assert normalize_format("DD.MM.YYYY") == "%d.%m.%Y"


def test_excel_serial_dates_are_read():
    assert make_parser(choose_format(["45356"]))("45356") == date(2024, 3, 5)


@pytest.mark.parametrize(("text", "minor"), [
    ("1,234.56", 123456), ("¥1,234.5", 123450), ("(100.00)", -10000), ("$ 99", 9900),
    ("1.234,56", 123456), ("12,5", 1250), ("0.005", 1), ("-3", -300),
])
def test_amounts_as_erps_write_them(text, minor):
    assert minor_units(text, "CNY") == minor


def test_yen_has_no_minor_unit():
    assert minor_units("1,234", "JPY") == 1234


@pytest.mark.parametrize(("text", "value"), [("yes", True), ("是", True), ("Y", True), ("1", True),
                                             ("true", True), ("no", False), ("否", False),
                                             ("N", False), ("0", False), ("", False),
                                             ("maybe", None)])
def test_flags(text, value):
    assert flag(text) is value


def test_currency_words_and_signs():
    assert currency_code("人民币") == "CNY" and currency_code("usd") == "USD"
    assert currency_code("dollars") is None


def test_settled_row_is_fully_paid_unless_paid_amount_says_less():
    p = parser([])
    full, _ = p.parse(2, ["A", "C", "2024-01-01", "", "100", "", "2024-01-20", "", "no"])
    part, _ = p.parse(3, ["B", "C", "2024-01-01", "", "100", "", "2024-01-20", "40", "no"])
    open_, _ = p.parse(4, ["D", "C", "2024-01-01", "", "100", "", "", "", "no"])
    assert (full.paid_minor, full.settled_date) == (10000, date(2024, 1, 20))
    assert part.paid_minor == 4000
    assert (open_.paid_minor, open_.settled_date) == (0, None)


def test_due_date_before_issue_date_is_a_warning_and_the_row_is_kept():
    record, problems = parser([]).parse(7, ["A", "C", "2024-02-01", "2024-01-01", "5", "", "",
                                            "", ""])
    assert isinstance(record, InvoiceRecord)
    assert [(p.code, p.severity, p.line, p.column) for p in problems] == [
        ("due.before_issue", "warning", 7, "due_date")]


def test_bad_cells_are_errors_naming_line_column_and_value():
    record, problems = parser([]).parse(9, ["A", "", "2024-02-30", "", "abc", "XXX1", "", "",
                                            "perhaps"])
    assert record is None
    got = {(p.field, p.code, p.value) for p in problems}
    assert ("customer", "value.missing", "") in got
    assert ("issue_date", "date.unreadable", "2024-02-30") in got
    assert ("amount", "amount.unreadable", "abc") in got
    assert ("currency", "currency.unknown", "XXX1") in got
    assert ("disputed", "flag.unreadable", "perhaps") in got
    assert all(p.line == 9 for p in problems)


def test_paid_more_than_the_amount_is_an_error():
    record, problems = parser([]).parse(2, ["A", "C", "2024-01-01", "", "10", "", "2024-01-02",
                                            "11", ""])
    assert record is None and problems[0].code == "paid.exceeds_amount"


def test_fast_and_careful_paths_give_the_same_hash():
    p = parser([])
    cells = ["A", "C", "2024-01-01", "2024-01-31", "10", "CNY", "2024-01-02", "", "no"]
    fast, _ = p.parse(2, cells)
    careful, _ = p._invoice_careful(2, cells)
    assert fast == careful


def test_same_number_with_different_data_names_both_lines_identical_repeat_is_fine():
    check = DuplicateCheck("invoices")
    h1, h2 = "0" * 31 + "1", "f" * 32
    assert check.check("A", 2, h1) is False
    assert check.check("A", 5, h1) is True
    problem = check.check("A", 9, h2)
    assert problem.code == "duplicate.conflict" and problem.line == 9
    assert "line 2" in problem.text()


def test_negative_amount_is_a_credit_note_with_a_warning_and_zero_is_an_error():
    from cashloop.core.importing.records import CreditNoteRecord

    p = parser([])
    credit, problems = p.parse(4, ["CN-1", "C", "2024-01-01", "", "(50.00)", "", "", "", ""])
    assert isinstance(credit, CreditNoteRecord) and credit.amount_minor == 5000
    assert [(x.code, x.severity) for x in problems] == [("amount.credit_note", "warning")]
    zero, problems = p.parse(5, ["Z", "C", "2024-01-01", "", "0.00", "", "", "", ""])
    assert zero is None and problems[0].code == "amount.zero"


def test_currency_code_around_an_amount_is_ignored():
    assert minor_units("HKD 1,000.50", "HKD") == 100050
    assert minor_units("1000 JPY", "JPY") == 1000


@pytest.mark.parametrize("cells, is_totals", [
    (["合计", "", "", "", "21,345.60"], True),
    (["", "", "合 计：", "", "21,345.60"], True),          # the word under the customer name
    (["", "", "", "Grand Total", "99.00"], True),
    (["本页小计", "本页小计", "", "", "1.00"], True),      # the word repeated in the key column
    (["AR-1", "K001", "合计", "", "1.00"], False),         # a document whose name says 合计
    (["", "K001", "Total", "", "1.00"], False),            # a customer: a real (if bad) row
    (["", "", "", "", ""], False),
    (["合计金额", "", "", "", "1.00"], False),             # not a totals word as a whole cell
])
def test_a_totals_row_is_recognised_only_without_key_and_customer(cells, is_totals):
    from cashloop.core.importing.checks import totals_row

    found = totals_row(cells, key_index=0, customer_index=1, line=9, column="单据编号")
    assert (found is not None) == is_totals
    if found is not None:
        assert (found.line, found.severity, found.code) == (9, "warning", "row.totals")


OPEN_HEADER = ["number", "customer", "issue_date", "amount", "open_amount", "settled_date",
               "paid_amount"]
IMPORT_DAY = date(2026, 12, 1)


def open_parser(fields=OPEN_HEADER, day=IMPORT_DAY):
    mapping = {name: i for i, name in enumerate(OPEN_HEADER) if name in fields}
    return RowParser("invoices", OPEN_HEADER, mapping, "CNY", "%Y-%m-%d", [],
                     unknown_settlement_day=day)


@pytest.mark.parametrize("cells, paid, settled, assumed", [
    (["A", "C", "2026-01-05", "100.00", "100.00", "", ""], 0, None, False),        # all open
    (["A", "C", "2026-01-05", "100.00", "40.00", "2026-02-01", ""], 6000, date(2026, 2, 1), False),
    (["A", "C", "2026-01-05", "100.00", "0", "2026-02-01", ""], 10000, date(2026, 2, 1), False),
    (["A", "C", "2026-01-05", "100.00", "40.00", "", ""], 6000, IMPORT_DAY, True),  # day unknown
    (["A", "C", "2026-01-05", "100.00", "0.00", "", ""], 10000, IMPORT_DAY, True),
    (["A", "C", "2026-01-05", "100.00", "40.00", "2026-02-01", "60.00"], 6000, date(2026, 2, 1),
     False),                                                                        # both agree
    (["A", "C", "2026-01-05", "100.00", "", "", ""], 0, None, False),              # blank: open
])
def test_open_amount_gives_the_paid_part(cells, paid, settled, assumed):
    p = open_parser()
    record, problems = p.parse(2, cells)
    assert not [x for x in problems if x.is_error]
    assert (record.paid_minor, record.settled_date, p.assumed_settlements) == (paid, settled,
                                                                               int(assumed))
    # The hash is of the file's own values: an assumed day does not change it.
    again = open_parser(day=date(2027, 1, 1)).parse(2, cells)[0]
    assert again.source_hash == record.source_hash


@pytest.mark.parametrize("cells, code", [
    (["A", "C", "2026-01-05", "100.00", "140.00", "", ""], "open.exceeds_amount"),
    (["A", "C", "2026-01-05", "100.00", "-1", "", ""], "amount.negative"),
    (["A", "C", "2026-01-05", "100.00", "40.00", "2026-02-01", "50.00"], "open.paid_mismatch"),
    (["A", "C", "2026-01-05", "100.00", "abc", "", ""], "amount.unreadable"),
])
def test_bad_open_amounts_are_errors_naming_the_field(cells, code):
    record, problems = open_parser().parse(7, cells)
    assert record is None
    assert [(x.line, x.code) for x in problems if x.is_error] == [(7, code)]


def test_without_a_day_for_unknown_settlements_a_paid_part_needs_a_date():
    p = open_parser(fields=("number", "customer", "issue_date", "amount", "open_amount"), day=None)
    record, problems = p.parse(3, ["A", "C", "2026-01-05", "100.00", "40.00", "", ""])
    assert record is None and [x.code for x in problems] == ["settled.missing"]
