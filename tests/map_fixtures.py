"""A small hand-checkable coverage result for the map tests (shared by test_maps*.py).

Province "Tỉnh Lào Cai" (P1) has two districts: "Huyện Sa Pa" (D1, x 0-2) and "Huyện Bát
Xát" (D2, x 2-6); communes are 0.1° squares in a 6 × 2 grid west → east, south → north,
starting at (103.5, 22.2). Commune C05 (x=5, y=0) is "Xã Bản Khoang": no 4G, no fiber, far
from its district's centre and from the fiber node → the one unconnected remote commune.
Commune C11 carries a hostile name. Every number below can be checked by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely import LineString, Point, box

HOSTILE = "<img src=x onerror=alert(1)>"
TECHS = ["2g", "3g", "4g", "5g", "3g_plus", "4g_plus", "any"]
X0, Y0, STEP = 103.5, 22.2, 0.1


def commune_table(hostile: bool = True) -> gpd.GeoDataFrame:
    rows = []
    names = {5: "Xã Bản Khoang", 0: "Xã Tả Phìn", 1: "Xã Tả Van"}
    for k in range(12):
        x, y = k % 6, k // 6
        district = "D1" if x < 2 else "D2"
        name = names.get(k, f"Xã Số {k}")
        if k == 11 and hostile:
            name = HOSTILE
        villages = 41 if k != 5 else 8
        covered_4g = 37 if k != 5 else 0
        rows.append(
            {
                "province_code": "P1",
                "province_name": "Tỉnh Lào Cai",
                "district_code": district,
                "district_name": "Huyện Sa Pa" if district == "D1" else "Huyện Bát Xát",
                "commune_code": f"C{k:02d}",
                "commune_name": name,
                "villages": villages,
                "vc4": covered_4g,
                "fiber": 0 if k == 5 else (2 if k < 6 else 0),
                "population": 3400.0 if k == 5 else 5000.0,
                "pop4": 0.0 if k == 5 else 4500.0,
                "geometry": box(
                    X0 + x * STEP, Y0 + y * STEP, X0 + (x + 1) * STEP, Y0 + (y + 1) * STEP
                ),
            }
        )
    raw = gpd.GeoDataFrame(rows, crs="EPSG:4326")
    return _metrics(raw)


def _metrics(raw: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    out = raw.drop(columns=["vc4", "fiber", "pop4"]).copy()
    area = raw.to_crs(raw.estimate_utm_crs()).area.to_numpy() / 1e6
    out["area_km2"] = area
    for t in TECHS:
        share = {"2g": 1.0, "3g": 1.0, "any": 1.0, "3g_plus": 1.0}.get(t)
        if t in ("4g", "4g_plus"):
            vc = raw["vc4"].to_numpy()
            pc = raw["pop4"].to_numpy()
        elif t == "5g":
            vc = np.zeros(len(raw), int)
            pc = np.zeros(len(raw))
        else:
            vc = np.round(raw["villages"].to_numpy() * share).astype(int)
            pc = raw["population"].to_numpy() * share
        out[f"villages_covered_{t}"] = vc
        out[f"population_covered_{t}"] = pc
        out[f"covered_area_km2_{t}"] = area * vc / raw["villages"].to_numpy()
    out["villages_fiber"] = raw["fiber"].to_numpy()
    out["population_source"] = "units"
    out = _pcts(out)
    out["communes"] = 1
    return out


def _pcts(out: pd.DataFrame) -> pd.DataFrame:
    with np.errstate(invalid="ignore", divide="ignore"):
        for t in TECHS:
            out[f"villages_pct_{t}"] = 100 * out[f"villages_covered_{t}"] / out["villages"]
            out[f"population_pct_{t}"] = 100 * out[f"population_covered_{t}"] / out["population"]
            out[f"area_pct_{t}"] = 100 * out[f"covered_area_km2_{t}"] / out["area_km2"]
        out["villages_fiber_pct"] = 100 * out["villages_fiber"] / out["villages"]
    return out


def rollup(communes: gpd.GeoDataFrame, level: str) -> gpd.GeoDataFrame:
    keys = {
        "district": ["province_code", "province_name", "district_code", "district_name"],
        "province": ["province_code", "province_name"],
    }[level]
    num = [
        c
        for c in communes.columns
        if c.startswith(("villages", "population_covered", "covered_area", "communes"))
        and "_pct" not in c
    ] + ["population", "area_km2"]
    g = communes.dissolve(by=keys, aggfunc={c: "sum" for c in num}).reset_index()
    return _pcts(g)


@dataclass
class FakeResult:
    """Duck-typed stand-in for geocov.CoverageResult."""

    tables: dict[str, gpd.GeoDataFrame]
    villages: gpd.GeoDataFrame | None = None
    stations: gpd.GeoDataFrame | None = None
    fiber: gpd.GeoDataFrame | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    levels: tuple[str, ...] = ("province", "district", "commune", "total")

    def table(self, level: str) -> gpd.GeoDataFrame:
        return self.tables[level]


def fake_result(hostile: bool = True) -> FakeResult:
    communes = commune_table(hostile)
    villages = gpd.GeoDataFrame(
        {
            "village_code": ["V1", "V2", "V3", "V4", "V5"],
            "village_name": ["Bản Khoang Thượng", "Bản Tả Van", "Bản Ba", "Bản Không", HOSTILE],
            "unit_code": ["C05", "C01", "C02", "C05", "C11"],
            "population": [300.0, 500.0, 120.0, 80.0, 10.0],
            "best_technology": ["none", "4G", "3G", "2G", "5G"],
            "fiber": [False, True, False, False, False],
        },
        geometry=[
            Point(103.0 + 0.55 + 5 * STEP - 0.05, 22.25),
            Point(103.65, 22.25),
            Point(103.75, 22.25),
            Point(104.06, 22.22),
            Point(104.05, 22.35),
        ],
        crs="EPSG:4326",
    )
    villages.loc[0, "geometry"] = Point(X0 + 5.5 * STEP, Y0 + 0.5 * STEP)
    stations = gpd.GeoDataFrame(
        {
            "station_id": ["S1", "S2", "S3", "S4"],
            "technology": ["4G", "4G", "3G", "2G"],
            "operator": ["Viettel", "VNPT", "Viettel", HOSTILE],
            "range_m": [5000.0, 5000.0, 8000.0, 15000.0],
            "inside": [True, True, True, True],
        },
        geometry=[
            Point(103.55, 22.25),
            Point(103.65, 22.35),
            Point(103.75, 22.25),
            Point(103.85, 22.35),
        ],
        crs="EPSG:4326",
    )
    fiber = gpd.GeoDataFrame(
        {"kind": ["node", "route", "village"]},
        geometry=[
            Point(103.52, 22.22),
            LineString([(103.52, 22.22), (103.6, 22.3), (103.65, 22.38)]),
            None,
        ],
        crs="EPSG:4326",
    )
    return FakeResult(
        tables={
            "commune": communes,
            "district": rollup(communes, "district"),
            "province": rollup(communes, "province"),
        },
        villages=villages,
        stations=stations,
        fiber=fiber,
        metadata={
            "title": "Coverage of Lào Cai (test)",
            "data_date": "2025-03-01",
            "sources": ["stations: test.csv", "boundaries: " + HOSTILE],
            "model": "Circular footprints: 2G 15 km, 3G 8 km, 4G 5 km (test model).",
        },
    )
