"""Conductor semantics per control and action step; state is rebuilt from JSON after every operation."""

from __future__ import annotations

from playbook_support import Driver, graph_of, ids

from socflow.playbooks.graph import WorkKind
from socflow.playbooks.work import RunStatus


def seq(steps: str, extra: str = "") -> Driver:
    return Driver(graph_of(f"id: t\nname: T\nkind: sequential\n{extra}steps:\n{steps}"))


NOTIFY = "type: action, action: chat.notify"


def test_conductor_action_resolves_arguments_and_names_the_action() -> None:
    args = "{text: 'hi {{ alert.user }}', channel: '{{ inputs.ch }}'}"
    driver = seq(f"  - {{id: a, {NOTIFY}, args: {args}, timeout: 30s}}\n",
                 "inputs: [{name: ch, default: '#soc'}]\n")  # fmt: skip
    [ready] = driver.start({"alert": {"user": "bob"}})
    assert (ready.kind, ready.name, ready.args, ready.timeout) == (
        WorkKind.ACTION, "chat.notify", {"text": "hi bob", "channel": "#soc"}, 30.0,
    )  # fmt: skip
    assert len(ready.idempotency_key) == 64
    driver.ok("a", {"sent": True})
    assert driver.conductor.status is RunStatus.SUCCEEDED
    assert driver.state["steps"]["a"]["result"] == {"sent": True}


def test_conductor_condition_and_switch_pick_their_branch() -> None:
    steps = (
        "  - {id: c, type: condition, when: 'alert.score > 5', then: s, else: low}\n"
        "  - {id: s, type: switch, value: '{{ alert.kind }}', cases: {mail: m, web: w}, default: low}\n"
        "  - {id: m, type: end, outcome: mail}\n"
        "  - {id: w, type: end, outcome: web}\n"
        "  - {id: low, type: end, outcome: low}\n"
    )
    outcomes = []
    for alert in ({"score": 9, "kind": "web"}, {"score": 9, "kind": "usb"}, {"score": 1, "kind": "mail"}):
        driver = seq(steps)
        assert driver.start({"alert": alert}) == []
        outcomes.append((driver.state["outcome"], driver.state["path"]))
    assert outcomes == [("web", ["c", "s", "w"]), ("low", ["c", "s", "low"]), ("low", ["c", "low"])]


def test_conductor_set_variable_keeps_native_values() -> None:
    driver = seq(
        "  - {id: v, type: set, vars: {hosts: '{{ alert.hosts }}', n: '{{ alert.hosts | length }}'}}\n"
    )
    driver.start({"alert": {"hosts": ["a", "b"]}})
    assert driver.state["vars"] == {"hosts": ["a", "b"], "n": 2}


PARALLEL = (
    "  - {id: p, type: parallel, branches: [a, b, c], join: JOIN, next: after}\n"
    f"  - {{id: a, {NOTIFY}, args: {{text: a}}}}\n"
    f"  - {{id: b, {NOTIFY}, args: {{text: b}}}}\n"
    f"  - {{id: c, {NOTIFY}, args: {{text: c}}}}\n"
    f"  - {{id: after, {NOTIFY}, args: {{text: after}}}}\n"
)


def test_conductor_parallel_join_all_waits_for_every_branch() -> None:
    driver = seq(PARALLEL.replace("JOIN", "all"))
    assert ids(driver.start()) == ["a", "b", "c"]
    assert driver.ok("b") == []
    assert driver.ok("a") == []
    assert ids(driver.ok("c")) == ["after"]


def test_conductor_parallel_join_any_cancels_the_other_branches() -> None:
    driver = seq(PARALLEL.replace("JOIN", "any"))
    driver.start()
    assert ids(driver.ok("b")) == ["after"]
    assert driver.state["steps"]["a"]["status"] == "cancelled"
    assert driver.ok("a") == []  # a late result of a cancelled branch is ignored
    assert set(driver.state["work"]) == {"after"}


def test_conductor_parallel_join_n_continues_after_n_branches() -> None:
    driver = seq(PARALLEL.replace("JOIN", "2"))
    driver.start()
    assert driver.ok("c") == []
    assert ids(driver.ok("a")) == ["after"]
    assert driver.state["steps"]["b"]["status"] == "cancelled"


FOR_EACH = (
    "  - id: each\n    type: for_each\n    items: '{{ alert.hosts }}'\n    as: host\n    concurrency: 2\n"
    "    do: {id: scan, type: action, action: edr.scan_host, args: {host: '{{ host }}'}}\n"
    "    next: done\n"
    f"  - {{id: done, {NOTIFY}, args: {{text: '{{{{ steps.each.result | length }}}}'}}}}\n"
)


def test_conductor_for_each_respects_the_concurrency_limit() -> None:
    driver = seq(FOR_EACH)
    first = driver.start({"alert": {"hosts": ["h0", "h1", "h2", "h3", "h4"]}})
    assert [(r.step_id, r.args["host"]) for r in first] == [("scan[0]", "h0"), ("scan[1]", "h1")]
    assert ids(driver.ok("scan[1]", {"clean": 1})) == ["scan[2]"]
    assert ids(driver.ok("scan[0]", {"clean": 0})) == ["scan[3]"]
    assert len(driver.state["work"]) == 2
    driver.ok("scan[3]", {"clean": 3})
    driver.ok("scan[2]", {"clean": 2})
    [done] = driver.ok("scan[4]", {"clean": 4})
    assert driver.state["steps"]["each"]["result"] == [{"clean": i} for i in range(5)]
    assert done.args == {"text": 5}


def test_conductor_for_each_item_failure_fails_the_step_and_stops_the_rest() -> None:
    driver = seq(FOR_EACH)
    driver.start({"alert": {"hosts": ["h0", "h1", "h2"]}})
    driver.fail("scan[0]")
    assert driver.conductor.status is RunStatus.FAILED
    assert driver.state["error"]["step"] == "each"
    assert driver.state["work"] == {}


def test_conductor_for_each_over_an_empty_list_goes_straight_on() -> None:
    driver = seq(FOR_EACH)
    [done] = driver.start({"alert": {"hosts": []}})
    assert done.args == {"text": 0}


def test_conductor_retries_with_capped_deterministic_backoff() -> None:
    retry = "{count: 4, backoff_base: 10s, backoff_max: 30s}"
    step = f"  - {{id: a, {NOTIFY}, args: {{text: x}}, retry: {retry}}}\n"
    driver = seq(step)
    [first] = driver.start()
    delays = []
    for attempt in range(1, 5):
        [again] = driver.fail("a", attempt=attempt)
        assert again.attempt == attempt + 1
        assert again.idempotency_key == first.idempotency_key
        delays.append(again.delay)
    raw = [10, 20, 30, 30]  # base * 2^(n-2), capped at max
    assert all(r / 2 <= d <= r for d, r in zip(delays, raw, strict=True))
    assert driver.fail("a", attempt=5) == []
    assert driver.conductor.status is RunStatus.FAILED
    replay = seq(step)
    replay.start()
    assert [replay.fail("a", attempt=n)[0].delay for n in range(1, 5)] == delays  # jitter is seeded


def test_conductor_retry_on_only_retries_listed_error_codes() -> None:
    driver = seq(
        f"  - {{id: a, {NOTIFY}, args: {{text: x}}, retry: {{count: 3}},"
        " retry_on: [rate_limited, timeout]}\n"
    )
    driver.start()
    assert ids(driver.fail("a", code="rate_limited")) == ["a"]
    assert ids(driver.time_out("a", attempt=2)) == ["a"]
    assert driver.fail("a", attempt=3, code="bad_request") == []
    assert driver.state["steps"]["a"]["error"] == {"message": "boom", "code": "bad_request"}


def test_conductor_on_failure_path_and_continue_on_error() -> None:
    steps = (
        f"  - {{id: a, {NOTIFY}, args: {{text: a}}, on_failure: fix, next: b}}\n"
        f"  - {{id: b, {NOTIFY}, args: {{text: b}}, continue_on_error: true, next: c}}\n"
        f"  - {{id: c, {NOTIFY}, args: {{text: c}}}}\n"
        f"  - {{id: fix, {NOTIFY}, args: {{text: fix}}, next: b}}\n"
    )
    driver = seq(steps)
    driver.start()
    assert ids(driver.fail("a")) == ["fix"]
    assert ids(driver.ok("fix")) == ["b"]
    assert ids(driver.fail("b")) == ["c"]
    driver.ok("c")
    assert driver.conductor.status is RunStatus.SUCCEEDED
    assert driver.state["steps"]["b"]["status"] == "failed"


def test_conductor_timeout_without_a_timeout_path_is_a_failure() -> None:
    driver = seq(
        f"  - {{id: a, {NOTIFY}, args: {{text: a}}, timeout: 5s, on_failure: h}}\n"
        "  - {id: h, type: end, outcome: handled}\n"
    )
    driver.start()
    driver.time_out("a")
    assert (driver.state["steps"]["a"]["status"], driver.state["outcome"]) == ("timed_out", "handled")


def test_conductor_wait_gives_the_worker_a_due_time() -> None:
    driver = seq(
        "  - {id: w, type: wait, duration: 15m, next: u}\n  - {id: u, type: wait, until: '{{ alert.at }}'}\n"
    )
    [wait] = driver.start({"alert": {"at": "2026-03-02T00:00:00+00:00"}})
    assert (wait.kind, wait.due_at) == (WorkKind.WAIT_TIMER, "2026-03-01T10:15:00+00:00")
    [until] = driver.ok("w", at="2026-03-01T10:15:00+00:00")
    assert until.due_at == "2026-03-02T00:00:00+00:00"
    assert driver.conductor.status is RunStatus.WAITING


def test_conductor_wait_for_event_matches_correlation_keys_or_times_out() -> None:
    steps = (
        "  - {id: w, type: wait_event, event: mail.reply, correlate: {ticket: '{{ alert.ticket }}'},"
        " timeout: 1h, on_timeout: late, next: got}\n"
        "  - {id: got, type: end, outcome: replied}\n"
        "  - {id: late, type: end, outcome: no_reply}\n"
    )
    driver = seq(steps)
    [wait] = driver.start({"alert": {"ticket": "T-1"}})
    assert wait.args == {"event": "mail.reply", "correlate": {"ticket": "T-1"}}
    assert wait.timeout == 3600
    driver.signal("mail.reply", data={"ticket": "T-2"})
    assert driver.conductor.status is RunStatus.WAITING
    driver.signal("mail.reply", data={"ticket": "T-1", "body": "yes"})
    assert driver.state["outcome"] == "replied"
    assert driver.state["steps"]["w"]["result"]["body"] == "yes"
    late = seq(steps)
    late.start({"alert": {"ticket": "T-1"}})
    late.time_out("w")
    assert late.state["outcome"] == "no_reply"


def test_conductor_end_with_failed_status_fails_the_run_with_its_outcome() -> None:
    driver = seq("  - {id: stop, type: end, outcome: not_applicable, status: failed}\n")
    driver.start()
    assert (driver.conductor.status, driver.state["outcome"]) == (RunStatus.FAILED, "not_applicable")


def test_conductor_sub_playbook_and_case_operation_are_handed_to_the_worker() -> None:
    steps = (
        "  - {id: sub, type: sub_playbook, playbook: enrich_host,"
        " inputs: {host: '{{ alert.host }}'}, next: tag}\n"
        "  - {id: tag, type: case_operation, operation: add_tag,"
        " args: {tag: '{{ steps.sub.result.label }}'}}\n"
    )
    driver = seq(steps)
    [sub] = driver.start({"alert": {"host": "h1"}})
    assert (sub.kind, sub.name, sub.args) == (
        WorkKind.SUB_PLAYBOOK,
        "enrich_host",
        {"playbook": "enrich_host", "inputs": {"host": "h1"}},
    )
    [tag] = driver.ok("sub", {"label": "vip"})
    assert (tag.kind, tag.name, tag.args) == (
        WorkKind.CASE_OPERATION,
        "add_tag",
        {"operation": "add_tag", "tag": "vip"},
    )


def test_conductor_expression_error_fails_the_step_not_the_process() -> None:
    driver = seq(
        f"  - {{id: a, {NOTIFY}, args: {{text: '{{{{ alert.nope.deeper }}}}'}}, on_failure: h}}\n"
        "  - {id: h, type: end, outcome: handled}\n"
    )
    assert driver.start({"alert": {}}) == []
    assert driver.state["outcome"] == "handled"
    assert driver.state["steps"]["a"]["error"]["code"] == "expression_error"


def test_conductor_outputs_are_evaluated_at_the_end() -> None:
    driver = seq(
        f"  - {{id: a, {NOTIFY}, args: {{text: x}}}}\n", "outputs: {n: '{{ steps.a.result.n + 1 }}'}\n"
    )
    driver.start()
    driver.ok("a", {"n": 41})
    assert driver.state["outputs"] == {"n": 42}


def test_conductor_for_each_item_is_retried_with_its_own_arguments() -> None:
    driver = seq(
        FOR_EACH.replace("args: {host: '{{ host }}'}", "args: {host: '{{ host }}'}, retry: {count: 1}")
    )
    driver.start({"alert": {"hosts": ["h0", "h1"]}})
    [again] = driver.fail("scan[1]")
    assert (again.step_id, again.attempt, again.args) == ("scan[1]", 2, {"host": "h1"})
    driver.ok("scan[0]", {"n": 0})
    [done] = driver.ok("scan[1]", {"n": 1}, attempt=2)
    assert driver.state["steps"]["each"]["result"] == [{"n": 0}, {"n": 1}]
    assert done.args == {"text": 2}


def test_conductor_failed_branch_without_handler_fails_the_run_and_stops_the_others() -> None:
    driver = seq(PARALLEL.replace("JOIN", "all"))
    driver.start()
    driver.ok("a")
    driver.fail("b")
    assert driver.conductor.status is RunStatus.FAILED
    assert driver.state["error"] == {"step": "b", "message": "boom", "code": None}
    assert driver.state["steps"]["c"]["status"] == "cancelled"
    assert driver.ok("c") == []
