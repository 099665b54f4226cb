"""A budgeted rollout plan: which new 4G sites, which fiber links, and what coverage becomes.

:func:`plan` answers *"we can afford N new sites"* or *"we have a budget of X"*, and
*"fiber to the 6 remote communes"*, from a coverage result and the priority list's costs:

* **Sites** (a maximal covering location problem): new 4G sites are chosen among
  candidates (by default every village without 4G, as a new site at the village with its
  cheapest backhaul from the priority list, and every existing 2G/3G site location, as an
  upgrade; or candidate points you give), the existing stations fixed, to maximise the
  newly served people (or villages). A candidate serves the villages without 4G within
  the 4G radius (the coverage model's exact disc test, :func:`geocov.stations.covering_pairs`).

  - A number of sites: the **greedy** with lazy gain updates (Minoux's accelerated
    greedy: a candidate's gain is recomputed only when it reaches the top of the queue;
    gains only fall as villages get served). Coverage is submodular, so the greedy
    covers at least ``1 - 1/e`` (63.2 %) of the optimum (Nemhauser, Wolsey and Fisher
    1978).
  - A budget: the greedy by gain per cost (candidates that no longer fit are skipped),
    and the best single affordable candidate; the better of the two is returned. This is
    the base of Khuller, Moss and Naor's algorithm (1999), whose bound we rely on: at
    least ``(1 - 1/e) / 2`` (31.6 %) of the optimum. (Their full algorithm reaches
    ``1 - 1/e`` by enumerating every set of three sites first; later analyses put the
    modified greedy's own ratio near 0.4. We claim only the proven 31.6 %.)
  - Each plan also carries a **data-dependent bound** (:attr:`Selection.upper_bound`):
    the optimum is at most what the plan serves plus the best ``N`` (or best affordable
    fractional) marginal gains left, so ``value / upper_bound`` is a certified share of
    the optimum for this instance (usually far above the worst case).
  - ``method="exact"``: the integer programme solved by CBC through PuLP (small cases:
    a few hundred candidates in seconds); the tests check the greedy against it.

* **Fiber** (:func:`fiber_tree`): the chosen communes or villages are joined to the
  existing network along a minimum spanning tree (networkx) in which the network is one
  node: every fiber node or route and every village already connected relays, and the
  places connected by the plan relay for one another. A link is the straight line times
  ``[fiber] route_factor``, never longer than ``[fiber] max_km`` of cable, priced by
  :meth:`geocov.costs.CostModel.fiber` with the terrain multiplier of its steeper end
  (the mean slope around each village on the DEM, when given). ``fiber_to=6``: the 6
  communes without fiber that are cheapest to reach one after another (Prim's order from
  the network); ``fiber_to=[codes]``: those communes or villages. Lengths are measured
  in the analysis's metric working CRS (UTM), never Web Mercator.

* **What it buys**: the chosen sites are added to the stations as 4G stations of
  operator ``"plan"`` and coverage is **recomputed** by :func:`geocov.coverage`
  (``PlanResult.after``): before and after per unit and in total, and the summary
  sentence. The plan's own step-by-step counts must agree with the recomputation; the
  model sheet says so (and a warning if they ever do not).

* **The plan table** (``PlanResult.steps``): one row per site or link in the order
  chosen, with its cost, the cumulative cost, newly served people and villages and the
  coverage after the step, so that a planner can cut the list at any budget.

Arrays in, arrays out: :class:`CoverMatrix` (candidate-to-village coverage, a sparse
matrix built once with an STRtree), :func:`greedy_sites`, :func:`exact_sites` and
:func:`fiber_tree` work on NumPy arrays; :func:`plan` is the GeoDataFrame layer on top
(like spopt's ``MCLP.from_cost_matrix`` under ``MCLP.from_geodataframe``).
"""

from __future__ import annotations

import heapq
import logging
import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from . import locale as _locale
from .costs import CostModel, read_costs
from .errors import DataQualityWarning, Listing, SchemaError, Words, hint, level_words
from .vocabulary import (
    code_column,
    covered_column,
    name_column,
    result_levels,
    result_villages,
    units_with_column,
)
from .vocabulary import label as _label

__all__ = [
    "plan",
    "PlanResult",
    "CoverMatrix",
    "Selection",
    "FiberTree",
    "greedy_sites",
    "exact_sites",
    "fiber_tree",
    "road_fiber_tree",
    "RoadNetwork",
    "GREEDY_BOUND",
    "BUDGET_BOUND",
    "FIBER_ORDERS",
    "OBJECTIVES",
    "PLAN_OPERATOR",
]

log = logging.getLogger(__name__)

#: Guaranteed share of the optimum of the greedy for a number of sites: 1 - 1/e.
GREEDY_BOUND = 1.0 - 1.0 / math.e
#: Guaranteed share of the optimum for a budget (Khuller-Moss-Naor's base): (1 - 1/e) / 2.
BUDGET_BOUND = GREEDY_BOUND / 2.0
#: What a plan maximises.
OBJECTIVES: dict[str, str] = {
    "people": "newly served people (the villages' populations)",
    "villages": "newly served villages",
}
#: Operator (and station status) of the planned sites in the recomputed coverage.
PLAN_OPERATOR = "plan"
_FOUR_G = ("4G", "5G")
_KIND_WORDS = {
    "new_site": "new 4G site",
    "upgrade": "upgrade of a 2G/3G site to 4G",
    "candidate": "new 4G site (your candidate)",
    "fiber_link": "fiber link",
}


# =========================================================================== numeric core
@dataclass(frozen=True)
class CoverMatrix:
    """Which villages each candidate serves: a sparse 0/1 matrix in CSR form.

    Row ``j`` (candidate ``j``) holds the villages ``indices[indptr[j]:indptr[j + 1]]``.

    Examples
    --------
    >>> m = CoverMatrix.from_pairs([0, 0, 2], [1, 3, 3], n_candidates=3, n_villages=4)
    >>> m.row(0).tolist(), m.row(1).tolist(), m.nnz
    ([1, 3], [], 3)
    >>> m.row_sums(np.array([1.0, 2.0, 4.0, 8.0])).tolist()
    [10.0, 0.0, 8.0]
    """

    indptr: np.ndarray
    indices: np.ndarray
    n_candidates: int
    n_villages: int

    @classmethod
    def from_pairs(cls, candidate: Any, village: Any, *, n_candidates: int,
                   n_villages: int) -> CoverMatrix:
        """From (candidate, village) pairs (any order; duplicates are kept once)."""
        c = np.asarray(candidate, dtype=np.int64).reshape(-1)
        v = np.asarray(village, dtype=np.int64).reshape(-1)
        if len(c) != len(v):
            raise SchemaError(f"CoverMatrix: {len(c)} candidate indices but {len(v)} village "
                              f"indices; give one pair per (candidate, village)")
        if len(c) and (c.min() < 0 or c.max() >= n_candidates or v.min() < 0
                       or v.max() >= n_villages):
            raise SchemaError(f"CoverMatrix: indices out of range (candidates "
                              f"0..{n_candidates - 1}, villages 0..{n_villages - 1})")
        key = np.unique(c * max(n_villages, 1) + v)
        c, v = key // max(n_villages, 1), key % max(n_villages, 1)
        indptr = np.zeros(n_candidates + 1, dtype=np.int64)
        np.cumsum(np.bincount(c, minlength=n_candidates), out=indptr[1:])
        return cls(indptr=indptr, indices=v.astype(np.int64), n_candidates=int(n_candidates),
                   n_villages=int(n_villages))

    @classmethod
    def from_points(cls, candidates_xy: Any, villages_xy: Any, radius_m: float | Any
                    ) -> CoverMatrix:
        """Candidates serve the villages within ``radius_m`` (metric CRS; the coverage
        model's exact disc test, :func:`geocov.stations.covering_pairs`, on an STRtree).

        Examples
        --------
        >>> m = CoverMatrix.from_points([[0, 0], [5000, 0]], [[0, 100], [2500, 0], [9000, 0]],
        ...                             2500.0)
        >>> m.row(0).tolist(), m.row(1).tolist()
        ([0, 1], [1])
        """
        from .stations import covering_pairs

        cxy = np.asarray(candidates_xy, dtype=float).reshape(-1, 2)
        vxy = np.asarray(villages_xy, dtype=float).reshape(-1, 2)
        r = np.broadcast_to(np.asarray(radius_m, dtype=float), (len(cxy),))
        nan = np.full(len(cxy), np.nan)
        vi, ci = covering_pairs(vxy, cxy, r, nan, nan)
        return cls.from_pairs(ci, vi, n_candidates=len(cxy), n_villages=len(vxy))

    @classmethod
    def from_terrain(cls, candidates_xy: Any, villages_xy: Any, radius_m: float | Any, *,
                     dem: Any, antenna_height_m: float | Any = 30.0,
                     mode: Literal["los", "pathloss"] = "los",
                     technology: str = "4G") -> CoverMatrix:
        """Candidates serve the villages within ``radius_m`` that the terrain lets through:
        the disc test of :meth:`from_points`, then each pair tested over ``dem`` exactly as
        :func:`geocov.coverage` tests a village with ``terrain=`` (line of sight from the
        antenna ``antenna_height_m`` above the ground to a handset 1.5 m above the village,
        earth curvature and refraction; or, in mode ``"pathloss"``, the ``technology``'s
        link budget), vectorised over the pairs (:func:`geocov.terrain.model.village_terrain`).
        A candidate or village off the DEM serves nothing.

        Examples
        --------
        A 150 m wall at x = 3 km hides the second village from a 30 m mast at the origin:

        >>> from affine import Affine
        >>> from geocov.terrain import DEM
        >>> z = np.zeros((10, 100)); z[:, 60] = 150.0
        >>> dem = DEM.from_array(z, Affine(50, 0, 0, 0, -50, 500), "EPSG:32648")
        >>> m = CoverMatrix.from_terrain([[25.0, 250.0]], [[2025.0, 250.0], [4025.0, 250.0]],
        ...                              5000.0, dem=dem)
        >>> m.row(0).tolist(), CoverMatrix.from_points([[25.0, 250.0]],
        ...     [[2025.0, 250.0], [4025.0, 250.0]], 5000.0).row(0).tolist()
        ([0], [0, 1])
        """
        from .terrain.model import StationTerrain, check_mode, village_terrain

        cxy = np.asarray(candidates_xy, dtype=float).reshape(-1, 2)
        vxy = np.asarray(villages_xy, dtype=float).reshape(-1, 2)
        n = len(cxy)
        r = np.broadcast_to(np.asarray(radius_m, dtype=float), (n,))
        h = np.broadcast_to(np.asarray(antenna_height_m, dtype=float), (n,))
        nan = np.full(n, np.nan)
        terrain = StationTerrain(dem=dem, mode=check_mode(mode), heights_m=h,
                                 masks=None, off_dem=0, description="")  # type: ignore[arg-type]
        vt = village_terrain(terrain, vxy, stations=pd.DataFrame({"technology": [technology] * n}),
                             xy=cxy, radius_m=r, azimuth_deg=nan, beamwidth_deg=nan,
                             station_bits=np.ones(n, np.uint64))
        return cls.from_pairs(vt.station[vt.served], vt.village[vt.served], n_candidates=n,
                              n_villages=len(vxy))

    @property
    def nnz(self) -> int:
        return int(len(self.indices))

    def row(self, j: int) -> np.ndarray:
        return self.indices[self.indptr[j]:self.indptr[j + 1]]

    def rows(self) -> np.ndarray:
        """The candidate of each stored entry (the COO row index)."""
        return np.repeat(np.arange(self.n_candidates), np.diff(self.indptr))

    def row_sums(self, weights: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        """``sum(weights[v])`` over each row's villages (those where ``mask``, if given)."""
        w = np.asarray(weights, dtype=float)[self.indices]
        if mask is not None:
            w = np.where(np.asarray(mask, bool)[self.indices], w, 0.0)
        return np.bincount(self.rows(), weights=w, minlength=self.n_candidates)

    def subset(self, candidates: Any) -> CoverMatrix:
        """The rows of ``candidates`` only, in that order."""
        cand = np.asarray(candidates, dtype=np.int64)
        lens = np.diff(self.indptr)[cand]
        starts = self.indptr[cand]
        idx = (np.repeat(starts - np.r_[0, np.cumsum(lens)[:-1]], lens)
               + np.arange(int(lens.sum()))) if len(cand) else np.zeros(0, np.int64)
        indptr = np.r_[0, np.cumsum(lens)].astype(np.int64)
        return CoverMatrix(indptr=indptr, indices=self.indices[idx], n_candidates=len(cand),
                           n_villages=self.n_villages)


@dataclass(frozen=True)
class Selection:
    """Sites chosen by :func:`greedy_sites` or :func:`exact_sites`.

    Attributes
    ----------
    chosen : int array
        Candidate indices in the order chosen (for the exact solver: the greedy order of
        the optimal set, so that each step has a marginal gain).
    gains : float array
        The weight each pick newly serves (marginal gain).
    costs : float array
        The cost of each pick.
    value : float
        The total weight served (``gains.sum()``).
    method : str
    bound : float
        The guaranteed share of the optimum (1 for the exact solver).
    upper_bound : float
        A bound on the optimum for this instance (``value`` for the exact solver).
    evaluations : int
        Gain evaluations (lazy greedy), or 0.
    alternatives : dict
        For a budget: the greedy-by-ratio value and the best single candidate's value.
    """

    chosen: np.ndarray
    gains: np.ndarray
    costs: np.ndarray
    value: float
    method: str
    bound: float
    upper_bound: float
    evaluations: int = 0
    alternatives: dict[str, float] = field(default_factory=dict)

    @property
    def certified_share(self) -> float:
        """``value / upper_bound``: a share of the optimum this plan is sure to reach."""
        return 1.0 if self.upper_bound <= 0 else min(1.0, self.value / self.upper_bound)


def _check_core(cover: CoverMatrix, weights: Any, costs: Any, sites: Any, budget: Any
                ) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(cover, CoverMatrix):
        raise SchemaError(f"cover must be a geocov.plan.CoverMatrix, got {type(cover).__name__}")
    w = np.asarray(weights, dtype=float).reshape(-1)
    if len(w) != cover.n_villages:
        raise SchemaError(f"weights has {len(w)} values for {cover.n_villages} villages")
    if not (np.isfinite(w).all() and (w >= 0).all()):
        raise SchemaError("weights must be finite numbers >= 0 (people or 1 per village)")
    c = (np.zeros(cover.n_candidates) if costs is None
         else np.asarray(costs, dtype=float).reshape(-1))
    if len(c) != cover.n_candidates:
        raise SchemaError(f"costs has {len(c)} values for {cover.n_candidates} candidates")
    if not (np.isfinite(c).all() and (c >= 0).all()):
        raise SchemaError("costs must be finite amounts >= 0 (drop candidates without a cost)")
    if (sites is None) == (budget is None):
        raise SchemaError("give either sites= (a number of sites) or budget= (an amount), "
                          "one of them")
    if sites is not None and not (isinstance(sites, (int, np.integer))
                                  and not isinstance(sites, bool) and sites >= 0):
        raise SchemaError(f"sites={sites!r}: give a whole number of sites >= 0")
    if budget is not None and not (isinstance(budget, (int, float, np.number))
                                   and not isinstance(budget, bool)
                                   and math.isfinite(budget) and budget >= 0):
        raise SchemaError(f"budget={budget!r}: give an amount >= 0 (in the costs' currency)")
    return w, c


def _lazy_greedy(cover: CoverMatrix, w: np.ndarray, c: np.ndarray, *, limit: int,
                 budget: float, ratio: bool) -> tuple[list[int], list[float], int]:
    """Minoux's lazy greedy: a max-heap of stale gains, re-evaluated at the top only.

    The loop runs once per pick or re-evaluation (a few per pick), never over all the
    candidates; gains are recomputed exactly from the candidate's row (no drift).
    """
    covered = np.zeros(cover.n_villages, dtype=bool)
    gain0 = cover.row_sums(w)
    with np.errstate(divide="ignore", invalid="ignore"):
        key0 = np.where(c > 0, gain0 / c, np.where(gain0 > 0, np.inf, 0.0)) if ratio else gain0
    live = np.flatnonzero((gain0 > 0) & (c <= budget * (1 + 1e-12) + 1e-9))
    # (-key, cost, index, stamp): ties go to the cheaper candidate, then the first one
    heap = list(zip((-key0[live]).tolist(), c[live].tolist(), live.tolist(),
                    [0] * len(live), strict=True))
    heapq.heapify(heap)
    fresh = gain0.copy()
    chosen: list[int] = []
    gains: list[float] = []
    evaluations = 0
    step = 0
    remaining = float(budget)
    tol = 1e-9 * max(1.0, abs(float(budget))) if math.isfinite(budget) else 0.0
    while heap and len(chosen) < limit:
        negkey, cost, j, stamp = heapq.heappop(heap)
        if cost > remaining + tol:
            continue  # it will never fit again: the budget only shrinks
        if stamp == step:
            g = float(fresh[j])
            if g <= 0:
                break  # the best upper bound left is 0: nothing more to serve
            covered[cover.row(j)] = True
            chosen.append(j)
            gains.append(g)
            remaining -= cost
            step += 1
            continue
        idx = cover.row(j)
        g = float(w[idx[~covered[idx]]].sum())
        evaluations += 1
        fresh[j] = g
        if g <= 0:
            continue  # gains never rise again
        key = (g / cost if cost > 0 else math.inf) if ratio else g
        heapq.heappush(heap, (-key, cost, j, step))
    return chosen, gains, evaluations


def _gains_after(cover: CoverMatrix, w: np.ndarray, chosen: Sequence[int]) -> np.ndarray:
    """Every candidate's marginal gain once ``chosen`` are built."""
    covered = np.zeros(cover.n_villages, dtype=bool)
    if len(chosen):
        covered[np.concatenate([cover.row(j) for j in chosen])] = True  # the plan's sites
    return cover.row_sums(w, mask=~covered)


def _best_extra(delta: np.ndarray, c: np.ndarray, *, sites: int | None,
                budget: float | None) -> float:
    """The most that ``sites`` more picks (or ``budget``, fractionally) could add."""
    if sites is not None:
        return float(np.sort(delta)[::-1][:sites].sum())
    assert budget is not None
    ok = (delta > 0) & (c <= budget * (1 + 1e-12) + 1e-9)
    d, cc = delta[ok], c[ok]
    free = cc <= 0
    extra = float(d[free].sum())
    d, cc = d[~free], cc[~free]
    order = np.argsort(-(d / cc), kind="stable") if len(d) else np.zeros(0, np.int64)
    cum = np.cumsum(cc[order])
    full = cum <= budget
    extra += float(d[order][full].sum())
    k = int(full.sum())
    if k < len(order):
        left = budget - (float(cum[k - 1]) if k else 0.0)
        extra += float(d[order][k]) * max(0.0, left) / float(cc[order][k])
    return extra


def _upper_bound(cover: CoverMatrix, w: np.ndarray, c: np.ndarray, chosen: Sequence[int],
                 gains: Sequence[float], *, sites: int | None, budget: float | None) -> float:
    """A bound on the optimum for this instance. By submodularity, for any prefix S_i of the
    picks, f(OPT) <= f(S_i) + the sum of OPT's marginal gains given S_i, which is at most the
    top ``sites`` gains (or the fractional knapsack of the gains within ``budget``). Taken
    over the prefixes 0, 1, 2, 4, 8, ... and the whole plan (a few passes over the matrix),
    and never above all there is to serve."""
    total = float(w[np.unique(cover.indices)].sum())
    n = len(chosen)
    prefixes = sorted({0, n, *[2 ** k for k in range(int(math.log2(n)) + 1 if n else 0)]})
    f = np.r_[0.0, np.cumsum(np.asarray(gains, dtype=float))]
    best = total
    for i in prefixes:  # about log2(n) passes
        delta = _gains_after(cover, w, list(chosen[:i]))
        best = min(best, float(f[i]) + _best_extra(delta, c, sites=sites, budget=budget))
    return best


def greedy_sites(
    cover: CoverMatrix,
    weights: Any,
    *,
    costs: Any = None,
    sites: int | None = None,
    budget: float | None = None,
) -> Selection:
    """Choose sites greedily: ``sites`` of them (1 - 1/e), or within ``budget`` (KMN base).

    Parameters
    ----------
    cover : CoverMatrix
        Which villages each candidate serves.
    weights : (n_villages,) array
        What serving each village is worth (people, or 1); 0 for villages already served.
    costs : (n_candidates,) array, optional
        Cost of each candidate (needed with ``budget``; with ``sites`` it breaks ties).
    sites : int, optional
        How many sites (the greedy, with lazy gain updates: at least 1 - 1/e of the optimum).
    budget : float, optional
        How much to spend: the better of the greedy by gain per cost (skipping candidates
        that no longer fit) and the best single affordable candidate (Khuller, Moss and
        Naor's base algorithm: at least (1 - 1/e)/2 of the optimum).

    Returns
    -------
    Selection
        Fewer than ``sites`` picks when nothing more can be served.

    Examples
    --------
    Candidate 0 serves villages 0-1, candidate 1 villages 1-2, candidate 2 village 3:

    >>> m = CoverMatrix.from_pairs([0, 0, 1, 1, 2], [0, 1, 1, 2, 3], n_candidates=3,
    ...                            n_villages=4)
    >>> s = greedy_sites(m, [5.0, 1.0, 4.0, 3.0], sites=2)
    >>> s.chosen.tolist(), s.gains.tolist(), s.value
    ([0, 1], [6.0, 4.0], 10.0)
    >>> b = greedy_sites(m, [5.0, 1.0, 4.0, 3.0], costs=[10.0, 10.0, 1.0], budget=11.0)
    >>> b.chosen.tolist(), b.value, b.method
    ([2, 0], 9.0, 'greedy by gain per cost')
    """
    w, c = _check_core(cover, weights, costs, sites, budget)
    if sites is not None:
        chosen, gains, evals = _lazy_greedy(cover, w, c, limit=int(sites), budget=math.inf,
                                            ratio=False)
        value = float(np.sum(gains))
        return Selection(
            chosen=np.asarray(chosen, dtype=np.int64), gains=np.asarray(gains, float),
            costs=c[np.asarray(chosen, dtype=np.int64)], value=value,
            method="greedy (lazy gain updates)", bound=GREEDY_BOUND,
            upper_bound=_upper_bound(cover, w, c, chosen, gains, sites=int(sites), budget=None),
            evaluations=evals)
    assert budget is not None
    B = float(budget)
    chosen, gains, evals = _lazy_greedy(cover, w, c, limit=cover.n_candidates, budget=B,
                                        ratio=True)
    g_value = float(np.sum(gains))
    gain0 = cover.row_sums(w)
    fits = np.flatnonzero((c <= B * (1 + 1e-12) + 1e-9) & (gain0 > 0))
    s_value, best = 0.0, -1
    if len(fits):
        order = np.lexsort((fits, c[fits], -gain0[fits]))
        best = int(fits[order[0]])
        s_value = float(gain0[best])
    alternatives = {"greedy by gain per cost": g_value, "best single candidate": s_value}
    if s_value > g_value:
        chosen, gains, value = [best], [s_value], s_value
        method = "best single affordable candidate"
    else:
        method, value = "greedy by gain per cost", g_value
    return Selection(
        chosen=np.asarray(chosen, dtype=np.int64), gains=np.asarray(gains, float),
        costs=c[np.asarray(chosen, dtype=np.int64)], value=value, method=method,
        bound=BUDGET_BOUND,
        upper_bound=_upper_bound(cover, w, c, chosen, gains, sites=None, budget=B),
        evaluations=evals, alternatives=alternatives)


def exact_sites(
    cover: CoverMatrix,
    weights: Any,
    *,
    costs: Any = None,
    sites: int | None = None,
    budget: float | None = None,
    time_limit_s: float = 120.0,
) -> Selection:
    """The optimal sites (maximal covering location problem) by integer programming.

    Maximise ``sum(w_i y_i)`` subject to ``y_i <= sum(x_j : j serves i)``, ``y_i <= 1``,
    and ``sum(x_j) <= sites`` or ``sum(c_j x_j) <= budget``, ``x`` binary; solved by CBC
    through PuLP. For small cases (a few hundred candidates take seconds).

    Raises
    ------
    SchemaError
        PuLP is not installed, or the solver finds no optimum within ``time_limit_s``.

    Examples
    --------
    >>> m = CoverMatrix.from_pairs([0, 0, 1, 1, 2], [0, 1, 1, 2, 3], n_candidates=3,
    ...                            n_villages=4)
    >>> exact_sites(m, [5.0, 1.0, 4.0, 3.0], costs=[10.0, 10.0, 1.0], budget=11.0).value
    9.0
    """
    w, c = _check_core(cover, weights, costs, sites, budget)
    try:
        import pulp
    except ImportError as exc:  # pragma: no cover - a dependency of geocov
        raise SchemaError("the exact solver needs PuLP: pip install pulp") from exc
    gain0 = cover.row_sums(w)
    limit_cost = math.inf if budget is None else float(budget) * (1 + 1e-12) + 1e-9
    cand = np.flatnonzero((gain0 > 0) & (c <= limit_cost))
    if sites == 0 or not len(cand):
        return Selection(np.zeros(0, np.int64), np.zeros(0), np.zeros(0), 0.0,
                         "exact (CBC)", 1.0, 0.0)
    sub = cover.subset(cand)
    rows = sub.rows()
    vil = sub.indices
    keep_v = np.unique(vil[w[vil] > 0])
    prob = pulp.LpProblem("mclp", pulp.LpMaximize)
    # one variable per candidate and per village: the model of a small case
    def var(name: str, **kw: Any) -> Any:  # PuLP >= 3.3 attaches variables to the model
        if hasattr(prob, "add_variable"):
            return prob.add_variable(name, **kw)
        return pulp.LpVariable(name, **kw)  # pragma: no cover - older PuLP

    x = [var(f"x{k}", cat="Binary") for k in range(len(cand))]
    y = {int(v): var(f"y{int(v)}", lowBound=0, upBound=1) for v in keep_v}
    prob += pulp.lpSum(float(w[v]) * y[v] for v in y)
    order = np.argsort(vil, kind="stable")
    vs, ks = vil[order], rows[order]
    starts = np.flatnonzero(np.r_[True, vs[1:] != vs[:-1]])
    ends = np.r_[starts[1:], len(vs)]
    for s, e in zip(starts.tolist(), ends.tolist(), strict=True):  # one constraint a village
        v = int(vs[s])
        if v in y:
            prob += y[v] <= pulp.lpSum(x[int(k)] for k in ks[s:e])
    if sites is not None:
        prob += pulp.lpSum(x) <= int(sites)
    else:
        prob += pulp.lpSum(float(c[j]) * x[k] for k, j in enumerate(cand.tolist())) <= float(
            budget)  # type: ignore[arg-type]
    with warnings.catch_warnings():  # PuLP 3.x announces its 4.0 API; nothing for us to do
        warnings.simplefilter("ignore", DeprecationWarning)
        status = prob.solve(_solver(pulp, time_limit_s))
    if pulp.LpStatus[status] != "Optimal":
        raise SchemaError(f"the exact solver stopped without an optimum "
                          f"({pulp.LpStatus[status]}) within {time_limit_s:g} s; use the "
                          f"greedy (method='greedy') for a case this large")
    picked = cand[np.asarray([(v.value() or 0) > 0.5 for v in x], dtype=bool)]
    # the optimal set in the greedy's order, so that each step has its marginal gain
    inner = _lazy_greedy(cover.subset(picked), w, c[picked], limit=len(picked),
                         budget=math.inf, ratio=False)
    order_k = np.asarray(inner[0], dtype=np.int64)
    chosen = picked[order_k]
    gains = np.asarray(inner[1], float)
    value = float(gains.sum())
    return Selection(chosen=chosen, gains=gains, costs=c[chosen], value=value,
                     method="exact (CBC)", bound=1.0, upper_bound=value)


def _solver(pulp: Any, time_limit_s: float) -> Any:
    """CBC as PuLP ships it (3.x), else an installed CBC or HiGHS (PuLP 4)."""
    for name in ("PULP_CBC_CMD", "COIN_CMD", "HiGHS", "HiGHS_CMD"):
        try:
            solver = pulp.getSolver(name, msg=False, timeLimit=time_limit_s)
        except Exception:  # noqa: BLE001 - not known to this PuLP
            continue
        if solver.available():
            return solver
    raise SchemaError("the exact solver needs CBC or HiGHS for PuLP: pip install 'pulp[cbc]' "
                      "or pip install highspy")  # pragma: no cover


@dataclass(frozen=True)
class FiberTree:
    """Links of a fiber extension (:func:`fiber_tree`), in connection order.

    ``parent[k]`` is the point linked to (``-1``: the existing network), ``child[k]`` the
    point connected by link ``k``, ``distance_m[k]`` the straight-line length;
    ``unreachable`` the points that no chain of links within the cap reaches.
    With roads (:func:`road_fiber_tree`), per link: ``cable_m`` (the cable along the road
    and the access legs), ``route`` (``"road"``, or ``"straight"`` where the road is no way
    within the cap), ``path`` (the link's line in the metric CRS) and ``via`` (for a link
    to the network: the network geometry it starts from; -1 otherwise).
    """

    parent: np.ndarray
    child: np.ndarray
    distance_m: np.ndarray
    weight: np.ndarray
    unreachable: np.ndarray
    cable_m: np.ndarray | None = None
    route: np.ndarray | None = None
    path: np.ndarray | None = None
    via: np.ndarray | None = None


def fiber_tree(
    points_xy: Any,
    network_m: Any,
    *,
    max_link_m: float,
    multiplier: Any = 1.0,
    count: int | None = None,
    order: Literal["cheapest", "remotest"] = "cheapest",
) -> FiberTree:
    """Join points to the existing network along a minimum spanning tree.

    The network is one node: each point's link to it is ``network_m`` (the straight line to
    the nearest fiber node, route or connected village, all of which relay); points link
    to one another too. A link's weight is its length times the terrain ``multiplier`` of
    its steeper end (the cost per km of cable apart from fixed terms); links longer than
    ``max_link_m`` (straight) are never built.

    Parameters
    ----------
    points_xy : (n, 2) array
        Points in a metric CRS.
    network_m : (n,) array
        Straight-line distance (m) from each point to the existing network (NaN: none).
    max_link_m : float
        Longest straight link (the cable cap divided by the route factor).
    multiplier : float or (n,) array
        Terrain multiplier at each point (1: flat or unknown).
    count : int, optional
        Connect only ``count`` of the points (default all), chosen by ``order``.
    order : {"cheapest", "remotest"}, default "cheapest"
        Which ``count`` points: the cheapest to reach one after another (Prim's algorithm
        from the network, stopped after ``count`` points), or the remotest: the farthest
        from the network (``network_m``) among those a link within the cap reaches.

    Returns
    -------
    FiberTree
        Links in an order in which every prefix is connected to the network (Prim's).

    Examples
    --------
    Two villages 4 and 7 km east of a fiber node; the second relays through the first:

    >>> t = fiber_tree([[4000, 0], [7000, 0]], [4000, 7000], max_link_m=10_000)
    >>> t.parent.tolist(), t.child.tolist(), t.distance_m.tolist()
    ([-1, 0], [0, 1], [4000.0, 3000.0])
    """
    import networkx as nx

    xy = np.asarray(points_xy, dtype=float).reshape(-1, 2)
    n = len(xy)
    net = np.asarray(network_m, dtype=float).reshape(-1)
    if len(net) != n:
        raise SchemaError(f"network_m has {len(net)} values for {n} points")
    mult = np.broadcast_to(np.asarray(multiplier, dtype=float), (n,)).copy()
    mult = np.where(np.isfinite(mult) & (mult > 0), mult, 1.0)
    cap = float(max_link_m)
    net_ok = np.isfinite(net) & (net <= cap)
    _check_order(order)
    if count is not None and order == "remotest":
        sel = _remotest(np.where(net_ok, net, np.nan), int(count))
    elif count is not None:
        sel = _prim_select(xy, np.where(net_ok, net * mult, np.inf), mult, cap, int(count))
    else:
        sel = np.arange(n)
    # the graph: node -1 is the network; edges within the cap (STRtree pairs, not all pairs)
    g = nx.Graph()
    g.add_node(-1)
    g.add_nodes_from(sel.tolist())
    ok = sel[net_ok[sel]]
    g.add_weighted_edges_from(zip([-1] * len(ok), ok.tolist(), (net[ok] * mult[ok]).tolist(),
                                  strict=True), weight="w")
    if len(sel) > 1:
        pts = shapely.points(xy[sel])
        a, b = shapely.STRtree(pts).query(pts, predicate="dwithin", distance=cap)
        keep = a < b
        a, b = sel[a[keep]], sel[b[keep]]
        d = np.hypot(xy[a, 0] - xy[b, 0], xy[a, 1] - xy[b, 1])
        inside = d <= cap
        a, b, d = a[inside], b[inside], d[inside]
        g.add_weighted_edges_from(zip(a.tolist(), b.tolist(),
                                      (d * np.maximum(mult[a], mult[b])).tolist(), strict=True),
                                  weight="w")
    p, ch, weight, unreachable = _spanning_links(g, sel)
    dist = np.where(p < 0, net[ch] if len(ch) else 0.0,
                    np.hypot(xy[ch, 0] - xy[np.maximum(p, 0), 0],
                             xy[ch, 1] - xy[np.maximum(p, 0), 1]) if len(ch) else 0.0)
    return FiberTree(parent=p, child=ch, distance_m=np.asarray(dist, float).reshape(-1),
                     weight=weight, unreachable=unreachable)


def _spanning_links(g: Any, sel: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The minimum spanning tree of ``g`` (node -1: the network; edge weight ``w``) as
    links in Prim's order from the network (every prefix stays connected): parent, child,
    weight, and the nodes of ``sel`` that no link reaches."""
    import networkx as nx

    tree = nx.minimum_spanning_tree(g, weight="w", algorithm="kruskal")
    reach = nx.node_connected_component(tree, -1)
    parent, child, weight = [], [], []
    seen = {-1}
    frontier = [(d["w"], v, -1) for _, v, d in tree.edges(-1, data=True)]
    heapq.heapify(frontier)
    while frontier:  # one pass per link of the plan
        wgt, v, u = heapq.heappop(frontier)
        if v in seen:
            continue
        seen.add(v)
        parent.append(u)
        child.append(v)
        weight.append(wgt)
        for _, nb, d in tree.edges(v, data=True):
            if nb not in seen:
                heapq.heappush(frontier, (d["w"], nb, v))
    unreachable = np.asarray(sorted(set(sel.tolist()) - reach), dtype=np.int64)
    return (np.asarray(parent, dtype=np.int64), np.asarray(child, dtype=np.int64),
            np.asarray(weight, float), unreachable)


#: How ``fiber_to=N`` picks its N places: the cheapest to reach one after another, or
#: the remotest (farthest from the existing network by route distance).
FIBER_ORDERS: dict[str, str] = {
    "cheapest": "the cheapest to reach one after another from the network (Prim's order)",
    "remotest": "the farthest from the existing network by route distance (among those a "
                "link within the cap reaches)",
}


def _check_order(order: Any) -> str:
    if order not in FIBER_ORDERS:
        raise SchemaError(f"fiber_order={order!r} is not valid; use one of "
                          f"{', '.join(FIBER_ORDERS)} " + hint(
                              "(fiber_order='remotest')", "(--fiber-order remotest)"))
    return str(order)


def _remotest(route_m: np.ndarray, count: int) -> np.ndarray:
    """The ``count`` points with the longest finite ``route_m``, farthest first (ties: the
    first point)."""
    ok = np.flatnonzero(np.isfinite(route_m))
    top = ok[np.lexsort((ok, -route_m[ok]))][:max(count, 0)]
    return top.astype(np.int64)


def _prim_select(xy: np.ndarray, to_net: np.ndarray, mult: np.ndarray, cap: float,
                 count: int) -> np.ndarray:
    """The ``count`` points Prim's algorithm from the network reaches first (vectorised:
    one pass per point chosen, each over the arrays of all points)."""
    n = len(xy)
    best = to_net.astype(float).copy()
    taken = np.zeros(n, dtype=bool)
    out: list[int] = []
    for _ in range(min(count, n)):  # one pass per point connected
        cand = np.where(taken, np.inf, best)
        i = int(np.argmin(cand))
        if not np.isfinite(cand[i]):
            break
        taken[i] = True
        out.append(i)
        d = np.hypot(xy[:, 0] - xy[i, 0], xy[:, 1] - xy[i, 1])
        wgt = np.where(d <= cap, d * np.maximum(mult, mult[i]), np.inf)
        best = np.minimum(best, wgt)
    return np.asarray(out, dtype=np.int64)


# =========================================================================== roads
@dataclass(frozen=True)
class RoadNetwork:
    """A road layer noded into a graph, in a metric CRS (build it with :meth:`from_lines`).

    The lines are noded (``shapely.union_all``: every crossing and shared end becomes a
    junction and overlapping pieces are dissolved) and merged between junctions
    (``shapely.line_merge``); each piece is an edge of its length between its end nodes.

    Attributes
    ----------
    parts : array of LineString
        The pieces between junctions or ends.
    start, end : int arrays
        The node of each piece's first and last point.
    length_m : float array
        Each piece's length.
    node_xy : (n_nodes, 2) array
        The nodes' coordinates.

    Examples
    --------
    Two roads crossing at (0, 0): four pieces and five nodes.

    >>> r = RoadNetwork.from_lines([shapely.LineString([(-1, 0), (1, 0)]),
    ...                             shapely.LineString([(0, -2), (0, 2)])])
    >>> len(r.parts), len(r.node_xy), sorted(r.length_m.tolist())
    (4, 5, [1.0, 1.0, 2.0, 2.0])
    """

    parts: np.ndarray
    start: np.ndarray
    end: np.ndarray
    length_m: np.ndarray
    node_xy: np.ndarray

    @classmethod
    def from_lines(cls, lines: Any) -> RoadNetwork:
        """Node ``lines`` (LineStrings or MultiLineStrings in a metric CRS) into a graph."""
        geoms = np.asarray(lines, dtype=object).reshape(-1)
        geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
        if not len(geoms):
            raise SchemaError("roads: no lines to build a road graph from")
        noded = shapely.line_merge(shapely.union_all(geoms))
        parts = shapely.get_parts(noded)
        parts = parts[(shapely.get_type_id(parts) == 1) & (shapely.length(parts) > 0)]
        n = len(parts)
        ends = np.vstack([shapely.get_coordinates(shapely.get_point(parts, 0)),
                          shapely.get_coordinates(shapely.get_point(parts, -1))])
        nodes, inv = np.unique(np.round(ends, 3), axis=0, return_inverse=True)
        inv = inv.reshape(-1).astype(np.int64)
        return cls(parts=parts, start=inv[:n], end=inv[n:], length_m=shapely.length(parts),
                   node_xy=nodes)

    @cached_property
    def _tree(self) -> shapely.STRtree:
        return shapely.STRtree(self.parts)

    def attach(self, geoms: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                                          np.ndarray]:
        """Where each geometry joins the roads: the nearest piece, the position of the
        nearest road point along it (m), the straight access leg (m), and the leg's ends
        (on the geometry, on the road; ``(n, 2)`` arrays)."""
        g = np.asarray(geoms, dtype=object).reshape(-1)
        n = len(g)
        part = np.full(n, -1, dtype=np.int64)
        pos, access = np.full(n, np.nan), np.full(n, np.nan)
        near_xy, road_xy = np.full((n, 2), np.nan), np.full((n, 2), np.nan)
        if n:
            (gi, pi), d = self._tree.query_nearest(g, return_distance=True, all_matches=False)
            legs = shapely.get_coordinates(shapely.shortest_line(g[gi], self.parts[pi]))
            legs = legs.reshape(-1, 2, 2)
            part[gi], access[gi] = pi, d
            near_xy[gi], road_xy[gi] = legs[:, 0], legs[:, 1]
            pos[gi] = shapely.line_locate_point(self.parts[pi], shapely.points(legs[:, 1]))
        return part, pos, access, near_xy, road_xy

    def graph(self, part: np.ndarray, pos: np.ndarray) -> Any:
        """The road graph (networkx; edge weight ``w`` = metres) with a node
        ``len(node_xy) + k`` for attachment ``k`` (on piece ``part[k]`` at ``pos[k]``),
        which splits its piece."""
        import networkx as nx

        n0, n_att = len(self.node_xy), len(part)
        ap = np.unique(part[part >= 0])
        # the stops along each piece that has attachments: its two ends and the attachments
        sp = np.concatenate([ap, ap, part[part >= 0]])
        ss = np.concatenate([np.zeros(len(ap)), self.length_m[ap], pos[part >= 0]])
        sn = np.concatenate([self.start[ap], self.end[ap], n0 + np.flatnonzero(part >= 0)])
        o = np.lexsort((ss, sp))
        sp, ss, sn = sp[o], ss[o], sn[o]
        same = sp[1:] == sp[:-1]
        chain = zip(sn[:-1][same].tolist(), sn[1:][same].tolist(),
                    (ss[1:] - ss[:-1])[same].tolist(), sp[1:][same].tolist(),
                    ss[:-1][same].tolist(), ss[1:][same].tolist(), strict=True)
        plain = np.setdiff1d(np.arange(len(self.parts)), ap)
        plain = plain[np.argsort(-self.length_m[plain], kind="stable")]  # shortest twin wins
        g = nx.Graph()
        g.add_nodes_from(range(n0 + n_att))
        g.add_edges_from((int(self.start[k]), int(self.end[k]),
                          {"w": float(self.length_m[k]), "part": int(k), "a": int(self.start[k]),
                           "s0": 0.0, "s1": float(self.length_m[k])}) for k in plain.tolist())
        g.add_edges_from((a, b, {"w": w, "part": k, "a": a, "s0": s0, "s1": s1})
                         for a, b, w, k, s0, s1 in chain)
        return g

    def line(self, g: Any, nodes: Sequence[int], start_xy: Any, end_xy: Any) -> Any:
        """The line from ``start_xy`` along the road through ``nodes`` to ``end_xy``."""
        from shapely.ops import substring

        coords = [np.asarray(start_xy, float).reshape(1, 2)]
        for u, v in zip(nodes[:-1], nodes[1:], strict=True):  # the edges of one link
            e = g.edges[u, v]
            piece = substring(self.parts[e["part"]], e["s0"], e["s1"])
            xy = shapely.get_coordinates(piece)
            coords.append(xy if e["a"] == u else xy[::-1])
        coords.append(np.asarray(end_xy, float).reshape(1, 2))
        xy = np.vstack(coords)
        keep = np.r_[True, np.any(np.diff(xy, axis=0) != 0, axis=1)]
        xy = xy[keep]
        return shapely.linestrings(xy if len(xy) > 1 else np.vstack([xy, xy]))


def _road_network(roads: Any, wcrs: CRS) -> RoadNetwork:
    """The road layer checked (lines with a CRS) and noded in the working CRS."""
    from .crs import require_crs

    src = getattr(roads, "attrs", {}).get("source")
    what = f"roads {src}" if src else "roads"
    if isinstance(roads, gpd.GeoSeries):
        roads = gpd.GeoDataFrame(geometry=roads)
    if not isinstance(roads, gpd.GeoDataFrame):
        raise SchemaError(f"{what}: a road layer must be a GeoDataFrame of lines, got "
                          f"{type(roads).__name__}. " + hint(
                              "Pass roads=geopandas.read_file('roads.gpkg').",
                              "Pass --roads roads.gpkg (a GeoPackage, GeoJSON or shapefile)."))
    require_crs(roads, what=what)
    if not len(roads):
        raise SchemaError(f"{what}: the layer has no features; give a layer of road lines "
                          f"(LineString or MultiLineString)")
    geoms = np.asarray(roads.geometry.values)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    bad = missing | ~np.isin(shapely.get_type_id(geoms), [1, 5])
    if bad.any():
        rows = np.flatnonzero(bad)
        kinds = np.where(missing[rows], "empty",
                         np.asarray(roads.geometry.geom_type, dtype=object)[rows])
        listed = ", ".join(f"{r + 1} ({k})" for r, k in zip(rows[:20].tolist(),
                                                              kinds[:20].tolist(), strict=True))
        raise SchemaError(f"{what}: {len(rows):,} feature(s) are not lines: {listed} "
                          f"(1-based feature numbers, geometry type); give LineString or "
                          f"MultiLineString roads, and drop or fix the others")
    return RoadNetwork.from_lines(roads.geometry.to_crs(wcrs).values)


def _path_to(pred: Mapping[int, list[int]], source: int, node: int) -> list[int]:
    """The nodes from the Dijkstra ``source`` to ``node``. Each node's first predecessor
    is the one that set its distance, finalised before it (networkx appends ties, even to
    the source over a zero-length edge), so the chain ends at the source."""
    path = [node]
    while path[-1] != source:  # one step per edge of the path
        path.append(pred[path[-1]][0])
    return path[::-1]


def road_fiber_tree(
    points_xy: Any,
    network: Any,
    roads: RoadNetwork,
    *,
    max_cable_m: float,
    route_factor: float,
    multiplier: Any = 1.0,
    count: int | None = None,
    order: Literal["cheapest", "remotest"] = "cheapest",
) -> FiberTree:
    """Join points to the existing network along a minimum spanning tree whose links
    follow the roads.

    Every point, and every geometry of the network (fiber nodes, routes, connected
    villages: they relay; a route also at its two ends), joins the road graph at its
    nearest road point by a straight access leg of ``route_factor`` times its length of
    cable. A link's cable is its access legs plus the shortest road path between them
    (Dijkstra on the road graph: from all of the network at once, and from each point,
    within the cap). Where the road is no way within ``max_cable_m``, the link falls back
    to the straight line (``route_factor`` times its length; ``route="straight"``). A
    link's weight is its cable times the terrain ``multiplier`` of its steeper end; then
    the same minimum spanning tree, Prim's order and ``count``/``order`` as
    :func:`fiber_tree`.

    Parameters
    ----------
    points_xy : (n, 2) array
        Points in a metric CRS.
    network : array of geometries
        The existing network in the same CRS.
    roads : RoadNetwork
    max_cable_m : float
        Longest cable of a link.
    route_factor : float
        Cable per metre of a straight line (access legs and fallbacks).
    multiplier, count, order
        As in :func:`fiber_tree` (``"remotest"``: by the cable of the direct link).

    Returns
    -------
    FiberTree
        With ``cable_m``, ``route``, ``path`` and ``via`` per link.

    Examples
    --------
    An L-shaped road from the fiber node at (0, 0) east to (3000, 0), then north to
    (3000, 4000); a village 100 m east of the corner's northern leg, at (3100, 2000):

    >>> roads = RoadNetwork.from_lines([shapely.LineString([(0, 0), (3000, 0),
    ...                                                     (3000, 4000)])])
    >>> t = road_fiber_tree([[3100, 2000]], [shapely.Point(0, 0)], roads,
    ...                     max_cable_m=30_000, route_factor=1.2)
    >>> t.cable_m.tolist(), t.route.tolist(), round(t.distance_m[0])
    ([5120.0], ['road'], 3689)
    """
    import networkx as nx

    xy = np.asarray(points_xy, dtype=float).reshape(-1, 2)
    n = len(xy)
    net = np.asarray(network, dtype=object).reshape(-1)
    rf, cap = float(route_factor), float(max_cable_m)
    mult = np.broadcast_to(np.asarray(multiplier, dtype=float), (n,)).copy()
    mult = np.where(np.isfinite(mult) & (mult > 0), mult, 1.0)
    _check_order(order)
    pts = shapely.points(xy) if n else np.zeros(0, object)
    d_net, near = np.full(n, np.nan), np.full(n, -1, dtype=np.int64)
    if n and len(net):
        (qi, ti), d = shapely.STRtree(net).query_nearest(pts, return_distance=True,
                                                         all_matches=False)
        d_net[qi], near[qi] = d, ti
    # the attachments: the points, then the network's geometries (routes at their ends too)
    lines = np.flatnonzero(np.isin(shapely.get_type_id(net), [1, 2, 5]))
    att_geom = np.concatenate([pts, net, shapely.get_point(net[lines], 0),
                               shapely.get_point(net[lines], -1)])
    att_net = np.concatenate([np.full(n, -1, np.int64), np.arange(len(net)), lines, lines])
    part, pos, access, near_xy, road_xy = roads.attach(att_geom)
    g = roads.graph(part, pos)
    n0 = len(roads.node_xy)
    tnode = n0 + np.arange(n)
    k_net = np.arange(n, len(att_geom))
    g.add_edges_from((-1, int(n0 + k), {"w": rf * float(access[k])}) for k in k_net.tolist())
    pred_net, dist_net = nx.dijkstra_predecessor_and_distance(g, -1, cutoff=cap, weight="w")
    g.remove_node(-1)  # links between points never pass through the network

    def with_fallback(road_m: np.ndarray, straight_m: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray]:
        road_m = np.where(road_m <= cap, road_m, np.inf)
        straight = np.where(straight_m * rf <= cap, straight_m * rf, np.inf)
        return np.where(np.isfinite(road_m), road_m, straight), np.isfinite(road_m)

    road_net = np.asarray([dist_net.get(int(t), np.inf) for t in tnode], float) + rf * access[:n]
    net_cable, net_road = with_fallback(road_net, np.nan_to_num(d_net, nan=np.inf))
    rows: dict[int, tuple[Any, np.ndarray]] = {}

    def row(i: int) -> tuple[np.ndarray, np.ndarray]:
        """Cable from point ``i`` to every point, and whether it follows the road."""
        if i not in rows:
            left = cap - rf * float(access[i])
            pred, dist = (nx.dijkstra_predecessor_and_distance(g, int(tnode[i]), cutoff=left,
                                                               weight="w")
                          if left >= 0 else ({}, {}))
            rows[i] = (pred, np.asarray([dist.get(int(t), np.inf) for t in tnode], float))
        road_m = rows[i][1] + rf * (access[i] + access[:n])
        straight_m = np.hypot(xy[:, 0] - xy[i, 0], xy[:, 1] - xy[i, 1])
        return with_fallback(road_m, straight_m)

    if count is not None and order == "remotest":
        sel = _remotest(np.where(np.isfinite(net_cable), net_cable, np.nan), int(count))
    elif count is not None:
        best = net_cable * mult
        taken = np.zeros(n, dtype=bool)
        picked: list[int] = []
        for _ in range(min(int(count), n)):  # one Dijkstra per point connected
            cand = np.where(taken, np.inf, best)
            i = int(np.argmin(cand)) if n else 0
            if not n or not np.isfinite(cand[i]):
                break
            taken[i] = True
            picked.append(i)
            best = np.minimum(best, row(i)[0] * np.maximum(mult, mult[i]))
        sel = np.asarray(picked, dtype=np.int64)
    else:
        sel = np.arange(n)
    h = nx.Graph()
    h.add_node(-1)
    h.add_nodes_from(sel.tolist())
    ok = sel[np.isfinite(net_cable[sel])]
    h.add_edges_from((-1, int(i), {"w": float(net_cable[i] * mult[i])}) for i in ok.tolist())
    pair_road: dict[tuple[int, int], bool] = {}
    for i in sel.tolist():  # one Dijkstra per point of the plan
        cable, on_road = row(i)
        js = sel[(sel > i) & np.isfinite(cable[sel])]
        h.add_edges_from((i, int(j), {"w": float(cable[j] * max(mult[i], mult[j]))})
                         for j in js.tolist())
        pair_road.update({(i, int(j)): bool(on_road[j]) for j in js.tolist()})
    p, ch, weight, unreachable = _spanning_links(h, sel)
    m = len(ch)
    cable_m, dist_m = np.zeros(m), np.zeros(m)
    route = np.full(m, "straight", dtype=object)
    path = np.empty(m, dtype=object)
    via = np.full(m, -1, dtype=np.int64)
    for k, (u, v) in enumerate(zip(p.tolist(), ch.tolist(), strict=True)):  # one per link
        if u < 0:
            cable_m[k] = net_cable[v]
            if net_road[v]:
                nodes = _path_to(pred_net, -1, int(tnode[v]))[1:]  # [network attachment, ...]
                a = int(nodes[0]) - n0
                via[k] = att_net[a]
                path[k] = roads.line(g, nodes[::-1], xy[v], near_xy[a])
                route[k] = "road"
                dist_m[k] = float(np.hypot(*(xy[v] - near_xy[a])))
            else:
                via[k] = near[v]
                path[k] = shapely.shortest_line(pts[v], net[near[v]])
                dist_m[k] = d_net[v]
            continue
        a_, b_ = min(u, v), max(u, v)
        cable_m[k] = row(a_)[0][b_]
        dist_m[k] = float(np.hypot(*(xy[u] - xy[v])))
        if pair_road[(a_, b_)]:
            nodes = _path_to(rows[a_][0], int(tnode[a_]), int(tnode[b_]))
            route[k] = "road"
            line = roads.line(g, nodes, xy[a_], xy[b_])
            path[k] = line if v == a_ else shapely.reverse(line)
        else:
            path[k] = shapely.linestrings([xy[v], xy[u]])
    return FiberTree(parent=p, child=ch, distance_m=dist_m, weight=weight,
                     unreachable=unreachable, cable_m=cable_m, route=route, path=path, via=via)


# =========================================================================== the plan
@dataclass
class PlanResult:
    """A rollout plan: the steps, the sites and links, coverage before and after, the model.

    Attributes
    ----------
    steps : DataFrame
        The plan table, one row per site or link in the order chosen (sites first, then
        links in an order that keeps every prefix connected): ``step``, ``action``,
        ``item``, where (unit codes and names, village), ``detail``, ``cost_<cur>``,
        ``cumulative_cost_<cur>``, ``villages_newly_served``, ``people_newly_served``,
        ``served`` (the villages' names), the coverage after the step
        (``villages_4g_after``, ``villages_4g_pct_after``, ``people_4g_after``,
        ``people_4g_pct_after``) and ``<finest>s_with_fiber_after``. Cut it at any row:
        the rows above are a plan of their cumulative cost.
    sites : GeoDataFrame
        The planned sites (EPSG:4326), with the station columns the recomputation used.
    links : GeoDataFrame
        The fiber links (EPSG:4326 lines), ``distance_km`` (straight) and ``cable_km``.
    before, after : CoverageResult
        Coverage as given, and recomputed with the planned sites added.
    selection : Selection or None
        The site choice (method, bound, certified share), None without sites.
    model : DataFrame
        ``section, key, value, note``: what was asked, method and bound, candidates, the
        cost table, notes.
    totals : dict
        The whole plan in figures: ``villages``, ``people``, ``villages_4g_before`` /
        ``_after``, ``people_4g_before`` / ``_after`` (the recomputation's),
        ``villages_newly_served`` and ``people_newly_served`` (after - before), ``sites``,
        ``upgrades``, ``links``, ``cable_km``, the cost split ``cost_sites`` and
        ``cost_fiber`` (= ``cost_links``) and their sum ``cost``, in ``currency`` over the
        cost table's horizon; ``units_fiber_before`` / ``_after``.
    """

    steps: pd.DataFrame
    sites: gpd.GeoDataFrame
    links: gpd.GeoDataFrame
    before: Any
    after: Any
    selection: Selection | None
    fiber: FiberTree | None
    model: pd.DataFrame
    currency: str
    objective: str
    levels: tuple[str, ...]
    totals: dict[str, float]
    costs: CostModel
    notes: tuple[str, ...] = ()
    _fiber_units: dict[str, int] = field(default_factory=dict, repr=False)
    # language -> table ("steps", "sites", "links") -> its texts in that language
    _texts: dict[str, dict[str, pd.DataFrame]] = field(default_factory=dict, repr=False)
    # language -> the model sheet in it
    _models: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    @property
    def finest(self) -> str:
        return self.levels[-1]

    def summary(self, lang: str = "en") -> str:
        """The plan in one sentence (and its guarantee in a second), in ``lang`` ("en" or
        "vi"), numbers as the language writes them.

        "90 new 4G sites and 142 km of fiber (cost ...) bring 4G to 1,548/1,569 villages
        (98.7%, from 64.0%) and fiber to 6 more communes."; ``lang="vi"``: "90 trạm BTS 4G
        mới và 142 km cáp quang (chi phí ...) đưa 4G đến 1.548/1.569 thôn (98,7%, từ
        64,0%) và cáp quang đến thêm 6 xã."
        """
        from .locale import check_lang

        return _summary(self, check_lang(lang))

    def planned_stations(self) -> gpd.GeoDataFrame:
        """The planned sites as stations (``geocov.read_stations``' columns): add them to
        your stations and call :func:`geocov.coverage` to check :attr:`after`."""
        cols = ["station_id", "technology", "operator", "range_m", "azimuth_deg",
                "beamwidth_deg", "antenna_height_m", "status", "source_file", "source_row"]
        return gpd.GeoDataFrame(pd.DataFrame(self.sites[cols]), geometry=self.sites.geometry,
                                crs=self.sites.crs)

    def units(self, level: str | None = None) -> gpd.GeoDataFrame:
        """Before and after for every unit of ``level`` (default the finest): villages and
        people with 4G, units with 4G and with fiber, the plan's sites, links and cost."""
        return _units_table(self, level or self.finest)

    def write(
        self,
        folder: str | Path,
        *,
        formats: Sequence[str] = ("csv", "gpkg", "xlsx"),
        stem: str = "plan",
        levels: Sequence[str] | None = None,
        lang: str = "en",
    ) -> list[Path]:
        """Write the plan: ``<stem>.xlsx`` (summary, steps, sites, links, before/after per
        level, model, columns), CSV files, and ``<stem>.gpkg`` with the layers ``sites``,
        ``links`` and one per level. ``lang``: the summary (:meth:`summary`) and the
        workbook's sheet names, headers and category words ("fiber link" / "tuyến cáp
        quang"), and in every file the texts written for a reader (the steps' ``detail`` and
        ``served``, the sites' ``candidate``, ``detail`` and ``served``, the links' ``to``
        and ``from``); the CSV and GeoPackage files keep the column names and the category
        values. Returns the paths written."""
        from .io import StagedFiles, write_tables

        levels = list(levels) if levels else list(self.levels)
        for lv in levels:
            if lv not in self.levels:
                raise SchemaError(f"unknown level {lv!r}; valid levels are {list(self.levels)}")
        tables: dict[str, pd.DataFrame] = {"steps": self._in_lang("steps", self.steps, lang)}
        for name, frame in (("sites", self.sites), ("links", self.links)):
            frame = self._in_lang(name, frame, lang)
            tables[name] = frame if len(frame) else pd.DataFrame(frame.drop(columns="geometry"))
        for lv in levels:
            tables[f"{lv}s"] = self.units(lv)
        summary = pd.DataFrame({"summary": [self.summary(lang), *self.notes]})
        model = self._models.get(lang, self.model) if lang != "en" else self.model
        extra = {"summary": summary, "model": model}
        with StagedFiles(collect=True):  # the tables and the workbook, or none of them
            written = write_tables(tables, folder, formats=[f for f in formats if f != "xlsx"],
                                   stem=stem, extra_sheets=extra)
            if "xlsx" in formats:
                path = Path(folder) / f"{stem}.xlsx"
                with StagedFiles() as stage:
                    _workbook(stage.path(path), {"summary": summary, **tables,
                                                 "model": model}, lang)
                written.append(path)
        return written

    def _in_lang(self, name: str, frame: pd.DataFrame, lang: str) -> pd.DataFrame:
        """``frame`` (the table ``name``) with its texts in ``lang`` (English: as is)."""
        words = self._texts.get(lang, {}).get(name)
        if words is None or len(words) != len(frame):
            return frame
        frame = frame.copy()
        for c in words.columns:  # a loop over columns
            frame[c] = words[c].to_numpy(object)
        return frame


def _workbook(path: Path, tables: Mapping[str, pd.DataFrame], lang: str) -> None:
    """The plan's workbook: summary, steps, sites, links, one sheet per level, model and
    the columns' key, with sheet names, headers and category words in ``lang``."""
    from .priorities import _cell_words
    from .spreadsheet import columns_sheet, table_sheet, write_workbook
    from .vocabulary import label, level_label

    words = _cell_words(lang)
    actions = {english: label(f"plan.action.{k}", lang) for k, english in _KIND_WORDS.items()}
    words.update(action=actions, route={k: label(f"cell.{k}", lang) for k in ("road",
                                                                             "straight")},
                 target={lv: level_label(lv, lang=lang).lower() for lv in ("commune",
                                                                          "village")})
    used: set[str] = set()
    sheets = []
    for name, frame in tables.items():  # a loop over the sheets
        if name in ("summary", "steps", "sites", "links", "model"):
            title = label(f"plan.sheet_{name}", lang)
        else:  # a level: "communes"
            levels = level_label(name[:-1], plural=True, lang=lang)
            title = label("plan.sheet_level", lang, levels=levels, levels_lower=levels.lower())
        sheets.append(table_sheet(frame, title, used=used, lang=lang, words=words))
    sheets.append(columns_sheet(sheets, label("plan.sheet_columns", lang), lang, used=used))
    write_workbook(path, sheets)

def plan(
    result: Any,
    *,
    sites: int | None = None,
    budget: float | None = None,
    fiber_to: int | Sequence[str] | None = None,
    objective: Literal["people", "villages"] = "people",
    candidates: gpd.GeoDataFrame | None = None,
    include_villages: bool = True,
    include_upgrades: bool = True,
    method: Literal["greedy", "exact"] = "greedy",
    priorities: Any = None,
    dem: Any = None,
    costs: CostModel | str | Path | Mapping[str, Any] | None = None,
    currency: str | None = None,
    radius_m: float | Mapping[str, float] | None = None,
    recompute: Callable[[gpd.GeoDataFrame], Any] | None = None,
    recompute_resolution_m: float | None = None,
    roads: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    fiber_order: Literal["cheapest", "remotest"] = "cheapest",
) -> PlanResult:
    """A rollout plan for a coverage result: new 4G sites, fiber links, coverage after.

    Parameters
    ----------
    result : CoverageResult
        From :func:`geocov.coverage` (or :func:`geocov.run_analysis`), with villages.
    sites : int, optional
        "We can afford N new sites": the greedy (at least 1 - 1/e of the optimum).
    budget : float, optional
        "We have a budget of X" (in ``currency``, costs over the cost table's horizon):
        the better of the greedy by gain per cost and the best single affordable site (at
        least (1 - 1/e)/2 of the optimum). The budget pays for the whole plan: the fiber
        links of ``fiber_to`` are priced first and the sites get what is left.
    fiber_to : int or sequence of str, optional
        Fiber to N communes without fiber (chosen by ``fiber_order``), or to these
        communes (finest-unit codes) or villages (village codes).
    objective : {"people", "villages"}, default "people"
        What the sites maximise: newly served people, or newly served villages.
    candidates : GeoDataFrame, optional
        Your candidate points (any CRS) instead of the default ones; optional columns
        ``site_id`` and ``cost`` (over the horizon, in ``currency``). Without ``cost`` a
        candidate is priced as a new site with fiber backhaul (to the nearest fiber, within
        ``[fiber] max_km``) or satellite, whichever is cheaper.
    include_villages, include_upgrades : bool, default True
        The default candidates: a new site at every village without 4G (its cheapest
        backhaul from the priority list) and the upgrade of every 2G/3G site location.
    method : {"greedy", "exact"}, default "greedy"
        ``"exact"``: the integer programme (CBC via PuLP), for small cases.
    priorities : PriorityResult, optional
        The priority list (its costs, options, slopes); computed when needed otherwise
        (with ``dem``, ``costs``, ``currency``, ``radius_m``).
    dem, costs, currency, radius_m
        As in :func:`geocov.priorities.priorities` (``dem`` defaults to the result's own
        DEM when it was computed with terrain).
    recompute : callable, optional
        ``recompute(stations)`` returns the coverage with these stations (the existing ones
        plus :meth:`PlanResult.planned_stations`). Default: :func:`geocov.coverage` on the
        result's own units, villages and stations (as used) in its working CRS, with a
        ``recompute_resolution_m`` grid (the grid feeds only the area and raster-population
        figures, which the plan does not report; villages are tested exactly).
        :func:`geocov.analysis.run_plan` recomputes from the analysis's own inputs.
    recompute_resolution_m : float, optional
        The grid of the default recomputation (default: the result's own).
    roads : GeoDataFrame or GeoSeries of (Multi)LineStrings, optional
        A road layer (any CRS): the fiber links follow the roads (:func:`road_fiber_tree`:
        a straight access leg to the nearest road point at each end, the shortest road
        path between; lengths in the working CRS). A link whose road way is longer than
        ``[fiber] max_km`` falls back to the straight line; the links' ``route`` column
        says which (``"road"``/``"straight"``).
    fiber_order : {"cheapest", "remotest"}, default "cheapest"
        Which N places ``fiber_to=N`` connects: the cheapest to reach one after another
        from the network, or the remotest (the farthest from the existing network by
        route distance, among those a link within the cap reaches).

    Returns
    -------
    PlanResult

    Raises
    ------
    SchemaError
        Nothing asked, ``sites`` and ``budget`` both given, an unknown target code, fiber
        asked without fiber data, or an invalid option.

    Examples
    --------
    >>> import geocov
    >>> result = geocov.run_analysis(geocov.sample_paths()["analysis"])
    >>> p = plan(result, sites=10, fiber_to=2)
    >>> len(p.sites), len(p.links), p.steps["step"].tolist()[:3]
    (10, 2, [1, 2, 3])
    >>> int(p.after.table("total")["villages_covered_4g_plus"].iloc[0]) == int(
    ...     p.steps["villages_4g_after"].iloc[-1])
    True
    """
    ctx = _PlanContext.build(result, sites=sites, budget=budget, fiber_to=fiber_to,
                             objective=objective, method=method, candidates=candidates,
                             costs=costs, currency=currency, radius_m=radius_m,
                             priorities=priorities)
    ctx.fiber_order = _check_order(fiber_order)
    if roads is not None:
        ctx.roads = _road_network(roads, ctx.wcrs)
    notes: list[str] = []
    want_sites = sites is not None or budget is not None
    needs_prio = want_sites and candidates is None and include_villages
    if dem is None:  # the result's own DEM, as read (its line of sight and slopes)
        dem = (getattr(result, "settings", None) or {}).get("terrain")
    if priorities is None and (needs_prio or (fiber_to is not None and dem is not None)):
        from .priorities import priorities as _priorities

        priorities = _priorities(result, dem=dem, costs=ctx.costs, radius_m=radius_m)
    ctx.priorities = priorities
    selection: Selection | None = None
    sites_frame = _empty_sites(ctx)
    # fiber first: a budget pays for the whole plan, so the sites get what the links leave
    tree, links = (None, _empty_links(ctx)) if fiber_to is None else _fiber(ctx, fiber_to,
                                                                            notes)
    site_budget = budget
    if budget is not None and len(links):
        fiber_cost = float(links[f"cost_{ctx.currency.lower()}"].sum())
        if fiber_cost > budget:
            raise SchemaError(
                f"the fiber extension alone costs {fiber_cost:,.0f} {ctx.currency}, more than "
                f"the budget of {budget:,.0f}: raise the budget or ask for fewer fiber targets")
        site_budget = budget - fiber_cost
        notes.append(f"budget: {fiber_cost:,.0f} {ctx.currency} for the fiber links, "
                     f"{site_budget:,.0f} left for sites")
    if want_sites:
        cand = _candidates(ctx, candidates, include_villages=include_villages,
                           include_upgrades=include_upgrades, notes=notes)
        selection, sites_frame = _choose(ctx, cand, sites=sites, budget=site_budget,
                                         method=method, notes=notes)
    after = ctx.result
    if len(sites_frame):
        after = _recompute(ctx, sites_frame, recompute, recompute_resolution_m, notes)
    steps, totals = _steps(ctx, sites_frame, links, after, notes)
    texts: dict[str, pd.DataFrame] = {}  # table -> its texts in Vietnamese
    for name, frame, cols in (("steps", steps, ("detail", "served")),
                              ("sites", sites_frame, ("candidate", "detail", "served")),
                              ("links", links, ("to", "from"))):  # a loop over tables
        texts[name] = pd.DataFrame({c: frame.pop(f"_{c}_vi").to_numpy(object) for c in cols})
    out = PlanResult(steps=steps, sites=sites_frame, links=links, before=ctx.result, after=after,
                     selection=selection, fiber=tree, model=pd.DataFrame(), currency=ctx.currency,
                     objective=objective, levels=tuple(ctx.levels), totals=totals,
                     costs=ctx.costs, notes=tuple(notes), _fiber_units=ctx.fiber_units,
                     _texts={"vi": texts})
    out._models = {lg: _model(ctx, out, sites=sites, budget=budget, fiber_to=fiber_to,
                              recompute=recompute, resolution_m=recompute_resolution_m, lang=lg)
                   for lg in _locale.LANGUAGES}
    out.model = out._models["en"]
    return out


# =========================================================================== context
@dataclass
class _PlanContext:
    result: Any
    costs: CostModel
    currency: str
    levels: list[str]
    wcrs: CRS
    r4g_m: float
    objective: str
    v_code: np.ndarray
    v_name: np.ndarray
    v_unit: np.ndarray
    v_pop: np.ndarray
    v_xy: np.ndarray
    v_served: np.ndarray
    v_fiber: np.ndarray
    units_w: gpd.GeoDataFrame  # finest units, working CRS
    priorities: Any = None
    fiber_units: dict[str, int] = field(default_factory=dict)
    candidates_info: dict[str, int] = field(default_factory=dict)
    roads: RoadNetwork | None = None
    fiber_order: str = "cheapest"

    @classmethod
    def build(cls, result: Any, *, sites: Any, budget: Any, fiber_to: Any, objective: str,
              method: str, candidates: Any, costs: Any, currency: Any, radius_m: Any,
              priorities: Any) -> _PlanContext:
        from .crs import working_crs
        from .stations import DEFAULT_RADIUS_M

        villages = result_villages(result, "a plan")
        if objective not in OBJECTIVES:
            raise SchemaError(f"objective={objective!r} is not valid; use one of "
                              f"{', '.join(OBJECTIVES)}")
        if method not in ("greedy", "exact"):
            raise SchemaError(f"method={method!r} is not valid; use one of greedy, exact")
        if sites is None and budget is None and fiber_to is None:
            raise SchemaError("nothing to plan: " + hint(
                "pass sites=90, budget=120e9 or fiber_to=6 (or a list of codes)",
                "pass --sites 90, --budget 120e9 or --fiber-to 6 (or set [plan] sites)"))
        if sites is not None and budget is not None:
            raise SchemaError("give either a number of sites or a budget, not both " + hint(
                "(sites= or budget=)", "(--sites or --budget)"))
        if sites is not None and (isinstance(sites, bool) or not isinstance(
                sites, (int, np.integer)) or sites < 0):
            raise SchemaError(f"sites={sites!r}: give a whole number of sites >= 0")
        if budget is not None and (isinstance(budget, bool) or not isinstance(
                budget, (int, float, np.number)) or not math.isfinite(budget) or budget < 0):
            raise SchemaError(f"budget={budget!r}: give an amount >= 0")
        if candidates is not None and not isinstance(candidates, gpd.GeoDataFrame):
            raise SchemaError(f"candidates must be a GeoDataFrame of points, got "
                              f"{type(candidates).__name__}")
        if priorities is not None:
            model = priorities.costs
        else:
            model = costs if isinstance(costs, CostModel) else read_costs(costs)
        if currency is not None:
            model = model.convert(currency)
        levels = result_levels(result)
        units = result.units
        wcrs = CRS.from_user_input(result.metadata.get("working_crs") or working_crs(units))
        radii = dict(DEFAULT_RADIUS_M)
        if isinstance(radius_m, Mapping):
            radii.update({str(k): float(v) for k, v in radius_m.items()})
        elif radius_m is not None:
            radii = {k: float(radius_m) for k in radii}
        pts = shapely.point_on_surface(np.asarray(villages.geometry.to_crs(wcrs).values))
        best = villages["best_technology"].astype(str).to_numpy()
        return cls(
            result=result, costs=model, currency=model.currency, levels=list(levels),
            wcrs=wcrs, r4g_m=float(radii["4G"]), objective=objective,
            v_code=villages["village_code"].astype(str).to_numpy(),
            v_name=villages["village_name"].astype(object).to_numpy(),
            v_unit=villages["unit_code"].astype(str).to_numpy(),
            v_pop=np.nan_to_num(pd.to_numeric(villages["population"], errors="coerce")
                                .to_numpy(float)),
            v_xy=np.column_stack([shapely.get_x(pts), shapely.get_y(pts)]),
            v_served=np.isin(best, _FOUR_G),
            v_fiber=villages["fiber"].fillna(False).to_numpy(bool),
            units_w=units.to_crs(wcrs).reset_index(drop=True))

    @property
    def finest(self) -> str:
        return self.levels[-1]

    def weights(self) -> np.ndarray:
        base = self.v_pop if self.objective == "people" else np.ones(len(self.v_code))
        return np.where(self.v_served, 0.0, base)

    def unit_of(self, xy: np.ndarray) -> np.ndarray:
        """The finest unit code at each point ("" outside every unit)."""
        from .boundaries import containing_unit

        codes = self.units_w[code_column(self.finest)].astype(str).to_numpy()
        idx = containing_unit(shapely.points(xy), np.asarray(self.units_w.geometry.values),
                              codes) if len(xy) else np.zeros(0, np.int64)
        return np.where(idx >= 0, codes[np.maximum(idx, 0)] if len(codes) else "", "")

    def unit_names(self, codes: np.ndarray) -> pd.DataFrame:
        """Codes and names of every level for finest-unit ``codes``."""
        cols = [c for lv in self.levels for c in (code_column(lv), name_column(lv))]
        lookup = pd.DataFrame(self.units_w[cols]).astype(str).drop_duplicates(
            code_column(self.finest)).set_index(code_column(self.finest))
        out = lookup.reindex(pd.Index(np.asarray(codes, dtype=str)))
        out.insert(len(cols) - 2, code_column(self.finest), np.asarray(codes, dtype=str))
        return out[cols].reset_index(drop=True)


# =========================================================================== candidates
@dataclass
class _Candidates:
    xy: np.ndarray
    geom: np.ndarray  # EPSG:4326 points
    kind: np.ndarray
    site_id: np.ndarray
    village: np.ndarray  # index into the villages, -1 none
    unit: np.ndarray  # finest code
    capex: np.ndarray
    opex: np.ndarray
    cost: np.ndarray
    detail: np.ndarray
    height_m: np.ndarray  # antenna height above ground (NaN: the coverage run's default)
    site_id_vi: np.ndarray  # site_id and detail in Vietnamese (English: the fields above)
    detail_vi: np.ndarray


def _concat_candidates(parts: list[_Candidates]) -> _Candidates:
    return _Candidates(**{f: np.concatenate([getattr(p, f) for p in parts])
                          for f in _Candidates.__dataclass_fields__})


def _candidates(ctx: _PlanContext, given: gpd.GeoDataFrame | None, *, include_villages: bool,
                include_upgrades: bool, notes: list[str]) -> _Candidates:
    parts: list[_Candidates] = []
    if given is not None:
        parts.append(_given_candidates(ctx, given, notes))
        ctx.candidates_info["your candidates"] = len(parts[-1].xy)
    else:
        if include_villages:
            parts.append(_village_candidates(ctx, notes))
            ctx.candidates_info["new sites at villages without 4G"] = len(parts[-1].xy)
        if include_upgrades:
            parts.append(_upgrade_candidates(ctx))
            ctx.candidates_info["upgrades of 2G/3G site locations"] = len(parts[-1].xy)
    if not parts:
        raise SchemaError("no candidates: include_villages and include_upgrades are both off "
                          "and no candidates were given")
    return _concat_candidates(parts)


def _village_candidates(ctx: _PlanContext, notes: list[str]) -> _Candidates:
    """A new site at each village without 4G, with its cheapest backhaul (priority list)."""
    from .priorities import OPTIONS, money_column

    p = ctx.priorities
    cur = ctx.currency
    opts = p.options
    words = [OPTIONS[k] for k in ("fiber", "microwave", "satellite")]
    sel = opts["option"].isin(words) & opts["status"].isin(["feasible", "chosen"])
    opts = opts.assign(_detail_vi=p._option_texts["vi"].to_numpy(object)
                       if "vi" in p._option_texts else opts["detail"])
    o = opts.loc[sel.to_numpy(), ["village_code", "option", "detail", money_column("capex", cur),
                                  money_column("opex_per_year", cur), money_column("cost", cur),
                                  "_detail_vi"]]
    o = o.sort_values([money_column("cost", cur), "village_code"], kind="stable")
    o = o.drop_duplicates("village_code", keep="first").set_index("village_code")
    idx = pd.Series(np.arange(len(ctx.v_code)), index=ctx.v_code)
    idx = idx[~idx.index.duplicated()]
    unserved = pd.Index(ctx.v_code[~ctx.v_served])
    have = o.index.intersection(unserved)
    missing = len(pd.unique(unserved)) - len(have)
    if missing:
        notes.append(f"{missing:,} village(s) without 4G have no priced new-site option (outside "
                     f"the area the priority list covers): they can be served by other sites but "
                     f"are not candidates themselves.")
    o = o.loc[have]
    vi = idx.reindex(o.index).to_numpy(np.int64)
    kind = np.full(len(vi), "new_site", dtype=object)
    # the site at the village's point as coverage sees it (a polygon's representative point
    # in the working CRS), in EPSG:4326 like every planned site
    geom = gpd.GeoSeries(shapely.points(ctx.v_xy[vi]) if len(vi) else [], crs=ctx.wcrs
                         ).to_crs(4326).values
    detail = (o["option"].astype(str) + ": " + o["detail"].astype(str)).to_numpy(object)
    option_key = {words: key for key, words in OPTIONS.items()}
    option_vi = o["option"].map({w: _label(f"priority.option.{k}", "vi")
                                 for w, k in option_key.items()})
    return _Candidates(
        xy=ctx.v_xy[vi], geom=np.asarray(geom), kind=kind,
        site_id_vi=_fill("plan.text.village_site", "vi", code=ctx.v_code[vi].astype(object)),
        detail_vi=_fill("plan.text.option_detail", "vi", option=option_vi.to_numpy(object),
                        detail=o["_detail_vi"].to_numpy(object)),
        site_id=("village " + pd.Series(ctx.v_code[vi], dtype=object)).to_numpy(object),
        village=vi, unit=ctx.v_unit[vi].astype(object),
        capex=o[money_column("capex", cur)].to_numpy(float),
        opex=o[money_column("opex_per_year", cur)].to_numpy(float),
        cost=o[money_column("cost", cur)].to_numpy(float), detail=detail,
        height_m=np.full(len(vi), np.nan))


def _upgrade_candidates(ctx: _PlanContext) -> _Candidates:
    """Each existing site location with 2G/3G and no 4G/5G: an upgrade to 4G."""
    st = ctx.result.stations
    if st is None or not len(st):
        return _no_candidates()
    rank = st["technology"].map({"2G": 1, "3G": 2, "4G": 3, "5G": 4}).fillna(0).to_numpy(int)
    pts = np.asarray(st.geometry.to_crs(ctx.wcrs).values)
    xy = np.column_stack([shapely.get_x(pts), shapely.get_y(pts)])
    loc, first, inv = np.unique(np.round(xy, 0), axis=0, return_index=True, return_inverse=True)
    inv = inv.reshape(-1)
    top = np.zeros(len(loc), dtype=np.int64)
    np.maximum.at(top, inv, rank)
    keep = np.flatnonzero((top >= 1) & (top <= 2))
    rep = first[keep]  # the location's first station row
    # the 4G antenna on the same mast: the location's highest known antenna
    given = (pd.to_numeric(st["antenna_height_m"], errors="coerce").to_numpy(float)
             if "antenna_height_m" in st.columns else np.full(len(st), np.nan))
    mast = np.full(len(loc), -np.inf)
    np.fmax.at(mast, inv, np.where(np.isfinite(given), given, -np.inf))
    mast = np.where(np.isfinite(mast), mast, np.nan)
    capex, opex = ctx.costs.site("upgrade")
    ids = st["station_id"].astype(str).to_numpy()[rep]
    tech = st["technology"].astype(str).to_numpy()[rep]
    n = len(rep)
    geom = shapely.point_on_surface(np.asarray(st.geometry.to_crs(4326).values)[rep])
    return _Candidates(
        xy=xy[rep], geom=geom, kind=np.full(n, "upgrade", dtype=object),
        site_id=("site of " + pd.Series(ids, dtype=object)).to_numpy(object),
        village=np.full(n, -1, dtype=np.int64), unit=ctx.unit_of(xy[rep]).astype(object),
        capex=np.full(n, capex), opex=np.full(n, opex),
        cost=np.full(n, float(ctx.costs.lifetime(capex, opex))),
        detail=("upgrade " + pd.Series(ids, dtype=object) + " (" + pd.Series(tech, dtype=object)
                + ") to 4G").to_numpy(object), height_m=mast[keep],
        site_id_vi=_fill("plan.text.upgrade_site", "vi", station=ids.astype(object)),
        detail_vi=_fill("plan.text.upgrade_detail", "vi", station=ids.astype(object),
                        technology=tech.astype(object)))


def _no_candidates() -> _Candidates:
    e = np.zeros(0)
    return _Candidates(xy=np.zeros((0, 2)), geom=np.zeros(0, object), kind=np.zeros(0, object),
                       site_id=np.zeros(0, object), village=np.zeros(0, np.int64),
                       unit=np.zeros(0, object), capex=e, opex=e, cost=e,
                       detail=np.zeros(0, object), height_m=e, site_id_vi=np.zeros(0, object),
                       detail_vi=np.zeros(0, object))


def _given_candidates(ctx: _PlanContext, given: gpd.GeoDataFrame, notes: list[str]
                      ) -> _Candidates:
    from .crs import require_crs

    require_crs(given, what="candidates")
    geoms = np.asarray(given.geometry.values)
    bad = shapely.is_missing(geoms) | shapely.is_empty(geoms) | (shapely.get_type_id(geoms) != 0)
    if bad.any():
        rows = (np.flatnonzero(bad) + 1)[:20].tolist()
        raise SchemaError(f"candidates: feature(s) {rows} (1-based) are not points; give one "
                          f"point per candidate site")
    pts = np.asarray(given.geometry.to_crs(ctx.wcrs).values)
    xy = np.column_stack([shapely.get_x(pts), shapely.get_y(pts)])
    n = len(xy)
    ids = (given["site_id"].astype(str).to_numpy(object) if "site_id" in given.columns
           else np.array([f"candidate {k}" for k in range(1, n + 1)], dtype=object))
    ids_vi = (ids if "site_id" in given.columns else
              _fill("plan.text.candidate", "vi", k=np.arange(1, n + 1).astype(object)))
    cost_col = next((c for c in ("cost", f"cost_{ctx.currency.lower()}") if c in given.columns),
                    None)
    if cost_col is not None:
        cost = pd.to_numeric(given[cost_col], errors="coerce").to_numpy(float)
        bad_cost = ~(np.isfinite(cost) & (cost >= 0))
        if bad_cost.any():
            rows = (np.flatnonzero(bad_cost) + 1)[:20].tolist()
            raise SchemaError(f"candidates: column {cost_col!r} of feature(s) {rows} (1-based) "
                              f"is not an amount >= 0 (got "
                              f"{given[cost_col].to_numpy()[bad_cost][:5].tolist()}); give the "
                              f"cost over the horizon in {ctx.currency}, or drop the column to "
                              f"price them as new sites")
        capex, opex = cost.copy(), np.zeros(n)
        detail = np.full(n, f"your cost ({cost_col})", dtype=object)
        detail_vi = np.full(n, _label("plan.text.your_cost", "vi", column=cost_col), dtype=object)
    else:
        capex, opex, cost, detail, detail_vi = _price_new_sites(ctx, xy)
        notes.append("Your candidates without a cost are priced as new sites with fiber "
                     "backhaul (to the nearest fiber, no terrain multiplier) or a satellite "
                     "terminal, whichever is cheaper.")
    return _Candidates(xy=xy, geom=np.asarray(given.geometry.to_crs(4326).values),
                       kind=np.full(n, "candidate", dtype=object), site_id=ids,
                       village=np.full(n, -1, dtype=np.int64),
                       unit=ctx.unit_of(xy).astype(object), capex=capex, opex=opex, cost=cost,
                       detail=detail, height_m=_given_heights(given), site_id_vi=ids_vi,
                       detail_vi=detail_vi)


def _given_heights(given: gpd.GeoDataFrame) -> np.ndarray:
    """Your candidates' ``antenna_height_m`` (checked 0-600 m like the stations'), NaN
    where not given."""
    if "antenna_height_m" not in given.columns:
        return np.full(len(given), np.nan)
    from .terrain import antenna_heights_m

    h = antenna_heights_m(pd.DataFrame(given.drop(columns=given.geometry.name)))
    raw = pd.to_numeric(given["antenna_height_m"], errors="coerce").to_numpy(float)
    return np.where(np.isfinite(raw), h, np.nan)


def _price_new_sites(ctx: _PlanContext, xy: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    c = ctx.costs
    site_capex, site_opex = c.site("new_site")
    sat_capex, sat_opex = c.satellite()
    net, _ = _network(ctx)
    n = len(xy)
    d_km = np.full(n, np.nan)
    if len(net) and n:
        (qi, _ti), d = shapely.STRtree(net).query_nearest(shapely.points(xy), return_distance=True,
                                                        all_matches=False)
        d_km[qi] = d / 1000.0
    f = c.fiber(d_km)
    f_cost = np.where(f["feasible"], c.lifetime(site_capex + f["capex"],
                                                site_opex + f["opex_per_year"]), np.inf)
    s_cost = float(c.lifetime(site_capex + sat_capex, site_opex + sat_opex))
    use_f = f_cost < s_cost
    capex = np.where(use_f, site_capex + f["capex"], site_capex + sat_capex)
    opex = np.where(use_f, site_opex + f["opex_per_year"], site_opex + sat_opex)
    detail = np.where(use_f, "new site, fiber backhaul (" + pd.Series(
        np.round(f["length_km"], 1)).astype(str).to_numpy(object) + " km of cable)",
        "new site, satellite backhaul")
    detail_vi = np.where(use_f, _fill("plan.text.priced_fiber", "vi", km=np.asarray(
        _locale.numbers(np.round(f["length_km"], 1), "vi", digits=1), dtype=object)),
        _label("plan.text.priced_satellite", "vi"))
    return (capex, opex, np.where(use_f, f_cost, s_cost), detail.astype(object),
            detail_vi.astype(object))


# =========================================================================== choose
def _choose(ctx: _PlanContext, cand: _Candidates, *, sites: int | None, budget: float | None,
            method: str, notes: list[str]) -> tuple[Selection, gpd.GeoDataFrame]:
    w = ctx.weights()
    need = np.flatnonzero(~ctx.v_served)
    # each site where the recomputation will put it: its EPSG:4326 point, back in the
    # working CRS (so the plan counts exactly what geocov.coverage will count)
    back = gpd.GeoSeries(cand.geom, crs=4326).to_crs(ctx.wcrs).values
    cand.xy = (np.column_stack([shapely.get_x(back), shapely.get_y(back)]) if len(back)
               else np.zeros((0, 2)))
    cover_need = _cover_matrix(ctx, cand, ctx.v_xy[need])
    cover = CoverMatrix(indptr=cover_need.indptr, indices=need[cover_need.indices],
                        n_candidates=cover_need.n_candidates, n_villages=len(ctx.v_code))
    ctx.candidates_info["candidate-village pairs (sparse matrix entries)"] = cover.nnz
    solve = exact_sites if method == "exact" else greedy_sites
    sel = solve(cover, w, costs=cand.cost, sites=sites, budget=budget)
    chosen = sel.chosen
    # the villages each step newly serves
    covered = ctx.v_served.copy()
    step_of = np.full(len(ctx.v_code), -1, dtype=np.int64)
    for k, j in enumerate(chosen.tolist()):  # one pass per site of the plan
        row = cover.row(j)
        new = row[~covered[row]]
        step_of[new] = k
        covered[new] = True
    hit = np.flatnonzero(step_of >= 0)
    n_new = np.bincount(step_of[hit], minlength=len(chosen))
    people = np.bincount(step_of[hit], weights=ctx.v_pop[hit], minlength=len(chosen))
    names = pd.Series(ctx.v_name[hit]).fillna(pd.Series(ctx.v_code[hit])).astype(str)
    served = {lg: names.groupby(step_of[hit]).agg(lambda s, lg=lg: _names_text(list(s), lg))
              .reindex(np.arange(len(chosen))).fillna("").to_numpy(object)
              for lg in ("en", "vi")}  # one text per step and language
    frame = _sites_frame(ctx, cand, chosen, n_new, people, served)
    return sel, frame


def _cover_matrix(ctx: _PlanContext, cand: _Candidates, villages_xy: np.ndarray
                  ) -> CoverMatrix:
    """Which villages each candidate serves, by the coverage model of the result: the disc
    test, and with terrain (the result's DEM, mode and default antenna height) only the
    pairs the terrain lets through."""
    own = getattr(ctx.result, "settings", None) or {}
    dem = own.get("terrain")
    if dem is None:
        return CoverMatrix.from_points(cand.xy, villages_xy, ctx.r4g_m)
    default_m = float(own.get("antenna_height_m", 30.0))
    heights = np.where(np.isfinite(cand.height_m), cand.height_m, default_m)
    ctx.candidates_info["terrain: candidates tested over the DEM"] = len(cand.xy)
    return CoverMatrix.from_terrain(cand.xy, villages_xy, ctx.r4g_m, dem=dem,
                                    antenna_height_m=heights,
                                    mode=own.get("terrain_mode", "los"))


def _fill(key: str, lang: str, **fields: Any) -> Any:
    """The catalogue's ``key`` in ``lang`` with array fields filled at array speed."""
    from .priorities import _fill as fill

    return fill(key, lang, **fields)


def _names_text(names: list[str], lang: str = "en", limit: int = 5) -> str:
    more = len(names) - limit
    return ", ".join(names[:limit]) + (_label("plan.text.more", lang, n=_locale.number(more, lang))
                                       if more > 0 else "")


def _sites_frame(ctx: _PlanContext, cand: _Candidates, chosen: np.ndarray, n_new: np.ndarray,
                 people: np.ndarray, served: dict[str, np.ndarray]) -> gpd.GeoDataFrame:
    n = len(chosen)
    step = np.arange(1, n + 1)
    cur = ctx.currency.lower()
    vi = cand.village[chosen]
    has_v = vi >= 0
    units = ctx.unit_names(cand.unit[chosen].astype(str))
    frame = pd.DataFrame({
        "step": step,
        "station_id": [f"PLAN-{k:04d}" for k in step],
        "action": pd.Series(cand.kind[chosen], dtype=object).map(_KIND_WORDS).to_numpy(object),
        "candidate": cand.site_id[chosen],
    })
    frame = pd.concat([frame, units], axis=1)
    frame["village_code"] = np.where(has_v, ctx.v_code[np.maximum(vi, 0)], None) if n else []
    frame["village_name"] = np.where(has_v, ctx.v_name[np.maximum(vi, 0)], None) if n else []
    frame["detail"] = cand.detail[chosen]
    frame[f"capex_{cur}"] = cand.capex[chosen]
    frame[f"opex_per_year_{cur}"] = cand.opex[chosen]
    frame[f"cost_{cur}"] = cand.cost[chosen]
    frame["villages_newly_served"] = n_new.astype(np.int64)
    frame["people_newly_served"] = np.round(people, 1)
    frame["served"] = served["en"]
    # the texts in Vietnamese, popped by plan() into PlanResult._texts
    frame["_candidate_vi"] = cand.site_id_vi[chosen]
    frame["_detail_vi"] = cand.detail_vi[chosen]
    frame["_served_vi"] = served["vi"]
    frame["technology"] = "4G"
    frame["operator"] = PLAN_OPERATOR
    frame["range_m"] = ctx.r4g_m
    frame["azimuth_deg"] = np.nan
    frame["beamwidth_deg"] = np.nan
    frame["antenna_height_m"] = cand.height_m[chosen]  # NaN: the coverage run's default
    frame["status"] = PLAN_OPERATOR
    frame["source_file"] = "geocov plan"
    frame["source_row"] = step
    xy = cand.xy[chosen]
    frame["x_m"] = np.round(xy[:, 0], 3) if n else []
    frame["y_m"] = np.round(xy[:, 1], 3) if n else []
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(cand.geom[chosen], crs=4326).values,
                            crs=4326)


def _empty_sites(ctx: _PlanContext) -> gpd.GeoDataFrame:
    e = np.zeros(0, dtype=np.int64)
    return _sites_frame(ctx, _no_candidates(), e, e, np.zeros(0),
                        {lg: np.zeros(0, object) for lg in ("en", "vi")})


# =========================================================================== fiber
def _network(ctx: _PlanContext) -> tuple[np.ndarray, np.ndarray]:
    """The existing network in the working CRS: fiber nodes and routes, then the villages
    already connected (they relay). Returns the geometries and, per geometry, the village
    index (-1 for fiber geometry)."""
    fib = getattr(ctx.result, "fiber", None)
    geoms = np.zeros(0, dtype=object)
    if fib is not None and len(fib):
        geoms = np.asarray(fib.geometry.to_crs(ctx.wcrs).values)
        geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    vi = np.flatnonzero(ctx.v_fiber)
    return (np.concatenate([geoms, shapely.points(ctx.v_xy[vi]) if len(vi)
                            else np.zeros(0, object)]),
            np.concatenate([np.full(len(geoms), -1, np.int64), vi]))


def _fiber_targets(ctx: _PlanContext, fiber_to: Any, notes: list[str]
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int | None]:
    """Target points: (xy, village index or -1, finest unit code, label, count)."""
    finest = ctx.finest
    table = ctx.result.table(finest)
    code = code_column(finest)
    has_col = f"{finest}s_with_fiber"
    u_codes = table[code].astype(str).to_numpy()
    if has_col in table.columns and table[has_col].notna().any():
        u_fiber = table[has_col].fillna(0).to_numpy(float) > 0
    else:
        u_fiber = np.zeros(len(u_codes), dtype=bool)
    count: int | None = None
    if isinstance(fiber_to, (int, np.integer)) and not isinstance(fiber_to, bool):
        if fiber_to < 0:
            raise SchemaError(f"fiber_to={fiber_to!r}: give a number of {finest}s >= 0")
        count = int(fiber_to)
        unit_targets = u_codes[~u_fiber]
        village_targets = np.zeros(0, dtype=np.int64)
    elif isinstance(fiber_to, str) or not isinstance(fiber_to, Sequence):
        raise SchemaError(f"fiber_to={fiber_to!r}: give a number of {finest}s, or a list of "
                          f"{finest} or village codes")
    else:
        wanted = [str(c).strip() for c in fiber_to]
        is_unit = np.isin(wanted, u_codes)
        v_index = pd.Series(np.arange(len(ctx.v_code)), index=ctx.v_code)
        v_index = v_index[~v_index.index.duplicated()]
        is_vil = np.isin(wanted, ctx.v_code) & ~is_unit
        unknown = [c for c, a, b in zip(wanted, is_unit, is_vil, strict=True) if not (a or b)]
        if unknown:
            raise SchemaError(
                f"fiber_to: unknown code(s) {unknown[:20]}: give {finest} codes "
                f"({code}, e.g. {u_codes[0] if len(u_codes) else '...'}) or village codes "
                f"(village_code) of the analysis")
        units_asked = np.asarray([c for c, a in zip(wanted, is_unit, strict=True) if a], dtype=str)
        already = units_asked[np.isin(units_asked, u_codes[u_fiber])]
        if len(already):
            notes.append(f"fiber_to: {len(already):,} {finest}(s) already have fiber and are "
                         f"left out: {', '.join(already[:10])}.")
        unit_targets = units_asked[~np.isin(units_asked, already)]
        vi = v_index.reindex([c for c, b in zip(wanted, is_vil, strict=True) if b]).to_numpy(
            np.int64)
        connected = ctx.v_fiber[vi]
        if connected.any():
            notes.append(f"fiber_to: {int(connected.sum()):,} village(s) already connected are "
                         f"left out: {', '.join(ctx.v_code[vi[connected]][:10])}.")
        village_targets = np.unique(vi[~connected])
    # a unit's point: its most populous village (its centre, as a proxy), else a point of it
    unit_targets = np.unique(unit_targets)
    order = np.lexsort((ctx.v_code, -ctx.v_pop))
    first = pd.Series(order, index=ctx.v_unit[order])
    first = first[~first.index.duplicated()]
    uv = first.reindex(unit_targets).to_numpy(dtype=float)
    has_v = np.isfinite(uv)
    uvi = np.where(has_v, uv, -1).astype(np.int64)
    ugeom = ctx.units_w.set_index(ctx.units_w[code].astype(str)).geometry
    upts = shapely.point_on_surface(np.asarray(ugeom.reindex(unit_targets).values)) if len(
        unit_targets) else np.zeros(0, object)
    uxy = np.column_stack([shapely.get_x(upts), shapely.get_y(upts)]) if len(
        unit_targets) else np.zeros((0, 2))
    uxy[has_v] = ctx.v_xy[uvi[has_v]]
    vxy = ctx.v_xy[village_targets]
    xy = np.vstack([uxy, vxy])
    vidx = np.concatenate([uvi, village_targets])
    unit = np.concatenate([unit_targets, ctx.v_unit[village_targets]]).astype(str)
    kind = np.concatenate([np.full(len(unit_targets), finest, dtype=object),
                           np.full(len(village_targets), "village", dtype=object)])
    return xy, vidx, unit, kind, count


def _fiber(ctx: _PlanContext, fiber_to: Any, notes: list[str]
           ) -> tuple[FiberTree, gpd.GeoDataFrame]:
    net, net_village = _network(ctx)
    if not len(net):
        raise SchemaError(
            "fiber extension needs the existing fiber network (nodes, routes or connected "
            "villages), and this coverage result has none. " + hint(
                "Pass fiber=geocov.read_fiber(...) to geocov.coverage.",
                "Add a [fiber] section (or --fiber) to the analysis."))
    xy, vidx, unit, kind, count = _fiber_targets(ctx, fiber_to, notes)
    c = ctx.costs
    n = len(xy)
    d_net = np.full(n, np.nan)
    near = np.full(n, -1, dtype=np.int64)
    if n:
        (qi, ti), d = shapely.STRtree(net).query_nearest(shapely.points(xy), return_distance=True,
                                                         all_matches=False)
        d_net[qi] = d
        near[qi] = ti
    slope = np.full(n, np.nan)
    p = ctx.priorities
    if p is not None and "slope_deg" in p.villages.columns:
        s = p.villages.set_index(p.villages["village_code"].astype(str))["slope_deg"]
        s = s[~s.index.duplicated()]
        has = vidx >= 0
        slope[has] = s.reindex(ctx.v_code[vidx[has]]).to_numpy(float)
    mult = c.terrain_multiplier(slope)
    route = float(c.get("fiber", "route_factor"))
    cap_m = float(c.get("fiber", "max_km")) * 1000.0 / route
    if ctx.roads is None:
        tree = fiber_tree(xy, d_net, max_link_m=cap_m, multiplier=mult, count=count,
                          order=ctx.fiber_order)  # type: ignore[arg-type]
    else:
        tree = road_fiber_tree(xy, net, ctx.roads, max_cable_m=cap_m * route,
                               route_factor=route, multiplier=mult, count=count,
                               order=ctx.fiber_order)  # type: ignore[arg-type]
        assert tree.route is not None and tree.cable_m is not None
        straight = tree.route == "straight"
        on_road = float(tree.cable_m[~straight].sum()) / 1000.0
        notes.append(f"fiber along the roads: {int((~straight).sum()):,} of {len(straight):,} "
                     f"link(s) follow the roads ({on_road:,.1f} km of cable with their access "
                     f"legs).")
        if straight.any():
            what = ", ".join(_target_labels(ctx, vidx, unit, kind)[tree.child[straight]][:10])
            notes.append(f"fiber: {int(straight.sum()):,} link(s) cannot reach the road graph "
                         f"within {c.get('fiber', 'max_km'):g} km of cable and follow the "
                         f"straight line (route 'straight'): to {what}.")
    if count is not None and len(tree.child) < count:
        notes.append(f"fiber_to={count}: only {len(tree.child):,} {ctx.finest}(s) without fiber "
                     f"can be reached within {c.get('fiber', 'max_km'):g} km of cable a link.")
    if count is not None and ctx.fiber_order == "remotest":
        notes.append(f"fiber_to={count}, remotest: the {count} {ctx.finest}(s) without fiber "
                     f"farthest from the existing network by route distance.")
    if len(tree.unreachable):
        unreachable = Listing([Words("warning.fiber_target", {
            "kind": level_words(str(kind[i])),
            "name": unit[i] if kind[i] != "village" else ctx.v_code[vidx[i]]})
            for i in tree.unreachable[:10]])
        w = DataQualityWarning.of("fiber_unreachable", n=len(tree.unreachable),
                                  km=float(c.get("fiber", "max_km")), listed=unreachable)
        warnings.warn(w, stacklevel=3)
        notes.append(str(w))
    links = _links_frame(ctx, tree, xy, vidx, unit, kind, net, net_village, near, slope)
    fu: dict[str, int] = {}
    for u in unit[tree.child]:  # one per link of the plan
        fu[str(u)] = fu.get(str(u), 0) + 1
    ctx.fiber_units = fu
    return tree, links


def _links_frame(ctx: _PlanContext, tree: FiberTree, xy: np.ndarray, vidx: np.ndarray,
                 unit: np.ndarray, kind: np.ndarray, net: np.ndarray, net_village: np.ndarray,
                 near: np.ndarray, slope: np.ndarray) -> gpd.GeoDataFrame:
    c = ctx.costs
    cur = ctx.currency.lower()
    ch, par = tree.child, tree.parent
    n = len(ch)
    to_net = par < 0
    end_slope = np.where(to_net, slope[ch], np.fmax(slope[ch], slope[np.maximum(par, 0)]))
    route = float(c.get("fiber", "route_factor"))
    if tree.cable_m is not None:  # along the roads: the cable as routed
        f = c.fiber(tree.cable_m / 1000.0 / route, end_slope)
    else:
        f = c.fiber(tree.distance_m / 1000.0, end_slope)
    # the network geometry each link to the network starts from
    near_link = tree.via if tree.via is not None else near[ch]
    cost = c.lifetime(f["capex"], f["opex_per_year"])
    a = shapely.points(xy[ch]) if n else np.zeros(0, object)
    if n and tree.path is not None:
        lines = gpd.GeoSeries(tree.path, crs=ctx.wcrs).to_crs(4326).values
    elif n:
        line_net = shapely.shortest_line(a, net[np.maximum(near_link, 0)])
        line_pair = shapely.linestrings(np.stack([xy[ch], xy[np.maximum(par, 0)]], axis=1))
        lines = np.where(to_net, line_net, line_pair)
        lines = gpd.GeoSeries(lines, crs=ctx.wcrs).to_crs(4326).values
    else:
        lines = np.zeros(0, object)
    label = _target_labels(ctx, vidx, unit, kind)
    nv = net_village[np.maximum(near_link, 0)] if n else np.zeros(0, np.int64)
    from_text = np.where(
        to_net,
        np.where(nv >= 0, "the connected village " + pd.Series(
            ctx.v_name[np.maximum(nv, 0)] if n else [], dtype=object).fillna("").astype(str)
            .to_numpy(object), "the existing fiber"),
        label[np.maximum(par, 0)] if n else np.zeros(0, object)) if n else np.zeros(0, object)
    label_vi = _target_labels(ctx, vidx, unit, kind, "vi")
    from_vi = np.where(
        to_net,
        np.where(nv >= 0, _fill("plan.text.from_connected", "vi", village=pd.Series(
            ctx.v_name[np.maximum(nv, 0)] if n else [], dtype=object).fillna("").astype(str)
            .to_numpy(object)), _label("plan.text.from_network", "vi")),
        label_vi[np.maximum(par, 0)] if n else np.zeros(0, object)) if n else np.zeros(0, object)
    units = ctx.unit_names(unit[ch])
    frame = pd.DataFrame({
        "link": [f"LINK-{k:04d}" for k in range(1, n + 1)],
        "target": kind[ch] if n else [],
        "to": label[ch] if n else [],
        "from": from_text,
    })
    frame = pd.concat([frame, units], axis=1)
    frame["village_code"] = np.where(vidx[ch] >= 0, ctx.v_code[np.maximum(vidx[ch], 0)],
                                     None) if n else []
    frame["village_name"] = np.where(vidx[ch] >= 0, ctx.v_name[np.maximum(vidx[ch], 0)],
                                     None) if n else []
    frame["distance_km"] = np.round(tree.distance_m / 1000.0, 3)
    frame["cable_km"] = np.round(f["length_km"], 3)
    frame["route"] = tree.route if tree.route is not None else np.full(n, "straight", object)
    frame["terrain_multiplier"] = f["multiplier"]
    frame[f"capex_{cur}"] = f["capex"]
    frame[f"opex_per_year_{cur}"] = f["opex_per_year"]
    frame[f"cost_{cur}"] = cost
    # the texts in Vietnamese, popped by plan() into PlanResult._texts
    frame["_to_vi"] = label_vi[ch] if n else np.zeros(0, object)
    frame["_from_vi"] = np.asarray(from_vi, dtype=object)
    return gpd.GeoDataFrame(frame, geometry=lines, crs=4326)


def _target_labels(ctx: _PlanContext, vidx: np.ndarray, unit: np.ndarray, kind: np.ndarray,
                   lang: str = "en") -> np.ndarray:
    names = ctx.unit_names(unit)[name_column(ctx.finest)].fillna("").astype(str).to_numpy(object)
    vname = pd.Series(np.where(vidx >= 0, ctx.v_name[np.maximum(vidx, 0)], ""),
                      dtype=object).fillna("").astype(str).to_numpy(object)
    is_v = kind == "village"
    if lang != "en":
        from .vocabulary import level_label

        level = level_label(ctx.finest, lang=lang).lower()
        at = np.where(vname != "", _fill("plan.text.to_unit_at", lang, village=vname), "")
        return np.where(is_v, _fill("plan.text.to_village", lang, village=vname, unit=names),
                        _fill("plan.text.to_unit", lang, level=level, unit=names) + at
                        ).astype(object)
    out = np.where(is_v, "village " + vname + " (" + names + ")",
                   ctx.finest + " " + names + np.where(vname != "", " (at " + vname + ")", ""))
    return out.astype(object)


def _empty_links(ctx: _PlanContext) -> gpd.GeoDataFrame:
    e = np.zeros(0)
    tree = FiberTree(np.zeros(0, np.int64), np.zeros(0, np.int64), e, e, np.zeros(0, np.int64))
    return _links_frame(ctx, tree, np.zeros((0, 2)), np.zeros(0, np.int64), np.zeros(0, str),
                        np.zeros(0, object), np.zeros(0, object), np.zeros(0, np.int64),
                        np.zeros(0, np.int64), e)


# =========================================================================== after
#: The settings of the coverage run that the default recomputation repeats
#: (:attr:`geocov.coverage.CoverageResult.settings`).
_SAME_SETTINGS = ("population", "village_tolerance_m", "workers", "scheduler", "client",
                  "terrain", "terrain_mode", "antenna_height_m")


def _recompute_settings(result: Any, resolution_m: float | None) -> dict[str, Any]:
    """The keyword arguments of geocov.coverage for the recomputation: the result's own
    (grid, population, terrain, workers...), ``resolution_m`` if given."""
    own = dict(getattr(result, "settings", None) or {})
    kw = {k: own[k] for k in _SAME_SETTINGS if own.get(k) is not None}
    kw["resolution_m"] = float(resolution_m if resolution_m is not None
                               else own.get("resolution_m", 1000.0))
    return kw


def _recompute(ctx: _PlanContext, sites: gpd.GeoDataFrame, recompute: Any,
               resolution_m: float | None, notes: list[str]) -> Any:
    planned = PlanResult.planned_stations.__get__(_Frame(sites))()  # type: ignore[attr-defined]
    if recompute is not None:
        return recompute(planned)
    from .coverage import coverage

    res = ctx.result
    vil = res.villages[["village_code", "village_name", "unit_code", "population", "geometry"]]
    st = res.stations
    if st is not None and len(st):
        # the stations as used (their statuses already filtered), antenna heights included
        keep = [c for c in ("station_id", "technology", "operator", "range_m", "azimuth_deg",
                            "beamwidth_deg", "antenna_height_m") if c in st.columns]
        stations = pd.concat([gpd.GeoDataFrame(pd.DataFrame(st[keep]), geometry=st.geometry,
                                               crs=st.crs).to_crs(4326), planned],
                             ignore_index=True)
        stations = gpd.GeoDataFrame(stations, geometry="geometry", crs=4326)
    else:
        stations = planned
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        after = coverage(res.units, villages=vil, stations=stations, crs=ctx.wcrs,
                         **_recompute_settings(res, resolution_m))
    for w in caught:  # already said about the coverage as given: notes, not warnings again
        notes.append(f"Recomputation: {w.message}")
    return after


@dataclass
class _Frame:
    sites: gpd.GeoDataFrame


def _steps(ctx: _PlanContext, sites: gpd.GeoDataFrame, links: gpd.GeoDataFrame, after: Any,
           notes: list[str]) -> tuple[pd.DataFrame, dict[str, float]]:
    cur = ctx.currency.lower()
    n_v = len(ctx.v_code)
    pop_total = float(ctx.v_pop.sum())
    v0 = int(ctx.v_served.sum())
    p0 = float(ctx.v_pop[ctx.v_served].sum())
    finest = ctx.finest
    table = ctx.result.table(finest)
    has_col = f"{finest}s_with_fiber"
    f0 = int(np.nansum(table[has_col].to_numpy(float))) if has_col in table.columns else 0
    unit_cols = [c for lv in ctx.levels for c in (code_column(lv), name_column(lv))]
    s = pd.DataFrame({
        "action": sites["action"].to_numpy(object),
        "item": sites["station_id"].to_numpy(object),
        **{c: sites[c].to_numpy(object) for c in unit_cols},
        "village_code": sites["village_code"].to_numpy(object),
        "village_name": sites["village_name"].to_numpy(object),
        "detail": (sites["candidate"].astype(str) + ": " + sites["detail"].astype(str)
                   ).to_numpy(object) if len(sites) else np.zeros(0, object),
        f"cost_{cur}": sites[f"cost_{cur}"].to_numpy(float),
        "villages_newly_served": sites["villages_newly_served"].to_numpy(np.int64),
        "people_newly_served": sites["people_newly_served"].to_numpy(float),
        "served": sites["served"].to_numpy(object),
        "cable_km": np.zeros(len(sites)),
        "_fiber_new": np.zeros(len(sites), dtype=np.int64),
        "_detail_vi": _fill("plan.text.option_detail", "vi",
                            option=sites["_candidate_vi"].to_numpy(object),
                            detail=sites["_detail_vi"].to_numpy(object)),
        "_served_vi": sites["_served_vi"].to_numpy(object),
    })
    # a link brings fiber to a unit that had none (the first link into it)
    lu = links[code_column(finest)].astype(str).to_numpy() if len(links) else np.zeros(0, str)
    had = set(table.loc[table[has_col].fillna(0).to_numpy(float) > 0, code_column(finest)]
              .astype(str)) if has_col in table.columns else set()
    first_in = ~pd.Series(lu).duplicated().to_numpy() & ~np.isin(lu, list(had))
    lk = pd.DataFrame({
        "action": _KIND_WORDS["fiber_link"],
        "item": links["link"].to_numpy(object),
        **{c: links[c].to_numpy(object) for c in unit_cols},
        "village_code": links["village_code"].to_numpy(object),
        "village_name": links["village_name"].to_numpy(object),
        "detail": ("to " + links["to"].astype(str) + " from " + links["from"].astype(str) + ", "
                   + links["cable_km"].map(lambda x: f"{x:,.1f}") + " km of cable").to_numpy(object)
        if len(links) else np.zeros(0, object),
        f"cost_{cur}": links[f"cost_{cur}"].to_numpy(float),
        "villages_newly_served": np.zeros(len(links), dtype=np.int64),
        "people_newly_served": np.zeros(len(links)),
        "served": np.zeros(len(links), dtype=object),
        "cable_km": links["cable_km"].to_numpy(float),
        "_fiber_new": first_in.astype(np.int64),
        "_detail_vi": _fill("plan.text.link_detail", "vi", to=links["_to_vi"].to_numpy(object),
                            source=links["_from_vi"].to_numpy(object), km=np.asarray(
                                _locale.numbers(links["cable_km"].to_numpy(float), "vi",
                                                digits=1), dtype=object)),
        "_served_vi": np.full(len(links), "", dtype=object),
    })
    lk["served"] = ""
    steps = pd.concat([s, lk], ignore_index=True) if len(lk) else s
    steps.insert(0, "step", np.arange(1, len(steps) + 1))
    steps[f"cumulative_cost_{cur}"] = np.cumsum(steps[f"cost_{cur}"].to_numpy(float))
    vill = v0 + np.cumsum(steps["villages_newly_served"].to_numpy(np.int64))
    people = p0 + np.cumsum(steps["people_newly_served"].to_numpy(float))
    with np.errstate(invalid="ignore", divide="ignore"):
        steps["villages_4g_after"] = vill.astype(np.int64)
        steps["villages_4g_pct_after"] = np.round(100.0 * vill / n_v, 2) if n_v else np.nan
        steps["people_4g_after"] = np.round(people, 1)
        steps["people_4g_pct_after"] = (np.round(100.0 * people / pop_total, 2)
                                        if pop_total else np.nan)
    steps[f"{finest}s_with_fiber_after"] = f0 + np.cumsum(steps.pop("_fiber_new").to_numpy())
    steps["cable_km"] = np.round(steps["cable_km"].to_numpy(float), 3)
    # the recomputation: the villages with 4G after all the sites, by geocov.coverage
    tot_after = after.table("total")
    v_after = int(tot_after[covered_column("villages", "4g_plus")].iloc[0])
    best_after = after.villages["best_technology"].astype(str).to_numpy()
    p_after = float(np.nan_to_num(pd.to_numeric(after.villages["population"], errors="coerce")
                                  .to_numpy(float))[np.isin(best_after, _FOUR_G)].sum())
    predicted = v0 + int(sites["villages_newly_served"].sum())
    if v_after != predicted:
        w = DataQualityWarning.of("recount_differs", after=v_after, predicted=predicted)
        warnings.warn(w, stacklevel=3)
        notes.append(str(w))
    elif len(sites):  # a fiber-only plan recomputes nothing
        notes.append(f"Recomputed with the planned sites added: {v_after:,} villages with 4G, "
                     f"as the plan counts.")
    tot_before = ctx.result.table("total")
    totals = {
        "villages": float(n_v), "villages_4g_before": float(v0),
        "villages_4g_after": float(v_after),
        "people": pop_total, "people_4g_before": p0, "people_4g_after": p_after,
        "units_fiber_before": float(f0),
        "units_fiber_after": float(f0 + int(steps[f"{finest}s_with_fiber_after"].iloc[-1] - f0)
                                   if len(steps) else f0),
        "units": float(len(table)),
        "sites": float(len(sites)), "upgrades": float((sites["action"] == _KIND_WORDS["upgrade"])
                                                      .sum()) if len(sites) else 0.0,
        "links": float(len(links)), "cable_km": float(links["cable_km"].sum()) if len(links)
        else 0.0,
        "cost_sites": float(sites[f"cost_{cur}"].sum()) if len(sites) else 0.0,
        "cost_links": float(links[f"cost_{cur}"].sum()) if len(links) else 0.0,
        "villages_4g_table_before": float(tot_before[covered_column("villages", "4g_plus")]
                                          .iloc[0]),
    }
    # what the plan buys and what it costs, split: the recomputation's newly served
    totals["villages_newly_served"] = float(v_after - v0)
    totals["people_newly_served"] = p_after - p0
    totals["cost"] = totals["cost_sites"] + totals["cost_links"]
    totals["cost_fiber"] = totals["cost_links"]
    return steps, totals


# =========================================================================== tables
def _units_table(p: PlanResult, level: str) -> gpd.GeoDataFrame:
    if level not in p.levels:
        raise SchemaError(f"unknown level {level!r}; valid levels are {list(p.levels)}")
    pos = p.levels.index(level)
    keys = [c for lv in p.levels[: pos + 1] for c in (code_column(lv), name_column(lv))]
    code = code_column(level)
    finest = p.finest
    before = p.before.table(level)
    after = p.after.table(level)
    vc, pc = covered_column("villages", "4g_plus"), covered_column("population", "4g_plus")
    uw = units_with_column(finest, "4g_plus")
    fcol = f"{finest}s_with_fiber"
    out = pd.DataFrame(before[keys]).astype(str)
    out["villages"] = before["villages"].to_numpy()
    b = before.set_index(before[code].astype(str))
    a = after.set_index(after[code].astype(str)).reindex(b.index)
    for col, name in ((vc, "villages_4g"), (uw, f"{finest}s_with_4g")):
        if col in b.columns:
            out[f"{name}_before"] = b[col].to_numpy()
            out[f"{name}_after"] = a[col].to_numpy() if col in a.columns else np.nan
    # people: the villages' populations, before and after (the same measure on both sides)
    to_lv = _to_level(p, level)
    for when, res in (("before", p.before), ("after", p.after)):
        v = res.villages
        lv = to_lv.reindex(v["unit_code"].astype(str)).to_numpy()
        pop = np.nan_to_num(pd.to_numeric(v["population"], errors="coerce").to_numpy(float))
        four = np.isin(v["best_technology"].astype(str).to_numpy(), _FOUR_G)
        if when == "before":
            out["people"] = pd.Series(pop, index=lv).groupby(level=0).sum().reindex(
                out[code]).fillna(0.0).to_numpy()
        out[f"people_4g_{when}"] = pd.Series(np.where(four, pop, 0.0), index=lv).groupby(
            level=0).sum().reindex(out[code]).fillna(0.0).to_numpy()
    # the table's own population (a raster, ...) when both sides measured it the same way
    same = ("population_source" in b.columns and "population_source" in a.columns
            and b["population_source"].astype(str).equals(a["population_source"].astype(str)))
    if same and pc in b.columns:
        out["population"] = b["population"].to_numpy()
        out["population_4g_before"] = b[pc].to_numpy()
        out["population_4g_after"] = a[pc].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        for name, den in (("villages_4g", "villages"), ("people_4g", "people"),
                          ("population_4g", "population")):
            if f"{name}_before" in out.columns and den in out.columns:
                d = out[den].to_numpy(float)
                for when in ("before", "after"):
                    out[f"{name}_pct_{when}"] = np.round(np.where(
                        d > 0, 100.0 * out[f"{name}_{when}"].to_numpy(float) / d, np.nan), 2)
    # the plan in each unit: sites, links, cost; fiber after (units reached by a link)
    to_level = to_lv
    cur = p.currency.lower()
    for frame, name in ((p.sites, "sites"), (p.links, "links")):
        f_codes = frame[code_column(finest)].astype(str) if len(frame) else pd.Series([], dtype=str)
        lv_codes = to_level.reindex(f_codes).to_numpy()
        counts = pd.Series(1, index=lv_codes).groupby(level=0).sum() if len(frame) else pd.Series(
            dtype=float)
        costs = pd.Series(frame[f"cost_{cur}"].to_numpy(float) if len(frame) else [],
                          index=lv_codes).groupby(level=0).sum() if len(frame) else pd.Series(
            dtype=float)
        out[f"{name}_planned"] = counts.reindex(out[code]).fillna(0).astype(np.int64).to_numpy()
        out[f"_{name}_cost"] = costs.reindex(out[code]).fillna(0.0).to_numpy()
    out[f"plan_cost_{cur}"] = out.pop("_sites_cost") + out.pop("_links_cost")
    if fcol in b.columns:
        new_units = [u for u in p._fiber_units]
        had = set(p.before.table(finest).loc[
            p.before.table(finest)[fcol].fillna(0).to_numpy(float) > 0,
            code_column(finest)].astype(str))
        gained = pd.Series(1, index=to_level.reindex([u for u in new_units if u not in had])
                           .to_numpy()).groupby(level=0).sum() if new_units else pd.Series(
            dtype=float)
        out[f"{fcol}_before"] = b[fcol].to_numpy()
        out[f"{fcol}_after"] = (b[fcol].fillna(0).to_numpy(float)
                                + gained.reindex(out[code]).fillna(0).to_numpy()).astype(np.int64)
    geo = before[[code, "geometry"]].copy()
    geo[code] = geo[code].astype(str)
    merged = out.merge(pd.DataFrame(geo), on=code, how="left", sort=False)
    return gpd.GeoDataFrame(merged, geometry="geometry", crs=before.crs)


def _to_level(p: PlanResult, level: str) -> pd.Series:
    """Finest-unit code -> the code of its unit at ``level``."""
    units = p.before.units
    s = pd.Series(units[code_column(level)].astype(str).to_numpy(),
                  index=units[code_column(p.finest)].astype(str).to_numpy())
    return s[~s.index.duplicated()]


# =========================================================================== words
def _summary(p: PlanResult, lang: str = "en") -> str:
    """The plan's sentences in ``lang``: the catalogue's ``plan.*`` words, numbers as the
    language writes them (``vi``: "90 trạm BTS 4G mới ... đưa 4G đến 1.548/1.569 thôn")."""
    from . import locale as _locale
    from .priorities import _decimals, _fmt_money
    from .vocabulary import label, level_label

    def say(key: str, **fields: Any) -> str:
        return label(f"plan.{key}", lang, **fields)

    def num(x: float) -> str:
        return _locale.number(x, lang)

    def share(k: str, of: str) -> str:
        return _locale.percent(100.0 * t[k] / t[of] if t[of] else float("nan"), lang)

    t = p.totals
    n_sites = int(t["sites"])
    n_up = int(t["upgrades"])
    what = []
    if n_sites - n_up:
        what.append(say("new_site" if n_sites - n_up == 1 else "new_sites", n=num(n_sites - n_up)))
    if n_up:
        what.append(say("upgrade") if n_up == 1 else say("upgrades", n=num(n_up)))
    if t["links"]:
        what.append(say("fiber_km", km=num(t["cable_km"])))
    if not what:
        return say("nothing", n=num(t["villages_4g_before"]), total=num(t["villages"]),
                   pct=share("villages_4g_before", "villages"))
    horizon = p.costs.horizon_years
    years = _locale.number(horizon, lang, digits=_decimals(horizon))
    total = _fmt_money(t["cost_sites"] + t["cost_links"], p.currency, lang)
    if n_sites and t["links"]:  # both: what each part costs
        cost = say("cost_split", cost=total, years=years,
                   sites=_fmt_money(t["cost_sites"], p.currency, lang),
                   fiber=_fmt_money(t["cost_links"], p.currency, lang))
    else:
        cost = say("cost", cost=total, years=years)
    tail = []
    if n_sites or not t["links"]:
        tail.append(say("villages_4g", n=num(t["villages_4g_after"]), total=num(t["villages"]),
                        pct=share("villages_4g_after", "villages"),
                        before=share("villages_4g_before", "villages")))
    if t["links"]:
        more_f = int(t["units_fiber_after"] - t["units_fiber_before"])
        tail.append(say("fiber_unit" if more_f == 1 else "fiber_units", n=num(more_f),
                        level_lower=level_label(p.finest, lang=lang).lower(),
                        levels_lower=level_label(p.finest, plural=True, lang=lang).lower()))
    one = len(what) == 1 and (n_sites == 1 or not n_sites)
    listed = (say("list_sep").join(what[:-1]) + say("and") + what[-1] if len(what) > 1
              else what[0])
    parts = [say("sentence_one" if one else "sentence", what=listed, cost=cost,
                 tail=say("and").join(tail))]
    if n_sites:
        parts.append(say("people", n=num(t["people_4g_after"] - t["people_4g_before"]),
                         pct=share("people_4g_after", "people"),
                         before=share("people_4g_before", "people")))
    sel = p.selection
    if sel is not None and n_sites:
        parts.append(say("guarantee", method=_method_words(sel.method, lang),
                         bound=_locale.percent(100 * sel.bound, lang),
                         share=_locale.percent(100 * sel.certified_share, lang)))
    return " ".join(parts)


def _method_words(method: str, lang: str) -> str:
    """How the sites were chosen, in ``lang`` (a method the catalogue does not name: as is)."""
    from .locale import catalogue

    words = catalogue()
    keys = {v: k[len("plan.method."):] for k, v in words["en"].items()
            if k.startswith("plan.method.")}
    return words[lang][f"plan.method.{keys[method]}"] if method in keys else method


def _model(ctx: _PlanContext, p: PlanResult, *, sites: Any, budget: Any, fiber_to: Any,
           recompute: Any, resolution_m: float | None, lang: str = "en") -> pd.DataFrame:
    """The model sheet in ``lang`` (cost parameters keep their names, notes and sources
    their words)."""
    from .report import model_note

    rows: list[dict[str, str]] = []

    def w(key: str, **fields: Any) -> str:
        return _label(f"plan.model.{key}", lang, **fields)

    def num(x: float, spec: str) -> str:
        text = format(x, spec)
        sym = _locale.number_symbols(lang)
        marks: dict[int, str | int | None] = {ord(","): sym["group"], ord("."): sym["decimal"]}
        return text if lang == "en" else text.translate(marks)

    def add(section: str, key: str, value: Any, note: str = "") -> None:
        rows.append({"section": w(section), "key": key, "value": str(value), "note": note})

    md = ctx.result.metadata
    add("inputs", w("coverage"), md.get("title", ""),
        str(md.get("model", "")) if lang == "en" else model_note(ctx.result, lang))
    add("inputs", w("data_date"), md.get("data_date", ""))
    add("inputs", w("working_crs"), ctx.wcrs.name, w("working_crs_note"))
    add("asked", w("sites"), "" if sites is None else sites)
    add("asked", w("budget"), "" if budget is None else f"{num(budget, ',.0f')} {ctx.currency}",
        w("budget_note"))
    add("asked", w("fiber_to"), "" if fiber_to is None else (
        fiber_to if isinstance(fiber_to, (int, np.integer)) else ", ".join(map(str, fiber_to))))
    add("asked", w("objective"), p.objective, w(f"objective_{p.objective}"))
    add("sites", w("radius"), f"{ctx.r4g_m:g}", w("radius_note"))
    for what, count in ctx.candidates_info.items():
        add("sites", what, num(count, ","))
    sel = p.selection
    if sel is not None:
        add("sites", w("method"), sel.method)
        add("sites", w("guarantee"), w("guarantee_value", pct=num(100 * sel.bound, ".1f")),
            w("guarantee_note"))
        add("sites", w("value"), num(sel.value, ",.1f"), w("value_note",
                                                       objective=w(f"noun_{p.objective}")))
        add("sites", w("upper_bound"), num(sel.upper_bound, ",.1f"), w("upper_bound_note"))
        add("sites", w("certified"), f"{num(100 * sel.certified_share, '.1f')}%")
        add("sites", w("evaluations"), num(sel.evaluations, ","), w("evaluations_note"))
        for k, v in sel.alternatives.items():
            add("sites", w("alternative", name=k), num(v, ",.1f"))
    route = float(ctx.costs.get("fiber", "route_factor"))
    add("fiber", w("tree"), w("tree_value"))
    add("fiber", w("link_cap"), w("link_cap_value", km=num(ctx.costs.get("fiber", "max_km"), "g")),
        w("link_cap_note", straight=num(float(ctx.costs.get("fiber", "max_km")) / route, ",.1f"),
          factor=num(route, "g")))
    add("fiber", w("terrain"), w("terrain_dem")
        if ctx.priorities is not None and "slope_deg" in ctx.priorities.villages.columns
        and ctx.priorities.villages["slope_deg"].notna().any() else w("terrain_none"))
    add("fiber", w("fiber_to_n"), w("order_cheapest") if ctx.fiber_order == "cheapest"
        else w("order_remotest"))
    add("fiber", w("routes"), w("routes_roads") if ctx.roads is not None
        else w("routes_straight"))
    same = _recompute_settings(ctx.result, resolution_m)
    terrain = same.get("terrain")
    add("after", w("recomputation"), w("recompute_yours") if recompute is not None else
        w("recompute_default", operator=PLAN_OPERATOR, grid=num(same["resolution_m"], "g"),
          population=same.get("population") or w("as_before"),
          terrain=w("recompute_terrain", mode=same.get("terrain_mode", "los"),
                    source=terrain.source) if terrain is not None else ""))
    add("costs", w("currency"), ctx.currency)
    add("costs", w("horizon"), w("horizon_value", years=num(ctx.costs.horizon_years, "g")),
        w("horizon_note", factor=num(ctx.costs.opex_factor, ".4g")))
    for _, r in ctx.costs.to_frame().iterrows():  # the cost table's parameters
        add("costs", f"{r['section']}.{r['key']}", f"{r['value']} {r['unit']}".strip(),
            r["source"])
    for number, text in enumerate(p.notes, 1):
        add("notes", w("note", k=number), text)
    return pd.DataFrame(rows, columns=["section", "key", "value", "note"])
