"""``geocov map``: compute coverage and write one self-contained HTML map (and a PNG)."""

from __future__ import annotations

import click

from .options import (
    build_analysis,
    echo_rejects,
    handles_errors,
    input_options,
    lenient_option,
    quiet_option,
    rejects_report,
    show_progress,
)


@click.command("map")
@input_options
@click.option("--level", help="Level whose units are coloured (default: the finest).")
@click.option(
    "--metric",
    default="villages_pct_4g",
    show_default=True,
    help="Metric coloured first, e.g. villages_pct_4g, population_pct_any, "
    "area_pct_4g_plus, villages_fiber_pct (the map can switch to the others).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    default="coverage_map.html",
    show_default=True,
    help="The HTML file to write.",
)
@click.option(
    "--png",
    "png",
    type=click.Path(dir_okay=False),
    help="Also save the view as PNG (needs Chromium).",
)
@click.option("--tiles", help="Base tiles (e.g. OpenStreetMap; need a network). Default: none.")
@click.option("--title", help="Map title (default: the analysis title).")
@lenient_option
@quiet_option
@handles_errors
def command(
    level: str | None,
    metric: str,
    output: str,
    png: str | None,
    tiles: str | None,
    title: str | None,
    lenient: bool,
    rejects_path: str | None,
    quiet: bool,
    **inputs,
) -> None:
    """Compute coverage from an analysis TOML (or input files) and write an offline HTML map."""
    from ..analysis import write_map
    from ..vocabulary import UnknownLevelError

    try:
        written = write_map(
            build_analysis(**inputs),
            output,
            level=level,
            metric=metric,
            png=png,
            tiles=tiles,
            title=title,
            rejects=rejects_report(lenient),
            rejects_path=rejects_path,
            progress=show_progress(quiet),
        )
    except UnknownLevelError as exc:
        raise click.BadParameter(str(exc), param_hint="--level") from None
    html, *png_file = written.maps
    click.echo(f"wrote {html} ({html.stat().st_size / 1e6:.1f} MB)")
    for path in png_file:
        click.echo(f"wrote {path}")
    echo_rejects(written)
