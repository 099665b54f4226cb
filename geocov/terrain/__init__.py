"""Terrain: line of sight, viewsheds and path loss over a digital elevation model.

The numeric core of terrain-aware coverage (arrays in, arrays out, a metric CRS), shared
by coverage (what the mountains block), the priority list and the plan (microwave
backhaul, shadowed villages).  Compiled kernels (numba, ``nogil``) in
:mod:`geocov.terrain._kernels`.

Model
-----
* **Terrain** (:class:`DEM`): one elevation grid in the metric working CRS, read once from
  any GDAL raster in any CRS by :func:`read_dem` (bilinear resampling, nodata filled and
  reported).  Elevation at a point is bilinear between cell centres.
* **Antennas**: the transmitter at ``antenna_height_m`` above the ground at the station
  (per station, :func:`antenna_heights_m`; default :data:`DEFAULT_ANTENNA_HEIGHT_M`, 30 m),
  the receiver at ``rx_height_m`` (1.5 m, a handset) above the ground at the receiver.
* **Line of sight**: the straight ray between the antenna tops clears the terrain sampled
  every half DEM cell along the path, with the earth's bulge ``d1 * d2 / (2 k R)`` (R =
  6,371 km, ``k_factor`` 4/3: standard refraction, ITU-R P.453/P.530); optionally with a
  clearance of ``fresnel_fraction`` of the first Fresnel zone radius
  ``F1 = sqrt(lambda d1 d2 / d)`` (0.6 is the usual microwave-link criterion).
* **Path loss** (second mode): free space (ITU-R P.525) plus knife-edge diffraction
  (ITU-R P.526 J(v), Deygout's construction over the same profile); or Longley-Rice ITM
  through the optional ``itmlogic`` package (pairs only: it is pure Python).  A receiver
  is served when ``EIRP - loss >= threshold`` for its technology (:data:`RADIO_MODELS`).
* **Viewsheds** (:func:`viewsheds`, :func:`signal_masks`): per station, the DEM cells
  within its radius (and wedge) that it reaches; computed once per distinct site
  (location, antenna height, radius: the sectors of a site share it), in parallel, and
  cached by (site, parameters, DEM content).

Not modelled: buildings, vegetation and other clutter, antenna patterns (a sector is its
wedge), reflections, interference and capacity.  These make every mode optimistic.
"""

from __future__ import annotations

import hashlib
import math
import warnings
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from affine import Affine
from pyproj import CRS

from ..errors import (
    CRSError,
    DataQualityWarning,
    DataSourceError,
    SchemaError,
    Words,
    hint,
    hint_words,
)

__all__ = [
    "EARTH_RADIUS_M",
    "K_FACTOR",
    "DEFAULT_ANTENNA_HEIGHT_M",
    "DEFAULT_RX_HEIGHT_M",
    "MAX_ANTENNA_HEIGHT_M",
    "RADIO_MODELS",
    "DEM",
    "read_dem",
    "antenna_heights_m",
    "LineOfSight",
    "line_of_sight",
    "StationMasks",
    "viewsheds",
    "signal_masks",
    "clear_cache",
    "RadioModel",
    "radio_models",
    "radio_arrays",
    "free_space_loss_db",
    "knife_edge_loss_db",
    "ITMSettings",
    "PathLoss",
    "path_loss",
]

EARTH_RADIUS_M = 6_371_000.0
# ITU-R P.453: in a standard atmosphere the refractivity gradient is about -40 N-units/km,
# which bends rays as if the earth's radius were k = 4/3 times larger (ITU-R P.530 uses
# the same median k for link design).
K_FACTOR = 4.0 / 3.0
# Antenna height above ground where the station list gives none.  Rural macro masts are
# mostly 30-45 m; the ITU-D "Last-Mile Internet Connectivity Solutions Guide" (2020), quoting
# GSMA, classes towers "over 30 m" as the ones reaching 8-15 km in rural areas.  A guess to
# be replaced by a per-station antenna_height_m column whenever the operator has one.
DEFAULT_ANTENNA_HEIGHT_M = 30.0
# A handset held by a person (the receiver height of ITU-R P.1546 and of Hata's model).
DEFAULT_RX_HEIGHT_M = 1.5
# Bound on a plausible antenna height above ground: the tallest guyed masts are ~600 m.
MAX_ANTENNA_HEIGHT_M = 600.0
# Largest DEM window read_dem builds (float32 cells: 2 GB); beyond it, ask for a coarser
# resolution_m instead of exhausting memory.
MAX_DEM_CELLS = 500_000_000
# read_dem fills nodata holes by inverse-distance interpolation from valid cells at most
# this many cells away (GDAL FillNodata); holes wider than that are set to 0 m.
FILL_SEARCH_CELLS = 100
_SPEED_OF_LIGHT_M_US = 299.792458  # so that lambda (m) = this / f (MHz)


def _k():
    from . import _kernels as k

    return k


def _run(kernel: str, *args: Any) -> Any:
    """Call a kernel with its 1-D array arguments C-contiguous and writeable, so that
    numba compiles (and caches) one specialisation per kernel, not one per layout."""
    fixed = [np.array(a) if isinstance(a, np.ndarray) and a.ndim == 1
             and not (a.flags.c_contiguous and a.flags.writeable) else a for a in args]
    return getattr(_k(), kernel)(*fixed)


# =========================================================================== DEM
@dataclass(frozen=True, eq=False)
class DEM:
    """A digital elevation model on a north-up grid of a metric CRS.

    Attributes
    ----------
    elevation : float32 array (rows, cols)
        Metres above sea level, finite everywhere (read-only).
    transform : Affine
        Cell -> CRS transform, north-up (``b == d == 0``, ``a > 0``, ``e < 0``).
    crs : pyproj.CRS
        Projected CRS in metres (the working CRS of the analysis).
    source : str
        File name, or ``"array"``.
    nodata_cells : int
        Cells that had no data and were filled (see :func:`read_dem`).
    outside_cells : int
        Those of them that lie outside the file's extent.
    nodata_note : str
        How they were filled, in words ("" when none).
    nodata_words : Words or None
        The same as catalogue words, for the model note in the reader's language.

    Examples
    --------
    >>> import numpy as np
    >>> from affine import Affine
    >>> dem = DEM.from_array(np.zeros((4, 5)), Affine(100, 0, 500000, 0, -100, 2500400),
    ...                      "EPSG:32648")
    >>> dem.shape, dem.cell_size_m, dem.bounds
    ((4, 5), (100.0, 100.0), (500000.0, 2500000.0, 500500.0, 2500400.0))
    """

    elevation: np.ndarray
    transform: Affine
    crs: CRS
    source: str = "array"
    nodata_cells: int = 0
    outside_cells: int = 0
    nodata_note: str = ""
    nodata_words: Words | None = None

    @classmethod
    def from_array(cls, elevation: Any, transform: Affine, crs: Any, *,
                   source: str = "array") -> DEM:
        """A DEM from an elevation array (copied), its transform and metric CRS."""
        z = np.asarray(elevation)
        if z.ndim != 2 or z.shape[0] < 1 or z.shape[1] < 1:
            raise SchemaError(f"DEM {source}: elevation must be a 2-D array; got shape "
                              f"{z.shape}")
        if not np.issubdtype(z.dtype, np.number):
            raise SchemaError(f"DEM {source}: elevation must be numeric; got {z.dtype}")
        z = np.array(z, dtype=np.float32, order="C")
        bad = ~np.isfinite(z)
        if bad.any():
            rows, cols = np.nonzero(bad)
            raise SchemaError(
                f"DEM {source}: {int(bad.sum()):,} cell(s) are not finite (first at row "
                f"{rows[0]}, column {cols[0]}); fill them first (read_dem fills nodata "
                f"cells and reports them)")
        t = Affine(*tuple(transform)[:6])
        if t.b != 0 or t.d != 0 or not t.a > 0 or not t.e < 0:
            raise SchemaError(
                f"DEM {source}: the transform must be north-up (no rotation, rows from "
                f"north to south); got {tuple(t)[:6]}. Warp it first, e.g. "
                f"gdalwarp -t_srs EPSG:32648 in.tif out.tif")
        z.setflags(write=False)
        return cls(z, t, _metric_crs(crs, what=f"DEM {source}"), source=source)

    @property
    def shape(self) -> tuple[int, int]:
        return self.elevation.shape  # type: ignore[return-value]

    @property
    def cell_size_m(self) -> tuple[float, float]:
        """(width, height) of a cell in metres."""
        return float(self.transform.a), float(-self.transform.e)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(minx, miny, maxx, maxy) in the DEM's CRS."""
        t = self.transform
        h, w = self.shape
        return float(t.c), float(t.f + h * t.e), float(t.c + w * t.a), float(t.f)

    @cached_property
    def key(self) -> str:
        """Identity of the DEM's content (a hash of elevations, transform and CRS): the
        part of every cache key that names the terrain."""
        h = hashlib.blake2b(digest_size=16)
        h.update(np.ascontiguousarray(self.elevation).data)
        h.update(repr((tuple(self.transform)[:6], self.shape)).encode())
        h.update(self.crs.to_wkt().encode())
        return h.hexdigest()

    def pixel(self, xy: Any) -> tuple[np.ndarray, np.ndarray]:
        """Continuous pixel coordinates (column, row) of metric points (n, 2)."""
        p = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
        t = self.transform
        return (p[:, 0] - t.c) / t.a, (t.f - p[:, 1]) / -t.e

    def sample(self, xy: Any) -> np.ndarray:
        """Ground elevation (m) at metric points (n, 2): bilinear between cell centres.

        Examples
        --------
        >>> import numpy as np
        >>> from affine import Affine
        >>> dem = DEM.from_array([[0.0, 10.0]], Affine(100, 0, 0, 0, -100, 100),
        ...                      "EPSG:32648")
        >>> dem.sample([[50, 50], [100, 50], [150, 50]]).tolist()
        [0.0, 5.0, 10.0]
        """
        px, py = self.pixel(xy)
        self._require_inside(px, py, what="points")
        u, v = px - 0.5, py - 0.5
        j, i = np.floor(u), np.floor(v)
        fu, fv = u - j, v - i
        h, w = self.shape
        j0, j1 = np.clip(j, 0, w - 1).astype(int), np.clip(j + 1, 0, w - 1).astype(int)
        i0, i1 = np.clip(i, 0, h - 1).astype(int), np.clip(i + 1, 0, h - 1).astype(int)
        z = self.elevation.astype(np.float64)
        top = (1 - fu) * z[i0, j0] + fu * z[i0, j1]
        bot = (1 - fu) * z[i1, j0] + fu * z[i1, j1]
        return (1 - fv) * top + fv * bot

    def _require_inside(self, px: np.ndarray, py: np.ndarray, *, what: str) -> None:
        h, w = self.shape
        out = ~((px >= 0) & (px <= w) & (py >= 0) & (py <= h))
        if out.any():
            items = np.flatnonzero(out)
            more = f" and {len(items) - 20:,} more" if len(items) > 20 else ""
            minx, miny, maxx, maxy = self.bounds
            raise SchemaError(
                f"{int(out.sum()):,} of {len(px):,} {what} lie outside the DEM "
                f"({self.source}, bounds {minx:,.0f}, {miny:,.0f}, {maxx:,.0f}, {maxy:,.0f} "
                f"in {self.crs.name}): items {items[:20].tolist()}{more}. Read the DEM over "
                f"bounds that cover every station and receiver (plus the stations' radius)")


def _metric_crs(crs: Any, *, what: str) -> CRS:
    if crs is None:
        raise CRSError(f"{what}: a metric CRS is required (e.g. 'EPSG:32648', UTM 48N)")
    out = CRS.from_user_input(crs)
    if not out.is_projected or out.axis_info[0].unit_name not in ("metre", "meter"):
        raise CRSError(
            f"{what}: CRS {out.name!r} is not a projected CRS in metres; use the metric "
            f"working CRS of the analysis, such as 'EPSG:32648' (UTM 48N) or 'EPSG:3405' "
            f"(VN-2000 / UTM 48N)")
    return out


def read_dem(
    path: str | Path,
    *,
    bounds: tuple[float, float, float, float],
    crs: Any,
    resolution_m: float | None = None,
    nodata: float | None = None,
    fill_nodata: Literal["interpolate", "zero"] = "interpolate",
) -> DEM:
    """Read a DEM window, reprojected once to the metric working CRS.

    Any GDAL raster in any CRS (SRTM, Copernicus GLO-30, ETOPO GeoTIFF...), band 1, in
    metres.  The window covers ``bounds`` (in ``crs``) on a grid of ``resolution_m`` cells
    aligned to multiples of it; values are resampled bilinearly (``rasterio.warp``).

    Cells without data (the file's nodata value, ``nodata``, NaN, -32768 in an int16 file
    without a nodata tag (SRTM voids), or outside the file's extent) are filled:
    ``"interpolate"`` (default) by inverse-distance interpolation from the valid cells
    around them (GDAL FillNodata, up to 100 cells away), and what remains (wider holes, sea,
    areas off the file) set to 0 m, i.e. treated as sea level; ``"zero"`` sets them all to
    0 m.  (Holes of a source cell or two are already bridged by the bilinear resampling,
    which weighs the valid cells around them.)  Filled cells are counted in
    :attr:`DEM.nodata_cells` (those off the file in :attr:`DEM.outside_cells`) and described
    in :attr:`DEM.nodata_note`, for the model note.  Voids inside the file are also reported
    in a :class:`~geocov.errors.DataQualityWarning`; a window running past the file (the
    usual case when it is the study area buffered by the stations' radius) is not warned
    about: check ``outside_cells`` when the study area itself must be covered.

    Parameters
    ----------
    path : str or Path
        Raster file.
    bounds : (minx, miny, maxx, maxy)
        Window in ``crs``: the study area buffered by the largest station radius.
    crs : CRS-like
        Metric working CRS (projected, metres).
    resolution_m : float, optional
        Cell size of the window; default the file's own cell size at the window centre
        (the finer of its width and height, rounded to 0.1 m).
    nodata : float, optional
        Nodata value, overriding the file's.
    fill_nodata : {"interpolate", "zero"}

    Returns
    -------
    DEM

    Raises
    ------
    DataSourceError
        The file is missing or not a raster.
    CRSError
        The file has no CRS, or ``crs`` is not metric.
    SchemaError
        Bad bounds or options, a window over :data:`MAX_DEM_CELLS` cells, or a DEM that
        does not overlap the window at all.

    Examples
    --------
    >>> import numpy as np, rasterio, tempfile, os
    >>> from rasterio.transform import from_origin
    >>> tif = os.path.join(tempfile.mkdtemp(), "dem.tif")
    >>> with rasterio.open(tif, "w", driver="GTiff", width=60, height=60, count=1,
    ...                    dtype="int16", crs="EPSG:4326", nodata=-9999,
    ...                    transform=from_origin(104.0, 22.05, 1/1200, 1/1200)) as dst:
    ...     dst.write(np.full((1, 60, 60), 250, np.int16))
    >>> dem = read_dem(tif, bounds=(398000, 2435000, 399000, 2436000), crs="EPSG:32648")
    >>> dem.shape, round(dem.cell_size_m[0], 1), float(dem.elevation.mean())
    ((13, 13), 86.0, 250.0)
    """
    import rasterio
    from rasterio.enums import Resampling
    from rasterio.warp import reproject
    from rasterio.warp import transform as warp_transform

    p = Path(path)
    if not p.exists():
        raise DataSourceError(f"{p}: DEM file not found. " + hint(
            "Pass the path of a GeoTIFF elevation model",
            "Set [model] dem in the analysis file to the path of a GeoTIFF elevation model"))
    wcrs = _metric_crs(crs, what=f"DEM {p.name}: crs")
    try:
        minx, miny, maxx, maxy = (float(v) for v in bounds)
    except (TypeError, ValueError) as exc:
        raise SchemaError(f"DEM {p.name}: bounds must be (minx, miny, maxx, maxy); got "
                          f"{bounds!r}") from exc
    if not (np.isfinite([minx, miny, maxx, maxy]).all() and minx < maxx and miny < maxy):
        raise SchemaError(f"DEM {p.name}: bounds must be finite with minx < maxx and "
                          f"miny < maxy; got {bounds!r}")
    if fill_nodata not in ("interpolate", "zero"):
        raise SchemaError(f"fill_nodata must be 'interpolate' or 'zero'; got {fill_nodata!r}")
    try:
        src = rasterio.open(p)
    except rasterio.errors.RasterioIOError as exc:
        raise DataSourceError(f"{p}: cannot be read as a raster ({exc})") from exc
    with src:
        if src.crs is None:
            raise CRSError(f"{p}: the DEM has no CRS; set one (e.g. gdal_edit.py -a_srs "
                           f"EPSG:4326 {p.name} for longitude/latitude)")
        scrs = CRS.from_user_input(src.crs)
        if resolution_m is None:
            cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
            sx, sy = warp_transform(wcrs, src.crs, [cx], [cy])
            t0 = src.transform
            if scrs.is_geographic:
                w_m = abs(t0.a) * 111_320.0 * math.cos(math.radians(sy[0]))
                h_m = abs(t0.e) * 110_574.0
            else:
                k = scrs.axis_info[0].unit_conversion_factor
                w_m, h_m = abs(t0.a) * k, abs(t0.e) * k
            res = round(float(min(w_m, h_m)), 1)
        else:
            res = float(resolution_m)
        if not (np.isfinite(res) and res > 0):
            raise SchemaError(f"DEM {p.name}: resolution_m must be a positive number of "
                              f"metres; got {resolution_m!r}")
        x0, y0 = math.floor(minx / res) * res, math.floor(miny / res) * res
        x1, y1 = math.ceil(maxx / res) * res, math.ceil(maxy / res) * res
        width, height = max(1, round((x1 - x0) / res)), max(1, round((y1 - y0) / res))
        if width * height > MAX_DEM_CELLS:
            raise SchemaError(
                f"DEM {p.name}: a {res:,.1f} m window over these bounds would have "
                f"{width * height:,} cells (limit {MAX_DEM_CELLS:,}); " + hint(
                    "pass a coarser resolution_m (e.g. 90) or smaller bounds",
                    "set a coarser [model] dem_resolution_m (e.g. 90)"))
        dst_t = Affine(res, 0, x0, 0, -res, y1)
        src_nodata = nodata if nodata is not None else src.nodata
        auto_void = False
        if src_nodata is None and src.dtypes[0] == "int16":
            src_nodata, auto_void = -32768, True
        src_bounds, src_crs = src.bounds, src.crs
        dst = np.full((height, width), np.nan, dtype=np.float32)
        reproject(source=rasterio.band(src, 1), destination=dst, src_transform=src.transform,
                  src_crs=src.crs, src_nodata=src_nodata, dst_transform=dst_t,
                  dst_crs=wcrs, dst_nodata=np.nan, resampling=Resampling.bilinear)
    missing = ~np.isfinite(dst)
    n_missing = int(missing.sum())
    note = ""
    n_off = 0
    if n_missing:
        if n_missing == dst.size:
            raise SchemaError(
                f"DEM {p.name}: no data at all over the window {bounds!r} ({wcrs.name}); "
                f"give a DEM that covers the study area")
        off_file = missing & ~_file_footprint(src_bounds, src_crs, (minx, miny, maxx, maxy),
                                              wcrs, dst_t, dst.shape)
        n_off = int(off_file.sum())
        n_void = n_missing - n_off
        what = (Words("model.dem_srtm_voids" if auto_void else "model.dem_nodata_value",
                      {"value": src_nodata})
                if src_nodata is not None else Words("model.dem_no_value"))
        if fill_nodata == "interpolate":
            from rasterio.fill import fillnodata

            sentinel = np.float32(-1e30)
            work = np.where(missing, sentinel, dst).astype(np.float32)
            work = fillnodata(work, mask=(~missing).astype(np.uint8),
                              max_search_distance=FILL_SEARCH_CELLS)
            still = work <= sentinel / 2
            work[still] = 0.0
            dst = work
            how = Words("model.dem_interpolated", {"filled": n_missing - int(still.sum()),
                                                   "cells": FILL_SEARCH_CELLS,
                                                   "zero": int(still.sum())})
        else:
            dst[missing] = 0.0
            how = Words("model.dem_zero")
        parts = []
        if n_void:
            parts.append(Words("model.dem_void", {"n": n_void, "what": what}))
        if n_off:
            parts.append(Words("model.dem_off", {"n": n_off}))
        nodata_words = Words("model.dem_nodata", {
            "n": n_missing, "total": int(dst.size), "pct": 100 * n_missing / dst.size,
            "parts": parts[0] if len(parts) == 1 else Words("model.dem_both",
                                                            {"a": parts[0], "b": parts[1]}),
            "how": how})
        note = nodata_words.text("en")
        if n_void:  # voids in the data itself: warn; a window running past the file: noted
            warnings.warn(DataQualityWarning.of(
                "dem_voids", file=p.name, note=nodata_words,
                fix=(hint_words("dem_voids") if fill_nodata == "interpolate"
                     else Words("warning.dem_give"))), stacklevel=2)
    dem = DEM.from_array(dst, dst_t, wcrs, source=p.name)
    return replace(dem, nodata_cells=n_missing, outside_cells=n_off, nodata_note=note,
                   nodata_words=nodata_words if n_missing else None)


def _file_footprint(src_bounds, src_crs, window, wcrs, dst_t, shape) -> np.ndarray:
    """Cells of the window whose centre lies on the source file (its extent, warped)."""
    import shapely
    from rasterio.features import geometry_mask
    from rasterio.warp import transform_bounds, transform_geom

    try:
        wb = transform_bounds(wcrs, src_crs, *window, densify_pts=21)
        box = shapely.box(max(wb[0], src_bounds.left), max(wb[1], src_bounds.bottom),
                          min(wb[2], src_bounds.right), min(wb[3], src_bounds.top))
        if box.is_empty or box.area == 0:
            return np.zeros(shape, bool)
        w = box.bounds[2] - box.bounds[0]
        ring = shapely.segmentize(box, max(w, box.bounds[3] - box.bounds[1]) / 64)
        geom = transform_geom(src_crs, wcrs, shapely.geometry.mapping(ring))
        return geometry_mask([geom], out_shape=shape, transform=dst_t, invert=True)
    except Exception:  # noqa: BLE001 - no footprint: every hole counts as a void
        return np.ones(shape, bool)


# =========================================================================== antennas
def antenna_heights_m(
    stations: pd.DataFrame,
    *,
    default_m: float = DEFAULT_ANTENNA_HEIGHT_M,
    column: str = "antenna_height_m",
) -> np.ndarray:
    """Antenna height above ground of each station, in metres.

    The ``column`` where the station has a value, else ``default_m``
    (:data:`DEFAULT_ANTENNA_HEIGHT_M`, 30 m).

    Raises
    ------
    SchemaError
        Values that are not numbers, negative, or above :data:`MAX_ANTENNA_HEIGHT_M`,
        naming the file and rows (``source_file``/``source_row``) when the frame has them.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"antenna_height_m": [45.0, None, 12.5]})
    >>> antenna_heights_m(s).tolist()
    [45.0, 30.0, 12.5]
    >>> antenna_heights_m(pd.DataFrame({"x": [1, 2]}), default_m=20).tolist()
    [20.0, 20.0]
    """
    d = float(default_m)
    if not (np.isfinite(d) and 0 <= d <= MAX_ANTENNA_HEIGHT_M):
        raise SchemaError(f"default antenna height must be 0-{MAX_ANTENNA_HEIGHT_M:g} m; got "
                          f"{default_m!r}. " + hint("Pass default_m=30",
                                                    "Set [model] antenna_height_m = 30"))
    n = len(stations)
    if column not in stations.columns:
        return np.full(n, d)
    raw = stations[column]
    vals = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    given = raw.notna().to_numpy()
    bad = (given & ~np.isfinite(vals)) | (np.isfinite(vals) & ((vals < 0)
                                                               | (vals > MAX_ANTENNA_HEIGHT_M)))
    if bad.any():
        idx = np.flatnonzero(bad)
        shown = [raw.iloc[i] for i in idx[:20]]
        shown = [v.item() if isinstance(v, np.generic) else v for v in shown]
        if {"source_file", "source_row"} <= set(stations.columns):
            files = stations["source_file"].to_numpy()[idx]
            rows = stations["source_row"].to_numpy()[idx]
            where = f"{files[0]}: row(s) " + ", ".join(
                f"{r} ({v!r})" for r, v in zip(rows[:20].tolist(), shown, strict=True))
        else:
            where = "position(s) " + ", ".join(
                f"{i} ({v!r})" for i, v in zip(idx[:20].tolist(), shown, strict=True))
        more = f" and {len(idx) - 20:,} more" if len(idx) > 20 else ""
        raise SchemaError(
            f"{where}{more}: column {column!r} must be the antenna height above ground in "
            f"metres, 0-{MAX_ANTENNA_HEIGHT_M:g}. Correct the values, or leave them empty to "
            f"use the default ({d:g} m)")
    return np.where(np.isfinite(vals), vals, d)


# =========================================================================== helpers
def _inv2kr(k_factor: float) -> float:
    k = float(k_factor)
    if not k > 0 or math.isnan(k):
        raise SchemaError(f"k_factor must be positive (4/3 is the standard atmosphere, "
                          f"np.inf a flat earth); got {k_factor!r}")
    return 0.0 if math.isinf(k) else 1.0 / (2.0 * k * EARTH_RADIUS_M)


def _xy(values: Any, name: str) -> np.ndarray:
    a = np.asarray(values, dtype=np.float64)
    if a.ndim == 1 and a.shape[0] == 2:
        a = a.reshape(1, 2)
    if a.ndim != 2 or a.shape[1] != 2:
        raise SchemaError(f"{name} must be (x, y) or an (n, 2) array of metric "
                          f"coordinates; got shape {a.shape}")
    if not np.isfinite(a).all():
        bad = np.flatnonzero(~np.isfinite(a).all(axis=1))
        raise SchemaError(f"{name}: items {bad[:20].tolist()} have non-finite coordinates")
    return a


def _per_item(values: Any, n: int, name: str, *, lo: float = -np.inf, hi: float = np.inf,
              allow_nan: bool = False) -> np.ndarray:
    a = np.asarray(values, dtype=np.float64).reshape(-1)
    if a.size == 1:
        a = np.full(n, a[0])
    if a.shape[0] != n:
        raise SchemaError(f"{name} must be one value or one per item ({n}); got {a.shape[0]}")
    ok = (np.isnan(a) if allow_nan else np.zeros(n, bool)) | (np.isfinite(a) & (a >= lo)
                                                               & (a <= hi))
    if not ok.all():
        bad = np.flatnonzero(~ok)
        raise SchemaError(f"{name}: items {bad[:20].tolist()} have values "
                          f"{a[bad[:5]].tolist()} outside {lo:g}..{hi:g}")
    return a


def _wavelength(frequency_mhz: Any, n: int) -> np.ndarray:
    if frequency_mhz is None:
        return np.zeros(n)
    f = _per_item(frequency_mhz, n, "frequency_mhz", lo=1e-9, hi=1e6)
    return _SPEED_OF_LIGHT_M_US / f


# Sites are handed to the threads in chunks of this many (numba's dynamic chunking):
# their costs differ (cost grows with the radius squared), so static halves would leave
# one thread idle while the other finishes.
PARALLEL_CHUNK = 16


def _threads(workers: int | None):
    """Context: numba threads for the parallel kernels (None: all), dynamic chunks."""
    import contextlib

    import numba

    @contextlib.contextmanager
    def ctx():
        old = None
        if workers is not None:
            w = int(workers)
            if not 1 <= w <= numba.config.NUMBA_NUM_THREADS:
                raise SchemaError(f"workers must be 1..{numba.config.NUMBA_NUM_THREADS}; "
                                  f"got {workers!r}")
            old = numba.get_num_threads()
            numba.set_num_threads(w)
        old_chunk = numba.set_parallel_chunksize(PARALLEL_CHUNK)
        try:
            yield
        finally:
            numba.set_parallel_chunksize(old_chunk)
            if old is not None:
                numba.set_num_threads(old)

    return ctx()


# =========================================================================== line of sight
@dataclass(frozen=True)
class LineOfSight:
    """Line of sight for each (transmitter, receiver) pair (arrays of one length).

    Attributes
    ----------
    visible : bool array
        The ray between the antenna tops clears the terrain (and the required share of the
        first Fresnel zone).
    distance_m : float array
        Horizontal distance between the two ends.
    obstacle_distance_m : float array
        Distance from the transmitter of the controlling profile point: the one with the
        least clearance (least clearance / F1 with a frequency).  For a blocked path it
        is the blocking ridge.  NaN when the path is shorter than one profile step.
    obstacle_height_m : float array
        Height of that point above the direct ray (m, earth bulge included); positive
        when it blocks.
    obstacle_elevation_m : float array
        Its ground elevation (m above sea level).
    clearance_m : float array
        ``-obstacle_height_m``: how far the ray passes above it.
    fresnel_clearance : float array
        ``clearance_m`` / first Fresnel zone radius there (NaN without a frequency).
    """

    visible: np.ndarray
    distance_m: np.ndarray
    obstacle_distance_m: np.ndarray
    obstacle_height_m: np.ndarray
    obstacle_elevation_m: np.ndarray
    clearance_m: np.ndarray
    fresnel_clearance: np.ndarray

    def to_frame(self) -> pd.DataFrame:
        """The fields as columns of a DataFrame."""
        return pd.DataFrame({k: getattr(self, k) for k in self.__dataclass_fields__})


def _pair_pixels(dem: DEM, tx_xy: Any, rx_xy: Any):
    a = _xy(tx_xy, "tx_xy")
    b = _xy(rx_xy, "rx_xy")
    if len(a) == 1 and len(b) > 1:
        a = np.repeat(a, len(b), axis=0)
    elif len(b) == 1 and len(a) > 1:
        b = np.repeat(b, len(a), axis=0)
    if len(a) != len(b):
        raise SchemaError(f"tx_xy has {len(a)} points and rx_xy {len(b)}: give one of each "
                          f"per pair, or one transmitter or one receiver for all")
    pax, pay = dem.pixel(a)
    pbx, pby = dem.pixel(b)
    dem._require_inside(pax, pay, what="transmitters")
    dem._require_inside(pbx, pby, what="receivers")
    return a, b, pax, pay, pbx, pby


def line_of_sight(
    dem: DEM,
    tx_xy: Any,
    tx_height_m: Any,
    rx_xy: Any,
    rx_height_m: Any = DEFAULT_RX_HEIGHT_M,
    *,
    k_factor: float = K_FACTOR,
    fresnel_fraction: float = 0.0,
    frequency_mhz: Any = None,
) -> LineOfSight:
    """Line of sight between transmitters and receivers over the DEM.

    The path from the transmitter's antenna top (``tx_height_m`` above the ground there)
    to the receiver's (``rx_height_m`` above the ground there) is sampled every
    ``dist / ceil(dist / step)`` metres, ``step`` half the smaller DEM cell side; at each
    sample the ray must pass above the terrain raised by the earth's bulge
    ``d1 * d2 / (2 k R)``, by at least ``fresnel_fraction`` of the first Fresnel zone
    radius ``sqrt(lambda d1 d2 / d)``.  A ray that grazes a sample exactly is visible.

    Parameters
    ----------
    dem : DEM
    tx_xy, rx_xy : (n, 2) or (2,) arrays
        Metric coordinates in ``dem.crs``; one transmitter (or receiver) is broadcast.
    tx_height_m, rx_height_m : float or (n,) array
        Antenna heights above ground (m); the receiver's defaults to 1.5 m.
    k_factor : float, default 4/3
        Effective earth radius factor (``np.inf``: a flat earth).
    fresnel_fraction : float, default 0
        Required clearance as a share of the first Fresnel zone (0.6 for microwave
        links); needs ``frequency_mhz``.
    frequency_mhz : float or (n,) array, optional
        Frequency, for the Fresnel zone.

    Returns
    -------
    LineOfSight

    Raises
    ------
    SchemaError
        Points outside the DEM, mismatched lengths, or bad heights or options.

    Examples
    --------
    A 100 m ridge halfway between a 30 m mast and a handset 4 km apart on flat ground:

    >>> import numpy as np
    >>> from affine import Affine
    >>> z = np.zeros((3, 100)); z[:, 50] = 100.0
    >>> dem = DEM.from_array(z, Affine(50, 0, 0, 0, -50, 150), "EPSG:32648")
    >>> los = line_of_sight(dem, [(225, 75)], 30.0, [(4225, 75)])
    >>> bool(los.visible[0]), float(los.obstacle_distance_m[0])
    (False, 2300.0)
    >>> float(los.obstacle_elevation_m[0]) > 90
    True
    """
    a, b, pax, pay, pbx, pby = _pair_pixels(dem, tx_xy, rx_xy)
    n = len(a)
    ht = _per_item(tx_height_m, n, "tx_height_m", lo=0, hi=MAX_ANTENNA_HEIGHT_M)
    hr = _per_item(rx_height_m, n, "rx_height_m", lo=0, hi=MAX_ANTENNA_HEIGHT_M)
    frac = float(fresnel_fraction)
    if not (np.isfinite(frac) and frac >= 0):
        raise SchemaError(f"fresnel_fraction must be 0 or more (0.6 for microwave links); "
                          f"got {fresnel_fraction!r}")
    if frac > 0 and frequency_mhz is None:
        raise SchemaError("fresnel_fraction needs frequency_mhz (the Fresnel zone depends on "
                          "the wavelength)")
    lam = _wavelength(frequency_mhz, n)
    cw, ch = dem.cell_size_m
    out = {k: np.empty(n) for k in ("d", "c", "z", "crit")}
    vis = np.empty(n, dtype=np.bool_)
    thr = frac if frequency_mhz is not None else 0.0
    _run("los_pairs", dem.elevation, cw, ch, pax, pay, ht, pbx, pby, hr, _inv2kr(k_factor),
                         lam, thr, min(cw, ch) / 2.0, vis, out["d"], out["c"], out["z"],
                         out["crit"])
    ratio = out["crit"] if frequency_mhz is not None else np.full(n, np.nan)
    ratio = np.where(np.isfinite(ratio), ratio, np.nan)
    return LineOfSight(
        visible=vis,
        distance_m=np.hypot(b[:, 0] - a[:, 0], b[:, 1] - a[:, 1]),
        obstacle_distance_m=out["d"],
        obstacle_height_m=-out["c"],
        obstacle_elevation_m=out["z"],
        clearance_m=out["c"],
        fresnel_clearance=ratio,
    )


# =========================================================================== masks
@dataclass(frozen=True, eq=False)
class StationMasks:
    """Per-station masks of DEM cells: what each station reaches.

    Computed per distinct *site* (location, antenna height, radius and model parameters);
    the sectors of one site share their site's mask and apply their wedge when queried.
    A site's mask is a window of the DEM (``row0, col0, nrows, ncols``) packed as bits
    (cell ``k = li * ncols + lj`` is bit ``k & 7`` of byte ``offset[site] + k // 8``),
    covering every cell whose centre lies within the radius plus half a cell diagonal; a
    station reaches a point when the point is in its disc or wedge (the exact test of
    :func:`geocov.stations.covering_pairs`) and the DEM cell containing it is set.

    Attributes
    ----------
    description : str
        The model, in words (for the model note).
    words : Words or None
        The same as catalogue words, for the model note in the reader's language.
    dem_key, transform, crs, dem_shape
        The DEM the masks index.
    site : int array (n stations)
        Site of each station.
    centres_xy, radius_m, azimuth_deg, beamwidth_deg : per station
    row0, col0, nrows, ncols, clipped : per site
        Window of each site; ``clipped`` when the disc runs past the DEM's edge (cells
        beyond it are not set).
    offset : int64 array (n sites + 1)
    bits : uint8 array
    sites_computed, sites_cached : int
        How many sites were computed by this call and how many came from the cache.
    """

    description: str
    dem_key: str
    transform: Affine
    crs: CRS
    dem_shape: tuple[int, int]
    site: np.ndarray
    centres_xy: np.ndarray
    radius_m: np.ndarray
    azimuth_deg: np.ndarray
    beamwidth_deg: np.ndarray
    row0: np.ndarray
    col0: np.ndarray
    nrows: np.ndarray
    ncols: np.ndarray
    clipped: np.ndarray
    offset: np.ndarray
    bits: np.ndarray
    sites_computed: int = 0
    sites_cached: int = 0
    words: Words | None = None

    def __len__(self) -> int:
        return len(self.site)

    @property
    def n_sites(self) -> int:
        return len(self.row0)

    @property
    def cell_area_km2(self) -> float:
        return abs(self.transform.a * self.transform.e) / 1e6

    def _station_pixels(self) -> tuple[np.ndarray, np.ndarray]:
        t = self.transform
        return ((self.centres_xy[:, 0] - t.c) / t.a, (t.f - self.centres_xy[:, 1]) / -t.e)

    def _args(self) -> tuple:
        return (self.bits, self.offset, self.row0, self.col0, self.nrows, self.ncols,
                self.site)

    def lookup_arrays(self) -> dict[str, Any]:
        """What a compiled caller needs to test cells against the masks:
        ``bits, offset, row0, col0, nrows, ncols, site`` and the stations' DEM pixel
        coordinates ``spx, spy`` (C-contiguous arrays), and the cell size ``cw, ch`` (m).
        Pass them to ``geocov.terrain._kernels.reached_at_offset`` (numba) with a
        station index and the metric offset of a point from the station."""
        px, py = self._station_pixels()
        return {"bits": self.bits, "offset": self.offset, "row0": self.row0,
                "col0": self.col0, "nrows": self.nrows, "ncols": self.ncols,
                "site": np.ascontiguousarray(self.site), "spx": np.ascontiguousarray(px),
                "spy": np.ascontiguousarray(py), "cw": float(self.transform.a),
                "ch": float(-self.transform.e)}

    def station_mask(self, i: int) -> tuple[np.ndarray, Affine]:
        """Boolean window of station ``i`` (cells reached, centre in its disc or wedge)
        and the window's transform.

        Examples
        --------
        >>> import numpy as np
        >>> from affine import Affine
        >>> dem = DEM.from_array(np.zeros((5, 5)), Affine(100, 0, 0, 0, -100, 500),
        ...                      "EPSG:32648")
        >>> m = viewsheds(dem, [(250, 250)], 30.0, 150.0)
        >>> mask, t = m.station_mask(0)
        >>> mask.astype(int)
        array([[0, 0, 0, 0, 0],
               [0, 1, 1, 1, 0],
               [0, 1, 1, 1, 0],
               [0, 1, 1, 1, 0],
               [0, 0, 0, 0, 0]])
        """
        s = int(i)
        t = int(self.site[s])
        nr, nc = int(self.nrows[t]), int(self.ncols[t])
        raw = np.unpackbits(self.bits[self.offset[t]:self.offset[t + 1]], bitorder="little")
        cells = raw[: nr * nc].astype(bool).reshape(nr, nc)
        px, py = self._station_pixels()
        cw, ch = float(self.transform.a), float(-self.transform.e)
        jj, ii = np.meshgrid(self.col0[t] + np.arange(nc), self.row0[t] + np.arange(nr))
        dx = (jj + 0.5 - px[s]) * cw
        dy = -(ii + 0.5 - py[s]) * ch
        inside = dx * dx + dy * dy <= self.radius_m[s] ** 2
        az, bw = self.azimuth_deg[s], self.beamwidth_deg[s]
        if np.isfinite(az) and np.isfinite(bw) and bw < 360:
            bearing = np.degrees(np.arctan2(dx, dy))
            diff = np.abs((bearing - az + 180.0) % 360.0 - 180.0)
            inside &= (diff <= bw / 2.0 + 1e-9) | ((dx == 0) & (dy == 0))
        window = self.transform * Affine.translation(int(self.col0[t]), int(self.row0[t]))
        return cells & inside, window

    def cell_counts(self) -> np.ndarray:
        """Cells reached by each station (int64 array, one per station)."""
        out = np.zeros(len(self), dtype=np.int64)
        if len(self):
            px, py = self._station_pixels()
            _run("station_counts", *self._args(), px, py, float(self.transform.a),
                                      float(-self.transform.e), self.radius_m,
                                      self.azimuth_deg, self.beamwidth_deg, out)
        return out

    def area_km2(self) -> np.ndarray:
        """Area reached by each station, km² (cells x cell area)."""
        return self.cell_counts() * self.cell_area_km2

    def reaches(self, station: Any, xy: Any) -> np.ndarray:
        """Whether each station reaches each point (pairs: ``station[p]``, ``xy[p]``).

        A point is reached when it is in the station's disc or wedge (exact test at the
        point) and the DEM cell containing it is set in the station's mask.

        Examples
        --------
        >>> import numpy as np
        >>> from affine import Affine
        >>> dem = DEM.from_array(np.zeros((5, 5)), Affine(100, 0, 0, 0, -100, 500),
        ...                      "EPSG:32648")
        >>> m = viewsheds(dem, [(250, 250)], 30.0, 150.0)
        >>> m.reaches([0, 0, 0], [(250, 250), (390, 250), (410, 250)]).tolist()
        [True, True, False]
        """
        st = np.asarray(station, dtype=np.int64).reshape(-1)
        p = _xy(xy, "xy") if len(st) else np.zeros((0, 2))
        if len(p) != len(st):
            raise SchemaError(f"station has {len(st)} items and xy {len(p)}; give one "
                              f"station index per point")
        if len(st) and (st.min() < 0 or st.max() >= len(self)):
            raise SchemaError(f"station indices must be 0..{len(self) - 1}")
        out = np.zeros(len(st), dtype=np.bool_)
        if len(st):
            t = self.transform
            _run("points_visible", *self._args(), float(t.c), float(t.f), float(t.a),
                                      float(-t.e), self.centres_xy[:, 0],
                                      self.centres_xy[:, 1], self.radius_m, self.azimuth_deg,
                                      self.beamwidth_deg, st, p[:, 0], p[:, 1], out)
        return out


# ---- cache of site masks: segments of computed sites, keyed by a 64-bit hash per site
CACHE_MAX_BYTES = 1 << 30  # memory cache bound (bytes of packed masks)


@dataclass
class _Segment:
    dem_key: str
    keys: np.ndarray  # sorted uint64
    row0: np.ndarray
    col0: np.ndarray
    nrows: np.ndarray
    ncols: np.ndarray
    clipped: np.ndarray
    offset: np.ndarray
    bits: np.ndarray
    name: str = ""

    @property
    def nbytes(self) -> int:
        return int(self.bits.nbytes + 48 * len(self.keys))

    def sorted(self) -> _Segment:
        order = np.argsort(self.keys, kind="stable")
        if (order == np.arange(len(order))).all():
            return self
        lengths = np.diff(self.offset)[order]
        off = np.zeros(len(order) + 1, np.int64)
        np.cumsum(lengths, out=off[1:])
        bits = np.empty(int(off[-1]), np.uint8)
        _run("copy_ranges", self.bits, self.offset[order], bits, off[:-1], lengths)
        return _Segment(self.dem_key, self.keys[order], self.row0[order], self.col0[order],
                        self.nrows[order], self.ncols[order], self.clipped[order], off, bits,
                        self.name)


_MEMORY: OrderedDict[str, _Segment] = OrderedDict()
_LOADED_FILES: set[str] = set()


def clear_cache() -> None:
    """Forget every site mask held in memory (files in a ``cache_dir`` are kept)."""
    _MEMORY.clear()
    _LOADED_FILES.clear()


def _remember(seg: _Segment) -> None:
    _MEMORY[seg.name] = seg
    _MEMORY.move_to_end(seg.name)
    total = sum(s.nbytes for s in _MEMORY.values())
    while total > CACHE_MAX_BYTES and len(_MEMORY) > 1:
        _, old = _MEMORY.popitem(last=False)
        total -= old.nbytes


def _load_dir(cache_dir: Path, dem_key: str) -> None:
    for f in sorted(cache_dir.glob(f"terrain-{dem_key[:20]}-*.npz")):
        if str(f) in _LOADED_FILES:
            continue
        try:
            with np.load(f) as z:
                seg = _Segment(dem_key, keys=z["keys"], row0=z["row0"], col0=z["col0"],
                               nrows=z["nrows"], ncols=z["ncols"], clipped=z["clipped"],
                               offset=z["offset"], bits=z["bits"], name=str(f))
        except (OSError, KeyError, ValueError) as exc:
            warnings.warn(DataQualityWarning.of("terrain_cache", file=str(f), error=str(exc)),
                          stacklevel=4)
            _LOADED_FILES.add(str(f))
            continue
        _LOADED_FILES.add(str(f))
        _remember(seg)


def _lookup(keys: np.ndarray, dem_key: str) -> tuple[np.ndarray, np.ndarray, list[_Segment]]:
    """(segment number per key or -1, index in it, segments)."""
    segs = [s for s in _MEMORY.values() if s.dem_key == dem_key]
    which = np.full(len(keys), -1, np.int64)
    where = np.zeros(len(keys), np.int64)
    for g, seg in enumerate(segs):
        if not len(seg.keys):
            continue
        pos = np.minimum(np.searchsorted(seg.keys, keys), len(seg.keys) - 1)
        hit = (seg.keys[pos] == keys) & (which < 0)
        which[hit] = g
        where[hit] = pos[hit]
        if hit.any():
            _MEMORY.move_to_end(seg.name)
    return which, where, segs


_KIND_CODES = {"sweep": 1.0, "exact": 2.0, "signal": 3.0}


def _site_masks(
    dem: DEM, kind: str, xy: np.ndarray, height: np.ndarray, radius: np.ndarray,
    extra: np.ndarray, common: tuple[float, ...], *, cache: bool,
    cache_dir: str | Path | None, workers: int | None,
) -> tuple[np.ndarray, dict[str, np.ndarray], int, int]:
    """Masks of the distinct sites among the stations; (site per station, arrays, n
    computed, n cached)."""
    n = len(xy)
    table = np.column_stack([xy, height, radius, extra]).astype(np.float64)
    if n:
        uniq, site = np.unique(table, axis=0, return_inverse=True)
        site = site.reshape(-1).astype(np.int64)
    else:
        uniq, site = table, np.zeros(0, np.int64)
    seed_text = f"{dem.key}|{kind}|{common!r}".encode()
    seed = np.uint64(int.from_bytes(hashlib.blake2b(seed_text, digest_size=8).digest(),
                                    "little"))
    keys = _run("row_hashes", np.ascontiguousarray(uniq).view(np.uint64), seed)
    cdir = Path(cache_dir) if cache_dir is not None else None
    if cdir is not None:
        cdir.mkdir(parents=True, exist_ok=True)
        _load_dir(cdir, dem.key)
    if cache or cdir is not None:
        which, where, segs = _lookup(keys, dem.key)
    else:
        which, where, segs = np.full(len(keys), -1, np.int64), np.zeros(len(keys), np.int64), []
    miss = np.flatnonzero(which < 0)
    n_cached = len(keys) - len(miss)
    if len(miss):
        seg = _compute_sites(dem, kind, uniq[miss], keys[miss], common, workers)
        if cdir is not None:
            path = cdir / f"terrain-{dem.key[:20]}-{_digest(seg.keys)}.npz"
            tmp = path.with_suffix(".tmp.npz")
            np.savez(tmp, keys=seg.keys, row0=seg.row0, col0=seg.col0, nrows=seg.nrows,
                     ncols=seg.ncols, clipped=seg.clipped, offset=seg.offset, bits=seg.bits)
            tmp.replace(path)
            seg.name = str(path)
            _LOADED_FILES.add(str(path))
        if cache or cdir is not None:
            _remember(seg)
        pos = np.searchsorted(seg.keys, keys[miss])
        which[miss] = len(segs)
        where[miss] = pos
        segs = [*segs, seg]
    # assemble the sites, in order, from their segments
    m = len(keys)
    arrays: dict[str, np.ndarray] = {
        name: np.zeros(m, np.int64) for name in ("row0", "col0", "nrows", "ncols")}
    arrays["clipped"] = np.zeros(m, np.bool_)
    lengths = np.zeros(m, np.int64)
    for g, seg in enumerate(segs):
        sel = which == g
        if not sel.any():
            continue
        idx = where[sel]
        for name in ("row0", "col0", "nrows", "ncols", "clipped"):
            arrays[name][sel] = getattr(seg, name)[idx]
        lengths[sel] = np.diff(seg.offset)[idx]
    offset = np.zeros(m + 1, np.int64)
    np.cumsum(lengths, out=offset[1:])
    bits = np.zeros(int(offset[-1]), np.uint8)
    for g, seg in enumerate(segs):
        sel = np.flatnonzero(which == g)
        if len(sel):
            _run("copy_ranges", seg.bits, seg.offset[where[sel]], bits, offset[sel],
                 lengths[sel])
    arrays["offset"] = offset
    arrays["bits"] = bits
    return site, arrays, len(miss), n_cached


def _digest(keys: np.ndarray) -> str:
    return hashlib.blake2b(keys.tobytes(), digest_size=8).hexdigest()


def _compute_sites(dem: DEM, kind: str, table: np.ndarray, keys: np.ndarray,
                   common: tuple[float, ...], workers: int | None) -> _Segment:
    cw, ch = dem.cell_size_m
    h, w = dem.shape
    height, radius = table[:, 2], table[:, 3]
    px, py = dem.pixel(table[:, :2])
    reach = radius + 0.5 * math.hypot(cw, ch)
    r0 = np.ceil(py - reach / ch - 0.5).astype(np.int64)
    r1 = np.floor(py + reach / ch - 0.5).astype(np.int64)
    c0 = np.ceil(px - reach / cw - 0.5).astype(np.int64)
    c1 = np.floor(px + reach / cw - 0.5).astype(np.int64)
    clipped = (r0 < 0) | (c0 < 0) | (r1 > h - 1) | (c1 > w - 1)
    r0, c0 = np.maximum(r0, 0), np.maximum(c0, 0)
    r1, c1 = np.minimum(r1, h - 1), np.minimum(c1, w - 1)
    nrows = np.maximum(r1 - r0 + 1, 0)
    ncols = np.maximum(c1 - c0 + 1, 0)
    offset = np.zeros(len(table) + 1, np.int64)
    np.cumsum((nrows * ncols + 7) // 8, out=offset[1:])
    bits = np.zeros(int(offset[-1]), np.uint8)
    # heavy and light sites interleaved, so that the parallel chunks are balanced
    order = np.random.default_rng(0).permutation(len(table)).astype(np.int64)
    z = dem.elevation
    step = min(cw, ch) / 2.0
    rxh, inv2kr = common[0], common[1]
    with _threads(workers):
        if kind == "sweep":
            _run("viewshed_sweep", z, cw, ch, px, py, height, reach, rxh, inv2kr,
                 r0, c0, nrows, ncols, offset, bits, order)
        elif kind == "exact":
            lam, thr = table[:, 4].copy(), common[2]
            _run("viewshed_exact", z, cw, ch, px, py, height, reach, rxh, inv2kr, lam, thr,
                 step, r0, c0, nrows, ncols, offset, bits, order)
        else:
            f_mhz, max_loss = table[:, 4].copy(), table[:, 5].copy()
            _run("signal_sites", z, cw, ch, px, py, height, reach, rxh, inv2kr, f_mhz,
                 max_loss, step, r0, c0, nrows, ncols, offset, bits, order)
    return _Segment(dem.key, keys, r0, c0, nrows, ncols, clipped, offset, bits,
                    name=f"memory:{dem.key}:{_digest(keys)}").sorted()


def _stations_in(dem: DEM, centres_xy: Any, antenna_height_m: Any, radius_m: Any,
                 azimuth_deg: Any, beamwidth_deg: Any):
    xy = _xy(centres_xy, "centres_xy") if np.size(centres_xy) else np.zeros((0, 2))
    n = len(xy)
    height = _per_item(antenna_height_m, n, "antenna_height_m", lo=0,
                       hi=MAX_ANTENNA_HEIGHT_M) if n else np.zeros(0)
    radius = _per_item(radius_m, n, "radius_m", lo=0) if n else np.zeros(0)
    az = (np.full(n, np.nan) if azimuth_deg is None
          else _per_item(azimuth_deg, n, "azimuth_deg", allow_nan=True))
    bw = (np.full(n, np.nan) if beamwidth_deg is None
          else _per_item(beamwidth_deg, n, "beamwidth_deg", lo=0, allow_nan=True))
    if n:
        px, py = dem.pixel(xy)
        dem._require_inside(px, py, what="stations")
    return xy, height, radius, az, bw


def _masks(dem, words, xy, radius, az, bw, site, arrays, n_new, n_cached):
    return StationMasks(
        description=words.text("en"), words=words, dem_key=dem.key, transform=dem.transform,
        crs=dem.crs, dem_shape=dem.shape, site=site, centres_xy=xy, radius_m=radius, azimuth_deg=az,
        beamwidth_deg=bw, row0=arrays["row0"], col0=arrays["col0"], nrows=arrays["nrows"],
        ncols=arrays["ncols"], clipped=arrays["clipped"], offset=arrays["offset"],
        bits=arrays["bits"], sites_computed=n_new, sites_cached=n_cached)


def viewsheds(
    dem: DEM,
    centres_xy: Any,
    antenna_height_m: Any,
    radius_m: Any,
    *,
    azimuth_deg: Any = None,
    beamwidth_deg: Any = None,
    rx_height_m: float = DEFAULT_RX_HEIGHT_M,
    k_factor: float = K_FACTOR,
    fresnel_fraction: float = 0.0,
    frequency_mhz: Any = None,
    method: Literal["auto", "sweep", "exact"] = "auto",
    cache: bool = True,
    cache_dir: str | Path | None = None,
    workers: int | None = None,
) -> StationMasks:
    """Viewshed of each station within its radius (and wedge): the cells it sees.

    A cell is seen when a receiver ``rx_height_m`` above the cell's ground, at the cell's
    centre, has line of sight to the antenna (:func:`line_of_sight`'s model).

    ``method``:

    * ``"sweep"``: Franklin's R2 radial sweep: rays from the antenna to every cell of a
      square ring beyond the radius, the terrain interpolated where each ray crosses the
      column (or row) centre lines, a running horizon along each ray; a cell takes the
      verdict of the ray passing closest to its centre.  About ``8 r**2`` samples for a
      radius of ``r`` cells; agrees with the exact test on all but a thin rim of the
      shadows (see the tests).
    * ``"exact"``: every cell tested with its own profile (R3), identical to
      :func:`line_of_sight` at the cell centres; roughly ``r / 3`` times slower (5x on
      the sample's 172 m DEM, 13x for 3 km radii on a 90 m DEM, see ``bench/``).  Needed
      for a Fresnel clearance (the clearance depends on both ends of the path).
    * ``"auto"`` (default): ``"exact"`` when ``fresnel_fraction > 0``, else ``"sweep"``.

    Parameters
    ----------
    dem : DEM
    centres_xy : (n, 2) array
        Station locations in ``dem.crs`` (on the DEM).
    antenna_height_m : float or (n,) array
        Above ground (:func:`antenna_heights_m`).
    radius_m : float or (n,) array
        Footprint radius (:func:`geocov.stations.station_radius_m`).
    azimuth_deg, beamwidth_deg : (n,) arrays, optional
        Sector wedges as in :func:`geocov.stations.covering_pairs` (NaN: omni).
    rx_height_m, k_factor, fresnel_fraction, frequency_mhz
        As in :func:`line_of_sight` (``frequency_mhz`` per station or one value).
    cache : bool, default True
        Keep site masks in memory (bounded by ``CACHE_MAX_BYTES``) and reuse them for the
        same site, parameters and DEM content.
    cache_dir : path, optional
        Also keep them in this folder (one ``.npz`` per call that computed something),
        reused across sessions.
    workers : int, optional
        Threads (default: numba's, all cores).

    Returns
    -------
    StationMasks

    Examples
    --------
    Flat ground: a 30 m mast sees a handset up to the radio horizon, about 27.6 km:

    >>> import numpy as np
    >>> from affine import Affine
    >>> dem = DEM.from_array(np.zeros((300, 300)), Affine(250, 0, 0, 0, -250, 75000),
    ...                      "EPSG:32648")
    >>> m = viewsheds(dem, [(37500, 37500), (37500, 37500)], 30.0, [10000, 35000])
    >>> m.reaches([1, 1, 0], [(64500, 37500), (66000, 37500), (46500, 37500)]).tolist()
    [True, False, True]
    >>> m.area_km2().round(0).tolist()        # pi 10**2; pi 27.6**2
    [314.0, 2396.0]
    """
    xy, height, radius, az, bw = _stations_in(dem, centres_xy, antenna_height_m, radius_m,
                                              azimuth_deg, beamwidth_deg)
    n = len(xy)
    frac = float(fresnel_fraction)
    if not (np.isfinite(frac) and frac >= 0):
        raise SchemaError(f"fresnel_fraction must be 0 or more (0.6 for microwave links); "
                          f"got {fresnel_fraction!r}")
    if frac > 0 and frequency_mhz is None:
        raise SchemaError("fresnel_fraction needs frequency_mhz (the Fresnel zone depends on "
                          "the wavelength)")
    if method not in ("auto", "sweep", "exact"):
        raise SchemaError(f"method must be one of ['auto', 'sweep', 'exact']; got {method!r}")
    if method == "sweep" and frac > 0:
        raise SchemaError("method='sweep' cannot test a Fresnel clearance (it depends on both "
                          "ends of each path); use method='exact' or 'auto'")
    kind = "exact" if method == "exact" or (method == "auto" and frac > 0) else "sweep"
    rxh = _per_item(rx_height_m, 1, "rx_height_m", lo=0, hi=MAX_ANTENNA_HEIGHT_M)[0]
    inv2kr = _inv2kr(k_factor)
    if kind == "exact":
        lam = _wavelength(frequency_mhz, n) if frequency_mhz is not None else np.zeros(n)
        thr = frac if frequency_mhz is not None else 0.0
        extra = lam.reshape(-1, 1)
        common: tuple[float, ...] = (float(rxh), inv2kr, thr)
    else:
        extra = np.zeros((n, 0))
        common = (float(rxh), inv2kr)
    site, arrays, n_new, n_cached = _site_masks(dem, kind, xy, height, radius, extra, common,
                                                cache=cache, cache_dir=cache_dir,
                                                workers=workers)
    desc = Words("model.los", {
        "method": Words(f"model.los_{kind}"), "rx_m": rxh, "k": _k_words(inv2kr, k_factor),
        "fresnel": Words("model.fresnel", {"frac": frac}) if frac > 0 else "",
        "dem": dem.source, "cell_m": dem.cell_size_m[0]})
    return _masks(dem, desc, xy, radius, az, bw, site, arrays, n_new, n_cached)


def _k_words(inv2kr: float, k_factor: float) -> Words:
    """The earth's curvature of a model note: flat, or its effective radius factor k."""
    return (Words("model.flat_earth") if inv2kr == 0
            else Words("model.k_factor", {"k": float(k_factor)}))


def signal_masks(
    dem: DEM,
    centres_xy: Any,
    antenna_height_m: Any,
    radius_m: Any,
    *,
    frequency_mhz: Any,
    eirp_dbm: Any,
    threshold_dbm: Any,
    azimuth_deg: Any = None,
    beamwidth_deg: Any = None,
    rx_height_m: float = DEFAULT_RX_HEIGHT_M,
    k_factor: float = K_FACTOR,
    cache: bool = True,
    cache_dir: str | Path | None = None,
    workers: int | None = None,
) -> StationMasks:
    """Cells each station serves within its radius (and wedge), by path loss.

    A cell is served when ``eirp_dbm - loss >= threshold_dbm`` at a receiver
    ``rx_height_m`` above its centre, the loss being free space (ITU-R P.525) plus
    Deygout knife-edge diffraction over the terrain profile (:func:`path_loss`'s
    ``"deygout"`` model, earth bulge with ``k_factor``).  Per-technology values come
    from :func:`radio_arrays`.  Each cell has its own profile (R3 cost, about three
    passes over it).

    Examples
    --------
    >>> import numpy as np
    >>> from affine import Affine
    >>> z = np.zeros((60, 60)); z[:, 25] = 400.0          # a 400 m wall 1 km east
    >>> dem = DEM.from_array(z, Affine(100, 0, 0, 0, -100, 6000), "EPSG:32648")
    >>> m = signal_masks(dem, [(1550, 3050)], 30.0, 2400.0, frequency_mhz=1800,
    ...                  eirp_dbm=33.0, threshold_dbm=-112.0)
    >>> m.reaches([0, 0], [(1550, 3050 + 2000), (1550 + 2000, 3050)]).tolist()
    [True, False]
    """
    xy, height, radius, az, bw = _stations_in(dem, centres_xy, antenna_height_m, radius_m,
                                              azimuth_deg, beamwidth_deg)
    n = len(xy)
    f = _per_item(frequency_mhz, n, "frequency_mhz", lo=1e-9, hi=1e6) if n else np.zeros(0)
    eirp = _per_item(eirp_dbm, n, "eirp_dbm") if n else np.zeros(0)
    thr = _per_item(threshold_dbm, n, "threshold_dbm") if n else np.zeros(0)
    rxh = _per_item(rx_height_m, 1, "rx_height_m", lo=0, hi=MAX_ANTENNA_HEIGHT_M)[0]
    inv2kr = _inv2kr(k_factor)
    extra = np.column_stack([f, eirp - thr]) if n else np.zeros((0, 2))
    site, arrays, n_new, n_cached = _site_masks(dem, "signal", xy, height, radius, extra,
                                                (float(rxh), inv2kr), cache=cache,
                                                cache_dir=cache_dir, workers=workers)
    desc = Words("model.pathloss", {"rx_m": rxh, "k": _k_words(inv2kr, k_factor),
                                    "dem": dem.source, "cell_m": dem.cell_size_m[0]})
    return _masks(dem, desc, xy, radius, az, bw, site, arrays, n_new, n_cached)


# =========================================================================== radio models
@dataclass(frozen=True)
class RadioModel:
    """Link budget of one technology: what a station radiates and a handset needs.

    ``eirp_dbm`` and ``threshold_dbm`` measure the same quantity (``quantity``): the
    whole carrier for GSM, the pilot (CPICH) for UMTS, one resource element of the
    reference signal for LTE and NR (RSRP / SS-RSRP).  Served when
    ``eirp_dbm - loss >= threshold_dbm``.
    """

    frequency_mhz: float
    eirp_dbm: float
    threshold_dbm: float
    quantity: str = ""

    @property
    def max_loss_db(self) -> float:
        """The largest path loss the link can take (dB)."""
        return self.eirp_dbm - self.threshold_dbm


# Default link budgets.  A macro site: transmitter power per carrier from the 3GPP
# evaluation assumptions for macro cells (3GPP TR 36.942 Table 4.6: 46 dBm; TS 45.005
# power classes 4-5 give 20-40 W for a GSM TRX, 43 dBm taken), plus 15 dBi of antenna gain
# net of feeder loss (TR 36.942: "BS antenna gain including feeder loss 15 dBi").  The
# handset threshold is the 3GPP reference sensitivity expressed in the same quantity,
# plus a 10 dB margin for fading, body loss and an outdoor-to-usable service (a judgement,
# not a standard); raise it for an indoor or data-rate target.  Frequencies: the bands in
# use in Vietnam (GSM 900, UMTS 2100 band I, LTE 1800 band 3, NR n78 3.5 GHz).
#
# * 2G: EIRP 43 + 15 = 58 dBm on the BCCH carrier; TS 45.005 §6.2 reference sensitivity
#   of a GSM 900 MS -102 dBm -> threshold -92 dBm.
# * 3G: CPICH at 10% of a 20 W carrier (33 dBm, the common planning value, e.g. Holma &
#   Toskala, "WCDMA for UMTS") + 15 dBi = 48 dBm; TS 25.101 §7.3 reference sensitivity
#   (DPCH_Ec -117 dBm at Ior -106.7 dBm, CPICH_Ec/Ior -10 dB -> CPICH RSCP about -117 dBm)
#   -> threshold -107 dBm RSCP.
# * 4G: 46 dBm over a 10 MHz carrier (600 subcarriers: -27.8 dB per resource element) =
#   18.2 dBm per RE + 15 dBi = 33 dBm; TS 36.101 Table 7.3.1-1 REFSENS band 3, 10 MHz,
#   -94 dBm over 600 subcarriers = -121.8 dBm per RE -> threshold -112 dBm RSRP.
# * 5G: an assumption (the figures depend on the array): 200 W over 100 MHz at 30 kHz
#   (3,276 subcarriers, 53 - 35.2 = 17.8 dBm per RE) + 24 dBi SSB beam gain of a 64T64R
#   array -> about 42 dBm per RE; sensitivity about -122 dBm SS-RSRP -> threshold
#   -112 dBm, as for LTE.
RADIO_MODELS: Mapping[str, RadioModel] = {
    "2G": RadioModel(900.0, 58.0, -92.0, "GSM BCCH carrier power (RxLev)"),
    "3G": RadioModel(2100.0, 48.0, -107.0, "UMTS CPICH RSCP"),
    "4G": RadioModel(1800.0, 33.0, -112.0, "LTE RSRP (per resource element)"),
    "5G": RadioModel(3500.0, 42.0, -112.0, "NR SS-RSRP (per resource element)"),
}


def radio_models(overrides: Mapping[str, Any] | None = None) -> dict[str, RadioModel]:
    """The link budget per technology: :data:`RADIO_MODELS` with ``overrides`` merged.

    ``overrides`` maps a technology to a :class:`RadioModel` or to a mapping of some of
    its fields (``frequency_mhz``, ``eirp_dbm``, ``threshold_dbm``, ``quantity``).

    Examples
    --------
    >>> m = radio_models({"4G": {"eirp_dbm": 36.0}})
    >>> m["4G"].eirp_dbm, m["4G"].frequency_mhz, m["4G"].max_loss_db
    (36.0, 1800.0, 148.0)
    """
    out = dict(RADIO_MODELS)
    if not overrides:
        return out
    unknown = sorted(set(overrides) - set(out))
    if unknown:
        raise SchemaError(f"radio models: unknown technology key(s) {unknown}; valid keys are "
                          f"{sorted(out)}")
    fields = {"frequency_mhz", "eirp_dbm", "threshold_dbm", "quantity"}
    for tech, value in overrides.items():
        if isinstance(value, RadioModel):
            model = value
        elif isinstance(value, Mapping):
            bad = sorted(set(value) - fields)
            if bad:
                raise SchemaError(f"radio models[{tech!r}]: unknown field(s) {bad}; valid "
                                  f"fields are {sorted(fields)}")
            model = replace(out[tech], **value)
        else:
            raise SchemaError(f"radio models[{tech!r}] must be a RadioModel or a mapping of "
                              f"its fields; got {type(value).__name__}")
        nums = (model.frequency_mhz, model.eirp_dbm, model.threshold_dbm)
        if not (all(isinstance(v, (int, float)) and math.isfinite(v) for v in nums)
                and model.frequency_mhz > 0):
            raise SchemaError(f"radio models[{tech!r}]: frequency_mhz must be positive and "
                              f"eirp_dbm, threshold_dbm finite numbers; got {model}")
        out[tech] = replace(model, frequency_mhz=float(model.frequency_mhz),
                            eirp_dbm=float(model.eirp_dbm),
                            threshold_dbm=float(model.threshold_dbm))
    return out


def radio_arrays(technology: Any, models: Mapping[str, Any] | None = None
                 ) -> dict[str, np.ndarray]:
    """Per item of ``technology``: ``frequency_mhz``, ``eirp_dbm``, ``threshold_dbm``.

    Examples
    --------
    >>> a = radio_arrays(["2G", "4G"])
    >>> a["frequency_mhz"].tolist(), a["eirp_dbm"].tolist(), a["threshold_dbm"].tolist()
    ([900.0, 1800.0], [58.0, 33.0], [-92.0, -112.0])
    """
    table = radio_models(models)
    tech = pd.Series(np.asarray(technology, dtype=object).reshape(-1))
    unknown = sorted(set(tech.astype(str)) - set(table))
    if unknown:
        raise SchemaError(f"technology values {unknown[:10]} have no radio model; valid "
                          f"values are {sorted(table)}")
    return {f: tech.map({t: getattr(m, f) for t, m in table.items()}).to_numpy(float)
            for f in ("frequency_mhz", "eirp_dbm", "threshold_dbm")}


# =========================================================================== path loss
def free_space_loss_db(distance_m: Any, frequency_mhz: Any) -> np.ndarray:
    """Free-space basic transmission loss (ITU-R P.525), dB.

    ``20 log10(d_km) + 20 log10(f_MHz) + 32.45`` (32.4478 = 20 log10(4 pi 10**9 / c));
    distances below 1 m count as 1 m.

    Examples
    --------
    >>> free_space_loss_db([1000.0, 10000.0], 900.0).round(2).tolist()
    [91.53, 111.53]
    """
    d = np.maximum(np.asarray(distance_m, dtype=np.float64), 1.0)
    f = np.asarray(frequency_mhz, dtype=np.float64)
    if (f <= 0).any():
        raise SchemaError("frequency_mhz must be positive")
    return 20 * np.log10(d / 1000.0) + 20 * np.log10(f) + 32.44778


def knife_edge_loss_db(v: Any) -> np.ndarray:
    """Single knife-edge diffraction loss J(v), dB (ITU-R P.526-15 eq. (31)).

    ``6.9 + 20 log10(sqrt((v - 0.1)**2 + 1) + v - 0.1)`` for ``v > -0.78``, else 0; ``v``
    is the Fresnel-Kirchhoff parameter ``h sqrt(2 d / (lambda d1 d2))``.

    Examples
    --------
    >>> knife_edge_loss_db([-1.0, 0.0, 1.0]).round(2).tolist()
    [0.0, 6.03, 13.93]
    """
    v = np.asarray(v, dtype=np.float64)
    t = v - 0.1
    with np.errstate(invalid="ignore"):
        j = 6.9 + 20 * np.log10(np.sqrt(t * t + 1) + t)
    return np.where(v > -0.78, j, 0.0)


@dataclass(frozen=True)
class ITMSettings:
    """Longley-Rice (ITM 1.2.2) settings for :func:`path_loss` with ``model="itm"``.

    Defaults for northern Vietnam: climate 2, continental subtropical, with its surface
    refractivity N = 320 (the climate table of the ITM guide, Hufford et al., NTIA Report
    82-100); average ground (relative permittivity 15, conductivity 0.005 S/m); vertical
    polarisation (mobile networks); the median loss (50 % reliability, 50 % confidence,
    point-to-point "accidental" variability, MDVAR 11 as the ITM manual advises).
    """

    climate: int = 2
    refractivity_n: float = 320.0
    permittivity: float = 15.0
    conductivity_s_m: float = 0.005
    polarization: Literal["horizontal", "vertical"] = "vertical"
    reliability_pct: float = 50.0
    confidence_pct: float = 50.0


@dataclass(frozen=True)
class PathLoss:
    """Path loss for each (transmitter, receiver) pair.

    Attributes
    ----------
    distance_m, free_space_db, excess_db, loss_db : float arrays
        ``loss_db = free_space_db + excess_db``; the excess is the diffraction loss
        (Deygout) or ITM's loss beyond free space.
    edge_v, edge_distance_m : float arrays
        Fresnel-Kirchhoff v of the principal edge and its distance from the transmitter
        (Deygout; NaN otherwise or without an interior profile point).
    """

    distance_m: np.ndarray
    free_space_db: np.ndarray
    excess_db: np.ndarray
    loss_db: np.ndarray
    edge_v: np.ndarray
    edge_distance_m: np.ndarray

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({k: getattr(self, k) for k in self.__dataclass_fields__})


def path_loss(
    dem: DEM,
    tx_xy: Any,
    tx_height_m: Any,
    rx_xy: Any,
    rx_height_m: Any = DEFAULT_RX_HEIGHT_M,
    *,
    frequency_mhz: Any,
    k_factor: float = K_FACTOR,
    model: Literal["deygout", "free_space", "itm"] = "deygout",
    itm: ITMSettings | None = None,
) -> PathLoss:
    """Basic transmission loss between transmitters and receivers over the DEM.

    ``model``:

    * ``"deygout"`` (default): free space (ITU-R P.525) plus knife-edge diffraction over
      the terrain profile (sampled as in :func:`line_of_sight`, earth bulge with
      ``k_factor``): the principal edge's J(v) (ITU-R P.526 eq. (31)) plus the largest
      secondary edge on each side (Deygout's construction, at most three edges; the sum
      is known to overestimate for closely spaced edges).
    * ``"free_space"``: free space only.
    * ``"itm"``: Longley-Rice ITM 1.2.2 point-to-point (the ``itmlogic`` package, pure
      Python: about 0.5 ms per path, so for villages, not grids).  ITM derives its own
      effective earth from the refractivity (``ITMSettings``); ``k_factor`` is unused.

    Examples
    --------
    >>> import numpy as np
    >>> from affine import Affine
    >>> z = np.zeros((3, 120)); z[:, 60] = 150.0     # a 150 m ridge 3 km out
    >>> dem = DEM.from_array(z, Affine(50, 0, 0, 0, -50, 150), "EPSG:32648")
    >>> pl = path_loss(dem, [(25, 75)], 30.0, [(5025, 75)], frequency_mhz=900)
    >>> pl.free_space_db.round(1).tolist(), pl.excess_db.round(1).tolist()
    ([105.5], [32.6])
    """
    if model not in ("deygout", "free_space", "itm"):
        raise SchemaError(f"model must be one of ['deygout', 'free_space', 'itm']; got "
                          f"{model!r}")
    a, b, pax, pay, pbx, pby = _pair_pixels(dem, tx_xy, rx_xy)
    n = len(a)
    ht = _per_item(tx_height_m, n, "tx_height_m", lo=0, hi=MAX_ANTENNA_HEIGHT_M)
    hr = _per_item(rx_height_m, n, "rx_height_m", lo=0, hi=MAX_ANTENNA_HEIGHT_M)
    f = _per_item(frequency_mhz, n, "frequency_mhz", lo=1e-9, hi=1e6)
    cw, ch = dem.cell_size_m
    step = min(cw, ch) / 2.0
    out = {k: np.empty(n) for k in ("d", "fs", "diff", "v", "e")}
    _run("loss_pairs", dem.elevation, cw, ch, pax, pay, ht, pbx, pby, hr, _inv2kr(k_factor),
                          f, step, model == "deygout", out["d"], out["fs"], out["diff"],
                          out["v"], out["e"])
    if model == "itm":
        total = _itm_losses(dem, pax, pay, pbx, pby, out["d"], ht, hr, f, step,
                            itm or ITMSettings())
        out["diff"] = total - out["fs"]
    return PathLoss(distance_m=out["d"], free_space_db=out["fs"], excess_db=out["diff"],
                    loss_db=out["fs"] + out["diff"], edge_v=out["v"],
                    edge_distance_m=out["e"])


def _itm_losses(dem, pax, pay, pbx, pby, dist, ht, hr, f, step, s: ITMSettings) -> np.ndarray:
    try:
        from itmlogic.misc.qerfi import qerfi
        from itmlogic.preparatory_subroutines.qlrpfl import qlrpfl
        from itmlogic.statistics.avar import avar
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("model='itm' needs the itmlogic package: pip install itmlogic") \
            from exc
    if s.climate not in range(1, 8) or s.polarization not in ("horizontal", "vertical"):
        raise SchemaError(f"ITMSettings: climate must be 1..7 and polarization 'horizontal' "
                          f"or 'vertical'; got {s.climate!r}, {s.polarization!r}")
    counts = np.maximum(np.ceil(dist / step), 1).astype(np.int64)
    starts = np.zeros(len(counts) + 1, np.int64)
    np.cumsum(counts + 1, out=starts[1:])
    prof = np.empty(int(starts[-1]))
    _run("sample_profiles", dem.elevation, pax, pay, pbx, pby, counts, starts, prof)
    zr = qerfi([s.reliability_pct / 100.0])[0]
    zc = qerfi([s.confidence_pct / 100.0])[0]
    out = np.empty(len(dist))
    # itmlogic is a pure-Python port of ITM working on one path at a time: a loop over
    # the pairs is the only way to call it (hence "villages, not grids").
    for p in range(len(dist)):
        out[p] = _itm_one(prof[starts[p]:starts[p + 1]], float(dist[p]), float(ht[p]),
                          float(hr[p]), float(f[p]), s, zr, zc, qlrpfl, avar)
    return out


def _itm_one(profile, dist_m, h_tx, h_rx, f_mhz, s, zr, zc, qlrpfl, avar) -> float:
    """ITM point-to-point basic transmission loss (dB) of one profile (the call sequence
    of the ITM manual: QLRPS, QLRPFL, AVAR)."""
    npts = len(profile) - 1
    prop: dict[str, Any] = {
        "eps": s.permittivity, "sgm": s.conductivity_s_m,
        "ipol": 1 if s.polarization == "vertical" else 0,
        "fmhz": f_mhz, "hg": [h_tx, h_rx], "klim": s.climate, "ens0": s.refractivity_n,
        "lvar": 5, "gma": 157e-9, "kwx": 0, "klimx": 0, "mdvarx": 11,
        "pfl": [npts, max(dist_m, 1.0) / npts, *profile.tolist()],
    }
    prop["wn"] = f_mhz / 47.7
    prop["ens"] = prop["ens0"]
    prop["gme"] = prop["gma"] * (1 - 0.04665 * math.exp(prop["ens"] / 179.3))
    zq = complex(prop["eps"], 376.62 * prop["sgm"] / prop["wn"])
    zgnd = np.sqrt(zq - 1)
    prop["zgnd"] = zgnd / zq if prop["ipol"] != 0 else zgnd
    prop = qlrpfl(prop)
    fs = 8.685890 * math.log(2 * prop["wn"] * prop["dist"])
    a, _ = avar(zr, 0, zc, prop)
    return float(fs + a)

