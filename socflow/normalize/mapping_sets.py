"""Mapping files to parsers: reading a set of YAML/TOML mapping texts, and registering their parsers."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from typing import Any, Final

import yaml

from socflow.errors import Conflict, Issue, ValidationFailed
from socflow.normalize import builtin
from socflow.normalize.mapping import from_dict
from socflow.normalize.registry import PARSER_OVERRIDES, PARSERS, ParserSpec

MAPPING_SUFFIXES: Final = (".yaml", ".yml", ".toml")


def _decode(filename: str, text: str) -> Any:
    if filename.endswith(".toml"):
        return tomllib.loads(text)
    return yaml.safe_load(text)


def mappings_from_texts(files: Mapping[str, str]) -> list[ParserSpec]:
    """Mapping files given as {file name: text} (YAML, or TOML by a .toml name) as ParserSpecs.

    All problems in all files are reported at once: ValidationFailed with issue paths such as
    `acme.yaml:fields[3].convert`. Reading the files is the caller's job: this layer does no I/O."""
    specs: list[ParserSpec] = []
    issues: list[Issue] = []
    names: dict[str, str] = {}
    for filename in sorted(files):
        try:
            mapping = from_dict(_decode(filename, files[filename]))
        except ValidationFailed as error:
            issues.extend(Issue(f"{filename}:{issue.path}", issue.message) for issue in error.issues)
            continue
        except (yaml.YAMLError, tomllib.TOMLDecodeError) as error:
            issues.append(Issue(filename, f"cannot be read: {error}"))
            continue
        if mapping.name in names:
            issues.append(
                Issue(f"{filename}:name", f"{mapping.name!r} is also defined in {names[mapping.name]}")
            )
            continue
        names[mapping.name] = filename
        specs.append(mapping.spec())
    if issues:
        raise ValidationFailed(f"{len(issues)} problems in {len(files)} mapping files", issues=issues)
    return specs


def register_mappings(specs: list[ParserSpec], *, override: bool = True) -> None:
    """Register user mappings; one named like a registered parser replaces it when `override`."""
    builtin.register_builtins()
    for spec in specs:
        if spec.name in PARSERS and PARSERS.get(spec.name) is not spec:
            if not override:
                raise Conflict(f"parser {spec.name!r} is already registered; a mapping may not replace it")
            PARSER_OVERRIDES.put(spec)
        else:
            PARSERS.register(spec)


def unregister_override(name: str) -> None:
    """Drop a mapping that replaced a registered parser (the registered one applies again)."""
    PARSER_OVERRIDES.remove(name)
