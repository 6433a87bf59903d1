"""Retry backoff: exponential, capped, jittered by a fraction seeded from the step's key and attempt."""

from __future__ import annotations

import pytest
from playbook_support import Driver, graph_of

from socflow.playbooks.work import RetryPolicy, backoff_delay, idempotency_key

# The delay is rounded to milliseconds, so a bound may be missed by half of one.
ROUNDING = 0.0005
POLICY = RetryPolicy(count=8, backoff_base=10.0, backoff_max=300.0)


def keys(count: int) -> list[str]:
    """Real idempotency keys: the same step and arguments in `count` different runs."""
    return [idempotency_key(f"run-{n}", "block", 1, {"ip": "203.0.113.7"}) for n in range(count)]


def unjittered(policy: RetryPolicy, attempt: int) -> float:
    """The documented exponential delay before jitter: base * 2^(n-2), capped at max."""
    return min(policy.backoff_max, policy.backoff_base * 2.0 ** max(0, attempt - 2))


def test_the_same_attempt_waits_differently_for_different_keys() -> None:
    delays = [backoff_delay(POLICY, key, 2) for key in keys(50)]

    assert len(set(delays)) >= 10
    assert len(set(delays)) >= 45  # 50 draws from [5s, 10s] in milliseconds rarely collide


def test_the_same_key_waits_differently_from_one_attempt_to_the_next() -> None:
    [key] = keys(1)
    capped = RetryPolicy(count=8, backoff_base=60.0, backoff_max=60.0)  # the same raw delay every time

    fractions = [backoff_delay(capped, key, attempt) / 60.0 for attempt in range(2, 10)]

    assert len(set(fractions)) == len(fractions)


@pytest.mark.parametrize("attempt", range(1, 11))
def test_every_delay_stays_between_half_and_all_of_the_capped_exponential(attempt: int) -> None:
    raw = unjittered(POLICY, attempt)

    for key in keys(50):
        delay = backoff_delay(POLICY, key, attempt)
        assert raw / 2 - ROUNDING <= delay <= raw + ROUNDING
        assert delay <= POLICY.backoff_max + ROUNDING


def test_the_exponential_doubles_from_the_base_and_stops_at_the_cap() -> None:
    assert [unjittered(POLICY, n) for n in range(1, 9)] == [10, 10, 20, 40, 80, 160, 300, 300]
    # With the cap reached the raw delay no longer grows, so no jittered delay may pass it.
    late = [backoff_delay(POLICY, key, attempt) for key in keys(20) for attempt in range(7, 12)]
    assert max(late) <= 300.0
    assert min(late) >= 150.0


def test_the_jitter_spreads_over_its_whole_range() -> None:
    fractions = sorted(backoff_delay(POLICY, key, 3) / unjittered(POLICY, 3) for key in keys(200))

    assert fractions[0] < 0.55
    assert fractions[-1] > 0.95
    lower_half = sum(fraction < 0.75 for fraction in fractions)
    assert 60 <= lower_half <= 140  # roughly uniform, not piled on one side


def test_the_delay_is_a_function_of_key_and_attempt_alone() -> None:
    first = [backoff_delay(POLICY, key, attempt) for key in keys(20) for attempt in range(1, 6)]
    again = [backoff_delay(POLICY, key, attempt) for key in keys(20) for attempt in range(1, 6)]
    same_numbers = RetryPolicy(count=1, backoff_base=10.0, backoff_max=300.0)  # count plays no part

    assert first == again
    assert [backoff_delay(same_numbers, k, a) for k in keys(20) for a in range(1, 6)] == first


RETRIED = (
    "id: t\nname: T\nkind: sequential\nsteps:\n"
    "  - {id: a, type: action, action: chat.notify, args: {text: x},"
    " retry: {count: 3, backoff_base: 10s, backoff_max: 30s}}\n"
)


def retry_delays(run_id: str) -> list[float]:
    """The delays the conductor hands out for a step failing every attempt in run `run_id`."""
    driver = Driver(graph_of(RETRIED))
    driver.start(run_id=run_id)
    return [driver.fail("a", attempt=n)[0].delay for n in range(1, 4)]


def test_the_conductor_jitters_the_same_step_differently_in_different_runs() -> None:
    by_run = {run_id: retry_delays(run_id) for run_id in (f"run-{n}" for n in range(50))}

    first_retries = {delays[0] for delays in by_run.values()}
    assert len(first_retries) >= 10
    for delays in by_run.values():
        assert all(r / 2 - ROUNDING <= d <= r + ROUNDING for d, r in zip(delays, [10, 20, 30], strict=True))
    assert retry_delays("run-7") == by_run["run-7"]  # a replayed run waits exactly as before
