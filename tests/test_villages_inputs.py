"""Issue 6 for villages: Vietnamese headers, one decimal mark per file, ``layer=``, an empty
file, and villages that lie far from the commune their code (or name) claims.

Units are a 2 x 1 grid of 10 km square communes in UTM 48N (C1 left, C2 right), so every
distance is hand-checkable: a point at x = 10.2 km lies in C2, 200 m outside C1.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyproj import Geod
from shapely import Point, box

from geocov.errors import DataQualityWarning, SchemaError, cli_hints
from geocov.io import RejectsReport
from geocov.villages import link_villages, read_villages

UTM = "EPSG:32648"
X0, Y0 = 500_000.0, 2_400_000.0  # 105°E (central meridian of zone 48), 21.7°N
KM = 1000.0


def units_2x1() -> gpd.GeoDataFrame:
    u = gpd.GeoDataFrame(
        {"district_code": ["D1", "D2"], "district_name": ["Huyện Một", "Huyện Hai"],
         "commune_code": ["C1", "C2"], "commune_name": ["Xã Một", "Xã Hai"]},
        geometry=[box(X0, Y0, X0 + 10 * KM, Y0 + 10 * KM),
                  box(X0 + 10 * KM, Y0, X0 + 20 * KM, Y0 + 10 * KM)],
        crs=UTM)
    u.attrs["geocov_levels"] = ("district", "commune")
    return u


def at(x_km: float, y_km: float = 5.0) -> Point:
    return Point(X0 + x_km * KM, Y0 + y_km * KM)


def lonlat(p: Point) -> Point:
    return gpd.GeoSeries([p], crs=UTM).to_crs(4326).iloc[0]


# ------------------------------------------------------------------ Vietnamese headers

VN_CSV = ("Mã thôn;Tên thôn;Mã xã;Tên xã;Huyện;Tỉnh;Dân số;Kinh độ;Vĩ độ\n"
          "0101;Bản Khoang;03127;Xã Bản Khoang;Sa Pa;Lào Cai;1.250;103,7512;22,3011\n"
          "0102;Nậm Cang;;Xã Nậm Cang;Sa Pa;Lào Cai;2.662;103,80;22,35\n")


@pytest.mark.parametrize(
    "header",
    [
        "Mã thôn;Tên thôn;Mã xã;Tên xã;Huyện;Tỉnh;Dân số;Kinh độ;Vĩ độ",
        "ma_thon;ten_thon;ma_xa;ten_xa;huyen;tinh;dan_so;kinh_do;vi_do",
        "MA THON;TEN THON;MA XA;TEN XA;HUYEN;TINH;DAN SO;KINH DO;VI DO",
        "Ma-thon;Ten_Thon;Ma_Xa;Ten xa;ten_huyen;ten_tinh;so_dan;kinh do;vi do",
    ],
)
def test_vietnamese_headers_without_columns(tmp_path, header) -> None:
    p = tmp_path / "thon.csv"
    p.write_text(header + "\n" + VN_CSV.split("\n", 1)[1], encoding="utf-8")
    v = read_villages(p)
    assert v["village_code"].tolist() == ["0101", "0102"]
    assert v["village_name"].tolist() == ["Bản Khoang", "Nậm Cang"]
    assert v["unit_code"].iloc[0] == "03127" and pd.isna(v["unit_code"].iloc[1])
    # the commune name is kept as a name, never taken for a code
    assert v["unit_name"].tolist() == ["Xã Bản Khoang", "Xã Nậm Cang"]
    assert v["district_name"].tolist() == ["Sa Pa", "Sa Pa"]
    assert v["province_name"].tolist() == ["Lào Cai", "Lào Cai"]
    # one decimal mark for the file: 103,7512 proves the comma, so 2.662 people is 2662
    assert v["population"].tolist() == [1250.0, 2662.0]
    assert v.geometry.x.tolist() == [103.7512, 103.80]
    assert v.geometry.y.tolist() == [22.3011, 22.35]


def test_commune_name_alone_is_not_a_code(tmp_path) -> None:
    p = tmp_path / "thon.csv"
    p.write_text("ten_thon,ten_xa,lon,lat\nBản A,03127,103.8,22.3\n", encoding="utf-8")
    v = read_villages(p)
    assert pd.isna(v["unit_code"].iloc[0])
    assert v["unit_name"].iloc[0] == "03127"


def test_population_thousands_groups_in_a_decimal_point_file(tmp_path) -> None:
    # coordinates prove the decimal point; head counts written 1.250 are still 1250
    p = tmp_path / "thon.csv"
    p.write_text("ma_thon,dan_so,lon,lat\nA,1.250,103.75,22.30\nB,300,103.80,22.35\n",
                 encoding="utf-8")
    assert read_villages(p)["population"].tolist() == [1250.0, 300.0]
    # the user's decimal= wins
    assert read_villages(p, decimal=".")["population"].tolist() == [1.25, 300.0]


def test_decimal_comma_population_with_fraction(tmp_path) -> None:
    p = tmp_path / "thon.csv"
    p.write_text("ma_thon;dan_so;lon;lat\nA;1.250,5;103,75;22,30\n", encoding="utf-8")
    assert read_villages(p)["population"].tolist() == [1250.5]


def test_codes_are_no_evidence_for_the_decimal_mark(tmp_path) -> None:
    # "1.02" as a village or commune code is text, not a number written with a point
    p = tmp_path / "thon.csv"
    p.write_text("ma_thon;ma_xa;dan_so;lon;lat\n1.02;3.5;1.250;103,75;22,30\n",
                 encoding="utf-8")
    v = read_villages(p)
    assert v[["village_code", "unit_code", "population"]].values.tolist() == [
        ["1.02", "3.5", 1250.0]]
    assert v.geometry.x.tolist() == [103.75]


def test_decimal_marks_disagree(tmp_path) -> None:
    p = tmp_path / "thon.csv"
    p.write_text("ma_thon;lon;lat\nA;103,75;22.30\n", encoding="utf-8")
    with pytest.raises(SchemaError, match=r"thon.csv: the numbers disagree on the decimal mark"):
        read_villages(p)
    v = read_villages(p, decimal=",", rejects=RejectsReport())
    assert len(v) == 0


# ------------------------------------------------------------------ layer, empty file


def test_layer_of_a_multilayer_file(tmp_path) -> None:
    p = tmp_path / "data.gpkg"
    gpd.GeoDataFrame({"ma_thon": ["X1"]}, geometry=[at(1)], crs=UTM).to_file(p, layer="tram")
    gpd.GeoDataFrame({"ma_thon": ["T1", "T2"], "ten_thon": ["Bản Một", "Bản Hai"]},
                     geometry=[at(2), at(3)], crs=UTM).to_file(p, layer="thon")
    v = read_villages(p, layer="thon")
    assert v["village_code"].tolist() == ["T1", "T2"]
    assert read_villages(p, layer="tram")["village_code"].tolist() == ["X1"]
    with pytest.raises(SchemaError, match=r"layer= is only for files; a DataFrame was given"):
        read_villages(pd.DataFrame({"code": ["a"], "lon": [1.0], "lat": [1.0]}), layer="thon")


def test_empty_village_file_warns(tmp_path) -> None:
    p = tmp_path / "thon.csv"
    p.write_text("ma_thon;ten_thon;kinh_do;vi_do\n", encoding="utf-8")
    with pytest.warns(DataQualityWarning, match=r"thon.csv: the village file has no rows: no "
                                                r"village is counted"):
        v = read_villages(p)
    assert len(v) == 0
    assert "unit_name" in v.columns
    with pytest.warns(DataQualityWarning, match=r"<DataFrame>: the village file has no rows"):
        read_villages(pd.DataFrame({"code": [], "lon": [], "lat": []}))


def test_missing_geometry_names_the_village() -> None:
    g = gpd.GeoDataFrame({"ma_thon": ["T1", "T2"], "ten_thon": ["Bản Một", "Bản Hai"]},
                         geometry=[at(1), None], crs=UTM)
    with pytest.raises(SchemaError, match=r"missing or empty geometry: row 2 \('village T2 "
                                          r"\(Bản Hai\)'\)"):
        read_villages(g)


def test_no_location_hint_fits_the_cli() -> None:
    with cli_hints(), pytest.raises(SchemaError, match=r"--villages-columns lon=<column>"):
        read_villages(pd.DataFrame({"code": ["a"]}))


# ------------------------------------------------------------------ code vs location


def villages_claiming_c1() -> gpd.GeoDataFrame:
    """Villages claiming C1, in lon/lat (as read from a spreadsheet)."""
    rows = [
        ("v1", "Bản Một", "C1", at(5)),         # inside C1
        ("v2", "Bản Hai", "C1", at(10.2)),      # in C2, 200 m from C1: kept in C1
        ("v3", "Bản Ba", "C1", at(13)),         # in C2, 3 km from C1: rejected
        ("v4", "Bản Bốn", "C1", at(-0.2)),      # outside every commune, 200 m: kept
        ("v5", "Bản Năm", "C1", None),          # at 0,0 (lon/lat): rejected
        ("v6", "Bản Sáu", None, at(15)),        # no claim: placed in C2
    ]
    geoms = [Point(0, 0) if g is None else lonlat(g) for *_, g in rows]
    frame = gpd.GeoDataFrame(
        {"ma_thon": [r[0] for r in rows], "ten_thon": [r[1] for r in rows],
         "ma_xa": [r[2] for r in rows]}, geometry=geoms, crs=4326)
    return read_villages(frame)


def test_far_from_claimed_commune_strict() -> None:
    v = villages_claiming_c1()
    with pytest.raises(SchemaError, match=(
            r"<GeoDataFrame>: 2 row\(s\) in column 'unit_code': lies more than 500 m outside "
            r"the commune its unit_code names: row 3 \('village v3 \(Bản Ba\): claims C1 "
            r"\(Xã Một\), lies in C2 \(Xã Hai\), 3.0 km from C1'\), row 5 \('village v5 \(Bản "
            r"Năm\): claims C1 \(Xã Một\), outside every commune, 11,5\d\d.\d km from C1'\)\. "
            r"Villages up to 500 m outside are kept")):
        link_villages(v, units_2x1())


def test_far_from_claimed_commune_lenient() -> None:
    v = villages_claiming_c1()
    rej = RejectsReport()
    out = link_villages(v, units_2x1(), rejects=rej)
    assert out["village_code"].tolist() == ["v1", "v2", "v4", "v6"]
    assert out["unit_code"].tolist() == ["C1", "C1", "C1", "C2"]  # within 500 m: counted in C1
    assert out["placement"].tolist() == ["code", "code", "code", "spatial"]
    r = rej.to_frame()
    assert r["row"].tolist() == [3, 5]
    assert set(r["column"]) == {"unit_code"}
    # the distance to (0,0) is geodesic: from (0, 0) to C1's nearest corner (SW)
    corner = lonlat(at(0, 0))
    _, _, expected_m = Geod(ellps="WGS84").inv(0.0, 0.0, corner.x, corner.y)
    km = float(r["value"].iloc[1].split(", ")[-1].split(" km")[0].replace(",", ""))
    assert km == pytest.approx(expected_m / 1000, abs=0.1)


def test_tolerance_option() -> None:
    v = villages_claiming_c1()
    rej = RejectsReport()
    out = link_villages(v, units_2x1(), tolerance_m=0, rejects=rej)
    assert out["village_code"].tolist() == ["v1", "v6"]
    assert rej.to_frame()["row"].tolist() == [2, 3, 4, 5]
    rej = RejectsReport()
    out = link_villages(v, units_2x1(), tolerance_m=3_100, rejects=rej)
    assert out["village_code"].tolist() == ["v1", "v2", "v3", "v4", "v6"]
    for bad in (-1, float("nan"), "500"):
        with pytest.raises(SchemaError, match=r"tolerance_m must be a number of metres >= 0"):
            link_villages(v, units_2x1(), tolerance_m=bad)


def test_polygon_village_overlapping_its_commune_is_kept() -> None:
    # a village drawn as a polygon mostly in C2 but touching into C1 is at distance 0
    g = gpd.GeoDataFrame({"ma_thon": ["p"], "ma_xa": ["C1"]},
                         geometry=[box(X0 + 9.9 * KM, Y0, X0 + 14 * KM, Y0 + KM)], crs=UTM)
    out = link_villages(read_villages(g), units_2x1())
    assert out["unit_code"].tolist() == ["C1"]


def test_units_in_lonlat_distances_in_metres() -> None:
    units = units_2x1().to_crs(4326)
    units.attrs["geocov_levels"] = ("district", "commune")
    v = villages_claiming_c1()
    rej = RejectsReport()
    out = link_villages(v, units, rejects=rej)
    assert out["village_code"].tolist() == ["v1", "v2", "v4", "v6"]
    assert "3.0 km from C1" in rej.to_frame()["value"].iloc[0]


# ------------------------------------------------------------------ commune names


def namesake_units() -> gpd.GeoDataFrame:
    """Four communes; two of them are called "Tân Lập", in different districts."""
    u = gpd.GeoDataFrame(
        {"district_code": ["D1", "D1", "D2", "D2"],
         "district_name": ["Huyện Một", "Huyện Một", "Huyện Hai", "Huyện Hai"],
         "commune_code": ["C1", "C2", "C3", "C4"],
         "commune_name": ["Xã Bản Cái", "Xã Tân Lập", "Thị trấn Phố Lu", "Xã Tân Lập"]},
        geometry=[box(X0 + i * 10 * KM, Y0, X0 + (i + 1) * 10 * KM, Y0 + 10 * KM)
                  for i in range(4)], crs=UTM)
    u.attrs["geocov_levels"] = ("district", "commune")
    return u


def test_commune_name_links_when_there_is_no_code() -> None:
    g = gpd.GeoDataFrame(
        {"ma_thon": ["a", "b", "c", "d", "e", "f"],
         "Tên xã": ["ban cai", "XÃ BẢN CÁI", "Phố Lu", "Tân Lập", "Tân Lập", "Xã Không Có"],
         "Huyện": [None, None, None, None, "Hai", None]},
        geometry=[at(10.3), at(5), at(25), at(15), at(35), at(5)], crs=UTM)
    out = link_villages(read_villages(g), namesake_units())
    # a: 300 m into C2 but its name says C1: kept in C1 (within tolerance)
    # d: "Tân Lập" names two communes and no district is given: placed by location
    # e: "Tân Lập" in district "Hai" is C4
    # f: a name no unit has: placed by location
    assert out["unit_code"].tolist() == ["C1", "C1", "C3", "C2", "C4", "C1"]
    assert out["placement"].tolist() == ["name", "name", "name", "spatial", "name", "spatial"]


def test_commune_name_far_from_its_commune_is_rejected() -> None:
    g = gpd.GeoDataFrame({"ma_thon": ["a"], "ten_xa": ["Phố Lu"]}, geometry=[at(5)], crs=UTM)
    with pytest.raises(SchemaError, match=r"column 'unit_name': lies more than 500 m outside "
                                          r"the commune its unit_name names: row 1 \('village a: "
                                          r"claims C3 \(Thị trấn Phố Lu\), lies in C1 \(Xã Bản "
                                          r"Cái\), 15.0 km from C3'\)"):
        link_villages(read_villages(g), namesake_units())


def test_code_wins_over_name() -> None:
    g = gpd.GeoDataFrame({"ma_thon": ["a"], "ma_xa": ["C1"], "ten_xa": ["Phố Lu"]},
                         geometry=[at(5)], crs=UTM)
    out = link_villages(read_villages(g), namesake_units())
    assert out[["unit_code", "placement"]].values.tolist() == [["C1", "code"]]


# ------------------------------------------------------------------ accounting property

KINDS = {
    # kind: (claim, x_km, kept)
    "in": ("C1", 5.0, True),
    "near": ("C1", 10.2, True),      # 200 m into C2
    "far": ("C1", 13.0, False),      # 3 km into C2
    "nowhere": ("C1", -50.0, False),  # 50 km outside every commune
    "spatial": (None, 15.0, True),
    "outside": (None, 30.0, False),
    "badlat": ("C1", 5.0, False),
    "badpop": ("C1", 5.0, False),
    "dup": ("C1", 5.0, None),        # the first "dup" is kept, the others rejected
}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(sorted(KINDS)), min_size=1, max_size=25))
def test_lenient_accounts_for_every_village(kinds) -> None:
    rows = []
    for i, kind in enumerate(kinds):
        claim, x, _ = KINDS[kind]
        rows.append({
            "Mã thôn": "dup" if kind == "dup" else f"v{i}",
            "Mã xã": claim,
            "Dân số": "-3" if kind == "badpop" else "120",
            "x": f"{X0 + x * KM:.0f}",
            "y": "abc" if kind == "badlat" else f"{Y0 + 5 * KM:.0f}",
        })
    rej = RejectsReport()
    v = read_villages(pd.DataFrame(rows), crs=UTM, rejects=rej)
    out = link_villages(v, units_2x1(), rejects=rej)
    s = rej.summary()
    assert s[["rows_read", "rows_used"]].values.tolist() == [[len(kinds), len(out)]]
    assert int(s["rows_rejected"].iloc[0]) + len(out) == len(kinds)
    rejected = set(rej.to_frame()["row"])
    used = set(out["source_row"])
    assert rejected.isdisjoint(used) and rejected | used == set(range(1, len(kinds) + 1))
    expected = sum(1 for k in kinds if KINDS[k][2]) + ("dup" in kinds)
    assert len(out) == expected
    assert set(out["unit_code"]) <= {"C1", "C2"}


# ------------------------------------------------------------------ real communes


@pytest.mark.realdata
def test_real_commune_tolerance(shared_data) -> None:
    """Villages 200 m and 3 km outside a real 2025 Lào Cai commune that their code names."""
    from geocov.boundaries import read_units

    path = shared_data / "boundaries/vn_communes_2025_5prov_sapnhap.gpkg"
    units = read_units(path, layer="communes_2025",
                       levels={"province": "province_code", "commune": "fullName"},
                       codes={"province": "province_code", "commune": "code"})
    lao_cai = units[units["province_code"] == "15"].reset_index(drop=True)
    lao_cai.attrs = units.attrs
    commune = lao_cai.iloc[0]
    shape = gpd.GeoSeries([commune.geometry], crs=units.crs).to_crs(UTM).iloc[0]
    # points on the outline of the commune grown by 200 m / 3 km lie that far from it
    p200, p3k = (Point(shape.buffer(d, quad_segs=64).exterior.coords[0]) for d in (200, 3000))
    pts = gpd.GeoSeries([p200, p3k], crs=UTM).to_crs(4326)
    v = read_villages(gpd.GeoDataFrame({"ma_thon": ["near", "far"],
                                        "ma_xa": [commune["commune_code"]] * 2},
                                       geometry=pts.to_numpy(), crs=4326))
    rej = RejectsReport()
    out = link_villages(v, lao_cai, rejects=rej)
    assert out["village_code"].tolist() == ["near"]
    assert out["unit_code"].tolist() == [commune["commune_code"]]
    value = rej.to_frame()["value"].iloc[0]
    assert value.startswith(f"village far: claims {commune['commune_code']} "
                            f"({commune['commune_name']})")
    assert value.endswith(f"3.0 km from {commune['commune_code']}")


def test_tolerance_reaches_coverage_the_toml_and_the_cli(tmp_path) -> None:
    """A village 3 km outside the commune its code names: rejected at the default 500 m,
    counted in that commune with a 3.1 km tolerance, from Python, analysis.toml and CLI."""
    from click.testing import CliRunner

    import geocov
    from geocov.cli import main

    units = units_2x1()
    v = gpd.GeoDataFrame({"ma_thon": ["a", "b"], "ma_xa": ["C1", "C1"]},
                         geometry=[at(5), at(13)], crs=UTM)
    with pytest.raises(SchemaError, match=r"village b: .*3\.0 km.*village_tolerance_m="):
        geocov.coverage(units, villages=read_villages(v))
    r = geocov.coverage(units, villages=read_villages(v), village_tolerance_m=3_100)
    assert r.table("commune")["villages"].tolist() == [2, 0]

    units.drop(columns=[]).to_file(tmp_path / "u.gpkg", engine="pyogrio")
    v.to_file(tmp_path / "v.gpkg", engine="pyogrio")
    toml = tmp_path / "a.toml"
    toml.write_text('[units]\npath = "u.gpkg"\nlevels = { district = "district_name", '
                    'commune = "commune_name" }\ncodes = { district = "district_code", '
                    'commune = "commune_code" }\n[villages]\npath = "v.gpkg"\n'
                    '[model]\nvillage_tolerance_m = 3100\n', encoding="utf-8")
    assert geocov.run_analysis(toml).table("commune")["villages"].tolist() == [2, 0]
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["report", "--analysis", str(toml), "--level", "commune",
                                    "--village-tolerance-m", "0", "-o", str(out / "r.xlsx")])
    assert res.exit_code == 1, res.output
    assert "village b" in res.output and "--village-tolerance-m" in res.output, res.output
