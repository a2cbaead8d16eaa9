"""The depth-bounded JSON parser used by every entry point."""

from __future__ import annotations

import pytest

from yiyang.core import safejson


def test_parses_ordinary_json() -> None:
    assert safejson.loads(b'{"a": [1, {"b": null}]}') == {"a": [1, {"b": None}]}


def test_depth_at_the_limit_is_accepted_and_one_more_is_refused() -> None:
    assert safejson.loads("[" * 5 + "]" * 5, max_depth=5) == [[[[[]]]]]
    with pytest.raises(safejson.JSONError, match="nested more than 5 levels"):
        safejson.loads("[" * 6 + "]" * 6, max_depth=5)


def test_very_deep_body_is_a_clear_error_not_a_recursion_error() -> None:
    # Beyond orjson's own cap (1,024 levels) too: said as too deep, not as "not JSON".
    with pytest.raises(safejson.JSONTooDeepError, match="nested more than 32 levels"):
        safejson.loads('{"a":' * 5000 + "1" + "}" * 5000)


def test_not_json_is_a_clear_error() -> None:
    with pytest.raises(safejson.JSONError, match="not JSON"):
        safejson.loads(b"{nope")


def test_deep_api_body_answers_400_not_500(client) -> None:
    response = client.post(
        "/api/v1/auth/token/", data="[" * 100 + "]" * 100, content_type="application/json"
    )
    assert response.status_code == 400
    assert "nested more than 32 levels" in response.json()["detail"]
