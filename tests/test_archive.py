"""Archive read-back: `presswatch capture` writes out exactly the bytes the server sent for that capture."""

from __future__ import annotations

import hashlib
import shutil
import urllib.request
from urllib.parse import unquote, urlsplit

import pytest

from crawlers.encoding import decode_html
from demo_site import DemoSite, demo_registry
from demo_site.content import DELETED_PATH, SEED_PATH
from tests.conftest import make_pipeline, run_cli
from warehouse.archive import read_capture, version_capture
from warehouse.history import article_versions

XJGOV_PATH = "/xjgov/xwfb/202101/t20210115_123101.html"


class RecordingSite(DemoSite):
    """The demo site, remembering every body it sent per path (its page furniture changes on every request)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.sent: dict[str, list[tuple[int, bytes]]] = {}

    def respond(self, target, headers, host=None):
        response = super().respond(target, headers, host)
        self.sent.setdefault(unquote(urlsplit(target).path), []).append((response.status, response.body))
        return response


@pytest.fixture(scope="module")
def archived(tmp_path_factory):
    """Two demo outlets crawled at stage 1 and stage 2 (a deletion); the bodies the site sent; CLI flags."""
    tmp = tmp_path_factory.mktemp("archive")
    pipeline = make_pipeline(tmp)
    settings = pipeline.settings
    with RecordingSite(port=0) as site:
        pipeline.use_registry(demo_registry(site.base_url))
        pipeline.crawl("chinadaily", "xjgov")
        site.set_stage(2)
        pipeline.crawl("chinadaily")
        assert not pipeline.failures
        site.base = site.base_url
        with urllib.request.urlopen(site.base + SEED_PATH) as response:  # a later look at the same page
            site.later = response.read()
    flags = ["--db", str(settings.db), "--data", str(settings.data)]
    return settings, site, flags


def served(site: RecordingSite, path: str) -> list[bytes]:
    return [body for status, body in site.sent[path] if status == 200]


def test_capture_writes_the_bytes_the_server_sent(archived, tmp_path):
    settings, site, flags = archived
    url = site.base + SEED_PATH
    # The crawl fetched it with 200 once (the second crawl got 304); the page's furniture
    # (view counter, clock, CSRF token) differs on every request, so only that body can match.
    [body, later] = served(site, SEED_PATH)
    assert later == site.later and later != body
    target = tmp_path / "seed.html"
    result = run_cli(*flags, "capture", url, "--output", str(target), text=False)
    assert result.returncode == 0, result.stderr
    assert target.read_bytes() == body
    assert b"wrote %d bytes of version 1" % len(body) in result.stderr


def test_capture_to_standard_output_of_gbk_bytes(archived):
    settings, site, flags = archived
    [body] = served(site, XJGOV_PATH)
    result = run_cli(*flags, "capture", site.base + XJGOV_PATH, "--version", "1", text=False)
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout == body
    assert b'<meta charset="gbk">' in body and "<html" in body.decode("gbk")


def test_read_capture_keeps_headers_for_decoding(archived):
    settings, site, _ = archived
    [version] = article_versions(settings.db, site.base + XJGOV_PATH)
    capture = read_capture(settings.archive, version.warc_file, version.warc_offset)
    assert capture.status == 200 and capture.content_type == "text/html"  # the charset is only in the page
    assert capture.target_uri == site.base + XJGOV_PATH
    assert hashlib.sha256(capture.body).hexdigest() == version.raw_hash
    decoded = decode_html(capture.body, capture.content_type)
    assert decoded.encoding == "gb18030" and version.title in decoded.text


def test_a_tombstone_has_no_capture_but_earlier_versions_do(archived, tmp_path):
    settings, site, flags = archived
    url = site.base + DELETED_PATH
    tombstone = run_cli(*flags, "capture", url, "--version", "2", text=False)
    assert tombstone.returncode == 1
    assert (
        b"version 2 of" in tombstone.stderr
        and b"is a deletion tombstone; versions with captures: 1" in tombstone.stderr
    )
    latest, capture = version_capture(settings.db, settings.archive, url)
    assert latest.version == 1 and capture.body == served(site, DELETED_PATH)[0]
    missing = run_cli(*flags, "capture", url, "--version", "9", text=False)
    assert missing.returncode == 1 and b"has versions 1 to 2, not 9" in missing.stderr


def test_a_wrong_data_folder_or_a_damaged_archive_is_a_one_line_error(archived, tmp_path):
    settings, site, flags = archived
    url = site.base + SEED_PATH
    elsewhere = run_cli("--db", str(settings.db), "--data", str(tmp_path), "capture", url, text=False)
    assert elsewhere.returncode == 1 and len(elsewhere.stderr.splitlines()) == 1
    assert b"pass the --data folder the crawls wrote to" in elsewhere.stderr

    [version] = [v for v in article_versions(settings.db, url) if v.version == 1]
    damaged = tmp_path / "data"
    shutil.copytree(settings.data / "archive", damaged / "archive")
    warc = damaged / "archive" / version.warc_file
    data = bytearray(warc.read_bytes())
    middle = version.warc_offset + version.warc_length // 2
    data[middle : middle + 64] = bytes(64)
    warc.write_bytes(bytes(data))
    result = run_cli("--db", str(settings.db), "--data", str(damaged), "capture", url, text=False)
    assert result.returncode == 1 and len(result.stderr.splitlines()) == 1
    assert b"not a readable WARC record" in result.stderr or b"do not match its raw_hash" in result.stderr
