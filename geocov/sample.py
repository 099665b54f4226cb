"""The built-in synthetic sample province, and the region generator behind it.

:func:`make_region` builds a whole synthetic region in memory, deterministically from a
seed (``numpy.random.default_rng(seed)``) and without Python loops over rows: a
province outline with an irregular border, communes as clipped Voronoi cells, districts
and provinces as contiguous groups of communes, a fractal terrain (ridges up to about
3,000 m, valleys at 100–300 m), villages clustered in the valleys, base stations on
shared sites, a fiber tree along "roads" from the provincial town to the district towns
and most commune centres, and a population raster consistent with the villages.

:func:`write_sample` writes one realistic mountainous province (about the size of Lào
Cai: ~6,300 km², 9 districts, ~150 communes, ~1,500 villages, ~1,000 stations) to the
shipped locations, and :func:`sample_paths` finds those files again.  The national-scale
benchmark (``bench/synthetic.py``) uses :func:`make_region` too.

Everything is synthetic: names are made of Vietnamese syllables, codes are GSO-*style*
(province 2 digits, district 3, commune 5) but belong to no real unit.

Rasters are in EPSG:4326 on a grid aligned to multiples of the cell size, like
WorldPop: population at 3 arc-seconds (about 100 m; people per cell, float32, nodata
-99999 outside the region) and terrain at 6 arc-seconds in the sample (metres, int16).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from affine import Affine

from .errors import DataSourceError

__all__ = ["make_region", "write_sample", "sample_paths", "SyntheticRaster", "SAMPLE_SEED"]

logger = logging.getLogger(__name__)

SAMPLE_SEED = 2020
#: keys of :func:`sample_paths` / :func:`write_sample`
SAMPLE_KEYS = ("units", "villages", "stations", "fiber", "population", "terrain", "analysis")
_UNITS_FILE = "sample_province.gpkg"
_DATA_FILES = {
    "villages": "villages.csv",
    "stations": "stations.csv",
    "fiber": "fiber.gpkg",
    "population": "population.tif",
    "terrain": "terrain.tif",
    "analysis": "analysis.toml",
}
# the sample province: a mountainous northern province the size of Lào Cai
_SAMPLE_REGION: dict[str, Any] = dict(
    n_provinces=1,
    districts_per_province=9,
    communes_per_district=150 / 9,
    villages_per_commune=10.0,
    stations=1000,
    centre_lonlat=(104.05, 22.35),
    area_km2=6300.0,
    code_start=(10, 80, 2635),
    terrain_res_deg=1 / 600,
)

POP_NODATA = -99999.0
OPERATORS = ("Viettel", "VNPT-VinaPhone", "MobiFone", "Vietnamobile")
_OPERATOR_SHARES = (0.45, 0.25, 0.23, 0.07)
_OPERATOR_ABBR = np.array(["VT", "VNP", "MBF", "VNM"])
_TECH_SHARES = (0.311, 0.391, 0.298)  # 2G, 3G, 4G rows
# mixed real-world spellings of each technology, with their frequencies
_SPELLINGS = (
    (("2G", "GSM", "gsm", "2g"), (0.5, 0.3, 0.1, 0.1)),
    (("3G", "UMTS", "WCDMA", "3g"), (0.5, 0.25, 0.15, 0.1)),
    (("4G", "LTE", "lte", "4g"), (0.5, 0.3, 0.1, 0.1)),
)
_SYLLABLES = np.array(
    "Bản Mường Khoang Lum Nậm Pá Sìn Hồ Tả Phìn Sa Pả Lùng Chải Cốc Ly Thàng Tòng Sán Chư "
    "Bảo Yên Văn Bàn Hợp Thành Tường Lương Khánh Phúc Xuân Quang Kim Sơn Thượng Hà Lâm "
    "Việt Tiến Cam Đường Dìn Nhìu Lao Ngải Thầu Séo Mý Vần Xèo Phong Niêm Thái Minh Na "
    "Hội Tân An Hoà Bình Long Phú Thịnh Đông Trung Hưng Đồng Lạc Khuông Mản Lầu Pìn Tủa "
    "Sủng Cán Dền Vược Nà Pắc Khe Làng Ngòi Chiềng Púng Luông Háo Xá Khâm Giàng Quàng".split()
)


# --------------------------------------------------------------------------- rasters
@dataclass(frozen=True)
class SyntheticRaster:
    """A single-band raster on a north-up grid, computed strip by strip on demand.

    ``strips(r0, r1)`` returns rows ``r0:r1`` of the band, so a national raster can be
    written block by block without holding it in memory.
    """

    transform: Affine
    width: int
    height: int
    dtype: str
    nodata: float | None
    crs: str
    strip: Callable[[int, int], np.ndarray]

    def read(self) -> np.ndarray:
        """The whole band as an array of shape (height, width)."""
        return self.strip(0, self.height)

    def _strips(self, rows: int) -> Iterator[tuple[int, np.ndarray]]:
        for r0 in range(0, self.height, rows):
            yield r0, self.strip(r0, min(self.height, r0 + rows))

    def write(self, path: str | Path, *, block: int = 512, zlevel: int = 6) -> Path:
        """Write a tiled, deflate-compressed GeoTIFF, ``block`` rows at a time."""
        import rasterio
        from rasterio.windows import Window

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tiled = self.width > block and self.height > block
        profile = dict(
            driver="GTiff",
            width=self.width,
            height=self.height,
            count=1,
            dtype=self.dtype,
            crs=self.crs,
            transform=self.transform,
            nodata=self.nodata,
            compress="deflate",
            zlevel=zlevel,
            predictor=3 if self.dtype.startswith("float") else 2,
        )
        if tiled:
            profile.update(tiled=True, blockxsize=block, blockysize=block)
        with rasterio.open(path, "w", **profile) as dst:
            for r0, arr in self._strips(block if tiled else self.height):
                dst.write(arr, 1, window=Window(0, r0, self.width, arr.shape[0]))
        return path


def _grid(
    bounds: tuple[float, float, float, float], res: float, pad: int
) -> tuple[Affine, int, int]:
    """A north-up lon/lat grid of cell size ``res`` aligned to multiples of ``res``."""
    minx, miny, maxx, maxy = bounds
    c0 = math.floor(minx / res) - pad
    c1 = math.ceil(maxx / res) + pad
    r0 = math.floor(miny / res) - pad
    r1 = math.ceil(maxy / res) + pad
    return Affine(res, 0.0, c0 * res, 0.0, -res, r1 * res), c1 - c0, r1 - r0


def _zfill(a: np.ndarray, width: int) -> np.ndarray:
    """Zero-padded decimal strings of the integers ``a`` (also for an empty array)."""
    a = np.asarray(a).astype(str)
    return np.char.zfill(a, width) if a.size else a


def _colrow(t: Affine, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fractional (col, row) of lon/lat in a north-up grid."""
    return (x - t.c) / t.a, (y - t.f) / t.e


def _bilinear(
    a: np.ndarray, rows: np.ndarray, cols: np.ndarray, *, smooth: bool = False
) -> np.ndarray:
    """Interpolate ``a`` at fractional (row, col) indices (broadcast together)."""
    rows = np.clip(rows, 0, a.shape[0] - 1.000001)
    cols = np.clip(cols, 0, a.shape[1] - 1.000001)
    r0 = rows.astype(np.intp)
    c0 = cols.astype(np.intp)
    fr = rows - r0
    fc = cols - c0
    if smooth:
        fr = fr * fr * (3 - 2 * fr)
        fc = fc * fc * (3 - 2 * fc)
    top = a[r0, c0] * (1 - fc) + a[r0, c0 + 1] * fc
    bottom = a[r0 + 1, c0] * (1 - fc) + a[r0 + 1, c0 + 1] * fc
    return top * (1 - fr) + bottom * fr


def _box_blur(a: np.ndarray, radius: int, *, passes: int = 3) -> np.ndarray:
    """Repeated box blur (close to a Gaussian, sigma ~ radius) with zero padding."""
    out = a.astype(np.float64)
    n = 2 * radius + 1
    for axis in (0, 1):
        for _ in range(passes):
            pad = [(0, 0), (0, 0)]
            pad[axis] = (radius + 1, radius)
            c = np.cumsum(np.pad(out, pad), axis=axis)
            hi = [slice(None)] * 2
            lo = [slice(None)] * 2
            hi[axis] = slice(n, None)
            lo[axis] = slice(None, -n)
            out = (c[tuple(hi)] - c[tuple(lo)]) / n
    return out


def _fractal(shape: tuple[int, int], cell_km: float, rng: np.random.Generator) -> np.ndarray:
    """Ridged fractal noise in [0, 1] on a grid of ``shape`` with cells of ``cell_km``."""
    h, w = shape
    total = np.zeros(shape)
    rows = np.arange(h)[:, None]
    cols = np.arange(w)[None, :]
    wavelength_km, amp = 90.0, 1.0
    while wavelength_km / cell_km >= 2.0:
        s = wavelength_km / cell_km
        coarse = rng.standard_normal((int(h / s) + 3, int(w / s) + 3))
        v = _bilinear(coarse, rows / s + 1, cols / s + 1, smooth=True)
        ridged = 1.0 - np.abs(np.tanh(v))
        total += amp * (ridged if wavelength_km < 60 else 0.5 * (v + 2.0))
        wavelength_km /= 2.0
        amp *= 0.5
    lo, hi = np.percentile(total, [1.0, 99.7])
    return np.clip((total - lo) / (hi - lo), 0.0, 1.0)


# --------------------------------------------------------------------------- geometry
def _outline(rng: np.random.Generator, area_m2: float) -> shapely.Polygon:
    """An irregular, star-shaped outline of exactly ``area_m2`` centred on (0, 0)."""
    n_vert = int(np.clip(600 * math.sqrt(area_m2 / 6.3e9), 600, 4000))
    theta = np.linspace(0.0, 2 * np.pi, n_vert, endpoint=False)
    k = np.arange(2, 96)
    amp = 0.22 * k**-1.1 * rng.standard_normal(k.size)
    phase = rng.uniform(0, 2 * np.pi, k.size)
    r = np.exp((amp[:, None] * np.cos(k[:, None] * theta[None, :] + phase[:, None])).sum(0))
    poly = shapely.Polygon(np.c_[r * np.cos(theta), r * np.sin(theta)])
    return shapely.affinity.scale(poly, *(2 * [math.sqrt(area_m2 / poly.area)]), origin=(0, 0))


def _points_in(poly: shapely.Geometry, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` uniform random points (n, 2) inside ``poly``."""
    minx, miny, maxx, maxy = poly.bounds
    shapely.prepare(poly)
    need = int(n * (maxx - minx) * (maxy - miny) / poly.area * 1.3) + 64
    while True:
        xy = rng.uniform((minx, miny), (maxx, maxy), size=(need, 2))
        xy = xy[shapely.contains_xy(poly, xy[:, 0], xy[:, 1])]
        if len(xy) >= n:
            return xy[:n]
        need *= 2


def _voronoi_cells(xy: np.ndarray, outline: shapely.Polygon) -> np.ndarray:
    """Voronoi cells of ``xy`` (in input order) clipped to ``outline``."""
    vor = shapely.voronoi_polygons(shapely.multipoints(xy), extend_to=outline, ordered=True)
    return shapely.intersection(shapely.get_parts(vor), outline)


def _kmeans(xy: np.ndarray, k: int, rng: np.random.Generator, iters: int = 10) -> np.ndarray:
    """Labels of a plain k-means of ``xy`` into exactly ``k`` non-empty clusters."""
    centres = xy[rng.choice(len(xy), k, replace=False)]
    for _ in range(iters):
        labels = _nearest(xy, centres)
        counts = np.bincount(labels, minlength=k)
        sums = np.stack([np.bincount(labels, xy[:, i], minlength=k) for i in (0, 1)], 1)
        full = counts > 0
        centres[full] = sums[full] / counts[full, None]
        if not full.all():  # re-seed empty clusters at the points farthest from their centre
            d = np.hypot(*(xy - centres[labels]).T)
            centres[~full] = xy[np.argsort(-d)[: (~full).sum()]]
    labels = _nearest(xy, centres)
    # a cluster may still be empty after the last step: hand it the farthest point
    for empty in np.flatnonzero(np.bincount(labels, minlength=k) == 0):
        labels[np.argmax(np.hypot(*(xy - centres[labels]).T))] = empty
    return labels


def _nearest(xy: np.ndarray, centres: np.ndarray, chunk: int = 4096) -> np.ndarray:
    """Index of the nearest centre of each point (chunked to bound memory)."""
    out = np.empty(len(xy), dtype=np.intp)
    for i in range(0, len(xy), chunk):
        d = ((xy[i : i + chunk, None, :] - centres[None, :, :]) ** 2).sum(-1)
        out[i : i + chunk] = d.argmin(1)
    return out


def _order(codes_parent: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """Ordering used for codes: by parent, then north to south, west to east."""
    return np.lexsort((np.round(xy[:, 0], -3), -np.round(xy[:, 1], -3), codes_parent))


def _names(rng: np.random.Generator, groups: np.ndarray) -> np.ndarray:
    """Two-syllable names, unique within each group (at most len(_SYLLABLES)**2 per group)."""
    n_syl = len(_SYLLABLES)
    n = len(groups)
    # a random ranking of the syllable pairs, then within each group take distinct pairs
    pick = rng.integers(0, n_syl * n_syl, n)
    order = np.lexsort((pick, groups))
    sorted_pick = pick[order]
    dup = np.r_[
        False, (sorted_pick[1:] == sorted_pick[:-1]) & (groups[order][1:] == groups[order][:-1])
    ]
    sorted_pick[dup] = (sorted_pick[dup] + 1 + np.arange(dup.sum())) % (n_syl * n_syl)
    pick[order] = sorted_pick
    a, b = np.divmod(pick, n_syl)
    b = np.where(a == b, (b + 1) % n_syl, b)
    return np.char.add(np.char.add(_SYLLABLES[a], " "), _SYLLABLES[b])


def _greedy_tree(xy: np.ndarray, group: np.ndarray, root: np.ndarray) -> np.ndarray:
    """Parent of each node in a tree per group: nodes join the nearest node closer to the root.

    ``root`` marks one node per group.  Returns parent indices (-1 for roots).  The loop
    runs over groups (districts, provinces), each a small pairwise problem.
    """
    parent = np.full(len(xy), -1, dtype=np.intp)
    for g in np.unique(group):
        idx = np.flatnonzero(group == g)
        r = idx[root[idx]][0]
        d_root = np.hypot(*(xy[idx] - xy[r]).T)
        idx = idx[np.argsort(d_root, kind="stable")]  # root first
        p = xy[idx]
        d = np.hypot(p[:, None, 0] - p[None, :, 0], p[:, None, 1] - p[None, :, 1])
        d[np.triu_indices(len(idx))] = np.inf  # only nodes earlier (closer to the root)
        parent[idx[1:]] = idx[d[1:].argmin(1)]
    return parent


def _roads(a: np.ndarray, b: np.ndarray, rng: np.random.Generator, n: int = 24) -> np.ndarray:
    """Winding "road" lines from points ``a`` to ``b`` (each (m, 2)) as linestrings."""
    t = np.linspace(0.0, 1.0, n)[None, :]
    vec = b - a
    length = np.hypot(vec[:, 0], vec[:, 1])[:, None]
    normal = np.c_[-vec[:, 1], vec[:, 0]] / np.maximum(length, 1.0)
    k = np.array([1.0, 2.0, 3.0])[None, :, None]
    amp = rng.normal(0, 1, (len(a), 3, 1)) * np.array([0.08, 0.04, 0.02])[None, :, None]
    phase = rng.uniform(0, 2 * np.pi, (len(a), 3, 1))
    wiggle = (amp * np.sin(k * np.pi * t[:, None, :] + phase)).sum(1) * np.sin(np.pi * t)
    off = wiggle * length
    coords = a[:, None, :] + vec[:, None, :] * t[..., None] + normal[:, None, :] * off[..., None]
    return shapely.linestrings(coords)


# --------------------------------------------------------------------------- the region
def make_region(
    *,
    n_provinces: int,
    districts_per_province: float,
    communes_per_district: float,
    villages_per_commune: float,
    stations: int,
    centre_lonlat: tuple[float, float],
    area_km2: float,
    seed: int,
    code_start: tuple[int, int, int] = (1, 1, 1),
    raster_res_deg: float = 1 / 1200,
    terrain_res_deg: float = 1 / 600,
) -> dict[str, Any]:
    """Build a synthetic region (provinces → districts → communes) with all its layers.

    Parameters
    ----------
    n_provinces, districts_per_province, communes_per_district, villages_per_commune
        Size of the hierarchy; the totals are rounded products (at least one of each).
    stations
        Number of station rows (cells), split 31.1 % 2G / 39.1 % 3G / 29.8 % 4G.
    centre_lonlat
        Centre of the region (degrees).
    area_km2
        Exact area of the region (built in a Lambert azimuthal equal-area CRS).
    seed
        Seed of ``numpy.random.default_rng``; the same seed gives the same region.
    code_start
        First GSO-style code of the (province, district, commune) levels.
    raster_res_deg, terrain_res_deg
        Cell sizes of the population and terrain rasters (EPSG:4326, degrees).

    Returns
    -------
    dict
        ``communes``, ``districts``, ``provinces`` (GeoDataFrames, EPSG:4326),
        ``villages``, ``stations`` (DataFrames laid out like the shipped CSV files),
        ``fiber_nodes``, ``fiber_routes`` (GeoDataFrames, EPSG:4326),
        ``terrain`` and ``population`` (:class:`SyntheticRaster`), and ``stats`` (a dict
        of checks: ``villages_near_fiber_pct``, ``dark_communes``...).

    Examples
    --------
    >>> r = make_region(n_provinces=1, districts_per_province=2, communes_per_district=4,
    ...                 villages_per_commune=3, stations=40, centre_lonlat=(105.0, 21.0),
    ...                 area_km2=500, seed=1)
    >>> len(r["communes"]), r["districts"]["district_code"].nunique(), len(r["stations"])
    (8, 2, 40)
    >>> round(float(r["communes"].to_crs(r["stats"]["laea"]).area.sum() / 1e6))
    500
    """
    rng = np.random.default_rng(seed)
    lon0, lat0 = centre_lonlat
    laea = pyproj.CRS.from_proj4(
        f"+proj=laea +lat_0={lat0} +lon_0={lon0} +x_0=0 +y_0=0 +ellps=WGS84 +units=m +no_defs"
    )
    to_ll = pyproj.Transformer.from_crs(laea, 4326, always_xy=True)
    n_p = max(1, int(n_provinces))
    n_d = max(n_p, round(n_p * districts_per_province))
    n_c = max(n_d, round(n_d * communes_per_district))

    # outline and communes (Voronoi cells, two Lloyd relaxations for realistic sizes)
    outline = _outline(rng, area_km2 * 1e6)
    seeds = _points_in(outline, n_c, rng)
    for _ in range(2):
        cells = _voronoi_cells(seeds, outline)
        cen = shapely.centroid(cells)
        inside = shapely.contains(outline, cen)
        cen = np.where(inside, cen, shapely.point_on_surface(cells))
        seeds = shapely.get_coordinates(cen)
    cells = _voronoi_cells(seeds, outline)
    # commune centres: the centre of the largest inscribed circle, far from every edge
    mic = shapely.maximum_inscribed_circle(cells, tolerance=math.sqrt(area_km2 / n_c) * 20.0)
    centre = shapely.get_coordinates(shapely.get_point(mic, 0))

    # districts and provinces: k-means of commune centres, then of district centres
    dist_of = _kmeans(centre, n_d, rng)
    d_xy = np.stack([np.bincount(dist_of, centre[:, i]) / np.bincount(dist_of) for i in (0, 1)], 1)
    prov_of_d = _kmeans(d_xy, n_p, rng) if n_p > 1 else np.zeros(n_d, dtype=np.intp)
    p_xy = np.stack(
        [np.bincount(prov_of_d, d_xy[:, i]) / np.bincount(prov_of_d) for i in (0, 1)], 1
    )

    # codes: north to south within each parent, as the GSO numbers them
    p_rank = np.empty(n_p, dtype=np.intp)
    p_rank[_order(np.zeros(n_p), p_xy)] = np.arange(n_p)
    d_rank = np.empty(n_d, dtype=np.intp)
    d_rank[_order(p_rank[prov_of_d], d_xy)] = np.arange(n_d)
    c_rank = np.empty(n_c, dtype=np.intp)
    c_rank[_order(d_rank[dist_of], centre)] = np.arange(n_c)
    prov_of = prov_of_d[dist_of]

    # towns: the commune nearest each province / district centre
    d_town = _nearest(d_xy, centre)  # commune index of each district town
    p_town = _nearest(p_xy, centre)
    d_town_in = dist_of[d_town] == np.arange(n_d)
    d_town = np.where(d_town_in, d_town, [np.flatnonzero(dist_of == d)[0] for d in range(n_d)])
    cap_d = dist_of[p_town]  # the district of each provincial town
    d_town[cap_d] = p_town  # a provincial town is its district's town as well
    is_cap = np.zeros(n_c, bool)
    is_cap[p_town] = True
    is_town = np.zeros(n_c, bool)
    is_town[d_town] = True
    town_xy = centre[is_town]
    d_to_town = np.hypot(*(centre - centre[d_town[dist_of]]).T)
    # urban wards: the commune of the provincial town and its nearest neighbours (< 6 km)
    d_to_cap = np.hypot(*(centre - centre[p_town[prov_of]]).T)
    is_ward = (dist_of == cap_d[prov_of]) & (d_to_cap < 6000)

    # names
    d_name = _names(rng, prov_of_d)
    c_name = _names(rng, dist_of)
    p_name = _names(rng, np.zeros(n_p))
    c_name = np.where(is_town & ~is_cap, d_name[dist_of], c_name)
    c_name = np.where(is_cap, p_name[prov_of], c_name)
    c_type = np.where(is_ward, "Phường ", np.where(is_town, "Thị trấn ", "Xã "))
    d_type = np.full(n_d, "Huyện ", dtype=object)
    d_type[cap_d] = "Thành phố "
    d_label = np.char.add(
        d_type.astype(str), np.where(np.isin(np.arange(n_d), cap_d), p_name[prov_of_d], d_name)
    )
    ps, ds, cs = code_start
    p_code = np.char.zfill((ps + p_rank).astype(str), 2)
    d_code = np.char.zfill((ds + d_rank).astype(str), 3)
    c_code = np.char.zfill((cs + c_rank).astype(str), 5)

    # terrain: ridged fractal noise, low around towns (towns sit in valleys)
    bounds_ll = to_ll.transform_bounds(*outline.bounds)
    t_tr, t_w, t_h = _grid(bounds_ll, terrain_res_deg, pad=4)
    cell_km = terrain_res_deg * 111.32 * math.cos(math.radians(lat0))
    relief = _fractal((t_h, t_w), cell_km, rng)
    tlon, tlat = to_ll.transform(*town_xy.T)
    tc, tr = _colrow(t_tr, np.asarray(tlon), np.asarray(tlat))
    towns_grid = np.zeros((t_h, t_w))
    np.add.at(towns_grid, (tr.astype(np.intp), tc.astype(np.intp)), 1.0)
    rad = max(1, round(4.0 / cell_km))
    bowl_grid = _box_blur(towns_grid, rad)
    bowl_grid = np.clip(bowl_grid / _box_blur(_delta(4 * rad), rad).max(), 0.0, 1.0)
    elev = 90.0 + 2910.0 * relief**2.4 * (1.0 - 0.85 * bowl_grid)

    def at(grid: np.ndarray, xy: np.ndarray) -> np.ndarray:
        lon, lat = to_ll.transform(xy[:, 0], xy[:, 1])
        c, r = _colrow(t_tr, np.asarray(lon), np.asarray(lat))
        return _bilinear(grid, r - 0.5, c - 0.5)

    # villages: one at each commune centre, the rest drawn in valleys and near towns
    n_v = max(n_c, round(n_c * villages_per_commune))
    cand = _points_in(outline, 6 * n_v, rng)
    tree = shapely.STRtree(cells)
    ip, ic = tree.query(shapely.points(cand), predicate="within")
    ip, first = np.unique(ip, return_index=True)
    cand, cand_c = cand[ip], ic[first]
    w = np.exp(-(at(elev, cand) - 100.0) / 320.0) * (1.0 + 6.0 * at(bowl_grid, cand))
    # weighted sampling without replacement (exponential keys): 60 % of the villages as an
    # even quota per commune, the rest where the valleys and towns are
    key = rng.exponential(size=len(cand)) / w
    order = np.lexsort((key, cand_c))
    rank = np.empty(len(cand), dtype=np.intp)
    rank[order] = np.arange(len(cand)) - np.searchsorted(cand_c[order], cand_c[order])
    quota = int(0.6 * (n_v - n_c) / n_c)
    even = rank < quota
    rest = np.flatnonzero(~even)
    pick = np.r_[np.flatnonzero(even), rest[np.argsort(key[rest])[: n_v - n_c - even.sum()]]]
    v_xy = np.r_[centre, cand[pick]]
    v_c = np.r_[np.arange(n_c), cand_c[pick]]
    v_bowl = at(bowl_grid, v_xy)
    pop = np.exp(rng.normal(5.15, 0.62, n_v)) * (1.0 + 2.5 * v_bowl)
    pop = pop * np.where((is_ward | is_town)[v_c], 2.0, 1.0)
    pop = np.clip(np.round(pop), 100, 2000)

    # remote "dark" communes (no fiber, no 4G) and fiber-connected communes
    n_dark = min(round(0.03 * n_c), int((~is_town).sum()))  # none in a tiny region
    remote = np.where(is_town, -np.inf, d_to_town + 0.3 * d_to_cap)
    dark = np.zeros(n_c, bool)
    dark[np.argsort(-remote)[:n_dark]] = True
    connected = np.zeros(n_c, bool)
    connected[np.argsort(remote)[: round(0.86 * n_c)]] = True
    connected &= ~dark
    connected |= is_town

    # fiber tree: communes -> district town; district towns -> provincial town; capitals
    node_c = np.flatnonzero(connected)
    par_c = _greedy_tree(centre[node_c], dist_of[node_c], is_town[node_c])
    edges = [np.c_[node_c[par_c >= 0], node_c[par_c[par_c >= 0]]]]
    if n_d > 1:
        par_d = _greedy_tree(centre[d_town], prov_of_d, np.isin(d_town, p_town))
        edges.append(np.c_[d_town[par_d >= 0], d_town[par_d[par_d >= 0]]])
    if n_p > 1:
        par_p = _greedy_tree(
            centre[p_town], np.zeros(n_p), np.arange(n_p) == np.argmin(np.hypot(*p_xy.T))
        )
        edges.append(np.c_[p_town[par_p >= 0], p_town[par_p[par_p >= 0]]])
    e = np.concatenate(edges)
    routes = _roads(centre[e[:, 1]], centre[e[:, 0]], rng) if len(e) else np.array([], object)
    route_level = np.where(
        is_town[e[:, 0]] & is_town[e[:, 1]],
        np.where(is_cap[e[:, 0]] & is_cap[e[:, 1]], "backbone", "province"),
        "district",
    )
    rtree = shapely.STRtree(routes)
    near_fiber = np.zeros(n_v, bool)
    near_fiber[rtree.query(shapely.points(v_xy), predicate="dwithin", distance=2000.0)[0]] = True

    # stations: (site, technology, operator) groups of 1 omni or 3 sector rows
    n_stat = int(stations)
    n_t = np.round(np.array(_TECH_SHARES) * n_stat).astype(int)
    n_t[2] = n_stat - n_t[:2].sum()
    v_fiber_d = np.full(n_v, np.inf)
    vi, ri = rtree.query(shapely.points(v_xy), predicate="dwithin", distance=5000.0)
    v_fiber_d[np.unique(vi)] = 0.0
    dark_union = shapely.union_all(cells[dark])
    near_dark = shapely.dwithin(dark_union, shapely.points(v_xy), 6000.0)
    in_dark = dark[v_c]
    urban = is_ward[v_c] | is_town[v_c]
    rows = []
    for t, (n, sector_frac) in enumerate(zip(n_t, (0.1, 0.35, 0.5), strict=True)):
        g3 = int(round(sector_frac * n / 3))
        sizes = np.r_[np.full(g3, 3), np.ones(n - 3 * g3, int)]
        rng.shuffle(sizes)
        wt = pop * (1.0 + (2.0 * t + 1.0) * v_bowl)
        if t == 2:  # 4G reaches the commune centres along the fiber, not only the towns
            wt = np.sqrt(pop) * (1.0 + v_bowl)
        if t == 2:  # 4G needs backhaul: within 5 km of fiber, and never near dark communes
            wt = wt * (v_fiber_d == 0) * ~near_dark
        elif t == 1:
            wt = wt * ~in_dark
        wt = wt if wt.sum() > 0 else pop  # a tiny region may have no allowed site
        site = rng.choice(n_v, len(sizes), p=wt / wt.sum())
        if t == 2:  # 4G over microwave at the centre of every other commune without fiber
            forced = np.flatnonzero(~connected & ~dark & ~near_dark[:n_c])[: len(site) // 4]
            site[: len(forced)] = forced  # villages 0..n_c-1 are the commune centres
        op = rng.choice(4, len(sizes), p=_OPERATOR_SHARES)
        spelled = rng.choice(len(_SPELLINGS[t][0]), len(sizes), p=_SPELLINGS[t][1])
        az0 = rng.uniform(0, 120, len(sizes))
        rep = np.repeat(np.arange(len(sizes)), sizes)
        k = np.arange(len(rep)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        sectored = sizes[rep] == 3
        rows.append(
            pd.DataFrame(
                {
                    "group": rep + t * 1_000_000,
                    "tech": t,
                    "site": site[rep],
                    "op": op[rep],
                    "spelled": np.asarray(_SPELLINGS[t][0])[spelled[rep]],
                    "azimuth": np.where(sectored, np.round((az0[rep] + 120 * k) % 360), np.nan),
                    "beamwidth": np.where(sectored, 65.0 if t == 2 else 90.0, np.nan),
                    "sector": np.where(sectored, np.array(list("ABC"))[np.minimum(k, 2)], ""),
                }
            )
        )
    st = pd.concat(rows, ignore_index=True)
    site_jitter = rng.normal(0, 250, (n_v, 2))
    s_xy = v_xy[st["site"].to_numpy()] + site_jitter[st["site"].to_numpy()]
    s_lon, s_lat = to_ll.transform(s_xy[:, 0], s_xy[:, 1])
    base_range = np.array([6000.0, 3000.0, 2500.0])[st["tech"].to_numpy()]
    s_urban = urban[st["site"].to_numpy()]
    rng_m = np.round(base_range * np.where(s_urban, 0.5, 1.0) * rng.uniform(0.7, 1.3, len(st)), -1)
    rng_m[rng.random(len(st)) < 0.35] = np.nan
    site_code = np.char.add("S", np.char.zfill(st["site"].to_numpy().astype(str), 6))
    group_no = pd.factorize(st["group"])[0]
    tech_label = np.char.add((st["tech"].to_numpy() + 2).astype(str), "G")
    station_id = np.char.add(
        np.char.add(_OPERATOR_ABBR[st["op"].to_numpy()], tech_label),
        np.char.add(np.char.zfill(group_no.astype(str), 6), st["sector"].to_numpy().astype(str)),
    )
    stations_df = pd.DataFrame(
        {
            "station_id": station_id,
            "site_id": site_code,
            "operator": np.asarray(OPERATORS)[st["op"].to_numpy()],
            "technology": st["spelled"].to_numpy(),
            "lon": np.round(np.asarray(s_lon), 6),
            "lat": np.round(np.asarray(s_lat), 6),
            "range_m": rng_m,
            "azimuth": st["azimuth"].to_numpy(),
            "beamwidth": st["beamwidth"].to_numpy(),
            "status": np.where(rng.random(len(st)) < 0.03, "planned", "active"),
        }
    )
    stations_df = stations_df.sort_values(["site_id", "station_id"], kind="stable").reset_index(
        drop=True
    )

    # villages table: codes within their commune, ~5 % without a commune code
    # vector layers in EPSG:4326
    def ll(geoms: np.ndarray) -> np.ndarray:
        if len(geoms) == 0:
            return geoms
        return shapely.transform(geoms, lambda c: np.c_[to_ll.transform(c[:, 0], c[:, 1])])

    # the commune of each village from its written (rounded) coordinates, so that the file's
    # commune_code always agrees with the location
    v_ll = np.round(np.c_[to_ll.transform(v_xy[:, 0], v_xy[:, 1])], 6)
    pi, ci = shapely.STRtree(ll(cells)).query(shapely.points(v_ll), predicate="within")
    v_c = v_c.copy()
    v_c[pi] = ci
    v_order = np.lexsort((np.round(v_xy[:, 0], -2), -np.round(v_xy[:, 1], -2), c_rank[v_c]))
    v_xy, v_c, pop, near_fiber = v_xy[v_order], v_c[v_order], pop[v_order], near_fiber[v_order]
    seq = pd.Series(v_c).groupby(v_c).cumcount().to_numpy() + 1
    v_code = np.char.add(c_code[v_c], np.char.zfill(seq.astype(str), 3))
    v_urban = (is_ward | is_town)[v_c]
    v_name = np.where(
        v_urban,
        np.char.add("Tổ dân phố ", seq.astype(str)),
        np.char.add(np.where(rng.random(n_v) < 0.55, "Bản ", "Thôn "), _names(rng, v_c)),
    )
    v_lon, v_lat = to_ll.transform(v_xy[:, 0], v_xy[:, 1])
    v_commune = np.where(rng.random(n_v) < 0.05, "", c_code[v_c])
    villages_df = pd.DataFrame(
        {
            "village_code": v_code,
            "village_name": v_name,
            "commune_code": v_commune,
            "population": pop.astype(int),
            "lon": np.round(np.asarray(v_lon), 6),
            "lat": np.round(np.asarray(v_lat), 6),
        }
    )

    c_pop = np.bincount(v_c, pop, minlength=n_c)
    communes = (
        gpd.GeoDataFrame(
            {
                "province_code": p_code[prov_of],
                "province_name": np.char.add("Tỉnh ", p_name[prov_of]),
                "district_code": d_code[dist_of],
                "district_name": d_label[dist_of],
                "commune_code": c_code,
                "commune_name": np.char.add(c_type, c_name),
                "population": c_pop.astype(int),
            },
            geometry=ll(cells),
            crs=4326,
        )
        .sort_values("commune_code", kind="stable")
        .reset_index(drop=True)
    )
    districts = communes.dissolve(
        by=["province_code", "province_name", "district_code", "district_name"],
        aggfunc={"population": "sum"},
        method="coverage",
        as_index=False,
    )
    provinces = communes.dissolve(
        by=["province_code", "province_name"],
        aggfunc={"population": "sum"},
        method="coverage",
        as_index=False,
    )
    for df in (districts, provinces):
        df["population"] = df["population"].astype(int)
    town_kind = np.where(
        is_cap[node_c], "provincial POP", np.where(is_town[node_c], "district POP", "commune POP")
    )
    node_id = np.char.add("N", c_code[node_c])
    order_n = np.argsort(node_id)
    fiber_nodes = gpd.GeoDataFrame(
        {
            "node_id": node_id[order_n],
            "node_name": np.char.add(c_type, c_name)[node_c][order_n],
            "node_type": town_kind[order_n],
        },
        geometry=ll(shapely.points(centre[node_c][order_n])),
        crs=4326,
    )
    fiber_routes = gpd.GeoDataFrame(
        {
            "route_id": np.char.add("R", _zfill(np.arange(1, len(e) + 1), 5)),
            "from_node": np.char.add("N", c_code[e[:, 1]]),
            "to_node": np.char.add("N", c_code[e[:, 0]]),
            "level": route_level,
        },
        geometry=ll(routes),
        crs=4326,
    )

    # rasters
    terrain = SyntheticRaster(
        t_tr,
        t_w,
        t_h,
        "int16",
        None,
        "EPSG:4326",
        lambda r0, r1: np.round(elev[r0:r1]).astype(np.int16),
    )
    population = _population_raster(
        villages=np.c_[v_lon, v_lat],
        pop=pop,
        outline=ll(np.array([outline]))[0],
        res=raster_res_deg,
        elev=elev,
        elev_transform=t_tr,
        bg_frac=0.1,
    )
    in_dark_v = dark[v_c]
    stats = {
        "laea": laea,
        "villages_near_fiber_pct": float(100 * near_fiber.mean()),
        "dark_communes": c_code[dark].tolist(),
        "villages_in_dark_communes": int(in_dark_v.sum()),
        "village_population": float(pop.sum()),
    }
    return {
        "communes": communes,
        "districts": districts,
        "provinces": provinces,
        "villages": villages_df,
        "stations": stations_df,
        "fiber_nodes": fiber_nodes,
        "fiber_routes": fiber_routes,
        "terrain": terrain,
        "population": population,
        "stats": stats,
    }


def _delta(r: int) -> np.ndarray:
    a = np.zeros((2 * r + 1, 2 * r + 1))
    a[r, r] = 1.0
    return a


def _population_raster(
    *,
    villages: np.ndarray,
    pop: np.ndarray,
    outline: shapely.Polygon,
    res: float,
    elev: np.ndarray,
    elev_transform: Affine,
    bg_frac: float,
) -> SyntheticRaster:
    """People per cell: village populations spread ~250 m around them plus a rural background.

    The background (``bg_frac`` of the village total, denser in valleys) makes the raster
    total about ``(1 + bg_frac)`` times the village total.
    """
    from rasterio.features import geometry_mask

    transform, width, height = _grid(shapely.bounds(outline), res, pad=8)
    lat_mid = transform.f - height * res / 2
    cell_km = res * 111.32 * math.cos(math.radians(lat_mid))
    radius = max(1, round(0.12 / cell_km))  # 3 box passes: sigma ~ 2 * radius cells
    halo = 3 * radius + 1
    col, row = _colrow(transform, villages[:, 0], villages[:, 1])
    col, row = col.astype(np.intp), row.astype(np.intp)
    order = np.argsort(row, kind="stable")
    col, row, vpop = col[order], row[order], pop[order]
    # valley weight of the background, normalised over the region on the terrain grid
    emask = ~geometry_mask([outline], out_shape=elev.shape, transform=elev_transform)
    valley = np.exp(-(elev - 100.0) / 500.0)
    e_res = elev_transform.a
    e_cell_km2 = (e_res * 111.32) ** 2 * math.cos(math.radians(lat_mid))
    bg_per_km2 = bg_frac * pop.sum() / (valley[emask].sum() * e_cell_km2)

    def strip(r0: int, r1: int) -> np.ndarray:
        a0, a1 = r0 - halo, r1 + halo
        lo, hi = np.searchsorted(row, [a0, a1])
        dep = np.zeros((a1 - a0, width))
        np.add.at(dep, (row[lo:hi] - a0, col[lo:hi]), vpop[lo:hi])
        spread = _box_blur(dep, radius)[halo : halo + (r1 - r0)]
        rows_c = np.arange(r0, r1) + 0.5
        lat = transform.f - rows_c * res
        lon = transform.c + (np.arange(width) + 0.5) * res
        ec, er = _colrow(elev_transform, lon[None, :], lat[:, None])
        e = _bilinear(elev, er - 0.5, ec - 0.5)
        area = (res * 111.32) ** 2 * np.cos(np.radians(lat))[:, None]
        out = spread + bg_per_km2 * area * np.exp(-(e - 100.0) / 500.0)
        st_transform = transform @ Affine.translation(0, r0)
        outside = geometry_mask([outline], out_shape=(r1 - r0, width), transform=st_transform)
        out = np.round(out * 64.0) / 64.0  # 1/64 person: keeps values exact-ish and compressible
        out[outside] = POP_NODATA
        return out.astype(np.float32)

    return SyntheticRaster(transform, width, height, "float32", POP_NODATA, "EPSG:4326", strip)


# --------------------------------------------------------------------------- shipped files
def _shipped_dirs() -> tuple[Path, Path]:
    """(boundaries folder, sample_data folder) of the installed package or the checkout."""
    pkg = Path(str(resources.files("geocov")))
    data = pkg / "sample_data"
    installed = pkg / "_boundaries"
    if (installed / _UNITS_FILE).is_file():
        return installed, data
    return Path(__file__).resolve().parents[1] / "boundaries", data


def sample_paths() -> dict[str, Path]:
    """Paths of the shipped sample province files.

    Keys: ``units`` (GeoPackage, layers ``communes``, ``districts``, ``province``),
    ``villages``, ``stations`` (CSV), ``fiber`` (GeoPackage, layers ``nodes`` and
    ``routes``), ``population`` (GeoTIFF, people per 3 arc-second cell, EPSG:4326),
    ``terrain`` (GeoTIFF, metres, EPSG:4326) and ``analysis`` (TOML for ``geocov run``).

    Raises
    ------
    DataSourceError
        When a file is missing (regenerate them with ``geocov sample``).

    Examples
    --------
    >>> sorted(sample_paths())
    ['analysis', 'fiber', 'population', 'stations', 'terrain', 'units', 'villages']
    """
    bdir, ddir = _shipped_dirs()
    paths = {"units": bdir / _UNITS_FILE, **{k: ddir / f for k, f in _DATA_FILES.items()}}
    missing = [f"{k}: {p}" for k, p in paths.items() if not p.is_file()]
    if missing:
        raise DataSourceError(
            "the sample province files are missing (" + "; ".join(missing) + "). "
            "Regenerate them: run `geocov sample --update-shipped` in a checkout (or "
            "geocov.write_sample())."
        )
    return {k: paths[k] for k in SAMPLE_KEYS}


def _analysis_toml(paths: dict[str, str]) -> str:
    return f"""\
# geocov analysis of the synthetic sample province (generated by `geocov sample`).
# Run it with:  geocov run <path of this file>
# Paths are relative to this file; "sample:<key>" is the shipped sample file <key>
# (see geocov.sample_paths()).

title = "Synthetic sample province (geocov)"
data_date = "2020-12-31"

[units]
path = "{paths["units"]}"
layer = "communes"
levels = {{ province = "province_name", district = "district_name", commune = "commune_name" }}
codes = {{ province = "province_code", district = "district_code", commune = "commune_code" }}

[villages]
path = "{paths["villages"]}"

[stations]
path = "{paths["stations"]}"

[fiber]
path = "{paths["fiber"]}"
reach_m = 2000

[population]
raster = "{paths["population"]}"

[model]
resolution_m = 100
statuses = ["active"]      # planned stations do not cover anyone yet

[output]
folder = "geocov-out"
levels = ["province", "district", "commune"]
"""


def write_sample(folder: str | Path | None = None, *, seed: int = SAMPLE_SEED) -> dict[str, Path]:
    """Generate the sample province and write its files.

    Parameters
    ----------
    folder
        Where to write.  ``None`` (default) writes the shipped files: the units to
        ``boundaries/sample_province.gpkg`` and the rest to ``geocov/sample_data/``, with
        an ``analysis.toml`` whose paths are ``sample:<key>``.  Otherwise every file goes
        into ``folder`` and ``analysis.toml`` uses plain relative paths.
    seed
        Random seed (the shipped files use 2020).

    Returns
    -------
    dict[str, Path]
        The written files, with the keys of :func:`sample_paths`.

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> out = write_sample(tempfile.mkdtemp())
    >>> n = len(pd.read_csv(out["villages"]))
    >>> 1400 <= n <= 1600
    True
    """
    region = make_region(**_SAMPLE_REGION, seed=seed)
    if folder is None:
        bdir, ddir = _shipped_dirs()
        rel = {k: f"sample:{k}" for k in SAMPLE_KEYS}
    else:
        bdir = ddir = Path(folder)
        rel = {"units": _UNITS_FILE, **_DATA_FILES}
    bdir.mkdir(parents=True, exist_ok=True)
    ddir.mkdir(parents=True, exist_ok=True)
    out = {"units": bdir / _UNITS_FILE, **{k: ddir / f for k, f in _DATA_FILES.items()}}
    for key in ("units", "fiber"):
        if out[key].exists():
            out[key].unlink()
    for layer, name in (
        ("communes", "communes"),
        ("districts", "districts"),
        ("provinces", "province"),
    ):
        region[layer].to_file(out["units"], layer=name, driver="GPKG")
    region["fiber_nodes"].to_file(out["fiber"], layer="nodes", driver="GPKG")
    region["fiber_routes"].to_file(out["fiber"], layer="routes", driver="GPKG")
    region["villages"].to_csv(out["villages"], index=False, encoding="utf-8")
    region["stations"].to_csv(out["stations"], index=False, encoding="utf-8")
    region["population"].write(out["population"])
    region["terrain"].write(out["terrain"])
    out["analysis"].write_text(_analysis_toml(rel), encoding="utf-8")
    logger.info("sample province written (seed %s): %s", seed, region["stats"])
    return {k: out[k] for k in SAMPLE_KEYS}
