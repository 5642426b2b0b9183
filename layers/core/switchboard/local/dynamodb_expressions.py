"""DynamoDB expressions for the emulator's fast path (local/dynamodb_fast_path.py), parsed
once per expression text instead of once per request.

    condition = conditions.bind(expression, names, values)   # moto's own condition tree
    plan = update_plan(expression)                           # None: not a shape we run

Conditions are moto's: the text is parsed once by moto's parser, with stand-ins for the
placeholders, and compiled into a function that builds, for each request, a copy of that
tree with its own names and values, so a condition is evaluated by moto's code, as before.
Update expressions are run here, for top-level attributes named by placeholders
(`SET #a = :v`, `#a = #a + :v`, `#a = if_not_exists(#a, :v)`, `REMOVE #a`, `ADD #a :v`,
`DELETE #a :v`); any other shape (nested paths, functions beyond if_not_exists, bare names,
syntax errors) returns None and the request takes moto's path, which gives moto's answer
or moto's error.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from moto.dynamodb.comparisons import (
    AttributePath,
    AttributeValue,
    ConditionExpressionParser,
    Func,
    Op,
    OpDefault,
    OpNot,
)

_STAND_IN = "\x00"  # marks a placeholder in a parsed template; no DynamoDB name holds it
_CACHE_LIMIT = 4096


class Unsupported(Exception):
    """This request is not one the fast path runs: moto runs it instead."""


# --- conditions -------------------------------------------------------------------------


Binder = Callable[[dict[str, str], dict[str, Any]], Any]


@dataclass(frozen=True)
class ConditionTemplate:
    build: Binder  # the tree, with a request's names and values
    names: frozenset[str]  # placeholders the expression uses
    values: frozenset[str]


class Conditions:
    """Parsed condition templates, by (expression, the placeholders a request defines)."""

    def __init__(self) -> None:
        self._templates: dict[tuple[str, frozenset[str], frozenset[str]], ConditionTemplate] = {}

    def template(
        self, expression: str, names: dict[str, str], values: dict[str, Any]
    ) -> ConditionTemplate:
        key = (expression, frozenset(names), frozenset(values))
        found = self._templates.get(key)
        if found is None:
            found = _parse_condition(expression, key[1], key[2])
            if len(self._templates) >= _CACHE_LIMIT:
                self._templates.clear()
            self._templates[key] = found
        return found

    def bind(
        self, template: ConditionTemplate, names: dict[str, str], values: dict[str, Any]
    ) -> Any:
        """The template's tree with this request's names and values (moto's node classes)."""
        try:
            return template.build(names, values)
        except Unsupported:
            raise
        except Exception as exc:  # moto refuses these values (e.g. BETWEEN a NULL): its error
            raise Unsupported from exc


def _parse_condition(
    expression: str, names: frozenset[str], values: frozenset[str]
) -> ConditionTemplate:
    parser = ConditionExpressionParser(
        expression,
        {name: _STAND_IN + name for name in names},
        {value: {"S": _STAND_IN + value} for value in values},
    )
    try:
        tree = parser.parse()
    except Exception as exc:  # a syntax error, an undefined placeholder: moto says which
        raise Unsupported from exc
    if isinstance(tree, OpDefault):
        raise Unsupported
    return ConditionTemplate(
        _binder(tree),
        frozenset(parser.expr_attr_names_found),
        frozenset(parser.expr_attr_values_found),
    )


def _binder(node: Any) -> Binder:
    """A function that builds this node anew with a request's names and values."""
    if isinstance(node, AttributeValue):
        value = node.value[1:]
        return lambda names, values: AttributeValue(values[value])
    if isinstance(node, AttributePath):
        parts = [_path_part(part) for part in node.path]
        return lambda names, values: AttributePath(
            [names[part] if is_name else part for is_name, part in parts]
        )
    if isinstance(node, OpNot):
        operand = _binder(node.lhs)
        return lambda names, values: OpNot(operand(names, values))
    if isinstance(node, Op):
        op, lhs, rhs = type(node), _binder(node.lhs), _binder(node.rhs)
        return lambda names, values: op(lhs(names, values), rhs(names, values))
    if isinstance(node, Func):
        func, arguments = type(node), [_binder(argument) for argument in node.arguments]
        return lambda names, values: func(*(argument(names, values) for argument in arguments))
    raise Unsupported(f"condition node {type(node).__name__}")


def _path_part(part: Any) -> tuple[bool, Any]:
    """(True, a name placeholder) or (False, the part itself)."""
    if isinstance(part, str) and part.startswith(_STAND_IN):
        return True, part[1:]
    return False, part


# --- update expressions -----------------------------------------------------------------

# An operand: ("value", ":v") | ("path", "#n") | ("if_not_exists", "#n", operand)
# A SET value: an operand, or ("+" | "-", operand, operand)
Operand = tuple[Any, ...]


@dataclass(frozen=True)
class Action:
    clause: str  # SET, REMOVE, ADD, DELETE
    target: str  # a name placeholder
    value: Operand | None = None  # SET: its value; ADD, DELETE: ("value", ":v")


@dataclass(frozen=True)
class UpdatePlan:
    actions: tuple[Action, ...]
    names: frozenset[str]
    values: frozenset[str]


_TOKEN = re.compile(
    r"\s*(?:(#[A-Za-z0-9_]+)|(:[A-Za-z0-9_]+)|([A-Za-z_][A-Za-z0-9_]*)|([=+\-(),]))"
)
_CLAUSES = {"SET", "REMOVE", "ADD", "DELETE"}
_plans: dict[str, UpdatePlan | None] = {}


def update_plan(expression: str) -> UpdatePlan | None:
    """The expression as actions, or None when it is not a shape the fast path runs."""
    if expression not in _plans:
        if len(_plans) >= _CACHE_LIMIT:
            _plans.clear()
        _plans[expression] = _parse_update(expression)
    return _plans[expression]


def _tokens(expression: str) -> list[str] | None:
    tokens, position = [], 0
    expression = expression.rstrip()
    while position < len(expression):
        match = _TOKEN.match(expression, position)
        if match is None:
            return None
        tokens.append(match.group(match.lastindex or 0))
        position = match.end()
    return tokens


def _parse_update(expression: str) -> UpdatePlan | None:
    tokens = _tokens(expression)
    if not tokens:
        return None
    reader = _Reader(tokens)
    actions: list[Action] = []
    seen: set[str] = set()
    try:
        while not reader.done():
            clause = reader.next().upper()
            if clause not in _CLAUSES or clause in seen:
                return None
            seen.add(clause)
            actions.append(_action(clause, reader))
            while reader.peek() == ",":
                reader.next()
                actions.append(_action(clause, reader))
    except Unsupported:
        return None
    names = {a.target for a in actions} | {n for a in actions for n in _placeholders(a.value, "#")}
    values = {v for a in actions for v in _placeholders(a.value, ":")}
    return UpdatePlan(tuple(actions), frozenset(names), frozenset(values))


def _action(clause: str, reader: _Reader) -> Action:
    target = reader.name()
    if clause == "REMOVE":
        return Action(clause, target)
    if clause in ("ADD", "DELETE"):
        return Action(clause, target, ("value", reader.value()))
    reader.expect("=")
    left = _operand(reader)
    if reader.peek() in ("+", "-"):
        return Action(clause, target, (reader.next(), left, _operand(reader)))
    return Action(clause, target, left)


def _operand(reader: _Reader) -> Operand:
    token = reader.peek()
    if token.startswith(":"):
        return ("value", reader.value())
    if token.startswith("#"):
        return ("path", reader.name())
    if token == "if_not_exists":
        reader.next()
        reader.expect("(")
        path = reader.name()
        reader.expect(",")
        fallback = _operand(reader)
        reader.expect(")")
        if fallback[0] not in ("value", "path"):
            raise Unsupported
        return ("if_not_exists", path, fallback)
    raise Unsupported(token)


def _placeholders(operand: Any, mark: str) -> set[str]:
    if isinstance(operand, str):
        return {operand} if operand.startswith(mark) else set()
    if isinstance(operand, tuple):
        return set().union(*(_placeholders(part, mark) for part in operand))
    return set()


class _Reader:
    def __init__(self, tokens: list[str]) -> None:
        self._tokens = tokens
        self._at = 0

    def done(self) -> bool:
        return self._at >= len(self._tokens)

    def peek(self) -> str:
        return self._tokens[self._at] if not self.done() else ""

    def next(self) -> str:
        if self.done():
            raise Unsupported("unexpected end")
        self._at += 1
        return self._tokens[self._at - 1]

    def expect(self, token: str) -> None:
        if self.next() != token:
            raise Unsupported(token)

    def name(self) -> str:
        token = self.next()
        if not token.startswith("#") or self.peek() in (".", "["):
            raise Unsupported(token)
        return token

    def value(self) -> str:
        token = self.next()
        if not token.startswith(":"):
            raise Unsupported(token)
        return token
