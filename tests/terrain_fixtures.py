"""Terrain built by hand for the terrain tests: DEMs from arrays in UTM 48N, rough fractal
relief, and a fixture that empties the viewshed cache around each test."""

from __future__ import annotations

import math

import numpy as np
import pytest
from affine import Affine

from geocov import terrain as T

UTM = "EPSG:32648"
KR = 4.0 / 3.0 * T.EARTH_RADIUS_M  # effective earth radius, m
HORIZON_30_15 = math.sqrt(2 * KR * 30.0) + math.sqrt(2 * KR * 1.5)  # 27,624 m


def make_dem(z, cell: float = 50.0, origin: tuple[float, float] = (0.0, 0.0)) -> T.DEM:
    """A DEM in UTM 48N whose south-west corner is ``origin`` (metres)."""
    z = np.asarray(z, dtype=float)
    x0, y0 = origin
    return T.DEM.from_array(z, Affine(cell, 0, x0, 0, -cell, y0 + z.shape[0] * cell), UTM)


def fractal(n: int, seed: int, relief: float = 400.0) -> np.ndarray:
    """Rough terrain: octaves of upsampled noise (n a power of two), 0..relief metres."""
    rng = np.random.default_rng(seed)
    z = rng.random((4, 4))
    amp = 1.0
    while z.shape[0] < n:
        z = np.kron(z, np.ones((2, 2)))
        z = (z + np.roll(z, 1, 0) + np.roll(z, 1, 1) + np.roll(np.roll(z, 1, 0), 1, 1)) / 4
        amp /= 1.8
        z = z + amp * rng.random(z.shape)
    z = z[:n, :n]
    return relief * (z - z.min()) / (z.max() - z.min())


@pytest.fixture(autouse=True)
def fresh_viewshed_cache():
    """Each test starts and ends with an empty viewshed cache."""
    T.clear_cache()
    yield
    T.clear_cache()
