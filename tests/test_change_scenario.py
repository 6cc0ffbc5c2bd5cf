"""The change-tracking scenarios: furniture churn, body edits (one silent), a retitle, deletions, a
restoration; a site redesign (in one crawl, and rolled out over three) that is one template event with
the real edits kept; a redesign that breaks extraction; a site block the model learns late."""

import html
import itertools
import json
import re
import secrets
import shutil
import threading
import time
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from crawlers.registry import load_registry
from demo_site import demo_registry
from demo_site.content import REDESIGN_EDITS, REDESIGN_PROMO
from flows.change_report.paths import page_name
from flows.notify.deliver import deliver
from tests.alert_receivers import webhook_receiver
from tests.conftest import make_pipeline, run_cli
from tests.servers import registry_entry

TOPICS = ["vocational training", "poverty alleviation", "cotton harvest", "tourism", "rail links"]


class ChurningSite:
    """20 articles whose furniture (sidebar, counters, clock, tokens, ads) changes on every request."""

    def __init__(self):
        self.articles = {
            i: {
                "title": f"Article {i} on {TOPICS[i % 5]}",
                "paragraphs": [
                    f"Paragraph {p} of article {i} reports on {TOPICS[i % 5]} in the region, "
                    f"quoting officials and residents at length about the programme."
                    for p in range(6)
                ],
                "modified": datetime(2021, 2, 1 + i, 9, 0, tzinfo=UTC),
                "status": 200,
            }
            for i in range(20)
        }
        self.hits = itertools.count()
        self.stub: str | None = None  # a layout that hides every article behind this one paragraph
        self.related: str | None = None  # a line the site adds to every article
        self.note_inside: set[int] = set()  # articles whose own "filed under" note a new layout moved into the body
        # A redesign rolled out to some articles: a tagline in the header and a promo after the text;
        # on `tagline_inside` the new layout puts the tagline in the article, where the extractor keeps it.
        self.redesigned: set[int] = set()
        self.tagline = "Independent news from the region since 1998, read in forty countries."
        self.promo = "Sign up for our morning newsletter: the day's top stories in your inbox at 7 am."
        self.tagline_inside: set[int] = set()
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                status, body, headers = site.respond(self.path)
                self.send_response(status)
                for key, value in {"Content-Type": "text/html; charset=utf-8", **headers}.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def furniture(self) -> str:
        hit = next(self.hits)
        sidebar = "".join(
            f"<li><a href='/a/{(hit + k) % 20}.html'>Most read {(hit + k) % 20}</a></li>" for k in range(5)
        )
        return (
            f"<aside class='sidebar'><h3>Most read</h3><ul>{sidebar}</ul></aside>"
            f"<div class='ad' id='ad-{secrets.token_hex(4)}'>Advertisement</div>"
            f"<div class='meta'>Views: {1000 + hit} · Page generated at {datetime.now():%H:%M:%S.%f}</div>"
            f"<form><input type='hidden' name='csrf' value='{secrets.token_hex(16)}'></form>"
        )

    def respond(self, path: str):
        if path == "/list.html":
            links = "".join(
                f"<li><a href='/a/{i}.html'>{a['title']}</a></li>"
                for i, a in self.articles.items()
                if a["status"] == 200
            )
            return 200, f"<html><body><ul>{links}</ul>{self.furniture()}</body></html>".encode(), {}
        if path.startswith("/a/") and path.endswith(".html"):
            article = self.articles.get(int(path[3:-5]))
            if article and article["status"] == 200:
                modified = article["modified"]
                body = "".join(f"<p>{p}</p>" for p in ([self.stub] if self.stub else article["paragraphs"]))
                body += f"<p>{self.related}</p>" if self.related else ""
                number = int(path[3:-5])
                note = f"<p>Filed under {TOPICS[number % 5]}: our correspondent wrote this report, number {number}.</p>"
                body, aside = (body + note, "") if number in self.note_inside else (body, f"<aside>{note}</aside>")
                header = ""
                if number in self.redesigned:
                    body += f"<p>{self.promo}</p>"
                    if number in self.tagline_inside:
                        body = f"<p>{self.tagline}</p>" + body
                    else:
                        header = f"<header><p class='tagline'>{self.tagline}</p></header>"
                html = (
                    f"<html lang='en'><head><title>{article['title']}</title>"
                    f"<meta property='article:modified_time' content='{modified.isoformat()}'></head><body>"
                    f"{header}<nav><a href='/'>Home</a> <a href='/list.html'>News</a></nav>{self.furniture()}"
                    f"<article><h1>{article['title']}</h1><p class='info'>Updated: {modified:%Y-%m-%d %H:%M}</p>"
                    f"{body}</article>{aside}{self.furniture()}<footer>© Demo</footer></body></html>"
                )
                return 200, html.encode(), {"Last-Modified": format_datetime(modified, usegmt=True)}
        return 404, b"<html><body>Not found</body></html>", {}

    def edit(self, i: int, paragraph: int, text: str, announce: bool):
        self.articles[i]["paragraphs"][paragraph] = text
        if announce:
            self.articles[i]["modified"] = datetime(2021, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def churning_site():
    site = ChurningSite()
    yield site
    site.server.shutdown()
    site.server.server_close()


def test_scenario_yields_exactly_the_publishers_changes(pipeline, churning_site):
    site = churning_site
    pipeline.use_registry(
        registry_entry(
            "churn",
            site.url,
            listings=[site.url + "/list.html"],
            article_pattern=r"/a/\d+\.html$",
            confirm_deletion=2,
            deletion_grace="1s",
        )
    )
    pipeline.crawl()
    assert pipeline.scalar("SELECT count(*) FROM articles") == 20

    pipeline.crawl()  # furniture churned on every page: nothing to record
    assert pipeline.scalar("SELECT count(*) FROM article_versions") == 20

    site.edit(1, 2, "Paragraph 2 was rewritten to soften what officials said about the programme.", announce=True)
    site.edit(2, 4, "Paragraph 4 now quotes a different official about the programme entirely.", announce=True)
    site.edit(
        3, 0, "Paragraph 0 quietly drops the figures that residents had cited about the programme.", announce=False
    )
    site.articles[4]["title"] = "A new headline for article 4"
    site.articles[5]["status"] = site.articles[6]["status"] = 404
    pipeline.crawl()
    time.sleep(1.1)  # the second failed check must come after the grace period
    pipeline.crawl()
    site.articles[6]["status"] = 200
    pipeline.crawl()

    changes = pipeline.query(
        "SELECT change_kind, silent, url FROM article_versions WHERE change_kind <> 'new' ORDER BY change_kind, url"
    )
    kinds = [(kind, silent, url.rsplit("/", 1)[1]) for kind, silent, url in changes]
    assert kinds == [
        ("deleted", None, "5.html"),
        ("deleted", None, "6.html"),
        ("edited", False, "1.html"),
        ("edited", False, "2.html"),
        ("edited", True, "3.html"),
        ("restored", None, "6.html"),
        ("retitled", True, "4.html"),
    ]
    assert pipeline.scalar("SELECT count(*) FROM articles") == 19
    edited = dict(
        pipeline.query(
            "SELECT regexp_extract(url, '(\\d+)\\.html', 1), changed_sentence FROM article_versions WHERE change_kind = 'edited'"
        )
    )
    assert edited == {
        "1": "Paragraph 2 was rewritten to soften what officials said about the programme.",
        "2": "Paragraph 4 now quotes a different official about the programme entirely.",
        "3": "Paragraph 0 quietly drops the figures that residents had cited about the programme.",
    }
    for number, sentence in edited.items():
        shown = run_cli("--db", str(pipeline.db), "diff", f"{site.url}/a/{number}.html")
        assert shown.returncode == 0, shown.stderr
        added = " ".join(re.findall(r"\{\+(.*?)\+\}", shown.stdout, re.S))
        assert added and all(word in sentence for word in added.split())


def _churn_registry(site, **keys) -> str:
    return registry_entry(
        "churn", site.url, listings=[site.url + "/list.html"], article_pattern=r"/a/\d+\.html$", **keys
    )


def test_a_redesign_that_breaks_extraction_is_an_extraction_failure_not_twenty_edits(pipeline, churning_site):
    site = churning_site
    pipeline.use_registry(_churn_registry(site))
    pipeline.crawl()
    site.stub = (
        "This story is only available in our new app. Download it from your app store to keep reading the "
        "full article, free of charge, on your phone or tablet."
    )
    [broken] = pipeline.crawl()
    assert broken.extraction_failure and "20 of the 20 known articles" in broken.extraction_failure
    assert broken.counts["edited"] == 0 and broken.template is None
    assert pipeline.scalar("SELECT count(*) FROM article_versions") == 20  # every version stays current
    assert pipeline.scalar("SELECT max(missing_count) FROM article_state") == 0  # nothing on its way to deletion
    assert pipeline.scalar("SELECT count(*) FROM fetches WHERE outcome = 'extract_failed'") == 20
    runs = json.loads(run_cli("--db", str(pipeline.db), "runs", "--format", "json").stdout)
    assert runs[0]["status"] == "failed" and "extraction failed" in runs[0]["failures"]

    site.stub = None  # extraction works again: only the edit made meanwhile is recorded
    site.edit(1, 2, "Paragraph 2 was rewritten while the app-only layout was up.", announce=False)
    [fixed] = pipeline.crawl()
    assert fixed.extraction_failure is None and fixed.counts["edited"] == 1 and fixed.counts["same"] == 19


def test_a_line_a_new_layout_lets_the_extractor_keep_is_no_edit(pipeline, churning_site):
    """Three pages move their own "filed under" note into the body: the extractor now keeps a line
    that was on those pages all along (warehouse/flips.py); only the real edit is a version."""
    site = churning_site
    pipeline.use_registry(_churn_registry(site))
    pipeline.crawl()
    site.note_inside = {3, 7, 11}
    site.edit(1, 2, "Paragraph 2 now says something else entirely about the programme.", announce=False)
    [result] = pipeline.crawl()
    assert (result.counts["edited"], result.counts["same"]) == (1, 19)
    assert [
        url.rsplit("/", 1)[1] for (url,) in pipeline.query("SELECT url FROM article_versions WHERE version > 1")
    ] == ["1.html"]


def test_a_site_line_the_extractor_keeps_on_two_pages_of_a_rollout_is_no_edit(pipeline, churning_site):
    """A redesign reaches 12 of the 20 articles: a promo after the text (12 pages: the site's) and a
    tagline in the header, which the new layout puts inside the article on two of them, where the
    extractor keeps it: too rare in the texts for the template model, but 12 changed pages newly show
    it (warehouse/flips.py). Only the real edit, made meanwhile on another page, is a version."""
    site = churning_site
    pipeline.use_registry(_churn_registry(site))
    pipeline.crawl()
    site.redesigned, site.tagline_inside = set(range(12)), {2, 9}
    site.edit(15, 2, "Paragraph 2 now says something else entirely about the programme.", announce=False)
    [result] = pipeline.crawl()
    assert (result.counts["edited"], result.counts["same"]) == (1, 19)
    assert pipeline.query("SELECT url, changed_sentence FROM article_versions WHERE version > 1") == [
        (f"{site.url}/a/15.html", "Paragraph 2 now says something else entirely about the programme.")
    ]
    assert pipeline.query("SELECT appeared FROM template_events") == [([site.promo],)]
    assert pipeline.scalar("SELECT count(*) FROM articles WHERE contains(text, 'Independent news')") == 0


def test_a_block_learned_late_invents_no_edits_and_reextract_stores_texts_without_it(pipeline, churning_site):
    site = churning_site
    site.related = "Related: more reports on the programme are in our archive."
    pipeline.use_registry(_churn_registry(site, template_min_articles=25))  # 20 articles: never the site's
    pipeline.crawl()
    carrying = "SELECT count(*) FROM articles WHERE contains(text, 'Related: more reports')"
    assert pipeline.scalar(carrying) == 20

    pipeline.use_registry(_churn_registry(site))  # the default threshold: 20 articles carry it, it is the site's
    [learned] = pipeline.crawl()
    assert learned.counts["same"] == 20 and learned.counts["edited"] == 0
    assert pipeline.query("SELECT appeared, went FROM template_events") == [([site.related], [])]
    assert pipeline.scalar(carrying) == 20  # stored versions are not rewritten behind the analyst's back

    done = pipeline.cli("reextract")
    assert done.returncode == 0, done.stderr
    assert pipeline.scalar("SELECT count(*) FROM article_versions WHERE change_kind = 'reextracted'") == 20
    assert pipeline.scalar(carrying) == 0
    listed = json.loads(pipeline.cli("changes", "--since", "all", "--format", "json").stdout)
    assert [c["change_kind"] for c in listed] == ["template"]  # re-extractions are no publisher's change


# ------------------------------------------------------------------ the demo site's redesign switch


@pytest.fixture(scope="module")
def crawled_outlet(module_site, tmp_path_factory):
    """Global Times on the demo site, crawled once before any redesign; every crawl reads every page again
    (no conditional GET), so the furniture that changes on each request is re-extracted each time."""
    folder = tmp_path_factory.mktemp("outlet")
    pipeline = make_pipeline(folder)
    pipeline.use_registry(demo_registry(module_site.base_url, names=("globaltimes",)) + "conditional_get = false\n")
    pipeline.crawl()
    return folder


@pytest.fixture
def outlet(crawled_outlet, module_site, tmp_path):
    module_site.set_redesign(0)
    shutil.copytree(crawled_outlet, tmp_path / "copy")
    return make_pipeline(tmp_path / "copy")


def _edits(pipeline, base: str) -> dict[str, str]:
    rows = pipeline.query("SELECT url, change_kind, changed_sentence FROM article_versions WHERE version > 1")
    assert {kind for _, kind, _ in rows} <= {"edited"}, rows
    return {url.removeprefix(base): sentence for url, _, sentence in rows}


def test_a_redesign_of_every_page_with_three_edits_is_three_versions_and_one_template_event(
    outlet, module_site, tmp_path
):
    base, promo = module_site.base_url, REDESIGN_PROMO["globaltimes"]
    module_site.set_redesign(3)  # a banner and a promo in all 9 articles, and 3 real edits
    [result] = outlet.crawl()
    assert [c.kind for c in result.changes if c.kind != "edited"] == ["template"]  # the run summary's one line
    edits = _edits(outlet, base)
    assert set(edits) == {e["path"] for e in REDESIGN_EDITS}
    for edit in REDESIGN_EDITS:
        assert edit["new"] in edits[edit["path"]]  # each version names its edit, not the promo
    assert outlet.query("SELECT appeared, went, pages, articles FROM template_events") == [([promo], [], 9, 9)]
    assert outlet.scalar("SELECT count(*) FROM articles WHERE contains(text, ?)", [promo]) == 0
    assert outlet.scalar("SELECT count(*) FROM stripped_blocks WHERE text = ?", [promo]) == 3  # what each lost

    shown = outlet.cli("diff", base + REDESIGN_EDITS[0]["path"])
    assert "[-15-]{+12+}" in shown.stdout and "newsletter" not in shown.stdout, shown.stdout
    listed = json.loads(outlet.cli("changes", "--since", "all", "--format", "json").stdout)
    assert sorted(c["change_kind"] for c in listed) == ["edited", "edited", "edited", "template"]
    report = outlet.cli("report", str(tmp_path / "report"))
    assert report.returncode == 0, report.stderr
    template_page = tmp_path / "report" / "articles" / page_name("template:globaltimes")
    assert html.escape(promo) in template_page.read_text(encoding="utf-8")

    with webhook_receiver() as (port, received):  # only the rule that asks for template events gets it, once
        text = (
            outlet.settings.registry.read_text()
            + f'\n[[alerts]]\nname = "site"\nkinds = ["template"]\nchannels = ["json://127.0.0.1:{port}/site"]\n'
            + f'\n[[alerts]]\nname = "edits"\nchannels = ["json://127.0.0.1:{port}/edits"]\n'
        )
        outlet.settings.registry.write_text(text)
        deliver(outlet.db, outlet.settings.data, load_registry(outlet.settings.registry).alerts)
    sent = {path: [c["kind"] for c in json.loads(body["message"])["changes"]] for path, body in received}
    assert sent == {"/site": ["template"], "/edits": ["edited", "edited", "edited"]}


def test_a_rollout_over_three_crawls_under_churn_is_one_template_event_and_one_edit_per_step(outlet, module_site):
    steps = []
    for step in (1, 2, 3):  # 40 %, 70 %, then every page on the new template; one real edit each time
        module_site.set_redesign(step)
        [result] = outlet.crawl()
        steps.append((result.counts["pages_fetched"] >= 9, result.counts["edited"], result.counts["retitled"]))
        steps[-1] += (sum(1 for c in result.changes if c.kind == "template"),)
    [still] = outlet.crawl()  # only the furniture changed
    assert steps == [(True, 1, 0, 1), (True, 1, 0, 0), (True, 1, 0, 0)]
    assert still.counts["edited"] == still.counts["retitled"] == 0 and still.template is None
    assert set(_edits(outlet, module_site.base_url)) == {e["path"] for e in REDESIGN_EDITS}
    assert outlet.scalar("SELECT count(*) FROM template_events") == 1
