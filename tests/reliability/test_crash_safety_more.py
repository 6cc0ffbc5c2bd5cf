"""Crash safety, the plan's second sequence of killed crawls and loads (tests/reliability/crash_rounds.py):
the same checks as test_crash_safety.py, on a warehouse of its own, on the other pytest-xdist worker."""

from __future__ import annotations

import pytest

from tests.reliability import crash_rounds
from tests.reliability.conftest import shared_result

# The same checks as the first sequence's, on this module's `rounds`.
from tests.reliability.test_crash_safety import (  # noqa: F401  (collected here too)
    test_every_article_once_and_whole,
    test_invariants_hold_after_every_kill,
    test_no_batch_lost_or_loaded_twice,
    test_presswatch_check_passes_after_the_normal_run,
)


@pytest.fixture(scope="module")
def rounds(tmp_path_factory):
    """The second sequence of the plan (computed once per session, whichever worker asks first)."""
    return shared_result(tmp_path_factory, "crash-1", lambda tmp: crash_rounds.crash_rounds(tmp, 1))
