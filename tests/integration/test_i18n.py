"""The web app in Simplified Chinese (the default) and English; the CLI and its JSON stay English."""

from __future__ import annotations

import gettext
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from typer.testing import CliRunner

from cashloop.accounts.services import add_user, create_token
from cashloop.core.importing.issues import RowProblem
from cashloop.core.problems import Problem, gettext_noop
from tests.integration.test_reports_ledger import make_ledger

FILES = Path(__file__).resolve().parents[1] / "files"
CATALOG = Path(settings.LOCALE_PATHS[0]) / "zh_Hans" / "LC_MESSAGES"

# Per page: labels that must appear in Chinese, and their English sources that must not.
PAGES = {
    "dashboard": (["总览", "应收账款总额", "逾期金额最高的客户", "回款有效性指数（CEI）"],
                  ["Dashboard", "Total receivables", "Top overdue customers", "Log out"]),
    "customer_list": (["客户", "全部销售代表", "每页行数", "信用额度"],
                      ["All sales reps", "Rows per page", "Credit limit", "Customers"]),
    "invoice_list": (["发票", "筛选", "逾期天数", "客户代码"],
                     ["Filter", "Days overdue", "Customer code", "Invoices"]),
    "aging_page": (["账龄分析", "未到期", "截止日期", "分组方式", "合计"],
                   ["not yet due", "Group by", "As of", "Aging", "Total"]),
    "metrics_page": (["回款指标", "回款有效性指数（CEI）", "应收账款周转天数（标准法）", "计算依据"],
                     ["Collection metrics", "DSO, standard method", "Inputs", "AR turnover"]),
    "import_page": (["导入", "最近导入", "预览", "日期格式"],
                    ["Recent imports", "Preview", "Date format", "Upload a CSV"]),
    "job_list": (["后台任务", "全部状态", "提交人", "还没有任务。"],
                 ["Background jobs", "All statuses", "Started by", "No jobs yet.", "Jobs"]),
}


def _entries(po_text: str) -> list[str]:
    return [block for block in po_text.split("\n\n") if "msgid " in block]


def _unquote(lines: list[str]) -> str:
    return "".join(json.loads(line) for line in lines)


def _field(block: str, name: str) -> list[str]:
    """The (joined) values of `name` in a PO entry: msgid, msgid_plural, msgstr, msgstr[n]."""
    values, current = [], None
    for line in block.splitlines():
        if line.startswith("#"):
            continue
        m = re.match(r'^(msgid_plural|msgid|msgstr(?:\[\d+\])?) (".*")$', line)
        if m:
            current = [m.group(2)] if re.fullmatch(rf"{name}(\[\d+\])?", m.group(1)) else None
            if current is not None:
                values.append(current)
        elif current is not None and line.startswith('"'):
            current.append(line)
    return [_unquote(v) for v in values]


def _visible(html: str) -> str:
    """The page's text and attribute values people read, without scripts."""
    html = re.sub(r"<script.*?</script>", " ", html, flags=re.S)
    return html


def test_every_msgid_has_a_chinese_msgstr_and_nothing_is_fuzzy():
    po = (CATALOG / "django.po").read_text(encoding="utf-8")
    entries = _entries(po)
    assert len(entries) > 300
    assert "#, fuzzy" not in po and "fuzzy" not in "".join(
        line for line in po.splitlines() if line.startswith("#,"))
    empty = []
    for block in entries:
        (msgid,) = _field(block, "msgid")
        if msgid == "":  # the header
            continue
        if not all(s.strip() for s in _field(block, "msgstr")):
            empty.append(msgid)
    assert empty == []
    mo = CATALOG / "django.mo"
    assert mo.is_file() and mo.stat().st_mtime >= (CATALOG / "django.po").stat().st_mtime - 5


def test_compiled_catalog_holds_every_translation_of_the_po():
    """django.mo is compiled from django.po as committed (`msgfmt -o django.mo django.po`)."""
    with (CATALOG / "django.mo").open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)._catalog  # type: ignore[attr-defined]
    stale = []
    for block in _entries((CATALOG / "django.po").read_text(encoding="utf-8")):
        msgids, texts = _field(block, "msgid"), _field(block, "msgstr")
        if not msgids or not msgids[0]:  # the header
            continue
        if _field(block, "msgid_plural"):
            found = [compiled.get((msgids[0], n)) for n in range(len(texts))]
        else:
            found = [compiled.get(msgids[0])]
        if found != texts:
            stale.append(msgids[0])
    assert stale == []


def test_every_message_marked_in_the_code_has_a_chinese_translation(tmp_path):
    """`makemessages` over a copy of the package finds nothing the catalog does not translate: a
    new gettext / gettext_noop template or {% translate %} text without its Chinese fails here
    (a page or an API error would show it in English)."""
    if not all(shutil.which(tool) for tool in ("xgettext", "msguniq", "msgmerge")):
        pytest.skip("the GNU gettext tools are not installed")
    package = CATALOG.parents[2]
    committed = (CATALOG / "django.po").read_bytes()
    copy = tmp_path / "cashloop"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__", "static"))
    subprocess.run([sys.executable, "-m", "django", "makemessages", "-l", "zh_Hans",
                    "--no-obsolete"], cwd=copy, check=True, capture_output=True,
                   env={**os.environ, "DJANGO_SETTINGS_MODULE": "cashloop.config.settings"})
    assert (CATALOG / "django.po").read_bytes() == committed  # only the copy was written
    untranslated = []
    for block in _entries((copy / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po").read_text(
            encoding="utf-8")):
        msgids = _field(block, "msgid")
        if not msgids or not msgids[0]:
            continue
        fuzzy = any(line.startswith("#,") and "fuzzy" in line for line in block.splitlines())
        if fuzzy or not all(text.strip() for text in _field(block, "msgstr")):
            untranslated.append(msgids[0])  # fuzzy: msgmerge's guess from a similar message
    assert untranslated == []


def test_placeholders_survive_translation():
    po = (CATALOG / "django.po").read_text(encoding="utf-8")
    marker = re.compile(r"%\(\w+\)s|\{\w+\}")
    for block in _entries(po):
        (msgid,) = _field(block, "msgid")
        plural = _field(block, "msgid_plural")
        source = set(marker.findall(plural[0] if plural else msgid))
        for text in _field(block, "msgstr"):
            if msgid:
                assert set(marker.findall(text)) == source, msgid


@pytest.fixture
def logged_in(company, settings):
    settings.CASHLOOP_TODAY = "2024-06-30"
    make_ledger(company, seed=7, n=30)
    add_user("boss", "admin", company, password="pw-secret")

    def client(**headers) -> Client:
        c = Client(**headers)
        assert c.login(username="boss", password="pw-secret")
        return c

    return client


@pytest.mark.django_db
@pytest.mark.parametrize("url", list(PAGES))
def test_pages_are_chinese_for_zh_hans(logged_in, url):
    page = logged_in(HTTP_ACCEPT_LANGUAGE="zh-hans").get(reverse(url))
    assert page.status_code == 200
    html = _visible(page.content.decode())
    assert '<html lang="zh-hans">' in html
    chinese, english = PAGES[url]
    for text in chinese:
        assert text in html, text
    for text in english:
        assert not re.search(rf">\s*{re.escape(text)}\s*<", html), text
        assert f'"{text}"' not in html, text


@pytest.mark.django_db
def test_chinese_is_the_default_and_the_cookie_chooses(logged_in):
    plain = logged_in().get(reverse("dashboard")).content.decode()
    assert "应收账款总额" in plain  # LANGUAGE_CODE zh-hans without any preference
    client = logged_in(HTTP_ACCEPT_LANGUAGE="zh-hans")
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    english = client.get(reverse("dashboard")).content.decode()
    assert "Total receivables" in english and "应收账款总额" not in english


@pytest.mark.django_db
@pytest.mark.parametrize("url", list(PAGES))
def test_pages_are_english_for_en(logged_in, url):
    page = logged_in(HTTP_ACCEPT_LANGUAGE="en").get(reverse(url))
    assert page.status_code == 200
    html = _visible(page.content.decode())
    assert '<html lang="en">' in html
    _, english = PAGES[url]
    for text in english:
        assert text in html, text
    # The navigation and the page's own labels are English (the metrics page names each metric in
    # both languages by design, so only its English labels are checked there).
    for text in ("总览", "导入", "发票", "审计日志", "退出登录"):
        assert text not in html, text


def _upload() -> SimpleUploadedFile:
    return SimpleUploadedFile("invoices_malformed.csv",
                              (FILES / "invoices_malformed.csv").read_bytes(), content_type="text/csv")


@pytest.mark.django_db
def test_import_problems_are_chinese_in_the_api_and_english_in_the_cli(company, tmp_path,
                                                                         monkeypatch):
    monkeypatch.setenv("CASHLOOP_DATA_DIR", str(tmp_path))
    add_user("fm", "finance_manager", company, password="pw-123456")
    token = create_token("fm")
    zh = Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_ACCEPT_LANGUAGE="zh-hans")
    response = zh.post("/api/imports/invoices", {"file": _upload()})
    assert response.status_code == 422
    body = response.json()
    messages = {p["code"]: p["message"] for p in body["problems"]}
    assert messages["amount.unreadable"] == "无法识别金额 abc"
    assert messages["date.unreadable"].startswith("无法识别日期 2024-13-45")
    assert "第 2 行" in messages["duplicate.conflict"]
    assert set(body) >= {"status", "rows", "problems", "problems_total"}  # the same keys
    assert {p["code"] for p in body["problems"]} >= {"amount.unreadable", "date.unreadable"}

    en = Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_ACCEPT_LANGUAGE="en")
    english = en.post("/api/imports/invoices", {"file": _upload()}).json()
    assert {p["code"]: p["message"] for p in english["problems"]}["amount.unreadable"] == (
        "cannot read amount abc")

    # A refusal carrying a core problem (the aging buckets) is translated in the error JSON too.
    refused = zh.get("/api/reports/aging", {"buckets": "90,30"})
    assert refused.status_code == 422
    assert refused.json()["message"].startswith("账龄区间须为递增的整数天数")
    assert refused.json()["problems"][0]["code"] == "aging.bad_buckets"

    from cashloop.config.cli import app

    path = tmp_path / "invoices_malformed.csv"
    path.write_bytes((FILES / "invoices_malformed.csv").read_bytes())
    result = CliRunner().invoke(app, ["import", "invoices", str(path), "--format", "json"])
    cli = json.loads(result.stdout)
    cli_messages = {p["code"]: p["message"] for p in cli["problems"]}
    assert cli_messages["amount.unreadable"] == "cannot read amount abc"
    assert cli_messages["date.unreadable"].startswith("cannot read date 2024-13-45")
    assert "line 2" in cli_messages["duplicate.conflict"]
    assert not re.search(r"[\u4e00-\u9fff]", json.dumps(cli, ensure_ascii=False).replace(
        company.name, ""))


@pytest.mark.django_db
def test_import_page_problems_are_chinese(company, tmp_path, monkeypatch):
    monkeypatch.setenv("CASHLOOP_DATA_DIR", str(tmp_path))
    add_user("clerk", "collector", company, password="pw-123456")
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert client.login(username="clerk", password="pw-123456")
    preview = client.post("/import/preview/", {"kind": "invoices", "file": _upload()},
                          HTTP_HX_REQUEST="true")
    html = preview.content.decode()
    assert preview.status_code == 200
    assert "无法识别金额 abc" in html and "cannot read amount" not in html
    assert "预览" in html and "列映射" in html


def test_problem_text_translates_core_templates_and_keeps_english_text():
    from django.utils import translation

    from cashloop.web.i18n import problem_text

    problem = Problem("x.csv:3", "amount", "amount.unreadable",
                      gettext_noop("cannot read amount {value}"), (("value", "abc"),))
    row = RowProblem(4, "金额", "amount", "abc", "amount.unreadable", "cannot read amount {value}")
    with translation.override("zh-hans"):
        assert problem_text(problem) == "无法识别金额 abc"
        assert problem_text(row) == "无法识别金额 abc"
        assert problem.text() == "cannot read amount abc"  # the core never translates
    with translation.override("en"):
        assert problem_text(problem) == "cannot read amount abc"
    untranslated = Problem("", None, "x", "no such message {value}", (("value", "1"),))
    with translation.override("zh-hans"):
        assert problem_text(untranslated) == "no such message 1"
