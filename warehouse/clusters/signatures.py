"""MinHash signatures of articles and their LSH band keys (datasketch), computed before the write lock.

Word 5-shingles of the text without its headline, or character 3-grams when it is mostly Chinese,
Japanese or Korean; CRC-32 hashing so that stored signatures stay comparable across processes.
"""

from __future__ import annotations

import json
import re
import zlib
from functools import cache

import numpy as np

from warehouse.cjk import CJK_CHAR

NUM_PERM = 128
SEED = 1
WORD_SHINGLE = 5
CHAR_SHINGLE = 3
# Bands are chosen for a lower threshold than the verification step, so that pairs just above
# THRESHOLD are rarely missed (P(candidate | J = 0.5) = 0.87 with 32 bands of 4).
CANDIDATE_THRESHOLD = 0.4
CJK_SHARE = 0.3

_WORD = re.compile(r"\w+")
_WORD_CHARS = re.compile(r"[^\W_]")
_NOT_WORD = re.compile(r"[\W_]+")
# What datasketch's MinHashLSH(threshold=CANDIDATE_THRESHOLD, num_perm=NUM_PERM) chooses, and the
# dtype of its affine32 MinHash: written here so that a process that signs nothing (a recrawl of
# unchanged pages, a reader) never imports datasketch (and SciPy with it); tests/test_clusters.py checks them.
BANDS, ROWS = 32, 4
DTYPE = np.dtype(np.uint32)
# Odd 64-bit multipliers that fold a band's r values into one 64-bit bucket key.
_FOLD = np.random.default_rng(20210208).integers(1, 2**63, size=ROWS, dtype=np.uint64) | np.uint64(1)


def shingles(title: str | None, text: str | None) -> tuple[str, set[str]]:
    """The kind ('words5' or 'chars3') and the set of shingles of an article's text."""
    body = text or title or ""
    if title and body.startswith(title):
        body = body[len(title) :]  # headlines are rewritten on reprint; the body is the story
    if _is_cjk(body):
        chars = "".join(_NOT_WORD.split(body)).lower()
        n = CHAR_SHINGLE
        return "chars3", {chars[i : i + n] for i in range(max(1, len(chars) - n + 1))} if chars else set()
    words = _WORD.findall(body.lower())
    n = WORD_SHINGLE
    return "words5", {" ".join(words[i : i + n]) for i in range(max(1, len(words) - n + 1))} if words else set()


@cache
def _template():
    """CRC-32 is stable across processes and runs (signatures are stored) and 6x faster than
    datasketch's default SHA-1; affine32 MinHash mixes its output before permuting."""
    from datasketch import MinHash

    return MinHash(num_perm=NUM_PERM, seed=SEED, hashfunc=zlib.crc32)


def signature(grams: set[str]) -> np.ndarray:
    """The MinHash signature of a set of shingles."""
    from datasketch import MinHash

    template = _template()
    m = MinHash(num_perm=NUM_PERM, seed=SEED, hashfunc=zlib.crc32, permutations=template.permutations, **_scheme())
    m.update_batch([g.encode("utf-8") for g in grams])
    return m.hashvalues


def _is_cjk(body: str) -> bool:
    # A sample decides: counting every character of long texts costs more than the MinHash.
    sample = body[:3000]
    letters = len(_WORD_CHARS.findall(sample))
    return letters > 0 and len(CJK_CHAR.findall(sample)) / letters > CJK_SHARE


def band_keys(signatures: np.ndarray) -> np.ndarray:
    """(n, BANDS) signed 64-bit keys, one per band of each signature."""
    bands = signatures[:, : BANDS * ROWS].reshape(len(signatures), BANDS, ROWS).astype(np.uint64)
    with np.errstate(over="ignore"):
        keys = (bands * _FOLD).sum(axis=2, dtype=np.uint64)
        keys ^= keys >> np.uint64(29)
    return keys.view(np.int64)


def similarity(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Estimated Jaccard similarity of paired signatures (rows of a and b), as MinHash.jaccard."""
    return (a == b).mean(axis=1)


def presign(records) -> dict[str, tuple[str, np.ndarray]]:
    """Signatures of a staged batch's extracted articles, by content hash.

    The loader calls this before it takes the write lock, so the lock is not held while MinHash runs.
    """
    signed: dict[str, tuple[str, np.ndarray]] = {}
    with open(records, encoding="utf-8") as lines:
        for line in lines:
            try:
                record = json.loads(line)
            except ValueError:
                continue  # a torn line: the loader reports the batch
            content = record.get("content_hash")
            if record.get("outcome") == "article" and content and content not in signed:
                kind, grams = shingles(record.get("title"), record.get("text"))
                if grams:
                    signed[content] = (kind, signature(grams))
    return signed


def _scheme() -> dict:
    # datasketch 2 wants the scheme named when permutations are passed in; 1.x has no such option.
    scheme = getattr(_template(), "scheme", None)
    return {"scheme": scheme} if scheme else {}


def sign_rows(rows: list[tuple], presigned: dict | None = None) -> list[tuple]:
    """(article_id, source, content_hash, kind, signature) of each row with any shingle."""
    out = []
    for article_id, source, content_hash, title, text in rows:
        if presigned and content_hash in presigned:
            out.append((article_id, source, content_hash, *presigned[content_hash]))
            continue
        kind, grams = shingles(title, text)
        if grams:
            out.append((article_id, source, content_hash, kind, signature(grams)))
    return out


def to_blob(signature: np.ndarray) -> str:
    """A signature as the hex of its little-endian bytes (unhex() in SQL stores it as a BLOB)."""
    return signature.astype("<" + DTYPE.str[1:]).tobytes().hex()


def from_blob(blob: bytes) -> np.ndarray:
    """A stored signature read back."""
    return np.frombuffer(blob, dtype="<" + DTYPE.str[1:])
