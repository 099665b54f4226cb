"""``geocov sample``: (re)generate the synthetic sample province."""

from __future__ import annotations

from pathlib import Path

import click


@click.command(name="sample")
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder to write into (default: the shipped locations, boundaries/ and "
    "geocov/sample_data/).",
)
@click.option(
    "--seed",
    type=int,
    default=None,
    show_default="2020",
    help="Random seed; the shipped files use the default.",
)
def command(out: Path | None, seed: int | None) -> None:
    """Generate the synthetic sample province (units, villages, stations, fiber, rasters).

    The files are deterministic for a given seed; `geocov run <folder>/analysis.toml`
    analyses them.
    """
    from ..sample import SAMPLE_SEED, write_sample

    paths = write_sample(out, seed=SAMPLE_SEED if seed is None else seed)
    for key, path in paths.items():
        click.echo(f"{key:<11} {path}  ({path.stat().st_size / 1024:,.0f} KiB)")
