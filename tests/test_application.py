"""The application layer (geocov.analysis): run an analysis and write what it asks for.

The CLI commands report, run, map, demo and validate only parse options, call these and
print; tests/test_cli.py checks what they print.
"""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

import geocov
from geocov import analysis as app
from geocov.errors import DataSourceError, SchemaError
from geocov.vocabulary import UnknownLevelError


@pytest.fixture(scope="module")
def sample_analysis():
    return app.read_analysis(geocov.sample_paths()["analysis"])


@pytest.fixture
def no_run(monkeypatch):
    """Fail the test if the analysis is computed."""

    def refuse(*args, **kwargs):
        raise AssertionError("the analysis was computed")

    monkeypatch.setattr(app, "run_analysis", refuse)


def test_write_outputs_follows_the_output_section(sample_result, sample_analysis, tmp_path):
    analysis = sample_analysis.with_output(
        folder=str(tmp_path / "out"), levels=["district"], formats=["csv"]
    )
    rejects = geocov.RejectsReport()
    w = app.write_outputs(sample_result, analysis, rejects=rejects)
    names = [p.name for p in w.tables]
    # the levels asked for, and always the total
    assert names[:2] == ["coverage_district.csv", "coverage_total.csv"]
    assert all(p.parent == tmp_path / "out" for p in w.tables)
    assert not any(p.suffix in (".gpkg", ".xlsx") for p in w.tables)
    assert w.rejects_path == tmp_path / "out" / "rejects.csv" and w.rejects_path.exists()
    district = pd.read_csv(w.tables[0], encoding="utf-8-sig")
    assert len(district) == len(sample_result.table("district")) == 9


def test_write_outputs_one_target_file(sample_result, tmp_path):
    target = tmp_path / "new" / "folder" / "report.xlsx"
    w = app.write_outputs(sample_result, target=target, level="commune")
    assert w.tables == (target,) and target.exists()  # its folder was created
    with pd.ExcelFile(target) as xl:
        assert xl.sheet_names == ["Summary", "Communes", "Communes by operator", "Columns"]
    assert w.rejects is None and w.rejects_path is None


def test_write_outputs_default_folder(sample_result, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    w = app.write_outputs(sample_result, formats=["csv"])
    assert w.tables[0] == app.Path("geocov-out") / "coverage_province.csv"


def test_unknown_suffix_refused_before_any_work(no_run, tmp_path):
    with pytest.raises(SchemaError, match=r"output must end in \.xlsx, \.gpkg or \.csv"):
        app.run_and_write(geocov.sample_paths()["analysis"], target=tmp_path / "r.txt")
    assert not (tmp_path / "r.txt").exists()


def test_run_and_write_equals_the_library(sample_result, tmp_path):
    w = app.run_and_write(
        geocov.sample_paths()["analysis"], target=tmp_path / "r.csv", level="total"
    )
    total = pd.read_csv(w.tables[0], encoding="utf-8-sig")
    assert w.result.summary() == sample_result.summary()
    assert int(total["villages_covered_4g"].iloc[0]) == int(
        sample_result.table("total")["villages_covered_4g"].iloc[0]
    )


def test_write_map_unknown_level(tmp_path):
    with pytest.raises(
        UnknownLevelError,
        match=r"'ward' is not a level of these units; use one of province, district, commune",
    ) as info:
        app.write_map(geocov.sample_paths()["analysis"], tmp_path / "m.html", level="ward")
    assert info.value.valid == ("province", "district", "commune")
    assert not (tmp_path / "m.html").exists()


def test_write_map_png_without_chromium_fails_before_any_work(no_run, monkeypatch, tmp_path):
    from geocov import maps

    monkeypatch.setattr(maps, "find_chromium", lambda: None)
    with pytest.raises(DataSourceError, match="save_png needs Chromium and found none"):
        app.write_map(
            geocov.sample_paths()["analysis"], tmp_path / "m.html", png=tmp_path / "m.png"
        )
    assert not (tmp_path / "m.html").exists()


def test_write_map_finest_level_and_rejects(tmp_path):
    rejects = geocov.RejectsReport()
    w = app.write_map(
        geocov.sample_paths()["analysis"],
        tmp_path / "m.html",
        metric="area_pct_any",
        rejects=rejects,
    )
    assert w.maps == (tmp_path / "m.html",)
    html = w.maps[0].read_text(encoding="utf-8")
    assert '"level":"commune"' in html and '"metric":"area_pct_any"' in html
    assert w.rejects_path == tmp_path / "rejects.csv" and w.rejects_path.exists()


def test_run_demo_writes_tables_and_one_map_per_level(tmp_path):
    w = app.run_demo(tmp_path / "t", maps_folder=tmp_path / "m")
    assert {p.name for p in w.tables} >= {"coverage_commune.csv", "coverage.xlsx"}
    assert [p.name for p in w.maps] == [
        "coverage_province.html",
        "coverage_district.html",
        "coverage_commune.html",
    ]
    assert all(p.exists() for p in (*w.tables, *w.maps))


def test_validation_write(tmp_path):
    v = app.validate_analysis(geocov.sample_paths()["analysis"])
    rej, topo = v.write(tmp_path / "a" / "rej.csv")
    assert rej == tmp_path / "a" / "rej.csv" and topo == tmp_path / "a" / "topology.csv"
    assert len(pd.read_csv(topo, encoding="utf-8-sig")) == len(v.topology)
    _, topo2 = v.write(tmp_path / "b.csv", tmp_path / "t.csv")
    assert topo2 == tmp_path / "t.csv" and topo2.exists()


def test_cli_map_png_without_chromium_writes_nothing(monkeypatch, tmp_path):
    from geocov import maps
    from geocov.cli import main

    monkeypatch.setattr(maps, "find_chromium", lambda: None)
    res = CliRunner().invoke(
        main,
        [
            "map",
            "--analysis",
            str(geocov.sample_paths()["analysis"]),
            "-o",
            str(tmp_path / "m.html"),
            "--png",
            str(tmp_path / "m.png"),
        ],
    )
    assert res.exit_code == 1 and "save_png needs Chromium" in res.output
    assert not (tmp_path / "m.html").exists()
