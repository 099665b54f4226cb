"""Stations as planners and OpenCelliD really write them (issue 6): Vietnamese headers,
vi-VN numbers, radius units, technologies that are not counted, implausible ranges,
duplicates, empty files, far stations and layers.  Every fixture is built here, small
enough to check by hand."""

from __future__ import annotations

import math
import re
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely import Point, box

import geocov
from geocov.errors import DataQualityWarning, SchemaError, cli_hints
from geocov.io import RejectsReport
from geocov.stations import MAX_RANGE_M, normalise_technology, read_stations

UTM = "EPSG:32648"


def _write(path, text, encoding="utf-8"):
    path.write_text(text, encoding=encoding)
    return path


def _vn(path, rows, header="Mã trạm;Vĩ độ;Kinh độ;Công nghệ;Nhà mạng;Bán kính (m)"):
    """A ';'-separated file with Vietnamese headers; rows are lists of cells."""
    return _write(path, header + "\n" + "".join(";".join(r) + "\n" for r in rows))


# ------------------------------------------------------------------ Vietnamese headers


@pytest.mark.parametrize(
    "header",
    [
        "Mã trạm;Vĩ độ;Kinh độ;Công nghệ;Nhà mạng;Bán kính (m);Góc phương vị;"
        "Độ rộng búp sóng;Trạng thái",
        "ma_tram;vi_do;kinh_do;cong_nghe;nha_mang;ban_kinh_m;goc_phuong_vi;"
        "do_rong_bup_song;trang_thai",
        "MA TRAM;VI DO;KINH DO;CONG NGHE;NHA MANG;BAN KINH;HUONG;DO RONG BUP SONG;TRANG THAI",
    ],
)
def test_vietnamese_headers_every_field(tmp_path, header):
    p = _write(tmp_path / "tram.csv",
               header + "\nLC-001;22,4856;103,9707;LTE;Viettel;2500;120;65;Hoạt động\n")
    s = read_stations(p)
    row = s.drop(columns="geometry").iloc[0]
    assert row[["station_id", "technology", "operator", "status"]].tolist() == [
        "LC-001", "4G", "Viettel", "Hoạt động"]
    assert row[["range_m", "azimuth_deg", "beamwidth_deg"]].tolist() == [2500.0, 120.0, 65.0]
    assert (s.geometry.x.iloc[0], s.geometry.y.iloc[0]) == (103.9707, 22.4856)


def test_station_name_is_the_id_when_there_is_no_code(tmp_path):
    p = _vn(tmp_path / "t.csv", [["Bản Khoang", "22,48", "103,97", "4G", "Viettel", "1000"]],
            header="Tên trạm;Vĩ độ;Kinh độ;Công nghệ;Nhà mạng;Bán kính (m)")
    assert read_stations(p)["station_id"].tolist() == ["Bản Khoang"]


@pytest.mark.parametrize("header", ["Bán kính (km)", "radius_km", "range_km", "BAN KINH KM"])
def test_radius_in_km_is_converted_to_metres(tmp_path, header):
    p = _vn(tmp_path / "t.csv", [["A", "22,48", "103,97", "4G", "Viettel", "2,5"]],
            header=f"Mã trạm;Vĩ độ;Kinh độ;Công nghệ;Nhà mạng;{header}")
    s = read_stations(p)
    assert s["range_m"].tolist() == [2500.0]
    assert s.attrs["radius_note"] == f"radius from column {header!r} (km); technology " \
                                     f"defaults where empty"


def test_km_radius_is_bounded_in_km(tmp_path):
    p = _vn(tmp_path / "t.csv", [["A", "22,48", "103,97", "4G", "Viettel", "25"]],
            header="Mã trạm;Vĩ độ;Kinh độ;Công nghệ;Nhà mạng;Bán kính (km)")
    with pytest.raises(SchemaError, match=r"column 'Bán kính \(km\)': radius above the 4G "
                                          r"bound of 20 km: row 2 \('25'\)"):
        read_stations(p)


def test_decimal_mark_is_decided_for_the_whole_file(tmp_path):
    # coordinates prove the decimal comma, so "2.662" in the radius column is 2,662 m
    # (read column by column, it was 2.662 m: every footprint 1000x too small)
    p = _vn(tmp_path / "t.csv", [["A", "22,48", "103,97", "4G", "Viettel", "2.662"],
                                 ["B", "22,50", "104,01", "3G", "Viettel", "1.500"]])
    s = read_stations(p)
    assert s["range_m"].tolist() == [2662.0, 1500.0]
    assert s.geometry.y.tolist() == [22.48, 22.50]


def test_decimal_can_be_given(tmp_path):
    p = _vn(tmp_path / "t.csv", [["A", "22", "104", "4G", "Viettel", "2.662"]])
    assert read_stations(p, decimal=",")["range_m"].tolist() == [2662.0]
    assert read_stations(p, decimal=".")["range_m"].tolist() == [2.662]


def test_lat_lon_swap_detected_with_vietnamese_headers_and_decimal_commas(tmp_path):
    p = _vn(tmp_path / "t.csv", [["A", "22,48", "103,97", "4G", "Viettel", ""],
                                 ["B", "104,01", "22,50", "4G", "Viettel", ""]])
    with pytest.raises(SchemaError, match=r"column 'Vĩ độ': latitude outside \[-90, 90\]: "
                                          r"row 3 \('104,01'\).*swapped"):
        read_stations(p)
    rep = RejectsReport()
    assert read_stations(p, rejects=rep)["station_id"].tolist() == ["A"]
    assert rep.to_frame()["row"].tolist() == [3]


# ------------------------------------------------------------------ unrecognised columns


@pytest.mark.parametrize("header", ["Bán kính TB", "Bán kính phủ sóng (mét)", "cellRange",
                                    "Max range", "Coverage (m)"])
def test_radius_lookalike_column_is_never_ignored(tmp_path, header):
    p = _vn(tmp_path / "t.csv", [["A", "22,48", "103,97", "4G", "Viettel", "2500"]],
            header=f"Mã trạm;Vĩ độ;Kinh độ;Công nghệ;Nhà mạng;{header}")
    pattern = (re.escape(f"t.csv: column '{header}' looks like a station radius but is not "
                         f"recognised") + ".*"
               + re.escape(f"columns={{'range_m': '{header}'}} (metres)"))
    with pytest.raises(SchemaError, match=pattern):
        read_stations(p)
    # the fixes the message gives work
    assert read_stations(p, columns={"range_m": header})["range_m"].tolist() == [2500.0]
    assert read_stations(p, columns={"range_km": header},
                         max_range_m=3e6)["range_m"].tolist() == [2.5e6]
    s = read_stations(p, columns={"range_m": None})
    assert math.isnan(s["range_m"].iloc[0])
    assert s.attrs["radius_note"] == "no radius column; technology defaults"


def test_radius_lookalike_hint_names_the_cli_option(tmp_path):
    p = _vn(tmp_path / "t.csv", [["A", "22,48", "103,97", "4G", "Viettel", "2500"]],
            header="Mã trạm;Vĩ độ;Kinh độ;Công nghệ;Nhà mạng;Bán kính TB")
    with cli_hints(), pytest.raises(
            SchemaError, match=r"--stations-columns range_m='Bán kính TB' \(metres\) or "
                               r"range_km='Bán kính TB' \(kilometres\)"):
        read_stations(p)
    # and the CLI's way to say "no radius column" (an empty value) works
    assert math.isnan(read_stations(p, columns={"range_m": ""})["range_m"].iloc[0])


def test_yes_no_coverage_column_is_not_a_radius(tmp_path):
    p = _vn(tmp_path / "t.csv", [["A", "22,48", "103,97", "4G", "Viettel", "có"]],
            header="Mã trạm;Vĩ độ;Kinh độ;Công nghệ;Nhà mạng;Phủ sóng")
    assert math.isnan(read_stations(p)["range_m"].iloc[0])


def test_two_radius_columns_must_be_chosen(tmp_path):
    p = _vn(tmp_path / "t.csv", [["A", "22,48", "103,97", "4G", "2500", "2,5"]],
            header="Mã trạm;Vĩ độ;Kinh độ;Công nghệ;Bán kính (m);Bán kính (km)")
    with pytest.raises(SchemaError, match=r"two radius columns, 'Bán kính \(m\)' \(read as "
                                          r"metres\) and 'Bán kính \(km\)'"):
        read_stations(p)
    assert read_stations(p, columns={"range_km": "Bán kính (km)"})["range_m"].tolist() == [2500.0]


def test_required_column_cannot_be_switched_off(tmp_path):
    p = _vn(tmp_path / "t.csv", [["A", "22,48", "103,97", "4G", "Viettel", ""]])
    with pytest.raises(SchemaError, match=r"columns=\{'tech': None\}: only optional columns"):
        read_stations(p, columns={"tech": None})


def test_technology_lookalike_named_by_header(tmp_path):
    p = _write(tmp_path / "t.csv", "id;lat;lon;Loại công nghệ mạng\nA;22,48;103,97;LTE\n")
    with pytest.raises(SchemaError, match=r"t.csv: required column 'tech' \(technology\) not "
                                          r"found; column\(s\) 'Loại công nghệ mạng' \(its "
                                          r"name\) look like it\. Pass columns=\{'tech': "):
        read_stations(p)


def test_technology_lookalike_named_by_values(tmp_path):
    p = _write(tmp_path / "t.csv", "id;lat;lon;Loại\nA;22,48;103,97;LTE\nB;22,5;104;gsm\n")
    with pytest.raises(SchemaError, match=r"column\(s\) 'Loại' \(100% of its values are "
                                          r"technologies\) look like it"):
        read_stations(p)
    assert read_stations(p, columns={"tech": "Loại"})["technology"].tolist() == ["4G", "2G"]


def test_no_technology_column_at_all_keeps_the_standard_message(tmp_path):
    p = _write(tmp_path / "t.csv", "id;lat;lon;ghi_chu\nA;22,48;103,97;abc\n")
    with pytest.raises(SchemaError, match=r"required column\(s\) \['tech'\] not found"):
        read_stations(p)
    # a row-number column (2, 3, 4 read alone would be generations) is not suggested
    stt = _write(tmp_path / "stt.csv", "stt;lat;lon\n2;22;104\n3;22;104\n4;22;104\n")
    with pytest.raises(SchemaError, match=r"required column\(s\) \['tech'\] not found"):
        read_stations(stt)


# ------------------------------------------------------------------ technologies


@pytest.mark.parametrize(
    ("raw", "tech"),
    [("3G/WCDMA", "3G"), ("4G (LTE)", "4G"), ("LTE 1800", "4G"), ("GSM900", "2G"),
     ("LTE1800 MHz", "4G"), ("4G LTE", "4G"), ("TD-SCDMA", "3G"), ("2G/3G", None),
     ("LTE (band 3)", None), ("LTE/NB-IoT", None)],
)
def test_mixed_technology_labels(raw, tech):
    out = normalise_technology(pd.Series([raw])).tolist()[0]
    assert out == tech if tech else pd.isna(out)


def test_two_technologies_in_one_row_are_rejected_with_the_fix(tmp_path):
    p = _vn(tmp_path / "t.csv", [["A", "22,48", "103,97", "2G/3G", "Viettel", ""]])
    with pytest.raises(SchemaError, match=r"row 2 \('2G/3G'\).*must be split into one row "
                                          r"per cell"):
        read_stations(p)


# ------------------------------------------------------------------ OpenCelliD


OCID_HEADER = ("radio,mcc,net,area,cell,unit,lon,lat,range,samples,changeable,created,updated,"
               "averageSignal\n")


def _ocid(radio, cell, rng="1500", lon="104.0", lat="22.5"):
    return f"{radio},452,4,100,{cell},0,{lon},{lat},{rng},3,1,1500000000,1600000000,0\n"


def test_opencellid_every_radio_value(tmp_path):
    text = OCID_HEADER + "".join(_ocid(r, i) for i, r in enumerate(
        ["GSM", "UMTS", "LTE", "NR", "CDMA", "NBIOT"]))
    p = _write(tmp_path / "cell_towers.csv", text)
    with pytest.warns(DataQualityWarning, match=r"cell_towers.csv: 2 row\(s\) left out, "
                                                r"technology not counted as coverage "
                                                r"\(CDMA: 1, NB-IoT: 1\): rows 6, 7\."):
        s = read_stations(p)
    assert s["technology"].tolist() == ["2G", "3G", "4G", "5G"]
    assert s.attrs["technologies_not_counted"] == {"CDMA": 1, "NB-IoT": 1}
    # OpenCelliD's range is the spread of observations, not the footprint: not used
    assert s["range_m"].isna().all()
    assert s.attrs["radius_note"].startswith("OpenCelliD range not used as radius")


def test_opencellid_not_counted_rows_are_rejects_in_lenient_mode(tmp_path):
    text = OCID_HEADER + _ocid("LTE", 1) + _ocid("NBIOT", 2) + _ocid("CDMA", 3)
    rep = RejectsReport()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # lenient mode: in the report, no warning
        s = read_stations(_write(tmp_path / "c.csv", text), rejects=rep)
    assert s["station_id"].tolist() == ["452-4-100-1"]
    rej = rep.to_frame()
    assert rej[["row", "column", "value", "reason"]].values.tolist() == [
        [3, "technology", "NBIOT", "technology not counted (NB-IoT)"],
        [4, "technology", "CDMA", "technology not counted (CDMA)"]]
    assert rep.summary()[["rows_read", "rows_rejected", "rows_used"]].values.tolist() == [
        [3, 2, 1]]


def test_opencellid_range_option(tmp_path):
    p = _write(tmp_path / "c.csv", OCID_HEADER + _ocid("LTE", 1, rng="1500")
               + _ocid("GSM", 2, rng="0"))
    assert read_stations(p)["range_m"].isna().all()
    s = read_stations(p, opencellid_range=True)
    assert s["range_m"].tolist()[0] == 1500.0 and math.isnan(s["range_m"].tolist()[1])
    # the bound applies to the range when it is used
    big = _write(tmp_path / "big.csv", OCID_HEADER + _ocid("LTE", 1, rng="65000"))
    assert read_stations(big)["range_m"].isna().all()
    with pytest.raises(SchemaError, match=r"column 'range_m': radius above the 4G bound of "
                                          r"20,000 m: row 2 \('65000'\)"):
        read_stations(big, opencellid_range=True)


def test_opencellid_with_explicit_columns_still_ignores_its_range(tmp_path):
    p = _write(tmp_path / "c.csv", OCID_HEADER + _ocid("LTE", 1, rng="1500"))
    s = read_stations(p, columns={"id": "cell"})
    assert s["station_id"].tolist() == ["1"] and s["range_m"].isna().all()
    assert read_stations(p, columns={"id": "cell", "range_m": "range"})["range_m"].tolist() \
        == [1500.0]


def test_opencellid_layout_resaved_with_semicolons_and_decimal_commas(tmp_path):
    text = (OCID_HEADER.replace(",", ";")
            + _ocid("LTE", 1, lon="104,25", lat="22,5", rng="1.500").replace(",", ";")
            .replace("104;25", "104,25").replace("22;5", "22,5"))
    s = read_stations(_write(tmp_path / "c.csv", text), opencellid_range=True)
    assert (s.geometry.x.iloc[0], s.geometry.y.iloc[0]) == (104.25, 22.5)
    assert s["range_m"].tolist() == [1500.0]


def test_lte_m_and_nb_iot_spellings_are_not_counted(tmp_path):
    rows = [["A", "22,48", "103,97", t, "Viettel", ""]
            for t in ("NB-IoT", "LTE-M", "CAT-M1", "LTEM", "cdma2000", "4G")]
    p = _vn(tmp_path / "t.csv", rows)
    with pytest.warns(DataQualityWarning, match=r"5 row\(s\) left out.*\(NB-IoT: 1, LTE-M: 3, "
                                                r"CDMA: 1\)"):
        s = read_stations(p)
    assert s["technology"].tolist() == ["4G"]


# ------------------------------------------------------------------ implausible values


def test_thousand_km_range_is_never_used(tmp_path):
    p = _vn(tmp_path / "t.csv", [["A", "22,48", "103,97", "4G", "Viettel", "1000000"],
                                 ["B", "22,49", "103,98", "2G", "Viettel", "30000"]])
    with pytest.raises(SchemaError, match=r"t.csv: 1 row\(s\) in column 'Bán kính \(m\)': "
                                          r"radius above the 4G bound of 20,000 m: row 2 "
                                          r"\('1000000'\)\. Check the unit"):
        read_stations(p)
    rep = RejectsReport()
    s = read_stations(p, rejects=rep)
    assert s["station_id"].tolist() == ["B"] and s["range_m"].tolist() == [30000.0]  # 2G: 35 km
    assert rep.to_frame()["reason"].tolist() == ["radius above the 4G bound of 20,000 m"]


def test_max_range_override(tmp_path):
    p = _vn(tmp_path / "t.csv", [["A", "22,48", "103,97", "4G", "Viettel", "30000"]])
    assert read_stations(p, max_range_m={"4G": 40_000})["range_m"].tolist() == [30000.0]
    assert read_stations(p, max_range_m=50_000)["range_m"].tolist() == [30000.0]
    with pytest.raises(SchemaError, match=r"radius above the 4G bound of 25,000 m"):
        read_stations(p, max_range_m=25_000)
    with pytest.raises(SchemaError, match=r"max_range_m: unknown technology key\(s\) \['LTE'\]"):
        read_stations(p, max_range_m={"LTE": 1})
    with pytest.raises(SchemaError, match="max_range_m: bounds must be positive"):
        read_stations(p, max_range_m={"4G": 0})
    assert MAX_RANGE_M == {"2G": 35_000.0, "3G": 20_000.0, "4G": 20_000.0, "5G": 10_000.0}


def test_exact_copy_is_an_error_or_reject(tmp_path):
    row = ["A", "22,48", "103,97", "4G", "Viettel", "1500"]
    p = _vn(tmp_path / "t.csv", [row, ["B", "22,5", "104", "3G", "Viettel", ""], row])
    with pytest.raises(SchemaError, match=r"column 'Mã trạm': copy of an earlier row \(every "
                                          r"column equal\): row 4 \('A = row 2'\)"):
        read_stations(p)
    rep = RejectsReport()
    assert read_stations(p, rejects=rep)["station_id"].tolist() == ["A", "B"]
    assert rep.to_frame()[["row", "value"]].values.tolist() == [[4, "A = row 2"]]


def test_cells_of_one_site_are_not_duplicates(tmp_path):
    # one row per cell: a 2G+4G site, three 4G sectors, two carriers told apart by band
    p = _write(tmp_path / "t.csv",
               "ma_tram;vi_do;kinh_do;cong_nghe;bang_tan;goc_phuong_vi\n"
               "A;22,48;103,97;2G;900;\n"
               "A;22,48;103,97;4G;1800;0\n"
               "A;22,48;103,97;4G;1800;120\n"
               "A;22,48;103,97;4G;1800;240\n"
               "A;22,48;103,97;4G;2100;0\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = read_stations(p)
    assert len(s) == 5


def test_same_id_at_two_places_warns_and_both_are_used(tmp_path):
    p = _vn(tmp_path / "t.csv", [["A", "22,48", "103,97", "4G", "Viettel", ""],
                                 ["A", "22,58", "103,97", "2G", "Viettel", ""],
                                 ["A", "22,70", "104,50", "4G", "MobiFone", ""],
                                 ["B", "22,4800", "103,9705", "4G", "Viettel", ""],
                                 ["B", "22,4801", "103,9704", "4G", "Viettel", ""]])
    with pytest.warns(DataQualityWarning,
                      match=r"t.csv: 1 station id\(s\) appear at locations more than 100 m "
                            r"apart: 'A' \(Viettel; rows 2, 3; up to 11.1 km apart\)\. All "
                            r"rows are used"):
        s = read_stations(p)
    assert len(s) == 5  # B's two rows are 15 m apart: one site


def test_empty_station_file_warns(tmp_path):
    p = _write(tmp_path / "tram.csv", "Mã trạm;Vĩ độ;Kinh độ;Công nghệ\n")
    with pytest.warns(DataQualityWarning, match=r"tram.csv: the station file has no rows, so "
                                                r"no station covers anything"):
        s = read_stations(p)
    assert len(s) == 0 and list(s.columns) == list(read_stations.__globals__["_COLUMNS"])
    zero = _write(tmp_path / "zero.csv", "")
    rep = RejectsReport()
    with pytest.warns(DataQualityWarning, match=r"zero.csv: the station file has no rows"):
        s = read_stations(zero, rejects=rep)
    assert len(s) == 0 and s.crs.to_epsg() == 4326


# ------------------------------------------------------------------ layers


def test_layer_is_read(tmp_path):
    p = tmp_path / "bts.gpkg"
    gpd.GeoDataFrame({"station_id": ["A"], "technology": ["LTE"]}, geometry=[Point(1, 2)],
                     crs=UTM).to_file(p, layer="old")
    gpd.GeoDataFrame({"station_id": ["B", "C"], "technology": ["GSM", "NR"]},
                     geometry=[Point(3, 4), Point(5, 6)], crs=UTM).to_file(p, layer="new")
    assert read_stations(p, layer="new")["station_id"].tolist() == ["B", "C"]
    assert read_stations(p, layer="old")["station_id"].tolist() == ["A"]


def test_layer_and_encoding_are_for_files_only():
    t = pd.DataFrame({"lat": [22.0], "lon": [104.0], "tech": ["LTE"]})
    with pytest.raises(SchemaError, match=r"layer= is only for files; a DataFrame was given"):
        read_stations(t, layer="x")
    with pytest.raises(SchemaError, match=r"encoding= is only for files"):
        read_stations(t, encoding="cp1258")


def test_encoding_is_used(tmp_path):
    p = tmp_path / "tram.csv"
    # Windows-1258 writes "ả" as "a" + a separate hook-above tone mark
    p.write_bytes("ma_tram;vi_do;kinh_do;cong_nghe;nha_mang\n"
                  "Ba\u0309n Khoang;22,48;103,97;LTE;Viettel\n".encode("cp1258"))
    s = read_stations(p, encoding="cp1258")
    assert s["station_id"].tolist() == ["Bản Khoang"]


# ------------------------------------------------------------------ planner's file


PLANNER = (
    "Mã trạm;Tên trạm;Vĩ độ;Kinh độ;Công nghệ;Nhà mạng;Bán kính (m);Góc phương vị;"
    "Trạng thái\n"
    "LC-001;Bản Khoang;22,4856;103,9707;LTE;Viettel;2.662;120;Hoạt động\n"      # 2
    "LC-001;Bản Khoang;22,4856;103,9707;gsm;Viettel;;;Hoạt động\n"              # 3
    "LC-002;Tả Van;22,3000;104,1000;3G/WCDMA;VinaPhone;1.500;;Hoạt động\n"      # 4
    "LC-003;Sa Pa;22,3400;103,8400;NB-IoT;Viettel;;;Hoạt động\n"                # 5 not counted
    "LC-004;Y Tý;22,6000;103,6000;4G;MobiFone;1.000.000;;Hoạt động\n"           # 6 1,000 km
    "LC-002;Tả Van;22,3000;104,1000;3G/WCDMA;VinaPhone;1.500;;Hoạt động\n"      # 7 copy of 4
    "LC-005;Mường Hum;22,5000;103,7000;CDMA;S-Fone;;;Ngừng\n"                   # 8 not counted
    "LC-006;Bát Xát;22,5500;103,8800;5G NR;Viettel;800;;Hoạt động\n"            # 9
)


def test_planners_file_lenient_accounts_for_every_row(tmp_path):
    p = _write(tmp_path / "tram_lao_cai.csv", PLANNER)
    rep = RejectsReport()
    s = read_stations(p, rejects=rep)
    assert s[["station_id", "technology", "operator"]].values.tolist() == [
        ["LC-001", "4G", "Viettel"], ["LC-001", "2G", "Viettel"],
        ["LC-002", "3G", "VinaPhone"], ["LC-006", "5G", "Viettel"]]
    np.testing.assert_array_equal(s["range_m"], [2662.0, np.nan, 1500.0, 800.0])
    assert s["azimuth_deg"].tolist()[0] == 120.0
    assert s["source_row"].tolist() == [2, 3, 4, 9]
    rej = rep.to_frame().sort_values("row")
    assert rej[["row", "reason"]].values.tolist() == [
        [5, "technology not counted (NB-IoT)"],
        [6, "radius above the 4G bound of 20,000 m"],
        [7, "copy of an earlier row (every column equal)"],
        [8, "technology not counted (CDMA)"]]
    summary = rep.summary()
    assert summary[["rows_read", "rows_rejected", "rows_used"]].values.tolist() == [[8, 4, 4]]
    assert set(rej["row"]).isdisjoint(s["source_row"])


def test_planners_file_strict(tmp_path):
    p = _write(tmp_path / "tram_lao_cai.csv", PLANNER)
    with pytest.warns(DataQualityWarning, match=r"2 row\(s\) left out.*\(NB-IoT: 1, CDMA: 1\)"),\
            pytest.raises(SchemaError, match=r"row 6 \('1.000.000'\)"):
        read_stations(p)
    # without the 1,000 km row and the copy, strict mode reads it, with the warning
    fixed = "\n".join(ln for i, ln in enumerate(PLANNER.splitlines(), 1) if i not in (6, 7))
    with pytest.warns(DataQualityWarning, match=r"2 row\(s\) left out"):
        s = read_stations(_write(tmp_path / "fixed.csv", fixed + "\n"))
    assert s["station_id"].tolist() == ["LC-001", "LC-001", "LC-002", "LC-006"]
    assert s.attrs["technologies_not_counted"] == {"NB-IoT": 1, "CDMA": 1}


# ------------------------------------------------------------------ property


GOOD = ["A;22,48;103,97;LTE;Viettel;1500", "B;22,5;104;gsm;MobiFone;",
        "C;22,6;104,1;3G/WCDMA;VinaPhone;2.662"]
BAD = ["D;;104;LTE;Viettel;",                 # missing latitude
       "E;104,2;22,6;LTE;Viettel;",            # swapped
       "F;22,6;104,1;WiMAX;Viettel;",          # unknown technology
       "G;22,6;104,1;NB-IoT;Viettel;",         # not counted
       "H;22,6;104,1;4G;Viettel;1.000.000",    # beyond the bound
       "I;22,6;104,1;4G;Viettel;-5",           # range <= 0
       "J;22,6;104,1;4G;Viettel;abc"]          # not a number


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.sampled_from(GOOD + BAD), min_size=0, max_size=25))
def test_lenient_every_row_used_or_rejected_once(tmp_path, rows):
    p = _write(tmp_path / "mix.csv",
               "Mã trạm;Vĩ độ;Kinh độ;Công nghệ;Nhà mạng;Bán kính (m)\n"
               + "".join(r + "\n" for r in rows))
    rep = RejectsReport()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)  # empty file, same id twice
        s = read_stations(p, rejects=rep)
    used = s["source_row"].tolist()
    rejected = rep.to_frame()["row"].tolist()
    assert len(rejected) == len(set(rejected))            # rejected once
    assert set(used).isdisjoint(rejected)                  # never both
    assert sorted(used + rejected) == list(range(2, len(rows) + 2))  # every row
    if rows:
        summ = rep.summary().iloc[0]
        assert summ["rows_used"] == len(s) and summ["rows_read"] == len(rows)


# ------------------------------------------------------------------ far stations


def test_far_stations_are_named_by_coverage():
    x0, y0 = 500_000.0, 2_400_000.0
    units = gpd.GeoDataFrame(
        {"province_code": ["P"], "province_name": ["Tỉnh"], "commune_code": ["c1"],
         "commune_name": ["Xã Một"]},
        geometry=[box(x0, y0, x0 + 10_000, y0 + 10_000)], crs=UTM)
    units.attrs["geocov_levels"] = ("province", "commune")
    pts = [(x0 + 5000, y0 + 5000), (x0 - 1000, y0 + 5000), (x0 + 5000, y0 + 310_000),
           (x0 - 80_000, y0)]
    stations = gpd.GeoDataFrame(
        {"station_id": ["in", "near", "far", "farish"], "technology": "4G", "operator": "V",
         "range_m": 2000.0, "azimuth_deg": np.nan, "beamwidth_deg": np.nan,
         "source_file": "bts.csv", "source_row": [2, 3, 4, 5]},
        geometry=[Point(p) for p in pts], crs=UTM)
    with pytest.warns(DataQualityWarning,
                      match=r"2 of 4 station\(s\) lie more than 50 km from every unit of the "
                            r"study area \(they count as outside\): 'far' \(bts.csv row 4, "
                            r"300.0 km\); 'farish' \(bts.csv row 5, 80.0 km\)\."):
        r = geocov.coverage(units, stations=stations)
    assert r.table("total")["stations_outside_any"].iloc[0] == 3
    # one just outside: no warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        geocov.coverage(units, stations=stations.iloc[:2])


def test_opencellid_choices_reach_the_model_note_and_summary(tmp_path):
    """The radius choice and the cells not counted are said where the figures are read."""
    units = gpd.GeoDataFrame({"province": ["P"], "commune": ["C"], "commune_code": ["1"]},
                             geometry=[box(103.9, 22.4, 104.1, 22.6)], crs=4326)
    units = geocov.read_units(units, levels={"province": "province", "commune": "commune"},
                              codes={"commune": "commune_code"})
    text = OCID_HEADER + _ocid("LTE", 1) + _ocid("NBIOT", 2) + _ocid("NBIOT", 3)
    with pytest.warns(DataQualityWarning, match=r"NB-IoT: 2"):
        s = read_stations(_write(tmp_path / "cell_towers.csv", text))
    result = geocov.coverage(units, stations=s)
    assert "Radii: OpenCelliD range not used as radius" in result.metadata["model"]
    assert "Not counted (no mobile broadband for people): 2 NB-IoT cell(s)." in \
        result.metadata["model"]
    assert result.summary().endswith("1 stations inside (1 4G); not counted: 2 NB-IoT.")
