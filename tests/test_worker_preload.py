"""The extraction workers' fork server loads what extraction would load lazily (crawlers/worker_preload.py).

A worker is a fork of that server, so whatever the server built is shared and never built again:
here, the date patterns dateparser builds per locale the first time htmldate asks it about a
string no locale reads (a second of CPU that every fresh worker used to spend on its first pages),
preloaded for a big run that may start three workers or more.
Each case runs in a fresh interpreter, as a fork server starts.
"""

from __future__ import annotations

import subprocess
import sys

from crawlers.workerpool import date_locales_pay_off
from tests.conftest import ROOT

# A page whose only date is one dateparser has to try every locale on (Polish, and not the first
# locale it tries), as real pages' sidebars and footers have.
COUNT_COMPILES = """
import sys
{setup}
import dateparser.languages.dictionary as dictionary
from crawlers.extraction import extract_page
from crawlers.extraction_options import ExtractionOptions

compiled = []
real_compile = dictionary.re.compile
dictionary.re.compile = lambda *a, **k: compiled.append(a[0]) or real_compile(*a, **k)
page = (
    "<html><head><title>Komunikat</title></head><body><div class='date'>Opublikowano 5 listopada 2021 r.</div>"
    + "<p>Minister spotkal sie z delegacja w stolicy, aby omowic wspolprace gospodarcza i handel.</p>" * 6
    + "</body></html>"
)
extract_page(page, "http://example.invalid/news/1", ExtractionOptions())
print(len(compiled))
"""


def _compiles_on_first_page(setup: str) -> int:
    done = subprocess.run(
        [sys.executable, "-c", COUNT_COMPILES.format(setup=setup)], capture_output=True, text=True, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    return int(done.stdout.strip().splitlines()[-1])


def test_a_worker_of_a_server_that_preloaded_the_date_locales_builds_no_date_patterns():
    assert _compiles_on_first_page("import crawlers.worker_preload, crawlers.date_locales_preload") == 0


def test_without_them_its_first_page_builds_them():  # the case above can fail
    assert _compiles_on_first_page("import crawlers.worker_preload") > 100


def test_the_date_locales_are_preloaded_for_a_big_run_that_may_start_three_workers_or_more():
    assert date_locales_pay_off(3000, 2, 200)  # 16 workers
    assert date_locales_pay_off(1000, 1, 200)  # 5 generations of 1
    assert not date_locales_pay_off(300, 2, 200)  # the default run
    assert not date_locales_pay_off(500, 4, 200)  # a bound, not a big run
    assert not date_locales_pay_off(5000, 2, 10**6)  # never recycled: 2 workers
