"""``geocov validate``: check every input without computing coverage."""

from __future__ import annotations

import click

from .options import build_analysis, handles_errors, input_options, quiet_option, show_progress

MAX_LISTED = 10  # units listed per level; the topology file has them all


def _area(km2: float) -> str:
    return f"{km2:,.3f} km²" if km2 >= 0.001 else f"{km2 * 1e6:,.0f} m²"


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
@quiet_option
@handles_errors
def command(rejects_path: str, topology_path: str | None, quiet: bool, **inputs) -> None:
    """Read every input leniently, check the admin units' topology, and report.

    Problems that change figures (rejected rows, overlapping units that make an area
    figure too large) come first, then topology notes that change none (tiny gaps,
    edges that do not match). Exit code 1 when some problem changes figures, 0 otherwise.
    """
    from ..analysis import validate_analysis

    v = validate_analysis(build_analysis(**inputs), progress=show_progress(quiet))
    click.echo("rows read / used / rejected per file:")
    for row in v.files.itertuples():
        click.echo(
            f"  {row.file} ({row.what}): {row.rows_read} read, {row.rows_used} used, "
            f"{row.rows_rejected} rejected"
        )
    if v.changes_figures:
        click.echo("problems that change figures:")
        rows = v.problems.loc[v.problems["kind"] == "rejected_rows"]
        for p in rows.itertuples():
            click.echo(f"  {p.where}: {p.count} row(s) rejected: {p.detail}")
        for p in v.problems.loc[v.problems["kind"] == "dem"].itertuples():
            click.echo(f"  elevation model {p.where}: {p.detail}")
        overlaps = v.problems.loc[v.problems["kind"] == "overlap"]
        for level, group in overlaps.groupby("level", sort=False):  # coarse levels first
            for p in group.head(MAX_LISTED).itertuples():
                click.echo(f"  {p.where}: {p.detail}")
            if len(group) > MAX_LISTED:
                click.echo(
                    f"  ... and {len(group) - MAX_LISTED} more {level}(s) whose area figure "
                    f"counts overlapping land twice (topology file: changes_figures)"
                )
    else:
        click.echo("no problem that changes figures")
    if len(v.left_out):
        click.echo("left out by design (no mobile broadband for people; in the rejects too):")
        for p in v.left_out.itertuples():
            click.echo(f"  {p.where}: {p.count} row(s): {p.detail}")
    if len(v.notes):
        click.echo("topology notes (they change no figure):")
        for n in v.notes.itertuples():
            area = "" if n.area_km2 != n.area_km2 else f", {_area(n.area_km2)} in total"
            click.echo(f"  {n.level}: {n.count} {n.problem.replace('_', ' ')}(s){area}")
    rpath, tpath = v.write(rejects_path, topology_path)
    click.echo(f"{len(v.rejects)} rejected row(s) -> {rpath}")
    click.echo(f"{len(v.topology)} topology problem(s) -> {tpath}")
    if v.changes_figures:
        raise SystemExit(1)
