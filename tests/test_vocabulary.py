"""geocov.vocabulary: the words every module takes, checked against what the modules do."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st
from result_fixtures import small_result

from geocov.errors import SchemaError
from geocov.stations import covering_pairs, station_footprints
from geocov.vocabulary import (
    LAYERS,
    CoverageLike,
    UnknownLevelError,
    check_level,
    covered_column,
    is_sector,
    metric_columns,
    pct_column,
    result_levels,
    unit_levels,
)


def test_tables_are_written_in_the_vocabulary():
    result = small_result()
    ids = ["province_code", "province_name", "district_code", "district_name"]
    for level in ("district", "total"):
        table = result.table(level)
        metrics = [c for c in table.columns if c not in (*ids, "level", "name", "geometry")]
        # every metric column is a vocabulary column, in vocabulary order
        assert metrics == [c for c in metric_columns("commune") if c in metrics]
    commune = result.table("commune")
    for layer in LAYERS:
        for measure in ("area", "villages", "population"):
            assert covered_column(measure, layer) in commune
            assert pct_column(measure, layer) in commune
    # outside stations are only counted on the total row
    outside = [c for c in metric_columns("commune") if c.startswith("stations_outside_")]
    assert set(outside) <= set(result.table("total").columns)
    assert not set(outside) & set(commune.columns)
    with pytest.raises(SchemaError, match="measure='signal' is not valid"):
        covered_column("signal", "4g")


def test_unit_levels_from_attrs_the_table_has():
    t = pd.DataFrame(
        {
            "district_code": ["D1", "D2", "D2"],
            "district_name": ["a", "b", "b"],
            "province_code": ["P", "P", "P"],
            "province_name": ["p", "p", "p"],
        }
    )
    t.attrs["geocov_levels"] = ("province", "district", "commune")  # a district table
    assert unit_levels(t) == ("province", "district")
    t.attrs = {}
    assert unit_levels(t) == ("province", "district")  # fewest distinct codes first
    codes_only = t[["district_code", "province_code"]]
    assert unit_levels(codes_only, names=False) == ("province", "district")
    with pytest.raises(SchemaError, match="no <level>_code/<level>_name column pairs"):
        unit_levels(codes_only)


def test_result_levels_and_check_level():
    result = small_result()
    assert result_levels(result) == ["province", "district", "commune"]
    assert isinstance(result, CoverageLike)
    with pytest.raises(UnknownLevelError, match="'ward' is not a level of these units") as e:
        check_level("ward", result_levels(result))
    assert e.value.valid == ("province", "district", "commune")


@given(
    azimuth=st.floats(0, 359.9) | st.just(math.nan),
    beamwidth=st.floats(1, 359.9) | st.sampled_from([math.nan, 360.0, 400.0]),
)
def test_one_idea_of_a_sector(azimuth, beamwidth):
    """Exact coverage and footprint polygons agree with is_sector on what a sector is.

    A point at half the radius straight behind the antenna is covered by a disc, never by
    a sector (its beamwidth is below 360°).
    """
    sector = bool(is_sector([azimuth], [beamwidth])[0])
    behind = math.radians((0.0 if math.isnan(azimuth) else azimuth) + 180.0)
    point = np.array([[500.0 * math.sin(behind), 500.0 * math.cos(behind)]])
    pairs = covering_pairs(
        point, np.zeros((1, 2)), np.array([1000.0]), np.array([azimuth]), np.array([beamwidth])
    )
    assert (len(pairs[0]) == 1) == (not sector)
    stations = gpd.GeoDataFrame(
        {
            "technology": ["4G"],
            "range_m": [1000.0],
            "azimuth_deg": [azimuth],
            "beamwidth_deg": [beamwidth],
        },
        geometry=[shapely.Point(500_000.0, 2_400_000.0)],
        crs=32648,
    )
    footprint = station_footprints(stations, crs=32648).geometry.iloc[0]
    p = shapely.Point(500_000.0 + point[0, 0], 2_400_000.0 + point[0, 1])
    assert footprint.contains(p) == (not sector)
