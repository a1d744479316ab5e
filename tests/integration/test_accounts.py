import pytest
from django.test import Client

from cashloop.accounts.services import add_user, create_token, role_of, user_for_token
from cashloop.core.problems import Invalid


def test_user_gets_role_in_company(company):
    user, password = add_user("li.ming", "collector", company)
    assert password
    assert role_of(user, company) == "collector"


def test_unknown_role_is_refused(company):
    with pytest.raises(Invalid):
        add_user("x", "king", company)


def test_token_authenticates_and_only_its_digest_is_stored(company):
    from cashloop.accounts.models import ApiToken

    user, _ = add_user("api.user", "auditor", company)
    token = create_token("api.user")
    assert user_for_token(token) == user
    assert user_for_token(token + "x") is None
    assert not ApiToken.objects.filter(digest=token).exists()


def test_a_tokens_last_use_is_written_at_most_every_ten_minutes(company):
    """A client polling a background job must not write on every request (on SQLite each write
    waits for the running import's write lock)."""
    from datetime import timedelta

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from cashloop.accounts.models import ApiToken

    add_user("poller", "collector", company)
    token = create_token("poller")
    user_for_token(token)
    first = ApiToken.objects.get().last_used_at
    assert first is not None
    with CaptureQueriesContext(connection) as queries:
        user_for_token(token)
    assert not any(q["sql"].startswith("UPDATE") for q in queries)
    ApiToken.objects.update(last_used_at=first - timedelta(minutes=11))
    user_for_token(token)
    assert ApiToken.objects.get().last_used_at > first


def test_api_without_token_is_json_401(company):
    response = Client().get("/api/openapi.json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Cashloop API"


def test_login_page_and_dashboard_redirect(company):
    client = Client()
    assert client.get("/").status_code == 302
    add_user("boss", "admin", company, password="secret-pw")
    assert client.login(username="boss", password="secret-pw")
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert company.name in page.content.decode()
