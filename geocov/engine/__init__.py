"""Streamed, parallel grid engine: cells and population per (unit, coverage pattern).

The numeric core of the grid stage of :func:`geocov.coverage`, usable on its own: arrays
in, arrays out (unit polygons, station centres and radii, base-layer bits), no data
frames.

How it works
------------
The grid (a population raster's pixels, each split ``factor x factor``, or a plain grid)
is cut into strips of rows ("tiles") that are processed independently, in parallel
threads (or on a Dask cluster), and summed:

1. the tile's rows of the population raster are read plainly (no masked or boundless
   copy of the band);
2. station footprints are burned as row spans: a cell is in a station's footprint when
   the metric distance from the station to the cell centre is at most ``radius_m`` (and,
   for a sector, its bearing is within half the beamwidth of the azimuth), the distance
   measured in the stations' metric CRS (exact when it is the grid's CRS, else with the
   Jacobian of the grid -> metric mapping at the midpoint, within a metre at 35 km). Each
   base layer is one bit of a uint8 .. uint64 plane, all layers in one pass; with
   terrain (``station_masks``, :mod:`geocov.terrain`) a cell of a footprint is burned
   only where the station's viewshed or signal mask reaches the cell centre;
3. units are scan-converted from their vertex arrays (no GDAL, no Python geometry
   conversion): cells wholly inside a unit take its index; cells a unit boundary crosses
   count with the exact share of their area inside each unit (``weights="exact"``, the
   coverage fraction exactextract computes), or wholly for the unit holding their centre
   (``weights="centre"``, GDAL's rule);
4. cells and population are summed per (unit, bit pattern) in a small hash table, and
   the tile is dropped.

Memory is bounded by the tile size (plus the unit vertices), not by the raster.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import shapely
from affine import Affine

from ..errors import CRSError, SchemaError
from ..vocabulary import is_sector

__all__ = ["GridSpec", "GroupSums", "grid_coverage"]

TILE_CELLS = 4_000_000  # default tile size (cells): ~40 MB of working arrays per thread
JACOBIAN_STEP = 64  # most cells between nodes of the grid -> metric Jacobian lattice
JACOBIAN_SPACING_M = 5_000.0  # and at most this far apart
WEIGHTS = ("exact", "centre")


# --------------------------------------------------------------------------- grid
@dataclass(frozen=True)
class GridSpec:
    """A regular grid of cells, optionally the pixels of a population raster split evenly.

    Parameters
    ----------
    transform : Affine
        Transform of the cell grid (cell -> ``crs`` coordinates).
    width, height : int
        Cells per row and rows.
    crs : CRS-like
        CRS of the grid (and of the unit polygons handed to :func:`grid_coverage`).
    factor : int, default 1
        Cells per population pixel side: each pixel is split ``factor x factor`` and its
        population shared evenly between its cells.
    raster_offset : (int, int), default (0, 0)
        (row, column) of the grid's first pixel in the population raster; may be negative
        or run past the raster, where the population is 0.
    raster_shape : (int, int) or None
        (rows, columns) of the population raster, None for a grid without one.

    Examples
    --------
    >>> g = GridSpec.from_bounds((0, 0, 1000, 500), resolution_m=100, crs="EPSG:32648")
    >>> g.width, g.height, g.transform.c, g.transform.f
    (10, 5, 0.0, 500.0)
    """

    transform: Affine
    width: int
    height: int
    crs: Any
    factor: int = 1
    raster_offset: tuple[int, int] = (0, 0)
    raster_shape: tuple[int, int] | None = None

    @property
    def inside_raster(self) -> bool:
        """True when the population raster covers the whole grid."""
        if self.raster_shape is None:
            return False
        r, c = self.raster_offset
        return (
            r >= 0
            and c >= 0
            and r + self.height // self.factor <= self.raster_shape[0]
            and c + self.width // self.factor <= self.raster_shape[1]
        )

    def cell_size_m(self) -> tuple[float, float]:
        """Width and height (m) of a cell, at the grid's centre for a geographic CRS.

        Examples
        --------
        >>> GridSpec.from_bounds((0, 0, 1000, 500), resolution_m=100, crs=32648).cell_size_m()
        (100.0, 100.0)
        """
        t = self.transform
        if self.crs is None:
            return abs(t.a), abs(t.e)
        return _pixel_size_m(t, self.crs, t.f + t.e * self.height / 2)

    @classmethod
    def from_bounds(cls, bounds, *, resolution_m: float, crs: Any) -> GridSpec:
        """A ``resolution_m`` grid in a metric ``crs`` covering ``bounds``, aligned to
        multiples of ``resolution_m`` (the grid :func:`geocov.coverage` uses without a
        population raster)."""
        r = float(resolution_m)
        if not r > 0:
            raise SchemaError(f"resolution_m must be positive; got {resolution_m!r}")
        minx, miny, maxx, maxy = (float(v) for v in bounds)
        minx, miny = math.floor(minx / r) * r, math.floor(miny / r) * r
        maxx, maxy = math.ceil(maxx / r) * r, math.ceil(maxy / r) * r
        width = max(1, int(round((maxx - minx) / r)))
        height = max(1, int(round((maxy - miny) / r)))
        return cls(Affine(r, 0, minx, 0, -r, maxy), width, height, crs)

    @classmethod
    def from_raster(
        cls, path: str | Path, bounds, *, resolution_m: float, pixel_size_m=None
    ) -> GridSpec:
        """The pixels of a population raster covering ``bounds`` (in the raster's CRS),
        split by the smallest integer factor that makes cells no larger than
        ``resolution_m``.

        ``pixel_size_m`` (width, height) overrides the pixel size in metres, which is
        otherwise taken at the centre of ``bounds`` for a geographic raster.
        """
        import rasterio

        if not float(resolution_m) > 0:
            raise SchemaError(f"resolution_m must be positive; got {resolution_m!r}")
        with rasterio.open(path) as src:
            if src.crs is None:
                raise CRSError(
                    f"{path}: the population raster has no CRS; set one (e.g. with "
                    f"gdal_edit.py -a_srs EPSG:4326)"
                )
            t0, crs, shape = src.transform, src.crs, (src.height, src.width)
        minx, miny, maxx, maxy = (float(v) for v in bounds)
        inv = ~t0
        c0, r0 = inv @ (minx, maxy)
        c1, r1 = inv @ (maxx, miny)
        col0, row0 = int(math.floor(min(c0, c1))), int(math.floor(min(r0, r1)))
        col1, row1 = int(math.ceil(max(c0, c1))), int(math.ceil(max(r0, r1)))
        wt = t0 @ Affine.translation(col0, row0)
        if pixel_size_m is None:
            pixel_size_m = _pixel_size_m(wt, crs, 0.5 * (miny + maxy))
        f = max(1, int(math.ceil(max(pixel_size_m) / float(resolution_m))))
        return cls(
            wt @ Affine.scale(1.0 / f),
            max(1, col1 - col0) * f,
            max(1, row1 - row0) * f,
            crs,
            factor=f,
            raster_offset=(row0, col0),
            raster_shape=shape,
        )


def _pixel_size_m(transform, crs, lat: float) -> tuple[float, float]:
    """Width and height (m) of a pixel; at latitude ``lat`` for a geographic CRS."""
    from pyproj import CRS

    c = CRS.from_user_input(crs)
    a, e = abs(transform.a), abs(transform.e)
    if c.is_geographic:
        return a * 111_320 * math.cos(math.radians(lat)), e * 110_574
    k = c.axis_info[0].unit_conversion_factor
    return a * k, e * k


# --------------------------------------------------------------------------- result
@dataclass(frozen=True)
class GroupSums:
    """Grid cells summed per (unit, bit pattern): all the coverage metrics need.

    Attributes
    ----------
    n_units : int
    unit : int64 array
        Unit index of each group.
    pattern : uint64 array
        Bit pattern of the group's cells (bit ``b`` set = covered by base layer ``b``).
    cells : float64 array
        Cells in the group; with ``weights="exact"`` a cell a boundary crosses counts with
        the share of its area inside the unit.
    population : float64 array
        Population of those cells (0 without a raster).
    unit_cells, unit_population : float64 arrays, one per unit
        Sums over the unit's groups.
    unit_bits : uint64 array, one per unit
        OR of the patterns of the cells whose centre lies in the unit (so a bit set here
        means a footprint really reaches into the unit).
    """

    n_units: int
    unit: np.ndarray
    pattern: np.ndarray
    cells: np.ndarray
    population: np.ndarray
    unit_cells: np.ndarray
    unit_population: np.ndarray
    unit_bits: np.ndarray

    def covered(self, mask: int) -> tuple[np.ndarray, np.ndarray]:
        """(cells, population) per unit of the groups whose pattern meets ``mask``."""
        hit = (self.pattern & np.uint64(mask)) != 0
        return (
            np.bincount(self.unit, weights=self.cells * hit, minlength=self.n_units),
            np.bincount(self.unit, weights=self.population * hit, minlength=self.n_units),
        )


# --------------------------------------------------------------------------- inputs
@dataclass(frozen=True)
class _Polygons:
    """Polygon vertices in grid pixel coordinates, one vertex range per geometry."""

    xs: np.ndarray
    ys: np.ndarray
    last: np.ndarray
    vstart: np.ndarray
    vend: np.ndarray
    xmin: np.ndarray
    xmax: np.ndarray
    ymin: np.ndarray
    ymax: np.ndarray
    orient: float

    def rows_select(self, r0: int, r1: int) -> np.ndarray:
        return np.flatnonzero((self.ymax > r0) & (self.ymin < r1) & (self.vend > self.vstart))


def _polygons(geoms, grid: GridSpec, what: str) -> _Polygons:
    """Vertices of (Multi)Polygons in grid pixel coordinates, rings oriented so that
    exteriors have positive and holes negative area there (no GEOS copies: one ragged
    array)."""
    geoms = np.asarray(geoms, dtype=object).reshape(-1)
    n = len(geoms)
    kinds = shapely.get_type_id(geoms)
    bad = np.isin(kinds, [-1, 3, 6], invert=True) & ~shapely.is_empty(geoms)
    if bad.any():
        rows = np.flatnonzero(bad)
        names = sorted({g.geom_type for g in geoms[rows[:10]]})
        raise SchemaError(
            f"{what}: geometries must be Polygon or MultiPolygon; items {rows[:10].tolist()} "
            f"are {names}"
        )
    keep = np.isin(kinds, [3, 6])
    if keep.any():
        _, coords, offsets = shapely.to_ragged_array(geoms[keep])
        ring_off = offsets[0]
        poly_off = offsets[1]
        geom_off = offsets[2] if len(offsets) > 2 else np.arange(len(poly_off))
    else:
        coords, ring_off = np.zeros((0, 2)), np.zeros(1, np.int64)
        poly_off = geom_off = np.zeros(1, np.int64)
    inv = ~grid.transform
    xs = inv.a * coords[:, 0] + inv.b * coords[:, 1] + inv.c
    ys = inv.d * coords[:, 0] + inv.e * coords[:, 1] + inv.f
    n_rings = len(ring_off) - 1
    lengths = np.diff(ring_off)
    ring_of = np.repeat(np.arange(n_rings), lengths)
    # signed area of each ring (shoelace, pixel coordinates), exterior = first of its polygon
    cross = np.zeros(len(xs))
    if len(xs) > 1:
        cross[:-1] = xs[:-1] * ys[1:] - xs[1:] * ys[:-1]
    last = np.zeros(len(xs), dtype=np.bool_)
    last[ring_off[1:][lengths > 0] - 1] = True
    cross[last] = 0.0
    area = np.zeros(n_rings)
    np.add.at(area, ring_of, cross)
    exterior = np.zeros(n_rings, dtype=bool)
    exterior[poly_off[:-1][np.diff(poly_off) > 0]] = True
    flip = np.flatnonzero((exterior & (area < 0)) | (~exterior & (area > 0)))
    if len(flip):
        sel = np.isin(ring_of, flip)
        i = np.flatnonzero(sel)
        r = ring_of[i]
        j = ring_off[r] + ring_off[r + 1] - 1 - i
        xs[i], ys[i] = xs[j], ys[j]
    # vertex range of each input geometry
    vstart = np.zeros(n, np.int64)
    vend = np.zeros(n, np.int64)
    vstart[keep] = ring_off[poly_off[geom_off[:-1]]]
    vend[keep] = ring_off[poly_off[geom_off[1:]]]
    has = vend > vstart
    bounds = np.zeros((4, n))
    if has.any():
        starts = vstart[has]
        bounds[0, has] = np.minimum.reduceat(xs, starts)
        bounds[1, has] = np.maximum.reduceat(xs, starts)
        bounds[2, has] = np.minimum.reduceat(ys, starts)
        bounds[3, has] = np.maximum.reduceat(ys, starts)
    return _Polygons(
        np.ascontiguousarray(xs),
        np.ascontiguousarray(ys),
        last,
        vstart,
        vend,
        bounds[0],
        bounds[1],
        bounds[2],
        bounds[3],
        orient=1.0,
    )


@dataclass(frozen=True)
class _Discs:
    cx: np.ndarray
    cy: np.ndarray
    radius: np.ndarray
    mask: np.ndarray
    row_lo: np.ndarray
    row_hi: np.ndarray
    sector: np.ndarray
    ux: np.ndarray
    uy: np.ndarray
    cos_half: np.ndarray
    jl: np.ndarray
    step: float

    def rows_select(self, r0: int, r1: int) -> np.ndarray:
        return np.flatnonzero((self.row_lo < r1) & (self.row_hi > r0))


def _jacobians(grid: GridSpec, stations_crs):
    """Pixel -> metre Jacobian lattice (4, ny, nx) and its step (cells)."""
    from pyproj import CRS, Transformer

    gcrs = CRS.from_user_input(grid.crs) if grid.crs is not None else None
    scrs = CRS.from_user_input(stations_crs) if stations_crs is not None else gcrs
    t = grid.transform
    if scrs is not None and stations_crs is not None and scrs.is_geographic:
        raise CRSError(f"stations_crs must be a metric CRS; got {scrs.to_string()}")
    if gcrs is None or scrs is None or scrs == gcrs:  # metres on the grid itself
        if gcrs is not None and gcrs.is_geographic:
            raise CRSError(
                f"stations: the grid's CRS ({gcrs.to_string()}) is geographic; pass "
                f"stations_crs, the metric CRS of centres_xy and radius_m"
            )
        k = gcrs.axis_info[0].unit_conversion_factor if gcrs is not None else 1.0
        jl = np.array([t.a, t.b, t.d, t.e], dtype=np.float64).reshape(4, 1, 1) * k
        return jl, 1.0
    tr = Transformer.from_crs(gcrs, scrs, always_xy=True)
    k = scrs.axis_info[0].unit_conversion_factor

    def metric(px, py):
        x, y = t.a * px + t.b * py + t.c, t.d * px + t.e * py + t.f
        e, n = tr.transform(x, y)
        return np.asarray(e) * k, np.asarray(n) * k

    # lattice nodes at most JACOBIAN_SPACING_M apart (bilinear error ~1e-7 of a distance)
    mx, my = np.array([grid.width / 2, grid.width / 2 + 1.0]), np.full(2, grid.height / 2)
    e, n = metric(mx, my)
    cell_m = float(np.hypot(e[1] - e[0], n[1] - n[0]))
    limit = JACOBIAN_SPACING_M / cell_m if cell_m > 0 else JACOBIAN_STEP
    step = float(max(1, min(JACOBIAN_STEP, int(limit), grid.width // 2, grid.height // 2)))
    nx = int(math.ceil(grid.width / step)) + 1
    ny = int(math.ceil(grid.height / step)) + 1
    gx, gy = np.meshgrid(np.arange(nx) * step, np.arange(ny) * step)
    ex1, nx1 = metric(gx + 0.5, gy)
    ex0, nx0 = metric(gx - 0.5, gy)
    ey1, ny1 = metric(gx, gy + 0.5)
    ey0, ny0 = metric(gx, gy - 0.5)
    jl = np.stack([ex1 - ex0, ey1 - ey0, nx1 - nx0, ny1 - ny0]).astype(np.float64)
    if not np.isfinite(jl).all():
        raise CRSError(
            f"the grid cannot be mapped to the stations' CRS {scrs.to_string()} everywhere "
            f"(outside its area of use?); pick a working CRS that covers the study area"
        )
    return jl, step


def _discs(
    grid, centres_xy, radius_m, bits, azimuth_deg, beamwidth_deg, stations_crs, dtype
) -> _Discs:
    from pyproj import CRS, Transformer

    xy = np.asarray(centres_xy, dtype=np.float64).reshape(-1, 2)
    n = len(xy)
    r = np.asarray(radius_m, dtype=np.float64).reshape(-1)
    b = np.asarray(bits).reshape(-1)
    az = np.full(n, np.nan) if azimuth_deg is None else np.asarray(azimuth_deg, float)
    bw = np.full(n, np.nan) if beamwidth_deg is None else np.asarray(beamwidth_deg, float)
    if not (len(r) == len(b) == len(az) == len(bw) == n):
        raise SchemaError(
            f"stations: centres_xy has {n} rows but radius_m, bit_of_station, azimuth_deg "
            f"and beamwidth_deg have {len(r)}, {len(b)}, {len(az)}, {len(bw)}"
        )
    bad = ~(np.isfinite(r) & (r >= 0) & np.isfinite(xy).all(axis=1))
    if bad.any():
        raise SchemaError(
            f"stations: items {np.flatnonzero(bad)[:10].tolist()} have a missing, negative "
            f"or non-finite radius_m or centre"
        )
    gcrs = CRS.from_user_input(grid.crs) if grid.crs is not None else None
    if stations_crs is not None and gcrs is not None and CRS.from_user_input(stations_crs) != gcrs:
        gx, gy = Transformer.from_crs(stations_crs, gcrs, always_xy=True).transform(
            xy[:, 0], xy[:, 1]
        )
    else:
        gx, gy = xy[:, 0], xy[:, 1]
    inv = ~grid.transform
    cx = inv.a * np.asarray(gx) + inv.b * np.asarray(gy) + inv.c
    cy = inv.d * np.asarray(gx) + inv.e * np.asarray(gy) + inv.f
    jl, step = _jacobians(grid, stations_crs)
    # rows reached: |row offset| <= r * ||second row of J^-1||, with a margin when J varies
    j0, j1, j2, j3 = (np.full(n, jl[i, 0, 0]) for i in range(4))
    if jl.shape[1] > 1:
        ii = np.clip(np.rint(cx / step).astype(np.int64), 0, jl.shape[2] - 1)
        jj = np.clip(np.rint(cy / step).astype(np.int64), 0, jl.shape[1] - 1)
        j0, j1, j2, j3 = (jl[i, jj, ii] for i in range(4))
    det = j0 * j3 - j1 * j2
    half_rows = r * np.hypot(j2, j0) / np.abs(det)
    if jl.shape[1] > 1:
        half_rows = half_rows * 1.05 + 2
    row_lo = np.clip(np.ceil(cy - half_rows - 0.5), 0, grid.height).astype(np.int64)
    row_hi = np.clip(np.floor(cy + half_rows - 0.5) + 1, 0, grid.height).astype(np.int64)
    sector = is_sector(az, bw)
    rad = np.radians(np.where(sector, az, 0.0))
    return _Discs(
        np.ascontiguousarray(cx),
        np.ascontiguousarray(cy),
        r,
        np.left_shift(np.ones(n, dtype=dtype), b.astype(dtype)),
        row_lo,
        row_hi,
        sector,
        np.sin(rad),
        np.cos(rad),
        np.cos(np.radians(np.where(sector, bw, 360.0) / 2)),
        jl,
        step,
    )


# --------------------------------------------------------------------------- tiles
@dataclass(frozen=True)
class _Plan:
    """Everything a tile needs (picklable, so that tiles can run on a Dask cluster)."""

    grid: GridSpec
    population: str | None
    units: _Polygons
    discs: _Discs | None
    polygons: _Polygons | None
    polygon_mask: np.ndarray | None
    bit_dtype: Any
    exact: bool
    terrain: tuple | None = None  # StationMasks.lookup_arrays() values, in kernel order


#: Kernel arguments standing for "no terrain masks" (numba types them like real ones).
_NO_TERRAIN = (
    np.zeros(0, np.uint8),
    np.zeros(1, np.int64),
    *(np.zeros(0, np.int64) for _ in range(5)),
    np.zeros(0, np.float64),
    np.zeros(0, np.float64),
    1.0,
    1.0,
)
_TERRAIN_KEYS = (
    "bits",
    "offset",
    "row0",
    "col0",
    "nrows",
    "ncols",
    "site",
    "spx",
    "spy",
    "cw",
    "ch",
)


def _terrain_arrays(station_masks, n_stations: int, grid: GridSpec, stations_crs) -> tuple:
    """The masks' lookup arrays for the kernel, checked against the engine's stations."""
    from pyproj import CRS

    if len(station_masks) != n_stations:
        raise SchemaError(
            f"station_masks has {len(station_masks)} stations but centres_xy has "
            f"{n_stations}; compute the masks for the same stations, in the same order"
        )
    scrs = stations_crs if stations_crs is not None else grid.crs
    if scrs is not None and not CRS.from_user_input(scrs).equals(station_masks.crs):
        raise CRSError(
            f"station_masks are on a DEM in {station_masks.crs.name} but the stations are in "
            f"{CRS.from_user_input(scrs).name}; read the DEM in the stations' metric CRS "
            f"(geocov.terrain.read_dem(path, crs=...))"
        )
    a = station_masks.lookup_arrays()
    out = []
    for k in _TERRAIN_KEYS:
        v = a[k]
        if isinstance(v, np.ndarray):
            dtype = {"bits": np.uint8, "spx": np.float64, "spy": np.float64}.get(k, np.int64)
            v = np.ascontiguousarray(v, dtype=dtype)
        else:
            v = float(v)
        out.append(v)
    return tuple(out)


def _read_population(
    plan: _Plan, r0: int, r1: int, cols: tuple[int, int]
) -> tuple[np.ndarray, float]:
    """The population pixels under grid rows [r0, r1) (zero outside grid columns
    ``cols`` and outside the raster), and the raster's nodata value."""
    import rasterio
    from rasterio.enums import MaskFlags
    from rasterio.windows import Window

    g = plan.grid
    f = g.factor
    c0, c1 = r0 // f, -(-r1 // f)
    row0, col0 = g.raster_offset[0] + c0, g.raster_offset[1]
    h, w = c1 - c0, g.width // f
    out = np.zeros((h, w), dtype=np.float32)
    with rasterio.open(plan.population) as src:
        nodata = np.nan if src.nodata is None else float(src.nodata)
        rr0, rr1 = max(row0, 0), min(row0 + h, src.height)
        cc0 = max(col0 + cols[0] // f, 0)
        cc1 = min(col0 + -(-cols[1] // f), col0 + w, src.width)
        if rr1 > rr0 and cc1 > cc0:
            win = Window(cc0, rr0, cc1 - cc0, rr1 - rr0)
            part = out[rr0 - row0 : rr1 - row0, cc0 - col0 : cc1 - col0]
            if part.flags.c_contiguous:
                src.read(1, window=win, out=part)
            else:
                part[...] = src.read(1, window=win, out_dtype=np.float32)
            flags = src.mask_flag_enums[0]
            if MaskFlags.per_dataset in flags or MaskFlags.alpha in flags:
                part[src.read_masks(1, window=win) == 0] = 0.0
    return out, nodata


def _run_tile(plan: _Plan, r0: int, r1: int):
    from . import _kernels as k

    g = plan.grid
    bits = np.zeros((r1 - r0, g.width), dtype=plan.bit_dtype)
    d = plan.discs
    if d is not None:
        k.burn_discs(
            bits,
            r0,
            d.rows_select(r0, r1),
            d.cx,
            d.cy,
            d.radius,
            d.mask,
            d.row_lo,
            d.row_hi,
            d.sector,
            d.ux,
            d.uy,
            d.cos_half,
            d.jl,
            d.step,
            plan.terrain is not None,
            *(plan.terrain if plan.terrain is not None else _NO_TERRAIN),
        )
    p = plan.polygons
    if p is not None:
        k.burn_polygons(
            bits,
            r0,
            p.rows_select(r0, r1),
            p.xs,
            p.ys,
            p.last,
            p.vstart,
            p.vend,
            p.xmin,
            p.xmax,
            p.ymin,
            p.ymax,
            plan.polygon_mask,
        )
    u = plan.units
    idx = u.rows_select(r0, r1)
    if plan.population is not None and len(idx):
        cols = (max(int(math.floor(u.xmin[idx].min())), 0), int(math.ceil(u.xmax[idx].max())))
        pop, nodata = _read_population(plan, r0, r1, cols)
    else:
        pop, nodata = np.zeros((0, 0), np.float32), np.nan
    return k.tile_sums(
        bits,
        r0,
        pop,
        g.factor,
        nodata,
        idx,
        u.xs,
        u.ys,
        u.last,
        u.vstart,
        u.vend,
        u.xmin,
        u.xmax,
        u.ymin,
        u.ymax,
        u.orient,
        plan.exact,
        len(u.vstart),
    )


def _tiles(grid: GridSpec, population, tile_rows) -> list[tuple[int, int]]:
    f = grid.factor
    if tile_rows is not None:
        step = max(1, -(-int(tile_rows) // f))  # population rows per tile
        first = step
    else:
        block = 1
        if population is not None:
            import rasterio

            with rasterio.open(population) as src:
                block = max(1, int(src.block_shapes[0][0]))
        per_tile = max(1, round(TILE_CELLS / max(grid.width, 1) / (block * f)))
        step = block * per_tile
        # align tile borders with the raster's blocks, so no block is decoded twice
        first = step - (grid.raster_offset[0] % block) if block > 1 else step
    rows = grid.height // f
    edges = [0, *range(min(first, rows), rows, step), rows]
    edges = sorted(set(edges))
    return [(a * f, b * f) for a, b in zip(edges[:-1], edges[1:], strict=False) if b > a]


def _merge(parts, n_units: int) -> GroupSums:
    unit = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, np.int64)
    pattern = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, np.uint64)
    cells = np.concatenate([p[2] for p in parts]) if parts else np.zeros(0)
    pop = np.concatenate([p[3] for p in parts]) if parts else np.zeros(0)
    unit_bits = np.zeros(n_units, np.uint64)
    for p in parts:
        unit_bits |= p[4]
    order = np.lexsort((pattern, unit))
    unit, pattern, cells, pop = unit[order], pattern[order], cells[order], pop[order]
    if len(unit):
        new = np.flatnonzero(np.r_[True, (unit[1:] != unit[:-1]) | (pattern[1:] != pattern[:-1])])
        unit, pattern = unit[new], pattern[new]
        cells, pop = np.add.reduceat(cells, new), np.add.reduceat(pop, new)
    return GroupSums(
        n_units=n_units,
        unit=unit.astype(np.int64),
        pattern=pattern.astype(np.uint64),
        cells=cells.astype(np.float64),
        population=pop.astype(np.float64),
        unit_cells=np.bincount(unit, weights=cells, minlength=n_units),
        unit_population=np.bincount(unit, weights=pop, minlength=n_units),
        unit_bits=unit_bits,
    )


# --------------------------------------------------------------------------- public
def grid_coverage(
    units,
    *,
    grid: GridSpec,
    population: str | Path | None = None,
    centres_xy=None,
    radius_m=None,
    bit_of_station=None,
    azimuth_deg=None,
    beamwidth_deg=None,
    stations_crs: Any = None,
    polygons=None,
    bit_of_polygon=None,
    weights: Literal["exact", "centre"] = "exact",
    tile_rows: int | None = None,
    workers: int = 2,
    client: Any = None,
    station_masks: Any = None,
) -> GroupSums:
    """Cells and population of a grid summed per (unit, footprint bit pattern).

    Parameters
    ----------
    units : array-like of (Multi)Polygon
        Unit polygons in ``grid.crs``; the result refers to them by position. Empty or
        missing geometries own no cell.
    grid : GridSpec
        The cell grid (:meth:`GridSpec.from_raster` or :meth:`GridSpec.from_bounds`).
    population : path, optional
        The population raster ``grid`` was made from (people per pixel; nodata, negative
        and non-finite pixels count as 0). None: population sums are 0.
    centres_xy : (n, 2) array, optional
        Station centres in ``stations_crs``.
    radius_m : (n,) array
        Footprint radius of each station, in metres of ``stations_crs``.
    bit_of_station : (n,) int array
        Base-layer bit (0..63) each station sets.
    azimuth_deg, beamwidth_deg : (n,) arrays, optional
        Sector wedges (clockwise from north in ``stations_crs``; NaN, or a beamwidth of
        360 or more, means a disc), as in :func:`geocov.covering_pairs`.
    stations_crs : CRS-like, optional
        Metric CRS of ``centres_xy`` and ``radius_m``; default ``grid.crs``.
    polygons : array-like of (Multi)Polygon, optional
        Further footprints as polygons in ``grid.crs`` (cells whose centre they contain).
    bit_of_polygon : (m,) int array
        The bit each of ``polygons`` sets.
    weights : {"exact", "centre"}, default "exact"
        How a cell that unit boundaries cross is shared: by the exact share of its area
        in each unit, or wholly to the unit holding its centre.
    tile_rows : int, optional
        Rows per tile (rounded up to whole population pixels); default about
        4 million cells, aligned with the raster's blocks.
    workers : int, default 2
        Threads processing tiles (ignored with ``client``).
    client : dask.distributed.Client, optional
        Map the tiles over this Dask cluster instead of local threads.
    station_masks : geocov.terrain.StationMasks, optional
        Terrain: what each station reaches over a DEM (:func:`geocov.terrain.viewsheds`
        or :func:`geocov.terrain.signal_masks` for the same stations, in the same order,
        on a DEM in ``stations_crs``). A cell of a disc or wedge is then covered only
        where the station's mask reaches the cell centre.

    Returns
    -------
    GroupSums

    Raises
    ------
    SchemaError
        If an array has the wrong length, a radius is missing or negative, a bit is out of
        range, a geometry is not polygonal or an option is unknown.
    CRSError
        If the stations' CRS is not metric, or ``station_masks`` are on a DEM in another
        CRS.

    Examples
    --------
    Two 5 m x 10 m units side by side on a 1 m grid, and one 2 m disc in the left one:

    >>> from shapely import box
    >>> g = GridSpec.from_bounds((0, 0, 10, 10), resolution_m=1, crs="EPSG:32648")
    >>> s = grid_coverage([box(0, 0, 5, 10), box(5, 0, 10, 10)], grid=g,
    ...                   centres_xy=[[2.5, 5.0]], radius_m=[2.0], bit_of_station=[0])
    >>> s.unit_cells.tolist()
    [50.0, 50.0]
    >>> s.covered(1)[0].tolist()    # cells whose centre lies within 2 m of the station
    [12.0, 0.0]
    >>> s.unit_bits.tolist()
    [1, 0]
    """
    if weights not in WEIGHTS:
        raise SchemaError(f"weights must be one of {list(WEIGHTS)}; got {weights!r}")
    if int(workers) < 1:
        raise SchemaError(f"workers must be at least 1; got {workers!r}")
    if tile_rows is not None and int(tile_rows) < 1:
        raise SchemaError(f"tile_rows must be at least 1; got {tile_rows!r}")
    if population is not None and grid.raster_shape is None:
        raise SchemaError(
            "population is given but grid was not made from a raster; build it with "
            "GridSpec.from_raster(population, bounds, resolution_m=...)"
        )
    unit_polys = _polygons(units, grid, "units")
    n_bits = 0
    for name, given in (("bit_of_station", centres_xy), ("bit_of_polygon", polygons)):
        if given is None:
            continue
        b = np.asarray(bit_of_station if name == "bit_of_station" else bit_of_polygon)
        b = b.reshape(-1)
        if len(b) and (b.min() < 0 or b.max() > 63 or not np.issubdtype(b.dtype, np.integer)):
            raise SchemaError(f"{name} must be integers in 0..63; got {b.min()}..{b.max()}")
        n_bits = max(n_bits, int(b.max()) + 1 if len(b) else 0)
    bit_dtype = next(
        t for t in (np.uint8, np.uint16, np.uint32, np.uint64) if n_bits <= 8 * np.dtype(t).itemsize
    )
    discs = None
    if centres_xy is not None:
        discs = _discs(
            grid,
            centres_xy,
            radius_m,
            bit_of_station,
            azimuth_deg,
            beamwidth_deg,
            stations_crs,
            bit_dtype,
        )
    terrain = None
    if station_masks is not None:
        if centres_xy is None:
            raise SchemaError("station_masks needs the stations (centres_xy, radius_m, ...)")
        terrain = _terrain_arrays(station_masks, len(discs.cx) if discs else 0, grid, stations_crs)
    poly = mask = None
    if polygons is not None:
        poly = _polygons(polygons, grid, "polygons")
        bp = np.asarray(bit_of_polygon).reshape(-1)
        if len(bp) != len(poly.vstart):
            raise SchemaError(
                f"polygons has {len(poly.vstart)} items but bit_of_polygon has {len(bp)}"
            )
        mask = np.left_shift(np.ones(len(bp), dtype=bit_dtype), bp.astype(bit_dtype))
    plan = _Plan(
        grid=grid,
        population=None if population is None else str(population),
        units=unit_polys,
        discs=discs,
        polygons=poly,
        polygon_mask=mask,
        bit_dtype=bit_dtype,
        exact=weights == "exact",
        terrain=terrain,
    )
    tiles = _tiles(grid, plan.population, tile_rows)
    if client is not None:
        shared = client.scatter(plan, broadcast=True)
        futures = client.map(
            _run_tile,
            [shared] * len(tiles),
            [a for a, _ in tiles],
            [b for _, b in tiles],
            pure=False,
        )
        parts = client.gather(futures)
    elif int(workers) == 1 or len(tiles) == 1:
        parts = [_run_tile(plan, a, b) for a, b in tiles]
    else:
        with ThreadPoolExecutor(max_workers=int(workers)) as pool:
            parts = list(pool.map(lambda t: _run_tile(plan, *t), tiles))
    return _merge(parts, len(unit_polys.vstart))
