"""CACAO `__name__:value` references <-> socflow Jinja2 names, and the small value maps between them."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Collection
from typing import Any, Final

from socflow.playbooks.spec import InputType

# socflow's own namespace for the deterministic uuid5 ids of exported objects (not CACAO's reserved one).
SOCFLOW_NAMESPACE: Final = uuid.UUID("6f1f3a52-94a3-4c55-9a70-1d2c7e0b5e31")
ACTION_PREFIX: Final = "cacao."
_CACAO_REF: Final = re.compile(r"__(?P<name>[a-zA-Z_][a-zA-Z0-9_-]*?)__:value")
_JINJA_MARK: Final = re.compile(r"\{[{%#]")
_NAME: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TEMPLATE_BACK: Final = re.compile(
    r"\{\{ '(?P<mark>\{[{%#])' \}\}"
    r"|\{\{ (?P<scope>inputs|vars)(?:\.(?P<dotted>[A-Za-z_][A-Za-z0-9_]*)|\['(?P<quoted>[^'\]]+)'\]) \}\}"
)
_EXPRESSION_BACK: Final = re.compile(
    r"\b(?P<scope>inputs|vars)(?:\.(?P<dotted>[A-Za-z_][A-Za-z0-9_]*)|\['(?P<quoted>[^'\]]+)'\])"
)
VARIABLE_TYPES: Final[dict[str, InputType]] = {
    "bool": InputType.BOOLEAN,
    "integer": InputType.INTEGER,
    "long": InputType.INTEGER,
    "float": InputType.NUMBER,
    "dictionary": InputType.OBJECT,
}
INPUT_TYPES: Final[dict[InputType, str]] = {
    InputType.BOOLEAN: "bool",
    InputType.INTEGER: "integer",
    InputType.NUMBER: "float",
    InputType.OBJECT: "dictionary",
    InputType.LIST: "string",
    InputType.STRING: "string",
}


def variable_name(cacao_name: str) -> str:
    """`__target_ip__` -> `target_ip`."""
    return cacao_name[2:-2] if cacao_name.startswith("__") and cacao_name.endswith("__") else cacao_name


def _reference(name: str, inputs: Collection[str]) -> str:
    scope = "inputs" if f"__{name}__" in inputs else "vars"
    return f"{scope}.{name}" if _NAME.match(name) else f"{scope}['{name}']"


def to_template(text: str, inputs: Collection[str]) -> str:
    """CACAO text -> a socflow template: references become `{{ vars.x }}`, literal Jinja marks are quoted."""
    out: list[str] = []
    position = 0
    for match in _CACAO_REF.finditer(text):
        out.append(_JINJA_MARK.sub(lambda m: "{{ '" + m.group() + "' }}", text[position : match.start()]))
        out.append("{{ " + _reference(match["name"], inputs) + " }}")
        position = match.end()
    out.append(_JINJA_MARK.sub(lambda m: "{{ '" + m.group() + "' }}", text[position:]))
    return "".join(out)


def to_expression(text: str, inputs: Collection[str]) -> str:
    """A CACAO condition -> a socflow expression (references become bare `vars.x` names)."""
    return _CACAO_REF.sub(lambda m: _reference(m["name"], inputs), text)


def _back(match: re.Match[str]) -> str:
    if match.groupdict().get("mark"):
        return match["mark"]
    return f"__{match['dotted'] or match['quoted']}__:value"


def from_template(text: str) -> str:
    return _TEMPLATE_BACK.sub(_back, text)


def from_expression(text: str) -> str:
    return _EXPRESSION_BACK.sub(_back, text)


def deep(value: Any, convert: Callable[[str], str]) -> Any:
    """Apply a string conversion to every string inside lists and dicts (keys are left alone)."""
    if isinstance(value, str):
        return convert(value)
    if isinstance(value, dict):
        return {key: deep(item, convert) for key, item in value.items()}
    if isinstance(value, list):
        return [deep(item, convert) for item in value]
    return value


def action_name(command_type: str) -> str:
    """`http-api` -> `cacao.http_api`; anything else is made into a valid action name segment."""
    slug = re.sub(r"[^a-z0-9]+", "_", command_type.lower()).strip("_")
    if not slug or not slug[0].isalpha():
        slug = f"x_{slug}".rstrip("_")
    return ACTION_PREFIX + slug


def command_type(action: str) -> str:
    """The inverse of action_name for vocabulary names: `cacao.openc2_http` -> `openc2-http`."""
    return action.removeprefix(ACTION_PREFIX).replace("_", "-")


def duration(milliseconds: int) -> str:
    """CACAO timeouts are milliseconds; socflow durations are text (`100000` -> `100s`)."""
    return f"{milliseconds // 1000}s" if milliseconds % 1000 == 0 and milliseconds else f"{milliseconds}ms"


def cacao_id(kind: str, *parts: str) -> str:
    """A deterministic `<kind>--<uuid5>` identifier for an object that has no CACAO id yet."""
    return f"{kind}--{uuid.uuid5(SOCFLOW_NAMESPACE, '/'.join(parts))}"


def typed_default(value: Any, kind: InputType) -> Any:
    """CACAO writes every value as a string; a number, boolean or object default becomes that type."""
    if not isinstance(value, str) or kind is InputType.STRING:
        return value
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError:
        return value
    expected: dict[InputType, tuple[type, ...]] = {
        InputType.INTEGER: (int,),
        InputType.NUMBER: (int, float),
        InputType.BOOLEAN: (bool,),
    }
    wanted = expected.get(kind, (dict, list))
    return (
        parsed
        if isinstance(parsed, wanted) and not (kind is InputType.INTEGER and isinstance(parsed, bool))
        else value
    )
