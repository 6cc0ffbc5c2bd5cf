"""Decode page bytes to text before extraction, trusting declarations only when the bytes agree.

trafilatura's own detection reads only the first 15 KB and misreads Chinese pages whose head is
mostly English (trafilatura#541, #626), so extraction always receives text decoded here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import charset_normalizer
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom, resolve_encoding

_NON_ASCII = re.compile(rb"[\x80-\xff]")
NEARLY_SHARE = 0.01  # share of non-ASCII bytes a declared charset may fail on and still be used
_CANDIDATES = ["utf_8", "gb18030", "big5", "shift_jis", "euc_jp", "euc_kr", "cp1251", "cp1252", "koi8_r", "cp1256"]
# Labels that browsers read as a superset encoding: decoding with the superset never loses text.
_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "big5": "big5hkscs", "ascii": "utf-8", "iso8859-1": "cp1252"}


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str
    declared: str | None
    mismatch: bool  # the declared charset did not fit the bytes
    replaced: int = 0  # bytes the declared charset did not fit, read as U+FFFD (see _nearly)


def _codec(label: str | None) -> str | None:
    if not label:
        return None
    resolved = resolve_encoding(label)
    if not resolved:
        return None
    return _SUPERSETS.get(resolved, resolved)


def _strict(body: bytes, codec: str) -> str | None:
    try:
        return body.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _nearly(body: bytes, codec: str) -> tuple[str, int] | None:
    """The body decoded with replacements and how many, if at most 1 % of its non-ASCII bytes needed one."""
    try:
        text = body.decode(codec, "replace")
    except LookupError:
        return None
    literal = body.count(b"\xef\xbf\xbd") if codec in ("utf-8", "utf_8") else 0  # U+FFFD the page itself holds
    replaced = text.count("\ufffd") - literal
    return (text, replaced) if replaced <= NEARLY_SHARE * max(1, len(_NON_ASCII.findall(body))) else None


def decode_html(body: bytes, content_type: str | None) -> Decoded:
    """Text of an HTML or XML body: BOM, then header and meta charsets that decode cleanly, then detection."""
    bom, _ = read_bom(body)
    if bom:
        codec = _codec(bom) or bom  # a BOM names a codec Python knows
        return Decoded(body[len(_bom_bytes(body)) :].decode(codec, "replace"), codec, bom, False)
    header = http_content_type_encoding(content_type) if content_type else None
    meta = html_body_declared_encoding(body)
    declared = header or meta
    for label in (header, meta):
        found = _codec(label)
        if found and (text := _strict(body, found)) is not None:
            return Decoded(text, found, declared, found != _codec(declared))
    if (text := _strict(body, "utf-8")) is not None:
        return Decoded(text, "utf-8", declared, declared is not None)
    # A page in its declared charset with a stray byte or two (a pasted snippet, a cut sequence):
    # read it as declared with those bytes replaced, not as whatever detection guesses for the whole page.
    for label in (header, meta):
        named = _codec(label)
        if named and (nearly := _nearly(body, named)) is not None:
            return Decoded(nearly[0], named, declared, True, replaced=nearly[1])
    best = _detect(body)
    if best is not None:
        codec = _codec(best.encoding) or best.encoding
        if (text := _strict(body, codec)) is not None:
            return Decoded(text, codec, declared, declared is not None)
    codec = _codec(declared) or "utf-8"
    return Decoded(body.decode(codec, "replace"), codec, declared, True)


def _detect(body: bytes):
    """charset_normalizer on the part of the body where the non-ASCII text is.

    An ASCII-heavy head (scripts, English navigation) drowns the signal, so detection starts just
    before the first non-ASCII byte, and only among encodings that news sites actually use.
    """
    first = _NON_ASCII.search(body)
    if first is None:
        return None
    start = max(0, first.start() - 256)
    return charset_normalizer.from_bytes(body[start : start + 200_000], cp_isolation=_CANDIDATES).best()


def _bom_bytes(body: bytes) -> bytes:
    for bom in (b"\xef\xbb\xbf", b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff", b"\xff\xfe", b"\xfe\xff"):
        if body.startswith(bom):
            return bom
    return b""
