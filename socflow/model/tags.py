"""Tags in one form: trimmed, lower-cased, de-duplicated, 1 to 100 characters."""

from __future__ import annotations

from typing import Final

from socflow.errors import Issue, ValidationFailed

MAX_TAG_CHARS: Final = 100


def clean_tags(tags: list[str] | None, path: str = "tags") -> list[str]:
    """Tags trimmed, lower-cased, de-duplicated in order; empty or over-long tags are refused."""
    result: list[str] = []
    for index, tag in enumerate(tags or []):
        value = tag.strip().lower()
        if not value or len(value) > MAX_TAG_CHARS:
            raise ValidationFailed(
                f"{path}[{index}] must be 1 to {MAX_TAG_CHARS} characters",
                issues=[Issue(f"{path}[{index}]", f"1 to {MAX_TAG_CHARS} characters")],
            )
        if value not in result:
            result.append(value)
    return result
