"""``geocov priorities analysis.toml``: the priority list (villages, communes, options, costs)."""

from __future__ import annotations

import click

from .options import (
    check_output,
    echo_rejects,
    handles_errors,
    lang_option,
    lenient_option,
    output_place,
    quiet_option,
    rejects_report,
    say,
    show_progress,
)


@click.command("priorities")
@click.argument("analysis", type=click.Path(exists=True, dir_okay=False))
@click.option("--level", help="Write the roll-up to this level only (default: every level).")
@click.option(
    "--tier",
    "tiers",
    type=click.IntRange(min=1),
    multiple=True,
    help="Write only the villages of this tier (repeatable: --tier 1 --tier 2).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(),
    callback=check_output,
    help="Output folder, or one file: list.xlsx, list.csv or list.gpkg "
    "(default: [output] folder).",
)
@click.option(
    "--dem",
    type=click.Path(exists=True, dir_okay=False),
    help="Elevation model (any CRS): line of sight and slope (overrides [priorities] dem).",
)
@click.option(
    "--costs",
    type=click.Path(exists=True, dir_okay=False),
    help="Cost table (TOML like geocov/data/costs.toml; overrides [priorities] costs).",
)
@click.option(
    "--currency",
    type=click.Choice(["USD", "VND"], case_sensitive=False),
    help="Currency of the costs (default: the cost table's).",
)
@click.option(
    "--all-units",
    is_flag=True,
    help="List every unit, even where the station or village data do not cover it.",
)
@click.option(
    "--top",
    type=click.IntRange(min=0),
    default=10,
    show_default=True,
    help="How many villages of the list to print.",
)
@lenient_option
@lang_option
@quiet_option
@handles_errors
def command(
    analysis: str,
    level: str | None,
    tiers: tuple[int, ...],
    output: str | None,
    dem: str | None,
    costs: str | None,
    currency: str | None,
    all_units: bool,
    top: int,
    lenient: bool,
    rejects_path: str | None,
    lang: str | None,
    quiet: bool,
) -> None:
    """Priority list: every unserved village, its tier, options, costs and reasons.

    ANALYSIS is an analysis TOML file; its [priorities] section sets the DEM, the
    programme attributes, the tiers, the weights and the cost table.
    """
    from ..analysis import write_priorities
    from ..vocabulary import UnknownLevelError

    try:
        written = write_priorities(
            analysis,
            **output_place(output),
            level=level,
            tiers=list(tiers) or None,
            dem=dem,
            costs=costs,
            currency=currency.upper() if currency else None,
            restrict_to_data=False if all_units else None,
            rejects=rejects_report(lenient),
            rejects_path=rejects_path,
            lang=lang,
            progress=show_progress(quiet),
        )
    except UnknownLevelError as exc:
        raise click.BadParameter(str(exc), param_hint="--level") from None
    p = written.priorities
    lang = p.lang
    click.echo(p.summary())
    listed = p.listed(list(tiers) or None)
    if top and len(listed):
        from ..locale import number
        from ..priorities import OPTIONS, _category_words
        from ..vocabulary import label

        money = f"option_cost_{p.currency.lower()}"
        click.echo(label("priority.cli_top", lang, n=number(min(top, len(listed)), lang),
                         total=number(len(listed), lang)))
        for r in listed.head(top).itertuples(index=False):  # at most --top lines
            row = r._asdict()
            option = (label("priority.cli_option", lang,
                            option=_category_words(row["option"], OPTIONS, "option", lang),
                            detail=row["option_detail"], currency=p.currency,
                            cost=number(row.get(money), lang),
                            people=number(row.get("people_newly_served"), lang))
                      if isinstance(row.get("option"), str)
                      else label("priority.cli_no_option", lang))
            click.echo(label("priority.cli_line", lang, rank=f"{row['rank']:>5}",
                             tier=row["tier"], village=row["village_name"],
                             unit=row.get(f"{p.finest}_name", ""), reason=row["reason"],
                             codes=row["reason_codes"], option=option))
    for path in written.tables:
        click.echo(say(written, "wrote", path=path))
    echo_rejects(written)
