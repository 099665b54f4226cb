"""Benchmark: a national-scale coverage map (build time, HTML size, browser draw time).

Units: the real GADM 4.1 communes of Vietnam (11,163, from ../shared/data) when present,
else a synthetic Voronoi tiling of 10,600 communes in 700 districts and 63 provinces over
Vietnam's extent. Villages (one per commune), 20,000 stations and 2,000 fiber nodes are
drawn at random (seeded) and go through the real readers and ``geocov.coverage`` on a
coarse grid (``tests/result_fixtures.result_from_frames``, the helper the map tests use),
so the map is drawn from a real result; the point of the benchmark is the map, not the
coverage engine.

    python bench/bench_map.py [--synthetic] [--no-browser] [--out bench/results]

Prints one JSON line: units, build_s, save_s, html_mb, browser_draw_s (time from navigation
start until the first frame with all unit shapes drawn, headless Chromium, no network).
Targets (issue 3): html_mb < 15, browser_draw_s < 5.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
from result_fixtures import result_from_frames  # noqa: E402 - the shared test/bench helper

#: grid cell (m) of the benchmark's coverage: coarse, the map is what is measured
RESOLUTION_M = 2000.0


def _units_real() -> gpd.GeoDataFrame | None:
    env = os.environ.get("GEOCOV_SHARED_DATA")
    base = Path(env) if env else REPO.parent / "shared" / "data"
    path = base / "boundaries" / "vn_communes_gadm41_L3_simplified.gpkg"
    if not path.exists():
        return None
    g = gpd.read_file(path)
    return gpd.GeoDataFrame(
        {
            "province_code": g["GID_1"],
            "province_name": g["NAME_1"],
            "district_code": g["GID_2"],
            "district_name": g["NAME_2"],
            "commune_code": g["GID_3"],
            "commune_name": g["TYPE_3"] + " " + g["NAME_3"],
        },
        geometry=g.geometry,
        crs=g.crs,
    )


def _units_synthetic(n: int = 10_600, seed: int = 1) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    outline = shapely.box(102.2, 8.6, 109.4, 23.3)
    xy = np.column_stack([rng.uniform(102.2, 109.4, n), rng.uniform(8.6, 23.3, n)])
    cells = shapely.voronoi_polygons(shapely.multipoints(xy), extend_to=outline)
    cells = shapely.intersection(np.asarray(shapely.get_parts(cells)), outline)
    # order cells like the seeds, then group into districts/provinces by nearest centres
    tree = shapely.STRtree(cells)
    idx = tree.query(shapely.points(xy), predicate="intersects")
    order = np.full(n, -1)
    order[idx[0]] = idx[1]
    cells = cells[order]
    cells = shapely.segmentize(cells, 0.01)  # ~35 vertices/cell, like real communes
    d_cent = xy[rng.choice(n, 700, replace=False)]
    district = np.argmin(((xy[:, None, :] - d_cent[None]) ** 2).sum(-1), axis=1)
    p_cent = d_cent[rng.choice(700, 63, replace=False)]
    province = np.argmin(((d_cent[:, None, :] - p_cent[None]) ** 2).sum(-1), axis=1)[district]
    return gpd.GeoDataFrame(
        {
            "province_code": [f"P{p:02d}" for p in province],
            "province_name": [f"Tỉnh Số {p}" for p in province],
            "district_code": [f"D{d:03d}" for d in district],
            "district_name": [f"Huyện Số {d}" for d in district],
            "commune_code": [f"C{k:05d}" for k in range(n)],
            "commune_name": [f"Xã Bản Số {k}" for k in range(n)],
        },
        geometry=cells,
        crs=4326,
    )


def national_result(*, synthetic: bool = False, seed: int = 7) -> Any:
    """A real coverage result for every commune of Vietnam (GADM, or synthetic)."""
    rng = np.random.default_rng(seed)
    units = None if synthetic else _units_real()
    source = "GADM 4.1 communes (shared data)"
    if units is None:
        units, source = _units_synthetic(), "synthetic Voronoi communes"
    n = len(units)
    pts = shapely.point_on_surface(np.asarray(units.to_crs(4326).geometry.values))
    xy = np.asarray(shapely.get_coordinates(pts))
    villages = pd.DataFrame(
        {
            "village_code": units["commune_code"] + "-1",
            "village_name": "Thôn " + units["commune_name"],
            "unit_code": units["commune_code"],
            "population": rng.integers(300, 3000, n).astype(float),
            "lon": xy[:, 0],
            "lat": xy[:, 1],
        }
    )
    st_xy = xy[rng.choice(n, 20_000)] + rng.normal(0, 0.02, (20_000, 2))
    stations = pd.DataFrame(
        {
            "id": [f"S{k}" for k in range(20_000)],
            "technology": rng.choice(["2G", "3G", "4G", "5G"], 20_000, p=[0.2, 0.3, 0.45, 0.05]),
            "operator": rng.choice(["Viettel", "VNPT", "MobiFone"], 20_000),
            "lon": st_xy[:, 0],
            "lat": st_xy[:, 1],
        }
    )
    fiber = gpd.GeoDataFrame(
        {"kind": ["node"] * 2000}, geometry=shapely.points(st_xy[:2000]), crs=4326
    )
    result = result_from_frames(
        units,
        levels=["province", "district", "commune"],
        villages=villages,
        stations=stations,
        fiber=fiber,
        resolution_m=RESOLUTION_M,
        title=f"National benchmark ({source})",
        data_date="2025-03-01",
    )
    result.metadata["sources"] = [source]
    return result


def browser_draw_seconds(html: Path) -> float:
    """Seconds from navigation start to the first frame with the units drawn (headless Chromium)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    from geocov.maps import CHROMIUM_OFFLINE_FLAGS

    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    with tempfile.TemporaryDirectory() as profile:
        for flag in [
            *CHROMIUM_OFFLINE_FLAGS,
            f"--user-data-dir={profile}",
            "--window-size=1400,900",
        ]:
            opts.add_argument(flag)
        driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
        try:
            driver.set_page_load_timeout(120)
            driver.get(html.as_uri())
            deadline = time.time() + 60
            drawn = None
            while time.time() < deadline and drawn is None:
                drawn = driver.execute_script("return window.geocov && window.geocov.drawnAt")
                time.sleep(0.05)
            return float("nan") if drawn is None else drawn / 1000.0
        finally:
            driver.quit()


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--synthetic", action="store_true", help="use the synthetic Voronoi communes")
    ap.add_argument("--pipeline", type=float, metavar="SCALE",
                    help="map the real geocov.coverage result of the national synthetic case "
                         "(bench/synthetic.py at this scale) instead of made-up metrics")
    ap.add_argument("--no-browser", action="store_true")
    ap.add_argument("--out", default=str(REPO / "bench" / "results"))
    args = ap.parse_args(argv)
    from geocov.maps import coverage_map, save_map

    if args.pipeline:
        import warnings

        import geocov

        sys.path.insert(0, str(REPO / "bench"))
        import run_bench
        import synthetic as synth

        synth.make_country(scale=args.pipeline)
        folder = REPO / "bench" / "results" / f"country_s{args.pipeline:g}_seed1945"
        paths = {k: folder / f for k, f in [
            ("units", "units.gpkg"), ("villages", "villages.csv"), ("stations", "stations.csv"),
            ("fiber", "fiber.gpkg"), ("population", "population.tif")]}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            units, villages, stations, fiber = run_bench.read_inputs(paths)[:4]
            result = geocov.coverage(units, villages=villages, stations=stations, fiber=fiber,
                                     population=str(paths["population"]))
        result.metadata["sources"] = [f"geocov pipeline, synthetic country scale {args.pipeline:g}"]
    else:
        result = national_result(synthetic=args.synthetic)
    t0 = time.perf_counter()
    m = coverage_map(result, level="commune")
    t1 = time.perf_counter()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    html = save_map(m, out / "national_map.html")
    t2 = time.perf_counter()
    figures = {
        "bench": "map",
        "units": len(result.table("commune")),
        "source": result.metadata["sources"][0],
        "build_s": round(t1 - t0, 2),
        "save_s": round(t2 - t1, 2),
        "html_mb": round(html.stat().st_size / 1e6, 2),
    }
    if not args.no_browser and Path("/usr/bin/chromium").exists():
        figures["browser_draw_s"] = round(browser_draw_seconds(html), 2)
    print(json.dumps(figures))
    return figures


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
