"""A planner's province (Vietnamese headers, vi-VN numbers, Windows-1258 DBF without .cpg,
NFD names, a fiber flag list) gives the same tables as its clean English twin, through the
library, ``geocov run``, ``geocov report`` and ``geocov map``."""

from __future__ import annotations

import unicodedata

import pandas as pd
import pytest
from click.testing import CliRunner
from planner_province import DEFECTS, write_english, write_vietnamese

import geocov
from geocov.cli import main
from geocov.errors import GeocovError
from geocov.report import read_report

LEVELS = ("province", "district", "commune", "total")


@pytest.fixture(scope="module")
def twins(tmp_path_factory):
    root = tmp_path_factory.mktemp("planner")
    return {"en": write_english(root / "en"), "vi": write_vietnamese(root / "vi"),
            "bad": write_vietnamese(root / "bad", defects=True)}


@pytest.fixture(scope="module")
def english(twins):
    return geocov.run_analysis(twins["en"]["analysis"])


def _plain(table: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(table.drop(columns=[c for c in ("geometry",) if c in table.columns]))
    return out.reset_index(drop=True)


def assert_same_tables(a, b):
    for level in LEVELS:
        pd.testing.assert_frame_equal(_plain(a.table(level)), _plain(b.table(level)),
                                      check_dtype=False, obj=f"table({level!r})")


def test_files_are_what_a_province_holds(twins):
    vi = twins["vi"]
    assert not vi["units"].with_suffix(".cpg").exists()
    assert "Bán kính (m)" in vi["stations"].read_text(encoding="utf-8")
    text = vi["villages"].read_text(encoding="utf-8")
    assert text != unicodedata.normalize("NFC", text)  # names are decomposed


def test_library_vietnamese_equals_english(twins, english):
    vi = geocov.run_analysis(twins["vi"]["analysis"])
    assert_same_tables(english, vi)
    names = vi.table("commune")["commune_name"]
    assert all(unicodedata.is_normalized("NFC", n) for n in names)
    assert english.table("total")["villages_fiber"].iloc[0] > 0


def test_readers_one_by_one_equal_english(twins, english):
    vi = twins["vi"]
    units = geocov.read_units(vi["units"], levels={"province": "TEN_TINH",
                                                   "district": "TEN_HUYEN",
                                                   "commune": "TEN_XA"},
                              codes={"province": "MA_TINH", "district": "MA_HUYEN",
                                     "commune": "MA_XA"})
    result = geocov.coverage(units, villages=geocov.read_villages(vi["villages"]),
                             stations=geocov.read_stations(vi["stations"]),
                             fiber=geocov.read_fiber(vi["fiber"]), population="villages",
                             statuses=["Đang hoạt động"])
    assert_same_tables(english, result)


def _cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_run_command_vietnamese_equals_english(twins, tmp_path):
    for key in ("en", "vi"):
        r = _cli("run", twins[key]["analysis"], "-o", tmp_path / key)
        assert r.exit_code == 0, r.output
    for level in LEVELS:
        en = pd.read_csv(tmp_path / "en" / f"coverage_{level}.csv", dtype=str)
        vi = pd.read_csv(tmp_path / "vi" / f"coverage_{level}.csv", dtype=str)
        pd.testing.assert_frame_equal(en, vi, obj=level)


def test_report_command_file_by_file(twins, tmp_path):
    vi = twins["vi"]
    r = _cli("report", "--units", vi["units"],
             "--levels", "province=TEN_TINH,district=TEN_HUYEN,commune=TEN_XA",
             "--codes", "province=MA_TINH,district=MA_HUYEN,commune=MA_XA",
             "--villages", vi["villages"], "--stations", vi["stations"],
             "--fiber", vi["fiber"], "--population", "villages",
             "--level", "commune", "-o", tmp_path / "vi.xlsx")
    assert r.exit_code == 0, r.output
    r = _cli("report", "--analysis", twins["en"]["analysis"], "--level", "commune",
             "-o", tmp_path / "en.xlsx")
    assert r.exit_code == 0, r.output
    en = read_report(tmp_path / "en.xlsx", "commune")
    vi_t = read_report(tmp_path / "vi.xlsx", "commune")
    # no status filter on the command line: planned stations count, in both or neither
    assert list(en["commune_name"]) == list(vi_t["commune_name"])
    assert list(en["villages"]) == list(vi_t["villages"])
    assert list(en["villages_fiber"]) == list(vi_t["villages_fiber"])


def test_map_command_shows_vietnamese_names(twins, tmp_path, english):
    out = tmp_path / "map.html"
    r = _cli("map", "--analysis", twins["vi"]["analysis"], "--level", "commune", "-o", out)
    assert r.exit_code == 0, r.output
    html = out.read_text(encoding="utf-8")
    for name in english.table("commune")["commune_name"]:
        assert name in html


def test_defects_strict_mode_refuses_with_file_row_and_column(twins):
    with pytest.raises(GeocovError, match=r"thon\.csv|tram_bts\.csv|cap_quang\.csv"):
        geocov.run_analysis(twins["bad"]["analysis"])


def test_defects_lenient_mode_rejects_each_and_accounts_for_every_row(twins, english):
    rejects = geocov.RejectsReport()
    result = geocov.run_analysis(twins["bad"]["analysis"], rejects=rejects)
    assert_same_tables(english, result)
    rej = rejects.to_frame()
    per_file = rej.groupby("file")["row"].nunique()
    assert per_file.get("thon.csv", 0) == len(DEFECTS["villages"])
    assert per_file.get("cap_quang.csv", 0) == len(DEFECTS["fiber"])
    # the 1,000 km range and WiMAX are rejected; NB-IoT is accounted for as not counted
    assert per_file.get("tram_bts.csv", 0) == len(DEFECTS["stations"])
    summary = rejects.summary()
    assert set(summary["file"]) >= {"xa.shp", "thon.csv", "tram_bts.csv", "cap_quang.csv"}
    assert (summary["rows_read"] == summary["rows_used"] + summary["rows_rejected"]).all()
    n_fiber = len(pd.read_csv(twins["bad"]["fiber"], sep=";", dtype=str))
    assert summary.set_index("file").loc["cap_quang.csv", "rows_read"] == n_fiber
