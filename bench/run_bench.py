"""National-scale benchmark of ``geocov.coverage`` on the synthetic country.

    python bench/run_bench.py                 # scale 1.0: ~10,600 communes, 100k stations
    python bench/run_bench.py --scale 0.1 --repeat 3

Generates the case (cached in bench/results/), reads it through the public readers, then
times ``geocov.coverage(units, villages=..., stations=..., fiber=..., population=<tif>)``.
Wall time and peak RSS are reported per stage (``result.timings``); a background thread
samples VmRSS from /proc/self/status every 20 ms and the samples are mapped to stages by
the cumulative stage times.  One JSON line per run is appended to bench/results/bench.jsonl.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import platform
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic import RESULTS, make_country  # noqa: E402

GIB = 1024**3


class RssSampler(threading.Thread):
    """Samples the resident set size (bytes) of this process every ``interval_s``."""

    def __init__(self, interval_s: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.interval_s = interval_s
        self.samples: list[tuple[float, int]] = []
        self._stop_event = threading.Event()

    @staticmethod
    def rss() -> int:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        return 0

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.samples.append((time.perf_counter(), self.rss()))
            time.sleep(self.interval_s)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()
        self.samples.append((time.perf_counter(), self.rss()))

    def peak(self, t0: float, t1: float) -> int:
        inside = [r for t, r in self.samples if t0 <= t <= t1]
        if inside:
            return max(inside)
        # a stage shorter than the interval: the sample nearest its end
        return min(self.samples, key=lambda s: abs(s[0] - t1))[1] if self.samples else 0


def read_inputs(paths: dict[str, Path]):
    """Read the synthetic files through geocov's public readers (lenient mode)."""
    import pandas as pd

    import geocov

    rejects = geocov.RejectsReport()
    units = geocov.read_units(
        paths["units"], layer="communes",
        levels={"province": "province_name", "district": "district_name",
                "commune": "commune_name"},
        codes={"province": "province_code", "district": "district_code",
               "commune": "commune_code"},
        population="population", rejects=rejects,
    )
    villages = geocov.read_villages(paths["villages"], rejects=rejects)
    stations = geocov.read_stations(paths["stations"], rejects=rejects)
    fiber = pd.concat([geocov.read_fiber(paths["fiber"], layer=layer, rejects=rejects)
                       for layer in ("routes", "nodes")], ignore_index=True)
    return units, villages, stations, fiber, rejects


def read_and_cover(paths: dict[str, Path], resolution_m: float):
    """Read the files and compute coverage, geocov's warnings silenced (the benches that
    build on a coverage result: priorities, plan).  Returns ``(result, read_s, coverage_s)``."""
    import time
    import warnings

    import geocov

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", geocov.GeocovWarning)
        t = time.perf_counter()
        units, villages, stations, fiber, _ = read_inputs(paths)
        read_s = time.perf_counter() - t
        t = time.perf_counter()
        result = geocov.coverage(units, villages=villages, stations=stations, fiber=fiber,
                                 resolution_m=resolution_m)
    return result, read_s, time.perf_counter() - t


def run_once(paths: dict[str, Path], resolution_m: float) -> dict:
    import geocov

    sampler = RssSampler()
    sampler.start()
    stages: list[tuple[str, float, float]] = []  # (name, start, end) in perf_counter time
    t = time.perf_counter()
    units, villages, stations, fiber, rejects = read_inputs(paths)
    stages.append(("read (readers)", t, time.perf_counter()))
    kwargs = dict(villages=villages, stations=stations, fiber=fiber,
                  population=paths["population"])
    if "resolution_m" in inspect.signature(geocov.coverage).parameters:
        kwargs["resolution_m"] = resolution_m
    t_cov = time.perf_counter()
    result = geocov.coverage(units, **kwargs)
    t_end = time.perf_counter()
    sampler.stop()
    cursor = t_cov
    for name, seconds in getattr(result, "timings", {}).items():
        stages.append((name, cursor, cursor + seconds))
        cursor += seconds
    rows = [{"stage": n, "seconds": e - s, "peak_rss_gib": sampler.peak(s, e) / GIB}
            for n, s, e in stages]
    return {
        "stages": rows,
        "coverage_s": t_end - t_cov,
        "coverage_peak_rss_gib": sampler.peak(t_cov, t_end) / GIB,
        "total_s": t_end - stages[0][1],
        "peak_rss_gib": max(r for _, r in sampler.samples) / GIB,
        "rejected_rows": len(rejects),
        "units": len(units), "villages": len(villages), "stations": len(stations),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description="geocov national-scale coverage benchmark")
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--resolution-m", type=float, default=100.0)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1945)
    args = ap.parse_args()

    case = make_country(args.scale, args.seed)
    meta = case["meta"]
    how = "cached" if case["cached"] else "generated"
    print(f"synthetic country, scale {args.scale:g} ({how}):")
    print("  " + ", ".join(f"{k} {v:,}" for k, v in meta["counts"].items()
                           if isinstance(v, int)))
    print("  generation " + ", ".join(f"{k} {v:.1f} s" for k, v in meta["generation_s"].items()))
    print("  files " + ", ".join(f"{k} {v / 1e6:.1f} MB" for k, v in meta["sizes_bytes"].items()))
    record = {"time": time.strftime("%Y-%m-%dT%H:%M:%S"), "scale": args.scale,
              "resolution_m": args.resolution_m, "cpus": os.cpu_count(),
              "python": platform.python_version(), "generation": meta}
    try:
        import geocov
        geocov.coverage  # noqa: B018 - raises AttributeError/ImportError when absent
    except (ImportError, AttributeError) as exc:
        print(f"geocov.coverage is not available ({exc}); generation figures only")
        runs = []
    else:
        runs = []
        for i in range(args.repeat):
            run = run_once(case["paths"], args.resolution_m)
            runs.append(run)
            print(f"\nrun {i + 1}/{args.repeat}")
            print(f"  {'stage':<22} {'seconds':>8} {'peak RSS GiB':>13}")
            for row in run["stages"]:
                print(f"  {row['stage']:<22} {row['seconds']:>8.2f} {row['peak_rss_gib']:>13.2f}")
            print(f"  {'coverage total':<22} {run['coverage_s']:>8.2f} "
                  f"{run['coverage_peak_rss_gib']:>13.2f}")
            print(f"  {'read + coverage':<22} {run['total_s']:>8.2f} {run['peak_rss_gib']:>13.2f}")
            ok = run["coverage_s"] < 30 and run["coverage_peak_rss_gib"] < 4
            print(f"  target (coverage < 30 s, < 4 GiB): {'met' if ok else 'NOT met'}")
    record["runs"] = runs
    RESULTS.mkdir(parents=True, exist_ok=True)
    with open(RESULTS / "bench.jsonl", "a") as f:
        f.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
