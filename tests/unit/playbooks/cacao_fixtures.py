"""Small CACAO v2 documents written for these tests: every step type, variables, agents and targets."""

from __future__ import annotations

import copy
from typing import Any


def ident(kind: str, number: int) -> str:
    return f"{kind}--00000000-0000-4000-8000-{number:012d}"


START, FETCH, SPLIT, SCAN, SWEEP = (
    ident("start", 1),
    ident("action", 2),
    ident("parallel", 3),
    ident("action", 4),
    ident("action", 5),
)
SCAN_END, SWEEP_END, CHECK = ident("end", 6), ident("end", 7), ident("if-condition", 8)
CHILD, CHILD_END, ROUTE, ASK, ASK_END = (
    ident("playbook-action", 9),
    ident("end", 10),
    ident("switch-condition", 11),
    ident("action", 12),
    ident("end", 13),
)
OTHER_END, ROUTE_END, LOOP, POLL, POLL_END, DONE = (
    ident("end", 14),
    ident("end", 15),
    ident("while-condition", 16),
    ident("action", 17),
    ident("end", 18),
    ident("end", 19),
)
AGENT, TARGET, PERSON = ident("soarca", 20), ident("linux", 21), ident("individual", 22)


def every_step_type() -> dict[str, Any]:
    """start, http, parallel(ssh | pwsh), if(sub-playbook | switch(manual | default)), while(bash), end."""
    return copy.deepcopy(
        {
            "type": "playbook",
            "spec_version": "cacao-2.0",
            "id": ident("playbook", 100),
            "name": "Contain a host",
            "description": "Every CACAO step type socflow maps",
            "playbook_types": ["mitigation"],
            "labels": ["test"],
            "created_by": ident("identity", 101),
            "created": "2024-01-01T00:00:00.000Z",
            "modified": "2024-01-02T00:00:00.000Z",
            "playbook_variables": {
                "__ip__": {"type": "ipv4-addr", "description": "the host", "external": True},
                "__mode__": {"type": "string", "value": "block", "constant": False},
                "__tries__": {"type": "integer", "value": "3"},
            },
            "workflow_start": START,
            "workflow": {
                START: {"type": "start", "name": "Begin", "on_completion": FETCH},
                FETCH: {
                    "type": "action",
                    "name": "Ask the firewall",
                    "timeout": 30000,
                    "on_completion": SPLIT,
                    "commands": [
                        {
                            "type": "http-api",
                            "command": "GET /hosts/__ip__:value HTTP/1.1",
                            "headers": {"Accept": ["application/json"]},
                        }
                    ],
                    "agent": AGENT,
                    "targets": [TARGET],
                    "out_args": ["__answer__"],
                },
                SPLIT: {"type": "parallel", "next_steps": [SCAN, SWEEP], "on_completion": CHECK},
                SCAN: {
                    "type": "action",
                    "on_completion": SCAN_END,
                    "commands": [{"type": "ssh", "command": "nmap __ip__:value"}],
                    "agent": AGENT,
                    "targets": [TARGET],
                },
                SCAN_END: {"type": "end"},
                SWEEP: {
                    "type": "action",
                    "on_completion": SWEEP_END,
                    "commands": [{"type": "powershell", "command": "Get-Process"}],
                    "agent": AGENT,
                },
                SWEEP_END: {"type": "end", "name": "sweep done"},
                CHECK: {
                    "type": "if-condition",
                    "condition": "__ip__:value == '10.0.0.1'",
                    "on_true": CHILD,
                    "on_false": ROUTE,
                    "on_completion": LOOP,
                },
                CHILD: {
                    "type": "playbook-action",
                    "playbook_id": ident("playbook", 200),
                    "in_args": ["__ip__"],
                    "on_completion": CHILD_END,
                },
                CHILD_END: {"type": "end"},
                ROUTE: {
                    "type": "switch-condition",
                    "switch": "__mode__:value",
                    "cases": {"block": ASK, "default": OTHER_END},
                    "on_completion": ROUTE_END,
                },
                ASK: {
                    "type": "action",
                    "on_completion": ASK_END,
                    "commands": [{"type": "manual", "command": "Call the owner of __ip__:value"}],
                    "agent": AGENT,
                    "targets": [PERSON],
                },
                ASK_END: {"type": "end"},
                OTHER_END: {"type": "end"},
                ROUTE_END: {"type": "end"},
                LOOP: {
                    "type": "while-condition",
                    "condition": "__tries__:value > 0",
                    "on_true": POLL,
                    "on_completion": DONE,
                },
                POLL: {
                    "type": "action",
                    "on_completion": POLL_END,
                    "commands": [{"type": "bash", "command": "echo ${#names[@]}"}],
                    "agent": AGENT,
                },
                POLL_END: {"type": "end"},
                DONE: {"type": "end", "name": "Finished"},
            },
            "agent_definitions": {AGENT: {"type": "soarca", "name": "soarca-lab"}},
            "target_definitions": {
                TARGET: {"type": "linux", "name": "web-1", "address": {"ipv4": ["__ip__:value"]}},
                PERSON: {"type": "individual", "name": "Host owner"},
            },
        }
    )
