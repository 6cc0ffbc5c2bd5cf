"""What an extraction worker does with one fetched page: decode, extract, and pack its WARC record.

The reactor only hands over the raw bytes and headers; everything that costs CPU per page runs
here, in the worker processes, so the crawl process stays free to fetch. The crawl process
imports this module only to name `process_page` when it submits a page: the extractor is
imported in the workers (crawlers/worker_preload.py loads it once, in their fork server).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from crawlers.extraction_options import ExtractionOptions


def process_page(
    body: bytes,
    headers: list[tuple[str, str]],
    status: int,
    final_url: str,
    fetched_at: str,
    options: ExtractionOptions,
) -> dict:
    """Article fields (or no_article, or extract_failed) plus `encoding`, a charset-mismatch `reason` and
    `_warc` (record bytes). Never raises for the page's sake: its capture is archived whatever happens."""
    from crawlers.encoding import decode_html
    from crawlers.extraction import extract_page, extraction_failure
    from crawlers.warc import record_bytes

    content_type = next((v for k, v in headers if k.lower() == "content-type"), None)
    try:
        decoded = decode_html(body, content_type)
        result = extract_page(decoded.text, final_url, options)
    except Exception as exc:  # noqa: BLE001 - a bug in decoding or extraction costs this page's extraction only
        result = extraction_failure(exc)
        result["_warc"] = record_bytes(final_url, status, headers, body, fetched_at)
        return result
    result["encoding"] = decoded.encoding
    if decoded.mismatch and result.get("outcome") == "article":
        if decoded.replaced:
            result["reason"] = (
                f"declared charset {decoded.declared!r} does not fit {decoded.replaced} byte(s); "
                f"read as {decoded.encoding} with those replaced"
            )
        else:
            result["reason"] = (
                f"declared charset {decoded.declared!r} does not fit the bytes; read as {decoded.encoding}"
            )
    result["_warc"] = record_bytes(final_url, status, headers, body, fetched_at)
    return result
