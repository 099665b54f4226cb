"""The priority list's deliverables: workbook, CSV, GeoPackage, analysis TOML, CLI, demo, map.

And the sample province's list read as a planner would: every number of its first ten
rows traced to an input or a documented default, nothing stated that the inputs cannot
know.
"""

from __future__ import annotations

import json
import re
import warnings

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import pytest
import shapely
from click.testing import CliRunner
from priority_fixtures import by_code, strip_result

import geocov
from geocov.costs import read_costs
from geocov.errors import SchemaError
from geocov.priorities import OPTIONS, PriorityRules, priorities


@pytest.fixture(scope="module")
def sample_list(tmp_path_factory):
    """The demo's list of the sample province (with its terrain), computed once."""
    from geocov.analysis import read_analysis, run_analysis, run_priorities

    analysis = read_analysis(geocov.sample_paths()["analysis"])
    result = run_analysis(analysis)
    with warnings.catch_warnings():  # the DEM's notes (filled cells) are geocov.terrain's
        warnings.simplefilter("ignore", geocov.DataQualityWarning)
        p = run_priorities(analysis, result, dem=str(geocov.sample_paths()["terrain"]))
    return result, p


def test_write_workbook_csv_and_geopackage(tmp_path):
    p = priorities(strip_result())
    paths = p.write(tmp_path)
    names = [x.name for x in paths]
    assert names == ["priorities_villages.csv", "priorities_provinces.csv",
                     "priorities_districts.csv", "priorities_communes.csv",
                     "priorities_options.csv", "priorities_model.csv",
                     "priorities_summary.csv", "priorities.gpkg", "priorities.xlsx"]
    wb = openpyxl.load_workbook(tmp_path / "priorities.xlsx", read_only=True)
    assert wb.sheetnames == [
        "summary", "villages", "tier 1 - no signal", "tier 2 - no 4G", "tier 3 - no fiber",
        "route - public fund", "route - operator obligation", "route - power first",
        "route - unknown power", "provinces", "districts", "communes", "options", "model",
        "columns"]
    rows = list(wb["tier 1 - no signal"].values)
    header = rows[0]
    # human headers (geocov.spreadsheet.write_workbook), text intact
    assert [r[header.index("Village")] for r in rows[1:]] == ["Bản Ả"]
    assert [r[header.index("Commune")] for r in rows[1:]] == ["Xã Một"]
    csv = pd.read_csv(tmp_path / "priorities_villages.csv", encoding="utf-8-sig", dtype=str)
    assert csv["village_name"].tolist()[:3] == ["Bản Ả", "Thôn Bê", "Bản Xê"]
    assert (tmp_path / "priorities_villages.csv").read_bytes()[:3] == b"\xef\xbb\xbf"
    layers = [name for name, _ in pyogrio.list_layers(tmp_path / "priorities.gpkg")]
    assert layers == ["villages", "provinces", "districts", "communes"]
    g = gpd.read_file(tmp_path / "priorities.gpkg", layer="villages")
    assert g.crs.to_epsg() == 4326 and g["village_name"].tolist()[0] == "Bản Ả"


def test_write_one_level_and_tiers(tmp_path):
    p = priorities(strip_result())
    paths = p.write(tmp_path, formats=["csv"], levels=["district"], tiers=[2])
    assert [x.name for x in paths][:2] == ["priorities_villages.csv", "priorities_districts.csv"]
    csv = pd.read_csv(tmp_path / "priorities_villages.csv", encoding="utf-8-sig")
    assert csv["village_code"].tolist() == ["B"]
    with pytest.raises(SchemaError, match=r"unknown level 'ward'; valid levels are"):
        p.write(tmp_path, levels=["ward"])
    with pytest.raises(SchemaError, match=r"unknown output format\(s\) \['pdf'\]"):
        p.write(tmp_path, formats=["pdf"])


def test_model_sheet_has_every_rule_weight_and_cost_source():
    p = priorities(strip_result())
    m = p.model
    keys = set(m["key"])
    for f in ("rules.tiers", "rules.weights", "rules.remoteness_weights", "rules.far_fiber_km",
              "rules.restrict_to_data", "rules.assume_line_of_sight"):
        assert f in keys
    costs = m[m["section"] == "costs"].set_index("key")
    assert costs.loc["fiber.capex_per_km", "value"] == "5500 USD per km of cable"
    assert "Giga" in costs.loc["fiber.capex_per_km", "note"]
    assert "pytal" in costs.loc["new_site.capex", "note"]
    assert "ITU CPP" in costs.loc["satellite.capex", "note"]
    assert "geocov assumption" in costs.loc["terrain.multipliers", "note"]
    assert costs.loc["horizon", "value"] == "10 years"
    codes = m[m["section"] == "reason codes"]
    assert {"NO_SIGNAL", "NO_POWER", "FIBER_FAR", "FIBER_UNKNOWN"} <= set(codes["key"])


def test_default_cost_table_cites_its_sources():
    text = (geocov.costs.DEFAULT_COSTS_PATH).read_text(encoding="utf-8")
    for source in ("[ITU-CPP]", "[GIGA]", "[PYTAL]", "geocov's assumption"):
        assert source in text
    f = read_costs().to_frame()
    assert (f["source"] != "").all()


def test_analysis_priorities_section(tmp_path):
    from geocov.analysis import read_analysis, run_priorities

    villages = pd.DataFrame({"Mã thôn": ["A", "B", "C"], "Có điện": ["không", "có", "có"]})
    villages.to_csv(tmp_path / "dien.csv", index=False)
    costs = tmp_path / "costs.toml"
    costs.write_text('[general]\ncurrency = "VND"\n[new_site]\ncapex = 1.0e9\n', encoding="utf-8")
    toml = tmp_path / "a.toml"
    toml.write_text(
        '[units]\npath = "sample:units"\nlayer = "communes"\n'
        'levels = { province = "province_name", district = "district_name", '
        'commune = "commune_name" }\n'
        '[priorities]\nattributes = "dien.csv"\ncosts = "costs.toml"\n'
        'tiers = ["no_signal", "2g_only", "no_4g"]\nweights = { cost = 1, people = 1 }\n'
        'horizon_years = 5\nrules = { far_fiber_km = 3 }\n', encoding="utf-8")
    a = read_analysis(toml)
    assert a.priorities["attributes"] == str(tmp_path / "dien.csv")
    p = run_priorities(a, strip_result())
    assert p.currency == "VND" and p.costs.horizon_years == 5
    assert p.costs.get("new_site", "capex") == 1.0e9
    assert p.rules.tiers == ("no_signal", "2g_only", "no_4g")
    assert p.rules.weights["people"] == 1 and p.rules.far_fiber_km == 3
    v = by_code(p.villages)
    assert v.loc["A", "funding_route"] == "power first"
    assert v.loc["B", "tier_label"] == "2: 2G only"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('[priorities]\nspeed = 3\n', r"unknown key\(s\) \['speed'\] in \[priorities\]"),
        ('[priorities]\nweights = { cost = "a lot" }\n',
         r"\[priorities\] weights must be a table of numbers"),
        ('[priorities]\ntiers = ["no_signal", "nope"]\n',
         r"a.toml: \[priorities\]: PriorityRules.tiers=.*\(unknown: \['nope'\]\)"),
        ('[priorities]\ncurrency = "EUR"\n',
         r"a.toml: \[priorities\]: currency 'EUR' is not valid; use one of USD, VND"),
        ('[priorities]\nrules = { speed_km = 3 }\n',
         r"a.toml: \[priorities\]: rules: .*speed_km"),
    ],
)
def test_analysis_priorities_errors(tmp_path, body, message):
    from geocov.analysis import read_analysis, run_priorities

    toml = tmp_path / "a.toml"
    toml.write_text('[units]\npath = "sample:units"\n' + body, encoding="utf-8")
    with pytest.raises(SchemaError, match=message):
        run_priorities(read_analysis(toml), strip_result())


def test_cli_priorities(tmp_path):
    from geocov.cli import main

    analysis = str(geocov.sample_paths()["analysis"])
    res = CliRunner().invoke(main, ["priorities", analysis, "-o", str(tmp_path),
                                    "--level", "commune", "--tier", "1", "--top", "3",
                                    "--currency", "vnd"])
    assert res.exit_code == 0, res.output
    assert res.output.splitlines()[0].startswith("1,500 villages; listed: tier 1: no signal")
    assert "Top 3 of " in res.output and "VND for" in res.output
    assert f"wrote {tmp_path / 'priorities.xlsx'}" in res.output
    csv = pd.read_csv(tmp_path / "priorities_villages.csv", encoding="utf-8-sig")
    assert set(csv["tier"]) == {1} and "option_cost_vnd" in csv.columns
    one = tmp_path / "list.xlsx"
    res = CliRunner().invoke(main, ["priorities", analysis, "-o", str(one), "--top", "0"])
    assert res.exit_code == 0, res.output
    assert one.exists() and res.output.strip().endswith(f"wrote {one}")
    res = CliRunner().invoke(main, ["priorities", analysis, "--level", "ward"])
    assert res.exit_code == 2 and "'ward' is not a level of these units" in res.output


def test_demo_writes_the_priority_list(tmp_path):
    from geocov.analysis import run_demo

    with warnings.catch_warnings():  # the DEM's notes are geocov.terrain's to test
        warnings.simplefilter("ignore", geocov.DataQualityWarning)
        w = run_demo(tmp_path / "t", maps_folder=tmp_path / "m")
    names = {p.name for p in w.tables}
    assert {"priorities.xlsx", "priorities.gpkg", "priorities_villages.csv"} <= names
    assert w.priorities is not None and w.priorities.model.set_index("key").loc[
        "DEM", "value"] == "terrain.tif"
    html = (tmp_path / "m" / "coverage_commune.html").read_text(encoding="utf-8")
    assert "Priority tiers (" in html and '"key": "priority"' in html.replace('":"', '": "')


def _payload(html: str, kind: str) -> dict:
    m = re.search(r"geocov\." + kind + r"\([^,]+, (\{.*?\})\);\n", html, re.S)
    assert m, kind
    return json.loads(m.group(1))


def test_map_with_priorities_has_tiers_metric_and_ranked_panel(sample_list):
    from geocov.maps import coverage_map

    result, p = sample_list
    m = coverage_map(result, level="commune", metric="priority", priorities=p)
    html = m.get_root().render()
    cfg = _payload(html, "unitsLayer")
    assert cfg["metric"] == "priority"
    metric = next(x for x in cfg["metrics"] if x["key"] == "priority")
    assert [c["label"] for c in metric["classes"]][:3] == [
        "tier 1: no signal", "tier 2: no 4G (2G/3G only)", "tier 3: no fiber"]
    props = cfg["props"]
    communes = p.communes.set_index("commune_code")
    # every unit's "priority" value is its most urgent village's tier
    for code, tier in zip(props["c"], props["pt"], strict=True):
        top = communes.loc[code, "top_tier"]
        assert tier == (int(top) if pd.notna(top) else 0)
    # highlighted: the communes whose top village is in tier 1, ordered by rank
    flagged = [k for k, h in enumerate(props["h"]) if h]
    assert len(flagged) == int((communes["top_tier"] == 1).sum())
    first = min(flagged, key=lambda k: props["o"][k])
    assert props["r"][first].startswith(f"#1 {p.villages.loc[0, 'village_name']}: ")
    assert cfg["highlightLabel"] == "Communes with tier 1 villages (no signal)"
    assert "Priority tiers (1,005 villages listed)" in html
    # without a list the map keeps the table rule
    plain = _payload(coverage_map(result, level="commune").get_root().render(), "unitsLayer")
    assert plain["highlightLabel"] == "Unconnected remote communes"
    assert all(x["key"] != "priority" for x in plain["metrics"])


def test_map_villages_without_fiber_data_say_unknown():
    from geocov.maps import coverage_map

    result = strip_result(fiber=None)
    html = coverage_map(result, level="commune").get_root().render()
    cfg = _payload(html, "villagesLayer")
    assert set(cfg["data"]["fb"]) == {2}  # unknown, never "not connected"


# --------------------------------------------------------------------------- the sample list
def test_sample_list_first_ten_rows_trace_to_inputs(sample_list):
    """Read the first ten rows as a planner would: every number traces to an input or a
    documented default, and nothing states what the inputs cannot know."""
    result, p = sample_list
    costs = p.costs
    top = p.villages.head(10)
    assert top["rank"].tolist() == list(range(1, 11))
    assert (top["tier"] == 1).all()  # no signal comes first
    vil = result.villages.set_index("village_code")
    st = result.stations
    wcrs = geocov.crs.working_crs(result.units)
    s_xy = shapely.get_coordinates(st.geometry.to_crs(wcrs).values)
    v_all = p.villages.set_index("village_code")
    v_xy = shapely.get_coordinates(gpd.GeoSeries(p.villages.geometry, crs=4326)
                                   .to_crs(wcrs).values)
    v_idx = pd.Series(np.arange(len(p.villages)), index=p.villages["village_code"])
    site, site_opex = costs.site("new_site")
    for r in top.itertuples(index=False):
        row = r._asdict()
        # population and names are the villages file's
        assert row["population"] == vil.loc[row["village_code"], "population"]
        assert f"{row['population']:,.0f} people" in row["reason"]
        # "no signal": no active station's footprint holds it (or the DEM hides it)
        assert row["service"] == "no signal"
        # nearest 4G site: recomputed from the stations file
        i = v_idx[row["village_code"]]
        four = st["technology"].isin(["4G", "5G"]).to_numpy()
        d4 = np.hypot(*(s_xy[four] - v_xy[i]).T).min() / 1000
        assert row["distance_4g_site_km"] == pytest.approx(d4, abs=1e-3)
        assert f"nearest 4G site {d4:.1f} km" in row["reason"]
        # grid power was not given: unknown, never a guess
        assert "grid power unknown" in row["reason"] and pd.isna(row["has_power"])
        assert row["funding_route"] == "unknown (no grid power data)"
        # the option's cost is the cost table's formula
        if row["option"] == OPTIONS["fiber"]:
            f = costs.fiber(row["distance_fiber_km"], row["slope_deg"])
            expect = costs.lifetime(site + f["capex"], site_opex + f["opex_per_year"])
        elif row["option"] == OPTIONS["satellite"]:
            capex, opex = costs.satellite()
            expect = costs.lifetime(site + capex, site_opex + opex)
        elif row["option"] == OPTIONS["upgrade"]:
            expect = costs.lifetime(*costs.site("upgrade"))
        else:
            mw = costs.microwave(float(re.search(r"microwave ([\d.]+) km",
                                                 row["option_detail"]).group(1)))
            expect = costs.lifetime(site + mw["capex"], site_opex + mw["opex_per_year"])
        assert row["option_cost_usd"] == pytest.approx(float(expect), rel=1e-3)
        # newly served people: villages without 4G within the 4G radius (and in sight)
        if row["option"] != OPTIONS["upgrade"]:
            near = np.hypot(*(v_xy - v_xy[i]).T) <= 2500.0
            need = (p.villages["best_technology"].isin(["none", "2G", "3G"])).to_numpy()
            assert row["people_newly_served"] <= p.villages["population"].to_numpy()[
                near & need].sum() + 1e-6
            assert row["people_newly_served"] >= row["population"]
        assert row["cost_per_person_usd"] == pytest.approx(
            row["option_cost_usd"] / row["people_newly_served"])
        # the fiber status is the fiber data's; "no fiber" only where it says so
        assert row["fiber"] in ("connected", "not connected")
        assert ("no fiber" in row["reason"]) == (row["fiber"] == "not connected")
        # the slope is the DEM's
        assert f"mean slope {row['slope_deg']:.0f}°" in row["reason"]
    # ranked by cost per newly served person within the tier
    assert top["cost_per_person_usd"].is_monotonic_increasing
    assert v_all.index.is_unique


def test_sample_list_says_what_is_missing(sample_list):
    _, p = sample_list
    model = p.model.set_index("key")
    assert model.loc["village attributes", "value"] == "MISSING"
    assert model.loc["unit attributes", "value"] == "MISSING"
    assert model.loc["DEM", "value"] == "terrain.tif"
    notes = " ".join(p.notes)
    assert "No programme attributes given" in notes
    # the sample has fiber: no village is 'unknown' for fiber, none of its tiers is unknown
    assert not (p.villages["fiber"] == "unknown").any()
    assert p.summary().startswith("1,500 villages; listed: tier 1: no signal")


def test_rules_change_the_list_not_the_facts():
    base = priorities(strip_result())
    other = priorities(strip_result(), rules=PriorityRules(tiers=["no_4g", "no_signal"]))
    a, b = by_code(base.villages), by_code(other.villages)
    assert b.loc[["A", "B"], "tier"].tolist() == [1, 1]  # "no 4G" now catches both
    for col in ("service", "fiber", "distance_fiber_km", "option_cost_usd"):
        assert a[col].tolist() == b.loc[a.index, col].tolist()


def test_option_details_in_vietnamese(sample_list):
    """One detail of each kind of option, in Vietnamese words and numbers; the English
    list keeps its words, and with_lang goes back and forth without computing again."""
    _, p = sample_list
    vi = p.with_lang("vi")

    def detail(lst, code, option):
        o = lst.options
        return o.loc[(o["village_code"] == code) & (o["option"] == OPTIONS[option]),
                     "detail"].iloc[0]

    assert [detail(vi, c, k) for c, k in (
        ("02635001", "upgrade"), ("02637003", "upgrade"), ("02635001", "fiber"),
        ("02635002", "fiber_extension"), ("02635001", "microwave"),
        ("02636004", "microwave"), ("02635001", "satellite"))] == [
        "không có trạm BTS 2G/3G hiện có trong vòng 2,5 km (bán kính 4G)",
        "nâng cấp trạm BTS VNP3G000501 (3G, 0,5 km)",
        "cáp quang 9,4 km",
        "cáp quang 7,9 km",
        "tuyến vi ba 2,0 km tới trạm BTS 4G (đến 20 km)",
        "không có tầm nhìn thẳng trên mô hình độ cao DEM tới điểm cáp quang hay trạm BTS 4G "
        "trong vòng 50 km (gần nhất 5,8 km)",
        "thiết bị đầu cuối vệ tinh, 20 Mbps"]
    assert detail(p, "02637003", "upgrade") == "upgrade site of VNP3G000501 (3G, 0.5 km)"
    assert detail(p, "02635001", "microwave") == "microwave 2.0 km hop to 4G site (up to 20 km)"
    village = vi.villages.set_index("village_code").loc["02635001"]
    assert village["upgrade_note"] == detail(vi, "02635001", "upgrade")
    assert village["satellite_note"] == "thiết bị đầu cuối vệ tinh, 20 Mbps"
    chosen = vi.options[vi.options["status"] == "chosen"].set_index("village_code")["detail"]
    shown = vi.villages.set_index("village_code")["option_detail"].reindex(chosen.index)
    assert shown.equals(chosen)
    back = vi.with_lang("en")
    assert back.options["detail"].equals(p.options["detail"])
    assert back.villages["option_detail"].equals(p.villages["option_detail"])


def test_no_dem_details_in_vietnamese():
    p = priorities(geocov.run_analysis(geocov.sample_paths()["analysis"]), lang="vi")
    o = p.options.set_index("option")["detail"]
    assert o[OPTIONS["microwave"]].iloc[0] == (
        "chưa đánh giá: không có mô hình độ cao DEM (tầm nhìn thẳng)")
    assert o[OPTIONS["satellite"]].iloc[0] == (
        "thiết bị đầu cuối vệ tinh, 20 Mbps (chưa đánh giá địa hình: không có DEM)")
    en = p.with_lang("en").options.set_index("option")["detail"]
    assert en[OPTIONS["satellite"]].iloc[0] == (
        "satellite terminal, 20 Mbps (terrain not assessed: no DEM)")


def test_model_sheet_in_vietnamese(sample_list, tmp_path):
    """The model sheet's sections, keys and fixed texts in Vietnamese (rule and cost
    parameters keep their names, notes and sources their words); the coverage note is
    geocov.report.model_note in Vietnamese; the English sheet is unchanged."""
    from geocov.report import model_note

    result, p = sample_list
    vi = p.with_lang("vi")
    m = vi.model
    assert m["section"].unique().tolist() == ["đầu vào", "mô hình", "quy tắc", "chi phí",
                                              "ghi chú", "mã lý do"]
    assert m.iloc[0]["note"] == model_note(result, "vi") != p.model.iloc[0]["note"]
    data = ["thị trấn", "nguồn số liệu", "mô hình độ cao DEM"]  # the data's own words, files
    fixed = m[m["section"].isin(["đầu vào", "mô hình", "mã lý do"])
              & ~m["key"].isin(data)].iloc[1:]
    english = ["given", "MISSING", "village", "villages", "fiber", "people", "cost", "tier",
               "signal", "power", "unknown", "options", "first", "radius", "terrain", "rank",
               "inputs", "model", "remoteness", "horizon", "years", "only", "nearest"]
    cells = [re.sub(r"\b\w+: ", "", str(c))  # the options' keys ("fiber: ...") stay
             for c in fixed[["key", "value", "note"]].to_numpy().ravel()]
    cells += m.loc[m["section"] == "chi phí", "key"].iloc[:3].tolist()
    left = {w for c in cells for w in english
            if re.search(rf"(?<![\w.-]){w}(?![\w_-])", c.replace("priority_score", ""))}
    assert left == set()
    assert p.model.iloc[4].tolist()[:3] == ["inputs", "stations", "given"]
    assert vi.with_lang("en").model.equals(p.model)
    vi.write(tmp_path, formats=["xlsx"], levels=["commune"])
    wb = openpyxl.load_workbook(tmp_path / "priorities.xlsx", read_only=True)
    try:
        sheet = wb[wb.sheetnames[-2]] if "Mô hình" not in wb.sheetnames else wb["Mô hình"]
        values = [c for row in sheet.iter_rows(values_only=True) for c in row]
    finally:
        wb.close()
    assert "đầu vào" in values and "thôn trắng sóng" in values
