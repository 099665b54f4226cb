"""``geocov demo``: the whole pipeline on the built-in synthetic sample province."""

from __future__ import annotations

import click

from .options import echo_written, handles_errors, lang_option, quiet_option, show_progress


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
@quiet_option
@lang_option
@handles_errors
def command(out: str, maps_dir: str, no_maps: bool, quiet: bool, lang: str | None) -> None:
    """Run read → coverage → tables (→ maps) on the built-in sample province: no arguments."""
    from ..analysis import run_demo

    echo_written(
        run_demo(out, maps_folder=None if no_maps else maps_dir, progress=show_progress(quiet),
                 lang=lang)
    )
