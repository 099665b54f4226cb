"""Issue 6 for admin units: Vietnamese headers, level names and order, unit-named errors.

Fixtures are 1 km square communes in UTM 48N built in code (as in test_boundaries.py), so
every count can be checked by hand; real boundary files are read in the ``realdata`` tests.
"""

from __future__ import annotations

import unicodedata

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely import Polygon, box

import geocov
from geocov.boundaries import read_units
from geocov.errors import SchemaError, cli_hints
from geocov.io import RejectsReport

X0, Y0 = 500_000.0, 2_400_000.0
KM = 1000.0


def cell(col: int, row: int) -> Polygon:
    return box(X0 + col * KM, Y0 + row * KM, X0 + (col + 1) * KM, Y0 + (row + 1) * KM)


def vn_frame() -> gpd.GeoDataFrame:
    """4 communes (2 x 2 grid) in 2 districts of 1 province, headers as planners write them.

    Population is written the Vietnamese way: ``1.250`` is 1250 because ``300,5`` in the
    same column proves the decimal comma.
    """
    return gpd.GeoDataFrame(
        {
            "Tên tỉnh": ["Lào Cai"] * 4,
            "Mã tỉnh": ["10"] * 4,
            "Tên huyện": ["Bảo Thắng", "Bảo Thắng", "Sa Pa", "Sa Pa"],
            "Mã huyện": ["083", "083", "082", "082"],
            "Tên xã": ["Bản Cái", "Phố Lu", "Tả Van", "Bản Hồ"],
            "Mã xã": ["02803", "02806", "02701", "02704"],
            "Dân số": ["1.250", "2.500", "300,5", ""],
        },
        geometry=[cell(0, 0), cell(1, 0), cell(0, 1), cell(1, 1)],
        crs="EPSG:32648",
    )


# ------------------------------------------------------------------ Vietnamese headers


def test_vietnamese_headers_with_diacritics_detected() -> None:
    units = read_units(vn_frame())
    assert units.attrs["geocov_levels"] == ("province", "district", "commune")
    assert units["commune_code"].tolist() == ["02803", "02806", "02701", "02704"]
    assert units["district_code"].tolist() == ["083", "083", "082", "082"]
    assert units["commune_name"].tolist() == ["Bản Cái", "Phố Lu", "Tả Van", "Bản Hồ"]
    # "Dân số" is the population, read with the file's decimal comma
    assert units["population"].tolist()[:3] == [1250.0, 2500.0, 300.5]
    assert np.isnan(units["population"].iloc[3])


@pytest.mark.parametrize(
    "rename",
    [
        {"Tên tỉnh": "tinh", "Mã tỉnh": "ma_tinh", "Tên huyện": "huyen", "Mã huyện": "ma_huyen",
         "Tên xã": "xa", "Mã xã": "ma_xa", "Dân số": "dan_so"},
        {"Tên tỉnh": "TEN TINH", "Mã tỉnh": "MA_TINH", "Tên huyện": "Ten_Huyen",
         "Mã huyện": "ma huyen", "Tên xã": "ten_xa", "Mã xã": "MA-XA", "Dân số": "DAN SO"},
        {"Tên tỉnh": "province_name", "Mã tỉnh": "province_code", "Tên huyện": "Quận",
         "Mã huyện": "ma_quan", "Tên xã": "Phường", "Mã xã": "ma_phuong", "Dân số": "population"},
    ],
)
def test_header_spellings(rename) -> None:
    units = read_units(vn_frame().rename(columns=rename))
    assert units.attrs["geocov_levels"] == ("province", "district", "commune")
    assert units["commune_code"].iloc[0] == "02803"
    assert units["district_code"].iloc[2] == "082"
    assert units["population"].iloc[0] == 1250.0


def test_population_false_and_explicit_decimal() -> None:
    assert "population" not in read_units(vn_frame(), population=False).columns
    frame = vn_frame()
    frame["Dân số"] = ["1.250", "2.500", "300", ""]  # no evidence: the user says
    units = read_units(frame, decimal=",")
    assert units["population"].tolist()[:3] == [1250.0, 2500.0, 300.0]


# ------------------------------------------------------------------ levels: names


def gadm_frame(country: str | None = "VNM") -> gpd.GeoDataFrame:
    f = vn_frame()
    g = gpd.GeoDataFrame(
        {
            "GID_1": "VNM.38_1",
            "NAME_1": "LàoCai",
            "GID_2": "VNM.38." + f["Mã huyện"] + "_1",
            "NAME_2": f["Tên huyện"],
            "GID_3": "VNM.38." + f["Mã xã"] + "_1",
            "NAME_3": f["Tên xã"],
        },
        geometry=f.geometry,
        crs=f.crs,
    )
    if country is not None:
        g.insert(0, "GID_0", country)
    return g


def ocha_frame(country: str | None = "Viet Nam") -> gpd.GeoDataFrame:
    f = vn_frame()
    g = gpd.GeoDataFrame(
        {
            "ADM1_EN": "Lao Cai", "ADM1_PCODE": "VN205",
            "ADM2_EN": f["Tên huyện"], "ADM2_PCODE": "VN205" + f["Mã huyện"],
            "ADM3_EN": f["Tên xã"], "ADM3_PCODE": "VN" + f["Mã xã"],
        },
        geometry=f.geometry,
        crs=f.crs,
    )
    if country is not None:
        g.insert(0, "ADM0_EN", country)
    return g


@pytest.mark.parametrize(
    ("frame", "levels"),
    [
        (gadm_frame("VNM"), ("province", "district", "commune")),
        (gadm_frame(None), ("province", "district", "commune")),  # GID_1 says VNM.
        (gadm_frame("LAO"), ("admin1", "admin2", "admin3")),
        (gadm_frame(None).assign(GID_1="LAO.3_1"), ("admin1", "admin2", "admin3")),
        (ocha_frame("Viet Nam"), ("province", "district", "commune")),
        (ocha_frame("Việt Nam"), ("province", "district", "commune")),
        (ocha_frame(None), ("province", "district", "commune")),  # VN pcodes
        (ocha_frame("Cambodia"), ("admin1", "admin2", "admin3")),
        (gadm_frame("VNM").drop(columns=["NAME_3", "GID_3"]).iloc[[0, 2]],
         ("province", "district")),
    ],
)
def test_gadm_ocha_level_names(frame, levels) -> None:
    units = read_units(frame)
    assert units.attrs["geocov_levels"] == levels
    assert units[f"{levels[-1]}_code"].is_unique


def test_gadm_vietnam_summary_names_communes() -> None:
    units = read_units(gadm_frame())
    stations = gpd.GeoDataFrame(
        {"station_id": ["A"], "technology": ["4G"], "operator": ["Viettel"],
         "range_m": [300.0], "azimuth_deg": [np.nan], "beamwidth_deg": [np.nan]},
        geometry=gpd.points_from_xy([X0 + 500], [Y0 + 500]), crs="EPSG:32648")
    result = geocov.coverage(units, stations=stations, resolution_m=50)
    assert result.levels == ("province", "district", "commune", "total")
    assert result.summary().startswith("Signal in 1/4 communes")


# ------------------------------------------------------------------ levels: order


def test_levels_in_the_wrong_order() -> None:
    inverted = {"province": "Tên xã", "district": "Tên huyện", "commune": "Tên tỉnh"}
    with pytest.raises(SchemaError, match=(
            r"<GeoDataFrame>: the admin levels are not in order coarse → fine: 'province' "
            r"\(column 'Tên xã'\) has 4 distinct units but the finer level 'district' "
            r"\(column 'Tên huyện'\) has 2; 'district' \(column 'Tên huyện'\) has 2 distinct "
            r"units but the finer level 'commune' \(column 'Tên tỉnh'\) has 1\..*pass "
            r"levels=\{'province': 'Tên tỉnh', 'district': 'Tên huyện', 'commune': 'Tên xã'\}")):
        read_units(vn_frame(), levels=inverted)


def test_levels_in_the_wrong_order_with_codes_cli_wording() -> None:
    levels = {"district": "Tên xã", "commune": "Tên huyện"}
    codes = {"district": "Mã xã", "commune": "Mã huyện"}
    with cli_hints(), pytest.raises(SchemaError, match=(
            r"'district' \(column 'Tên xã', codes 'Mã xã'\) has 4 distinct units but the "
            r"finer level 'commune' \(column 'Tên huyện', codes 'Mã huyện'\) has 2.*pass "
            r"--levels district=Tên huyện,commune=Tên xã --codes district=Mã huyện,"
            r"commune=Mã xã\.")):
        read_units(vn_frame(), levels=levels, codes=codes)
    # the same levels in the right order read fine
    units = read_units(vn_frame(), levels={"district": "Tên huyện", "commune": "Tên xã"},
                       codes={"district": "Mã huyện", "commune": "Mã xã"})
    assert units["commune_code"].tolist() == ["02803", "02806", "02701", "02704"]


def test_equal_counts_are_not_an_order_error() -> None:
    # one commune per district: as many districts as communes is a valid hierarchy
    frame = vn_frame().iloc[[0, 2]]
    units = read_units(frame, levels={"district": "Tên huyện", "commune": "Tên xã"})
    assert len(units) == 2


# ------------------------------------------------------------------ empty geometry


def test_empty_geometry_names_the_unit() -> None:
    frame = vn_frame()
    frame.loc[1, "geometry"] = None
    frame.loc[3, "geometry"] = Polygon()
    with pytest.raises(SchemaError, match=r"the geometry is missing or empty: row 2 \('commune "
                                          r"02806 \(Phố Lu\)'\), row 4 \('commune 02704 "
                                          r"\(Bản Hồ\)'\)"):
        read_units(frame)
    rej = RejectsReport()
    units = read_units(frame, rejects=rej)
    assert units["commune_code"].tolist() == ["02803", "02701"]
    assert rej.to_frame()["value"].tolist() == ["commune 02806 (Phố Lu)",
                                                "commune 02704 (Bản Hồ)"]
    assert rej.summary()[["rows_read", "rows_rejected", "rows_used"]].values.tolist() == [
        [4, 2, 2]]


def test_rejects_summary_says_what_it_does_not_know(tmp_path) -> None:
    """Rejects passed only to coverage: the villages file was read without the report, so
    its rows read are unknown, and said to be; the units read with it are accounted for."""
    rej = RejectsReport()
    units = read_units(vn_frame(), rejects=rej)
    path = tmp_path / "thon.csv"
    pd.DataFrame({"ma_thon": ["t1", "t2", "t3"], "ma_xa": ["02803", "99999", "99998"],
                  "x": [X0 + 500, X0 + 500, X0 + 500], "y": [Y0 + 500] * 3}).to_csv(
        path, index=False)
    villages = geocov.read_villages(path, columns={"lon": "x", "lat": "y"}, crs=32648)
    geocov.coverage(units, villages=villages, rejects=rej, resolution_m=200)
    summary = rej.summary()
    assert summary[["file", "rows_read", "rows_rejected", "rows_used"]].astype(object).where(
        summary.notna(), None).values.tolist() == [
        [units["source_file"].iloc[0], 4, 0, 4], ["thon.csv", None, 2, None]]
    assert summary["note"].tolist() == [
        "", "rows read: unknown for thon.csv (not read with this report: pass the same "
            "rejects= to its reader)"]
    with cli_hints():
        assert rej.summary()["note"].iloc[1].endswith("(not read with this report: read it "
                                                       "with --lenient)")
    # read with the same report, every row is accounted for again
    rej2 = RejectsReport()
    villages = geocov.read_villages(path, columns={"lon": "x", "lat": "y"}, crs=32648,
                                    rejects=rej2)
    geocov.coverage(read_units(vn_frame(), rejects=rej2), villages=villages, rejects=rej2,
                    resolution_m=200)
    s2 = rej2.summary().set_index("file")
    assert s2.loc["thon.csv", ["rows_read", "rows_rejected", "rows_used"]].tolist() == [3, 2, 1]
    assert (s2["note"] == "").all()


# ------------------------------------------------------------------ real files


REAL = "boundaries/vn_communes_gadm41_L3_simplified.gpkg"


def _nfc(values: pd.Series) -> bool:
    return all(unicodedata.is_normalized("NFC", v) for v in values)


@pytest.mark.realdata
def test_real_gadm_levels_and_names(shared_data) -> None:
    units = read_units(shared_data / REAL)
    assert units.attrs["geocov_levels"] == ("province", "district", "commune")
    lao_cai = units[units["province_name"] == "LàoCai"]  # GADM 4.1 strips spaces
    assert len(lao_cai) == 164
    assert lao_cai["district_code"].nunique() == 9
    assert {"BảnCái", "TảVan", "BảnHồ"} <= set(lao_cai["commune_name"])
    for col in ("province_name", "district_name", "commune_name"):
        assert _nfc(units[col])


@pytest.mark.realdata
def test_real_2025_communes_names(shared_data) -> None:
    path = shared_data / "boundaries/vn_communes_2025_5prov_sapnhap.gpkg"
    units = read_units(path, layer="communes_2025",
                       levels={"province": "sapnhap_a04_tentinh", "commune": "fullName"},
                       codes={"province": "province_code", "commune": "code"})
    lao_cai = units[units["province_code"] == "15"]
    assert lao_cai["province_name"].unique().tolist() == ["Tỉnh Lào Cai"]
    assert len(lao_cai) == 99
    assert "Phường Lào Cai" in set(lao_cai["commune_name"])
    for col in ("province_name", "commune_name"):
        assert _nfc(units[col])


@pytest.mark.realdata
def test_real_pre2025_districts_names(shared_data) -> None:
    path = shared_data / "boundaries/vn_admin_pre2025_gischinhphu_dvhcvn.gpkg"
    units = read_units(path, layer="districts",
                       levels={"province": "province_name", "district": "name"},
                       codes={"province": "level1_id", "district": "level2_id"})
    lao_cai = units[units["province_code"] == "10"]
    assert lao_cai["province_name"].unique().tolist() == ["Tỉnh Lào Cai"]
    assert len(lao_cai) == 9
    assert "Huyện Bảo Thắng" in set(lao_cai["district_name"])
    assert _nfc(units["district_name"])


@pytest.mark.realdata
def test_real_2009_census_escaped_names_decoded(shared_data) -> None:
    """The ``*_vn`` columns hold literal ``\\uXXXX`` escapes: decoded, they match the
    source's own ``*_vn_decoded`` columns (NFC) for every commune."""
    path = shared_data / "boundaries/vn_admin_2009_census_censusVN2009.gpkg"
    rej = RejectsReport()
    units = read_units(path, layer="communes",
                       levels={"province": "province", "district": "district_vn",
                               "commune": "commune_vn"},
                       codes={"province": "province_id", "district": "district_id",
                              "commune": "commune_id"}, rejects=rej)
    raw = gpd.read_file(path, layer="communes", ignore_geometry=True)
    decoded = raw.set_index(raw["commune_id"].astype(int).astype(str))["commune_vn_decoded"]
    expected = decoded.reindex(units["commune_code"]).str.strip().str.normalize("NFC")
    assert units["commune_name"].tolist() == expected.tolist()
    assert _nfc(units["commune_name"])
    lao_cai = units[units["province_name"] == "Lao Cai"]
    assert len(lao_cai) == 164
    assert "Xã Bản Cái" in set(lao_cai["commune_name"])
