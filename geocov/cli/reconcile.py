"""``geocov reconcile analysis.toml official.csv``: official figures beside geocov's."""

from __future__ import annotations

import click

from .options import (
    handles_errors,
    lang_option,
    lenient_option,
    parse_mapping,
    quiet_option,
    rejects_report,
    show_progress,
)


@click.command("reconcile")
@click.argument("analysis", type=click.Path(exists=True, dir_okay=False), required=False)
@click.argument("official", type=click.Path(exists=True, dir_okay=False), required=False)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    help="Also write the table: reconciliation.xlsx (with a notes sheet) or .csv.",
)
@click.option(
    "--official-columns",
    callback=parse_mapping,
    help="Column mapping of the official table: unit=Đơn vị,metric=Chỉ tiêu,value=Giá trị.",
)
@click.option(
    "--tolerance",
    type=click.FloatRange(min=0),
    default=1.0,
    show_default=True,
    help="Shares within this many percentage points agree.",
)
@click.option("--metrics", is_flag=True, help="List the metrics an official table may name.")
@lenient_option
@lang_option
@quiet_option
@handles_errors
def command(
    analysis: str | None,
    official: str | None,
    output: str | None,
    official_columns: dict | None,
    tolerance: float,
    metrics: bool,
    lenient: bool,
    rejects_path: str | None,
    lang: str | None,
    quiet: bool,
) -> None:
    """Official figures beside geocov's, with the difference and a reading of its cause.

    ANALYSIS is an analysis TOML file; OFFICIAL a CSV/Excel table of reported figures
    (unit, metric, value, date, source), e.g. "Lào Cai, villages with fiber, 1,024/1,569,
    2020-12-31, provincial report".
    """
    if metrics:
        from ..reconcile import metric_vocabulary

        for r in metric_vocabulary().itertuples(index=False):  # the vocabulary, ~40 rows
            click.echo(f"{r.label} | {r.label_vi}" + (f" | also: {r.aliases}" if r.aliases else ""))
        return
    if analysis is None or official is None:
        raise click.UsageError("give ANALYSIS and OFFICIAL (or --metrics)")
    if output is not None and not output.lower().endswith((".xlsx", ".csv")):
        raise click.BadParameter(f"{output!r}: write the table as .xlsx or .csv",
                                 param_hint="-o/--output")
    from ..analysis import run_reconcile

    rec = run_reconcile(
        analysis,
        official,
        output=output,
        columns=official_columns,
        tolerance_pct_points=tolerance,
        rejects=rejects_report(lenient),
        rejects_path=rejects_path,
        progress=show_progress(quiet),
        lang=lang,
    )
    from ..vocabulary import label
    from .options import command_lang

    lang = command_lang({"lang": lang, "analysis": analysis})
    click.echo(rec.to_text(lang))
    for path in rec.written:
        click.echo(label("cli.wrote", lang, path=path))
