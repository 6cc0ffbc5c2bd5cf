"""Writing the change report: index.html (recent changes, filter by outlet and kind) and one page per changed article.

Static files only, no external resources: it opens from disk (file://) or from any web server.
The index's filters are plain JavaScript and read/write the address's #source=…&kind=… part, so
a filtered view can be linked. Article pages show every version with its capture date and URL,
and for each change a side-by-side and an inline word diff (character diff for Chinese).
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from flows.change_report.paths import page_name
from flows.change_report.template import write_template_pages
from flows.notify.render import describe, removed_added
from warehouse.alerts import Change, recent_changes, versions_for
from warehouse.history import Version, compare

REPORT_KINDS = ("edited", "retitled", "deleted", "restored", "template")

_CSS = """
body{font:15px/1.5 system-ui,sans-serif;margin:1.5em auto;max-width:78em;padding:0 1em;color:#222}
h1{font-size:1.5em}table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.35em .5em;
border-bottom:1px solid #e3e3e3;vertical-align:top}th{background:#f4f4f4}.kind{white-space:nowrap}
del{background:#ffe0e0;color:#a00}ins{background:#ddf5dd;color:#060;text-decoration:none}
.filters{margin:1em 0}.filters label{margin-right:1.5em}.muted{color:#666}
.version{border:1px solid #ddd;border-radius:4px;padding:.6em 1em;margin:1em 0}
.sbs{display:grid;grid-template-columns:1fr 1fr;gap:1em}.sbs>div{background:#fafafa;padding:.3em .8em}
.sbs h4,.inline h4{margin:.3em 0;font-size:.9em;color:#555}tr[hidden]{display:none}
"""

_FILTER_JS = """
(function(){
  var rows=[].slice.call(document.querySelectorAll('#changes tbody tr'));
  var source=document.getElementById('f-source'), kind=document.getElementById('f-kind');
  function apply(){
    var shown=0;
    rows.forEach(function(r){
      var ok=(!source.value||r.dataset.source===source.value)&&(!kind.value||r.dataset.kind===kind.value);
      if(ok){r.removeAttribute('hidden');shown++;}else{r.setAttribute('hidden','');}
    });
    document.getElementById('count').textContent=shown+' of '+rows.length+' change(s) shown';
  }
  function fromHash(){
    var h=new URLSearchParams(location.hash.slice(1));
    source.value=h.get('source')||''; kind.value=h.get('kind')||''; apply();
  }
  function toHash(){
    var h=new URLSearchParams();
    if(source.value)h.set('source',source.value); if(kind.value)h.set('kind',kind.value);
    history.replaceState(null,'','#'+h.toString()); apply();
  }
  source.addEventListener('change',toHash); kind.addEventListener('change',toHash);
  window.addEventListener('hashchange',fromHash); fromHash();
})();
"""


@dataclass(frozen=True)
class SiteResult:
    """What `write_site` wrote."""

    path: Path
    changes: int
    articles: int


def _e(value) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _page(title: str, body: str, lang: str = "en", script: str = "") -> str:
    js = f"<script>{script}</script>" if script else ""
    return (
        f'<!DOCTYPE html>\n<html lang="{_e(lang)}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width,initial-scale=1"><title>{_e(title)}</title>'
        f"<style>{_CSS}</style></head><body>{body}{js}</body></html>\n"
    )


def write_site(
    db, directory: str | os.PathLike, since: datetime | None = None, wait: float = 10.0, now: datetime | None = None
) -> SiteResult:
    """Write the report of the changes detected since `since` (default: all) into `directory`."""
    out = Path(directory)
    (out / "articles").mkdir(parents=True, exist_ok=True)
    changes = recent_changes(db, since or datetime(1970, 1, 1), kinds=REPORT_KINDS, wait=wait)
    changes.sort(key=lambda c: (c.detected_at, c.source, c.canonical_url), reverse=True)
    versions = versions_for(db, sorted({c.article_id for c in changes}), wait=wait)
    now = now or datetime.now(UTC)
    _write(out / "index.html", _index(changes, now))
    for article_id, article_versions in versions.items():
        _write(out / "articles" / page_name(article_id), _article(article_versions))
    write_template_pages(db, out / "articles", since, wait=wait)  # the pages template events link to
    return SiteResult(out, len(changes), len(versions))


def _write(path: Path, text: str) -> None:
    """Write via a temporary file and rename, so a browser never reads half a page."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)


def _index(changes: list[Change], now: datetime) -> str:
    sources = sorted({c.source for c in changes})
    kinds = sorted({c.change_kind for c in changes})
    options = lambda values: "".join(f'<option value="{_e(v)}">{_e(v)}</option>' for v in values)  # noqa: E731
    rows = []
    for c in changes:
        removed, added = removed_added(c)
        what = (f"<del>{_e(removed)}</del><br>" if removed else "") + (f"<ins>{_e(added)}</ins>" if added else "")
        rows.append(
            f'<tr data-source="{_e(c.source)}" data-kind="{_e(c.change_kind)}">'
            f"<td>{c.detected_at:%Y-%m-%d %H:%M}</td><td>{_e(c.source)}</td>"
            f'<td class="kind">{_e(describe(c))}</td>'
            f'<td><a href="articles/{_e(page_name(c.article_id))}#v{c.version}">'
            f"{_e(c.title or c.canonical_url)}</a></td>"
            f"<td>{what}</td></tr>"
        )
    body = (
        "<h1>presswatch: what changed</h1>"
        f'<p class="muted">{len(changes)} change(s) · written {now:%Y-%m-%d %H:%M} UTC · times are UTC</p>'
        '<div class="filters"><label>outlet <select id="f-source"><option value="">all</option>'
        f'{options(sources)}</select></label><label>kind <select id="f-kind"><option value="">all</option>'
        f'{options(kinds)}</select></label><span id="count" class="muted"></span></div>'
        '<table id="changes"><thead><tr><th>detected (UTC)</th><th>outlet</th><th>change</th><th>article</th>'
        f"<th>removed / added</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
        + ("" if changes else "<p>No changes detected yet.</p>")
    )
    return _page("presswatch: what changed", body, script=_FILTER_JS)


def _mark(segment, show: tuple[str, ...] = ("equal", "delete", "insert")) -> str:
    if segment.op not in show:
        return ""
    text = _e(segment.text)
    return {"equal": text, "delete": f"<del>{text}</del>", "insert": f"<ins>{text}</ins>"}[segment.op]


def _article(versions: list[Version]) -> str:
    latest = versions[-1]
    title = next((v.title for v in reversed(versions) if v.title), latest.canonical_url)
    parts = [
        f'<p><a href="../index.html">← all changes</a></p><h1>{_e(title)}</h1>',
        f'<p>{_e(latest.source)} · original: <a href="{_e(latest.canonical_url)}">{_e(latest.canonical_url)}</a>'
        f" · {len(versions)} version(s)</p>",
    ]
    for n, version in enumerate(versions):
        parts.append(_version_block(versions[n - 1] if n else None, version))
    return _page(title, "".join(parts), lang=latest.language or "en")


def _version_block(previous: Version | None, version: Version) -> str:
    gone = version.is_tombstone and version.http_status
    kind = version.change_kind + (f" (HTTP {version.http_status})" if gone else "")
    head = (
        f'<section class="version" id="v{version.version}"><h2>version {version.version}: {_e(kind)}</h2>'
        f'<p class="muted">captured {version.valid_from:%Y-%m-%d %H:%M:%S} UTC · fetched at '
        f'<a href="{_e(version.url or version.canonical_url)}">{_e(version.url or version.canonical_url)}</a>'
        f"{' · extractor ' + _e(version.extractor_version) if version.extractor_version else ''}</p>"
    )
    if previous is None:
        text = "".join(f"<p>{_e(p)}</p>" for p in (version.text or "").split("\n") if p.strip())
        return head + f"<h3>{_e(version.title)}</h3><details><summary>text</summary>{text}</details></section>"
    diff = compare(previous, version, context=1)
    if diff.unchanged:
        return head + "<p>No difference in title or text.</p></section>"
    left, right, inline = [], [], []
    if diff.title is not None:
        left.append("<p><b>title:</b> " + "".join(_mark(s, ("equal", "delete")) for s in diff.title) + "</p>")
        right.append("<p><b>title:</b> " + "".join(_mark(s, ("equal", "insert")) for s in diff.title) + "</p>")
        inline.append("<p><b>title:</b> " + "".join(_mark(s) for s in diff.title) + "</p>")
    for hunk in diff.hunks:
        for paragraph in hunk.paragraphs:
            left.append("<p>" + "".join(_mark(s, ("equal", "delete")) for s in paragraph) + "</p>")
            right.append("<p>" + "".join(_mark(s, ("equal", "insert")) for s in paragraph) + "</p>")
            inline.append("<p>" + "".join(_mark(s) for s in paragraph) + "</p>")
    return (
        head + f'<p class="muted">{diff.words_added} word(s) added, {diff.words_removed} removed '
        f"(compared with version {previous.version})</p>"
        f'<div class="sbs"><div class="old"><h4>version {previous.version}</h4>{"".join(left)}</div>'
        f'<div class="new"><h4>version {version.version}</h4>{"".join(right)}</div></div>'
        f'<div class="inline"><h4>inline</h4>{"".join(inline)}</div></section>'
    )
