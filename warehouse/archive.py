"""Read archived captures back: the exact bytes a version was extracted from, out of its WARC record.

The crawl's archive pipeline writes one gzip member per record and stores each version's file,
offset and length, so a read seeks straight to the record instead of scanning the file.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from warehouse.archive_store import open_capture_file
from warehouse.errors import WarehouseError
from warehouse.history import UnknownVersion, Version, article_versions


class CaptureMissing(WarehouseError):
    """The version has no archived capture, or its WARC file is not where the warehouse says."""


class CaptureCorrupt(WarehouseError):
    """The WARC record cannot be read, or its bytes do not hash to the version's raw_hash."""


@dataclass(frozen=True)
class Capture:
    """One archived HTTP response: where it came from, its headers and its payload bytes."""

    target_uri: str | None
    date: str | None
    status: int | None
    headers: list[tuple[str, str]]
    body: bytes

    @property
    def content_type(self) -> str | None:
        for name, value in self.headers:
            if name.lower() == "content-type":
                return value
        return None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()


def read_capture(archive_root: str | Path, warc_file: str, warc_offset: int) -> Capture:
    """The response record at `warc_offset` of `warc_file` (relative to `archive_root`)."""
    if ".." in Path(warc_file).parts or Path(warc_file).is_absolute():
        raise CaptureCorrupt(f"WARC path {warc_file!r} points outside the archive {archive_root}")
    try:
        handle = open_capture_file(archive_root, warc_file)
    except FileNotFoundError:
        raise CaptureMissing(
            f"archive file {warc_file} is not under {archive_root}: pass the --data folder "
            "the crawls wrote to (or set PRESSWATCH_ARCHIVE to the shared archive)"
        ) from None
    with handle:
        handle.seek(warc_offset)
        try:
            record = next(iter(ArchiveIterator(handle)), None)
            if record is None or record.rec_type != "response":
                kind = record.rec_type if record is not None else "nothing"
                raise CaptureCorrupt(f"{warc_file} at offset {warc_offset} holds {kind}, not a response record")
            http = record.http_headers
            # content_stream() undoes any chunking or compression recorded in the HTTP headers
            body = record.content_stream().read()
        except (ArchiveLoadFailed, OSError, EOFError, zlib.error, ValueError) as exc:
            raise CaptureCorrupt(f"{warc_file} at offset {warc_offset} is not a readable WARC record ({exc})") from None
    status = http.get_statuscode() if http else None
    return Capture(
        target_uri=record.rec_headers.get_header("WARC-Target-URI"),
        date=record.rec_headers.get_header("WARC-Date"),
        status=int(status) if status and status.isdigit() else None,
        headers=list(http.headers) if http else [],
        body=body,
    )


def version_capture(
    db, archive_root: str | Path, url: str | Sequence[str], version: int | None = None, wait: float = 5.0
) -> tuple[Version, Capture]:
    """The chosen version of the article at `url` (default: the latest with a capture) and its archived bytes.

    The bytes are checked against the version's raw_hash, so what comes back is what was fetched.
    """
    versions = article_versions(db, url, wait=wait)
    chosen = _choose(versions, version)
    assert chosen.warc_file is not None and chosen.warc_offset is not None  # _choose picks an archived version
    capture = read_capture(archive_root, chosen.warc_file, chosen.warc_offset)
    if chosen.raw_hash and capture.sha256 != chosen.raw_hash:
        raise CaptureCorrupt(
            f"the archived bytes of version {chosen.version} of {chosen.canonical_url} do not match "
            f"its raw_hash ({chosen.warc_file} at offset {chosen.warc_offset})"
        )
    return chosen, capture


def _choose(versions: list[Version], number: int | None) -> Version:
    url = versions[-1].canonical_url
    if number is None:
        archived = [v for v in versions if v.warc_file]
        if not archived:
            raise CaptureMissing(f"no version of {url} has an archived capture")
        return archived[-1]
    by_number = {v.version: v for v in versions}
    if number not in by_number:
        raise UnknownVersion(f"{url} has versions 1 to {versions[-1].version}, not {number}")
    chosen = by_number[number]
    if not chosen.warc_file:
        what = "a deletion tombstone" if chosen.is_tombstone else "stored without an archived capture"
        raise CaptureMissing(
            f"version {number} of {url} is {what}; "
            f"versions with captures: {', '.join(str(v.version) for v in versions if v.warc_file) or 'none'}"
        )
    return chosen
