"""Options shared by several commands, and small helpers for the thin CLI layer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ..analysis import Analysis, read_analysis


def parse_mapping(ctx: click.Context, param: click.Parameter, value: str | None) -> dict | None:
    """Parse ``key=value,key=value`` (order kept) into a dict."""
    if not value:
        return None
    out: dict[str, str] = {}
    for part in value.split(","):
        if "=" not in part:
            raise click.BadParameter(
                f"expected key=value pairs separated by commas, got {part!r} "
                f"(e.g. province=NAME_1,district=NAME_2,commune=NAME_3)",
                param_hint=param.opts[0],
            )
        k, v = part.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def input_options(f: Callable) -> Callable:
    """Inputs given either as an analysis TOML file or file by file."""
    opts = [
        click.option(
            "--analysis",
            "analysis_path",
            type=click.Path(exists=True, dir_okay=False),
            help="Analysis TOML file (other input options override it).",
        ),
        click.option(
            "--units", type=click.Path(exists=True), help="Admin units (any vector format)."
        ),
        click.option("--units-layer", help="Layer of the units file."),
        click.option(
            "--levels",
            callback=parse_mapping,
            help="Level=name-column pairs, coarse to fine: province=NAME_1,commune=NAME_3.",
        ),
        click.option("--codes", callback=parse_mapping, help="Level=code-column pairs."),
        click.option(
            "--villages", type=click.Path(exists=True), help="Villages (CSV/Excel/vector)."
        ),
        click.option(
            "--stations",
            type=click.Path(exists=True),
            help="Base stations (CSV incl. OpenCelliD, Excel, vector).",
        ),
        click.option(
            "--stations-columns",
            callback=parse_mapping,
            help="Column mapping for stations: lat=vi_do,lon=kinh_do.",
        ),
        click.option(
            "--fiber",
            type=click.Path(exists=True),
            help="Fiber: nodes/routes layer or table of connected codes.",
        ),
        click.option("--reach-m", type=float, help="Fiber reach (m) of nodes and routes."),
        click.option(
            "--population", help="Population raster path, or 'villages' / 'units' for a column."
        ),
        click.option("--resolution-m", type=float, help="Grid cell size (m). Default 100."),
        click.option("--crs", "working_crs", help="Metric working CRS, e.g. EPSG:3405."),
    ]
    for o in reversed(opts):
        f = o(f)
    return f


def build_analysis(
    analysis_path: str | None,
    units: str | None,
    units_layer: str | None,
    levels: dict | None,
    codes: dict | None,
    villages: str | None,
    stations: str | None,
    stations_columns: dict | None,
    fiber: str | None,
    reach_m: float | None,
    population: str | None,
    resolution_m: float | None,
    working_crs: str | None,
    **_: Any,
) -> Analysis:
    """An :class:`Analysis` from a TOML file and/or command-line options."""
    if analysis_path:
        a = read_analysis(analysis_path)
    elif units:
        a = Analysis(units={"path": units})
    else:
        raise click.UsageError("give --analysis FILE.toml or at least --units FILE")
    u = dict(a.units)
    if units:
        u = {"path": units}
    for key, value in (("layer", units_layer), ("levels", levels), ("codes", codes)):
        if value:
            u[key] = value
    model = dict(a.model)
    if resolution_m:
        model["resolution_m"] = resolution_m
    if working_crs:
        model["crs"] = working_crs
    st = dict(a.stations) if a.stations else None
    if stations:
        st = {"path": stations}
    if stations_columns:
        if st is None:
            raise click.UsageError("--stations-columns needs --stations")
        st["columns"] = stations_columns
    fb = dict(a.fiber) if a.fiber else None
    if fiber:
        fb = {"path": fiber}
    if reach_m is not None:
        if fb is None:
            raise click.UsageError("--reach-m needs --fiber")
        fb["reach_m"] = reach_m
    vil = {"path": villages} if villages else (dict(a.villages) if a.villages else None)
    pop = a.population
    if population:
        pop = population if population in ("villages", "units") else str(Path(population))
    return Analysis(
        units=u,
        villages=vil,
        stations=st,
        fiber=fb,
        population=pop,
        model=model,
        output=dict(a.output),
        title=a.title,
        data_date=a.data_date,
        source=a.source,
    )


def lenient_option(f: Callable) -> Callable:
    f = click.option(
        "--rejects",
        "rejects_path",
        type=click.Path(dir_okay=False),
        help="Where to write the rejects report (CSV).",
    )(f)
    return click.option(
        "--lenient", is_flag=True, help="Go on past bad rows; they go to the rejects report."
    )(f)


def fail(exc: Exception) -> None:
    """Turn a library error into a clean CLI error (exit code 1, message on stderr)."""
    raise click.ClickException(f"{type(exc).__name__}: {exc}") from exc
