"""geocov.priorities.flag_unconnected_remote: the table rule the map uses without a list."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from result_fixtures import small_result
from shapely import LineString, Point, box

from geocov.errors import CRSError, SchemaError
from geocov.priorities import RemoteRules, flag_unconnected_remote


def _strip(n_units: int = 4, **cols) -> gpd.GeoDataFrame:
    """n 10 km × 10 km communes in a row (metric CRS, hand-checkable), one district."""
    base = {
        "district_code": ["D"] * n_units,
        "commune_code": [f"c{k}" for k in range(n_units)],
        "villages": [5] * n_units,
        "villages_covered_4g_plus": [0] * n_units,
        "villages_fiber": [0] * n_units,
        "covered_area_km2_4g_plus": [0.0] * n_units,
        "population": [1000.0] * n_units,
        "population_covered_4g_plus": [0.0] * n_units,
    }
    base.update(cols)
    geoms = [
        box(500_000 + 10_000 * k, 2_400_000, 510_000 + 10_000 * k, 2_410_000)
        for k in range(n_units)
    ]
    return gpd.GeoDataFrame(base, geometry=geoms, crs="EPSG:32648")


def test_centre_distance_by_hand():
    # centre of the district = x 520 km; representative points at 505, 515, 525, 535 km
    out = flag_unconnected_remote(_strip(), rules=RemoteRules(centre_km=10, fiber_km=None))
    np.testing.assert_allclose(out["centre_distance_km"], [15, 5, 5, 15], atol=1e-6)
    assert out["remote"].tolist() == [True, False, False, True]
    assert out["flagged"].tolist() == [True, False, False, True]
    assert (
        out.loc[0, "reason"]
        == "no 4G; no fiber; 15.0 km from the district centre; 1,000 people uncovered"
    )
    assert out.loc[1, "reason"] == ""
    assert np.isnan(out["fiber_distance_km"]).all()


def test_fiber_distance_by_hand():
    fiber = gpd.GeoDataFrame(
        {"kind": ["node", "route", "village"]},
        geometry=[
            Point(500_000, 2_405_000),
            LineString([(545_000, 2_400_000), (545_000, 2_410_000)]),
            None,
        ],
        crs="EPSG:32648",
    )
    out = flag_unconnected_remote(
        _strip(), fiber=fiber, rules=RemoteRules(centre_km=None, fiber_km=12)
    )
    np.testing.assert_allclose(out["fiber_distance_km"], [0, 10, 15, 5], atol=1e-6)
    assert out["flagged"].tolist() == [False, False, True, False]
    assert out.loc[2, "reason"] == (
        "no 4G; no fiber within 12 km (nearest 15.0 km); 1,000 people uncovered"
    )


def test_fiber_in_other_crs_is_reprojected():
    fiber = gpd.GeoDataFrame(
        {"kind": ["node"]}, geometry=[Point(500_000, 2_405_000)], crs="EPSG:32648"
    )
    out = flag_unconnected_remote(
        _strip(), fiber=fiber.to_crs(4326), rules=RemoteRules(centre_km=None)
    )
    np.testing.assert_allclose(out["fiber_distance_km"], [0, 10, 20, 30], atol=1e-3)


def test_connected_units_are_never_flagged():
    t = _strip(
        villages_covered_4g_plus=[0, 1, 0, 0],
        villages_fiber=[0, 0, 2, 0],
        communes_with_fiber=[0, 0, 0, 1],
    )
    out = flag_unconnected_remote(t, rules=RemoteRules(centre_km=0, fiber_km=None))
    assert out["unconnected"].tolist() == [True, False, False, False]
    assert out["no_coverage"].tolist() == [True, False, True, True]
    assert out["no_fiber"].tolist() == [True, True, False, False]


def test_units_without_villages_judged_by_area():
    t = _strip(villages=[0, 0, 5, 5], covered_area_km2_4g_plus=[0.0, 3.0, 0.0, 0.0])
    out = flag_unconnected_remote(t, rules=RemoteRules(centre_km=0, fiber_km=None))
    assert out["no_coverage"].tolist() == [True, False, True, True]


def test_other_technology_rule():
    t = _strip(villages_covered_any=[0, 5, 5, 5])
    out = flag_unconnected_remote(
        t, rules=RemoteRules(technology="any", centre_km=0, fiber_km=None)
    )
    assert out["unconnected"].tolist() == [True, False, False, False]
    assert out.loc[0, "reason"].startswith("no signal; no fiber;")


def test_small_result_flags_ban_khoang():
    r = small_result()
    out = flag_unconnected_remote(r.table("commune"), fiber=r.fiber,
                                  rules=RemoteRules(centre_km=15))
    assert out.loc[out["flagged"], "commune_code"].tolist() == ["C05"]
    assert out.index.equals(r.table("commune").index)
    # by hand (tests/result_fixtures.py): C05 is 0.35° of longitude east of the route's end,
    # and 0.15° east, 0.05° south of its district's centre (103.9°E, 22.3°N)
    c05 = out.loc[out["flagged"]].iloc[0]
    assert c05["fiber_distance_km"] == pytest.approx(0.35 * 103.03, abs=0.05)
    assert c05["centre_distance_km"] == pytest.approx(
        np.hypot(0.15 * 103.03, 0.05 * 110.7), abs=0.05
    )
    assert c05["population_uncovered"] == 3400


def test_default_rules_use_fiber_distance_not_centroids():
    r = small_result()
    out = flag_unconnected_remote(r.table("commune"), fiber=r.fiber)
    assert out.loc[out["flagged"], "commune_code"].tolist() == ["C05"]
    assert np.isnan(out["centre_distance_km"]).all()  # the centroid rule is off by default
    assert out.loc[out["flagged"], "reason"].item() == (
        "no 4G; no fiber within 10 km (nearest 36.1 km); 3,400 people uncovered")


def test_without_fiber_data_nothing_is_said_about_fiber():
    t = _strip(villages_fiber=[np.nan] * 4)
    out = flag_unconnected_remote(t, rules=RemoteRules(centre_km=0, fiber_km=None))
    assert out["no_fiber"].isna().all()  # unknown, not "no fiber"
    assert not out["unconnected"].any() and not out["flagged"].any()
    assert (out["reason"] == "").all()
    assert out["no_coverage"].all()


def test_province_without_station_data_is_not_flagged():
    # two provinces; the station file has stations in P1's communes only
    t = _strip(villages_covered_4g_plus=[0, 0, 0, 0], stations_any=[3, 0, 0, 0],
               province_code=["P1", "P1", "P2", "P2"], district_code=["D1", "D1", "D2", "D2"])
    out = flag_unconnected_remote(t, rules=RemoteRules(centre_km=0, fiber_km=None))
    assert out["covered_by_data"].tolist() == [True, True, False, False]
    assert out["flagged"].tolist() == [True, True, False, False]
    # with no station anywhere, nothing is known to be missing: every unit stays assessed
    out = flag_unconnected_remote(_strip(stations_any=[0] * 4, province_code=["P1"] * 4))
    assert out["covered_by_data"].all()


def test_coarsest_level_has_no_centre_distance():
    r = small_result()
    out = flag_unconnected_remote(r.table("province"))
    assert np.isnan(out["centre_distance_km"]).all()
    assert "province_code" in out.columns


def test_input_not_mutated():
    t = _strip()
    before = t.copy()
    flag_unconnected_remote(t)
    assert t.equals(before)


def test_errors():
    with pytest.raises(SchemaError, match=r"technology='6g' is not valid; use one of 2g, 3g"):
        RemoteRules(technology="6g")
    with pytest.raises(
        SchemaError, match=r"RemoteRules.centre_km=-1 must be a distance in km >= 0"
    ):
        RemoteRules(centre_km=-1)
    with pytest.raises(SchemaError, match=r"needs columns \['villages_fiber'\]"):
        flag_unconnected_remote(_strip().drop(columns="villages_fiber"))
    with pytest.raises(SchemaError, match=r"has no '<level>_code' column"):
        flag_unconnected_remote(_strip().drop(columns=["district_code", "commune_code"]))
    with pytest.raises(SchemaError, match="must be a geocov.priorities.RemoteRules"):
        flag_unconnected_remote(_strip(), rules={"centre_km": 3})
    with pytest.raises(CRSError, match="the coverage table has no CRS"):
        flag_unconnected_remote(_strip().set_crs(None, allow_override=True))


@settings(max_examples=30, deadline=None)
@given(
    covered=st.lists(st.integers(0, 5), min_size=4, max_size=4),
    fiber=st.lists(st.integers(0, 2), min_size=4, max_size=4),
    centre_km=st.floats(0, 30),
    perm=st.permutations(range(4)),
)
def test_invariants(covered, fiber, centre_km, perm):
    assume(min(abs(centre_km - 5), abs(centre_km - 15)) > 1e-6)  # not on a unit's distance
    t = _strip(villages_covered_4g_plus=covered, villages_fiber=fiber)
    rules = RemoteRules(centre_km=centre_km, fiber_km=None)
    out = flag_unconnected_remote(t, rules=rules)
    # by hand: flagged when no village has 4G, none has fiber, and the unit lies more than
    # centre_km from the district centre (the strip's units lie 15, 5, 5 and 15 km from it)
    by_hand = [
        c == 0 and f == 0 and km > centre_km
        for c, f, km in zip(covered, fiber, [15, 5, 5, 15], strict=True)
    ]
    assert out["flagged"].tolist() == by_hand
    assert ((out["reason"] != "") == out["flagged"]).all()  # a reason exactly when flagged
    # a looser distance never flags fewer units
    looser = flag_unconnected_remote(t, rules=RemoteRules(centre_km=centre_km / 2, fiber_km=None))
    assert (looser["flagged"] | ~out["flagged"]).all()
    # row order does not matter
    shuffled = flag_unconnected_remote(t.iloc[list(perm)], rules=rules)
    assert shuffled.loc[out.index, "flagged"].tolist() == out["flagged"].tolist()
