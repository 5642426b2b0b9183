"""Every route's declaration, one module per module of api/routes/ (same name).

A module here exports `OPERATIONS`, a list of `Operation`s; this package collects all of them,
so a new routes module only needs its sibling here (tests/unit/test_openapi.py fails on a
mounted route that no module declares).
"""

from __future__ import annotations

import importlib
import pkgutil

from switchboard.api.openapi.operation import Operation


def declared_operations() -> list[Operation]:
    operations: list[Operation] = []
    for module in pkgutil.iter_modules(__path__):
        loaded = importlib.import_module(f"{__name__}.{module.name}")
        operations.extend(getattr(loaded, "OPERATIONS", ()))
    return operations
