"""Shared test helpers: where the real data lives, and skipping cleanly when it is absent.

Real files (``/work/shared/data`` on the team machines) are located by

1. the environment variable ``GEOCOV_SHARED_DATA``, else
2. ``<repo>/../shared/data``.

Use the ``shared_data`` fixture (a :class:`pathlib.Path`, the test is skipped when the
folder is absent) and mark such tests ``@pytest.mark.realdata`` so that ``-m "not realdata"``
deselects them.  A ``realdata`` test is also skipped when the folder is absent, even if it
does not use the fixture.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if shared_data_dir() is not None:
        return
    skip = pytest.mark.skip(reason=_absent_reason())
    for item in items:
        if "realdata" in item.keywords:
            item.add_marker(skip)
