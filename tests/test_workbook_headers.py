"""The priority and plan workbooks read as a planner's spreadsheet in English and Vietnamese.

Human headers from the catalogue (no machine snake_case name left), a number format per
kind of column, category words in the workbook's language, a Columns sheet that leads each
header back to its column, and CSV files that keep the machine names and values.
"""

from __future__ import annotations

import re
from functools import cache

import openpyxl
import pandas as pd
import pytest

import geocov
from geocov.analysis import write_plan, write_priorities
from geocov.spreadsheet import KINDS
from geocov.vocabulary import column_kind, column_label

SNAKE = re.compile(r"[a-z0-9]+(_[a-z0-9]+)+")


@pytest.fixture(scope="module")
def books(tmp_path_factory):
    """Both workbooks in both languages (and their CSV files), written once."""
    analysis = geocov.sample_paths()["analysis"]
    out = {}
    for lang in ("en", "vi"):
        d = tmp_path_factory.mktemp(lang)
        write_priorities(analysis, folder=d / "p", formats=["xlsx", "csv"], lang=lang)
        write_plan(analysis, folder=d / "q", formats=["xlsx", "csv"], lang=lang, sites=5,
                   fiber_to=1)
        out[lang] = {"priorities": d / "p" / "priorities.xlsx", "plan": d / "q" / "plan.xlsx",
                     "folder": d}
    return out


@cache
def _book(path) -> openpyxl.Workbook:
    return openpyxl.load_workbook(path)


def _sheets(path) -> dict[str, list[tuple]]:
    return {ws.title: [tuple(c for c in row) for row in ws.iter_rows(max_row=3)]
            for ws in _book(path).worksheets}


def _columns_key(path) -> dict[str, str]:
    """Machine name -> header, from the workbook's last sheet (Columns / Cột)."""
    rows = list(_book(path).worksheets[-1].values)[1:]
    return {name: header for header, name, _ in rows}


def _cell(path, sheet_index: int, name: str, row: int = 2):
    """The cell of column ``name`` (machine name) in row ``row`` of a sheet."""
    header = _columns_key(path)[name]
    ws = _book(path).worksheets[sheet_index]
    heads = [c.value for c in ws[1]]
    return ws.cell(row, heads.index(header) + 1)


@pytest.mark.parametrize("lang", ["en", "vi"])
@pytest.mark.parametrize("book", ["priorities", "plan"])
def test_no_machine_header_is_left(books, book, lang):
    sheets = _sheets(books[lang][book])
    snake = {(title, c.value) for title, rows in sheets.items() for c in rows[0]
             if SNAKE.fullmatch(str(c.value))}
    assert snake == set()
    # every header is the catalogue's, distinct within its sheet
    for title, rows in sheets.items():
        headers = [c.value for c in rows[0]]
        assert len(set(headers)) == len(headers), title
    key = _columns_key(books[lang][book])
    assert all(column_label(name, lang) == header for name, header in key.items())
    assert all(column_label(name, lang) != name for name in key)  # none fell through


def test_vietnamese_header_snapshot():
    assert [column_label(c, "vi") for c in (
        "option_cost_vnd", "distance_4g_km", "villages_tier_1", "people_4g_pct_after",
        "fiber_cost_usd", "people_newly_served")] == [
        "Chi phí phương án (đồng)", "Khoảng cách đến trạm BTS 4G gần nhất (km)",
        "Số thôn mức 1", "% dân số các thôn có 4G sau kế hoạch",
        "Truyền dẫn cáp quang: chi phí (USD)", "Số người được phủ mới"]
    assert [column_label(c) for c in ("option_cost_usd", "distance_4g_km", "villages_tier_1",
                                      "cumulative_cost_usd", "population_2.5km")] == [
        "Option cost (USD)", "Distance to the nearest 4G station (km)", "Villages in tier 1",
        "Cumulative cost (USD)", "People within 2.5 km"]
    assert column_label("population_2.5km", "vi") == "Dân số trong bán kính 2,5 km"


def test_kinds_of_the_new_columns():
    kinds = {c: column_kind(c) for c in (
        "reason_codes", "top_reason_codes", "upgrade_status", "rank", "tier", "rank_in_tier",
        "villages_tier_2", "people_tier_2", "option_cost_usd", "option_cost_vnd",
        "distance_fiber_km", "cable_km", "villages_4g_pct_after", "lon", "shadowed",
        "communes_with_4g_before", "population_5km", "priority_score")}
    assert kinds == {
        "reason_codes": "text", "top_reason_codes": "text", "upgrade_status": "text",
        "rank": "count", "tier": "count", "rank_in_tier": "count", "villages_tier_2": "count",
        "people_tier_2": "people", "option_cost_usd": "usd", "option_cost_vnd": "vnd",
        "distance_fiber_km": "km", "cable_km": "km", "villages_4g_pct_after": "pct",
        "lon": "coord", "shadowed": "flag", "communes_with_4g_before": "count",
        "population_5km": "people", "priority_score": "score"}
    # coverage-table columns keep theirs
    assert [column_kind(c) for c in ("communes_with_fiber", "villages", "villages_pct_4g")] == [
        "count", "count", "pct"]


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_priority_workbook_formats(books, lang):
    path = books[lang]["priorities"]
    cases = {  # villages sheet (index 1): machine name -> (format, Python type)
        "rank": ("#,##0", int), "tier": ("#,##0", int), "rank_in_tier": ("#,##0", int),
        "population": ("#,##0", int), "people_newly_served": ("#,##0", int),
        "option_cost_usd": ("#,##0.00", float), "cost_per_person_usd": ("#,##0.00", float),
        "distance_4g_km": ("#,##0.00", float), "village_code": ("@", str),
        "reason_codes": ("General", str), "lon": ("0.000000", float),
    }
    for name, (fmt, kind) in cases.items():
        cell = _cell(path, 1, name)
        assert (name, cell.number_format) == (name, fmt)
        assert isinstance(cell.value, kind), name
    assert _cell(path, 1, "cost_per_person_usd").value == 18.91  # kept to the cent
    units = {"villages_tier_1": "#,##0", "people_tier_1": "#,##0",
             "options_cost_sum_usd": "#,##0.00", "top_rank": "#,##0"}
    communes = len(_book(path).sheetnames) - 4
    for name, fmt in units.items():
        assert _cell(path, communes, name).number_format == fmt, name


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_plan_workbook_formats(books, lang):
    path = books[lang]["plan"]
    steps = {"step": "#,##0", "cost_usd": "#,##0.00", "cumulative_cost_usd": "#,##0.00",
             "villages_4g_pct_after": "0.0%", "people_4g_after": "#,##0", "cable_km": "#,##0.00"}
    for name, fmt in steps.items():
        assert _cell(path, 1, name).number_format == fmt, name
    pct = _cell(path, 1, "villages_4g_pct_after")
    assert 0 < pct.value < 1  # a real % cell, as in the report workbook
    steps_csv = pd.read_csv(books[lang]["folder"] / "q" / "plan_steps.csv",
                            encoding="utf-8-sig")
    assert pct.value == pytest.approx(steps_csv["villages_4g_pct_after"].iloc[0] / 100)
    communes = _sheets(path)
    level_sheet = list(communes)[-3]  # ..., communes, model, columns
    assert level_sheet in ("communes", "Xã")
    index = list(communes).index(level_sheet)
    assert _cell(path, index, "villages_4g_pct_before").number_format == "0.0%"
    assert _cell(path, index, "plan_cost_usd").number_format == "#,##0.00"


def test_vietnamese_category_words_in_the_workbook_codes_in_the_csv(books):
    vi, en = books["vi"]["priorities"], books["en"]["priorities"]
    assert _cell(vi, 1, "option").value == "trạm BTS mới, truyền dẫn cáp quang"
    assert _cell(en, 1, "option").value == "new site, fiber backhaul"
    assert _cell(vi, 1, "funding_route").value == "chưa rõ (không có số liệu điện lưới)"
    assert _cell(vi, 1, "service").value == "trắng sóng"
    assert _cell(vi, 1, "shadowed").value == "không" and _cell(en, 1, "shadowed").value == "no"
    assert _cell(vi, 1, "upgrade_status").value == "không khả thi"
    plan_vi = books["vi"]["plan"]
    assert _cell(plan_vi, 1, "action").value == "nâng cấp trạm BTS 2G/3G lên 4G"
    assert _cell(plan_vi, 3, "route").value == "đường thẳng"
    # the CSV files keep machine names and the English categories scripts read
    folder = books["vi"]["folder"]
    villages = pd.read_csv(folder / "p" / "priorities_villages.csv", encoding="utf-8-sig")
    assert {"rank_in_tier", "option_cost_usd", "funding_route"} <= set(villages.columns)
    assert villages["option"].iloc[0] == "new site, fiber backhaul"
    assert villages["funding_route"].iloc[0] == "unknown (no grid power data)"
    steps = pd.read_csv(folder / "q" / "plan_steps.csv", encoding="utf-8-sig")
    assert steps["action"].iloc[0] == "upgrade of a 2G/3G site to 4G"
    assert "cumulative_cost_usd" in steps.columns


def test_sheet_names_of_the_plan_workbook(books):
    assert _book(books["vi"]["plan"]).sheetnames == [
        "Tóm tắt", "Các bước", "Trạm BTS dự kiến", "Tuyến cáp quang dự kiến", "Tỉnh", "Huyện",
        "Xã", "Mô hình", "Cột"]
    assert _book(books["en"]["plan"]).sheetnames == [
        "summary", "steps", "sites", "links", "provinces", "districts", "communes", "model",
        "columns"]


def test_money_formats_per_currency():
    assert KINDS["usd"] == "#,##0.00" and KINDS["vnd"] == "#,##0"
