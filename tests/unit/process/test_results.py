"""Results: Buildbot's numbers, names, combination order and step outcome flags."""

from __future__ import annotations

from typing import Any

import pytest

from marid.process import results
from marid.process.results import (
    CANCELLED,
    EXCEPTION,
    FAILURE,
    RESULT_NAMES,
    RETRY,
    SKIPPED,
    SUCCESS,
    WARNINGS,
    OutcomePolicy,
    Results,
    compute_result_and_termination,
    status_text,
    worst_status,
)


def test_results_keep_buildbots_numbers() -> None:
    assert [int(r) for r in (SUCCESS, WARNINGS, FAILURE, SKIPPED, EXCEPTION, RETRY, CANCELLED)] == [
        0,
        1,
        2,
        3,
        4,
        5,
        6,
    ]
    assert SUCCESS is Results.SUCCESS
    assert results.CANCELLED == 6


def test_status_text_names_every_result() -> None:
    assert [status_text(r) for r in Results] == [
        "success",
        "warnings",
        "failure",
        "skipped",
        "exception",
        "retry",
        "cancelled",
    ]
    assert status_text(2) == "failure"
    assert status_text(None) == "not finished"


def test_status_text_of_an_unknown_number_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="7 is not a result"):
        status_text(7)


def test_results_indexed_by_number_gives_the_name_as_in_buildbot_configs() -> None:
    untyped: Any = Results  # as a master.cfg sees it; typed code calls status_text()
    assert untyped[2] == "failure"
    assert Results["FAILURE"] is FAILURE
    assert RESULT_NAMES.index("cancelled") == CANCELLED
    assert Results.WARNINGS.text == "warnings"


@pytest.mark.parametrize(
    ("a", "b", "worst"),
    [
        (SKIPPED, SUCCESS, SUCCESS),
        (SUCCESS, SKIPPED, SUCCESS),
        (SKIPPED, SKIPPED, SKIPPED),
        (SUCCESS, WARNINGS, WARNINGS),
        (WARNINGS, FAILURE, FAILURE),
        (FAILURE, SKIPPED, FAILURE),
        (FAILURE, EXCEPTION, EXCEPTION),
        (EXCEPTION, RETRY, RETRY),
        (RETRY, CANCELLED, CANCELLED),
        (CANCELLED, SUCCESS, CANCELLED),
    ],
)
def test_worst_status_ranks_skipped_lowest_then_success_to_cancelled(
    a: Results, b: Results, worst: Results
) -> None:
    assert worst_status(a, b) is worst
    assert worst_status(b, a) is worst


def test_worst_status_accepts_plain_numbers_from_the_database() -> None:
    assert worst_status(0, 3) is SUCCESS


def _fold(result: Results, previous: Results = SUCCESS, **flags: bool) -> tuple[Results, bool]:
    policy = OutcomePolicy(**{"flunkOnFailure": False, **flags})
    return compute_result_and_termination(policy, result, previous)


def test_failure_without_flags_does_not_change_the_build_result() -> None:
    assert _fold(FAILURE) == (SUCCESS, False)


def test_failure_with_flunk_on_failure_fails_the_build_and_continues() -> None:
    assert _fold(FAILURE, flunkOnFailure=True) == (FAILURE, False)


def test_failure_with_warn_on_failure_marks_warnings() -> None:
    assert _fold(FAILURE, warnOnFailure=True) == (WARNINGS, False)


def test_flunk_wins_over_warn_when_both_are_set() -> None:
    assert _fold(FAILURE, warnOnFailure=True, flunkOnFailure=True) == (FAILURE, False)


def test_flunk_on_warnings_also_flunks_on_failure() -> None:
    assert _fold(FAILURE, flunkOnWarnings=True) == (FAILURE, False)
    assert _fold(WARNINGS, flunkOnWarnings=True) == (FAILURE, False)


def test_warn_on_warnings_also_warns_on_failure() -> None:
    assert _fold(FAILURE, warnOnWarnings=True) == (WARNINGS, False)
    assert _fold(WARNINGS, warnOnWarnings=True) == (WARNINGS, False)


def test_warnings_without_flags_count_as_success() -> None:
    assert _fold(WARNINGS) == (SUCCESS, False)


def test_halt_on_failure_stops_the_build_even_without_flunking_it() -> None:
    assert _fold(FAILURE, haltOnFailure=True) == (SUCCESS, True)
    assert _fold(FAILURE, haltOnFailure=True, flunkOnFailure=True) == (FAILURE, True)


def test_halt_on_failure_does_not_stop_on_warnings() -> None:
    assert _fold(WARNINGS, haltOnFailure=True, warnOnWarnings=True) == (WARNINGS, False)


@pytest.mark.parametrize("result", [EXCEPTION, RETRY, CANCELLED])
def test_exception_retry_and_cancelled_always_stop_and_count(result: Results) -> None:
    assert _fold(result) == (result, True)


def test_a_skipped_step_does_not_worsen_the_build() -> None:
    assert _fold(SKIPPED, previous=WARNINGS) == (WARNINGS, False)
    assert _fold(SKIPPED, previous=SKIPPED) == (SKIPPED, False)


def test_a_previous_worse_result_is_kept() -> None:
    assert _fold(SUCCESS, previous=FAILURE) == (FAILURE, False)


def test_the_default_policy_flunks_on_failure_like_most_steps() -> None:
    assert compute_result_and_termination(OutcomePolicy(), FAILURE, SUCCESS) == (FAILURE, False)


def test_any_object_with_the_flags_works_as_a_policy() -> None:
    class Step:
        flunkOnWarnings = False
        flunkOnFailure = False
        warnOnWarnings = False
        warnOnFailure = True
        haltOnFailure = True

    assert compute_result_and_termination(Step(), FAILURE, SUCCESS) == (WARNINGS, True)
