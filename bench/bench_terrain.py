"""Speed of geocov.terrain: viewsheds, signal masks and village line of sight.

    python bench/bench_terrain.py                       # sample province + national case
    python bench/bench_terrain.py --skip-national
    python bench/bench_terrain.py --national /tmp/national --exact-sample 10000
    python bench/bench_terrain.py --coverage-only       # coverage(terrain=...) only

* **Sample province**: the built-in sample (``geocov.sample_paths()``): its 6 arc-second
  terrain raster read once into the working CRS (``read_dem``), its ~1,000 stations
  (default antenna height 30 m), viewsheds by radial sweep and by exact profiles, signal
  masks (free space + Deygout, the default link budgets), a repeat from the cache, and the
  line of sight of every (village, station) pair of the disc model.
* **National case**: the 100,000 stations of the team's synthetic country
  (``/work/shared/bench/gen.py --scale 1.0 --out /tmp/national``, EPSG:4326 points,
  radius per station, omni).  It has no DEM, so a ~90 m one is synthesised here over the
  stations' extent (plus the largest radius) in EPSG:32648: ridged fractal value noise,
  eight octaves from 40 km to 300 m, its relief modulated by a 200 km noise so that some
  regions are lowland and some mountains up to ~2,800 m.  Viewsheds of all stations by
  sweep; exact profiles and signal masks on a random subset (``--exact-sample``),
  extrapolated linearly in the number of stations; village line of sight for all
  (village, station) pairs.
* **Coverage with terrain** (``geocov.coverage(..., terrain=dem)``, the whole pipeline:
  masks, the grid engine with its terrain hook, villages at their point, shadowed
  villages), beside the disc model: on the sample (its analysis file, with and without
  ``[model] dem``, and :func:`geocov.analysis.run_terrain_comparison`), and on the
  national case read by geocov's readers (lenient), its population raster, a 100 m grid,
  with the synthetic 90 m DEM built over the units' extent.

Wall times are for warm kernels (compiled once before timing; the compile time is printed
apart), on all of numba's threads.  Peak RSS from /proc/self/status; the load average
before and after is recorded (the machine may be shared).  One JSON line per run is appended to
``bench/results/bench_terrain.jsonl``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import time
from pathlib import Path

import numpy as np
from numba import njit, prange

import geocov
from geocov import terrain as T

RESULTS = Path(__file__).resolve().parent / "results"
NATIONAL_CRS = "EPSG:32648"


def peak_rss_gib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024**2
    return float("nan")


class Lap:
    def __init__(self) -> None:
        self.t = time.perf_counter()

    def __call__(self) -> float:
        now = time.perf_counter()
        dt, self.t = now - self.t, now
        return dt


def warm_up() -> float:
    """Compile every kernel on a tiny DEM; return the time it took."""
    t = time.perf_counter()
    z = np.random.default_rng(0).random((40, 40)) * 100
    dem = T.DEM.from_array(z, (50, 0, 0, 0, -50, 2000), NATIONAL_CRS)
    xy = np.array([[1000.0, 1000.0]])
    T.viewsheds(dem, xy, 30.0, 500.0, cache=False).cell_counts()
    T.viewsheds(dem, xy, 30.0, 500.0, method="exact", cache=False).reaches([0], xy)
    T.signal_masks(dem, xy, 30.0, 500.0, frequency_mhz=900, eirp_dbm=58, threshold_dbm=-92,
                   cache=False)
    T.line_of_sight(dem, xy, 30.0, xy + 300)
    T.path_loss(dem, xy, 30.0, xy + 300, frequency_mhz=900)
    T.clear_cache()
    return time.perf_counter() - t


def village_pairs(villages_xy: np.ndarray, st_xy: np.ndarray, radius: np.ndarray):
    from geocov.stations import covering_pairs

    nan = np.full(len(st_xy), np.nan)
    return covering_pairs(villages_xy, st_xy, radius, nan, nan)


# ----------------------------------------------------------------------------- sample
def bench_sample() -> dict:
    out: dict = {}
    paths = geocov.sample_paths()
    stations = geocov.read_stations(paths["stations"])
    villages = geocov.read_villages(paths["villages"])
    wcrs = geocov.crs.working_crs(stations)
    pts = stations.geometry.to_crs(wcrs)
    xy = np.column_stack([pts.x, pts.y])
    radius = geocov.station_radius_m(stations)
    height = T.antenna_heights_m(stations)
    az = stations["azimuth_deg"].to_numpy(float)
    bw = stations["beamwidth_deg"].to_numpy(float)
    pad = radius.max()
    bounds = (xy[:, 0].min() - pad, xy[:, 1].min() - pad, xy[:, 0].max() + pad,
              xy[:, 1].max() + pad)
    lap = Lap()
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        dem = T.read_dem(paths["terrain"], bounds=bounds, crs=wcrs)
    out["read_dem_s"] = lap()
    out["dem"] = {"shape": list(dem.shape), "cell_m": dem.cell_size_m[0],
                  "nodata_cells": dem.nodata_cells, "warnings": [str(w.message) for w in caught]}
    out["stations"] = len(stations)
    _ = dem.key
    out["dem_hash_s"] = lap()
    for method in ("sweep", "exact"):
        T.clear_cache()
        lap()
        m = T.viewsheds(dem, xy, height, radius, azimuth_deg=az, beamwidth_deg=bw,
                        method=method)
        out[f"viewsheds_{method}_s"] = lap()
        out["sites"] = m.n_sites
        counts = m.cell_counts()
        out[f"visible_km2_{method}"] = float(counts.sum() * m.cell_area_km2)
        out["mask_bytes"] = int(m.bits.nbytes)
        lap()
        again = T.viewsheds(dem, xy, height, radius, azimuth_deg=az, beamwidth_deg=bw,
                            method=method)
        out[f"viewsheds_{method}_cached_s"] = lap()
        assert again.sites_cached == again.n_sites
        if method == "sweep":
            sweep = m
    disc = math.pi * radius**2 / 1e6
    sec = np.isfinite(az) & np.isfinite(bw) & (bw < 360)
    disc[sec] *= bw[sec] / 360
    out["disc_km2"] = float(disc.sum())
    T.clear_cache()
    radio = T.radio_arrays(stations["technology"])
    lap()
    sig = T.signal_masks(dem, xy, height, radius, azimuth_deg=az, beamwidth_deg=bw, **radio)
    out["signal_masks_s"] = lap()
    out["served_km2_signal"] = float(sig.area_km2().sum())
    # villages: the disc model's (village, station) pairs, then line of sight on them
    vpts = villages.geometry.to_crs(wcrs)
    vxy = np.column_stack([vpts.x, vpts.y])
    inside = ((vxy[:, 0] > dem.bounds[0]) & (vxy[:, 0] < dem.bounds[2])
              & (vxy[:, 1] > dem.bounds[1]) & (vxy[:, 1] < dem.bounds[3]))
    vxy = vxy[inside]
    lap()
    from geocov.stations import covering_pairs

    pi, si = covering_pairs(vxy, xy, radius, az, bw)
    out["village_pairs_s"] = lap()
    los = T.line_of_sight(dem, xy[si], height[si], vxy[pi])
    out["village_los_s"] = lap()
    reach = sweep.reaches(si, vxy[pi])
    out["village_mask_lookup_s"] = lap()
    out["villages"] = int(len(vxy))
    out["village_station_pairs"] = int(len(pi))
    disc_v = np.zeros(len(vxy), bool)
    disc_v[pi] = True
    los_v = np.zeros(len(vxy), bool)
    los_v[pi[los.visible]] = True
    out["villages_in_a_disc"] = int(disc_v.sum())
    out["villages_with_line_of_sight"] = int(los_v.sum())
    out["pairs_los_vs_mask_agreement"] = float((reach == los.visible).mean())
    lap()
    pl = T.path_loss(dem, xy[si], height[si], vxy[pi], frequency_mhz=radio["frequency_mhz"][si])
    out["village_path_loss_s"] = lap()
    served = radio["eirp_dbm"][si] - pl.loss_db >= radio["threshold_dbm"][si]
    sv = np.zeros(len(vxy), bool)
    sv[pi[served]] = True
    out["villages_served_path_loss"] = int(sv.sum())
    try:
        import itmlogic  # noqa: F401

        k = min(2000, len(pi))
        lap()
        T.path_loss(dem, xy[si[:k]], height[si[:k]], vxy[pi[:k]],
                    frequency_mhz=radio["frequency_mhz"][si[:k]], model="itm")
        out["itm_ms_per_path"] = lap() / k * 1e3
    except ImportError:
        out["itm_ms_per_path"] = None
    return out


# ----------------------------------------------------------------------------- national
@njit(nogil=True, cache=True)
def _hash01(ix, iy, seed):
    h = (ix * 374761393 + iy * 668265263 + seed * 982451653) & 0xFFFFFFFF
    h = ((h ^ (h >> 13)) * 1274126177) & 0xFFFFFFFF
    h = h ^ (h >> 16)
    return (h & 0xFFFFFF) / 16777215.0


@njit(nogil=True, cache=True)
def _noise(x, y, seed):
    ix = math.floor(x)
    iy = math.floor(y)
    fx = x - ix
    fy = y - iy
    sx = fx * fx * (3 - 2 * fx)
    sy = fy * fy * (3 - 2 * fy)
    a = _hash01(ix, iy, seed)
    b = _hash01(ix + 1, iy, seed)
    c = _hash01(ix, iy + 1, seed)
    d = _hash01(ix + 1, iy + 1, seed)
    return 2.0 * ((a + (b - a) * sx) * (1 - sy) + (c + (d - c) * sx) * sy) - 1.0


@njit(nogil=True, cache=True, parallel=True)
def _ridged_dem(h, w, x0, y0, cell, seed, out):
    for i in prange(h):
        y = y0 - (i + 0.5) * cell
        for j in range(w):
            x = x0 + (j + 0.5) * cell
            total = 0.0
            norm = 0.0
            amp = 1.0
            f = 1.0 / 40000.0
            for o in range(8):
                r = 1.0 - abs(_noise(x * f, y * f, seed + o))
                total += amp * r * r
                norm += amp
                amp *= 0.5
                f *= 2.0
            relief = 0.5 + 0.5 * _noise(x / 200000.0, y / 200000.0, seed + 99)
            out[i, j] = 20.0 + 2800.0 * relief * relief * (total / norm) ** 1.5


def national_dem(bounds, cell: float = 90.0, seed: int = 8) -> T.DEM:
    from affine import Affine

    x0 = math.floor(bounds[0] / cell) * cell
    y1 = math.ceil(bounds[3] / cell) * cell
    w = int(math.ceil((bounds[2] - x0) / cell))
    h = int(math.ceil((y1 - bounds[1]) / cell))
    z = np.empty((h, w), np.float32)
    _ridged_dem(h, w, x0, y1, cell, seed, z)
    return T.DEM.from_array(z, Affine(cell, 0, x0, 0, -cell, y1), NATIONAL_CRS,
                            source=f"synthetic ridged fractal ({cell:g} m)")


def bench_national(folder: Path, exact_sample: int) -> dict:
    import geopandas as gpd

    out: dict = {}
    st = gpd.read_parquet(folder / "stations.parquet").to_crs(NATIONAL_CRS)
    vil = gpd.read_parquet(folder / "villages.parquet").to_crs(NATIONAL_CRS)
    xy = np.column_stack([st.geometry.x, st.geometry.y])
    radius = st["radius_m"].to_numpy(float)
    vxy = np.column_stack([vil.geometry.x, vil.geometry.y])
    pad = radius.max() + 1000
    bounds = (min(xy[:, 0].min(), vxy[:, 0].min()) - pad,
              min(xy[:, 1].min(), vxy[:, 1].min()) - pad,
              max(xy[:, 0].max(), vxy[:, 0].max()) + pad,
              max(xy[:, 1].max(), vxy[:, 1].max()) + pad)
    lap = Lap()
    dem = national_dem(bounds)
    out["dem_synthesis_s"] = lap()
    out["dem"] = {"shape": list(dem.shape), "cells": int(dem.elevation.size),
                  "cell_m": dem.cell_size_m[0], "source": dem.source,
                  "elevation_p50_p99_max": [float(np.percentile(dem.elevation, 50)),
                                            float(np.percentile(dem.elevation, 99)),
                                            float(dem.elevation.max())]}
    _ = dem.key
    out["dem_hash_s"] = lap()
    out["stations"] = len(st)
    height = np.full(len(st), T.DEFAULT_ANTENNA_HEIGHT_M)
    T.clear_cache()
    lap()
    m = T.viewsheds(dem, xy, height, radius)
    out["viewsheds_sweep_s"] = lap()
    out["sites"] = m.n_sites
    out["mask_MB"] = m.bits.nbytes / 1e6
    counts = m.cell_counts()
    out["cell_counts_s"] = lap()
    out["visible_share_of_discs"] = float(counts.sum() * m.cell_area_km2
                                          / (math.pi * (radius**2).sum() / 1e6))
    again = T.viewsheds(dem, xy, height, radius)
    out["viewsheds_sweep_cached_s"] = lap()
    assert again.sites_cached == again.n_sites
    out["peak_rss_after_sweep_GiB"] = peak_rss_gib()
    # exact profiles and signal masks on a subset, extrapolated
    rng = np.random.default_rng(1)
    sub = np.sort(rng.choice(len(st), size=min(exact_sample, len(st)), replace=False))
    T.clear_cache()
    lap()
    ex = T.viewsheds(dem, xy[sub], height[sub], radius[sub], method="exact")
    t = lap()
    out["exact_subset"] = len(sub)
    out["viewsheds_exact_subset_s"] = t
    out["viewsheds_exact_extrapolated_s"] = t * len(st) / len(sub)
    sw = T.viewsheds(dem, xy[sub], height[sub], radius[sub], method="sweep")
    a, b = sw.cell_counts(), ex.cell_counts()
    out["sweep_vs_exact_visible_cells"] = [int(a.sum()), int(b.sum())]
    T.clear_cache()
    tech = st["tech"].astype(str).to_numpy()
    radio = T.radio_arrays(tech[sub])
    lap()
    T.signal_masks(dem, xy[sub], height[sub], radius[sub], **radio)
    t = lap()
    out["signal_masks_subset_s"] = t
    out["signal_masks_extrapolated_s"] = t * len(st) / len(sub)
    # villages: every (village, station) pair of the disc model, line of sight on them
    lap()
    pi, si = village_pairs(vxy, xy, radius)
    out["village_pairs_s"] = lap()
    los = T.line_of_sight(dem, xy[si], height[si], vxy[pi])
    out["village_los_s"] = lap()
    reach = m.reaches(si, vxy[pi])
    out["village_mask_lookup_s"] = lap()
    out["villages"] = len(vxy)
    out["village_station_pairs"] = int(len(pi))
    out["pairs_los_vs_mask_agreement"] = float((reach == los.visible).mean())
    disc_v = np.zeros(len(vxy), bool)
    disc_v[pi] = True
    los_v = np.zeros(len(vxy), bool)
    los_v[pi[los.visible]] = True
    out["villages_in_a_disc"] = int(disc_v.sum())
    out["villages_with_line_of_sight"] = int(los_v.sum())
    out["peak_rss_GiB"] = peak_rss_gib()
    return out


def bench_coverage_sample() -> dict:
    from dataclasses import replace

    from geocov.analysis import read_analysis, run_analysis, run_terrain_comparison

    paths = geocov.sample_paths()
    disc_a = read_analysis(paths["analysis"])
    terr_a = replace(disc_a, model={**disc_a.model, "dem": str(paths["terrain"])})
    out: dict = {}
    run_analysis(terr_a)  # warm (the grid kernel with its terrain hook)
    T.clear_cache()
    lap = Lap()
    disc = run_analysis(disc_a)
    out["disc_s"] = lap()
    terr = run_analysis(terr_a)
    out["terrain_s"] = lap()
    out["terrain_timings_s"] = {k: round(v, 3) for k, v in terr.timings.items()}
    c = run_terrain_comparison(terr_a, terr, disc=disc)
    out["comparison_s"] = lap()
    out["figures_4g"] = c.figures("4g")
    return out


def bench_coverage_national(folder: Path, workers: int) -> dict:
    import warnings

    from geocov.terrain.compare import terrain_comparison

    out: dict = {}
    lap = Lap()
    rejects = geocov.RejectsReport()
    units = geocov.read_units(
        folder / "communes.gpkg",
        levels={"province": "province_name", "district": "district_name",
                "commune": "commune_name"},
        codes={"province": "province_code", "district": "district_code",
               "commune": "commune_code"}, rejects=rejects)
    stations = geocov.read_stations(folder / "stations.gpkg", rejects=rejects)
    villages = geocov.read_villages(folder / "villages.gpkg", rejects=rejects)
    out["read_s"] = lap()
    b = units.to_crs(NATIONAL_CRS).total_bounds
    pad = float(geocov.station_radius_m(stations).max()) + 1000.0
    dem = national_dem((b[0] - pad, b[1] - pad, b[2] + pad, b[3] + pad))
    _ = dem.key
    out["dem"] = {"shape": list(dem.shape), "cell_m": dem.cell_size_m[0]}
    out["dem_s"] = lap()
    kw = dict(villages=villages, stations=stations, population=folder / "population.tif",
              resolution_m=100.0, crs=NATIONAL_CRS, workers=workers, rejects=rejects)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the synthetic country's data notes
        disc = geocov.coverage(units, **kw)
        out["disc_s"] = lap()
        T.clear_cache()
        lap()
        terr = geocov.coverage(units, terrain=dem, **kw)
        out["terrain_s"] = lap()
        out["terrain_timings_s"] = {k: round(v, 2) for k, v in terr.timings.items()}
        again = geocov.coverage(units, terrain=dem, **kw)
        out["terrain_again_s"] = lap()  # the masks from the cache
        out["terrain_again_timings_s"] = {k: round(v, 2) for k, v in again.timings.items()}
    c = terrain_comparison(disc, terr)
    out["comparison_s"] = lap()
    out["figures_4g"] = c.figures("4g")
    out["peak_rss_GiB"] = peak_rss_gib()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--national", type=Path, default=Path("/tmp/national"),
                    help="folder written by /work/shared/bench/gen.py --scale 1.0")
    ap.add_argument("--skip-national", action="store_true")
    ap.add_argument("--exact-sample", type=int, default=10_000,
                    help="stations for the exact-profile and signal-mask national timings")
    ap.add_argument("--coverage-only", action="store_true",
                    help="only coverage(terrain=...) beside the disc model")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                    help="threads for the coverage grid")
    args = ap.parse_args()
    import numba

    record: dict = {"machine": {"cores": os.cpu_count(), "numba_threads":
                                numba.get_num_threads(), "python": platform.python_version(),
                                "numba": numba.__version__}}
    record["load_average_before"] = os.getloadavg()
    record["compile_s"] = warm_up()
    print(f"kernels compiled / loaded in {record['compile_s']:.1f} s")
    if not args.coverage_only:
        record["sample"] = bench_sample()
        print(json.dumps(record["sample"], indent=1))
    record["coverage_sample"] = bench_coverage_sample()
    print(json.dumps(record["coverage_sample"], indent=1))
    if not args.skip_national:
        if not (args.national / "stations.parquet").exists():
            raise SystemExit(f"{args.national}: no national case; run "
                             f"/work/shared/bench/gen.py --scale 1.0 --out {args.national}")
        if not args.coverage_only:
            record["national"] = bench_national(args.national, args.exact_sample)
            print(json.dumps(record["national"], indent=1))
        record["coverage_national"] = bench_coverage_national(args.national, args.workers)
        print(json.dumps(record["coverage_national"], indent=1))
    record["load_average_after"] = os.getloadavg()
    print(f"load average before {record['load_average_before']}, after "
          f"{record['load_average_after']} (other work on the machine slows the figures)")
    RESULTS.mkdir(exist_ok=True)
    with open(RESULTS / "bench_terrain.jsonl", "a") as f:
        f.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
