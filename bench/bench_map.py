"""Benchmark: a national-scale coverage map (build time, HTML size, browser draw time).

Units: the real GADM 4.1 communes of Vietnam (11,163, from ../shared/data) when present,
else a synthetic Voronoi tiling of 10,600 communes in 700 districts and 63 provinces over
Vietnam's extent. Metrics are made up (seeded), villages/stations as points; the point of
the benchmark is the map, not the coverage engine.

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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

REPO = Path(__file__).resolve().parents[1]
TECHS = ["2g", "3g", "4g", "5g", "3g_plus", "4g_plus", "any"]


@dataclass
class BenchResult:
    tables: dict[str, gpd.GeoDataFrame]
    villages: gpd.GeoDataFrame | None = None
    stations: gpd.GeoDataFrame | None = None
    fiber: gpd.GeoDataFrame | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    levels: tuple[str, ...] = ("province", "district", "commune", "total")

    def table(self, level: str) -> gpd.GeoDataFrame:
        return self.tables[level]


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


def _with_metrics(units: gpd.GeoDataFrame, rng: np.random.Generator) -> gpd.GeoDataFrame:
    n = len(units)
    out = units.copy()
    out["area_km2"] = units.to_crs(3405).area.to_numpy() / 1e6
    out["villages"] = rng.integers(3, 20, n)
    out["population"] = rng.integers(1000, 20_000, n).astype(float)
    base = rng.beta(2, 1, n)
    for k, t in enumerate(TECHS):
        share = np.clip(
            base - 0.1 * (t in ("4g", "4g_plus")) - 0.4 * (t == "5g") + 0.05 * k / 7, 0, 1
        )
        share[rng.random(n) < 0.03] = 0
        out[f"villages_covered_{t}"] = np.round(out["villages"] * share).astype(int)
        out[f"population_covered_{t}"] = np.round(out["population"] * share)
        out[f"covered_area_km2_{t}"] = out["area_km2"] * share
    out["villages_fiber"] = np.where(rng.random(n) < 0.6, rng.integers(0, 3, n), 0)
    return out


def _rollup(communes: gpd.GeoDataFrame, keys: list[str]) -> gpd.GeoDataFrame:
    num = [
        c
        for c in communes.columns
        if c.startswith(("villages", "population", "covered_area", "area_km2"))
    ]
    return communes.dissolve(by=keys, aggfunc={c: "sum" for c in num}).reset_index()


def national_result(*, synthetic: bool = False, seed: int = 7) -> BenchResult:
    rng = np.random.default_rng(seed)
    units = None if synthetic else _units_real()
    source = "GADM 4.1 communes (shared data)"
    if units is None:
        units, source = _units_synthetic(), "synthetic Voronoi communes"
    communes = _with_metrics(units, rng)
    pts = shapely.point_on_surface(np.asarray(communes.geometry.values))
    villages = gpd.GeoDataFrame(
        {
            "village_code": communes["commune_code"] + "-1",
            "village_name": "Thôn " + communes["commune_name"],
            "unit_code": communes["commune_code"],
            "population": 500.0,
            "best_technology": rng.choice(
                ["5G", "4G", "3G", "2G", "none"], len(communes), p=[0.05, 0.6, 0.2, 0.1, 0.05]
            ),
            "fiber": rng.random(len(communes)) < 0.5,
        },
        geometry=pts,
        crs=4326,
    )
    st_xy = np.asarray(shapely.get_coordinates(pts))[rng.choice(len(pts), 20_000)] + rng.normal(
        0, 0.01, (20_000, 2)
    )
    stations = gpd.GeoDataFrame(
        {
            "station_id": [f"S{k}" for k in range(20_000)],
            "technology": rng.choice(["2G", "3G", "4G", "5G"], 20_000),
            "operator": "op",
            "range_m": 5000.0,
            "inside": True,
        },
        geometry=shapely.points(st_xy),
        crs=4326,
    )
    fiber = gpd.GeoDataFrame(
        {"kind": ["node"] * 2000}, geometry=shapely.points(st_xy[:2000]), crs=4326
    )
    return BenchResult(
        tables={
            "commune": communes,
            "district": _rollup(
                communes, ["province_code", "province_name", "district_code", "district_name"]
            ),
            "province": _rollup(communes, ["province_code", "province_name"]),
        },
        villages=villages,
        stations=stations,
        fiber=fiber,
        metadata={
            "title": f"National benchmark ({source})",
            "data_date": "2025-03-01",
            "sources": [source],
            "model": "made-up metrics (benchmark)",
        },
    )


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
