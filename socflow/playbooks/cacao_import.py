"""CACAO v2 -> a socflow sequential playbook; what cannot be mapped is reported and kept in metadata."""

from __future__ import annotations

import base64
import binascii
import copy
import json
import re
from dataclasses import dataclass, field
from typing import Any, Final

from socflow.errors import Issue
from socflow.playbooks.cacao_branches import find_branch_ends
from socflow.playbooks.cacao_model import CacaoPlaybook, WorkflowStep, parse_cacao
from socflow.playbooks.cacao_refs import (
    VARIABLE_TYPES,
    action_name,
    command_type,
    deep,
    duration,
    to_expression,
    to_template,
    typed_default,
    variable_name,
)
from socflow.playbooks.spec import AnyPlaybook, InputType
from socflow.playbooks.validate import parse_document, validate_playbook

# Command types a socflow integration is expected to run (`cacao.<type>`); `manual` becomes a human task.
SUPPORTED_COMMANDS: Final = frozenset({"http-api", "ssh", "openc2-http", "powershell", "bash", "manual"})
SOCFLOW_ACTION: Final = "socflow-action"  # what export writes for a socflow action with no CACAO origin
WHILE_BOUND: Final = 100  # max_iterations given to an imported while-condition (CACAO has no bound)
SOCFLOW_STEP: Final = "socflow-step"  # ... and for a socflow step type CACAO has no equivalent for
_STEP_ID: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,79}$")
# Top-level properties the socflow document itself carries; everything else is kept in metadata.
_MAPPED_TOP: Final = frozenset({"name", "description", "labels", "workflow", "playbook_variables"})
# Step properties the socflow step carries, by CACAO step type.
_MAPPED_COMMON: Final = frozenset({"type", "name", "description", "timeout", "on_completion", "on_success"})
_MAPPED: Final[dict[str, frozenset[str]]] = {
    "action": _MAPPED_COMMON | {"on_failure", "commands"},
    "playbook-action": _MAPPED_COMMON | {"on_failure", "playbook_id"},
    "parallel": _MAPPED_COMMON | {"on_failure", "next_steps"},
    "if-condition": _MAPPED_COMMON | {"on_failure", "condition", "on_true", "on_false"},
    "while-condition": _MAPPED_COMMON | {"on_failure", "condition", "on_true"},
    "switch-condition": _MAPPED_COMMON | {"on_failure", "switch", "cases"},
    "end": _MAPPED_COMMON,
    "start": frozenset({"type", "on_completion"}),
}
_UNMAPPED_TOP: Final[dict[str, str]] = {
    "signatures": "signatures are not verified by socflow",
    "extension_definitions": "extensions are not run by socflow",
    "playbook_extensions": "extensions are not run by socflow",
    "data_marking_definitions": "data markings are not enforced by socflow",
    "workflow_exception": "socflow does not run an exception step; use `on_failure` on steps",
}
_SECRET_KEYS: Final = frozenset({"password", "token", "private_key", "client_secret", "kms_key_identifier"})


@dataclass(frozen=True)
class CacaoImport:
    """The socflow playbook (None when the document cannot be imported) and every issue, each with a path."""

    playbook: AnyPlaybook | None
    issues: list[Issue] = field(default_factory=list)


def import_cacao(document: dict[str, Any] | str) -> CacaoImport:
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except json.JSONDecodeError as exc:
            return CacaoImport(None, [Issue(f"line {exc.lineno}", f"not JSON: {exc.msg}")])
    if not isinstance(document, dict):
        return CacaoImport(None, [Issue("", "a CACAO playbook is a JSON object")])
    parsed, issues = parse_cacao(document)
    if parsed is None:
        return CacaoImport(None, issues)
    # A copy (metadata never aliases the input) without nulls: in CACAO an optional property set to
    # null means the same as one left out, and export leaves such properties out.
    return _Importer(parsed, _without_nulls(copy.deepcopy(document)), issues).run()


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _without_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_without_nulls(item) for item in value]
    return value


class _Importer:
    def __init__(self, doc: CacaoPlaybook, raw: dict[str, Any], issues: list[Issue]) -> None:
        self.doc = doc
        self.raw = raw
        self.issues = issues
        self.inputs = set(doc.playbook_variables or {})
        self.ends = find_branch_ends(doc.workflow, doc.workflow_exception)
        self.steps_meta: dict[str, dict[str, Any]] = {}

    def run(self) -> CacaoImport:
        doc = self.doc
        start_id = self._start()
        if start_id is None:
            return CacaoImport(None, self.issues)
        start = doc.workflow[start_id]
        steps = [
            self._step(sid, step)
            for sid, step in doc.workflow.items()
            if sid != start_id and sid not in self.ends.dropped
        ]
        self._report_top()
        meta: dict[str, Any] = {
            "document": _redacted({k: v for k, v in self.raw.items() if k not in _MAPPED_TOP}, self.issues),
            "start": {k: v for k, v in self.raw["workflow"][start_id].items() if k not in _MAPPED["start"]},
            "steps": self.steps_meta,
            "imported": [step["id"] for step in steps],
        }
        meta["start"]["id"] = start_id
        if doc.playbook_variables:
            meta["variables"] = {
                name: {k: v for k, v in var.items() if k not in ("description", "value")}
                for name, var in self.raw["playbook_variables"].items()
            }
        if self.ends.restore:
            meta["branch_ends"] = {
                end: {"step": self.raw["workflow"][end], "links": links}
                for end, links in self.ends.restore.items()
            }
        body: dict[str, Any] = {
            "id": doc.id if _STEP_ID.match(doc.id) else "cacao_playbook",
            "name": doc.name or doc.id,
            "description": doc.description or "",
            "tags": list(self.raw.get("labels") or []),
            "kind": "sequential",
            "inputs": self._inputs(),
            "start": self._first(start_id, start, steps),
            "steps": steps,
            "metadata": {"cacao": meta},
        }
        playbook, problems = parse_document(body)
        if playbook is None:
            return CacaoImport(None, [*self.issues, *problems])
        self.issues += [Issue(i.path, f"socflow: {i.message}") for i in validate_playbook(playbook)]
        return CacaoImport(playbook, self.issues)

    def _first(self, start_id: str, start: WorkflowStep, steps: list[dict[str, Any]]) -> str | None:
        first = self._link(start_id, "on_completion", start.on_completion)
        if first is None and steps:
            self.issues.append(
                Issue(f"workflow.{start_id}.on_completion", "missing: the first step listed runs")
            )
            first = steps[0]["id"]
        return first

    def _start(self) -> str | None:
        start = self.doc.workflow_start
        if start in self.doc.workflow and self.doc.workflow[start].type == "start":
            return start
        found = [sid for sid, step in self.doc.workflow.items() if step.type == "start"]
        if not found:
            self.issues.append(Issue("workflow", "the workflow has no start step"))
            return None
        return found[0]

    def _report_top(self) -> None:
        for name, why in _UNMAPPED_TOP.items():
            if name in self.raw:
                self.issues.append(Issue(name, f"kept in metadata, not run: {why}"))

    def _inputs(self) -> list[dict[str, Any]]:
        inputs = []
        for name, var in (self.doc.playbook_variables or {}).items():
            inputs.append(
                {
                    "name": variable_name(name),
                    "type": VARIABLE_TYPES.get(var.type, InputType.STRING).value,
                    "required": bool(var.external) and var.value is None,
                    "default": typed_default(var.value, VARIABLE_TYPES.get(var.type, InputType.STRING)),
                    "description": var.description or "",
                }
            )
        return inputs

    def _link(self, source: str, name: str, target: str | None) -> str | None:
        if (source, name) in self.ends.rewired:
            return self.ends.rewired[(source, name)]
        return target

    def _step(self, sid: str, step: WorkflowStep) -> dict[str, Any]:
        path = f"workflow.{sid}"
        raw = self.raw["workflow"][sid]
        meta = {k: v for k, v in raw.items() if k not in _MAPPED[step.type]}
        out: dict[str, Any] = {"id": sid, "name": step.name or "", "description": step.description or ""}
        if not _STEP_ID.match(sid):
            self.issues.append(
                Issue(path, "a step id socflow cannot use (letters, digits, _ and -, 80 at most)")
            )
        if step.timeout is not None:
            out["timeout"] = duration(step.timeout)
        for cacao_field, ours in (
            ("on_completion", "next"),
            ("on_success", "on_success"),
            ("on_failure", "on_failure"),
        ):
            target = self._link(sid, cacao_field, getattr(step, cacao_field))
            if target is not None:
                out[ours] = target
        hints: dict[str, Any] = {}
        builder = getattr(self, "_" + step.type.replace("-", "_"))
        builder(sid, step, out, hints)
        self._report_step(path, step, raw)
        kept = {**({"fields": meta} if meta else {}), **({"hints": hints} if hints else {})}
        if kept:
            self.steps_meta[sid] = kept
        return out

    def _report_step(self, path: str, step: WorkflowStep, raw: dict[str, Any]) -> None:
        for name in ("delay", "step_extensions", "owner"):
            if name in raw:
                self.issues.append(Issue(f"{path}.{name}", "kept in metadata, not run by socflow"))
        for name, var in (step.step_variables or {}).items():
            if var.value is not None:
                self.issues.append(
                    Issue(f"{path}.step_variables.{name}", "socflow does not initialise step variables; kept")
                )
        if step.out_args:
            self.issues.append(
                Issue(f"{path}.out_args", "results are not bound to variables; use `steps.<id>.result`")
            )

    def _end(self, sid: str, step: WorkflowStep, out: dict[str, Any], hints: dict[str, Any]) -> None:
        out["type"] = "end"

    def _parallel(self, sid: str, step: WorkflowStep, out: dict[str, Any], hints: dict[str, Any]) -> None:
        out.update(type="parallel", branches=list(step.next_steps or []))

    def _if_condition(self, sid: str, step: WorkflowStep, out: dict[str, Any], hints: dict[str, Any]) -> None:
        self._condition(sid, step, out, hints)

    def _while_condition(
        self, sid: str, step: WorkflowStep, out: dict[str, Any], hints: dict[str, Any]
    ) -> None:
        out.update(type="while", condition=to_expression(step.condition or "false", self.inputs))
        out.update(do=self._link(sid, "on_true", step.on_true), max_iterations=WHILE_BOUND)
        self.issues.append(
            Issue(
                f"workflow.{sid}",
                f"CACAO sets no bound: the loop runs at most {WHILE_BOUND} times (max_iterations), "
                "then the step fails with code loop_limit",
            )
        )

    def _condition(self, sid: str, step: WorkflowStep, out: dict[str, Any], hints: dict[str, Any]) -> None:
        out.update(type="condition", when=to_expression(step.condition or "false", self.inputs))
        out["then"] = self._link(sid, "on_true", step.on_true)
        otherwise = self._link(sid, "on_false", step.on_false)
        if otherwise is None:
            otherwise = out.get("next") or out.get("on_success")  # false: carry on after the branch
            hints["derived_else"] = True
        out["else"] = otherwise

    def _switch_condition(
        self, sid: str, step: WorkflowStep, out: dict[str, Any], hints: dict[str, Any]
    ) -> None:
        cases = {v: self._link(sid, f"cases.{v}", t) for v, t in (step.cases or {}).items()}
        out.update(type="switch", value=to_expression(step.switch or "''", self.inputs))
        out["default"] = cases.pop("default", None)
        if out["default"] is None:
            out["default"] = out.get("next") or out.get("on_success")
            hints["derived_default"] = True
        out["cases"] = cases

    def _playbook_action(
        self, sid: str, step: WorkflowStep, out: dict[str, Any], hints: dict[str, Any]
    ) -> None:
        inputs = {variable_name(a): to_template(f"{a}:value", self.inputs) for a in step.in_args or []}
        out.update(type="sub_playbook", playbook=step.playbook_id or "", inputs=inputs)

    def _action(self, sid: str, step: WorkflowStep, out: dict[str, Any], hints: dict[str, Any]) -> None:
        path = f"workflow.{sid}"
        commands = self.raw["workflow"][sid].get("commands") or []
        for index, command in enumerate(step.commands or []):
            if command.type not in SUPPORTED_COMMANDS | {SOCFLOW_ACTION, SOCFLOW_STEP}:
                self.issues.append(
                    Issue(
                        f"{path}.commands[{index}].type",
                        f"command type {command.type!r} is not supported: kept as action "
                        f"{action_name(command.type)!r}, which no socflow integration provides",
                    )
                )
        where = self._where(step)
        if len(commands) == 1 and commands[0].get("type") == "manual":
            self._manual(commands[0], out, hints, where)
            return
        if len(commands) == 1 and commands[0].get("type") in (SOCFLOW_ACTION, SOCFLOW_STEP):
            self._socflow(path, commands[0], out)
            return
        out["type"] = "action"
        if len(commands) == 1:
            kind = str(commands[0].get("type", ""))
            out["action"] = action_name(kind)
            if command_type(out["action"]) != kind:
                hints["command_type"] = kind
            fields = {k: v for k, v in commands[0].items() if k != "type"}
            out["args"] = {**deep(fields, lambda s: to_template(s, self.inputs)), **where}
        else:
            if len(commands) > 1:
                self.issues.append(
                    Issue(f"{path}.commands", "several commands run as one action `cacao.commands`")
                )
            else:
                self.issues.append(Issue(f"{path}.commands", "an action step without commands does nothing"))
            out["action"] = "cacao.commands"
            out["args"] = {"commands": deep(commands, lambda s: to_template(s, self.inputs)), **where}

    def _socflow(self, path: str, command: dict[str, Any], out: dict[str, Any]) -> None:
        """A socflow action or step exported earlier comes back as it was (its links come from CACAO)."""
        try:
            content = json.loads(command.get("content") or "{}")
        except json.JSONDecodeError as exc:
            self.issues.append(Issue(f"{path}.commands[0].content", f"not JSON: {exc.msg}"))
            content = {}
        if command["type"] == SOCFLOW_ACTION:
            out.update(type="action", action=command.get("command", ""), args=content)
            return
        links = ("id", "next", "on_success", "on_failure")
        out.update({k: v for k, v in content.items() if k not in links and k not in out})

    def _where(self, step: WorkflowStep) -> dict[str, Any]:
        """The agent becomes the integration instance; targets are passed as their definitions."""
        agents = self.raw.get("agent_definitions") or {}
        targets = self.raw.get("target_definitions") or {}
        where: dict[str, Any] = {}
        if step.agent is not None:
            where["agent"] = (agents.get(step.agent) or {}).get("name") or step.agent
        if step.targets:
            where["targets"] = [
                deep({"id": t, **_public(targets.get(t) or {})}, lambda s: to_template(s, self.inputs))
                for t in step.targets
            ]
        return where

    def _manual(
        self, command: dict[str, Any], out: dict[str, Any], hints: dict[str, Any], where: dict[str, Any]
    ) -> None:
        text = command.get("command")
        if text is None and command.get("command_b64") is not None:
            try:
                text = base64.b64decode(command["command_b64"], validate=True).decode()
                hints["command_b64"] = True
            except (binascii.Error, UnicodeDecodeError):
                text = command["command_b64"]
                hints["command_b64"] = False
        rest = {k: v for k, v in command.items() if k not in ("type", "command", "command_b64")}
        if rest:
            hints["command"] = rest
        out.update(type="human_task", instructions=to_template(text or "", self.inputs))
        names = [t.get("name") for t in where.get("targets", []) if t.get("name")]
        if names:
            out["assignee"] = names[0]
        if where.get("agent"):
            out["role"] = where["agent"]


def _public(definition: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in definition.items() if k != "authentication_info"}


def _redacted(top: dict[str, Any], issues: list[Issue]) -> dict[str, Any]:
    """Credentials never go into a playbook: their values are blanked and the owner is told."""
    infos = top.get("authentication_info_definitions")
    if not isinstance(infos, dict):
        return top
    cleaned = {}
    for key, info in infos.items():
        if isinstance(info, dict):
            secret = sorted(k for k in info if k in _SECRET_KEYS and info[k])
            for name in secret:
                issues.append(
                    Issue(
                        f"authentication_info_definitions.{key}.{name}",
                        "secret not imported; set it in socflow",
                    )
                )
            info = {k: ("" if k in _SECRET_KEYS else v) for k, v in info.items()}
        cleaned[key] = info
    return {**top, "authentication_info_definitions": cleaned}
