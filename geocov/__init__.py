"""geocov: telecom coverage analysis for admin units, villages, base stations and fiber.

>>> import geocov
>>> {"read_units", "coverage", "coverage_map", "RejectsReport"} <= set(geocov.__all__)
True
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from typing import Any

__version__ = "0.1.0"

# public name -> module that defines it (imported lazily so `geocov --help` starts fast)
_EXPORTS = {
    # errors
    "GeocovError": "errors", "DataSourceError": "errors", "SchemaError": "errors",
    "CRSError": "errors", "TopologyError": "errors", "GeocovWarning": "errors",
    "TopologyWarning": "errors", "DataQualityWarning": "errors",
    # io
    "RejectsReport": "io", "read_table": "io", "file_decimal": "io", "parse_flags": "io",
    "hint": "errors", "cli_hints": "errors",
    # inputs
    "read_units": "boundaries", "validate_units": "boundaries", "unit_levels": "boundaries",
    "unit_areas_km2": "boundaries",
    "read_villages": "villages", "link_villages": "villages",
    "read_stations": "stations", "normalise_technology": "stations",
    "station_footprints": "stations", "DEFAULT_RADIUS_M": "stations",
    "station_radius_m": "stations", "covering_pairs": "stations",
    "MAX_RANGE_M": "stations", "NOT_COUNTED": "stations",
    "read_fiber": "fiber", "fiber_reach": "fiber", "check_fiber_codes": "fiber",
    # coverage
    "coverage": "coverage", "CoverageResult": "coverage",
    # analysis files, sample, maps
    "read_analysis": "analysis", "run_analysis": "analysis",
    "validate_analysis": "analysis", "Validation": "analysis", "unit_overlaps": "analysis",
    "run_and_write": "analysis", "write_outputs": "analysis", "write_map": "analysis",
    "run_demo": "analysis", "Written": "analysis",
    "detect_encoding": "encoding", "decode_bytes": "encoding",
    "sample_paths": "sample", "write_sample": "sample",
    "coverage_map": "maps", "save_map": "maps", "save_png": "maps",
    "flag_unconnected_remote": "priorities", "RemoteRules": "priorities",
    # priority list
    "priorities": "priorities", "PriorityRules": "priorities", "PriorityResult": "priorities",
    "read_programme_attributes": "priorities", "read_costs": "costs", "CostModel": "costs",
    "run_priorities": "analysis", "write_priorities": "analysis",
    # terrain
    "read_dem": "terrain", "compare_terrain": "terrain.compare",
    "terrain_comparison": "terrain.compare", "TerrainComparison": "terrain.compare",
    # rollout plan
    "plan": "plan", "PlanResult": "plan", "run_plan": "analysis", "write_plan": "analysis",
    # the 2025 reform, official figures
    "crosswalk": "crosswalk", "reaggregate": "crosswalk", "read_merges": "crosswalk",
    "ReaggregatedResult": "crosswalk", "units_vintage": "boundaries",
    "detect_units_vintage": "boundaries",
    "reconcile": "reconcile", "read_official": "reconcile", "Reconciliation": "reconcile",
    "run_reconcile": "analysis",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is not None:
        value = getattr(importlib.import_module(f".{module}", __name__), name)
    elif not name.startswith("_") and importlib.util.find_spec(f"{__name__}.{name}"):
        value = importlib.import_module(f".{name}", __name__)  # a submodule: geocov.crs, ...
    else:
        raise AttributeError(f"module 'geocov' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


#: Submodules named like their main function: ``geocov.<name>`` stays the function.
_FUNCTION_MODULES = ("coverage", "priorities", "crosswalk", "reconcile", "plan")


class _Package(types.ModuleType):
    """The type of the ``geocov`` module: ``geocov.coverage`` (and ``geocov.priorities``)
    stays the function.

    ``geocov.coverage`` names both a submodule and the main function. Importing a submodule
    makes Python set it as an attribute of its package (``setattr(geocov, "coverage",
    module)``), which would replace the function by the module the first time anything
    imports ``geocov.coverage``; this hook binds the module's function instead, so the
    module is imported only when first needed (it pulls in geopandas). The module itself
    stays reachable as ``sys.modules["geocov.coverage"]`` (or ``from geocov.coverage import
    ...``).
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _FUNCTION_MODULES and isinstance(value, types.ModuleType):
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
