"""The vintage of a set of units (before or after the reform of 1 July 2025): detected or
given when read, carried through coverage, stated in the model note, the workbook and maps.

Two hand-built unit sets of Lào Cai, 1 km squares in UTM 48N:

* ``three_levels()``: pre-2025, province "10" Lào Cai, districts Bát Xát and Sa Pa, four
  communes (a district level: Vietnam has none since 1 July 2025);
* ``two_levels()``: 2025, province "15" Lào Cai (GSO's 2025 code; "15" was Yên Bái), two
  communes, no districts.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from shapely import Point, box

import geocov
from geocov.boundaries import (
    VINTAGES,
    detect_units_vintage,
    units_vintage,
    units_vintage_metadata,
    units_vintage_text,
)
from geocov.cli import main

X0, Y0, KM = 500_000.0, 2_400_000.0, 1000.0
CRS = "EPSG:32648"
NEW = "2025 (34 provinces)"
OLD = "pre-2025 (63 provinces)"
NEW_LINE = "Units: communes after the 1 July 2025 reform (34 provinces, 3,321 communes)"
OLD_LINE = "Units: communes before the 1 July 2025 reform (63 provinces, with districts)"


def squares(n: int) -> list:
    return [box(X0 + i * KM, Y0, X0 + (i + 1) * KM, Y0 + KM) for i in range(n)]


def three_levels_frame() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"ma_tinh": ["10"] * 4, "tinh": ["Tỉnh Lào Cai"] * 4,
         "ma_huyen": ["082", "082", "088", "088"],
         "huyen": ["Huyện Bát Xát", "Huyện Bát Xát", "Thị xã Sa Pa", "Thị xã Sa Pa"],
         "ma_xa": ["02662", "02665", "02893", "02896"],
         "xa": ["Xã A Mú Sung", "Xã Nậm Chạc", "Phường Sa Pa", "Xã Tả Van"]},
        geometry=squares(4), crs=CRS)


def two_levels_frame() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"ma_tinh": ["15", "15"], "tinh": ["Tỉnh Lào Cai"] * 2,
         "ma_xa": ["02662", "02893"], "xa": ["Xã A Mú Sung", "Phường Sa Pa"]},
        geometry=squares(2), crs=CRS)


def three_levels(**kw) -> gpd.GeoDataFrame:
    return geocov.read_units(three_levels_frame(), **kw)


def two_levels(**kw) -> gpd.GeoDataFrame:
    return geocov.read_units(two_levels_frame(), **kw)


def stations() -> gpd.GeoDataFrame:
    return geocov.read_stations(gpd.GeoDataFrame(
        {"station_id": ["s1"], "technology": ["4G"], "range_m": [400.0]},
        geometry=[Point(X0 + 0.5 * KM, Y0 + 0.5 * KM)], crs=CRS))


def cover(units: gpd.GeoDataFrame, **kw):
    return geocov.coverage(units, stations=stations(), resolution_m=100, **kw)


# --------------------------------------------------------------------------- reading
def test_read_units_detects_either_system_and_says_from_what():
    old, new = three_levels(), two_levels()
    assert old.attrs["geocov_units_vintage"] == OLD
    assert old.attrs["geocov_units_vintage_evidence"] == (
        "province code and name of before the reform: 10 Tỉnh Lào Cai; a district level "
        "(Vietnam has no districts since 1 July 2025)")
    assert new.attrs["geocov_units_vintage"] == NEW
    assert new.attrs["geocov_units_vintage_evidence"] == (
        "province code and name of the 2025 system: 15 Tỉnh Lào Cai; two levels (province, "
        "commune) and no district")


def test_levels_alone_are_the_weakest_evidence():
    frame = two_levels_frame().drop(columns="ma_tinh")  # Lào Cai is in both systems
    units = geocov.read_units(frame)
    assert units.attrs["geocov_units_vintage"] == NEW
    assert units.attrs["geocov_units_vintage_evidence"] == (
        "two levels (province, commune) and no district")
    gone = geocov.read_units(frame.assign(tinh="Tỉnh Hà Giang"))  # no such province since
    assert gone.attrs["geocov_units_vintage"] == OLD
    both = pd.concat([frame.assign(tinh=f"Tỉnh {name}", ma_xa=frame["ma_xa"] + name[0])
                      for name in ("Lào Cai", "Sơn La")], ignore_index=True)
    assert units_vintage(geocov.read_units(both)) == NEW  # both provinces still exist


def test_without_evidence_the_vintage_is_unknown_never_a_default():
    frame = two_levels_frame().assign(tinh="Tỉnh Ngải Sán")  # no such province
    units = geocov.read_units(frame)
    assert units.attrs["geocov_units_vintage"] is None
    assert units.attrs["geocov_units_vintage_evidence"] == (
        "no evidence of either system in the province names or codes")
    assert units_vintage(units) is None
    mixed = three_levels_frame().assign(ma_tinh="15")  # a 2025 code, but districts
    found, evidence = detect_units_vintage(geocov.read_units(mixed))
    assert found is None and evidence.startswith("conflicting evidence: a district level")


@pytest.mark.parametrize("given, label", [
    ("2025-07-01", NEW), ("1/7/2025", NEW), ("2026-01-31", NEW), ("after the 2025 reform", NEW),
    ("sau sáp nhập", NEW), ("34 provinces", NEW), ("new", NEW),
    ("before 2025 reform", OLD), ("2025-06-30", OLD), ("31/12/2024", OLD), ("trước sáp nhập", OLD),
    ("pre-2025", OLD), ("2024", OLD),
    ("GADM 4.1, 2009 communes", "GADM 4.1, 2009 communes"),
])
def test_the_users_words_for_a_vintage(given, label):
    units = two_levels(vintage=given)
    assert units.attrs["geocov_units_vintage"] == label
    assert units.attrs["geocov_units_vintage_evidence"] == "given"
    assert units_vintage(vintage=given) == label


@given(st.dates(min_value=pd.Timestamp("2000-01-01").date(),
                max_value=pd.Timestamp("2040-12-31").date()))
def test_a_date_names_the_system_in_force_that_day(day):
    expected = NEW if day.isoformat() >= "2025-07-01" else OLD
    assert units_vintage(vintage=day.isoformat()) == expected
    assert units_vintage(vintage=f"{day.day}/{day.month}/{day.year}") == expected


def test_the_vintage_survives_what_is_done_to_the_units():
    units = two_levels(vintage="GADM 4.1")
    for changed in (units.reset_index(drop=True), units.to_crs(4326), units.copy(),
                    units[units["commune_code"] == "02662"], units.assign(x=1)):
        assert units_vintage(changed) == "GADM 4.1"
    # a detected vintage is detected again: the units may have changed since
    detected = two_levels()
    assert units_vintage(detected.assign(province_name="Tỉnh Hà Giang")) == OLD


# --------------------------------------------------------------------------- results
def test_coverage_states_the_vintage_in_its_metadata_and_model_note():
    r = cover(two_levels())
    assert r.metadata["units_vintage"] == NEW
    assert r.metadata["model"].endswith(
        NEW_LINE + "; detected from province code and name of the 2025 system: 15 Tỉnh Lào "
        "Cai; two levels (province, commune) and no district.")
    old = cover(three_levels())
    assert old.metadata["units_vintage"] == OLD and OLD_LINE in old.metadata["model"]
    given_ = cover(three_levels(vintage="GADM 4.1 (2009 communes)"))
    assert given_.metadata["units_vintage_note"] == "Units: GADM 4.1 (2009 communes)."
    # coverage(units_vintage=) overrides what the units say
    over = cover(three_levels(), units_vintage="2025-07-01")
    assert over.metadata["units_vintage"] == NEW and over.metadata["units_vintage_evidence"] == \
        "given"
    assert NEW_LINE in over.metadata["model"] and OLD_LINE not in over.metadata["model"]


def test_unknown_vintage_is_said_with_the_fix():
    r = cover(geocov.read_units(two_levels_frame().assign(tinh="Tỉnh Ngải Sán")))
    assert r.metadata["units_vintage"] is None
    assert r.metadata["units_vintage_note"] == (
        "Units: unknown vintage (before or after the 1 July 2025 reform): no evidence of "
        "either system in the province names or codes; pass read_units(vintage=...) or "
        "coverage(units_vintage=...).")


@pytest.mark.parametrize("lang, line", [
    ("en", NEW_LINE),
    ("vi", "Đơn vị hành chính: xã sau sắp xếp ngày 1/7/2025 (34 tỉnh, thành phố; 3.321 xã, "
           "phường)"),
])
def test_the_workbook_states_the_vintage_on_its_summary_and_every_table(tmp_path, lang, line):
    r = cover(two_levels())
    r.metadata["title"] = "Lào Cai & co"
    w = geocov.write_outputs(r, folder=tmp_path, formats=["xlsx", "csv"], lang=lang)
    book = openpyxl.load_workbook(next(p for p in w.tables if p.suffix == ".xlsx"))
    summary = book.worksheets[0]
    assert summary["A1"].value == "Lào Cai & co" and summary["A2"].value == line
    for ws in book.worksheets[1:]:
        if ws.title.lower().startswith(("column", "cột")):
            continue
        assert ws.oddHeader.left.text.endswith(f". {line}"), ws.title
        # "&" is Excel's code mark in a page header: written "&&", shown "&"
        assert ws.oddHeader.left.text.startswith("Lào Cai && co: ")
    model = pd.read_csv(next(p for p in w.tables if p.name.endswith("_model.csv")),
                        encoding="utf-8-sig")
    assert model.set_index("key").loc["units_vintage", "value"] == NEW


def test_the_map_states_the_vintage():
    html = geocov.coverage_map(cover(three_levels()), level="commune").get_root().render()
    assert OLD_LINE in html


def test_units_vintage_text_in_both_languages():
    assert units_vintage_text(OLD, level="district", lang="vi") == (
        "Đơn vị hành chính: huyện trước sắp xếp ngày 1/7/2025 (63 tỉnh, thành phố; có cấp "
        "huyện)")
    assert units_vintage_text(None) == (
        "Units: unknown vintage (before or after the 1 July 2025 reform)")
    assert set(VINTAGES.values()) == {NEW, OLD}
    assert units_vintage_metadata(two_levels(), "x")["units_vintage_note"] == "Units: x."


# --------------------------------------------------------------------------- application
def test_analysis_file_and_command_line_set_the_vintage(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    three_levels_frame().to_file(folder / "units.gpkg")
    toml = folder / "a.toml"
    toml.write_text('title = "Lào Cai"\n[units]\npath = "units.gpkg"\n'
                    'vintage = "GADM 4.1 (2009 communes)"\n', encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", geocov.GeocovWarning)
        r = geocov.run_analysis(toml)
    assert r.metadata["units_vintage"] == "GADM 4.1 (2009 communes)"
    out = tmp_path / "report.xlsx"
    done = CliRunner().invoke(main, ["report", "--analysis", str(toml), "--units-vintage",
                                     "2025-07-01", "-o", str(out)])
    assert done.exit_code == 0, done.output
    assert openpyxl.load_workbook(out).worksheets[0]["A2"].value == NEW_LINE
    ran = CliRunner().invoke(main, ["run", str(toml), "--units-vintage", "2025-07-01", "-q",
                                    "-o", str(tmp_path / "run.xlsx")])
    assert ran.exit_code == 0, ran.output
    assert openpyxl.load_workbook(tmp_path / "run.xlsx").worksheets[0]["A2"].value == NEW_LINE
    bad = folder / "b.toml"
    bad.write_text('[units]\npath = "units.gpkg"\nvintage = 2025\n', encoding="utf-8")
    with pytest.raises(geocov.SchemaError, match=r"vintage must be a text"):
        geocov.read_analysis(bad)


# --------------------------------------------------------------------------- real data
@pytest.mark.realdata
def test_real_units_of_both_vintages(shared_data: Path):
    """GADM's 2009-era communes of Lào Cai (three levels, no GSO codes) and the 2025
    communes of the sapnhap map (GSO codes, province "15")."""
    b = shared_data / "boundaries"
    gadm = gpd.read_file(b / "vn_communes_gadm41_L3_simplified.gpkg",
                         where="NAME_1 = 'LàoCai'")
    old = geocov.read_units(gadm)
    assert old.attrs["geocov_levels"] == ("province", "district", "commune")
    assert old.attrs["geocov_units_vintage"] == OLD
    assert old.attrs["geocov_units_vintage_evidence"] == (
        "a district level (Vietnam has no districts since 1 July 2025)")
    new = geocov.read_units(b / "vn_communes_2025_5prov_sapnhap.gpkg", layer="communes_2025",
                            levels={"province": "sapnhap_a04_tentinh", "commune": "name"},
                            codes={"province": "province_code", "commune": "code"})
    assert new.attrs["geocov_units_vintage"] == NEW
    assert new.attrs["geocov_units_vintage_evidence"].startswith(
        "province code and name of the 2025 system: ")
    # the 63 old provinces of the pre-2025 code list are pre-2025 from their names alone
    codes = pd.read_csv(b / "vn_admin_codes_gso_2025-03-01_dvhcvn.csv", dtype=str)
    provinces = codes.drop_duplicates("level1_id").rename(
        columns={"level1_id": "province_code", "province_name": "province_name"})
    found, evidence = detect_units_vintage(provinces[["province_code", "province_name"]])
    assert found == OLD and "63 provinces (34 since the reform)" in evidence
