"""Fiber lists as planners hold them: code lists without geometry, Vietnamese headers,
yes/no columns, lenient mode, and every CLI command.

Layout (km, offsets from (500 000, 2 400 000) in UTM 48N)::

    y 10 +-----------------+-----------------+
         |  commune 01     |  commune 02     |
         |  0101 at (2.5,5)|  0201 at (12.5,5)|
         |  0102 at (7.5,5)|  0202 at (17.5,5)|
    y  0 +-----------------+-----------------+
         x 0              10                20

Village codes and commune codes have leading zeros, as in the official lists.
"""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyproj import Transformer
from shapely import Point, box

import geocov
from geocov.cli import main
from geocov.errors import DataQualityWarning, SchemaError
from geocov.fiber import REJECTED_VILLAGES_ATTR, check_fiber_codes, fiber_reach, read_fiber
from geocov.io import RejectsReport, parse_flags
from geocov.report import read_report

UTM = "EPSG:32648"
X0, Y0 = 500_000.0, 2_400_000.0
VILLAGES = {"0101": (2.5, "01"), "0102": (7.5, "01"), "0201": (12.5, "02"), "0202": (17.5, "02")}


def km(x, y):
    return X0 + x * 1000, Y0 + y * 1000


def make_units() -> gpd.GeoDataFrame:
    units = gpd.GeoDataFrame(
        {"commune_code": ["01", "02"], "commune_name": ["Xã Một", "Xã Hai"]},
        geometry=[box(*km(0, 0), *km(10, 10)), box(*km(10, 0), *km(20, 10))], crs=UTM)
    units.attrs["geocov_levels"] = ("commune",)
    return units


def make_villages(**unit_codes: str) -> gpd.GeoDataFrame:
    """The four villages, read by read_villages; ``unit_codes`` overrides a village's code."""
    frame = gpd.GeoDataFrame(
        {"village_code": list(VILLAGES),
         "village_name": ["Bản Khoang", "Nậm Cang", "Thôn Tòng", "Bản Pho"],
         "unit_code": [unit_codes.get(f"v{c}", u) for c, (_, u) in VILLAGES.items()],
         "population": [100.0, 200.0, 300.0, 400.0],
         "source_file": "villages.csv", "source_row": [2, 3, 4, 5]},
        geometry=[Point(km(x, 5)) for x, _ in VILLAGES.values()], crs=UTM)
    return geocov.read_villages(frame)


def write_list(path, rows, header="Mã xã;Mã thôn;Tên thôn;Cáp quang"):
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


# The hand-made list: 0101 có, 0102 x, 0201 không.  Villages with fiber: 2 in commune 01
# (0101, 0102), 0 in commune 02 (0201 is marked "no", 0202 is not listed).
HAND_LIST = ["01;0101;Bản Khoang;có", "01;0102;Nậm Cang;x", "02;0201;Thôn Tòng;không"]


# ----------------------------------------------------------------------- parse_flags


@pytest.mark.parametrize("value", ["có", "Có", "CÓ", "co", "Đã có", "da co", "có cáp quang",
                                   "yes", "Y", "TRUE", "true", True, 1, 1.0, "1", "1.0", "x",
                                   "X", "✓", "đã kết nối"])
def test_parse_flags_yes(value):
    flag, unknown = parse_flags([value])
    assert flag.tolist() == [True] and unknown.tolist() == [False]


@pytest.mark.parametrize("value", ["không", "Không", "KHONG", "ko", "chưa có", "Chua co",
                                   "chưa", "no", "N", "false", "FALSE", False, 0, 0.0, "0",
                                   "0,0", "chưa có cáp quang"])
def test_parse_flags_no(value):
    flag, unknown = parse_flags([value])
    assert flag.tolist() == [False] and unknown.tolist() == [False]


def test_parse_flags_blank_is_no_only_in_a_column_of_marks():
    flag, unknown = parse_flags(pd.Series(["x", None, " ", "✓", np.nan]))
    assert flag.tolist() == [True, False, False, True, False]
    assert not unknown.any()
    # a yes/no column with a blank: the blank says nothing
    flag, unknown = parse_flags(["có", "", "không"])
    assert flag.tolist() == [True, False, False] and unknown.tolist() == [False, True, False]
    # a column of blanks only is not a column of marks: nothing is known
    assert parse_flags([None, ""])[1].tolist() == [True, True]
    # unknown words, and numbers other than 1/0
    flag, unknown = parse_flags(["có lẽ", 2, "?", "x"])
    assert unknown.tolist() == [True, True, True, False] and flag.tolist() == [
        False, False, False, True]
    assert parse_flags([])[0].shape == (0,)


# ----------------------------------------------------------------------- reading


def test_read_semicolon_list_with_vietnamese_headers(tmp_path):
    f = read_fiber(write_list(tmp_path / "ket_noi.csv", HAND_LIST))
    assert f[["kind", "code", "connected"]].values.tolist() == [
        ["village", "0101", True], ["village", "0102", True], ["village", "0201", False]]
    assert f["source_file"].tolist() == ["ket_noi.csv"] * 3
    assert f["source_row"].tolist() == [2, 3, 4]
    assert f.crs is None and f.geometry.isna().all()


@pytest.mark.parametrize("header", ["ma_xa;ma_thon;ten_thon;cap_quang",
                                    "MÃ XÃ;MÃ THÔN;TÊN THÔN;CÓ CÁP QUANG",
                                    "Ma xa;Ma thon;Ten thon;has_fiber",
                                    "commune_code;village_code;name;connected"])
def test_read_header_spellings(tmp_path, header):
    f = read_fiber(write_list(tmp_path / "f.csv", HAND_LIST, header=header))
    assert f[["code", "connected"]].values.tolist() == [
        ["0101", True], ["0102", True], ["0201", False]]


def test_row_without_village_code_speaks_for_its_commune(tmp_path):
    f = read_fiber(write_list(tmp_path / "f.csv", ["01;0101;Bản Khoang;có", "02;;;có", ";;;có"]),
                   rejects=(rep := RejectsReport()))
    assert f[["kind", "code"]].values.tolist() == [["village", "0101"], ["unit", "02"]]
    assert rep.to_frame()[["row", "column", "reason"]].values.tolist() == [
        [4, "Mã thôn", "missing code (neither 'Mã thôn' nor 'Mã xã' is filled)"]]


def test_unknown_flag_value_strict_names_file_row_column_value_and_accepted_values(tmp_path):
    p = write_list(tmp_path / "ket_noi.csv", ["01;0101;A;có", "01;0102;B;có lẽ", "02;0201;C;"])
    with pytest.raises(SchemaError, match=(
            r"ket_noi\.csv: 2 row\(s\) in column 'Cáp quang': not a yes/no value \(a blank "
            r"cell means 'no' only in a column of x-marks\): row 3 \('có lẽ'\), row 4 "
            r"\(''\)\. Write one of có/không, đã có/chưa có, yes/no, true/false, 1/0")):
        read_fiber(p)


def test_unknown_flag_value_lenient_is_a_reject(tmp_path):
    p = write_list(tmp_path / "ket_noi.csv", ["01;0101;A;có", "01;0102;B;có lẽ"])
    rep = RejectsReport()
    f = read_fiber(p, rejects=rep)
    assert f["code"].tolist() == ["0101"]
    assert rep.to_frame()[["file", "row", "column", "value"]].values.tolist() == [
        ["ket_noi.csv", 3, "Cáp quang", "có lẽ"]]
    assert rep.summary()[["rows_read", "rows_used", "rows_rejected"]].values.tolist() == [
        [2, 1, 1]]


def test_flag_column_of_marks_blank_means_no(tmp_path):
    p = tmp_path / "f.csv"
    p.write_text("ma_thon,cap_quang\n0101,x\n0102,\n0201,X\n", encoding="utf-8")
    assert read_fiber(p)["connected"].tolist() == [True, False, True]


def test_node_file_uses_the_files_decimal_mark(tmp_path):
    # a vi-VN export: coordinates with decimal commas prove the mark, so 2.500 is 2500 m
    p = tmp_path / "odf.csv"
    p.write_text("vi_do;kinh_do;reach_m;cap_quang\n22,48;103,97;2.500;có\n"
                 "22,5;104,01;1.200;không\n", encoding="utf-8")
    f = read_fiber(p)
    assert f["kind"].tolist() == ["node", "node"]
    assert f["reach_m"].tolist() == [2500.0, 1200.0]
    assert f["connected"].tolist() == [True, False]


# ----------------------------------------------------------------------- coverage


def test_coverage_with_a_code_list_hand_counted(tmp_path):
    fiber = read_fiber(write_list(tmp_path / "ket_noi.csv", HAND_LIST))
    result = geocov.coverage(make_units(), villages=make_villages(), fiber=fiber)
    t = result.table("commune")
    assert t["commune_code"].tolist() == ["01", "02"]
    assert t["villages_fiber"].tolist() == [2, 0]  # 0201 is "không": never connected
    assert t["communes_with_fiber"].tolist() == [1, 0]
    assert t["villages_fiber_pct"].tolist() == [100.0, 0.0]
    total = result.table("total").iloc[0]
    assert (total["villages_fiber"], total["communes_with_fiber"]) == (2, 1)
    assert result.villages["fiber"].tolist() == [True, True, False, False]
    assert result.fiber is None  # no nodes or routes: no distances to fiber either
    assert "fiber to 2/4 villages (50.0%); fiber in 1/2 communes" in result.summary()


def test_a_no_row_never_counts(tmp_path):
    units, villages = make_units(), make_villages()
    only_no = read_fiber(write_list(tmp_path / "f.csv", ["01;0101;A;không", "02;;;chưa có"]))
    t = geocov.coverage(units, villages=villages, fiber=only_no).table("total").iloc[0]
    assert (t["villages_fiber"], t["communes_with_fiber"]) == (0, 0)
    # nodes marked "no" reach nobody and are not drawn
    nodes = gpd.GeoDataFrame({"connected": ["no", "yes"]}, crs=UTM,
                             geometry=[Point(km(2.5, 5.5)), Point(km(30, 30))])
    result = geocov.coverage(units, villages=villages, fiber=read_fiber(nodes))
    assert result.table("total").iloc[0]["villages_fiber"] == 0
    assert len(result.fiber) == 1


def test_unit_code_list(tmp_path):
    p = tmp_path / "xa.csv"
    p.write_text("Mã xã;Cáp quang\n02;Đã có\n01;Chưa có\n", encoding="utf-8")
    t = geocov.coverage(make_units(), fiber=read_fiber(p)).table("commune")
    assert t["communes_with_fiber"].tolist() == [0, 1]


def test_strict_mode_names_every_unusable_code_in_one_error(tmp_path):
    # village 0202's unit code is unknown: strict linking stops first, so link leniently
    # and check the fiber strictly
    villages = make_villages(v0202="99")
    linked = geocov.link_villages(villages, make_units(), rejects=RejectsReport())
    fiber = read_fiber(write_list(tmp_path / "ket_noi.csv",
                                  ["01;0101;A;có", "01;0109;B;có", "02;0202;C;có", "07;;;có"]))
    with pytest.raises(SchemaError, match=(
            r"ket_noi\.csv: 1 row\(s\) in column 'code': listed village code\(s\) \['0202'\] "
            r"belong to villages that were rejected .*: row 4 \('0202'\)\. .* 1 row\(s\) in "
            r"column 'code': listed village code\(s\) \['0109'\] not found in the villages: "
            r"row 3 \('0109'\)\. .* 1 row\(s\) in column 'code': listed unit code\(s\) "
            r"\['07'\] not found in the units' 'commune_code': row 5 \('07'\).*pass "
            r"rejects=geocov\.RejectsReport\(\)")):
        fiber_reach(fiber, villages=linked, units=make_units(), villages_read=villages)


def test_lenient_coverage_accounts_for_every_fiber_row(tmp_path):
    units = make_units()
    villages = make_villages(v0202="99")  # the linking in coverage() rejects 0202
    rep = RejectsReport()
    fiber = read_fiber(write_list(tmp_path / "ket_noi.csv", [
        "01;0101;A;có", "01;0109;B;có", "02;0202;C;có", "07;;;có", "02;0201;D;maybe"]),
        rejects=rep)
    result = geocov.coverage(units, villages=villages, fiber=fiber, rejects=rep)
    t = result.table("commune")
    assert t["villages_fiber"].tolist() == [1, 0] and t["communes_with_fiber"].tolist() == [1, 0]
    rej = rep.to_frame()
    fib = rej[rej["file"] == "ket_noi.csv"].sort_values("row")
    assert fib["row"].tolist() == [3, 4, 5, 6]
    assert fib["value"].tolist() == ["0109", "0202", "07", "maybe"]
    assert fib["reason"].iloc[1] == ("village 0202 was rejected (see row 5 of villages.csv in "
                                     "the rejects); its fiber row cannot be used")
    assert "not found in the villages" in fib["reason"].iloc[0]
    assert "not found in the units' 'commune_code'" in fib["reason"].iloc[2]
    # the village's own reject is there too
    assert rej.loc[rej["file"] == "villages.csv", "row"].tolist() == [5]
    s = rep.summary().set_index("what").loc["fiber"]
    assert (s["rows_read"], s["rows_used"], s["rows_rejected"]) == (5, 1, 4)


def test_villages_rejected_by_the_reader_are_named(tmp_path):
    # a reader that rejects a village records its code (attrs) for the fiber check
    villages = make_villages().iloc[:3].copy()
    villages.attrs[REJECTED_VILLAGES_ATTR] = {"0202": ("villages.csv", 5)}
    fiber = read_fiber(write_list(tmp_path / "f.csv", ["02;0202;C;có"]))
    rep = RejectsReport()
    usable = check_fiber_codes(fiber, villages=villages, units=make_units(), rejects=rep)
    assert usable.tolist() == [False]
    assert rep.to_frame()["reason"].tolist() == [
        "village 0202 was rejected (see row 5 of villages.csv in the rejects); its fiber row "
        "cannot be used"]


def test_village_rejected_while_read_is_named_end_to_end(tmp_path):
    v = tmp_path / "villages.csv"
    v.write_text("ma_thon,ma_xa,lon,lat\n0101,01,103.0,22.0\n0102,01,abc,22.0\n",
                 encoding="utf-8")
    rep = RejectsReport()
    villages = geocov.read_villages(v, rejects=rep)
    fiber = read_fiber(write_list(tmp_path / "f.csv", ["01;0102;B;có"]))
    check_fiber_codes(fiber, villages=villages, units=make_units(), rejects=rep)
    assert "village 0102 was rejected (see row 3 of villages.csv" in rep.to_frame()[
        "reason"].iloc[-1]


def test_village_codes_without_villages(tmp_path):
    fiber = read_fiber(write_list(tmp_path / "f.csv", ["01;0101;A;có"]))
    with pytest.raises(SchemaError, match=r"listed village code\(s\) \['0101'\] cannot be "
                                          r"checked: no villages were given.*villages="):
        geocov.coverage(make_units(), fiber=fiber)


def test_code_listed_yes_and_no_warns_and_counts(tmp_path):
    fiber = read_fiber(write_list(tmp_path / "f.csv", ["01;0101;A;có", "01;0101;A;không"]))
    with pytest.warns(DataQualityWarning, match=r"f\.csv: 1 code\(s\) are listed both with and "
                                                r"without fiber: \['village 0101'\]; they are "
                                                r"counted as connected"):
        v, _ = fiber_reach(fiber, villages=make_villages(), units=make_units())
    assert v.tolist() == [True, False, False, False]


def test_check_fiber_codes_needs_no_crs_and_skips_nodes():
    fiber = read_fiber(pd.DataFrame({"ma_xa": ["01", "03"]}))
    assert fiber.crs is None
    rep = RejectsReport()
    assert check_fiber_codes(fiber, villages=None, units=make_units(),
                             rejects=rep).tolist() == [True, False]
    nodes = read_fiber(gpd.GeoDataFrame(geometry=[Point(0, 0)], crs=UTM))
    assert check_fiber_codes(nodes, villages=None, units=make_units()).tolist() == [True]


# ----------------------------------------------------------------------- property

KNOWN_V, KNOWN_U = list(VILLAGES), ["01", "02"]
YES = ["có", "Có", "x", "yes", "1", "Đã có", "TRUE"]
NO = ["không", "khong", "no", "0", "chưa có", "False"]
BAD = ["?", "có lẽ"]
ROWS = st.tuples(
    st.sampled_from(["village", "unit"]),
    st.one_of(st.sampled_from(KNOWN_V + KNOWN_U), st.sampled_from(["0109", "0999", "07"])),
    st.one_of(st.sampled_from(YES), st.sampled_from(NO), st.sampled_from(BAD)),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(ROWS, min_size=1, max_size=12))
def test_every_fiber_row_used_or_rejected_once(rows):
    n = len(rows)
    table = pd.DataFrame({
        "Mã xã": [c if k == "unit" else "01" for k, c, _ in rows],
        "Mã thôn": [c if k == "village" else None for k, c, _ in rows],
        "Cáp quang": [f for _, _, f in rows],
        "source_file": "ket_noi.csv", "source_row": np.arange(2, n + 2)})
    known = {"village": set(KNOWN_V), "unit": set(KNOWN_U)}
    bad = [f in BAD or c not in known[k] for k, c, f in rows]
    kept = [(k, c, f in YES) for (k, c, f), b in zip(rows, bad, strict=True) if not b]
    states: dict[tuple[str, str], set[bool]] = {}
    for k, c, yes in kept:
        states.setdefault((k, c), set()).add(yes)
    conflict = any(len(s) == 2 for s in states.values())
    yes_v = {c for (k, c), s in states.items() if k == "village" and True in s}
    yes_u = {c for (k, c), s in states.items() if k == "unit" and True in s}
    yes_u |= {VILLAGES[c][1] for c in yes_v}

    rep = RejectsReport()
    fiber = read_fiber(table, rejects=rep)
    with pytest.warns(DataQualityWarning) if conflict else warnings.catch_warnings():
        result = geocov.coverage(make_units(), villages=make_villages(), fiber=fiber,
                                 rejects=rep)
    rej = rep.to_frame()
    assert not rej.duplicated(["file", "row"]).any()  # rejected once at most
    assert sorted(rej["row"]) == [r for r, b in zip(range(2, n + 2), bad, strict=True) if b]
    s = rep.summary().set_index("what").loc["fiber"]
    assert s["rows_read"] == n == s["rows_used"] + s["rows_rejected"]
    total = result.table("total").iloc[0]
    assert total["villages_fiber"] == len(yes_v)
    assert total["communes_with_fiber"] == len(yes_u)


# ----------------------------------------------------------------------- CLI


@pytest.fixture
def project(tmp_path):
    """Units (GeoPackage), villages (CSV, lon/lat) and an analysis.toml without fiber."""
    make_units().to_file(tmp_path / "communes.gpkg", layer="communes")
    to_ll = Transformer.from_crs(UTM, 4326, always_xy=True)
    lines = ["ma_thon,ten_thon,ma_xa,dan_so,lon,lat"]
    for code, (x, unit) in VILLAGES.items():
        lon, lat = to_ll.transform(*km(x, 5))
        lines.append(f"{code},Thôn {code},{unit},100,{lon:.6f},{lat:.6f}")
    (tmp_path / "villages.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    write_list(tmp_path / "connected.csv", HAND_LIST)
    toml = ('[units]\npath = "communes.gpkg"\nlayer = "communes"\n'
            'levels = { commune = "commune_name" }\ncodes = { commune = "commune_code" }\n'
            '[villages]\npath = "villages.csv"\n')
    (tmp_path / "analysis.toml").write_text(toml, encoding="utf-8")
    return tmp_path


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def _check_tables(commune: pd.DataFrame) -> None:
    assert commune["commune_code"].astype(str).str.zfill(2).tolist() == ["01", "02"]
    assert commune["villages_fiber"].tolist() == [2, 0]
    assert commune["communes_with_fiber"].tolist() == [1, 0]


def test_cli_report_with_a_code_list(project):
    r = invoke("report", "--analysis", project / "analysis.toml", "--fiber",
               project / "connected.csv", "-o", project / "out" / "report.xlsx")
    assert r.exit_code == 0, r.output
    assert "fiber to 2/4 villages (50.0%); fiber in 1/2 communes" in r.output
    _check_tables(read_report(project / "out" / "report.xlsx", "commune"))


def test_cli_run_with_a_code_list_in_the_toml(project):
    toml = project / "analysis.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + '[fiber]\npath = "connected.csv"\n',
                    encoding="utf-8")
    r = invoke("run", toml, "-o", project / "out")
    assert r.exit_code == 0, r.output
    _check_tables(pd.read_csv(project / "out" / "coverage_commune.csv", encoding="utf-8-sig",
                              dtype={"commune_code": str}))


def test_cli_map_with_a_code_list(project):
    out = project / "map.html"
    r = invoke("map", "--analysis", project / "analysis.toml", "--fiber",
               project / "connected.csv", "--metric", "villages_fiber_pct", "-o", out)
    assert r.exit_code == 0, r.output
    assert out.exists() and "villages_fiber_pct" in out.read_text(encoding="utf-8")


def test_cli_lenient_report_and_validate_report_bad_fiber_codes(project):
    write_list(project / "connected.csv", HAND_LIST + ["01;0109;Z;có"])
    r = CliRunner().invoke(main, ["report", "--analysis", str(project / "analysis.toml"),
                                  "--fiber", str(project / "connected.csv"),
                                  "-o", str(project / "out" / "r.xlsx")])
    assert r.exit_code == 1
    assert "listed village code(s) ['0109'] not found in the villages" in r.output
    assert "--lenient" in r.output
    r = invoke("report", "--analysis", project / "analysis.toml", "--fiber",
               project / "connected.csv", "-o", project / "out" / "r.xlsx", "--lenient")
    assert r.exit_code == 0, r.output
    rej = pd.read_csv(project / "out" / "rejects.csv", dtype=str)
    assert rej[["file", "row", "value"]].values.tolist() == [["connected.csv", "5", "0109"]]
    r = CliRunner().invoke(main, ["validate", "--analysis", str(project / "analysis.toml"),
                                  "--fiber", str(project / "connected.csv"),
                                  "--rejects", str(project / "v" / "rejects.csv")])
    assert r.exit_code == 1
    rej = pd.read_csv(project / "v" / "rejects.csv", dtype=str)
    assert rej[["file", "row", "value"]].values.tolist() == [["connected.csv", "5", "0109"]]
