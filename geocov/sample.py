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

# --------------------------------------------------------------------------- the model's numbers
# Every number that shapes a region, grouped by stage. Changing one changes the shipped sample
# files (tests/test_sample.py checks that a regeneration equals them).
_KM_PER_DEG = 111.32  # km per degree of latitude (and of longitude at the equator)
_LONLAT_DECIMALS = 6  # coordinates written to the CSV files (~0.1 m)

# outline: a star-shaped polygon whose radius wobbles by a sum of random harmonics
_OUTLINE_REF_AREA_M2 = 6.3e9  # an outline of this area (the sample's) gets ...
_OUTLINE_REF_VERTICES = 600  # ... this many vertices; more for a bigger one (~ sqrt(area)) ...
_OUTLINE_MAX_VERTICES = 4000  # ... up to this many
_OUTLINE_HARMONICS = (2, 96)  # wavenumbers k of the wobble: range(2, 96)
_OUTLINE_WOBBLE = 0.22  # amplitude of harmonic k: 0.22 * k**-1.1 * N(0, 1) (log radius)
_OUTLINE_WOBBLE_DECAY = -1.1

# uniform points in a polygon: draw this many times the needed number in its bounding box
_OVERSAMPLE = 1.3
_OVERSAMPLE_MIN = 64

# communes: Voronoi cells of random seeds, relaxed (Lloyd) towards even sizes
_LLOYD_ITERATIONS = 2
_CENTRE_TOLERANCE_M_PER_KM = 20.0  # maximum inscribed circle tolerance, per km of commune width
_KMEANS_ITERATIONS = 10  # districts and provinces: k-means of commune (district) centres
_CODE_ORDER_DECIMALS = -3  # codes run north to south, west to east, in 1 km bands
_CODE_DIGITS = (2, 3, 5)  # GSO-style codes of a province, district, commune
_VILLAGE_CODE_DIGITS = 3  # a village: its commune's code and 3 digits
_ID_DIGITS = 6  # station sites ("S000123") and the group part of station ids
_ROUTE_ID_DIGITS = 5

# towns and wards
_WARD_RADIUS_M = 6000.0  # communes of the provincial town's district this close to it are wards

# terrain: ridged fractal noise, lowered in a bowl around each town
_TERRAIN_PAD_CELLS = 4
_RELIEF_WAVELENGTH_KM = 90.0  # longest wavelength of the noise; each octave halves it ...
_RELIEF_MIN_CELLS = 2.0  # ... down to this many cells per wavelength
_RELIEF_RIDGED_BELOW_KM = 60.0  # octaves shorter than this are ridged (1 - |tanh|), not smooth
_RELIEF_PERCENTILES = (1.0, 99.7)  # noise values mapped to 0 and 1 (then clipped)
_TOWN_BOWL_KM = 4.0  # radius of the box blur that spreads a town into a bowl
_ELEV_FLOOR_M = 90.0  # elevation = floor + relief_m * relief**exponent * (1 - depth * bowl)
_ELEV_RELIEF_M = 2910.0
_RELIEF_EXPONENT = 2.4  # > 1: broad valleys, sharp ridges
_TOWN_BOWL_DEPTH = 0.85

# villages: one at each commune centre, the rest drawn from candidates weighted to valleys/towns
_VILLAGE_CANDIDATES = 6  # candidate points per village
_VALLEY_FLOOR_M = 100.0  # valley weight of a place: exp(-(elevation - floor) / scale)
_VILLAGE_VALLEY_SCALE_M = 320.0
_VILLAGE_TOWN_PULL = 6.0  # weight factor 1 + pull * bowl near towns
_VILLAGE_EVEN_SHARE = 0.6  # share of the villages spread as an even quota per commune
_VILLAGE_LOG_POP = (5.15, 0.62)  # population: lognormal (mean, sd of log) ...
_VILLAGE_POP_TOWN_BOOST = 2.5  # ... times 1 + boost * bowl ...
_URBAN_POP_FACTOR = 2.0  # ... times this in wards and district towns ...
_VILLAGE_POP_RANGE = (100, 2000)  # ... rounded and clipped to this range
_VILLAGE_ORDER_DECIMALS = -2  # village codes run north to south, west to east, in 100 m bands
_BAN_SHARE = 0.55  # rural villages named "Bản ..." (the rest "Thôn ...")
_NO_COMMUNE_CODE_SHARE = 0.05  # villages written without their commune code

# dark communes (no fiber, no 4G) and fiber-connected communes, by remoteness
_DARK_SHARE = 0.03
_CONNECTED_SHARE = 0.86
_REMOTE_CAP_WEIGHT = 0.3  # remoteness = distance to the district town + 0.3 x to the capital
_ROAD_VERTICES = 24  # a fiber route: a line wiggling by harmonics 1, 2, 3 of these amplitudes
_ROAD_WIGGLE = (0.08, 0.04, 0.02)  # (fractions of the route's length)
_FIBER_REACH_M = 2000.0  # stats: villages this close to a route
_BACKHAUL_M = 5000.0  # 4G sites are this close to a fiber route ...
_DARK_BUFFER_M = 6000.0  # ... and never this close to a dark commune

# stations: (site, technology, operator) groups of 1 omni row or 3 sector rows
_SECTORED_SHARE = (0.1, 0.35, 0.5)  # share of rows in 3-sector groups (2G, 3G, 4G)
_SITE_TOWN_PULL = (1.0, 3.0)  # 2G, 3G sites: weight population x (1 + pull x bowl)
_MICROWAVE_4G_SHARE = 0.25  # at most this share of 4G groups at unconnected commune centres
_SECTOR_STEP_DEG = 120  # sector azimuths: a random start in [0, 120), then +120, +240
_BEAMWIDTH_DEG = (90.0, 90.0, 65.0)  # sector beamwidth (2G, 3G, 4G)
_SITE_JITTER_M = 250  # sd of a site's offset from its village
_RANGE_M = (6000.0, 3000.0, 2500.0)  # typical cell range (2G, 3G, 4G) ...
_URBAN_RANGE_FACTOR = 0.5  # ... halved in towns ...
_RANGE_SPREAD = (0.7, 1.3)  # ... times a uniform factor in this range, rounded to 10 m
_RANGE_MISSING_SHARE = 0.35  # rows written without a range
_PLANNED_SHARE = 0.03  # rows with status "planned"

# population raster: villages spread ~250 m around them, plus a rural background
_POP_PAD_CELLS = 8
_POP_SPREAD_KM = 0.12  # box blur radius (3 passes: sigma ~ 2 x radius)
_BLUR_PASSES = 3
_POP_BACKGROUND_FRAC = 0.1  # background people, as a share of the village total
_BACKGROUND_VALLEY_SCALE_M = 500.0  # background density ~ exp(-(elevation - floor) / scale)
_POP_QUANTUM = 64.0  # values rounded to 1/64 person: exact-ish and compressible


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


def _box_blur(a: np.ndarray, radius: int, *, passes: int = _BLUR_PASSES) -> np.ndarray:
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
    wavelength_km, amp = _RELIEF_WAVELENGTH_KM, 1.0
    while wavelength_km / cell_km >= _RELIEF_MIN_CELLS:
        s = wavelength_km / cell_km
        coarse = rng.standard_normal((int(h / s) + 3, int(w / s) + 3))
        v = _bilinear(coarse, rows / s + 1, cols / s + 1, smooth=True)
        ridged = 1.0 - np.abs(np.tanh(v))
        total += amp * (ridged if wavelength_km < _RELIEF_RIDGED_BELOW_KM else 0.5 * (v + 2.0))
        wavelength_km /= 2.0
        amp *= 0.5
    lo, hi = np.percentile(total, _RELIEF_PERCENTILES)
    return np.clip((total - lo) / (hi - lo), 0.0, 1.0)


# --------------------------------------------------------------------------- geometry
def _outline(rng: np.random.Generator, area_m2: float) -> shapely.Polygon:
    """An irregular, star-shaped outline of exactly ``area_m2`` centred on (0, 0)."""
    n_vert = int(
        np.clip(
            _OUTLINE_REF_VERTICES * math.sqrt(area_m2 / _OUTLINE_REF_AREA_M2),
            _OUTLINE_REF_VERTICES,
            _OUTLINE_MAX_VERTICES,
        )
    )
    theta = np.linspace(0.0, 2 * np.pi, n_vert, endpoint=False)
    k = np.arange(*_OUTLINE_HARMONICS)
    amp = _OUTLINE_WOBBLE * k**_OUTLINE_WOBBLE_DECAY * rng.standard_normal(k.size)
    phase = rng.uniform(0, 2 * np.pi, k.size)
    r = np.exp((amp[:, None] * np.cos(k[:, None] * theta[None, :] + phase[:, None])).sum(0))
    poly = shapely.Polygon(np.c_[r * np.cos(theta), r * np.sin(theta)])
    return shapely.affinity.scale(poly, *(2 * [math.sqrt(area_m2 / poly.area)]), origin=(0, 0))


def _points_in(poly: shapely.Geometry, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` uniform random points (n, 2) inside ``poly``."""
    minx, miny, maxx, maxy = poly.bounds
    shapely.prepare(poly)
    need = int(n * (maxx - minx) * (maxy - miny) / poly.area * _OVERSAMPLE) + _OVERSAMPLE_MIN
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


def _kmeans(
    xy: np.ndarray, k: int, rng: np.random.Generator, iters: int = _KMEANS_ITERATIONS
) -> np.ndarray:
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
    x, y = np.round(xy[:, 0], _CODE_ORDER_DECIMALS), np.round(xy[:, 1], _CODE_ORDER_DECIMALS)
    return np.lexsort((x, -y, codes_parent))


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


def _roads(
    a: np.ndarray, b: np.ndarray, rng: np.random.Generator, n: int = _ROAD_VERTICES
) -> np.ndarray:
    """Winding "road" lines from points ``a`` to ``b`` (each (m, 2)) as linestrings."""
    t = np.linspace(0.0, 1.0, n)[None, :]
    vec = b - a
    length = np.hypot(vec[:, 0], vec[:, 1])[:, None]
    normal = np.c_[-vec[:, 1], vec[:, 0]] / np.maximum(length, 1.0)
    n_k = len(_ROAD_WIGGLE)
    k = np.arange(1.0, n_k + 1)[None, :, None]  # harmonics 1, 2, 3
    amp = rng.normal(0, 1, (len(a), n_k, 1)) * np.array(_ROAD_WIGGLE)[None, :, None]
    phase = rng.uniform(0, 2 * np.pi, (len(a), n_k, 1))
    wiggle = (amp * np.sin(k * np.pi * t[:, None, :] + phase)).sum(1) * np.sin(np.pi * t)
    off = wiggle * length
    coords = a[:, None, :] + vec[:, None, :] * t[..., None] + normal[:, None, :] * off[..., None]
    return shapely.linestrings(coords)


# --------------------------------------------------------------------------- the region
# make_region() runs the stages below in order, on one random generator: each stage draws
# its numbers after the previous one, so the order of the stages is part of the output.
# Geometry lives in a Lambert azimuthal equal-area plane (metres) centred on the region until
# the layers are written in EPSG:4326.


@dataclass(frozen=True)
class _Units:
    """Communes, districts and provinces in the plane, as indices (not yet named).

    Communes are numbered 0..n_c-1, districts 0..n_d-1 and provinces 0..n_p-1, in the order
    they were drawn (codes come later, from :func:`_unit_names`).
    """

    outline: shapely.Polygon  # the whole region
    cells: np.ndarray  # (n_c,) commune polygons, tiling the outline
    centre: np.ndarray  # (n_c, 2) commune centres: centres of their largest inscribed circles
    dist_of: np.ndarray  # (n_c,) district of each commune
    prov_of_d: np.ndarray  # (n_d,) province of each district
    d_xy: np.ndarray  # (n_d, 2) district centres (mean of their communes' centres)
    p_xy: np.ndarray  # (n_p, 2) province centres (mean of their districts' centres)

    @property
    def prov_of(self) -> np.ndarray:
        """(n_c,) province of each commune."""
        return self.prov_of_d[self.dist_of]


@dataclass(frozen=True)
class _Towns:
    """Which communes are towns, and how far every commune is from its towns."""

    d_town: np.ndarray  # (n_d,) commune of each district town
    p_town: np.ndarray  # (n_p,) commune of each provincial town (capital)
    cap_d: np.ndarray  # (n_p,) district of each capital (a city: "Thành phố")
    is_cap: np.ndarray  # (n_c,) the commune is a capital
    is_town: np.ndarray  # (n_c,) the commune is a district town (capitals included)
    is_ward: np.ndarray  # (n_c,) the commune is an urban ward of a capital's city
    d_to_town: np.ndarray  # (n_c,) distance (m) from the commune centre to its district town
    d_to_cap: np.ndarray  # (n_c,) distance (m) from the commune centre to its capital


@dataclass(frozen=True)
class _Names:
    """GSO-style codes and Vietnamese names of the units."""

    p_code: np.ndarray  # (n_p,) 2 digits
    d_code: np.ndarray  # (n_d,) 3 digits
    c_code: np.ndarray  # (n_c,) 5 digits
    c_rank: np.ndarray  # (n_c,) position of each commune in code order
    p_name: np.ndarray  # (n_p,) bare names ("Tỉnh " is added in the layers)
    d_label: np.ndarray  # (n_d,) "Huyện ..." or "Thành phố ..."
    c_label: np.ndarray  # (n_c,) "Xã ...", "Phường ..." or "Thị trấn ..."


@dataclass(frozen=True)
class _Terrain:
    """Elevation and the towns' bowls on the terrain grid (EPSG:4326)."""

    transform: Affine
    width: int
    height: int
    elev: np.ndarray  # (height, width) metres
    bowl: np.ndarray  # (height, width) 1 at a town, falling to 0 ~_TOWN_BOWL_KM away
    to_ll: pyproj.Transformer  # plane -> lon/lat

    def at(self, grid: np.ndarray, xy: np.ndarray) -> np.ndarray:
        """``grid`` (``elev`` or ``bowl``) interpolated at plane points ``xy`` (n, 2)."""
        lon, lat = self.to_ll.transform(xy[:, 0], xy[:, 1])
        c, r = _colrow(self.transform, np.asarray(lon), np.asarray(lat))
        return _bilinear(grid, r - 0.5, c - 0.5)


@dataclass(frozen=True)
class _Villages:
    """Villages in the plane: villages 0..n_c-1 sit at the commune centres (until reordered)."""

    xy: np.ndarray  # (n_v, 2)
    commune: np.ndarray  # (n_v,) commune index
    pop: np.ndarray  # (n_v,) people (whole numbers, as floats)
    bowl: np.ndarray  # (n_v,) town bowl at the village (0..1)


@dataclass(frozen=True)
class _Fiber:
    """Dark and connected communes, and the fiber tree between connected commune centres."""

    dark: np.ndarray  # (n_c,) no fiber and no 4G near
    connected: np.ndarray  # (n_c,) a fiber node at the commune centre
    node_c: np.ndarray  # commune of each node (the connected ones)
    edges: np.ndarray  # (n_e, 2) (child, parent) communes of each route
    routes: np.ndarray  # (n_e,) route linestrings (plane), from parent to child
    level: np.ndarray  # (n_e,) "backbone", "province" or "district"


def _communes(
    rng: np.random.Generator, area_km2: float, n_c: int
) -> tuple[shapely.Polygon, np.ndarray, np.ndarray]:
    """Stage 1: the outline and ``n_c`` communes tiling it, with their centres.

    Communes are Voronoi cells of random points, relaxed twice towards their centroids
    (Lloyd) so that their sizes look like real communes'. Returns (outline, cells, centres).
    """
    outline = _outline(rng, area_km2 * 1e6)
    seeds = _points_in(outline, n_c, rng)
    for _ in range(_LLOYD_ITERATIONS):
        cells = _voronoi_cells(seeds, outline)
        cen = shapely.centroid(cells)
        inside = shapely.contains(outline, cen)
        cen = np.where(inside, cen, shapely.point_on_surface(cells))
        seeds = shapely.get_coordinates(cen)
    cells = _voronoi_cells(seeds, outline)
    # commune centres: the centre of the largest inscribed circle, far from every edge
    tolerance = math.sqrt(area_km2 / n_c) * _CENTRE_TOLERANCE_M_PER_KM
    mic = shapely.maximum_inscribed_circle(cells, tolerance=tolerance)
    return outline, cells, shapely.get_coordinates(shapely.get_point(mic, 0))


def _group_units(
    rng: np.random.Generator,
    outline: shapely.Polygon,
    cells: np.ndarray,
    centre: np.ndarray,
    n_d: int,
    n_p: int,
) -> _Units:
    """Stage 2: districts as a k-means of commune centres, provinces as one of districts'.

    k-means clusters of Voronoi cells are contiguous, like real districts.
    """
    dist_of = _kmeans(centre, n_d, rng)
    d_xy = np.stack([np.bincount(dist_of, centre[:, i]) / np.bincount(dist_of) for i in (0, 1)], 1)
    prov_of_d = _kmeans(d_xy, n_p, rng) if n_p > 1 else np.zeros(n_d, dtype=np.intp)
    p_xy = np.stack(
        [np.bincount(prov_of_d, d_xy[:, i]) / np.bincount(prov_of_d) for i in (0, 1)], 1
    )
    return _Units(outline, cells, centre, dist_of, prov_of_d, d_xy, p_xy)


def _towns(u: _Units) -> _Towns:
    """Stage 3: towns are the communes nearest each district / province centre.

    A provincial town (capital) is also its district's town; the communes of the capital's
    district within :data:`_WARD_RADIUS_M` of it are urban wards.
    """
    n_c, n_d = len(u.centre), len(u.d_xy)
    d_town = _nearest(u.d_xy, u.centre)  # commune index of each district town
    p_town = _nearest(u.p_xy, u.centre)
    d_town_in = u.dist_of[d_town] == np.arange(n_d)
    d_town = np.where(d_town_in, d_town, [np.flatnonzero(u.dist_of == d)[0] for d in range(n_d)])
    cap_d = u.dist_of[p_town]  # the district of each provincial town
    d_town[cap_d] = p_town  # a provincial town is its district's town as well
    is_cap = np.zeros(n_c, bool)
    is_cap[p_town] = True
    is_town = np.zeros(n_c, bool)
    is_town[d_town] = True
    d_to_town = np.hypot(*(u.centre - u.centre[d_town[u.dist_of]]).T)
    prov_of = u.prov_of
    d_to_cap = np.hypot(*(u.centre - u.centre[p_town[prov_of]]).T)
    is_ward = (u.dist_of == cap_d[prov_of]) & (d_to_cap < _WARD_RADIUS_M)
    return _Towns(d_town, p_town, cap_d, is_cap, is_town, is_ward, d_to_town, d_to_cap)


def _unit_names(
    rng: np.random.Generator, u: _Units, t: _Towns, code_start: tuple[int, int, int]
) -> _Names:
    """Stage 4: codes numbered north to south within each parent (as the GSO does), and names.

    A district town takes its district's name, a capital its province's; names are unique
    within their parent.
    """
    n_p, n_d, n_c = len(u.p_xy), len(u.d_xy), len(u.centre)
    p_rank = np.empty(n_p, dtype=np.intp)
    p_rank[_order(np.zeros(n_p), u.p_xy)] = np.arange(n_p)
    d_rank = np.empty(n_d, dtype=np.intp)
    d_rank[_order(p_rank[u.prov_of_d], u.d_xy)] = np.arange(n_d)
    c_rank = np.empty(n_c, dtype=np.intp)
    c_rank[_order(d_rank[u.dist_of], u.centre)] = np.arange(n_c)
    prov_of = u.prov_of

    d_name = _names(rng, u.prov_of_d)
    c_name = _names(rng, u.dist_of)
    p_name = _names(rng, np.zeros(n_p))
    c_name = np.where(t.is_town & ~t.is_cap, d_name[u.dist_of], c_name)
    c_name = np.where(t.is_cap, p_name[prov_of], c_name)
    c_type = np.where(t.is_ward, "Phường ", np.where(t.is_town, "Thị trấn ", "Xã "))
    d_type = np.full(n_d, "Huyện ", dtype=object)
    d_type[t.cap_d] = "Thành phố "
    d_label = np.char.add(
        d_type.astype(str), np.where(np.isin(np.arange(n_d), t.cap_d), p_name[u.prov_of_d], d_name)
    )
    ps, ds, cs = code_start
    p_digits, d_digits, c_digits = _CODE_DIGITS
    p_code = np.char.zfill((ps + p_rank).astype(str), p_digits)
    d_code = np.char.zfill((ds + d_rank).astype(str), d_digits)
    c_code = np.char.zfill((cs + c_rank).astype(str), c_digits)
    return _Names(p_code, d_code, c_code, c_rank, p_name, d_label, np.char.add(c_type, c_name))


def _terrain(
    rng: np.random.Generator,
    u: _Units,
    t: _Towns,
    to_ll: pyproj.Transformer,
    lat0: float,
    res_deg: float,
) -> _Terrain:
    """Stage 5: ridged fractal relief up to ~3,000 m, pressed into a low bowl at each town.

    Towns sit in valleys: the bowl (the towns, box-blurred over :data:`_TOWN_BOWL_KM`)
    lowers the relief by up to :data:`_TOWN_BOWL_DEPTH`.
    """
    bounds_ll = to_ll.transform_bounds(*u.outline.bounds)
    transform, width, height = _grid(bounds_ll, res_deg, pad=_TERRAIN_PAD_CELLS)
    cell_km = res_deg * _KM_PER_DEG * math.cos(math.radians(lat0))
    relief = _fractal((height, width), cell_km, rng)
    tlon, tlat = to_ll.transform(*u.centre[t.is_town].T)
    tc, tr = _colrow(transform, np.asarray(tlon), np.asarray(tlat))
    towns_grid = np.zeros((height, width))
    np.add.at(towns_grid, (tr.astype(np.intp), tc.astype(np.intp)), 1.0)
    rad = max(1, round(_TOWN_BOWL_KM / cell_km))
    bowl = _box_blur(towns_grid, rad)
    # normalised by the peak of one town's bowl (on a grid wide enough to hold all of it)
    bowl = np.clip(bowl / _box_blur(_delta((_BLUR_PASSES + 1) * rad), rad).max(), 0.0, 1.0)
    elev = _ELEV_FLOOR_M + _ELEV_RELIEF_M * relief**_RELIEF_EXPONENT * (
        1.0 - _TOWN_BOWL_DEPTH * bowl
    )
    return _Terrain(transform, width, height, elev, bowl, to_ll)


def _villages(
    rng: np.random.Generator, u: _Units, t: _Towns, terrain: _Terrain, n_v: int
) -> _Villages:
    """Stage 6: ``n_v`` villages, one at each commune centre, the rest in valleys and near towns.

    :data:`_VILLAGE_EVEN_SHARE` of them are an even quota per commune, the rest go where the
    weight (low ground, near towns) is highest; weighted sampling without replacement by
    exponential keys. Populations are lognormal, larger near towns and in urban communes.
    """
    n_c = len(u.centre)
    cand = _points_in(u.outline, _VILLAGE_CANDIDATES * n_v, rng)
    tree = shapely.STRtree(u.cells)
    ip, ic = tree.query(shapely.points(cand), predicate="within")
    ip, first = np.unique(ip, return_index=True)
    cand, cand_c = cand[ip], ic[first]
    valley = np.exp(-(terrain.at(terrain.elev, cand) - _VALLEY_FLOOR_M) / _VILLAGE_VALLEY_SCALE_M)
    w = valley * (1.0 + _VILLAGE_TOWN_PULL * terrain.at(terrain.bowl, cand))
    key = rng.exponential(size=len(cand)) / w
    order = np.lexsort((key, cand_c))
    rank = np.empty(len(cand), dtype=np.intp)
    rank[order] = np.arange(len(cand)) - np.searchsorted(cand_c[order], cand_c[order])
    quota = int(_VILLAGE_EVEN_SHARE * (n_v - n_c) / n_c)
    even = rank < quota
    rest = np.flatnonzero(~even)
    pick = np.r_[np.flatnonzero(even), rest[np.argsort(key[rest])[: n_v - n_c - even.sum()]]]
    v_xy = np.r_[u.centre, cand[pick]]
    v_c = np.r_[np.arange(n_c), cand_c[pick]]
    v_bowl = terrain.at(terrain.bowl, v_xy)
    pop = np.exp(rng.normal(*_VILLAGE_LOG_POP, n_v)) * (1.0 + _VILLAGE_POP_TOWN_BOOST * v_bowl)
    pop = pop * np.where((t.is_ward | t.is_town)[v_c], _URBAN_POP_FACTOR, 1.0)
    pop = np.clip(np.round(pop), *_VILLAGE_POP_RANGE)
    return _Villages(v_xy, v_c, pop, v_bowl)


def _fiber(rng: np.random.Generator, u: _Units, t: _Towns) -> _Fiber:
    """Stage 7: the most remote communes are dark, the least remote connected by fiber.

    The fiber is a tree of winding routes: connected communes to their district town,
    district towns to the capital, capitals to the most central one.
    """
    n_c, n_d, n_p = len(u.centre), len(u.d_xy), len(u.p_xy)
    n_dark = min(round(_DARK_SHARE * n_c), int((~t.is_town).sum()))  # none in a tiny region
    remote = np.where(t.is_town, -np.inf, t.d_to_town + _REMOTE_CAP_WEIGHT * t.d_to_cap)
    dark = np.zeros(n_c, bool)
    dark[np.argsort(-remote)[:n_dark]] = True
    connected = np.zeros(n_c, bool)
    connected[np.argsort(remote)[: round(_CONNECTED_SHARE * n_c)]] = True
    connected &= ~dark
    connected |= t.is_town

    node_c = np.flatnonzero(connected)
    par_c = _greedy_tree(u.centre[node_c], u.dist_of[node_c], t.is_town[node_c])
    edges = [np.c_[node_c[par_c >= 0], node_c[par_c[par_c >= 0]]]]
    if n_d > 1:
        par_d = _greedy_tree(u.centre[t.d_town], u.prov_of_d, np.isin(t.d_town, t.p_town))
        edges.append(np.c_[t.d_town[par_d >= 0], t.d_town[par_d[par_d >= 0]]])
    if n_p > 1:
        par_p = _greedy_tree(
            u.centre[t.p_town], np.zeros(n_p), np.arange(n_p) == np.argmin(np.hypot(*u.p_xy.T))
        )
        edges.append(np.c_[t.p_town[par_p >= 0], t.p_town[par_p[par_p >= 0]]])
    e = np.concatenate(edges)
    routes = _roads(u.centre[e[:, 1]], u.centre[e[:, 0]], rng) if len(e) else np.array([], object)
    level = np.where(
        t.is_town[e[:, 0]] & t.is_town[e[:, 1]],
        np.where(t.is_cap[e[:, 0]] & t.is_cap[e[:, 1]], "backbone", "province"),
        "district",
    )
    return _Fiber(dark, connected, node_c, e, routes, level)


def _site_weights(
    u: _Units, t: _Towns, v: _Villages, f: _Fiber
) -> tuple[list[np.ndarray], np.ndarray]:
    """Where each technology may put its sites: a weight per village (2G, 3G, 4G).

    2G and 3G follow population, pulled towards towns (3G never in a dark commune); 4G
    follows the square root of population (it reaches the commune centres along the fiber,
    not only the towns), needs backhaul (within :data:`_BACKHAUL_M` of a route) and stays
    :data:`_DARK_BUFFER_M` away from dark communes. Also returns the commune centres (=
    villages 0..n_c-1) that get a 4G site over microwave: unconnected, not dark, not near dark.
    """
    points = shapely.points(v.xy)
    near_fiber = np.zeros(len(v.xy), bool)
    near_fiber[shapely.STRtree(f.routes).query(points, "dwithin", distance=_BACKHAUL_M)[0]] = True
    dark_union = shapely.union_all(u.cells[f.dark])
    near_dark = shapely.dwithin(dark_union, points, _DARK_BUFFER_M)
    in_dark = f.dark[v.commune]
    weights = [
        v.pop * (1.0 + _SITE_TOWN_PULL[0] * v.bowl),
        v.pop * (1.0 + _SITE_TOWN_PULL[1] * v.bowl) * ~in_dark,
        np.sqrt(v.pop) * (1.0 + v.bowl) * near_fiber * ~near_dark,
    ]
    # a tiny region may have no allowed site
    weights = [w if w.sum() > 0 else v.pop for w in weights]
    microwave = np.flatnonzero(~f.connected & ~f.dark & ~near_dark[: len(u.centre)])
    return weights, microwave


def _station_groups(
    rng: np.random.Generator, n_rows: int, weights: list[np.ndarray], microwave: np.ndarray
) -> pd.DataFrame:
    """Stage 8a: the station rows as (site, technology, operator) groups, one row per cell.

    A group is 1 omni row or 3 sector rows (:data:`_SECTORED_SHARE` of each technology's rows
    are in 3-sector groups) at a village drawn by ``weights``; the first 4G groups go to the
    ``microwave`` commune centres. Returns columns ``group``, ``tech`` (0, 1, 2 for 2G, 3G,
    4G), ``site`` (village index), ``op``, ``spelled``, ``azimuth``, ``beamwidth``, ``sector``.
    """
    n_v = len(weights[0])
    n_t = np.round(np.array(_TECH_SHARES) * n_rows).astype(int)
    n_t[2] = n_rows - n_t[:2].sum()
    rows = []
    for tech, (n, sector_frac) in enumerate(zip(n_t, _SECTORED_SHARE, strict=True)):
        g3 = int(round(sector_frac * n / 3))
        sizes = np.r_[np.full(g3, 3), np.ones(n - 3 * g3, int)]
        rng.shuffle(sizes)
        wt = weights[tech]
        site = rng.choice(n_v, len(sizes), p=wt / wt.sum())
        if tech == 2:  # 4G over microwave at the centre of every other commune without fiber
            forced = microwave[: int(_MICROWAVE_4G_SHARE * len(site))]
            site[: len(forced)] = forced  # villages 0..n_c-1 are the commune centres
        op = rng.choice(len(OPERATORS), len(sizes), p=_OPERATOR_SHARES)
        spelled = rng.choice(len(_SPELLINGS[tech][0]), len(sizes), p=_SPELLINGS[tech][1])
        az0 = rng.uniform(0, _SECTOR_STEP_DEG, len(sizes))
        rep = np.repeat(np.arange(len(sizes)), sizes)
        k = np.arange(len(rep)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        sectored = sizes[rep] == 3
        azimuth = np.round((az0[rep] + _SECTOR_STEP_DEG * k) % 360)
        rows.append(
            pd.DataFrame(
                {
                    "group": rep + tech * 1_000_000,
                    "tech": tech,
                    "site": site[rep],
                    "op": op[rep],
                    "spelled": np.asarray(_SPELLINGS[tech][0])[spelled[rep]],
                    "azimuth": np.where(sectored, azimuth, np.nan),
                    "beamwidth": np.where(sectored, _BEAMWIDTH_DEG[tech], np.nan),
                    "sector": np.where(sectored, np.array(list("ABC"))[np.minimum(k, 2)], ""),
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def _stations(
    rng: np.random.Generator,
    n_rows: int,
    u: _Units,
    t: _Towns,
    v: _Villages,
    f: _Fiber,
    to_ll: pyproj.Transformer,
) -> pd.DataFrame:
    """Stage 8: ``n_rows`` station rows laid out like the shipped CSV file.

    Groups of rows share a site near a village (:func:`_site_weights`,
    :func:`_station_groups`); each site is jittered by :data:`_SITE_JITTER_M`; ranges depend
    on the technology and town (some are missing), a few rows are planned.
    """
    n_v = len(v.xy)
    urban = t.is_ward[v.commune] | t.is_town[v.commune]
    st = _station_groups(rng, n_rows, *_site_weights(u, t, v, f))
    site_of = st["site"].to_numpy()
    site_jitter = rng.normal(0, _SITE_JITTER_M, (n_v, 2))
    s_xy = v.xy[site_of] + site_jitter[site_of]
    s_lon, s_lat = to_ll.transform(s_xy[:, 0], s_xy[:, 1])
    base_range = np.array(_RANGE_M)[st["tech"].to_numpy()]
    factor = np.where(urban[site_of], _URBAN_RANGE_FACTOR, 1.0)
    rng_m = np.round(base_range * factor * rng.uniform(*_RANGE_SPREAD, len(st)), -1)
    rng_m[rng.random(len(st)) < _RANGE_MISSING_SHARE] = np.nan
    site_code = np.char.add("S", np.char.zfill(site_of.astype(str), _ID_DIGITS))
    group_no = pd.factorize(st["group"])[0]
    tech_label = np.char.add((st["tech"].to_numpy() + 2).astype(str), "G")
    station_id = np.char.add(
        np.char.add(_OPERATOR_ABBR[st["op"].to_numpy()], tech_label),
        np.char.add(
            np.char.zfill(group_no.astype(str), _ID_DIGITS), st["sector"].to_numpy().astype(str)
        ),
    )
    stations_df = pd.DataFrame(
        {
            "station_id": station_id,
            "site_id": site_code,
            "operator": np.asarray(OPERATORS)[st["op"].to_numpy()],
            "technology": st["spelled"].to_numpy(),
            "lon": np.round(np.asarray(s_lon), _LONLAT_DECIMALS),
            "lat": np.round(np.asarray(s_lat), _LONLAT_DECIMALS),
            "range_m": rng_m,
            "azimuth": st["azimuth"].to_numpy(),
            "beamwidth": st["beamwidth"].to_numpy(),
            "status": np.where(rng.random(len(st)) < _PLANNED_SHARE, "planned", "active"),
        }
    )
    return stations_df.sort_values(["site_id", "station_id"], kind="stable").reset_index(drop=True)


def _to_lonlat(geoms: np.ndarray, to_ll: pyproj.Transformer) -> np.ndarray:
    """Plane geometries in EPSG:4326."""
    if len(geoms) == 0:
        return geoms
    return shapely.transform(geoms, lambda c: np.c_[to_ll.transform(c[:, 0], c[:, 1])])


def _village_table(
    rng: np.random.Generator,
    u: _Units,
    t: _Towns,
    names: _Names,
    v: _Villages,
    to_ll: pyproj.Transformer,
) -> tuple[pd.DataFrame, _Villages]:
    """Stage 9: the villages table, and the villages reordered as its rows.

    Each village's commune is taken again from its written (rounded) coordinates, so the
    file's commune_code always agrees with the location. Villages are coded within their
    commune, north to south; a few are written without a commune code.
    """
    v_ll = np.round(np.c_[to_ll.transform(v.xy[:, 0], v.xy[:, 1])], _LONLAT_DECIMALS)
    tree = shapely.STRtree(_to_lonlat(u.cells, to_ll))
    pi, ci = tree.query(shapely.points(v_ll), predicate="within")
    v_c = v.commune.copy()
    v_c[pi] = ci
    v_order = np.lexsort(
        (
            np.round(v.xy[:, 0], _VILLAGE_ORDER_DECIMALS),
            -np.round(v.xy[:, 1], _VILLAGE_ORDER_DECIMALS),
            names.c_rank[v_c],
        )
    )
    v = _Villages(v.xy[v_order], v_c[v_order], v.pop[v_order], v.bowl[v_order])
    n_v = len(v.xy)
    seq = pd.Series(v.commune).groupby(v.commune).cumcount().to_numpy() + 1
    v_code = np.char.add(
        names.c_code[v.commune], np.char.zfill(seq.astype(str), _VILLAGE_CODE_DIGITS)
    )
    v_urban = (t.is_ward | t.is_town)[v.commune]
    rural_kind = np.where(rng.random(n_v) < _BAN_SHARE, "Bản ", "Thôn ")
    v_name = np.where(
        v_urban,
        np.char.add("Tổ dân phố ", seq.astype(str)),
        np.char.add(rural_kind, _names(rng, v.commune)),
    )
    v_lon, v_lat = to_ll.transform(v.xy[:, 0], v.xy[:, 1])
    v_commune = np.where(rng.random(n_v) < _NO_COMMUNE_CODE_SHARE, "", names.c_code[v.commune])
    villages_df = pd.DataFrame(
        {
            "village_code": v_code,
            "village_name": v_name,
            "commune_code": v_commune,
            "population": v.pop.astype(int),
            "lon": np.round(np.asarray(v_lon), _LONLAT_DECIMALS),
            "lat": np.round(np.asarray(v_lat), _LONLAT_DECIMALS),
        }
    )
    return villages_df, v


def _unit_layers(
    u: _Units, names: _Names, v: _Villages, to_ll: pyproj.Transformer
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Stage 10: the communes, districts and provinces layers, with their village population.

    Districts and provinces are dissolved from the communes, so the levels nest exactly.
    """
    c_pop = np.bincount(v.commune, v.pop, minlength=len(u.centre))
    prov_of = u.prov_of
    communes = (
        gpd.GeoDataFrame(
            {
                "province_code": names.p_code[prov_of],
                "province_name": np.char.add("Tỉnh ", names.p_name[prov_of]),
                "district_code": names.d_code[u.dist_of],
                "district_name": names.d_label[u.dist_of],
                "commune_code": names.c_code,
                "commune_name": names.c_label,
                "population": c_pop.astype(int),
            },
            geometry=_to_lonlat(u.cells, to_ll),
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
    return communes, districts, provinces


def _fiber_layers(
    u: _Units, t: _Towns, names: _Names, f: _Fiber, to_ll: pyproj.Transformer
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Stage 11: the fiber nodes (points of presence at commune centres) and routes layers."""
    town_kind = np.where(
        t.is_cap[f.node_c],
        "provincial POP",
        np.where(t.is_town[f.node_c], "district POP", "commune POP"),
    )
    node_id = np.char.add("N", names.c_code[f.node_c])
    order_n = np.argsort(node_id)
    nodes = gpd.GeoDataFrame(
        {
            "node_id": node_id[order_n],
            "node_name": names.c_label[f.node_c][order_n],
            "node_type": town_kind[order_n],
        },
        geometry=_to_lonlat(shapely.points(u.centre[f.node_c][order_n]), to_ll),
        crs=4326,
    )
    routes = gpd.GeoDataFrame(
        {
            "route_id": np.char.add("R", _zfill(np.arange(1, len(f.edges) + 1), _ROUTE_ID_DIGITS)),
            "from_node": np.char.add("N", names.c_code[f.edges[:, 1]]),
            "to_node": np.char.add("N", names.c_code[f.edges[:, 0]]),
            "level": f.level,
        },
        geometry=_to_lonlat(f.routes, to_ll),
        crs=4326,
    )
    return nodes, routes


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

    Notes
    -----
    The region is built in stages, each a private function of this module: communes
    (``_communes``), districts and provinces (``_group_units``), towns (``_towns``), codes
    and names (``_unit_names``), terrain (``_terrain``), villages (``_villages``), dark
    communes and the fiber tree (``_fiber``), stations (``_stations``), the villages table
    (``_village_table``), then the layers and rasters. The numbers that shape them are the
    module constants (``_WARD_RADIUS_M``, ``_DARK_SHARE``...).

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
    n_v = max(n_c, round(n_c * villages_per_commune))

    # the stages, in the order they draw random numbers
    outline, cells, centre = _communes(rng, area_km2, n_c)
    units = _group_units(rng, outline, cells, centre, n_d, n_p)
    towns = _towns(units)
    names = _unit_names(rng, units, towns, code_start)
    terrain = _terrain(rng, units, towns, to_ll, lat0, terrain_res_deg)
    villages = _villages(rng, units, towns, terrain, n_v)
    fiber = _fiber(rng, units, towns)
    stations_df = _stations(rng, int(stations), units, towns, villages, fiber, to_ll)
    villages_df, villages = _village_table(rng, units, towns, names, villages, to_ll)
    # the layers and rasters (no more random numbers)
    communes, districts, provinces = _unit_layers(units, names, villages, to_ll)
    fiber_nodes, fiber_routes = _fiber_layers(units, towns, names, fiber, to_ll)
    v_lon, v_lat = to_ll.transform(villages.xy[:, 0], villages.xy[:, 1])
    population = _population_raster(
        villages=np.c_[v_lon, v_lat],
        pop=villages.pop,
        outline=_to_lonlat(np.array([outline]), to_ll)[0],
        res=raster_res_deg,
        elev=terrain.elev,
        elev_transform=terrain.transform,
        bg_frac=_POP_BACKGROUND_FRAC,
    )
    return {
        "communes": communes,
        "districts": districts,
        "provinces": provinces,
        "villages": villages_df,
        "stations": stations_df,
        "fiber_nodes": fiber_nodes,
        "fiber_routes": fiber_routes,
        "terrain": _terrain_raster(terrain),
        "population": population,
        "stats": _region_stats(laea, names, villages, fiber),
    }


def _terrain_raster(terrain: _Terrain) -> SyntheticRaster:
    """Stage 12: the terrain raster (metres, int16)."""
    elev = terrain.elev
    return SyntheticRaster(
        terrain.transform,
        terrain.width,
        terrain.height,
        "int16",
        None,
        "EPSG:4326",
        lambda r0, r1: np.round(elev[r0:r1]).astype(np.int16),
    )


def _region_stats(
    laea: pyproj.CRS, names: _Names, villages: _Villages, fiber: _Fiber
) -> dict[str, Any]:
    """Figures to check a region by: villages near fiber, dark communes, population."""
    near_fiber = np.zeros(len(villages.xy), bool)
    tree = shapely.STRtree(fiber.routes)
    points = shapely.points(villages.xy)
    near_fiber[tree.query(points, predicate="dwithin", distance=_FIBER_REACH_M)[0]] = True
    return {
        "laea": laea,
        "villages_near_fiber_pct": float(100 * near_fiber.mean()),
        "dark_communes": names.c_code[fiber.dark].tolist(),
        "villages_in_dark_communes": int(fiber.dark[villages.commune].sum()),
        "village_population": float(villages.pop.sum()),
    }


def _delta(r: int) -> np.ndarray:
    """A (2r+1, 2r+1) grid of zeros with a 1 in the middle."""
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
    """Stage 13: people per cell, village populations spread ~250 m plus a rural background.

    The background (``bg_frac`` of the village total, denser in valleys) makes the raster
    total about ``(1 + bg_frac)`` times the village total.
    """
    from rasterio.features import geometry_mask

    transform, width, height = _grid(shapely.bounds(outline), res, pad=_POP_PAD_CELLS)
    lat_mid = transform.f - height * res / 2
    cell_km = res * _KM_PER_DEG * math.cos(math.radians(lat_mid))
    radius = max(1, round(_POP_SPREAD_KM / cell_km))  # 3 box passes: sigma ~ 2 * radius cells
    halo = _BLUR_PASSES * radius + 1
    col, row = _colrow(transform, villages[:, 0], villages[:, 1])
    col, row = col.astype(np.intp), row.astype(np.intp)
    order = np.argsort(row, kind="stable")
    col, row, vpop = col[order], row[order], pop[order]
    # valley weight of the background, normalised over the region on the terrain grid
    emask = ~geometry_mask([outline], out_shape=elev.shape, transform=elev_transform)
    valley = np.exp(-(elev - _VALLEY_FLOOR_M) / _BACKGROUND_VALLEY_SCALE_M)
    e_res = elev_transform.a
    e_cell_km2 = (e_res * _KM_PER_DEG) ** 2 * math.cos(math.radians(lat_mid))
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
        area = (res * _KM_PER_DEG) ** 2 * np.cos(np.radians(lat))[:, None]
        out = spread + bg_per_km2 * area * np.exp(
            -(e - _VALLEY_FLOOR_M) / _BACKGROUND_VALLEY_SCALE_M
        )
        st_transform = transform @ Affine.translation(0, r0)
        outside = geometry_mask([outline], out_shape=(r1 - r0, width), transform=st_transform)
        out = np.round(out * _POP_QUANTUM) / _POP_QUANTUM
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
# dem = "{paths["terrain"]}"  # uncomment: what the terrain blocks (the demo compares both)

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
