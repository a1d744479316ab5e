"""Exchange rates on a real database: set_rate with its audit, rate files, CLI and API."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from typer.testing import CliRunner

from cashloop.accounts.services import add_user, create_token
from cashloop.audit.models import AuditEntry
from cashloop.audit.services import SYSTEM_CLI
from cashloop.config.cli import app
from cashloop.core.fx import MissingRate
from cashloop.core.problems import Invalid
from cashloop.ledger.models import ExchangeRate
from cashloop.ledger.queries.fx import rate_table
from cashloop.ledger.services.fx import import_rates, set_rate, store_rate

MARCH_END = date(2024, 3, 31)


def test_set_rate_stores_and_audits_before_and_after(db):
    set_rate("usd", "cny", Decimal("7.1"), MARCH_END, SYSTEM_CLI, source="PBOC")
    obj = set_rate("USD", "CNY", Decimal("7.1234"), MARCH_END, SYSTEM_CLI)
    assert ExchangeRate.objects.count() == 1
    assert obj.rate == Decimal("7.1234")
    entries = list(AuditEntry.objects.filter(object_type="exchangerate").order_by("id"))
    assert [e.action for e in entries] == ["fx_rate.create", "fx_rate.update"]
    assert entries[0].before is None and entries[0].after["rate"] == "7.1"
    assert entries[1].before["rate"] == "7.1" and entries[1].after["rate"] == "7.1234"
    assert entries[1].channel == "cli"


def test_same_rate_again_is_unchanged_and_not_audited(db):
    set_rate("USD", "CNY", Decimal("7.1"), MARCH_END, SYSTEM_CLI)
    _, status = store_rate("USD", "CNY", Decimal("7.10"), MARCH_END, SYSTEM_CLI)
    assert status == "unchanged"
    assert AuditEntry.objects.count() == 1


@pytest.mark.parametrize(("pair", "rate"), [
    (("USD", "US"), Decimal("7")), (("USD", "USD"), Decimal("1")),
    (("USD", "CNY"), Decimal("0")), (("USD", "CNY"), Decimal("-7")),
    (("USD", "CNY"), Decimal("7.12345678901")),
])
def test_bad_rate_is_refused_and_nothing_saved(db, pair, rate):
    with pytest.raises(Invalid) as refusal:
        set_rate(*pair, rate, MARCH_END, SYSTEM_CLI)
    assert refusal.value.problems
    assert ExchangeRate.objects.count() == 0
    assert AuditEntry.objects.count() == 0


def test_rate_table_loads_in_one_query_and_picks_latest_on_or_before(db):
    set_rate("USD", "CNY", Decimal("7.0"), date(2024, 3, 1), SYSTEM_CLI)
    set_rate("USD", "CNY", Decimal("7.2"), date(2024, 3, 29), SYSTEM_CLI)
    set_rate("USD", "CNY", Decimal("7.5"), date(2024, 4, 2), SYSTEM_CLI)
    set_rate("EUR", "CNY", Decimal("7.8"), date(2024, 3, 1), SYSTEM_CLI)
    with CaptureQueriesContext(connection) as queries:
        table = rate_table({"USD", "CNY"}, until=MARCH_END)
    assert len(queries) == 1
    assert table.rate_on("USD", "CNY", MARCH_END) == Decimal("7.2")
    assert table.convert_minor(10_000, "USD", "CNY", MARCH_END) == 72_000
    with pytest.raises(MissingRate, match="no EUR→CNY exchange rate on or before 2024-03-31"):
        table.rate_on("EUR", "CNY", MARCH_END)


def test_rate_file_with_chinese_headers_imports_and_reimport_changes_nothing(db, tmp_path):
    path = tmp_path / "汇率.csv"
    path.write_text("币种,目标币种,日期,汇率\r\nUSD,CNY,2024/3/31,7.1234\r\nJPY,CNY,2024年3月31日,0.0476\r\n",
                    encoding="gb18030")
    first = import_rates(path, SYSTEM_CLI)
    assert (first.saved, first.created, first.unchanged) == (True, 2, 0)
    again = import_rates(path, SYSTEM_CLI)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert ExchangeRate.objects.get(from_currency="JPY").rate == Decimal("0.0476")


def test_rate_file_with_a_bad_row_saves_nothing_and_names_line_and_field(db, tmp_path):
    path = tmp_path / "rates.csv"
    path.write_text("from_currency,to_currency,date,rate\nUSD,CNY,2024-03-31,7.1\n"
                    "EUR,CNY,2024-03-31,abc\n\nUSD,CNY,2024-03-31,7.2\n", encoding="utf-8")
    summary = import_rates(path, SYSTEM_CLI)
    assert not summary.saved
    assert [(p.source, p.field, p.code) for p in summary.problems] == [
        ("rates.csv:3", "rate", "fx.rate_unreadable"),
        ("rates.csv:5", "rate", "fx.duplicate_rate"),
    ]
    assert "line 2" in summary.problems[1].text()
    assert ExchangeRate.objects.count() == 0


def test_rate_file_missing_a_column_is_a_problem_on_line_1(db, tmp_path):
    path = tmp_path / "rates.csv"
    path.write_text("from,to,rate\nUSD,CNY,7.1\n", encoding="utf-8")
    summary = import_rates(path, SYSTEM_CLI)
    assert [(p.source, p.field, p.code) for p in summary.problems] == [
        ("rates.csv:1", "rate_date", "file.missing_column")]


# --- CLI -------------------------------------------------------------------------------------

runner = CliRunner()


def test_cli_fx_set_then_list_as_json(db):
    result = runner.invoke(app, ["fx", "set", "usd", "cny", "7.1234", "--date", "2024-03-31",
                                 "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"from": "USD", "to": "CNY", "date": "2024-03-31",
                                         "rate": "7.1234", "status": "created"}
    listed = runner.invoke(app, ["fx", "list", "--from", "USD", "--format", "json"])
    assert json.loads(listed.stdout) == {"count": 1, "items": [
        {"from": "USD", "to": "CNY", "date": "2024-03-31", "rate": "7.1234"}]}


def test_cli_fx_set_date_defaults_to_today(db, settings):
    settings.CASHLOOP_TODAY = "2024-05-06"
    result = runner.invoke(app, ["fx", "set", "EUR", "CNY", "7.8", "--format", "json"])
    assert json.loads(result.stdout)["date"] == "2024-05-06"


def test_cli_fx_set_bad_input_exits_non_zero_without_traceback(db):
    result = runner.invoke(app, ["fx", "set", "USD", "CNY", "seven", "--date", "2024-03-31"])
    assert result.exit_code == 1
    assert "cannot read rate seven" in result.stderr
    assert "Traceback" not in result.output
    bad_date = runner.invoke(app, ["fx", "set", "USD", "CNY", "7", "--date", "31/03/2024",
                                   "--format", "json"])
    assert bad_date.exit_code == 1
    assert json.loads(bad_date.stdout)["code"] == "invalid"
    assert ExchangeRate.objects.count() == 0


def test_cli_fx_import_reports_problems_and_exits_non_zero(db, tmp_path):
    path = tmp_path / "rates.csv"
    path.write_text("from_currency,to_currency,date,rate\nUSD,CNY,2024-02-30,7.1\n", encoding="utf-8")
    result = runner.invoke(app, ["fx", "import", str(path), "--format", "json"])
    assert result.exit_code == 1
    payload = json.loads(result.stdout)
    assert payload["saved"] is False
    assert payload["problems"][0]["source"] == "rates.csv:2"
    assert payload["problems"][0]["field"] == "rate_date"
    good = tmp_path / "good.csv"
    good.write_text("from_currency,to_currency,date,rate\nUSD,CNY,2024-02-29,7.1\n", encoding="utf-8")
    ok = runner.invoke(app, ["fx", "import", str(good)])
    assert ok.exit_code == 0
    assert "1 created" in ok.stdout


# --- API -------------------------------------------------------------------------------------

def _client(company, username: str, role: str) -> Client:
    add_user(username, role, company)
    return Client(HTTP_AUTHORIZATION=f"Bearer {create_token(username)}")


def test_api_post_then_get_rates_with_paging(company):
    client = _client(company, "fm", "finance_manager")
    for day, rate in (("2024-03-01", "7.0"), ("2024-03-31", "7.1234")):
        body = {"from": "USD", "to": "CNY", "date": day, "rate": rate}
        response = client.post("/api/ledger/fx/rates", body, content_type="application/json")
        assert response.status_code == 201, response.content
    assert response.json() == {"from": "USD", "to": "CNY", "date": "2024-03-31", "rate": "7.1234"}
    page = client.get("/api/ledger/fx/rates", {"from": "USD", "limit": 1, "offset": 0}).json()
    assert page["count"] == 2
    assert page["items"] == [{"from": "USD", "to": "CNY", "date": "2024-03-31", "rate": "7.1234"}]
    assert client.get("/api/ledger/fx/rates", {"to": "EUR"}).json()["count"] == 0
    entry = AuditEntry.objects.filter(object_type="exchangerate").order_by("id").last()
    assert (entry.channel, entry.actor_name) == ("api", "fm")


def test_api_refuses_bad_rate_with_json_422(company):
    client = _client(company, "fm", "finance_manager")
    response = client.post("/api/ledger/fx/rates", {"from": "USD", "to": "CNY", "date": "2024-03-31",
                                                    "rate": "0"}, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["problems"][0]["code"] == "fx.rate_not_positive"


def test_api_auditor_may_read_but_not_set_rates(company):
    client = _client(company, "aud", "auditor")
    assert client.get("/api/ledger/fx/rates").status_code == 200
    response = client.post("/api/ledger/fx/rates", {"from": "USD", "to": "CNY", "date": "2024-03-31",
                                                    "rate": "7"}, content_type="application/json")
    assert response.status_code == 403
    assert ExchangeRate.objects.count() == 0


def test_api_without_token_is_401(company):
    assert Client().get("/api/ledger/fx/rates").status_code == 401


def test_openapi_documents_rate_filters_and_body_by_their_public_names(company):
    schema = Client().get("/api/openapi.json").json()
    get = schema["paths"]["/api/ledger/fx/rates"]["get"]
    assert [p["name"] for p in get["parameters"]] == ["from", "to", "limit", "offset"]
    assert set(schema["components"]["schemas"]["RateIn"]["properties"]) == {"from", "to", "date", "rate",
                                                                          "source"}
