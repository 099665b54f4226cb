"""Fiber: reading code lists, nodes and routes; which villages and units have fiber."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely import LineString, MultiLineString, Point, box

from geocov.errors import CRSError, SchemaError
from geocov.fiber import fiber_reach, read_fiber
from geocov.io import RejectsReport

UTM = "EPSG:32648"
# Fixtures are drawn in local metres and shifted next to the zone's central meridian, where
# UTM distances are true to a few parts in 10^4 and the working CRS is this same zone.
X0, Y0 = 500_000.0, 2_400_000.0


def _shift(gdf):
    out = gdf.copy()
    out.geometry = out.geometry.translate(X0, Y0)
    return out


def _units():
    """Four 10 km communes in a row, C1..C4 from west to east."""
    u = gpd.GeoDataFrame(
        {"commune_code": ["C1", "C2", "C3", "C4"], "commune_name": ["A", "B", "C", "D"]},
        geometry=[box(i * 10_000, 0, (i + 1) * 10_000, 10_000) for i in range(4)], crs=UTM,
        index=[10, 11, 12, 13])
    u = _shift(u)
    u.attrs["geocov_levels"] = ("commune",)
    return u


def _villages():
    """One village in the middle of each commune, plus a polygon village in C4."""
    return _shift(gpd.GeoDataFrame(
        {"village_code": ["v1", "v2", "v3", "v4", "v5"],
         "unit_code": ["C1", "C2", "C3", "C4", "C4"]},
        geometry=[Point(5_000, 5_000), Point(15_000, 5_000), Point(25_000, 5_000),
                  Point(35_000, 5_000), box(36_000, 8_000, 37_000, 9_000)],
        crs=UTM, index=[100, 101, 102, 103, 104]))


# ------------------------------------------------------------------------- read


def test_read_code_tables(tmp_path):
    p = tmp_path / "ket_noi.csv"
    p.write_text("ma_thon;ghi_chu\n0101;Bản Khoang\n0102;\n", encoding="utf-8")
    f = read_fiber(p)
    assert f[["kind", "code"]].values.tolist() == [["village", "0101"], ["village", "0102"]]
    assert f["reach_m"].isna().all() and f.geometry.isna().all()
    assert f["source_row"].tolist() == [2, 3]
    assert list(f.columns) == ["kind", "code", "reach_m", "connected", "geometry",
                               "source_file", "source_row"]
    assert f["connected"].tolist() == [True, True]  # no yes/no column: every row connected
    f = read_fiber(pd.DataFrame({"commune_code": [3127.0]}))
    assert f[["kind", "code"]].values.tolist() == [["unit", "3127"]]


def test_read_code_and_level():
    t = pd.DataFrame({"code": ["v1", "C2", "C3"], "level": ["Thôn", "xã", "Phường"]})
    assert read_fiber(t)["kind"].tolist() == ["village", "unit", "unit"]
    bad = pd.DataFrame({"code": ["v1", "x"], "level": ["thon", "tỉnh"]})
    with pytest.raises(SchemaError, match=r"<DataFrame>: 1 row\(s\) in column 'level': unknown "
                                          r"level: row 2 \('tỉnh'\)"):
        read_fiber(bad)


def test_read_kind_forces_code_column():
    assert read_fiber(pd.DataFrame({"code": ["C1"]}), kind="unit")["kind"].tolist() == ["unit"]
    with pytest.raises(SchemaError, match=r"kind='village' needs a code column"):
        read_fiber(pd.DataFrame({"x": [1]}), kind="village")


def test_read_unknown_table_and_kind():
    with pytest.raises(SchemaError, match="cannot tell what this fiber table holds"):
        read_fiber(pd.DataFrame({"foo": [1]}))
    with pytest.raises(SchemaError, match=r"kind='cable' is not valid; use one of \['auto', "
                                          r"'node', 'route', 'village', 'unit'\]"):
        read_fiber(pd.DataFrame({"code": [1]}), kind="cable")  # type: ignore[arg-type]
    with pytest.raises(SchemaError, match=r"reach_m=-1: the reach must be a positive"):
        read_fiber(pd.DataFrame({"code": [1]}), reach_m=-1)


def test_read_missing_code_strict_and_lenient():
    t = pd.DataFrame({"ma_xa": ["C1", None]})
    with pytest.raises(SchemaError, match=r"1 row\(s\) in column 'ma_xa': missing code: row 2"):
        read_fiber(t)
    rep = RejectsReport()
    assert read_fiber(t, rejects=rep)["code"].tolist() == ["C1"]
    assert rep.summary()[["rows_read", "rows_rejected", "rows_used"]].values.tolist() == [
        [2, 1, 1]]


def test_read_nodes_from_lonlat_csv(tmp_path):
    p = tmp_path / "odf.csv"
    p.write_text("lat;lon;reach\n22,48;103,97;1500\n22,50;104,01;\n", encoding="utf-8")
    f = read_fiber(p, reach_m=800)
    assert f["kind"].tolist() == ["node", "node"]
    assert f["reach_m"].tolist() == [1500.0, 800.0]
    assert f.crs.to_epsg() == 4326 and f.geometry.x.tolist() == [103.97, 104.01]


def test_read_geopackage_all_layers(tmp_path):
    p = tmp_path / "fiber.gpkg"
    gpd.GeoDataFrame({"name": ["n1", "n2"]}, geometry=[Point(0, 0), Point(1, 1)],
                     crs=UTM).to_file(p, layer="nodes")
    gpd.GeoDataFrame({"reach_m": [300.0]},
                     geometry=[MultiLineString([[(0, 0), (5, 0)], [(5, 5), (9, 9)]])],
                     crs=UTM).to_file(p, layer="routes")
    f = read_fiber(p, reach_m=1000)
    assert sorted(zip(f["kind"], f["reach_m"], f["source_file"], strict=True)) == [
        ("node", 1000.0, "fiber.gpkg:nodes"), ("node", 1000.0, "fiber.gpkg:nodes"),
        ("route", 300.0, "fiber.gpkg:routes")]
    assert f.crs.to_epsg() == 32648
    only = read_fiber(p, layer="routes")
    assert only["kind"].tolist() == ["route"] and set(only["source_file"]) == {"fiber.gpkg"}


def test_read_layers_in_different_crs(tmp_path):
    p = tmp_path / "fiber.gpkg"
    gpd.GeoDataFrame(geometry=[Point(0, 0)], crs=UTM).to_file(p, layer="a")
    gpd.GeoDataFrame(geometry=[Point(104, 22)], crs=4326).to_file(p, layer="b")
    with pytest.raises(CRSError, match="fiber layers are in different CRSs"):
        read_fiber(p)


def test_read_geometry_errors():
    g = gpd.GeoDataFrame({"reach_m": [None, "abc", 0, None, None]},
                         geometry=[Point(0, 0), Point(1, 1), Point(2, 2),
                                   box(0, 0, 1, 1), None], crs=UTM)
    with pytest.raises(SchemaError, match=r"<GeoDataFrame>: 1 row\(s\) in column 'reach_m': reach "
                                          r"is not a number: row 2 \('abc'\)"):
        read_fiber(g)
    with pytest.raises(SchemaError, match=r"column 'geometry': geometry is not a LineString or "
                                          r"MultiLineString \(kind='route'\): row 1 \('Point'\)"):
        read_fiber(g.iloc[[0]], kind="route")
    rep = RejectsReport()
    f = read_fiber(g, rejects=rep)
    assert f["source_row"].tolist() == [1]
    assert sorted(rep.to_frame()["reason"]) == [
        "geometry is not a Point (node) or a (Multi)LineString (route)",
        "missing or empty geometry", "reach is not a number", "reach_m <= 0"]
    assert rep.summary()["rows_used"].tolist() == [1]


def test_read_layer_without_crs():
    with pytest.raises(CRSError, match="fiber layer <GeoDataFrame> has no CRS"):
        read_fiber(gpd.GeoDataFrame(geometry=[Point(0, 0)]))


# ------------------------------------------------------------------------- reach


def _fiber(geoms, reach):
    return read_fiber(_shift(gpd.GeoDataFrame({"reach_m": reach}, geometry=geoms, crs=UTM)))


def test_node_reach_is_inclusive_and_per_row():
    f = _fiber([Point(5_000, 6_000), Point(15_000, 7_000)], [1_000.0, 1_999.0])
    v, u = fiber_reach(f, villages=_villages(), units=_units())
    assert v.index.tolist() == [100, 101, 102, 103, 104] and v.name == "fiber"
    assert v.tolist() == [True, False, False, False, False]  # 1000 m exactly; 2000 m > 1999
    # the nodes themselves lie in C1 and C2, so both communes have fiber
    assert u.index.tolist() == [10, 11, 12, 13]
    assert u.tolist() == [True, True, False, False]


def test_route_reach_and_polygon_village():
    # a route running north of C4's villages: 1 km from the polygon village's representative
    # point (its centre), 4.5 km from v4
    f = _fiber([LineString([(34_000, 9_500), (39_000, 9_500)])], [1_000.0])
    v, u = fiber_reach(f, villages=_villages(), units=_units())
    assert v.tolist() == [False, False, False, False, True]
    assert u.tolist() == [False, False, False, True]


def test_unit_fiber_via_intersecting_route_without_villages():
    f = _fiber([LineString([(21_000, -5_000), (21_000, 500)])], [10.0])
    v, u = fiber_reach(f, villages=_villages(), units=_units())
    assert not v.any()
    assert u.tolist() == [False, False, True, False]


def test_unit_fiber_via_reached_village_outside_route():
    # node outside all units (south of C2), reaching village v2 at 5 km
    f = _fiber([Point(15_000, -1)], [5_001.0])
    v, u = fiber_reach(f, villages=_villages(), units=_units())
    assert v.tolist() == [False, True, False, False, False]
    assert u.tolist() == [False, True, False, False]


def test_listed_codes():
    f = read_fiber(pd.DataFrame({"code": ["v3", "C1"], "level": ["village", "commune"]}))
    v, u = fiber_reach(f, villages=_villages(), units=_units())
    assert v.tolist() == [False, False, True, False, False]
    assert u.tolist() == [True, False, True, False]  # C3 via its listed village v3


def test_listed_codes_not_found():
    f = read_fiber(pd.DataFrame({"code": ["v3", "v9", "C7"],
                                 "level": ["village", "village", "commune"]}))
    with pytest.raises(SchemaError, match=r"1 row\(s\) in column 'code': listed village code\(s\) "
                                          r"\['v9'\] not found in the villages: row 2 \('v9'\)"):
        fiber_reach(f, villages=_villages(), units=_units())
    rep = RejectsReport()
    v, u = fiber_reach(f, villages=_villages(), units=_units(), rejects=rep)
    assert v.sum() == 1 and u.tolist() == [False, False, True, False]
    assert rep.to_frame()["value"].tolist() == ["v9", "C7"]
    assert "not found in the units' 'commune_code'" in rep.to_frame()["reason"].iloc[1]


def test_reach_in_lonlat_uses_metric_working_crs():
    units = _units().to_crs(4326)
    villages = _villages().to_crs(4326)
    node = gpd.GeoSeries([Point(X0 + 5_000, Y0 + 6_500)], crs=UTM).to_crs(4326)
    f = read_fiber(gpd.GeoDataFrame(geometry=node, crs=4326), reach_m=1_600)
    v, _ = fiber_reach(f, villages=villages, units=units)
    assert v.tolist() == [True, False, False, False, False]
    f = read_fiber(gpd.GeoDataFrame(geometry=node, crs=4326), reach_m=1_400)
    v, _ = fiber_reach(f, villages=villages, units=units, crs="EPSG:3405")
    assert not v.any()


def test_reach_needs_crs():
    f = _fiber([Point(0, 0)], [10.0]).set_crs(None, allow_override=True)
    with pytest.raises(CRSError, match="fiber nodes/routes has no CRS"):
        fiber_reach(f, villages=_villages(), units=_units())


def test_inputs_not_mutated():
    f = _fiber([Point(5_000, 6_000)], [1_000.0])
    vil, units = _villages(), _units()
    before = (f.copy(), vil.copy(), units.copy())
    fiber_reach(f, villages=vil, units=units)
    for a, b in zip((f, vil, units), before, strict=True):
        pd.testing.assert_frame_equal(pd.DataFrame(a), pd.DataFrame(b))
    assert np.array_equal(units.index, [10, 11, 12, 13])
