"""The one place that reads settings and builds clients: lazily, once per container.

Nothing here runs at import time. `container()` returns the process-wide Container; tests
and the local platform call `reset_container()` after changing the environment.
"""

from __future__ import annotations

import threading

from switchboard.settings import Settings
from switchboard.wiring.experiments import ExperimentParts
from switchboard.wiring.kits import KitParts
from switchboard.wiring.prompts import PromptParts
from switchboard.wiring.tools import ToolParts
from switchboard.wiring.trace_ingestion import TraceIngestionParts
from switchboard.wiring.usage import UsageParts
from switchboard.wiring.vectors import VectorParts
from switchboard.wiring.videos import VideoParts


class Container(
    ExperimentParts,
    VectorParts,
    VideoParts,
    KitParts,
    ToolParts,
    PromptParts,
    TraceIngestionParts,
    UsageParts,
):
    """Everything a container builds, each part once, when first asked (wiring/ holds the
    parts: the core, videos, kits, built-in tools, prompts, traces, experiments, self-service
    usage, and the vector stores on the files and batches)."""


_container: Container | None = None
_container_lock = threading.Lock()


def container() -> Container:
    global _container
    if _container is None:
        with _container_lock:
            if _container is None:
                _container = Container()
    return _container


def reset_container(settings: Settings | None = None) -> Container:
    """Start over (tests, the local platform): the next call builds everything again."""
    global _container
    with _container_lock:
        _container = Container(settings)
    return _container
