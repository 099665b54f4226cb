"""Coverage metrics per admin unit, rolled up through the hierarchy.

The model (first version)
-------------------------
* A station's footprint is a disc of its own ``range_m`` if given, else the default
  radius of its technology (:data:`geocov.stations.DEFAULT_RADIUS_M`, overridable per
  call and per technology), or a sector wedge when azimuth and beamwidth are given.
  Footprints are built in one metric working CRS (:func:`geocov.crs.working_crs`).
* A village point is covered by technology T when it lies inside a T footprint
  (exact distance test); a village polygon when its representative point does.
* A unit *has* T when any part of it lies within a T footprint (exact test).
* Covered area and covered population are computed on a grid by :mod:`geocov.engine`:
  a cell is covered by T when its centre lies inside a T footprint (an exact disc or
  wedge, measured in metres of the working CRS); a cell wholly inside a unit belongs to
  it, and a cell that unit boundaries cross is shared between them by the exact share of
  its area inside each (the coverage fraction exactextract computes), so every unit,
  however small, gets its exact population and its share of cells. With a population
  raster the grid is that raster's own grid, refined by an integer factor until cells are
  no larger than ``resolution_m`` (each population pixel is split evenly between its
  sub-cells, so no resampling changes the population); without one it is a
  ``resolution_m`` grid in the working CRS. ``area_km2`` is each unit's area on the
  ellipsoid (its area in the working CRS divided by the CRS's areal scale at its centre;
  an equal-area CRS for units over 50 km across); ``covered_area_km2`` is that area times
  the covered share of the unit's cells. ``bench/`` measures how far this departs from an
  exact vector computation. The grid is streamed in strips of rows, so memory does not
  grow with the raster; ``workers`` threads (or a Dask cluster, ``client=``) share them.
* Technologies are reported exactly (``2g`` .. ``5g``), as "T or better" (``3g_plus``,
  ``4g_plus``) and as any signal (``any``); per operator in :meth:`CoverageResult.operator_table`.
* Parents are computed from sums of their children's numerators and denominators; every
  percentage is recomputed from those sums (ratios of sums, never averages of percentages).
* Terrain (``terrain=`` a DEM; the disc model above is the default without one): a
  footprint reaches only what the terrain lets through (:mod:`geocov.terrain`): line of
  sight from the antenna (``antenna_height_m`` per station, else 30 m) to a handset
  1.5 m above the ground, with earth curvature and 4/3 refraction; or, with
  ``terrain_mode="pathloss"``, free space plus Deygout diffraction against each
  technology's link budget. Grid cells take the station's viewshed (or signal mask) at
  their centre, villages are tested exactly at their point, and a unit has a technology
  where a reached cell or a served village lies in it. The villages the disc model counts
  and the terrain blocks are :attr:`CoverageResult.shadowed`.

The numeric core works on integer unit indices, bit masks and NumPy arrays: each cell or
village carries a bit per (technology, operator) *base layer*, and every reported layer
(technology sets x operator sets) is a mask tested against the distinct
(unit, bit-pattern) groups, so the large arrays are passed over once.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import crs as _crs
from . import locale as _locale
from . import rollup
from .errors import (
    CRSError,
    DataQualityWarning,
    DataSourceError,
    Listing,
    SchemaError,
    Words,
    hint,
    more_words,
)
from .io import RejectsReport
from .vocabulary import (
    NO_SIGNAL,
    TECH_LAYER,
    TECH_LAYERS,
    TECHNOLOGIES,
    is_sector,
    unit_levels,
)

__all__ = ["coverage", "CoverageResult", "TECH_LAYERS", "TECHNOLOGIES"]

log = logging.getLogger(__name__)



# --------------------------------------------------------------------------- result
@dataclass
class CoverageResult:
    """Coverage tables for every level of a hierarchy, with the inputs as used.

    Build it with :func:`coverage`. Tables are plain (Geo)DataFrames: ``table(level)``
    has one row per unit of ``level`` (``"total"`` is the whole study area).
    """

    levels: tuple[str, ...]
    finest: str
    layers: tuple[str, ...]
    operators: tuple[str, ...]
    base: pd.DataFrame
    base_operator: pd.DataFrame
    units: gpd.GeoDataFrame
    villages: gpd.GeoDataFrame | None
    stations: gpd.GeoDataFrame | None
    fiber: gpd.GeoDataFrame | None
    metadata: dict[str, Any]
    timings: dict[str, float]
    rejects: RejectsReport | None = None
    #: With ``terrain=``: the villages whose best technology the terrain lowers, with the
    #: stations it blocks and the blocking ridge (:func:`geocov.terrain.model.shadowed_villages`).
    shadowed: gpd.GeoDataFrame | None = None
    #: The settings of the :func:`coverage` call that a recomputation with the same model
    #: needs (population, crs, resolution_m, village_tolerance_m, workers, scheduler,
    #: client, terrain: the DEM as read in the working CRS, terrain_mode,
    #: antenna_height_m); :func:`geocov.plan.plan` recomputes with them.
    settings: dict[str, Any] = field(default_factory=dict, repr=False)
    _cache: dict[tuple[str, str], pd.DataFrame] = field(default_factory=dict, repr=False)

    # ---- tables
    @property
    def count_column(self) -> str:
        """Name of the column counting finest units (e.g. ``"communes"``)."""
        return f"{self.finest}s"

    def _check_level(self, level: str) -> None:
        if level not in self.levels:
            raise SchemaError(f"unknown level {level!r}; valid levels are {list(self.levels)}")

    def table(self, level: str) -> gpd.GeoDataFrame:
        """One row per unit of ``level``: numerators, denominators and percentages.

        Geometry (EPSG:4326) is the dissolved geometry of the level's units.

        Examples
        --------
        >>> import geopandas as gpd, pandas as pd
        >>> from shapely import box
        >>> units = gpd.GeoDataFrame({"province_code": ["1", "1"], "province_name": ["P", "P"],
        ...     "commune_code": ["a", "b"], "commune_name": ["A", "B"]},
        ...     geometry=[box(5e5, 2.4e6, 501e3, 2401e3), box(501e3, 2.4e6, 502e3, 2401e3)],
        ...     crs=32648)  # two 1 km squares near the zone's central meridian
        >>> units.attrs["geocov_levels"] = ("province", "commune")
        >>> st = pd.DataFrame({"station_id": ["s"], "technology": ["4G"], "operator": ["X"],
        ...     "range_m": [300.0], "azimuth_deg": [float("nan")], "beamwidth_deg": [float("nan")]})
        >>> st = gpd.GeoDataFrame(st, geometry=gpd.points_from_xy([500500], [2400500]), crs=32648)
        >>> r = coverage(units, stations=st, resolution_m=10)
        >>> t = r.table("province")
        >>> round(float(t["area_km2"].iloc[0]), 2), int(t["communes"].iloc[0])
        (2.0, 2)
        >>> int(t["communes_with_4g"].iloc[0]), int(t["communes_with_3g"].iloc[0])
        (1, 0)
        >>> abs(float(t["area_pct_4g"].iloc[0]) - 100 * 3.14159 * 0.3**2 / 2) < 0.1  # 14.14 %
        True
        """
        self._check_level(level)
        key = (level, "units")
        if key not in self._cache:
            table = rollup.rollup(self.base, self.levels, self.finest, level)
            self._cache[key] = self._with_geometry(level, table)
        return self._cache[key].copy()

    def operator_table(self, level: str) -> pd.DataFrame:
        """The same metrics per (unit of ``level``, operator), in long form (no geometry)."""
        self._check_level(level)
        key = (level, "operator")
        if key not in self._cache:
            self._cache[key] = rollup.rollup(
                self.base_operator, self.levels, self.finest, level, by=("operator",)
            )
        return self._cache[key].copy()

    def _with_geometry(self, level: str, table: pd.DataFrame) -> gpd.GeoDataFrame:
        geom = self.units.geometry.to_crs(4326)
        if level == "total":
            g = [shapely.union_all(geom.values)]
        elif level == self.finest:
            g = geom.values
        else:
            code = f"{level}_code"
            frame = gpd.GeoDataFrame(
                {code: self.units[code].values}, geometry=geom.values, crs=4326
            )
            try:
                dissolved = frame.dissolve(code, method="coverage")
                bad = ~dissolved.geometry.is_valid
                if bad.any():
                    dissolved = frame.dissolve(code)
            except Exception:  # noqa: BLE001 - invalid coverages fall back to unary union
                dissolved = frame.dissolve(code)
            g = dissolved.geometry.reindex(table[code].values).values
        return gpd.GeoDataFrame(table, geometry=list(g), crs=4326)

    # ---- summary
    def summary(self, lang: str = "en") -> str:
        """A plain-language paragraph for the whole study area, in ``lang`` ("en", "vi").

        Of the form "Signal in 152/152 communes; 4G in 1,542/1,569 villages (98.3%); fiber to
        1,024/1,569 villages (65.3%)", followed by population and station figures when known;
        in Vietnamese "Có sóng di động ở 152/152 xã; 4G phủ 1.542/1.569 thôn (98,3%); ...",
        with the words of the catalogue (:mod:`geocov.locale`) and the numbers as the
        language writes them.
        """
        from .vocabulary import label, level_label

        t = self.table("total").iloc[0]
        n = self.count_column
        units = level_label(self.finest, plural=True, lang=lang).lower()

        def num(value: Any, digits: int = 0) -> str:
            return _fmt_num(value, lang, digits)

        def say(key: str, **fields: Any) -> str:
            return label(f"summary.{key}", lang, **fields)

        parts = [say("signal", n=num(t[f"{n}_with_signal"]), total=num(t[n]), units=units)]
        if t["villages"] > 0:
            parts.append(say("villages_4g", n=num(t["villages_covered_4g"]),
                             total=num(t["villages"]), pct=_fmt_pct(t["villages_pct_4g"], lang)))
            if not pd.isna(t["villages_fiber"]):
                parts.append(say("villages_fiber", n=num(t["villages_fiber"]),
                                 total=num(t["villages"]),
                                 pct=_fmt_pct(t["villages_fiber_pct"], lang)))
        if not pd.isna(t[f"{n}_with_fiber"]):
            parts.append(say("units_fiber", n=num(t[f"{n}_with_fiber"]), total=num(t[n]),
                             units=units))
        if t["population"] > 0:
            parts.append(say("population_4g", pct=_fmt_pct(t["population_pct_4g"], lang),
                             people=num(t["population"]), source=t["population_source"]))
        parts.append(say("area_4g", pct=_fmt_pct(t["area_pct_4g"], lang),
                         area=num(t["area_km2"], 1)))
        stations = [
            f"{num(t[f'stations_{k}'])} {k.upper()}"
            for k in TECH_LAYER.values()
            if t[f"stations_{k}"] > 0
        ]
        if stations:
            total = int(sum(t[f"stations_{k}"] for k in TECH_LAYER.values()))
            outside = int(t["stations_outside_any"])
            excluded = int(self.metadata.get("stations_excluded") or 0)
            not_counted = self.metadata.get("technologies_not_counted") or {}
            parts.append(
                say("stations", total=num(total), list=", ".join(stations))
                + (say("stations_outside", n=num(outside)) if outside else "")
                + (say("stations_excluded", n=num(excluded)) if excluded else "")
                + (
                    say("not_counted", list=", ".join(
                        f"{num(c)} {tech}" for tech, c in sorted(not_counted.items())))
                    if not_counted
                    else ""
                )
            )
        return "; ".join(parts) + "."

    # ---- writing
    def write(
        self,
        folder: str | Path,
        *,
        levels: Sequence[str] | None = None,
        formats: Sequence[str] = ("csv", "gpkg", "xlsx"),
        stem: str = "coverage",
    ) -> list[Path]:
        """Write every output as ``geocov run`` does, all or nothing.

        CSV ``<stem>_<level>.csv`` (0-100 percentages, UTF-8 with BOM), a GeoPackage
        ``<stem>.gpkg`` (a layer per level) and the report workbook ``<stem>.xlsx``
        (summary sheet, a formatted sheet per level and per level by operator); see
        :func:`geocov.report.write_result`.  Returns the paths written.
        """
        from .report import write_result

        written = write_result(self, folder, levels=levels, formats=formats, stem=stem,
                               manifest=None)
        return list(written.tables)

    def reaggregate(self, new_units: gpd.GeoDataFrame,
                    how: Literal["area", "population", "villages"] = "area",
                    crosswalk: pd.DataFrame | None = None, **options: Any) -> CoverageResult:
        """This result moved onto other units (e.g. the 2025 communes).

        Numerators and denominators move by the crosswalk's shares and percentages are
        recomputed; see :func:`geocov.crosswalk.reaggregate` (which says when computing
        afresh on the new units is the better answer).
        """
        from .crosswalk import reaggregate

        return reaggregate(self, new_units, how=how, crosswalk=crosswalk, **options)


def _fmt_pct(value: float, lang: str = "en") -> str:
    """A 0-100 percentage as ``lang`` writes it ("65.3%", "65,3%"; "n/a" when missing)."""
    return _locale.percent(value, lang, digits=1)


def _fmt_num(value: float, lang: str = "en", digits: int = 0) -> str:
    """A number as ``lang`` writes it ("1,569" / "1.569")."""
    return _locale.number(value, lang, digits=digits)


# --------------------------------------------------------------------------- public entry
def coverage(
    units: gpd.GeoDataFrame,
    *,
    villages: gpd.GeoDataFrame | None = None,
    stations: gpd.GeoDataFrame | None = None,
    fiber: gpd.GeoDataFrame | None = None,
    population: str | Path | None = None,
    radius_m: float | Mapping[str, float] | None = None,
    crs: Any = None,
    resolution_m: float = 100.0,
    statuses: Sequence[str] | None = None,
    village_tolerance_m: float = 500.0,
    rejects: RejectsReport | None = None,
    title: str | None = None,
    data_date: str | None = None,
    workers: int | None = None,
    scheduler: Literal["threads", "dask"] | None = None,
    client: Any = None,
    terrain: Any = None,
    terrain_mode: Literal["los", "pathloss"] = "los",
    antenna_height_m: float = 30.0,
    dem_resolution_m: float | None = None,
    units_vintage: str | None = None,
) -> CoverageResult:
    """Compute coverage of every unit at every level of the hierarchy.

    Parameters
    ----------
    units : GeoDataFrame
        Admin units of the finest level, as returned by :func:`geocov.read_units`
        (``<level>_code``/``<level>_name`` columns, ``attrs["geocov_levels"]``).
    villages, stations, fiber : GeoDataFrame, optional
        As returned by :func:`geocov.read_villages`, :func:`geocov.read_stations` and
        :func:`geocov.read_fiber`. Villages without a unit code are placed spatially.
        Stations outside the study area still cover what their footprints reach inside
        it; they are counted as outside (``stations_outside_<T>`` on the total row).
        Those more than ``FAR_STATION_KM`` (50 km) from every unit are also named in a
        :class:`~geocov.errors.DataQualityWarning` (up to 20, farthest first).
    population : path, "villages", "units" or None
        A population raster (GeoTIFF, any CRS, people per pixel); or ``"villages"`` /
        ``"units"`` to use the ``population`` column of the villages / the units; or None
        to use villages' population if they have any, else the units' column, else none.
        Each table says which one it used in ``population_source``.
    radius_m : float or mapping, optional
        Footprint radius (m) for stations without ``range_m``: one value, or a mapping per
        technology merged over :data:`geocov.stations.DEFAULT_RADIUS_M`.
    crs : optional
        Metric working CRS for footprints and distances (default: UTM zone of the data).
    resolution_m : float, default 100
        Largest grid cell size (m) for covered area and population.
    statuses : sequence of str, optional
        Use only stations whose ``status`` is one of these (case-insensitive); stations
        with another status are excluded and counted in ``metadata["stations_excluded"]``.
    village_tolerance_m : float, default 500
        How far (metres) a village's point may lie outside the commune its code names
        and still be counted in it (boundaries are generalised); farther is an error, or
        a reject in lenient mode (see :func:`geocov.villages.link_villages`).
    rejects : RejectsReport, optional
        Lenient mode: villages that cannot be placed, fiber codes that match nothing and
        fiber rows naming a rejected village go to this report instead of raising.
    title, data_date : str, optional
        Carried into ``metadata`` (maps and reports show them).
    workers : int, optional
        Threads to work with (default: the machine's CPUs, at most
        ``MAX_DEFAULT_WORKERS``): the grid's tiles run in ``workers - 1`` background
        threads while this one places villages and stations (with 1, one after the
        other). The figures do not depend on it.
    scheduler : {"threads", "dask"}, optional
        Where the grid's tiles run: local threads (the default without ``client``), or a
        Dask cluster (``client``, else the current ``dask.distributed`` client).
    client : dask.distributed.Client, optional
        Run the grid's tiles on this Dask cluster (implies ``scheduler="dask"``); the
        population raster's path must be readable by its workers. Same tables as threads.
    terrain : path or geocov.terrain.DEM, optional
        A digital elevation model (GeoTIFF in any CRS: SRTM, Copernicus GLO-30...; read over
        the study area plus the largest radius, in the working CRS; or a DEM already read
        in it): the footprints reach only what the terrain lets through (see the module
        docstring), and ``shadowed`` lists the villages it blocks. None: the disc model.
    terrain_mode : {"los", "pathloss"}, default "los"
        Line of sight, or path loss (free space + Deygout knife-edge diffraction) against
        each technology's link budget (:data:`geocov.terrain.RADIO_MODELS`).
    antenna_height_m : float, default 30
        Antenna height above ground where a station has no ``antenna_height_m``.
    dem_resolution_m : float, optional
        Cell size of the DEM as read (default the file's own).
    units_vintage : str, optional
        Which set of units these are ("2025", "2025-07-01", "before 2025 reform", any
        text; see :func:`geocov.boundaries.units_vintage`); default: the one
        :func:`geocov.read_units` was given or detected, else unknown. The model note,
        ``metadata["units_vintage"]`` (None: unknown), the reports' titles and maps state it.

    Returns
    -------
    CoverageResult

    Raises
    ------
    CRSError
        If an input has no CRS (a fiber list of codes needs none).
    SchemaError
        If ``units`` is not a normalised units frame, or an option is out of range.
    """
    timer = _Timer()
    # ---- checks
    levels, finest = _basic_checks(units, villages, stations, fiber, resolution_m)
    engine_options = _engine_options(workers, scheduler, client)
    raster = _population_raster(population)
    wcrs = _crs.working_crs(units, crs)

    # ---- prepare: units and stations in the working CRS (what the grid needs)
    units = units.reset_index(drop=True)
    units_w = units.geometry.to_crs(wcrs)  # the one reprojection of the units
    area_km2 = _areas_km2(units, units_w, wcrs)
    st = _prepare_stations(stations, radius_m=radius_m, statuses=statuses, wcrs=wcrs)
    timer.lap("prepare units and stations")
    from .terrain.model import check_mode, station_terrain

    check_mode(terrain_mode)
    tm = None
    if terrain is not None:  # each station's viewshed (or signal mask) over the DEM
        tm = station_terrain(
            terrain, stations=st.frame, xy=st.xy, radius_m=st.radius_m,
            azimuth_deg=st.azimuth_deg, beamwidth_deg=st.beamwidth_deg, wcrs=wcrs,
            area_bounds=tuple(units_w.total_bounds), area_geoms=units_w.values,
            mode=terrain_mode, antenna_height_m=antenna_height_m,
            dem_resolution_m=dem_resolution_m, margin_m=village_tolerance_m,
            workers=engine_options["workers"],
        )
        timer.lap("terrain")

    # ---- engine: the grid runs in the background while villages and stations are placed
    # and villages covered (GEOS and the engine's kernels release the GIL: both cores work)
    villages_read = villages  # fiber rows naming a village the linking rejects say so
    linked = v_bits = None
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="geocov-grid") as background:
        grid_job = _start_grid(
            background, units, units_w, st, wcrs, resolution_m, raster, engine_options,
            station_masks=tm.masks if tm is not None else None,
        )
        timer.lap("grid coverage")  # setting it up (and running it, with one worker)
        if villages is not None:
            linked = _link_villages(villages, units, finest, wcrs, village_tolerance_m, rejects)
            villages = linked.frame
            timer.lap("link villages")
        st_unit = _station_units(st, units_w, units[f"{finest}_code"].to_numpy(dtype=str))
        _warn_far_stations(st, units_w, st_unit)
        timer.lap("place stations")
        vt = None
        if linked is not None and tm is not None:  # tested over the terrain at the village
            from .terrain.model import village_terrain

            vt = village_terrain(
                tm, linked.xy, stations=st.frame, xy=st.xy, radius_m=st.radius_m,
                azimuth_deg=st.azimuth_deg, beamwidth_deg=st.beamwidth_deg,
                station_bits=st.bits,
            )
            v_bits = vt.bits
            timer.lap("village coverage")
        elif linked is not None:
            v_bits = _point_bits(linked.xy, st)
            timer.lap("village coverage")
        grid = grid_job.result()
        timer.lap("grid coverage")  # and waiting for what the background has not done yet
    pop_mode, pop_label = _population_mode(population, villages, units)
    if tm is None:
        u_bits = _unit_bits(units_w, st, grid.sums.unit_bits)
    else:  # with terrain: the units where a reached cell or a served village lies
        u_bits = np.asarray(grid.sums.unit_bits, dtype=np.uint64).copy()
        if linked is not None and v_bits is not None:
            placed = np.isfinite(linked.unit)
            np.bitwise_or.at(u_bits, linked.unit[placed].astype(np.int64), v_bits[placed])
    timer.lap("unit signal")
    v_fiber = u_fiber = None
    if fiber is not None:
        v_fiber, u_fiber = _fiber(fiber, villages, units, wcrs, villages_read, rejects)
        timer.lap("fiber reach")

    # ---- result: tables per operator set, the layers as used, metadata
    arrays = rollup.UnitArrays(
        area_km2=area_km2,
        covered=grid.covered,
        unit_bits=u_bits,
        population_mode=pop_mode,
        population_label=pop_label,
        population=(
            grid.sums.unit_population if pop_mode == "raster"
            else units["population"].to_numpy(float) if pop_mode == "units" else None
        ),
        village_unit=linked.unit if linked is not None else None,
        village_bits=v_bits,
        village_population=(
            villages["population"].to_numpy(float) if villages is not None else None
        ),
        village_fiber=v_fiber,
        unit_fiber=u_fiber,
        station_unit=st_unit,
        station_bits=st.bits,
    )
    ids = units[[c for lv in levels for c in (f"{lv}_code", f"{lv}_name")]]
    base = rollup.finest_table(ids, arrays, finest, _layer_masks(st))
    base_op = (
        pd.concat(
            [
                rollup.finest_table(ids, arrays, finest, _layer_masks(st, op)).assign(operator=op)
                for op in st.operators
            ],
            ignore_index=True,
        )
        if st.operators
        else base.iloc[:0].assign(operator=pd.Series(dtype=str))
    )
    timer.lap("metrics")
    metadata = _metadata(
        title, data_date, units, villages, stations, fiber, population, st, grid, wcrs,
        pop_mode, pop_label, resolution_m,
    )
    from .boundaries import units_vintage_metadata

    vintage = units_vintage_metadata(units, units_vintage)  # "Units: communes after..."
    model_parts = [*metadata["words"]["model"].items, vintage.pop("units_vintage_note_words")]
    metadata.update(vintage)
    shadowed = None
    if tm is not None:
        from .terrain.model import shadowed_villages

        if vt is not None and linked is not None and villages is not None:
            shadowed = shadowed_villages(
                vt, villages, station_ids=st.frame["station_id"],
                station_technology=st.frame["technology"], station_operator=st.frame["operator"],
                unit_ids=ids, village_unit=linked.unit, crs=villages.crs,
            )
        model_parts.append(tm.words if tm.words is not None else tm.description)
        metadata["terrain"] = {**tm.info(), "description": tm.description,
                               "shadowed_villages": len(shadowed) if shadowed is not None else 0}
    metadata["words"]["model"] = Listing(model_parts, " ")
    metadata["model"] = metadata["words"]["model"].text("en")
    result = CoverageResult(
        levels=(*levels, "total"),
        finest=finest,
        layers=tuple(TECH_LAYERS),
        operators=st.operators,
        base=base,
        base_operator=base_op,
        units=units,
        villages=_villages_out(villages, v_bits, v_fiber, st) if villages is not None else None,
        stations=_stations_out(st, st_unit) if stations is not None else None,
        fiber=_fiber_out(fiber) if fiber is not None else None,
        metadata=metadata,
        timings=timer.laps,
        rejects=rejects,
        shadowed=shadowed,
        settings={
            "population": population, "crs": wcrs, "resolution_m": float(resolution_m),
            "village_tolerance_m": float(village_tolerance_m), "workers": workers,
            "scheduler": scheduler, "client": client,
            "terrain": tm.dem if tm is not None else None, "terrain_mode": terrain_mode,
            "antenna_height_m": float(antenna_height_m),
        },
    )
    timer.lap("assemble")
    return result


# --------------------------------------------------------------------------- prepare
@dataclass(frozen=True)
class _Linked:
    """Villages linked to their finest unit, with their points in the working CRS."""

    frame: gpd.GeoDataFrame
    unit: np.ndarray  # unit index per village (float, NaN: none)
    xy: np.ndarray  # (n, 2) representative points


def _link_villages(villages, units, finest, wcrs, tolerance_m, rejects) -> _Linked:
    from .villages import link_villages

    linked = link_villages(
        villages, units, tolerance_m=tolerance_m, rejects=rejects
    ).reset_index(drop=True)
    code_to_idx = pd.Series(np.arange(len(units)), index=units[f"{finest}_code"].values)
    unit = code_to_idx.reindex(linked["unit_code"].values).to_numpy(dtype=float)
    return _Linked(linked, unit, _representative_xy(linked.geometry.to_crs(wcrs).values))


def _fiber(fiber, villages, units, wcrs, villages_read, rejects):
    """(villages with fiber or None, units with fiber) as bool arrays."""
    from .fiber import fiber_reach

    vf, uf = fiber_reach(
        fiber,
        villages=villages if villages is not None else _no_villages(units),
        units=units,
        crs=wcrs,
        villages_read=villages_read,
        rejects=rejects,
    )
    return (vf.to_numpy(dtype=bool) if villages is not None else None), uf.to_numpy(dtype=bool)


# --------------------------------------------------------------------------- result
def _layer_masks(st: _Stations, operator: str | None = None) -> dict[str, int]:
    """Reported layer -> bit mask of the base layers it counts (of ``operator`` only)."""
    ops = np.ones(len(st.layer_names), dtype=bool)
    if operator is not None:
        ops = st.layer_operator == operator
    return {name: int(_layer_mask(st, techs, ops)) for name, techs in TECH_LAYERS.items()}


def _villages_out(villages, v_bits, v_fiber, st: _Stations) -> gpd.GeoDataFrame:
    """The villages as used (EPSG:4326) with their best technology and fiber."""
    everyone = np.ones(len(st.layer_names), dtype=bool)
    best = np.full(len(villages), NO_SIGNAL, dtype=object)
    for tech in TECHNOLOGIES:  # ascending, so the best one wins
        best[(v_bits & _layer_mask(st, (tech,), everyone)) != 0] = tech
    return gpd.GeoDataFrame(
        {
            "village_code": villages["village_code"].values,
            "village_name": villages["village_name"].values,
            "unit_code": villages["unit_code"].values,
            "population": villages["population"].values,
            "best_technology": best,
            "fiber": v_fiber if v_fiber is not None else np.zeros(len(villages), dtype=bool),
        },
        geometry=villages.geometry.to_crs(4326).values,
        crs=4326,
    )


def _stations_out(st: _Stations, st_unit: np.ndarray) -> gpd.GeoDataFrame:
    """The stations as used (EPSG:4326), and whether each lies inside the study area."""
    return gpd.GeoDataFrame(
        {
            "station_id": st.frame["station_id"].values,
            "technology": st.frame["technology"].values,
            "operator": st.frame["operator"].values,
            "range_m": st.radius_m,
            # the wedge as used, so that geocov.priorities tests exactly these footprints
            "azimuth_deg": st.azimuth_deg,
            "beamwidth_deg": st.beamwidth_deg,
            # NaN: the default antenna height (geocov.terrain.antenna_heights_m)
            "antenna_height_m": (
                pd.to_numeric(st.frame["antenna_height_m"], errors="coerce").to_numpy(float)
                if "antenna_height_m" in st.frame.columns
                else np.full(len(st.frame), np.nan)
            ),
            "inside": st_unit >= 0,
        },
        geometry=st.frame.geometry.to_crs(4326).values,
        crs=4326,
    )


def _fiber_out(fiber: gpd.GeoDataFrame) -> gpd.GeoDataFrame | None:
    """Nodes and routes that carry fiber (EPSG:4326); a code list has none (no geometry,
    no CRS), and then no fiber layer at all, so that distances to fiber are not taken as
    infinite."""
    is_geo = fiber["kind"].isin(["node", "route"]).to_numpy()
    if not is_geo.any():
        return None
    connected = (
        fiber["connected"].fillna(False).to_numpy(dtype=bool)
        if "connected" in fiber.columns
        else np.ones(len(fiber), dtype=bool)
    )
    geo = fiber[is_geo & connected]
    return gpd.GeoDataFrame(
        {"kind": geo["kind"].values},
        geometry=geo.geometry.to_crs(4326).values if len(geo) else [],
        crs=4326,
    )


def _metadata(
    title, data_date, units, villages, stations, fiber, population, st, grid, wcrs,
    pop_mode, pop_label, resolution_m,
) -> dict[str, Any]:
    attrs = stations.attrs if stations is not None else {}
    pop_words = _population_words(pop_mode, pop_label)
    model = _model_words(st, grid, pop_words, wcrs, attrs)
    missing = (
        int(villages["population"].isna().sum())
        if pop_mode == "villages" and villages is not None
        else 0
    )
    return {
        "title": title or "Coverage",
        "data_date": data_date or "",
        "sources": sorted(
            {str(f) for f in _sources(units, villages, stations, fiber)}
            | ({Path(str(population)).name} if pop_mode == "raster" else set())
        ),
        "model": model.text("en"),
        "working_crs": wcrs.to_string(),
        "grid": grid.description,
        "population_source": pop_label,
        "stations_excluded": st.excluded,
        "technologies_not_counted": dict(attrs.get("technologies_not_counted") or {}),
        "villages_missing_population": missing,
        # the words of the texts above, for the reader's language (geocov.report.model_note)
        "words": {"model": model, "grid": grid.words, "population_source": pop_words},
    }


# --------------------------------------------------------------------------- checks
def _basic_checks(units, villages, stations, fiber, resolution_m) -> tuple[tuple[str, ...], str]:
    if not isinstance(units, gpd.GeoDataFrame):
        raise SchemaError("units must be a GeoDataFrame as returned by geocov.read_units(...)")
    levels = tuple(unit_levels(units))
    _crs.require_crs(units, what="units")
    for name, frame in (("villages", villages), ("stations", stations), ("fiber", fiber)):
        if frame is not None:
            if not isinstance(frame, gpd.GeoDataFrame):
                raise SchemaError(
                    f"{name} must be a GeoDataFrame as returned by geocov.read_{name}(...)"
                )
            if name != "fiber" or frame["kind"].isin(["node", "route"]).any():
                _crs.require_crs(frame, what=name)  # a fiber code list needs no CRS
    if not (resolution_m > 0 and math.isfinite(resolution_m)):
        raise SchemaError(f"resolution_m must be a positive number of metres, got {resolution_m!r}")
    finest = levels[-1]
    if units[f"{finest}_code"].duplicated().any():
        dup = units.loc[units[f"{finest}_code"].duplicated(keep=False), f"{finest}_code"]
        raise SchemaError(
            f"units: {finest} codes are not unique: {sorted(set(dup))[:20]}. "
            f"Give a unique code column (codes={{'{finest}': ...}}) to read_units"
        )
    return levels, finest


#: Threads for the grid's tiles when ``workers`` is not given (at most this many CPUs:
#: each thread holds a tile of about 40 MB).
MAX_DEFAULT_WORKERS = 8
SCHEDULERS = ("threads", "dask")


def _engine_options(workers, scheduler, client) -> dict[str, Any]:
    """``workers`` and ``client`` for :func:`geocov.engine.grid_coverage`, checked."""
    import os

    if scheduler is not None and scheduler not in SCHEDULERS:
        raise SchemaError(f"scheduler must be one of {list(SCHEDULERS)}; got {scheduler!r}")
    if client is not None and scheduler == "threads":
        raise SchemaError(
            "scheduler='threads' but a Dask client is given; drop one of them "
            "(a client runs the grid on its cluster)"
        )
    if workers is None:
        workers = max(1, min(os.cpu_count() or 1, MAX_DEFAULT_WORKERS))
    elif isinstance(workers, bool) or not isinstance(workers, int | np.integer) or workers < 1:
        raise SchemaError(
            f"workers must be a whole number of threads, at least 1; got {workers!r}. "
            + hint("Pass workers=2", "Pass --workers 2")
        )
    if scheduler == "dask" and client is None:
        try:
            from distributed import get_client
        except ImportError as exc:
            raise SchemaError(
                "scheduler='dask' needs dask.distributed: pip install 'geocov[dask]'"
            ) from exc
        try:
            client = get_client()
        except ValueError as exc:
            raise SchemaError(
                "scheduler='dask' but no Dask client is running; start one "
                "(dask.distributed.Client(...)) or pass client="
            ) from exc
    return {"workers": int(workers), "client": client}


def _population_mode(population, villages, units) -> tuple[str, str]:
    if population is None:
        if villages is not None and villages["population"].notna().any():
            return "villages", "villages:population"
        if "population" in units.columns and units["population"].notna().any():
            return "units", "units:population (covered share by area)"
        return "none", "none"
    if isinstance(population, str) and population in ("villages", "units"):
        frame = villages if population == "villages" else units
        if frame is None or "population" not in frame.columns:
            raise SchemaError(
                f"population={population!r} but the {population} have no "
                f"'population' column; read them with a population column or "
                f"pass a raster path"
            )
        if population == "villages":
            return "villages", "villages:population"
        return "units", "units:population (covered share by area)"
    path = _population_raster(population)
    assert path is not None
    return "raster", f"raster:{path.name}"


def _population_raster(population) -> Path | None:
    """The population raster's path (checked to exist), or None when there is none."""
    if population is None or (isinstance(population, str) and population in ("villages", "units")):
        return None
    path = Path(population)
    if not path.exists():
        raise DataSourceError(
            f"{path}: population raster not found. Pass the path to a GeoTIFF "
            f"of people per pixel, or population='villages'/'units'"
        )
    return path


def _sources(*frames) -> set[str]:
    out: set[str] = set()
    for f in frames:
        if f is not None and "source_file" in f.columns:
            out |= set(pd.unique(f["source_file"].dropna()))
    return out


def _no_villages(units: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"village_code": pd.Series(dtype=str), "unit_code": pd.Series(dtype=str)},
        geometry=gpd.GeoSeries([], crs=units.crs),
        crs=units.crs,
    )


class _Timer:
    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._t = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = self.laps.get(name, 0.0) + now - self._t
        self._t = now
        log.info("%s: %.2f s", name, now - self._t + self.laps[name])


# --------------------------------------------------------------------------- stations
@dataclass
class _Stations:
    frame: gpd.GeoDataFrame
    xy: np.ndarray  # (n, 2) working CRS
    points: np.ndarray  # the same as shapely points
    radius_m: np.ndarray
    azimuth_deg: np.ndarray
    beamwidth_deg: np.ndarray
    layer: np.ndarray  # base layer index per station
    layer_names: list[tuple[str, str]]  # (technology, operator)
    layer_tech: np.ndarray
    layer_operator: np.ndarray
    operators: tuple[str, ...]
    excluded: int
    wcrs: Any

    @property
    def bits(self) -> np.ndarray:
        return np.left_shift(np.uint64(1), self.layer.astype(np.uint64))

    def footprints(self, rows: np.ndarray) -> np.ndarray:
        """Footprint polygons (discs or sector wedges) of stations ``rows``, in the working
        CRS (the exact "unit has T" test of sectors; the grid burns exact discs and wedges
        itself)."""
        from .stations import station_footprints

        # a fresh index: station_footprints aligns its geometries to the frame's index
        frame = self.frame.iloc[rows].reset_index(drop=True).assign(range_m=self.radius_m[rows])
        return station_footprints(frame, crs=self.wcrs).geometry.values


def _prepare_stations(stations, *, radius_m, statuses, wcrs) -> _Stations:
    excluded = 0
    if stations is None:
        stations = gpd.GeoDataFrame(
            {
                "station_id": pd.Series(dtype=str),
                "technology": pd.Series(dtype=str),
                "operator": pd.Series(dtype=str),
                "range_m": pd.Series(dtype=float),
                "azimuth_deg": pd.Series(dtype=float),
                "beamwidth_deg": pd.Series(dtype=float),
            },
            geometry=gpd.GeoSeries([], crs=wcrs),
            crs=wcrs,
        )
    missing = {"station_id", "technology", "operator"} - set(stations.columns)
    if missing:
        raise SchemaError(
            f"stations lack column(s) {sorted(missing)}; read them with geocov.read_stations(...)"
        )
    bad_tech = ~stations["technology"].isin(TECHNOLOGIES)
    if bad_tech.any():
        raise SchemaError(
            f"stations: technology must be one of {list(TECHNOLOGIES)}; got "
            f"{sorted(set(stations.loc[bad_tech, 'technology'].astype(str)))[:10]}. "
            f"Read them with geocov.read_stations(...), which normalises spellings"
        )
    if statuses is not None and "status" in stations.columns:
        wanted = {str(s).strip().lower() for s in statuses}
        keep = (
            stations["status"].astype("string").str.strip().str.lower().isin(wanted).fillna(False)
        )
        excluded = int((~keep).sum())
        stations = stations[keep.to_numpy(dtype=bool)]
    stations = stations.reset_index(drop=True)
    from .stations import station_radius_m

    radius = np.asarray(station_radius_m(stations, radius_m=radius_m), dtype=float)
    pts = stations.geometry.to_crs(wcrs).values
    xy = np.column_stack([shapely.get_x(pts), shapely.get_y(pts)]) if len(pts) else np.zeros((0, 2))
    combos = stations[["technology", "operator"]].astype(str)
    distinct = combos.drop_duplicates().itertuples(index=False, name=None)  # a few dozen
    pairs = sorted(distinct, key=lambda p: (TECHNOLOGIES.index(p[0]), p[1]))
    if len(pairs) > 64:
        raise SchemaError(
            f"stations: {len(pairs)} (technology, operator) combinations; at most 64 are "
            f"supported. "
            f"Map rare operators to one name (e.g. 'other') before calling coverage"
        )
    layer = (
        pd.MultiIndex.from_tuples(pairs, names=["technology", "operator"])
        .get_indexer(pd.MultiIndex.from_frame(combos))
        .astype(np.int64)
        if len(combos)
        else np.zeros(0, dtype=np.int64)
    )
    az = (
        stations["azimuth_deg"].to_numpy(float)
        if "azimuth_deg" in stations
        else np.full(len(stations), np.nan)
    )
    bw = (
        stations["beamwidth_deg"].to_numpy(float)
        if "beamwidth_deg" in stations
        else np.full(len(stations), np.nan)
    )
    return _Stations(
        frame=stations,
        xy=xy,
        points=pts,
        radius_m=radius,
        azimuth_deg=az,
        beamwidth_deg=bw,
        layer=layer,
        layer_names=pairs,
        layer_tech=np.array([p[0] for p in pairs], dtype=object),
        layer_operator=np.array([p[1] for p in pairs], dtype=object),
        operators=tuple(sorted({p[1] for p in pairs})),
        excluded=excluded,
        wcrs=wcrs,
    )


def _layer_mask(st: _Stations, techs: Sequence[str], op_mask: np.ndarray) -> np.uint64:
    sel = np.isin(st.layer_tech, list(techs)) & op_mask
    return np.uint64(
        np.bitwise_or.reduce(
            np.left_shift(np.uint64(1), np.flatnonzero(sel).astype(np.uint64)), initial=np.uint64(0)
        )
    )


def _areas_km2(units: gpd.GeoDataFrame, units_w: gpd.GeoSeries, wcrs) -> np.ndarray:
    """Area of each unit (km²) on the ellipsoid: its area in the working CRS divided by the
    CRS's areal scale at its centre (within 1e-5 for units under ``AREA_SCALE_MAX_KM``
    across); units larger than that are measured in an equal-area CRS instead."""
    from pyproj import Proj

    area = shapely.area(units_w.values) / 1e6
    b = units_w.bounds.to_numpy()
    large = np.nanmax(b[:, 2:] - b[:, :2], axis=1, initial=0.0) > AREA_SCALE_MAX_KM * 1e3
    small = ~large & (area > 0)
    if small.any():
        c = shapely.centroid(units_w.values[small])
        proj = Proj(wcrs)
        lon, lat = proj(shapely.get_x(c), shapely.get_y(c), inverse=True)
        area[small] /= np.asarray(proj.get_factors(lon, lat).areal_scale)
    if large.any():
        ea = units.geometry[large].to_crs(_crs.equal_area_crs(units))
        area[large] = ea.area.to_numpy() / 1e6
    return area


#: Units wider or higher than this (km) take their area from an equal-area CRS; below it
#: the working CRS's areal scale at the centre is exact to 1e-5 (its variation across a
#: unit of width w is about w² / 12R²).
AREA_SCALE_MAX_KM = 50.0


def _station_units(st: _Stations, units_w: gpd.GeoSeries, codes: np.ndarray) -> np.ndarray:
    """Index of the unit containing each station (smallest code on a border), -1 outside."""
    from .boundaries import containing_unit

    return containing_unit(st.points, units_w.values, codes)


# Stations further than this from every unit are named in a warning: at that distance
# they are far more often wrong coordinates (lat/lon swapped, a lost minus sign or decimal
# mark, another province's file) than neighbours; they still count as outside.
FAR_STATION_KM = 50.0


def _warn_far_stations(st: _Stations, units_w: gpd.GeoSeries, st_unit: np.ndarray) -> None:
    """Warn naming (up to 20) stations more than FAR_STATION_KM from every unit."""
    out = np.flatnonzero(st_unit < 0)
    if not len(out) or not len(units_w):
        return
    tree = shapely.STRtree(units_w.values)
    (qi, _), dist = tree.query_nearest(shapely.points(st.xy[out]), return_distance=True,
                                       all_matches=False)
    dist_km = np.full(len(out), np.inf)
    dist_km[qi] = dist / 1000.0
    far = np.flatnonzero(dist_km > FAR_STATION_KM)
    if not len(far):
        return
    far = far[np.argsort(-dist_km[far], kind="stable")]
    f = st.frame
    shown = []
    for k in far[:20]:
        i = out[k]
        where = (Words("warning.far_station_where", {"file": str(f["source_file"].iloc[i]),
                                                     "row": str(f["source_row"].iloc[i])})
                 if "source_file" in f.columns and "source_row" in f.columns else "")
        shown.append(Words("warning.far_station", {
            "id": repr(f["station_id"].iloc[i]), "where": where, "km": float(dist_km[k])}))
    import warnings

    warnings.warn(
        DataQualityWarning.of("far_stations", n=len(far), total=len(st.xy),
                              km=FAR_STATION_KM, listed=Listing(shown, "; "),
                              more=more_words(len(far) - 20)),
        stacklevel=3,
    )


def _representative_xy(geoms: np.ndarray) -> np.ndarray:
    """(n, 2) coordinates of points, and of polygons' representative points."""
    geoms = geoms.copy()
    other = shapely.get_type_id(geoms) != 0
    if other.any():
        geoms[other] = shapely.point_on_surface(geoms[other])
    return np.column_stack([shapely.get_x(geoms), shapely.get_y(geoms)]).reshape(-1, 2)


def _point_bits(points_xy: np.ndarray, st: _Stations) -> np.ndarray:
    """Bit mask of base layers covering each point (exact disc / sector test)."""
    bits = np.zeros(len(points_xy), dtype=np.uint64)
    if not len(points_xy) or not len(st.xy):
        return bits
    from .stations import covering_pairs

    pi, si = covering_pairs(points_xy, st.xy, st.radius_m, st.azimuth_deg, st.beamwidth_deg)
    np.bitwise_or.at(bits, pi, st.bits[si])
    return bits


def _unit_bits(units_w: gpd.GeoSeries, st: _Stations, grid_bits: np.ndarray) -> np.ndarray:
    """Bit mask of base layers whose footprint touches each unit (exact test).

    ``grid_bits`` (the grid's per-unit bits) are certain: a cell whose centre lies in the
    unit and in a footprint shows that the footprint touches the unit. The exact vector
    test runs only for the (station, unit) pairs they leave open: units within the
    footprint's bounding box that do not yet have the station's layer (tiny units,
    slivers, footprints reaching in between cell centres).
    """
    bits = np.asarray(grid_bits, dtype=np.uint64).copy()
    if not len(st.xy) or not len(units_w):
        return bits
    x, y, r = st.xy[:, 0], st.xy[:, 1], st.radius_m
    geoms = units_w.values
    si, ui = shapely.STRtree(geoms).query(shapely.box(x - r, y - r, x + r, y + r))
    open_ = (bits[ui] & st.bits[si]) == 0
    si, ui = si[open_], ui[open_]
    # the unit's bounding box within r of the station (a cheap necessary condition)
    b = shapely.bounds(geoms[ui])
    dx = np.maximum(np.maximum(b[:, 0] - x[si], x[si] - b[:, 2]), 0.0)
    dy = np.maximum(np.maximum(b[:, 1] - y[si], y[si] - b[:, 3]), 0.0)
    near = dx * dx + dy * dy <= r[si] ** 2
    si, ui = si[near], ui[near]
    sector = is_sector(st.azimuth_deg, st.beamwidth_deg)[si]
    touch = np.zeros(len(si), dtype=bool)
    if (~sector).any():
        om = ~sector
        touch[om] = shapely.dwithin(shapely.points(st.xy[si[om]]), geoms[ui[om]], r[si[om]])
    if sector.any():
        rows = np.unique(si[sector])
        fp = st.footprints(rows=rows)
        touch[sector] = shapely.intersects(fp[np.searchsorted(rows, si[sector])], geoms[ui[sector]])
    np.bitwise_or.at(bits, ui[touch], st.bits[si[touch]])
    return bits


# --------------------------------------------------------------------------- grid
@dataclass(frozen=True)
class _Grid:
    """The engine's sums per (unit, bit pattern) and the grid in words."""

    sums: Any  # geocov.engine.GroupSums
    description: str
    words: Words | None = None  # the description as catalogue words (model.grid*)

    def covered(self, mask: int) -> tuple[np.ndarray, np.ndarray]:
        """(covered share of each unit's cells, covered population per unit) for ``mask``.

        A unit's cells are fractional where its boundary crosses them (exact area
        weights), so the share divides by the unit's own cell count, never by 1.
        """
        cells, pop = self.sums.covered(int(mask))
        unit_cells = self.sums.unit_cells
        share = np.divide(cells, unit_cells, out=np.zeros(len(cells)), where=unit_cells > 0)
        return share, pop


def _start_grid(
    background: ThreadPoolExecutor, units, units_w, st: _Stations, wcrs, resolution_m: float,
    raster: Path | None, engine_options: Mapping[str, Any], station_masks: Any = None,
) -> Future[_Grid]:
    """Set up the grid (a population raster's own pixels split to ``resolution_m``, else a
    ``resolution_m`` grid in the working CRS) and run the engine on ``background``, its
    tiles in ``workers - 1`` threads (the calling thread being the other one); with one
    worker, run it here and now."""
    from pyproj import CRS

    from .engine import GridSpec, grid_coverage

    if raster is not None:
        import rasterio

        with rasterio.open(raster) as src:
            gcrs = src.crs
        if gcrs is None:
            raise CRSError(
                f"{raster}: the population raster has no CRS; set one (e.g. with "
                f"gdal_edit.py -a_srs EPSG:4326)"
            )
        same = CRS.from_user_input(gcrs) == CRS.from_user_input(wcrs)
        units_g = units_w.values if same else units.geometry.to_crs(gcrs).values
        grid = GridSpec.from_raster(
            raster, shapely.total_bounds(units_g), resolution_m=resolution_m
        )
        if not grid.inside_raster:
            import warnings

            warnings.warn(
                DataQualityWarning.of("raster_partial", file=raster.name), stacklevel=3
            )
        w, h = grid.cell_size_m()
        words = Words("model.grid_raster", {"file": raster.name, "crs": gcrs.to_string(),
                                            "factor": grid.factor, "cell_m": max(w, h)})
    else:
        units_g = units_w.values
        grid = GridSpec.from_bounds(units_w.total_bounds, resolution_m=resolution_m, crs=wcrs)
        words = Words("model.grid", {"m": float(resolution_m), "crs": wcrs.to_string()})

    def run(workers: int) -> _Grid:
        sums = grid_coverage(
            units_g,
            grid=grid,
            population=raster,
            centres_xy=st.xy,
            radius_m=st.radius_m,
            bit_of_station=st.layer,
            azimuth_deg=st.azimuth_deg,
            beamwidth_deg=st.beamwidth_deg,
            stations_crs=wcrs,
            weights="exact",
            workers=workers,
            client=engine_options["client"],
            station_masks=station_masks,
        )
        return _Grid(sums, words.text("en"), words)

    workers = int(engine_options["workers"])
    if engine_options["client"] is None and workers == 1:
        done: Future[_Grid] = Future()
        done.set_result(run(1))
        return done
    return background.submit(run, max(1, workers - 1))


def _model_words(st: _Stations, grid: _Grid, pop_words: Words, wcrs,
                 station_attrs: Mapping[str, Any]) -> Listing:
    """The model note's sentences (before the units' and the terrain's) as catalogue words."""
    from .stations import DEFAULT_RADIUS_M

    defaults = Listing([Words("model.default_radius", {"tech": k, "km": v / 1000})
                        for k, v in DEFAULT_RADIUS_M.items()])
    parts: list[Any] = [Words("model.footprints", {
        "defaults": defaults, "crs": wcrs.name, "grid": grid.words or grid.description,
        "population": pop_words})]
    if station_attrs.get("radius_note"):
        parts.append(Words("model.radii", {"note": _radius_words(station_attrs["radius_note"])}))
    not_counted = station_attrs.get("technologies_not_counted") or {}
    if not_counted:
        listed = Listing([Words("model.cells", {"n": n, "tech": t})
                          for t, n in sorted(not_counted.items())])
        parts.append(Words("model.not_counted", {"listed": listed}))
    return Listing(parts, " ")


def _population_words(pop_mode: str, pop_label: str) -> Words:
    """The population source (``metadata["population_source"]``) as catalogue words."""
    if pop_mode == "raster":
        return Words("model.population_raster", {"file": pop_label.split(":", 1)[1]})
    return Words(f"model.population_{pop_mode}")


def _radius_words(note: str) -> Words | str:
    """Where the stations' radii come from (their ``attrs["radius_note"]``, written by
    :func:`geocov.stations.read_stations`) as catalogue words; a note these words do not
    give back exactly stays as it is."""
    import ast
    import re

    fixed = ("ocid_spread", "ocid", "none", "no_stations")
    candidates = [Words(f"model.radius_{k}") for k in fixed]
    found = re.fullmatch(r"radius from column (.+) \((k?m)\); technology defaults where empty",
                         note)
    if found:
        try:
            column = ast.literal_eval(found.group(1))
        except (ValueError, SyntaxError):
            column = None
        if isinstance(column, str):
            candidates.append(Words(f"model.radius_{found.group(2)}", {"column": column}))
    return next((w for w in candidates if w.text("en") == note), note)
