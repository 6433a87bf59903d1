"""The CACAO v2 subset socflow reads and writes: pydantic models plus the checks they cannot express."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from socflow.errors import Issue

_UUID: Final = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-5][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}"
IDENTIFIER: Final = re.compile(rf"^(?P<type>[a-z][a-z0-9-]+[a-z0-9])--{_UUID}$")
TIMESTAMP: Final = re.compile(
    r"^[0-9]{4}-(0[1-9]|1[012])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?Z$"
)
VARIABLE_NAME: Final = re.compile(r"^__[a-zA-Z_][a-zA-Z0-9_-]{0,199}__$")
SPEC_VERSION: Final = "cacao-2.0"
StepType = Literal[
    "start",
    "end",
    "action",
    "playbook-action",
    "parallel",
    "if-condition",
    "while-condition",
    "switch-condition",
]
# Command types of the CACAO vocabulary (the vocabulary is open: other names are allowed but unknown).
COMMAND_TYPES: Final = frozenset(
    {
        "manual",
        "bash",
        "caldera-cmd",
        "elastic",
        "http-api",
        "jupyter",
        "kestrel",
        "openc2-http",
        "powershell",
    }
    | {"sigma", "ssh", "yara"}
)


class CacaoModel(BaseModel):
    """Unknown properties are kept (extra="allow"): an importer reports them, it does not lose them."""

    model_config = ConfigDict(extra="allow", frozen=True)


class Variable(CacaoModel):
    type: str
    description: str | None = None
    value: Any = None
    constant: bool | None = None
    external: bool | None = None


class Command(CacaoModel):
    type: str
    description: str | None = None
    version: str | None = None
    playbook_activity: str | None = None
    command: str | None = None
    command_b64: str | None = None
    content: str | None = None
    content_b64: str | None = None
    headers: dict[str, list[str]] | None = None


class AgentTarget(CacaoModel):
    type: str
    name: str | None = None
    description: str | None = None


class WorkflowStep(CacaoModel):
    type: StepType
    name: str | None = None
    description: str | None = None
    delay: int | None = None
    timeout: int | None = None
    owner: str | None = None
    step_variables: dict[str, Variable] | None = None
    on_completion: str | None = None
    on_success: str | None = None
    on_failure: str | None = None
    condition: str | None = None
    on_true: str | None = None
    on_false: str | None = None
    switch: str | None = None
    cases: dict[str, str] | None = None
    next_steps: list[str] | None = None
    commands: list[Command] | None = None
    agent: str | None = None
    targets: list[str] | None = None
    in_args: list[str] | None = None
    out_args: list[str] | None = None
    playbook_id: str | None = None
    playbook_version: str | None = None


class CacaoPlaybook(CacaoModel):
    type: str = "playbook"
    spec_version: str = SPEC_VERSION
    id: str = ""
    name: str = ""
    description: str | None = None
    playbook_types: list[str] | None = None
    labels: list[str] | None = None
    created_by: str | None = None
    created: str | None = None
    modified: str | None = None
    workflow_start: str | None = None
    workflow_exception: str | None = None
    workflow: dict[str, WorkflowStep] = Field(default_factory=dict)
    playbook_variables: dict[str, Variable] | None = None
    agent_definitions: dict[str, AgentTarget] | None = None
    target_definitions: dict[str, AgentTarget] | None = None
    extension_definitions: dict[str, dict[str, Any]] | None = None
    authentication_info_definitions: dict[str, dict[str, Any]] | None = None


# Fields each step type requires (the CACAO schemas' `required` lists, plus workflow_start's target).
_REQUIRED: Final[dict[str, tuple[str, ...]]] = {
    "action": ("commands", "agent"),
    "if-condition": ("condition", "on_true"),
    "while-condition": ("condition", "on_true"),
    "switch-condition": ("switch", "cases"),
    "parallel": ("next_steps",),
    "playbook-action": ("playbook_id",),
}
_TOP_REQUIRED: Final = ("type", "spec_version", "id", "name", "created_by", "created", "modified")


def _loc(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def parse_cacao(data: Any) -> tuple[CacaoPlaybook | None, list[Issue]]:
    """The typed document and every problem found; None when the structure is too broken to import."""
    if not isinstance(data, dict):
        return None, [Issue("", "a CACAO playbook is a JSON object")]
    if not isinstance(data.get("workflow"), dict) or not data["workflow"]:
        return None, [Issue("workflow", "a CACAO playbook needs a non-empty `workflow` object")]
    try:
        document = CacaoPlaybook.model_validate(data)
    except ValidationError as exc:
        return None, [Issue(_loc(tuple(err["loc"])), err["msg"]) for err in exc.errors()]
    return document, check_cacao(document, data)


def check_cacao(document: CacaoPlaybook, raw: dict[str, Any]) -> list[Issue]:
    """What the CACAO schemas require beyond types: identifiers, references, required fields, times."""
    issues = [Issue(name, "required property is missing") for name in _TOP_REQUIRED if name not in raw]
    if document.type != "playbook":
        issues.append(Issue("type", f"must be 'playbook', not {document.type!r}"))
    if document.spec_version != SPEC_VERSION:
        issues.append(Issue("spec_version", f"must be {SPEC_VERSION!r}, not {document.spec_version!r}"))
    for path, value in _identifiers(document):
        if not IDENTIFIER.match(value):
            issues.append(Issue(path, f"{value!r} is not a CACAO identifier (`<type>--<uuid>`)"))
    issues += _times(document)
    issues += _variables("playbook_variables", document.playbook_variables)
    issues += _workflow(document)
    for kind in ("agent_definitions", "target_definitions"):
        for key, item in (getattr(document, kind) or {}).items():
            if not item.name:
                issues.append(Issue(f"{kind}.{key}.name", "required property is missing"))
            match = IDENTIFIER.match(key)
            if match is not None and match["type"] != item.type:
                issues.append(
                    Issue(
                        f"{kind}.{key}.type", f"the id says {match['type']!r} but the type is {item.type!r}"
                    )
                )
    return issues


def _identifiers(document: CacaoPlaybook) -> Iterator[tuple[str, str]]:
    yield "id", document.id
    if document.created_by is not None:
        yield "created_by", document.created_by
    for key in document.workflow:
        yield f"workflow.{key}", key
    for kind in ("agent_definitions", "target_definitions", "authentication_info_definitions"):
        for key in getattr(document, kind) or {}:
            yield f"{kind}.{key}", key
    for key, step in document.workflow.items():
        if step.playbook_id is not None:
            yield f"workflow.{key}.playbook_id", step.playbook_id
        if step.agent is not None:
            yield f"workflow.{key}.agent", step.agent
        for index, target in enumerate(step.targets or []):
            yield f"workflow.{key}.targets[{index}]", target


def _times(document: CacaoPlaybook) -> list[Issue]:
    issues = []
    for name in ("created", "modified"):
        value = getattr(document, name)
        if value is not None and not TIMESTAMP.match(value):
            issues.append(Issue(name, f"{value!r} is not an RFC 3339 UTC timestamp ending in Z"))
    created, modified = document.created or "", document.modified or ""
    if TIMESTAMP.match(created) and TIMESTAMP.match(modified) and modified < created:
        issues.append(Issue("modified", f"{modified} is earlier than created {created}"))
    return issues


def _variables(path: str, variables: dict[str, Variable] | None) -> list[Issue]:
    return [
        Issue(f"{path}.{name}", "a variable name is `__name__` (letters, digits, _ and -)")
        for name in variables or {}
        if not VARIABLE_NAME.match(name)
    ]


def step_links(step: WorkflowStep) -> Iterator[tuple[str, str]]:
    """Every (field, step id) a CACAO step names, in a stable order."""
    for name in ("on_completion", "on_success", "on_failure", "on_true", "on_false"):
        target = getattr(step, name)
        if target is not None:
            yield name, target
    for index, target in enumerate(step.next_steps or []):
        yield f"next_steps[{index}]", target
    for value, target in (step.cases or {}).items():
        yield f"cases.{value}", target


def _workflow(document: CacaoPlaybook) -> list[Issue]:
    workflow = document.workflow
    issues: list[Issue] = []
    start = document.workflow_start
    if start is None:
        issues.append(Issue("workflow_start", "required property is missing"))
    elif start not in workflow:
        issues.append(Issue("workflow_start", f"reference to a missing step {start!r}"))
    elif workflow[start].type != "start":
        issues.append(
            Issue("workflow_start", f"{start!r} is a {workflow[start].type} step, not a start step")
        )
    exception = document.workflow_exception
    if exception is not None and exception not in workflow:
        issues.append(Issue("workflow_exception", f"reference to a missing step {exception!r}"))
    agents = document.agent_definitions or {}
    targets = document.target_definitions or {}
    for key, step in workflow.items():
        path = f"workflow.{key}"
        match = IDENTIFIER.match(key)
        if match is not None and match["type"] != step.type:
            issues.append(Issue(path, f"the id says {match['type']!r} but the step type is {step.type!r}"))
        for name in _REQUIRED.get(step.type, ()):
            if getattr(step, name) is None:
                issues.append(Issue(f"{path}.{name}", "required property is missing"))
        issues += [
            Issue(f"{path}.{field}", f"reference to a missing step {target!r}")
            for field, target in step_links(step)
            if target not in workflow
        ]
        if step.on_completion is not None and (step.on_success is not None or step.on_failure is not None):
            issues.append(
                Issue(f"{path}.on_completion", "`on_completion` excludes `on_success`/`on_failure`")
            )
        if step.type == "end" and any(
            getattr(step, f) for f in ("on_completion", "on_success", "on_failure")
        ):
            issues.append(Issue(path, "an end step has no `on_completion`, `on_success` or `on_failure`"))
        if step.type == "parallel" and step.next_steps is not None and len(step.next_steps) < 2:
            issues.append(Issue(f"{path}.next_steps", "a parallel step has at least two next steps"))
        if step.agent is not None and step.agent not in agents:
            issues.append(Issue(f"{path}.agent", f"{step.agent!r} is not in agent_definitions"))
        issues += [
            Issue(f"{path}.targets[{index}]", f"{target!r} is not in target_definitions")
            for index, target in enumerate(step.targets or [])
            if target not in targets
        ]
        issues += _variables(f"{path}.step_variables", step.step_variables)
    return issues


_OUTLINE_FIELDS: Final = (
    "type", "on_completion", "on_success", "on_failure", "on_true", "on_false", "next_steps", "cases",
    "condition", "switch", "commands", "agent", "targets", "in_args", "out_args", "playbook_id",
    "step_variables",
)  # fmt: skip


def workflow_outline(document: dict[str, Any]) -> dict[str, Any]:
    """What a round trip must keep: step ids, types, links, commands, agents, targets and variables."""
    workflow = document.get("workflow") or {}
    return {
        "workflow_start": document.get("workflow_start"),
        "playbook_variables": document.get("playbook_variables") or {},
        "steps": {sid: {k: step[k] for k in _OUTLINE_FIELDS if k in step} for sid, step in workflow.items()},
    }
