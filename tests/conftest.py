"""Shared test helpers: where the real data lives, and skipping cleanly when it is absent.

Real files (``/work/shared/data`` on the team machines) are located by

1. the environment variable ``GEOCOV_SHARED_DATA``, else
2. ``<repo>/../shared/data``.

Use the ``shared_data`` fixture (a :class:`pathlib.Path`, the test is skipped when the
folder is absent) and mark such tests ``@pytest.mark.realdata`` so that ``-m "not realdata"``
deselects them.  A ``realdata`` test is also skipped when the folder is absent, even if it
does not use the fixture.

The shipped sample province's coverage result is computed once for the whole run: use the
``sample_result`` fixture (and do not modify it) rather than running the analysis again.
"""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA_ENV = "GEOCOV_SHARED_DATA"


def _candidate() -> Path:
    env = os.environ.get(SHARED_DATA_ENV)
    return Path(env) if env else REPO.parent / "shared" / "data"


def shared_data_dir() -> Path | None:
    """The shared data folder, or ``None`` when it is not on this machine."""
    path = _candidate()
    return path if path.is_dir() else None


def _absent_reason() -> str:
    return (f"shared data not found at {_candidate()} (set {SHARED_DATA_ENV} to the folder "
            f"holding boundaries/, population/, ...)")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path of the shared real-data folder; skips the test when it is absent."""
    path = shared_data_dir()
    if path is None:
        pytest.skip(_absent_reason())
    return path


def _frames_fingerprint(obj: object) -> dict[str, int]:
    """A hash of each DataFrame attribute of ``obj`` (geometry as WKB), to detect changes."""
    out = {}
    for name, value in getattr(obj, "__dict__", {}).items():
        if isinstance(value, pd.DataFrame):
            plain = pd.DataFrame(value).copy()
            for col in plain.columns:
                if isinstance(plain[col].dtype, gpd.array.GeometryDtype):
                    plain[col] = shapely.to_wkb(plain[col].to_numpy(), hex=True)
            out[name] = int(pd.util.hash_pandas_object(plain, index=True).sum())
    return out


@pytest.fixture(scope="session")
def sample_result():
    """The :class:`geocov.CoverageResult` of the shipped sample province, computed once.

    Shared by every test of the run, so read it only: ``table()`` and ``operator_table()``
    return copies, but its frames (``units``, ``villages``, ``stations``...) are the shared
    objects themselves. The fixture fails at the end of the run if any of them changed.
    """
    import geocov

    result = geocov.run_analysis(geocov.sample_paths()["analysis"])
    before = _frames_fingerprint(result)
    yield result
    after = _frames_fingerprint(result)
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    if changed:
        pytest.fail(f"a test modified the shared sample_result: {changed} (copy before editing)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if shared_data_dir() is not None:
        return
    skip = pytest.mark.skip(reason=_absent_reason())
    for item in items:
        if "realdata" in item.keywords:
            item.add_marker(skip)
