"""``geocov sample``: generate the synthetic sample province into a folder of your own."""

from __future__ import annotations

import site
import sysconfig
from pathlib import Path

import click

from .options import handles_errors

DEFAULT_FOLDER = "geocov-sample"


def _installed_dirs() -> list[Path]:
    """Folders where installed packages live (site-packages of this Python and the user)."""
    dirs = {sysconfig.get_paths()[k] for k in ("purelib", "platlib")}
    dirs.update(site.getsitepackages() if hasattr(site, "getsitepackages") else [])
    dirs.add(site.getusersitepackages())
    return [Path(d).resolve() for d in dirs if d]


def _is_installed(path: Path) -> bool:
    path = path.resolve()
    if any(part in ("site-packages", "dist-packages") for part in path.parts):
        return True
    return any(path.is_relative_to(d) for d in _installed_dirs())


@click.command(name="sample")
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help=f"Folder to write into (default: ./{DEFAULT_FOLDER}); created if needed.",
)
@click.option(
    "--seed",
    type=int,
    default=None,
    show_default="2020",
    help="Random seed; the shipped files use the default.",
)
@click.option(
    "--update-shipped",
    is_flag=True,
    help="Developers: rewrite the sample shipped with geocov (boundaries/ and "
    "geocov/sample_data/ of a source checkout) instead of writing a folder. Refused "
    "for an installed package.",
)
@handles_errors
def command(out: Path | None, seed: int | None, update_shipped: bool) -> None:
    """Generate the synthetic sample province (units, villages, stations, fiber, rasters).

    The files, and an analysis.toml that `geocov run <folder>/analysis.toml` analyses, go
    to --out (default: ./geocov-sample). They are deterministic for a given seed.
    """
    import geocov

    from ..sample import SAMPLE_SEED, write_sample

    if update_shipped:
        if out is not None:
            raise click.UsageError("--update-shipped writes the shipped locations; drop --out")
        if seed is not None and seed != SAMPLE_SEED:
            raise click.UsageError(
                f"the shipped sample uses seed {SAMPLE_SEED}; --update-shipped takes no "
                f"other --seed (write another seed to a folder with --out)"
            )
        package = Path(geocov.__file__).parent
        if _is_installed(package):
            raise click.UsageError(
                f"--update-shipped rewrites the files of a source checkout, but geocov is "
                f"installed at {package}. Write a folder of your own with --out instead."
            )
        paths = write_sample(None, seed=SAMPLE_SEED if seed is None else seed)
    else:
        paths = write_sample(
            Path(DEFAULT_FOLDER) if out is None else out,
            seed=SAMPLE_SEED if seed is None else seed,
        )
    for key, path in paths.items():
        click.echo(f"{key:<11} {path}  ({path.stat().st_size / 1024:,.0f} KiB)")
