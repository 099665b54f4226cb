"""Disc model beside terrain model: what the mountains take away, per unit and per village.

:func:`terrain_comparison` sets two coverage results of the same inputs side by side, one
computed without a DEM (the disc model) and one with (``geocov.coverage(...,
terrain=dem)``), and carries the terrain result's shadowed villages: the villages the disc
model counts and the terrain blocks, with the ridge that blocks them. That list is a
priority list by itself. :func:`compare_terrain` computes both results for you.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import SchemaError

__all__ = ["TerrainComparison", "terrain_comparison", "compare_terrain"]

# (numerator, percentage, denominator, blocked) of each metric: the coverage tables' columns
# are "<numerator>_<layer>" and "<percentage>_<layer>"
_METRICS = (
    ("villages_covered", "villages_pct", "villages", "villages_blocked"),
    ("population_covered", "population_pct", "population", "population_blocked"),
    ("covered_area_km2", "area_pct", "area_km2", "area_km2_blocked"),
)


@dataclass(frozen=True)
class TerrainComparison:
    """Disc-model and terrain-model coverage side by side.

    Attributes
    ----------
    levels : tuple of str
        The levels compared (the total last).
    tables : dict
        Level -> one row per (unit, technology layer): the unit's codes and names,
        ``technology`` (a layer: ``"2g"``, ``"4g"``, ``"3g_plus"``, ``"any"``...), and per
        metric its denominator (``villages``, ``population``, ``area_km2``), the figure
        covered under the disc model and with terrain (``villages_covered_disc``,
        ``villages_covered_terrain``, ``population_covered_*``,
        ``covered_area_km2_*``), what the terrain takes away (``villages_blocked``,
        ``population_blocked``, ``area_km2_blocked``) and both percentages
        (``villages_pct_disc``, ``villages_pct_terrain``, ...).
    shadowed : DataFrame
        The shadowed villages (:func:`geocov.terrain.model.shadowed_villages`; a
        GeoDataFrame in EPSG:4326 when the villages have points).
    model : str
        The terrain model in words.
    disc, terrain : CoverageResult or None
        The two results (kept by :func:`compare_terrain`).
    """

    levels: tuple[str, ...]
    tables: dict[str, pd.DataFrame]
    shadowed: pd.DataFrame
    model: str
    disc: Any = None
    terrain: Any = None

    def table(self, level: str) -> pd.DataFrame:
        """The comparison at ``level`` (``"total"``: the whole study area)."""
        if level not in self.tables:
            raise SchemaError(f"unknown level {level!r}; valid levels are {list(self.levels)}")
        return self.tables[level]

    def figures(self, layer: str = "4g") -> dict[str, float]:
        """Headline figures of the study area for ``layer``: villages and people covered
        under each model, villages shadowed and those left with no signal at all."""
        t = self.tables["total"]
        row = t.loc[t["technology"] == layer]
        get = (lambda c: float(row[c].iloc[0])) if len(row) else (lambda c: 0.0)
        sh = self.shadowed
        return {
            "villages": get("villages"),
            "villages_disc": get("villages_covered_disc"),
            "villages_terrain": get("villages_covered_terrain"),
            "population": get("population"),
            "population_disc": get("population_covered_disc"),
            "population_terrain": get("population_covered_terrain"),
            "population_pct_disc": get("population_pct_disc"),
            "population_pct_terrain": get("population_pct_terrain"),
            "area_km2": get("area_km2"),
            "area_pct_disc": get("area_pct_disc"),
            "area_pct_terrain": get("area_pct_terrain"),
            "shadowed_villages": float(len(sh)),
            "shadowed_no_signal": float((sh["terrain_technology"] == "none").sum()),
            "shadowed_population": float(np.nansum(sh["population"].to_numpy(float))),
        }

    def summary(self, lang: str = "en") -> str:
        """One line: 4G villages and people under the disc and terrain models, and the
        shadowed villages, in ``lang`` ("en", "vi"; numbers as the language writes them).

        Of the form "Terrain (disc model -> with terrain): 4G in 735 -> 652 of 1,500
        villages, 63.5% -> 57.1% of people, 27.4% -> 21.0% of the area; 180 shadowed
        village(s) (41 left with no signal)".
        """
        from .. import locale as _locale
        from ..vocabulary import label

        def num(x: float) -> str:
            return _locale.number(x, lang)

        def pct(x: float) -> str:
            return _locale.percent(x, lang)

        f = self.figures("4g")
        parts = [label("terrain.villages", lang, disc=num(f["villages_disc"]),
                       terrain=num(f["villages_terrain"]), total=num(f["villages"]))
                 ] if f["villages"] else []
        if f["population"] > 0:
            parts.append(label("terrain.people", lang, disc=pct(f["population_pct_disc"]),
                               terrain=pct(f["population_pct_terrain"])))
        parts.append(label("terrain.area", lang, disc=pct(f["area_pct_disc"]),
                           terrain=pct(f["area_pct_terrain"])))
        return label("terrain.summary", lang, parts=label("terrain.sep", lang).join(parts),
                     shadowed=num(f["shadowed_villages"]),
                     no_signal=num(f["shadowed_no_signal"]))

    def write(self, folder: str | Path, *, formats: Sequence[str] = ("csv", "gpkg", "xlsx"),
              stem: str = "terrain") -> list[Path]:
        """Write the comparison: ``<stem>_<level>.csv`` per level,
        ``<stem>_shadowed_villages.csv``, ``<stem>_model.csv``; one workbook
        ``<stem>.xlsx`` with a sheet each; the shadowed villages as a GeoPackage layer
        ``<stem>.gpkg``. All or nothing; returns the paths written."""
        from ..io import write_tables

        tables: dict[str, pd.DataFrame] = {"shadowed_villages": self.shadowed}
        extra = {lv: self.tables[lv] for lv in self.levels}
        extra["model"] = pd.DataFrame({"key": ["model", "summary"],
                                       "value": [self.model, self.summary()]})
        return write_tables(tables, folder, formats=formats, stem=stem, extra_sheets=extra)


def terrain_comparison(disc: Any, terrain: Any, *, levels: Sequence[str] | None = None
                       ) -> TerrainComparison:
    """Set a disc-model coverage result beside a terrain-model one of the same inputs.

    Parameters
    ----------
    disc : CoverageResult
        ``geocov.coverage(...)`` without a DEM.
    terrain : CoverageResult
        The same call with ``terrain=`` a DEM.
    levels : sequence of str, optional
        Levels to compare (default every level of the results, and the total).

    Returns
    -------
    TerrainComparison

    Raises
    ------
    SchemaError
        When ``terrain`` has no terrain model, ``disc`` has one, or their units differ.

    Examples
    --------
    A 4G station in the middle of a 4 km x 4 km commune, and a 300 m wall 500 m east of it:
    the wall hides the circular segment beyond it, and the village behind it:

    >>> import numpy as np, geopandas as gpd
    >>> from affine import Affine
    >>> from shapely import box, Point
    >>> import geocov
    >>> from geocov.terrain import DEM
    >>> units = geocov.read_units(gpd.GeoDataFrame(
    ...     {"province_name": ["P"], "commune_name": ["C"]},
    ...     geometry=[box(500000, 2500000, 504000, 2504000)], crs=32648),
    ...     levels={"province": "province_name", "commune": "commune_name"})
    >>> st = gpd.GeoDataFrame({"station_id": ["S"], "technology": ["4G"], "operator": ["A"],
    ...                        "range_m": [1500.0]}, geometry=[Point(502000, 2502000)],
    ...                       crs=32648)
    >>> villages = geocov.read_villages(gpd.GeoDataFrame(
    ...     {"village_code": ["V1", "V2"], "village_name": ["Bản Trước", "Bản Sau"],
    ...      "population": [250, 400]},
    ...     geometry=[Point(501500, 2502000), Point(503000, 2502000)], crs=32648))
    >>> z = np.zeros((120, 120)); z[:, 70:72] = 300.0      # x = 502,500 .. 502,600 m
    >>> dem = DEM.from_array(z, Affine(50, 0, 499000, 0, -50, 2505000), "EPSG:32648")
    >>> c = compare_terrain(units, villages=villages, stations=st, terrain=dem,
    ...                     resolution_m=50)
    >>> t = c.table("total").set_index("technology").loc["4g"]
    >>> t[["villages_covered_disc", "villages_covered_terrain", "covered_area_km2_disc",
    ...    "covered_area_km2_terrain"]].astype(float).round(2).tolist()
    [2.0, 1.0, 7.08, 5.15]
    >>> c.shadowed[["village_name", "station_id", "distance_m", "ridge_distance_m"]].values.tolist()
    [['Bản Sau', 'S', 1000.0, 575.0]]
    >>> c.summary()  # doctest: +NORMALIZE_WHITESPACE
    'Terrain (disc model -> with terrain): 4G in 2 -> 1 of 2 villages, 100.0% -> 38.5% of
     people, 44.2% -> 32.2% of the area; 1 shadowed village(s) (1 left with no signal).'
    """
    for name, r, want in (("terrain", terrain, True), ("disc", disc, False)):
        has = bool((getattr(r, "metadata", None) or {}).get("terrain"))
        if has != want:
            raise SchemaError(
                f"{name}: expected a coverage result computed "
                + ("with terrain= (a DEM)" if want else "without terrain= (the disc model)")
                + "; pass terrain_comparison(disc_result, terrain_result)")
    lv = list(levels) if levels else list(terrain.levels)
    if "total" not in lv:
        lv.append("total")
    for level in lv:
        if level not in disc.levels or level not in terrain.levels:
            raise SchemaError(f"unknown level {level!r}; valid levels are "
                              f"{list(terrain.levels)}")
    from ..vocabulary import layers_present

    techs = set(disc.stations["technology"].astype(str)) if disc.stations is not None else set()
    layers = layers_present(techs)
    tables = {level: _level_table(_figures(disc, level), _figures(terrain, level), level,
                                  layers) for level in lv}
    shadowed = terrain.shadowed if getattr(terrain, "shadowed", None) is not None \
        else pd.DataFrame(columns=["village_code"])
    return TerrainComparison(levels=tuple(lv), tables=tables, shadowed=shadowed,
                             model=str(terrain.metadata["terrain"].get("description", "")),
                             disc=disc, terrain=terrain)


def _figures(result: Any, level: str) -> pd.DataFrame:
    """``result.table(level)`` without its geometry (no dissolving of the units: a
    national table's geometry takes seconds)."""
    from ..rollup import rollup

    return rollup(result.base, result.levels, result.finest, level)


def _level_table(d: pd.DataFrame, t: pd.DataFrame, level: str, layers: Sequence[str]
                 ) -> pd.DataFrame:
    ids = [c for c in d.columns if c.endswith(("_code", "_name")) or c in ("level", "name")]
    d = pd.DataFrame(d.drop(columns="geometry", errors="ignore")).reset_index(drop=True)
    t = pd.DataFrame(t.drop(columns="geometry", errors="ignore")).reset_index(drop=True)
    if len(d) != len(t) or any((d[c].astype(str) != t[c].astype(str)).any() for c in ids
                               if c.endswith("_code")):
        raise SchemaError(f"{level}: the two results have different units; compute both "
                          f"from the same inputs")
    frames = []
    for layer in layers:  # a handful of technology layers
        out = d[ids].copy()
        out.insert(len(ids), "technology", layer)
        for num, pct, den, blocked in _METRICS:
            a = d[f"{num}_{layer}"].to_numpy(float)
            b = t[f"{num}_{layer}"].to_numpy(float)
            out[den] = d[den].to_numpy(float)
            out[f"{num}_disc"] = a
            out[f"{num}_terrain"] = b
            out[blocked] = a - b
            out[f"{pct}_disc"] = d[f"{pct}_{layer}"].to_numpy(float)
            out[f"{pct}_terrain"] = t[f"{pct}_{layer}"].to_numpy(float)
        frames.append(out)
    return pd.concat(frames, ignore_index=True)


def compare_terrain(units: Any, *, terrain: Any, levels: Sequence[str] | None = None,
                    **coverage_options: Any) -> TerrainComparison:
    """Coverage with and without terrain, compared: :func:`geocov.coverage` twice.

    ``terrain`` (a DEM path or :class:`~geocov.terrain.DEM`) and ``coverage_options``
    (``villages=``, ``stations=``, ``terrain_mode=``, ...) go to :func:`geocov.coverage`;
    the disc-model run drops the terrain options. The two results are kept in the
    comparison (``.disc``, ``.terrain``). See :func:`terrain_comparison`.
    """
    import warnings

    from ..coverage import coverage
    from ..errors import GeocovWarning

    with_terrain = coverage(units, terrain=terrain, **coverage_options)
    plain = {k: v for k, v in coverage_options.items()
             if k not in ("terrain_mode", "antenna_height_m", "dem_resolution_m")}
    with warnings.catch_warnings():  # the same inputs' warnings were given already
        warnings.simplefilter("ignore", GeocovWarning)
        disc = coverage(units, **plain)
    return terrain_comparison(disc, with_terrain, levels=levels)
