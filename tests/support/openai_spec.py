"""Validates response bodies against OpenAI's published OpenAPI spec.

The spec lives outside the project (../shared/spec/openai-openapi.yaml); where it is absent,
tests that need it are skipped with the reason, so the project stands on its own.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SPEC_PATH = ROOT.parent / "shared" / "spec" / "openai-openapi.yaml"
SPEC_URI = "urn:openai-openapi"


@functools.cache
def _registry() -> Any:
    import yaml
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    if not SPEC_PATH.exists():
        pytest.skip(
            f"OpenAI's spec is not at {SPEC_PATH}; response bodies are not checked against it"
        )
    spec = yaml.load(SPEC_PATH.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    resource = Resource.from_contents(_nullable_to_null(spec), default_specification=DRAFT202012)
    return Registry().with_resource(SPEC_URI, resource)


def _nullable_to_null(node: Any) -> Any:
    """The spec still uses OpenAPI 3.0's `nullable: true`; say it in JSON Schema terms."""
    if isinstance(node, list):
        return [_nullable_to_null(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: _nullable_to_null(value) for key, value in node.items() if key != "nullable"}
    if node.get("nullable") is True:
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


@functools.cache
def _validator(schema_name: str) -> Any:
    from jsonschema import Draft202012Validator

    schema = {"$ref": f"{SPEC_URI}#/components/schemas/{schema_name}"}
    return Draft202012Validator(schema, registry=_registry())


def assert_matches_spec(body: Any, schema_name: str) -> None:
    """Fail with every violation listed if `body` does not match the named schema."""
    errors = sorted(_validator(schema_name).iter_errors(body), key=lambda e: list(e.path))
    if errors:
        details = "\n".join(f"  at {list(e.path)}: {e.message[:300]}" for e in errors[:10])
        raise AssertionError(f"response does not match OpenAI's {schema_name}:\n{details}")
