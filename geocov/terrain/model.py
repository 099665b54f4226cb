"""Terrain as an option of the coverage engine: what :func:`geocov.coverage` calls.

Three steps, each on arrays of the working CRS (no data frames beyond the stations'
antenna heights and the villages' names):

1. :func:`station_terrain`: the DEM read over the study area plus the largest radius, the
   antenna heights, and each station's mask (:func:`~geocov.terrain.viewsheds` in mode
   ``"los"``, :func:`~geocov.terrain.signal_masks` in mode ``"pathloss"``), handed to
   the grid engine (``grid_coverage(station_masks=...)``);
2. :func:`village_terrain`: the villages in a station's disc or wedge (the disc model's
   pairs) tested exactly at the village point (:func:`~geocov.terrain.line_of_sight`,
   or :func:`~geocov.terrain.path_loss` against the technology's link budget), which also
   gives the ridge that blocks each pair;
3. :func:`shadowed_villages`: the villages whose best technology the terrain lowers, with
   the stations that the terrain blocks and the blocking ridge of the nearest.

:func:`geocov.terrain.compare.terrain_comparison` then sets a disc-model result beside a
terrain-model one.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..errors import CRSError, DataQualityWarning, Listing, SchemaError, Words, hint
from . import (
    DEFAULT_ANTENNA_HEIGHT_M,
    DEFAULT_RX_HEIGHT_M,
    DEM,
    StationMasks,
    antenna_heights_m,
    line_of_sight,
    path_loss,
    radio_arrays,
    read_dem,
    signal_masks,
    viewsheds,
)

__all__ = [
    "TERRAIN_MODES",
    "StationTerrain",
    "station_terrain",
    "VillageTerrain",
    "village_terrain",
    "shadowed_villages",
    "check_dem",
]

#: Terrain modes of :func:`geocov.coverage`: line of sight, or path loss against a
#: received-power threshold per technology.
TERRAIN_MODES = ("los", "pathloss")
TerrainMode = Literal["los", "pathloss"]


# =========================================================================== stations
@dataclass(frozen=True)
class StationTerrain:
    """The terrain model of one coverage run.

    Attributes
    ----------
    dem : DEM
        The elevation model as read (working CRS).
    mode : {"los", "pathloss"}
    heights_m : float array
        Antenna height above ground of each station (m).
    masks : StationMasks
        What each station reaches, one entry per station in the order given (stations off
        the DEM reach nothing).
    off_dem : int
        Stations that stand off the DEM (they reach nothing).
    description : str
        The model in words, for the model note.
    words : Words or None
        The same as catalogue words, for the model note in the reader's language.
    """

    dem: DEM
    mode: str
    heights_m: np.ndarray
    masks: StationMasks
    off_dem: int
    description: str
    words: Words | None = None

    def info(self) -> dict[str, Any]:
        """Figures for ``metadata["terrain"]`` (plain numbers and text)."""
        return {
            "mode": self.mode,
            "dem": self.dem.source,
            "dem_cell_m": round(float(self.dem.cell_size_m[0]), 1),
            "dem_cells": int(self.dem.elevation.size),
            "dem_cells_without_data": int(self.dem.nodata_cells),
            "sites": int(self.masks.n_sites - (self.off_dem > 0)),
            "sites_computed": int(self.masks.sites_computed),
            "sites_cached": int(self.masks.sites_cached),
            "stations_off_dem": int(self.off_dem),
        }


def check_mode(mode: Any) -> str:
    """``mode`` if it is one of :data:`TERRAIN_MODES`, else a SchemaError listing them."""
    if mode not in TERRAIN_MODES:
        raise SchemaError(f"terrain_mode must be one of {list(TERRAIN_MODES)}; got {mode!r}. "
                          + hint("Pass terrain_mode='los'", "Pass --terrain-mode los"))
    return str(mode)


def station_terrain(
    terrain: str | Path | DEM,
    *,
    stations: pd.DataFrame,
    xy: np.ndarray,
    radius_m: np.ndarray,
    azimuth_deg: np.ndarray,
    beamwidth_deg: np.ndarray,
    wcrs: Any,
    area_bounds: tuple[float, float, float, float],
    area_geoms: Any = None,
    mode: TerrainMode = "los",
    antenna_height_m: float = DEFAULT_ANTENNA_HEIGHT_M,
    dem_resolution_m: float | None = None,
    margin_m: float = 0.0,
    workers: int | None = None,
) -> StationTerrain:
    """The DEM, the antenna heights and each station's terrain mask.

    Parameters
    ----------
    terrain : path or DEM
        A DEM file (any CRS; read over ``area_bounds`` buffered by the largest radius and
        ``margin_m``, in ``wcrs``) or a :class:`DEM` already in ``wcrs``.
    stations : DataFrame
        The stations (an ``antenna_height_m`` column where known; ``technology`` in mode
        ``"pathloss"``), in the order of ``xy``.
    xy, radius_m, azimuth_deg, beamwidth_deg : arrays
        Per station, in ``wcrs`` (metres); NaN azimuth or beamwidth: a disc.
    wcrs : CRS-like
        The metric working CRS.
    area_bounds : (minx, miny, maxx, maxy)
        The study area's bounds in ``wcrs``.
    area_geoms : array of geometries, optional
        The study area's units in ``wcrs``: those that run past the DEM file are named in
        a warning (the terrain there is filled, not measured).
    mode : {"los", "pathloss"}
    antenna_height_m : float
        Antenna height where the stations give none.
    dem_resolution_m : float, optional
        DEM cell size (default the file's own).
    margin_m : float
        Extra margin around the area (e.g. how far villages may lie outside it).
    workers : int, optional
        Threads for the masks.

    Returns
    -------
    StationTerrain

    Warns
    -----
    DataQualityWarning
        When units of the study area run past the DEM file, or a given DEM does not cover
        the study area, or stations that reach into the area stand off the DEM.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from affine import Affine
    >>> dem = DEM.from_array(np.zeros((40, 40)), Affine(100, 0, 0, 0, -100, 4000),
    ...                      "EPSG:32648")
    >>> st = station_terrain(dem, stations=pd.DataFrame({"antenna_height_m": [40.0]}),
    ...                      xy=np.array([[2000.0, 2000.0]]), radius_m=np.array([1000.0]),
    ...                      azimuth_deg=np.array([np.nan]), beamwidth_deg=np.array([np.nan]),
    ...                      wcrs="EPSG:32648", area_bounds=(500, 500, 3500, 3500))
    >>> st.heights_m.tolist(), st.masks.reaches([0, 0], [(2500, 2000), (3500, 2000)]).tolist()
    ([40.0], [True, False])
    """
    from pyproj import CRS

    mode_ = check_mode(mode)
    heights = antenna_heights_m(stations, default_m=antenna_height_m)
    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    radius = np.asarray(radius_m, dtype=np.float64)
    wcrs = CRS.from_user_input(wcrs)
    minx, miny, maxx, maxy = (float(v) for v in area_bounds)
    pad = (float(radius.max()) if len(radius) else 0.0) + float(margin_m)
    problems: list[Words] = []
    if isinstance(terrain, DEM):
        dem = terrain
        if not dem.crs.equals(wcrs):
            raise CRSError(
                f"the DEM is in {dem.crs.name} but coverage works in {wcrs.name}; read it "
                f"with geocov.terrain.read_dem(path, bounds=..., crs={wcrs.to_string()!r}) "
                f"or pass its path")
        b = dem.bounds
        if b[0] > minx or b[1] > miny or b[2] < maxx or b[3] < maxy:
            problems.append(Words("warning.dem_short", {
                "source": dem.source, "x0": b[0], "y0": b[1], "x1": b[2], "y1": b[3],
                "minx": minx, "miny": miny, "maxx": maxx, "maxy": maxy}))
    else:
        path = Path(terrain)
        dem = read_dem(path, bounds=(minx - pad, miny - pad, maxx + pad, maxy + pad),
                       crs=wcrs, resolution_m=dem_resolution_m)
        if dem.outside_cells and area_geoms is not None:
            problems.extend(_past_the_file(path, wcrs, area_geoms))
    inside = _on_dem(dem, xy)
    reach_in = _reaches_box(xy, radius, (minx, miny, maxx, maxy))
    off = ~inside & reach_in
    if off.any():
        problems.append(Words("warning.stations_off_dem", {"n": int(off.sum())}))
    idx = np.flatnonzero(inside)
    common: dict[str, Any] = {"azimuth_deg": np.asarray(azimuth_deg, float)[idx],
              "beamwidth_deg": np.asarray(beamwidth_deg, float)[idx],
              "rx_height_m": DEFAULT_RX_HEIGHT_M, "workers": workers}
    if mode_ == "los":
        masks = viewsheds(dem, xy[idx], heights[idx], radius[idx], **common)
    else:
        tech = stations["technology"].to_numpy(dtype=object)[idx]
        radio: dict[str, Any] = dict(radio_arrays(tech))
        masks = signal_masks(dem, xy[idx], heights[idx], radius[idx], **common, **radio)
    masks = _all_stations(masks, idx, xy, radius, azimuth_deg, beamwidth_deg)
    if problems:
        warnings.warn(DataQualityWarning.of("terrain", source=dem.source,
                                            problems=Listing(problems, "; ")), stacklevel=3)
    given = int(np.isfinite(pd.to_numeric(stations["antenna_height_m"], errors="coerce")
                            .to_numpy(dtype=float, na_value=np.nan)).sum()
                ) if "antenna_height_m" in stations.columns else 0
    height_words = (Words("model.heights_given", {"given": given, "n": len(xy),
                                                  "height_m": float(antenna_height_m)})
                    if given else Words("model.heights_default",
                                        {"height_m": float(antenna_height_m)}))
    nodata = dem.nodata_words or dem.nodata_note  # a DEM made elsewhere: its own note
    words = Words("model.terrain", {
        "mode": Words(f"model.terrain_mode_{mode_}"),
        "masks": masks.words or masks.description, "heights": height_words,
        "nodata": Words("model.terrain_nodata", {"note": nodata}) if dem.nodata_note else "",
        "off": Words("model.terrain_off", {"n": int(off.sum())}) if off.any() else ""})
    return StationTerrain(dem=dem, mode=mode_, heights_m=heights, masks=masks,
                          off_dem=int((~inside).sum()), description=words.text("en"),
                          words=words)


def _on_dem(dem: DEM, xy: np.ndarray) -> np.ndarray:
    minx, miny, maxx, maxy = dem.bounds
    return ((xy[:, 0] >= minx) & (xy[:, 0] <= maxx) & (xy[:, 1] >= miny)
            & (xy[:, 1] <= maxy)) if len(xy) else np.zeros(0, bool)


def _reaches_box(xy: np.ndarray, radius: np.ndarray, box: tuple[float, ...]) -> np.ndarray:
    """Whether each station's disc reaches the box."""
    if not len(xy):
        return np.zeros(0, bool)
    dx = np.maximum(np.maximum(box[0] - xy[:, 0], xy[:, 0] - box[2]), 0.0)
    dy = np.maximum(np.maximum(box[1] - xy[:, 1], xy[:, 1] - box[3]), 0.0)
    return dx * dx + dy * dy <= radius * radius


def check_dem(path: str | Path, units: Any, *, max_cells: int = 1_000_000) -> list[str]:
    """What a DEM file lacks for a study area, in words (empty: nothing): ``geocov validate``.

    Reads the file's header and one decimated window over ``units`` (at most ``max_cells``
    cells): the units that run past the file's extent (named), and the share of the area
    without data (voids, sea, nodata: :func:`~geocov.terrain.read_dem` fills them, so the
    coverage there is not measured).

    Parameters
    ----------
    path : str or Path
        The DEM file.
    units : GeoDataFrame
        The study area's units, any CRS (``geocov.read_units``' frame: named by its finest
        level when it has ``<level>_name``/``<level>_code`` columns).
    max_cells : int
        Cells of the decimated window read for the void share.

    Returns
    -------
    list of str

    Raises
    ------
    DataSourceError
        When the file cannot be opened as a raster, or has no CRS.

    Examples
    --------
    >>> import geocov, geopandas as gpd
    >>> paths = geocov.sample_paths()
    >>> check_dem(paths["terrain"], gpd.read_file(paths["units"], layer="communes"))
    []
    """
    import rasterio
    import shapely
    from rasterio.enums import Resampling
    from rasterio.features import geometry_mask
    from rasterio.windows import from_bounds

    from ..errors import DataSourceError

    path = Path(path)
    try:
        src = rasterio.open(path)
    except (rasterio.errors.RasterioIOError, OSError) as exc:
        raise DataSourceError(f"{path}: cannot be read as an elevation model ({exc}); give a "
                              f"GeoTIFF (SRTM, Copernicus GLO-30...)") from exc
    with src:
        if src.crs is None:
            raise DataSourceError(f"{path}: the elevation model has no CRS; set one (e.g. "
                                  f"gdal_edit.py -a_srs EPSG:4326 {path.name})")
        area = units.to_crs(src.crs)
        geoms = area.geometry.to_numpy()
        out = [w.text("en") for w in _past_the_file(path, src.crs, geoms,
                                                    names=_unit_names(units))]
        minx, miny, maxx, maxy = shapely.total_bounds(geoms)
        win = from_bounds(minx, miny, maxx, maxy, src.transform).round_offsets().round_lengths()
        h, w = max(int(win.height), 1), max(int(win.width), 1)
        step = max(1.0, float(np.sqrt(h * w / max_cells)))
        shape = (max(1, int(h / step)), max(1, int(w / step)))
        z = src.read(1, window=win, out_shape=shape, boundless=True, masked=True,
                     resampling=Resampling.nearest)
        t = src.window_transform(win) * rasterio.Affine.scale(w / shape[1], h / shape[0])
    void = np.ma.getmaskarray(z) | ~np.isfinite(np.ma.getdata(z))
    if src.nodata is None and np.ma.getdata(z).dtype == np.int16:
        void |= np.ma.getdata(z) == -32768  # SRTM voids without a nodata tag
    inside = geometry_mask(geoms, out_shape=shape, transform=t,
                                             invert=True, all_touched=False)
    if inside.any() and (void & inside).any():
        share = float((void & inside).sum() / inside.sum())
        out.append(f"{share:.1%} of the study area has no elevation data in {path.name} "
                   f"(voids, sea or nodata): geocov fills it, so coverage there is not "
                   f"measured. Fill the voids (e.g. a void-filled SRTM or Copernicus GLO-30)")
    return out


def _unit_names(units: Any) -> list[str] | None:
    """``name (code)`` of each unit of a read_units frame's finest level (None: unnamed)."""
    from ..boundaries import unit_levels

    try:
        finest = unit_levels(units)[-1]
    except Exception:  # noqa: BLE001 - not a read_units frame: positions instead
        return None
    name, code = units.get(f"{finest}_name"), units.get(f"{finest}_code")
    if name is None:
        return None
    text = name.astype(str)
    if code is not None:
        text = text + " (" + code.astype(str) + ")"
    return text.tolist()


def _past_the_file(path: Path, wcrs: Any, area_geoms: Any,
                   names: list[str] | None = None) -> list[Words]:
    """The units that run past the DEM file's extent, in words (empty: none)."""
    import rasterio
    import shapely
    from rasterio.warp import transform_geom

    try:
        with rasterio.open(path) as src:
            b, src_crs = src.bounds, src.crs
        ring = shapely.segmentize(shapely.box(*b), max(b.right - b.left, b.top - b.bottom) / 64)
        extent = shapely.geometry.shape(transform_geom(src_crs, wcrs,
                                                       shapely.geometry.mapping(ring)))
    except Exception:  # noqa: BLE001 - no extent: nothing to say beyond the note
        return []
    geoms = np.asarray(area_geoms, dtype=object)
    outside = ~shapely.covered_by(geoms, extent) & ~shapely.is_empty(geoms)
    if not outside.any():
        return []
    share = float(shapely.area(shapely.difference(geoms[outside], extent)).sum()
                  / max(shapely.area(geoms).sum(), 1e-9))
    items = np.flatnonzero(outside)
    which = (Words("warning.dem_positions", {"positions": str(items[:20].tolist())})
             if names is None else ", ".join(names[i] for i in items[:20]))
    return [Words("warning.past_the_file", {
        "n": len(items), "which": which, "cut": " ..." if len(items) > 20 else "",
        "pct": 100 * share, "file": path.name})]


def _all_stations(masks: StationMasks, idx: np.ndarray, xy: np.ndarray, radius: Any,
                  azimuth_deg: Any, beamwidth_deg: Any) -> StationMasks:
    """``masks`` of the stations ``idx`` extended to every station: the others share one
    empty site (they reach nothing)."""
    n = len(xy)
    if len(idx) == n:
        return masks
    empty = masks.n_sites
    site = np.full(n, empty, dtype=np.int64)
    site[idx] = masks.site
    one = np.zeros(1, np.int64)
    return replace(
        masks, site=site, centres_xy=np.ascontiguousarray(xy, dtype=np.float64),
        radius_m=np.asarray(radius, np.float64),
        azimuth_deg=np.asarray(azimuth_deg, np.float64),
        beamwidth_deg=np.asarray(beamwidth_deg, np.float64),
        row0=np.concatenate([masks.row0, one]), col0=np.concatenate([masks.col0, one]),
        nrows=np.concatenate([masks.nrows, one]), ncols=np.concatenate([masks.ncols, one]),
        clipped=np.concatenate([masks.clipped, np.zeros(1, bool)]),
        offset=np.concatenate([masks.offset, masks.offset[-1:]]))


# =========================================================================== villages
@dataclass(frozen=True)
class VillageTerrain:
    """The villages against the stations, disc model and terrain model.

    Attributes
    ----------
    bits, disc_bits : uint64 arrays, one per village
        Base-layer bits of the stations that serve the village with terrain, and of
        those whose disc or wedge holds it.
    village, station : int64 arrays
        The disc model's (village, station) pairs.
    served : bool array
        Whether the terrain lets each pair through (line of sight, or enough signal).
    distance_m, ridge_distance_m, ridge_height_m, ridge_elevation_m : float arrays
        Per pair: the distance, and the controlling point of its profile
        (:class:`~geocov.terrain.LineOfSight`): for a blocked path, the ridge that blocks
        it, its distance from the station, its height above the direct ray (positive:
        it blocks) and its elevation.
    margin_db : float array
        Per pair in mode ``"pathloss"``: the link budget left (``EIRP - loss -
        threshold``, dB; negative: not served); NaN in mode ``"los"``.
    """

    bits: np.ndarray
    disc_bits: np.ndarray
    village: np.ndarray
    station: np.ndarray
    served: np.ndarray
    distance_m: np.ndarray
    ridge_distance_m: np.ndarray
    ridge_height_m: np.ndarray
    ridge_elevation_m: np.ndarray
    margin_db: np.ndarray


def village_terrain(
    terrain: StationTerrain,
    points_xy: np.ndarray,
    *,
    stations: pd.DataFrame,
    xy: np.ndarray,
    radius_m: np.ndarray,
    azimuth_deg: np.ndarray,
    beamwidth_deg: np.ndarray,
    station_bits: np.ndarray,
) -> VillageTerrain:
    """The villages each station serves with terrain, tested exactly at the village.

    The disc model's pairs (:func:`geocov.stations.covering_pairs`), each then tested
    over the DEM from the antenna to a handset 1.5 m above the village: line of sight in
    mode ``"los"``; in mode ``"pathloss"``, free space plus Deygout diffraction
    (:func:`~geocov.terrain.path_loss`) against the technology's link budget
    (:data:`~geocov.terrain.RADIO_MODELS`). A pair with an end off the DEM is not served.

    Examples
    --------
    A 150 m wall between a 30 m mast and the second of two villages on flat ground:

    >>> import numpy as np, pandas as pd
    >>> from affine import Affine
    >>> z = np.zeros((10, 100)); z[:, 60] = 150.0
    >>> dem = DEM.from_array(z, Affine(50, 0, 0, 0, -50, 500), "EPSG:32648")
    >>> kw = dict(stations=pd.DataFrame({"technology": ["4G"]}), xy=np.array([[525.0, 250]]),
    ...           radius_m=np.array([4000.0]), azimuth_deg=np.array([np.nan]),
    ...           beamwidth_deg=np.array([np.nan]))
    >>> st = station_terrain(dem, wcrs="EPSG:32648", area_bounds=dem.bounds, **kw)
    >>> v = village_terrain(st, np.array([[2025.0, 250], [4025.0, 250]]),
    ...                     station_bits=np.array([1], np.uint64), **kw)
    >>> v.disc_bits.tolist(), v.bits.tolist(), v.ridge_distance_m.round().tolist()
    ([1, 1], [1, 0], [1475.0, 2500.0])
    """
    from ..stations import covering_pairs

    pts = np.asarray(points_xy, dtype=np.float64).reshape(-1, 2)
    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    n = len(pts)
    if n and len(xy):
        pi, si = covering_pairs(pts, xy, np.asarray(radius_m, float),
                                np.asarray(azimuth_deg, float), np.asarray(beamwidth_deg, float))
    else:
        pi = si = np.zeros(0, np.int64)
    m = len(pi)
    dist = np.hypot(pts[pi, 0] - xy[si, 0], pts[pi, 1] - xy[si, 1]) if m else np.zeros(0)
    ridge_d, ridge_h, ridge_z = (np.full(m, np.nan) for _ in range(3))
    margin = np.full(m, np.nan)
    served = np.zeros(m, dtype=bool)
    dem = terrain.dem
    ok = np.flatnonzero(_on_dem(dem, xy[si]) & _on_dem(dem, pts[pi])) if m else np.zeros(0, int)
    if len(ok):
        h = terrain.heights_m[si[ok]]
        los = line_of_sight(dem, xy[si[ok]], h, pts[pi[ok]], DEFAULT_RX_HEIGHT_M)
        ridge_d[ok] = los.obstacle_distance_m
        ridge_h[ok] = los.obstacle_height_m
        ridge_z[ok] = los.obstacle_elevation_m
        if terrain.mode == "los":
            served[ok] = los.visible
        else:
            radio = radio_arrays(stations["technology"].to_numpy(dtype=object)[si[ok]])
            loss = path_loss(dem, xy[si[ok]], h, pts[pi[ok]], DEFAULT_RX_HEIGHT_M,
                             frequency_mhz=radio["frequency_mhz"]).loss_db
            margin[ok] = radio["eirp_dbm"] - loss - radio["threshold_dbm"]
            served[ok] = margin[ok] >= 0
    sb = np.asarray(station_bits, dtype=np.uint64)
    disc_bits = np.zeros(n, np.uint64)
    bits = np.zeros(n, np.uint64)
    if m:
        np.bitwise_or.at(disc_bits, pi, sb[si])
        np.bitwise_or.at(bits, pi[served], sb[si[served]])
    return VillageTerrain(bits=bits, disc_bits=disc_bits, village=pi, station=si,
                          served=served, distance_m=dist, ridge_distance_m=ridge_d,
                          ridge_height_m=ridge_h, ridge_elevation_m=ridge_z, margin_db=margin)


# =========================================================================== shadowed
#: Columns of :func:`shadowed_villages` after the villages' unit codes and names.
SHADOWED_COLUMNS = ("village_code", "village_name", "population", "disc_technology",
                    "terrain_technology", "stations_blocked", "station_id", "operator",
                    "distance_m", "ridge_distance_m", "ridge_height_m", "ridge_elevation_m",
                    "margin_db")


def shadowed_villages(
    vt: VillageTerrain,
    villages: pd.DataFrame,
    *,
    station_ids: Any,
    station_technology: Any,
    station_operator: Any,
    unit_ids: pd.DataFrame | None = None,
    village_unit: Any = None,
    crs: Any = None,
) -> pd.DataFrame:
    """The villages whose best technology the terrain lowers ("shadowed villages").

    A village is shadowed when the disc model gives it a better technology than the
    terrain does (it may keep a lesser one: ``terrain_technology``, ``"none"`` when no
    station reaches it). For each: the stations of its disc-model technology that the
    terrain blocks (``stations_blocked``, nearest first, ``;``-separated) and, for the
    nearest (``station_id``, ``operator``), its distance and the controlling point of the
    profile: the blocking ridge's distance from the station, its height above the direct
    ray (m; positive: it blocks) and its elevation; ``margin_db`` the link budget left
    in mode ``"pathloss"`` (NaN in mode ``"los"``).

    Parameters
    ----------
    vt : VillageTerrain
    villages : DataFrame
        ``village_code``, ``village_name``, ``population`` (and a geometry, kept when
        ``crs`` is given), in the order of ``vt``'s villages.
    station_ids, station_technology, station_operator : arrays
        Per station (the order of ``vt``'s stations).
    unit_ids : DataFrame, optional
        The units' code and name columns (one row per finest unit), and
    village_unit : array, optional
        the unit row of each village (NaN: none): the village's unit codes and names go
        first.
    crs : CRS-like, optional
        CRS of ``villages``' geometry: the result is then a GeoDataFrame in EPSG:4326.

    Returns
    -------
    DataFrame
        One row per shadowed village (largest population first, then code), columns the
        unit ids then :data:`SHADOWED_COLUMNS` (and ``geometry``).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> vt = VillageTerrain(
    ...     bits=np.array([1, 0], np.uint64), disc_bits=np.array([1, 1], np.uint64),
    ...     village=np.array([0, 1]), station=np.array([0, 0]), served=np.array([True, False]),
    ...     distance_m=np.array([1500.0, 3500.0]), ridge_distance_m=np.array([900.0, 2500.0]),
    ...     ridge_height_m=np.array([-40.0, 112.0]), ridge_elevation_m=np.array([80.0, 150.0]),
    ...     margin_db=np.full(2, np.nan))
    >>> v = pd.DataFrame({"village_code": ["V1", "V2"], "village_name": ["Bản A", "Bản B"],
    ...                   "population": [300, 120]})
    >>> t = shadowed_villages(vt, v, station_ids=["S1"], station_technology=["4G"],
    ...                       station_operator=["Viettel"])
    >>> t[["village_code", "disc_technology", "terrain_technology", "station_id",
    ...    "ridge_distance_m", "ridge_height_m"]].values.tolist()
    [['V2', '4G', 'none', 'S1', 2500.0, 112.0]]
    """
    from ..vocabulary import NO_SIGNAL, TECHNOLOGIES

    tech = np.asarray(station_technology, dtype=object)
    rank = pd.Series(tech).map({t: i + 1 for i, t in enumerate(TECHNOLOGIES)}) \
        .fillna(0).to_numpy(np.int64)
    n = len(villages)
    best_disc = np.zeros(n, np.int64)
    best = np.zeros(n, np.int64)
    pr = rank[vt.station] if len(vt.station) else np.zeros(0, np.int64)
    np.maximum.at(best_disc, vt.village, pr)
    np.maximum.at(best, vt.village[vt.served], pr[vt.served])
    shadow = best < best_disc
    # the blocked pairs of each shadowed village's disc-model technology, nearest first
    sel = np.flatnonzero(shadow[vt.village] & ~vt.served & (pr == best_disc[vt.village]))
    pairs = pd.DataFrame({"v": vt.village[sel], "s": vt.station[sel],
                          "d": vt.distance_m[sel], "p": sel}).sort_values(
        ["v", "d", "s"], kind="stable")
    ids = np.asarray(station_ids, dtype=object).astype(str)
    listed = pd.Series(ids[pairs["s"].to_numpy()], index=pairs.index).groupby(
        pairs["v"].to_numpy(), sort=True).agg(";".join)
    first = pairs.drop_duplicates("v").set_index("v")
    vi = first.index.to_numpy(np.int64)
    p = first["p"].to_numpy(np.int64)
    names = np.array([NO_SIGNAL, *TECHNOLOGIES], dtype=object)
    ops = np.asarray(station_operator, dtype=object)
    out = pd.DataFrame({
        "village_code": villages["village_code"].to_numpy(dtype=object)[vi],
        "village_name": villages["village_name"].to_numpy(dtype=object)[vi],
        "population": pd.to_numeric(villages["population"], errors="coerce")
        .to_numpy(dtype=float, na_value=np.nan)[vi],
        "disc_technology": names[best_disc[vi]],
        "terrain_technology": names[best[vi]],
        "stations_blocked": listed.reindex(vi).to_numpy(dtype=object),
        "station_id": ids[first["s"].to_numpy(np.int64)],
        "operator": ops[first["s"].to_numpy(np.int64)],
        "distance_m": vt.distance_m[p],
        "ridge_distance_m": vt.ridge_distance_m[p],
        "ridge_height_m": vt.ridge_height_m[p],
        "ridge_elevation_m": vt.ridge_elevation_m[p],
        "margin_db": vt.margin_db[p],
    })
    if unit_ids is not None and village_unit is not None:
        u = np.asarray(village_unit, dtype=float)[vi]
        has = np.isfinite(u)
        front = {}
        for c in unit_ids.columns:  # a few code and name columns
            col = np.full(len(vi), None, dtype=object)
            col[has] = unit_ids[c].to_numpy(dtype=object)[u[has].astype(np.int64)]
            front[c] = col
        out = pd.concat([pd.DataFrame(front), out], axis=1)
    order = np.lexsort((out["village_code"].astype(str).to_numpy(),
                        -np.nan_to_num(out["population"].to_numpy(float), nan=-1.0)))
    out = out.iloc[order].reset_index(drop=True)
    if crs is not None and "geometry" in villages.columns:
        import geopandas as gpd

        geom = gpd.GeoSeries(np.asarray(villages.geometry.values, dtype=object)[vi][order],
                             crs=crs).to_crs(4326)
        return gpd.GeoDataFrame(out, geometry=geom.values, crs=4326)
    return out

