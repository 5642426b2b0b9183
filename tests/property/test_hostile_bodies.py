"""Hostile request bodies on every route that reads one: every answer OpenAI-shaped, none 5xx.

Two tests. The first always sends the same named cases, one per route and kind (deep nesting,
lone surrogates, empty strings, bytes that are not UTF-8, numbers that overflow), so each
known failure has a readable name and a body anyone can resend. The second draws bodies with
hypothesis: made by schemathesis from the route's JSON schema (valid and malformed), a valid
body with one value made hostile, a valid body with an extra hostile field, or any JSON at all,
written as escaped ASCII, as UTF-8 (lone surrogates then become bytes that are not UTF-8), or
as Latin-1.
"""

from __future__ import annotations

import functools
from typing import Any

import pytest
from anyio.from_thread import BlockingPortal
from hypothesis import event, given
from hypothesis import strategies as st

from switchboard.local.platform import Platform
from tests.property import hostile
from tests.property.conftest import Callers
from tests.property.routes import ROUTES, Route, openapi_document
from tests.property.sweep import NONCE, SWEEP, TIMEOUT, assert_openai_shaped, send

pytestmark = TIMEOUT


def named_cases() -> list[Any]:
    cases = []
    for route in ROUTES:
        for label, body in cases_for(route):
            cases.append(pytest.param(route, body, id=f"{route} {label}"))
    return cases


def cases_for(route: Route) -> list[tuple[str, bytes]]:
    def dumped(value: Any) -> bytes:
        return hostile.dumps(value).encode("ascii")

    first_string = route.strings[0][-1]
    cases = [
        ("empty body", b""),
        ("[ x10000", hostile.deep_array()),
        ('{"a": x10000', hostile.deep_object()),
        (
            f"extra field {hostile.SHALLOW_DEEP} deep",
            dumped({**route.valid, "extra": hostile.nested(hostile.SHALLOW_DEEP)}),
        ),
        (f"{first_string} not UTF-8", non_utf8(route)),
    ]
    for path in route.strings:
        for label, text in STRINGS.items():
            cases.append((f"{_name(path)}={label}", dumped(route.with_value(path, text))))
    for path in route.numbers:
        for label, number in hostile.HUGE_NUMBERS.items():
            cases.append((f"{_name(path)}={label}", dumped(route.with_value(path, number))))
        for text in ("1e999999999999", "-1e999999999999"):
            cases.append((f'{_name(path)}="{text}"', dumped(route.with_value(path, text))))
    return cases


# Strings for every string field: lone surrogates alone and in text (they take different
# paths through tokenizers), empty, and longer than a DynamoDB key may be (2048 bytes).
STRINGS = {
    "lone surrogate": "\ud800",
    "lone surrogate in text": "x\udfff y",
    "empty": "",
    "2049 characters": "x" * 2049,
}


def non_utf8(route: Route) -> bytes:
    """The valid body, with the first string holding bytes that are not UTF-8."""
    path = route.strings[0]
    marker = "NON-UTF8-HERE"
    text = hostile.dumps(route.with_value(path, marker)).encode()
    return text.replace(marker.encode(), b"caf\xe9 \xff\xfe")


def _name(path: tuple[str | int, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")


@pytest.mark.parametrize(("route", "body"), named_cases())
def test_named_hostile_body(
    platform: Platform, portal: BlockingPortal, callers: Callers, route: Route, body: bytes
) -> None:
    observed = portal.call(
        send, platform.app, route.method, route.url(callers), body, route.headers(callers)
    )
    assert_openai_shaped(observed)


@functools.cache
def bodies(route_name: str) -> st.SearchStrategy[Any]:
    route = next(r for r in ROUTES if str(r) == route_name)
    leaves = route.strings + route.numbers
    options = [
        st.builds(route.with_value, st.sampled_from(leaves), hostile.hostile_values),
        st.builds(
            lambda key, value: {**route.valid, key: value},
            st.one_of(st.text(max_size=10), hostile.surrogate_text),
            hostile.hostile_values,
        ),
        hostile.json_values,
    ]
    if route.schema is not None:
        options.insert(0, schema_bodies(route))
    return st.one_of(options)


def schema_bodies(route: Route) -> st.SearchStrategy[Any]:
    """Bodies schemathesis makes from the route's schema, valid (positive) and not (negative)."""
    from schemathesis import GenerationMode

    operation = own_routes_schema()[route.path][route.method]
    return st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    ).map(lambda case: case.body)


@functools.cache
def own_routes_schema() -> Any:
    import schemathesis

    schema = schemathesis.openapi.from_dict(openapi_document())
    schema.hook("map_body")(fresh_email)
    return schema


def fresh_email(context: Any, body: Any) -> Any:
    """Logins are limited per address and users are unique by it: a fresh one each send."""
    if isinstance(body, dict) and isinstance(body.get("email"), str):
        return {**body, "email": NONCE + body["email"]}
    return body


@pytest.mark.parametrize("route", ROUTES, ids=str)
@SWEEP
@given(data=st.data())
def test_generated_hostile_body(
    platform: Platform, portal: BlockingPortal, callers: Callers, route: Route, data: st.DataObject
) -> None:
    value = data.draw(bodies(str(route)), label="body")
    encoding = data.draw(hostile.encodings, label="encoding")
    body = value if isinstance(value, bytes) else hostile.serialize(value, encoding)
    observed = portal.call(
        send, platform.app, route.method, route.url(callers), body, route.headers(callers)
    )
    event(f"status {observed.status}")
    assert_openai_shaped(observed)
