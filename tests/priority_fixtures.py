"""A hand-checkable strip of communes for the priority-list tests (metric CRS, km grid).

Province P "Tỉnh Thử" holds four 10 km x 10 km communes in a row (UTM 48N, x from 400 km):
c1 "Xã Một" [0, 10] km and c2 "Xã Hai" [10, 20] in district D1 "Huyện Đầu", c3 "Xã Ba"
[20, 30] and c4 "Xã Bốn" [30, 40] in D2 "Huyện Cuối"; y from 2,400 to 2,410 km.

:func:`strip_result` builds a real :class:`geocov.CoverageResult` from villages, stations
and fiber given in km, through the public readers and :func:`geocov.coverage`.
:data:`TWO_VILLAGES` (with :data:`TWO_STATIONS` and :data:`NODE`) is the two-village case
whose costs the tests recompute by hand:

* ``A`` "Bản Ả" (c1, at 5, 5 km, 600 people): no station reaches it; the fiber node lies
  10 km east (15, 5).
* ``B`` "Thôn Bê" (c3, at 25, 5 km, 400 people): a 2G station ``S2`` 1 km east (26, 5 km,
  range 3 km) gives it 2G only; the fiber node is 10 km west.
* ``C`` "Bản Xê" (c4, at 35, 5 km, 300 people): a 4G station ``S4`` 1 km north (35, 6 km,
  range 2.5 km) gives it 4G; the fiber node is 20 km west.
"""

from __future__ import annotations

import warnings
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely import Point, box

import geocov

CRS = "EPSG:32648"
X0, Y0 = 400_000.0, 2_400_000.0
COMMUNES = [("c1", "Xã Một", "D1", "Huyện Đầu"), ("c2", "Xã Hai", "D1", "Huyện Đầu"),
            ("c3", "Xã Ba", "D2", "Huyện Cuối"), ("c4", "Xã Bốn", "D2", "Huyện Cuối")]

#: (code, name, commune, x km, y km, people)
TWO_VILLAGES = [("A", "Bản Ả", "c1", 5.0, 5.0, 600.0), ("B", "Thôn Bê", "c3", 25.0, 5.0, 400.0),
                ("C", "Bản Xê", "c4", 35.0, 5.0, 300.0)]
#: (id, technology, operator, x km, y km, range m)
TWO_STATIONS = [("S2", "2G", "Viettel", 26.0, 5.0, 3000.0),
                ("S4", "4G", "VNPT", 35.0, 6.0, 2500.0)]
NODE = (15.0, 5.0)


def xy(x_km: float, y_km: float) -> Point:
    return Point(X0 + 1000.0 * x_km, Y0 + 1000.0 * y_km)


def units(levels: int = 3, n_provinces: int = 1) -> gpd.GeoDataFrame:
    rows = []
    for p in range(n_provinces):
        for k, (code, name, dcode, dname) in enumerate(COMMUNES):
            row = {"province_code": f"P{p}", "province_name": f"Tỉnh Thử {p}",
                   "commune_code": f"{code}" if p == 0 else f"{code}p{p}",
                   "commune_name": name if p == 0 else f"{name} {p}",
                   "geometry": box(X0 + 10_000 * k, Y0 + 20_000 * p, X0 + 10_000 * (k + 1),
                                   Y0 + 20_000 * p + 10_000)}
            if levels == 3:
                row["district_code"] = dcode if p == 0 else f"{dcode}p{p}"
                row["district_name"] = dname if p == 0 else f"{dname} {p}"
            rows.append(row)
    return gpd.GeoDataFrame(rows, crs=CRS)


def strip_result(
    villages: list[tuple] = TWO_VILLAGES,
    stations: list[tuple] | None = TWO_STATIONS,
    fiber: list[Any] | None = (NODE,),  # type: ignore[assignment]
    *,
    levels: int = 3,
    n_provinces: int = 1,
    reach_m: float = 2000.0,
) -> geocov.CoverageResult:
    """A coverage result of the strip (warnings silenced: the readers' notes are not tested
    here). ``fiber`` items are (x km, y km) nodes or shapely geometries in km offsets."""
    names = ["province", "district", "commune"] if levels == 3 else ["province", "commune"]
    u = geocov.read_units(units(levels, n_provinces), levels={lv: f"{lv}_name" for lv in names},
                          codes={lv: f"{lv}_code" for lv in names})
    v = gpd.GeoDataFrame(
        {"village_code": [r[0] for r in villages], "village_name": [r[1] for r in villages],
         "unit_code": [r[2] for r in villages], "population": [r[5] for r in villages]},
        geometry=[xy(r[3], r[4]) for r in villages], crs=CRS)
    kw: dict[str, Any] = {"villages": geocov.read_villages(v), "resolution_m": 500.0}
    if stations is not None:
        s = gpd.GeoDataFrame(
            {"station_id": [r[0] for r in stations], "technology": [r[1] for r in stations],
             "operator": [r[2] for r in stations], "range_m": [r[5] for r in stations]},
            geometry=[xy(r[3], r[4]) for r in stations], crs=CRS)
        kw["stations"] = geocov.read_stations(s)
    if fiber is not None:
        geoms = [xy(*f) if isinstance(f, tuple) else f for f in fiber]
        kinds = ["node" if g.geom_type == "Point" else "route" for g in geoms]
        f = gpd.GeoDataFrame({"kind": kinds}, geometry=geoms, crs=CRS)
        kw["fiber"] = geocov.read_fiber(f, reach_m=reach_m)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", geocov.GeocovWarning)
        return geocov.coverage(u, **kw)


def write_dem(path: Any, *, wall_x_km: float | None = None, wall_m: float = 400.0,
              ground_m: float = 100.0) -> Any:
    """A flat DEM over the strip (100 m cells, UTM 48N), with a north-south wall of
    ``wall_m`` above the ground at ``wall_x_km`` (one cell wide) when given."""
    import rasterio
    from rasterio.transform import from_origin

    cell = 100.0
    x0, y1 = X0 - 5_000.0, Y0 + 45_000.0
    width, height = 500, 550
    z = np.full((height, width), ground_m, dtype=np.float32)
    if wall_x_km is not None:
        col = int(round((X0 + 1000.0 * wall_x_km - x0) / cell))
        z[:, col] = ground_m + wall_m
    with rasterio.open(path, "w", driver="GTiff", width=width, height=height, count=1,
                       dtype="float32", crs=CRS, transform=from_origin(x0, y1, cell, cell)) as d:
        d.write(z[None])
    return path


def by_code(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.set_index("village_code")
