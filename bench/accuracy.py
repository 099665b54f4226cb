"""How far geocov's grid figures depart from an exact vector computation.

For each technology layer, the exact reference is the union of near-exact footprint
polygons (256-gon discs) intersected with every unit, with areas in the same equal-area
CRS; exact population is exactextract's sum with fractional pixel coverage over the unit
and over its covered part. Reported per unit: the absolute difference of ``area_pct_<T>``
and ``population_pct_<T>`` in percentage points (mean, 99th percentile, max).

    python bench/accuracy.py                   # the built-in sample province
    python bench/accuracy.py --scale 0.1       # the synthetic country at scale 0.1
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

import geocov
from geocov.crs import equal_area_crs

HERE = Path(__file__).resolve().parent
LAYERS = {"2g": ("2G",), "3g": ("3G",), "4g": ("4G",), "any": ("2G", "3G", "4G", "5G")}


def inputs(scale: float | None):
    if scale is None:
        from geocov.analysis import load_inputs, read_analysis

        a = read_analysis(geocov.sample_paths()["analysis"])
        frames = load_inputs(a)
        return frames, a.population, "sample province"
    sys.path.insert(0, str(HERE))
    import run_bench
    import synthetic

    synthetic.make_country(scale=scale)  # cached after the first call
    folder = HERE / "results" / f"country_s{scale:g}_seed1945"
    paths = {
        k: folder / f
        for k, f in [
            ("units", "units.gpkg"),
            ("villages", "villages.csv"),
            ("stations", "stations.csv"),
            ("fiber", "fiber.gpkg"),
            ("population", "population.tif"),
        ]
    }
    units, villages, stations, fiber = run_bench.read_inputs(paths)[:4]
    return (
        {"units": units, "villages": villages, "stations": stations, "fiber": fiber},
        str(paths["population"]),
        f"synthetic country, scale {scale:g}",
    )


def exact(frames, population, result):
    from exactextract import exact_extract

    units = frames["units"].reset_index(drop=True)
    st = frames["stations"]
    wcrs = geocov.crs.working_crs(units)
    ea = equal_area_crs(units)
    radius = geocov.station_radius_m(st)
    fp = geocov.station_footprints(st.assign(range_m=radius), crs=wcrs, quad_segs=64)
    units_w = units.geometry.to_crs(wcrs).values
    area = units.geometry.to_crs(ea).area.to_numpy() / 1e6
    out = {}
    pop_units = exact_extract(population, units.to_crs(4326), "sum", output="pandas")[
        "sum"
    ].to_numpy()
    for name, techs in LAYERS.items():
        union = shapely.union_all(fp.geometry.values[st["technology"].isin(techs).to_numpy()])
        inter = shapely.intersection(units_w, union)
        covered = gpd.GeoSeries(inter, crs=wcrs).to_crs(ea).area.to_numpy() / 1e6
        out[f"area_pct_{name}"] = 100 * covered / area
        nonempty = ~shapely.is_empty(inter)
        pop_cov = np.zeros(len(units))
        if nonempty.any():
            g = gpd.GeoDataFrame(geometry=inter[nonempty], crs=wcrs).to_crs(4326)
            pop_cov[nonempty] = exact_extract(population, g, "sum", output="pandas")[
                "sum"
            ].to_numpy()
        out[f"population_pct_{name}"] = 100 * pop_cov / np.where(pop_units > 0, pop_units, np.nan)
    out["population"] = pop_units
    return pd.DataFrame(out, index=units[f"{result.finest}_code"].values)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--scale", type=float, default=None, help="synthetic country scale (default: sample)"
    )
    ap.add_argument("--resolution-m", type=float, default=100.0)
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    frames, population, label = inputs(args.scale)
    t0 = time.perf_counter()
    result = geocov.coverage(
        frames["units"],
        villages=frames["villages"],
        stations=frames["stations"],
        population=population,
        resolution_m=args.resolution_m,
    )
    t_grid = time.perf_counter() - t0
    t0 = time.perf_counter()
    ref = exact(frames, population, result)
    t_exact = time.perf_counter() - t0
    got = result.table(result.finest).set_index(f"{result.finest}_code").loc[ref.index]
    rows = []
    for col in [c for c in ref.columns if "_pct_" in c]:
        d = got[col].to_numpy(float) - ref[col].to_numpy(float)
        d = np.abs(d[~np.isnan(d)])
        rows.append(
            {"metric": col, "mean_pp": d.mean(), "p99_pp": np.percentile(d, 99), "max_pp": d.max()}
        )
    # whole study area: ratio of sums on both sides
    tot = result.table("total").iloc[0]
    area = got["area_km2"].to_numpy(float)
    for name in LAYERS:
        exact_total = (ref[f"area_pct_{name}"] * area).sum() / area.sum()
        rows.append(
            {
                "metric": f"total area_pct_{name}",
                "mean_pp": abs(tot[f"area_pct_{name}"] - exact_total),
                "p99_pp": np.nan,
                "max_pp": np.nan,
            }
        )
        pop = ref["population"].to_numpy(float)
        exact_pop = np.nansum(ref[f"population_pct_{name}"] * pop) / pop.sum()
        rows.append(
            {
                "metric": f"total population_pct_{name}",
                "mean_pp": abs(tot[f"population_pct_{name}"] - exact_pop),
                "p99_pp": np.nan,
                "max_pp": np.nan,
            }
        )
    report = pd.DataFrame(rows)
    print(f"{label}: {len(ref)} units, grid {result.metadata['grid']}")
    print(f"geocov.coverage {t_grid:.2f} s; exact vector reference {t_exact:.2f} s")
    print("absolute difference from exact, percentage points per unit:")
    print(report.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    pop_diff = np.abs(got["population"].to_numpy(float) / ref["population"].to_numpy(float) - 1)
    within = float(np.mean(pop_diff[~np.isnan(pop_diff)] <= 0.001))
    print(
        f"unit population vs exactextract: mean {100 * np.nanmean(pop_diff):.2f} %, "
        f"p99 {100 * np.nanpercentile(pop_diff, 99):.2f} %, max {100 * np.nanmax(pop_diff):.2f} %; "
        f"{100 * within:.1f} % of units within 0.1 %"
    )
    (HERE / "results").mkdir(exist_ok=True)
    with open(HERE / "results" / "accuracy.jsonl", "a") as fh:
        fh.write(
            json.dumps(
                {
                    "case": label,
                    "resolution_m": args.resolution_m,
                    "coverage_s": t_grid,
                    "exact_s": t_exact,
                    "rows": report.to_dict(orient="records"),
                    "population_within_0.1pct_share": within,
                    "population_max_pct": float(100 * np.nanmax(pop_diff)),
                }
            )
            + "\n"
        )


if __name__ == "__main__":
    main()
