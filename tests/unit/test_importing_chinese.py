"""Chinese encodings told apart without --encoding: Big5 (Taiwan, Hong Kong) beside GBK/GB18030."""

import csv
import io

import pytest

from cashloop.core.importing.chinese import (
    common_share,
    common_simplified,
    common_traditional,
    ranked_encodings,
)
from cashloop.core.importing.columns import KNOWN_HEADERS, resolve_columns
from cashloop.core.importing.read import Table, decode, read_table

TRADITIONAL = (
    "客戶編號,發票號碼,發票日期,到期日,金額,幣別\n"
    "C001,AB-12345678,2024/03/01,2024/04/30,\"12,345.00\",TWD\n"
    "C002,AB-12345679,2024/03/05,2024/05/04,8800,TWD\n"
)
TRADITIONAL_NAMES = (
    "客戶編號,客戶名稱,統一編號,業務員\n"
    "C001,台北貿易股份有限公司,12345675,陳美玲\n"
    "C002,高雄精密機械有限公司,23456789,林志明\n"
)
SIMPLIFIED = (
    "客户编号,发票号码,发票日期,到期日,金额,币种\n"
    "C001,FP-0001,2024/03/01,2024/04/30,\"12,345.00\",CNY\n"
    "C002,FP-0002,2024/03/05,2024/05/04,8800,CNY\n"
)
SIMPLIFIED_NAMES = (
    "客户编号,客户名称,税号,业务员\n"
    "C001,上海华东机械有限公司,91310000MA1FL0000X,王伟\n"
    "C002,深圳新能源科技有限公司,91440300MA5F00000Y,李娜\n"
)


def table(data: bytes) -> Table:
    got = read_table(data, "t.csv", None, KNOWN_HEADERS)
    assert isinstance(got, Table), got
    return got


@pytest.mark.parametrize("text", [TRADITIONAL, TRADITIONAL_NAMES])
def test_big5_file_is_detected_and_read(text):
    got = table(text.encode("big5"))
    assert got.encoding == "big5"
    assert [got.header, *(cells for _line, cells in got.rows)] == list(
        csv.reader(io.StringIO(text)))


@pytest.mark.parametrize("text", [SIMPLIFIED, SIMPLIFIED_NAMES])
def test_gbk_file_stays_gbk(text):
    got = table(text.encode("gbk"))
    assert got.encoding == "gbk"
    assert ",".join(got.header) == text.splitlines()[0]


def test_gb18030_file_with_characters_beyond_gbk_is_gb18030():
    text = SIMPLIFIED_NAMES + "C003,㐀𠀀实业有限公司,91110000MA00000000,赵磊\n"  # U+3400, U+20000
    got = table(text.encode("gb18030"))
    assert got.encoding == "gb18030"
    assert list(got.rows)[-1][1][1] == "㐀𠀀实业有限公司"


@pytest.mark.parametrize("text", [TRADITIONAL, SIMPLIFIED])
def test_utf8_with_and_without_bom_wins_over_any_chinese_guess(text):
    assert table(text.encode("utf-8")).encoding == "utf-8"
    assert table(b"\xef\xbb\xbf" + text.encode("utf-8")).encoding == "utf-8-sig"


def test_short_big5_header_in_literal_bytes():
    data = b"\xab\xc8\xa4\xe1\xbds\xb8\xb9,\xaa\xf7\xc3B\nC1,100\n"  # 客戶編號,金額 in Big5
    got = table(data)
    assert (got.encoding, got.header) == ("big5", ["客戶編號", "金額"])


def test_short_gbk_header_in_literal_bytes():
    data = b"\xbf\xcd\xbb\xa7\xb1\xe0\xba\xc5,\xbd\xf0\xb6\xee\nC1,100\n"  # 客户编号,金额 in GBK
    got = table(data)
    assert (got.encoding, got.header) == ("gbk", ["客户编号", "金额"])


@pytest.mark.parametrize(("text", "codec", "expected"), [
    ("金額\n100\n", "big5", "big5"),
    ("金额\n100\n", "gbk", "gbk"),
    ("客户编号\nC1\n", "gbk", "gbk"),  # reads as Big5 too (諦誧晤瘍-like), but is a known header
    ("到期日\n2024-01-01\n", "big5", "big5"),
    ("code,name\nC1,臺灣銀行\n", "big5", "big5"),
    ("code,name\nC1,中国银行\n", "gbk", "gbk"),
])
def test_very_short_files_are_read_as_written(text, codec, expected):
    got = decode(text.encode(codec), None, KNOWN_HEADERS)
    assert got == (text, expected)


def test_traditional_text_written_in_gbk_is_gbk():
    # GBK has Traditional characters too; such a file is not valid Big5 and reads right as GBK.
    assert decode(TRADITIONAL.encode("gbk"), None, KNOWN_HEADERS) == (TRADITIONAL, "gbk")


def test_hong_kong_characters_need_cp950_or_hkscs():
    text = "客戶編號,客戶名稱\nHK01,香港恒生貿易有限公司\n"  # 恒 is not in plain Big5
    got = decode(text.encode("cp950"), None, KNOWN_HEADERS)
    assert got == (text, "cp950")


def test_without_known_headers_the_share_of_common_characters_decides():
    data = TRADITIONAL_NAMES.encode("big5")
    assert ranked_encodings(data)[0] == "big5"
    assert ranked_encodings(SIMPLIFIED_NAMES.encode("gbk"))[0] == "gbk"


def test_common_sets_are_the_level_one_characters_of_each_standard():
    assert len(common_simplified()) == 3755 and len(common_traditional()) == 5401
    assert "户" in common_simplified() and "戶" in common_traditional()
    assert common_share("台北貿易股份有限公司", common_traditional()) == 1.0
    assert common_share("\ue085め絪腹", common_simplified()) < 0.5  # Big5 read as GB18030


def test_traditional_headers_map_to_the_fields_simplified_ones_do():
    header = ["客戶編號", "發票號碼", "發票日期", "到期日", "金額", "幣別", "沖帳日期", "已收金額",
              "備註"]
    simplified = ["客户编号", "发票号码", "发票日期", "到期日", "金额", "币别", "核销日期", "已收金额",
                  "备注"]
    assert resolve_columns("invoices", header, {}) == resolve_columns("invoices", simplified, {})
    customers, problems = resolve_columns(
        "customers", ["客戶代號", "客戶名稱", "統一編號", "信用額度", "付款條件", "業務員", "部門",
                      "電子郵件", "電話"], {})
    assert problems == [] and list(customers) == [
        "code", "name", "tax_id", "email", "phone", "sales_rep", "department", "credit_limit",
        "payment_terms"]
    payments, problems = resolve_columns(
        "payments", ["收款單號", "客戶編號", "收款日期", "收款金額", "幣別", "發票號碼"], {})
    assert problems == [] and sorted(payments) == sorted(
        ["reference", "customer", "date", "amount", "currency", "invoice"])
