"""Outputs that survive faults and can be traced: staged writes, the manifest, reruns,
``-o`` file or folder, progress bars and ``-q``."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from result_fixtures import small_result

import geocov
import geocov.cli.options as cli_options
import geocov.report as report
import geocov.spreadsheet as spreadsheet
from geocov import analysis as app
from geocov.cli import main
from geocov.errors import DataSourceError
from geocov.io import StagedFiles, write_tables
from geocov.progress import Progress


@pytest.fixture(scope="module")
def sample():
    return geocov.sample_paths()


def files(folder: Path) -> dict[str, bytes]:
    """Every file in ``folder`` (hidden temporary files too) with its bytes."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def invoke(*args, **kw):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False, **kw)


# ------------------------------------------------------------------ all or nothing
@pytest.fixture
def last_year(tmp_path):
    """A folder holding a complete earlier report (the hand-checked province)."""
    out = tmp_path / "out"
    app.write_outputs(small_result(), folder=out, rejects=geocov.RejectsReport())
    return out


@pytest.mark.parametrize("error", [OSError("disk full"), KeyboardInterrupt()])
def test_a_writer_failing_midway_leaves_last_years_report(
    sample_result, last_year, monkeypatch, error
):
    before = files(last_year)
    written = []

    def half_then_fail(result, path, *args, **kw):  # the workbook: after CSV and GeoPackage
        written.extend(p.name for p in last_year.iterdir())
        Path(path).write_bytes(b"PK\x03\x04 half a workbook")
        raise error

    monkeypatch.setattr(report, "_write_workbook", half_then_fail)
    with pytest.raises(type(error)):
        app.write_outputs(sample_result, folder=last_year, rejects=geocov.RejectsReport())
    # the new CSV and GeoPackage had been written (under temporary names) ...
    assert any(n.startswith(".coverage_commune.csv.tmp-") for n in written)
    assert any(n.startswith(".coverage.gpkg.tmp-") for n in written)
    # ... and none replaced last year's files, and no temporary file is left
    assert files(last_year) == before


def test_the_same_run_without_the_fault_replaces_everything(sample_result, last_year):
    before = files(last_year)
    app.write_outputs(sample_result, folder=last_year, rejects=geocov.RejectsReport())
    after = files(last_year)
    assert set(after) == set(before)
    assert after["coverage_commune.csv"] != before["coverage_commune.csv"]
    assert not [n for n in after if n.startswith(".")]


def test_write_tables_is_all_or_nothing(tmp_path, monkeypatch):
    t = {"commune": pd.DataFrame({"commune_code": ["01"], "villages": [3]})}
    write_tables(t, tmp_path, formats=["csv", "xlsx"])
    before = files(tmp_path)

    def fail(*a, **k):
        raise OSError("no space left")

    monkeypatch.setattr(spreadsheet, "write_workbook", fail)
    t2 = {"commune": pd.DataFrame({"commune_code": ["01"], "villages": [4]})}
    with pytest.raises(OSError, match="no space left"):
        write_tables(t2, tmp_path, formats=["csv", "xlsx"])
    assert files(tmp_path) == before


def test_staged_files_refuse_a_file_that_was_not_written(tmp_path):
    stage = StagedFiles()
    stage.path(tmp_path / "a.csv").write_text("a")
    stage.path(tmp_path / "b.csv")  # staged, never written
    with pytest.raises(DataSourceError, match=r"nothing was written for .*b\.csv"):
        stage.commit()
    assert files(tmp_path) == {}


def test_rejects_and_validation_files_are_written_whole(tmp_path, sample):
    v = app.validate_analysis(sample["analysis"])
    rejects, topology = v.write(tmp_path / "r" / "rejects.csv")
    assert {p.name for p in (tmp_path / "r").iterdir()} == {"rejects.csv", "topology.csv"}
    assert pd.read_csv(topology).shape[0] == len(v.topology)


# ------------------------------------------------------------------ manifest
def test_manifest_traces_every_input_and_output(tmp_path, sample):
    w = app.run_and_write(sample["analysis"], folder=tmp_path / "o", formats=["csv", "xlsx"])
    assert w.manifest == tmp_path / "o" / "manifest.json"
    m = json.loads(w.manifest.read_text(encoding="utf-8"))
    assert m["geocov_version"] == geocov.__version__
    assert m["title"] == "Synthetic sample province (geocov)" and m["data_date"] == "2020-12-31"
    assert m["settings"]["model"] == {"resolution_m": 100, "statuses": ["active"]}
    assert m["settings"]["stations"]["path"] == str(sample["stations"])
    assert m["mode"] == "strict" and m["rows_rejected"] == 0
    assert m["result"]["layers_reported"] == ["2g", "3g", "4g", "3g_plus", "any"]
    assert m["result"]["stations_excluded"] == 27  # planned stations, left out by status
    inputs = {r["role"]: r for r in m["inputs"]}
    assert list(inputs) == ["units", "villages", "stations", "fiber", "population"]
    for role in inputs:
        path = Path(inputs[role]["path"])
        assert inputs[role]["sha256"] == sha256(path), role
        assert inputs[role]["bytes"] == path.stat().st_size, role
        assert inputs[role]["data_date"] == "2020-12-31"
        assert inputs[role]["crs"] == "EPSG:4326", role
    assert inputs["stations"]["rows_read"] == 1000  # the file's 1,000 rows
    assert inputs["units"]["layer"] == "communes" and inputs["units"]["rows_used"] == 150
    for rec in inputs.values():
        if "rows_read" in rec:
            assert rec["rows_read"] == rec["rows_used"] + rec["rows_rejected"]
    outputs = {o["file"]: o for o in m["outputs"]}
    assert list(outputs) == [p.name for p in w.tables]
    for p in w.tables:
        assert outputs[p.name]["sha256"] == sha256(p)
        assert outputs[p.name]["bytes"] == p.stat().st_size
    assert set(m["timings_s"]) >= {"grid coverage", "metrics"}


def test_manifest_counts_rejected_rows_in_lenient_mode(tmp_path, sample):
    """3 station rows, one with a latitude that is not a number: read 3, rejected 1, used 2."""
    pd.DataFrame({
        "station_id": ["a", "b", "c"], "technology": ["4G", "4G", "3G"],
        "lon": [104.3, 104.4, 104.5], "lat": ["22.3", "abc", "22.2"],
    }).to_csv(tmp_path / "bts.csv", index=False)
    toml = tmp_path / "a.toml"
    toml.write_text(
        f'[units]\npath = "{Path(sample["units"]).as_posix()}"\nlayer = "communes"\n'
        'levels = { province = "province_name", district = "district_name", '
        'commune = "commune_name" }\n'
        'codes = { province = "province_code", district = "district_code", '
        'commune = "commune_code" }\n[stations]\npath = "bts.csv"\n',
        encoding="utf-8",
    )
    rejects = geocov.RejectsReport()
    w = app.run_and_write(toml, folder=tmp_path / "o", formats=["csv"], rejects=rejects)
    m = json.loads(w.manifest.read_text(encoding="utf-8"))
    stations = next(r for r in m["inputs"] if r["role"] == "stations")
    assert (stations["rows_read"], stations["rows_rejected"], stations["rows_used"]) == (3, 1, 2)
    assert m["mode"] == "lenient" and m["rows_rejected"] == len(rejects) == 1
    assert "rejects.csv" in {o["file"] for o in m["outputs"]}


def test_a_result_from_coverage_has_a_manifest_of_its_sources(tmp_path):
    w = app.write_outputs(small_result(), folder=tmp_path, formats=["csv"])
    m = json.loads(w.manifest.read_text(encoding="utf-8"))
    assert m["settings"] is None
    assert {"file": "stations.csv"} in m["inputs"]


# ------------------------------------------------------------------ reruns
def test_a_rerun_gives_the_same_tables_byte_for_byte(tmp_path, sample):
    a = app.run_and_write(sample["analysis"], folder=tmp_path / "a")
    b = app.run_and_write(sample["analysis"], folder=tmp_path / "b")
    fa, fb = files(tmp_path / "a"), files(tmp_path / "b")
    assert set(fa) == set(fb)
    for name in fa:
        if name != "manifest.json":
            assert fa[name] == fb[name], name  # CSV, workbook and GeoPackage alike
    wa = openpyxl.load_workbook(a.tables[-1])
    wb = openpyxl.load_workbook(b.tables[-1])
    for ws in wa.worksheets:
        assert list(ws.values) == list(wb[ws.title].values)
    ma = json.loads(fa["manifest.json"])
    mb = json.loads(fb["manifest.json"])
    for m in (ma, mb):
        del m["created"], m["timings_s"]
        m["settings"]["output"].pop("folder", None)
    assert ma == mb  # only the time of the run and the time it took differ


# ------------------------------------------------------------------ -o: a file or a folder
def test_o_file_writes_that_file_and_its_manifest(tmp_path, sample):
    r = invoke("report", "--analysis", sample["analysis"], "--level", "district",
               "-o", tmp_path / "r" / "report.xlsx")
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in (tmp_path / "r").iterdir()) == [
        "report.xlsx", "report_manifest.json"]
    assert openpyxl.load_workbook(tmp_path / "r" / "report.xlsx").sheetnames[:2] == [
        "Summary", "Districts"]
    assert f"wrote {tmp_path / 'r' / 'report.xlsx'}" in r.output


def test_o_folder_writes_every_output_into_it(tmp_path, sample):
    r = invoke("report", "--analysis", sample["analysis"], "--level", "district",
               "-o", f"{tmp_path / 'all'}/")
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in (tmp_path / "all").iterdir()) == sorted([
        "coverage_district.csv", "coverage_district_by_operator.csv", "coverage_summary.csv",
        "coverage_model.csv", "coverage.gpkg", "coverage.xlsx", "manifest.json"])


def test_run_o_file(tmp_path, sample):
    r = invoke("run", sample["analysis"], "-o", tmp_path / "r.csv")
    assert r.exit_code == 0, r.output
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["r_commune.csv", "r_commune_by_operator.csv", "r_district.csv",
                     "r_district_by_operator.csv", "r_manifest.json", "r_model.csv",
                     "r_province.csv", "r_province_by_operator.csv", "r_summary.csv",
                     "r_total.csv", "r_total_by_operator.csv"]


def test_o_neither_file_nor_folder_is_a_usage_error(tmp_path, sample):
    r = CliRunner().invoke(main, ["run", str(sample["analysis"]), "-o", str(tmp_path / "r.txt")])
    assert r.exit_code == 2
    assert "must end in .xlsx, .gpkg or .csv to write that one file, or in /" in r.output
    assert not (tmp_path / "r.txt").exists()


# ------------------------------------------------------------------ progress
@pytest.fixture
def terminal(monkeypatch):
    """Pretend stderr is a terminal (bars are only drawn there)."""
    monkeypatch.setattr(cli_options, "_stderr_is_terminal", lambda: True)


def test_progress_bar_on_a_terminal(tmp_path, sample, terminal):
    r = invoke("run", sample["analysis"], "-o", tmp_path / "o")
    assert r.exit_code == 0
    assert "geocov:" in r.stderr and "computing coverage" in r.stderr
    assert "reading stations: stations.csv" in r.stderr and "writing coverage.xlsx" in r.stderr
    assert "geocov:" not in r.stdout  # the results stay clean


@pytest.mark.parametrize("quiet", [["run", "-q"], ["-q", "run"], ["run", "--quiet"]])
def test_q_silences_progress(tmp_path, sample, terminal, quiet):
    cmd, flag = (quiet[0], quiet[1:]) if quiet[0] == "run" else ("run", [])
    args = (["-q"] if quiet[0] == "-q" else []) + [cmd, str(sample["analysis"]),
                                                   "-o", str(tmp_path / "o"), *flag]
    r = CliRunner().invoke(main, args, catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert r.stderr == ""
    assert r.stdout.startswith("Signal in 150/150 communes")


def test_no_bar_when_output_goes_to_a_file(tmp_path, sample):
    r = invoke("report", "--analysis", sample["analysis"], "-o", tmp_path / "r.xlsx")
    assert r.exit_code == 0 and r.stderr == ""


def test_progress_callback_hears_every_step(tmp_path, sample):
    steps = []
    app.run_and_write(sample["analysis"], target=tmp_path / "r.xlsx",
                      progress=lambda step, done, total: steps.append((step, done, total)))
    names = [s for s, _, _ in steps]
    assert names == ["reading units: sample_province.gpkg", "reading villages: villages.csv",
                     "reading stations: stations.csv", "reading fiber: fiber.gpkg",
                     "computing coverage", "building the tables", "writing r.xlsx",
                     "writing r_manifest.json", "done"]
    assert [d for _, d, _ in steps] == list(range(len(steps)))
    assert steps[-1][1] == steps[-1][2] == 8


def test_progress_off_by_default_in_the_library(tmp_path, sample, capsys):
    app.run_and_write(sample["analysis"], folder=tmp_path, formats=["csv"])
    assert capsys.readouterr().err == ""


def test_progress_object_counts_steps():
    p = Progress(True)
    assert p.active
    with p:
        with p.step("one"):
            pass
    assert (p.done, p.total, p.active) == (1, 1, False)
    with pytest.raises(TypeError, match="use progress_for"):
        Progress(p)


# ------------------------------------------------------- a whole run is staged and listed
def _with_dem(sample, **model):
    a = app.read_analysis(sample["analysis"])
    return app.replace(a, model={**a.model, "dem": str(sample["terrain"]), **model})


def _manifest_files(folder: Path, name: str = "manifest.json") -> list[str]:
    doc = json.loads((folder / name).read_text(encoding="utf-8"))
    return [o["file"] for o in doc["outputs"]]


def test_the_manifest_lists_the_terrain_files(tmp_path, sample):
    out = tmp_path / "out"
    w = app.run_and_write(_with_dem(sample), folder=out, formats=["csv", "xlsx"])
    listed = _manifest_files(out)
    assert [p.name for p in w.tables] == listed  # every table written, in order
    assert {"terrain_commune.csv", "terrain_shadowed_villages.csv", "terrain.xlsx"} <= set(
        listed)
    assert sorted(p.name for p in out.iterdir()) == sorted([*listed, "manifest.json"])
    doc = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    terrain = next(o for o in doc["outputs"] if o["file"] == "terrain.xlsx")
    assert terrain["sha256"] == sha256(out / "terrain.xlsx")  # its final bytes


def test_a_failure_in_the_terrain_files_leaves_the_whole_previous_run(
    tmp_path, sample, monkeypatch
):
    out = tmp_path / "out"
    app.run_and_write(_with_dem(sample), folder=out, formats=["csv", "xlsx"])
    before = files(out)
    real = spreadsheet.write_workbook

    def fails_on_terrain(path, *args, **kw):
        if "terrain" in Path(path).name:  # coverage.xlsx and the CSVs are staged by now
            raise OSError("disk full")
        return real(path, *args, **kw)

    monkeypatch.setattr(spreadsheet, "write_workbook", fails_on_terrain)
    with pytest.raises(OSError, match="disk full"):  # a coarser grid: other figures
        app.run_and_write(_with_dem(sample, resolution_m=400.0), folder=out,
                          formats=["csv", "xlsx"])
    assert files(out) == before  # byte for byte, and no temporary file left


def test_the_demos_manifest_lists_every_file_it_wrote(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    w = app.run_demo("tables", maps_folder="maps")
    listed = _manifest_files(tmp_path / "tables")
    assert listed == [p.as_posix() for p in w.tables] + [
        f"../{p.as_posix()}" for p in w.maps
    ] or listed == [str(Path(p).relative_to("tables")) for p in w.tables] + [
        f"../{Path(p).as_posix()}" for p in w.maps]
    assert {"priorities.xlsx", "plan.xlsx", "terrain.xlsx", "../maps/coverage_commune.html"} \
        <= set(listed)
    assert sorted(listed) == sorted(
        [p.name for p in (tmp_path / "tables").iterdir() if p.name != "manifest.json"]
        + [f"../maps/{p.name}" for p in (tmp_path / "maps").iterdir()])


def test_a_demo_failing_in_its_maps_leaves_no_file(tmp_path, monkeypatch):
    import geocov.maps as maps

    monkeypatch.chdir(tmp_path)

    def broken(*args, **kw):
        raise OSError("no space left for the map")

    monkeypatch.setattr(maps, "coverage_map", broken)
    with pytest.raises(OSError, match="no space left"):
        app.run_demo("tables", maps_folder="maps")
    assert [p.name for p in (tmp_path / "tables").iterdir()] == []


def test_save_map_is_staged(tmp_path, monkeypatch):
    """A map that fails half-way through writing leaves the previous map."""
    import folium

    import geocov.maps as maps

    path = maps.save_map(folium.Map(tiles=None), tmp_path / "m.html")
    before = path.read_bytes()

    class Half(folium.Map):
        def get_root(self):
            root = super().get_root()
            root.render = lambda **kw: (_ for _ in ()).throw(OSError("interrupted"))
            return root

    real_write = Path.write_text

    def half_write(self, text, *a, **kw):
        real_write(self, text[:100], *a, **kw)
        raise OSError("disk full")

    monkeypatch.setattr(Path, "write_text", half_write)
    with pytest.raises(OSError, match="disk full"):
        maps.save_map(folium.Map(tiles=None, zoom_start=3), path)
    monkeypatch.undo()
    assert path.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["m.html"]


def test_the_priority_workbook_is_formatted(tmp_path, sample_result):
    from geocov.analysis import run_priorities

    a = app.read_analysis(geocov.sample_paths()["analysis"])
    p = run_priorities(a, sample_result)
    path = p.write(tmp_path, formats=["xlsx"])[0]
    wb = openpyxl.load_workbook(path)
    ws = wb[wb.sheetnames[1]]  # the villages
    header = [c.value for c in ws[1]]
    last = ws.cell(1, ws.max_column).column_letter
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == f"A1:{last}{ws.max_row}"
    assert ws.cell(1, 1).font.bold
    assert header[0] == "Rank" and ws.cell(2, 1).value == 1 and isinstance(ws.cell(2, 1).value, int)
    code = ws.cell(2, header.index("Village code") + 1)
    assert code.data_type == "s" and code.number_format == "@"
    people = ws.cell(2, header.index("Population") + 1)
    assert people.number_format == "#,##0" and isinstance(people.value, int)
    assert ws.column_dimensions["A"].width > 8
    communes = wb[[n for n in wb.sheetnames if "ommune" in n][0]]
    head = [c.value for c in communes[1]]
    assert communes.freeze_panes == "A2" and communes.auto_filter.ref
    villages = communes.cell(2, head.index("Villages") + 1)
    assert villages.number_format == "#,##0" and isinstance(villages.value, int)
    reasons = ws.cell(2, header.index("Reason codes") + 1)
    assert reasons.data_type == "s" and reasons.value  # words, though the name ends in "s"


# ------------------------------------------------------------ whole numbers in the CSVs
def _csv_column(path: Path, column: str) -> list[str]:
    import csv

    with open(path, encoding="utf-8-sig", newline="") as f:
        return [row[column] for row in csv.DictReader(f)]


def test_ranks_tiers_and_people_are_whole_numbers_in_the_csvs(tmp_path, sample_result):
    from geocov.analysis import run_plan, run_priorities

    a = app.read_analysis(geocov.sample_paths()["analysis"])
    p = run_priorities(a, sample_result)
    p.write(tmp_path, formats=["csv"])
    villages = tmp_path / "priorities_villages.csv"
    for col in ("rank", "tier", "rank_in_tier", "population", "people_newly_served"):
        values = _csv_column(villages, col)
        assert any(values) and all(v == "" or v.lstrip("-").isdigit() for v in values), col
    assert "" in _csv_column(villages, "rank")  # villages not listed: no rank (not "nan")
    communes = tmp_path / "priorities_communes.csv"
    assert all(v.isdigit() for v in _csv_column(communes, "people_listed"))
    pl = run_plan(a, sample_result, priorities=p, sites=3)
    pl.write(tmp_path, formats=["csv"])
    steps = tmp_path / "plan_steps.csv"
    for col in ("step", "villages_newly_served", "people_newly_served", "people_4g_after"):
        assert all(v.isdigit() for v in _csv_column(steps, col)), col
    assert not all(v.isdigit() for v in _csv_column(steps, "people_4g_pct_after"))


def test_fractional_people_and_measures_stay_as_they_are(tmp_path):
    from geocov.io import write_csv

    path = write_csv(pd.DataFrame({"people": [1.5, 2.0], "distance_4g_km": [3.0, 4.0],
                                   "villages": [3.0, None], "cost_usd": [10.0, 20.0]}),
                     tmp_path / "t.csv")
    assert path.read_text(encoding="utf-8-sig").splitlines() == [
        "people,distance_4g_km,villages,cost_usd", "1.5,3.0,3,10.0", "2.0,4.0,,20.0"]


# ------------------------------------------------------------ shares of missing figures
def test_share_of_a_missing_figure_is_unknown():
    import math

    assert report._share(3, 4) == 0.75
    for part, whole in ((pd.NA, 4), (3, pd.NA), (pd.NA, pd.NA), (float("nan"), 4), (3, 0),
                        (None, 4)):
        assert math.isnan(report._share(part, whole)), (part, whole)
