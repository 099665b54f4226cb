"""``geocov map``: compute coverage and write one self-contained HTML map (and a PNG)."""

from __future__ import annotations

import click

from .options import (
    build_analysis,
    echo_rejects,
    handles_errors,
    input_options,
    lang_option,
    lenient_option,
    quiet_option,
    rejects_report,
    say,
    show_progress,
)


@click.command("map")
@input_options
@click.option("--level", help="Level whose units are coloured (default: the finest).")
@click.option(
    "--metric",
    default=None,
    help="Metric coloured first, e.g. villages_pct_4g, population_pct_any, "
    "area_pct_4g_plus, villages_fiber_pct (the map can switch to the others). Default: "
    "from the data there is (villages with 4G; without villages, people; without "
    "population, area).",
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
    help="Also save the printable view as PNG: title, legend, scale bar, north arrow, data "
    "date and sources on a --paper sheet, about 190 dpi (needs Chromium).",
)
@click.option(
    "--pdf",
    "pdf",
    type=click.Path(dir_okay=False),
    help="Also save the printable view as a one-page PDF (needs Chromium).",
)
@click.option(
    "--paper",
    type=click.Choice(["A4", "A3"], case_sensitive=False),
    default="A4",
    show_default=True,
    help="Sheet of the printable view (--png, --pdf).",
)
@click.option(
    "--portrait",
    is_flag=True,
    help="Print the sheet upright (default: landscape).",
)
@click.option("--tiles", help="Base tiles (e.g. OpenStreetMap; need a network). Default: none.")
@click.option("--title", help="Map title (default: the analysis title).")
@lenient_option
@lang_option
@quiet_option
@handles_errors
def command(
    level: str | None,
    metric: str | None,
    output: str,
    png: str | None,
    pdf: str | None,
    paper: str,
    portrait: bool,
    lang: str | None,
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
            pdf=pdf,
            paper=paper.upper(),
            landscape=not portrait,
            lang=lang,
            tiles=tiles,
            title=title,
            rejects=rejects_report(lenient),
            rejects_path=rejects_path,
            progress=show_progress(quiet),
        )
    except UnknownLevelError as exc:
        raise click.BadParameter(str(exc), param_hint="--level") from None
    from ..locale import number

    html, *prints = written.maps
    click.echo(say(written, "wrote_size", path=html,
                   mb=number(html.stat().st_size / 1e6, written.lang, digits=1)))
    for path in prints:
        click.echo(say(written, "wrote", path=path))
    echo_rejects(written)
