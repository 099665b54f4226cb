"""``geocov run analysis.toml``: rerun a whole analysis described in a TOML file."""

from __future__ import annotations

import click

from .options import (
    check_output,
    echo_written,
    handles_errors,
    lang_option,
    lenient_option,
    output_place,
    quiet_option,
    rejects_report,
    show_progress,
    units_vintage_option,
    with_units_vintage,
)


@click.command("run")
@click.argument("analysis", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "-o",
    "--out",
    callback=check_output,
    help="Output folder (overrides [output] folder; every output goes into it), or one "
    "file: report.xlsx, report.gpkg or report.csv.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    help="Threads for the coverage grid (overrides [model] workers). Default: the CPUs "
    "(at most 8).",
)
@units_vintage_option
@lenient_option
@lang_option
@quiet_option
@handles_errors
def command(
    analysis: str,
    out: str | None,
    lenient: bool,
    rejects_path: str | None,
    quiet: bool,
    lang: str | None,
    workers: int | None,
    units_vintage: str | None,
) -> None:
    """Compute coverage for ANALYSIS (a TOML file) and write every table it asks for."""
    from dataclasses import replace

    from ..analysis import read_analysis, run_and_write

    a = with_units_vintage(read_analysis(analysis), units_vintage)
    if workers is not None:
        a = replace(a, model={**a.model, "workers": workers})
    written = run_and_write(
        a,
        **output_place(out, param_hint="-o/--out"),
        rejects=rejects_report(lenient),
        rejects_path=rejects_path,
        progress=show_progress(quiet),
        lang=lang,
    )
    echo_written(written)
