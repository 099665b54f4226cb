"""The ``geocov`` command: a thin click layer over library functions.

Each sub-command lives in its own module and calls one library function. Logging is
configured here (``-v``/``-q``); library modules only log.
"""

from __future__ import annotations

import importlib
import logging

import click

# command name (also the module in geocov.cli that defines it as `command`) -> its one-line
# summary. The summaries let `geocov --help` list the commands without importing them (each
# pulls in the library and geopandas); a test checks they match the commands' own help.
_COMMANDS = {
    "demo": "Run read → coverage → tables (→ maps) on the built-in sample province: no arguments.",
    "map": "Compute coverage from an analysis TOML (or input files) and write an offline HTML map.",
    "priorities": "Priority list: every unserved village, its tier, options, costs and reasons.",
    "plan": "Rollout plan: which new 4G sites and which fiber, and what coverage becomes.",
    "reconcile": "Official figures beside geocov's, with the difference and a reading of its "
    "cause.",
    "report": "Coverage report: one row per unit with numerators, denominators and percentages.",
    "run": "Compute coverage for ANALYSIS (a TOML file) and write every table it asks for.",
    "sample": "Generate the synthetic sample province (units, villages, stations, fiber, rasters).",
    "validate": "Read every input leniently, check the admin units' topology, and report.",
}


class _LazyGroup(click.Group):
    """A group that imports a command's module only when that command runs (or shows help)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in _COMMANDS:
            return None
        return importlib.import_module(f"{__name__}.{cmd_name}").command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        names = self.list_commands(ctx)
        # not map(): the submodule geocov.cli.map shadows the builtin here
        limit = formatter.width - 6 - max(len(n) for n in names)
        # a bare Command shortens the summary exactly as click shortens a command's help
        rows = [(n, click.Command(n, help=_COMMANDS[n]).get_short_help_str(limit)) for n in names]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=_LazyGroup)
@click.option("-v", "--verbose", count=True, help="More log output (repeatable).")
@click.option(
    "-q", "--quiet", count=True, help="No progress bars, less log output (repeatable)."
)
@click.version_option(package_name="geocov")
@click.pass_context
def main(ctx: click.Context, verbose: int, quiet: int) -> None:
    """geocov: telecom coverage of admin units, villages, stations and fiber."""
    ctx.meta["geocov.quiet"] = quiet > 0  # options.QUIET: the commands show no progress bars
    level = max(logging.DEBUG, logging.WARNING - 10 * (verbose - quiet))
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
