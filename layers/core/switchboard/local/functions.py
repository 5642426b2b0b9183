"""Loads a function folder's `app.py` the way Lambda would: by its CodeUri and Handler.

A function whose Handler is a shell script (the Lambda Web Adapter's run.sh) is loaded
through its `app.py` too: it exports the same ASGI `app` and a Mangum `handler`.
"""

from __future__ import annotations

import importlib.util
import sys
import time
import uuid
from types import ModuleType
from typing import Any

from switchboard.local.template import FunctionSpec


def load_module(spec: FunctionSpec) -> ModuleType:
    module_file, _ = handler_parts(spec)
    path = spec.code_uri / f"{module_file}.py"
    name = f"switchboard_functions.{spec.logical_id}"
    if name in sys.modules:
        return sys.modules[name]
    loader_spec = importlib.util.spec_from_file_location(name, path)
    if loader_spec is None or loader_spec.loader is None:
        raise ImportError(f"{spec.logical_id}: cannot load {path}")
    module = importlib.util.module_from_spec(loader_spec)
    sys.modules[name] = module
    loader_spec.loader.exec_module(module)
    return module


def load_handler(spec: FunctionSpec) -> Any:
    _, attribute = handler_parts(spec)
    return getattr(load_module(spec), attribute)


def handler_parts(spec: FunctionSpec) -> tuple[str, str]:
    if spec.handler.endswith(".sh") or "." not in spec.handler:
        return "app", "handler"
    module, _, attribute = spec.handler.rpartition(".")
    return module.replace(".", "/"), attribute


class LocalContext:
    """The Lambda context object, as handlers and Powertools read it."""

    def __init__(self, spec: FunctionSpec, arn: str, timeout_seconds: float = 30.0) -> None:
        self.function_name = spec.logical_id
        self.function_version = "$LATEST"
        self.invoked_function_arn = arn
        self.memory_limit_in_mb = 1024
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{spec.logical_id}"
        self.log_stream_name = "local"
        self._deadline = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))
