"""Reads the user's declarative device mappings from a directory and registers them as parsers."""

from __future__ import annotations

from pathlib import Path

from socflow.config import Settings
from socflow.errors import Issue, ValidationFailed
from socflow.normalize.mapping_sets import MAPPING_SUFFIXES, mappings_from_texts, register_mappings
from socflow.normalize.registry import ParserSpec


def load_mappings(directory: Path | str) -> list[ParserSpec]:
    """Every *.yaml, *.yml and *.toml mapping in `directory` as ParserSpecs; all problems at once."""
    folder = Path(directory)
    if not folder.is_dir():
        raise ValidationFailed(
            f"mapping directory {folder} does not exist", issues=[Issue(str(folder), "no such directory")]
        )
    files: dict[str, str] = {}
    issues: list[Issue] = []
    for path in sorted(folder.iterdir()):
        if path.suffix not in MAPPING_SUFFIXES or not path.is_file():
            continue
        try:
            files[path.name] = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as error:
            issues.append(Issue(path.name, f"cannot be read: {error}"))
    if issues:
        raise ValidationFailed(f"{len(issues)} problems in mappings under {folder}", issues=issues)
    return mappings_from_texts(files)


def install_user_mappings(settings: Settings) -> list[str]:
    """Register the mappings in SOCFLOW_MAPPINGS_DIR; every intake entry point calls this first."""
    return install_mappings(settings.mappings_dir)


def install_mappings(directory: Path | str | None) -> list[str]:
    """Load and register the mappings in `directory` (none when it is unset); the names registered."""
    if directory is None:
        return []
    specs = load_mappings(directory)
    register_mappings(specs, override=True)
    return [spec.name for spec in specs]
