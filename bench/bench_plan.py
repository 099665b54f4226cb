"""Benchmark: the rollout plan (:func:`geocov.plan.plan`) at national scale.

The synthetic country of ``bench/synthetic.py`` (scale 1: ~80,000 villages, 100,000 station
rows, ~9,100 fiber routes) is read with the public readers, its coverage computed on a
coarse grid (``--resolution-m``, default 1,000 m: the plan reads village points) and its
priority list computed once (the candidates' costs). Then, timed:

* the numeric core alone: the sparse candidate-to-village matrix (STRtree) and the lazy
  greedy for ``--sites`` (default 1,000) sites, and for a budget;
* the whole ``plan(result, sites=1000, fiber_to=20, priorities=...)``: candidates, choice,
  fiber tree, plan table and the coverage recomputed with the planned sites;
* the exact solver (CBC via PuLP) on ``--exact-candidates`` candidates (default 300: those
  nearest the candidate serving most people, a compact region where candidates overlap)
  against the greedy on the same subset, for several numbers of sites: seconds, and how
  close the greedy comes.

    python bench/bench_plan.py                   # scale 1
    python bench/bench_plan.py --scale 0.1

Prints the figures and appends one JSON line to ``bench/results/bench_plan.jsonl``.
Targets (issue 10): a 1,000-site national plan in under a minute; the exact solver on a
few hundred candidates in seconds.
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
import sys
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
from run_bench import read_and_cover  # noqa: E402 - the national bench's readers
from synthetic import RESULTS, make_country  # noqa: E402

TARGET_S = 60.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=1945)
    ap.add_argument("--resolution-m", type=float, default=1000.0)
    ap.add_argument("--sites", type=int, default=1000)
    ap.add_argument("--fiber-to", type=int, default=20)
    ap.add_argument("--exact-candidates", type=int, default=300)
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)

    import numpy as np

    import geocov
    from geocov.plan import CoverMatrix, _candidates, _PlanContext, exact_sites, greedy_sites
    from geocov.plan import plan as make_plan

    paths = make_country(args.scale, args.seed)["paths"]
    result, read_s, coverage_s = read_and_cover(paths, args.resolution_m)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", geocov.GeocovWarning)
        t = time.perf_counter()
        prio = geocov.priorities(result)
        prio_s = time.perf_counter() - t
    n_v = len(result.villages)
    print(f"read {read_s:.1f} s; coverage ({args.resolution_m:g} m grid) {coverage_s:.1f} s; "
          f"priorities {prio_s:.1f} s; {n_v:,} villages, {len(result.stations):,} stations")

    # ---- the numeric core: matrix + lazy greedy
    ctx = _PlanContext.build(result, sites=args.sites, budget=None, fiber_to=None,
                             objective="people", method="greedy", candidates=None, costs=None,
                             currency=None, radius_m=None, priorities=prio)
    ctx.priorities = prio
    cand = _candidates(ctx, None, include_villages=True, include_upgrades=True, notes=[])
    need = np.flatnonzero(~ctx.v_served)
    t = time.perf_counter()
    m = CoverMatrix.from_points(cand.xy, ctx.v_xy[need], ctx.r4g_m)
    matrix_s = time.perf_counter() - t
    w = ctx.weights()[need]
    t = time.perf_counter()
    g = greedy_sites(m, w, costs=cand.cost, sites=args.sites)
    greedy_s = time.perf_counter() - t
    budget = float(np.sort(cand.cost)[: args.sites].sum())
    t = time.perf_counter()
    b = greedy_sites(m, w, costs=cand.cost, budget=budget)
    budget_s = time.perf_counter() - t
    print(f"candidates {len(cand.xy):,} ({ctx.candidates_info}); villages without 4G "
          f"{len(need):,}; matrix {m.nnz:,} entries in {matrix_s:.2f} s")
    print(f"greedy {args.sites:,} sites: {greedy_s:.2f} s ({g.evaluations:,} gain evaluations), "
          f"{g.value:,.0f} people, certified >= {100 * g.certified_share:.1f}% of the optimum")
    print(f"budget {budget:,.0f} USD: {budget_s:.2f} s, {len(b.chosen):,} sites ({b.method}), "
          f"{b.value:,.0f} people, certified >= {100 * b.certified_share:.1f}%")

    # ---- the whole plan (with the recomputation)
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", geocov.GeocovWarning)
        p = make_plan(result, sites=args.sites, fiber_to=args.fiber_to, priorities=prio,
                      recompute_resolution_m=args.resolution_m)
    plan_s = time.perf_counter() - t
    print(f"plan(sites={args.sites}, fiber_to={args.fiber_to}): {plan_s:.1f} s "
          f"-> {'OK' if plan_s < TARGET_S else 'OVER'} the {TARGET_S:g} s target")
    print("  " + p.summary())

    # ---- exact vs greedy on a subset of candidates
    # a compact region (the candidates nearest the one serving most people), so that the
    # candidates overlap and the choice is not trivial
    gain0 = m.row_sums(w)
    centre = cand.xy[int(np.argmax(gain0))]
    dist = np.hypot(cand.xy[:, 0] - centre[0], cand.xy[:, 1] - centre[1])
    top = np.argsort(dist, kind="stable")[: args.exact_candidates]
    sub = m.subset(top)
    exact_runs = []
    for k in (5, 10, 20, 40, 80):
        t = time.perf_counter()
        e = exact_sites(sub, w, sites=k)
        e_s = time.perf_counter() - t
        gk = greedy_sites(sub, w, costs=cand.cost[top], sites=k)
        ratio = gk.value / e.value if e.value else 1.0
        exact_runs.append({"sites": k, "exact_s": round(e_s, 2), "exact": e.value,
                           "greedy": gk.value, "ratio": round(ratio, 5)})
        print(f"exact on {len(top)} candidates, {k} sites: {e_s:.2f} s; greedy/exact = "
              f"{ratio:.4f}")
    line = {"bench": "plan", "scale": args.scale, "seed": args.seed, "villages": n_v,
            "candidates": len(cand.xy), "matrix_nnz": m.nnz, "read_s": round(read_s, 2),
            "coverage_s": round(coverage_s, 2), "priorities_s": round(prio_s, 2),
            "matrix_s": round(matrix_s, 3), "greedy_s": round(greedy_s, 3),
            "greedy_sites": args.sites, "evaluations": g.evaluations,
            "certified_share": round(g.certified_share, 4), "budget_s": round(budget_s, 3),
            "plan_s": round(plan_s, 2), "exact": exact_runs, "machine": platform.platform(),
            "time": time.strftime("%Y-%m-%dT%H:%M:%S")}
    RESULTS.mkdir(parents=True, exist_ok=True)
    with open(RESULTS / "bench_plan.jsonl", "a", encoding="utf-8") as fh:
        fh.write(json.dumps(line) + "\n")


if __name__ == "__main__":
    main()
