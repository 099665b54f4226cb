"""``geocov demo``: the whole pipeline on the built-in synthetic sample province."""

from __future__ import annotations

from pathlib import Path

import click

from .options import handles_errors
from .report import compute_and_write


@click.command("demo")
@click.option(
    "-o",
    "--out",
    type=click.Path(file_okay=False),
    default="geocov-out",
    show_default=True,
    help="Folder for the coverage tables.",
)
@click.option(
    "--maps",
    "maps_dir",
    type=click.Path(file_okay=False),
    default="maps",
    show_default=True,
    help="Folder for the interactive maps.",
)
@click.option("--no-maps", is_flag=True, help="Skip the maps.")
@handles_errors
def command(out: str, maps_dir: str, no_maps: bool) -> None:
    """Run read → coverage → tables (→ maps) on the built-in sample province: no arguments."""
    from ..analysis import read_analysis
    from ..sample import sample_paths

    analysis = read_analysis(sample_paths()["analysis"])
    result = compute_and_write(
        analysis, folder=Path(out), target=None, level=None, lenient=False, rejects_path=None
    )
    if not no_maps:
        from ..maps import write_demo_maps

        for p in write_demo_maps(result, Path(maps_dir)):
            click.echo(f"wrote {p}")
