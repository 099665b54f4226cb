"""Analysis TOML and CLI inputs: reader options reach the readers, errors are one clean line,
hints name CLI options, ``validate`` separates problems from notes, overlaps warn, and
``geocov sample`` never writes into the package by default.

Every fixture is a tiny world built in code (2 districts x 2 communes of 2 km x 2 km in
UTM 48N), so that every figure can be checked by hand.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import Point, box

import geocov
from geocov.analysis import (
    load_inputs,
    read_analysis,
    run_analysis,
    unit_overlaps,
    validate_analysis,
)
from geocov.cli import main
from geocov.errors import DataQualityWarning, SchemaError, cli_hints
from geocov.io import RejectsReport, reject_rows, resolve_columns

CRS = "EPSG:32648"
X0, Y0, SIDE = 500_000.0, 2_400_000.0, 2_000.0
UNITS_TOML = (
    '[units]\npath = "units.gpkg"\nlayer = "communes"\n'
    'levels = { district = "district_name", commune = "commune_name" }\n'
    'codes = { district = "district_code", commune = "commune_code" }\n'
)


def _communes(overlap_m: float = 0.0, gap_m: float = 0.0) -> gpd.GeoDataFrame:
    """Four communes in a row, C1 C2 | C3 C4 (districts D1 | D2).

    ``overlap_m`` widens C1 eastwards into C2 (same district D1); ``gap_m`` cuts a hole
    ``gap_m`` wide and 50 m tall in C3, covered by no commune (a gap between units).
    """
    c3 = box(X0 + 2 * SIDE, Y0, X0 + 3 * SIDE, Y0 + SIDE)
    if gap_m:
        cx, cy = _centre(2)
        c3 = c3.difference(box(cx + 100, cy, cx + 100 + gap_m, cy + 50))
    geoms = [
        box(X0, Y0, X0 + SIDE + overlap_m, Y0 + SIDE),
        box(X0 + SIDE, Y0, X0 + 2 * SIDE, Y0 + SIDE),
        c3,
        box(X0 + 3 * SIDE, Y0, X0 + 4 * SIDE, Y0 + SIDE),
    ]
    return gpd.GeoDataFrame(
        {
            "district_code": ["D1", "D1", "D2", "D2"],
            "district_name": ["Huyện Một", "Huyện Một", "Huyện Hai", "Huyện Hai"],
            "commune_code": ["C1", "C2", "C3", "C4"],
            "commune_name": ["Xã Một", "Xã Hai", "Xã Ba", "Xã Bốn"],
        },
        geometry=geoms,
        crs=CRS,
    )


def _centre(i: int) -> tuple[float, float]:
    return X0 + (i + 0.5) * SIDE, Y0 + SIDE / 2


@pytest.fixture
def world(tmp_path: Path) -> Path:
    """units.gpkg, villages.csv (one village per commune centre, metric x/y) and a
    stations.gpkg with two layers: ``far`` (first; covers nothing) and ``near`` (one 4G
    station at C1's centre, 1,500 m: covers C1's village only)."""
    _communes().to_file(tmp_path / "units.gpkg", layer="communes")
    pd.DataFrame(
        {
            "ma_thon": [f"V{i + 1}" for i in range(4)],
            "ma_xa": [f"C{i + 1}" for i in range(4)],
            "x": [_centre(i)[0] for i in range(4)],
            "y": [_centre(i)[1] for i in range(4)],
        }
    ).to_csv(tmp_path / "villages.csv", index=False)
    stations = tmp_path / "stations.gpkg"
    for layer, (x, y) in (("far", (X0 + 20_000, Y0 + 20_000)), ("near", _centre(0))):
        gpd.GeoDataFrame(
            {"station_id": [layer], "technology": ["4G"], "range_m": [1500.0]},
            geometry=[Point(x, y)],
            crs=CRS,
        ).to_file(stations, layer=layer)
    return tmp_path


def _toml(folder: Path, body: str, name: str = "a.toml") -> Path:
    path = folder / name
    path.write_text(UNITS_TOML + body, encoding="utf-8")
    return path


VILLAGES_TOML = '[villages]\npath = "villages.csv"\ncrs = "EPSG:32648"\n'


def invoke(*args: object) -> object:
    return CliRunner().invoke(main, [str(a) for a in args])


def assert_clean_error(r, code: int = 1) -> None:
    """Exit code, one readable error line, no traceback."""
    assert r.exit_code == code, r.output
    assert isinstance(r.exception, SystemExit), repr(r.exception)
    assert "Traceback" not in r.output
    assert [ln for ln in r.output.splitlines() if ln.startswith("Error")], r.output


# ----------------------------------------------------------------------- layer, options
@pytest.mark.parametrize("layer, covered", [("near", 1), ("far", 0)])
def test_stations_layer_in_toml_is_read(world, layer, covered):
    a = _toml(world, VILLAGES_TOML + f'[stations]\npath = "stations.gpkg"\nlayer = "{layer}"\n')
    assert list(load_inputs(read_analysis(a))["stations"]["station_id"]) == [layer]
    total = run_analysis(a).table("total")
    assert int(total["villages_covered_4g"].iloc[0]) == covered


def test_stations_layer_through_cli(world):
    out = world / "out"
    for layer, covered in (("near", 1), ("far", 0)):
        a = _toml(world, VILLAGES_TOML + '[stations]\npath = "stations.gpkg"\nlayer = "far"\n')
        r = invoke("report", "--analysis", a, "--stations-layer", layer, "-o", out / "r.csv")
        assert r.exit_code == 0, r.output
        total = pd.read_csv(out / "r_total.csv", encoding="utf-8-sig")
        assert int(total["villages_covered_4g"].iloc[0]) == covered


@pytest.mark.parametrize("layer, villages", [("some", 2), ("all", 4)])
def test_villages_layer_in_toml_is_read(world, layer, villages):
    gpkg = world / "villages.gpkg"
    for name, n in (("all", 4), ("some", 2)):
        gpd.GeoDataFrame(
            {"village_code": [f"V{i + 1}" for i in range(n)]},
            geometry=[Point(*_centre(i)) for i in range(n)],
            crs=CRS,
        ).to_file(gpkg, layer=name)
    a = _toml(world, f'[villages]\npath = "villages.gpkg"\nlayer = "{layer}"\n')
    assert int(run_analysis(a).table("total")["villages"].iloc[0]) == villages
    r = invoke("report", "--analysis", a, "--villages-layer", "all", "-o", world / "r.csv")
    assert r.exit_code == 0, r.output
    assert int(pd.read_csv(world / "r_total.csv", encoding="utf-8-sig")["villages"].iloc[0]) == 4


def test_every_section_key_goes_to_its_reader(world, monkeypatch):
    import geocov.fiber
    import geocov.stations
    import geocov.villages

    seen: dict[str, dict] = {}

    def fake(name):
        def reader(path, **kw):
            seen[name] = kw
            return None

        return reader

    monkeypatch.setattr(geocov.villages, "read_villages", fake("villages"))
    monkeypatch.setattr(geocov.stations, "read_stations", fake("stations"))
    monkeypatch.setattr(geocov.fiber, "read_fiber", fake("fiber"))
    a = _toml(
        world,
        '[villages]\npath = "v.xlsx"\nlayer = "thon"\nencoding = "cp1258"\ndecimal = ","\n'
        'columns = { unit_code = "ma_xa" }\n'
        '[stations]\npath = "s.gpkg"\nlayer = 2\nencoding = "utf-8"\ndecimal = "."\n'
        'opencellid_range = true\nmax_range_m = { "4G" = 30000 }\n'
        '[fiber]\npath = "f.csv"\nencoding = "cp1258"\ndecimal = ","\nreach_m = 500\n',
    )
    load_inputs(read_analysis(a))
    assert seen["villages"] == {
        "layer": "thon",
        "encoding": "cp1258",
        "decimal": ",",
        "columns": {"unit_code": "ma_xa"},
        "rejects": None,
    }
    assert seen["stations"] == {
        "layer": 2,
        "encoding": "utf-8",
        "decimal": ".",
        "opencellid_range": True,
        "max_range_m": {"4G": 30000},
        "rejects": None,
    }
    assert seen["fiber"] == {"encoding": "cp1258", "decimal": ",", "reach_m": 500, "rejects": None}


def test_every_toml_input_key_is_an_argument_of_the_real_reader():
    import inspect

    from geocov.analysis import _SECTIONS

    readers = {
        "units": geocov.read_units,
        "villages": geocov.read_villages,
        "stations": geocov.read_stations,
        "fiber": geocov.read_fiber,
    }
    for section, reader in readers.items():
        params = set(inspect.signature(reader).parameters)
        assert set(_SECTIONS[section]) - {"path"} <= params, section


def test_cli_options_set_section_keys(world, monkeypatch):
    import geocov.analysis

    seen = {}

    def fake_run(analysis, rejects=None, **kw):
        seen["a"] = analysis
        raise SchemaError("stop here")

    monkeypatch.setattr(geocov.analysis, "run_analysis", fake_run)
    a = _toml(world, VILLAGES_TOML)
    r = invoke(
        "report", "--analysis", a,
        "--villages-columns", "unit_code=ma_xa,village_code=ma_thon",
        "--villages-layer", "thon", "--villages-decimal", ",",
        "--stations", world / "stations.gpkg", "--stations-layer", "near",
        "--stations-encoding", "cp1258", "--stations-decimal", ".", "--opencellid-range",
        "--max-range-m", "4G=30000,5G=8000",
        "--fiber", world / "villages.csv", "--fiber-columns", "village_code=ma_thon",
        "--fiber-encoding", "utf-8", "--fiber-layer", "x", "--fiber-decimal", ",",
        "--units-encoding", "cp1258",
        "-o", world / "r.csv",
    )  # fmt: skip
    assert_clean_error(r)
    assert "stop here" in r.output
    got = seen["a"]
    assert got.villages == {
        "path": str(world / "villages.csv"),
        "crs": "EPSG:32648",
        "columns": {"unit_code": "ma_xa", "village_code": "ma_thon"},
        "layer": "thon",
        "decimal": ",",
    }
    assert got.stations == {
        "path": str(world / "stations.gpkg"),
        "layer": "near",
        "encoding": "cp1258",
        "decimal": ".",
        "opencellid_range": True,
        "max_range_m": {"4G": 30000.0, "5G": 8000.0},
    }
    assert got.fiber == {
        "path": str(world / "villages.csv"),
        "layer": "x",
        "columns": {"village_code": "ma_thon"},
        "encoding": "utf-8",
        "decimal": ",",
    }
    assert got.units["encoding"] == "cp1258" and got.units["layer"] == "communes"


def test_input_option_without_its_input_is_a_usage_error(world):
    r = invoke("report", "--analysis", _toml(world, ""), "--villages-columns", "a=b",
               "-o", world / "r.csv")  # fmt: skip
    assert r.exit_code == 2
    assert "--villages-columns needs --villages (or [villages] in the analysis TOML)" in r.output


def test_max_range_option_takes_a_number_or_pairs(world):
    a = _toml(world, "")
    r = invoke("report", "--analysis", a, "--max-range-m", "4G=far", "-o", world / "r.csv")
    assert r.exit_code == 2
    assert "expected a number of metres or TECH=metres pairs" in r.output
    assert "--max-range-m" in r.output


def test_units_population_false_and_decimal_are_accepted(tmp_path):
    a = read_analysis(_toml(tmp_path, ""))
    path = tmp_path / "b.toml"
    path.write_text(UNITS_TOML + 'population = false\ndecimal = ","\n', encoding="utf-8")
    b = read_analysis(path)
    assert b.units["population"] is False and b.units["decimal"] == ","
    assert "population" not in a.units


@pytest.mark.parametrize(
    "body, message",
    [
        ('[stations]\npath = "s.csv"\nopencellid_range = "yes"\n',
         r"\[stations\] opencellid_range must be true or false, got 'yes'"),
        ('[villages]\npath = "v.csv"\ndecimal = ";"\n',
         r"""\[villages\] decimal must be "," or "\.", got ';'"""),
        ('[stations]\npath = "s.csv"\nlayer = true\n',
         r"\[stations\] layer must be a layer name or number, got True"),
        ('[fiber]\npath = "f.csv"\nreach_m = "2 km"\n',
         r"\[fiber\] reach_m must be a number, got '2 km'"),
        ('[model]\nresolution_m = 0\n', r"\[model\] resolution_m must be a positive number"),
        ('[model]\nworkers = 0\n', r"\[model\] workers must be a whole number of threads"),
        ('[model]\nworkers = 1.5\n', r"\[model\] workers must be a whole number.*got 1\.5"),
        ('[output]\nformats = ["pdf"]\n', r"\[output\] formats \['pdf'\] not known"),
        ('[villages]\npath = "v.csv"\nencodng = "utf-8"\n',
         r"unknown key\(s\) \['encodng'\] in \[villages\]"),
    ],
)  # fmt: skip
def test_toml_values_of_the_wrong_type(tmp_path, body, message):
    with pytest.raises(SchemaError, match=message):
        read_analysis(_toml(tmp_path, body))


def test_workers_reach_the_engine_from_the_toml_and_the_cli(tmp_path, monkeypatch):
    """[model] workers and --workers set the threads coverage works with."""
    import dataclasses

    import geocov.engine

    seen: list[int] = []
    engine = geocov.engine.grid_coverage

    def spy(*args, **kwargs):
        seen.append(kwargs["workers"])
        return engine(*args, **kwargs)

    monkeypatch.setattr(geocov.engine, "grid_coverage", spy)
    sample = read_analysis(geocov.sample_paths()["analysis"])
    geocov.run_analysis(dataclasses.replace(sample, model={**sample.model, "workers": 1}))
    toml = Path(geocov.sample_paths()["analysis"])
    res = CliRunner().invoke(main, ["report", "--analysis", str(toml), "--workers", "3",
                                    "--level", "commune", "-o", str(tmp_path / "r.csv")])
    assert res.exit_code == 0, res.output
    assert seen == [1, 2]  # 3 workers: the grid's tiles in 2 threads beside the calling one
    res = CliRunner().invoke(main, ["report", "--analysis", str(toml), "--workers", "0"])
    assert res.exit_code == 2 and "--workers" in res.output


# ----------------------------------------------------------------------- broken TOML
BROKEN = {
    "syntax": ("[units\npath = 'x'\n", r"a\.toml: not valid TOML"),
    "unknown key": (
        UNITS_TOML + "[stations]\npath = 'x.csv'\nlayr = 'a'\n",
        r"unknown key\(s\) \['layr'\] in \[stations\]",
    ),
    "missing input": (UNITS_TOML.replace("units.gpkg", "nope.gpkg"), r"nope\.gpkg"),
    "value for a section": (
        "population = 'pop.tif'\n" + UNITS_TOML,
        r"population must be a section with its own keys \(raster, source\), not population "
        r"= 'pop.tif'; write it on lines of its own: \[population\] then raster = 'pop.tif'",
    ),
}


@pytest.mark.parametrize("command", ["run", "report", "map", "validate"])
@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_toml_is_one_error_line(world, command, case):
    text, message = BROKEN[case]
    a = world / "a.toml"
    a.write_text(text, encoding="utf-8")
    args = {
        "run": ["run", a, "-o", world / "o"],
        "report": ["report", "--analysis", a, "-o", world / "r.csv"],
        "map": ["map", "--analysis", a, "-o", world / "m.html"],
        "validate": ["validate", "--analysis", a, "--rejects", world / "rej.csv"],
    }[command]
    r = invoke(*args)
    assert_clean_error(r)
    assert re.search(message, r.output), r.output


@pytest.mark.parametrize("command", ["run", "report", "map", "validate"])
def test_missing_toml_file_is_a_usage_error(tmp_path, command):
    missing = tmp_path / "missing.toml"
    args = [command, missing] if command == "run" else [command, "--analysis", missing]
    if command in ("report",):
        args += ["-o", tmp_path / "r.csv"]
    r = invoke(*args)
    assert r.exit_code == 2 and "Traceback" not in r.output
    assert "does not exist" in r.output


def test_output_that_cannot_be_written_is_one_error_line(world):
    (world / "afile").write_text("x", encoding="utf-8")
    r = invoke("report", "--analysis", _toml(world, ""), "-o", world / "afile" / "r.csv")
    assert_clean_error(r)
    assert "afile" in r.output


def test_read_analysis_missing_file_names_it(tmp_path):
    with pytest.raises(geocov.DataSourceError, match=r"missing\.toml: analysis file not found"):
        read_analysis(tmp_path / "missing.toml")


# ----------------------------------------------------------------------- hints
def test_reject_rows_hint_fits_where_the_user_is():
    frame = pd.DataFrame({"source_file": ["b.csv"], "source_row": [2], "lat": ["x"]})
    kw = dict(column="lat", values=frame["lat"], reason="bad", fix="Fix it.", rejects=None)
    with pytest.raises(SchemaError, match=r"pass rejects=geocov\.RejectsReport\(\)"):
        reject_rows([True], frame, **kw)
    with cli_hints(), pytest.raises(SchemaError, match=r"Fix it\. \(or add --lenient to skip"):
        reject_rows([True], frame, **kw)


def test_resolve_columns_hint_names_the_cli_option():
    frame = pd.DataFrame(columns=["Site", "Y"])
    aliases = {"lat": ["latitude"], "lon": ["lng"]}
    kw = dict(given=None, required=["lat"], file="b.csv")
    with pytest.raises(SchemaError, match=r"pass columns=\{'lat': '<your column>'\}"):
        resolve_columns(frame, aliases, **kw)
    with cli_hints():
        with pytest.raises(
            SchemaError,
            match=r"pass --stations-columns lat='<your column>' "
            r"\(in an analysis TOML: columns = \{ lat = ",
        ):
            resolve_columns(frame, aliases, cli_option="--stations-columns", **kw)
        with pytest.raises(SchemaError, match=r"unknown key\(s\) \['x'\] in --columns;"):
            resolve_columns(frame, aliases, given={"x": "Site"}, required=[], file="b.csv")
        with pytest.raises(SchemaError, match=r"'Q' \(given for 'lat' in --villages-columns\)"):
            resolve_columns(
                frame,
                aliases,
                given={"lat": "Q"},
                required=[],
                file="b.csv",
                cli_option="--villages-columns",
            )


def test_cli_strict_error_names_lenient_not_python(world):
    pd.DataFrame(
        {"station_id": ["A", "B"], "technology": ["4G", "4G"], "lon": ["104.0", "abc"],
         "lat": ["21.7", "21.7"]}
    ).to_csv(world / "bts.csv", index=False)  # fmt: skip
    a = _toml(world, '[stations]\npath = "bts.csv"\n')
    r = invoke("run", a, "-o", world / "o")
    assert_clean_error(r)
    assert "bts.csv" in r.output and "row 3" in r.output
    assert "add --lenient" in r.output and "RejectsReport" not in r.output


def test_cli_missing_column_names_the_cli_option(world):
    pd.DataFrame({"station_id": ["A"], "technology": ["4G"], "kinh_do_x": ["105.0"],
                  "lat": ["21.7"]}).to_csv(world / "bts.csv", index=False)  # fmt: skip
    a = _toml(world, '[stations]\npath = "bts.csv"\n')
    r = invoke("run", a, "-o", world / "o")
    assert_clean_error(r)
    assert "pass --stations-columns lon='<your column>'" in r.output
    assert "columns={" not in r.output


def test_villages_columns_option_reaches_the_reader(world):
    v = pd.read_csv(world / "villages.csv").rename(columns={"ma_xa": "where", "ma_thon": "id_t"})
    v.to_csv(world / "odd.csv", index=False)
    a = _toml(world, '[villages]\npath = "odd.csv"\ncrs = "EPSG:32648"\n')
    args = ["report", "--analysis", a, "--level", "commune", "-o", world / "r.csv"]
    r = invoke(*args, "--villages-columns", "unit_code=where,village_code=id_t")
    assert r.exit_code == 0, r.output
    t = pd.read_csv(world / "r_commune.csv", encoding="utf-8-sig")
    assert t["villages"].tolist() == [1, 1, 1, 1]


# ----------------------------------------------------------------------- validate
def test_validate_separates_problems_from_topology_notes(world):
    _communes(overlap_m=200, gap_m=20).to_file(world / "units.gpkg", layer="communes")
    r = invoke("validate", "--analysis", _toml(world, VILLAGES_TOML),
               "--rejects", world / "rej.csv")  # fmt: skip
    assert r.exit_code == 1, r.output
    out = r.output
    assert "problems that change figures:\n" in out
    # C1 spills 200 m x 2 km = 0.4 km² into C2: district D1 (8.4 km² summed) and the total
    assert (
        "  district Huyện Một (D1): overlapping communes count 0.400 km² twice (4.76% of its "
        "8.4 km²)\n  total: overlapping communes count 0.400 km² twice (2.44% of its 16.4 km²)\n"
    ) in out
    notes = out[out.index("topology notes") :]
    assert "  commune: 1 gap(s), 0.001 km² in total" in notes
    assert re.search(r"  commune: \d+ invalid edge\(s\)\n", notes)
    assert "overlap" not in notes
    assert not re.search(r"\d\.0 (row|gap|overlap|invalid)", out)  # integer counts
    topo = pd.read_csv(world / "topology.csv")
    assert topo.loc[topo["problem"] == "overlap", "changes_figures"].all()
    assert not topo.loc[topo["problem"] != "overlap", "changes_figures"].any()


def test_validate_lists_ten_units_per_level_then_counts_the_rest(tmp_path):
    """12 districts of two 1 km² communes, each pair overlapping by 0.1 km²."""
    rows = []
    for d in range(12):
        x = X0 + d * 3_000
        rows += [
            (f"D{d:02}", f"Huyện {d:02}", f"C{d:02}a", box(x, Y0, x + 1_100, Y0 + 1_000)),
            (f"D{d:02}", f"Huyện {d:02}", f"C{d:02}b", box(x + 1_000, Y0, x + 2_000, Y0 + 1_000)),
        ]
    gpd.GeoDataFrame(
        [r[:3] for r in rows], columns=["district_code", "district_name", "commune_code"],
        geometry=[r[3] for r in rows], crs=CRS,
    ).assign(commune_name=lambda t: t["commune_code"]).to_file(
        tmp_path / "units.gpkg", layer="communes")  # fmt: skip
    r = invoke("validate", "--analysis", _toml(tmp_path, ""), "--rejects", tmp_path / "r.csv")
    assert r.exit_code == 1, r.output
    listed = [ln for ln in r.output.splitlines() if ln.startswith("  district Huyện")]
    assert len(listed) == 10
    assert "  ... and 2 more district(s) whose area figure counts overlapping land twice" in (
        r.output
    )
    assert re.search(r"\n  total: overlapping communes count 1\.20\d km² twice", r.output)


def test_validate_topology_notes_alone_exit_zero(world):
    _communes(gap_m=20).to_file(world / "units.gpkg", layer="communes")
    r = invoke("validate", "--analysis", _toml(world, VILLAGES_TOML),
               "--rejects", world / "rej.csv")  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "no problem that changes figures" in r.output
    assert "  commune: 1 gap(s), 0.001 km² in total" in r.output


def test_validate_reports_unknown_fiber_codes(world):
    pd.DataFrame({"ma_xa": ["C1", "C9"]}).to_csv(world / "fiber.csv", index=False)
    a = _toml(world, VILLAGES_TOML + '[fiber]\npath = "fiber.csv"\n')
    v = validate_analysis(a)
    assert v.changes_figures
    assert v.problems[["kind", "where", "count"]].values.tolist() == [
        ["rejected_rows", "fiber.csv", 1]
    ]
    assert "listed unit code(s) ['C9'] not found" in v.problems["detail"].iloc[0]
    r = invoke("validate", "--analysis", a, "--rejects", world / "rej.csv")
    assert r.exit_code == 1
    assert "  fiber.csv (fiber): 2 read, 1 used, 1 rejected" in r.output
    assert "  fiber.csv: 1 row(s) rejected: listed unit code(s) ['C9'] not found" in r.output


def test_validate_reports_villages_outside_their_commune(world):
    v = pd.read_csv(world / "villages.csv")
    v.loc[3, ["x", "y"]] = _centre(0)  # V4 says C4 but lies in C1, 4 km away
    v.to_csv(world / "villages.csv", index=False)
    r = invoke("validate", "--analysis", _toml(world, VILLAGES_TOML),
               "--rejects", world / "rej.csv")  # fmt: skip
    assert r.exit_code == 1, r.output
    problems = r.output[r.output.index("problems that change figures:") :]
    assert re.search(r"\n  villages\.csv: 1 row\(s\) rejected: lies more than 500 m outside "
                     r"the commune", problems), r.output  # fmt: skip
    assert pd.read_csv(world / "rej.csv")["row"].tolist() == [5]


def test_validate_analysis_counts_are_integers(world):
    pd.DataFrame(
        {"station_id": ["A", "B"], "technology": ["4G", "4G"], "lon": ["104.0", "abc"],
         "lat": ["21.7", "21.7"]}
    ).to_csv(world / "bts.csv", index=False)  # fmt: skip
    v = validate_analysis(_toml(world, '[stations]\npath = "bts.csv"\n'))
    for col in ("rows_read", "rows_used", "rows_rejected"):
        assert v.files[col].dtype.kind == "i"
    assert v.problems["count"].dtype.kind == "i"
    assert v.files.set_index("file").loc["bts.csv", "rows_rejected"] == 1


# ----------------------------------------------------------------------- overlaps
def test_run_analysis_warns_when_overlaps_change_an_area_figure(world):
    _communes(overlap_m=200).to_file(world / "units.gpkg", layer="communes")
    with pytest.warns(
        DataQualityWarning,
        match=r"overlapping communes make 2 area figure\(s\) too large \(the union of the "
        r"overlapping units is smaller than their sum\): district Huyện Một \(D1\) by 0\.40 "
        r"km² \(4\.76% of 8\.4 km²\), the total by 0\.40 km² \(2\.44%\)\. Fix the boundary "
        r"file; geocov\.validate_units\(units\) lists the overlaps\.",
    ):
        run_analysis(_toml(world, ""))


def test_report_prints_the_overlap_warning_as_one_line(world):
    _communes(overlap_m=200).to_file(world / "units.gpkg", layer="communes")
    r = invoke("report", "--analysis", _toml(world, ""), "-o", world / "r.csv")
    assert r.exit_code == 0, r.output
    lines = [ln for ln in r.output.splitlines() if "overlapping communes" in ln]
    assert len(lines) == 1 and lines[0].startswith("warning: overlapping communes make 2 area")
    assert lines[0].endswith("`geocov validate` lists the overlaps.")
    assert "DataQualityWarning" not in r.output and ".py:" not in r.output


def test_slivers_do_not_warn(world):
    _communes(overlap_m=1, gap_m=20).to_file(world / "units.gpkg", layer="communes")
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataQualityWarning)
        run_analysis(_toml(world, ""))  # 0.002 km² < 0.01 km²: no warning


@settings(max_examples=25, deadline=None)
@given(overlap_m=st.floats(0.0, 600.0), min_pct=st.sampled_from([0.01, 0.1, 1.0]))
def test_unit_overlaps_flags_exactly_above_both_thresholds(overlap_m, min_pct):
    units = _communes(overlap_m=overlap_m)
    got = unit_overlaps(units, min_pct=min_pct, min_km2=0.01)
    area = overlap_m * SIDE / 1e6  # km², the strip of C1 inside C2
    expect = []
    for level, code, total_km2 in (("district", "D1", 8.0 + area), ("total", "total", 16.0 + area)):
        pct = 100 * area / total_km2
        if abs(area / 0.01 - 1) < 5e-3 or abs(pct / min_pct - 1) < 5e-3:
            return  # too close to a threshold: UTM and equal-area km² differ by 0.08%
        if area > 0.01 and pct > min_pct:
            expect.append((level, code))
    assert list(zip(got["level"], got["code"], strict=True)) == expect
    if expect:
        assert got["overlap_km2"].to_numpy() == pytest.approx(area, rel=1e-3)


# ----------------------------------------------------------------------- sample
def test_sample_default_writes_a_folder_in_the_current_directory(tmp_path, monkeypatch):
    shipped = geocov.sample_paths()
    before = {k: p.stat().st_mtime_ns for k, p in shipped.items()}
    monkeypatch.chdir(tmp_path)
    r = invoke("sample")
    assert r.exit_code == 0, r.output
    folder = tmp_path / "geocov-sample"
    assert (folder / "analysis.toml").is_file() and (folder / "sample_province.gpkg").is_file()
    assert {k: p.stat().st_mtime_ns for k, p in shipped.items()} == before
    assert read_analysis(folder / "analysis.toml").units["path"] == str(
        folder / "sample_province.gpkg"
    )


def test_sample_update_shipped_is_explicit_and_refused_when_installed(tmp_path, monkeypatch):
    import geocov.cli.sample as cli_sample
    import geocov.sample

    calls = []
    monkeypatch.setattr(geocov.sample, "write_sample", lambda folder, seed: calls.append(folder)
                        or {})  # fmt: skip
    r = invoke("sample", "--update-shipped")
    assert r.exit_code == 0, r.output
    assert calls == [None]  # the shipped locations
    r = invoke("sample", "--update-shipped", "--out", tmp_path / "x")
    assert r.exit_code == 2 and "--update-shipped writes the shipped locations" in r.output
    r = invoke("sample", "--update-shipped", "--seed", "7")
    assert r.exit_code == 2 and "the shipped sample uses seed 2020" in r.output
    monkeypatch.setattr(cli_sample, "_is_installed", lambda path: True)
    r = invoke("sample", "--update-shipped")
    assert r.exit_code == 2 and "geocov is installed at" in r.output
    assert calls == [None]


def test_is_installed_recognises_site_packages(tmp_path):
    from geocov.cli.sample import _is_installed

    assert _is_installed(tmp_path / "lib" / "python3.11" / "site-packages" / "geocov")
    assert not _is_installed(tmp_path / "checkout" / "geocov")


def test_rejects_report_for_lenient_validate_accounts_for_every_row(world):
    v = validate_analysis(_toml(world, VILLAGES_TOML))
    assert (v.files["rows_read"] == v.files["rows_used"] + v.files["rows_rejected"]).all()
    assert isinstance(v.rejects, RejectsReport) and not v.changes_figures


def test_validate_cells_not_counted_are_left_out_by_design_not_problems(world):
    """A national OpenCelliD file always has NB-IoT/CDMA cells: they are accounted for, but
    they are no defect, so validate still exits 0."""
    x, y = _centre(0)
    pd.DataFrame({"station_id": ["A", "B", "C"], "technology": ["LTE", "NB-IoT", "CDMA"],
                  "x": [x] * 3, "y": [y] * 3}).to_csv(world / "bts.csv", index=False)
    a = _toml(world, VILLAGES_TOML + '[stations]\npath = "bts.csv"\ncrs = "EPSG:32648"\n')
    v = validate_analysis(a)
    assert not v.changes_figures
    assert v.left_out.values.tolist() == [
        ["bts.csv", 1, "technology not counted (NB-IoT)"],
        ["bts.csv", 1, "technology not counted (CDMA)"]]
    assert len(v.rejects) == 2  # still accounted for
    r = invoke("validate", "--analysis", a, "--rejects", world / "rej.csv")
    assert r.exit_code == 0, r.output
    assert "left out by design (no mobile broadband for people; in the rejects too):\n" \
           "  bts.csv: 1 row(s): technology not counted (NB-IoT)\n" in r.output
