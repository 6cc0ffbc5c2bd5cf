"""presswatch commands: trends (trend, spread, stories) and export."""

from __future__ import annotations

from pathlib import Path

import click

from flows.cli import cli, friendly
from flows.settings import Settings

FORMATS = click.Choice(["table", "csv", "json"])


def _quoted(terms) -> str:
    return " or ".join(f'"{term.strip()}"' for term in terms)


def _plot_path(ctx, param, value):
    if value and Path(value).suffix.lower() not in (".png", ".html"):
        raise click.BadParameter("give a file ending in .png or .html", ctx=ctx, param=param)
    if value and Path(value).suffix.lower() == ".png":
        from flows.cli.plots import PNG_UNAVAILABLE, png_available

        if not png_available():
            raise click.BadParameter(PNG_UNAVAILABLE, ctx=ctx, param=param)
    return value


@cli.command()
@click.argument("terms", nargs=-1, required=True)
@click.option(
    "--by",
    "bucket",
    type=click.Choice(["day", "week", "month"]),
    default="week",
    show_default=True,
    help="Time bucket (weeks start on Monday).",
)
@click.option("--source", help="Only this source [default: all].")
@click.option(
    "--plot",
    type=click.Path(dir_okay=False),
    callback=_plot_path,
    help="Also draw a line chart per term into FILE.png or FILE.html.",
)
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
@click.pass_obj
@friendly
def trend(settings: Settings, terms, bucket, source, plot, fmt):
    """How many articles mention each TERM, per week (or day, month) and source.

    Whole words, case-insensitive ("train" does not count "training"); Chinese, Japanese and
    Korean terms match anywhere. Current versions of live articles, dated by publication.

    Example:

    \b
        presswatch trend "happy lives" "politicizing human rights" --by month
        presswatch trend 幸福生活 --source xjgov
        presswatch trend "vocational education" --plot trend.png
    """
    from flows.cli.output import console, print_rows
    from warehouse.trends import term_trends

    result = term_trends(settings.db, list(terms), bucket=bucket, source=source)
    where = f" from {source}" if source else ""
    missing = [term for term in terms if not any(row[0] == term.strip() for row in result.rows)]
    print_rows(result.columns, result.rows, fmt, empty=f"no articles{where} mention {_quoted(missing)}")
    if fmt == "table" and result.rows and missing:
        console().print(f"no articles{where} mention {_quoted(missing)}", highlight=False)
    if plot:
        from flows.cli.plots import needs_cjk_font, plot_trend

        path = plot_trend(result.columns, result.rows, plot, bucket, list(terms), source=source)
        err = console(stderr=True)
        err.print(f"chart written to {path}", highlight=False)
        if path.suffix.lower() == ".png" and needs_cjk_font(list(terms)):
            err.print(
                "note: no Chinese/Japanese/Korean font is installed, so those terms show as boxes in the PNG;"
                " install one (e.g. fonts-noto-cjk) or use --plot FILE.html",
                highlight=False,
            )


@cli.command()
@click.argument("phrase")
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
@click.pass_obj
@friendly
def spread(settings: Settings, phrase, fmt):
    """Who used PHRASE first, and which outlets followed how many days later.

    Every version counts, deleted articles too; a phrase an edit added dates from that edit.

    Example:

    \b
        presswatch spread "vocational education and training centers"
        presswatch spread 幸福生活 --format csv
    """
    from flows.cli.output import print_rows
    from warehouse.trends import phrase_spread

    result = phrase_spread(settings.db, phrase)
    print_rows(result.columns, result.rows, fmt, empty=f"no article uses the phrase {_quoted([phrase])}")


@cli.command()
@click.option(
    "--rebuild",
    is_flag=True,
    help="Recompute every cluster first (after changing the settings in warehouse/clusters/).",
)
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
@click.pass_obj
@friendly
def stories(settings: Settings, rebuild, fmt):
    """Stories republished by several outlets: clusters of near-identical articles.

    The loader keeps the clusters current after every batch; --rebuild recomputes them all.

    Example:

    \b
        presswatch stories
        presswatch stories --rebuild --format csv
    """
    from flows.cli.output import print_rows
    from warehouse.clusters import story_clusters

    result = story_clusters(settings.db, rebuild=rebuild)
    print_rows(
        result.columns,
        result.rows,
        fmt,
        empty="no stories yet: no article has a near-identical one from another outlet",
    )


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--format", "fmt", type=click.Choice(["parquet", "csv"]), default="parquet", show_default=True)
@click.option("--overwrite", is_flag=True, help="Replace an earlier export in DIRECTORY (its files only; others stay).")
@click.pass_obj
@friendly
def export(settings: Settings, directory, fmt, overwrite):
    """Export the warehouse into DIRECTORY for other engines (Spark, Trino, Polars, DuckDB).

    article_versions is Hive-partitioned by source and month of valid_from
    (DIRECTORY/article_versions/source=NAME/month=YYYY-MM/); every other table is one file.

    Example:

    \b
        presswatch export /tmp/presswatch-export
        duckdb -c "select source, count(*) from read_parquet('/tmp/presswatch-export/article_versions/**/*.parquet', hive_partitioning = true) group by 1"
    """
    from flows.cli.output import console, print_rows
    from warehouse.export import export_warehouse

    result = export_warehouse(settings.db, directory, fmt=fmt, overwrite=overwrite)
    print_rows(["table", "rows"], sorted(result.tables.items()), "table")
    console().print(f"{result.files} {fmt} file(s) written under {result.path}", highlight=False)
