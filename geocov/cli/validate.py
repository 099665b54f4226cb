"""``geocov validate``: check every input without computing coverage."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import GeocovError
from .options import build_analysis, fail, input_options


@click.command("validate")
@input_options
@click.option(
    "--rejects",
    "rejects_path",
    type=click.Path(dir_okay=False),
    default="rejects.csv",
    show_default=True,
    help="Where to write the rejects report (CSV).",
)
@click.option(
    "--topology",
    "topology_path",
    type=click.Path(dir_okay=False),
    help="Where to write the topology problems (CSV); default beside the rejects.",
)
def command(rejects_path: str, topology_path: str | None, **inputs) -> None:
    """Read every input leniently, check the admin units' topology, and report.

    Exit code 0 when every row is usable and the units are clean, 1 otherwise.
    """
    import warnings

    from ..analysis import load_inputs
    from ..boundaries import validate_units
    from ..io import RejectsReport

    rejects = RejectsReport()
    try:
        analysis = build_analysis(**inputs)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            frames = load_inputs(analysis, rejects=rejects)
            if frames["villages"] is not None:
                from ..villages import link_villages

                link_villages(frames["villages"], frames["units"], rejects=rejects)
            topo = validate_units(frames["units"])
    except GeocovError as exc:
        fail(exc)
    summary = rejects.summary()
    click.echo("rows read / used / rejected per file:")
    for row in summary.itertuples():
        click.echo(
            f"  {row.file} ({row.what}): {row.rows_read} read, {row.rows_used} used, "
            f"{row.rows_rejected} rejected"
        )
    for w in caught:
        click.echo(f"warning: {w.message}")
    out = rejects.write(rejects_path)
    click.echo(f"{len(rejects)} rejected row(s) -> {out}")
    tpath = Path(topology_path) if topology_path else Path(out).with_name("topology.csv")
    topo.to_csv(tpath, index=False, encoding="utf-8-sig")
    if len(topo):
        by = topo.groupby(["level", "problem"]).agg(
            n=("problem", "size"), area_km2=("area_km2", "sum")
        )
        click.echo("topology problems between sibling units:")
        for (level, problem), r in by.iterrows():
            click.echo(f"  {level}: {r.n} {problem}(s), {r.area_km2:,.3f} km²")
    click.echo(f"{len(topo)} topology problem(s) -> {tpath}")
    if len(rejects) or len(topo):
        raise SystemExit(1)
