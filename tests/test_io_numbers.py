"""The decimal mark is decided for a whole file, from the evidence of all its columns."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geocov.errors import DataQualityWarning, SchemaError, cli_hints
from geocov.io import file_decimal, lonlat_points, parse_numbers, read_table


def test_vi_vn_radius_with_dot_thousands_is_read_as_metres(tmp_path):
    # The column alone ("2.662") is ambiguous; the coordinates prove the decimal comma.
    p = tmp_path / "bts.csv"
    p.write_text("ma_tram;vi_do;kinh_do;ban_kinh_m\nA;22,48;103,97;2.662\nB;22,5;104,01;1.500\n",
                 encoding="utf-8")
    t = read_table(p)
    dec = file_decimal(t)
    assert dec == ","
    assert parse_numbers(t["ban_kinh_m"], decimal=dec).tolist() == [2662.0, 1500.0]
    # column by column (the old behaviour) the radius would be metres / 1000
    assert parse_numbers(t["ban_kinh_m"]).tolist() == [2.662, 1.5]


def test_point_file_reads_comma_groups_as_thousands():
    t = pd.DataFrame({"lat": ["22.48", "22.51"], "dan_so": ["1,234", "12,500"]})
    assert file_decimal(t) == "."
    assert parse_numbers(t["dan_so"], decimal=".").tolist() == [1234.0, 12500.0]


def test_many_groups_are_evidence_too():
    assert file_decimal(pd.DataFrame({"dan_so": ["1.234.567", "2.662"]})) == ","
    assert file_decimal(pd.DataFrame({"dan_so": ["1,234,567", "2,662"]})) == "."


def test_ambiguous_file_warns_naming_the_column_and_the_fix():
    t = pd.DataFrame({"source_file": "bts.csv", "source_row": [2, 3],
                      "ban_kinh_m": ["2.662", "1.500"], "id": ["A", "B"]})
    with pytest.warns(DataQualityWarning, match=r"bts.csv: no value shows which decimal mark.*"
                      r"'ban_kinh_m' \('2.662', '1.500'\).*pass decimal=','"):
        assert file_decimal(t) == "."
    with cli_hints(), pytest.warns(DataQualityWarning, match=r"pass --decimal ,"):
        file_decimal(t)


def test_integers_and_text_need_no_decision():
    t = pd.DataFrame({"id": ["A1", "B2"], "n": ["12", "7"], "name": ["Bản Khoang", "Sa Pa"]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert file_decimal(t) == "."


def test_numeric_columns_are_not_evidence():
    # Excel numbers are already numbers: only text cells are looked at.
    t = pd.DataFrame({"lat": [22.48, 22.5], "r": ["2,5", "3"]})
    assert file_decimal(t) == ","


def test_conflicting_columns_raise_with_both_sides_named():
    t = pd.DataFrame({"source_file": "x.csv", "source_row": [2], "lat": ["22,48"],
                      "lon": ["103.97"]})
    with pytest.raises(SchemaError, match=r"x.csv: the numbers disagree on the decimal mark: "
                       r"decimal comma in 'lat' \('22,48'\), decimal point in 'lon' "
                       r"\('103.97'\).*pass decimal=','"):
        file_decimal(t)


def test_user_choice_wins_and_is_checked():
    t = pd.DataFrame({"lat": ["22,48"], "lon": ["103.97"]})
    assert file_decimal(t, decimal=".") == "."
    with pytest.raises(SchemaError, match=r"decimal must be ',' or '.', got ';'"):
        file_decimal(t, decimal=";")


def test_lonlat_points_uses_the_file_mark():
    t = pd.DataFrame({"source_file": "v.csv", "source_row": [2, 3],
                      "x": ["103,97", "104"], "y": ["22,48", "22"]})
    pts, keep = lonlat_points(t, "x", "y", crs="EPSG:4326", keep=np.ones(2, bool),
                              rejects=None, decimal=",")
    assert keep.all()
    assert (pts[0].x, pts[0].y) == (103.97, 22.48)


def _vi(value: float, decimals: int) -> str:
    text = f"{value:,.{decimals}f}"  # 1,234.5678
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


@settings(max_examples=60, deadline=None)
@given(
    lats=st.lists(st.floats(8.0, 23.5), min_size=1, max_size=20),
    radii=st.lists(st.integers(100, 35_000), min_size=1, max_size=20),
    vi=st.booleans(),
)
def test_locale_round_trip(lats, radii, vi):
    """Whatever the locale, a file with 4-decimal coordinates reads back its own numbers."""
    n = min(len(lats), len(radii))
    lats, radii = lats[:n], radii[:n]
    fmt = (lambda v, d: _vi(v, d)) if vi else (lambda v, d: f"{v:,.{d}f}")
    t = pd.DataFrame({"lat": [fmt(v, 4) for v in lats], "range_m": [fmt(r, 0) for r in radii]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # coordinates are evidence: never a warning
        dec = file_decimal(t)
    assert dec == ("," if vi else ".")
    np.testing.assert_allclose(parse_numbers(t["lat"], decimal=dec), np.round(lats, 4))
    assert parse_numbers(t["range_m"], decimal=dec).tolist() == [float(r) for r in radii]
