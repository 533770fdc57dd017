"""Wire contracts that need no server: error kinds and the retry policy's serialized form."""

from __future__ import annotations

from datetime import timedelta

from temporalio.common import RetryPolicy

from tempograph.messages import ErrorKind, RetrySpec


def test_error_kinds_keep_their_recorded_values() -> None:
    # These strings are in recorded histories and clients match on them.
    assert {k.value for k in ErrorKind} == {
        "InvalidInput",
        "NotPaused",
        "InvalidResume",
        "UnknownInterrupt",
        "MissingResumeValue",
        "AmbiguousResume",
        "InvalidAnswer",
        "InvalidStateUpdate",
        "PayloadTooLarge",
        "InvalidUpdateError",
        "GraphRecursionError",
        "InterruptTimeout",
        "NodeError",
        "PayloadTooDeep",
        "NodeNotFound",
        "UnknownGraph",
    }
    assert ErrorKind.NOT_PAUSED == "NotPaused"
    assert str(ErrorKind.NOT_PAUSED) == "NotPaused"


def test_retry_policy_round_trips_through_its_spec() -> None:
    policy = RetryPolicy(
        initial_interval=timedelta(seconds=2),
        backoff_coefficient=3.0,
        maximum_interval=timedelta(seconds=30),
        maximum_attempts=5,
        non_retryable_error_types=["ValueError"],
    )
    spec = RetrySpec.from_policy(policy)
    assert spec == RetrySpec(
        initial_interval_seconds=2.0,
        backoff_coefficient=3.0,
        maximum_interval_seconds=30.0,
        maximum_attempts=5,
        non_retryable_error_types=["ValueError"],
    )
    assert spec.to_policy() == policy


def test_retry_spec_without_maximum_interval() -> None:
    spec = RetrySpec(maximum_attempts=1)
    policy = spec.to_policy()
    assert policy.maximum_interval is None
    assert policy.maximum_attempts == 1
    assert RetrySpec.from_policy(policy) == spec
