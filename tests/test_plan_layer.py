"""The rollout plan on coverage results: candidates and their costs, recomputation, the fiber
extension in km, outputs, the analysis's [plan], the CLI and the map.

The strip of :mod:`priority_fixtures` (UTM 48N, km grid) makes every figure hand-checkable:
village A (5, 5 km, 600 people, no signal), B (25, 5 km, 400 people, 2G from S2 at 26, 5),
C (35, 5 km, 300 people, 4G); a fiber node at (15, 5 km). With the default cost table
(USD, 10 years, undiscounted) and no DEM:

* a new site at A or B: satellite backhaul is cheapest: capex 42,500 + 800, opex 3,000 +
  20 x 309.91 + 80 = 9,278.2 a year: 43,300 + 92,782 = 136,082 USD;
* upgrading S2 (it reaches B, 1 km): 22,500 + 10 x 1,500 = 37,500 USD.
"""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from priority_fixtures import CRS, TWO_VILLAGES, strip_result, xy

import geocov
from geocov.cli import main
from geocov.errors import DataQualityWarning, SchemaError
from geocov.plan import PLAN_OPERATOR, plan

SITE_COST = 136_082.0
UPGRADE_COST = 37_500.0


@pytest.fixture(scope="module")
def strip():
    return strip_result()


def test_sites_by_hand(strip):
    p = plan(strip, sites=2)
    s = p.steps
    # A (600 people) first; then B's 400 people: the upgrade of S2 ties with a new site at B
    # and is cheaper
    assert s["action"].tolist() == ["new 4G site", "upgrade of a 2G/3G site to 4G"]
    assert s["village_code"].tolist()[0] == "A"
    assert s["cost_usd"].tolist() == pytest.approx([SITE_COST, UPGRADE_COST])
    assert s["cumulative_cost_usd"].tolist() == pytest.approx([SITE_COST,
                                                               SITE_COST + UPGRADE_COST])
    assert s["people_newly_served"].tolist() == [600.0, 400.0]
    assert s["villages_4g_after"].tolist() == [2, 3]
    assert s["villages_4g_pct_after"].tolist() == pytest.approx([66.67, 100.0])
    assert "satellite" in s["detail"].iloc[0]
    assert p.summary().startswith(
        "1 new 4G site and 1 upgrade of a 2G/3G site to 4G (cost 173,582 USD over 10 years) "
        "bring 4G to 3/3 villages (100.0%, from 33.3%).")


def test_budget_by_hand_kmn(strip):
    # 40,000: only the upgrade fits (B, 400 people)
    p = plan(strip, budget=40_000)
    assert p.steps["people_newly_served"].tolist() == [400.0]
    # exactly one site's cost: the ratio greedy takes the upgrade, then A no longer fits
    # (400 people); the best single affordable candidate is A (600): KMN returns A
    p = plan(strip, budget=SITE_COST)
    assert p.selection.method == "best single affordable candidate"
    assert p.steps["village_code"].tolist() == ["A"]
    assert p.selection.alternatives["greedy by gain per cost"] == 400.0


def test_budget_zero_changes_nothing(strip):
    p = plan(strip, budget=0)
    assert len(p.steps) == 0 and len(p.sites) == 0
    assert p.after is p.before
    assert p.totals["villages_4g_after"] == p.totals["villages_4g_before"] == 1
    assert p.summary() == "No new site and no fiber in this plan: 4G stays at 1/3 villages (33.3%)."
    u = p.units("commune")
    assert (u["villages_4g_after"] == u["villages_4g_before"]).all()


def test_objective_villages(strip):
    # by villages, A and B are worth one each: the cheaper upgrade (B) comes first
    p = plan(strip, sites=1, objective="villages")
    assert p.steps["action"].tolist() == ["upgrade of a 2G/3G site to 4G"]


def test_recompute_equals_what_the_plan_reports(strip):
    """Adding the plan's sites to the stations and running geocov.coverage again gives
    exactly the villages with 4G that the plan reports, unit by unit."""
    p = plan(strip, sites=2)
    st = strip.stations.drop(columns="inside")
    stations = gpd.GeoDataFrame(pd.concat([st, p.planned_stations().to_crs(st.crs)],
                                          ignore_index=True), crs=st.crs)
    vil = strip.villages[["village_code", "village_name", "unit_code", "population", "geometry"]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", geocov.GeocovWarning)
        again = geocov.coverage(strip.units, villages=vil, stations=stations, resolution_m=500.0)
    assert int(again.table("total")["villages_covered_4g_plus"].iloc[0]) == int(
        p.steps["villages_4g_after"].iloc[-1]) == 3
    mine = p.units("commune").set_index("commune_code")["villages_4g_after"]
    theirs = again.table("commune").set_index("commune_code")["villages_covered_4g_plus"]
    assert mine.to_dict() == theirs.reindex(mine.index).to_dict()


def test_planned_stations_are_stations(strip):
    p = plan(strip, sites=1)
    s = p.planned_stations()
    assert s[["technology", "operator", "status"]].iloc[0].tolist() == ["4G", PLAN_OPERATOR,
                                                                        PLAN_OPERATOR]
    assert s["range_m"].iloc[0] == 2500.0 and s.crs.to_epsg() == 4326
    # the site stands at village A
    a = gpd.GeoSeries([xy(5, 5)], crs=CRS).to_crs(4326).iloc[0]
    assert s.geometry.iloc[0].distance(a) < 1e-9


def test_fiber_extension_by_hand(strip):
    """Communes without fiber: c1 (A, 10 km west of the node), c3 (B, 10 km east) and c4
    (C, 20 km east; 10 km beyond B). The tree: node-A, node-B, B-C: 30 km straight, 36 km of
    cable (route factor 1.2): capex 3 x 500 + 5,500 x 36 = 199,500; opex 160 x 36 = 5,760 a
    year; 10 years: 257,100 USD."""
    p = plan(strip, fiber_to=3)
    links = p.links
    assert links["distance_km"].sum() == pytest.approx(30.0)
    assert links["cable_km"].sum() == pytest.approx(36.0)
    assert links["cost_usd"].sum() == pytest.approx(257_100.0)
    c4 = links.loc[links["commune_code"] == "c4"].iloc[0]
    assert c4["from"] == "commune Xã Ba (at Thôn Bê)"  # C relays through B, planned too
    assert p.steps["communes_with_fiber_after"].tolist() == [2, 3, 4]
    assert p.summary() == ("36 km of fiber (cost 257,100 USD over 10 years) brings fiber to 3 "
                           "more communes.")
    # lengths are metres in the working CRS (UTM), drawn in EPSG:4326
    assert links.crs.to_epsg() == 4326
    assert p.units("commune").set_index("commune_code")[
        "communes_with_fiber_after"].to_dict() == {"c1": 1, "c2": 1, "c3": 1, "c4": 1}


def test_fiber_to_the_n_cheapest(strip):
    p = plan(strip, fiber_to=1)
    # c1 and c3 both cost 10 km; the tie goes to the first in Prim's order
    assert len(p.links) == 1 and p.links["distance_km"].iloc[0] == pytest.approx(10.0)


def test_connected_villages_relay():
    """Village D (16.5, 5 km) is connected (1.5 km from the node, within reach): B's link
    goes to D (8.5 km), not to the node (10 km)."""
    villages = [*TWO_VILLAGES, ("D", "Bản Đê", "c2", 16.5, 5.0, 100.0)]
    r = strip_result(villages=villages)
    assert bool(r.villages.set_index("village_code").loc["D", "fiber"])
    p = plan(r, fiber_to=["B"])
    link = p.links.iloc[0]
    assert link["distance_km"] == pytest.approx(8.5)
    assert link["from"] == "the connected village Bản Đê"
    assert link["target"] == "village" and link["village_code"] == "B"


def test_fiber_cap_leaves_targets_out_with_a_warning(strip):
    costs = geocov.read_costs(overrides={"fiber": {"max_km": 15}})  # 12.5 km straight
    with pytest.warns(DataQualityWarning, match="cannot be joined to the network"):
        p = plan(strip, fiber_to=["c4"], costs=costs)
    assert len(p.links) == 0
    # with c3 planned too, c4 relays through it within the cap
    p = plan(strip, fiber_to=["c3", "c4"], costs=costs)
    assert sorted(p.links["commune_code"]) == ["c3", "c4"]


def test_fiber_targets_errors_and_notes(strip):
    with pytest.raises(SchemaError, match=r"unknown code\(s\) \['zz'\]"):
        plan(strip, fiber_to=["zz"])
    p = plan(strip, fiber_to=["c2", "c3"])
    assert len(p.links) == 1
    assert any("already have fiber" in n for n in p.notes)
    no_fiber = strip_result(fiber=None)
    with pytest.raises(SchemaError, match="needs the existing fiber network"):
        plan(no_fiber, fiber_to=2)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({}, "nothing to plan: pass sites=90"),
        ({"sites": 2, "budget": 5.0}, "either a number of sites or a budget"),
        ({"sites": 2, "objective": "area"}, "objective='area' is not valid"),
        ({"sites": 2, "method": "fast"}, "method='fast' is not valid"),
        ({"sites": -2}, "whole number of sites"),
        ({"budget": -1.0}, "amount >= 0"),
    ],
)
def test_plan_errors(strip, kwargs, match):
    with pytest.raises(SchemaError, match=match):
        plan(strip, **kwargs)


def test_your_candidates_with_and_without_costs(strip):
    pts = gpd.GeoDataFrame({"site_id": ["north", "east"], "cost": [10.0, 20.0]},
                           geometry=[xy(5, 6), xy(25, 4)], crs=CRS)
    p = plan(strip, sites=2, candidates=pts)
    assert p.steps["detail"].str.startswith("north").iloc[0]
    assert p.steps["cost_usd"].tolist() == [10.0, 20.0]
    p2 = plan(strip, sites=1, candidates=pts.drop(columns="cost"))
    assert "satellite" in p2.steps["detail"].iloc[0]
    bad = pts.assign(cost=[10.0, -1.0])
    with pytest.raises(SchemaError, match=r"column 'cost' of feature\(s\) \[2\]"):
        plan(strip, sites=1, candidates=bad)


def test_exact_method_on_the_strip(strip):
    g = plan(strip, sites=2)
    e = plan(strip, sites=2, method="exact")
    assert e.selection.method == "exact (CBC)" and e.selection.value == g.selection.value


# --------------------------------------------------------------------------- the sample
@pytest.fixture(scope="module")
def sample_plan():
    return geocov.run_plan(geocov.sample_paths()["analysis"], sites=30, fiber_to=6)


def test_sample_plan_recomputed_from_the_analysis_inputs(sample_plan):
    """The after coverage is geocov.coverage on the analysis's own inputs plus the sites
    (population raster and grid as before): its totals match the plan's running figures."""
    p = sample_plan
    assert p.before.metadata["population_source"] == p.after.metadata["population_source"]
    after = p.after.table("total")
    assert int(after["villages_covered_4g_plus"].iloc[0]) == int(
        p.steps.loc[p.steps["action"] != "fiber link", "villages_4g_after"].iloc[-1])
    # the planned sites pass the [model] statuses filter; the sample's own planned stations
    # stay out
    assert p.after.metadata["stations_excluded"] == p.before.metadata["stations_excluded"]
    u = p.units("district")
    assert {"population_4g_before", "population_4g_after"} <= set(u.columns)
    assert (u["population_4g_after"] >= u["population_4g_before"] - 1e-6).all()
    assert int(u["sites_planned"].sum()) == 30 and int(u["links_planned"].sum()) == 6


def test_sample_larger_budgets_never_serve_fewer():
    r = geocov.run_analysis(geocov.sample_paths()["analysis"])
    prio = geocov.priorities(r)
    served = [plan(r, budget=b, priorities=prio).totals["people_4g_after"]
              for b in (0.0, 2e5, 5e5, 1e6, 2e6)]
    assert served == sorted(served)


def test_write_outputs(sample_plan, tmp_path):
    paths = sample_plan.write(tmp_path)
    names = sorted(p.name for p in paths)
    assert "plan.xlsx" in names and "plan.gpkg" in names and "plan_steps.csv" in names
    layers = gpd.list_layers(tmp_path / "plan.gpkg")["name"].tolist()
    assert {"sites", "links", "communes"} <= set(layers)
    sites = gpd.read_file(tmp_path / "plan.gpkg", layer="sites")
    assert len(sites) == 30 and sites.crs.to_epsg() == 4326
    steps = pd.read_csv(tmp_path / "plan_steps.csv", encoding="utf-8-sig")
    assert steps["step"].tolist() == list(range(1, 37))
    assert (np.diff(steps["cumulative_cost_usd"]) > 0).all()


def test_analysis_plan_section(tmp_path):
    src = geocov.sample_paths()["analysis"].read_text(encoding="utf-8")
    a = tmp_path / "a.toml"
    a.write_text(src.replace("sample:", "sample:") + "\n[plan]\nsites = 3\nfiber_to = 1\n",
                 encoding="utf-8")
    # relative sample paths: the file uses "sample:" keys, valid anywhere
    analysis = geocov.read_analysis(a)
    assert analysis.plan == {"sites": 3, "fiber_to": 1}
    p = geocov.run_plan(analysis)
    assert len(p.sites) == 3 and len(p.links) == 1
    bad = tmp_path / "b.toml"
    bad.write_text(src + "\n[plan]\nsite = 3\n", encoding="utf-8")
    with pytest.raises(SchemaError, match=r"unknown key\(s\) \['site'\] in \[plan\]"):
        geocov.read_analysis(bad)
    half = tmp_path / "c.toml"
    half.write_text(src + "\n[plan]\nsites = 2.5\n", encoding="utf-8")
    with pytest.raises(SchemaError, match=r"\[plan\]: sites must be a whole number"):
        geocov.run_plan(half)


def test_cli_plan(tmp_path):
    runner = CliRunner()
    analysis = str(geocov.sample_paths()["analysis"])
    res = runner.invoke(main, ["plan", analysis, "--budget", "4e9", "--currency", "VND",
                               "--fiber-to", "2", "-o", str(tmp_path), "--top", "3"])
    assert res.exit_code == 0, res.output
    assert "billion VND" in res.output or "million VND" in res.output
    assert "First 3 of" in res.output
    assert (tmp_path / "plan.xlsx").is_file() and (tmp_path / "plan.gpkg").is_file()
    one = runner.invoke(main, ["plan", analysis, "--sites", "2", "-o", str(tmp_path / "p.csv")])
    assert one.exit_code == 0, one.output
    assert (tmp_path / "p_steps.csv").is_file()
    both = runner.invoke(main, ["plan", analysis, "--sites", "2", "--budget", "5"])
    assert both.exit_code != 0 and "not both" in both.output
    none = runner.invoke(main, ["plan", analysis])
    assert none.exit_code == 1 and "--sites 90" in none.output


def test_map_draws_the_plan(sample_plan):
    from geocov.maps import coverage_map

    m = coverage_map(sample_plan.before, level="commune", plan=sample_plan,
                     metric="plan_villages_4g_after")
    html = m.get_root().render()
    assert "Planned 4G sites (30)" in html
    assert "Planned fiber links (6," in html
    assert "Villages with 4G after the plan" in html and "People with 4G before the plan" in html


def test_budget_pays_for_the_fiber_first(sample_result):
    """--budget with --fiber-to: the whole plan stays within the budget."""
    fiber_only = geocov.plan(sample_result, fiber_to=3)
    fiber_cost = float(fiber_only.links[f"cost_{fiber_only.currency.lower()}"].sum())
    assert fiber_cost > 0
    budget = fiber_cost + 200_000.0
    p = geocov.plan(sample_result, budget=budget, fiber_to=3)
    col = f"cost_{p.currency.lower()}"
    total = float(p.links[col].sum()) + float(p.sites[col].sum())
    assert total <= budget + 1e-6
    assert float(p.sites[col].sum()) <= 200_000.0 + 1e-6
    with pytest.raises(geocov.SchemaError, match=r"the fiber extension alone costs .* more than "
                                                  r"the budget"):
        geocov.plan(sample_result, budget=fiber_cost / 2, fiber_to=3)
