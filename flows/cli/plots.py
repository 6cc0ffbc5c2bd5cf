"""Line charts of term trends: PNG through matplotlib (Agg, no display), or one self-contained
HTML page with an inline SVG (no script, no CDN: it opens offline and in any mail client)."""

from __future__ import annotations

import calendar
import warnings
from datetime import date, timedelta
from html import escape
from pathlib import Path

from flows.errors import ChartsUnavailable
from warehouse.cjk import CJK_CHAR

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf")
SUFFIXES = (".png", ".html")
# Fonts with Chinese, Japanese and Korean glyphs, tried in this order when one is installed.
CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "PingFang SC",
    "SimHei",
    "Droid Sans Fallback",
    "AR PL UMing CN",
)
PNG_UNAVAILABLE = (
    "PNG charts need matplotlib, which is not installed: pip install 'presswatch[charts]', "
    "or use --plot FILE.html (an inline SVG, no extra needed)"
)


def png_available() -> bool:
    """Whether matplotlib, the `charts` extra, can be imported."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def cjk_font() -> str | None:
    """The first installed font that can draw Chinese, Japanese and Korean, if any."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in installed), None)


def needs_cjk_font(terms: list[str]) -> bool:
    """True when a PNG of these terms would show boxes: CJK text and no CJK font installed."""
    return any(CJK_CHAR.search(t) for t in terms) and png_available() and cjk_font() is None


def trend_series(
    columns: list[str], rows: list[tuple], bucket: str, measure: str = "articles"
) -> tuple[list[date], dict[str, list[int]]]:
    """Every bucket from the first to the last, and per term the measure summed over sources (0 where none)."""
    col = {name: i for i, name in enumerate(columns)}
    totals: dict[str, dict[date, int]] = {}
    for row in rows:
        per_term = totals.setdefault(row[col["term"]], {})
        per_term[row[col["bucket"]]] = per_term.get(row[col["bucket"]], 0) + int(row[col[measure]])
    days = [d for per_term in totals.values() for d in per_term]
    if not days:
        return [], {term: [] for term in totals}
    buckets = _buckets(min(days), max(days), bucket)
    return buckets, {term: [per_term.get(b, 0) for b in buckets] for term, per_term in totals.items()}


def plot_trend(
    columns: list[str],
    rows: list[tuple],
    path,
    bucket: str,
    terms: list[str],
    source: str | None = None,
    measure: str = "articles",
) -> Path:
    """Write a titled line chart, one line per term, to `path` (.png or .html); returns the path."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ValueError(f"{path.name}: the plot must be a .png or .html file")
    buckets, series = trend_series(columns, rows, bucket, measure)
    for term in terms:
        series.setdefault(term, [0] * len(buckets))
    title = "Articles mentioning " + ", ".join(f"“{t}”" for t in terms) + f" per {bucket}"
    if source:
        title += f" ({source})"
    ylabel = "articles mentioning the term" if measure == "articles" else "mentions"
    xlabel = f"{bucket} (published, else first seen)"
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".png":
        if not png_available():
            raise ChartsUnavailable(PNG_UNAVAILABLE)
        _png(path, buckets, series, terms, title, xlabel, ylabel)
    else:
        path.write_text(_html(buckets, series, terms, title, xlabel, ylabel), encoding="utf-8")
    return path


def _buckets(first: date, last: date, bucket: str) -> list[date]:
    out, current = [], first
    while current <= last:
        out.append(current)
        if bucket == "day":
            current += timedelta(days=1)
        elif bucket == "week":
            current += timedelta(days=7)
        else:
            days = calendar.monthrange(current.year, current.month)[1]
            current = current.replace(day=1) + timedelta(days=days)
    return out


def _png(path: Path, buckets, series, terms, title, xlabel, ylabel) -> None:
    # The object API with an Agg canvas: no pyplot global state, no display needed.
    from matplotlib import rc_context

    fallback = cjk_font()
    with rc_context({"font.family": ["DejaVu Sans"] + ([fallback] if fallback else [])}), warnings.catch_warnings():
        # Without a CJK font matplotlib warns once per glyph; the CLI says it once instead.
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        _draw_png(path, buckets, series, terms, title, xlabel, ylabel)


def _draw_png(path: Path, buckets, series, terms, title, xlabel, ylabel) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    fig = Figure(figsize=(10, 4.8), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    for i, term in enumerate(terms):
        ax.plot(buckets, series[term], marker="o", color=PALETTE[i % len(PALETTE)], label=term)
    if not buckets:
        ax.text(0.5, 0.5, "no article mentions these terms", ha="center", va="center", transform=ax.transAxes)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_ylim(bottom=0)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper left")
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(path, format="png")


def _html(buckets, series, terms, title, xlabel, ylabel) -> str:
    width, height = 960, 460
    left, right, top, bottom = 70, 190, 50, 90
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max([v for values in series.values() for v in values] + [1])
    step = _nice_step(peak)
    top_value = step * -(-peak // step)

    def x(i):
        return left + (plot_w * i / (len(buckets) - 1) if len(buckets) > 1 else plot_w / 2)

    def y(v):
        return top + plot_h - plot_h * v / top_value

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(title)}" font-family="sans-serif" font-size="12">',
        f'<text x="{width / 2:.0f}" y="26" text-anchor="middle" font-size="16" font-weight="bold">{escape(title)}</text>',
    ]
    for v in range(0, top_value + 1, step):
        parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{left - 8}" y="{y(v) + 4:.1f}" text-anchor="end">{v}</text>')
    every = max(1, -(-len(buckets) // 12))
    for i, b in enumerate(buckets):
        if i % every == 0 or i == len(buckets) - 1:
            parts.append(
                f'<line x1="{x(i):.1f}" x2="{x(i):.1f}" y1="{top + plot_h}" y2="{top + plot_h + 5}" stroke="#333"/>'
            )
            parts.append(
                f'<text x="{x(i):.1f}" y="{top + plot_h + 18}" text-anchor="end" '
                f'transform="rotate(-35 {x(i):.1f} {top + plot_h + 18})">{b.isoformat()}</text>'
            )
    parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{top + plot_h}" y2="{top + plot_h}" stroke="#333"/>')
    parts.append(f'<line x1="{left}" x2="{left}" y1="{top}" y2="{top + plot_h}" stroke="#333"/>')
    parts.append(f'<text x="{left + plot_w / 2:.0f}" y="{height - 12}" text-anchor="middle">{escape(xlabel)}</text>')
    parts.append(
        f'<text x="18" y="{top + plot_h / 2:.0f}" text-anchor="middle" '
        f'transform="rotate(-90 18 {top + plot_h / 2:.0f})">{escape(ylabel)}</text>'
    )
    if not buckets:
        parts.append(
            f'<text x="{left + plot_w / 2:.0f}" y="{top + plot_h / 2:.0f}" text-anchor="middle">'
            "no article mentions these terms</text>"
        )
    for n, term in enumerate(terms):
        color = PALETTE[n % len(PALETTE)]
        values = series[term]
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
        parts.append(f'<g class="series" data-term="{escape(term)}">')
        if len(values) > 1:
            parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{points}"/>')
        for i, v in enumerate(values):
            parts.append(
                f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3.5" fill="{color}">'
                f"<title>{escape(term)} — {buckets[i].isoformat()}: {v}</title></circle>"
            )
        parts.append("</g>")
        ly = top + 10 + 22 * n
        parts.append(
            f'<line x1="{left + plot_w + 20}" x2="{left + plot_w + 44}" y1="{ly}" y2="{ly}" stroke="{color}" stroke-width="3"/>'
        )
        parts.append(f'<text x="{left + plot_w + 50}" y="{ly + 4}">{escape(term)}</text>')
    parts.append("</svg>")
    svg = "\n".join(parts)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(title)}</title>\n</head>\n<body>\n<figure>\n{svg}\n"
        f"<figcaption>{escape(title)}. Made by presswatch.</figcaption>\n</figure>\n</body>\n</html>\n"
    )


def _nice_step(peak: int) -> int:
    """A tick step of 1, 2 or 5 times a power of ten giving at most about eight ticks."""
    magnitude = 1
    while True:
        for factor in (1, 2, 5):
            step = factor * magnitude
            if peak / step <= 8:
                return step
        magnitude *= 10
