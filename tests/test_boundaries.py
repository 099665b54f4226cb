"""Tests of geocov.boundaries: reading admin units, hierarchy checks, topology report.

Fixtures are grids of 1 km square communes in UTM 48N (EPSG:32648) near the central
meridian, so every area is hand-checkable: a 1 km square in UTM is 1/0.9996² ≈ 1.0008 km²
on the ground (the UTM scale factor), which the equal-area areas must show.
"""

from __future__ import annotations

import unicodedata
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely import Point, Polygon, box

from geocov.boundaries import (
    PROBLEM_COLUMNS,
    read_units,
    unit_areas_km2,
    unit_levels,
    validate_units,
)
from geocov.errors import CRSError, SchemaError, TopologyError, TopologyWarning
from geocov.io import RejectsReport

X0, Y0 = 500_000.0, 2_400_000.0  # UTM 48N central meridian (105°E), about 21.7°N
KM = 1000.0
UTM_AREA = 1 / 0.9996**2  # ground km² of one UTM km² on the central meridian
LAO_CAI_ESC = "L\\u00e0o Cai"  # a literal backslash escape, as in the 2009 census layer
LEVELS3 = {"province": "tinh", "district": "huyen", "commune": "xa"}
CODES3 = {"province": "ma_tinh", "district": "ma_huyen", "commune": "ma_xa"}


def cell(col: int, row: int, size: float = KM) -> Polygon:
    return box(X0 + col * size, Y0 + row * size, X0 + (col + 1) * size, Y0 + (row + 1) * size)


def grid_frame() -> gpd.GeoDataFrame:
    """8 communes in a 4 x 2 grid: 2 provinces (columns 0-1, 2-3), 2 districts each (rows).

    Both provinces have a district called "Bảo Thắng" (row 0) and one called "Sa Pa" (row 1).
    Province codes are floats (10.0, 15.0) as GDAL reads numeric codes; commune 1 has a
    name padded with spaces and written in decomposed Unicode (NFD).
    """
    recs = []
    for col in range(4):
        for row in range(2):
            p = col // 2
            n = len(recs) + 1
            recs.append({
                "tinh": [LAO_CAI_ESC, "Yên Bái"][p],
                "ma_tinh": [10.0, 15.0][p],
                "huyen": ["Bảo Thắng", "Sa Pa"][row],
                "ma_huyen": f"{p}{row}",
                "xa": f"Xã {n}",
                "ma_xa": 100 + n,
                "dan_so": f"{n},5",  # Vietnamese decimal comma
                "geometry": cell(col, row),
            })
    recs[0]["xa"] = "  " + unicodedata.normalize("NFD", "Bản Cái") + " "
    return gpd.GeoDataFrame(recs, crs="EPSG:32648")


# --------------------------------------------------------------------------- read_units


def test_three_levels_with_codes() -> None:
    units = read_units(grid_frame(), levels=LEVELS3, codes=CODES3, population="dan_so")
    assert list(units.columns) == [
        "province_code", "province_name", "district_code", "district_name", "commune_code",
        "commune_name", "population", "geometry", "source_file", "source_row"]
    assert units.attrs["geocov_levels"] == ("province", "district", "commune")
    assert units["province_code"].tolist() == ["10"] * 4 + ["15"] * 4
    assert units["province_name"].tolist() == ["Lào Cai"] * 4 + ["Yên Bái"] * 4
    assert units["commune_code"].tolist() == [str(101 + i) for i in range(8)]
    assert units["population"].tolist() == [i + 1.5 for i in range(8)]
    assert units["source_row"].tolist() == list(range(1, 9))
    assert units.crs.to_epsg() == 32648
    assert units.geometry.equals(grid_frame().geometry)


def test_names_decoded_stripped_nfc() -> None:
    units = read_units(grid_frame(), levels=LEVELS3, codes=CODES3)
    assert units.loc[0, "commune_name"] == unicodedata.normalize("NFC", "Bản Cái")
    assert units.loc[0, "province_name"] == "Lào Cai"
    for col in ("province_name", "district_name", "commune_name"):
        assert all(unicodedata.is_normalized("NFC", v) for v in units[col])


def test_input_not_mutated() -> None:
    frame = grid_frame()
    before = frame.copy()
    read_units(frame, levels=LEVELS3, codes=CODES3)
    pd.testing.assert_frame_equal(frame, before)


def test_codes_made_from_name_path_keep_namesakes_apart() -> None:
    units = read_units(grid_frame(), levels=LEVELS3)
    assert units.loc[0, "district_code"] == "Lào Cai/Bảo Thắng"
    assert units.loc[4, "district_code"] == "Yên Bái/Bảo Thắng"
    assert units["district_code"].nunique() == 4
    assert units.loc[1, "commune_code"] == "Lào Cai/Sa Pa/Xã 2"


def test_code_made_under_a_given_parent_code() -> None:
    units = read_units(grid_frame(), levels=LEVELS3, codes={"province": "ma_tinh"})
    assert units.loc[0, "district_code"] == "10/Bảo Thắng"
    assert units["commune_code"].is_unique


def test_two_levels() -> None:
    units = read_units(grid_frame(), levels={"tinh_moi": "tinh", "xa": "xa"},
                       codes={"xa": "ma_xa"})
    assert units.attrs["geocov_levels"] == ("tinh_moi", "xa")
    assert units["tinh_moi_code"].tolist() == ["Lào Cai"] * 4 + ["Yên Bái"] * 4
    assert unit_levels(units) == ("tinh_moi", "xa")


def test_one_level() -> None:
    units = read_units(grid_frame(), levels={"commune": "xa"})
    assert unit_levels(units) == ("commune",)
    assert units["commune_code"].tolist() == units["commune_name"].tolist()


def test_detects_vietnamese_columns() -> None:
    units = read_units(grid_frame())  # tinh/huyen/xa with ma_tinh/ma_huyen/ma_xa
    assert units.attrs["geocov_levels"] == ("province", "district", "commune")
    assert units["province_code"].iloc[0] == "10"
    assert units["commune_code"].iloc[0] == "101"


def test_detects_english_columns_and_renames_by_sequence() -> None:
    frame = grid_frame().rename(columns={"tinh": "Province_Name", "huyen": "district",
                                         "ma_huyen": "district_id", "xa": "commune_name"})
    frame = frame.drop(columns=["ma_tinh", "ma_xa"])
    units = read_units(frame)
    assert units.attrs["geocov_levels"] == ("province", "district", "commune")
    assert units["district_code"].iloc[1] == "01"
    assert units["province_code"].iloc[0] == "Lào Cai"  # made from the name
    renamed = read_units(frame, levels=["state", "county", "ward"])
    assert renamed.attrs["geocov_levels"] == ("state", "county", "ward")
    with pytest.raises(SchemaError, match=r"names 2 level\(s\) but 3 were detected"):
        read_units(frame, levels=["state", "ward"])


def test_detects_gadm_layout() -> None:
    f = grid_frame()
    gadm = gpd.GeoDataFrame({
        "GID_1": "VNM.38_1", "NAME_1": "LàoCai", "GID_2": "VNM.38." + f["ma_huyen"] + "_1",
        "NAME_2": f["huyen"], "GID_3": "VNM.38." + f["ma_xa"].astype(str) + "_1",
        "NAME_3": f["xa"], "COUNTRY": "Vietnam"}, geometry=f.geometry)
    units = read_units(gadm)
    # issue 6: a GADM layer of Vietnam has real level names (was admin1..admin3)
    assert units.attrs["geocov_levels"] == ("province", "district", "commune")
    assert units["district_code"].nunique() == 4
    assert units["commune_code"].iloc[0] == "VNM.38.101_1"
    # another country keeps the neutral admin1..adminN
    other = read_units(gadm.assign(COUNTRY="Lao PDR"))
    assert other.attrs["geocov_levels"] == ("admin1", "admin2", "admin3")


def test_nothing_detected() -> None:
    frame = grid_frame()[["xa", "geometry"]].rename(columns={"xa": "label"})
    with pytest.raises(SchemaError, match=r"cannot tell which columns.*'label'.*Pass levels="):
        read_units(frame)


def test_bad_options() -> None:
    with pytest.raises(SchemaError, match=r"column\(s\) \['NAME_9'\] given in levels="):
        read_units(grid_frame(), levels={"province": "NAME_9"})
    with pytest.raises(SchemaError, match=r"unknown level\(s\) \['ward'\]; valid levels"):
        read_units(grid_frame(), levels=LEVELS3, codes={"ward": "ma_xa"})
    with pytest.raises(SchemaError, match=r"population column 'pop' does not exist"):
        read_units(grid_frame(), levels=LEVELS3, population="pop")
    with pytest.raises(SchemaError, match=r"not usable in column names"):
        read_units(grid_frame(), levels={"tỉnh mới": "tinh"})
    with pytest.raises(SchemaError, match=r"levels= is empty"):
        read_units(grid_frame(), levels={})
    with pytest.raises(SchemaError, match=r"layer= is only for files"):
        read_units(grid_frame(), layer="communes", levels=LEVELS3)
    with pytest.raises(SchemaError, match=r"levels= must be a mapping .* got the string 'tinh'"):
        read_units(grid_frame(), levels="tinh")
    with pytest.raises(SchemaError, match=r"needs geometry"):
        read_units(pd.DataFrame(grid_frame().drop(columns="geometry")), levels=LEVELS3)


def test_missing_crs() -> None:
    frame = grid_frame().set_crs(None, allow_override=True)
    with pytest.raises(CRSError, match=r"<GeoDataFrame> \(admin units\) has no CRS"):
        read_units(frame, levels=LEVELS3)
    units = read_units(grid_frame(), levels=LEVELS3).set_crs(None, allow_override=True)
    with pytest.raises(CRSError, match=r"units has no CRS"):
        unit_areas_km2(units)
    with pytest.raises(CRSError, match=r"units has no CRS"):
        validate_units(units)


def test_missing_name_strict_and_lenient() -> None:
    frame = grid_frame()
    frame.loc[2, "huyen"] = None
    frame.loc[5, "huyen"] = "   "
    with pytest.raises(SchemaError, match=r"2 row\(s\) in column 'huyen': the district name "
                                          r"is missing: row 3 \(nan\), row 6 \('   '\)"):
        read_units(frame, levels=LEVELS3, codes=CODES3)
    rej = RejectsReport()
    units = read_units(frame, levels=LEVELS3, codes=CODES3, rejects=rej)
    assert rej.to_frame()["row"].tolist() == [3, 6]
    assert len(units) == 6


def test_missing_code() -> None:
    frame = grid_frame()
    frame["ma_xa"] = frame["ma_xa"].astype(float)
    frame.loc[7, "ma_xa"] = np.nan
    with pytest.raises(SchemaError, match=r"column 'ma_xa': the commune code is missing: row 8"):
        read_units(frame, levels=LEVELS3, codes=CODES3)


def test_bad_population() -> None:
    frame = grid_frame()
    frame.loc[1, "dan_so"] = "about 300"
    frame.loc[2, "dan_so"] = ""  # unknown: kept as NaN
    with pytest.raises(SchemaError, match=r"population is not a number: row 2 \('about 300'\)"):
        read_units(frame, levels=LEVELS3, population="dan_so")
    frame.loc[1, "dan_so"] = "-5"
    with pytest.raises(SchemaError, match=r"population is negative: row 2 \('-5'\)"):
        read_units(frame, levels=LEVELS3, population="dan_so")
    frame.loc[1, "dan_so"] = "5"
    units = read_units(frame, levels=LEVELS3, population="dan_so")
    assert np.isnan(units.loc[2, "population"])


def test_null_empty_and_non_polygon_geometry() -> None:
    frame = grid_frame()
    frame.loc[1, "geometry"] = None
    frame.loc[3, "geometry"] = Polygon()
    # issue 6: the rows name their unit (code and name), not just the row number
    with pytest.raises(SchemaError, match=r"2 row\(s\) in column 'geometry': the geometry is "
                                          r"missing or empty: row 2 \('commune Lào Cai/Sa Pa/"
                                          r"Xã 2 \(Xã 2\)'\), row 4 \('commune Lào Cai/Sa Pa/"
                                          r"Xã 4 \(Xã 4\)'\)"):
        read_units(frame, levels=LEVELS3)
    frame = grid_frame()
    frame.loc[6, "geometry"] = Point(X0, Y0)
    with pytest.raises(SchemaError, match=r"not a \(Multi\)Polygon: row 7 \('Point for commune "
                                          r"Yên Bái/Bảo Thắng/Xã 7 \(Xã 7\)'\)"):
        read_units(frame, levels=LEVELS3)


def bowtie(col: int, row: int) -> Polygon:
    x, y = X0 + col * KM, Y0 + row * KM
    return Polygon([(x, y), (x + KM, y + KM), (x + KM, y), (x, y + KM)])


def test_invalid_bowtie_repaired_with_one_warning() -> None:
    frame = grid_frame()
    frame.loc[2, "geometry"] = bowtie(1, 0)
    frame.loc[5, "geometry"] = bowtie(2, 1)
    with pytest.warns(TopologyWarning, match=r"<GeoDataFrame>: repaired 2 invalid geometries "
                                             r"with shapely.make_valid .*row 3 \('Xã 3': "
                                             r"Self-intersection.*row 6 \('Xã 6'") as rec:
        units = read_units(frame, levels=LEVELS3)
    assert len(rec) == 1
    assert units.geometry.is_valid.all()
    assert set(units.geom_type) <= {"Polygon", "MultiPolygon"}
    # the two triangles of a bow-tie: half of the square
    assert units.geometry.area.iloc[2] == pytest.approx(0.5 * KM * KM)
    assert units.geometry.area.iloc[0] == pytest.approx(KM * KM)


def test_collapsed_geometry_is_a_bad_row() -> None:
    frame = grid_frame()
    x, y = X0, Y0
    frame.loc[0, "geometry"] = Polygon([(x, y), (x + 10, y), (x + 20, y), (x, y)])  # no area
    rej = RejectsReport()
    with pytest.warns(TopologyWarning, match=r"row 1 .*nothing polygonal left"):
        units = read_units(frame, levels=LEVELS3, rejects=rej)
    assert len(units) == 7
    assert rej.to_frame()["reason"].tolist() == ["the geometry has no area left after make_valid"]
    with (pytest.warns(TopologyWarning, match="repaired 1 invalid geometry"),
          pytest.raises(SchemaError, match=r"no area left after make_valid: row 1")):
        read_units(frame, levels=LEVELS3)


def test_duplicate_finest_codes() -> None:
    frame = grid_frame()
    frame.loc[5, "ma_xa"] = 102
    with pytest.raises(SchemaError, match=r"2 row\(s\) in column 'commune_code': duplicate "
                                          r"commune code in column 'ma_xa': row 2 \('102'\), "
                                          r"row 6 \('102'\).*Levels used: province ← 'tinh' \(code "
                                          r"'ma_tinh'\), district ← 'huyen'"):
        read_units(frame, levels=LEVELS3, codes=CODES3)
    rej = RejectsReport()
    units = read_units(frame, levels=LEVELS3, codes=CODES3, rejects=rej)
    assert len(units) == 6
    assert rej.to_frame()["row"].tolist() == [2, 6]


def test_duplicate_name_path() -> None:
    frame = grid_frame()
    frame.loc[0, "xa"] = "Xã 1"
    frame.loc[2, "xa"] = "Xã 1"  # same district and province as row 1
    with pytest.raises(SchemaError, match=r"made from the name path.*row 1 \('Lào Cai/Bảo "
                                          r"Thắng/Xã 1'\), row 3"):
        read_units(frame, levels=LEVELS3)


def test_inconsistent_parent() -> None:
    frame = grid_frame()
    frame.loc[4, "ma_huyen"] = "00"  # district 00 of province 10 appears under 15
    with pytest.raises(TopologyError, match=r"column 'district_code': the same district code has "
                                            r"a different name or parent province.*row 1 \('00 "
                                            r"named Bảo Thắng under 10 \(Lào Cai\)'\).*row 5 "
                                            r"\('00 named Bảo Thắng under 15 \(Yên Bái\)'\)"):
        read_units(frame, levels=LEVELS3, codes=CODES3)
    rej = RejectsReport()
    units = read_units(frame, levels=LEVELS3, codes=CODES3, rejects=rej)
    assert rej.to_frame()["row"].tolist() == [1, 3, 5]
    assert len(units) == 5


def test_inconsistent_name_for_a_code() -> None:
    frame = grid_frame()
    frame.loc[7, "tinh"] = "Yen Bai"
    with pytest.raises(TopologyError, match=r"the same province code has a different name"):
        read_units(frame, levels=LEVELS3, codes=CODES3)


def test_lenient_accounts_for_every_row() -> None:
    frame = grid_frame()
    frame.loc[0, "xa"] = None                 # missing name
    frame.loc[1, "geometry"] = None           # missing geometry
    frame.loc[2, "geometry"] = Point(X0, Y0)  # not a polygon
    frame.loc[3, "ma_xa"] = 105               # duplicate of row 5
    frame.loc[6, "dan_so"] = "n/a"            # bad population
    rej = RejectsReport()
    units = read_units(frame, levels=LEVELS3, codes=CODES3, population="dan_so", rejects=rej)
    summary = rej.summary()
    assert summary[["what", "rows_read", "rows_rejected", "rows_used"]].values.tolist() == [
        ["units", 8, 6, 2]]
    assert sorted(rej.to_frame()["row"]) == [1, 2, 3, 4, 5, 7]
    assert sorted(units["source_row"]) == [6, 8]
    assert set(units["source_row"]) | set(rej.to_frame()["row"]) == set(range(1, 9))


DEFECTS = ["name", "code", "geometry", "point", "duplicate", "population", "parent", "bowtie"]


@settings(max_examples=40, deadline=None)
@given(defects=st.lists(st.tuples(st.integers(0, 7), st.sampled_from(DEFECTS)), max_size=6),
       with_codes=st.booleans())
def test_lenient_every_row_used_or_rejected(defects: list[tuple[int, str]],
                                            with_codes: bool) -> None:
    frame = grid_frame()
    frame["ma_xa"] = frame["ma_xa"].astype(object)
    for i, defect in defects:
        if defect == "name":
            frame.loc[i, "xa"] = None
        elif defect == "code":
            frame.loc[i, "ma_xa"] = None
        elif defect == "geometry":
            frame.loc[i, "geometry"] = None
        elif defect == "point":
            frame.loc[i, "geometry"] = Point(X0, Y0)
        elif defect == "duplicate":
            frame.loc[i, "ma_xa"] = 101 if i else 102
            frame.loc[i, "xa"] = "Xã 1" if i else "Xã 2"
        elif defect == "population":
            frame.loc[i, "dan_so"] = "?"
        elif defect == "parent":
            frame.loc[i, "ma_huyen"] = "00" if i >= 4 else "10"
        else:
            frame.loc[i, "geometry"] = bowtie(i // 2, i % 2)
    rej = RejectsReport()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TopologyWarning)
        units = read_units(frame, levels=LEVELS3, codes=CODES3 if with_codes else None,
                           population="dan_so", rejects=rej)
    rejected = set(rej.to_frame()["row"])
    assert rejected.isdisjoint(units["source_row"])
    assert rejected | set(units["source_row"]) == set(range(1, 9))
    assert len(rej.to_frame()) == len(rejected)  # each bad row reported once
    s = rej.summary().iloc[0]
    assert (s["rows_read"], s["rows_used"]) == (8, len(units))
    assert units["commune_code"].is_unique
    assert units.geometry.is_valid.all()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(order=st.permutations(list(range(8))), with_codes=st.booleans())
def test_row_order_does_not_matter(order: list[int], with_codes: bool) -> None:
    frame = grid_frame()
    codes = CODES3 if with_codes else None
    base = read_units(frame, levels=LEVELS3, codes=codes, population="dan_so")
    shuffled = read_units(frame.iloc[order], levels=LEVELS3, codes=codes, population="dan_so")
    # source_row is the feature number in the frame given, so it follows the order
    assert shuffled["source_row"].tolist() == list(range(1, 9))
    key = "commune_code"
    a = base.sort_values(key).reset_index(drop=True).drop(columns="source_row")
    b = shuffled.sort_values(key).reset_index(drop=True).drop(columns="source_row")
    pd.testing.assert_frame_equal(a, b)


# --------------------------------------------------------------------------- formats


@pytest.fixture(params=["gpkg", "shp", "geojson", "parquet"])
def units_file(request: pytest.FixtureRequest, tmp_path):
    frame = grid_frame().to_crs(4326)
    path = tmp_path / f"units.{request.param}"
    if request.param == "parquet":
        frame.to_parquet(path)
    else:
        frame.to_file(path, engine="pyogrio")
    if request.param == "shp":
        assert path.with_suffix(".cpg").read_text().strip().upper() in ("UTF-8", "UTF8")
    return path


def test_formats_round_trip(units_file) -> None:
    units = read_units(units_file, levels=LEVELS3, codes=CODES3, population="dan_so")
    assert units["source_file"].unique().tolist() == [units_file.name]
    assert units["province_name"].tolist() == ["Lào Cai"] * 4 + ["Yên Bái"] * 4
    assert units.loc[0, "commune_name"] == unicodedata.normalize("NFC", "Bản Cái")
    assert units["province_code"].tolist() == ["10"] * 4 + ["15"] * 4
    assert units["commune_code"].tolist() == [str(101 + i) for i in range(8)]
    assert units.crs.to_epsg() == 4326
    assert unit_areas_km2(units).to_numpy() == pytest.approx(UTM_AREA, rel=1e-5)


def test_file_without_geometry(tmp_path) -> None:
    path = tmp_path / "units.csv"
    path.write_text("tinh,xa\nA,B\n", encoding="utf-8")
    with pytest.raises(SchemaError, match=r"units.csv: has no geometry"):
        read_units(path, levels={"province": "tinh"})


# --------------------------------------------------------------------------- levels, areas


def test_unit_levels_inferred_coarse_to_fine() -> None:
    units = pd.DataFrame(read_units(grid_frame(), levels=LEVELS3, codes=CODES3))
    units.attrs = {}
    units = units[["commune_code", "commune_name", "province_code", "province_name",
                   "district_code", "district_name"]]
    assert unit_levels(units) == ("province", "district", "commune")
    with pytest.raises(SchemaError, match=r"no <level>_code/<level>_name column pairs"):
        unit_levels(units[["commune_code", "province_name"]])


def test_unit_areas_km2() -> None:
    units = read_units(grid_frame(), levels=LEVELS3)
    areas = unit_areas_km2(units)
    assert areas.name == "area_km2"
    assert areas.to_numpy() == pytest.approx(UTM_AREA, rel=1e-5)
    # the same in lon/lat
    assert unit_areas_km2(units.to_crs(4326)).to_numpy() == pytest.approx(UTM_AREA, rel=1e-5)


# --------------------------------------------------------------------------- validate_units


def units_from(geoms: list[Polygon], district: list[str], crs: str = "EPSG:32648"):
    n = len(geoms)
    frame = gpd.GeoDataFrame({
        "district": district, "commune": [f"c{i}" for i in range(n)],
        "commune_id": [f"{i:02d}" for i in range(n)]}, geometry=geoms, crs=crs)
    return read_units(frame, levels={"district": "district", "commune": "commune"},
                      codes={"commune": "commune_id"})


def test_clean_grid_has_no_problem() -> None:
    report = validate_units(read_units(grid_frame(), levels=LEVELS3))
    assert report.empty
    assert list(report.columns) == PROBLEM_COLUMNS


def test_overlap_between_sibling_communes() -> None:
    # c1 reaches 200 m into c0 (same district): 0.2 km x 1 km
    geoms = [cell(0, 0), box(X0 + 800, Y0, X0 + 2000, Y0 + KM), cell(2, 0)]
    report = validate_units(units_from(geoms, ["D"] * 3))
    ov = report[report.problem == "overlap"]
    assert ov[["level", "codes", "names"]].values.tolist() == [
        ["commune", ("00", "01"), ("c0", "c1")]]
    assert ov["area_km2"].iloc[0] == pytest.approx(0.2 * UTM_AREA, rel=1e-5)
    assert validate_units(units_from(geoms, ["D"] * 3), overlap_tolerance_km2=0.25).query(
        "problem == 'overlap'").empty


def test_overlap_between_districts_is_reported_at_district_level() -> None:
    # c1 (district B) and c2 (district B) both reach 100 m into c0 (district A)
    geoms = [box(X0, Y0, X0 + KM, Y0 + 2 * KM), box(X0 + 900, Y0, X0 + 2000, Y0 + KM),
             box(X0 + 900, Y0 + KM, X0 + 2000, Y0 + 2 * KM)]
    report = validate_units(units_from(geoms, ["A", "B", "B"]))
    ov = report[report.problem == "overlap"]
    assert ov[["level", "codes", "names"]].values.tolist() == [
        ["district", ("A", "B"), ("A", "B")]]
    assert ov["area_km2"].iloc[0] == pytest.approx(0.2 * UTM_AREA, rel=1e-5)
    assert ov["detail"].iloc[0] == "2 overlapping pair(s) of communes, e.g. 00 and 01"


def ring_of_nine(shrink_m: float) -> list[Polygon]:
    geoms = [cell(c, r) for r in range(3) for c in range(3)]
    geoms[4] = cell(1, 1).buffer(-shrink_m, join_style="mitre")
    return geoms


def test_gap_between_siblings() -> None:
    # the centre commune shrunk by 40 m on every side: a 40 m wide ring, 1 - 0.92² km²
    units = units_from(ring_of_nine(40.0), ["D"] * 9)
    report = validate_units(units, gap_width_m=100.0)
    gap = report[report.problem == "gap"]
    assert gap["level"].tolist() == ["commune"]
    assert gap["codes"].iloc[0] == tuple(f"{i:02d}" for i in range(9))
    assert gap["area_km2"].iloc[0] == pytest.approx((1 - 0.92**2) * UTM_AREA, rel=1e-5)
    assert "narrower than 100 m" in gap["detail"].iloc[0]
    edges = report[report.problem == "invalid_edge"]
    assert ("04",) in edges["codes"].tolist()
    assert report[report.problem == "overlap"].empty
    # narrower gap width: the same ring is now a hole (wider than 30 m)
    report30 = validate_units(units, gap_width_m=30.0)
    assert report30["problem"].tolist().count("hole") == 1
    assert report30.query("problem == 'gap'").empty


def test_gap_between_districts() -> None:
    district = ["A", "B", "B"] * 3  # column 0 is district A
    report = validate_units(units_from(ring_of_nine(40.0), district))
    gap = report[report.problem == "gap"]
    assert gap[["level", "codes"]].values.tolist() == [["district", ("A", "B")]]


def test_validate_one_level_without_attrs() -> None:
    geoms = [cell(0, 0), box(X0 + 800, Y0, X0 + 2000, Y0 + KM)]
    units = read_units(gpd.GeoDataFrame({"xa": ["a", "b"]}, geometry=geoms, crs=32648),
                       levels={"ward": "xa"})
    units.attrs = {}
    report = validate_units(units)
    assert report.query("problem == 'overlap'")[["level", "codes"]].values.tolist() == [
        ["ward", ("a", "b")]]


def test_validate_in_lonlat_gives_the_same_areas() -> None:
    geoms = [cell(0, 0), box(X0 + 800, Y0, X0 + 2000, Y0 + KM)]
    units = units_from(geoms, ["D", "D"]).to_crs(4326)
    ov = validate_units(units).query("problem == 'overlap'")
    assert ov["area_km2"].iloc[0] == pytest.approx(0.2 * UTM_AREA, rel=1e-4)


def test_validate_bad_options_and_missing_geometry() -> None:
    units = read_units(grid_frame(), levels=LEVELS3)
    with pytest.raises(SchemaError, match=r"gap_width_m must be a number ≥ 0"):
        validate_units(units, gap_width_m=-1)
    with pytest.raises(SchemaError, match=r"overlap_tolerance_km2 must be a number ≥ 0"):
        validate_units(units, overlap_tolerance_km2=float("nan"))
    units.loc[3, "geometry"] = None
    report = validate_units(units)
    assert report[["problem", "codes"]].values.tolist() == [
        ["missing_geometry", ("Lào Cai/Sa Pa/Xã 4",)]]


@settings(max_examples=15, deadline=None)
@given(order=st.permutations(list(range(9))))
def test_validate_does_not_depend_on_row_order(order: list[int]) -> None:
    geoms = ring_of_nine(40.0)
    geoms[0] = box(X0, Y0, X0 + 1100, Y0 + KM)  # overlaps commune 01 by 0.1 km²
    units = units_from(geoms, ["A", "B", "B"] * 3)
    a = validate_units(units)
    b = validate_units(units.iloc[order].reset_index(drop=True))
    pd.testing.assert_frame_equal(a, b)


# --------------------------------------------------------------------------- real data


@pytest.mark.realdata
def test_real_pre2025_districts(shared_data) -> None:
    units = read_units(shared_data / "boundaries/vn_admin_pre2025_gischinhphu_dvhcvn.gpkg",
                       layer="districts", levels={"province": "province_name", "district": "name"},
                       codes={"province": "level1_id", "district": "level2_id"})
    assert len(units) == 692
    lao_cai = units[units["province_code"] == "10"]
    assert lao_cai["province_name"].unique().tolist() == ["Tỉnh Lào Cai"]
    assert len(lao_cai) == 9
    # SOURCES.md: 6,362.6 km² (a UTM figure); exact equal-area ≈ 6,366 km²
    assert unit_areas_km2(lao_cai).sum() == pytest.approx(6362.6, rel=1e-3)
    assert validate_units(lao_cai).query("problem in ('overlap', 'gap')").empty


CENSUS = {"province": "province_vn", "district": "district_vn", "commune": "commune_vn"}
CENSUS_CODES = {"province": "province_id", "district": "district_id", "commune": "commune_id"}


@pytest.mark.realdata
def test_real_2009_census(shared_data) -> None:
    path = shared_data / "boundaries/vn_admin_2009_census_censusVN2009.gpkg"
    with pytest.raises(SchemaError, match=r"vn_admin_2009_census_censusVN2009.gpkg: 1 row\(s\) "
                                          r"in column 'district_vn': the district name is "
                                          r"missing: row 11163"):
        read_units(path, layer="communes", levels=CENSUS, codes=CENSUS_CODES)
    rej = RejectsReport()
    units = read_units(path, layer="communes", levels=CENSUS, codes=CENSUS_CODES,
                       population="population", rejects=rej)
    assert sorted(rej.to_frame()["row"]) == [2273, 11163]
    assert rej.summary()[["rows_read", "rows_used"]].values.tolist() == [[11163, 11161]]
    lao_cai = units[units["province_name"] == "Lào Cai"]
    assert len(lao_cai) == 164
    assert lao_cai["district_code"].nunique() == 9
    assert units.loc[0, "province_code"] == "101"
    assert units.loc[0, "district_name"] == "Quận Ba Đình"


@pytest.mark.realdata
def test_real_gadm_detected(shared_data) -> None:
    units = read_units(shared_data / "boundaries/vn_communes_gadm41_L3_simplified.gpkg")
    # issue 6: GADM of Vietnam (GID_0 = VNM) gets real level names (was admin1..admin3)
    assert units.attrs["geocov_levels"] == ("province", "district", "commune")
    assert len(units) == 11163
    lao_cai = units[units["province_name"] == "LàoCai"]
    assert len(lao_cai) == 164
    assert lao_cai["district_code"].nunique() == 9
    report = validate_units(lao_cai)
    overlap = report.loc[report.problem == "overlap", "area_km2"].sum()
    assert overlap == pytest.approx(6.65, abs=0.02)  # SOURCES.md: 6.65 km² in Lào Cai
    assert set(report.loc[report.problem == "overlap", "level"]) == {"district", "commune"}


@pytest.mark.realdata
def test_real_2025_two_levels(shared_data) -> None:
    path = shared_data / "boundaries/vn_communes_2025_5prov_sapnhap.gpkg"
    communes = gpd.read_file(path, layer="communes_2025")
    provinces = gpd.read_file(path, layer="provinces_2025", columns=["code", "name"],
                              ignore_geometry=True)
    communes = communes.merge(provinces.rename(columns={"code": "province_code",
                                                        "name": "province_name"}),
                              on="province_code", how="left")
    units = read_units(communes, levels={"province": "province_name", "commune": "name"},
                       codes={"province": "province_code", "commune": "code"})
    assert len(units) == 441
    lao_cai = units[units["province_code"] == "15"]
    assert len(lao_cai) == 99
    assert lao_cai["province_name"].unique().tolist() == ["Lào Cai"]


@pytest.mark.realdata
@pytest.mark.slow
def test_real_gadm_national_validation(shared_data) -> None:
    units = read_units(shared_data / "boundaries/vn_communes_gadm41_L3_simplified.gpkg")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = validate_units(units)
    assert set(report["level"]) == {"province", "district", "commune"}
    assert {"overlap", "gap", "invalid_edge"} <= set(report["problem"])
    assert shapely.is_valid(units.geometry.to_numpy()).all()
