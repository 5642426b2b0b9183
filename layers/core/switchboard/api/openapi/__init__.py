"""The OpenAPI 3.1 description of every route, generated (see document.py)."""

from switchboard.api.openapi.document import build_document
from switchboard.api.openapi.operation import Operation, Param
from switchboard.api.openapi.operations import declared_operations

__all__ = ["Operation", "Param", "build_document", "declared_operations"]
