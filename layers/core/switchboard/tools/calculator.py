"""The `calculator` tool: exact arithmetic by domain/calculator.py (no I/O, no eval)."""

from __future__ import annotations

from typing import Any

from switchboard.domain.calculator import CalculationError, evaluate
from switchboard.domain.tools import ToolContext, ToolResult


class CalculatorTool:
    name = "calculator"
    description = (
        "Evaluate an arithmetic expression exactly: + - * / // % **, parentheses, percent "
        "(15% of 80), and sqrt, log, ln, log10, exp, sin, cos, tan, abs, round, floor, ceil, "
        "factorial, pi, e."
    )
    parameters: dict[str, Any] = {
        "type": "object",
        "properties": {"expression": {"type": "string", "description": "e.g. (2+3)*4^2"}},
        "required": ["expression"],
    }

    async def run(
        self, arguments: dict[str, Any], context: ToolContext | None = None
    ) -> ToolResult:
        expression = arguments.get("expression")
        if not isinstance(expression, str) or not expression.strip():
            return ToolResult("Error: give the expression to calculate as a string.")
        try:
            return ToolResult(evaluate(expression))
        except CalculationError as exc:
            return ToolResult(f"Error: {exc}")
