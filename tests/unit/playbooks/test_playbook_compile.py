"""Each kind has its own compiler, and all three produce the same Graph shape."""

from __future__ import annotations

from pathlib import Path

from playbook_support import graph_of

from socflow.playbooks.compile import compile_playbook, version_id
from socflow.playbooks.graph import EdgeKind, NodeType
from socflow.playbooks.validate import load_playbook

ROOT = Path(__file__).resolve().parents[3]


def test_compile_sequential_edges_follow_the_flow_chart() -> None:
    graph = graph_of(
        """
        id: seq
        name: Seq
        kind: sequential
        steps:
          - {id: check, type: condition, when: "alert.x", then: fork, else: done}
          - {id: fork, type: parallel, branches: [a, b], join: any, next: done}
          - {id: a, type: action, action: chat.notify, args: {text: a}, on_failure: done}
          - {id: b, type: wait, duration: 5m}
          - {id: done, type: end}
        """
    )
    assert graph.start == "check"
    kinds = {(e.source, e.kind, e.target) for e in graph.edges}
    assert kinds == {
        ("check", EdgeKind.TRUE, "fork"),
        ("check", EdgeKind.FALSE, "done"),
        ("fork", EdgeKind.BRANCH, "a"),
        ("fork", EdgeKind.BRANCH, "b"),
        ("fork", EdgeKind.NEXT, "done"),
        ("a", EdgeKind.FAILURE, "done"),
    }
    assert graph.branches["fork"] == frozenset({"a", "b", "done"})


def test_compile_state_machine_states_chains_and_transitions() -> None:
    graph = graph_of(
        """
        id: sm
        name: SM
        kind: state_machine
        initial: open
        states:
          - id: open
            on_entry:
              - {id: one, type: action, action: chat.notify, args: {text: "1"}}
              - {id: two, type: action, action: chat.notify, args: {text: "2"}}
            on_exit:
              - {id: bye, type: action, action: chat.notify, args: {text: bye}}
            transitions:
              - {event: close, when: "event.data.ok", to: shut}
              - {after: 2h, to: shut}
          - {id: shut, final: true}
        """
    )
    assert graph.nodes["open"].type is NodeType.STATE
    assert (graph.nodes["one"].owner, graph.nodes["one"].phase) == ("open", "entry")
    assert graph.nodes["bye"].phase == "exit"
    edges = {(e.source, e.kind, e.label, e.target) for e in graph.edges}
    assert ("open", EdgeKind.ENTRY, "", "one") in edges
    assert ("one", EdgeKind.NEXT, "", "two") in edges
    assert ("open", EdgeKind.EXIT, "", "bye") in edges
    assert ("open", EdgeKind.EVENT, "close", "shut") in edges
    timer = graph.nodes["open"].by_kind[EdgeKind.TIMER][0]
    assert (timer.after, timer.target) == (7200, "shut")


def test_compile_rules_orders_rules_by_priority_then_position() -> None:
    graph = graph_of(
        """
        id: r
        name: R
        kind: rules
        stages:
          - id: first
            next: last
            rules:
              - {id: low, when: "true", priority: 1, run: [s1]}
              - {id: high, when: "true", priority: 9, run: [s2], next: last}
              - {id: low2, when: "true", priority: 1, run: [s1]}
          - id: last
            rules: []
        steps:
          - {id: s1, type: set, vars: {a: 1}}
          - {id: s2, type: set, vars: {b: 1}}
        """
    )
    stage = graph.nodes["first"]
    assert stage.type is NodeType.STAGE
    assert [rule.id for rule in stage.rules] == ["high", "low", "low2"]
    assert {(e.kind, e.label, e.target) for e in stage.by_kind[EdgeKind.STAGE]} == {
        (EdgeKind.STAGE, "high", "last"),
        (EdgeKind.STAGE, "(no rule)", "last"),
    }


def test_compile_caches_the_graph_per_version() -> None:
    text = (ROOT / "playbooks" / "phishing_triage.yaml").read_text()
    first = compile_playbook(load_playbook(text))
    assert compile_playbook(load_playbook(text)) is first
    changed = load_playbook(text.replace("default: 70", "default: 60"))
    assert version_id(changed) != first.version_id
    assert compile_playbook(changed) is not first
