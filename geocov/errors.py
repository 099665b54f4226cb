"""The one error hierarchy of geocov.

Every message says what went wrong, what was received (file, row, column,
value) and how to fix it.  Library code raises or warns; only the CLI prints.
"""

from __future__ import annotations

import contextlib as _contextlib
import contextvars as _contextvars
from collections.abc import Iterator as _Iterator

__all__ = [
    "GeocovError",
    "DataSourceError",
    "SchemaError",
    "CRSError",
    "TopologyError",
    "GeocovWarning",
    "TopologyWarning",
    "DataQualityWarning",
]


class GeocovError(Exception):
    """Base class of every error geocov raises."""


class DataSourceError(GeocovError, OSError):
    """A file or layer cannot be found or read."""


class SchemaError(GeocovError, ValueError):
    """Missing or mistyped columns, or values that cannot be used."""


class CRSError(GeocovError, ValueError):
    """A missing or mismatched coordinate reference system."""


class TopologyError(GeocovError, ValueError):
    """Broken hierarchy nesting or geometry that cannot be repaired."""


class GeocovWarning(UserWarning):
    """Base class of every warning geocov issues."""


class TopologyWarning(GeocovWarning):
    """Gaps, overlaps or repaired geometries between admin units."""


class DataQualityWarning(GeocovWarning):
    """Data that was used but looks suspicious (e.g. repaired or defaulted values)."""


# ------------------------------------------------------------------ where the user is
# Fix hints name what the user can change: Python arguments when geocov is called from
# Python, command-line options when it is called from the ``geocov`` command.  The CLI
# enters :func:`cli_hints` around its work; library code words its hints with :func:`hint`.

_HINT_STYLE: _contextvars.ContextVar[str] = _contextvars.ContextVar(
    "geocov_hint_style", default="python"
)


@_contextlib.contextmanager
def cli_hints() -> _Iterator[None]:
    """Word fix hints for the command line while the block runs (the CLI uses this)."""
    token = _HINT_STYLE.set("cli")
    try:
        yield
    finally:
        _HINT_STYLE.reset(token)


def hint(python: str, cli: str) -> str:
    """Return ``python`` or ``cli``: the fix hint worded for where the user is.

    Examples
    --------
    >>> hint("pass rejects=geocov.RejectsReport()", "add --lenient")
    'pass rejects=geocov.RejectsReport()'
    >>> with cli_hints():
    ...     hint("pass rejects=geocov.RejectsReport()", "add --lenient")
    'add --lenient'
    """
    return cli if _HINT_STYLE.get() == "cli" else python
