"""A national-scale synthetic case for benchmarks, built on :func:`geocov.sample.make_region`.

At ``scale=1.0`` it has the size of pre-2025 Vietnam: ~63 provinces, ~700 districts,
~10,600 communes, ~80,000 villages, ~100,000 station rows, a fiber tree, and a
population raster at 3 arc-seconds (~100 m, like WorldPop) over ~330,000 km², written
as a tiled, deflate-compressed GeoTIFF in EPSG:4326.  ``scale`` multiplies every count
and the area.  Files are cached under ``bench/results/country_s<scale>_seed<seed>/``.

    python bench/synthetic.py --scale 0.1
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from geocov.sample import make_region

RESULTS = Path(__file__).resolve().parent / "results"
FILES = {
    "units": "units.gpkg", "villages": "villages.csv", "stations": "stations.csv",
    "fiber": "fiber.gpkg", "population": "population.tif",
}
# pre-2025 Vietnam: 63 provinces, ~700 districts, ~10,600 communes
N_PROVINCES, N_DISTRICTS, N_COMMUNES = 63, 700, 10_600
N_VILLAGES, N_STATIONS, AREA_KM2 = 80_000, 100_000, 330_000.0


def make_country(scale: float = 1.0, seed: int = 1945, *, folder: Path | None = None,
                 refresh: bool = False) -> dict[str, Any]:
    """Generate (or reuse from the cache) the synthetic country and write its files.

    Returns ``{"paths": {key: Path}, "meta": {...}}`` where ``meta`` holds counts, file
    sizes (bytes) and generation times (s) of the run that made the files.
    """
    folder = folder or RESULTS / f"country_s{scale:g}_seed{seed}"
    meta_path = folder / "meta.json"
    paths = {k: folder / f for k, f in FILES.items()}
    if not refresh and meta_path.is_file() and all(p.is_file() for p in paths.values()):
        return {"paths": paths, "meta": json.loads(meta_path.read_text()), "cached": True}
    folder.mkdir(parents=True, exist_ok=True)
    n_p = max(1, round(N_PROVINCES * scale))
    n_d = max(n_p, round(N_DISTRICTS * scale))
    n_c = max(n_d, round(N_COMMUNES * scale))
    times: dict[str, float] = {}
    t0 = time.perf_counter()
    region = make_region(
        n_provinces=n_p, districts_per_province=n_d / n_p, communes_per_district=n_c / n_d,
        villages_per_commune=N_VILLAGES / N_COMMUNES, stations=max(10, round(N_STATIONS * scale)),
        centre_lonlat=(106.0, 16.0), area_km2=AREA_KM2 * scale, seed=seed,
        raster_res_deg=1 / 1200, terrain_res_deg=1 / 120,
    )
    times["make_region"] = time.perf_counter() - t0
    t = time.perf_counter()
    for p in (paths["units"], paths["fiber"]):
        p.unlink(missing_ok=True)
    region["communes"].to_file(paths["units"], layer="communes", driver="GPKG")
    region["fiber_nodes"].to_file(paths["fiber"], layer="nodes", driver="GPKG")
    region["fiber_routes"].to_file(paths["fiber"], layer="routes", driver="GPKG")
    region["villages"].to_csv(paths["villages"], index=False)
    region["stations"].to_csv(paths["stations"], index=False)
    times["write_vectors"] = time.perf_counter() - t
    t = time.perf_counter()
    pop = region["population"]
    pop.write(paths["population"], zlevel=1)
    times["write_population_raster"] = time.perf_counter() - t
    times["total"] = time.perf_counter() - t0
    stats = {k: v for k, v in region["stats"].items() if k not in ("laea", "dark_communes")}
    meta = {
        "scale": scale, "seed": seed,
        "counts": {
            "provinces": int(region["provinces"].shape[0]),
            "districts": int(region["districts"].shape[0]),
            "communes": int(region["communes"].shape[0]),
            "villages": int(region["villages"].shape[0]),
            "stations": int(region["stations"].shape[0]),
            "fiber_routes": int(region["fiber_routes"].shape[0]),
            "raster_cells": int(pop.width * pop.height), "raster_shape": [pop.height, pop.width],
        },
        "sizes_bytes": {k: p.stat().st_size for k, p in paths.items()},
        "generation_s": times,
        "stats": stats,
    }
    meta_path.write_text(json.dumps(meta, indent=1))
    return {"paths": paths, "meta": meta, "cached": False}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=1945)
    ap.add_argument("--refresh", action="store_true", help="regenerate even if cached")
    args = ap.parse_args()
    out = make_country(args.scale, args.seed, refresh=args.refresh)
    print(json.dumps(out["meta"], indent=1))


if __name__ == "__main__":
    main()
