"""SOARCA's CACAO v2 examples: each imports (schema problems reported), validates and round-trips."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from socflow.playbooks.cacao_export import export_cacao
from socflow.playbooks.cacao_import import import_cacao
from socflow.playbooks.cacao_model import workflow_outline


def _examples(corpus: Path) -> list[Path]:
    found = sorted((corpus / "cacao" / "examples").glob("*.json"))
    if not found:
        pytest.skip(f"no CACAO examples under {corpus / 'cacao' / 'examples'}")
    return found


def _validator(corpus: Path) -> Draft7Validator:
    """The OASIS schemas from the corpus in a local registry: every $ref resolves without the network."""
    root = corpus / "cacao" / "schemas" / "schemas"
    resources = []
    for path in root.rglob("*.json"):
        schema = json.loads(path.read_text(encoding="utf-8"))
        resources.append((schema["$id"], Resource.from_contents(schema, default_specification=DRAFT7)))
    registry: Registry[Any] = Registry().with_resources(resources)
    return Draft7Validator(
        json.loads((root / "playbook.json").read_text(encoding="utf-8")), registry=registry
    )


def _schema_errors(validator: Draft7Validator, document: dict[str, Any]) -> set[tuple[str, str]]:
    return {(error.json_path, error.message) for error in validator.iter_errors(document)}


def test_corpus_cacao_every_example_imports_validates_and_round_trips(corpus: Path) -> None:
    validator = _validator(corpus)
    summary = []
    for path in _examples(corpus):
        original = json.loads(path.read_text(encoding="utf-8"))
        imported = import_cacao(original)
        assert imported.playbook is not None, f"{path.name}: {imported.issues}"
        socflow_issues = [i for i in imported.issues if i.message.startswith("socflow:")]
        assert socflow_issues == [], f"{path.name} does not make a valid socflow playbook: {socflow_issues}"
        before = _schema_errors(validator, original)
        if before:  # a schema-invalid example is reported by the importer itself, with paths
            assert imported.issues, f"{path.name} breaks the CACAO schema but no issue was reported"
        exported = export_cacao(imported.playbook)
        assert workflow_outline(exported) == workflow_outline(original), path.name
        after = _schema_errors(validator, exported)
        assert after <= before, f"{path.name}: export added schema errors {sorted(after - before)}"
        again = import_cacao(exported)
        assert again.playbook == imported.playbook, f"{path.name}: import(export(import(x))) != import(x)"
        summary.append((path.name, len(before), len(imported.issues), len(imported.playbook.steps)))
    print("\nCACAO example                 schema errors  import issues  socflow steps")
    for name, errors, issues, steps in summary:
        print(f"{name:<30}{errors:>13}{issues:>15}{steps:>15}")
    print(f"{len(summary)} examples: all import, validate and round-trip")
