"""The report workbook as a planner opens it: read back with openpyxl, cell by cell.

Fixtures: the shipped sample province (codes with leading zeros, 2G/3G/4G, no 5G) and
the hand-checkable province of ``result_fixtures`` (4G in 4 of 5 villages per commune,
one 5G station, fiber in 3 communes).
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from result_fixtures import small_result

from geocov.errors import SchemaError
from geocov.report import read_report, report_columns, write_report
from geocov.spreadsheet import Column, Sheet, sheet_name, table_sheet, write_workbook
from geocov.vocabulary import (
    LAYERS,
    TECHNOLOGIES,
    column_kind,
    column_label,
    label,
    layers_present,
    level_label,
    metric_columns,
)

LEVEL_SHEETS = ["Provinces", "Districts", "Communes", "Total"]
OPERATOR_SHEETS = [f"{s} by operator" for s in LEVEL_SHEETS]


@pytest.fixture(scope="module")
def sample_book(sample_result, tmp_path_factory):
    path = write_report(sample_result, tmp_path_factory.mktemp("book") / "report.xlsx")
    return openpyxl.load_workbook(path), path


@pytest.fixture(scope="module")
def small_book(tmp_path_factory):
    path = write_report(small_result(), tmp_path_factory.mktemp("small") / "report.xlsx")
    return openpyxl.load_workbook(path), path


def headers(ws) -> list[str]:
    return [c.value for c in ws[1]]


def column(ws, header: str) -> list:
    j = headers(ws).index(header)
    return [row[j] for row in ws.iter_rows(min_row=2, values_only=True)]


def cell(ws, header: str, row: int = 2):
    return ws.cell(row=row, column=headers(ws).index(header) + 1)


# ------------------------------------------------------------------ sheets and headers
def test_sheets_in_order(sample_book):
    wb, _ = sample_book
    assert wb.sheetnames == ["Summary", *LEVEL_SHEETS, *OPERATOR_SHEETS, "Columns"]


def test_human_headers_and_machine_names_in_the_columns_sheet(sample_book):
    wb, _ = sample_book
    h = headers(wb["Communes"])
    assert h[:2] == ["Commune code", "Commune"]
    for text in ("Villages with 4G", "% villages with 4G", "Area covered by 4G (km²)",
                 "People covered by 4G", "Communes with signal", "Villages with fiber",
                 "4G stations", "All stations"):
        assert text in h
    assert not any(re.fullmatch(r"[a-z0-9_]+", str(x)) for x in h)  # no snake_case left
    names = {r[0]: r[1] for r in wb["Columns"].iter_rows(min_row=2, values_only=True)}
    assert names["% villages with 4G"] == "villages_pct_4g"
    assert names["Area covered by 4G (km²)"] == "covered_area_km2_4g"
    assert headers(wb["Columns"]) == ["Header", "Column in CSV / GeoPackage", "Unit"]


def test_no_columns_for_technologies_the_stations_do_not_have(sample_book, sample_result):
    wb, _ = sample_book
    assert set(sample_result.stations["technology"]) == {"2G", "3G", "4G"}
    for name in [*LEVEL_SHEETS, *OPERATOR_SHEETS]:
        h = headers(wb[name])
        assert not [x for x in h if "5G" in x], name
        # with no 5G, "4G or better" is 4G: not twice
        assert not [x for x in h if "4G or better" in x], name
        assert "Villages with 3G or better" in h and "Villages with any signal" in h


def test_5g_columns_when_there_is_a_5g_station(small_book):
    wb, _ = small_book
    h = headers(wb["Communes"])
    assert "Villages with 5G" in h and "Villages with 4G or better" in h
    # 3G or better = {3G, 4G, 5G} differs from any signal = {2G, ...}: both kept
    assert "Villages with 3G or better" in h and "Villages with any signal" in h


def test_frozen_header_and_unit_columns_and_filters(sample_book, sample_result):
    wb, _ = sample_book
    expect = {"Communes": "C2", "Districts": "C2", "Provinces": "C2", "Total": "B2",
              "Communes by operator": "D2", "Total by operator": "C2", "Columns": "A2"}
    for name, pane in expect.items():
        assert wb[name].freeze_panes == pane, name
    ws = wb["Communes"]
    n = len(sample_result.table("commune"))
    last = openpyxl.utils.get_column_letter(ws.max_column)
    assert ws.auto_filter.ref == f"A1:{last}{n + 1}"
    assert ws.max_row == n + 1
    assert cell(ws, "Commune code", 1).font.b and cell(ws, "Commune code", 1).alignment.wrap_text


def test_widths_from_headers_and_values(sample_book):
    ws = sample_book[0]["Communes"]
    widths = {ws.cell(1, j).value: ws.column_dimensions[openpyxl.utils.get_column_letter(j)].width
              for j in range(1, ws.max_column + 1)}
    assert all(6 <= w <= 48 for w in widths.values())
    longest = max(len(v) for v in column(ws, "Commune"))
    assert widths["Commune"] >= longest > widths["Commune code"] - 2


# ------------------------------------------------------------------ cells
def test_codes_are_text_with_leading_zeros(sample_book, sample_result):
    ws = sample_book[0]["Communes"]
    codes = column(ws, "Commune code")
    assert all(isinstance(c, str) for c in codes)
    assert codes == sample_result.table("commune")["commune_code"].tolist()
    assert any(c.startswith("0") for c in codes)  # the sample has codes like 02635
    assert cell(ws, "Commune code").number_format == "@"
    assert cell(ws, "District code").data_type == "s"


def test_counts_and_people_are_whole_numbers(sample_book, sample_result):
    ws = sample_book[0]["Communes"]
    t = sample_result.table("commune")
    for header, name in (("Villages with 4G", "villages_covered_4g"), ("Villages", "villages"),
                         ("4G stations", "stations_4g"), ("Population", "population"),
                         ("People covered by 4G", "population_covered_4g")):
        values = column(ws, header)
        assert all(type(v) is int for v in values), header
        assert values == np.rint(t[name].to_numpy(float)).astype(int).tolist(), header
        assert cell(ws, header).number_format == "#,##0"


def test_percentages_are_real_percent_cells(sample_book, sample_result):
    ws = sample_book[0]["Districts"]
    t = sample_result.table("district")
    values = column(ws, "% villages with 4G")
    assert cell(ws, "% villages with 4G").number_format == "0.0%"
    assert values == pytest.approx((t["villages_pct_4g"] / 100).tolist(), abs=1e-8)
    assert all(0 <= v <= 1 for v in values)


def test_areas_one_decimal(sample_book, sample_result):
    ws = sample_book[0]["Total"]
    c = cell(ws, "Area (km²)")
    assert c.number_format == "#,##0.0"
    assert c.value == pytest.approx(float(sample_result.table("total")["area_km2"].iloc[0]),
                                    abs=1e-6)


def test_hand_checked_commune_row(small_book):
    """C00: 4G reaches villages a, b, c, e (4 of 5; 4,000 of 5,000 people); fiber to 2."""
    ws = small_book[0]["Communes"]
    row = 1 + column(ws, "Commune code").index("C00") + 1
    assert cell(ws, "Commune", row).value == "Xã Tả Phìn"
    assert cell(ws, "Villages", row).value == 5
    assert cell(ws, "Villages with 4G", row).value == 4
    assert cell(ws, "% villages with 4G", row).value == pytest.approx(0.8)
    assert cell(ws, "People covered by 4G", row).value == 4000
    assert cell(ws, "Villages with fiber", row).value == 2
    assert cell(ws, "% villages with fiber", row).value == pytest.approx(0.4)


def test_hostile_text_is_kept_as_text(small_book):
    wb, _ = small_book
    assert "<img src=x onerror=alert(1)>" in column(wb["Communes"], "Commune")


# ------------------------------------------------------------------ summary sheet
def test_summary_sheet(small_book):
    wb, _ = small_book
    ws = wb["Summary"]
    rows = [[v for v in r if v is not None] for r in ws.iter_rows(values_only=True)]
    rows = [r for r in rows if r]
    assert rows[0] == ["Coverage of Lào Cai (test)"]
    assert ["Data date", "2025-03-01"] in rows
    first = [r[0] for r in rows]
    assert "Signal in 12/12 communes" in first
    assert ws["A1"].font.b and ws["A1"].font.sz == 14
    # key figures: header, then one row per measure
    i = first.index("Figure")
    assert rows[i] == ["Figure", "Total", "With any signal", "%", "With 4G or better", "%",
                       "With fiber", "%"]
    villages = next(r for r in rows[i:] if r[0] == "Villages")
    # 57 villages: 47 with some signal, 44 with 4G or better (43 4G + 1 5G), 5 with fiber
    assert villages[1:] == [57, 47, pytest.approx(47 / 57), 44, pytest.approx(44 / 57), 5,
                            pytest.approx(5 / 57)]
    stations = first.index("Stations")
    assert rows[stations + 1 : stations + 6] == [
        ["2G stations", 2], ["3G stations", 1], ["4G stations", 11], ["5G stations", 1],
        ["Inside the study area", 15],
    ]
    assert "Data sources" in first and "Model" in first and "Sheets" in first
    assert any(str(r[0]).startswith("Footprints:") for r in rows)


def test_summary_key_figure_formats(sample_book):
    ws = sample_book[0]["Summary"]
    for row in ws.iter_rows():
        if row[0].value == "Villages":
            assert row[1].number_format == "#,##0" and row[3].number_format == "0.0%"
        if row[0].value == "Area (km²)":
            assert row[1].number_format == "#,##0.0"


# ------------------------------------------------------------------ reading back
def test_read_report_gives_the_csv_columns_back(sample_book, sample_result):
    _, path = sample_book
    for level in ("district", "commune", "total"):
        back = read_report(path, level)
        t = sample_result.table(level)
        cols = report_columns(sample_result, t, level)
        assert list(back.columns) == cols
        for c in cols:
            kind = column_kind(c)
            if kind in ("code", "text"):
                assert back[c].tolist() == t[c].tolist(), c
            elif kind in ("count", "people"):
                assert back[c].tolist() == np.rint(t[c].to_numpy(float)).astype(int).tolist()
            else:
                np.testing.assert_allclose(back[c].to_numpy(float), t[c].to_numpy(float),
                                           atol=1e-5, err_msg=c)


def test_read_report_by_operator(sample_book, sample_result):
    _, path = sample_book
    back = read_report(path, "district", by_operator=True)
    assert list(back.columns[:3]) == ["district_code", "district_name", "operator"]
    assert len(back) == len(sample_result.operator_table("district"))


# ------------------------------------------------------------------ the writer itself
def test_writer_cells_edge_cases(tmp_path):
    sheet = Sheet("Bad [name]?", (
        Column("Code", ["007", None, "  x  "], "code"),
        Column("Text", ["a & b <c>", "tab\there\x01", ""], "text"),
        Column("Share", [12.5, math.nan, math.inf], "pct"),
        Column("Count", [1.6, None, 3.0], "count"),
        Column("Flag", [True, False, True], "other"),
        Column("Mixed", [1, "x", None], "other"),
    ), freeze_columns=1)
    path = write_workbook(tmp_path / "w.xlsx", [Sheet(sheet_name(sheet.name), sheet.columns, 1)])
    ws = openpyxl.load_workbook(path)["Bad  name"]
    assert [c.value for c in ws["A"]] == ["Code", "007", None, "  x  "]
    assert [c.value for c in ws["B"]][1:] == ["a & b <c>", "tab\there", None]
    assert [c.value for c in ws["C"]][1:] == [0.125, None, None]
    assert [c.value for c in ws["D"]][1:] == [2, None, 3]
    assert [c.value for c in ws["E"]][1:] == [1, 0, 1]
    assert [c.value for c in ws["F"]][1:] == ["1", "x", None]
    assert ws.freeze_panes == "B2"


def test_writer_empty_sheet_and_same_bytes(tmp_path):
    sheets = [Sheet("Empty", (Column("Villages", [], "count"),)),
              Sheet("One", (Column("Area (km²)", [1.25], "km2"),))]
    a = write_workbook(tmp_path / "a.xlsx", sheets).read_bytes()
    b = write_workbook(tmp_path / "b.xlsx", sheets).read_bytes()
    assert a == b  # nothing depends on the clock
    wb = openpyxl.load_workbook(tmp_path / "a.xlsx")
    assert wb["Empty"].max_row == 1 and wb["One"]["A2"].value == 1.25


def test_writer_refuses_columns_of_different_lengths(tmp_path):
    sheet = Sheet("S", (Column("a", [1, 2], "count"), Column("b", [1], "count")))
    with pytest.raises(SchemaError, match="sheet 'S': columns of different lengths"):
        write_workbook(tmp_path / "x.xlsx", [sheet])
    with pytest.raises(SchemaError, match="kind='money' is not valid"):
        Column("a", [1], "money")


def test_sheet_names_are_valid_and_unique():
    used: set[str] = set()
    names = [sheet_name(t, used) for t in ["A/B", "a/b", "x" * 40, "x" * 40, ""]]
    assert names == ["A B", "a b 2", "x" * 31, "x" * 29 + " 2", "Sheet"]


def test_table_sheet_of_a_plain_frame():
    frame = pd.DataFrame({"commune_code": ["01"], "remark": ["free text"], "x": [1.5]})
    sheet = table_sheet(frame, "commune")
    assert [(c.header, c.kind) for c in sheet.columns] == [
        ("Commune code", "code"), ("remark", "text"), ("x", "other")]


# ------------------------------------------------------------------ vocabulary
def test_every_column_has_a_distinct_label_and_a_kind():
    cols = [*metric_columns("commune"), "commune_code", "commune_name", "district_code",
            "district_name", "operator", "level", "name"]
    assert {f"stations_outside_{lv}" for lv in LAYERS} <= set(cols)
    labels = [column_label(c) for c in cols]
    assert len(set(labels)) == len(labels)
    assert all(column_kind(c) != "other" for c in cols)
    assert level_label("commune", plural=True) == "Communes" == label("sheet.level",
                                                                      levels="Communes")
    with pytest.raises(SchemaError, match="lang='xx' is not available"):
        column_label("villages", "xx")


@given(st.sets(st.sampled_from(TECHNOLOGIES)))
def test_layers_present_keeps_each_technology_once(techs):
    kept = layers_present(techs)
    assert "any" in kept
    assert {t.lower() for t in techs} <= set(kept)
    counted = [frozenset(LAYERS[lv]) & set(techs) for lv in kept if lv != "any"]
    assert len(set(counted)) == len(counted)  # no two columns count the same stations
    assert all(c for c in counted)  # none counts nothing
    assert list(kept) == [lv for lv in LAYERS if lv in kept]


def test_report_columns_without_villages_or_population(sample_result, monkeypatch):
    monkeypatch.setattr(sample_result, "villages", None)
    monkeypatch.setitem(sample_result.metadata, "population_source", "none")
    cols = report_columns(sample_result, sample_result.table("commune"), "commune")
    assert not [c for c in cols if "village" in c or "population" in c]
    assert "area_pct_4g" in cols and "communes_with_fiber" in cols


def test_report_written_whole(tmp_path, sample_result):
    path = tmp_path / "r.xlsx"
    write_report(sample_result, path, levels=["district"])
    assert openpyxl.load_workbook(path).sheetnames == [
        "Summary", "Districts", "Districts by operator", "Columns"]
    assert [p.name for p in Path(tmp_path).iterdir()] == ["r.xlsx"]
