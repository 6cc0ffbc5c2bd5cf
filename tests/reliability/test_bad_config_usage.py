"""Bad configuration and usage, the second group of test_bad_config.py's cases: broken or missing
registries, unknown sources, files where folders should be, no Prefect server, a held write lock."""

from __future__ import annotations

import pytest

from tests.reliability.conftest import shared_result
from tests.reliability.test_bad_config import answers_of, assert_one_clear_line, params


@pytest.fixture(scope="module")
def answers(tmp_path_factory):
    """This group's answers, computed once per session: the commands run four at a time, the slow crawls first."""
    return shared_result(tmp_path_factory, "badconfig-usage", lambda tmp: answers_of("usage", tmp))


@pytest.mark.parametrize("case", params("usage"))
def test_answer_is_one_clear_line(answers, case):
    assert_one_clear_line(answers, case)


@pytest.mark.parametrize("command", ["sql", "check"])
def test_readers_never_wait_for_a_load(answers, command):
    results, _ = answers
    result = results[f"read-while-locked-{command}"]
    assert result.returncode == 0, result.stderr
