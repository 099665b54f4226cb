"""``geocov report``: coverage tables for one level (or all) as XLSX, CSV or GeoPackage."""

from __future__ import annotations

import click

from .options import (
    build_analysis,
    check_output,
    echo_written,
    handles_errors,
    input_options,
    lang_option,
    lenient_option,
    output_place,
    quiet_option,
    rejects_report,
    show_progress,
)


@click.command("report")
@input_options
@click.option("--level", help="Level to report (default: every level and the total).")
@click.option(
    "-o",
    "--output",
    required=True,
    callback=check_output,
    help="Output file (report.xlsx, report.gpkg or report.csv), or a folder (out/) for "
    "every output: CSV, GeoPackage, workbook, manifest.",
)
@lenient_option
@lang_option
@quiet_option
@handles_errors
def command(
    level: str | None,
    output: str,
    lenient: bool,
    rejects_path: str | None,
    quiet: bool,
    lang: str | None,
    **inputs,
) -> None:
    """Coverage report: one row per unit with numerators, denominators and percentages."""
    from ..analysis import run_and_write

    written = run_and_write(
        build_analysis(**inputs),
        **output_place(output),
        level=level,
        rejects=rejects_report(lenient),
        rejects_path=rejects_path,
        progress=show_progress(quiet),
        lang=lang,
    )
    echo_written(written)
