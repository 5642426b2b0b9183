"""Settings: one object whose fields are exactly the template's environment keys."""

from __future__ import annotations

from dataclasses import fields

import pytest

from switchboard.local.template import Template
from switchboard.settings import Settings
from tests.conftest import TEMPLATE

# Keys that belong to the runtime around our code, not to our settings.
RUNTIME_KEYS = ("POWERTOOLS_", "PYDANTIC_", "AWS_LWA_", "AWS_LAMBDA_EXEC_WRAPPER")


def test_fields_match_the_template_environment() -> None:
    template = Template.load(TEMPLATE)
    keys: set[str] = set()
    for function in template.functions():
        keys |= {k for k in function.environment if not k.startswith(RUNTIME_KEYS)}
    assert keys == {field.name for field in fields(Settings)}


def test_values_are_converted_and_empty_means_default() -> None:
    settings = Settings.from_env(
        {"KEY_CACHE_SECONDS": "2.5", "MAX_BODY_BYTES": "10", "TABLE_NAME": "t", "MODEL_CATALOG": ""}
    )
    assert settings.KEY_CACHE_SECONDS == 2.5 and settings.MAX_BODY_BYTES == 10
    assert settings.TABLE_NAME == "t" and settings.MODEL_CATALOG == ""
    assert Settings.from_env({}).API_KEY_PREFIX == "sb_"


def test_a_bad_number_names_the_variable() -> None:
    with pytest.raises(ValueError, match="MAX_BODY_BYTES"):
        Settings.from_env({"MAX_BODY_BYTES": "lots"})
