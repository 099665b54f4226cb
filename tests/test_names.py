"""Names matched with or without diacritics and type words (geocov.names).

Fixture for the linking and reconciliation checks: one district "Huyện Bát Xát" with three
1 km communes side by side in UTM 48N, "Xã Bản Cái" (x 0-1 km), "Xã Quan Hồ Thẩn" (1-2 km)
and "Thị trấn Bát Xát" (2-3 km); one village in the middle of each.
"""

from __future__ import annotations

import warnings

import geopandas as gpd
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from shapely import Point, box

import geocov
from geocov.io import fold_text
from geocov.names import (
    name_key_variants,
    name_keys,
    strip_type_words,
    type_word_levels,
    type_words,
)

X0, Y0, KM = 500_000.0, 2_400_000.0, 1000.0
CRS = "EPSG:32648"
COMMUNES = ["Xã Bản Cái", "Xã Quan Hồ Thẩn", "Thị trấn Bát Xát"]


def units() -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame(
        {"district": ["Huyện Bát Xát"] * 3, "ma_huyen": ["082"] * 3, "xa": COMMUNES,
         "ma_xa": ["02701", "02704", "02707"]},
        geometry=[box(X0 + i * KM, Y0, X0 + (i + 1) * KM, Y0 + KM) for i in range(3)], crs=CRS)
    return geocov.read_units(frame, levels={"district": "district", "commune": "xa"},
                             codes={"district": "ma_huyen", "commune": "ma_xa"})


# --------------------------------------------------------------------------- keys
@pytest.mark.parametrize("kind, spellings, key", [
    ("unit", ["Xã Bản Cái", "Xa Ban Cai", "xa ban cai", "XÃ BẢN CÁI", "BảnCái", "Bản Cái"],
     "bancai"),
    ("unit", ["Phường Cốc Lếu", "Phuong Coc Leu", "phường  cốc lếu"], "cocleu"),
    ("unit", ["Thị trấn Bát Xát", "Thi tran Bat Xat", "Thị Trấn Bát Xát", "Thịtrấn Bát Xát",
              "Huyện Bát Xát", "Huyen Bat Xat", "Bát Xát"], "batxat"),
    ("unit", ["Thành phố Lào Cai", "Thanh pho Lao Cai", "TP. Lào Cai", "TP.Lào Cai",
              "Tp Lao Cai", "T.P. Lào Cai", "Tỉnh Lào Cai", "Tinh Lao Cai"], "laocai"),
    ("unit", ["Thị xã Sa Pa", "Thi xa Sa Pa", "TX. Sa Pa", "Quận Sa Pa", "Quan Sa Pa"],
     "sapa"),
    ("village", ["Thôn Nà Lốc", "Thon Na Loc", "Bản Nà Lốc", "Ban Na Loc", "Nà Lốc",
                 "Xóm Nà Lốc", "Xom Na Loc", "Tổ dân phố Nà Lốc", "To dan pho Na Loc"],
     "naloc"),
])
def test_every_spelling_gives_one_key(kind, spellings, key):
    assert name_keys(pd.Series(spellings), kind=kind).tolist() == [key] * len(spellings)


def test_a_word_without_diacritics_is_a_type_word_only_in_a_name_without_any():
    names = pd.Series(["Quan Hồ Thẩn", "Xà Phìn", "Xa Phin", "Bản Cái", "Xã", "TP. Lào Cai"])
    assert strip_type_words(names).tolist() == [
        "Quan Hồ Thẩn", "Xà Phìn", "Phin", "Bản Cái", "Xã", "Lào Cai"]
    assert type_words(names).tolist() == ["", "", "xa", "", "", "thanhpho"]
    # a name written wholly without diacritics stays ambiguous: the whole name is tried next
    assert name_key_variants("Xa Phin") == ("phin", "xaphin")
    assert name_key_variants("Tinh Lào Cai") == ("tinhlaocai", "laocai")
    assert name_key_variants("") == ()


def test_village_words_are_taken_off_village_names_only():
    # "Bản" begins many commune names: a commune called "Bản Cái" keeps it
    assert name_keys(pd.Series(["Bản Cái", "Thôn Bản Cái"])).tolist() == ["bancai", "thonbancai"]
    assert name_keys(pd.Series(["Bản Cái"]), kind="village").tolist() == ["cai"]
    assert name_keys(pd.Series(["Xã Bản Cái"]), kind="none").tolist() == ["xabancai"]


def test_type_words_name_their_levels():
    words = type_words(pd.Series(["Huyện Bát Xát", "Huyen Bat Xat", "TX. Sa Pa", "Tinh Lao Cai",
                                  "Phuong Coc Leu", "Thon Na Loc"]))
    assert [type_word_levels(w) for w in words] == [
        ("district",), ("district",), ("district",), ("province",), ("commune", "ward"), ()]
    assert type_words(pd.Series(["Thon Na Loc"]), kind="village").tolist() == ["thon"]
    assert type_word_levels("thon") == ("village",)


def test_missing_and_empty_names_have_no_key():
    assert name_keys(pd.Series([None, "", "  ", "Xã Bản Cái"])).tolist() == [
        None, None, None, "bancai"]


WORDS = ["Xã", "Xa", "Phường", "Phuong", "Thị trấn", "Thi tran", "Huyện", "Huyen", "TP.",
         "Thành phố", "Thanh pho", "Tỉnh", "Tinh"]
PLACES = ["Bản Cái", "Ban Cai", "Nậm Chảy", "Nam Chay", "Lào Cai", "Lao Cai", "Sa Pa",
          "Y Tý", "Y Ty"]


@given(st.sampled_from(WORDS), st.sampled_from(PLACES), st.sampled_from([" ", "  "]),
       st.sampled_from([str, str.upper, str.lower]))
def test_a_type_word_never_changes_the_key(word, place, gap, case):
    # a type word without diacritics counts only before a name without any
    if not word.isascii() or place.isascii() or word == "TP.":
        name = case(f"{word}{gap}{place}")
        assert name_keys(pd.Series([name])).iloc[0] == fold_text(place)


# --------------------------------------------------------------------------- in use
def test_villages_claim_their_commune_by_name_in_any_spelling():
    villages = gpd.GeoDataFrame(
        {"village_code": ["a", "b", "c", "d"],
         "unit_name": ["Xa Ban Cai", "Quan Ho Than", "Thi tran Bat Xat", "thị trấn bát xát"]},
        geometry=[Point(X0 + 0.5 * KM, Y0 + 0.5 * KM), Point(X0 + 1.5 * KM, Y0 + 0.5 * KM),
                  Point(X0 + 2.5 * KM, Y0 + 0.5 * KM), Point(X0 + 2.5 * KM, Y0 + 0.2 * KM)],
        crs=CRS)
    linked = geocov.link_villages(geocov.read_villages(villages), units())
    assert linked["unit_code"].tolist() == ["02701", "02704", "02707", "02707"]
    assert linked["placement"].tolist() == ["name"] * 4


def test_reconcile_finds_units_written_without_diacritics():
    v = gpd.GeoDataFrame({"village_code": ["a", "b", "c"]},
                         geometry=[Point(X0 + (i + 0.5) * KM, Y0 + 0.5 * KM) for i in range(3)],
                         crs=CRS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", geocov.GeocovWarning)
        result = geocov.coverage(units(), villages=geocov.read_villages(v), resolution_m=100)
    official = pd.DataFrame({
        "unit": ["Huyen Bat Xat", "Thi tran Bat Xat", "Xa Ban Cai", "Quan Ho Than"],
        "metric": ["villages"] * 4, "value": ["3", "1", "1", "1"]})
    t = geocov.reconcile(result, official).table
    assert t[["level", "code", "match"]].values.tolist() == [
        ["district", "082", "name"], ["commune", "02707", "name"],
        ["commune", "02701", "name"], ["commune", "02704", "name"]]
