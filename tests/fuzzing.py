"""The fuzz tests' bounds, and fuzzing one operation of an OpenAPI document (schemathesis).

Every fuzz test runs a fixed number of examples, derandomized (the same inputs on every run,
so CI is stable), without Hypothesis' example database, deadline or shrinking: the bound is the
count, and the suite's wall time follows from it (RELIABILITY.md, "Fuzzing").
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import Case, GenerationMode, Response
from schemathesis.schemas import APIOperation

# Generation that is slow or filtered is what schemathesis does with large schemas; the count
# bounds the run, not these checks.
_SUPPRESSED = [HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large]


def bounded(max_examples: int) -> settings:
    """`max_examples` derandomized examples, no deadline, no example database, no shrinking
    (a failure is reported as found: shrinking one costs hundreds of calls more)."""
    return settings(
        max_examples=max_examples,
        phases=[Phase.explicit, Phase.generate],
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=_SUPPRESSED,
    )


def _fuzz_mode(
    operation: APIOperation,
    mode: GenerationMode,
    max_examples: int,
    call: Callable[[Case], Response],
    check: Callable[[Case, Response], None],
) -> int:
    sent = 0

    @bounded(max_examples)
    @given(case=operation.as_strategy(generation_mode=mode))
    def exchange(case: Case) -> None:
        nonlocal sent
        response = call(case)
        sent += 1
        check(case, response)

    exchange()
    return sent


def fuzz_operation(
    operation: APIOperation,
    max_examples: int,
    call: Callable[[Case], Response],
    check: Callable[[Case, Response], None],
) -> Counter[str]:
    """Valid (positive) then invalid (negative) requests to one operation; the requests sent
    per mode. An operation with nothing that can be made invalid (only string path parameters)
    gets positive requests only: Hypothesis proves that no negative one exists.
    """
    sent: Counter[str] = Counter()
    for mode in GenerationMode:
        try:
            sent[mode.value] = _fuzz_mode(operation, mode, max_examples, call, check)
        except Unsatisfiable:
            if mode is GenerationMode.POSITIVE:
                raise
    return sent
