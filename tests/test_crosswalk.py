"""The 2025 reform crosswalk and re-aggregation, on units every figure of which is checked by hand.

Old units (pre-2025: province "10" Lào Cai, districts Sa Pa and Bát Xát), 1 km squares
in UTM 48N near the zone's central meridian (km from x0, y0)::

    y 1..2   d "Xã D" (0..2)
    y 0..1   a "Xã A" (0..1) | b "Xã B" (1..2) | c "Xã C" (2..4, district Bát Xát)

New units (2025: province "15" Lào Cai)::

    y 1..2   W "Xã D" (0..2, "giữ nguyên")
    y 0..1   X (0..2: a + b merged) | Y (2..3) | Z (3..4): c split, its remainder in Z

Villages (people): a1 (0.5, 0.5) 100, a2 (0.9, 0.9) 100; b1 (1.5, 0.5) 200, b2 (1.9, 0.1)
200, b3 (1.1, 0.9) 200; c1 (2.2, 0.5), c2 (2.5, 0.5), c3 (2.8, 0.5) 100 each (in Y), c4
(3.5, 0.5) 300 (in Z); d1 (1.0, 1.5) 50.

Stations: s1 4G at a1, 400 m (covers a1 only: a2 is 566 m away; touches only a); s2 4G at
c4, 300 m (covers c4; touches only the Z half of c); s3 2G at b1, 450 m (covers b1 only).
Fiber: a node at c4, reach 100 m (c has fiber, and c4).
"""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import Point, box

import geocov
from geocov.crosswalk import (
    PARTIAL_PCT,
    ReaggregatedResult,
    crosswalk,
    detect_units_vintage,
    read_merges,
    reaggregate,
    units_vintage,
)
from geocov.errors import DataQualityWarning, SchemaError

X0, Y0, KM = 500_000.0, 2_400_000.0, 1000.0
CRS = "EPSG:32648"


def kbox(x0, y0, x1, y1):
    return box(X0 + x0 * KM, Y0 + y0 * KM, X0 + x1 * KM, Y0 + y1 * KM)


def kpt(x, y):
    return Point(X0 + x * KM, Y0 + y * KM)


def old_units() -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame(
        {
            "province_code": ["10"] * 4,
            "province_name": ["Tỉnh Lào Cai"] * 4,
            "district_code": ["D1", "D1", "D2", "D1"],
            "district_name": ["Huyện Sa Pa", "Huyện Sa Pa", "Huyện Bát Xát", "Huyện Sa Pa"],
            "commune_code": ["a", "b", "c", "d"],
            "commune_name": ["Xã A", "Xã B", "Xã C", "Xã D"],
        },
        geometry=[kbox(0, 0, 1, 1), kbox(1, 0, 2, 1), kbox(2, 0, 4, 1), kbox(0, 1, 2, 2)],
        crs=CRS,
    )
    levels = ("province", "district", "commune")
    return geocov.read_units(frame, levels=list(levels), codes={lv: f"{lv}_code" for lv in levels})


def new_units(names=("Xã X", "Xã Y", "Xã Z", "Xã D")) -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame(
        {
            "province_code": ["15"] * 4,
            "province_name": ["Tỉnh Lào Cai"] * 4,
            "commune_code": ["X", "Y", "Z", "W"],
            "commune_name": list(names),
        },
        geometry=[kbox(0, 0, 2, 1), kbox(2, 0, 3, 1), kbox(3, 0, 4, 1), kbox(0, 1, 2, 2)],
        crs=CRS,
    )
    return geocov.read_units(frame, levels=["province", "commune"],
                             codes={"province": "province_code", "commune": "commune_code"})


def merges() -> pd.DataFrame:
    return pd.DataFrame({
        "code": ["X", "Y", "Z", "W"],
        "name": ["Xã X", "Xã Y", "Xã Z", "Xã D"],
        "sapnhap_a05_truocsn": ["Xã A, Xã B", "Xã C",
                                "Xã C (phần còn lại sau khi sáp nhập vào xã Y)", "giữ nguyên"],
    })


VILLAGES = {  # code: (x km, y km, unit, people)
    "a1": (0.5, 0.5, "a", 100), "a2": (0.9, 0.9, "a", 100),
    "b1": (1.5, 0.5, "b", 200), "b2": (1.9, 0.1, "b", 200), "b3": (1.1, 0.9, "b", 200),
    "c1": (2.2, 0.5, "c", 100), "c2": (2.5, 0.5, "c", 100), "c3": (2.8, 0.5, "c", 100),
    "c4": (3.5, 0.5, "c", 300),
    "d1": (1.0, 1.5, "d", 50),
}


def villages_frame() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"village_code": list(VILLAGES), "unit_code": [v[2] for v in VILLAGES.values()],
         "population": [float(v[3]) for v in VILLAGES.values()]},
        geometry=[kpt(v[0], v[1]) for v in VILLAGES.values()], crs=CRS)


def stations_frame() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"station_id": ["s1", "s2", "s3"], "technology": ["4G", "4G", "2G"],
         "operator": ["VNPT", "Viettel", "VNPT"], "range_m": [400.0, 300.0, 450.0]},
        geometry=[kpt(0.5, 0.5), kpt(3.5, 0.5), kpt(1.5, 0.5)], crs=CRS)


@pytest.fixture(scope="module")
def old_result():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", geocov.GeocovWarning)
        fiber = geocov.read_fiber(gpd.GeoDataFrame(geometry=[kpt(3.5, 0.5)], crs=CRS),
                                  reach_m=100)
        return geocov.coverage(old_units(), villages=geocov.read_villages(villages_frame()),
                               stations=geocov.read_stations(stations_frame()), fiber=fiber,
                               resolution_m=10)


def by_code(table: pd.DataFrame, level: str = "commune") -> pd.DataFrame:
    return table.set_index(f"{level}_code")


# --------------------------------------------------------------------------- merge lists
def test_read_merges_wide_list_unchanged_remainder_and_hints():
    m = read_merges(merges())
    assert m[["new_code", "old_name", "part"]].values.tolist() == [
        ["X", "Xã A", "whole"], ["X", "Xã B", "whole"], ["Y", "Xã C", "whole"],
        ["Z", "Xã C", "remainder"], ["W", "Xã D", "whole"]]
    hinted = read_merges(pd.DataFrame({"ma_xa_moi": ["02761"], "truoc_sap_nhap": [
        "Thị trấn Mường Khương, Xã Thanh Bình (huyện Mường Khương); Xã Nấm Lư"]}))
    assert hinted["old_name"].tolist() == ["Thị trấn Mường Khương", "Xã Thanh Bình", "Xã Nấm Lư"]
    assert hinted["old_hint"].tolist()[1] == "huyện Mường Khương"
    assert hinted["source_row"].tolist() == [1, 1, 1]


def test_read_merges_long_layout():
    m = read_merges(pd.DataFrame({"new_code": ["X", "X"], "ma_xa_cu": ["a", 7.0],
                                  "ten_xa_cu": ["Xã A", "Xã Bảy"]}))
    assert m[["new_code", "old_code", "old_name"]].values.tolist() == [
        ["X", "a", "Xã A"], ["X", "7", "Xã Bảy"]]


def test_read_merges_missing_new_code_strict_and_lenient(tmp_path):
    p = tmp_path / "merges.csv"
    p.write_text("code,truoc_sap_nhap\nX,\"Xã A, Xã B\"\n,Xã C\n", encoding="utf-8")
    with pytest.raises(SchemaError, match=r"merges.csv: 1 row\(s\) in column 'code': the new "
                                          r"unit's code is missing: row 3"):
        read_merges(p)
    rejects = geocov.RejectsReport()
    m = read_merges(p, rejects=rejects)
    assert m["old_name"].tolist() == ["Xã A", "Xã B"]
    assert rejects.to_frame()["row"].tolist() == [3]
    assert rejects.summary()["rows_read"].sum() == 2


def test_read_merges_refuses_a_table_that_is_not_a_merge_list():
    with pytest.raises(SchemaError, match=r"not a merge list: .* Columns present: \['code', "
                                          r"'name'\]"):
        read_merges(pd.DataFrame({"code": ["X"], "name": ["Xã X"]}))


# --------------------------------------------------------------------------- crosswalk
def test_crosswalk_merge_list_names_merges_and_the_split():
    xw = crosswalk(old_units(), new_units(), code_list=merges())
    got = xw.set_index(["old_code", "new_code"])
    assert sorted(got.index) == [("a", "X"), ("b", "X"), ("c", "Y"), ("c", "Z"), ("d", "W")]
    assert got.loc[("a", "X"), "share"] == 1.0 and got.loc[("d", "W"), "share"] == 1.0
    assert got.loc[("c", "Y"), "share"] == pytest.approx(0.5, abs=1e-4)  # 1 of its 2 km²
    assert got.loc[("c", "Z"), "share"] == pytest.approx(0.5, abs=1e-4)
    assert (xw["source"] == "code_list").all()
    assert xw.groupby("old_code")["split"].all().to_dict() == {
        "a": False, "b": False, "c": True, "d": False}
    assert not xw["ambiguous"].any() and xw["agrees"].all()
    assert got.loc[("c", "Z"), "part"] == "remainder"
    assert got.loc[("c", "Z"), "note"] == "listed as remainder"
    assert xw.groupby("old_code")["share"].sum().round(9).eq(1).all()
    assert xw.attrs["summary"].startswith("4 old units -> 4 new units: 4 named by the merge list")


def test_crosswalk_overlay_alone_flags_the_split_as_ambiguous():
    with pytest.warns(DataQualityWarning, match=r"1 old communes split across new ones by the "
                      r"geometry alone .* Xã C \(c\) -> (Y 50%, Z 50%|Z 50%, Y 50%)"):
        xw = crosswalk(old_units(), new_units())
    c = xw[xw["old_code"] == "c"]
    assert c["ambiguous"].all() and (c["source"] == "overlay").all()
    assert c["agrees"].isna().all()
    assert xw.loc[xw["old_code"] == "a", "new_code"].tolist() == ["X"]


def test_crosswalk_ignores_slivers_of_generalised_boundaries():
    """Old units shifted by 60 m (6 % of a 1 km commune) still go whole to one new unit."""
    old = old_units()
    old["geometry"] = old.geometry.translate(60.0, 0.0)
    xw = crosswalk(old, new_units(), code_list=merges())
    assert xw.set_index("old_code").loc[["a", "b", "d"], "share"].tolist() == [1.0, 1.0, 1.0]
    with pytest.warns(DataQualityWarning, match="split across new ones by the geometry alone"):
        fine = crosswalk(old, new_units(), sliver_pct=1.0)
    assert fine.loc[fine["old_code"] == "a", "new_code"].tolist() == ["X"]  # wholly in X
    assert fine.loc[fine["old_code"] == "b", "new_code"].tolist() == ["X", "Y"]  # 94 % / 6 %


def test_crosswalk_follows_the_list_and_reports_disagreement():
    """a drawn 300 m too far north: 70 % of it in X, 30 % in W; the list puts it in W."""
    old = old_units()
    old.loc[0, "geometry"] = kbox(0, 0.3, 1, 1.3)
    m = merges().assign(sapnhap_a05_truocsn=["Xã B", "Xã C", "Xã C (phần còn lại)",
                                             "Xã D, Xã A"])
    with pytest.warns(DataQualityWarning, match=r"1 old communes named by the merge list in a "
                                                r"new unit that does not hold their largest "
                                                r"piece .*: Xã A \(a\) in W"):
        xw = crosswalk(old, new_units(), code_list=m)
    a = xw[xw["old_code"] == "a"]
    assert a[["new_code", "share", "source"]].values.tolist() == [["W", 1.0, "code_list"]]
    assert a["agrees"].tolist() == [False]
    assert a["overlay_share"].iloc[0] == pytest.approx(0.3, abs=1e-3)
    assert a["note"].iloc[0] == "the overlay puts its largest piece elsewhere"


def test_crosswalk_listed_where_the_geometry_never_goes_is_reported():
    """The list names d in Y, which d does not touch: reported, the overlay places d."""
    m = merges().assign(sapnhap_a05_truocsn=["Xã A, Xã B", "Xã C, Xã D",
                                             "Xã C (phần còn lại)", "Xã Khác"])
    with pytest.warns(DataQualityWarning, match=r"2 name\(s\) in the merge list match no old "
                                                r"unit.*Xã D \(in Y, no old unit\); Xã Khác"):
        xw = crosswalk(old_units(), new_units(), code_list=m)
    d = xw[xw["old_code"] == "d"]
    assert d[["new_code", "source"]].values.tolist() == [["W", "overlay"]]


def test_crosswalk_matches_names_without_diacritics_types_and_by_hint():
    """Exact names before folded ones (Nậm Chảy is not Nậm Chày); a bracket names the
    district; a name matching nothing is reported."""
    old = old_units()
    old["commune_name"] = ["Nậm Chảy", "Nậm Chày", "Thanh Bình", "Thanh Bình"]
    old["geometry"] = [kbox(0, 0, 1, 1), kbox(1, 0, 2, 1), kbox(2, 0, 4, 1), kbox(0, 1, 2, 2)]
    new = new_units()
    new["geometry"] = [kbox(0, 0, 4, 2), kbox(5, 0, 6, 1), kbox(6, 0, 7, 1), kbox(7, 0, 8, 1)]
    m = pd.DataFrame({"code": ["X"], "truoc_sap_nhap": [
        "Xã Nậm Chày, xa nam chay, Xã Thanh Bình (huyện Bát Xát), Thị trấn Thanh Bình "
        "(huyện Sa Pa), Xã Không Có"]})
    with pytest.warns(DataQualityWarning, match=r"2 name\(s\) in the merge list match no old "
                                                r"unit, or several.*: xa nam chay \(in X, "
                                                r"several old units\); Xã Không Có \(in X, no "
                                                r"old unit\)"):
        xw = crosswalk(old, new, code_list=m)
    assert (xw["new_code"] == "X").all()
    assert xw.set_index("old_code")["source"].to_dict() == {
        "a": "overlay", "b": "code_list", "c": "code_list", "d": "code_list"}
    unmatched = xw.attrs["unmatched_listed"]
    assert unmatched["old_name"].tolist() == ["xa nam chay", "Xã Không Có"]
    assert unmatched["candidates"].tolist() == ["a, b", ""]


def test_crosswalk_reports_a_name_matching_several_old_units():
    old = old_units()
    old["commune_name"] = ["Xã A", "Xã A", "Xã C", "Xã D"]  # two "Xã A" in district Sa Pa
    m = merges().assign(sapnhap_a05_truocsn=["Xã A", "Xã C", "Xã C (phần còn lại)",
                                             "giữ nguyên"])
    with pytest.warns(DataQualityWarning, match=r"Xã A \(in X, several old units\)"):
        xw = crosswalk(old, new_units(), code_list=m)
    assert xw.attrs["unmatched_listed"]["candidates"].tolist() == ["a, b"]
    assert xw.set_index("old_code").loc[["a", "b"], "source"].tolist() == ["overlay", "overlay"]


def _raster(path, people_by_km):
    """A 500 m GeoTIFF over y 0..1 km, x 0..4 km: people per pixel by the km column."""
    import rasterio
    from rasterio.transform import from_origin

    data = np.zeros((2, 8), dtype="float32")
    for col in range(8):
        data[:, col] = people_by_km[col // 2] / 4.0
    with rasterio.open(path, "w", driver="GTiff", width=8, height=2, count=1, dtype="float32",
                       crs=CRS, transform=from_origin(X0, Y0 + KM, 500, 500)) as dst:
        dst.write(data, 1)
    return path


def test_crosswalk_population_and_village_shares(tmp_path):
    """c's people: 300 in its Y half, 100 in its Z half; its villages: three in Y, one in Z
    (people 300 and 300)."""
    raster = _raster(tmp_path / "pop.tif", [0, 0, 300, 100])
    xw = crosswalk(old_units(), new_units(), code_list=merges(), how="population",
                   population=raster, villages=villages_frame())
    c = xw[xw["old_code"] == "c"].set_index("new_code")
    assert c.loc["Y", "population_share"] == pytest.approx(0.75, abs=1e-6)
    assert c.loc["Z", "population_share"] == pytest.approx(0.25, abs=1e-6)
    assert c.loc["Y", "villages_share"] == pytest.approx(0.5)  # 300 people of 600
    assert (c["share"] == c["population_share"]).all()
    whole = xw[xw["old_code"] != "c"]
    assert (whole[["share", "population_share", "villages_share"]] == 1.0).all().all()
    counted = crosswalk(old_units(), new_units(), code_list=merges(), how="villages",
                        villages=villages_frame().assign(population=np.nan))
    cv = counted[counted["old_code"] == "c"].set_index("new_code")["share"]
    assert cv.to_dict() == {"Y": 0.75, "Z": 0.25}  # no people: villages counted


def test_crosswalk_options_checked():
    with pytest.raises(SchemaError, match=r"how='people' is not valid; use one of 'area', "
                                          r"'population', 'villages'"):
        crosswalk(old_units(), new_units(), how="people")
    with pytest.raises(SchemaError, match=r"how='population' needs population shares: "
                                          r"pass population='<raster.tif>'"):
        crosswalk(old_units(), new_units(), how="population")
    with pytest.raises(SchemaError, match="sliver_pct must be a percentage"):
        crosswalk(old_units(), new_units(), sliver_pct=60)
    with pytest.raises(SchemaError, match="old_units must be a GeoDataFrame"):
        crosswalk(pd.DataFrame(), new_units())


@settings(max_examples=25, deadline=None)
@given(cuts=st.lists(st.floats(0.05, 3.95), min_size=1, max_size=4, unique=True),
       shift=st.floats(-300, 300))
def test_crosswalk_shares_sum_to_one_whatever_the_new_units(cuts, shift):
    """Every old unit's shares lie in [0, 1] and sum to 1 (totals are kept)."""
    edges = sorted({0.0, 4.0, *cuts})
    new = gpd.GeoDataFrame(
        {"commune_code": [f"N{i}" for i in range(len(edges) - 1)],
         "commune_name": [f"N{i}" for i in range(len(edges) - 1)]},
        geometry=[kbox(x0, -1, x1, 3).buffer(0) for x0, x1 in zip(edges, edges[1:], strict=False)],
        crs=CRS)
    new["geometry"] = new.geometry.translate(shift, 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        xw = crosswalk(old_units(), new)
    placed = xw[xw["new_code"].notna()]
    assert placed["share"].between(0, 1).all()
    np.testing.assert_allclose(placed.groupby("old_code")["share"].sum(), 1.0)


# --------------------------------------------------------------------------- vintage
def test_units_vintage_from_evidence_or_the_user():
    assert detect_units_vintage(old_units()) == (
        "pre-2025 (63 provinces)",
        "province code and name of before the reform: 10 Tỉnh Lào Cai; a district level "
        "(Vietnam has no districts since 1 July 2025)")
    assert units_vintage(new_units()) == "2025 (34 provinces)"
    neutral = new_units().assign(province_code="P")
    neutral.attrs.pop("geocov_units_vintage")  # read_units detected it from the codes
    # Lào Cai exists in both: only the levels say 2025, and the evidence says so
    assert detect_units_vintage(neutral) == ("2025 (34 provinces)",
                                             "two levels (province, commune) and no district")
    assert units_vintage(neutral[["province_code", "province_name", "geometry"]]) is None
    assert units_vintage(neutral, "pre-2025") == "pre-2025 (63 provinces)"
    neutral.attrs["geocov_units_vintage"] = "2025 (34 provinces)"
    assert units_vintage(neutral) == "2025 (34 provinces)"
    gone = new_units().assign(province_name="Hà Giang", province_code="H")
    assert units_vintage(gone) == "pre-2025 (63 provinces)"
    mixed = old_units().assign(province_code="15")  # "15" Lào Cai is 2025, districts are not
    assert detect_units_vintage(mixed)[0] is None
    assert detect_units_vintage(mixed)[1].startswith("conflicting evidence")


# --------------------------------------------------------------------------- reaggregate
def test_reaggregate_moves_numerators_and_denominators_by_hand(old_result):
    r = reaggregate(old_result, new_units(), code_list=merges())
    assert isinstance(r, ReaggregatedResult)
    assert r.levels == ("province", "commune", "total")
    t = by_code(r.table("commune"))
    # X = a + b: villages 2 + 3, 4G in 1 + 0: 20 % (the average of 50 % and 0 % is 25 %)
    assert t.loc["X", "villages"] == 5 and t.loc["X", "villages_covered_4g"] == 1
    assert t.loc["X", "villages_pct_4g"] == pytest.approx(20.0)
    assert t.loc["X", "villages_covered_any"] == 2  # a1 (4G) and b1 (2G)
    assert t.loc["X", "population"] == 800 and t.loc["X", "population_covered_4g"] == 100
    assert t.loc["X", "stations_4g"] == 1 and t.loc["X", "stations_2g"] == 1
    # c is split: its villages and stations go where their points lie
    assert (t.loc["Y", "villages"], t.loc["Z", "villages"]) == (3, 1)
    assert (t.loc["Y", "villages_covered_4g"], t.loc["Z", "villages_covered_4g"]) == (0, 1)
    assert (t.loc["Y", "population"], t.loc["Z", "population"]) == (300, 300)  # villages' people
    assert (t.loc["Y", "stations_4g"], t.loc["Z", "stations_4g"]) == (0, 1)
    # "has 4G": s2's footprint touches only the Z half of c
    assert t["communes_with_4g"].to_dict() == {"X": 1, "Y": 0, "Z": 1, "W": 0}
    assert t["communes_with_signal"].to_dict() == {"X": 1, "Y": 0, "Z": 1, "W": 0}
    assert t["communes"].tolist() == [1, 1, 1, 1]
    # areas by area shares: c's covered area is shared evenly between its halves
    old = by_code(old_result.table("commune"))
    ab = old.loc["a", "area_km2"] + old.loc["b", "area_km2"]
    assert t.loc["X", "area_km2"] == pytest.approx(ab)
    for code in "YZ":
        assert t.loc[code, "covered_area_km2_4g"] == pytest.approx(
            old.loc["c", "covered_area_km2_4g"] / 2, rel=1e-3)
    assert t.loc["X", "area_pct_4g"] == pytest.approx(
        100 * old.loc["a", "covered_area_km2_4g"] / t.loc["X", "area_km2"])


def test_reaggregate_fiber_not_assessable_where_only_a_split_unit_carries_it(old_result):
    r = reaggregate(old_result, new_units(), code_list=merges())
    t = by_code(r.table("commune"))
    assert t.loc["Z", "communes_with_fiber"] == 1  # c4 has fiber and the node lies in Z
    assert pd.isna(t.loc["Y", "communes_with_fiber"])  # c has fiber, but not in its Y half
    assert t.loc["X", "communes_with_fiber"] == 0
    assert (t.loc["Z", "villages_fiber"], t.loc["Y", "villages_fiber"]) == (1, 0)
    # a parent of a unit that cannot be assessed cannot be either (not a sum over a part)
    assert pd.isna(r.table("province")["communes_with_fiber"].iloc[0])
    assert pd.isna(r.table("total")["communes_with_fiber"].iloc[0])
    assert "fiber in" not in r.summary()


def test_reaggregate_keeps_every_total(old_result):
    r = reaggregate(old_result, new_units(), code_list=merges())
    before, after = old_result.table("total").iloc[0], r.table("total").iloc[0]
    moved = [c for c in before.index if c.startswith(("area_km2", "covered_", "villages",
                                                      "population", "stations_"))
             and c != "population_source"]
    for col in moved:
        assert after[col] == pytest.approx(before[col], rel=1e-9, nan_ok=True), col
    assert after["communes"] == 4 and before["communes"] == 4


@settings(max_examples=15, deadline=None)
@given(cuts=st.lists(st.floats(0.1, 3.9), min_size=1, max_size=3, unique=True))
def test_reaggregate_keeps_totals_whatever_the_cut(old_result, cuts):
    """New units cut anywhere across the old ones: every total is kept, every percentage
    lies in 0-100, and none is the average of its units' percentages."""
    edges = sorted({0.0, 4.0, *cuts})
    new = gpd.GeoDataFrame(
        {"province_code": "15", "province_name": "Lào Cai",
         "commune_code": [f"N{i}" for i in range(len(edges) - 1)],
         "commune_name": [f"N{i}" for i in range(len(edges) - 1)]},
        geometry=[kbox(x0, 0, x1, 2) for x0, x1 in zip(edges, edges[1:], strict=False)],
        crs=CRS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        r = reaggregate(old_result, new, sliver_pct=0.0)
    before, after = old_result.table("total").iloc[0], r.table("total").iloc[0]
    for col in ("area_km2", "covered_area_km2_4g", "villages", "villages_covered_any",
                "population", "population_covered_4g", "stations_any", "villages_fiber"):
        assert after[col] == pytest.approx(before[col], rel=1e-9), col
    t = r.table("commune")
    pct = t[[c for c in t.columns if "_pct" in c]].to_numpy(dtype=float)
    assert np.all((pct[~np.isnan(pct)] >= 0) & (pct[~np.isnan(pct)] <= 100 + 1e-9))
    assert after["villages_pct_4g"] == pytest.approx(
        100 * after["villages_covered_4g"] / after["villages"])


def test_reaggregate_operator_tables_move_per_operator(old_result):
    r = reaggregate(old_result, new_units(), code_list=merges())
    ops = r.operator_table("commune").set_index(["commune_code", "operator"])
    assert ops.loc[("Z", "Viettel"), "villages_covered_4g"] == 1
    assert ops.loc[("Z", "VNPT"), "villages_covered_4g"] == 0
    assert ops.loc[("X", "VNPT"), "villages_covered_any"] == 2
    assert ops.loc[("Z", "Viettel"), "communes_with_4g"] == 1
    assert ops.loc[("Y", "Viettel"), "communes_with_4g"] == 0


def test_reaggregate_states_the_vintage_and_what_was_done(old_result):
    r = reaggregate(old_result, new_units(), code_list=merges())
    meta = r.metadata
    assert meta["units_vintage"] == "2025 (34 provinces)"
    assert meta["reaggregated_from"] == "pre-2025 (63 provinces)"
    assert meta["title"] == "Coverage (2025 (34 provinces) units)"
    assert meta["model"].startswith(
        "Units: communes after the 1 July 2025 reform (34 provinces, 3,321 communes), "
        "re-aggregated from the result on pre-2025 (63 provinces) units (not computed afresh). "
        "3 of 4 old communes went whole to one new commune")
    assert "Computing afresh on the new units is exact for every figure" in meta["model"]
    # the old units' sentence is not carried over: one "Units:" in the note
    assert meta["model"].count("Units:") == 1
    assert "Units: communes before" in old_result.metadata["model"]
    assert r.summary().endswith(
        "Units: communes after the 1 July 2025 reform (34 provinces, 3,321 communes), "
        "re-aggregated from pre-2025 (63 provinces) units by area shares.")
    assert r.villages.set_index("village_code")["unit_code"].to_dict() == {
        "a1": "X", "a2": "X", "b1": "X", "b2": "X", "b3": "X", "c1": "Y", "c2": "Y",
        "c3": "Y", "c4": "Z", "d1": "W"}


def test_reaggregated_summary_in_vietnamese(old_result):
    r = reaggregate(old_result, new_units(), code_list=merges(), how="villages")
    # CoverageResult.summary("vi") of the moved figures, then the units, in Vietnamese
    assert r.summary("vi") == (
        "Có sóng di động ở 2/4 xã; 4G phủ 2/10 thôn (20,0%); cáp quang đến 1/10 thôn (10,0%); "
        "4G phủ 27,6% dân số trong tổng số 1.450 người (villages:population); 4G phủ 13,1% "
        "diện tích trong tổng số 6,0 km²; 3 trạm BTS trong vùng (1 2G, 2 4G). Đơn vị hành "
        "chính: xã sau sắp xếp ngày 1/7/2025 (34 tỉnh, thành phố; 3.321 xã, phường), tính "
        "chuyển từ đơn vị trước 2025 (63 tỉnh) theo tỷ lệ thôn.")
    assert r.summary("en").endswith("by villages' shares.")


def test_reaggregate_population_shares_from_a_raster(tmp_path):
    raster = _raster(tmp_path / "pop.tif", [100, 100, 300, 100])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", geocov.GeocovWarning)
        res = geocov.coverage(old_units(), stations=geocov.read_stations(stations_frame()),
                              population=str(raster), resolution_m=50)
    r = reaggregate(res, new_units(), how="population", code_list=merges(), population=raster)
    t = by_code(r.table("commune"))
    assert t.loc["Y", "population"] == pytest.approx(300, rel=1e-4)
    assert t.loc["Z", "population"] == pytest.approx(100, rel=1e-4)
    by_area = by_code(reaggregate(res, new_units(), code_list=merges()).table("commune"))
    assert by_area.loc["Y", "population"] == pytest.approx(200, rel=1e-4)


def test_reaggregate_refuses_what_it_cannot_do(old_result):
    with pytest.raises(SchemaError, match="reaggregate needs a geocov.CoverageResult"):
        reaggregate(old_result.table("commune"), new_units())
    xw = crosswalk(old_units(), new_units(), code_list=merges())
    with pytest.raises(SchemaError, match=r"how='population' but the crosswalk has no "
                                          r"population_share for its split units"):
        reaggregate(old_result, new_units(), how="population", crosswalk=xw)
    with pytest.raises(SchemaError, match=r"the crosswalk does not place 1 unit\(s\) of the "
                                          r"result: \['d'\]"):
        reaggregate(old_result, new_units(), crosswalk=xw[xw["old_code"] != "d"])


def test_reaggregate_warns_about_old_units_in_no_new_unit(old_result):
    new = new_units()
    new = new[new["commune_code"] != "W"]
    with pytest.warns(DataQualityWarning) as record:
        r = reaggregate(old_result, new, code_list=merges().iloc[:3])
    texts = [str(w.message) for w in record]
    assert any("1 old communes lie in no new unit" in t for t in texts)
    assert any(t.startswith("1 communes of the result lie in no new unit and are left out "
                            "(2.0 km², 1 villages, 50 people): d") for t in texts)
    assert r.table("total")["villages"].iloc[0] == 9


@pytest.mark.parametrize("call", ["function", "method"])
def test_reaggregate_warnings_point_at_the_callers_line(old_result, call):
    """Every warning of reaggregate (its own, and those of the crosswalk it makes) names
    this file, whether called as geocov.reaggregate or as result.reaggregate."""
    new = new_units()
    new = new[new["commune_code"] != "W"]
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        if call == "function":
            reaggregate(old_result, new, code_list=merges().iloc[:3])
        else:
            old_result.reaggregate(new, code_list=merges().iloc[:3])
    assert len(record) >= 2
    assert {w.filename for w in record} == {__file__}
    assert all(issubclass(w.category, DataQualityWarning) for w in record)


def test_partial_units_threshold_is_documented():
    assert 50 < PARTIAL_PCT <= 100


# --------------------------------------------------------------------------- real data
@pytest.mark.realdata
def test_lao_cai_pre2025_to_2025_list_against_overlay(shared_data):
    """GADM's 164 Lào Cai communes (2009-era) -> the 2025 communes, by the sapnhap
    merge list where it names them and by the overlay elsewhere; province totals kept."""
    b = shared_data / "boundaries"
    gadm = gpd.read_file(b / "vn_communes_gadm41_L3_simplified.gpkg")
    old = geocov.read_units(gadm[gadm["NAME_1"] == "LàoCai"])
    file_2025 = b / "vn_communes_2025_5prov_sapnhap.gpkg"
    new = geocov.read_units(file_2025, layer="communes_2025",
                            levels={"province": "sapnhap_a04_tentinh", "commune": "name"},
                            codes={"province": "province_code", "commune": "code"})
    assert units_vintage(old) == "pre-2025 (63 provinces)"
    assert units_vintage(new) == "2025 (34 provinces)"
    code_list = read_merges(file_2025, layer="communes_2025")
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        xw = crosswalk(old, new, code_list=code_list)
    texts = [str(w.message) for w in record]
    per_old = xw.drop_duplicates("old_code")
    listed = per_old[per_old["source"] == "code_list"]
    # most old communes are named by the list, and the overlay agrees for nearly all
    assert len(per_old) == 164 and len(listed) >= 130
    assert listed["agrees"].mean() > 0.97
    # those the list does not name are the 2009-era communes merged or renamed before 2025
    assert (per_old["source"] == "overlay").sum() == 164 - len(listed)
    assert set(xw["new_code"].str[:2]) == {"02", "03"}  # all in 2025 Lào Cai (15)
    assert any("match no old unit" in t for t in texts)
    assert xw.attrs["summary"].startswith("164 old units -> ")

    rng = np.random.default_rng(7)
    u = old.to_crs(32648)
    pts = u.sample_points(size=6, rng=rng).explode(index_parts=False)
    vil = gpd.GeoDataFrame({"code": [f"v{i}" for i in range(len(pts))],
                            "ma_xa": u["commune_code"].loc[pts.index].to_numpy(),
                            "dan_so": rng.integers(100, 900, len(pts)).astype(float)},
                           geometry=pts.to_numpy(), crs=32648)
    sp = u.sample_points(size=2, rng=rng).explode(index_parts=False)
    sta = gpd.GeoDataFrame({"id": [f"s{i}" for i in range(len(sp))],
                            "tech": rng.choice(["2G", "3G", "4G"], len(sp))},
                           geometry=sp.to_numpy(), crs=32648)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", geocov.GeocovWarning)
        res = geocov.coverage(old, villages=geocov.read_villages(vil),
                              stations=geocov.read_stations(sta), resolution_m=200)
        moved = reaggregate(res, new, crosswalk=xw)
    before = res.table("total").iloc[0]
    after = moved.table("total").iloc[0]
    for col in ("area_km2", "covered_area_km2_4g", "villages", "villages_covered_4g",
                "population", "population_covered_any", "stations_any"):
        assert after[col] == pytest.approx(before[col], rel=1e-9), col
    province = moved.table("province")
    assert province["province_code"].tolist() == ["15"]
    assert province["villages"].iloc[0] == before["villages"]


def test_a_reaggregated_result_is_written_mapped_and_reconciled(old_result, tmp_path):
    """Reports, maps and reconciliation read it like any result; an empty (not assessable)
    figure stays empty in the workbook's key figures."""
    import openpyxl

    r = reaggregate(old_result, new_units(), code_list=merges())
    w = geocov.write_outputs(r, folder=tmp_path, formats=["xlsx"])
    first_sheet = openpyxl.load_workbook(w.tables[0]).worksheets[0]
    texts = [c for row in first_sheet.iter_rows(max_row=5, values_only=True) for c in row]
    assert "Coverage (2025 (34 provinces) units)" in texts
    assert geocov.coverage_map(r, level="commune") is not None
    rec = geocov.reconcile(r, pd.DataFrame({
        "unit": ["Tỉnh Lào Cai", "Xã Y"], "metric": ["thôn có 4G", "xã có cáp quang"],
        "value": ["2/10", "1/1"], "date": ["2020-12-31", "2025-12-31"]}))
    first, second = rec.table["reading"]
    assert "the report predates the 2025 reform but geocov's units are 2025 (34 provinces)" \
        in first
    assert second == ("Not compared: not assessable on these units: fiber of an old unit split "
                      "between new ones cannot be placed in its pieces (see geocov.reaggregate).")
