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
import shapely
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
    assert not any(n.startswith("Recomputed") for n in fiber_only.notes)  # no sites, no rerun
    budget = fiber_cost + 200_000.0
    p = geocov.plan(sample_result, budget=budget, fiber_to=3)
    col = f"cost_{p.currency.lower()}"
    total = float(p.links[col].sum()) + float(p.sites[col].sum())
    assert total <= budget + 1e-6
    assert float(p.sites[col].sum()) <= 200_000.0 + 1e-6
    with pytest.raises(geocov.SchemaError, match=r"the fiber extension alone costs .* more than "
                                                  r"the budget"):
        geocov.plan(sample_result, budget=fiber_cost / 2, fiber_to=3)


# --------------------------------------------------------------------------- terrain
def terrain_strip(tmp_path, wall_m=400.0, **coverage_kw):
    """The strip with village E (7, 5 km, 500 people) in c1 and a ``wall_m`` wall at x = 6 km
    (priority_fixtures.write_dem), computed with the DEM: 30 m masts, handsets 1.5 m."""
    from priority_fixtures import units, write_dem

    villages = [*TWO_VILLAGES, ("E", "Bản Ê", "c1", 7.0, 5.0, 500.0)]
    names = ["province", "district", "commune"]
    u = geocov.read_units(units(), levels={lv: f"{lv}_name" for lv in names},
                          codes={lv: f"{lv}_code" for lv in names})
    v = gpd.GeoDataFrame(
        {"village_code": [r[0] for r in villages], "village_name": [r[1] for r in villages],
         "unit_code": [r[2] for r in villages], "population": [r[5] for r in villages]},
        geometry=[xy(r[3], r[4]) for r in villages], crs=CRS)
    s = gpd.GeoDataFrame({"station_id": ["S4"], "technology": ["4G"], "operator": ["VNPT"],
                          "range_m": [2500.0]}, geometry=[xy(35, 6)], crs=CRS)
    dem = write_dem(tmp_path / "wall.tif", wall_x_km=6.0, wall_m=wall_m)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", geocov.GeocovWarning)
        return geocov.coverage(u, villages=geocov.read_villages(v),
                               stations=geocov.read_stations(s), resolution_m=500.0,
                               terrain=dem, **coverage_kw), v, s


WEST_FAR = gpd.GeoDataFrame({"site_id": ["west", "far"], "cost": [10.0, 10.0]},
                            geometry=[xy(5, 5.1), xy(8.5, 5)], crs=CRS)


def test_terrain_hides_a_village_from_a_candidate(tmp_path):
    """'west' (5, 5.1 km) has A (0.1 km) and E (2 km) in its disc, but the wall at x = 6 km
    hides E; 'far' (8.5, 5 km) reaches E only. The disc model would count A and E for 'west'
    and stop there (nothing left to serve); with the terrain the plan takes both sites."""
    r, v, s = terrain_strip(tmp_path)
    assert r.settings["terrain"] is not None
    p = plan(r, sites=2, candidates=WEST_FAR)
    assert p.steps["item"].tolist() == ["PLAN-0001", "PLAN-0002"]
    assert p.sites["candidate"].tolist() == ["west", "far"]
    assert p.steps["served"].tolist() == ["Bản Ả", "Bản Ê"]
    assert p.steps["villages_4g_after"].tolist() == [2, 3]  # C had 4G before
    # the plan's figures equal an independent recomputation over the same DEM
    stations = gpd.GeoDataFrame(pd.concat([geocov.read_stations(s),
                                           p.planned_stations().to_crs(CRS)],
                                          ignore_index=True), crs=CRS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", geocov.GeocovWarning)
        again = geocov.coverage(r.units, villages=geocov.read_villages(v), stations=stations,
                                resolution_m=500.0, terrain=tmp_path / "wall.tif")
    assert int(again.table("total")["villages_covered_4g_plus"].iloc[0]) == 3
    assert p.totals["villages_4g_after"] == 3
    assert any("as the plan counts" in n for n in p.notes)
    # the disc model's matrix (no DEM) counts E for 'west'
    disc = plan(strip_with_e(), sites=2, candidates=WEST_FAR)
    assert disc.sites["candidate"].tolist() == ["west"]
    assert disc.steps["served"].tolist() == ["Bản Ả, Bản Ê"]


def strip_with_e():
    return strip_result(villages=[*TWO_VILLAGES, ("E", "Bản Ê", "c1", 7.0, 5.0, 500.0)],
                        stations=[("S4", "4G", "VNPT", 35.0, 6.0, 2500.0)])


def test_upgrades_keep_their_mast_height_over_the_terrain(tmp_path):
    """A 150 m wall: a 30 m mast at (5, 5.1 km) does not see E over it (the ray is about
    115 m above the ground at the wall), a 400 m mast does (about 300 m): the upgrade of
    that 2G site serves A and E; the planned station keeps the mast's height, and the
    recomputation agrees."""
    r, v, s = terrain_strip(tmp_path, wall_m=150.0)
    assert plan(r, sites=1, candidates=WEST_FAR.iloc[:1]).steps["served"].tolist() == ["Bản Ả"]
    st = gpd.GeoDataFrame(pd.concat([s, gpd.GeoDataFrame(
        {"station_id": ["M"], "technology": ["2G"], "operator": ["VNPT"], "range_m": [2500.0],
         "antenna_height_m": [400.0]}, geometry=[xy(5, 5.1)], crs=CRS)], ignore_index=True),
        crs=CRS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", geocov.GeocovWarning)
        r = geocov.coverage(r.units, villages=geocov.read_villages(v),
                            stations=geocov.read_stations(st), resolution_m=500.0,
                            terrain=tmp_path / "wall.tif")
    p = plan(r, sites=1, include_villages=False)
    assert p.sites["antenna_height_m"].tolist() == [400.0]
    assert p.steps["villages_newly_served"].tolist() == [2]
    assert p.totals["villages_4g_after"] == 3


def test_default_recomputation_repeats_the_results_settings(tmp_path):
    """The after coverage is computed with the before's grid, DEM and antenna height (not
    a 1 km grid without terrain)."""
    r, _, _ = terrain_strip(tmp_path, antenna_height_m=20.0)
    p = plan(r, sites=2, candidates=WEST_FAR)
    assert p.after.settings["resolution_m"] == 500.0
    assert p.after.metadata["grid"] == p.before.metadata["grid"]
    assert p.after.settings["terrain"] is r.settings["terrain"]  # the DEM as read, reused
    assert p.after.settings["antenna_height_m"] == 20.0
    assert "terrain" in p.after.metadata
    model = p.model.set_index("key")["value"]
    assert "500 m grid" in model["recomputation"] and "terrain (los)" in model["recomputation"]
    # recompute_resolution_m still overrides the grid
    coarse = plan(r, sites=2, candidates=WEST_FAR, recompute_resolution_m=1000.0)
    assert coarse.after.settings["resolution_m"] == 1000.0


def test_totals_give_people_newly_served_and_the_cost_split(strip):
    p = plan(strip, sites=2, fiber_to=1)
    t = p.totals
    assert t["people_newly_served"] == 1000.0 and t["villages_newly_served"] == 2
    assert t["cost_sites"] == pytest.approx(SITE_COST + UPGRADE_COST)
    assert t["cost_fiber"] == t["cost_links"] == pytest.approx(
        float(p.links["cost_usd"].sum()))
    assert t["cost"] == pytest.approx(t["cost_sites"] + t["cost_fiber"])


# --------------------------------------------------------------------------- roads, order
def strip_road(*coords_km, crs=CRS):
    return gpd.GeoDataFrame({"name": ["QL1"]}, geometry=[shapely.LineString(
        [(xy(x, y).x, xy(x, y).y) for x, y in coords_km])], crs=crs)


def test_fiber_along_an_l_shaped_road(strip, tmp_path):
    """Road from the node (15, 5 km) north to (15, 8) and east to (25, 8). B (25, 5 km) is
    3 km south of its end: 3 km x 1.2 + 10 + 3 = 16.6 km of cable (straight: 12 km).
    Cost: 500 + 5,500 x 16.6 = 91,800 capex, 160 x 16.6 = 2,656 a year: 118,360 USD."""
    road = strip_road((15, 5), (15, 8), (25, 8))
    p = plan(strip, fiber_to=["B"], roads=road.to_crs(4326))  # any CRS: lengths in UTM
    link = p.links.iloc[0]
    assert link["route"] == "road"
    assert link["cable_km"] == pytest.approx(16.6)
    assert link["distance_km"] == pytest.approx(10.0)
    assert link["cost_usd"] == pytest.approx(118_360.0)
    # the link's line follows the road, in EPSG:4326 for the map and the GeoPackage
    line = gpd.GeoSeries([link.geometry], crs=4326).to_crs(CRS).iloc[0]
    assert np.allclose(shapely.get_coordinates(line),
                       [[xy(*c).x, xy(*c).y] for c in [(25, 5), (25, 8), (15, 8), (15, 5)]],
                       atol=1e-3)
    assert any("follow the roads" in n for n in p.notes)
    p.write(tmp_path, formats=["gpkg"])
    written = gpd.read_file(tmp_path / "plan.gpkg", layer="links")
    assert written["route"].tolist() == ["road"] and len(written.geometry.iloc[0].coords) == 4
    # within 15 km of cable a link, the road is no way: the straight line, said so
    costs = geocov.read_costs(overrides={"fiber": {"max_km": 15}})
    s = plan(strip, fiber_to=["B"], roads=road, costs=costs)
    assert s.links["route"].tolist() == ["straight"]
    assert s.links["cable_km"].tolist() == pytest.approx([12.0])
    assert any("follow the straight line (route 'straight'): to village Thôn Bê" in n
               for n in s.notes)


def test_straight_model_is_unchanged_without_roads(strip):
    p = plan(strip, fiber_to=3)
    q = plan(strip, fiber_to=3, roads=None, fiber_order="cheapest")
    pd.testing.assert_frame_equal(pd.DataFrame(p.links), pd.DataFrame(q.links))
    assert p.links["route"].tolist() == ["straight"] * 3
    assert p.links["cable_km"].sum() == pytest.approx(36.0)


@pytest.mark.parametrize(
    ("roads", "error", "match"),
    [
        (strip_road((15, 5), (25, 5)).set_crs(None, allow_override=True), geocov.CRSError,
         "roads has no CRS"),
        (strip_road((15, 5), (25, 5)).iloc[:0], SchemaError, "roads: the layer has no features"),
        (gpd.GeoDataFrame(geometry=[shapely.LineString([(0, 0), (1, 1)]), xy(1, 1), None],
                          crs=CRS), SchemaError,
         r"roads: 2 feature\(s\) are not lines: 2 \(Point\), 3 \(empty\) \(1-based"),
        (pd.DataFrame({"a": [1]}), SchemaError, "must be a GeoDataFrame of lines, got DataFrame"),
    ],
)
def test_road_layer_errors(strip, roads, error, match):
    with pytest.raises(error, match=match):
        plan(strip, fiber_to=1, roads=roads)


def test_fiber_to_the_n_remotest(strip):
    """Communes without fiber: c1 (A) and c3 (B) 10 km from the node, c4 (C) 20 km: the
    remotest is c4 (a 20 km link: 24 km of cable); the cheapest, a 10 km one."""
    p = plan(strip, fiber_to=1, fiber_order="remotest")
    assert p.links["commune_code"].tolist() == ["c4"]
    assert p.links["cable_km"].tolist() == pytest.approx([24.0])
    assert any("farthest from the existing network" in n for n in p.notes)
    assert plan(strip, fiber_to=1).links["distance_km"].tolist() == [10.0]  # c1 or c3
    with pytest.raises(SchemaError, match="fiber_order='far' is not valid"):
        plan(strip, fiber_to=1, fiber_order="far")


# --------------------------------------------------------------------------- sample DEM
def test_sample_plan_on_the_dem_counts_what_the_terrain_recomputation_counts(tmp_path):
    """With [model] dem the plan's own count of villages with 4G equals the recomputation
    over the DEM (it claimed 1,145 against 1,019 with the disc-model matrix), both through
    the analysis and through plan() on the result."""
    src = geocov.sample_paths()["analysis"].read_text(encoding="utf-8")
    a = tmp_path / "dem.toml"
    a.write_text(src.replace('# dem = "sample:terrain"', 'dem = "sample:terrain"'),
                 encoding="utf-8")
    p = geocov.run_plan(a, sites=90, fiber_to=6)  # a mismatch warns: an error here
    last = p.steps.loc[p.steps["action"] != "fiber link", "villages_4g_after"].iloc[-1]
    assert p.totals["villages_4g_after"] == last
    assert "terrain" in p.after.metadata
    q = plan(p.before, sites=90)  # the default recomputation, with the result's DEM
    assert q.totals["villages_4g_after"] == q.steps["villages_4g_after"].iloc[-1]
    assert q.after.metadata["grid"] == p.before.metadata["grid"]


def sample_road_grid(path, step_deg=0.05):
    """A grid of straight roads every ``step_deg`` over the sample province (EPSG:4326)."""
    units = gpd.read_file(geocov.sample_paths()["units"], layer="communes")
    x0, y0, x1, y1 = units.to_crs(4326).total_bounds
    xs, ys = np.arange(x0, x1 + step_deg, step_deg), np.arange(y0, y1 + step_deg, step_deg)
    lines = ([shapely.LineString([(x, y0), (x, y1)]) for x in xs]
             + [shapely.LineString([(x0, y), (x1, y)]) for y in ys])
    gpd.GeoDataFrame({"road": range(len(lines))}, geometry=lines, crs=4326).to_file(path)
    return path


def test_analysis_and_cli_roads_and_fiber_order(tmp_path):
    roads = sample_road_grid(tmp_path / "roads.gpkg")
    src = geocov.sample_paths()["analysis"].read_text(encoding="utf-8")
    a = tmp_path / "a.toml"
    a.write_text(src + '\n[plan]\nfiber_to = 2\nroads = "roads.gpkg"\nfiber_order = "remotest"\n',
                 encoding="utf-8")
    analysis = geocov.read_analysis(a)
    assert analysis.plan["roads"] == str(roads)
    p = geocov.run_plan(analysis)
    assert len(p.links) == 2 and set(p.links["route"]) <= {"road", "straight"}
    assert "road" in set(p.links["route"])
    assert (p.links["cable_km"] >= p.links["distance_km"] - 1e-6).all()  # never shorter
    assert p.model.set_index("key").loc["fiber_to N", "value"].startswith("the N units without")
    runner = CliRunner()
    res = runner.invoke(main, ["plan", str(geocov.sample_paths()["analysis"]), "--fiber-to",
                               "2", "--roads", str(roads), "--fiber-order", "remotest", "-o",
                               str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    links = pd.read_csv(tmp_path / "out" / "plan_links.csv", encoding="utf-8-sig")
    assert sorted(links["route"]) == sorted(p.links["route"])
    assert links["cable_km"].tolist() == pytest.approx(p.links["cable_km"].tolist())
    # a layer of points is no road layer: the file, the features and the fix
    pts = tmp_path / "points.gpkg"
    gpd.GeoDataFrame({"a": [1]}, geometry=[xy(1, 1)], crs=CRS).to_file(pts)
    bad = runner.invoke(main, ["plan", str(geocov.sample_paths()["analysis"]), "--fiber-to",
                               "1", "--roads", str(pts)])
    assert bad.exit_code == 1
    assert "roads points.gpkg: 1 feature(s) are not lines: 1 (Point)" in bad.output
    wrong = tmp_path / "w.toml"
    wrong.write_text(src + '\n[plan]\nfiber_to = 1\nfiber_order = "far"\n', encoding="utf-8")
    with pytest.raises(SchemaError, match=r"\[plan\]: fiber_order='far' is not valid"):
        geocov.run_plan(wrong)
