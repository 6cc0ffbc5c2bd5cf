"""The change-tracking scenario: furniture churn, body edits (one silent), a retitle, deletions, a restoration."""

import itertools
import re
import secrets
import threading
import time
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.conftest import run_cli
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
                body = "".join(f"<p>{p}</p>" for p in article["paragraphs"])
                html = (
                    f"<html lang='en'><head><title>{article['title']}</title>"
                    f"<meta property='article:modified_time' content='{modified.isoformat()}'></head><body>"
                    f"<nav><a href='/'>Home</a> <a href='/list.html'>News</a></nav>{self.furniture()}"
                    f"<article><h1>{article['title']}</h1><p class='info'>Updated: {modified:%Y-%m-%d %H:%M}</p>"
                    f"{body}</article>{self.furniture()}<footer>© Demo</footer></body></html>"
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
