"""A socflow sequential playbook -> a CACAO v2 document, restoring what an import kept in metadata."""

from __future__ import annotations

import base64
import json
from typing import Any, Final

from socflow.errors import Issue, ValidationFailed
from socflow.playbooks.cacao_import import SOCFLOW_ACTION, SOCFLOW_STEP, WHILE_BOUND
from socflow.playbooks.cacao_model import IDENTIFIER, SPEC_VERSION
from socflow.playbooks.cacao_refs import (
    ACTION_PREFIX,
    INPUT_TYPES,
    cacao_id,
    command_type,
    deep,
    from_expression,
    from_template,
)
from socflow.playbooks.spec import (
    ActionStep,
    AnyPlaybook,
    ConditionStep,
    EndStep,
    HumanTaskStep,
    ParallelStep,
    SequentialPlaybook,
    StepBase,
    SubPlaybookStep,
    SwitchStep,
    WhileStep,
    duration_seconds,
)

EPOCH: Final = "1970-01-01T00:00:00.000Z"
_WHERE: Final = ("agent", "targets")
_CACAO_TYPE: Final[dict[type, str]] = {
    ActionStep: "action",
    HumanTaskStep: "action",
    ConditionStep: "if-condition",
    SwitchStep: "switch-condition",
    ParallelStep: "parallel",
    WhileStep: "while-condition",
    SubPlaybookStep: "playbook-action",
    EndStep: "end",
}


def export_cacao(playbook: AnyPlaybook, *, now: str = EPOCH) -> dict[str, Any]:
    """The CACAO document; raises ValidationFailed for kinds CACAO cannot express (not sequential)."""
    return export_cacao_with_issues(playbook, now=now)[0]


def export_cacao_with_issues(
    playbook: AnyPlaybook, *, now: str = EPOCH
) -> tuple[dict[str, Any], list[Issue]]:
    if not isinstance(playbook, SequentialPlaybook):
        issue = Issue("kind", f"only sequential playbooks export to CACAO, not {playbook.kind}")
        raise ValidationFailed("the playbook cannot be exported to CACAO", issues=[issue])
    return _Exporter(playbook, now).run()


class _Exporter:
    def __init__(self, playbook: SequentialPlaybook, now: str) -> None:
        self.playbook = playbook
        self.meta: dict[str, Any] = playbook.metadata.get("cacao") or {}
        self.top: dict[str, Any] = self.meta.get("document") or {}
        self.now = now
        self.issues: list[Issue] = []
        self.agents: dict[str, Any] = {}
        self.imported = frozenset(self.meta.get("imported") or ())
        pid = self.top.get("id") or playbook.id
        self.pid = pid if IDENTIFIER.match(pid) else cacao_id("playbook", playbook.id)
        self.ids = {step.id: self._id(step) for step in playbook.steps}
        self.index = {step.id: index for index, step in enumerate(playbook.steps)}

    def _type(self, step: StepBase) -> str:
        hints = self._step_meta(step.id).get("hints", {})
        return str(hints.get("cacao_type") or _CACAO_TYPE.get(type(step), "action"))

    def _id(self, step: StepBase) -> str:
        kind = self._type(step)
        match = IDENTIFIER.match(step.id)
        return step.id if match is not None and match["type"] == kind else cacao_id(kind, self.pid, step.id)

    def _step_meta(self, sid: str) -> dict[str, Any]:
        steps: dict[str, Any] = self.meta.get("steps") or {}
        return dict(steps.get(sid) or {})

    def _ref(self, sid: str | None) -> str | None:
        return None if sid is None else self.ids.get(sid, sid)

    def run(self) -> tuple[dict[str, Any], list[Issue]]:
        playbook = self.playbook
        start_meta = dict(self.meta.get("start") or {})
        start_id = start_meta.pop("id", None) or cacao_id("start", self.pid, "start")
        first = playbook.start or playbook.steps[0].id
        workflow: dict[str, Any] = {
            start_id: {**start_meta, "type": "start", "on_completion": self._ref(first)}
        }
        for step in playbook.steps:
            workflow[self.ids[step.id]] = self._step(step)
        self._restore_branch_ends(workflow)
        self._unsaid()
        document: dict[str, Any] = {
            "type": "playbook",
            "spec_version": SPEC_VERSION,
            "id": self.pid,
            "name": playbook.name,
            "created_by": cacao_id("identity", playbook.owner or "socflow"),
            "created": self.now,
            "modified": self.now,
            **self.top,
            "workflow_start": start_id,
            "workflow": workflow,
        }
        if playbook.description:
            document["description"] = playbook.description
        if playbook.tags:
            document["labels"] = list(playbook.tags)
        variables = self._variables()
        if variables:
            document["playbook_variables"] = variables
        if self.agents:
            document["agent_definitions"] = {**self.agents, **(self.top.get("agent_definitions") or {})}
        return document, self.issues

    def _variables(self) -> dict[str, Any]:
        kept: dict[str, Any] = self.meta.get("variables") or {}
        out: dict[str, Any] = {}
        for spec in self.playbook.inputs:
            name = f"__{spec.name}__"
            var: dict[str, Any] = {"type": INPUT_TYPES[spec.type], **(kept.get(name) or {})}
            if name not in kept and spec.required:
                var["external"] = True
            if spec.description:
                var["description"] = spec.description
            if spec.default is not None:
                var["value"] = spec.default if isinstance(spec.default, str) else json.dumps(spec.default)
            out[name] = var
        return out

    def _unsaid(self) -> None:
        """What CACAO has no field for is reported: playbook-level settings and step retry policies."""
        playbook = self.playbook
        defaults = SequentialPlaybook(
            id="x", name="x", kind="sequential", steps=[EndStep(id="x", type="end")]
        )
        for name in ("trigger", "limits", "outputs", "owner", "version"):
            if getattr(playbook, name) != getattr(defaults, name):
                self.issues.append(Issue(name, "CACAO has no equivalent: not exported"))
        for index, step in enumerate(playbook.steps):
            for name in ("retry", "retry_on", "continue_on_error"):
                if getattr(step, name) != StepBase.model_fields[name].get_default(call_default_factory=True):
                    self.issues.append(
                        Issue(f"steps[{index}].{name}", "CACAO has no equivalent: not exported")
                    )

    def _step(self, step: StepBase) -> dict[str, Any]:
        kept = self._step_meta(step.id)
        hints: dict[str, Any] = kept.get("hints", {})
        out: dict[str, Any] = {**(kept.get("fields") or {}), "type": self._type(step)}
        if step.name:
            out["name"] = step.name
        if step.description:
            out["description"] = step.description
        if step.timeout is not None:
            out["timeout"] = int(duration_seconds(step.timeout) * 1000)
        for ours, theirs in (
            ("next", "on_completion"),
            ("on_success", "on_success"),
            ("on_failure", "on_failure"),
        ):
            target = self._ref(getattr(step, ours))
            if target is not None:
                out[theirs] = target
        if isinstance(step, ConditionStep):
            out["condition"] = from_expression(step.when)
            out["on_true"] = self._ref(step.then)
            if step.else_ is not None and not hints.get("derived_else") and out["type"] == "if-condition":
                out["on_false"] = self._ref(step.else_)
        elif isinstance(step, SwitchStep):
            out["switch"] = from_expression(step.value)
            out["cases"] = {value: self._ref(target) for value, target in step.cases.items()}
            if step.default is not None and not hints.get("derived_default"):
                out["cases"]["default"] = self._ref(step.default)
        elif isinstance(step, ParallelStep):
            out["next_steps"] = [self._ref(target) for target in step.branches]
        elif isinstance(step, WhileStep):
            out["condition"] = from_expression(step.condition)
            out["on_true"] = self._ref(step.do)
            if step.max_iterations != WHILE_BOUND:
                where = f"steps[{self.index[step.id]}].max_iterations"
                self.issues.append(Issue(where, "CACAO has no loop bound: not exported"))
        elif isinstance(step, SubPlaybookStep):
            out["playbook_id"] = step.playbook
            if step.inputs and "in_args" not in out:
                out["in_args"] = [f"__{name}__" for name in step.inputs]
        elif isinstance(step, ActionStep):
            out["commands"] = self._commands(step, hints)
            self._agent(out, step.id, step.action.split(".")[0])
        elif isinstance(step, HumanTaskStep):
            out["commands"] = [self._manual(step, hints)]
            self._agent(out, step.id, step.role or step.assignee or "analyst", kind="individual")
        elif not isinstance(step, EndStep):
            out["commands"] = [
                {"type": SOCFLOW_STEP, "content": json.dumps(self._spec(step), sort_keys=True)}
            ]
            self._agent(out, step.id, "socflow")
            self.issues.append(
                Issue(
                    f"steps[{self.index[step.id]}]",
                    f"CACAO has no {step.type} step: exported as a {SOCFLOW_STEP} command",
                )
            )
        return out

    @staticmethod
    def _spec(step: StepBase) -> dict[str, Any]:
        body = step.model_dump(mode="json", by_alias=True, exclude_defaults=True)
        return {k: v for k, v in body.items() if k not in ("id", "next", "on_success", "on_failure")}

    def _commands(self, step: ActionStep, hints: dict[str, Any]) -> list[dict[str, Any]]:
        args = {k: v for k, v in step.args.items() if k not in _WHERE}
        if step.action == ACTION_PREFIX + "commands":
            return list(deep(args.get("commands") or [], from_template))
        if step.action.startswith(ACTION_PREFIX):
            kind = hints.get("command_type") or command_type(step.action)
            return [{"type": kind, **deep(args, from_template)}]
        content = json.dumps(step.args, sort_keys=True)
        return [{"type": SOCFLOW_ACTION, "command": step.action, "content": content}]

    def _manual(self, step: HumanTaskStep, hints: dict[str, Any]) -> dict[str, Any]:
        text = from_template(step.instructions)
        command: dict[str, Any] = {"type": "manual", **(hints.get("command") or {})}
        if hints.get("command_b64"):
            command["command_b64"] = base64.b64encode(text.encode()).decode()
        elif hints.get("command_b64") is False:
            command["command_b64"] = text
        else:
            command["command"] = text
        return command

    def _agent(self, out: dict[str, Any], sid: str, name: str, kind: str = "http-api") -> None:
        """Steps that came from CACAO keep their agent; others get one agent per integration or role."""
        if "agent" in out or sid in self.imported:
            return  # a CACAO step without an agent stays without one
        agent_id = cacao_id(kind, self.pid, name)
        definition: dict[str, Any] = {"type": kind, "name": name}
        if kind == "http-api":
            definition["description"] = "socflow integration instance"
            definition["address"] = {"url": [f"socflow:integration/{name}"]}
        self.agents[agent_id] = definition
        out["agent"] = agent_id

    def _restore_branch_ends(self, workflow: dict[str, Any]) -> None:
        """Put back the end steps that closed CACAO branches, and the links that went to them."""
        for end, kept in (self.meta.get("branch_ends") or {}).items():
            restored = False
            for source, field in kept.get("links", []):
                step = workflow.get(source)
                if step is None:
                    continue
                restored = True
                if field.startswith("next_steps["):
                    step["next_steps"][int(field[len("next_steps[") : -1])] = end
                elif field.startswith("cases."):
                    step.setdefault("cases", {})[field[len("cases.") :]] = end
                else:
                    step[field] = end
            if restored and end not in workflow:
                workflow[end] = dict(kept.get("step") or {"type": "end"})
