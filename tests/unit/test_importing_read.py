"""Bytes → rows: encodings, delimiters, physical line numbers, header detection."""

from cashloop.core.importing.columns import KNOWN_HEADERS
from cashloop.core.importing.issues import RowProblem
from cashloop.core.importing.read import Table, decode, read_table


def table(data: bytes, encoding: str | None = None) -> Table:
    got = read_table(data, "t.csv", encoding, KNOWN_HEADERS)
    assert isinstance(got, Table), got
    return got


def test_gbk_is_detected_without_being_told():
    got = table("发票号,客户编码,金额\nFP1,KH1,1.00\n".encode("gbk"))
    assert got.encoding == "gbk"
    assert got.header == ["发票号", "客户编码", "金额"]


def test_gb18030_only_characters_are_read():
    text = "发票号,客户,金额\nFP1,㐀客户,1.00\n"  # U+3400 is not in GBK
    got = table(text.encode("gb18030"))
    assert got.encoding == "gb18030"
    assert list(got.rows)[0][1][1] == "㐀客户"


def test_utf8_bom_is_removed_from_the_first_header():
    got = table("\ufeffnumber,customer\nA,B\n".encode())
    assert got.header[0] == "number"
    assert got.encoding == "utf-8-sig"


def test_crlf_and_quoted_field_spanning_lines_keep_physical_line_numbers():
    data = b'number,description\r\nA,"two\r\nlines"\r\n\r\nB,x\r\n'
    rows = list(table(data).rows)
    assert [(line, cells[0]) for line, cells in rows] == [(2, "A"), (5, "B")]
    assert rows[0][1][1] == "two\r\nlines"


def test_semicolon_delimiter_is_sniffed():
    got = table(b"number;customer;amount\nA;B;1,50\n")
    assert got.delimiter == ";"
    assert list(got.rows) == [(2, ["A", "B", "1,50"])]


def test_title_lines_before_the_header_are_skipped():
    data = "应收账款明细表\n\n发票号,客户编码,金额\nFP1,KH1,1\n".encode()
    got = table(data)
    assert got.header_line == 3
    assert list(got.rows) == [(4, ["FP1", "KH1", "1"])]


def test_empty_file_is_a_problem():
    got = read_table(b"  \n", "t.csv")
    assert isinstance(got, RowProblem) and got.code == "file.empty"


def test_binary_file_is_a_problem_not_a_crash():
    got = read_table(b"\x00\x01\xff\xfe\x00" * 100, "t.csv")
    assert isinstance(got, RowProblem) and got.code.startswith("encoding")


def test_wrong_told_encoding_is_a_clear_problem():
    got = decode("发票".encode("gbk"), "utf-8")
    assert isinstance(got, RowProblem) and got.code == "encoding.wrong"


def test_unknown_encoding_name_is_a_problem():
    got = decode(b"a", "klingon-8")
    assert isinstance(got, RowProblem) and got.code == "encoding.unknown"


def test_latin1_text_is_read_with_a_warning():
    got = table("number,customer,amount\nA,Société Générale,1\n".encode("cp1252"))
    assert got.encoding == "cp1252"
    assert got.problems[0].code == "encoding.assumed"


def test_utf16_without_bom_is_detected():
    got = table("number\tcustomer\tamount\nA\t客户\t1\n".encode("utf-16-le"))
    assert got.encoding == "utf-16-le" and got.delimiter == "\t"
    assert list(got.rows) == [(2, ["A", "客户", "1"])]


def test_xlsx_rows_keep_their_sheet_row_numbers(tmp_path):
    from datetime import date

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet["B2"] = "应收账款明细表"
    for col, value in zip("BCDE", ["发票号", "客户编码", "开票日期", "金额"], strict=True):
        sheet[f"{col}4"] = value
    for col, value in zip("BCDE", [1001, "KH1", date(2024, 3, 5), 12.5], strict=True):
        sheet[f"{col}6"] = value
    path = tmp_path / "x.xlsx"
    book.save(path)
    got = table(path.read_bytes())
    assert (got.file_type, got.header_line, got.header) == (
        "xlsx", 4, ["发票号", "客户编码", "开票日期", "金额"])
    assert list(got.rows) == [(6, ["1001", "KH1", "2024-03-05", "12.5"])]
