"""The published JSON Schema of the playbook document, generated from the pydantic spec models."""

from __future__ import annotations

import json
from typing import Any, Final

from socflow.playbooks.spec import PLAYBOOK_ADAPTER

SCHEMA_ID: Final = "https://socflow.dev/schemas/playbook.schema.json"


def playbook_json_schema() -> dict[str, Any]:
    schema = PLAYBOOK_ADAPTER.json_schema(by_alias=True, mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "socflow playbook",
        "description": "A SOC playbook: sequential, state_machine or rules; see docs/playbooks.md",
        **schema,
    }


def render_schema() -> str:
    """The text committed as docs/playbook.schema.json (stable key order, trailing newline)."""
    return json.dumps(playbook_json_schema(), indent=2, sort_keys=True) + "\n"
