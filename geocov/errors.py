"""The one error hierarchy of geocov.

Every message says what went wrong, what was received (file, row, column,
value) and how to fix it.  Library code raises or warns; only the CLI prints.
"""

from __future__ import annotations

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
