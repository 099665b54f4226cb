"""geocov.costs (the cost table) and geocov.priorities.read_programme_attributes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from priority_fixtures import X0, Y0, by_code, strip_result

import geocov
from geocov.costs import present_value_factor, read_costs
from geocov.errors import DataSourceError, SchemaError
from geocov.priorities import priorities, read_programme_attributes


def test_defaults_by_hand():
    c = read_costs()
    assert c.currency == "USD" and c.opex_factor == 10
    assert c.site("new_site") == (42_500, 3_000) and c.site("upgrade") == (22_500, 1_500)
    assert c.satellite() == pytest.approx((800, 20 * 309.91 + 80))
    f = c.fiber([0.0, 10.0, 45.0], slope_deg=[np.nan, 15.0, 35.0])
    assert f["length_km"].tolist() == pytest.approx([0, 12, 54])
    assert f["multiplier"].tolist() == [1.0, 1.25, 2.0]
    assert f["capex"].tolist() == pytest.approx([500, 500 + 5_500 * 12 * 1.25,
                                                 500 + 5_500 * 54 * 2])
    assert f["feasible"].tolist() == [True, True, False]
    mw = c.microwave([0.0, 20.0, 20.1, 50.0, 50.1])
    assert mw["capex"][:4].tolist() == [20_000, 20_000, 30_000, 60_000]
    assert np.isnan(mw["capex"][4]) and mw["distance_class"].tolist() == [0, 0, 1, 2, -1]
    assert c.microwave_class_labels() == ["up to 20 km", "20-40 km", "40-50 km"]


def test_present_value_factor():
    assert present_value_factor(10, 0) == 10
    assert present_value_factor(3, 5) == pytest.approx(1 / 1.05 + 1 / 1.05**2 + 1 / 1.05**3)
    assert present_value_factor(2.5, 10) == pytest.approx(1 / 1.1 + 1 / 1.21 + 0.5 / 1.331)
    c = read_costs(overrides={"general": {"discount_rate_pct": 5, "horizon_years": 3}})
    assert c.lifetime(100, 10).item() == pytest.approx(100 + 10 * present_value_factor(3, 5))


def test_user_table_in_vnd_merges_over_the_defaults(tmp_path):
    path = tmp_path / "costs.toml"
    path.write_text('[general]\ncurrency = "VND"\nusd_to_vnd = 25000\n'
                    '[fiber]\ncapex_per_km = 150000000\nroute_factor = 1.1\n',
                    encoding="utf-8")
    c = read_costs(path)
    assert c.currency == "VND" and c.files[-1] == str(path)
    assert c.get("fiber", "capex_per_km") == 150e6  # as given
    assert c.get("new_site", "capex") == 42_500 * 23_942  # a default, at the default's rate
    usd = c.convert("USD")
    assert usd.get("fiber", "capex_per_km") == pytest.approx(150e6 / 25_000)
    assert usd.get("fiber", "route_factor") == 1.1  # not money: unchanged
    assert usd.convert("USD") is usd


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"towers": {"capex": 1}}, r"unknown section\(s\) \['towers'\]"),
        ({"fiber": {"cost": 1}}, r"unknown key\(s\) \['cost'\] in \[fiber\]"),
        ({"fiber": {"capex_per_km": -5}}, r"\[fiber\] capex_per_km must be an amount >= 0"),
        ({"fiber": {"route_factor": 0.9}}, r"\[fiber\] route_factor must be >= 1"),
        ({"microwave": {"class_capex": [1, 2]}},
         r"\[microwave\] class_max_km and class_capex must have the same length"),
        ({"terrain": {"slope_deg": [10, 5, 30]}}, r"\[terrain\] slope_deg must increase"),
        ({"terrain": {"multipliers": [1, 2]}}, r"\[terrain\] multipliers must have one more"),
        ({"general": {"currency": "EUR"}}, r"\[general\] currency 'EUR' is not valid"),
    ],
)
def test_bad_tables(table, message):
    with pytest.raises(SchemaError, match=message):
        read_costs(table)


def test_bad_files(tmp_path):
    with pytest.raises(DataSourceError, match=r"missing.toml: cost table not found\. Pass "
                       r"read_costs\('my_costs.toml'\)"):
        read_costs(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[fiber\n", encoding="utf-8")
    with pytest.raises(SchemaError, match=r"bad.toml: not valid TOML"):
        read_costs(bad)


@settings(max_examples=40, deadline=None)
@given(d=st.floats(0, 200), slope=st.floats(0, 60), extra=st.floats(0, 50))
def test_fiber_cost_grows_with_distance_and_slope(d, slope, extra):
    c = read_costs()
    a = c.fiber(d, slope)
    b = c.fiber(d + extra, slope + extra)
    assert b["capex"] >= a["capex"] - 1e-9 and b["opex_per_year"] >= a["opex_per_year"] - 1e-9
    assert a["feasible"] == (1.2 * d <= 50)


# --------------------------------------------------------------------------- attributes
def test_attributes_errors_name_file_row_column_and_value(tmp_path):
    path = tmp_path / "thon.csv"
    pd.DataFrame({"Mã thôn": ["01", "02", "03"], "Có điện": ["có", "chắc có", ""]}).to_csv(
        path, index=False)
    with pytest.raises(SchemaError, match=r"thon.csv: 1 row\(s\) in column 'Có điện': not a "
                       r"yes/no value for has_power: row 3 \('chắc có'\)\. Write có/không"):
        read_programme_attributes(path)
    rejects = geocov.RejectsReport()
    a = read_programme_attributes(path, rejects=rejects)
    assert a["village_code"].tolist() == ["01", "03"]
    assert pd.isna(a.loc[1, "has_power"])  # blank: unknown, kept
    assert rejects.summary()[["rows_read", "rows_rejected", "rows_used"]].values.tolist() == [
        [3, 1, 2]]


def test_attributes_without_flag_columns_or_codes():
    with pytest.raises(SchemaError, match=r"no programme attribute column .* Columns present: "
                       r"\['Mã thôn', 'Tên'\]"):
        read_programme_attributes(pd.DataFrame({"Mã thôn": ["1"], "Tên": ["a"]}))
    with pytest.raises(SchemaError, match=r"required column\(s\) \['unit_code'\] not found"):
        read_programme_attributes(pd.DataFrame({"Có điện": ["có"]}), level="unit")
    with pytest.raises(SchemaError, match=r"duplicate village_code"):
        read_programme_attributes(pd.DataFrame({"code": ["1", "1"], "dien": ["có", "không"]}))
    with pytest.raises(SchemaError, match="level='ward' is not valid"):
        read_programme_attributes(pd.DataFrame({"code": ["1"]}), level="ward")


def test_attribute_spellings():
    t = pd.DataFrame({"MÃ XÃ": ["c1", "c2", "c3"], "Xã ĐBKK": ["x", "", "x"],
                      "Biên giới": ["Có", "Không", None]})
    a = read_programme_attributes(t, level="unit")
    assert a["unit_code"].tolist() == ["c1", "c2", "c3"]
    assert a["difficult"].tolist() == [True, False, True]  # a column of marks: blank is no
    assert a["border"].astype(object).tolist()[:2] == [True, False]
    assert pd.isna(a.loc[2, "border"])
    assert a.attrs["geocov_attributes"] == {"difficult": "Xã ĐBKK",
                                            "border": "Biên giới"}


# --------------------------------------------------------------------------- population
def test_population_within_from_a_raster(tmp_path):
    import rasterio
    from rasterio.transform import from_origin

    # 100 m pixels of 1 person each around village A (5 km, 5 km): a 1 km disc holds ~314
    path = tmp_path / "pop.tif"
    with rasterio.open(path, "w", driver="GTiff", width=400, height=200, count=1,
                       dtype="float32", crs="EPSG:32648",
                       transform=from_origin(X0, Y0 + 10_000, 100, 100)) as d:
        d.write(np.ones((1, 200, 400), np.float32))
    p = priorities(strip_result(), population=path)
    v = by_code(p.villages)
    assert v.loc["A", "population_1km"] == pytest.approx(np.pi * 100, rel=0.03)
    assert v.loc["A", "population_2km"] == pytest.approx(np.pi * 400, rel=0.03)
    assert p.model.set_index("key").loc["population within", "value"] == "pop.tif"
    # from the villages: only the village itself within 1 km
    q = by_code(priorities(strip_result()).villages)
    assert q.loc["A", "population_1km"] == 600 and q.loc["B", "population_5km"] == 400
