"""Reconciliation with official figures, on a province every figure of which is checked by hand.

Province "10" "Tỉnh Lào Cai"; districts D1 "Huyện Bát Xát" and D2 "Thành phố Lào Cai";
four 1 km communes in UTM 48N (km from x0, y0), two villages each at (x + 0.3, 0.5) and
(x + 0.7, 0.5)::

    02701 "Xã Thanh Bình" (D1) | 02704 "Xã Bản Cái" (D1) | 02707 "Xã Thanh Bình" (D2) |
    02710 "Phường Lào Cai" (D2)

A 4G station of 300 m at the centre of 02704 covers its two villages (200 m away); a 2G
one of 250 m at the centre of 02710 covers its two. So: 4G in 2/8 villages, signal in 4/8,
signal in 2/4 communes, 1 4G and 1 2G station. Fiber: village 02704a is listed (1/8).
"Lào Cai" names the province, a district (the city) and a commune; "Xã Thanh Bình" two
communes.
"""

from __future__ import annotations

import dataclasses
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from shapely import Point, box

import geocov
from geocov.cli import main
from geocov.errors import SchemaError
from geocov.reconcile import (
    METRICS,
    Reconciliation,
    metric_vocabulary,
    parse_official_value,
    read_official,
    reconcile,
)

X0, Y0, KM = 500_000.0, 2_400_000.0, 1000.0
CRS = "EPSG:32648"
CODES = ["02701", "02704", "02707", "02710"]
NAMES = ["Xã Thanh Bình", "Xã Bản Cái", "Xã Thanh Bình", "Phường Lào Cai"]


def units_frame() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"province_code": ["10"] * 4, "province_name": ["Tỉnh Lào Cai"] * 4,
         "district_code": ["080", "080", "081", "081"],
         "district_name": ["Huyện Bát Xát", "Huyện Bát Xát", "Thành phố Lào Cai",
                           "Thành phố Lào Cai"],
         "commune_code": CODES, "commune_name": NAMES},
        geometry=[box(X0 + i * KM, Y0, X0 + (i + 1) * KM, Y0 + KM) for i in range(4)], crs=CRS)


def villages_frame() -> gpd.GeoDataFrame:
    rows = [(f"{c}{s}", c, X0 + (i + dx) * KM) for i, c in enumerate(CODES)
            for s, dx in (("a", 0.3), ("b", 0.7))]
    return gpd.GeoDataFrame({"village_code": [r[0] for r in rows],
                             "unit_code": [r[1] for r in rows]},
                            geometry=[Point(r[2], Y0 + 0.5 * KM) for r in rows], crs=CRS)


def stations_frame() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"station_id": ["s4", "s2"], "technology": ["4G", "2G"],
                             "operator": ["VNPT", "VNPT"], "range_m": [300.0, 250.0]},
                            geometry=[Point(X0 + 1.5 * KM, Y0 + 0.5 * KM),
                                      Point(X0 + 3.5 * KM, Y0 + 0.5 * KM)], crs=CRS)


def make_result(fiber: bool = True, data_date: str | None = None):
    levels = ["province", "district", "commune"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", geocov.GeocovWarning)
        units = geocov.read_units(units_frame(), levels=levels,
                                  codes={lv: f"{lv}_code" for lv in levels})
        fib = (geocov.read_fiber(pd.DataFrame({"village_code": ["02704a"]})) if fiber else None)
        return geocov.coverage(units, villages=geocov.read_villages(villages_frame()),
                               stations=geocov.read_stations(stations_frame()), fiber=fib,
                               resolution_m=50, data_date=data_date)


@pytest.fixture(scope="module")
def result():
    return make_result()


def official(*rows, date="2020-12-31") -> pd.DataFrame:
    return pd.DataFrame([{"unit": u, "metric": m, "value": v, "date": date, "source": "report"}
                         for u, m, v in rows])


# --------------------------------------------------------------------------- values
@pytest.mark.parametrize("text, expected", [
    ("1,024/1,569", (1024.0, 1569.0)),
    ("1.024/1.569", (1024.0, 1569.0)),
    ("1 024 / 1 569", (1024.0, 1569.0)),
    ("152/152", (152.0, 152.0)),
])
def test_shares_in_either_number_style(text, expected):
    num, den, pct = parse_official_value(text)
    assert (num, den) == expected and pct == pytest.approx(100 * num / den)


def test_percentages_counts_and_quantities():
    assert parse_official_value("98.3%")[2] == pytest.approx(98.3)
    assert parse_official_value("98,3 %")[2] == pytest.approx(98.3)
    assert parse_official_value("1.000", whole=True)[0] == 1000.0  # one thousand stations
    assert parse_official_value("1,000", whole=True)[0] == 1000.0
    assert parse_official_value("6.300,5")[0] == pytest.approx(6300.5)
    assert parse_official_value("6,300.5")[0] == pytest.approx(6300.5)
    assert parse_official_value("2,5", decimal=",")[0] == pytest.approx(2.5)
    assert parse_official_value(298)[0] == 298.0


@pytest.mark.parametrize("text, message", [
    ("", "the value is empty"),
    ("abc", "not a number, a percentage or a share"),
    ("3/2", "a share's numerator must lie between 0 and its denominator"),
    ("1.5/3", "a share takes whole numbers"),
    ("120%", "a percentage lies within 0-100"),
    ("1/2/3", "a share is written num/den"),
])
def test_unreadable_values_say_why(text, message):
    with pytest.raises(ValueError, match=message):
        parse_official_value(text)


@given(num=st.integers(0, 10**7), extra=st.integers(0, 10**7), style=st.sampled_from(",. "))
def test_shares_read_back_whatever_the_grouping(num, extra, style):
    den = num + extra + 1

    def group(n: int) -> str:
        return f"{n:,}".replace(",", style)

    assert parse_official_value(f"{group(num)}/{group(den)}")[:2] == (num, den)


# --------------------------------------------------------------------------- vocabulary
def test_metric_vocabulary_in_english_and_vietnamese():
    v = metric_vocabulary()
    assert {"villages_4g", "villages_fiber", "units_any", "stations_4g", "population_4g",
            "area_any"} <= set(v["key"])
    t = read_official(official(
        ("A", "villages with 4G", "1/2"), ("A", "Thôn có 4G", "1/2"), ("A", "thon co 4g", "1/2"),
        ("A", "% villages with fiber", "50%"), ("A", "Tỷ lệ thôn có cáp quang", "50%"),
        ("A", "communes with signal", "1/1"), ("A", "Xã có sóng", "1/1"),
        ("A", "base stations 4G", "3"), ("A", "Trạm BTS 4G", "3"), ("A", "số trạm BTS", "9"),
        ("A", "4G sites", "3"), ("A", "dân số được phủ sóng 4G", "80%")))
    assert t["metric_key"].tolist() == [
        "villages_4g", "villages_4g", "villages_4g", "villages_fiber", "villages_fiber",
        "units_any", "units_any", "stations_4g", "stations_4g", "stations_any", "stations_4g",
        "population_4g"]


def test_unknown_metric_strict_and_lenient(tmp_path):
    p = tmp_path / "official.csv"
    p.write_text("unit,metric,value\nLào Cai,villages with 4G,1/2\nLào Cai,villages happy,3\n",
                 encoding="utf-8")
    with pytest.raises(SchemaError, match=r"official.csv: 1 row\(s\) in column 'metric': metric "
                                          r"not in the vocabulary: row 3 \('villages happy'\)\. "
                                          r"Use a metric of geocov.reconcile.METRICS"):
        read_official(p)
    rejects = geocov.RejectsReport()
    t = read_official(p, rejects=rejects)
    assert t["metric_key"].tolist() == ["villages_4g"]
    assert rejects.to_frame()[["row", "column"]].values.tolist() == [[3, "metric"]]


def test_unreadable_value_names_row_column_and_value(tmp_path):
    p = tmp_path / "official.csv"
    p.write_text("Đơn vị,Chỉ tiêu,Giá trị\nLào Cai,thôn có 4G,1.600/1.569\n", encoding="utf-8")
    with pytest.raises(SchemaError, match=r"official.csv: 1 row\(s\) in column 'Giá trị': value "
                                          r"not read: a share's numerator must lie between 0 and "
                                          r"its denominator: row 2 \('1.600/1.569'\)"):
        read_official(p)


def test_official_table_needs_a_unit_metric_and_value():
    with pytest.raises(SchemaError, match=r"required column\(s\) \['value'\] not found"):
        read_official(pd.DataFrame({"unit": ["A"], "metric": ["villages"]}))
    with pytest.raises(SchemaError, match="no unit column: give the unit's name"):
        read_official(pd.DataFrame({"metric": ["villages"], "value": ["3"]}))


# --------------------------------------------------------------------------- matching
def test_name_at_several_levels_is_taken_at_the_coarsest_and_said(result):
    rec = reconcile(result, official(("Lào Cai", "villages with 4G", "3/8"),
                                     ("Tỉnh Lào Cai", "trạm BTS 4G", "1")))
    row = rec.table.iloc[0]
    assert (row["level"], row["code"], row["match"]) == ("province", "10", "name (coarsest level)")
    assert (row["geocov_num"], row["geocov_den"]) == (2, 8)
    assert row["difference"] == -1 and row["difference_pct_points"] == pytest.approx(-12.5)
    assert row["geocov"] == "2/8 (25.0%)"
    assert row["reading"] == (
        "geocov finds 2/8 (25.0%) villages with 4G, the report 3/8: 1 fewer (-12.5 points); "
        "the station file has 1 4G site(s), the report 1: the difference comes from the radius "
        "model (4G discs of 0.3 km (from the station file)); 'Lào Cai' is also district Thành "
        "phố Lào Cai (081), commune Phường Lào Cai (02710): taken as the province; add a type "
        "word (Tỉnh, Huyện, Xã) or a level column to choose.")
    assert rec.table.iloc[1]["match"] == "name"
    assert rec.table.iloc[1]["reading"].startswith(
        "geocov finds 1 base stations 4G, the report 1: they agree")


def test_type_words_and_diacritics_choose_the_unit(result):
    rec = reconcile(result, official(
        ("TP. Lào Cai", "xã có sóng", "1/2"), ("Tinh Lao Cai", "tram BTS 4G", "1"),
        ("Phường Lào Cai", "thôn có sóng", "2/2"), ("huyện bát xát", "villages", "4"),
        ("toàn tỉnh", "số xã", "4")))
    t = rec.table
    assert t[["level", "code"]].values.tolist() == [
        ["district", "081"], ["province", "10"], ["commune", "02710"], ["district", "080"],
        ["total", "total"]]
    assert t["geocov"].tolist() == ["1/2 (50.0%)", "1", "2/2 (100.0%)", "4", "4"]
    assert (t["match"] == "name").sum() == 4 and t["match"].iloc[4] == "total"


def test_same_name_twice_at_one_level_is_not_guessed(result):
    rec = reconcile(result, official(("Xã Thanh Bình", "villages with 4G", "0/2"),
                                     ("Xã Thanh Bình (huyện Bát Xát)", "villages with 4G", "0/2"),
                                     ("Xã Không Tên", "villages with 4G", "0/2")))
    t = rec.table
    assert t["match"].tolist() == ["ambiguous", "name", "not found"]
    assert t["code"].iloc[1] == "02701"
    assert np.isnan(t["geocov_num"].iloc[0])
    assert t["reading"].iloc[0] == (
        "Not compared: 'Xã Thanh Bình' matches 2 communes: Xã Thanh Bình (02701), Xã Thanh Bình "
        "(02707): add the code, or the parent in brackets (\"Xã Thanh Bình (huyện ...)\").")
    assert t["reading"].iloc[2].startswith("Not compared: no unit named 'Xã Không Tên'")


def test_codes_match_first_and_without_leading_zeros(result):
    table = official(("whatever", "thôn có sóng", "1/2"), ("2710", "thôn có sóng", "2/2"))
    table["code"] = ["02704", None]
    rec = reconcile(result, table)
    assert rec.table[["match", "code"]].values.tolist() == [["code", "02704"], ["code", "02710"]]
    assert rec.table["geocov"].tolist() == ["2/2 (100.0%)", "2/2 (100.0%)"]


# --------------------------------------------------------------------------- readings
def test_readings_name_the_cause(result):
    rec = reconcile(result, official(
        ("Tỉnh Lào Cai", "villages with fiber", "2/10"),
        ("Tỉnh Lào Cai", "xã có sóng", "4/4"),
        ("Tỉnh Lào Cai", "trạm BTS 4G", "3")))
    fiber, units, stations = rec.table["reading"]
    assert fiber == (
        "geocov finds 1/8 (12.5%) villages with fiber, the report 2/10: 1 fewer (-7.5 points); "
        "the denominators differ: geocov counts 8 villages, the report 10 (villages missing "
        "from the village file, or the report counts others); geocov's fiber comes from fiber "
        "lists only: a village has fiber when it is listed or within reach of a node or route; "
        "routes or connected villages missing from the fiber file, or a looser definition in "
        "the report ('fiber to the commune'), would explain a higher official figure.")
    assert units.startswith("geocov finds 2/4 (50.0%) communes with signal, the report 4/4: 2 "
                            "fewer (-50.0 points); the station file has 2 site(s) (the report "
                            "gives no station count to compare)")
    assert units.endswith("a commune has signal in geocov when any footprint touches it.")
    assert stations == ("geocov finds 1 base stations 4G, the report 3: 2 fewer; stations "
                        "missing from (or extra in) the station file, or a file of another "
                        "date.")


def test_readings_in_vietnamese(result, tmp_path):
    """The same readings in Vietnamese words and numbers: in to_text("vi") under each
    figure, and in the reading column of a Vietnamese file (the table keeps English)."""
    rec = reconcile(result, official(
        ("Tỉnh Lào Cai", "villages with fiber", "2/10"),
        ("Tỉnh Lào Cai", "xã có sóng", "4/4"),
        ("Tỉnh Lào Cai", "trạm BTS 4G", "3")))
    text = rec.to_text("vi")
    stations = ("geocov tính được 1 trạm BTS 4G, báo cáo 3: ít hơn 2; thiếu (hoặc thừa) trạm "
                "BTS trong tệp trạm BTS, hoặc tệp của một ngày khác.")
    assert f"- Tỉnh Lào Cai | trạm BTS 4G: geocov 1, báo cáo 3, chênh lệch -2\n  {stations}" \
        in text
    assert ("  geocov tính được 1/8 (12,5%) thôn có cáp quang, báo cáo 2/10: ít hơn 1 (-7,5 "
            "điểm phần trăm); mẫu số khác nhau: geocov đếm 8 thôn, báo cáo 10") in text
    assert ("tệp trạm BTS có 2 trạm BTS (báo cáo không có số trạm BTS để so sánh); chênh lệch "
            "là do danh sách trạm BTS hoặc do mô hình bán kính (vùng phủ 2G hình tròn bán kính "
            "0,25 km (theo tệp trạm BTS)") in text
    assert "trong geocov, một xã có sóng khi bất kỳ vùng phủ nào chạm tới nó." in text
    for word in ("geocov finds", "the report", "fewer", "station file", "villages", "radius"):
        assert word not in text
    assert rec.table["reading"].iloc[2].startswith("geocov finds 1 base stations 4G")
    rec.write(tmp_path / "vi.xlsx", lang="vi")
    rec.write(tmp_path / "en.csv")
    import openpyxl

    ws = openpyxl.load_workbook(tmp_path / "vi.xlsx")["Reconciliation"]
    col = [c.value for c in ws[1]].index("reading") + 1
    assert ws.cell(4, col).value == stations
    assert pd.read_csv(tmp_path / "en.csv", encoding="utf-8-sig")["reading"].tolist() == \
        rec.table["reading"].tolist()


def test_more_sites_yet_less_coverage_blames_the_radius_model(result):
    rec = reconcile(result, official(("Tỉnh Lào Cai", "thôn có 4G", "6/8"),
                                     ("Tỉnh Lào Cai", "trạm BTS 4G", "0")))
    assert ("the station file has 1 4G site(s), the report 0: geocov has 1 4G site(s) more "
            "yet finds less coverage: the difference comes from the radius model") in \
        rec.table["reading"].iloc[0]
    fewer = reconcile(result, official(("Tỉnh Lào Cai", "thôn có 4G", "6/8"),
                                       ("Tỉnh Lào Cai", "trạm BTS 4G", "5")))
    assert ("the report 5: 4 4G site(s) missing from the station file explain part of it; the "
            "rest comes from the radius model") in fewer.table["reading"].iloc[0]


def test_no_fiber_data_is_said():
    rec = reconcile(make_result(fiber=False),
                    official(("Tỉnh Lào Cai", "thôn có cáp quang", "1.024/1.569")))
    assert rec.table["reading"].iloc[0] == (
        "Not compared: geocov has no fiber data for this analysis; add the fiber input "
        "([fiber] in the analysis file) to compare.")


def test_dates_and_unit_vintages_are_compared():
    res = make_result(data_date="2025-09-30")
    res = dataclasses.replace(res, metadata={**res.metadata,
                                             "units_vintage": "2025 (34 provinces)"})
    rec = reconcile(res, official(("Tỉnh Lào Cai", "thôn có 4G", "8/8")))
    reading = rec.table["reading"].iloc[0]
    assert "the report is of 2020-12-31, geocov's data of 2025-09-30" in reading
    assert ("the report predates the 2025 reform but geocov's units are 2025 (34 provinces): "
            "the same name may cover another area") in reading
    assert rec.metadata["units_vintage"] == "2025 (34 provinces)"


def test_reconcile_does_not_change_the_result(result):
    before = dict(result.metadata)
    reconcile(result, official(("Tỉnh Lào Cai", "thôn có 4G", "8/8")))
    assert result.metadata == before


def test_every_metric_reads_a_column_of_the_table(result):
    t = result.table("province")
    for m in METRICS.values():
        num, den = m.columns(result.finest)
        assert num in t.columns, m.key
        assert den is None or den in t.columns, m.key


# --------------------------------------------------------------------------- outputs
def test_write_csv_and_xlsx(result, tmp_path):
    import openpyxl

    rec = reconcile(result, official(("Tỉnh Lào Cai", "thôn có 4G", "1/8")))
    assert isinstance(rec, Reconciliation)
    csv = rec.write(tmp_path / "rec.csv")
    assert pd.read_csv(csv, encoding="utf-8-sig")["reading"].iloc[0].startswith("geocov finds")
    xlsx = rec.write(tmp_path / "rec.xlsx")
    wb = openpyxl.load_workbook(xlsx)
    assert wb.sheetnames == ["Reconciliation", "Notes"]
    ws = wb["Reconciliation"]
    headers = [c.value for c in ws[1]]
    assert headers[:3] == ["unit", "metric", "official"]
    assert ws.cell(2, headers.index("geocov %") + 1).value == pytest.approx(0.25)
    with pytest.raises(SchemaError, match=r"rec.txt: a reconciliation is written as .csv or "
                                          r".xlsx"):
        rec.write(tmp_path / "rec.txt")
    assert "geocov finds 2/8 (25.0%)" in rec.to_text()
    assert "<table" in rec._repr_html_()


def _analysis(tmp_path):
    units_frame().to_file(tmp_path / "units.gpkg")
    villages_frame().to_crs(4326).assign(
        lon=lambda f: f.geometry.x, lat=lambda f: f.geometry.y).drop(columns="geometry").to_csv(
        tmp_path / "villages.csv", index=False)
    s = stations_frame().to_crs(4326)
    s.assign(lon=s.geometry.x, lat=s.geometry.y).drop(columns="geometry").to_csv(
        tmp_path / "stations.csv", index=False)
    (tmp_path / "a.toml").write_text(
        'title = "Lào Cai"\n[units]\npath = "units.gpkg"\n'
        'levels = { province = "province_name", district = "district_name", '
        'commune = "commune_name" }\n'
        'codes = { province = "province_code", district = "district_code", '
        'commune = "commune_code" }\n'
        '[villages]\npath = "villages.csv"\n[stations]\npath = "stations.csv"\n'
        '[model]\nresolution_m = 50\n', encoding="utf-8")
    (tmp_path / "official.csv").write_text(
        "Đơn vị,Chỉ tiêu,Giá trị,Ngày,Nguồn\n"
        "Tỉnh Lào Cai,Thôn có 4G,3/8,2020-12-31,báo cáo tỉnh\n"
        "Tỉnh Lào Cai,Trạm BTS 4G,1,2020-12-31,báo cáo tỉnh\n", encoding="utf-8")
    return tmp_path / "a.toml", tmp_path / "official.csv"


def test_cli_prints_and_writes(tmp_path):
    analysis, off = _analysis(tmp_path)
    out = tmp_path / "out" / "rec.xlsx"
    out.parent.mkdir()
    res = CliRunner().invoke(main, ["reconcile", str(analysis), str(off), "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "- Tỉnh Lào Cai | Thôn có 4G: geocov finds 2/8 (25.0%) villages with 4G, the report " \
           "3/8: 1 fewer (-12.5 points)" in res.output
    assert f"wrote {out}" in res.output and out.exists()
    listed = CliRunner().invoke(main, ["reconcile", "--metrics"])
    assert listed.exit_code == 0 and "villages with fiber | thôn có cáp quang" in listed.output
    # --lang vi: the written table's readings in Vietnamese too, not only the printed text
    vi = tmp_path / "out" / "vi.xlsx"
    res = CliRunner().invoke(main, ["reconcile", str(analysis), str(off), "-o", str(vi),
                                    "--lang", "vi"])
    assert res.exit_code == 0, res.output
    import openpyxl

    ws = openpyxl.load_workbook(vi)["Reconciliation"]
    col = [c.value for c in ws[1]].index("reading") + 1
    assert str(ws.cell(2, col).value).startswith("geocov tính được 2/8 (25,0%) thôn có 4G")


def test_cli_refuses_bad_output_and_missing_arguments(tmp_path):
    analysis, off = _analysis(tmp_path)
    res = CliRunner().invoke(main, ["reconcile", str(analysis), str(off), "-o", "rec.txt"])
    assert res.exit_code == 2 and "write the table as .xlsx or .csv" in res.output
    res = CliRunner().invoke(main, ["reconcile", str(analysis)])
    assert res.exit_code == 2 and "give ANALYSIS and OFFICIAL (or --metrics)" in res.output


def test_cli_lenient_writes_rejects(tmp_path):
    analysis, off = _analysis(tmp_path)
    off.write_text("unit,metric,value\nTỉnh Lào Cai,thôn vui,3\nTỉnh Lào Cai,thôn có 4G,3/8\n",
                   encoding="utf-8")
    res = CliRunner().invoke(main, ["reconcile", str(analysis), str(off), "--lenient",
                                    "--rejects", str(tmp_path / "rej.csv")])
    assert res.exit_code == 0, res.output
    rej = pd.read_csv(tmp_path / "rej.csv", encoding="utf-8-sig")
    assert rej["reason"].tolist() == ["metric not in the vocabulary"]
    strict = CliRunner().invoke(main, ["reconcile", str(analysis), str(off)])
    assert strict.exit_code == 1
    assert "metric not in the vocabulary" in strict.output and "--lenient" in strict.output


# --------------------------------------------------------------------------- real data
@pytest.mark.realdata
def test_lao_cai_2020_published_figures_against_gadm_units(shared_data):
    """The province's published 2020 figures beside a result on GADM's Lào Cai communes
    (names without spaces: "LàoCai") with plausible generated stations (no real station
    data is public): names match across spellings; the readings name the causes."""
    gadm = gpd.read_file(shared_data / "boundaries" / "vn_communes_gadm41_L3_simplified.gpkg")
    units = geocov.read_units(gadm[gadm["NAME_1"] == "LàoCai"])
    rng = np.random.default_rng(3)
    pts = units.to_crs(32648).sample_points(size=6, rng=rng).explode(index_parts=False)
    sta = gpd.GeoDataFrame({"id": [f"s{i}" for i in range(len(pts))],
                            "tech": rng.choice(["2G", "3G", "4G"], len(pts))},
                           geometry=pts.to_numpy(), crs=32648)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", geocov.GeocovWarning)
        res = geocov.coverage(units, stations=geocov.read_stations(sta), resolution_m=500,
                              data_date="2020-12-31")
    table = official(("Lào Cai", "base stations", "1.000"), ("Lào Cai", "trạm BTS 2G", "311"),
                     ("Lào Cai", "trạm BTS 3G", "391"), ("Lào Cai", "trạm BTS 4G", "298"),
                     ("Tỉnh Lào Cai", "xã có sóng", "152/152"),
                     ("Lào Cai", "thôn có 4G", "1.542/1.569"),
                     ("Lào Cai", "thôn có cáp quang", "1.024/1.569"))
    rec = reconcile(res, table)
    t = rec.table
    assert (t["level"] == "province").all()
    assert t["official_num"].tolist()[:4] == [1000, 311, 391, 298]
    assert t["geocov_num"].iloc[0] == len(pts)
    communes = t.iloc[4]
    assert communes["geocov_den"] == 164  # GADM has the 2009-era communes
    assert "the denominators differ: geocov counts 164 communes, the report 152" in \
        communes["reading"]
    assert t["reading"].iloc[5].startswith("Not compared: geocov has no villages")
    assert t["reading"].iloc[6].startswith("Not compared: geocov has no fiber data")
    assert rec.metadata["units_vintage"] == "pre-2025 (63 provinces)"
