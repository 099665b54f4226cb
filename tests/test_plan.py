"""The rollout plan's numeric core: sparse cover matrix, lazy greedy, KMN, exact MCLP, fiber MST.

Every instance is built by hand or drawn by hypothesis; the exact solver (CBC via PuLP) is
the yardstick of the greedy's guarantees.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geocov.errors import SchemaError
from geocov.plan import (
    BUDGET_BOUND,
    GREEDY_BOUND,
    CoverMatrix,
    RoadNetwork,
    exact_sites,
    fiber_tree,
    greedy_sites,
    road_fiber_tree,
)


# --------------------------------------------------------------------------- instances
@st.composite
def instances(draw, max_candidates: int = 8, max_villages: int = 12):
    """A random small MCLP: pairs, integer weights, integer costs."""
    n_c = draw(st.integers(1, max_candidates))
    n_v = draw(st.integers(1, max_villages))
    pairs = draw(st.lists(st.tuples(st.integers(0, n_c - 1), st.integers(0, n_v - 1)),
                          max_size=n_c * n_v))
    weights = draw(st.lists(st.integers(0, 50), min_size=n_v, max_size=n_v))
    costs = draw(st.lists(st.integers(1, 30), min_size=n_c, max_size=n_c))
    cover = CoverMatrix.from_pairs([p[0] for p in pairs], [p[1] for p in pairs],
                                   n_candidates=n_c, n_villages=n_v)
    return cover, np.asarray(weights, float), np.asarray(costs, float)


def brute_force(cover: CoverMatrix, w: np.ndarray, c: np.ndarray, *, sites=None, budget=None):
    """The optimum by enumerating every subset (instances of at most 8 candidates)."""
    best = 0.0
    n = cover.n_candidates
    for mask in range(1 << n):  # 256 subsets at most
        pick = [j for j in range(n) if mask >> j & 1]
        if sites is not None and len(pick) > sites:
            continue
        if budget is not None and c[pick].sum() > budget:
            continue
        served = np.zeros(cover.n_villages, bool)
        for j in pick:
            served[cover.row(j)] = True
        best = max(best, float(w[served].sum()))
    return best


# --------------------------------------------------------------------------- matrix
def test_cover_matrix_from_points_uses_the_exact_disc():
    # the village at exactly 2.5 km is served (inclusive, like coverage), 2.5001 km is not
    m = CoverMatrix.from_points([[0.0, 0.0]], [[2500.0, 0.0], [0.0, 2500.1], [10.0, 0.0]],
                                2500.0)
    assert m.row(0).tolist() == [0, 2]
    assert m.nnz == 2


def test_cover_matrix_dedupes_pairs_and_checks_ranges():
    m = CoverMatrix.from_pairs([1, 1, 0], [2, 2, 0], n_candidates=2, n_villages=3)
    assert m.row(1).tolist() == [2] and m.row(0).tolist() == [0]
    assert m.subset([1, 0]).row(0).tolist() == [2]
    with pytest.raises(SchemaError, match="indices out of range"):
        CoverMatrix.from_pairs([2], [0], n_candidates=2, n_villages=3)
    with pytest.raises(SchemaError, match="one pair per"):
        CoverMatrix.from_pairs([0, 1], [0], n_candidates=2, n_villages=3)


# --------------------------------------------------------------------------- greedy
def test_greedy_by_hand_and_lazy_updates():
    # candidate 0 serves villages 0-1 (6 people), 1 serves 1-2 (5), 2 serves 3 (3): after 0,
    # candidate 1 is worth 4 only (village 1 is served), still more than candidate 2
    m = CoverMatrix.from_pairs([0, 0, 1, 1, 2], [0, 1, 1, 2, 3], n_candidates=3, n_villages=4)
    s = greedy_sites(m, [5.0, 1.0, 4.0, 3.0], sites=3)
    assert s.chosen.tolist() == [0, 1, 2]
    assert s.gains.tolist() == [6.0, 4.0, 3.0]
    assert s.value == 13.0 and s.bound == pytest.approx(1 - 1 / math.e)
    assert s.upper_bound == pytest.approx(13.0)  # everything there is
    # ties go to the cheaper candidate
    tie = CoverMatrix.from_pairs([0, 1], [0, 0], n_candidates=2, n_villages=1)
    assert greedy_sites(tie, [1.0], costs=[5.0, 2.0], sites=1).chosen.tolist() == [1]


def test_greedy_stops_when_nothing_more_is_served():
    m = CoverMatrix.from_pairs([0, 1], [0, 0], n_candidates=3, n_villages=1)
    s = greedy_sites(m, [7.0], sites=3)
    assert s.chosen.tolist() == [0] and s.value == 7.0


def test_budget_returns_the_best_single_candidate_when_it_beats_the_ratio_greedy():
    # the cheap candidate has the better ratio, but then the big one no longer fits
    m = CoverMatrix.from_pairs([0, 1], [0, 1], n_candidates=2, n_villages=2)
    s = greedy_sites(m, [600.0, 400.0], costs=[136_082.0, 37_500.0], budget=136_082.0)
    assert s.method == "best single affordable candidate"
    assert s.chosen.tolist() == [0] and s.value == 600.0
    assert s.alternatives == {"greedy by gain per cost": 400.0, "best single candidate": 600.0}
    assert s.bound == pytest.approx((1 - 1 / math.e) / 2)


def test_budget_zero_and_sites_zero_choose_nothing():
    m = CoverMatrix.from_pairs([0], [0], n_candidates=1, n_villages=1)
    assert len(greedy_sites(m, [5.0], costs=[1.0], budget=0.0).chosen) == 0
    assert len(greedy_sites(m, [5.0], costs=[1.0], sites=0).chosen) == 0
    assert len(exact_sites(m, [5.0], costs=[1.0], budget=0.0).chosen) == 0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({}, "either sites= .* or budget="),
        ({"sites": 1, "budget": 5.0}, "either sites= .* or budget="),
        ({"sites": -1}, "whole number of sites"),
        ({"budget": float("nan")}, "amount >= 0"),
        ({"sites": 1, "weights": [-1.0, 0.0]}, "weights must be finite"),
        ({"sites": 1, "weights": [1.0]}, "weights has 1 values for 2 villages"),
        ({"sites": 1, "costs": [1.0]}, "costs has 1 values for 2 candidates"),
        ({"sites": 1, "costs": [1.0, float("inf")]}, "costs must be finite"),
    ],
)
def test_core_errors(kwargs, match):
    m = CoverMatrix.from_pairs([0, 1], [0, 1], n_candidates=2, n_villages=2)
    weights = kwargs.pop("weights", [1.0, 1.0])
    with pytest.raises(SchemaError, match=match):
        greedy_sites(m, weights, **kwargs)


# --------------------------------------------------------------------------- vs the optimum
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(), st.integers(0, 4))
def test_greedy_sites_reach_1_minus_1_over_e_of_the_optimum(inst, k):
    cover, w, c = inst
    optimum = brute_force(cover, w, c, sites=k)
    exact = exact_sites(cover, w, sites=k)
    assert exact.value == pytest.approx(optimum)
    g = greedy_sites(cover, w, costs=c, sites=k)
    assert g.value >= GREEDY_BOUND * optimum - 1e-9
    assert g.upper_bound >= optimum - 1e-9  # the data-dependent bound is a true bound
    assert len(g.chosen) <= k and len(set(g.chosen.tolist())) == len(g.chosen)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(), st.integers(0, 60))
def test_budget_greedy_reaches_the_kmn_bound_and_stays_in_budget(inst, budget):
    cover, w, c = inst
    optimum = brute_force(cover, w, c, budget=budget)
    exact = exact_sites(cover, w, costs=c, budget=float(budget))
    assert exact.value == pytest.approx(optimum)
    assert exact.costs.sum() <= budget + 1e-9
    g = greedy_sites(cover, w, costs=c, budget=float(budget))
    assert g.costs.sum() <= budget + 1e-9
    assert g.value >= BUDGET_BOUND * optimum - 1e-9
    assert g.upper_bound >= optimum - 1e-9


@settings(max_examples=60, deadline=None)
@given(instances(), st.integers(0, 60), st.integers(0, 30))
def test_a_larger_budget_never_serves_fewer(inst, budget, more):
    cover, w, c = inst
    small = greedy_sites(cover, w, costs=c, budget=float(budget))
    large = greedy_sites(cover, w, costs=c, budget=float(budget + more))
    assert large.value >= small.value - 1e-9


def test_greedy_is_close_to_the_optimum_in_practice():
    """Random instances shaped like villages and sites: how close the greedy comes (the
    figure quoted in bench/README.md comes from bench/bench_plan.py)."""
    rng = np.random.default_rng(7)
    ratios = []
    for _ in range(10):  # ten instances
        cand = rng.uniform(0, 30_000, (60, 2))
        vil = rng.uniform(0, 30_000, (200, 2))
        m = CoverMatrix.from_points(cand, vil, 2500.0)
        w = rng.integers(50, 1500, len(vil)).astype(float)
        g = greedy_sites(m, w, sites=8)
        e = exact_sites(m, w, sites=8)
        assert e.value >= g.value - 1e-9
        ratios.append(g.value / e.value)
    assert min(ratios) >= GREEDY_BOUND
    assert np.mean(ratios) > 0.95  # in practice the greedy is within a few per cent


# --------------------------------------------------------------------------- fiber tree
def test_fiber_tree_length_by_hand_and_relaying():
    # network: a node at (0, 0) (distances given); points A (10, 0), B (10, 4), C (30, 0) km.
    # By hand: A-network 10 km, B-A 4 km (cheaper than B-network 10.77 km), C-A 20 km
    # (cheaper than C-network 30 km): 34 km of straight line.
    xy = np.array([[10_000.0, 0.0], [10_000.0, 4_000.0], [30_000.0, 0.0]])
    to_net = np.hypot(xy[:, 0], xy[:, 1])
    t = fiber_tree(xy, to_net, max_link_m=50_000.0)
    assert t.distance_m.sum() == pytest.approx(34_000.0)
    assert list(zip(t.parent.tolist(), t.child.tolist(), strict=True)) == [(-1, 0), (0, 1), (0, 2)]
    assert len(t.unreachable) == 0


def test_fiber_tree_cap_and_unreachable_points():
    xy = np.array([[10_000.0, 0.0], [40_000.0, 0.0]])
    t = fiber_tree(xy, [10_000.0, 40_000.0], max_link_m=15_000.0)
    assert t.child.tolist() == [0] and t.unreachable.tolist() == [1]


def test_fiber_tree_count_takes_the_cheapest_in_prims_order():
    # three points east of the network at 5, 9 and 20 km; count=2: the 5 km one, then the
    # 9 km one through it (4 km), not the 20 km one
    xy = np.array([[20_000.0, 0.0], [5_000.0, 0.0], [9_000.0, 0.0]])
    t = fiber_tree(xy, xy[:, 0], max_link_m=50_000.0, count=2)
    assert t.child.tolist() == [1, 2] and t.parent.tolist() == [-1, 1]
    assert t.distance_m.tolist() == [5_000.0, 4_000.0]


def test_fiber_tree_terrain_multiplier_steers_the_tree():
    # A 5 km east of the network, B 3 km north of A (5.83 km from the network). Flat: A joins
    # the network and B relays through A. Steep at A (x2): a link's weight takes its steeper
    # end, so B joins the network (5.83) and A relays through B (3 x 2 = 6 < 5 x 2 = 10).
    xy = np.array([[5_000.0, 0.0], [5_000.0, 3_000.0]])
    to_net = np.hypot(xy[:, 0], xy[:, 1])
    flat = fiber_tree(xy, to_net, max_link_m=50_000.0)
    assert list(zip(flat.parent.tolist(), flat.child.tolist(), strict=True)) == [(-1, 0), (0, 1)]
    steep = fiber_tree(xy, to_net, max_link_m=50_000.0, multiplier=[2.0, 1.0])
    assert list(zip(steep.parent.tolist(), steep.child.tolist(), strict=True)) == [(-1, 1),
                                                                                  (1, 0)]
    assert steep.weight.tolist() == pytest.approx([math.hypot(5_000, 3_000), 6_000.0])
    assert steep.distance_m.tolist() == pytest.approx([math.hypot(5_000, 3_000), 3_000.0])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 50), st.integers(0, 50)), min_size=1, max_size=8,
                unique=True))
def test_fiber_tree_spans_every_point_with_a_minimum_tree(points):
    xy = np.asarray(points, float) * 1000.0
    to_net = np.hypot(xy[:, 0], xy[:, 1])
    t = fiber_tree(xy, to_net, max_link_m=1e9)
    assert sorted(t.child.tolist()) == list(range(len(xy)))
    # every prefix is connected: a link's parent is the network or an earlier child
    seen = {-1}
    for par, ch in zip(t.parent.tolist(), t.child.tolist(), strict=True):
        assert par in seen
        seen.add(ch)
    # no longer than joining every point straight to the network
    assert t.distance_m.sum() <= to_net.sum() + 1e-6


# --------------------------------------------------------------------------- fiber order
def test_fiber_tree_remotest_takes_the_farthest_from_the_network():
    # points 4, 7 and 12 km from the network (cap 10 km straight): the remotest two that a
    # link reaches are 7 and 4 km away (12 km is beyond the cap); Prim's would take 4 and 7
    # through the relay too, but here the order of choice differs: 7 first
    t = fiber_tree([[4000, 0], [7000, 0], [12000, 0]], [4000, 7000, 12000],
                   max_link_m=10_000, count=1, order="remotest")
    assert t.child.tolist() == [1] and t.distance_m.tolist() == [7000.0]
    cheapest = fiber_tree([[4000, 0], [7000, 0], [12000, 0]], [4000, 7000, 12000],
                          max_link_m=10_000, count=1)
    assert cheapest.child.tolist() == [0]
    with pytest.raises(SchemaError, match="fiber_order='far' is not valid; use one of "
                                          "cheapest, remotest"):
        fiber_tree([[0, 0]], [1.0], max_link_m=10.0, count=1, order="far")


# --------------------------------------------------------------------------- roads
def l_road():
    """An L: 3 km north from the fiber node at (0, 0), then 10 km east."""
    return RoadNetwork.from_lines([shapely.LineString([(0, 0), (0, 3000), (10_000, 3000)])])


def test_road_network_nodes_crossings_and_shared_ends():
    # a cross, and a spur that ends inside the east arm: the arm is split there (T
    # junction); pieces that merely continue one another are merged (a bend is no junction)
    r = RoadNetwork.from_lines([shapely.LineString([(-1000, 0), (1000, 0)]),
                                shapely.MultiLineString([[(0, -2000), (0, 2000)],
                                                         [(500, 0), (500, 500)]]),
                                shapely.LineString([(-1000, 0), (-1000, -700)])])
    assert sorted(r.length_m.tolist()) == [500.0, 500.0, 500.0, 1700.0, 2000.0, 2000.0]
    assert len(r.node_xy) == 7
    with pytest.raises(SchemaError, match="no lines to build a road graph"):
        RoadNetwork.from_lines([shapely.LineString()])


def test_road_link_length_by_hand_on_an_l_shaped_road():
    """A village at (10 km, 0): 3 km of access leg north to the road's end (x 1.2 = 3.6 km
    of cable), then 10 km west and 3 km south along the road to the node: 16.6 km of cable
    (the straight line: 10 km x 1.2 = 12 km)."""
    t = road_fiber_tree([[10_000, 0]], [shapely.Point(0, 0)], l_road(),
                        max_cable_m=50_000, route_factor=1.2)
    assert t.route.tolist() == ["road"]
    assert t.cable_m.tolist() == pytest.approx([16_600.0])
    assert t.distance_m.tolist() == pytest.approx([10_000.0])  # the straight distance
    assert t.via.tolist() == [0]
    # the link's line follows the road: village -> road end -> corner -> node
    assert shapely.get_coordinates(t.path[0]).tolist() == [
        [10_000, 0], [10_000, 3000], [0, 3000], [0, 0]]
    # within a cap of 15 km of cable the road is no way: the straight line (12 km)
    s = road_fiber_tree([[10_000, 0]], [shapely.Point(0, 0)], l_road(),
                        max_cable_m=15_000, route_factor=1.2)
    assert s.route.tolist() == ["straight"] and s.cable_m.tolist() == pytest.approx([12_000])
    assert shapely.get_coordinates(s.path[0]).tolist() == [[10_000, 0], [0, 0]]


def test_road_links_relay_between_points_along_the_road():
    """Two villages beside the road's east leg, 1 km south of it at x = 4 and 9 km: the
    first joins the node by 1.2 + 4 + 3 = 8.2 km, the second relays through it by
    1.2 + 5 + 1.2 = 7.4 km (cheaper than 1.2 + 9 + 3 = 13.2 km to the node)."""
    t = road_fiber_tree([[4000, 2000], [9000, 2000]], [shapely.Point(0, 0)], l_road(),
                        max_cable_m=50_000, route_factor=1.2)
    assert t.parent.tolist() == [-1, 0] and t.child.tolist() == [0, 1]
    assert t.cable_m.tolist() == pytest.approx([8200.0, 7400.0])
    assert t.route.tolist() == ["road", "road"]
    line = shapely.get_coordinates(t.path[1]).tolist()
    assert line[0] == [9000, 2000] and line[-1] == [4000, 2000]  # child to parent
    # a point beyond every cap: unreachable, as in the straight model
    far = road_fiber_tree([[90_000, 0]], [shapely.Point(0, 0)], l_road(),
                          max_cable_m=50_000, route_factor=1.2)
    assert far.unreachable.tolist() == [0] and len(far.child) == 0


def test_road_fiber_tree_count_and_remotest():
    pts = [[4000, 2000], [9000, 2000], [0, 1000]]
    cheap = road_fiber_tree(pts, [shapely.Point(0, 0)], l_road(), max_cable_m=50_000,
                            route_factor=1.2, count=2)
    # (0, 1 km) lies on the road 1 km from the node: 1 km; then the first village, 8.2 km
    assert cheap.child.tolist() == [2, 0]
    remote = road_fiber_tree(pts, [shapely.Point(0, 0)], l_road(), max_cable_m=50_000,
                             route_factor=1.2, count=1, order="remotest")
    assert remote.child.tolist() == [1] and remote.cable_m.tolist() == pytest.approx([13_200])
