"""The remaining warnings, ``geocov validate`` and ``geocov reconcile`` in Vietnamese.

Each warning keeps its English message (``str(w)``, what library users and the other
tests see) and carries its catalogue words, so the command line writes it in ``--lang``
with Vietnamese numbers (1.569; 0,42). ``validate`` and ``reconcile`` take ``--lang``; their
English output is what it was.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner
from shapely import Polygon, box
from test_reconcile import _analysis

from geocov.boundaries import read_units
from geocov.cli import main
from geocov.errors import DataQualityWarning, TopologyWarning, Words, cli_hints, level_words

X0, Y0 = 500_000.0, 2_400_000.0


def test_repaired_geometries_in_vietnamese():
    """A bow-tie commune (one self-intersection) is repaired; the warning reads in both."""
    units = gpd.GeoDataFrame(
        {"tinh": ["P", "P"], "xa": ["Xã Một", "Xã Hai"]},
        geometry=[box(X0, Y0, X0 + 1000, Y0 + 1000),
                  Polygon([(X0 + 1000, Y0), (X0 + 2000, Y0 + 1000), (X0 + 2000, Y0),
                           (X0 + 1000, Y0 + 1000)])], crs="EPSG:32648")
    with pytest.warns(TopologyWarning, match=r"repaired 1 invalid geometry ") as rec:
        read_units(units, levels={"province": "tinh", "commune": "xa"})
    w = rec[0].message
    assert w.words.key == "warning.repaired_geometries"
    assert w.text("vi") == (
        "<GeoDataFrame>: đã sửa 1 hình học không hợp lệ bằng shapely.make_valid (giữ lại các "
        "phần đa giác): dòng 2 ('Xã Hai': Self-intersection[501500 2400500]). Hãy sửa chúng "
        "trong lớp dữ liệu gốc để không còn cảnh báo này.")


def test_crosswalk_left_out_numbers_in_vietnamese():
    w = DataQualityWarning.of(
        "xw_left_out", n=2, units=level_words("commune", plural=True), km2=1234.56,
        villages=1569.0, people=792734.4, codes="001, 002")
    assert str(w) == (
        "2 communes of the result lie in no new unit and are left out (1,234.6 km², 1,569 "
        "villages, 792,734 people): 001, 002. Give new units that cover the whole study area.")
    assert w.text("vi") == (
        "2 xã của kết quả không nằm trong đơn vị mới nào và bị bỏ ra (1.234,6 km², 1.569 thôn, "
        "792.734 người): 001, 002. Hãy dùng các đơn vị mới phủ hết vùng nghiên cứu.")


def test_terrain_problems_in_vietnamese():
    w = DataQualityWarning.of("terrain", source="dem.tif", problems=Words(
        "warning.past_the_file", {"n": 1, "which": "Xã A (001)", "cut": "",
                                  "pct": 42.15, "file": "dem.tif"}))
    assert "(42.1% of the area)" in str(w)
    assert w.text("vi").startswith(
        "địa hình (dem.tif): 1 đơn vị của vùng nghiên cứu (Xã A (001)) vượt ra ngoài tệp DEM "
        "(42,1% diện tích)")


def test_priorities_data_partial_hint_follows_the_cli():
    fields = dict(data=Words("warning.data_stations"), n_out=1, n_check=2,
                  levels=level_words("district", plural=True), shown="Huyện Hai", more="",
                  outside=1569, n_units=2000, units=level_words("commune", plural=True))
    with cli_hints():
        w = DataQualityWarning.of("data_partial", **fields, effect=Words(
            "warning.data_restricted", {"n": 431, "units": fields["units"],
                                        "fix": Words("warning.fix.restrict_to_data.cli")}))
    assert str(w).startswith("the stations data covers only part of the study area: 1 of 2 "
                             "districts have none of it (Huyện Hai): 1,569 of 2,000 communes")
    assert w.text("vi") == (
        "số liệu trạm BTS chỉ phủ một phần vùng nghiên cứu: 1 trong số 2 huyện không có số "
        "liệu này (Huyện Hai): 1.569 trong số 2.000 xã; danh sách chỉ giữ 431 xã có số liệu "
        "(đặt [priorities] restrict_to_data = false, hoặc dùng --all-units, để liệt kê mọi "
        "đơn vị).")


@pytest.fixture
def overlapping(tmp_path: Path) -> Path:
    """Xã A and Xã B of Huyện Một overlap by 200 m; one station has a radius of -5 m."""
    units = gpd.GeoDataFrame(
        {"province": ["P"] * 2, "district": ["Huyện Một"] * 2, "commune": ["Xã A", "Xã B"],
         "commune_code": ["001", "002"]},
        geometry=[box(X0, Y0, X0 + 2000, Y0 + 2100), box(X0 + 1800, Y0, X0 + 4000, Y0 + 2100)],
        crs="EPSG:32648")
    units.to_file(tmp_path / "xa.gpkg")
    pd.DataFrame({"station_id": ["T1", "T2"], "technology": ["4G", "4G"],
                  "x": [X0 + 1000, X0 + 3000], "y": [Y0 + 1000] * 2,
                  "range_m": [1500, -5]}).to_csv(tmp_path / "tram.csv", index=False)
    path = tmp_path / "a.toml"
    path.write_text(
        '[units]\npath = "xa.gpkg"\n'
        'levels = { province = "province", district = "district", commune = "commune" }\n'
        'codes = { commune = "commune_code" }\n'
        '[stations]\npath = "tram.csv"\ncrs = "EPSG:32648"\n', encoding="utf-8")
    return path


def _validate(path: Path, *lang: str) -> list[str]:
    r = CliRunner().invoke(main, ["validate", "--analysis", str(path), "--rejects",
                                  str(path.parent / "r.csv"), *lang])
    assert r.exit_code == 1, r.output  # a rejected row and an overlap change figures
    return [ln.replace(str(path.parent), "<tmp>") for ln in r.output.splitlines()]


def test_validate_in_vietnamese(overlapping):
    lines = _validate(overlapping, "--lang", "vi")
    assert lines[:4] == [
        "số dòng đã đọc / đã dùng / bị loại của từng tệp:",
        "  xa.gpkg (đơn vị hành chính): đọc 2, dùng 2, loại 0",
        "  tram.csv (trạm BTS): đọc 2, dùng 1, loại 1",
        "các vấn đề làm thay đổi số liệu:",
    ]
    assert "  tram.csv: 1 dòng bị loại: range_m <= 0" in lines
    assert lines[-2:] == ["1 dòng bị loại -> <tmp>/r.csv",
                          f"{lines[-1].split()[0]} vấn đề topology -> <tmp>/topology.csv"]


def test_validate_in_english_is_unchanged(overlapping):
    lines = _validate(overlapping)
    assert lines[:4] == [
        "rows read / used / rejected per file:",
        "  xa.gpkg (units): 2 read, 2 used, 0 rejected",
        "  tram.csv (stations): 2 read, 1 used, 1 rejected",
        "problems that change figures:",
    ]
    assert "  tram.csv: 1 row(s) rejected: range_m <= 0" in lines
    assert lines[-2] == "1 rejected row(s) -> <tmp>/r.csv"
    assert lines[-1].endswith(" topology problem(s) -> <tmp>/topology.csv")


def test_reconcile_in_vietnamese(tmp_path):
    analysis, off = _analysis(tmp_path)
    out = tmp_path / "rec.csv"
    r = CliRunner().invoke(main, ["reconcile", str(analysis), str(off), "-o", str(out),
                                  "--lang", "vi"])
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert lines[0].startswith("Lào Cai: số liệu của geocov bên cạnh số liệu chính thức (")
    assert ("- Tỉnh Lào Cai | thôn có 4G: geocov 2/8 (25,0%), báo cáo 3/8, chênh lệch -12,5 "
            "điểm phần trăm") in lines
    assert f"đã ghi {out}" in lines
    assert not any("geocov finds" in ln for ln in lines)
