"""geocov (read + coverage) and its grid engine against the expert script, run alongside.

Runs on the national synthetic case of ``../shared/bench/gen.py`` (generated outside the
repository), each measurement in a fresh process so that its peak RSS is its own, the
variants interleaved and repeated (the machine has 2 cores and is shared: figures are
noisy, medians are reported):

* ``geocov``: read (geocov readers) + ``geocov.coverage(...)`` with 2 threads (and 1
  thread, and a Dask ``LocalCluster`` of 2 worker processes with ``--dask``), its "grid
  coverage" stage timed on its own (peak RSS sampled every 20 ms). Module imports are
  done before the clock starts, as the expert script does before its laps; loading the
  engine's compiled kernels from numba's cache (first call) is timed;
* ``engine``: read units and stations (geocov readers), prepare them as ``coverage`` does
  (one reprojection of the units, ``_prepare_stations``) and run
  ``geocov.engine.grid_coverage`` with exact boundary weights, 1 and 2 threads, and on a
  Dask ``LocalCluster`` of 1 and 2 worker processes (``--dask``);
* ``expert``: ``../shared/bench/expert.py`` (its own lap total and ``ru_maxrss``);
* ``--accuracy``: per-commune population of the engine (exact and centre weights)
  against exactextract, and (``--covered``) the covered population share of each
  technology against an exact vector reference (union of 256-gon footprints, clipped to
  each commune, summed by exactextract).

    python bench/bench_engine.py --data /tmp/national --runs geocov,expert --repeat 3
    python bench/bench_engine.py --data /tmp/national            # generated if absent
    python bench/bench_engine.py --data /tmp/national01 --scale 0.1 --repeat 3
    python bench/bench_engine.py --data /tmp/national --accuracy --runs none

Appends one JSON line per invocation to bench/results/bench_engine.jsonl.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SHARED_BENCH = REPO.parent / "shared" / "bench"
GIB = 1024**3
RESOLUTION_M = 100.0


# --------------------------------------------------------------------------- inputs
def read_case(d: Path, *, villages: bool):
    """The gen.py files through geocov's public readers (lenient mode)."""
    import geocov

    rejects = geocov.RejectsReport()
    units = geocov.read_units(
        d / "communes.gpkg",
        levels={
            "province": "province_name",
            "district": "district_name",
            "commune": "commune_name",
        },
        codes={"province": "province_code", "district": "district_code", "commune": "commune_code"},
        rejects=rejects,
    )
    stations = geocov.read_stations(d / "stations.gpkg", rejects=rejects)
    vil = geocov.read_villages(d / "villages.gpkg", rejects=rejects) if villages else None
    return units, stations, vil


def prepare(units, stations, tif: Path):
    """What coverage() hands the engine: units in the raster's CRS (one reprojection),
    stations in the working CRS with their base-layer bits, the grid."""
    import importlib

    import rasterio
    import shapely

    import geocov
    from geocov.engine import GridSpec

    cov = importlib.import_module("geocov.coverage")
    units = units.reset_index(drop=True)
    wcrs = geocov.crs.working_crs(units)
    st = cov._prepare_stations(stations, radius_m=None, statuses=None, wcrs=wcrs)
    with rasterio.open(tif) as src:
        gcrs = src.crs
    units_g = units.geometry.to_crs(gcrs).values
    grid = GridSpec.from_raster(tif, shapely.total_bounds(units_g), resolution_m=RESOLUTION_M)
    return units_g, st, wcrs, grid


def engine_kwargs(st, wcrs, grid, tif):
    return {
        "grid": grid,
        "population": tif,
        "centres_xy": st.xy,
        "radius_m": st.radius_m,
        "bit_of_station": st.layer,
        "azimuth_deg": st.azimuth_deg,
        "beamwidth_deg": st.beamwidth_deg,
        "stations_crs": wcrs,
    }


def rss_now_gib() -> float:
    with open("/proc/self/status") as f:
        return next(int(ln.split()[1]) for ln in f if ln.startswith("VmRSS:")) * 1024 / GIB


def peak_rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / GIB


# --------------------------------------------------------------------------- children
def import_modules() -> None:
    """What the expert script imports before its laps (and geocov's own modules, numba)."""
    import importlib

    for name in (
        "numpy", "pandas", "geopandas", "shapely", "pyogrio", "pyproj", "rasterio",
        "geocov.boundaries", "geocov.villages", "geocov.stations", "geocov.coverage",
        "geocov.engine._kernels",
    ):  # fmt: skip
        importlib.import_module(name)


def child_geocov(d: Path, args) -> dict:
    sys.path.insert(0, str(HERE))
    from run_bench import RssSampler

    import geocov

    import_modules()
    client = cluster = None
    if args.scheduler == "dask":
        from distributed import Client, LocalCluster

        cluster = LocalCluster(
            n_workers=args.workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            worker_dashboard_address=None,
        )
        client = Client(cluster)
    sampler = RssSampler()
    sampler.start()
    t0 = time.perf_counter()
    units, stations, villages = read_case(d, villages=True)
    t1 = time.perf_counter()
    result = geocov.coverage(
        units,
        villages=villages,
        stations=stations,
        population=d / "population.tif",
        resolution_m=RESOLUTION_M,
        workers=args.workers,
        client=client,
    )
    t2 = time.perf_counter()
    sampler.stop()
    if client is not None:
        client.close()
        cluster.close()
    cursor, grid_rss = t1, 0
    for name, seconds in result.timings.items():
        if name == "grid coverage":
            grid_rss = sampler.peak(cursor, cursor + seconds)
        cursor += seconds
    return {
        "read_s": t1 - t0,
        "coverage_s": t2 - t1,
        "total_s": t2 - t0,
        "grid_s": result.timings.get("grid coverage", float("nan")),
        "grid_peak_rss_gib": grid_rss / GIB,
        "peak_rss_gib": peak_rss_gib(),
        "timings": result.timings,
        "population": float(result.table("total")["population"].iloc[0]),
    }


def child_engine(d: Path, args) -> dict:
    from geocov.engine import grid_coverage

    import_modules()

    tif = d / "population.tif"
    t0 = time.perf_counter()
    units, stations, _ = read_case(d, villages=False)
    t1 = time.perf_counter()
    units_g, st, wcrs, grid = prepare(units, stations, tif)
    t2 = time.perf_counter()
    kw = engine_kwargs(st, wcrs, grid, tif)
    out = {"read_s": t1 - t0, "prepare_s": t2 - t1, "rss_before_engine_gib": rss_now_gib()}
    sys.path.insert(0, str(HERE))
    from run_bench import RssSampler

    sampler = RssSampler()
    sampler.start()
    if args.scheduler == "dask":
        from distributed import Client, LocalCluster

        cluster = LocalCluster(
            n_workers=args.workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            worker_dashboard_address=None,
        )
        client = Client(cluster)
        out["cluster_start_s"] = time.perf_counter() - t2
        t2 = time.perf_counter()
        sums = grid_coverage(units_g, client=client, weights=args.weights, **kw)
        t3 = time.perf_counter()
        grid_coverage(units_g, client=client, weights=args.weights, **kw)  # kernels loaded
        out["engine_warm_s"] = time.perf_counter() - t3
        client.close()
        cluster.close()
    else:
        sums = grid_coverage(units_g, workers=args.workers, weights=args.weights, **kw)
        t3 = time.perf_counter()
    sampler.stop()
    out |= {
        "engine_peak_rss_gib": sampler.peak(t2, t3) / GIB,
        "engine_s": t3 - t2,
        "total_s": t3 - t0 - out.get("cluster_start_s", 0.0),
        "peak_rss_gib": peak_rss_gib(),
        "groups": len(sums.unit),
        "population": float(sums.unit_population.sum()),
    }
    return out


def child_accuracy(d: Path, args) -> dict:
    """Per-commune population against exactextract; covered shares against exact vectors."""
    import geopandas as gpd
    import numpy as np
    from exactextract import exact_extract

    from geocov.engine import grid_coverage

    tif = d / "population.tif"
    units, stations, _ = read_case(d, villages=False)
    units_g, st, wcrs, grid = prepare(units, stations, tif)
    kw = engine_kwargs(st, wcrs, grid, tif)
    t = time.perf_counter()
    ref = exact_extract(
        str(tif), gpd.GeoDataFrame(geometry=units_g, crs=grid.crs), "sum", output="pandas"
    )["sum"].to_numpy()
    out: dict = {"exactextract_s": time.perf_counter() - t, "units": len(ref)}
    sums = {w: grid_coverage(units_g, weights=w, **kw) for w in ("exact", "centre")}
    ok = ref > 0
    for w, s in sums.items():
        err = 100 * np.abs(s.unit_population[ok] / ref[ok] - 1)  # % of the unit's population
        out[f"population_{w}"] = {
            "within_0.1pct_share": float((err <= 0.1).mean()),
            "p99_pct": float(np.percentile(err, 99)),
            "max_pct": float(err.max()),
        }
    if args.covered:
        out["covered"] = covered_accuracy(units, units_g, st, wcrs, grid, tif, sums, ref)
    return out


def covered_accuracy(units, units_g, st, wcrs, grid, tif, sums, ref) -> dict:
    import geopandas as gpd
    import numpy as np
    import shapely
    from exactextract import exact_extract

    import geocov

    fp = geocov.station_footprints(
        st.frame.assign(range_m=st.radius_m), crs=wcrs, quad_segs=64
    ).geometry.values
    units_w = units.reset_index(drop=True).geometry.to_crs(wcrs).values
    tree = shapely.STRtree(fp)
    out = {}
    for tech in ("2G", "3G", "4G"):
        layer_bits = [i for i, (t, _) in enumerate(st.layer_names) if t == tech]
        if not layer_bits:
            continue
        sel = np.isin(st.layer, layer_bits)
        ui, fi = tree.query(units_w, predicate="intersects")
        keep = sel[fi]
        ui, fi = ui[keep], fi[keep]
        pieces = np.empty(len(units_w), dtype=object)
        pieces[:] = None
        order = np.argsort(ui, kind="stable")
        ui, fi = ui[order], fi[order]
        starts = np.flatnonzero(np.r_[True, ui[1:] != ui[:-1]]) if len(ui) else []
        bounds = list(starts) + [len(ui)]
        for a, b in zip(bounds[:-1], bounds[1:], strict=False):  # one union per unit
            u = ui[a]
            pieces[u] = shapely.intersection(units_w[u], shapely.union_all(fp[fi[a:b]]))
        has = np.array([p is not None and not p.is_empty for p in pieces])
        exact_cov = np.zeros(len(units_w))
        if has.any():
            g = gpd.GeoDataFrame(geometry=list(pieces[has]), crs=wcrs).to_crs(grid.crs)
            exact_cov[has] = exact_extract(str(tif), g, "sum", output="pandas")["sum"].to_numpy()
        mask = sum(1 << b for b in layer_bits)
        ok = ref > 0
        ref_pct = 100 * exact_cov[ok] / ref[ok]
        for w, s in sums.items():
            pct = (
                100
                * s.covered(mask)[1][ok]
                / np.where(s.unit_population[ok] > 0, s.unit_population[ok], np.nan)
            )
            d = np.abs(pct - ref_pct)
            d = d[np.isfinite(d)]
            out[f"{tech}_{w}"] = {
                "mean_pp": float(d.mean()),
                "p99_pp": float(np.percentile(d, 99)),
                "max_pp": float(d.max()),
                "within_0.1pp_share": float((d <= 0.1).mean()),
            }
    return out


CHILDREN = {"geocov": child_geocov, "engine": child_engine, "accuracy": child_accuracy}


# --------------------------------------------------------------------------- parent
def run_child(mode: str, d: Path, extra: list[str]) -> dict:
    cmd = [sys.executable, __file__, "--child", mode, "--data", str(d), *extra]
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode or not lines:
        raise RuntimeError(f"{mode} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(lines[-1]) | {"process_wall_s": wall}


def run_expert(d: Path, work: Path) -> dict:
    script = SHARED_BENCH / "expert.py"
    t = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, str(script), str(d), str(work)],
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - t
    res = [json.loads(ln)["result"] for ln in proc.stdout.splitlines() if '"result"' in ln]
    if proc.returncode or not res:
        raise RuntimeError(f"expert.py failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return {
        "total_s": res[-1]["total_s"],
        "peak_rss_gib": res[-1]["peak_rss_mb"] / 1024,
        "process_wall_s": wall,
    }


def ensure_case(d: Path, scale: float) -> None:
    if (d / "population.tif").exists() and (d / "communes.gpkg").exists():
        return
    gen = SHARED_BENCH / "gen.py"
    if not gen.exists():
        sys.exit(
            f"{d} has no generated case and {gen} is absent; generate one with "
            f"gen.py --scale {scale:g} --out {d}"
        )
    print(f"generating the case: {gen.name} --scale {scale:g} --out {d} (1-2 min)", flush=True)
    subprocess.run(
        [sys.executable, str(gen), "--scale", str(scale), "--out", str(d)],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def med(rows: list[dict], key: str) -> float:
    vals = [r[key] for r in rows if key in r]
    return statistics.median(vals) if vals else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path("/tmp/national"))
    ap.add_argument("--scale", type=float, default=1.0, help="gen.py scale if generating")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument(
        "--runs",
        default="geocov,engine,expert",
        help="comma list of geocov, engine, expert (or 'none')",
    )
    ap.add_argument("--dask", action="store_true", help="also the engine on a LocalCluster")
    ap.add_argument("--accuracy", action="store_true")
    ap.add_argument("--covered", action="store_true", help="with --accuracy: covered shares")
    ap.add_argument("--child", choices=sorted(CHILDREN))
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--weights", default="exact")
    ap.add_argument("--scheduler", default="threads")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    if args.child:
        print(json.dumps(CHILDREN[args.child](args.data, args)), flush=True)
        return

    ensure_case(args.data, args.scale)
    runs = [r for r in args.runs.split(",") if r and r != "none"]
    variants: list[tuple[str, list[str]]] = []
    if "geocov" in runs:
        variants += [(f"geocov {w} thread(s)", ["--workers", str(w)]) for w in (2, 1)]
        if args.dask:
            variants.append(("geocov dask 2 workers", ["--workers", "2", "--scheduler", "dask"]))
    if "engine" in runs:
        variants += [(f"engine {w} thread(s)", ["--workers", str(w)]) for w in (1, 2)]
        if args.dask:
            variants += [
                (f"engine dask {w} worker(s)", ["--workers", str(w), "--scheduler", "dask"])
                for w in (1, 2)
            ]
    if "expert" in runs:
        variants.append(("expert", []))
    results: dict[str, list[dict]] = {name: [] for name, _ in variants}
    work = Path(os.environ.get("TMPDIR", "/tmp")) / "geocov_bench_expert"
    for rep in range(args.repeat):
        order = (
            variants[rep % len(variants) :] + variants[: rep % len(variants)] if variants else []
        )
        for name, extra in order:
            if name == "expert":
                r = run_expert(args.data, work)
            elif name.startswith("geocov"):
                r = run_child("geocov", args.data, extra)
            else:
                r = run_child("engine", args.data, extra)
            results[name].append(r)
            print(
                f"  run {rep + 1}: {name:<24} total {r['total_s']:6.2f} s, peak RSS "
                f"{r['peak_rss_gib']:.2f} GiB",
                flush=True,
            )

    if results:
        expert_s = med(results.get("expert", []), "total_s")
        print(f"\n{args.data} (medians of {args.repeat}; ratio = total / expert total)")
        print(f"  {'variant':<24} {'total s':>8} {'stage s':>8} {'peak GiB':>9} {'ratio':>6}")
        for name, rows in results.items():
            stage = med(rows, "grid_s") if name.startswith("geocov") else med(rows, "engine_s")
            print(
                f"  {name:<24} {med(rows, 'total_s'):8.2f} {stage:8.2f} "
                f"{med(rows, 'peak_rss_gib'):9.2f} {med(rows, 'total_s') / expert_s:6.2f}"
            )
    accuracy = None
    if args.accuracy:
        extra = ["--covered"] if args.covered else []
        accuracy = run_child("accuracy", args.data, extra)
        print("\nper-commune population vs exactextract (% of the commune's population):")
        for w in ("exact", "centre"):
            a = accuracy[f"population_{w}"]
            print(
                f"  {w:<7} within 0.1 %: {100 * a['within_0.1pct_share']:.2f} % of communes; "
                f"p99 {a['p99_pct']:.3f} %, max {a['max_pct']:.3f} %"
            )
        for key, a in accuracy.get("covered", {}).items():
            print(
                f"  covered population share {key:<10} mean {a['mean_pp']:.3f} pp, p99 "
                f"{a['p99_pp']:.3f} pp, max {a['max_pp']:.3f} pp, within 0.1 pp "
                f"{100 * a['within_0.1pp_share']:.1f} %"
            )
    (HERE / "results").mkdir(exist_ok=True)
    with open(HERE / "results" / "bench_engine.jsonl", "a") as fh:
        fh.write(
            json.dumps(
                {
                    "time": time.strftime("%Y-%m-%dT%H:%M:%S"),
                    "data": str(args.data),
                    "cpus": os.cpu_count(),
                    "python": platform.python_version(),
                    "load_avg": os.getloadavg(),
                    "runs": results,
                    "accuracy": accuracy,
                }
            )
            + "\n"
        )


if __name__ == "__main__":
    main()
