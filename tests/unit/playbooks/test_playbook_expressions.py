"""Expressions: a sandboxed, immutable Jinja2; native values for whole expressions; data is never code."""

from __future__ import annotations

import pytest
from playbook_support import Driver, graph_of

from socflow.playbooks.expressions import (
    Compiler,
    ExpressionError,
    compile_expression,
    compile_template,
    compiler_for,
    resolve,
)


def test_expressions_whole_value_returns_native_types() -> None:
    scope = {"alert": {"ips": ["10.0.0.1", "10.0.0.2"], "count": 7, "user": {"name": "a"}}}
    assert compile_template("{{ alert.ips }}")(scope) == ["10.0.0.1", "10.0.0.2"]
    assert compile_template("{{ alert.count * 2 }}")(scope) == 14
    assert compile_template(" {{ alert.user }} ")(scope) == {"name": "a"}
    assert compile_template("count={{ alert.count }}")(scope) == "count=7"


def test_expressions_alert_content_is_data_not_a_template() -> None:
    scope = {"alert": {"title": "{{ 7*7 }}", "probe": "{{ cycler.__init__ }}", "stmt": "{% for x in y %}"}}
    assert compile_template("{{ alert.title }}")(scope) == "{{ 7*7 }}"
    assert compile_template("Title: {{ alert.title }} / {{ alert.probe }}")(scope) == (
        "Title: {{ 7*7 }} / {{ cycler.__init__ }}"
    )
    assert compile_template("{{ alert.stmt }}")(scope) == "{% for x in y %}"


def test_expressions_alert_content_stays_verbatim_through_a_whole_run() -> None:
    driver = Driver(
        graph_of(
            """
            id: data_only
            name: Data only
            kind: sequential
            steps:
              - {id: say, type: action, action: chat.notify, args: {text: "Alert {{ alert.title }}"}}
            """
        )
    )
    [ready] = driver.start({"alert": {"title": "{{ 7*7 }} {{ cycler.__init__ }}"}})
    assert ready.args == {"text": "Alert {{ 7*7 }} {{ cycler.__init__ }}"}


@pytest.mark.parametrize(
    "source",
    [
        "{{ cycler.__init__.__globals__ }}",
        "{{ ''.__class__.__mro__ }}",
        "{{ vars['__class__'] }}",
        "{{ alert.__dict__ }}",
    ],
)
def test_expressions_sandbox_escapes_are_refused_at_compile_time(source: str) -> None:
    with pytest.raises(ExpressionError, match="refused"):
        compile_template(source)


def test_expressions_sandbox_refuses_mutation_at_run_time() -> None:
    scope = {"vars": {"ips": [1, 2]}}
    with pytest.raises(ExpressionError):
        compile_template("{{ vars.ips.append(3) }}")(scope)
    assert scope["vars"]["ips"] == [1, 2]


def test_expressions_unknown_names_are_errors_not_empty_strings() -> None:
    with pytest.raises(ExpressionError, match="undefined"):
        compile_template("{{ nothing }}")({})
    with pytest.raises(ExpressionError):
        compile_template("x {{ alert.missing.deeper }}")({"alert": {}})
    assert compile_expression("alert.missing is defined")({"alert": {}}) is False


def test_expressions_syntax_error_is_an_expression_error() -> None:
    with pytest.raises(ExpressionError, match="syntax"):
        compile_expression("1 +")


def test_expressions_compile_once_per_playbook_version() -> None:
    compiler = compiler_for("cache-test@1:abc")
    assert compiler_for("cache-test@1:abc") is compiler
    assert compiler_for("cache-test@2:def") is not compiler
    first = compiler.template("{{ a }}")
    assert compiler.template("{{ a }}") is first
    assert len(compiler) == 1


def test_expressions_nested_values_resolve_every_leaf() -> None:
    value = Compiler().value({"a": ["{{ x }}", 3, {"b": "v={{ x }}"}], "c": None})
    assert resolve(value, {"x": 5}) == {"a": [5, 3, {"b": "v=5"}], "c": None}


@pytest.mark.parametrize(
    "source",
    ["{{ a.b }}", "x {{ a.b }} y {{ n }}", "{{ a.items }}", "{{a.b}}-{{ a.c }}", "{{ a.b }}\n"],
)
@pytest.mark.parametrize(
    "scope", [{"a": {"b": 1, "c": None}, "n": [1, 2]}, {"a": {"b": "x", "c": {"d": 1}}, "n": 0}]
)
def test_expressions_fast_paths_agree_with_jinja(source: str, scope: dict[str, object]) -> None:
    from socflow.playbooks.expressions import ENV

    whole = source.strip().startswith("{{") and source.strip().endswith("}}") and source.count("{{") == 1
    expected = (
        ENV.compile_expression(source.strip()[2:-2])(**scope)
        if whole
        else ENV.from_string(source).render(scope)
    )
    got = compile_template(source)(scope)
    if callable(expected):  # `a.items` is the dict method in Jinja too, never the key
        assert callable(got)
    else:
        assert got == expected
