"""The ``geocov`` command: a thin click layer over library functions.

Each sub-command lives in its own module and calls one library function. Logging is
configured here (``-v``/``-q``); library modules only log.
"""

from __future__ import annotations

import importlib
import logging

import click

# command name -> module in geocov.cli that defines a click command of the same name
_COMMANDS = {
    "demo": "demo",
    "report": "report",
    "validate": "validate",
    "run": "run",
    "map": "map",
    "sample": "sample",
}


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = _COMMANDS.get(cmd_name)
        if module is None:
            return None
        return importlib.import_module(f"{__name__}.{module}").command


@click.group(cls=_LazyGroup)
@click.option("-v", "--verbose", count=True, help="More log output (repeatable).")
@click.option("-q", "--quiet", count=True, help="Less log output (repeatable).")
@click.version_option(package_name="geocov")
def main(verbose: int, quiet: int) -> None:
    """geocov: telecom coverage of admin units, villages, stations and fiber."""
    level = max(logging.DEBUG, logging.WARNING - 10 * (verbose - quiet))
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
