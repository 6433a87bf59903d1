"""Jinja2 expressions in an immutable sandbox, compiled once per playbook version; data stays data."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any, Final

from jinja2 import StrictUndefined, TemplateSyntaxError, Undefined, nodes
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from socflow.errors import SocflowError

# `{{ expr }}` and nothing else: evaluated as a native value (list, int, dict), not as text.
_WHOLE: Final = re.compile(r"^\s*\{\{(?P<expr>(?:(?!\}\}).)*)\}\}\s*$", re.DOTALL)
_PATH: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")
_HOLE: Final = re.compile(r"\{\{ *([^{}\s-][^{}]*?) *\}\}")
_DICT_ATTRIBUTES: Final = frozenset(dir(dict))
_MISSING: Final = object()
NAMESPACE: Final = ("trigger", "case", "alert", "steps", "vars", "inputs", "event", "item", "index", "run")


class ExpressionError(SocflowError):
    """A template or expression does not compile, is refused by the sandbox, or fails to evaluate."""

    code = "expression_error"
    http_status = 422
    exit_code = 65


class _Environment(ImmutableSandboxedEnvironment):
    """The immutable sandbox with plain-dict template globals (Jinja's ChainMap is slow to copy per call)."""

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        return {**self.globals, **(d or {})}


def _environment() -> ImmutableSandboxedEnvironment:
    env = _Environment(undefined=StrictUndefined, autoescape=False)
    # Only harmless globals: no cycler/joiner/namespace/lipsum objects to poke at.
    env.globals = {"range": env.globals["range"], "dict": dict}
    return env


ENV: Final = _environment()


def _refuse_private(tree: nodes.Node, source: str) -> None:
    """Refuse at compile time what the sandbox would refuse at run time: `_`-prefixed attributes."""
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        arg = getattr(node, "arg", None)
        name = node.attr if isinstance(node, nodes.Getattr) else getattr(arg, "value", None)
        if isinstance(name, str) and name.startswith("_"):
            raise ExpressionError(f"access to {name!r} is refused by the sandbox in {source!r}")


def _constant(text: Any) -> Callable[[Mapping[str, Any]], Any]:
    def render(_scope: Mapping[str, Any]) -> Any:
        return text

    return render


@dataclass(frozen=True)
class Compiled:
    """One compiled template: `native` ones return the expression's own value."""

    source: str
    native: bool
    render: Callable[[Mapping[str, Any]], Any]

    def __call__(self, scope: Mapping[str, Any]) -> Any:
        try:
            result = self.render(scope)
        except SecurityError as exc:
            raise ExpressionError(f"refused by the sandbox: {exc} in {self.source!r}") from exc
        except UndefinedError as exc:
            raise ExpressionError(f"{exc} in {self.source!r}") from exc
        except (TypeError, ValueError, ArithmeticError, LookupError, AttributeError) as exc:
            raise ExpressionError(f"{type(exc).__name__}: {exc} in {self.source!r}") from exc
        if isinstance(result, Undefined):
            raise ExpressionError(f"undefined value in {self.source!r}")
        return result


def _dotted(expr: str) -> tuple[str, ...] | None:
    """`alert.source.ip` -> its parts, when a plain dict walk means exactly what Jinja would do."""
    if _PATH.fullmatch(expr) is None:
        return None
    parts = tuple(expr.split("."))
    return None if any(p.startswith("_") or p in _DICT_ATTRIBUTES for p in parts) else parts


def _walk(parts: tuple[str, ...], scope: Mapping[str, Any]) -> Any:
    value: Any = scope
    for part in parts:
        if type(value) is not dict or part not in value:
            return _MISSING
        value = value[part]
    return value


def _fast_native(parts: tuple[str, ...], slow: Callable[[Mapping[str, Any]], Any]) -> Callable[..., Any]:
    """Most arguments are a bare path into the data; walk it directly, Jinja only when that fails."""

    def render(scope: Mapping[str, Any]) -> Any:
        value = _walk(parts, scope)
        return slow(scope) if value is _MISSING else value

    return render


def _fast_text(source: str, slow: Callable[[Mapping[str, Any]], Any]) -> Callable[..., Any] | None:
    """Text with only `{{ path }}` holes renders by string joins; anything else stays with Jinja."""
    if "{%" in source or "{#" in source or source.endswith("\n"):
        return None
    pieces = _HOLE.split(source)  # literal, path, literal, path, ..., literal
    paths = [_dotted(piece) for piece in pieces[1::2]]
    if any(p is None for p in paths) or any("{{" in lit or "}}" in lit for lit in pieces[0::2]):
        return None
    literals = pieces[0::2]

    def render(scope: Mapping[str, Any]) -> Any:
        out = [literals[0]]
        for parts, literal in zip(paths, literals[1:], strict=True):
            value = _walk(parts, scope)  # type: ignore[arg-type]
            if value is _MISSING:
                return slow(scope)
            out.append(str(value))
            out.append(literal)
        return "".join(out)

    return render


def compile_template(source: str) -> Compiled:
    """Compile a playbook string; plain text (no `{{`/`{%`/`{#`) becomes a constant."""
    if "{{" not in source and "{%" not in source and "{#" not in source:
        return Compiled(source, True, _constant(source))
    whole = _WHOLE.match(source)
    try:
        if whole is not None:
            expr = whole.group("expr").strip()
            _refuse_private(ENV.parse("{{ " + expr + " }}"), source)
            slow = ENV.compile_expression(expr, undefined_to_none=False)
            parts = _dotted(expr)
            return Compiled(source, True, slow if parts is None else _fast_native(parts, slow))
        _refuse_private(ENV.parse(source), source)
        template = ENV.from_string(source)
        return Compiled(source, False, _fast_text(source, template.render) or template.render)
    except TemplateSyntaxError as exc:
        raise ExpressionError(f"syntax error: {exc.message} in {source!r}") from exc


def compile_expression(source: str) -> Compiled:
    """A guard or value expression: `x > 3` and `{{ x > 3 }}` mean the same."""
    return compile_template(source if "{{" in source else "{{ " + source + " }}")


class Compiler:
    """Compiles each distinct string once; one instance (a cache) per playbook version."""

    def __init__(self) -> None:
        self._templates: dict[str, Compiled] = {}
        self._expressions: dict[str, Compiled] = {}

    def template(self, source: str) -> Compiled:
        found = self._templates.get(source)
        if found is None:
            found = self._templates[source] = compile_template(source)
        return found

    def expression(self, source: str) -> Compiled:
        found = self._expressions.get(source)
        if found is None:
            found = self._expressions[source] = compile_expression(source)
        return found

    def value(self, raw: Any) -> Value:
        """Compile a nested argument value into one function of the scope (no per-call type dispatch)."""
        if isinstance(raw, str):
            return self.template(raw)
        if isinstance(raw, dict):
            pairs = [(str(k), self.value(v)) for k, v in raw.items()]

            def build_dict(scope: Mapping[str, Any]) -> Any:
                return {key: part(scope) for key, part in pairs}

            return build_dict
        if isinstance(raw, list):
            parts = [self.value(v) for v in raw]

            def build_list(scope: Mapping[str, Any]) -> Any:
                return [part(scope) for part in parts]

            return build_list
        return _constant(raw)

    def __len__(self) -> int:
        return len(self._templates) + len(self._expressions)


Value = Callable[[Mapping[str, Any]], Any]


def resolve(value: Value, scope: Mapping[str, Any]) -> Any:
    """Evaluate a compiled nested value; rendered output is never evaluated again (data stays data)."""
    return value(scope)


def truthy(compiled: Compiled, scope: Mapping[str, Any]) -> bool:
    result = compiled(scope)
    if isinstance(result, str):
        return result.strip().lower() not in {"", "false", "0", "no", "none"}
    return bool(result)


_VERSION_CACHE: dict[str, Compiler] = {}
_VERSION_CACHE_MAX: Final = 512


def compiler_for(version_id: str) -> Compiler:
    """The compile cache of one playbook version (shared by every run of that version)."""
    found = _VERSION_CACHE.get(version_id)
    if found is None:
        if len(_VERSION_CACHE) >= _VERSION_CACHE_MAX:
            _VERSION_CACHE.pop(next(iter(_VERSION_CACHE)))
        found = _VERSION_CACHE[version_id] = Compiler()
    return found
