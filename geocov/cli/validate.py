"""``geocov validate``: check every input without computing coverage."""

from __future__ import annotations

from typing import Any

import click

from .options import (
    build_analysis,
    command_lang,
    handles_errors,
    input_options,
    lang_option,
    quiet_option,
    show_progress,
)

MAX_LISTED = 10  # units listed per level; the topology file has them all


def _words(key: str, lang: str, **fields: Any) -> str:
    from ..locale import render

    return render(f"validate.{key}", lang, fields)


def _area(km2: float, lang: str) -> str:
    if km2 >= 0.001:
        return _words("area_km2", lang, km2=km2)
    return _words("area_m2", lang, m2=km2 * 1e6)


def _known(section: str, value: str) -> Any:
    """``value`` in the catalogue's words (``validate.<section>.<value>``), else as it is."""
    from ..errors import Words
    from ..locale import catalogue

    key = f"validate.{section}.{value}"
    return Words(key) if key in catalogue()["en"] else value.replace("_", " ")


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
@lang_option
@quiet_option
@handles_errors
def command(
    rejects_path: str, topology_path: str | None, lang: str | None, quiet: bool, **inputs
) -> None:
    """Read every input leniently, check the admin units' topology, and report.

    Problems that change figures (rejected rows, overlapping units that make an area
    figure too large) come first, then topology notes that change none (tiny gaps,
    edges that do not match). Exit code 1 when some problem changes figures, 0 otherwise.
    """
    from ..analysis import validate_analysis
    from ..errors import level_words
    from ..locale import number
    from ..vocabulary import label

    lang = command_lang({"lang": lang, **inputs})
    v = validate_analysis(build_analysis(**inputs), progress=show_progress(quiet))
    click.echo(_words("files", lang))
    for row in v.files.itertuples():
        click.echo(_words("file", lang, file=row.file, what=_known("what", str(row.what)),
                          read=row.rows_read, used=row.rows_used,
                          rejected=row.rows_rejected))
    if v.changes_figures:
        click.echo(_words("problems", lang))
        rows = v.problems.loc[v.problems["kind"] == "rejected_rows"]
        for p in rows.itertuples():
            click.echo(_words("rejected", lang, where=p.where, count=p.count, detail=p.detail))
        for p in v.problems.loc[v.problems["kind"] == "dem"].itertuples():
            click.echo(_words("dem", lang, where=p.where, detail=p.detail))
        overlaps = v.problems.loc[v.problems["kind"] == "overlap"]
        for level, group in overlaps.groupby("level", sort=False):  # coarse levels first
            for p in group.head(MAX_LISTED).itertuples():
                click.echo(f"  {p.where}: {p.detail}")
            if len(group) > MAX_LISTED:
                click.echo(_words("overlap_more", lang, n=len(group) - MAX_LISTED,
                                  level=level_words(str(level))))
    else:
        click.echo(_words("none", lang))
    if len(v.left_out):
        click.echo(_words("left_out", lang))
        for p in v.left_out.itertuples():
            click.echo(_words("left_out_row", lang, where=p.where, count=p.count,
                              detail=p.detail))
    if len(v.notes):
        click.echo(_words("notes", lang))
        for n in v.notes.itertuples():
            area = ("" if n.area_km2 != n.area_km2
                    else _words("area", lang, area=_area(n.area_km2, lang)))
            click.echo(_words("note", lang, level=level_words(str(n.level)), count=n.count,
                              problem=_known("problem", str(n.problem)), area=area))
    rpath, tpath = v.write(rejects_path, topology_path)

    def count(n: int) -> str:  # English as before (1569), Vietnamese as it writes (1.569)
        return str(n) if lang == "en" else number(n, lang)

    click.echo(label("cli.rejected", lang, n=count(len(v.rejects)), path=rpath))
    click.echo(_words("topology_written", lang, n=count(len(v.topology)), path=tpath))
    if v.changes_figures:
        raise SystemExit(1)
