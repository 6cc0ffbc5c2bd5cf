"""Where WARC captures are read from: the local archive folder, or shared storage (an fsspec URL,
`s3://bucket/prefix` through s3fs) that every machine of a shared warehouse reaches.

A crawl always writes its WARC files locally; before its batch is loaded they are published to the
shared archive, so a version is never in the warehouse while its capture is only on one machine.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath
from typing import IO

from warehouse.errors import StorageUnavailable, first_line

S3_ATTEMPTS = 3


class ArchiveUnavailable(StorageUnavailable):
    """The shared archive cannot be reached or written."""


def is_url(root: str | os.PathLike) -> bool:
    return "://" in str(root)


def _filesystem(url: str):
    import fsspec

    protocol = url.split("://", 1)[0]
    options: dict = {}
    if protocol == "s3":
        endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
        if endpoint:
            options["endpoint_url"] = endpoint
        # Storage that is down gets a few quick retries, not minutes of them: the batch stays
        # staged on its machine and the next run publishes it.
        options["config_kwargs"] = {"retries": {"max_attempts": S3_ATTEMPTS, "mode": "standard"}}
    try:
        return fsspec.filesystem(protocol, **options)
    except (ImportError, ValueError) as exc:
        raise ArchiveUnavailable(f"archive {url}: {exc}") from None


def _storage_errors() -> tuple[type[BaseException], ...]:
    """What fsspec's backends raise when their storage cannot be reached or refuses: OSError, and for
    S3 (s3fs on botocore) botocore's own errors, which are not OSErrors (a refused connection is one)."""
    from botocore.exceptions import BotoCoreError, ClientError

    return (OSError, BotoCoreError, ClientError)


def _join(root: str, relative: str) -> str:
    return root.rstrip("/") + "/" + str(PurePosixPath(relative))


def open_capture_file(root: str | os.PathLike, warc_file: str) -> IO[bytes]:
    """The WARC file `warc_file` (relative to the archive root) opened for reading; FileNotFoundError if absent."""
    if is_url(root):
        try:
            return _filesystem(str(root)).open(_join(str(root), warc_file), "rb")
        except FileNotFoundError:
            raise
        except _storage_errors() as exc:
            raise ArchiveUnavailable(f"archive {root} cannot be read: {first_line(exc)}") from None
    return open(Path(root) / warc_file, "rb")


def capture_file_size(root: str | os.PathLike, warc_file: str) -> int | None:
    if is_url(root):
        fs = _filesystem(str(root))
        try:
            return int(fs.size(_join(str(root), warc_file)))
        except FileNotFoundError:
            return None
        except _storage_errors() as exc:
            raise ArchiveUnavailable(f"archive {root} cannot be read: {first_line(exc)}") from None
    path = Path(root) / warc_file
    return path.stat().st_size if path.is_file() else None


def publish(local_root: Path, shared_root: str, batch_id: str) -> list[str]:
    """Copy the local WARC files of `batch_id` to the shared archive (idempotent); returns their names."""
    files = sorted(local_root.glob(f"*/{batch_id}-*.warc.gz")) if local_root.is_dir() else []
    if not files:
        return []
    fs = _filesystem(shared_root)
    published = []
    for path in files:
        relative = path.relative_to(local_root).as_posix()
        target = _join(shared_root, relative)
        try:
            if not fs.exists(target) or fs.size(target) != path.stat().st_size:
                fs.put_file(str(path), target)
        except _storage_errors() as exc:
            raise ArchiveUnavailable(f"cannot publish {relative} to {shared_root}: {first_line(exc)}") from None
        published.append(relative)
    return published
