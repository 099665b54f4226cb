"""``geocov map``: compute coverage and write one self-contained HTML map (and a PNG)."""

from __future__ import annotations

from pathlib import Path

import click

from .options import build_analysis, handles_errors, input_options, lenient_option


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
    **inputs,
) -> None:
    """Compute coverage from an analysis TOML (or input files) and write an offline HTML map."""
    from ..analysis import run_analysis
    from ..io import RejectsReport
    from ..maps import coverage_map, save_map, save_png

    analysis = build_analysis(**inputs)
    rejects = RejectsReport() if lenient else None
    result = run_analysis(analysis, rejects=rejects)
    levels = [lv for lv in result.levels if lv != "total"]
    if level is not None and level not in levels:
        raise click.BadParameter(
            f"{level!r} is not a level of these units; use one of {', '.join(levels)}",
            param_hint="--level",
        )
    m = coverage_map(result, level=level or levels[-1], metric=metric, tiles=tiles, title=title)
    path = save_map(m, Path(output))
    click.echo(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")
    if png:
        click.echo(f"wrote {save_png(m, Path(png))}")
    if rejects is not None:
        rpath = Path(rejects_path) if rejects_path else Path(output).parent / "rejects.csv"
        rejects.write(rpath)
        click.echo(f"{len(rejects)} rejected row(s) -> {rpath}")
