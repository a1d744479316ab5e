"""schemathesis over the OpenAPI schema: no input, however odd, makes the API answer 500."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from cashloop.config.wsgi import application

pytestmark = pytest.mark.e2e

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)


@pytest.fixture
def token(db, company):
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
