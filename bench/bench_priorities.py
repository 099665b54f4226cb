"""Benchmark: the priority list (:func:`geocov.priorities.priorities`) at national scale.

The synthetic country of ``bench/synthetic.py`` (scale 1: ~80,000 villages, 100,000
stations, ~9,100 fiber routes) is read with the public readers and its coverage computed
on a coarse grid (``--resolution-m``, default 1,000 m: the list reads village points, not
the grid); then ``priorities(result)`` is timed without a DEM, and with the country's
synthetic terrain (``make_region``'s terrain raster at 1/120°, about 0.9 km, written once
beside the other files) unless ``--no-dem``.

    python bench/bench_priorities.py                 # scale 1
    python bench/bench_priorities.py --scale 0.1 --repeat 3

Prints the stage times and appends one JSON line to ``bench/results/bench_priorities.jsonl``.
Target (issue 9): the full list for ~80,000 villages in well under a minute.
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
import sys
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
from run_bench import read_and_cover  # noqa: E402 - the national bench's readers
from synthetic import (  # noqa: E402
    AREA_KM2,
    N_COMMUNES,
    N_DISTRICTS,
    N_PROVINCES,
    N_STATIONS,
    N_VILLAGES,
    RESULTS,
    make_country,
)

TARGET_S = 60.0


def terrain_path(scale: float, seed: int, folder: Path) -> Path:
    """The country's terrain raster (the same ``make_region`` call as ``make_country``)."""
    path = folder / "terrain.tif"
    if path.is_file():
        return path
    from geocov.sample import make_region

    n_p = max(1, round(N_PROVINCES * scale))
    n_d = max(n_p, round(N_DISTRICTS * scale))
    n_c = max(n_d, round(N_COMMUNES * scale))
    region = make_region(
        n_provinces=n_p, districts_per_province=n_d / n_p, communes_per_district=n_c / n_d,
        villages_per_commune=N_VILLAGES / N_COMMUNES, stations=max(10, round(N_STATIONS * scale)),
        centre_lonlat=(106.0, 16.0), area_km2=AREA_KM2 * scale, seed=seed,
        raster_res_deg=1 / 1200, terrain_res_deg=1 / 120,
    )
    region["terrain"].write(path)
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=1945)
    ap.add_argument("--resolution-m", type=float, default=1000.0)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--no-dem", action="store_true")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)

    import geocov
    from geocov.priorities import priorities

    country = make_country(args.scale, args.seed)
    paths = country["paths"]
    folder = paths["units"].parent
    result, read_s, coverage_s = read_and_cover(paths, args.resolution_m)
    print(f"read {read_s:.1f} s; coverage ({args.resolution_m:g} m grid) {coverage_s:.1f} s; "
          f"{len(result.villages):,} villages, {len(result.stations):,} stations")
    runs = []
    dem = None if args.no_dem else terrain_path(args.scale, args.seed, folder)
    for _ in range(args.repeat):
        for label, kw in (("no DEM", {}), *((("DEM", {"dem": dem}),) if dem else ())):
            t = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", geocov.GeocovWarning)
                p = priorities(result, **kw)
            s = time.perf_counter() - t
            listed = int(p.villages["tier"].notna().sum())
            runs.append({"mode": label, "seconds": round(s, 2), "villages": len(p.villages),
                         "listed": listed, "options": len(p.options)})
            print(f"priorities ({label}): {s:.1f} s for {len(p.villages):,} villages "
                  f"({listed:,} listed, {len(p.options):,} options)"
                  f" -> {'OK' if s < TARGET_S else 'OVER'} the {TARGET_S:g} s target")
    line = {"bench": "priorities", "scale": args.scale, "seed": args.seed,
            "resolution_m": args.resolution_m, "read_s": round(read_s, 2),
            "coverage_s": round(coverage_s, 2), "runs": runs, "machine": platform.platform(),
            "time": time.strftime("%Y-%m-%dT%H:%M:%S")}
    RESULTS.mkdir(parents=True, exist_ok=True)
    with open(RESULTS / "bench_priorities.jsonl", "a", encoding="utf-8") as fh:
        fh.write(json.dumps(line) + "\n")


if __name__ == "__main__":
    main()
