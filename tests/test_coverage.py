"""Coverage metrics on a grid of square communes whose every figure can be worked out by hand.

Layout (km, offsets from (500 000, 2 400 000) in UTM 48N, on the central meridian, where
projected lengths are 0.9996 of true lengths)::

    y 20 +---------+---------+
         |  c3     |   c4    |     district D2 = c3 + c4
         |      C(3G, r=1) on the border at (10, 15)
    y 10 +---------+---------+
         |  c1     |   c2    |     district D1 = c1 + c2
         | A(4G,2) |  B(2G,3)|     A at (5, 5), B at (15, 5)
     D(4G, r=2) at (-1, 5): outside the study area, reaches into c1
    y  0 +---------+---------+
         x 0      10        20
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from shapely import box

import geocov
from geocov.coverage import TECH_LAYERS
from geocov.vocabulary import units_with_column

X0, Y0 = 500_000.0, 2_400_000.0
CRS = "EPSG:32648"
SEG = 4 * math.acos(0.5) - math.sqrt(3)  # area of D's disc segment inside c1, km2


def km(x, y):
    return X0 + x * 1000, Y0 + y * 1000


def make_units() -> gpd.GeoDataFrame:
    cells = {"c1": (0, 0), "c2": (10, 0), "c3": (0, 10), "c4": (10, 10)}
    rows = []
    for code, (x, y) in cells.items():
        rows.append(
            {
                "province_code": "P",
                "province_name": "Tỉnh Mẫu",
                "district_code": "D1" if y == 0 else "D2",
                "district_name": "Huyện Một" if y == 0 else "Huyện Hai",
                "commune_code": code,
                "commune_name": f"Xã {code.upper()}",
                "geometry": box(*km(x, y), *km(x + 10, y + 10)),
            }
        )
    units = gpd.GeoDataFrame(rows, crs=CRS)
    units.attrs["geocov_levels"] = ("province", "district", "commune")
    return units


def make_stations(rows=None) -> gpd.GeoDataFrame:
    rows = rows or [
        ("A", "4G", "Viettel", 5, 5, 2000.0),
        ("B", "2G", "MobiFone", 15, 5, 3000.0),
        ("C", "3G", "Viettel", 10, 15, 1000.0),
        ("D", "4G", "Viettel", -1, 5, 2000.0),
    ]
    frame = pd.DataFrame(
        rows, columns=["station_id", "technology", "operator", "x", "y", "range_m"]
    )
    xy = [km(x, y) for x, y in zip(frame.x, frame.y, strict=True)]
    return gpd.GeoDataFrame(
        frame.drop(columns=["x", "y"]).assign(
            azimuth_deg=np.nan,
            beamwidth_deg=np.nan,
            source_file="bts.csv",
            source_row=np.arange(len(frame)) + 2,
        ),
        geometry=gpd.points_from_xy([p[0] for p in xy], [p[1] for p in xy]),
        crs=CRS,
    )


VILLAGES = [  # code, x, y, population, commune
    ("v1", 5, 5, 100, "c1"),  # under A (4G)
    ("v2", 9, 9, 200, "c1"),  # 5.66 km from A: no signal; next to the fiber node
    ("v3", 15, 5.5, 300, "c2"),  # under B (2G)
    ("v4", 10.5, 15, 400, "c4"),  # under C (3G)
    ("v5", 18, 18, 500, "c4"),  # nothing
    ("v6", 2, 18, 600, "c3"),  # nothing
    ("v7", 3, 12, 700, "c3"),  # nothing
]


def make_villages() -> gpd.GeoDataFrame:
    frame = pd.DataFrame(VILLAGES, columns=["village_code", "x", "y", "population", "unit_code"])
    xy = [km(x, y) for x, y in zip(frame.x, frame.y, strict=True)]
    return gpd.GeoDataFrame(
        frame.drop(columns=["x", "y"]).assign(
            village_name=frame.village_code.str.upper(),
            source_file="villages.csv",
            source_row=np.arange(len(frame)) + 2,
        ),
        geometry=gpd.points_from_xy([p[0] for p in xy], [p[1] for p in xy]),
        crs=CRS,
    )


def make_fiber() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "kind": ["node"],
            "code": [pd.NA],
            "reach_m": [1000.0],
            "source_file": ["fiber.gpkg"],
            "source_row": [1],
        },
        geometry=gpd.points_from_xy(*map(list, zip(km(9.2, 9.2), strict=True))),
        crs=CRS,
    )


@pytest.fixture(scope="module")
def result():
    return geocov.coverage(
        make_units(),
        villages=make_villages(),
        stations=make_stations(),
        fiber=make_fiber(),
        resolution_m=50,
    )


def row(table, code_col, code):
    return table.set_index(code_col).loc[code]


def test_commune_areas_by_hand(result):
    t = result.table("commune")
    c1 = row(t, "commune_code", "c1")
    # UTM's scale factor on the central meridian is 0.9996: a 10 km projected square is
    # 10 / 0.9996 km on the ground; area_km2 is the true (equal-area) area
    assert c1["area_km2"] == pytest.approx(100.0 / 0.9996**2, rel=1e-5)
    # disc A (pi * 2^2) plus the segment of D's disc across x = 0
    assert c1["covered_area_km2_4g"] == pytest.approx(4 * math.pi + SEG, rel=5e-3)
    assert c1["area_pct_4g"] == pytest.approx(4 * math.pi + SEG, rel=5e-3)
    assert c1["covered_area_km2_2g"] == 0
    c2 = row(t, "commune_code", "c2")
    assert c2["covered_area_km2_2g"] == pytest.approx(9 * math.pi, rel=5e-3)
    assert c2["covered_area_km2_3g_plus"] == 0
    assert c2["covered_area_km2_any"] == pytest.approx(9 * math.pi, rel=5e-3)
    # C sits on the c3/c4 border: half of its disc on each side
    for code in ("c3", "c4"):
        assert row(t, "commune_code", code)["covered_area_km2_3g"] == pytest.approx(
            math.pi / 2, rel=2e-2
        )


def test_villages_by_hand(result):
    t = result.table("commune")
    c1 = row(t, "commune_code", "c1")
    assert (c1["villages"], c1["villages_covered_4g"], c1["villages_covered_any"]) == (2, 1, 1)
    assert c1["villages_pct_4g"] == pytest.approx(50.0)
    assert c1["villages_covered_3g_plus"] == 1  # 4G counts as "3G or better"
    assert c1["villages_covered_3g"] == 0  # ... but not as exactly 3G
    c2 = row(t, "commune_code", "c2")
    assert (c2["villages_covered_2g"], c2["villages_covered_3g_plus"]) == (1, 0)
    c4 = row(t, "commune_code", "c4")
    assert (c4["villages"], c4["villages_covered_3g"], c4["villages_covered_4g_plus"]) == (2, 1, 0)


def test_population_from_villages(result):
    t = result.table("commune")
    c1 = row(t, "commune_code", "c1")
    assert c1["population"] == 300
    assert c1["population_covered_4g"] == 100
    assert c1["population_pct_4g"] == pytest.approx(100 / 3)
    assert set(t["population_source"]) == {"villages:population"}


def test_parents_are_ratios_of_sums(result):
    d = result.table("district")
    d1, d2 = row(d, "district_code", "D1"), row(d, "district_code", "D2")
    assert (d1["villages"], d1["villages_covered_any"]) == (3, 2)
    assert (d2["villages"], d2["villages_covered_any"]) == (4, 1)
    p = result.table("province").iloc[0]
    # 3 of 7 villages, not the mean of 66.7 % and 25 %
    assert p["villages_pct_any"] == pytest.approx(100 * 3 / 7)
    assert p["villages_pct_any"] != pytest.approx(
        (d1["villages_pct_any"] + d2["villages_pct_any"]) / 2
    )
    # population: D1 has v1-v3 (600 people), v1 and v3 covered; D2 v4-v7 (2,200), v4 covered
    assert (d1["population"], d1["population_covered_any"]) == (600, 400)
    assert d2["population_pct_any"] == pytest.approx(100 * 400 / 2200)
    assert p["population_pct_any"] == pytest.approx(100 * 800 / 2800)


def test_unit_counts_with_signal(result):
    p = result.table("province").iloc[0]
    assert p["communes"] == 4
    assert p["communes_with_signal"] == 4
    assert p["communes_with_4g"] == 1
    assert p["communes_with_3g"] == 2
    assert p["communes_with_3g_plus"] == 3
    assert p["communes_with_2g"] == 1


def test_stations_inside_and_outside(result):
    total = result.table("total").iloc[0]
    assert total["stations_4g"] == 1  # A; D stands outside the study area
    assert total["stations_outside_4g"] == 1  # ... and still covers part of c1
    assert total["stations_any"] == 3
    c = result.table("commune")
    assert c["stations_3g"].sum() == 1  # C on a border is counted once
    assert "stations_outside_4g" not in c.columns


def test_fiber(result):
    c = result.table("commune")
    assert row(c, "commune_code", "c1")["villages_fiber"] == 1  # v2 within 1 km of the node
    assert row(c, "commune_code", "c1")["communes_with_fiber"] == 1
    assert row(c, "commune_code", "c2")["communes_with_fiber"] == 0
    p = result.table("province").iloc[0]
    assert p["villages_fiber_pct"] == pytest.approx(100 / 7)


def test_summary_sentence(result):
    s = result.summary()
    assert s.startswith(
        "Signal in 4/4 communes; 4G in 1/7 villages (14.3%); fiber to 1/7 villages (14.3%)"
    )


def test_operator_table(result):
    o = result.operator_table("province").set_index("operator")
    assert o.loc["Viettel", "villages_covered_any"] == 2  # v1 (A) and v4 (C)
    assert o.loc["MobiFone", "villages_covered_any"] == 1  # v3 (B)
    assert o.loc["MobiFone", "villages"] == 7  # denominators are all villages
    assert o.loc["Viettel", "communes_with_4g"] == 1


def test_village_status_layer(result):
    v = result.villages.set_index("village_code")
    assert v.loc["v1", "best_technology"] == "4G"
    assert v.loc["v3", "best_technology"] == "2G"
    assert v.loc["v5", "best_technology"] == "none"
    assert bool(v.loc["v2", "fiber"]) and not bool(v.loc["v1", "fiber"])
    assert result.villages.crs.to_epsg() == 4326


def test_population_raster_in_another_crs(tmp_path):
    """10 people per km2 on a 1 km grid in EPSG:4326: the grid is split to <= 100 m cells."""
    import rasterio
    from rasterio.transform import from_origin

    units = make_units()
    lon0, lat0, lon1, lat1 = units.to_crs(4326).total_bounds
    res = 0.01  # ~1 km
    width, height = int((lon1 - lon0) / res) + 3, int((lat1 - lat0) / res) + 3
    transform = from_origin(lon0 - res, lat1 + res, res, res)
    lat = lat1 + res - (np.arange(height) + 0.5) * res
    px_km2 = (res * 111.320 * np.cos(np.radians(lat)) * res * 110.574)[:, None]
    data = np.broadcast_to(10.0 * px_km2, (height, width)).astype("float32")
    path = tmp_path / "pop.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=width,
        height=height,
        count=1,
        dtype="float32",
        crs="EPSG:4326",
        transform=transform,
        nodata=-99999,
    ) as dst:
        dst.write(data, 1)
    r = geocov.coverage(units, stations=make_stations(), population=str(path), resolution_m=100)
    c1 = row(r.table("commune"), "commune_code", "c1")
    assert c1["population_source"] == "raster:pop.tif"
    assert c1["population"] == pytest.approx(1000, rel=0.01)
    assert c1["population_covered_4g"] == pytest.approx(10 * (4 * math.pi + SEG), rel=0.02)
    assert r.table("total").iloc[0]["population"] == pytest.approx(4000, rel=0.01)


def test_rejects_unknown_level(result):
    with pytest.raises(geocov.SchemaError, match="unknown level 'ward'.*valid levels"):
        result.table("ward")


def test_missing_crs_raises():
    units = make_units().set_crs(None, allow_override=True)
    units.attrs["geocov_levels"] = ("province", "district", "commune")
    with pytest.raises(geocov.CRSError, match="units has no CRS"):
        geocov.coverage(units)


def test_bad_resolution_raises():
    with pytest.raises(geocov.SchemaError, match="resolution_m must be a positive"):
        geocov.coverage(make_units(), resolution_m=0)


def test_unnormalised_technology_raises():
    s = make_stations()
    s.loc[0, "technology"] = "LTE"
    with pytest.raises(geocov.SchemaError, match="technology must be one of.*LTE"):
        geocov.coverage(make_units(), stations=s)


def test_statuses_filter_and_counted():
    s = make_stations().assign(status=["active", "planned", "Active", "active"])
    r = geocov.coverage(make_units(), stations=s, statuses=["active"], resolution_m=200)
    assert r.metadata["stations_excluded"] == 1
    assert r.table("total").iloc[0]["stations_2g"] == 0  # B was only planned
    assert r.summary().endswith("; 1 left out by status.")


def test_write_all_formats(result, tmp_path):
    paths = result.write(tmp_path, formats=["csv", "gpkg", "xlsx"])
    names = {p.name for p in paths}
    assert {"coverage_commune.csv", "coverage_total.csv", "coverage.gpkg", "coverage.xlsx"} <= names
    back = pd.read_excel(tmp_path / "coverage.xlsx", sheet_name="Districts")
    assert list(back["District"]) == ["Huyện Một", "Huyện Hai"]  # headers for readers
    with pd.ExcelFile(tmp_path / "coverage.xlsx") as xl:
        assert "Summary" in xl.sheet_names  # the same workbook as geocov run
    g = gpd.read_file(tmp_path / "coverage.gpkg", layer="district")
    assert len(g) == 2 and g.crs.to_epsg() == 4326
    csv = pd.read_csv(tmp_path / "coverage_commune.csv", encoding="utf-8-sig")
    assert csv["commune_name"].iloc[0] == "Xã C1"


# ------------------------------------------------------------------ invariants (hypothesis)
station_rows = st.lists(
    st.tuples(
        st.sampled_from(["2G", "3G", "4G", "5G"]),
        st.sampled_from(["V", "M"]),
        st.floats(-3, 23),
        st.floats(-3, 23),
        st.floats(200, 6000),
    ),
    min_size=1,
    max_size=8,
)


def _stations(rows):
    return make_stations([(f"s{i}", t, o, x, y, r) for i, (t, o, x, y, r) in enumerate(rows)])


def _cov(stations, units=None):
    return geocov.coverage(
        units if units is not None else make_units(),
        villages=make_villages(),
        stations=stations,
        resolution_m=250,
    )


NUMERATORS = [
    f"{m}_{t}"
    for t in TECH_LAYERS
    for m in ("covered_area_km2", "villages_covered", "population_covered")
]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=station_rows, extra=station_rows, grow=st.floats(1.0, 3.0))
def test_coverage_never_falls(rows, extra, grow):
    base = _cov(_stations(rows)).table("commune")
    more = _cov(_stations(rows + extra)).table("commune")
    bigger = _cov(_stations([(t, o, x, y, r * grow) for t, o, x, y, r in rows])).table("commune")
    for other in (more, bigger):
        diff = other[NUMERATORS].to_numpy(float) - base[NUMERATORS].to_numpy(float)
        assert (diff >= -1e-9).all()
    for t in (base, more):
        pct = t[[c for c in t.columns if c.endswith("_pct") or "_pct_" in c]].to_numpy(float)
        assert np.all((pct[~np.isnan(pct)] >= 0) & (pct[~np.isnan(pct)] <= 100 + 1e-9))


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=station_rows, seed=st.integers(0, 2**16))
def test_row_order_does_not_matter(rows, seed):
    rng = np.random.default_rng(seed)
    units, stations = make_units(), _stations(rows)
    a = _cov(stations, units).table("commune").drop(columns="geometry")
    shuffled_units = units.iloc[rng.permutation(len(units))]
    shuffled_units.attrs["geocov_levels"] = units.attrs["geocov_levels"]
    b = _cov(stations.iloc[rng.permutation(len(stations))], shuffled_units).table("commune")
    b = b.drop(columns="geometry").set_index("commune_code").loc[a["commune_code"]].reset_index()
    pd.testing.assert_frame_equal(a, b[a.columns], check_exact=False, rtol=1e-9)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=station_rows)
@example(rows=[("4G", "V", -0.1, 5.0, 200.0)])  # reaches 100 m into c1, no cell centre
@example(rows=[("3G", "M", 10.0, 10.0, 200.0)])  # on the corner of all four communes
def test_units_with_a_layer_are_those_its_footprints_touch(rows):
    """``communes_with_<T>`` against a brute-force shapely test of every (unit, station)."""
    stations = _stations(rows)
    t = _cov(stations).table("commune").set_index("commune_code")
    units = make_units()
    for layer, techs in TECH_LAYERS.items():
        sel = stations["technology"].isin(techs).to_numpy()
        touch = shapely.dwithin(
            units.geometry.to_numpy()[:, None],
            stations.geometry.to_numpy()[sel][None, :],
            stations["range_m"].to_numpy()[sel][None, :],
        ).any(axis=1)
        got = t.loc[units["commune_code"], units_with_column("commune", layer)]
        assert got.tolist() == touch.astype(int).tolist(), layer


def test_sector_reaching_a_unit_between_cell_centres():
    """A wedge 200 m long from 100 m west of c1, pointing east, reaches 100 m into c1 (no
    250 m cell centre): c1 has 4G by the exact test. The same wedge pointing west, west of
    c3, does not touch c3. Both come after a disc in the station table."""
    stations = make_stations([("B", "2G", "M", 15, 5, 3000.0), ("E", "4G", "V", -0.1, 5, 200.0),
                              ("W", "4G", "V", -0.1, 15, 200.0)])
    stations["azimuth_deg"] = [np.nan, 90.0, 270.0]
    stations["beamwidth_deg"] = [np.nan, 60.0, 60.0]
    t = _cov(stations).table("commune").set_index("commune_code")
    assert t["communes_with_4g"].to_dict() == {"c1": 1, "c2": 0, "c3": 0, "c4": 0}
    assert t["communes_with_2g"].to_dict() == {"c1": 0, "c2": 1, "c3": 0, "c4": 0}
    assert t.loc["c1", "covered_area_km2_4g"] == 0.0  # no cell centre is reached


def test_parent_areas_by_hand(result):
    """Districts and the province from the layout, not from their communes' rows."""
    square_km2 = 100.0 / 0.9996**2  # a 10 km projected square on the ground (see above)
    d = result.table("district").set_index("district_code")
    p = result.table("province").iloc[0]
    assert d.loc["D1", "area_km2"] == pytest.approx(2 * square_km2, rel=1e-5)
    assert p["area_km2"] == pytest.approx(4 * square_km2, rel=1e-5)
    # D1: discs A (r 2 km) and B (r 3 km) and the segment of D; D2: C's disc (r 1 km), split
    # over c3 and c4; none overlaps another
    d1_km2, d2_km2 = 4 * math.pi + 9 * math.pi + SEG, math.pi
    assert d.loc["D1", "covered_area_km2_any"] == pytest.approx(d1_km2, rel=5e-3)
    assert d.loc["D2", "covered_area_km2_any"] == pytest.approx(d2_km2, rel=2e-2)
    assert p["covered_area_km2_any"] == pytest.approx(d1_km2 + d2_km2, rel=5e-3)
    assert d.loc["D1", "area_pct_any"] == pytest.approx(100 * d1_km2 / (2 * square_km2), rel=5e-3)
    assert d.loc["D2", "covered_area_km2_4g"] == 0
    assert d.loc["D1", "covered_area_km2_3g_plus"] == pytest.approx(4 * math.pi + SEG, rel=5e-3)


def test_station_on_shared_border_goes_to_smallest_code_whatever_the_order():
    """Found by test_row_order_does_not_matter: a station at (0, 10) lies on c1/c3's border."""
    stations = _stations([("2G", "V", 0.0, 10.0, 200.0)])
    units = make_units()
    for order in ([0, 1, 2, 3], [3, 2, 1, 0], [2, 0, 3, 1]):
        u = units.iloc[order]
        u.attrs["geocov_levels"] = units.attrs["geocov_levels"]
        c = _cov(stations, u).table("commune").set_index("commune_code")
        assert {k: int(v) for k, v in c["stations_2g"].items()} == {
            "c1": 1,
            "c2": 0,
            "c3": 0,
            "c4": 0,
        }


def test_units_smaller_than_a_cell_get_their_exact_share(tmp_path):
    """1 km pixels of 100 people split into 100 m cells (1 person each). "tiny" (30 m x 30 m)
    lies in one cell, "split" (40 m x 30 m) half in each of two cells: each unit takes the
    share of a cell's area it holds, and that cell's coverage (its centre in a footprint).

    Station s (r = 500 m, at tiny's centre) covers the centre (6.05, 6.05) km of tiny's
    cell; station t (r = 200 m at (5.9, 7.05)) covers the centre (6.05, 7.05) of split's
    left cell (150 m away) but not (6.15, 7.05) of its right one (250 m away).
    """
    import rasterio
    from rasterio.transform import from_origin

    units = gpd.GeoDataFrame(
        {"province_code": ["P"] * 3, "province_name": ["P"] * 3,
         "commune_code": ["big", "tiny", "split"], "commune_name": ["B", "T", "S"]},
        geometry=[box(*km(0, 0), *km(5, 5)), box(*km(6, 6), *km(6.03, 6.03)),
                  box(*km(6.08, 7), *km(6.12, 7.03))], crs=CRS)
    units.attrs["geocov_levels"] = ("province", "commune")
    path = tmp_path / "pop.tif"
    with rasterio.open(path, "w", driver="GTiff", width=20, height=20, count=1, dtype="float32",
                       crs=CRS, transform=from_origin(X0 - 2000, Y0 + 10000, 1000, 1000)) as dst:
        dst.write(np.full((20, 20), 100.0, dtype="float32"), 1)  # 100 people per km2
    stations = make_stations([("s", "4G", "X", 6.015, 6.015, 500.0),
                              ("t", "4G", "X", 5.9, 7.05, 200.0)])
    r = geocov.coverage(units, stations=stations, population=str(path))
    assert r.metadata["grid"].startswith("population raster grid pop.tif (EPSG:32648), "
                                         "pixels split 10x10")
    t = r.table("commune")
    tiny, split = row(t, "commune_code", "tiny"), row(t, "commune_code", "split")
    # population: 100 per projected km2, whatever the cells (30 m x 30 m = 0.0009 km2)
    assert tiny["population"] == pytest.approx(0.09, rel=1e-9)
    assert split["population"] == pytest.approx(0.12, rel=1e-9)
    assert tiny["area_pct_4g"] == pytest.approx(100.0)
    assert tiny["population_pct_4g"] == pytest.approx(100.0)
    assert split["area_pct_4g"] == pytest.approx(50.0)
    assert split["population_covered_4g"] == pytest.approx(0.06, rel=1e-9)
    assert split["communes_with_4g"] == 1  # t reaches it (exact test), 120 m away
    big = row(t, "commune_code", "big")
    assert big["area_pct_4g"] == 0.0 and big["population"] == pytest.approx(2500.0, rel=1e-9)


# --------------------------------------------------------------------------- engine options
def raster_1km(tmp_path, people_per_km2=100.0):
    """A 1 km population raster over the four communes and 2 km around them."""
    import rasterio
    from rasterio.transform import from_origin

    path = tmp_path / "pop.tif"
    with rasterio.open(path, "w", driver="GTiff", width=24, height=24, count=1, dtype="float32",
                       crs=CRS, transform=from_origin(X0 - 2000, Y0 + 22000, 1000, 1000),
                       blockysize=2) as dst:  # blocks of 2 rows: tiles of 2 or more
        dst.write(np.full((24, 24), people_per_km2, dtype="float32"), 1)
    return path


def all_tables(r) -> dict[str, pd.DataFrame]:
    out = {lv: pd.DataFrame(r.table(lv).drop(columns="geometry")) for lv in r.levels}
    return out | {f"{lv}_by_operator": r.operator_table(lv) for lv in r.levels}


@pytest.fixture()
def small_tiles(monkeypatch):
    """Tiles of ~8,000 cells: the four communes run as 5 tiles of 4 raster rows."""
    import geocov.engine

    monkeypatch.setattr(geocov.engine, "TILE_CELLS", 8_000)


def test_dask_cluster_gives_the_same_tables_as_threads(tmp_path, small_tiles):
    distributed = pytest.importorskip("distributed")
    kw = {"villages": make_villages(), "stations": make_stations(), "fiber": make_fiber(),
          "population": str(raster_1km(tmp_path))}
    threads = geocov.coverage(make_units(), workers=2, **kw)
    one = geocov.coverage(make_units(), workers=1, **kw)
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                 dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):
        on_dask = geocov.coverage(make_units(), client=client, **kw)
        current = geocov.coverage(make_units(), scheduler="dask", **kw)  # get_client()
    for other in (one, on_dask, current):
        for name, table in all_tables(threads).items():
            pd.testing.assert_frame_equal(all_tables(other)[name], table, check_exact=True)
    c1 = row(threads.table("commune"), "commune_code", "c1")
    assert c1["population"] == pytest.approx(10_000.0)  # 100 km2 x 100 people


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"workers": 0}, r"workers must be a whole number of threads, at least 1; got 0"),
        ({"workers": 1.5}, r"workers must be a whole number.*got 1\.5"),
        ({"scheduler": "processes"}, r"scheduler must be one of \['threads', 'dask'\]"),
        ({"scheduler": "threads", "client": object()}, r"scheduler='threads' but a Dask client"),
    ],
)
def test_engine_options_are_checked(kw, match):
    with pytest.raises(geocov.SchemaError, match=match):
        geocov.coverage(make_units(), **kw)


def test_dask_scheduler_without_a_client_says_how_to_start_one():
    pytest.importorskip("distributed")
    with pytest.raises(geocov.SchemaError, match=r"no Dask client is running; start one"):
        geocov.coverage(make_units(), scheduler="dask")


def test_unit_areas_are_geodesic_areas():
    """area_km2 against pyproj's geodesic area: small units away from the central meridian
    (working CRS scale, k = 1.0007 there) and a unit too large for it (equal-area CRS)."""
    from pyproj import Geod

    boxes = {"near": (1, 1, 11, 11), "east": (300, 50, 320, 70), "large": (-150, -60, 150, 90)}
    geoms = [shapely.segmentize(box(*km(a, b), *km(c, d)), 1000) for a, b, c, d in boxes.values()]
    units = gpd.GeoDataFrame(
        {"province_code": ["P"] * 3, "province_name": ["P"] * 3,
         "commune_code": list(boxes), "commune_name": list(boxes)},
        geometry=geoms, crs=CRS)
    units.attrs["geocov_levels"] = ("province", "commune")
    got = geocov.coverage(units, crs=CRS).table("commune").set_index("commune_code")["area_km2"]
    geod = Geod(ellps="WGS84")
    for code, g in zip(boxes, units.to_crs(4326).geometry, strict=True):
        expected = abs(geod.geometry_area_perimeter(g)[0]) / 1e6
        assert got[code] == pytest.approx(expected, rel=1e-5), code
