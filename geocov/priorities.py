"""Rollout priorities: which units are unconnected and remote.

This module holds, for now, the simple documented rules that the maps highlight
(:func:`flag_unconnected_remote`); scores, tiers, costs and budgeted plans build on it.

The rules (all overridable through :class:`RemoteRules`):

* **unconnected**: no fiber and no 4G, i.e. ``villages_fiber == 0`` (and
  ``<finest>s_with_fiber == 0`` when the table has it) and no village covered by the
  technology ``rules.technology`` (``villages_covered_4g_plus == 0``). A unit with no
  village at all is judged by area instead: ``covered_area_km2_4g_plus == 0``.
* **remote**: the unit lies far from its parent's centre (more than
  ``rules.centre_km`` from the unit's representative point to the area-weighted centre of
  its parent unit, e.g. the district of a commune), **or** far from fiber (no fiber node or
  route within ``rules.fiber_km`` of the unit's polygon, when fiber is given).
* **flagged** = unconnected and remote.

Distances are computed in the metric working CRS of :func:`geocov.crs.working_crs` and
returned in km.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .crs import require_crs, working_crs
from .errors import SchemaError
from .vocabulary import (
    LAYER_NOUNS,
    LAYERS,
    code_column,
    covered_column,
    unit_levels,
    units_with_column,
)

__all__ = ["RemoteRules", "flag_unconnected_remote", "TECHNOLOGIES"]

log = logging.getLogger(__name__)

#: The layers a rule can name (:data:`geocov.vocabulary.LAYERS`: "4g", "4g_plus", "any", ...).
TECHNOLOGIES: tuple[str, ...] = tuple(LAYERS)


@dataclass(frozen=True)
class RemoteRules:
    """The rules that make a unit *unconnected* and *remote* (see the module docstring).

    Parameters
    ----------
    technology : str, default "4g_plus"
        A unit with no village covered by this technology (one of :data:`TECHNOLOGIES`) and
        no fiber is *unconnected*.
    centre_km : float or None, default 15.0
        A unit whose representative point is more than this many km from the centre of its
        parent unit is *remote*; ``None`` switches this rule off.
    fiber_km : float or None, default 10.0
        A unit with no fiber node or route within this many km is *remote*; ``None``
        switches this rule off (it is also off when no fiber is given).

    Examples
    --------
    >>> RemoteRules(centre_km=25).fiber_km
    10.0
    """

    technology: str = "4g_plus"
    centre_km: float | None = 15.0
    fiber_km: float | None = 10.0

    def __post_init__(self) -> None:
        if self.technology not in TECHNOLOGIES:
            raise SchemaError(
                f"RemoteRules.technology={self.technology!r} is not valid; use one of "
                f"{', '.join(TECHNOLOGIES)}"
            )
        for name in ("centre_km", "fiber_km"):
            value = getattr(self, name)
            if value is not None and not (np.isfinite(value) and value >= 0):
                raise SchemaError(
                    f"RemoteRules.{name}={value!r} must be a distance in km >= 0, or None to "
                    f"switch the rule off"
                )


def _require(table: pd.DataFrame, columns: list[str], what: str) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise SchemaError(
            f"{what} needs columns {missing} that the table lacks; pass a table from "
            f"geocov.coverage(...).table(level) (it has columns: {list(table.columns)[:12]}...)"
        )


def flag_unconnected_remote(
    table: gpd.GeoDataFrame,
    *,
    fiber: gpd.GeoDataFrame | None = None,
    rules: RemoteRules | None = None,
    crs: Any = None,
) -> pd.DataFrame:
    """Flag the units of a coverage table that are unconnected and remote.

    Parameters
    ----------
    table : GeoDataFrame
        One row per unit, as from ``result.table(level)``: ``<level>_code`` (and the parent
        level's code, for the centre rule), ``villages``, ``villages_covered_<T>``,
        ``villages_fiber``, ``covered_area_km2_<T>``, ``population``,
        ``population_covered_<T>`` and polygon geometry in any CRS.
    fiber : GeoDataFrame, optional
        Fiber nodes and routes (``fiber.read_fiber`` schema; rows without geometry are
        ignored here, they already count in ``villages_fiber``). Any CRS.
    rules : RemoteRules, optional
        The thresholds; ``RemoteRules()`` by default.
    crs : optional
        Metric CRS for distances (default: the UTM zone of the data).

    Returns
    -------
    DataFrame
        Indexed like ``table``: ``<level>_code``, ``no_coverage`` (no village covered by
        ``rules.technology``), ``no_fiber``, ``unconnected``, ``centre_distance_km`` (NaN at
        the coarsest level), ``fiber_distance_km`` (NaN without fiber; 0 when fiber is
        inside), ``remote``, ``flagged``, ``population_uncovered`` and ``reason`` (words,
        e.g. ``"no 4G; no fiber within 10 km (nearest 12.4 km); 3,400 people uncovered"``;
        empty when not flagged).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import box
    >>> t = gpd.GeoDataFrame({
    ...     "district_code": ["D", "D"], "commune_code": ["a", "b"],
    ...     "villages": [4, 3], "villages_covered_4g_plus": [0, 3], "villages_fiber": [0, 0],
    ...     "covered_area_km2_4g_plus": [0.0, 5.0],
    ...     "population": [3400.0, 900.0], "population_covered_4g_plus": [0.0, 900.0]},
    ...     geometry=[box(0, 0, 20_000, 10_000), box(20_000, 0, 60_000, 10_000)],
    ...     crs="EPSG:32648")
    >>> out = flag_unconnected_remote(t, rules=RemoteRules(centre_km=10))
    >>> out[["commune_code", "unconnected", "remote", "flagged"]].values.tolist()
    [['a', True, True, True], ['b', False, False, False]]
    >>> out.loc[0, "reason"]
    'no 4G; no fiber; 20.0 km from the district centre; 3,400 people uncovered'
    """
    rules = RemoteRules() if rules is None else rules
    if not isinstance(rules, RemoteRules):
        raise SchemaError(
            f"rules must be a geocov.priorities.RemoteRules, got {type(rules).__name__}"
        )
    require_crs(table, what="the coverage table")
    if not any(str(c).endswith("_code") for c in table.columns):
        raise SchemaError(
            "the coverage table has no '<level>_code' column; pass result.table(level)"
        )
    levels = unit_levels(table, names=False)
    level = levels[-1]
    parent = levels[-2] if len(levels) > 1 else None
    t = rules.technology
    villages_col = covered_column("villages", t)
    _require(table, ["villages", villages_col, "villages_fiber"], "flag_unconnected_remote")

    villages = pd.to_numeric(table["villages"], errors="coerce").fillna(0).to_numpy(float)
    covered = pd.to_numeric(table[villages_col], errors="coerce").fillna(0).to_numpy(float)
    area_col = covered_column("area", t)
    covered_area = (
        pd.to_numeric(table[area_col], errors="coerce").fillna(0).to_numpy(float)
        if area_col in table.columns
        else np.zeros(len(table))
    )
    no_coverage = np.where(villages > 0, covered == 0, covered_area == 0)
    no_fiber = (
        pd.to_numeric(table["villages_fiber"], errors="coerce").fillna(0).to_numpy(float) == 0
    )
    with_fiber = units_with_column(level, "fiber")
    if with_fiber in table.columns:
        no_fiber &= pd.to_numeric(table[with_fiber], errors="coerce").fillna(0).to_numpy(float) == 0
    unconnected = no_coverage & no_fiber

    metric = working_crs(table, crs)
    geoms = table.geometry.to_crs(metric)
    points = shapely.point_on_surface(
        geoms.values.to_numpy() if hasattr(geoms.values, "to_numpy") else np.asarray(geoms.values)
    )
    points = np.asarray(points)

    centre_km = np.full(len(table), np.nan)
    if parent is not None:
        # parent centre: area-weighted mean of its units' centroids (its geometric centre)
        areas = shapely.area(np.asarray(geoms.values))
        cen = shapely.centroid(np.asarray(geoms.values))
        frame = pd.DataFrame(
            {
                "p": table[code_column(parent)].to_numpy(),
                "w": areas,
                "wx": shapely.get_x(cen) * areas,
                "wy": shapely.get_y(cen) * areas,
            }
        )
        sums = frame.groupby("p", sort=False, dropna=False)[["w", "wx", "wy"]].transform("sum")
        with np.errstate(invalid="ignore", divide="ignore"):
            px = (sums["wx"] / sums["w"]).to_numpy()
            py = (sums["wy"] / sums["w"]).to_numpy()
        centre_km = np.hypot(shapely.get_x(points) - px, shapely.get_y(points) - py) / 1000.0

    fiber_km = np.full(len(table), np.nan)
    if fiber is not None:
        require_crs(fiber, what="the fiber layer")
        fgeom = fiber.geometry.to_crs(metric)
        fgeom = np.asarray(fgeom.values)
        fgeom = fgeom[~(shapely.is_missing(fgeom) | shapely.is_empty(fgeom))]
        if len(fgeom):
            tree = shapely.STRtree(fgeom)
            (src, _), dist = tree.query_nearest(
                np.asarray(geoms.values), return_distance=True, all_matches=False
            )
            fiber_km[src] = dist / 1000.0
        else:
            fiber_km[:] = np.inf

    far_centre = (
        (centre_km > rules.centre_km) if rules.centre_km is not None else np.zeros(len(table), bool)
    )
    far_fiber = (
        (fiber_km > rules.fiber_km) if rules.fiber_km is not None else np.zeros(len(table), bool)
    )
    remote = far_centre | far_fiber
    flagged = unconnected & remote

    pop = (
        pd.to_numeric(table["population"], errors="coerce").to_numpy(float)
        if "population" in table.columns
        else np.full(len(table), np.nan)
    )
    pop_cov_col = covered_column("population", t)
    pop_cov = (
        pd.to_numeric(table[pop_cov_col], errors="coerce").fillna(0).to_numpy(float)
        if pop_cov_col in table.columns
        else np.zeros(len(table))
    )
    uncovered = np.clip(pop - pop_cov, 0, None)

    reason = _reasons(
        flagged=flagged,
        no_coverage=no_coverage,
        no_fiber=no_fiber,
        tech=LAYER_NOUNS[t],
        fiber_km=fiber_km,
        far_fiber=far_fiber,
        rules=rules,
        centre_km=centre_km,
        far_centre=far_centre,
        parent=parent,
        uncovered=uncovered,
        index=table.index,
    )
    out = pd.DataFrame(
        {
            code_column(level): table[code_column(level)].to_numpy(),
            "no_coverage": no_coverage,
            "no_fiber": no_fiber,
            "unconnected": unconnected,
            "centre_distance_km": centre_km,
            "fiber_distance_km": fiber_km,
            "remote": remote,
            "flagged": flagged,
            "population_uncovered": uncovered,
            "reason": reason,
        },
        index=table.index,
    )
    log.info(
        "flag_unconnected_remote: %d of %d %s units flagged", int(flagged.sum()), len(out), level
    )
    return out


def _fmt_km(values: np.ndarray) -> pd.Series:
    return pd.Series(np.round(values, 1)).map("{:,.1f}".format)


def _reasons(
    *,
    flagged,
    no_coverage,
    no_fiber,
    tech,
    fiber_km,
    far_fiber,
    rules,
    centre_km,
    far_centre,
    parent,
    uncovered,
    index,
) -> pd.Series:
    n = len(flagged)
    parts = []
    empty = pd.Series([""] * n)
    parts.append(pd.Series(np.where(no_coverage, f"no {tech}", "")))
    fiber_txt = empty.copy()
    if rules.fiber_km is not None:
        within = f"no fiber within {rules.fiber_km:g} km"
        nearest = (" (nearest " + _fmt_km(fiber_km) + " km)").where(np.isfinite(fiber_km), "")
        fiber_txt = (within + nearest).where(far_fiber, "")
    fiber_txt = fiber_txt.where(fiber_txt != "", pd.Series(np.where(no_fiber, "no fiber", "")))
    parts.append(fiber_txt)
    if parent is not None:
        parts.append((_fmt_km(centre_km) + f" km from the {parent} centre").where(far_centre, ""))
    has_people = np.isfinite(uncovered) & (uncovered > 0)
    parts.append(
        (
            pd.Series(np.round(np.nan_to_num(uncovered))).map("{:,.0f}".format)
            + " people uncovered"
        ).where(has_people, "")
    )
    text = parts[0]
    for part in parts[1:]:
        text = text + pd.Series(np.where((text != "") & (part != ""), "; ", "")) + part
    text = text.where(pd.Series(flagged), "")
    text.index = index
    return text
