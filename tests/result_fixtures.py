"""Real coverage results built in code, for the tests of maps and priorities and the map bench.

:func:`result_from_frames` is the one way to make a result: raw frames go through the
geocov readers and :func:`geocov.coverage`, so a map or a priority test sees exactly what
a user's result holds (no stand-in class to keep in step with ``CoverageResult``).

:func:`small_result` is a province every number of which can be checked by hand:

* Province P1 "Tỉnh Lào Cai", districts D1 "Huyện Sa Pa" (communes at x = 0, 1) and D2
  "Huyện Bát Xát" (x = 2..5); communes C00..C11 are 0.1° squares in a 6 × 2 grid west →
  east, south → north, from (103.5°E, 22.2°N): C<k> at x = k % 6, y = k // 6. C00 is
  "Xã Tả Phìn", C01 "Xã Tả Van", C05 "Xã Bản Khoang", C11 carries :data:`HOSTILE` (or
  "Xã Số 11"), the others "Xã Số <k>".
* Villages: every commune but C05 has five: at its centre (``a``, 1,500 people), 0.03°
  east (``b``, 1,000; 3.09 km), 0.03° west (``c``, 1,000), 0.02° south (``e``, 500;
  2.2 km) and 0.03° north (``d``, 1,000; 3.32 km): 5,000 people. C05 has two: "Bản
  Khoang Thượng" at its centre (3,000 people) and "Bản Khoang Hạ" at its ``d`` (400):
  3,400 people.
* Stations: a 4G station of range 3,200 m at the centre of every commune but C05 covers
  ``a``, ``b``, ``c``, ``e`` and not ``d``: 4G in 4/5 villages (80 %, the "75 to 90%"
  class), 4,000/5,000 people. Besides: a 5G station (1,000 m) at C01's centre (its ``a``
  is 5G); a 3G one (500 m) at C02's ``d``; a 2G one (500 m) at C03's ``d`` and one at
  C05's ``d``. Operators alternate VNPT (even k) and Viettel; C05's 2G station's is
  :data:`HOSTILE`. Village status: 1 × 5G, 43 × 4G, 1 × 3G, 2 × 2G, 10 × none (57
  villages).
* Fiber: a node at C00's centre and a route along y = 22.25 from C00's centre to C01's
  (reach 500 m) reach C00 ``a``, ``b`` and C01 ``a``, ``c``; a code list connects C06
  ``a``: 5 villages with fiber; C00, C01 and C06 have fiber.
* So C05 "Xã Bản Khoang" is the one unconnected remote commune: no 4G in its 2 villages,
  no fiber, 36.1 km from the route (more than 10 km) and 16.4 km from its district's
  centre (more than 15 km); 3,400 people uncovered.
* C11's village ``d`` is named :data:`HOSTILE` too.
"""

from __future__ import annotations

import functools
import warnings
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely import LineString, Point, box

import geocov

HOSTILE = "<img src=x onerror=alert(1)>"
X0, Y0, STEP = 103.5, 22.2, 0.1
NAMES = {0: "Xã Tả Phìn", 1: "Xã Tả Van", 5: "Xã Bản Khoang"}
#: village suffix -> (offset east, offset north) in degrees, people
VILLAGES = {
    "a": ((0.0, 0.0), 1500.0),
    "b": ((0.03, 0.0), 1000.0),
    "c": ((-0.03, 0.0), 1000.0),
    "d": ((0.0, 0.03), 1000.0),
    "e": ((0.0, -0.02), 500.0),
}


def result_from_frames(
    units: gpd.GeoDataFrame,
    *,
    levels: Any,
    villages: pd.DataFrame | None = None,
    stations: pd.DataFrame | None = None,
    fiber: pd.DataFrame | list[pd.DataFrame] | None = None,
    reach_m: float = 2000.0,
    **coverage_kw: Any,
) -> geocov.CoverageResult:
    """Read raw frames with the geocov readers and compute coverage (warnings silenced).

    ``fiber`` may be several frames (e.g. a layer of nodes and routes and a list of
    connected codes), read one by one.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", geocov.GeocovWarning)
        fibers = [] if fiber is None else fiber if isinstance(fiber, list) else [fiber]
        parts = [geocov.read_fiber(f, reach_m=reach_m) for f in fibers]
        return geocov.coverage(
            geocov.read_units(units, levels=levels, codes={lv: f"{lv}_code" for lv in levels}),
            villages=None if villages is None else geocov.read_villages(villages),
            stations=None if stations is None else geocov.read_stations(stations),
            fiber=pd.concat(parts, ignore_index=True) if parts else None,
            **coverage_kw,
        )


def _centre(k: int) -> tuple[float, float]:
    return X0 + (k % 6 + 0.5) * STEP, Y0 + (k // 6 + 0.5) * STEP


def small_units(hostile: bool = True) -> gpd.GeoDataFrame:
    rows = []
    for k in range(12):
        x, y = k % 6, k // 6
        name = HOSTILE if (k == 11 and hostile) else NAMES.get(k, f"Xã Số {k}")
        rows.append(
            {
                "province_code": "P1",
                "province_name": "Tỉnh Lào Cai",
                "district_code": "D1" if x < 2 else "D2",
                "district_name": "Huyện Sa Pa" if x < 2 else "Huyện Bát Xát",
                "commune_code": f"C{k:02d}",
                "commune_name": name,
                "geometry": box(
                    X0 + x * STEP, Y0 + y * STEP, X0 + (x + 1) * STEP, Y0 + (y + 1) * STEP
                ),
            }
        )
    return gpd.GeoDataFrame(rows, crs="EPSG:4326")


def small_villages(hostile: bool = True) -> pd.DataFrame:
    rows = []
    for k in range(12):
        cx, cy = _centre(k)
        for s, ((dx, dy), people) in VILLAGES.items():
            if k == 5 and s in ("b", "c", "e"):
                continue
            name = f"Thôn Số {k}{s}"
            if k == 5:
                name, people = (
                    ("Bản Khoang Thượng", 3000.0) if s == "a" else ("Bản Khoang Hạ", 400.0)
                )
            if k == 11 and s == "d" and hostile:
                name = HOSTILE
            rows.append(
                {
                    "village_code": f"C{k:02d}{s}",
                    "village_name": name,
                    "unit_code": f"C{k:02d}",
                    "population": people,
                    "lon": round(cx + dx, 6),
                    "lat": round(cy + dy, 6),
                }
            )
    out = pd.DataFrame(rows)
    out["source_file"] = "villages.csv"
    return out


def small_stations(hostile: bool = True) -> pd.DataFrame:
    rows = []
    for k in range(12):
        if k != 5:
            cx, cy = _centre(k)
            rows.append(("4G", "Viettel" if k % 2 else "VNPT", cx, cy, 3200.0, f"S{k:02d}"))
    for k, tech, rng in ((1, "5G", 1000.0), (2, "3G", 500.0), (3, "2G", 500.0), (5, "2G", 500.0)):
        cx, cy = _centre(k)
        dy = 0.0 if tech == "5G" else 0.03
        op = HOSTILE if (tech == "2G" and k == 5 and hostile) else "Viettel"
        rows.append((tech, op, cx, cy + dy, rng, f"S{k:02d}{tech}"))
    out = pd.DataFrame(rows, columns=["technology", "operator", "lon", "lat", "range_m", "id"])
    out["source_file"] = "stations.csv"
    return out


def small_fiber() -> list[pd.DataFrame]:
    """A layer with a node and a route, and a list of connected village codes."""
    (x0, y0), (x1, _) = _centre(0), _centre(1)
    layer = gpd.GeoDataFrame(
        {"kind": ["node", "route"], "source_file": "fiber.gpkg"},
        geometry=[Point(x0, y0), LineString([(x0, y0), (x1, y0)])],
        crs="EPSG:4326",
    )
    codes = pd.DataFrame({"village_code": ["C06a"], "source_file": "fiber.csv"})
    return [layer, codes]


@functools.cache
def small_result(hostile: bool = True) -> geocov.CoverageResult:
    """The hand-checkable province of this module's docstring, through geocov.coverage.

    Computed once per test run and shared: do not modify it (in a test, change what a map
    reads with ``monkeypatch.setattr(result, ...)``, which is undone afterwards).
    """
    return result_from_frames(
        small_units(hostile),
        levels=["province", "district", "commune"],
        villages=small_villages(hostile),
        stations=small_stations(hostile),
        fiber=small_fiber(),
        reach_m=500.0,
        resolution_m=250.0,
        title="Coverage of Lào Cai (test)",
        data_date="2025-03-01",
    )


def village_statuses(result: geocov.CoverageResult) -> dict[str, int]:
    """Villages per best technology (the map's village layer draws these)."""
    counts = result.villages["best_technology"].value_counts()
    return {str(k): int(v) for k, v in counts.items()}


if __name__ == "__main__":  # print the tables, to check the numbers above by hand
    r = small_result()
    cols = [
        "commune_code",
        "villages",
        "villages_covered_4g",
        "villages_covered_5g",
        "population",
        "population_covered_4g_plus",
        "villages_fiber",
        "communes_with_fiber",
    ]
    print(r.table("commune")[cols].to_string())
    print(village_statuses(r), np.sum(r.villages["fiber"]))
