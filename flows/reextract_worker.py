"""What a re-extraction worker does with one archived capture: read it, decode it as the crawl did,
extract it. A module of its own so that a worker imports the extractor and the archive reader, not
the loader and the registry `flows/reextract.py` needs.
"""

from __future__ import annotations

from crawlers.encoding import decode_html
from crawlers.extraction import ExtractionOptions, extract_page
from warehouse.archive import read_capture
from warehouse.errors import WarehouseError
from warehouse.reextract import CurrentCapture


def extract_capture(task: tuple[str, CurrentCapture, ExtractionOptions]) -> dict:
    """In a worker: read one archived capture, decode it as the crawl did, extract it. Never raises."""
    archive_root, capture, options = task
    try:
        archived = read_capture(archive_root, capture.warc_file, capture.warc_offset)
    except WarehouseError as exc:
        return {"outcome": "failed", "reason": str(exc)}
    final_url = archived.target_uri or capture.url
    text = decode_html(archived.body, archived.content_type).text
    fields = extract_page(text, final_url, options)
    if fields.get("outcome") != "article":
        return {"outcome": "failed", "reason": f"re-extraction found no article: {fields.get('reason')}"}
    return {"outcome": "article", "fields": fields, "final_url": final_url}
