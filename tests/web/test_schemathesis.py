"""Schemathesis against the OpenAPI schema: no input may produce a 5xx or break the schema."""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from veerkracht.web.app import create_app


@pytest.fixture(scope="module")
def api(web_store):
    return create_app(str(web_store))


def test_no_input_gives_a_server_error(api):
    schema = schemathesis.openapi.from_asgi("/openapi.json", api)
    failures, calls = [], []
    for op in schema.get_all_operations():
        operation = op.ok()

        @settings(max_examples=40, deadline=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def check(case):
            response = case.call()
            calls.append(response.status_code)
            if response.status_code >= 500:
                failures.append((case.method, case.formatted_path, case.query, response.status_code, response.text[:200]))
            assert "Traceback" not in response.text

        check()
    assert not failures, failures
    assert len(calls) >= 8 * 20, len(calls)               # every operation was exercised
    assert any(c == 200 for c in calls) and any(400 <= c < 500 for c in calls)
