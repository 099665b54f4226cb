"""geocov.priorities.priorities: tiers, options, costs and ranks on hand-checked fixtures.

Every number below is recomputed by hand from tests/priority_fixtures.py and the default
cost table (geocov/data/costs.toml, USD, 10 years, undiscounted):

* new site 42,500 capex + 3,000 a year; upgrade 22,500 + 1,500 a year;
* fiber: 500 + 5,500 per km of cable (straight line x 1.2, terrain x 1 without a DEM),
  160 per km a year;
* microwave under 20 km: 20,000 + 10 % (2,000) a year;
* satellite: 800 + (20 Mbps x 309.91 + 10 % of 800) = 6,278.2 a year.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from priority_fixtures import TWO_STATIONS, TWO_VILLAGES, by_code, strip_result, write_dem
from shapely import LineString

from geocov.errors import DataQualityWarning, SchemaError
from geocov.priorities import (
    FUNDING_ROUTES,
    OPTIONS,
    PriorityRules,
    priorities,
    read_programme_attributes,
)

SITE = 42_500 + 10 * 3_000  # a new site over 10 years
SATELLITE = SITE + 800 + 10 * (20 * 309.91 + 80)  # 136,082
UPGRADE = 22_500 + 10 * 1_500  # 37,500


def fiber_cost(distance_km: float, site: bool = True) -> float:
    cable = 1.2 * distance_km
    return (SITE if site else 0) + 500 + 5_500 * cable + 10 * 160 * cable


@pytest.fixture(scope="module")
def two():
    return priorities(strip_result())


def test_service_fiber_and_tiers_by_hand(two):
    v = by_code(two.villages)
    assert v.loc[["A", "B", "C"], "service"].tolist() == ["no signal", "2G only", "4G"]
    assert v.loc[["A", "B", "C"], "fiber"].tolist() == ["not connected"] * 3
    assert v.loc[["A", "B", "C"], "tier"].tolist() == [1, 2, 3]
    assert v.loc["C", "tier_label"] == "3: no fiber"
    np.testing.assert_allclose(v.loc[["A", "B", "C"], "distance_fiber_km"], [10, 10, 20])
    np.testing.assert_allclose(v.loc[["A", "B"], "distance_4g_site_km"],
                               [np.hypot(30, 1), np.hypot(10, 1)], atol=1e-3)
    assert v.loc["B", "distance_2g_km"] == pytest.approx(1.0)


def test_no_signal_outranks_2g_only_even_when_dearer(two):
    v = by_code(two.villages)
    # A (no signal) costs 226.8 per person, B (2G only) 93.75: tier comes first
    assert v.loc["A", "cost_per_person_usd"] > v.loc["B", "cost_per_person_usd"]
    assert v.loc[["A", "B", "C"], "rank"].tolist() == [1, 2, 3]
    assert two.villages["village_code"].tolist()[:3] == ["A", "B", "C"]


def test_costs_recomputed_by_hand(two):
    v = by_code(two.villages)
    # A: no 2G/3G site within 2.5 km; fiber 12 km of cable; satellite is the cheapest
    assert v.loc["A", "upgrade_status"] == "rejected"
    assert v.loc["A", "fiber_cost_usd"] == pytest.approx(fiber_cost(10))  # 158,200
    assert v.loc["A", "satellite_cost_usd"] == pytest.approx(SATELLITE)  # 136,082
    assert v.loc["A", "option"] == OPTIONS["satellite"]
    assert v.loc["A", "option_capex_usd"] == pytest.approx(42_500 + 800)
    assert v.loc["A", "option_opex_per_year_usd"] == pytest.approx(3_000 + 6_278.2)
    assert v.loc["A", "option_cost_usd"] == pytest.approx(SATELLITE)
    assert v.loc["A", "people_newly_served"] == 600
    assert v.loc["A", "cost_per_person_usd"] == pytest.approx(SATELLITE / 600)
    # B: upgrade the 2G site 1 km away
    assert v.loc["B", "option"] == OPTIONS["upgrade"]
    assert v.loc["B", "option_cost_usd"] == pytest.approx(UPGRADE)
    assert v.loc["B", "option_detail"] == "upgrade site of S2 (2G, 1.0 km)"
    assert v.loc["B", "people_newly_served"] == 400
    # C has 4G: only fiber, 24 km of cable
    assert v.loc["C", "option"] == OPTIONS["fiber_extension"]
    assert v.loc["C", "option_cost_usd"] == pytest.approx(fiber_cost(20, site=False))
    assert v.loc["C", "option_detail"] == "fiber 24.0 km of cable"


def test_cheapest_chosen_and_every_other_option_has_its_reason(two):
    o = two.options
    a = o[o["village_code"] == "A"].set_index("option")
    assert a.loc[OPTIONS["satellite"], "status"] == "chosen"
    assert a.loc[OPTIONS["upgrade"], "detail"] == (
        "no existing 2G/3G site within 2.5 km (the 4G radius)")
    assert a.loc[OPTIONS["fiber"], ["status", "detail"]].tolist() == [
        "feasible", "fiber 12.0 km of cable"]
    assert a.loc[OPTIONS["microwave"], ["status", "detail"]].tolist() == [
        "not assessed", "not assessed: no DEM (line of sight)"]
    chosen = o[o["status"] == "chosen"].set_index("village_code")["cost_usd"]
    for code, group in o.groupby("village_code"):
        feasible = group.loc[group["status"].isin(["chosen", "feasible"]), "cost_usd"]
        assert chosen[code] == feasible.min()
        assert (group["detail"].str.len() > 0).all()


def test_fiber_farther_than_the_limit_is_rejected():
    far = [("A", "Bản Ả", "c1", 5.0, 5.0, 600.0)]
    p = priorities(strip_result(far, stations=None, fiber=[(48.0, 5.0)]))
    o = p.options.set_index("option")
    assert o.loc[OPTIONS["fiber"], "status"] == "rejected"
    assert o.loc[OPTIONS["fiber"], "detail"] == "fiber farther than 50 km (51.6 km of cable)"


def test_no_fiber_data_is_unknown_not_no_fiber():
    p = priorities(strip_result(fiber=None))
    v = by_code(p.villages)
    assert v["fiber"].tolist() == ["unknown"] * 3
    # C has 4G; whether it lacks fiber cannot be known: its tier is unknown, not 3
    assert pd.isna(v.loc["C", "tier"])
    assert v.loc["C", "tier_label"] == "unknown: tier 3 if no fiber (no fiber data)"
    assert "FIBER_UNKNOWN" in v.loc["C", "reason_codes"]
    assert not p.villages["reason"].str.contains("no fiber").any()
    assert not p.villages["reason_codes"].str.contains("NO_FIBER").any()
    assert v.loc["A", "fiber_status"] == "not assessed"
    assert v.loc["A", "fiber_note"] == "not assessed: no fiber data"
    model = p.model.set_index("key")
    assert model.loc["fiber", "value"] == "MISSING"


def test_without_dem_line_of_sight_options_are_not_assessed(two):
    v = by_code(two.villages)
    assert v.loc["A", "microwave_status"] == "not assessed"
    assert v.loc["A", "microwave_note"] == "not assessed: no DEM (line of sight)"
    assert np.isnan(v.loc["A", "slope_deg"])
    assert two.model.set_index("key").loc["DEM", "value"] == "MISSING"


def test_assume_line_of_sight_makes_microwave_feasible():
    p = priorities(strip_result(), rules=PriorityRules(assume_line_of_sight=True))
    v = by_code(p.villages)
    # a 10 km hop to the node (class up to 20 km): 62,500 + 5,000 a year = 112,500
    assert v.loc["A", "option"] == OPTIONS["microwave"]
    assert v.loc["A", "option_cost_usd"] == pytest.approx(42_500 + 20_000 + 10 * 5_000)
    assert v.loc["A", "option_detail"] == (
        "microwave 10.0 km hop to fiber (up to 20 km) (line of sight assumed: no DEM)")


def test_dem_shadows_a_village_and_blocks_its_upgrade(tmp_path):
    dem = write_dem(tmp_path / "dem.tif", wall_x_km=25.5)  # a 400 m wall between S2 and B
    p = priorities(strip_result(), dem=dem)
    v = by_code(p.villages)
    assert v.loc["B", "shadowed"]
    assert v.loc["B", "service"] == "no signal"
    assert v.loc["B", "tier"] == 1
    assert "SHADOWED" in v.loc["B", "reason_codes"]
    assert v.loc["B", "upgrade_note"] == (
        "2G/3G site(s) within 2.5 km (nearest 1.0 km) have no line of sight on the DEM")
    # A's hop to the node crosses flat ground: microwave is feasible and cheapest
    assert v.loc["A", "option"] == OPTIONS["microwave"]
    assert v.loc["A", "option_detail"] == "microwave 10.0 km hop to fiber (up to 20 km)"
    assert v.loc["A", "slope_deg"] == pytest.approx(0.0)
    assert v.loc["A", "relief_m"] == pytest.approx(0.0)
    assert p.model.set_index("key").loc["DEM", "value"] == "dem.tif"


def test_dem_without_wall_changes_nothing_but_terrain_columns(tmp_path, two):
    p = priorities(strip_result(), dem=write_dem(tmp_path / "flat.tif"))
    v, w = by_code(p.villages), by_code(two.villages)
    assert v["tier"].tolist() == w["tier"].tolist()
    assert not v["shadowed"].any()
    assert v.loc["B", "option"] == OPTIONS["upgrade"]


def test_same_list_under_three_and_two_levels():
    rules = PriorityRules(town_min_population=0)  # towns by people alone: level-free
    three = priorities(strip_result(levels=3), rules=rules)
    two = priorities(strip_result(levels=2), rules=rules)
    a = pd.DataFrame(three.villages.drop(columns=["district_code", "district_name",
                                                  "geometry"]))
    b = pd.DataFrame(two.villages.drop(columns="geometry"))
    pd.testing.assert_frame_equal(a, b)
    assert three.levels == ("province", "district", "commune")
    assert two.levels == ("province", "commune")
    pd.testing.assert_frame_equal(
        pd.DataFrame(three.communes.drop(columns=["district_code", "district_name",
                                                  "geometry"])),
        pd.DataFrame(two.communes.drop(columns="geometry")))
    # with default rules, towns follow the district (or province): ranks, tiers and
    # options still agree, only the distance to a town may differ
    d3 = by_code(priorities(strip_result(levels=3)).villages)
    d2 = by_code(priorities(strip_result(levels=2)).villages)
    for col in ("rank", "tier", "option", "option_cost_usd", "funding_route"):
        assert d3[col].tolist() == d2[col].tolist()


def test_rollup_counts_and_people(two):
    c = two.communes.set_index("commune_code")
    assert c.loc[["c1", "c2", "c3", "c4"], "villages"].tolist() == [1, 0, 1, 1]
    assert c.loc["c2", "villages_listed"] == 0 and pd.isna(c.loc["c2", "rank"])
    assert c.loc["c1", "villages_tier_1"] == 1 and c.loc["c1", "people_tier_1"] == 600
    assert c.loc["c3", "top_village"] == "Thôn Bê"
    assert c.loc["c3", "top_reason_codes"].startswith("TWO_G_ONLY")
    d = two.units("district").set_index("district_code")
    assert d.loc["D2", "villages"] == 2 and d.loc["D2", "villages_listed"] == 2
    assert d.loc["D2", "people_tier_2"] == 400 and d.loc["D2", "people_tier_3"] == 300
    assert d["rank"].tolist() == [1, 2]  # D1 holds the tier 1 village


def test_reasons_in_words_and_codes():
    v = by_code(priorities(strip_result(), rules=PriorityRules(far_fiber_km=15)).villages)
    assert v.loc["A", "reason"] == (
        "no signal; grid power unknown; no fiber; nearest fiber 10.0 km; nearest 4G site "
        "30.0 km; 600 people")
    assert v.loc["A", "reason_codes"] == "NO_SIGNAL,POWER_UNKNOWN,NO_FIBER,FAR_4G"
    assert v.loc["C", "reason"] == (
        "4G from VNPT only; grid power unknown; no fiber; nearest fiber 20.0 km; 300 people")
    assert v.loc["C", "reason_codes"] == "ONE_OPERATOR,POWER_UNKNOWN,NO_FIBER,FIBER_FAR"


def test_programme_attributes_make_funding_routes(two):
    villages = pd.DataFrame({"Mã thôn": ["A", "B", "C"], "Có điện": ["không", "có", "có"],
                             "Thôn ĐBKK": ["x", "x", ""]})
    communes = pd.DataFrame({"Mã xã": ["c4"], "Xã biên giới": ["có"], "Xã ĐBKK": ["không"]})
    p = priorities(strip_result(), attributes=read_programme_attributes(villages),
                   unit_attributes=read_programme_attributes(communes, level="unit"))
    v = by_code(p.villages)
    assert v.loc["A", "funding_route"] == FUNDING_ROUTES["power_first"]
    assert v.loc["B", "funding_route"] == FUNDING_ROUTES["public_fund"]
    # C: the village list leaves its difficult status blank; its commune says not difficult
    assert v.loc["C", "funding_route"] == FUNDING_ROUTES["operator_obligation"]
    assert v.loc["C", "border"] is True or v.loc["C", "border"] == True  # noqa: E712
    assert v.loc["A", "reason_codes"].startswith("NO_SIGNAL,NO_POWER,DIFFICULT")
    assert "BORDER" in v.loc["C", "reason_codes"]
    # without attributes: unknown, never a guess
    assert set(two.villages["funding_route"]) == {FUNDING_ROUTES["unknown_power"]}


def test_difficult_weight_reorders_within_a_tier_only():
    villages = [("A", "Bản Ả", "c1", 5.0, 5.0, 600.0), ("A2", "Bản Ả Hai", "c2", 15.0, 8.0, 50.0),
                *TWO_VILLAGES[1:]]
    attrs = pd.DataFrame({"village_code": ["A", "A2"], "difficult": ["không", "có"]})
    base = by_code(priorities(strip_result(villages)).villages)
    assert base.loc[["A", "A2"], "rank"].tolist() == [1, 2]  # A: fewer cost per person
    w = PriorityRules(weights={"cost": 1, "difficult": 2})
    p = by_code(priorities(strip_result(villages), rules=w,
                           attributes=read_programme_attributes(attrs)).villages)
    assert p.loc[["A", "A2"], "rank"].tolist() == [2, 1]
    assert p.loc["B", "rank"] == 3  # tier 2 stays behind tier 1


def test_completeness_guard_restricts_the_list():
    villages = [*TWO_VILLAGES, ("Z", "Bản Xa", "c1p1", 5.0, 25.0, 100.0)]
    result = strip_result(villages, n_provinces=2)
    # stations only in the first province (and fiber only there too)
    fiber_warning = (r"the fiber data covers only part of the study area: 1 of 2 provinces "
                     r"have none of it \(Tỉnh Thử 1\): 4 of 8 communes; their villages' fiber "
                     r"status is 'unknown', not 'not connected'")
    with pytest.warns(DataQualityWarning, match=fiber_warning), pytest.warns(
            DataQualityWarning, match=r"the stations data covers only part of the study area: 1 "
            r"of 2 provinces have none of it \(Tỉnh Thử 1\): 4 of 8 communes; the list keeps "
            r"only the 4 communes it covers"):
        p = priorities(result)
    assert "Z" not in set(p.villages["village_code"])
    assert set(p.communes["commune_code"]) <= {"c1", "c2", "c3", "c4"}
    assert p.model["value"].str.contains("covers only part").any()
    with pytest.warns(DataQualityWarning, match=fiber_warning), pytest.warns(
            DataQualityWarning, match="every commune is listed anyway"):
        p = priorities(result, rules=PriorityRules(restrict_to_data=False))
    assert "Z" in set(p.villages["village_code"])
    assert by_code(p.villages).loc["Z", "fiber"] == "unknown"


def test_route_fiber_and_connected_village():
    route = LineString([(400_000 + 24_000, 2_405_000), (400_000 + 36_000, 2_405_000)])
    p = priorities(strip_result(fiber=[route]))
    v = by_code(p.villages)
    assert v.loc[["B", "C"], "fiber"].tolist() == ["connected", "connected"]
    assert pd.isna(v.loc["C", "tier"]) and v.loc["C", "tier_label"] == "not listed: served"
    assert v.loc["A", "distance_fiber_km"] == pytest.approx(19.0)


def test_errors_and_input_untouched():
    result = strip_result()
    before = result.villages.copy()
    priorities(result)
    assert result.villages.equals(before)
    with pytest.raises(SchemaError, match=r"PriorityRules.tiers=\['no_signal', 'x'\]: give "
                       r"distinct conditions .*\(unknown: \['x'\]\)"):
        PriorityRules(tiers=["no_signal", "x"])
    with pytest.raises(SchemaError, match=r"PriorityRules.weights: unknown key\(s\) \['speed'\]"):
        PriorityRules(weights={"speed": 1})
    with pytest.raises(SchemaError, match="weights must be numbers >= 0, not all 0"):
        PriorityRules(weights={"cost": 0})
    with pytest.raises(SchemaError, match=r"PriorityRules.far_fiber_km=-1 must be a number"):
        PriorityRules(far_fiber_km=-1)
    with pytest.raises(SchemaError, match="must be a geocov.priorities.PriorityRules"):
        priorities(result, rules={"tiers": ["no_signal"]})
    with pytest.raises(SchemaError, match="currency 'EUR' is not valid; use one of USD, VND"):
        priorities(result, currency="EUR")


def test_no_villages_is_an_error():
    result = strip_result()
    result_without = type(result)(**{**result.__dict__, "villages": None})
    with pytest.raises(SchemaError, match="the priority list counts villages, and this "
                       "coverage result has none. Pass villages="):
        priorities(result_without)


def test_currency_vnd_scales_every_amount(two):
    p = priorities(strip_result(), currency="VND")
    v, w = by_code(p.villages), by_code(two.villages)
    assert "option_cost_vnd" in p.villages.columns and "option_cost_usd" not in p.villages
    np.testing.assert_allclose(v["option_cost_vnd"], w["option_cost_usd"] * 23_942)
    assert v["rank"].tolist() == w["rank"].tolist()


@settings(max_examples=10, deadline=None)
@given(
    xs=st.lists(st.floats(0.5, 39.5), min_size=2, max_size=6),
    pops=st.lists(st.integers(0, 3000), min_size=6, max_size=6),
    perm_seed=st.integers(0, 10_000),
)
def test_invariants(xs, pops, perm_seed):
    villages = [(f"V{k}", f"Thôn {k}", f"c{min(int(x // 10) + 1, 4)}", x, 5.0, float(pops[k]))
                for k, x in enumerate(xs)]
    p = priorities(strip_result(villages, stations=TWO_STATIONS))
    v = p.villages
    listed = v[v["tier"].notna()]
    # ranks are 1..n over the listed villages, in tier order
    assert sorted(listed["rank"].tolist()) == list(range(1, len(listed) + 1))
    assert listed.sort_values("rank")["tier"].is_monotonic_increasing
    # the chosen option is the cheapest feasible one
    o = p.options
    for _code, group in o.groupby("village_code"):
        ok = group[group["status"].isin(["chosen", "feasible"])]
        if len(ok):
            assert group.loc[group["status"] == "chosen", "cost_usd"].item() == ok[
                "cost_usd"].min()
    # the order of the input rows does not matter
    rng = np.random.default_rng(perm_seed)
    shuffled = [villages[i] for i in rng.permutation(len(villages))]
    q = priorities(strip_result(shuffled, stations=TWO_STATIONS))
    pd.testing.assert_frame_equal(by_code(q.villages).loc[v["village_code"], ["rank", "tier"]],
                                  by_code(v)[["rank", "tier"]])
    # dearer fiber never makes any chosen option cheaper
    dear = priorities(strip_result(villages, stations=TWO_STATIONS),
                      costs={"fiber": {"capex_per_km": 55_000}})
    a = by_code(dear.villages)["option_cost_usd"].fillna(0)
    b = by_code(v)["option_cost_usd"].fillna(0)
    assert (a.loc[b.index] >= b - 1e-6).all()
