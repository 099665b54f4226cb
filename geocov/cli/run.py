"""``geocov run analysis.toml``: rerun a whole analysis described in a TOML file."""

from __future__ import annotations

from pathlib import Path

import click

from .options import handles_errors, lenient_option
from .report import compute_and_write


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
    from ..analysis import read_analysis

    a = read_analysis(analysis)
    folder = Path(out or a.output.get("folder") or "geocov-out")
    compute_and_write(
        a, folder=folder, target=None, level=None, lenient=lenient, rejects_path=rejects_path
    )
