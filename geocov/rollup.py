"""Coverage tables from per-unit arrays: the finest level's table and its roll-up.

:func:`geocov.coverage` computes, per finest unit and per village, arrays of numbers and
bit masks (:class:`UnitArrays`); this module turns them into tables, with every column
named by :mod:`geocov.vocabulary`:

* :func:`finest_table`: one row per finest unit: the codes and names of every level, the
  denominators (``area_km2``, ``villages``, ``population``, fiber counts, ``<finest>s``)
  and, for every reported layer (:data:`geocov.vocabulary.LAYERS`), its numerators
  (covered area, villages covered, covered population, units with the layer, stations);
* :func:`rollup`: those numerators and denominators summed to a coarser level (or the
  whole study area), with percentages recomputed from the sums
  (:func:`add_percentages`: ratios of sums, never averages of percentages).

Examples
--------
Two communes of one province, a 4G layer (bit 0) covering half of the first:

>>> import numpy as np, pandas as pd
>>> ids = pd.DataFrame({"province_code": ["P", "P"], "province_name": ["Tỉnh", "Tỉnh"],
...                     "commune_code": ["a", "b"], "commune_name": ["A", "B"]})
>>> arrays = UnitArrays(area_km2=np.array([10.0, 30.0]),
...     covered=lambda mask: (np.array([0.5, 0.0]) * bool(mask & 1), np.zeros(2)),
...     unit_bits=np.array([1, 0], np.uint64))
>>> base = finest_table(ids, arrays, "commune", {"4g": 1, "any": 1})
>>> t = rollup(base, ("province", "commune"), "commune", "province")
>>> row = t.iloc[0]
>>> float(row["covered_area_km2_4g"]), float(row["area_pct_4g"])
(5.0, 12.5)
>>> int(row["communes"]), int(row["communes_with_4g"])
(2, 1)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .errors import SchemaError
from .vocabulary import (
    DENOMINATORS,
    LAYERS,
    MEASURES,
    TOTAL,
    code_column,
    covered_column,
    metric_columns,
    name_column,
    pct_column,
    stations_column,
    units_column,
    units_with_column,
)

__all__ = ["UnitArrays", "finest_table", "rollup", "add_percentages"]

VILLAGES_FIBER = "villages_fiber"
POPULATION_SOURCE = "population_source"


@dataclass(frozen=True)
class UnitArrays:
    """What the tables count, as arrays: per finest unit (in the units' order), per
    village and per station. A layer is a bit mask over the base layers' bits.

    Attributes
    ----------
    area_km2 : (n_units,) float
    covered : callable
        ``covered(mask)`` -> (covered share of each unit's area (0-1), covered raster
        population per unit) for the base layers in ``mask`` (the grid engine's sums).
    unit_bits : (n_units,) uint64
        The base layers whose footprints touch each unit.
    population_mode : {"raster", "villages", "units", "none"}
        Where population comes from; ``population_label`` says it in words.
    population : (n_units,) float, optional
        The units' population (from the raster, or the units' own column).
    village_unit : (n_villages,) float, optional
        Index of each village's unit (NaN: none); None without villages.
    village_bits, village_population : (n_villages,) arrays, optional
        Base layers covering each village; its population (NaN = unknown, counted 0).
    village_fiber, unit_fiber : bool arrays, optional
        Villages / units with fiber (None: fiber unknown).
    station_unit : (n_stations,) int, optional
        Index of the unit holding each station (-1: outside the study area).
    station_bits : (n_stations,) uint64, optional
        The base layer of each station (one bit).
    """

    area_km2: np.ndarray
    covered: Callable[[int], tuple[np.ndarray, np.ndarray]]
    unit_bits: np.ndarray
    population_mode: str = "none"
    population_label: str = "none"
    population: np.ndarray | None = None
    village_unit: np.ndarray | None = None
    village_bits: np.ndarray | None = None
    village_population: np.ndarray | None = None
    village_fiber: np.ndarray | None = None
    unit_fiber: np.ndarray | None = None
    station_unit: np.ndarray | None = None
    station_bits: np.ndarray | None = None

    @property
    def n_units(self) -> int:
        return len(self.area_km2)


def _per_unit(a: UnitArrays, weights: np.ndarray | None = None) -> np.ndarray:
    """Sum ``weights`` (or count) over the villages of each unit."""
    assert a.village_unit is not None
    ok = ~np.isnan(a.village_unit)
    w = None if weights is None else np.asarray(weights, dtype=float)[ok]
    return np.bincount(a.village_unit[ok].astype(np.int64), weights=w, minlength=a.n_units)


def _village_people(a: UnitArrays) -> np.ndarray:
    """Each village's population, unknown counted 0."""
    assert a.village_unit is not None
    if a.village_population is None:
        return np.zeros(len(a.village_unit))
    return np.nan_to_num(np.asarray(a.village_population, dtype=float), nan=0.0)


def _denominators(ids: pd.DataFrame, a: UnitArrays, finest: str) -> dict[str, Any]:
    n = a.n_units
    villages = a.village_unit is not None
    data: dict[str, Any] = {c: ids[c].astype(str).to_numpy() for c in ids.columns}
    data[DENOMINATORS["area"]] = a.area_km2
    data[DENOMINATORS["villages"]] = _per_unit(a) if villages else np.zeros(n)
    data[VILLAGES_FIBER] = (
        _per_unit(a, a.village_fiber)
        if villages and a.village_fiber is not None
        else np.full(n, np.nan)
    )
    if a.population_mode in ("raster", "units") and a.population is not None:
        population = np.nan_to_num(np.asarray(a.population, dtype=float), nan=0.0)
    elif a.population_mode == "villages" and villages:
        population = _per_unit(a, _village_people(a))
    else:
        population = np.zeros(n)
    data[DENOMINATORS["population"]] = population
    data[POPULATION_SOURCE] = a.population_label
    data[units_column(finest)] = np.ones(n, dtype=np.int64)
    data[f"{units_column(finest)}_with_fiber"] = (
        a.unit_fiber.astype(np.int64) if a.unit_fiber is not None else np.full(n, np.nan)
    )
    return data


def _numerators(a: UnitArrays, finest: str, layer: str, mask: int) -> dict[str, np.ndarray]:
    """The numerators of one layer (``mask``: its base layers' bits)."""
    n = a.n_units
    m = np.uint64(mask)
    share, raster_population = a.covered(int(mask))
    out = {covered_column("area", layer): a.area_km2 * share}
    population = np.zeros(n)
    if a.population_mode == "raster":
        population = raster_population
    elif a.population_mode == "units" and a.population is not None:
        population = np.asarray(a.population, dtype=float) * share
    if a.village_unit is not None and a.village_bits is not None:
        hit = (a.village_bits & m) != 0
        out[covered_column("villages", layer)] = _per_unit(a, hit)
        if a.population_mode == "villages":
            population = _per_unit(a, _village_people(a) * hit)
    else:
        out[covered_column("villages", layer)] = np.zeros(n)
    out[covered_column("population", layer)] = population
    out[units_with_column(finest, layer)] = ((a.unit_bits & m) != 0).astype(np.int64)
    if a.station_unit is not None and a.station_bits is not None:
        sel = (a.station_bits & m) != 0
        inside = a.station_unit >= 0
        out[stations_column(layer)] = np.bincount(a.station_unit[inside & sel], minlength=n)
        outside = np.zeros(n, dtype=np.int64)
        if n:
            outside[0] = int((~inside & sel).sum())  # summed to the total row only
        out[stations_column(layer, outside=True)] = outside
    else:
        out[stations_column(layer)] = np.zeros(n, dtype=np.int64)
        out[stations_column(layer, outside=True)] = np.zeros(n, dtype=np.int64)
    return out


def finest_table(
    ids: pd.DataFrame, arrays: UnitArrays, finest: str, masks: Mapping[str, int]
) -> pd.DataFrame:
    """One row per finest unit: identifiers, denominators and numerators (no percentages).

    Parameters
    ----------
    ids : DataFrame
        ``<level>_code`` / ``<level>_name`` of every level (coarse → fine), one row per
        finest unit, in the order of the arrays.
    arrays : UnitArrays
    finest : str
        The finest level (names ``<finest>s``, ``<finest>s_with_<T>``).
    masks : mapping
        Reported layer -> bit mask of the base layers it counts (0 when none).
    """
    data = _denominators(ids, arrays, finest)
    for layer, mask in masks.items():
        data.update(_numerators(arrays, finest, layer, mask))
    return pd.DataFrame(data)


def rollup(
    base: pd.DataFrame,
    levels: Sequence[str],
    finest: str,
    level: str,
    *,
    by: tuple[str, ...] = (),
) -> pd.DataFrame:
    """Sum numerators and denominators of ``base`` (a :func:`finest_table`) to ``level``
    and compute percentages from the sums.

    ``levels`` are the unit levels coarse → fine (``TOTAL`` may follow); ``level`` is one
    of them or ``TOTAL`` (the whole study area); ``by`` are further grouping columns
    (``("operator",)``). A fiber count is unknown (NaN) only when every child's is.
    """
    levels = tuple(lv for lv in levels if lv != TOTAL)
    if level == TOTAL:
        keys: list[str] = []
        ids = pd.DataFrame({"level": [TOTAL], "name": ["Study area"]})
    else:
        pos = levels.index(level)
        keys = [c for lv in levels[: pos + 1] for c in (code_column(lv), name_column(lv))]
        ids = None
    numeric = [
        c
        for c in base.columns
        if c not in keys
        and not c.endswith(("_code", "_name"))
        and c not in (POPULATION_SOURCE, *by)
    ]
    group = [*keys, *by]
    if group:
        out = base.groupby(group, sort=False, dropna=False)[numeric].sum(min_count=1)
        out = out.reset_index()
        code = code_column(level)
        if level != TOTAL and not by and out[code].duplicated().any():
            raise SchemaError(  # a parent's code must carry one name
                f"level {level!r}: a code has more than one name or parent: "
                f"{sorted(set(out.loc[out[code].duplicated(), code]))[:10]}"
            )
    else:
        out = base[numeric].sum(min_count=1).to_frame().T.astype(float)
    if ids is not None:
        out = pd.concat(
            [
                ids.loc[ids.index.repeat(len(out))].reset_index(drop=True),
                out.reset_index(drop=True),
            ],
            axis=1,
        )
    out[POPULATION_SOURCE] = base[POPULATION_SOURCE].iloc[0] if len(base) else "none"
    add_percentages(out)
    ordered = [c for c in group if c in out] + (["level", "name"] if level == TOTAL else [])
    rest = [c for c in metric_columns(finest) if c in out.columns]
    extra = [c for c in out.columns if c not in ordered and c not in rest]
    out = out[ordered + rest + extra]
    if level != TOTAL:
        outside = [stations_column(t, outside=True) for t in LAYERS]
        out = out.drop(columns=[c for c in outside if c in out.columns])
    counts = [
        c
        for c in out.columns
        if c in (DENOMINATORS["villages"], VILLAGES_FIBER)
        or c.startswith(("villages_covered_", "stations_", units_column(finest)))
    ]
    for c in counts:
        out[c] = pd.to_numeric(out[c]).round().astype("Int64")
    return out.reset_index(drop=True)


def add_percentages(table: pd.DataFrame) -> None:
    """Add (in place) every ``<measure>_pct_<T>`` and ``villages_fiber_pct`` (0-100, NaN
    when the denominator is 0) from the table's numerators and denominators."""

    def pct(num, den):
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(den > 0, 100.0 * num / np.where(den > 0, den, 1), np.nan)

    for layer in LAYERS:
        for measure in MEASURES:
            num = covered_column(measure, layer)
            if num in table.columns:
                table[pct_column(measure, layer)] = pct(
                    table[num].to_numpy(float), table[DENOMINATORS[measure]].to_numpy(float)
                )
    table[f"{VILLAGES_FIBER}_pct"] = pct(
        table[VILLAGES_FIBER].to_numpy(float),
        table[DENOMINATORS["villages"]].to_numpy(float),
    )
