"""Crash safety, part 1 of the plan's four sequences of killed crawls and loads (tests/reliability/crash_rounds.py):
the same checks as test_crash_safety.py's, on a warehouse of its own, on another pytest-xdist worker."""

from __future__ import annotations

import pytest

from tests.reliability import crash_rounds
from tests.reliability.conftest import shared_result

# The same checks as the first part's, on this module's `rounds`.
from tests.reliability.test_crash_safety import (  # noqa: F401  (collected here too)
    test_every_article_once_and_whole,
    test_invariants_hold_after_every_kill,
    test_kills_land_where_they_were_aimed,
    test_no_batch_lost_or_loaded_twice,
    test_presswatch_check_passes_after_the_normal_run,
)


@pytest.fixture(scope="module")
def rounds(tmp_path_factory):
    """Part 1 of the plan (computed once per session, whichever worker asks first)."""
    return shared_result(tmp_path_factory, "crash-1", lambda tmp: crash_rounds.crash_rounds(tmp, 1))
