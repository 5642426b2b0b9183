"""The container's built-in tools (tools/) and the chat tool loop that runs them."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from switchboard.wiring.core import CoreParts

if TYPE_CHECKING:
    from switchboard.domain.tools import BuiltinTool
    from switchboard.services.tool_loop import ToolLoop


class ToolParts(CoreParts):
    @cached_property
    def builtin_tools(self) -> dict[str, BuiltinTool]:
        """Every built-in tool by name, in the order they are offered to models."""
        from switchboard.tools.calculator import CalculatorTool

        tools: list[BuiltinTool] = [CalculatorTool()]
        return {tool.name: tool for tool in tools}

    @cached_property
    def tool_loop(self) -> ToolLoop:
        from switchboard.services.tool_loop import ToolLoop

        settings = self.settings
        return ToolLoop(
            self.inference,
            self.builtin_tools,
            max_rounds=settings.TOOL_MAX_ROUNDS,
            budget_seconds=settings.TOOL_BUDGET_SECONDS,
        )
