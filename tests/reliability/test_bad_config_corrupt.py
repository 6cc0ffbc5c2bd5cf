"""Bad configuration and usage, the group of test_bad_config.py's cases where the warehouse is corrupt:
every command that opens it answers one sentence naming it and `check --db`."""

from __future__ import annotations

import pytest

from tests.reliability.conftest import shared_result
from tests.reliability.test_bad_config import answers_of, assert_one_clear_line, params


@pytest.fixture(scope="module")
def answers(tmp_path_factory):
    """This group's answers, computed once per session: the commands run four at a time."""
    return shared_result(tmp_path_factory, "badconfig-corrupt", lambda tmp: answers_of("corrupt", tmp))


@pytest.mark.parametrize("case", params("corrupt"))
def test_answer_is_one_clear_line(answers, case):
    assert_one_clear_line(answers, case)
