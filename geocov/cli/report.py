"""``geocov report``: coverage tables for one level (or all) as XLSX, CSV or GeoPackage."""

from __future__ import annotations

from pathlib import Path

import click

from .options import build_analysis, handles_errors, input_options, lenient_option


def compute_and_write(
    analysis,
    *,
    folder: Path,
    target: Path | None,
    level: str | None,
    lenient: bool,
    rejects_path: str | None,
    formats=None,
):
    """Run the analysis, write tables (and rejects), echo the summary. Shared by report/run/demo.

    Call it inside :func:`geocov.cli.options.cli_session` (the commands do).
    """
    from ..analysis import run_analysis
    from ..io import RejectsReport

    rejects = RejectsReport() if lenient else None
    result = run_analysis(analysis, rejects=rejects)
    levels = [level] if level else list(analysis.output.get("levels") or result.levels)
    if level is None and "total" not in levels:
        levels.append("total")
    if target is not None:
        fmt = {".xlsx": "xlsx", ".gpkg": "gpkg", ".csv": "csv"}.get(target.suffix.lower())
        if fmt is None:
            raise click.BadParameter(
                "output must end in .xlsx, .gpkg or .csv", param_hint="-o/--output"
            )
        written = result.write(target.parent, levels=levels, formats=[fmt], stem=target.stem)
    else:
        written = result.write(
            folder,
            levels=levels,
            formats=formats or analysis.output.get("formats") or ("csv", "gpkg", "xlsx"),
        )
    click.echo(result.summary())
    for p in written:
        click.echo(f"wrote {p}")
    if rejects is not None:
        rpath = (
            Path(rejects_path)
            if rejects_path
            else (target.parent if target else folder) / "rejects.csv"
        )
        rejects.write(rpath)
        click.echo(f"{len(rejects)} rejected row(s) -> {rpath}")
    return result


@click.command("report")
@input_options
@click.option("--level", help="Level to report (default: every level and the total).")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    required=True,
    help="Output file: report.xlsx, report.gpkg or report.csv.",
)
@lenient_option
@handles_errors
def command(
    level: str | None, output: str, lenient: bool, rejects_path: str | None, **inputs
) -> None:
    """Coverage report: one row per unit with numerators, denominators and percentages."""
    analysis = build_analysis(**inputs)
    target = Path(output)
    target.parent.mkdir(parents=True, exist_ok=True)
    compute_and_write(
        analysis,
        folder=target.parent,
        target=target,
        level=level,
        lenient=lenient,
        rejects_path=rejects_path,
    )
