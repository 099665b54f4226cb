"""Vietnamese and English: the catalogue, numbers, summary, workbook, analysis file and CLI.

The browser side (the Vietnamese map's numbers and words) is in test_maps_readable.py.
"""

from __future__ import annotations

import math
import re
import string
import unicodedata
from pathlib import Path
from types import SimpleNamespace

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

import geocov
from geocov import locale
from geocov.analysis import read_analysis, run_and_write
from geocov.cli import main
from geocov.errors import SchemaError
from geocov.priorities import _TEXTS as PRIORITY_TEXTS
from geocov.report import read_report, write_report
from geocov.vocabulary import LABELS, column_label, label, level_label

ROOT = Path(__file__).resolve().parents[1]

# the snapshot of the sample's summary (tests/test_cli.py pins the English one)
SAMPLE_SUMMARY_VI = (
    "Có sóng di động ở 150/150 xã; 4G phủ 735/1.500 thôn (49,0%); cáp quang đến 977/1.500 "
    "thôn (65,1%); có cáp quang ở 129/150 xã; 4G phủ 63,5% dân số trong tổng số 792.734 "
    "người (raster:population.tif); 4G phủ 27,4% diện tích trong tổng số 6.300,0 km²; 973 "
    "trạm BTS trong vùng (303 2G, 382 3G, 288 4G); 27 trạm bị loại ra theo trạng thái."
)
SAMPLE_SUMMARY_EN = (
    "Signal in 150/150 communes; 4G in 735/1,500 villages (49.0%); fiber to 977/1,500 "
    "villages (65.1%); fiber in 129/150 communes; 4G reaches 63.5% of 792,734 people "
    "(raster:population.tif); 4G covers 27.4% of 6,300.0 km²; 973 stations inside (303 2G, "
    "382 3G, 288 4G); 27 left out by status."
)


# --------------------------------------------------------------------------- catalogue
def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


# a level may be written capitalised or inside a phrase, as the language needs
_LEVEL_FORMS = {"level", "level_lower", "levels", "levels_lower"}


def test_both_languages_have_the_same_keys():
    assert set(LABELS) == {"en", "vi"}
    assert sorted(set(LABELS["en"]) ^ set(LABELS["vi"])) == []


@pytest.mark.parametrize("key", sorted(LABELS["en"]))
def test_each_entry_takes_the_same_fields(key):
    en, vi = _fields(LABELS["en"][key]), _fields(LABELS["vi"][key])
    assert LABELS["vi"][key].strip(), key
    if en & _LEVEL_FORMS or vi & _LEVEL_FORMS:  # the same fields but the level's form
        assert en - _LEVEL_FORMS == vi - _LEVEL_FORMS, key
        assert bool(en & _LEVEL_FORMS) == bool(vi & _LEVEL_FORMS), key
    else:
        assert en == vi, key


def test_vietnamese_entries_are_translated():
    """Only words that are the same in both languages (technologies, units) stay equal."""
    same = {k for k in LABELS["en"] if LABELS["en"][k] == LABELS["vi"][k]}
    shared = r"\{\w+\}|km²|BTS|geocov|MB"  # fields, units, names
    left = {k: LABELS["vi"][k] for k in same
            if re.search(r"[A-Za-z]{3,}", re.sub(shared, "", LABELS["vi"][k]))}
    assert left == {}


def test_catalogue_text_is_nfc():
    for lang, words in LABELS.items():
        bad = [k for k, v in words.items() if unicodedata.normalize("NFC", v) != v]
        assert bad == [], lang


def _terminology() -> list[tuple[list[str], list[str]]]:
    """(terms in bold, words to avoid) of each row of docs/terminology.md's first table."""
    text = (ROOT / "docs" / "terminology.md").read_text(encoding="utf-8")
    table = text.split("| English (geocov) |", 1)[1].split("\n\n", 1)[0]
    rows = []
    for line in table.splitlines()[2:]:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        terms = re.findall(r"\*\*(.+?)\*\*", cells[1])
        avoid = [w.strip() for w in cells[2].split(",") if w.strip()]
        rows.append((terms, avoid))
    return rows


def _words_used(text: str, word: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(word.lower())}(?!\w)", text.lower()) is not None


def test_terminology_table_is_what_the_catalogue_uses():
    rows = _terminology()
    assert len(rows) >= 20
    vi = "\n".join(LABELS["vi"].values())
    missing = [t for terms, _ in rows for t in terms if not _words_used(vi, t)]
    avoided = [(w, k) for _, avoid in rows for w in avoid
               for k, v in LABELS["vi"].items() if _words_used(v, w)]
    assert missing == [] and avoided == []


def test_the_terminology_check_can_fail():
    """A synonym the table avoids is caught (the test above is not vacuous)."""
    assert _words_used("Số trạm phát sóng 4G", "trạm phát sóng")
    assert not _words_used("Số cấp", "ấp")  # "ấp" inside "cấp" is not the word


def test_unknown_language_is_refused():
    with pytest.raises(SchemaError, match=r"lang='fr' is not available; use one of en, vi"):
        label("col.level", "fr")
    with pytest.raises(SchemaError, match=r"lang='de' is not available; use one of en, vi"):
        locale.number(1, "de")


def test_headers_in_vietnamese():
    assert [column_label(c, "vi") for c in (
        "commune_code", "commune_name", "villages", "villages_covered_4g", "villages_pct_4g",
        "covered_area_km2_4g_plus", "population_pct_any", "communes_with_signal",
        "villages_fiber_pct", "stations_4g", "stations_any", "operator")] == [
        "Mã xã", "Xã", "Số thôn", "Số thôn có 4G", "% thôn có 4G",
        "Diện tích được phủ 4G trở lên (km²)", "% dân số được phủ sóng di động",
        "Số xã có sóng", "% thôn có cáp quang", "Trạm BTS 4G", "Tổng số trạm BTS", "Nhà mạng"]
    assert level_label("district", lang="vi") == "Huyện"


def test_distinct_columns_have_distinct_vietnamese_headers(sample_result):
    cols = [str(c) for c in sample_result.table("commune").columns if c != "geometry"]
    headers = [column_label(c, "vi") for c in cols]
    assert len(set(headers)) == len(headers)


# --------------------------------------------------------------------------- numbers
def test_numbers_as_each_language_writes_them():
    assert locale.number(1569, "vi") == "1.569"
    assert locale.percent(65.3, "vi") == "65,3%"
    assert locale.number(6300, "vi", digits=1) == "6.300,0"
    assert locale.number(1569, "en") == "1,569"
    assert locale.percent(65.3, "en") == "65.3%"
    assert locale.number(6300, "en", digits=1) == "6,300.0"
    assert locale.number(None, "en") == "n/a" and locale.percent(math.nan, "vi") == (
        "không có số liệu")


@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False), st.integers(0, 3),
       st.sampled_from(["en", "vi"]))
def test_column_formatting_equals_babel(value, digits, lang):
    """numbers() (fast, for whole columns) writes what Babel's number() writes, and the
    text reads back as the number rounded to ``digits``."""
    text = locale.number(value, lang, digits=digits)
    assert locale.numbers([value], lang, digits=digits) == [text]
    sym = locale.number_symbols(lang)
    back = float(text.replace(sym["group"], "").replace(sym["decimal"], "."))
    assert back == pytest.approx(round(value, digits), abs=10 ** -digits)


# --------------------------------------------------------------------------- summary
def test_summary_snapshot_vietnamese(sample_result):
    assert sample_result.summary(lang="vi") == SAMPLE_SUMMARY_VI


def test_summary_snapshot_english_unchanged(sample_result):
    assert sample_result.summary() == SAMPLE_SUMMARY_EN
    assert sample_result.summary(lang="en") == SAMPLE_SUMMARY_EN


# --------------------------------------------------------------------------- workbook
@pytest.fixture(scope="module")
def workbooks(sample_result, tmp_path_factory):
    folder = tmp_path_factory.mktemp("books")
    return {lang: write_report(sample_result, folder / f"report_{lang}.xlsx", lang=lang)
            for lang in ("en", "vi")}


def test_workbook_sheet_names_in_both_languages(workbooks):
    en = openpyxl.load_workbook(workbooks["en"], read_only=True)
    vi = openpyxl.load_workbook(workbooks["vi"], read_only=True)
    try:
        assert en.sheetnames[:5] == ["Summary", "Provinces", "Districts", "Communes", "Total"]
        assert vi.sheetnames[:5] == ["Tóm tắt", "Tỉnh", "Huyện", "Xã", "Tổng"]
        assert "Xã theo nhà mạng" in vi.sheetnames and vi.sheetnames[-1] == "Cột"
        assert "Communes by operator" in en.sheetnames and en.sheetnames[-1] == "Columns"
    finally:
        en.close()
        vi.close()


def _header(path: Path, sheet: str) -> list[str]:
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        return [c.value for c in next(wb[sheet].iter_rows(min_row=1, max_row=1))]
    finally:
        wb.close()


def test_workbook_headers_in_both_languages(workbooks):
    en = _header(workbooks["en"], "Communes")
    vi = _header(workbooks["vi"], "Xã")
    assert en[:2] == ["Commune code", "Commune"] and vi[:2] == ["Mã xã", "Xã"]
    assert "% villages with 4G" in en and "% thôn có 4G" in vi
    assert "Area covered by 4G (km²)" in en and "Diện tích được phủ 4G (km²)" in vi
    assert len(en) == len(vi)


def test_workbook_summary_sheet_in_vietnamese(workbooks):
    wb = openpyxl.load_workbook(workbooks["vi"], read_only=True)
    try:
        cells = [c for row in wb["Tóm tắt"].iter_rows(values_only=True) for c in row if c]
    finally:
        wb.close()
    text = "\n".join(map(str, cells))
    assert "Có sóng di động ở 150/150 xã" in text
    assert "4G phủ 735/1.500 thôn (49,0%)" in text
    assert "Số liệu chính (toàn vùng nghiên cứu)" in text


def test_vietnamese_workbook_reads_back_as_the_english_one(workbooks):
    en = read_report(workbooks["en"], "commune")
    vi = read_report(workbooks["vi"], "commune", lang="vi")
    assert list(vi.columns) == list(en.columns)
    assert vi.equals(en)
    # names with their diacritics, as in the data
    assert "Phường Ngải Sán" in set(vi["commune_name"])


# --------------------------------------------------------------------------- analysis file
def _analysis_file(tmp_path: Path, extra: str) -> Path:
    """The sample's analysis file (its inputs are "sample:<key>"), ``extra`` on top."""
    text = Path(geocov.sample_paths()["analysis"]).read_text(encoding="utf-8")
    path = tmp_path / "analysis.toml"
    path.write_text(extra + "\n" + text, encoding="utf-8")
    return path


def test_analysis_file_sets_the_language(tmp_path):
    path = _analysis_file(tmp_path, 'lang = "vi"')
    assert read_analysis(path).lang == "vi"
    w = run_and_write(path, target=tmp_path / "r.xlsx")
    assert w.lang == "vi"
    wb = openpyxl.load_workbook(w.tables[0], read_only=True)
    try:
        assert wb.sheetnames[0] == "Tóm tắt"
    finally:
        wb.close()
    # lang= (--lang) wins over the file
    w = run_and_write(path, target=tmp_path / "e.xlsx", lang="en")
    wb = openpyxl.load_workbook(w.tables[0], read_only=True)
    try:
        assert wb.sheetnames[0] == "Summary"
    finally:
        wb.close()


def test_analysis_file_bad_language(tmp_path):
    path = _analysis_file(tmp_path, 'lang = "fr"')
    with pytest.raises(SchemaError, match=r"analysis\.toml: lang = 'fr' is not a language "
                       r"geocov writes; use one of 'en', 'vi'"):
        read_analysis(path)


def test_cli_lang_vi(tmp_path):
    res = CliRunner().invoke(main, ["report", "--analysis", geocov.sample_paths()["analysis"],
                                    "--lang", "vi", "-o", str(tmp_path / "r.xlsx"), "-q"])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert lines[0] == SAMPLE_SUMMARY_VI
    assert lines[1] == f"đã ghi {tmp_path / 'r.xlsx'}"
    res = CliRunner().invoke(main, ["report", "--analysis", geocov.sample_paths()["analysis"],
                                    "--lang", "fr", "-o", str(tmp_path / "r.xlsx")])
    assert res.exit_code == 2 and "'fr' is not one of 'en', 'vi'" in res.output


def test_flag_reasons_in_vietnamese(sample_result):
    from geocov.priorities import RemoteRules, flag_unconnected_remote

    t = sample_result.table("commune")
    rules = RemoteRules(centre_km=1, fiber_km=None)
    en = flag_unconnected_remote(t, rules=rules)
    vi = flag_unconnected_remote(t, rules=rules, lang="vi")
    assert en["flagged"].equals(vi["flagged"]) and en["flagged"].any()
    k = en.index[en["flagged"]][0]
    assert en.loc[k, "reason"].startswith("no 4G; no fiber; ")
    assert vi.loc[k, "reason"].startswith("không có 4G; chưa có cáp quang; cách trung tâm huyện ")
    assert re.search(r"\d+,\d km; [\d.]+ người chưa được phủ sóng$", vi.loc[k, "reason"])


# --------------------------------------------------------------------------- priorities, plan
@pytest.fixture(scope="module")
def sample_priorities(sample_result):
    """The sample's priority list, in English (its Vietnamese words: with_lang)."""
    return geocov.priorities(sample_result)


@pytest.fixture(scope="module")
def sample_plan(sample_result, sample_priorities):
    return geocov.plan(sample_result, sites=30, fiber_to=6, priorities=sample_priorities)


# English words none of the Vietnamese priority and plan texts may hold (data such as
# names, codes and ids aside)
ENGLISH_WORDS = ["Planned", "Priority", "tier", "villages", "village", "people", "step",
                 "site", "sites", "backhaul", "upgrade", "listed", "option", "before", "after",
                 "cost", "served", "link", "links", "urgent", "fiber", "signal", "unknown",
                 "plan", "nearest", "grid", "power", "only", "new", "more", "with"]


def _english_left(text: str) -> list[str]:
    return [w for w in ENGLISH_WORDS if re.search(rf"(?<![\w-]){w}(?![\w-])", text)]


def test_priority_reasons_snapshot_vietnamese(sample_priorities):
    vi = sample_priorities.with_lang("vi")
    top = vi.villages.iloc[0]
    assert (top["village_name"], top["tier_label"], top["reason"]) == (
        "Bản Dền Giàng", "1: trắng sóng",
        "trắng sóng; chưa rõ điện lưới; trạm BTS 4G gần nhất 5,6 km; 335 người")
    en = sample_priorities.villages.iloc[0]
    assert (en["tier_label"], en["reason"]) == (
        "1: no signal", "no signal; grid power unknown; nearest 4G site 5.6 km; 335 people")
    assert vi.summary().startswith(
        "1.500 thôn; trong danh sách: mức 1: trắng sóng — 145 thôn (31.842 người), mức 2: "
        "chưa có 4G (chỉ có 2G/3G) — 620 thôn (213.750 người), mức 3: chưa có cáp quang — "
        "186 thôn (86.926 người); nguồn kinh phí: chưa rõ (không có số liệu điện lưới): 951")
    assert sample_priorities.summary("vi") == vi.summary()
    assert sample_priorities.summary().startswith("1,500 villages; listed: tier 1: no signal")


def test_priority_words_follow_the_language_codes_do_not(sample_result, sample_priorities):
    en, vi = sample_priorities, sample_priorities.with_lang("vi")
    direct = geocov.priorities(sample_result, lang="vi")
    assert direct.lang == "vi" and vi.lang == "vi" and en.lang == "en"
    for p in (vi, direct):
        assert p.villages["reason_codes"].equals(en.villages["reason_codes"])
        assert p.villages["tier"].equals(en.villages["tier"])
        words = [c for c in PRIORITY_TEXTS if c in en.villages.columns]
        assert p.villages.drop(columns=words).equals(en.villages.drop(columns=words))
        assert p.options.drop(columns="detail").equals(en.options.drop(columns="detail"))
        assert p.villages["option_detail"].equals(vi.villages["option_detail"])
    assert direct.villages["reason"].equals(vi.villages["reason"])
    assert direct.villages["tier_label"].equals(vi.villages["tier_label"])
    assert direct.units("commune")["top_reason"].equals(vi.units("commune")["top_reason"])
    assert vi.with_lang("en").villages["reason"].equals(en.villages["reason"])
    listed = vi.villages[vi.villages["reason"] != ""]
    left = {w for text in listed["reason"].unique() for w in _english_left(text)}
    left |= {w for text in listed["tier_label"].unique() for w in _english_left(text)}
    for c in ("option_detail", "upgrade_note", "fiber_note", "microwave_note", "satellite_note"):
        left |= {w for text in listed[c].dropna().unique() for w in _english_left(text)}
    assert left == set()
    # numbers as Vietnamese writes them: decimal comma, thousands dot
    assert listed["reason"].str.contains(r"\d,\d km").any()
    assert listed["reason"].str.contains(r"\d\.\d{3} người").any()
    assert not listed["reason"].str.contains(r"\d\.\d km").any()
    with pytest.raises(SchemaError, match=r"lang='fr' is not available; use one of en, vi"):
        en.with_lang("fr")


def test_priority_workbook_in_vietnamese(sample_priorities, tmp_path):
    vi = sample_priorities.with_lang("vi")
    vi.write(tmp_path, formats=["xlsx", "csv"], levels=["commune"])
    wb = openpyxl.load_workbook(tmp_path / "priorities.xlsx", read_only=True)
    try:
        assert wb.sheetnames[:5] == ["Tóm tắt", "Thôn", "Mức 1 - trắng sóng",
                                     "Mức 2 - chưa có 4G", "Mức 3 - chưa có cáp quang"]
        assert wb.sheetnames[-4:] == ["Xã", "Phương án", "Mô hình", "Cột"]
    finally:
        wb.close()
    summary = pd.read_csv(tmp_path / "priorities_summary.csv", encoding="utf-8-sig")
    assert summary.iloc[0, 0] == vi.summary()
    # the English list's files keep their names; write(lang=) picks the words
    sample_priorities.write(tmp_path / "en", formats=["csv"], levels=["commune"], lang="vi")
    again = pd.read_csv(tmp_path / "en" / "priorities_summary.csv", encoding="utf-8-sig")
    assert again.iloc[0, 0] == vi.summary()


class _Stub:
    """A plan's figures, by hand: what PlanResult.summary reads."""

    totals = {"sites": 90.0, "upgrades": 0.0, "links": 6.0, "cable_km": 142.0,
              "cost_sites": 110.0e9, "cost_links": 10.5e9, "villages": 1569.0,
              "villages_4g_before": 1004.0, "villages_4g_after": 1548.0,
              "units_fiber_before": 40.0, "units_fiber_after": 46.0, "people": 800_000.0,
              "people_4g_before": 520_000.0, "people_4g_after": 790_000.0}
    currency = "VND"
    finest = "commune"
    costs = SimpleNamespace(horizon_years=10.0)
    selection = SimpleNamespace(method="greedy (lazy gain updates)", bound=0.632,
                                certified_share=0.851)


def test_plan_summary_snapshot_vietnamese():
    from geocov.plan import _summary

    assert _summary(_Stub(), "vi") == (
        "90 trạm BTS 4G mới và 142 km cáp quang (chi phí 120,5 tỷ đồng trong 10 năm: 110,0 tỷ "
        "đồng cho các trạm, 10,5 tỷ đồng cho cáp quang) đưa 4G "
        "đến 1.548/1.569 thôn (98,7%, từ 64,0%) và cáp quang đến thêm 6 xã. Thêm 270.000 "
        "người trong các thôn có 4G (98,8% dân số các thôn, từ 65,0%). Trạm BTS được chọn "
        "bằng thuật toán tham lam (cập nhật lợi ích trễ): đạt ít nhất 63,2% mức tốt nhất có "
        "thể theo bảo đảm của phương pháp, và ít nhất 85,1% với trường hợp này (cận phụ "
        "thuộc số liệu).")
    assert _summary(_Stub(), "en") == (
        "90 new 4G sites and 142 km of fiber (cost 120.5 billion VND over 10 years: 110.0 "
        "billion VND for the sites, 10.5 billion VND for the fiber) bring 4G "
        "to 1,548/1,569 villages (98.7%, from 64.0%) and fiber to 6 more communes. 270,000 "
        "more people in the villages have 4G (98.8% of them, from 65.0%). Sites chosen by "
        "greedy (lazy gain updates): at least 63.2% of the best possible by the method's "
        "guarantee, and at least 85.1% for this case (data-dependent bound).")
    one = _Stub()
    one.totals = {**_Stub.totals, "sites": 1.0, "links": 0.0, "cost_links": 0.0}
    one.selection = None
    assert _summary(one, "vi").startswith("1 trạm BTS 4G mới (chi phí 110,0 tỷ đồng trong 10 "
                                          "năm) đưa 4G đến 1.548/1.569 thôn")
    nothing = _Stub()
    nothing.totals = {**_Stub.totals, "sites": 0.0, "links": 0.0}
    assert _summary(nothing, "vi") == ("Kế hoạch không có trạm BTS mới và không có cáp quang: "
                                       "4G vẫn ở 1.004/1.569 thôn (64,0%).")


def _numbers(text: str, lang: str) -> list[float]:
    sym = locale.number_symbols(lang)
    found = re.findall(rf"\d[\d{re.escape(sym['group'])}]*(?:{re.escape(sym['decimal'])}\d+)?",
                       text)
    return [float(x.replace(sym["group"], "").replace(sym["decimal"], ".")) for x in found]


def test_plan_summary_on_the_sample_in_both_languages(sample_plan, tmp_path):
    en, vi = sample_plan.summary(), sample_plan.summary(lang="vi")
    assert _numbers(vi, "vi") == _numbers(en, "en")  # the same figures, each as its reader writes
    assert re.search(r"đưa 4G đến [\d.]+/1\.500 thôn \(\d+,\d%, từ 49,0%\)", vi)
    assert "cáp quang đến thêm 6 xã." in vi and _english_left(vi) == []
    sample_plan.write(tmp_path, formats=["csv"], levels=["commune"], lang="vi")
    summary = pd.read_csv(tmp_path / "plan_summary.csv", encoding="utf-8-sig")
    assert summary.iloc[0, 0] == vi


def test_plan_model_sheet_in_vietnamese(sample_plan, sample_result, tmp_path):
    """The plan's model sheet in a Vietnamese workbook: sections, keys and fixed texts in
    Vietnamese (the candidates' counts, cost parameters, sources and notes keep their
    words); the English model is unchanged."""
    from geocov.report import model_note

    sample_plan.write(tmp_path, formats=["xlsx", "csv"], levels=["commune"], lang="vi")
    model = pd.read_csv(tmp_path / "plan_model.csv", encoding="utf-8-sig", dtype=str,
                        keep_default_na=False)
    assert model["section"].unique().tolist() == [
        "đầu vào", "yêu cầu", "trạm BTS", "cáp quang", "sau kế hoạch", "chi phí", "ghi chú"]
    assert model.iloc[0]["note"] == model_note(sample_result, "vi")
    # the rows geocov words (not the candidates' counts, cost parameters or notes); the
    # objective's value is the argument as given ("people")
    fixed = model[model["section"].isin(["đầu vào", "yêu cầu", "trạm BTS", "cáp quang"])
                  & (model["key"].str.contains("[à-ỹ]")
                     | model["key"].str.startswith("fiber_to N"))]
    fixed = fixed.iloc[1:].assign(value=lambda f: f["value"].where(f["key"] != "mục tiêu", ""))
    cells = " | ".join(fixed[["key", "value", "note"]].to_numpy().ravel())
    assert _english_left(cells.replace("fiber_to N", "")) == []
    assert "bảo đảm" in cells and "người" in cells
    wb = openpyxl.load_workbook(tmp_path / "plan.xlsx", read_only=True)
    try:
        values = [c for row in wb["Mô hình"].iter_rows(values_only=True) for c in row]
    finally:
        wb.close()
    assert "đầu vào" in values and "yêu cầu" in values
    assert sample_plan.model.iloc[3].tolist()[:2] == ["asked", "sites"]


def test_plan_step_texts_in_vietnamese(sample_plan, tmp_path):
    """The steps' detail and served villages, the sites' and links' texts: Vietnamese in a
    Vietnamese plan's files and workbook, English (as computed) in an English one."""
    sample_plan.write(tmp_path / "vi", formats=["csv", "xlsx"], levels=["commune"], lang="vi")
    sample_plan.write(tmp_path / "en", formats=["csv"], levels=["commune"])
    steps = pd.read_csv(tmp_path / "vi" / "plan_steps.csv", encoding="utf-8-sig", dtype=str,
                        keep_default_na=False)
    assert steps["detail"].iloc[0] == "trạm BTS VNP2G000266: nâng cấp VNP2G000266 (2G) lên 4G"
    assert steps["detail"].iloc[1] == ("thôn 02721015: trạm BTS mới, truyền dẫn cáp quang: "
                                       "cáp quang đã đến thôn (đã kết nối)")
    assert steps["served"].iloc[0].endswith(", Bản Đường Pìn và 9 thôn khác")
    assert steps["detail"].iloc[-1] == ("đến xã Xã Nà Háo (tại Bản Vược Long) từ xã Xã Xuân "
                                        "Bản (tại Bản Bình Thàng), 2,2 km cáp quang")
    links = pd.read_csv(tmp_path / "vi" / "plan_links.csv", encoding="utf-8-sig")
    left = {w for c in ("detail", "served") for text in steps[c].unique()
            for w in _english_left(text)}
    left |= {w for c in ("to", "from") for text in links[c].unique() for w in _english_left(text)}
    assert left == set()
    wb = openpyxl.load_workbook(tmp_path / "vi" / "plan.xlsx", read_only=True)
    try:
        cells = [str(c) for row in wb["Các bước"].iter_rows(values_only=True) for c in row
                 if isinstance(c, str)]
    finally:
        wb.close()
    assert "trạm BTS VNP2G000266: nâng cấp VNP2G000266 (2G) lên 4G" in cells
    en = pd.read_csv(tmp_path / "en" / "plan_steps.csv", encoding="utf-8-sig", dtype=str,
                     keep_default_na=False)
    assert en["detail"].tolist() == sample_plan.steps["detail"].tolist()
    assert en["detail"].iloc[0] == "site of VNP2G000266: upgrade VNP2G000266 (2G) to 4G"


def _layers(m) -> dict[str, tuple[str, object]]:
    """The map's geocov layers: name -> (factory, payload as JSON)."""
    import json

    return {child.layer_name: (child.factory, json.loads(child.payload))
            for child in m._children.values() if hasattr(child, "factory")}


def _strings(obj) -> list[str]:
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, dict):
        return [s for v in obj.values() for s in _strings(v)]
    if isinstance(obj, list):
        return [s for v in obj for s in _strings(v)]
    return []


def test_plan_and_priority_map_in_vietnamese(sample_result, sample_priorities, sample_plan):
    """An English priority list drawn with lang="vi": every word of the plan's and the
    list's layers is Vietnamese (the English map keeps its words)."""
    from geocov.maps import coverage_map

    m = coverage_map(sample_result, level="commune", priorities=sample_priorities,
                     plan=sample_plan, lang="vi", villages=True)
    layers = _layers(m)
    names = list(layers)
    assert "Trạm 4G dự kiến (30)" in names
    assert any(n.startswith("Tuyến cáp quang dự kiến (6, ") for n in names)
    assert "Mức ưu tiên (951 thôn trong danh sách)" in names
    assert any(n.startswith("Xã có thôn mức 1 (trắng sóng) (") for n in names)
    html = m.get_root().render()
    for words in ("Trạm 4G dự kiến", "Tuyến cáp quang dự kiến", "Mức ưu tiên",
                  "Thôn có 4G sau kế hoạch", "Dân số có 4G trước kế hoạch"):
        assert words in html
    # every text of the layers but the info panel (its model note is the coverage model's)
    texts = [s for name, (factory, payload) in layers.items() if factory != "infoPanel"
             for s in [name, *_strings(payload)]]
    left = sorted({(w, t[:80]) for t in texts for w in _english_left(t)})
    assert left == []
    units = next(p for f, p in layers.values() if f == "unitsLayer")
    assert any(t.startswith("#1 ") and "trắng sóng" in t for t in units["props"]["r"])
    sites = next(p for f, p in layers.values() if f == "stationsLayer" and p.get("plainLine"))
    assert sites["data"]["id"][0].startswith("PLAN-0001 (bước 1): ")
    assert "người; chi phí" in sites["data"]["op"][0]
    # the English map: its words, and the test above can fail
    en = _layers(coverage_map(sample_result, level="commune", priorities=sample_priorities,
                              plan=sample_plan))
    assert "Planned 4G sites (30)" in en and "Priority tiers (951 villages listed)" in en
    en_texts = [s for name, (f, p) in en.items() if f != "infoPanel"
                for s in [name, *_strings(p)]]
    assert {w for t in en_texts for w in _english_left(t)} >= {"Planned", "tier", "people"}


def test_cli_priorities_and_plan_lang_vi(tmp_path):
    analysis = str(geocov.sample_paths()["analysis"])
    res = CliRunner().invoke(main, ["priorities", analysis, "--lang", "vi", "--top", "2",
                                    "--level", "commune", "-o", str(tmp_path / "p.csv")])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert lines[0].startswith("1.500 thôn; trong danh sách: mức 1: trắng sóng — ")
    assert lines[1] == "2 thôn đầu trong 951 thôn của danh sách:"
    assert lines[2].startswith("    1. mức 1 ") and "trắng sóng" in lines[2]
    assert "người được phủ mới" in lines[2] and _english_left(lines[2].split(" (")[0]) == []
    assert lines[-1].startswith("đã ghi ")
    res = CliRunner().invoke(main, ["plan", analysis, "--lang", "vi", "--sites", "2",
                                    "--top", "2", "-o", str(tmp_path / "plan.csv")])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert "đưa 4G đến" in lines[0] and "thôn (" in lines[0] and _english_left(lines[0]) == []
    assert lines[1] == "2 bước đầu trong 2 bước:"
    assert re.match(r" +1\. (trạm BTS 4G mới|nâng cấp trạm BTS 2G/3G lên 4G) ", lines[2])
    assert "số thôn" in lines[2] and lines[-1].startswith("đã ghi ")
