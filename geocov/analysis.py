"""A whole analysis described in one small TOML file, so that next year's rerun is one command.

.. code-block:: toml

    title = "Lào Cai coverage"
    data_date = "2020-12-31"
    lang = "vi"                   # language of the outputs: "vi" or "en" (default "en";
                                  # --lang overrides it)

    [units]                       # required
    path = "communes.gpkg"        # relative to this file; "sample:units" = built-in sample
    layer = "communes"            # layer of a multi-layer file (name or 0-based number)
    levels = { province = "NAME_1", district = "NAME_2", commune = "NAME_3" }  # coarse -> fine
    codes = { commune = "GID_3" } # optional, per level
    population = "pop_2019"       # optional population column (false: none; default: a
                                  # column named population/dan_so/Dân số if there is one)
    encoding = "cp1258"           # text encoding of a DBF without .cpg (cp1258, tcvn3, vni;
                                  # default: detected)
    decimal = ","                 # decimal mark of text numbers (default: from the layer)
    vintage = "2025-07-01"        # which units these are: "2025", "before 2025 reform", any
                                  # text (default: detected from the units, else unknown);
                                  # the reports' titles and model notes state it

    [villages]                    # optional
    path = "villages.csv"
    layer = "thon"                # layer of a multi-layer file (GeoPackage); default: first
    columns = { unit_code = "ma_xa" }
    crs = "EPSG:4326"             # CRS of coordinate/WKT columns
    encoding = "utf-8"            # optional text encoding (default: detected)
    decimal = ","                 # "," or "." for CSV/Excel numbers (default: from the file)

    [stations]                    # optional
    path = "bts.csv"
    layer = "bts"                 # layer of a multi-layer file (GeoPackage); default: first
    columns = { lat = "vi_do", lon = "kinh_do" }
    crs = "EPSG:4326"
    encoding = "utf-8"
    decimal = ","
    opencellid_range = false      # use OpenCelliD's "range" as the coverage radius
                                  # (default false: it is the spread of observations)
    max_range_m = { "4G" = 30000 }  # largest plausible range (one number or per technology,
                                  # over the defaults); rows beyond are errors/rejects

    [fiber]                       # optional
    path = "fiber.gpkg"
    layer = "nodes"               # default: every layer of the file
    columns = { unit_code = "ma_xa" }
    reach_m = 2000
    kind = "auto"                 # auto, node, route, village or unit
    crs = "EPSG:4326"
    encoding = "utf-8"
    decimal = ","

    [population]                  # optional: a raster, or source = "villages" / "units"
    raster = "pop.tif"

    [model]                       # optional
    resolution_m = 100
    crs = "EPSG:3405"             # working CRS (default: UTM zone of the data)
    radius_m = { "4G" = 3000 }    # default radius per technology (or one number)
    statuses = ["active"]         # use only stations with these statuses
    village_tolerance_m = 500     # a village may lie this far outside the commune its code names
    workers = 2                   # threads for the grid (default: the CPUs, at most 8)
    dem = "srtm.tif"              # elevation model (any CRS): terrain-aware coverage (what the
                                  # mountains block), beside the disc model; also the priority
                                  # list's DEM unless [priorities] dem says otherwise
    terrain_mode = "los"          # "los" (line of sight) or "pathloss" (free space + diffraction
                                  # against each technology's link budget)
    antenna_height_m = 30         # antenna height above ground where the stations give none
    dem_resolution_m = 90         # DEM cell size (default: the file's own)

    [output]
    folder = "geocov-out"
    levels = ["province", "district", "commune"]   # default: all, plus "total"
    formats = ["csv", "gpkg", "xlsx"]

    [priorities]                  # optional: the priority list (geocov priorities)
    dem = "srtm.tif"              # elevation model (any CRS): line of sight, slope (default:
                                  # [model] dem)
    attributes = "thon_dbkk.xlsx" # villages' programme attributes (default: read from the
                                  # villages file when it has has_power/có điện, ĐBKK, ...)
    unit_attributes = "xa.csv"    # communes' (default: the units file's own columns)
    tiers = ["no_signal", "no_4g", "no_fiber"]
    weights = { cost = 1, people = 0, remoteness = 0, difficult = 0 }
    costs = "costs.toml"          # unit costs (default: geocov/data/costs.toml, USD)
    currency = "VND"              # or "USD"
    horizon_years = 10
    restrict_to_data = true       # list only the units the station/village data cover

    [plan]                        # optional: a rollout plan (geocov plan); uses [priorities]
    sites = 90                    # "we can afford 90 new sites" (or:)
    budget = 120e9                # "we have a budget of X" (over the cost horizon)
    currency = "VND"              # of the budget and costs (default: [priorities]' or USD)
    fiber_to = 6                  # fiber to the 6 communes without fiber cheapest to reach
    fiber_targets = ["02635"]     # or to these communes / villages (codes)
    objective = "people"          # or "villages"
    method = "greedy"             # or "exact" (small cases)
    candidates = "sites.gpkg"     # your candidate points (default: villages without 4G and
                                  # the 2G/3G sites to upgrade)

Every key of ``[units]``, ``[villages]``, ``[stations]`` and ``[fiber]`` except ``path`` is
passed to the reader of that input (:func:`geocov.read_units`, :func:`geocov.read_villages`,
:func:`geocov.read_stations`, :func:`geocov.read_fiber`) as the keyword argument of the
same name; the command line has matching options (``--stations-layer``,
``--villages-columns``, ``--fiber-encoding``, ``--stations-decimal``,
``--opencellid-range``, ``--max-range-m``, ...). Unknown sections and keys, and values of
the wrong type, are errors naming the file and the key.

:func:`validate_analysis` checks every input without computing coverage (what
``geocov validate`` prints); :func:`unit_overlaps` finds the units whose area figure
counts land twice because their finest units overlap, and :func:`run_analysis` warns
about them.

This module is also the application layer: what a command does, as a function that a
notebook or a script can call too. Each returns what it wrote (:class:`Written`); the
``geocov`` commands only parse their options, call one of these and print.

* ``geocov run`` and ``geocov report``: :func:`run_and_write` (:func:`run_analysis`, then
  :func:`write_outputs`: the levels, formats and folder of ``[output]``, or one
  ``report.xlsx``; ``rejects.csv`` in lenient mode);
* ``geocov map``: :func:`write_map`;
* ``geocov demo``: :func:`run_demo` (tables, and ``maps/coverage_<level>.html``);
* ``geocov validate``: :func:`validate_analysis`, then :meth:`Validation.write`;
* ``geocov reconcile``: :func:`run_reconcile` (:func:`run_analysis`, then
  :func:`geocov.reconcile.reconcile` against the official figures, written as XLSX/CSV);
* ``geocov priorities``: :func:`write_priorities` (:func:`run_analysis`, then
  :func:`run_priorities`: :func:`geocov.priorities.priorities` with the settings of
  ``[priorities]``, then :meth:`geocov.priorities.PriorityResult.write`);
* ``geocov plan``: :func:`write_plan` (:func:`run_plan`: :func:`geocov.plan.plan` with
  ``[plan]``, coverage recomputed from the analysis's own inputs plus the planned sites,
  then :meth:`geocov.plan.PlanResult.write`).
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from .errors import (
    DataQualityWarning,
    DataSourceError,
    Listing,
    SchemaError,
    Words,
    hint,
    hint_words,
    more_words,
)
from .io import WRITE_FORMATS, RejectsReport, StagedFiles
from .locale import DEFAULT_LANG, LANGUAGES, check_lang
from .progress import ProgressArg, progress_for
from .vocabulary import (
    TOTAL,
    check_level,
    code_column,
    label,
    name_column,
    result_levels,
    unit_levels,
    units_column,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = [
    "Analysis",
    "read_analysis",
    "load_inputs",
    "run_analysis",
    "run_and_write",
    "write_outputs",
    "write_map",
    "run_demo",
    "Written",
    "table_format",
    "output_levels",
    "Validation",
    "validate_analysis",
    "unit_overlaps",
    "run_priorities",
    "write_priorities",
    "run_reconcile",
    "run_plan",
    "write_plan",
    "run_terrain_comparison",
]

# Value kinds of the TOML keys: "str", "layer" (name or number), "number", "bool",
# "mapping" (table of text), "names" (array of text), "decimal" ("," or "."),
# "levels" (table or array of text), "radius" (number or table of numbers).
_SECTIONS: dict[str, dict[str, str]] = {
    "units": {
        "path": "str",
        "layer": "layer",
        "levels": "levels",
        "codes": "mapping",
        "population": "column",
        "encoding": "str",
        "decimal": "decimal",
        "vintage": "str",
    },
    "villages": {
        "path": "str",
        "layer": "layer",
        "columns": "mapping",
        "crs": "crs",
        "encoding": "str",
        "decimal": "decimal",
    },
    "stations": {
        "path": "str",
        "layer": "layer",
        "columns": "mapping",
        "crs": "crs",
        "encoding": "str",
        "decimal": "decimal",
        "opencellid_range": "bool",
        "max_range_m": "radius",
    },
    "fiber": {
        "path": "str",
        "layer": "layer",
        "columns": "mapping",
        "reach_m": "number",
        "kind": "str",
        "crs": "crs",
        "encoding": "str",
        "decimal": "decimal",
    },
    "population": {"raster": "str", "source": "str"},
    "model": {
        "resolution_m": "number",
        "crs": "crs",
        "radius_m": "radius",
        "statuses": "names",
        "village_tolerance_m": "number",
        "workers": "number",
        "dem": "str",
        "terrain_mode": "str",
        "antenna_height_m": "number",
        "dem_resolution_m": "number",
    },
    "output": {"folder": "str", "levels": "names", "formats": "names"},
    "priorities": {
        "dem": "str",
        "dem_resolution_m": "number",
        "attributes": "str",
        "attributes_layer": "layer",
        "attributes_columns": "mapping",
        "unit_attributes": "str",
        "unit_attributes_layer": "layer",
        "unit_attributes_columns": "mapping",
        "tiers": "names",
        "weights": "numbers",
        "remoteness_weights": "numbers",
        "rules": "numbers",
        "costs": "str",
        "currency": "str",
        "horizon_years": "number",
        "discount_rate_pct": "number",
        "restrict_to_data": "bool",
        "assume_line_of_sight": "bool",
        "population": "str",
    },
    "plan": {
        "sites": "number",
        "budget": "number",
        "currency": "str",
        "fiber_to": "number",
        "fiber_targets": "names",
        "objective": "str",
        "method": "str",
        "candidates": "str",
        "candidates_layer": "layer",
        "include_villages": "bool",
        "include_upgrades": "bool",
        "roads": "str",
        "roads_layer": "layer",
        "fiber_order": "str",
    },
}
_TOP = {"title", "data_date", "lang", *_SECTIONS}
_KIND_TEXT = {
    "str": "a text",
    "column": "a column name, or false for none",
    "layer": "a layer name or number",
    "number": "a number",
    "bool": "true or false",
    "mapping": 'a table of texts, e.g. { lat = "vi_do" }',
    "names": 'an array of texts, e.g. ["a", "b"]',
    "decimal": '"," or "."',
    "levels": 'a table { level = "column" } or an array of level names',
    "radius": 'a number or a table of numbers, e.g. { "4G" = 3000 }',
    "crs": 'a CRS text such as "EPSG:4326" or an EPSG number',
    "numbers": "a table of numbers, e.g. { cost = 1, people = 0.5 }",
}


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _texts(values: Any) -> bool:
    return all(isinstance(v, str) for v in values)


def _type_ok(kind: str, value: Any) -> bool:
    if kind == "str":
        return isinstance(value, str)
    if kind == "column":
        return isinstance(value, str) or value is False
    if kind in ("layer", "crs"):
        return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))
    if kind == "number":
        return _is_number(value)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "mapping":
        return isinstance(value, dict) and _texts(value.values())
    if kind == "names":
        return isinstance(value, list) and _texts(value)
    if kind == "decimal":
        return value in (",", ".")
    if kind == "levels":
        return (isinstance(value, dict) and _texts(value.values())) or (
            isinstance(value, list) and _texts(value)
        )
    if kind == "radius":
        return _is_number(value) or (
            isinstance(value, dict) and all(_is_number(v) for v in value.values())
        )
    if kind == "numbers":
        return isinstance(value, dict) and all(_is_number(v) for v in value.values())
    raise AssertionError(kind)  # pragma: no cover


def _check_section(path: Path, section: str, table: Mapping[str, Any]) -> None:
    keys = _SECTIONS[section]
    bad = sorted(set(table) - set(keys))
    if bad:
        raise SchemaError(f"{path}: unknown key(s) {bad} in [{section}]; valid: {sorted(keys)}")
    for key, value in table.items():
        kind = keys[key]
        if not _type_ok(kind, value):
            raise SchemaError(
                f"{path}: [{section}] {key} must be {_KIND_TEXT[kind]}, got {value!r}"
            )
    if section == "model" and "resolution_m" in table and not table["resolution_m"] > 0:
        raise SchemaError(
            f"{path}: [model] resolution_m must be a positive number of metres, "
            f"got {table['resolution_m']!r}"
        )
    if section == "model" and "workers" in table and not (
        isinstance(table["workers"], int) and table["workers"] >= 1
    ):
        raise SchemaError(
            f"{path}: [model] workers must be a whole number of threads, at least 1, "
            f"got {table['workers']!r}"
        )
    if section == "model" and table.get("terrain_mode", "los") not in ("los", "pathloss"):
        raise SchemaError(
            f"{path}: [model] terrain_mode must be \"los\" (line of sight) or \"pathloss\", "
            f"got {table['terrain_mode']!r}"
        )
    if section == "model" and "antenna_height_m" in table and not (
        0 <= table["antenna_height_m"] <= 600
    ):
        raise SchemaError(
            f"{path}: [model] antenna_height_m must be the antenna height above ground in "
            f"metres, 0-600, got {table['antenna_height_m']!r}"
        )
    if section == "model" and "dem_resolution_m" in table and not table["dem_resolution_m"] > 0:
        raise SchemaError(
            f"{path}: [model] dem_resolution_m must be a positive number of metres, "
            f"got {table['dem_resolution_m']!r}"
        )
    if section == "output" and "formats" in table:
        unknown = sorted(set(table["formats"]) - set(WRITE_FORMATS))
        if unknown:
            raise SchemaError(
                f"{path}: [output] formats {unknown} not known; valid: {list(WRITE_FORMATS)}"
            )


@dataclass(frozen=True)
class Analysis:
    """Inputs, model settings and outputs of one coverage analysis (paths already resolved)."""

    units: Mapping[str, Any]
    villages: Mapping[str, Any] | None = None
    stations: Mapping[str, Any] | None = None
    fiber: Mapping[str, Any] | None = None
    population: str | None = None
    model: Mapping[str, Any] = field(default_factory=dict)
    output: Mapping[str, Any] = field(default_factory=dict)
    title: str | None = None
    data_date: str | None = None
    source: Path | None = None
    priorities: Mapping[str, Any] = field(default_factory=dict)
    plan: Mapping[str, Any] = field(default_factory=dict)
    #: Language of the outputs ("en", "vi"; ``lang = "vi"`` at the top of the file); None:
    #: English unless ``lang=`` / ``--lang`` says otherwise.
    lang: str | None = None

    def with_output(self, **changes: Any) -> Analysis:
        """A copy with output settings changed (``folder``, ``levels``, ``formats``)."""
        return replace(
            self, output={**self.output, **{k: v for k, v in changes.items() if v is not None}}
        )


def output_lang(analysis: Analysis | None, lang: str | None = None) -> str:
    """The language of the outputs: ``lang`` (``--lang``), else the analysis file's, else
    English.

    Examples
    --------
    >>> output_lang(Analysis(units={}, lang="vi")), output_lang(None, "vi"), output_lang(None)
    ('vi', 'vi', 'en')
    """
    return check_lang(lang or (analysis.lang if analysis is not None else None) or DEFAULT_LANG)


def _resolve(value: str, base: Path, where: str) -> str:
    if value.startswith("sample:"):
        from .sample import sample_paths

        key = value.split(":", 1)[1]
        paths = sample_paths()
        if key not in paths:
            raise SchemaError(
                f"{where}: unknown sample layer {value!r}; valid: {['sample:' + k for k in paths]}"
            )
        return str(paths[key])
    p = Path(value).expanduser()
    return str(p if p.is_absolute() else (base / p))


def read_analysis(path: str | Path) -> Analysis:
    """Read an analysis TOML file; relative paths are taken from the file's folder.

    Raises :class:`~geocov.errors.SchemaError` naming the file and the key for unknown
    sections or keys, a missing ``[units]`` section or values of the wrong type, and
    :class:`~geocov.errors.DataSourceError` when the file does not exist.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.toml"
    >>> _ = p.write_text('[units]\\npath = "c.gpkg"\\nlevels = {province = "P", commune = "C"}\\n'
    ...                  '[stations]\\npath = "bts.csv"\\ndecimal = ","\\n')
    >>> a = read_analysis(p)
    >>> pathlib.Path(a.units["path"]).name, dict(a.units["levels"]), a.stations["decimal"]
    ('c.gpkg', {'province': 'P', 'commune': 'C'}, ',')
    """
    path = Path(path)
    if not path.is_file():
        raise DataSourceError(
            f"{path}: analysis file not found"
            + (" (it is a folder)" if path.is_dir() else "")
            + f". Check the path (relative paths are taken from {Path.cwd()})"
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise SchemaError(f"{path}: not UTF-8 text ({exc}); save it as UTF-8") from exc
    except tomllib.TOMLDecodeError as exc:
        raise SchemaError(f"{path}: not valid TOML ({exc})") from exc
    unknown = sorted(set(data) - _TOP)
    if unknown:
        raise SchemaError(f"{path}: unknown section(s) or key(s) {unknown}; valid: {sorted(_TOP)}")
    for section in _SECTIONS:
        if section in data:
            if not isinstance(data[section], dict):
                keys = list(_SECTIONS[section])
                raise SchemaError(
                    f"{path}: {section} must be a section with its own keys ({', '.join(keys)}),"
                    f" not {section} = {data[section]!r}; write it on lines of its own:"
                    f" [{section}] then {keys[0]} = {data[section]!r}")
            _check_section(path, section, data[section])
    if "title" in data and not isinstance(data["title"], str):
        raise SchemaError(f"{path}: title must be a text, got {data['title']!r}")
    if "lang" in data and data["lang"] not in LANGUAGES:
        raise SchemaError(
            f"{path}: lang = {data['lang']!r} is not a language geocov writes; use one of "
            f"{', '.join(repr(x) for x in LANGUAGES)} (e.g. lang = \"vi\" at the top of the file)"
        )
    if "units" not in data or "path" not in data["units"]:
        raise SchemaError(f"{path}: a [units] section with a path is required")
    base = path.parent
    sections: dict[str, Any] = {}
    for name in ("units", "villages", "stations", "fiber"):
        if name in data:
            sec = dict(data[name])
            if "path" not in sec:
                raise SchemaError(f"{path}: [{name}] needs a path")
            sec["path"] = _resolve(str(sec["path"]), base, f"{path} [{name}]")
            sections[name] = sec
    pop = data.get("population", {})
    population = None
    if "raster" in pop and "source" in pop:
        raise SchemaError(f"{path}: [population] takes either raster or source, not both")
    if "raster" in pop:
        population = _resolve(str(pop["raster"]), base, f"{path} [population]")
    elif "source" in pop:
        if pop["source"] not in ("villages", "units"):
            raise SchemaError(
                f"{path}: [population] source must be 'villages' or 'units', got {pop['source']!r}"
            )
        population = pop["source"]
    output = dict(data.get("output", {}))
    if "folder" in output:
        output["folder"] = _resolve(str(output["folder"]), base, f"{path} [output]")
    model = dict(data.get("model", {}))
    if "dem" in model:
        model["dem"] = _resolve(str(model["dem"]), base, f"{path} [model]")
    prio = dict(data.get("priorities", {}))
    for key in ("dem", "attributes", "unit_attributes", "costs", "population"):
        if key in prio and not (key == "population" and prio[key] in ("villages", "raster")):
            prio[key] = _resolve(str(prio[key]), base, f"{path} [priorities]")
    plan_section = dict(data.get("plan", {}))
    if "candidates" in plan_section:
        plan_section["candidates"] = _resolve(str(plan_section["candidates"]), base,
                                              f"{path} [plan]")
    if "roads" in plan_section:
        plan_section["roads"] = _resolve(str(plan_section["roads"]), base, f"{path} [plan]")
    return Analysis(
        units=sections["units"],
        villages=sections.get("villages"),
        stations=sections.get("stations"),
        fiber=sections.get("fiber"),
        population=population,
        model=model,
        output=output,
        title=data.get("title"),
        data_date=str(data["data_date"]) if "data_date" in data else None,
        source=path,
        priorities=prio,
        plan=plan_section,
        lang=data.get("lang"),
    )


def load_inputs(
    analysis: Analysis, *, rejects: RejectsReport | None = None, progress: ProgressArg = None
) -> dict[str, Any]:
    """Read every input of ``analysis`` (strict mode unless ``rejects`` is given).

    Every key of an input section but ``path`` goes to its reader as the keyword argument
    of the same name (``layer``, ``columns``, ``encoding``, ``decimal``, ...). ``progress``
    (see :mod:`geocov.progress`): one step per input.

    Returns a dict with keys ``units``, ``villages``, ``stations``, ``fiber`` (None when
    the analysis has no such input).
    """
    from .boundaries import read_units
    from .fiber import read_fiber
    from .stations import read_stations
    from .villages import read_villages

    readers: dict[str, Callable[..., Any]] = {
        "units": read_units,
        "villages": read_villages,
        "stations": read_stations,
        "fiber": read_fiber,
    }
    out: dict[str, Any] = {name: None for name in readers}
    todo = [name for name in readers if getattr(analysis, name) is not None]
    with progress_for(progress, steps=len(todo)) as p:
        for name in todo:
            sec = getattr(analysis, name)
            kw = {k: v for k, v in sec.items() if k != "path"}
            with p.step(label("progress.read", output_lang(analysis), what=name,
                              file=Path(str(sec["path"])).name)):
                out[name] = readers[name](sec["path"], rejects=rejects, **kw)
    return out


# --------------------------------------------------------------------------- overlaps
def _overlap_parts(units: gpd.GeoDataFrame, topology: pd.DataFrame) -> pd.DataFrame:
    """One row per (overlap row of ``topology``, unit whose area figure it inflates).

    An overlap between two sibling units of level L (their finest units overlap) makes the
    area of their common ancestors (every level above L) and of the total too large:
    parents' areas are sums of their finest units' areas.
    """
    levels = unit_levels(units)
    codes = pd.DataFrame({lv: units[code_column(lv)].astype(str).to_numpy() for lv in levels})
    ov = topology.loc[topology["problem"] == "overlap"]
    parts = []
    for i, lvl in enumerate(levels):  # a loop over levels, not rows
        sel = ov.loc[ov["level"] == lvl]
        if sel.empty:
            continue
        child = sel["codes"].str[0]  # both siblings share every ancestor
        first = codes.drop_duplicates(lvl).set_index(lvl)
        for anc in levels[:i]:
            parts.append(
                pd.DataFrame(
                    {
                        "row": sel.index,
                        "level": anc,
                        "code": child.map(first[anc]).to_numpy(),
                        "overlap_km2": sel["area_km2"].to_numpy(float),
                    }
                )
            )
        parts.append(
            pd.DataFrame(
                {
                    "row": sel.index,
                    "level": "total",
                    "code": "total",
                    "overlap_km2": sel["area_km2"].to_numpy(float),
                }
            )
        )
    if not parts:
        return pd.DataFrame(
            {
                "row": pd.Series(dtype=int),
                "level": pd.Series(dtype=object),
                "code": pd.Series(dtype=object),
                "overlap_km2": pd.Series(dtype=float),
            }
        )
    return pd.concat(parts, ignore_index=True)


def _overlap_table(
    units: gpd.GeoDataFrame, parts: pd.DataFrame, min_pct: float, min_km2: float
) -> pd.DataFrame:
    from .boundaries import unit_areas_km2

    levels = unit_levels(units)
    cols = ["level", "code", "name", "area_km2", "overlap_km2", "overlap_pct"]
    if parts.empty:
        return pd.DataFrame(
            {c: pd.Series(dtype=float if "km2" in c or "pct" in c else object) for c in cols}
        )
    area = unit_areas_km2(units).to_numpy(float)
    frames = []
    for lv in levels:
        code = units[code_column(lv)].astype(str).to_numpy()
        t = pd.DataFrame(
            {"code": code, "name": units[name_column(lv)].astype(str).to_numpy(), "area_km2": area}
        )
        g = t.groupby("code", sort=False).agg(name=("name", "first"), area_km2=("area_km2", "sum"))
        frames.append(g.reset_index().assign(level=lv))
    frames.append(
        pd.DataFrame(
            {
                "code": ["total"],
                "name": ["Study area"],
                "area_km2": [float(np.nansum(area))],
                "level": ["total"],
            }
        )
    )
    areas = pd.concat(frames, ignore_index=True)
    excess = parts.groupby(["level", "code"], sort=False)["overlap_km2"].sum().reset_index()
    out = excess.merge(areas, on=["level", "code"], how="left")
    with np.errstate(invalid="ignore", divide="ignore"):
        out["overlap_pct"] = 100.0 * out["overlap_km2"] / out["area_km2"]
    out = out.loc[(out["overlap_km2"] > min_km2) & (out["overlap_pct"] > min_pct)]
    order = {lv: i for i, lv in enumerate([*levels, "total"])}
    out = out.assign(_l=out["level"].map(order)).sort_values(
        ["_l", "overlap_pct", "code"], ascending=[True, False, True], kind="stable"
    )
    return out[cols].reset_index(drop=True)


def unit_overlaps(
    units: gpd.GeoDataFrame,
    *,
    topology: pd.DataFrame | None = None,
    min_pct: float = 0.1,
    min_km2: float = 0.01,
) -> pd.DataFrame:
    """Units whose area figure is too large because the finest units inside them overlap.

    A parent's ``area_km2`` (and covered area) in a coverage table is the sum of its
    finest units' areas; where those overlap, the union is smaller than the sum and the
    figure counts land twice.  This lists every unit (and the total, level ``"total"``)
    whose area exceeds the union of its finest units by more than ``min_km2`` **and** by
    more than ``min_pct`` percent of its area, so that slivers from digitising do not
    count but a change visible in a figure does.  The excess is the sum of the pairwise
    overlaps (:func:`geocov.boundaries.validate_units`).

    Parameters
    ----------
    units
        Units in the schema of :func:`geocov.read_units`.
    topology
        The result of ``validate_units(units)`` when already computed.
    min_pct, min_km2
        Thresholds (percent of the unit's area, and km²) that both must be exceeded.

    Returns
    -------
    pandas.DataFrame
        Columns ``level, code, name, area_km2, overlap_km2, overlap_pct``, coarse levels
        first, then the total; largest share first within a level.  Empty when no area
        figure changes.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import box
    >>> units = gpd.GeoDataFrame(
    ...     {"district_code": ["D", "D", "E"], "district_name": ["D", "D", "E"],
    ...      "commune_code": ["a", "b", "c"], "commune_name": ["A", "B", "C"]},
    ...     geometry=[box(500000, 2400000, 501000, 2401000),
    ...               box(500900, 2400000, 502000, 2401000),
    ...               box(502000, 2400000, 503000, 2401000)], crs=32648)
    >>> t = unit_overlaps(units)
    >>> t[["level", "code", "overlap_km2"]].round(2).values.tolist()
    [['district', 'D', 0.1], ['total', 'total', 0.1]]
    >>> round(float(t["overlap_pct"].iloc[0]), 2)   # 0.1 km² of the 2.1 km² counted
    4.76
    """
    from .boundaries import validate_units

    if topology is None:
        topology = validate_units(units)
    return _overlap_table(units, _overlap_parts(units, topology), min_pct, min_km2)


def _finest_plural(units: gpd.GeoDataFrame) -> str:
    return units_column(unit_levels(units)[-1])


def _level_words(level: str) -> Words | str:
    """A level in the reader's words (a level the catalogue does not know: its name)."""
    from .locale import catalogue

    return Words(f"level.{level}") if f"level.{level}" in catalogue()["en"] else level


def _overlap_warning(units: gpd.GeoDataFrame, table: pd.DataFrame) -> DataQualityWarning:
    listed = [
        Words("warning.overlap_total", {"km2": r.overlap_km2, "pct": r.overlap_pct})
        if r.level == "total"
        else Words("warning.overlap_unit", {
            "level": _level_words(r.level), "name": r.name, "code": r.code,
            "km2": r.overlap_km2, "pct": r.overlap_pct, "area_km2": r.area_km2})
        for r in table.head(10).itertuples()
    ]
    finest = unit_levels(units)[-1]
    plural = (Words(f"levels.{finest}") if isinstance(_level_words(finest), Words)
              else _finest_plural(units))
    return DataQualityWarning.of(
        "overlap", units=plural, n=len(table), listed=Listing(listed),
        more=more_words(len(table) - 10), fix=hint_words("overlap"))


def run_analysis(
    analysis: Analysis | str | Path,
    *,
    rejects: RejectsReport | None = None,
    progress: ProgressArg = None,
):
    """Read the inputs of ``analysis`` and compute coverage (nothing is written).

    Returns a :class:`geocov.CoverageResult`; write it with :func:`write_outputs`.
    ``result.metadata["inputs"]`` says what was read (path, layer, CRS, rows read, used
    and rejected per input; :func:`geocov.report.input_records`). ``progress`` (see
    :mod:`geocov.progress`): one step per input, one for the computation.

    Warns
    -----
    DataQualityWarning
        When units overlap enough to change an area figure (:func:`unit_overlaps`).
    """
    from .report import input_records

    if not isinstance(analysis, Analysis):
        analysis = read_analysis(analysis)
    with progress_for(progress, steps=1) as p:
        inputs = load_inputs(analysis, rejects=rejects, progress=p)
        with p.step(label("progress.compute", output_lang(analysis))):
            result = _compute(analysis, inputs, rejects)
    result.metadata["inputs"] = input_records(analysis, inputs, rejects)
    return result


def _compute(analysis: Analysis, inputs: Mapping[str, Any], rejects: RejectsReport | None):
    from .coverage import coverage

    overlaps = unit_overlaps(inputs["units"])
    if len(overlaps):
        warnings.warn(  # stacklevel: the caller of run_analysis
            _overlap_warning(inputs["units"], overlaps), stacklevel=3
        )
    model = dict(analysis.model)
    terrain: dict[str, Any] = {}
    if model.get("dem"):
        terrain = {
            "terrain": model["dem"],
            "terrain_mode": model.get("terrain_mode", "los"),
            "dem_resolution_m": model.get("dem_resolution_m"),
        }
        if "antenna_height_m" in model:
            terrain["antenna_height_m"] = float(model["antenna_height_m"])
    return coverage(
        inputs["units"],
        villages=inputs["villages"],
        stations=inputs["stations"],
        fiber=inputs["fiber"],
        population=analysis.population,
        radius_m=model.get("radius_m"),
        crs=model.get("crs"),
        resolution_m=float(model.get("resolution_m", 100.0)),
        statuses=model.get("statuses"),
        village_tolerance_m=float(model.get("village_tolerance_m", 500.0)),
        workers=model.get("workers"),
        rejects=rejects,
        title=analysis.title,
        data_date=analysis.data_date,
        **terrain,
    )


#: The ``[model]`` keys of the terrain model (without them: the disc model).
TERRAIN_KEYS = ("dem", "terrain_mode", "antenna_height_m", "dem_resolution_m")


def run_terrain_comparison(
    analysis: Analysis | str | Path,
    result: Any = None,
    *,
    disc: Any = None,
    rejects: RejectsReport | None = None,
):
    """Disc model beside terrain model for an analysis with ``[model] dem``.

    Computes the analysis with its DEM (unless ``result``, its :func:`run_analysis`, is
    given) and without it (unless ``disc``, the disc model's result, is given), and
    compares them (:func:`geocov.terrain.compare.terrain_comparison`): per unit,
    villages, people and area per technology under each model, and the shadowed
    villages. A second run reads the inputs again, quietly (their warnings were given by
    the first).

    Raises
    ------
    SchemaError
        When the analysis has no ``[model] dem``.

    Examples
    --------
    The sample province on its own terrain:

    >>> import geocov
    >>> a = read_analysis(geocov.sample_paths()["analysis"])
    >>> a = replace(a, model={**a.model, "dem": str(geocov.sample_paths()["terrain"])})
    >>> c = run_terrain_comparison(a)
    >>> f = c.figures("4g")
    >>> c.levels, f["villages_disc"], f["villages_terrain"], len(c.shadowed)
    (('province', 'district', 'commune', 'total'), 735.0, 658.0, 277)
    """
    from .errors import GeocovWarning
    from .terrain.compare import terrain_comparison

    if not isinstance(analysis, Analysis):
        analysis = read_analysis(analysis)
    if not analysis.model.get("dem"):
        raise SchemaError(
            f"{analysis.source or 'the analysis'}: no [model] dem, so no terrain model to "
            "compare with the disc model; "
            + hint("set [model] dem in the analysis file", "pass --dem FILE")
        )
    if result is None:  # its terrain warnings are news; rejects are counted once
        again = RejectsReport() if rejects is not None and disc is not None else rejects
        result = run_analysis(analysis, rejects=again)
    if disc is None:
        disc_model = replace(
            analysis, model={k: v for k, v in analysis.model.items() if k not in TERRAIN_KEYS}
        )
        with warnings.catch_warnings():  # the same inputs' warnings were given already
            warnings.simplefilter("ignore", GeocovWarning)
            disc = run_analysis(
                disc_model, rejects=RejectsReport() if rejects is not None else None
            )
    return terrain_comparison(disc, result)


def _with_terrain(
    analysis: Analysis,
    written: Written,
    *,
    folder: str | Path | None,
    target: str | Path | None,
    formats: Sequence[str] | None,
    rejects: RejectsReport | None,
) -> Written:
    """``written`` plus the disc vs terrain comparison, written beside the tables, when the
    analysis has a DEM (``terrain.xlsx``, ``terrain_<level>.csv``,
    ``terrain_shadowed_villages.csv``, ``terrain.gpkg``; ``<stem>_terrain...`` beside a
    single ``target`` file)."""
    if not (written.result.metadata or {}).get("terrain"):
        return written
    comparison = run_terrain_comparison(analysis, written.result, rejects=rejects)
    if target is not None:
        here, fmts = Path(target).parent, [table_format(target)]
        stem = f"{Path(target).stem}_terrain"
    else:
        here = Path(folder or analysis.output.get("folder") or DEFAULT_FOLDER)
        fmts, stem = list(formats or analysis.output.get("formats") or WRITE_FORMATS), "terrain"
    paths = comparison.write(here, formats=fmts, stem=stem)
    return replace(written, tables=(*written.tables, *paths), terrain=comparison)


# --------------------------------------------------------------------------- outputs
#: Table file suffix -> output format (``geocov report -o report.xlsx``).
TABLE_SUFFIXES: dict[str, str] = {".xlsx": "xlsx", ".gpkg": "gpkg", ".csv": "csv"}
DEFAULT_FOLDER = "geocov-out"
REJECTS_FILE = "rejects.csv"


@dataclass(frozen=True)
class Written:
    """What :func:`run_and_write`, :func:`write_outputs`, :func:`write_map` and
    :func:`run_demo` computed and wrote (the CLI prints it).

    Attributes
    ----------
    result
        The :class:`geocov.CoverageResult`.
    tables
        Table files, in the order written (CSV per level, then GeoPackage, then XLSX).
    maps
        HTML maps (and the PNG, last, when one was asked for).
    rejects
        The rejects report in lenient mode, else None.
    rejects_path
        Where the rejects report was written (lenient mode only).
    priorities
        The :class:`geocov.priorities.PriorityResult` (``geocov priorities``, the demo).
    manifest
        The manifest written beside the tables (:func:`geocov.report.build_manifest`).
    plan
        The :class:`geocov.plan.PlanResult` (``geocov plan``, the demo).
    lang
        The language the outputs were written in (the CLI's messages follow it).
    terrain
        The disc vs terrain comparison (:class:`geocov.terrain.compare.TerrainComparison`)
        when the analysis has a DEM (``geocov run``/``report`` with ``[model] dem`` or
        ``--dem``, the demo).
    """

    result: Any
    tables: tuple[Path, ...] = ()
    maps: tuple[Path, ...] = ()
    rejects: RejectsReport | None = None
    rejects_path: Path | None = None
    priorities: Any = None
    manifest: Path | None = None
    plan: Any = None
    lang: str = DEFAULT_LANG
    terrain: Any = None


def table_format(path: str | Path) -> str:
    """The output format of a table file, from its suffix (``.xlsx``, ``.gpkg``, ``.csv``).

    Examples
    --------
    >>> table_format("out/report.XLSX")
    'xlsx'
    >>> table_format("report.txt")
    Traceback (most recent call last):
    ...
    geocov.errors.SchemaError: output must end in .xlsx, .gpkg or .csv
    """
    fmt = TABLE_SUFFIXES.get(Path(path).suffix.lower())
    if fmt is None:
        raise SchemaError("output must end in .xlsx, .gpkg or .csv")
    return fmt


def output_levels(
    result: Any, analysis: Analysis | None = None, level: str | None = None
) -> list[str]:
    """The levels to write: ``level`` alone; else ``[output] levels`` of the analysis (or
    every level of ``result``), always with the total."""
    if level:
        return [level]
    output = analysis.output if analysis is not None else {}
    levels = list(output.get("levels") or result.levels)
    if TOTAL not in levels:
        levels.append(TOTAL)
    return levels


def _write_rejects(
    rejects: RejectsReport | None, path: str | Path | None, *, beside: Path
) -> Path | None:
    """Write the rejects report (lenient mode) to ``path``, or to rejects.csv ``beside``."""
    if rejects is None:
        return None
    return rejects.write(Path(path) if path else beside / REJECTS_FILE)


def write_outputs(
    result: Any,
    analysis: Analysis | None = None,
    *,
    folder: str | Path | None = None,
    target: str | Path | None = None,
    level: str | None = None,
    formats: Sequence[str] | None = None,
    rejects: RejectsReport | None = None,
    rejects_path: str | Path | None = None,
    progress: ProgressArg = None,
    lang: str | None = None,
) -> Written:
    """Write the tables of ``result`` as ``analysis`` asks, the rejects report and a manifest.

    Everything is computed first, then every file is written under a temporary name and
    renamed into place once all are complete (:func:`geocov.report.write_result`): a run
    that fails or is interrupted leaves the previous files as they were.

    Parameters
    ----------
    result : CoverageResult
        As from :func:`run_analysis`.
    analysis : Analysis, optional
        Its ``[output]`` section gives the default folder, levels and formats; its
        settings go into the manifest.
    folder : path, optional
        Where to write ``coverage_<level>.csv`` (and ``..._by_operator.csv``,
        ``coverage_summary.csv``, ``coverage_model.csv``), ``coverage.gpkg``,
        ``coverage.xlsx`` and ``manifest.json`` (default: ``[output] folder``, else
        ``geocov-out``).
    target : path, optional
        One file instead (``report.xlsx``, ``report.gpkg`` or ``report.csv``): its suffix
        is the format, its stem the file names' stem; its folder is created; the
        manifest is ``<stem>_manifest.json`` beside it.
    level : str, optional
        Write this level only (default: ``[output] levels``, else every level, and the
        total).
    formats : sequence of str, optional
        With ``folder``: formats to write (default ``[output] formats``, else all).
    rejects : RejectsReport, optional
        Lenient mode: written to ``rejects_path`` (default ``rejects.csv`` beside the
        tables).
    progress : bool or callable, optional
        See :mod:`geocov.progress` (one step per file).
    lang : {"en", "vi"}, optional
        Language of the workbook's headers, sheet names and summary (default: the
        analysis file's ``lang``, else English; :func:`output_lang`).

    Returns
    -------
    Written

    Raises
    ------
    SchemaError
        ``target`` without a known suffix, or a level ``result`` does not have.

    Examples
    --------
    >>> import tempfile, pathlib, geocov
    >>> result = run_analysis(geocov.sample_paths()["analysis"])
    >>> out = pathlib.Path(tempfile.mkdtemp())
    >>> w = write_outputs(result, target=out / "report.csv", level="district")
    >>> [p.name for p in w.tables], w.manifest.name
    (['report_district.csv', 'report_district_by_operator.csv', 'report_summary.csv',
      'report_model.csv'], 'report_manifest.json')
    """
    from .report import MANIFEST_FILE, write_result

    output = analysis.output if analysis is not None else {}
    levels = output_levels(result, analysis, level)
    for lv in levels:
        check_level(lv, result.levels)
    if target is not None:
        target = Path(target)
        here, fmts, stem = target.parent, [table_format(target)], target.stem
        manifest = f"{stem}_manifest.json"
    else:
        here = Path(folder or output.get("folder") or DEFAULT_FOLDER)
        fmts = list(formats or output.get("formats") or WRITE_FORMATS)
        stem, manifest = "coverage", MANIFEST_FILE
    files = write_result(
        result, here, levels=levels, formats=fmts, stem=stem, manifest=manifest,
        analysis=analysis, rejects=rejects,
        rejects_path=Path(rejects_path) if rejects_path else here / REJECTS_FILE,
        progress=progress, lang=output_lang(analysis, lang),
    )
    return Written(
        result=result, tables=files.tables, rejects=rejects, rejects_path=files.rejects_path,
        manifest=files.manifest, lang=output_lang(analysis, lang),
    )


def run_and_write(
    analysis: Analysis | str | Path,
    *,
    folder: str | Path | None = None,
    target: str | Path | None = None,
    level: str | None = None,
    formats: Sequence[str] | None = None,
    rejects: RejectsReport | None = None,
    rejects_path: str | Path | None = None,
    progress: ProgressArg = None,
    lang: str | None = None,
) -> Written:
    """Compute ``analysis`` and write its tables: ``geocov run`` and ``geocov report``.

    :func:`run_analysis`, then :func:`write_outputs` (the arguments are those of
    :func:`write_outputs`). A ``target`` with an unknown suffix is refused before any
    work is done. ``progress`` (see :mod:`geocov.progress`): one bar for the whole run
    (read each input, compute, write each file).

    With a DEM (``[model] dem``) the coverage is terrain-aware, and the disc model's
    figures are set beside it (:func:`run_terrain_comparison`), written as
    ``terrain.xlsx`` (one sheet per level, the shadowed villages, the model),
    ``terrain_<level>.csv``, ``terrain_shadowed_villages.csv`` and ``terrain.gpkg``
    (``<stem>_terrain...`` beside a single ``target`` file); ``Written.terrain`` holds it.

    Examples
    --------
    >>> import tempfile, geocov
    >>> w = run_and_write(geocov.sample_paths()["analysis"], folder=tempfile.mkdtemp(),
    ...                   formats=["csv"], rejects=geocov.RejectsReport())
    >>> w.tables[0].name, w.rejects_path.name, len(w.rejects), w.manifest.name
    ('coverage_province.csv', 'rejects.csv', 0, 'manifest.json')
    """
    if target is not None:
        table_format(target)
    if not isinstance(analysis, Analysis):
        analysis = read_analysis(analysis)
    if lang is not None:  # --lang over the file's lang: the progress words too
        analysis = replace(analysis, lang=check_lang(lang))
    # one stage for the run: the terrain files join the tables, the manifest lists them all,
    # and nothing is put in place unless everything was written
    with StagedFiles(collect=True):
        with progress_for(progress, steps=0, desc="geocov") as p:
            result = run_analysis(analysis, rejects=rejects, progress=p)
            written = write_outputs(
                result,
                analysis,
                folder=folder,
                target=target,
                level=level,
                formats=formats,
                rejects=rejects,
                rejects_path=rejects_path,
                progress=p,
                lang=lang,
            )
        return _with_terrain(
            analysis, written, folder=folder, target=target, formats=formats, rejects=rejects
        )


def write_map(
    analysis: Analysis | str | Path,
    output: str | Path,
    *,
    level: str | None = None,
    metric: str | None = None,
    png: str | Path | None = None,
    tiles: str | None = None,
    title: str | None = None,
    rejects: RejectsReport | None = None,
    rejects_path: str | Path | None = None,
    progress: ProgressArg = None,
    priorities: bool = False,
    pdf: str | Path | None = None,
    paper: str | None = "A4",
    landscape: bool = True,
    lang: str | None = None,
) -> Written:
    """Compute ``analysis`` and write one offline HTML map (and a PNG/PDF): ``geocov map``.

    Parameters
    ----------
    analysis
        An :class:`Analysis` or the path of its TOML file.
    output
        The HTML file (its folder must exist).
    level
        Level whose units are coloured (default: the finest).
    metric, tiles, title
        As in :func:`geocov.coverage_map` (default metric: from the data there is).
    png, pdf
        Also save the printable view as PNG and/or PDF (needs Chromium; checked before any
        work is done): title, data date, legend, scale bar, north arrow and sources on a
        ``paper`` sheet (:func:`geocov.maps.save_png`, :func:`geocov.maps.save_pdf`).
    paper, landscape
        The sheet: "A4" (default) or "A3", landscape or portrait. ``paper=None``: the PNG
        is a 1400 x 900 screenshot of the interactive view instead (no PDF then).
    lang
        Language of the map ("en", "vi"; default: the analysis file's ``lang``, else
        English).
    rejects, rejects_path
        Lenient mode: the rejects report, written to ``rejects_path`` (default
        ``rejects.csv`` beside the map).
    progress
        See :mod:`geocov.progress`.
    priorities
        Also compute the priority list (:func:`run_priorities`, with ``[priorities]``) and
        draw it: the tiers layer, the "priority" metric, the top of the list in the side
        panel (needs villages).

    Files are written under temporary names and renamed into place once all are
    complete (:class:`geocov.io.StagedFiles`).

    Returns
    -------
    Written
        ``maps`` holds the HTML file, then the PNG, then the PDF; ``priorities`` the list,
        if drawn.

    Raises
    ------
    geocov.vocabulary.UnknownLevelError
        ``level`` is not a level of the units.
    """
    from .maps import coverage_map, paper_size_px, require_chromium, save_map, save_pdf, save_png

    if pdf is not None and paper is None:
        raise SchemaError("a PDF needs a paper size: pass paper='A4' or paper='A3'")
    if paper is not None:
        paper_size_px(paper)  # a valid paper, before the work
    if png is not None or pdf is not None:
        require_chromium()  # before the work, not after it
    if not isinstance(analysis, Analysis):
        analysis = read_analysis(analysis)
    if lang is not None:  # --lang over the file's lang: the progress words too
        analysis = replace(analysis, lang=check_lang(lang))
    lang = output_lang(analysis)
    extra = [p for p in (png, pdf) if p is not None]
    with progress_for(progress, steps=2 + len(extra)) as steps:
        result = run_analysis(analysis, rejects=rejects, progress=steps)
        levels = result_levels(result)
        if level is not None:
            check_level(level, levels)
        with steps.step(label("progress.map", lang)):
            # the priority list (the map's tiers, "priority" metric and side panel) needs
            # villages
            prio = (run_priorities(analysis, result, rejects=rejects, lang=lang)
                    if priorities and getattr(result, "villages", None) is not None else None)
            m = coverage_map(result, level=level or levels[-1], metric=metric, tiles=tiles,
                             title=title, priorities=prio, lang=lang)
        maps = [Path(output)] + [Path(p) for p in extra]
        with StagedFiles() as stage:
            with steps.step(label("progress.write", lang, file=maps[0].name)):
                save_map(m, stage.path(maps[0]))
            if png is not None:
                with steps.step(label("progress.write", lang, file=Path(png).name)):
                    save_png(m, stage.path(Path(png)), paper=paper, landscape=landscape)
            if pdf is not None:
                with steps.step(label("progress.write", lang, file=Path(pdf).name)):
                    save_pdf(m, stage.path(Path(pdf)), paper=paper or "A4",  # checked above
                             landscape=landscape)
    written_rejects = _write_rejects(rejects, rejects_path, beside=Path(output).parent)
    return Written(result=result, maps=tuple(maps), rejects=rejects, rejects_path=written_rejects,
                   priorities=prio, lang=lang)


# --------------------------------------------------------------------------- reconcile
def run_reconcile(
    analysis: Analysis | str | Path,
    official: str | Path | pd.DataFrame,
    *,
    output: str | Path | None = None,
    columns: Mapping[str, str] | None = None,
    tolerance_pct_points: float = 1.0,
    rejects: RejectsReport | None = None,
    rejects_path: str | Path | None = None,
    progress: ProgressArg = None,
    lang: str | None = None,
):
    """Compute ``analysis`` and set the ``official`` figures beside it: ``geocov reconcile``.

    :func:`run_analysis`, then :func:`geocov.reconcile.reconcile`; with ``output``
    (``.xlsx`` or ``.csv``, checked before any work) the table is written there. In
    lenient mode the rejects report goes to ``rejects_path`` (default ``rejects.csv``
    beside the output, or in the current folder). ``lang``: the language of the written
    table's readings (default: the analysis file's ``lang``, else English).

    Returns
    -------
    geocov.reconcile.Reconciliation
        Its ``result`` is the coverage result, ``written`` the files written.

    Examples
    --------
    >>> import tempfile, pathlib, geocov, pandas as pd
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "reconciliation.csv"
    >>> official = pd.DataFrame({"unit": ["Tỉnh Ngải Sán"], "metric": ["trạm BTS 4G"],
    ...                          "value": ["298"], "date": ["2024-12-31"]})
    >>> rec = run_reconcile(geocov.sample_paths()["analysis"], official, output=out)
    >>> rec.table[["geocov", "difference"]].values.tolist(), [p.name for p in rec.written]
    ([['288', -10.0]], ['reconciliation.csv'])
    """
    from .reconcile import reconcile

    if output is not None and Path(output).suffix.lower() not in (".xlsx", ".csv"):
        raise SchemaError(f"{output}: a reconciliation is written as .xlsx or .csv")
    if not isinstance(analysis, Analysis):
        analysis = read_analysis(analysis)
    result = run_analysis(analysis, rejects=rejects, progress=progress)
    rec = reconcile(result, official, columns=columns, rejects=rejects,
                    tolerance_pct_points=tolerance_pct_points)
    written: list[Path] = []
    if output is not None:
        written.append(rec.write(output, lang=output_lang(analysis, lang)))
    where = Path(output).parent if output is not None else Path.cwd()
    path = _write_rejects(rejects, rejects_path, beside=where)
    if path is not None:
        written.append(path)
    rec.written = tuple(written)
    return rec


# --------------------------------------------------------------------------- priorities
_RULE_KEYS = ("tiers", "weights", "remoteness_weights", "restrict_to_data",
              "assume_line_of_sight")


def _optional_attributes(
    section: Mapping[str, Any] | None,
    *,
    level: Literal["village", "unit"],
    columns: Mapping[str, str] | None,
    rejects: RejectsReport | None,
) -> Any:
    """Programme attributes from an input file that may or may not have them (None if not)."""
    from .io import frame_from_source, resolve_columns
    from .priorities import _ATTR_ALIASES, _FLAGS, read_programme_attributes

    if section is None or "path" not in section:
        return None
    try:
        frame = frame_from_source(section["path"], layer=section.get("layer"),
                                  encoding=section.get("encoding"))
    except DataSourceError:  # an input that cannot be read here gives no attributes: the
        return None  # model sheet says they are missing, the tiers say "unknown"
    found = resolve_columns(frame, {k: _ATTR_ALIASES[k] for k in _FLAGS}, given=None,
                            required=[], file=str(section["path"]))
    if not found:
        return None
    return read_programme_attributes(frame, level=level, columns=columns, rejects=rejects)


def run_priorities(
    analysis: Analysis | str | Path,
    result: Any = None,
    *,
    rejects: RejectsReport | None = None,
    lang: str | None = None,
    **overrides: Any,
) -> Any:
    """The priority list of ``analysis`` with the settings of its ``[priorities]`` section.

    Computes coverage first unless ``result`` (from :func:`run_analysis`) is given. Village
    attributes come from ``[priorities] attributes``, else from the villages file when it
    has attribute columns (``has_power``/``có điện``, ``ĐBKK``, ``biên giới``); unit
    attributes from ``[priorities] unit_attributes``, else from the units file. The 4G
    radius of new sites is ``[model] radius_m``'s (or the default). The DEM is
    ``[priorities] dem``, else ``[model] dem`` (one key serves coverage and the list).

    ``overrides`` replace keys of ``[priorities]`` (``dem``, ``costs``, ``currency``,
    ``restrict_to_data``, ...; None values are ignored). ``lang``: the language of the
    list's words (reasons, tiers, summary; default the analysis file's ``lang``, else
    English).

    Returns
    -------
    geocov.priorities.PriorityResult

    Raises
    ------
    SchemaError
        A ``[priorities]`` value is not valid (the message names the file and key).

    Examples
    --------
    >>> import geocov
    >>> p = run_priorities(geocov.sample_paths()["analysis"], restrict_to_data=True)
    >>> p.levels
    ('province', 'district', 'commune')
    """
    from .priorities import PriorityRules, priorities, read_programme_attributes

    if not isinstance(analysis, Analysis):
        analysis = read_analysis(analysis)
    settings = {**analysis.priorities, **{k: v for k, v in overrides.items() if v is not None}}
    where = f"{analysis.source or 'the analysis'}: [priorities]"
    unknown = sorted(set(settings) - set(_SECTIONS["priorities"]))
    if unknown:
        raise SchemaError(f"{where}: unknown key(s) {unknown}; valid: "
                          f"{sorted(_SECTIONS['priorities'])}")
    try:
        rule_kw: dict[str, Any] = {k: settings[k] for k in _RULE_KEYS if k in settings}
        rule_kw.update(settings.get("rules") or {})
        rules = PriorityRules(**rule_kw)
    except TypeError as exc:
        raise SchemaError(f"{where}: rules: {exc}") from exc
    except SchemaError as exc:
        raise SchemaError(f"{where}: {exc}") from exc
    if result is None:
        result = run_analysis(analysis, rejects=rejects)
    finest_codes = dict(analysis.units.get("codes") or {})
    levels = result_levels(result)
    if "attributes" in settings:
        attributes = read_programme_attributes(
            settings["attributes"], level="village", columns=settings.get("attributes_columns"),
            layer=settings.get("attributes_layer"), rejects=rejects)
    else:
        vcols = dict((analysis.villages or {}).get("columns") or {})
        attributes = _optional_attributes(
            analysis.villages, level="village", rejects=rejects,
            columns={"village_code": vcols["village_code"]} if "village_code" in vcols else None)
    if "unit_attributes" in settings:
        unit_attributes = read_programme_attributes(
            settings["unit_attributes"], level="unit",
            columns=settings.get("unit_attributes_columns"),
            layer=settings.get("unit_attributes_layer"), rejects=rejects)
    else:
        code = finest_codes.get(levels[-1]) if levels else None
        unit_attributes = _optional_attributes(
            analysis.units, level="unit", rejects=rejects,
            columns={"unit_code": code} if code else None)
    cost_overrides: dict[str, dict[str, Any]] = {
        "general": {k: settings[k] for k in ("horizon_years", "discount_rate_pct")
                    if k in settings}}
    from .costs import read_costs

    try:
        costs = read_costs(settings.get("costs"), currency=settings.get("currency"),
                           overrides=cost_overrides if cost_overrides["general"] else None)
    except SchemaError as exc:
        raise SchemaError(f"{where}: {exc}") from exc
    pop = settings.get("population", "villages")
    raster = None
    if pop == "raster":
        if analysis.population in (None, "villages", "units"):
            raise SchemaError(f"{where}: population = \"raster\" needs [population] raster")
        raster = analysis.population
    elif pop != "villages":
        raster = pop
    return priorities(
        result,
        dem=settings.get("dem") or analysis.model.get("dem"),  # one DEM serves both
        attributes=attributes,
        unit_attributes=unit_attributes,
        rules=rules,
        costs=costs,
        radius_m=dict(analysis.model).get("radius_m"),
        population=raster,
        dem_resolution_m=settings.get("dem_resolution_m",
                                      analysis.model.get("dem_resolution_m")),
        lang=output_lang(analysis, lang),  # its reasons and tier words
    )


def write_priorities(
    analysis: Analysis | str | Path,
    *,
    folder: str | Path | None = None,
    target: str | Path | None = None,
    level: str | None = None,
    tiers: Sequence[int] | None = None,
    formats: Sequence[str] | None = None,
    rejects: RejectsReport | None = None,
    rejects_path: str | Path | None = None,
    lang: str | None = None,
    progress: ProgressArg = None,
    **overrides: Any,
) -> Written:
    """Compute ``analysis``'s priority list and write it: ``geocov priorities``.

    Parameters
    ----------
    analysis
        An :class:`Analysis` or the path of its TOML file.
    folder : path, optional
        Where to write ``priorities.xlsx``, ``priorities.gpkg`` and the CSV files (default
        ``[output] folder``, else ``geocov-out``).
    target : path, optional
        One file instead (``list.xlsx``, ``list.gpkg`` or ``list.csv``).
    level : str, optional
        Write the roll-up to this level only (default: every level).
    tiers : sequence of int, optional
        Write only the villages of these tiers.
    formats : sequence of str, optional
        With ``folder``: formats (default ``[output] formats``, else all).
    rejects, rejects_path
        Lenient mode.
    lang
        Language of the list's words and sheet names ("en", "vi"; default: the analysis
        file's ``lang``, else English).
    progress
        See :mod:`geocov.progress`: one bar for reading, coverage, the list and writing.
    overrides
        Keys of ``[priorities]`` (see :func:`run_priorities`).

    Returns
    -------
    Written
        ``tables`` are the files written, ``priorities`` the list.

    Examples
    --------
    >>> import tempfile, geocov
    >>> w = write_priorities(geocov.sample_paths()["analysis"], folder=tempfile.mkdtemp(),
    ...                      formats=["csv"], level="commune")
    >>> [p.name for p in w.tables][:2]
    ['priorities_villages.csv', 'priorities_communes.csv']
    """
    return _compute_and_write(
        analysis, "priorities",
        lambda a, result: run_priorities(a, result, rejects=rejects, lang=lang, **overrides),
        folder=folder, target=target, level=level, formats=formats, rejects=rejects,
        rejects_path=rejects_path, lang=lang, progress=progress, tiers=tiers)


def _compute_and_write(analysis: Analysis | str | Path, what: str,
                       compute: Callable[[Analysis, Any], Any], *, folder: Any, target: Any,
                       level: str | None, formats: Any, rejects: Any, rejects_path: Any,
                       lang: str | None, progress: ProgressArg, **write: Any) -> Written:
    """Coverage of ``analysis``, then ``compute(analysis, result)`` (``what``: the
    ``"priorities"`` list or the ``"plan"``) written by :func:`_write_staged`, in one
    progress bar: ``geocov priorities`` and ``geocov plan``."""
    if target is not None:
        table_format(target)
    if not isinstance(analysis, Analysis):
        analysis = read_analysis(analysis)
    words = output_lang(analysis, lang)
    with progress_for(progress, steps=2, desc="geocov") as bar:
        result = run_analysis(analysis, rejects=rejects, progress=bar)
        if level is not None:
            check_level(level, result_levels(result))
        with bar.step(label(f"progress.{what}", words)):
            out = compute(analysis, result)
        with bar.step(label("progress.write", words, file=what)):
            tables, written_rejects = _write_staged(
                out, analysis, folder=folder, target=target, formats=formats, rejects=rejects,
                rejects_path=rejects_path, levels=[level] if level else None, lang=words,
                **write)
    return Written(result=result, tables=tuple(tables), rejects=rejects,
                   rejects_path=written_rejects, lang=words, **{what: out})


def _write_staged(out: Any, analysis: Analysis, *, folder: Any, target: Any, formats: Any,
                  rejects: Any, rejects_path: Any, **write: Any
                  ) -> tuple[list[Path], Path | None]:
    """``out.write(...)`` (a priority list or a plan) into ``target`` (one file) or
    ``folder`` (default ``[output] folder``), with the rejects report: all or nothing."""
    with StagedFiles(collect=True):
        if target is not None:
            target = Path(target)
            here = target.parent
            tables = out.write(here, formats=[table_format(target)], stem=target.stem, **write)
        else:
            here = Path(folder or analysis.output.get("folder") or DEFAULT_FOLDER)
            tables = out.write(here, formats=formats or analysis.output.get("formats")
                               or WRITE_FORMATS, **write)
        written_rejects = _write_rejects(rejects, rejects_path, beside=here)
    return list(tables), written_rejects


# --------------------------------------------------------------------------- plan
#: The plan the demo writes for the sample province (the seeds' sentence: "about 90 new
#: stations and fiber to the last 6 remote communes").
DEMO_PLAN: dict[str, Any] = {"sites": 90, "fiber_to": 6}


def _read_candidates(path: str, layer: Any, where: str) -> gpd.GeoDataFrame:
    from .io import read_table

    frame = read_table(path, layer=layer)
    if not isinstance(frame, gpd.GeoDataFrame) or frame.crs is None:
        raise SchemaError(f"{where}: candidates {path} has no point geometry with a CRS; give "
                          f"a GeoPackage or GeoJSON layer of candidate points")
    return frame


def _read_roads(path: str, layer: Any, where: str) -> gpd.GeoDataFrame:
    """The road layer of ``[plan] roads`` (GeoPackage, GeoJSON, shapefile...), named by
    its file in the plan's messages; its geometry and CRS are checked by the plan."""
    from .io import read_table

    frame = read_table(path, layer=layer)
    if not isinstance(frame, gpd.GeoDataFrame):
        raise SchemaError(f"{where}: roads {path} has no geometry; give a GeoPackage, "
                          f"GeoJSON or shapefile layer of road lines")
    frame.attrs["source"] = Path(path).name
    return frame


def run_plan(
    analysis: Analysis | str | Path,
    result: Any = None,
    *,
    rejects: RejectsReport | None = None,
    priorities: Any = None,
    **overrides: Any,
) -> Any:
    """The rollout plan of ``analysis`` with the settings of its ``[plan]`` section.

    Reads the inputs (and computes coverage unless ``result`` is given); the priority list
    (:func:`run_priorities`, with ``[priorities]``) prices the candidates unless
    ``priorities`` is given. The coverage after the plan is recomputed from the analysis's
    own inputs with the planned sites added to the stations (same model, grid and
    population as ``result``). ``overrides`` replace keys of ``[plan]`` (``sites``,
    ``budget``, ``currency``, ``fiber_to``, ``fiber_targets``, ``fiber_order``,
    ``objective``, ``method``, ``roads``, ...; None values are ignored). ``roads``: a road
    layer the fiber links follow (``roads_layer``: its layer in a GeoPackage).

    Returns
    -------
    geocov.plan.PlanResult

    Raises
    ------
    SchemaError
        A ``[plan]`` value is not valid (the message names the file and key), or nothing
        to plan.

    Examples
    --------
    >>> import geocov
    >>> p = run_plan(geocov.sample_paths()["analysis"], sites=5)
    >>> len(p.sites), int(p.steps["villages_4g_after"].iloc[-1]) == p.totals["villages_4g_after"]
    (5, True)
    """
    from .errors import GeocovWarning
    from .plan import PLAN_OPERATOR, plan

    if not isinstance(analysis, Analysis):
        analysis = read_analysis(analysis)
    settings = {**analysis.plan, **{k: v for k, v in overrides.items() if v is not None}}
    where = f"{analysis.source or 'the analysis'}: [plan]"
    unknown = sorted(set(settings) - set(_SECTIONS["plan"]))
    if unknown:
        raise SchemaError(f"{where}: unknown key(s) {unknown}; valid: "
                          f"{sorted(_SECTIONS['plan'])}")
    for key in ("sites", "fiber_to"):
        value = settings.get(key)
        if value is not None and not (_is_number(value) and float(value).is_integer()
                                      and value >= 0):
            raise SchemaError(f"{where}: {key} must be a whole number >= 0, got {value!r}")
    fiber_to: Any = None
    if settings.get("fiber_targets"):
        fiber_to = [str(c) for c in settings["fiber_targets"]]
    elif settings.get("fiber_to") is not None:
        fiber_to = int(settings["fiber_to"])
    inputs = load_inputs(analysis, rejects=rejects)
    if result is None:
        result = _compute(analysis, inputs, rejects)
    if priorities is None and (settings.get("sites") is not None
                               or settings.get("budget") is not None or fiber_to is not None):
        priorities = run_priorities(analysis, result, rejects=rejects,
                                    currency=settings.get("currency"))
    candidates = (_read_candidates(settings["candidates"], settings.get("candidates_layer"),
                                   where) if settings.get("candidates") else None)
    roads = (_read_roads(settings["roads"], settings.get("roads_layer"), where)
             if settings.get("roads") else None)
    statuses = dict(analysis.model).get("statuses")
    # the planned sites pass the [model] statuses filter under their own status
    model = ({**analysis.model, "statuses": [*statuses, PLAN_OPERATOR]} if statuses
             else analysis.model)
    after_analysis = replace(analysis, model=model)

    def recompute(planned: gpd.GeoDataFrame) -> Any:
        existing = inputs["stations"]
        if existing is None:
            stations = planned
        else:
            stations = gpd.GeoDataFrame(
                pd.concat([existing, planned.to_crs(existing.crs)], ignore_index=True),
                geometry=existing.geometry.name, crs=existing.crs)
            stations.attrs = dict(existing.attrs)
        with warnings.catch_warnings():  # the same inputs' warnings were given already
            warnings.simplefilter("ignore", GeocovWarning)
            return _compute(after_analysis, {**inputs, "stations": stations}, None)

    sites = settings.get("sites")
    try:
        return plan(
            result,
            sites=int(sites) if sites is not None else None,
            budget=float(settings["budget"]) if settings.get("budget") is not None else None,
            fiber_to=fiber_to,
            objective=settings.get("objective", "people"),
            method=settings.get("method", "greedy"),
            candidates=candidates,
            include_villages=settings.get("include_villages", True),
            include_upgrades=settings.get("include_upgrades", True),
            priorities=priorities,
            currency=settings.get("currency"),
            radius_m=dict(analysis.model).get("radius_m"),
            recompute=recompute,
            roads=roads,
            fiber_order=settings.get("fiber_order", "cheapest"),
        )
    except SchemaError as exc:
        if analysis.source is None:
            raise
        raise SchemaError(f"{where}: {exc}") from exc


def write_plan(
    analysis: Analysis | str | Path,
    *,
    folder: str | Path | None = None,
    target: str | Path | None = None,
    level: str | None = None,
    formats: Sequence[str] | None = None,
    rejects: RejectsReport | None = None,
    rejects_path: str | Path | None = None,
    lang: str | None = None,
    progress: ProgressArg = None,
    **overrides: Any,
) -> Written:
    """Compute ``analysis``'s rollout plan and write it: ``geocov plan``.

    Writes ``plan.xlsx`` (summary, steps, sites, links, before/after per level, model),
    ``plan.gpkg`` (layers ``sites``, ``links``, one per level) and CSV files to ``folder``
    (default ``[output] folder``, else ``geocov-out``), or one file ``target``
    (``plan.xlsx``, ``plan.gpkg`` or ``plan.csv``). ``overrides``: keys of ``[plan]``
    (see :func:`run_plan`). ``lang``: the language of the plan's summary (default: the
    analysis file's ``lang``, else English). ``progress``: see :mod:`geocov.progress` (one
    bar for reading, coverage, the plan and writing).

    Examples
    --------
    >>> import tempfile, geocov
    >>> w = write_plan(geocov.sample_paths()["analysis"], folder=tempfile.mkdtemp(),
    ...                formats=["csv"], level="commune", sites=3)
    >>> [p.name for p in w.tables][:3]
    ['plan_steps.csv', 'plan_sites.csv', 'plan_links.csv']
    """
    return _compute_and_write(
        analysis, "plan", lambda a, result: run_plan(a, result, rejects=rejects, **overrides),
        folder=folder, target=target, level=level, formats=formats, rejects=rejects,
        rejects_path=rejects_path, lang=lang, progress=progress)


def run_demo(
    folder: str | Path = DEFAULT_FOLDER,
    maps_folder: str | Path | None = "maps",
    *,
    progress: ProgressArg = None,
    lang: str | None = None,
) -> Written:
    """The whole pipeline on the built-in sample province: ``geocov demo``.

    Reads the sample's analysis, computes coverage, writes every table to ``folder`` with
    the disc model beside the terrain model on the sample's terrain (``terrain.xlsx``,
    ``terrain_*.csv``, ``terrain.gpkg``: per unit, and the shadowed villages;
    ``Written.terrain``), the sample's priority list beside them
    (``priorities.xlsx``, ``priorities.gpkg``, CSV; with the sample's terrain as DEM), a
    rollout plan (``plan.xlsx``, ``plan.gpkg``, CSV:
    :data:`DEMO_PLAN`, 90 sites and fiber to 6 communes, unless the sample's analysis has a
    ``[plan]``) and one map per level to ``maps_folder`` (``coverage_<level>.html``, with
    the priority tiers, the planned sites and links and the coverage after the plan; None:
    no maps). ``progress``: see :mod:`geocov.progress`. ``lang``: the language of every
    output (tables, summaries, priority reasons, plan, maps; default the sample's analysis
    file's, else English).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp())
    >>> w = run_demo(out / "tables", maps_folder=None)
    >>> w.result.summary().startswith("Signal in 150/150 communes"), w.maps
    (True, ())
    """
    from .sample import sample_paths

    paths = sample_paths()
    analysis = read_analysis(paths["analysis"])
    if lang is not None:  # --lang over the file's lang
        analysis = replace(analysis, lang=check_lang(lang))
    with StagedFiles(collect=True):  # every file of the demo, or none; the manifest lists all
        return _demo(analysis, paths, Path(folder), maps_folder, progress)


def _demo(
    analysis: Analysis,
    paths: Mapping[str, Path],
    folder: Path,
    maps_folder: str | Path | None,
    progress: ProgressArg,
) -> Written:
    from .maps import write_demo_maps

    written = run_and_write(analysis, folder=Path(folder), progress=progress)
    if written.terrain is None:  # the disc model beside the terrain model, on the sample's terrain
        with_dem = replace(analysis, model={**analysis.model, "dem": str(paths["terrain"])})
        comparison = run_terrain_comparison(with_dem, disc=written.result)
        written = replace(written, tables=(*written.tables, *comparison.write(Path(folder))),
                          terrain=comparison)
    # the sample's priority list beside its tables, with the sample's terrain
    dem = (analysis.priorities.get("dem") or analysis.model.get("dem")
           or str(paths["terrain"]))
    p = run_priorities(analysis, written.result, dem=dem)  # in the analysis's language
    # and a rollout plan for the sample, its coverage after recomputed from the same inputs
    pl = run_plan(analysis, written.result, priorities=p,
                  **({} if analysis.plan else DEMO_PLAN))
    tables = (*written.tables, *p.write(Path(folder)),
              *pl.write(Path(folder), lang=output_lang(analysis)))
    written = replace(written, tables=tables, priorities=p, plan=pl)
    if maps_folder is None:
        return written
    return replace(written, maps=tuple(write_demo_maps(written.result, Path(maps_folder),
                                                       priorities=p, plan=pl,
                                                       lang=output_lang(analysis))))


# --------------------------------------------------------------------------- validation
@dataclass(frozen=True)
class Validation:
    """What :func:`validate_analysis` found; ``geocov validate`` prints it.

    Attributes
    ----------
    files
        One row per input file: ``file, what, rows_read, rows_rejected, rows_used``
        (integers; read = used + rejected).
    problems
        Problems that change figures, one row each: ``kind`` (``"rejected_rows"``,
        ``"overlap"`` or ``"dem"``), ``where`` (file, or unit), ``level`` (of the unit; None
        for rows), ``count`` (rows; 0 for overlaps and DEMs), ``area_km2`` (NaN for rows),
        ``detail``.  DEMs: one per problem of the file (units past it, voids over the
        units, unreadable).  Rows: one per file and reason; overlaps: one per unit whose
        area figure is too large (:func:`unit_overlaps`), coarse levels first.
    notes
        Topology notes that change no figure, one row per level and kind: ``level,
        problem, count, area_km2`` (total area, NaN for kinds without one).
    topology
        Every topology problem (:func:`geocov.validate_units`), with a bool column
        ``changes_figures``.
    rejects
        The rejects report (every rejected row).
    left_out
        Rows left out by design, not by a defect: cells of technologies that give no
        mobile broadband to people (NB-IoT, LTE-M, CDMA). ``where, count, detail``, one
        row per file and reason; they are in ``rejects`` too, so every row is accounted
        for, but they change no figure that the data could have supported.
    """

    files: pd.DataFrame
    problems: pd.DataFrame
    notes: pd.DataFrame
    topology: pd.DataFrame
    rejects: RejectsReport
    left_out: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["where", "count", "detail"])
    )

    @property
    def changes_figures(self) -> bool:
        """True when some problem changes a figure (``geocov validate`` then exits 1)."""
        return len(self.problems) > 0

    def write(
        self, rejects_path: str | Path = REJECTS_FILE, topology_path: str | Path | None = None
    ) -> tuple[Path, Path]:
        """Write the rejects report and every topology problem as CSV (UTF-8 with BOM).

        ``topology_path`` defaults to ``topology.csv`` beside the rejects. Returns both
        paths.

        Examples
        --------
        >>> import tempfile, pathlib, geocov
        >>> v = validate_analysis(geocov.sample_paths()["analysis"])
        >>> paths = v.write(pathlib.Path(tempfile.mkdtemp()) / "rejects.csv")
        >>> [p.name for p in paths]
        ['rejects.csv', 'topology.csv']
        """
        from .io import write_csv

        rejects = Path(rejects_path)
        topology = Path(topology_path) if topology_path else rejects.with_name("topology.csv")
        with StagedFiles() as stage:  # both or neither
            write_csv(self.rejects.to_frame(), stage.path(rejects))
            write_csv(self.topology, stage.path(topology))
        return rejects, topology


def _reject_problems(rejects: RejectsReport) -> pd.DataFrame:
    rej = rejects.to_frame()
    g = (
        rej.drop_duplicates(["file", "row", "reason"])
        .groupby(["file", "reason"], sort=False)
        .size()
        .reset_index(name="count")
    )
    return pd.DataFrame(
        {
            "kind": "rejected_rows",
            "where": g["file"].astype(str),
            "level": None,
            "count": g["count"].astype(int),
            "area_km2": np.nan,
            "detail": g["reason"].astype(str),
        }
    )


def _dem_problems(analysis: Analysis, units: gpd.GeoDataFrame) -> pd.DataFrame:
    """The DEMs of the analysis ([model] dem, [priorities] dem) checked over its units."""
    from .terrain.model import check_dem

    paths = dict.fromkeys(str(d) for d in (analysis.model.get("dem"),
                                           (analysis.priorities or {}).get("dem")) if d)
    rows = []
    for path in paths:  # one or two files
        try:
            found = check_dem(path, units)
        except DataSourceError as exc:
            found = [str(exc)]
        rows += [{"kind": "dem", "where": path, "level": None, "count": 0,
                  "area_km2": np.nan, "detail": text} for text in found]
    return pd.DataFrame(rows, columns=["kind", "where", "level", "count", "area_km2",
                                       "detail"])


def validate_analysis(
    analysis: Analysis | str | Path,
    *,
    min_overlap_pct: float = 0.1,
    min_overlap_km2: float = 0.01,
    progress: ProgressArg = None,
) -> Validation:
    """Check every input of ``analysis`` without computing coverage.

    Every input is read in lenient mode (bad rows go to a rejects report), villages are
    linked to their units, fiber code lists are checked against the villages and units,
    the elevation models (``[model] dem``, ``[priorities] dem``) are checked over the units
    (:func:`geocov.terrain.model.check_dem`), and the units' topology is checked.  Problems
    are split into those that change figures (rejected rows, whatever their reason,
    overlaps that make an area figure too large, see :func:`unit_overlaps`, and a DEM
    that does not cover the units or has voids over them) and topology notes that do not
    (gaps, holes, invalid edges and overlaps below the thresholds), summed per level and
    kind.

    Parameters
    ----------
    analysis
        An :class:`Analysis` or the path of its TOML file.
    min_overlap_pct, min_overlap_km2
        Thresholds of :func:`unit_overlaps`.
    progress
        See :mod:`geocov.progress` (one step per input, one for the checks).

    Returns
    -------
    Validation

    Examples
    --------
    >>> import geocov
    >>> v = validate_analysis(geocov.sample_paths()["analysis"])
    >>> v.changes_figures, int(v.files["rows_rejected"].sum())
    (False, 0)
    """
    from .boundaries import validate_units
    from .fiber import check_fiber_codes
    from .villages import link_villages

    if not isinstance(analysis, Analysis):
        analysis = read_analysis(analysis)
    rejects = RejectsReport()
    with progress_for(progress, steps=1) as p:
        frames = load_inputs(analysis, rejects=rejects, progress=p)
        units = frames["units"]
        with p.step(label("progress.check")):
            linked = None
            if frames["villages"] is not None:
                linked = link_villages(frames["villages"], units, rejects=rejects)
            if frames["fiber"] is not None:
                check_fiber_codes(
                    frames["fiber"],
                    villages=linked,
                    units=units,
                    villages_read=frames["villages"],
                    rejects=rejects,
                )
            topology = validate_units(units)
    parts = _overlap_parts(units, topology)
    table = _overlap_table(units, parts, min_overlap_pct, min_overlap_km2)
    flagged = parts.merge(table[["level", "code"]], on=["level", "code"])["row"]
    topology = topology.assign(changes_figures=topology.index.isin(flagged))
    overlaps = pd.DataFrame(
        {
            "kind": "overlap",
            "where": np.where(
                table["level"] == "total",
                "total",
                table["level"] + " " + table["name"] + " (" + table["code"] + ")",
            ),
            "level": table["level"].to_numpy(object),
            "count": 0,
            "area_km2": table["overlap_km2"].to_numpy(float),
            "detail": [
                f"overlapping {_finest_plural(units)} count {a:,.3f} km² twice "
                f"({p:.2f}% of its {t:,.1f} km²)"
                for a, p, t in zip(
                    table["overlap_km2"], table["overlap_pct"], table["area_km2"], strict=True
                )  # a short list: the flagged units
            ],
        }
    )
    from .stations import NOT_COUNTED_REASON

    rejected = _reject_problems(rejects)
    by_design = rejected["detail"].str.startswith(NOT_COUNTED_REASON).to_numpy(dtype=bool)
    left_out = rejected.loc[by_design, ["where", "count", "detail"]].reset_index(drop=True)
    problems = pd.concat([rejected.loc[~by_design], overlaps], ignore_index=True)
    dem = _dem_problems(analysis, units)
    if len(dem):
        problems = pd.concat([problems, dem], ignore_index=True)
    problems["count"] = problems["count"].astype(int)
    rest = topology.loc[~topology["changes_figures"]]
    notes = (
        rest.groupby(["level", "problem"], sort=False)
        .agg(count=("problem", "size"), area_km2=("area_km2", lambda a: a.sum(min_count=1)))
        .reset_index()
    )
    notes["count"] = notes["count"].astype(int)
    files = rejects.summary()
    for c in ("rows_read", "rows_rejected", "rows_used"):
        files[c] = files[c].astype(int)
    return Validation(
        files=files, problems=problems, notes=notes, topology=topology, rejects=rejects,
        left_out=left_out,
    )
