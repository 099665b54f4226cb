"""The national report workbook: geocov's writer against the openpyxl path it replaced.

    python bench/bench_report.py                  # scale 1.0: ~10,600 communes, 4 operators
    python bench/bench_report.py --scale 0.1 --repeat 3
    python bench/bench_report.py --skip-openpyxl  # the new writer only

The synthetic country of ``bench/synthetic.py`` is read with the readers of
``bench/run_bench.py`` and its coverage computed once; the result is pickled in
``bench/results/`` and reused (``--refresh`` recomputes it). Then, timed separately:

* ``tables``: every level's table and per-operator table (``result.table``,
  ``result.operator_table``), which every output needs;
* ``openpyxl (before)``: the workbook as geocov wrote it before (``pandas.ExcelWriter``
  with openpyxl: one sheet per table, per operator table, summary and model; raw column
  names, General format);
* ``report workbook (after)``: :func:`geocov.report.write_report` (summary sheet, one
  sheet per level and per level by operator with headers, formats, filters, Columns);
* ``all outputs (after)``: :func:`geocov.report.write_result` (CSV, GeoPackage,
  workbook, manifest with checksums), staged and renamed into place.

Wall time, peak RSS and file sizes are printed and appended to
``bench/results/bench_report.jsonl``.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run_bench import GIB, RssSampler, read_inputs  # noqa: E402
from synthetic import RESULTS, make_country  # noqa: E402


def national_result(scale: float, seed: int, refresh: bool):
    """The coverage result of the synthetic country (pickled once, then reused)."""
    import geocov

    cache = RESULTS / f"report_result_s{scale:g}_seed{seed}.pkl"
    if cache.is_file() and not refresh:
        try:
            with open(cache, "rb") as f:
                return pickle.load(f), "cached"
        except Exception as exc:  # noqa: BLE001 - a stale pickle is recomputed
            print(f"cached result unusable ({exc}); recomputing")
    case = make_country(scale, seed)
    units, villages, stations, fiber, _ = read_inputs(case["paths"])
    result = geocov.coverage(units, villages=villages, stations=stations, fiber=fiber,
                             population=case["paths"]["population"], data_date="2024-12-31",
                             title=f"Synthetic country (scale {scale:g})")
    result._cache.clear()
    cache.parent.mkdir(parents=True, exist_ok=True)
    with open(cache, "wb") as f:
        pickle.dump(result, f, protocol=pickle.HIGHEST_PROTOCOL)
    return result, "computed"


def openpyxl_workbook(result, tables, ops, path: Path) -> Path:
    """The workbook as ``geocov.io.write_tables`` wrote it before (pandas + openpyxl)."""
    import pandas as pd

    sheets = {lv: pd.DataFrame(t.drop(columns="geometry")) for lv, t in tables.items()}
    sheets.update({f"{lv}_by_operator": t for lv, t in ops.items()})
    sheets["summary"] = pd.DataFrame({"summary": [result.summary()]})
    sheets["model"] = pd.DataFrame({"key": list(result.metadata),
                                    "value": [str(v) for v in result.metadata.values()]})
    with pd.ExcelWriter(path, engine="openpyxl") as xl:
        for name, frame in sheets.items():
            frame.to_excel(xl, sheet_name=name[:31], index=False)
    return path


def timed(sampler: RssSampler, fn, *args):
    t0 = time.perf_counter()
    out = fn(*args)
    t1 = time.perf_counter()
    return out, t1 - t0, sampler.peak(t0, t1) / GIB


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=1945)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--refresh", action="store_true", help="recompute the coverage result")
    ap.add_argument("--skip-openpyxl", action="store_true", help="time the new writer only")
    args = ap.parse_args()

    from geocov.report import report_sheets, write_report, write_result

    t = time.perf_counter()
    result, how = national_result(args.scale, args.seed, args.refresh)
    print(f"coverage result, scale {args.scale:g} ({how}, {time.perf_counter() - t:.1f} s): "
          f"{len(result.table('commune')):,} communes, {len(result.operators)} operators")
    cells = sum(len(s.columns) * s.n_rows for s in report_sheets(result))
    print(f"report workbook: {cells:,} data cells")
    runs = []
    for i in range(args.repeat):
        result._cache.clear()
        sampler = RssSampler()
        sampler.start()
        row = {}
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            (tables, ops), s, rss = timed(
                sampler, lambda: ({lv: result.table(lv) for lv in result.levels},
                                  {lv: result.operator_table(lv) for lv in result.levels}))
            row["tables"] = (s, rss, None)
            if not args.skip_openpyxl:
                p, s, rss = timed(sampler, openpyxl_workbook, result, tables, ops,
                                  folder / "before.xlsx")
                row["openpyxl (before)"] = (s, rss, p.stat().st_size)
            p, s, rss = timed(sampler, write_report, result, folder / "report.xlsx")
            row["report workbook (after)"] = (s, rss, p.stat().st_size)
            _, s, rss = timed(sampler, write_result, result, folder / "all")
            size = sum(f.stat().st_size for f in (folder / "all").iterdir())
            row["all outputs (after)"] = (s, rss, size)
        sampler.stop()
        print(f"\nrun {i + 1}/{args.repeat}")
        print(f"  {'step':<26} {'seconds':>8} {'peak RSS GiB':>13} {'MB':>8}")
        for name, (s, rss, size) in row.items():
            mb = f"{size / 1e6:8.1f}" if size else " " * 8
            print(f"  {name:<26} {s:>8.2f} {rss:>13.2f} {mb}")
        runs.append({k: {"seconds": v[0], "peak_rss_gib": v[1], "bytes": v[2]}
                     for k, v in row.items()})
    record = {"time": time.strftime("%Y-%m-%dT%H:%M:%S"), "scale": args.scale,
              "cells": cells, "cpus": os.cpu_count(), "python": platform.python_version(),
              "runs": runs}
    RESULTS.mkdir(parents=True, exist_ok=True)
    with open(RESULTS / "bench_report.jsonl", "a") as f:
        f.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
