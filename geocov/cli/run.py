"""``geocov run analysis.toml``: rerun a whole analysis described in a TOML file."""

from __future__ import annotations

import click

from .options import echo_written, handles_errors, lenient_option, rejects_report


@click.command("run")
@click.argument("analysis", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "-o",
    "--out",
    type=click.Path(file_okay=False),
    help="Output folder (overrides [output] folder).",
)
@lenient_option
@handles_errors
def command(analysis: str, out: str | None, lenient: bool, rejects_path: str | None) -> None:
    """Compute coverage for ANALYSIS (a TOML file) and write every table it asks for."""
    from ..analysis import run_and_write

    written = run_and_write(
        analysis, folder=out, rejects=rejects_report(lenient), rejects_path=rejects_path
    )
    echo_written(written)
