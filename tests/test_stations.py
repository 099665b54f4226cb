"""Stations: technology spellings, readers (CSV, Excel, vector, OpenCelliD), radii,
footprints and the covering_pairs core, on hand-checkable data."""

from __future__ import annotations

import gzip
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import Point

from geocov.errors import CRSError, DataSourceError, SchemaError
from geocov.io import RejectsReport
from geocov.stations import (
    DEFAULT_RADIUS_M,
    covering_pairs,
    normalise_technology,
    read_stations,
    station_footprints,
    station_radius_m,
)

UTM = "EPSG:32648"
X0, Y0 = 500_000.0, 2_500_000.0


# ------------------------------------------------------------------------- technology


@pytest.mark.parametrize(
    ("raw", "tech"),
    [("GSM", "2G"), ("gprs", "2G"), ("EDGE", "2G"), ("2g", "2G"),
     ("UMTS", "3G"), ("W-CDMA", "3G"), ("HSPA+", "3G"), ("hsdpa", "3G"), ("3G", "3G"),
     ("LTE", "4G"), ("LTE-A", "4G"), ("lte a", "4G"), ("4G+", "4G"), (" 4g ", "4G"),
     ("NR", "5G"), ("5G NR", "5G"), ("5g_nr", "5G"), ("5G", "5G"), (4.0, "4G"), (3, "3G")],
)
def test_normalise_technology_spellings(raw, tech):
    assert normalise_technology(pd.Series([raw], dtype=object)).tolist() == [tech]


@pytest.mark.parametrize("raw", ["CDMA", "NBIOT", "NB-IoT", "LTE-M", "CAT-M1"])
def test_normalise_technology_not_counted_is_na(raw):
    # CDMA used to be 2G; it is now recognised but not counted (issue 6), like NB-IoT/LTE-M
    assert normalise_technology(pd.Series([raw], dtype=object)).isna().tolist() == [True]


def test_normalise_technology_unknown_is_na_and_index_kept():
    out = normalise_technology(pd.Series(["WiMAX", None, "LTE"], index=[7, 8, 9]))
    assert out.index.tolist() == [7, 8, 9]
    assert out.isna().tolist() == [True, True, False]


# ------------------------------------------------------------------------- readers


def _write(path, text, encoding="utf-8"):
    path.write_text(text, encoding=encoding)
    return path


def test_read_csv_comma(tmp_path):
    p = _write(tmp_path / "bts.csv",
               "site_id,lat,lon,technology,operator,range_m,azimuth,beamwidth,status\n"
               "A1,22.48,103.97,LTE,VNPT – VinaPhone,1500,400,65,active\n"
               "A1,22.48,103.97,GSM,VNPT – VinaPhone,,,,planned\n"
               "B2,22.50,104.01,NR,,,,,\n")
    s = read_stations(p)
    assert s["station_id"].tolist() == ["A1", "A1", "B2"]  # duplicates kept (one row per cell)
    assert s["technology"].tolist() == ["4G", "2G", "5G"]
    assert s["operator"].tolist() == ["VNPT – VinaPhone", "VNPT – VinaPhone", "unknown"]
    assert s["range_m"].tolist()[0] == 1500.0 and np.isnan(s["range_m"].tolist()[1])
    assert s["azimuth_deg"].tolist()[0] == 40.0  # modulo 360
    assert s["beamwidth_deg"].tolist()[0] == 65.0
    assert s["status"].tolist()[:2] == ["active", "planned"] and pd.isna(s["status"].iloc[2])
    assert s["source_row"].tolist() == [2, 3, 4]
    assert set(s["source_file"]) == {"bts.csv"}
    assert s.crs.to_epsg() == 4326
    assert s.geometry.x.tolist() == [103.97, 103.97, 104.01]
    assert list(s.columns) == ["station_id", "technology", "operator", "range_m", "azimuth_deg",
                               "beamwidth_deg", "status", "geometry", "source_file",
                               "source_row"]


def test_read_csv_semicolon_decimal_comma_vietnamese(tmp_path):
    p = _write(tmp_path / "tram.csv",
               "Mã trạm;Vĩ độ;Kinh độ;Công nghệ;Nhà mạng;Bán kính\n"
               "LC-001;22,4856;103,9707;4G;VNPT – VinaPhone;2500,5\n"
               "LC-002;22,3;104,1;3G;Viettel;\n")
    s = read_stations(p, columns={"id": "Mã trạm", "lat": "Vĩ độ", "lon": "Kinh độ",
                                  "tech": "Công nghệ", "operator": "Nhà mạng",
                                  "range_m": "Bán kính"})
    assert s["station_id"].tolist() == ["LC-001", "LC-002"]
    assert s.geometry.y.tolist() == [22.4856, 22.3]
    assert s.geometry.x.tolist() == [103.9707, 104.1]
    assert s["range_m"].iloc[0] == 2500.5
    assert s["operator"].iloc[0] == "VNPT – VinaPhone"


def test_read_csv_aliases_vietnamese_operator_column(tmp_path):
    p = _write(tmp_path / "bts.csv", "cellid;y;x;rat;nha_mang\nC;22,5;104,0;LTE;Viettel\n")
    s = read_stations(p)
    assert s[["station_id", "technology", "operator"]].values.tolist() == [["C", "4G", "Viettel"]]


def test_read_excel(tmp_path):
    p = tmp_path / "bts.xlsx"
    pd.DataFrame({"Site ID": [1001.0, 1002.0], "Latitude": [22.48, 22.5],
                  "Longitude": [103.97, 104.0], "Generation": ["4G", "2G"],
                  "Carrier": ["MobiFone", None]}).to_excel(p, index=False)
    s = read_stations(p)
    assert s["station_id"].tolist() == ["1001", "1002"]
    assert s["technology"].tolist() == ["4G", "2G"]
    assert s["operator"].tolist() == ["MobiFone", "unknown"]
    assert s["source_row"].tolist() == [2, 3]


@pytest.mark.parametrize("suffix", [".gpkg", ".geojson"])
def test_read_vector_points(tmp_path, suffix):
    g = gpd.GeoDataFrame({"station_id": ["A", "B"], "technology": ["LTE", "UMTS"]},
                         geometry=[Point(X0, Y0), Point(X0 + 100, Y0)], crs=UTM)
    p = tmp_path / f"bts{suffix}"
    g.to_file(p)
    s = read_stations(p)
    assert s.crs.to_epsg() == 32648  # never reprojected
    assert s["technology"].tolist() == ["4G", "3G"]
    assert s["source_row"].tolist() == [1, 2]
    assert s.geometry.x.tolist() == [X0, X0 + 100]


def test_read_vector_without_crs_raises():
    g = gpd.GeoDataFrame({"tech": ["LTE"]}, geometry=[Point(1, 2)])
    with pytest.raises(CRSError, match="station layer <GeoDataFrame> has no CRS"):
        read_stations(g)


def test_read_vector_non_point_rejected():
    g = gpd.GeoDataFrame({"tech": ["LTE", "LTE"]},
                         geometry=[Point(1, 2), shapely.box(0, 0, 1, 1)], crs=UTM)
    with pytest.raises(SchemaError, match=r"<GeoDataFrame>: 1 row\(s\) in column 'geometry': "
                                          r"geometry is not a Point.*row 2"):
        read_stations(g)


OCID_HEADER = ("radio,mcc,net,area,cell,unit,lon,lat,range,samples,changeable,created,updated,"
               "averageSignal\n")
OCID_ROWS = ("GSM,452,4,10101,2001,0,103.97,22.48,1200,5,1,1500000000,1600000000,0\n"
             "LTE,452,1,3001,123456789,0,104.0,22.5,0,1,1,1500000000,1600000000,0\n"
             "UMTS,452,8,11,12,0,104.1,22.6,800,3,1,1500000000,1600000000,0\n"
             "NR,452,2,7,8,0,104.2,22.7,300,3,1,1500000000,1600000000,0\n"
             "LTE,310,260,7,8,0,-100.0,40.0,300,3,1,1500000000,1600000000,0\n")


def _check_ocid(s, range_used=False):
    assert s["station_id"].tolist() == ["452-4-10101-2001", "452-1-3001-123456789",
                                        "452-8-11-12", "452-2-7-8", "310-260-7-8"]
    assert s["operator"].tolist() == ["Viettel", "MobiFone", "Viettel (ex-EVNTelecom)",
                                      "VinaPhone", "310-260"]
    assert s["technology"].tolist() == ["2G", "4G", "3G", "5G", "4G"]
    rng = s["range_m"].tolist()
    if range_used:  # opencellid_range=True
        assert rng[0] == 1200.0 and math.isnan(rng[1]) and rng[2] == 800.0  # 0 = unknown
    else:  # issue 6: OpenCelliD's range is an observation spread, not a footprint
        assert all(math.isnan(r) for r in rng)
        assert s.attrs["radius_note"].startswith("OpenCelliD range not used as radius")


def test_read_opencellid_with_header(tmp_path):
    s = read_stations(_write(tmp_path / "cell_towers.csv", OCID_HEADER + OCID_ROWS))
    _check_ocid(s)
    assert s["source_row"].tolist() == [2, 3, 4, 5, 6]
    used = read_stations(tmp_path / "cell_towers.csv", opencellid_range=True)
    _check_ocid(used, range_used=True)
    assert used.attrs["radius_note"] == "OpenCelliD range used as radius (opencellid_range=True)"


def test_read_opencellid_without_header(tmp_path):
    s = read_stations(_write(tmp_path / "452.csv", OCID_ROWS))
    _check_ocid(s)
    assert s["source_row"].tolist() == [1, 2, 3, 4, 5]  # line numbers, no header line


def test_read_opencellid_gzip_without_header(tmp_path):
    p = tmp_path / "452.csv.gz"
    with gzip.open(p, "wt", encoding="utf-8") as fh:
        fh.write(OCID_ROWS)
    _check_ocid(read_stations(p))


def test_read_missing_file():
    with pytest.raises(DataSourceError, match="nope.csv: no such file"):
        read_stations("nope.csv")


def test_missing_required_column(tmp_path):
    p = _write(tmp_path / "bts.csv", "id,lat,lon\nA,22,104\n")
    with pytest.raises(SchemaError, match=r"bts.csv: required column\(s\) \['tech'\] not found"):
        read_stations(p)


BAD_CSV = (
    "id,lat,lon,tech,range_m,azimuth,beamwidth\n"
    "ok1,22.4,104.0,LTE,,,\n"          # row 2
    "noxy,,104.0,LTE,,,\n"             # row 3: missing latitude
    "badx,22.4,abc,LTE,,,\n"           # row 4: unparseable longitude
    "swap,104.0,22.4,LTE,,,\n"         # row 5: lat/lon swapped
    "lon,22.4,190.0,LTE,,,\n"          # row 6: longitude out of range
    "tech,22.4,104.0,WiMAX,,,\n"       # row 7: unknown technology
    "rng,22.4,104.0,LTE,0,,\n"         # row 8: range_m <= 0
    "bw,22.4,104.0,LTE,,10,400\n"      # row 9: beamwidth > 360
    "az,22.4,104.0,LTE,,north,\n"      # row 10: azimuth not a number
    "ok2,22.4,104.0,GSM,500,-30,360\n"  # row 11
)


@pytest.mark.parametrize(
    ("fix_rows", "pattern"),
    [
        ((), r"bad.csv: 1 row\(s\) in column 'lon': coordinate missing or not a number: "
             r"row 4 \('abc'\)"),
        ((4,), r"bad.csv: 1 row\(s\) in column 'lat': coordinate missing or not a number: "
               r"row 3 \(nan\)"),
        ((3, 4), r"column 'lat': latitude outside \[-90, 90\]: row 5 \('104.0'\).*look like "
                 r"longitude and latitude are swapped"),
        ((3, 4, 5), r"column 'lon': longitude outside \[-180, 180\]: row 6 \('190.0'\)"),
        ((3, 4, 5, 6), r"column 'tech': technology missing or not recognised: row 7 "
                       r"\('WiMAX'\).*4G: LTE, LTE-A, 4G, 4G\+"),
        ((3, 4, 5, 6, 7), r"column 'azimuth': not a number: row 10 \('north'\)"),
        ((3, 4, 5, 6, 7, 10), r"column 'range_m': range_m <= 0: row 8 \('0'\)"),
        ((3, 4, 5, 6, 7, 8, 10), r"column 'beamwidth': beamwidth outside \(0, 360\] degrees: "
                                 r"row 9 \('400'\)"),
    ],
)
def test_strict_errors_name_file_row_column(tmp_path, fix_rows, pattern):
    # repair the rows of the earlier error classes (same spreadsheet rows stay put)
    text = "\n".join(ln if i not in fix_rows else "fine,22.4,104.0,LTE,,,"
                     for i, ln in enumerate(BAD_CSV.splitlines(), start=1)) + "\n"
    with pytest.raises(SchemaError, match=pattern):
        read_stations(_write(tmp_path / "bad.csv", text))


def test_lenient_accounts_for_every_row(tmp_path):
    rep = RejectsReport()
    s = read_stations(_write(tmp_path / "bad.csv", BAD_CSV), rejects=rep)
    assert s["station_id"].tolist() == ["ok1", "ok2"]
    assert s["azimuth_deg"].tolist()[1] == 330.0
    rej = rep.to_frame()
    assert sorted(rej["row"].tolist()) == [3, 4, 5, 6, 7, 8, 9, 10]
    assert rej.set_index("row").loc[7, "reason"] == "technology missing or not recognised"
    summ = rep.summary()
    assert summ[["rows_read", "rows_rejected", "rows_used"]].values.tolist() == [[10, 8, 2]]


def test_projected_coordinates_skip_degree_checks(tmp_path):
    p = _write(tmp_path / "xy.csv", f"id,x,y,tech\nA,{X0},{Y0},LTE\n")
    s = read_stations(p, crs=UTM)
    assert s.crs.to_epsg() == 32648 and s.geometry.x.tolist() == [X0]


def test_station_id_column_wins_over_site_id():
    t = pd.DataFrame({"site_id": ["S1", "S1"], "station_id": ["S1-a", "S1-b"],
                      "lat": [22.0, 22.0], "lon": [104.0, 104.0], "tech": ["LTE", "LTE"]})
    assert read_stations(t)["station_id"].tolist() == ["S1-a", "S1-b"]
    assert read_stations(t, columns={"id": "site_id"})["station_id"].tolist() == ["S1", "S1"]


def test_no_id_column_gets_file_row_ids():
    s = read_stations(pd.DataFrame({"lat": [22.0], "lon": [104.0], "tech": ["LTE"]}))
    assert s["station_id"].tolist() == ["<DataFrame>:1"]


def test_read_does_not_mutate_input():
    t = pd.DataFrame({"lat": ["22,5"], "lon": ["104"], "tech": ["LTE"]})
    before = t.copy()
    read_stations(t)
    pd.testing.assert_frame_equal(t, before)


# ------------------------------------------------------------------------- radii


def _stations(rows, crs=UTM):
    """rows: (id, tech, x, y, range_m, azimuth, beamwidth)."""
    ids, tech, xs, ys, rng, az, bw = zip(*rows, strict=True)
    return gpd.GeoDataFrame(
        {"station_id": ids, "technology": tech, "operator": "op", "range_m": rng,
         "azimuth_deg": az, "beamwidth_deg": bw},
        geometry=[Point(x, y) for x, y in zip(xs, ys, strict=True)], crs=crs).astype(
        {"range_m": float, "azimuth_deg": float, "beamwidth_deg": float})


def test_station_radius_defaults_and_overrides():
    s = pd.DataFrame({"technology": ["2G", "3G", "4G", "5G", "4G"],
                      "range_m": [np.nan] * 4 + [800.0]})
    assert station_radius_m(s).tolist() == [5000.0, 3000.0, 2500.0, 1000.0, 800.0]
    assert station_radius_m(s, radius_m=1234).tolist() == [1234.0] * 4 + [800.0]
    assert station_radius_m(s, radius_m={"5G": 700}).tolist() == [5000.0, 3000.0, 2500.0,
                                                                  700.0, 800.0]
    assert DEFAULT_RADIUS_M["2G"] > DEFAULT_RADIUS_M["3G"] > DEFAULT_RADIUS_M["5G"]


def test_station_radius_errors():
    s = pd.DataFrame({"technology": ["4G", None], "range_m": [np.nan, np.nan]})
    with pytest.raises(SchemaError, match=r"unknown technology key\(s\) \['LTE'\]"):
        station_radius_m(s.iloc[:1], radius_m={"LTE": 100})
    with pytest.raises(SchemaError, match="radii must be positive"):
        station_radius_m(s.iloc[:1], radius_m=-5)
    with pytest.raises(SchemaError, match=r"1 station\(s\) have neither range_m nor a known "
                                          r"technology \(positions \[1\]\)"):
        station_radius_m(s)


# ------------------------------------------------------------------------- footprints


def test_footprint_disc_area_and_crs():
    s = _stations([("A", "4G", X0, Y0, 1000.0, np.nan, np.nan),
                   ("B", "2G", X0 + 10_000, Y0, np.nan, np.nan, np.nan)])
    f = station_footprints(s)
    assert f.crs.to_epsg() == 32648
    assert f["radius_m"].tolist() == [1000.0, 5000.0]
    expected = np.pi * np.array([1000.0, 5000.0]) ** 2
    assert np.allclose(f.area, expected, rtol=0.005)  # 64-gon within 0.5 % of the circle
    assert (f.area < expected).all()  # an inscribed polygon never exceeds the disc
    assert list(f.columns) == ["station_id", "technology", "operator", "radius_m", "geometry"]


def test_footprint_sector_wedge():
    s = _stations([("S", "4G", X0, Y0, 1000.0, 90.0, 90.0),       # pointing east
                   ("O", "4G", X0, Y0, 1000.0, 90.0, 360.0)])     # 360 = disc
    f = station_footprints(s)
    wedge, disc = f.geometry.iloc[0], f.geometry.iloc[1]
    assert wedge.area == pytest.approx(np.pi * 1000**2 / 4, rel=0.005)
    assert wedge.contains(Point(X0 + 900, Y0))       # in front
    assert not wedge.contains(Point(X0 - 100, Y0))   # behind the antenna
    assert not wedge.contains(Point(X0, Y0 + 500))   # north, outside ±45°
    assert disc.area == pytest.approx(np.pi * 1000**2, rel=0.005)


def test_footprints_reproject_lonlat_to_utm():
    s = read_stations(pd.DataFrame({"lat": [22.48], "lon": [103.97], "tech": ["5G"]}))
    f = station_footprints(s)
    assert f.crs.to_epsg() == 32648
    assert f.area.iloc[0] == pytest.approx(np.pi * 1000**2, rel=0.005)
    assert station_footprints(s, crs="EPSG:3405").crs.to_epsg() == 3405


def test_footprints_need_crs():
    s = _stations([("A", "4G", 0, 0, 10.0, np.nan, np.nan)], crs=None)
    with pytest.raises(CRSError, match="stations has no CRS"):
        station_footprints(s)


# ------------------------------------------------------------------------- covering_pairs


def _pairs(points, stations, r, az=None, bw=None):
    m = len(stations)
    az = np.full(m, np.nan) if az is None else np.asarray(az, float)
    bw = np.full(m, np.nan) if bw is None else np.asarray(bw, float)
    a, b = covering_pairs(np.asarray(points, float), np.asarray(stations, float),
                          np.asarray(r, float), az, bw)
    return list(zip(a.tolist(), b.tolist(), strict=True))


def test_covering_pairs_radius_is_inclusive():
    pts = [[1000.0, 0.0], [1000.001, 0.0], [0.0, -1000.0], [600.0, 800.0], [0.0, 0.0]]
    assert _pairs(pts, [[0.0, 0.0]], [1000.0]) == [(0, 0), (2, 0), (3, 0), (4, 0)]


def test_covering_pairs_sector():
    # sector facing north (azimuth 0), 90° wide: covers bearings -45..45
    pts = [[0, 500], [0, -500], [400, 400], [500, 100], [-400, 400], [0, 0]]
    assert _pairs(pts, [[0, 0]], [1000], az=[0], bw=[90]) == [(0, 0), (2, 0), (4, 0), (5, 0)]
    # azimuth 350 with 40° beam wraps through north
    pts = [[0, 500], [-300, 300], [300, 300]]
    assert _pairs(pts, [[0, 0]], [1000], az=[350], bw=[40]) == [(0, 0)]
    # NaN beamwidth = omni
    assert len(_pairs(pts, [[0, 0]], [1000], az=[350], bw=[np.nan])) == 3


def test_covering_pairs_several_stations_sorted():
    pts = [[0, 0], [5000, 0], [2500, 0]]
    sts = [[5000, 0], [0, 0]]
    assert _pairs(pts, sts, [2500, 100]) == [(0, 1), (1, 0), (2, 0)]


def test_covering_pairs_empty_and_length_mismatch():
    a, b = covering_pairs(np.empty((0, 2)), np.array([[0.0, 0.0]]), np.array([1.0]),
                          np.array([np.nan]), np.array([np.nan]))
    assert a.size == b.size == 0
    with pytest.raises(SchemaError, match="stations_xy has 1 rows but radius_m"):
        covering_pairs(np.zeros((1, 2)), np.zeros((1, 2)), np.array([1.0, 2.0]),
                       np.array([np.nan]), np.array([np.nan]))


def _brute(p, s, r, az, bw):
    dx = p[:, None, 0] - s[None, :, 0]
    dy = p[:, None, 1] - s[None, :, 1]
    d2 = dx**2 + dy**2
    inside = d2 <= r[None, :] ** 2
    bearing = np.degrees(np.arctan2(dx, dy))
    diff = np.abs((bearing - az[None, :] + 180) % 360 - 180)
    sector = (np.isfinite(az) & np.isfinite(bw) & (bw < 360))[None, :]
    with np.errstate(invalid="ignore"):
        ok = ~sector | (d2 == 0) | (diff <= bw[None, :] / 2 + 1e-9)
    i, j = np.nonzero(inside & ok)
    return set(zip(i.tolist(), j.tolist(), strict=True))


coords = st.floats(-5000, 5000, allow_nan=False).map(lambda v: round(v, 1))


@settings(max_examples=60, deadline=None)
@given(
    pts=st.lists(st.tuples(coords, coords), min_size=0, max_size=40),
    sts=st.lists(st.tuples(coords, coords, st.floats(0, 3000), st.one_of(
        st.just(np.nan), st.floats(-720, 720)), st.one_of(st.just(np.nan), st.floats(1, 400))),
        min_size=1, max_size=15),
)
def test_covering_pairs_matches_brute_force(pts, sts):
    p = np.array(pts, float).reshape(-1, 2)
    s = np.array([t[:2] for t in sts], float)
    r = np.array([t[2] for t in sts], float)
    az = np.array([t[3] for t in sts], float)
    bw = np.array([t[4] for t in sts], float)
    a, b = covering_pairs(p, s, r, az, bw)
    assert set(zip(a.tolist(), b.tolist(), strict=True)) == _brute(p, s, r, az, bw)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    grow=st.floats(1.0, 3.0),
)
def test_growing_a_radius_never_removes_a_pair(seed, grow):
    rng = np.random.default_rng(seed)
    p = rng.uniform(-3000, 3000, (60, 2))
    s = rng.uniform(-3000, 3000, (8, 2))
    r = rng.uniform(100, 1500, 8)
    az = np.where(rng.random(8) < 0.5, rng.uniform(0, 360, 8), np.nan)
    bw = rng.uniform(30, 180, 8)
    before = set(zip(*(x.tolist() for x in covering_pairs(p, s, r, az, bw)), strict=True))
    r2 = r.copy()
    r2[seed % 8] *= grow
    after = set(zip(*(x.tolist() for x in covering_pairs(p, s, r2, az, bw)), strict=True))
    assert before <= after


def test_covering_pairs_agree_with_footprints():
    rng = np.random.default_rng(1)
    s = _stations([("A", "4G", X0, Y0, 2000.0, 45.0, 120.0),
                   ("B", "2G", X0 + 3000, Y0, np.nan, np.nan, np.nan)])
    pts = rng.uniform([X0 - 6000, Y0 - 6000], [X0 + 9000, Y0 + 6000], (2000, 2))
    f = station_footprints(s, quad_segs=64)
    a, b = covering_pairs(pts, np.c_[s.geometry.x, s.geometry.y], station_radius_m(s),
                          s["azimuth_deg"].to_numpy(), s["beamwidth_deg"].to_numpy())
    for k in range(2):
        poly_in = shapely.contains_xy(f.geometry.iloc[k], pts[:, 0], pts[:, 1])
        exact = np.zeros(len(pts), bool)
        exact[a[b == k]] = True
        assert (poly_in & ~exact).sum() == 0           # polygon inscribed in the exact shape
        assert (exact & ~poly_in).sum() <= 3           # only slivers at the arc differ


@pytest.mark.slow
def test_covering_pairs_national_scale_agrees_with_a_brute_force_check():
    """At national size (timed in bench/, not here) the pairs are exactly those within r."""
    rng = np.random.default_rng(0)
    p = rng.uniform(0, [500e3, 700e3], (80_000, 2))
    s = rng.uniform(0, [500e3, 700e3], (100_000, 2))
    r = rng.choice([5000.0, 3000.0, 2500.0, 1000.0], 100_000)
    az = np.where(rng.random(100_000) < 0.5, rng.uniform(0, 360, 100_000), np.nan)
    a, b = covering_pairs(p, s, r, az, np.full(100_000, 65.0))
    assert len(a) > 100_000
    d = np.hypot(*(p[a] - s[b]).T)
    assert (d <= r[b] + 1e-6).all()
    # omni stations: every village within r is found (brute force on a sample of stations)
    omni = np.flatnonzero(np.isnan(az))[:200]
    for k in omni:
        within = np.flatnonzero(np.hypot(*(p - s[k]).T) <= r[k])
        np.testing.assert_array_equal(np.sort(a[b == k]), within)


def test_footprints_of_a_sliced_frame_keep_their_rows():
    """A frame whose index is not 0..n-1 (a slice) gets each station's own footprint."""
    s = gpd.GeoDataFrame({"station_id": ["A", "B", "C"], "technology": ["4G", "2G", "4G"],
                          "range_m": [1000.0, 3000.0, 2000.0]},
                         geometry=[Point(0, 0), Point(10_000, 0), Point(20_000, 0)],
                         crs="EPSG:32648")
    full = station_footprints(s)
    fp = station_footprints(s.iloc[[2, 0]])
    assert list(fp.index) == [2, 0]
    assert fp.geometry.notna().all()
    assert fp.geometry.geom_equals_exact(full.geometry.loc[[2, 0]], 1e-6).all()
    assert fp.geometry.area.tolist() == pytest.approx([3.14159e6 * 4, 3.14159e6], rel=0.01)
