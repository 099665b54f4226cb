"""``geocov report``: coverage tables for one level (or all) as XLSX, CSV or GeoPackage."""

from __future__ import annotations

import click

from .options import (
    build_analysis,
    echo_written,
    handles_errors,
    input_options,
    lenient_option,
    rejects_report,
)


def _table_file(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """Refuse an output whose suffix names no table format before any work is done."""
    from ..analysis import table_format
    from ..errors import SchemaError

    try:
        table_format(value)
    except SchemaError as exc:
        raise click.BadParameter(str(exc), param_hint="-o/--output") from None
    return value


@click.command("report")
@input_options
@click.option("--level", help="Level to report (default: every level and the total).")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    required=True,
    callback=_table_file,
    help="Output file: report.xlsx, report.gpkg or report.csv.",
)
@lenient_option
@handles_errors
def command(
    level: str | None, output: str, lenient: bool, rejects_path: str | None, **inputs
) -> None:
    """Coverage report: one row per unit with numerators, denominators and percentages."""
    from ..analysis import run_and_write

    written = run_and_write(
        build_analysis(**inputs),
        target=output,
        level=level,
        rejects=rejects_report(lenient),
        rejects_path=rejects_path,
    )
    echo_written(written)
