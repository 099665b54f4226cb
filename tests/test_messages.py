"""Warnings and CLI messages in the user's language.

A warning made with ``GeocovWarning.of(key, ...)`` carries its catalogue entry: its
message (``str(w)``) is the English one library users and tests have always seen, and the
command line shows it in ``--lang`` (numbers as the language writes them). The fixture is
a tiny province built in code: two communes of one district overlap by 200 m (the area
figures come out too large) and the station file has an NB-IoT and a CDMA row (left out).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner
from shapely import box

from geocov.analysis import run_analysis
from geocov.cli import main
from geocov.errors import (
    DataQualityWarning,
    Listing,
    Words,
    cli_hints,
    hint_words,
    more_words,
)
from geocov.locale import catalogue, render

X0, Y0 = 500_000.0, 2_400_000.0


@pytest.fixture
def province(tmp_path: Path) -> Path:
    """Xã A (2.0 x 2.1 km) and Xã B (2.2 x 2.1 km, 200 m of it inside Xã A) in Huyện Một,
    Xã C (4 x 2.1 km) in Huyện Hai; four stations, two of them NB-IoT and CDMA."""
    units = gpd.GeoDataFrame(
        {"province": ["P"] * 3, "district": ["Huyện Một", "Huyện Một", "Huyện Hai"],
         "commune": ["Xã A", "Xã B", "Xã C"], "commune_code": ["001", "002", "003"]},
        geometry=[box(X0, Y0, X0 + 2000, Y0 + 2100), box(X0 + 1800, Y0, X0 + 4000, Y0 + 2100),
                  box(X0 + 4000, Y0, X0 + 8000, Y0 + 2100)], crs="EPSG:32648")
    units.to_file(tmp_path / "xa.gpkg")
    xy = [(X0 + 1000, Y0 + 1000), (X0 + 3000, Y0 + 1000), (X0 + 6000, Y0 + 1000)] * 2
    pd.DataFrame({"station_id": ["T1", "T2", "T3", "T4"],
                  "technology": ["4G", "NB-IoT", "3G", "CDMA"],
                  "x": [p[0] for p in xy[:4]], "y": [p[1] for p in xy[:4]],
                  "range_m": [1500, 1000, 2000, 1000]}).to_csv(tmp_path / "tram.csv", index=False)
    path = tmp_path / "phan_tich.toml"
    path.write_text(
        '[units]\npath = "xa.gpkg"\n'
        'levels = { province = "province", district = "district", commune = "commune" }\n'
        'codes = { commune = "commune_code" }\n'
        '[stations]\npath = "tram.csv"\ncrs = "EPSG:32648"\n'
        '[output]\nformats = ["csv"]\n', encoding="utf-8")
    return path


def _run(*args: object) -> tuple[int, list[str]]:
    r = CliRunner().invoke(main, [str(a) for a in args])
    return r.exit_code, r.output.splitlines()


def test_the_cli_shows_warnings_in_vietnamese_with_vietnamese_numbers(province, tmp_path):
    code, lines = _run("run", province, "-o", tmp_path / "vi/", "--lang", "vi")
    assert code == 0, lines
    warned = [ln for ln in lines if ln.startswith("cảnh báo: ")]
    assert warned == [
        "cảnh báo: tram.csv: bỏ ra 2 dòng có công nghệ không được tính là phủ sóng (NB-IoT: 1, "
        "CDMA: 1): dòng 3, 5. NB-IoT và LTE-M là sóng mang IoT, còn các mạng CDMA ở Việt Nam "
        "đã ngừng hoạt động: không công nghệ nào đem băng rộng di động đến người dân.",
        "cảnh báo: các xã chồng lấn nhau làm 3 số liệu diện tích lớn quá (hợp của các đơn vị "
        "chồng lấn nhỏ hơn tổng diện tích của chúng): tỉnh P (P) bị tăng 0,42 km² (2,44% của "
        "17,2 km²), huyện Huyện Một (P/Huyện Một) bị tăng 0,42 km² (4,76% của 8,8 km²), tổng "
        "bị tăng 0,42 km² (2,44%). Hãy sửa tệp ranh giới; `geocov validate` liệt kê các chỗ "
        "chồng lấn.",
    ]
    assert not any(ln.startswith("warning:") for ln in lines)


def test_english_warnings_are_unchanged(province, tmp_path):
    code, lines = _run("run", province, "-o", tmp_path / "en/")
    assert code == 0, lines
    assert [ln for ln in lines if ln.startswith("warning: ")] == [
        "warning: tram.csv: 2 row(s) left out, technology not counted as coverage (NB-IoT: 1, "
        "CDMA: 1): rows 3, 5. NB-IoT and LTE-M are IoT carriers and Vietnam's CDMA networks "
        "have stopped: none gives mobile broadband to people.",
        "warning: overlapping communes make 3 area figure(s) too large (the union of the "
        "overlapping units is smaller than their sum): province P (P) by 0.42 km² (2.44% of "
        "17.2 km²), district Huyện Một (P/Huyện Một) by 0.42 km² (4.76% of 8.8 km²), the total "
        "by 0.42 km² (2.44%). Fix the boundary file; `geocov validate` lists the overlaps.",
    ]


def test_the_analysis_files_lang_sets_the_messages_language(province, tmp_path):
    province.write_text('lang = "vi"\n' + province.read_text(encoding="utf-8"), encoding="utf-8")
    code, lines = _run("run", province, "-o", tmp_path / "out/")
    assert code == 0 and sum(ln.startswith("cảnh báo: ") for ln in lines) == 2, lines
    code, lines = _run("run", province, "-o", tmp_path / "out/", "--lang", "en")
    assert code == 0 and sum(ln.startswith("warning: ") for ln in lines) == 2, lines


def test_library_warnings_keep_their_english_message(province):
    with pytest.warns(DataQualityWarning, match=r"^tram.csv: 2 row\(s\) left out") as record, \
            pytest.warns(DataQualityWarning, match=r"^overlapping communes make 3 area"):
        run_analysis(province)
    w = next(r.message for r in record if "left out" in str(r.message))
    assert isinstance(w, DataQualityWarning) and w.words is not None
    assert w.words.key == "warning.technologies_left_out"
    assert w.text("en") == str(w)
    assert w.text("vi").startswith("tram.csv: bỏ ra 2 dòng")


def test_errors_say_loi_in_vietnamese(tmp_path):
    bad = tmp_path / "a.toml"
    bad.write_text('[units]\npath = "missing.gpkg"\n', encoding="utf-8")
    r = CliRunner().invoke(main, ["run", str(bad), "--lang", "vi"])
    assert r.exit_code == 1 and r.output.startswith("Lỗi: "), r.output
    r = CliRunner().invoke(main, ["run", str(bad)])
    assert r.exit_code == 1 and r.output.startswith("Error: "), r.output


def test_a_warning_without_words_reads_in_english_in_every_language():
    w = DataQualityWarning("plain English")
    assert w.words is None and w.text("vi") == "plain English"


def test_numbers_fields_follow_the_language():
    w = Words("warning.overlap_total", {"km2": 6300.456, "pct": 65.25})
    assert w.text("en") == "the total by 6,300.46 km² (65.25%)"
    assert w.text("vi") == "tổng bị tăng 6.300,46 km² (65,25%)"


def test_hint_words_follow_where_the_user_is():
    assert hint_words("decimal_comma").key == "warning.fix.decimal_comma.python"
    with cli_hints():
        assert hint_words("decimal_comma").text("en") == "pass --decimal ,"
    assert more_words(0) == "" and more_words(2).text("en") == " and 2 more"
    assert Listing([2.5, "Bản A"], "; ").text("vi") == "2,5; Bản A"


@pytest.mark.parametrize("key", sorted(k for k in catalogue()["en"] if k.startswith("warning.")))
def test_every_warning_entry_renders_in_both_languages(key):
    """Each [warning] entry takes a number in each numeric field and a text in the others
    (a field with a number format in one language and not the other would fail here)."""
    import string

    fields = {}
    for _, name, spec, _ in string.Formatter().parse(catalogue()["en"][key]):
        if name:
            fields[name] = 1234.5 if spec and spec[-1] in "fg," else "x"
    for lang in ("en", "vi"):
        assert render(key, lang, fields)

