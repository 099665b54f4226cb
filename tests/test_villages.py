"""Villages: readers (CSV, Excel, WKT, vector) and linking to the finest admin unit."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely import LineString, Point, box

from geocov.errors import CRSError, SchemaError
from geocov.io import RejectsReport
from geocov.villages import link_villages, read_villages

UTM = "EPSG:32648"


def _units(crs=UTM):
    """Two districts of two unit-square (10 km) communes each, left to right C1..C4."""
    u = gpd.GeoDataFrame(
        {"district_code": ["D1", "D1", "D2", "D2"], "district_name": ["Đ1", "Đ1", "Đ2", "Đ2"],
         "commune_code": ["C1", "C2", "C3", "C4"], "commune_name": ["A", "B", "C", "D"]},
        geometry=[box(i * 10_000, 0, (i + 1) * 10_000, 10_000) for i in range(4)], crs=crs)
    u.attrs["geocov_levels"] = ("district", "commune")
    return u


# ------------------------------------------------------------------------- read


def test_read_csv_semicolon_decimal_comma(tmp_path):
    p = tmp_path / "thon.csv"
    p.write_text("ma_thon;ten_thon;dan_so;ma_xa;kinh_do;vi_do\n"
                 "0101;Bản Khoang;1.250;03127;103,7512;22,3011\n"
                 ";Nậm Cang;;;103,80;22,35\n", encoding="utf-8")
    v = read_villages(p, columns={"lon": "kinh_do", "lat": "vi_do"})
    assert v["village_code"].tolist() == ["0101", "thon.csv:3"]  # leading zero kept
    assert v["village_name"].tolist() == ["Bản Khoang", "Nậm Cang"]
    assert v["population"].iloc[0] == 1250.0 and np.isnan(v["population"].iloc[1])
    assert v["unit_code"].iloc[0] == "03127" and pd.isna(v["unit_code"].iloc[1])
    assert v.geometry.x.tolist() == [103.7512, 103.80]
    assert v["source_row"].tolist() == [2, 3]
    assert v.crs.to_epsg() == 4326
    # issue 6: commune/district/province names are recognised and kept (never as a code)
    assert list(v.columns) == ["village_code", "village_name", "population", "unit_code",
                               "unit_name", "district_name", "province_name",
                               "geometry", "source_file", "source_row"]


def test_read_excel_float_codes(tmp_path):
    p = tmp_path / "villages.xlsx"
    pd.DataFrame({"village_id": [1234.0, 1235.0], "name": ["Bản Khoang", "Séo Mý Tỷ"],
                  "pop": [310, None], "commune_code": [3127.0, None],
                  "longitude": [103.75, 103.8], "latitude": [22.3, 22.35]}).to_excel(
        p, index=False)
    v = read_villages(p)
    assert v["village_code"].tolist() == ["1234", "1235"]
    assert v["unit_code"].iloc[0] == "3127"
    assert v["village_name"].tolist() == ["Bản Khoang", "Séo Mý Tỷ"]
    assert v["population"].iloc[0] == 310.0


def test_read_wkt_column():
    t = pd.DataFrame({"code": ["a", "b"],
                      "wkt": ["POINT (5000 5000)", "POLYGON ((0 0, 10 0, 10 10, 0 10, 0 0))"]})
    v = read_villages(t, crs=UTM)
    assert v.geom_type.tolist() == ["Point", "Polygon"]
    assert v.crs.to_epsg() == 32648


@pytest.mark.parametrize("suffix", [".gpkg", ".geojson"])
def test_read_vector_points_and_polygons(tmp_path, suffix):
    g = gpd.GeoDataFrame({"ma_thon": ["T1", "T2"], "ten": ["Bản Khoang", "Tả Van"]},
                         geometry=[Point(1000, 1000), box(0, 0, 100, 100).union(
                             box(200, 0, 300, 100))], crs=UTM)
    p = tmp_path / f"thon{suffix}"
    g.to_file(p)
    v = read_villages(p)
    assert v["village_code"].tolist() == ["T1", "T2"]
    assert v.geom_type.tolist() == ["Point", "MultiPolygon"]
    assert v["source_row"].tolist() == [1, 2]
    assert v["village_name"].tolist() == ["Bản Khoang", "Tả Van"]


def test_read_vector_without_crs():
    with pytest.raises(CRSError, match="village layer <GeoDataFrame> has no CRS"):
        read_villages(gpd.GeoDataFrame({"code": ["a"]}, geometry=[Point(0, 0)]))


def test_read_no_location_columns():
    with pytest.raises(SchemaError, match=r"<DataFrame>: no village locations: need lon/lat"):
        read_villages(pd.DataFrame({"code": ["a"]}))


BAD = pd.DataFrame({
    "code": ["ok", "neg", "nan", "dup", "dup", "line", "wkt", "ok2"],
    "population": ["10", "-5", "many", "1", "2", None, "1", ""],
    "geometry": ["POINT (1 1)", "POINT (1 1)", "POINT (1 1)", "POINT (1 1)", "POINT (2 2)",
                 "LINESTRING (0 0, 1 1)", "POINT (1", "POINT (3 3)"],
})


@pytest.mark.parametrize(
    ("fix", "pattern"),
    [
        ({}, r"<DataFrame>: 1 row\(s\) in column 'geometry': not valid WKT: row 7 \('POINT \(1'\)"),
        ({6: "POINT (1 1)"}, r"1 row\(s\) in column 'geometry': geometry is not a Point, Polygon "
                             r"or MultiPolygon: row 6 \('LineString'\)"),
        ({6: "POINT (1 1)", 5: "POINT (1 1)"},
         r"1 row\(s\) in column 'population': population is not a number: row 3 \('many'\)"),
        ({6: "POINT (1 1)", 5: "POINT (1 1)", 2: "ok"},
         r"1 row\(s\) in column 'population': population is negative: row 2 \('-5'\)"),
    ],
)
def test_strict_errors(fix, pattern):
    t = BAD.copy()
    for i, value in fix.items():
        col = "population" if value == "ok" else "geometry"
        t.loc[i, col] = "7" if value == "ok" else value
    with pytest.raises(SchemaError, match=pattern):
        read_villages(t, crs=UTM)


def test_duplicate_codes_strict():
    t = pd.DataFrame({"code": ["a", "b", "a", 5.0, "5"], "lon": [1, 2, 3, 4, 5],
                      "lat": [1, 2, 3, 4, 5]})
    with pytest.raises(SchemaError, match=r"2 row\(s\) in column 'code': duplicate village_code "
                                          r"\(codes \['5', 'a'\].*row 3 \('a'\), row 5 \('5'\)"):
        read_villages(t)


def test_lenient_accounts_for_every_row():
    rep = RejectsReport()
    v = read_villages(BAD, crs=UTM, rejects=rep)
    assert v["village_code"].tolist() == ["ok", "dup", "ok2"]
    assert v["population"].tolist()[:2] == [10.0, 1.0] and np.isnan(v["population"].iloc[2])
    rej = rep.to_frame()
    assert sorted(rej["row"].tolist()) == [2, 3, 5, 6, 7]
    assert rep.summary()[["rows_read", "rows_rejected", "rows_used"]].values.tolist() == [
        [8, 5, 3]]


def test_latitude_out_of_range_lonlat():
    t = pd.DataFrame({"code": ["a"], "lon": [22.3], "lat": [103.9]})
    with pytest.raises(SchemaError, match=r"column 'lat': latitude outside.*swapped"):
        read_villages(t)


# ------------------------------------------------------------------------- link


def _villages(rows, crs=UTM):
    codes, unit_codes, geoms = zip(*rows, strict=True)
    return read_villages(gpd.GeoDataFrame({"code": codes, "unit_code": unit_codes},
                                          geometry=list(geoms), crs=crs))


def test_link_coded_and_spatial():
    v = _villages([("v1", "C2", Point(15_000, 5_000)),
                   ("v2", None, Point(25_000, 5_000)),
                   ("v3", None, box(31_000, 1_000, 32_000, 2_000)),   # polygon village
                   ("v4", None, Point(10_000, 5_000))])               # on the C1/C2 border
    out = link_villages(v, _units())
    assert out["unit_code"].tolist() == ["C2", "C3", "C4", "C1"]  # border: first unit
    assert out["placement"].tolist() == ["code", "spatial", "spatial", "spatial"]
    assert out.index.tolist() == [0, 1, 2, 3]
    assert "placement" not in v.columns  # input untouched


def test_link_reprojects_villages_to_units_crs():
    units = _units()
    pt = gpd.GeoSeries([Point(25_000, 5_000)], crs=UTM).to_crs(4326).iloc[0]
    v = _villages([("v", None, pt)], crs="EPSG:4326")
    assert link_villages(v, units)["unit_code"].tolist() == ["C3"]


def test_link_outside_every_unit_and_unknown_code_strict():
    v = _villages([("v1", None, Point(-5_000, 5_000))])
    with pytest.raises(SchemaError, match=r"1 row\(s\) in column 'geometry': outside every "
                                          r"admin unit: row 1"):
        link_villages(v, _units())
    v = _villages([("v1", "C9", Point(5_000, 5_000))])
    with pytest.raises(SchemaError, match=r"column 'unit_code': unit_code not found in the "
                                          r"units' 'commune_code': row 1 \('C9'\)"):
        link_villages(v, _units())


def test_link_lenient():
    rep = RejectsReport()
    v = _villages([("in", None, Point(5_000, 5_000)), ("out", None, Point(-5_000, 5_000)),
                   ("bad", "C9", Point(5_000, 5_000)), ("ok", "C4", Point(35_000, 5_000))])
    out = link_villages(v, _units(), rejects=rep)
    assert out["village_code"].tolist() == ["in", "ok"]
    assert out.index.tolist() == [0, 3]
    rej = rep.to_frame().sort_values("row")
    assert rej["reason"].tolist() == ["outside every admin unit",
                                      "unit_code not found in the units' 'commune_code'"]


def test_link_code_disagrees_with_location_is_an_error():
    # issue 6: was a warning and v1 was counted in C1; 15 km away it is now a bad row
    v = _villages([("v1", "C1", Point(25_000, 5_000)), ("v2", "C2", Point(15_000, 5_000))])
    with pytest.raises(SchemaError, match=r"1 row\(s\) in column 'unit_code': lies more than "
                                          r"500 m outside the commune its unit_code names: row 1 "
                                          r"\('village v1: claims C1 \(A\), lies in C3 \(C\), "
                                          r"15.0 km from C1'\)"):
        link_villages(v, _units())
    out = link_villages(v, _units(), tolerance_m=15_000)
    assert out["unit_code"].tolist() == ["C1", "C2"]


def test_link_needs_crs():
    v = _villages([("v1", None, Point(5_000, 5_000))])
    units = _units()
    units = units.set_crs(None, allow_override=True)
    with pytest.raises(CRSError, match="units has no CRS"):
        link_villages(v, units)


def test_link_units_without_levels():
    units = gpd.GeoDataFrame({"x": [1]}, geometry=[box(0, 0, 1, 1)], crs=UTM)
    v = _villages([("v1", None, Point(0.5, 0.5))])
    with pytest.raises(SchemaError, match="cannot find admin levels"):
        link_villages(v, units)


def test_read_ignores_line_geometry_in_lenient_mode():
    rep = RejectsReport()
    g = gpd.GeoDataFrame({"code": ["a", "b"]}, geometry=[LineString([(0, 0), (1, 1)]),
                                                          Point(0, 0)], crs=UTM)
    v = read_villages(g, rejects=rep)
    assert v["village_code"].tolist() == ["b"]
    assert rep.to_frame()["value"].tolist() == ["LineString"]


@pytest.mark.realdata
def test_link_real_communes_2025(shared_data):
    """Points placed inside real 2025 communes (Lào Cai) come back to their commune."""
    path = shared_data / "boundaries" / "vn_communes_2025_5prov_sapnhap.gpkg"
    if not path.exists():
        pytest.skip(f"{path} not present")
    raw = gpd.read_file(path, layer="communes_2025")
    raw = raw[raw["province_code"].astype(str) == "15"].reset_index(drop=True)
    units = gpd.GeoDataFrame({"commune_code": raw["code"].astype(str),
                              "commune_name": raw["name"]}, geometry=raw.geometry, crs=raw.crs)
    units.attrs["geocov_levels"] = ("commune",)
    pts = units.geometry.representative_point()
    v = read_villages(gpd.GeoDataFrame({"code": [f"v{i}" for i in range(len(units))]},
                                       geometry=pts.to_numpy(), crs=units.crs))
    out = link_villages(v, units)
    assert (out["placement"] == "spatial").all()
    assert out["unit_code"].tolist() == units["commune_code"].tolist()
