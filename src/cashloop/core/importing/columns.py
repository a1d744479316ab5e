"""Header mapping: which column of a file feeds which field, from --map, a saved mapping or synonyms.

Fields per kind are the contract of `cashloop import` (issue 7, point 4). Automatic matching is
case-, space-, underscore- and punctuation-insensitive and knows Chinese and English ERP headers
(用友, 金蝶, SAP, Oracle, NetSuite, QuickBooks exports); a trailing unit in brackets ("金额(元)",
"Amount (USD)") is ignored. An explicit mapping wins over synonyms; a column feeds one field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from cashloop.core.importing.issues import RowProblem, file_problem
from cashloop.core.problems import gettext_noop

KINDS = ("invoices", "customers", "payments")

FIELDS: dict[str, tuple[str, ...]] = {
    "invoices": ("number", "customer", "issue_date", "due_date", "amount", "currency",
                 "settled_date", "paid_amount", "disputed", "contract", "description",
                 "open_amount", "customer_name"),
    "customers": ("code", "name", "tax_id", "industry", "country", "currency", "email", "phone",
                  "language", "sales_rep", "department", "credit_limit", "tier", "payment_terms"),
    "payments": ("reference", "customer", "date", "amount", "currency", "invoice"),
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "invoices": ("number", "customer", "issue_date", "amount"),
    "customers": ("code",),
    "payments": ("reference", "customer", "date", "amount"),
}

_CUSTOMER = ("customer", "customer code", "customer no", "customer number", "customer id",
             "customerid", "cust id", "cust no", "customer account", "account", "account number",
             "client", "client id", "client code", "debtor", "debtor code", "buyer", "sold to",
             "sold-to party", "kunnr", "partner", "customer account number",
             "customer: code", "customer ref", "kunde", "kundennummer",
             "debitor", "client no", "code client", "客户", "客户编码", "客户编号", "客户代码", "客户号",
             "往来单位编码", "往来单位", "客户名称编码", "购方编码", "单位编码")
_CURRENCY = ("currency", "currency code", "curr", "ccy", "cur", "waers", "local currency",
             "document currency", "doc currency", "währung", "devise", "币种", "币别", "货币",
             "币种代码", "结算币种", "原币币种")

SYNONYMS: dict[str, dict[str, tuple[str, ...]]] = {
    "invoices": {
        "number": ("invoice", "invoice no", "invoice number", "invoicenumber", "invoice id",
                   "invoice num", "inv no", "inv number", "document no", "document number", "num", "no",
                   "invoice #", "inv #",
                   "document", "voucher no", "bill number", "transaction number", "txn no",
                   "rechnungsnummer", "belegnummer", "numéro de facture", "n° facture",
                   "doc no", "doc number", "reference", "bill no", "belnr", "发票号", "发票号码",
                   "发票编号", "单据编号", "单据号", "单号", "应收单号", "应收单据号", "凭证号",
                   "发票代码号", "编号"),
        "customer": _CUSTOMER,
        "issue_date": ("issue date", "invoice date", "invoicedate", "date", "document date",
                       "doc date", "posting date", "bill date", "billing date", "bldat",
                       "invoice/bill date", "transaction date", "txn date", "rechnungsdatum",
                       "belegdatum", "date de facture", "开票时间", "单据时间",
                       "开票日期",
                       "单据日期", "发票日期", "业务日期", "日期", "记账日期", "入账日期"),
        "due_date": ("due date", "duedate", "due", "payment due", "net due date", "due on",
                     "maturity date", "payment due date", "due date (net)", "fälligkeit",
                     "fälligkeitsdatum", "date d'échéance", "échéance",
                     "到期日", "到期日期", "应收日期", "收款到期日", "付款到期日"),
        "amount": ("amount", "invoice amount", "invoiceamount", "total", "total amount",
                   "gross amount", "original amount", "value", "wrbtr", "dmbtr", "amt",
                   "invoice total", "grand total", "amount in local currency",
                   "amount in document currency", "amount in doc curr", "amount doc curr",
                   "amount doc currency", "total amount incl tax",
                   "betrag", "bruttobetrag", "montant", "montant ttc",
                   "金额", "价税合计", "发票金额", "应收金额", "含税金额", "总金额", "本币金额",
                   "原币金额", "合计金额", "应收款"),
        "currency": _CURRENCY,
        "settled_date": ("settled date", "settleddate", "settlement date", "paid date",
                         "payment date", "date paid", "cleared date", "clearing date", "augdt",
                         "cleared on", "paid on", "closed date", "close date", "date closed",
                         "ausgleichsdatum", "zahlungsdatum", "date de paiement",
                         "结清日期", "核销日期", "收款日期", "回款日期", "清账日期", "结算日期"),
        "paid_amount": ("paid amount", "paidamount", "amount paid", "paid", "settled amount",
                        "cleared amount", "received amount", "已收金额", "收款金额", "核销金额",
                        "回款金额", "已核销金额", "已收款"),
        # What is still owed on the invoice (Odoo "Amount Due", ERPNext "Outstanding Amount",
        # 金蝶/用友 未核销金额). Not "balance"/余额: in a ledger report that is a running balance.
        "open_amount": ("open amount", "amount due", "amount residual", "residual",
                        "residual amount", "outstanding", "outstanding amount",
                        "amount outstanding", "balance due", "open balance", "remaining amount",
                        "amount remaining", "unpaid amount", "amount open", "offener betrag",
                        "restbetrag", "montant restant", "未核销金额", "未收金额", "未收款金额",
                        "未结金额", "未清金额", "剩余金额", "欠款金额", "未回款金额", "尚欠金额",
                        "未沖帳金額", "未收金額"),
        # The name given to customers the file creates (existing customers keep theirs). Taken
        # only after the customer column: a file with names and no codes keys customers by name.
        "customer_name": ("customer name", "client name", "partner name", "account name",
                          "debtor name", "name1", "客户名称", "客户全称", "往来单位名称",
                          "单位名称", "购方名称", "购买方名称"),
        "disputed": ("disputed", "dispute", "in dispute", "is disputed", "争议", "是否争议",
                     "有争议", "争议标志"),
        "contract": ("contract", "contract no", "contract number", "contract id", "合同",
                     "合同号", "合同编号"),
        "description": ("description", "memo", "remark", "remarks", "note", "notes", "text",
                        "摘要", "备注", "说明", "描述"),
    },
    "customers": {
        "code": _CUSTOMER,
        "name": ("name", "customer name", "company name", "client name", "account name",
                 "客户名称", "名称", "单位名称", "公司名称", "客户全称"),
        "tax_id": ("tax id", "taxid", "vat", "vat id", "vat number", "tax number", "tin",
                   "税号", "纳税人识别号", "统一社会信用代码", "信用代码"),
        "industry": ("industry", "sector", "行业", "所属行业"),
        "country": ("country", "country code", "国家", "国家代码", "国别"),
        "currency": _CURRENCY,
        "email": ("email", "e-mail", "mail", "email address", "邮箱", "电子邮件", "电子邮箱"),
        "phone": ("phone", "telephone", "tel", "mobile", "phone number", "电话", "手机",
                  "联系电话", "手机号"),
        "language": ("language", "lang", "preferred language", "语言", "首选语言"),
        "sales_rep": ("sales rep", "salesrep", "sales person", "salesperson", "owner",
                      "account manager", "业务员", "销售员", "销售代表", "负责人", "客户经理"),
        "department": ("department", "dept", "division", "部门", "所属部门", "销售部门"),
        "credit_limit": ("credit limit", "creditlimit", "limit", "信用额度", "授信额度", "额度"),
        "tier": ("tier", "grade", "class", "rating", "等级", "客户等级", "信用等级", "级别"),
        "payment_terms": ("payment terms", "paymentterms", "terms", "term", "付款条件",
                          "收款条件", "账期", "信用期", "结算方式"),
    },
    "payments": {
        "reference": ("reference", "payment reference", "payment id", "payment no",
                      "payment number", "receipt no", "receipt number", "ref", "transaction id",
                      "收款单号", "收款单编号", "单据编号", "流水号", "回单号", "凭证号"),
        "customer": _CUSTOMER,
        "date": ("date", "payment date", "received date", "receipt date", "value date",
                 "收款日期", "到账日期", "日期", "单据日期"),
        "amount": ("amount", "payment amount", "received amount", "amount received",
                   "金额", "收款金额", "到账金额", "实收金额"),
        "currency": _CURRENCY,
        "invoice": ("invoice", "invoice no", "invoice number", "invoicenumber", "applied to",
                    "invoice ref", "invoice reference", "applied invoice", "paid invoice",
                    "发票号", "发票号码", "应收单号", "核销单号", "核销发票号", "核销发票",
                    "对应发票", "对应发票号", "对应单据号", "源单编号", "应收单据号"),
    },
}

# Taiwan and Hong Kong exports (Big5) write the same headers in Traditional characters: every
# Simplified synonym also matches in its character-by-character Traditional form (客户编号 →
# 客戶編號), ranked right after it, plus the local terms below that are not mere conversions.
_TRADITIONAL = str.maketrans({
    "业": "業", "争": "爭", "会": "會", "凭": "憑", "别": "別", "务": "務", "单": "單", "发": "發",
    "号": "號", "员": "員", "国": "國", "备": "備", "实": "實", "属": "屬", "币": "幣", "应": "應",
    "开": "開", "总": "總", "户": "戶", "时": "時", "条": "條", "来": "來", "标": "標", "电": "電",
    "码": "碼", "称": "稱", "税": "稅", "级": "級", "纳": "納", "经": "經", "结": "結", "统": "統",
    "编": "編", "联": "聯", "计": "計", "议": "議", "记": "記", "证": "證", "识": "識", "话": "話",
    "语": "語", "说": "說", "负": "負", "责": "責", "账": "帳", "货": "貨", "购": "購", "选": "選",
    "邮": "郵", "销": "銷", "门": "門", "间": "間", "额": "額", "价": "價",
})
_TRADITIONAL_TERMS: dict[str, dict[str, tuple[str, ...]]] = {
    "invoices": {"customer": ("客戶代號",), "number": ("單據號碼", "發票字軌號碼"),
                 "issue_date": ("開立日期", "發票開立日期"), "settled_date": ("沖帳日期", "沖銷日期",
                                                                     "清賬日期"),
                 "paid_amount": ("沖帳金額", "已沖金額", "沖銷金額"), "description": ("備註",)},
    "customers": {"code": ("客戶代號",), "tax_id": ("統一編號", "統編"),
                  "payment_terms": ("賬期", "收款條件")},
    "payments": {"customer": ("客戶代號",), "invoice": ("沖銷單號",)},
}


def _with_traditional(kind: str, field: str, names: tuple[str, ...]) -> tuple[str, ...]:
    out: dict[str, None] = {}
    for name in names:
        out[name] = None
        out.setdefault(name.translate(_TRADITIONAL), None)
    for name in _TRADITIONAL_TERMS.get(kind, {}).get(field, ()):
        out.setdefault(name, None)
    return tuple(out)


SYNONYMS = {kind: {field: _with_traditional(kind, field, names) for field, names in table.items()}
            for kind, table in SYNONYMS.items()}

_NOISE = re.compile(r"[\s_\-./:：·#*]+")
_UNIT = re.compile(r"[(（\[【].*?[)）\]】]\s*$")


def normalize(header: str) -> str:
    """'Invoice_No.' → 'invoiceno'; case, spaces and punctuation do not matter."""
    return _NOISE.sub("", header.strip().removeprefix("\ufeff")).casefold()


def _lookup(kind: str) -> dict[str, str]:
    table: dict[str, str] = {}
    for field, names in SYNONYMS[kind].items():
        for name in (field, *names):
            table.setdefault(normalize(name), field)
    return table


LOOKUPS = {kind: _lookup(kind) for kind in KINDS}
RANKED = {kind: {field: [normalize(n) for n in (field, *names)]
                 for field, names in SYNONYMS[kind].items()} for kind in KINDS}
FALLBACK = {kind: {"customer": ("customer name", "客户名称", "客戶名稱", "name", "client name",
                                 "客户全称", "客戶全稱")}
            for kind in ("invoices", "payments")}
SECONDARY = frozenset({"customer_name"})  # matched after FALLBACK has had the name column
KNOWN_HEADERS = frozenset(name for table in LOOKUPS.values() for name in table)


def parse_map_options(options: Sequence[str]) -> tuple[dict[str, str], list[RowProblem]]:
    """`FIELD=COLUMN` strings → {field: column}; a malformed option is a problem."""
    mapping: dict[str, str] = {}
    problems: list[RowProblem] = []
    for option in options:
        field, sep, column = option.partition("=")
        if not sep or not field.strip() or not column.strip():
            problems.append(file_problem("map.malformed", gettext_noop("--map {value}: write FIELD=COLUMN"),
                                         value=option))
            continue
        mapping[field.strip()] = column.strip()
    return mapping, problems


def resolve_columns(kind: str, header: Sequence[str], explicit: Mapping[str, str],
                    header_line: int = 1) -> tuple[dict[str, int], list[RowProblem]]:
    """{field: column index}: explicit mapping first, then synonyms for the fields still unmapped."""
    fields = FIELDS[kind]
    problems: list[RowProblem] = []
    mapping: dict[str, int] = {}
    exact = {h: i for i, h in reversed(list(enumerate(header)))}
    loose = {normalize(h): i for i, h in reversed(list(enumerate(header)))}
    for field, column in explicit.items():
        if field not in fields:
            problems.append(RowProblem(
                header_line, column, field, field, "map.unknown_field",
                gettext_noop("--map {value}=…: unknown field for {kind}; fields are: {fields}"),
                (("kind", kind), ("fields", ", ".join(fields)))))
            continue
        index = exact.get(column, loose.get(normalize(column)))
        if index is None and column.isdigit() and 1 <= int(column) <= len(header):
            index = int(column) - 1  # a 1-based column number, for files without usable headers
        if index is None:
            problems.append(RowProblem(
                header_line, column, field, column, "map.unknown_column",
                gettext_noop("--map {field}={value}: no column {value} in the header; "
                             "columns are: {columns}"),
                (("columns", ", ".join(header)),)))
            continue
        mapping[field] = index
    used = set(mapping.values())
    by_name: dict[str, int] = {}
    for index, name in enumerate(header):
        if index not in used:
            by_name.setdefault(normalize(name), index)
            by_name.setdefault(normalize(_UNIT.sub("", name)), index)
    def take(field: str, names: Sequence[str]) -> None:
        if field in mapping or field in explicit:
            return
        for name in names:
            index = by_name.get(name)
            if index is not None and index not in used:
                mapping[field] = index
                used.add(index)
                return

    for field in fields:  # each field takes its best-ranked synonym among the free columns
        if field not in SECONDARY:
            take(field, RANKED[kind][field])
    for field, names in FALLBACK.get(kind, {}).items():  # a name when the file has no code
        take(field, [normalize(n) for n in names])
    for field in fields:
        if field in SECONDARY:
            take(field, RANKED[kind][field])
    for field in REQUIRED[kind]:
        if field not in mapping and not any(p.field == field for p in problems):
            problems.append(RowProblem(
                header_line, "", field, "", "column.missing",
                gettext_noop("no column for required field {field}; map one with --map {field}=COLUMN "
                "(columns are: {columns})"), (("columns", ", ".join(header)),)))
    return mapping, problems


def mapping_names(mapping: Mapping[str, int], header: Sequence[str]) -> dict[str, str]:
    """{field: column name} for output and for saving a mapping."""
    return {field: header[index] for field, index in mapping.items()}
