"""One cold start, run by benchmarks/cold_start.py in a fresh interpreter:

    python benchmarks/_cold_child.py MODULE_FILE MODULE_NAME ATTRIBUTE EVENT_FILE FUNCTION_NAME

Imports the handler module the way switchboard.local.functions.load_module does (by file,
under `switchboard_functions.<LogicalId>`), serves the event once, and prints one line
`BENCH_RESULT {...}` with the in-process times. Between the import and the event it writes
`BENCH_PHASE event` to stderr, so that `-X importtime` output can be split in two.
Only the standard library is imported before the handler module, to keep the figure clean.
"""

import time

_T0 = time.perf_counter()

import importlib.util  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import uuid  # noqa: E402


class _Context:
    """The Lambda context, as Powertools reads it."""

    def __init__(self, name: str) -> None:
        self.function_name = name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{name}"
        self.memory_limit_in_mb = 1024
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{name}"
        self.log_stream_name = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def main() -> None:
    module_file, module_name, attribute, event_file, function_name = sys.argv[1:6]
    with open(event_file, encoding="utf-8") as f:
        event = json.load(f)
    t_import = time.perf_counter()
    spec = importlib.util.spec_from_file_location(module_name, module_file)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    handler = getattr(module, attribute)
    t_event = time.perf_counter()
    sys.stderr.write("BENCH_PHASE event\n")
    sys.stderr.flush()
    result = handler(event, _Context(function_name))
    t_done = time.perf_counter()
    status = result.get("statusCode") if isinstance(result, dict) else None
    print(
        "BENCH_RESULT "
        + json.dumps(
            {
                "import_ms": (t_event - t_import) * 1000,
                "event_ms": (t_done - t_event) * 1000,
                "to_ready_ms": (t_done - _T0) * 1000,
                "served_at": time.time(),
                "status": status,
            }
        ),
        flush=True,
    )


main()
