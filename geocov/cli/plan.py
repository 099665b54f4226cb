"""``geocov plan analysis.toml --sites 90``: a rollout plan (sites, fiber, coverage after)."""

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


@click.command("plan")
@click.argument("analysis", type=click.Path(exists=True, dir_okay=False))
@click.option("--sites", type=click.IntRange(min=0),
              help="We can afford this many new 4G sites (overrides [plan] sites).")
@click.option("--budget", type=click.FloatRange(min=0),
              help="We have this budget for the sites, over the cost horizon, e.g. 120e9 "
              "(overrides [plan] budget).")
@click.option("--currency", type=click.Choice(["USD", "VND"], case_sensitive=False),
              help="Currency of the budget and the costs.")
@click.option("--fiber-to", "fiber_to", type=click.IntRange(min=0),
              help="Fiber to this many communes without fiber, the cheapest to reach.")
@click.option("--fiber-target", "fiber_targets", multiple=True,
              help="Fiber to this commune or village (its code; repeatable).")
@click.option("--fiber-order", "fiber_order", type=click.Choice(["cheapest", "remotest"]),
              help="Which communes --fiber-to N connects: the cheapest to reach (default) or "
              "the remotest from the existing network (overrides [plan] fiber_order).")
@click.option("--roads", type=click.Path(exists=True, dir_okay=False),
              help="A road layer (lines: GeoPackage, GeoJSON, shapefile): the fiber follows "
              "the roads (overrides [plan] roads).")
@click.option("--objective", type=click.Choice(["people", "villages"]),
              help="Maximise newly served people (default) or villages.")
@click.option("--method", type=click.Choice(["greedy", "exact"]),
              help="greedy (default) or exact (integer programme; small cases).")
@click.option("--candidates", type=click.Path(exists=True, dir_okay=False),
              help="Your candidate sites (points; optional site_id and cost columns).")
@click.option("--level", help="Write the before/after table of this level only.")
@click.option("-o", "--output", type=click.Path(), callback=check_output,
              help="Output folder, or one file: plan.xlsx, plan.csv or plan.gpkg "
              "(default: [output] folder).")
@click.option("--top", type=click.IntRange(min=0), default=10, show_default=True,
              help="How many steps of the plan to print.")
@lenient_option
@lang_option
@quiet_option
@handles_errors
def command(
    analysis: str,
    sites: int | None,
    budget: float | None,
    currency: str | None,
    fiber_to: int | None,
    fiber_targets: tuple[str, ...],
    fiber_order: str | None,
    roads: str | None,
    objective: str | None,
    method: str | None,
    candidates: str | None,
    level: str | None,
    output: str | None,
    top: int,
    lenient: bool,
    rejects_path: str | None,
    lang: str | None,
    quiet: bool,
) -> None:
    """Rollout plan: which new 4G sites and which fiber, and what coverage becomes.

    ANALYSIS is an analysis TOML file; its [plan] section sets the sites or budget and the
    fiber, its [priorities] section the cost table and DEM. Coverage after the plan is
    recomputed with the planned sites added to the stations.
    """
    from ..analysis import write_plan
    from ..vocabulary import UnknownLevelError

    if sites is not None and budget is not None:
        raise click.UsageError("give --sites or --budget, not both")
    try:
        written = write_plan(
            analysis,
            **output_place(output),
            level=level,
            sites=sites,
            budget=budget,
            currency=currency.upper() if currency else None,
            fiber_to=fiber_to,
            fiber_targets=list(fiber_targets) or None,
            fiber_order=fiber_order,
            roads=roads,
            objective=objective,
            method=method,
            candidates=candidates,
            rejects=rejects_report(lenient),
            rejects_path=rejects_path,
            lang=lang,
            progress=show_progress(quiet),
        )
    except UnknownLevelError as exc:
        raise click.BadParameter(str(exc), param_hint="--level") from None
    p = written.plan
    lang = written.lang
    click.echo(p.summary(lang))
    steps = p.steps
    if top and len(steps):
        from ..locale import number, percent
        from ..maps import _plan_action
        from ..vocabulary import label

        cost = f"cost_{p.currency.lower()}"
        cum = f"cumulative_cost_{p.currency.lower()}"
        finest = f"{p.finest}_name"
        click.echo(label("plan.cli_first", lang, n=number(min(top, len(steps)), lang),
                         total=number(len(steps), lang)))
        for r in steps.head(top).itertuples(index=False):  # at most --top lines
            row = r._asdict()
            click.echo(label("plan.cli_step", lang, step=f"{row['step']:>5}",
                             action=_plan_action(row["action"], lang), item=row["item"],
                             unit=row[finest], cost=number(row[cost], lang),
                             currency=p.currency, cumulative=number(row[cum], lang),
                             people=number(row["people_newly_served"], lang),
                             pct=percent(row["villages_4g_pct_after"], lang)))
    for path in written.tables:
        click.echo(say(written, "wrote", path=path))
    echo_rejects(written)
