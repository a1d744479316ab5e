"""Header mapping: synonyms in Chinese and English, explicit --map, clear problems."""

from cashloop.core.importing.columns import normalize, parse_map_options, resolve_columns


def test_headers_match_whatever_the_case_spaces_or_underscores():
    assert normalize(" Invoice_No. ") == normalize("invoice no") == "invoiceno"


def test_chinese_headers_map_to_invoice_fields():
    header = ["单据编号", "客户编码", "单据日期", "到期日", "价税合计", "币种", "备注"]
    mapping, problems = resolve_columns("invoices", header, {})
    assert problems == []
    assert mapping == {"number": 0, "customer": 1, "issue_date": 2, "due_date": 3, "amount": 4,
                       "currency": 5, "description": 6}


def test_english_erp_headers_map_without_help():
    header = ["countryCode", "customerID", "invoiceNumber", "InvoiceDate", "DueDate",
              "InvoiceAmount", "Disputed", "SettledDate"]
    mapping, problems = resolve_columns("invoices", header, {})
    assert problems == []
    assert mapping["customer"] == 1 and mapping["number"] == 2 and mapping["settled_date"] == 7


def test_a_unit_in_brackets_is_ignored():
    mapping, _ = resolve_columns("invoices", ["发票号", "客户", "日期", "金额(元)"], {})
    assert mapping["amount"] == 3


def test_explicit_map_wins_over_synonyms():
    header = ["amount", "gross", "number", "customer", "date"]
    mapping, problems = resolve_columns("invoices", header, {"amount": "gross"})
    assert problems == [] and mapping["amount"] == 1


def test_unknown_map_field_and_unknown_column_are_problems():
    _, problems = resolve_columns("invoices", ["number", "customer", "date", "amount"],
                                  {"colour": "number", "due_date": "Due"})
    codes = {p.code for p in problems}
    assert codes == {"map.unknown_field", "map.unknown_column"}
    assert "Due" in next(p for p in problems if p.code == "map.unknown_column").text()


def test_missing_required_column_is_named():
    _, problems = resolve_columns("invoices", ["number", "customer", "amount"], {})
    assert [(p.code, p.field) for p in problems] == [("column.missing", "issue_date")]


def test_malformed_map_option_is_a_problem():
    mapping, problems = parse_map_options(["number=No", "oops"])
    assert mapping == {"number": "No"} and problems[0].code == "map.malformed"


def test_open_items_and_receipt_headers_map_without_help():
    odoo = ["Number", "Partner", "Invoice/Bill Date", "Due Date", "Total", "Amount Due", "Currency"]
    mapping, problems = resolve_columns("invoices", odoo, {})
    assert not problems and mapping["open_amount"] == 5 and mapping["amount"] == 4
    kingdee = ["单据编号", "客户编码", "单据日期", "价税合计", "未核销金额", "余额"]
    mapping, _ = resolve_columns("invoices", kingdee, {})
    assert mapping["open_amount"] == 4  # never the running balance (余额)
    receipts = ["收款单号", "客户编码", "收款日期", "收款金额", "币种", "核销发票号"]
    mapping, problems = resolve_columns("payments", receipts, {})
    assert not problems and mapping["invoice"] == 5


def test_customer_name_is_taken_only_beside_a_customer_code():
    both = ["单据编号", "客户编码", "客户名称", "单据日期", "价税合计"]
    mapping, _ = resolve_columns("invoices", both, {})
    assert (mapping["customer"], mapping["customer_name"]) == (1, 2)
    names_only = ["Invoice No", "Customer Name", "Invoice Date", "Amount"]
    mapping, problems = resolve_columns("invoices", names_only, {})
    assert not problems and mapping["customer"] == 1 and "customer_name" not in mapping
