"""The first minute of a new user: log in, see the dashboard, switch language, make a token."""

import pytest

from cashloop.accounts.services import add_user

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_login_dashboard_language_and_token(browser_page, company):
    add_user("boss", "admin", company, password="boss-pw-1")
    page = browser_page
    page.goto("/")
    page.fill("input[name=username]", "boss")
    page.fill("input[name=password]", "boss-pw-1")
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert company.name in page.content()

    with page.expect_navigation():
        page.select_option("select[name=language]", "zh-hans")
    assert page.get_attribute("html", "lang") == "zh-hans"
    assert "Log out" not in page.inner_text("header")

    page.goto("/profile/")
    page.fill("input[name=name]", "erp sync")
    page.click("form:not(.lang):not(.inline) button[type=submit]")
    token = page.inner_text("#new-token")
    assert token.startswith("cl_")
