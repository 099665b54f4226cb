"""The coverage model note in the reader's language (issue 11): ``metadata["model"]`` stays
the English text it always was; its words (``metadata["words"]``, catalogue ``[model]``)
give it in Vietnamese on the summary sheet, the map's panel and ``coverage_model.csv``."""

from __future__ import annotations

import pickle
import re

import openpyxl
import pandas as pd
import pytest

import geocov
from geocov.coverage import _radius_words
from geocov.report import model_note, write_result

# the sample's note, byte for byte as it was before the note was built from the catalogue
SAMPLE_EN = (
    "Footprints: discs of each station's range_m, else a default radius per technology (2G "
    "5 km, 3G 3 km, 4G 2.5 km, 5G 1 km); sector wedges where azimuth and beamwidth are "
    "given; built in WGS 84 / UTM zone 48N. A village is covered when its point (or a "
    "polygon's representative point) lies in a footprint; a unit has a technology when any "
    "footprint of it touches the unit. Covered area and population on a population raster "
    "grid population.tif (EPSG:4326), pixels split 1x1 (cells about 92 m), cells on unit "
    "boundaries shared by area (a cell is covered when its centre lies in a footprint). "
    "Population: raster:population.tif. Radii: radius from column 'range_m' (m); technology "
    "defaults where empty. Units: unknown vintage (before or after the 1 July 2025 reform): "
    "no evidence of either system in the province names or codes; pass "
    "read_units(vintage=...) or coverage(units_vintage=...)."
)
SAMPLE_VI_FIRST = (
    "Vùng phủ: hình tròn bán kính range_m của từng trạm BTS, nếu không có thì bán kính mặc "
    "định theo công nghệ (2G 5 km, 3G 3 km, 4G 2,5 km, 5G 1 km); hình quạt khi có góc phương "
    "vị và độ rộng búp sóng; dựng trong hệ tọa độ WGS 84 / UTM zone 48N."
)
# English words of the note that must not be left in its Vietnamese words
ENGLISH = ["Footprints", "disc", "station", "default radius", "technology", "sector",
           "built in", "village", "covered", "footprint", "unit", "Population", "grid",
           "cells", "shared by area", "Radii", "radius from column", "Units", "vintage",
           "reform", "evidence", "detected", "pass ", "Terrain", "line of sight", "antenna",
           "receiver", "above ground", "DEM cells", "without data", "sea level", "Not counted",
           "people", "where empty", " of ", " and "]


def english_left(text: str) -> list[str]:
    """The English words in ``text`` outside code, file and column names."""
    prose = re.sub(r"[\w.]+\([^)]*\)|\S+\.tif\b|\brange_m\b|'[^']*'|--[\w-]+|\[\w+\]", "",
                   text)
    return [w for w in ENGLISH if re.search(re.escape(w), prose, flags=re.IGNORECASE)]


def test_the_english_note_is_the_text_it_always_was(sample_result):
    assert sample_result.metadata["model"] == SAMPLE_EN
    assert model_note(sample_result) == model_note(sample_result, "en") == SAMPLE_EN


def test_the_samples_note_in_vietnamese(sample_result):
    vi = model_note(sample_result, "vi")
    assert vi.split(". ")[0] + "." == SAMPLE_VI_FIRST
    assert english_left(vi) == []
    assert "Đơn vị hành chính: chưa rõ thời kỳ" in vi
    assert model_note(sample_result, "vi", key="grid").startswith("lưới ô của lớp dân số")
    assert model_note(sample_result, "vi", key="population_source") == (
        "lớp dân số dạng lưới population.tif")


@pytest.fixture(scope="module")
def units_stations():
    p = geocov.sample_paths()
    units = geocov.read_units(
        p["units"], layer="communes",
        levels={lv: f"{lv}_name" for lv in ("province", "district", "commune")},
        codes={lv: f"{lv}_code" for lv in ("province", "district", "commune")})
    return units, geocov.read_stations(p["stations"])


def test_every_part_of_the_note_has_vietnamese_words(units_stations):
    """Terrain, DEM cells without data, cells not counted and a detected vintage."""
    units, stations = units_stations
    stations = stations.copy()
    stations.attrs = {**stations.attrs, "technologies_not_counted": {"NB-IoT": 3, "LTE-M": 2}}
    new = units.drop(columns=["district_code", "district_name"]).assign(
        province_code="15", province_name="Tỉnh Lào Cai")
    r = geocov.coverage(new, stations=stations, resolution_m=500,
                        terrain=geocov.sample_paths()["terrain"])
    en = r.metadata["model"]
    assert "Not counted (no mobile broadband for people): 2 LTE-M, 3 NB-IoT cell(s)." in en
    assert "; detected from province code and name of the 2025 system: 15 Tỉnh Lào Cai" in en
    assert "Terrain (los): line of sight (radial sweep)" in en
    assert "DEM cells (24%) without data" in en
    vi = model_note(r, "vi")
    assert english_left(vi) == []
    assert "Không tính (không đem băng rộng di động đến người dân): 2 LTE-M, 3 NB-IoT" in vi
    assert "nhận biết từ mã và tên tỉnh của hệ thống năm 2025: 15 Tỉnh Lào Cai" in vi
    assert "Địa hình (tầm nhìn thẳng): tầm nhìn thẳng (quét theo tia)" in vi
    assert "hệ số k = 1,333" in vi and "111.229 trong số 461.300 ô" in vi


@pytest.mark.parametrize("note", [
    "OpenCelliD range not used as radius (it is the spread of crowd-sourced observations, "
    "not a serving footprint); technology defaults",
    "OpenCelliD range used as radius (opencellid_range=True)",
    "radius from column 'Bán kính' (km); technology defaults where empty",
    "radius from column 'range_m' (m); technology defaults where empty",
    "no radius column; technology defaults",
    "no stations",
])
def test_the_stations_radius_notes_have_words(note):
    words = _radius_words(note)
    assert words.text("en") == note
    assert english_left(words.text("vi")) == []


def test_an_unknown_radius_note_stays_as_it_is():
    assert _radius_words("radii from the planning tool") == "radii from the planning tool"


def test_a_note_without_words_or_changed_since_reads_in_english(sample_result):
    meta = dict(sample_result.metadata)
    assert model_note({k: v for k, v in meta.items() if k != "words"}, "vi") == SAMPLE_EN
    changed = {**meta, "model": "Re-aggregated. " + SAMPLE_EN}  # e.g. by the crosswalk
    assert model_note(changed, "vi") == "Re-aggregated. " + SAMPLE_EN
    assert model_note({}, "vi") == ""
    back = pickle.loads(pickle.dumps(sample_result.metadata))
    assert model_note(back, "vi") == model_note(sample_result, "vi")


def test_the_vietnamese_workbook_and_csv_carry_the_note(sample_result, tmp_path):
    out = write_result(sample_result, tmp_path, levels=["province"],
                              formats=["csv", "xlsx"], lang="vi", manifest=None)
    wb = openpyxl.load_workbook(next(p for p in out.tables if p.suffix == ".xlsx"))
    cells = [c for row in wb.worksheets[0].iter_rows(values_only=True) for c in row if c]
    assert model_note(sample_result, "vi") in cells
    assert SAMPLE_EN not in cells
    model = pd.read_csv(tmp_path / "coverage_model.csv", encoding="utf-8-sig")
    assert model.set_index("key").loc["model", "value"] == model_note(sample_result, "vi")
    assert "words" not in set(model["key"])
    en = write_result(sample_result, tmp_path / "en", levels=["province"],
                             formats=["csv"], manifest=None)
    assert en.tables[-1].name == "coverage_model.csv"
    model_en = pd.read_csv(en.tables[-1], encoding="utf-8-sig").set_index("key")
    assert model_en.loc["model", "value"] == SAMPLE_EN


def test_the_vietnamese_map_panel_carries_the_note(sample_result):
    html = geocov.coverage_map(sample_result, level="district", lang="vi").get_root().render()
    assert SAMPLE_VI_FIRST in html
    assert "Footprints: discs" not in html
    html_en = geocov.coverage_map(sample_result, level="district").get_root().render()
    assert "Footprints: discs of each station" in html_en
