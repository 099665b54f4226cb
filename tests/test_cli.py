"""The CLI through click's CliRunner: exit codes, files written, messages."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from click.testing import CliRunner

import geocov
from geocov.analysis import read_analysis
from geocov.cli import main
from geocov.report import read_report


@pytest.fixture(scope="module")
def sample():
    return geocov.sample_paths()


def invoke(*args, **kw):
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False, **kw)
    return result


def test_help_lists_commands():
    r = invoke("--help")
    assert r.exit_code == 0
    for name in ("demo", "report", "validate", "run", "map", "sample"):
        assert name in r.output


def _same_table(written: pd.DataFrame, expected: pd.DataFrame) -> None:
    """A table read back from a file equals the library's (codes as text, no geometry)."""
    expected = pd.DataFrame(expected).drop(columns="geometry")
    assert list(written.columns) == list(expected.columns)
    pd.testing.assert_frame_equal(written, expected.reset_index(drop=True), check_dtype=False)


def test_run_writes_every_level_as_the_library_computes_it(sample, sample_result, tmp_path):
    r = invoke("run", sample["analysis"], "-o", tmp_path / "out")
    assert r.exit_code == 0, r.output
    assert r.output.startswith(sample_result.summary())
    for level in ("province", "district", "commune", "total"):
        written = pd.read_csv(
            tmp_path / "out" / f"coverage_{level}.csv",
            encoding="utf-8-sig",
            dtype={f"{lv}_code": str for lv in ("province", "district", "commune")},
        )
        _same_table(written, sample_result.table(level))
    with pd.ExcelFile(tmp_path / "out" / "coverage.xlsx") as xl:
        assert {"Provinces", "Districts", "Communes", "Total", "Summary"} <= set(xl.sheet_names)


def test_report_one_level_as_the_library_computes_it(sample, sample_result, tmp_path):
    r = invoke(
        "report",
        "--analysis",
        sample["analysis"],
        "--level",
        "district",
        "-o",
        tmp_path / "report.xlsx",
    )
    assert r.exit_code == 0, r.output
    with pd.ExcelFile(tmp_path / "report.xlsx") as xl:
        assert xl.sheet_names[:2] == ["Summary", "Districts"] and "Communes" not in xl.sheet_names
    rep = read_report(tmp_path / "report.xlsx", "district")  # the workbook, in CSV columns
    lib = sample_result.table("district")
    assert len(rep) == 9
    assert rep["district_code"].tolist() == lib["district_code"].tolist()
    for col in ("villages_pct_4g", "area_km2", "villages_covered_4g"):
        assert rep[col].to_numpy(float) == pytest.approx(lib[col].to_numpy(float), abs=1e-6)
    assert rep["district_name"].str.startswith(("Huyện", "Thành phố", "Thị xã")).all()


def test_report_from_options(sample, tmp_path):
    a = read_analysis(sample["analysis"])
    r = invoke(
        "report",
        "--units",
        a.units["path"],
        "--units-layer",
        "communes",
        "--levels",
        "province=province_name,district=district_name,commune=commune_name",
        "--codes",
        "province=province_code,district=district_code,commune=commune_code",
        "--stations",
        a.stations["path"],
        "--resolution-m",
        "200",
        "--level",
        "province",
        "-o",
        tmp_path / "p.csv",
    )
    assert r.exit_code == 0, r.output
    t = pd.read_csv(tmp_path / "p_province.csv", encoding="utf-8-sig")
    assert len(t) == 1 and t["communes"].iloc[0] > 100


def test_report_bad_mapping_names_option(tmp_path, sample):
    a = read_analysis(sample["analysis"])
    r = CliRunner().invoke(
        main,
        [
            "report",
            "--units",
            a.units["path"],
            "--levels",
            "province",
            "-o",
            str(tmp_path / "x.xlsx"),
        ],
    )
    assert r.exit_code == 2
    assert "--levels" in r.output and "key=value" in r.output


def test_report_bad_suffix(sample, tmp_path):
    r = CliRunner().invoke(
        main, ["report", "--analysis", str(sample["analysis"]), "-o", str(tmp_path / "x.txt")]
    )
    assert r.exit_code != 0
    assert ".xlsx, .gpkg or .csv" in r.output


def test_validate_clean_sample(sample, tmp_path):
    r = invoke("validate", "--analysis", sample["analysis"], "--rejects", tmp_path / "rej.csv")
    assert "rows read / used / rejected" in r.output
    assert "0 rejected row(s)" in r.output
    assert (tmp_path / "rej.csv").exists()
    assert r.exit_code == 0, r.output


def test_validate_reports_bad_rows(sample, tmp_path):
    a = read_analysis(sample["analysis"])
    bad = tmp_path / "bts.csv"
    frame = pd.read_csv(a.stations["path"], dtype=str)
    frame.loc[3, "lat"] = "abc"
    frame.loc[7, "technology"] = "WiMAX"
    frame.to_csv(bad, index=False)
    r = CliRunner().invoke(
        main,
        [
            "validate",
            "--analysis",
            str(sample["analysis"]),
            "--stations",
            str(bad),
            "--rejects",
            str(tmp_path / "rej.csv"),
        ],
    )
    assert r.exit_code == 1
    rej = pd.read_csv(tmp_path / "rej.csv")
    assert set(rej["row"]) == {5, 9}  # spreadsheet rows: header is row 1
    assert set(rej["column"]) == {"lat", "technology"}
    assert f"bts.csv (stations): {len(frame)} read, {len(frame) - 2} used, 2 rejected" in r.output


def test_run_strict_error_is_clean(sample, tmp_path):
    a = read_analysis(sample["analysis"])
    folder = tmp_path / "a"
    folder.mkdir()
    frame = pd.read_csv(a.stations["path"], dtype=str)
    frame.loc[0, "lon"] = ""
    frame.to_csv(folder / "bts.csv", index=False)
    shutil.copy(a.units["path"], folder / "units.gpkg")
    (folder / "a.toml").write_text(
        '[units]\npath = "units.gpkg"\nlayer = "communes"\n'
        'levels = { province = "province_name", district = "district_name", '
        'commune = "commune_name" }\n'
        'codes = { province = "province_code", district = "district_code", '
        'commune = "commune_code" }\n'
        '[stations]\npath = "bts.csv"\n',
        encoding="utf-8",
    )
    r = CliRunner().invoke(main, ["run", str(folder / "a.toml"), "-o", str(tmp_path / "o")])
    assert r.exit_code == 1
    assert "bts.csv" in r.output and "row 2" in r.output and "Traceback" not in r.output
    r = CliRunner().invoke(
        main, ["run", str(folder / "a.toml"), "-o", str(tmp_path / "o"), "--lenient"]
    )
    assert r.exit_code == 0, r.output
    rej = pd.read_csv(tmp_path / "o" / "rejects.csv")
    assert list(rej["row"]) == [2]


def test_analysis_unknown_key(tmp_path):
    p = tmp_path / "a.toml"
    p.write_text('[units]\npath = "x.gpkg"\nlevls = {}\n', encoding="utf-8")
    with pytest.raises(
        geocov.SchemaError, match=r"a.toml: unknown key\(s\) \['levls'\] in \[units\]"
    ):
        read_analysis(p)
    p.write_text('[stations]\npath = "x.csv"\n', encoding="utf-8")
    with pytest.raises(
        geocov.SchemaError, match=r"a.toml: a \[units\] section with a path is required"
    ):
        read_analysis(p)
    p.write_text("[units\n", encoding="utf-8")
    with pytest.raises(geocov.SchemaError, match="a.toml: not valid TOML"):
        read_analysis(p)


def test_analysis_sample_scheme(tmp_path, sample):
    p = tmp_path / "a.toml"
    p.write_text('[units]\npath = "sample:nope"\n', encoding="utf-8")
    with pytest.raises(geocov.SchemaError, match="unknown sample layer 'sample:nope'"):
        read_analysis(p)


def test_run_workers_overrides_the_analysis_and_changes_no_figure(sample, sample_result, tmp_path):
    import json

    r = invoke("run", sample["analysis"], "-o", tmp_path / "out", "--workers", "1", "-q")
    assert r.exit_code == 0, r.output
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["settings"]["model"]["workers"] == 1
    written = pd.read_csv(tmp_path / "out" / "coverage_commune.csv", encoding="utf-8-sig",
                          dtype={f"{lv}_code": str for lv in ("province", "district", "commune")})
    _same_table(written, sample_result.table("commune"))
    assert invoke("run", sample["analysis"], "--workers", "0").exit_code == 2


def test_priorities_and_plan_report_their_stages_and_take_q(sample, tmp_path):
    from geocov.analysis import write_plan, write_priorities

    seen: list[tuple] = []
    write_priorities(sample["analysis"], folder=tmp_path / "p", formats=["csv"],
                     level="commune", progress=lambda *a: seen.append(a))
    labels = [a[0] for a in seen]
    assert "computing coverage" in labels and "ranking the villages (priority list)" in labels
    assert labels[-1] == "done" and seen[-1][1] == seen[-1][2]  # the bar ends full
    seen.clear()
    write_plan(sample["analysis"], folder=tmp_path / "q", formats=["csv"], level="commune",
               sites=2, lang="vi", progress=lambda *a: seen.append(a))
    assert "đang chọn trạm, tuyến cáp quang và tính lại vùng phủ sóng" in [a[0] for a in seen]
    for args in (["priorities", sample["analysis"], "--top", "0"],
                 ["plan", sample["analysis"], "--sites", "1", "--top", "0"]):
        r = invoke(*args, "-o", tmp_path / "cli", "-q")
        assert r.exit_code == 0, r.output


def test_priorities_and_plan_take_o_as_run_does(sample, tmp_path):
    """-o: a table file, or a folder; an unknown suffix is refused before any work (it
    used to become a folder named list.txt)."""
    for cmd, first in ((["priorities", sample["analysis"], "--top", "0"], "villages"),
                       (["plan", sample["analysis"], "--sites", "1", "--top", "0"], "steps")):
        r = invoke(*cmd, "-o", tmp_path / "list.txt", "-q")
        assert r.exit_code == 2 and "output must end in .xlsx, .gpkg or .csv" in r.output
        assert not (tmp_path / "list.txt").exists()
        r = invoke(*cmd, "-o", tmp_path / "x.csv", "-q")
        assert r.exit_code == 0, r.output
        assert (tmp_path / f"x_{first}.csv").exists()
