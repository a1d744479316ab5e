"""schemathesis over the OpenAPI schema: no input, however odd, makes the API answer 500."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from cashloop.config.wsgi import application

pytestmark = pytest.mark.e2e

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)


@pytest.fixture
def keep_test_connection():
    """Django closes connections after each WSGI request; inside a test transaction it must not."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def token(db, company, keep_test_connection):
    from cashloop.accounts.services import add_user, create_token

    add_user("schema.bot", "admin", company, password="schema-bot-pw")
    return create_token("schema.bot")


@schema.parametrize()
@settings(
    max_examples=20, deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.filter_too_much],
)
def test_api_never_answers_500(case, token):
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=[not_a_server_error])
