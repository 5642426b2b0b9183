"""Reads template.yaml for the local runtime: resources, function environments, Api routes,
queue consumers and schedules. The template is the single source of wiring.

Intrinsic functions are resolved against the local names the runtime gives each resource
(`!Ref Table` -> the local table's name, `!GetAtt Queue.Arn` -> its ARN, ...).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

_TAGS = (
    "Ref",
    "Sub",
    "GetAtt",
    "If",
    "Join",
    "Select",
    "Split",
    "Equals",
    "Not",
    "And",
    "Or",
    "FindInMap",
    "Base64",
    "Condition",
    "ImportValue",
    "GetAZs",
    "Cidr",
    "Transform",
)


try:  # libyaml's parser: about ten times faster on the template than the pure-Python one
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]


class _Loader(_SafeLoader):
    """A YAML loader that understands CloudFormation's short-form tags."""


def _construct(tag: str) -> Any:
    name = "Ref" if tag == "Ref" else f"Fn::{tag}"

    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if tag == "GetAtt":
                value = str(value).split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
        return {name: value}

    return construct


for _tag in _TAGS:
    _Loader.add_constructor(f"!{_tag}", _construct(_tag))


@dataclass(frozen=True)
class ApiRoute:
    path: str
    method: str


@dataclass
class FunctionSpec:
    logical_id: str
    code_uri: Path
    handler: str
    environment: dict[str, Any] = field(default_factory=dict)
    routes: list[ApiRoute] = field(default_factory=list)
    queues: list[tuple[str, int]] = field(default_factory=list)  # (queue logical id, batch size)
    # queue logical id -> its event source's ScalingConfig.MaximumConcurrency, as declared
    concurrency: dict[str, Any] = field(default_factory=dict)
    schedules: list[str] = field(default_factory=list)  # rate(...) expressions


@dataclass
class Template:
    path: Path
    body: dict[str, Any]

    @classmethod
    def load(cls, path: str | Path) -> Template:
        path = Path(path).resolve()
        return cls(path, yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader) or {})

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return dict(self.body.get("Resources", {}))

    def parameter_defaults(self) -> dict[str, Any]:
        return {
            name: spec.get("Default", "") for name, spec in self.body.get("Parameters", {}).items()
        }

    def of_type(self, *types: str) -> dict[str, dict[str, Any]]:
        return {lid: res for lid, res in self.resources.items() if res.get("Type") in types}

    def functions(self) -> list[FunctionSpec]:
        globals_ = self.body.get("Globals", {}).get("Function", {})
        shared_env = globals_.get("Environment", {}).get("Variables", {})
        specs = []
        for logical_id, resource in self.of_type("AWS::Serverless::Function").items():
            props = resource.get("Properties", {})
            env = {**shared_env, **props.get("Environment", {}).get("Variables", {})}
            spec = FunctionSpec(
                logical_id=logical_id,
                code_uri=self.path.parent / str(props.get("CodeUri", ".")),
                handler=str(props.get("Handler", "app.handler")),
                environment=env,
            )
            for event in props.get("Events", {}).values():
                _add_event(spec, event)
            specs.append(spec)
        return specs


def _add_event(spec: FunctionSpec, event: dict[str, Any]) -> None:
    kind = event.get("Type")
    props = event.get("Properties", {})
    if kind in ("Api", "HttpApi"):
        spec.routes.append(ApiRoute(str(props["Path"]), str(props["Method"]).upper()))
    elif kind == "SQS":
        queue = props["Queue"]
        logical = queue["Fn::GetAtt"][0] if isinstance(queue, dict) else str(queue)
        spec.queues.append((logical, int(props.get("BatchSize", 10))))
        maximum = props.get("ScalingConfig", {}).get("MaximumConcurrency")
        if maximum is not None:
            spec.concurrency[logical] = maximum
    elif kind in ("Schedule", "ScheduleV2"):
        spec.schedules.append(
            str(props["Schedule"] if "Schedule" in props else props["ScheduleExpression"])
        )


def rate_seconds(expression: str) -> float:
    """`rate(5 minutes)` -> 300.0; cron expressions are not run locally."""
    match = re.fullmatch(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)", expression.strip())
    if not match:
        raise ValueError(f"only rate(...) schedules run locally, not {expression!r}")
    unit = {"minute": 60, "hour": 3600, "day": 86400}[match.group(2).rstrip("s")]
    return int(match.group(1)) * unit


class Resolver:
    """Resolves intrinsic functions with the local names of resources and parameters."""

    def __init__(
        self,
        names: dict[str, str],
        arns: dict[str, str],
        parameters: dict[str, Any],
        region: str,
        account: str,
    ) -> None:
        self.names = names
        self.arns = arns
        self.pseudo = {
            "AWS::Region": region,
            "AWS::AccountId": account,
            "AWS::StackName": "switchboard-local",
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NoValue": None,
        } | {name: str(value) for name, value in parameters.items()}

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return self._ref(str(arg))
            if key == "Fn::GetAtt":
                return self._get_att(arg if isinstance(arg, list) else str(arg).split(".", 1))
            if key == "Fn::Sub":
                return self._sub(arg)
            if key == "Fn::Join":
                return str(arg[0]).join(str(self.resolve(v)) for v in arg[1])
        return {k: self.resolve(v) for k, v in value.items()}

    def _ref(self, name: str) -> Any:
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.names:
            return self.names[name]
        raise KeyError(f"!Ref {name}: not a parameter or a resource the local runtime creates")

    def _get_att(self, parts: list[str]) -> str:
        logical, attribute = parts[0], parts[1]
        if attribute == "Arn" and logical in self.arns:
            return self.arns[logical]
        if attribute in ("QueueName", "Name") and logical in self.names:
            return self.names[logical]
        raise KeyError(f"!GetAtt {logical}.{attribute}: not known locally")

    def _sub(self, arg: Any) -> str:
        template, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
        local = {k: self.resolve(v) for k, v in variables.items()}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in local:
                return str(local[name])
            if "." in name:
                return self._get_att(name.split(".", 1))
            return str(self._ref(name))

        return re.sub(r"\$\{([^}!]+)\}", replace, template)
