"""A Taiwan/Hong Kong ERP export: Big5 bytes and Traditional headers import without options."""

from __future__ import annotations

from datetime import date

import pytest

from cashloop.audit.services import SYSTEM_CLI
from cashloop.imports.services.run import ImportOptions, import_bytes
from cashloop.ledger.models import Customer, Invoice

pytestmark = pytest.mark.django_db

INVOICES = ("客戶編號,發票號碼,發票日期,到期日,金額,幣別,備註\n"
            "TW001,AB-00000001,2024/03/01,2024/04/30,\"12,345.00\",TWD,台北貿易股份有限公司\n"
            "TW002,AB-00000002,2024/03/05,2024/05/04,8800,TWD,高雄精密機械有限公司\n")


def test_big5_invoices_with_traditional_headers_import_as_gbk_ones_do(company):
    result = import_bytes(INVOICES.encode("big5"), "tw.csv", ImportOptions(kind="invoices"),
                          SYSTEM_CLI, date(2024, 12, 31))
    assert (result.status, result.created, result.encoding) == ("saved", 2, "big5")
    assert result.mapping == {"number": "發票號碼", "customer": "客戶編號", "issue_date": "發票日期",
                              "due_date": "到期日", "amount": "金額", "currency": "幣別",
                              "description": "備註"}
    invoice = Invoice.objects.get(number="AB-00000001")
    assert (invoice.amount_minor, invoice.currency, invoice.description) == (
        1234500, "TWD", "台北貿易股份有限公司")
    assert Customer.objects.filter(code__in=["TW001", "TW002"]).count() == 2
    assert result.to_json()["encoding"] == "big5"
