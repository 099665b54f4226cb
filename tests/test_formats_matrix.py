"""Every documented input format through every entry point: the library (analysis file),
``geocov run``, ``geocov report`` (file by file, no analysis file) and ``geocov map``.

A hand-checkable two-level province (post-2025 style: province -> commune) of two 0.1°
communes, four villages, three stations and fiber at two villages.  Each case writes ONE
input in one format and the others in the baseline CSV/GeoPackage; every case must give
the baseline's tables, which are themselves checked by hand:

* S1 4G at V1, 2.5 km: covers V1 only (V2 is 4.15 km away);
* S2 2G at V3, 5 km: covers V3 and V4 (4.15 km), not V2 (6.2 km);
* S3 3G 1.1 km from V4, 3 km: covers V4 only;
* fiber reaches V1 and V3, hence both communes.
"""

from __future__ import annotations

import gzip
import unicodedata
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner
from shapely import LineString, box

import geocov
from geocov.cli import main

PROVINCE = ("01", "Tỉnh Thử Nghiệm")
COMMUNES = [("01001", "Xã Bản Khoang", box(105.00, 21.00, 105.10, 21.10)),
            ("01002", "Phường Sa Pa", box(105.10, 21.00, 105.20, 21.10))]
VILLAGES = pd.DataFrame({
    "village_code": ["0100101", "0100102", "0100201", "0100202"],
    "village_name": ["Bản Một", "Thôn Hai", "Bản Ba", "Thôn Bốn"],
    "commune_code": ["01001", "01001", "01002", "01002"],
    "population": [100, 200, 300, 400],
    "lon": [105.03, 105.07, 105.13, 105.17],
    "lat": [21.05, 21.05, 21.05, 21.05],
})
# ranges equal to the technology defaults, so that OpenCelliD files (whose range is not used)
# give the same footprints
STATIONS = pd.DataFrame({
    "station_id": ["S1", "S2", "S3"],
    "technology": ["4G", "2G", "3G"],
    "operator": ["Viettel", "Viettel", "Viettel"],
    "lon": [105.03, 105.13, 105.17],
    "lat": [21.05, 21.05, 21.06],
    "range_m": [2500.0, 5000.0, 3000.0],
})
OCID_RADIO = {"4G": "LTE", "2G": "GSM", "3G": "UMTS"}
FIBER_AT = ["0100101", "0100201"]

LEVELS = "province=province_name,commune=commune_name"
CODES = "province=province_code,commune=commune_code"


def units_frame() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"province_code": [PROVINCE[0]] * 2, "province_name": [PROVINCE[1]] * 2,
         "commune_code": [c for c, _, _ in COMMUNES], "commune_name": [n for _, n, _ in COMMUNES]},
        geometry=[g for _, _, g in COMMUNES], crs=4326)


def village_points() -> gpd.GeoDataFrame:
    v = VILLAGES.drop(columns=["lon", "lat"])
    return gpd.GeoDataFrame(v, geometry=gpd.points_from_xy(VILLAGES.lon, VILLAGES.lat), crs=4326)


def station_points() -> gpd.GeoDataFrame:
    s = STATIONS.drop(columns=["lon", "lat"])
    return gpd.GeoDataFrame(s, geometry=gpd.points_from_xy(STATIONS.lon, STATIONS.lat), crs=4326)


def fiber_nodes() -> gpd.GeoDataFrame:
    v = VILLAGES.set_index("village_code").loc[FIBER_AT]
    return gpd.GeoDataFrame({"reach_m": [500.0, 500.0]},
                            geometry=gpd.points_from_xy(v.lon, v.lat), crs=4326)


def _vi(x: float, decimals: int) -> str:
    return f"{x:,.{decimals}f}".replace(",", "\0").replace(".", ",").replace("\0", ".")


# ------------------------------------------------------------------ writers, one per format
def units_gpkg(d: Path) -> Path:
    units_frame().to_file(d / "u.gpkg", engine="pyogrio")
    return d / "u.gpkg"


def units_shp_utf8(d: Path) -> Path:
    units_frame().to_file(d / "u.shp", engine="pyogrio", encoding="UTF-8")
    return d / "u.shp"


def units_shp_cp1258_no_cpg(d: Path) -> Path:
    from planner_province import to_cp1258

    f = units_frame()
    for col in ("province_name", "commune_name"):
        f[col] = [to_cp1258(v).decode("latin-1") for v in f[col]]
    f.to_file(d / "u.shp", engine="pyogrio", encoding="ISO-8859-1")
    (d / "u.cpg").unlink()
    return d / "u.shp"


def units_geojson(d: Path) -> Path:
    units_frame().to_file(d / "u.geojson", engine="pyogrio", driver="GeoJSON")
    return d / "u.geojson"


def units_geoparquet(d: Path) -> Path:
    units_frame().to_parquet(d / "u.parquet")
    return d / "u.parquet"


def villages_csv(d: Path) -> Path:
    VILLAGES.to_csv(d / "v.csv", index=False)
    return d / "v.csv"


def villages_csv_vi(d: Path) -> Path:
    t = pd.DataFrame({
        "Mã thôn": VILLAGES.village_code,
        "Tên thôn": [unicodedata.normalize("NFD", n) for n in VILLAGES.village_name],
        "Mã xã": VILLAGES.commune_code,
        "Dân số": [_vi(p, 0) for p in VILLAGES.population],
        "Kinh độ": [_vi(x, 4) for x in VILLAGES.lon], "Vĩ độ": [_vi(y, 4) for y in VILLAGES.lat]})
    t.to_csv(d / "thon.csv", sep=";", index=False, encoding="utf-8")
    return d / "thon.csv"


def villages_csv_wkt(d: Path) -> Path:
    v = village_points()
    t = pd.DataFrame(v.drop(columns="geometry"))
    t["wkt"] = v.geometry.to_wkt()
    t.to_csv(d / "v.csv", index=False)
    return d / "v.csv"


def villages_xlsx(d: Path) -> Path:
    VILLAGES.to_excel(d / "v.xlsx", index=False)
    return d / "v.xlsx"


def villages_gpkg_points(d: Path) -> Path:
    village_points().to_file(d / "v.gpkg", engine="pyogrio")
    return d / "v.gpkg"


def villages_gpkg_polygons(d: Path) -> Path:
    v = village_points()
    v.geometry = v.geometry.buffer(0.002, cap_style="square")
    v.to_file(d / "v.gpkg", engine="pyogrio")
    return d / "v.gpkg"


def villages_geoparquet(d: Path) -> Path:
    village_points().to_parquet(d / "v.parquet")
    return d / "v.parquet"


def stations_csv(d: Path) -> Path:
    STATIONS.to_csv(d / "s.csv", index=False)
    return d / "s.csv"


def stations_csv_vi(d: Path) -> Path:
    t = pd.DataFrame({
        "Mã trạm": STATIONS.station_id, "Công nghệ": ["LTE", "GSM", "WCDMA"],
        "Nhà mạng": STATIONS.operator,
        "Kinh độ": [_vi(x, 4) for x in STATIONS.lon], "Vĩ độ": [_vi(y, 4) for y in STATIONS.lat],
        "Bán kính (m)": [_vi(r, 0) for r in STATIONS.range_m]})
    t.to_csv(d / "tram.csv", sep=";", index=False, encoding="utf-8")
    return d / "tram.csv"


def stations_csv_km_cp1258(d: Path) -> Path:
    text = "ma_tram;cong_nghe;nha_mang;kinh_do;vi_do;ban_kinh_km\n" + "".join(
        f"{r.station_id};{r.technology};{r.operator};{_vi(r.lon, 4)};{_vi(r.lat, 4)};"
        f"{_vi(r.range_m / 1000, 1)}\n" for r in STATIONS.itertuples())
    (d / "tram.csv").write_bytes(text.encode("cp1258"))
    return d / "tram.csv"


def stations_xlsx(d: Path) -> Path:
    STATIONS.to_excel(d / "s.xlsx", index=False)
    return d / "s.xlsx"


def stations_gpkg(d: Path) -> Path:
    station_points().to_file(d / "s.gpkg", engine="pyogrio")
    return d / "s.gpkg"


def _ocid_rows() -> list[str]:
    return [f"{OCID_RADIO[r.technology]},452,4,100,{i},0,{r.lon},{r.lat},1234,3,1,1,2,0\n"
            for i, r in enumerate(STATIONS.itertuples())]


OCID_HEADER = ("radio,mcc,net,area,cell,unit,lon,lat,range,samples,changeable,created,updated,"
               "averageSignal\n")


def stations_opencellid(d: Path) -> Path:
    (d / "cell_towers.csv").write_text(OCID_HEADER + "".join(_ocid_rows()))
    return d / "cell_towers.csv"


def stations_opencellid_headerless(d: Path) -> Path:
    (d / "452.csv").write_text("".join(_ocid_rows()))
    return d / "452.csv"


def stations_opencellid_gz(d: Path) -> Path:
    with gzip.open(d / "cell_towers.csv.gz", "wt") as fh:
        fh.write(OCID_HEADER + "".join(_ocid_rows()))
    return d / "cell_towers.csv.gz"


def fiber_codes_csv(d: Path) -> Path:
    pd.DataFrame({"village_code": FIBER_AT}).to_csv(d / "f.csv", index=False)
    return d / "f.csv"


def fiber_flags_vi(d: Path) -> Path:
    flags = ["có" if c in FIBER_AT else "chưa có" for c in VILLAGES.village_code]
    pd.DataFrame({"Mã thôn": VILLAGES.village_code, "Cáp quang": flags}).to_csv(
        d / "cap_quang.csv", sep=";", index=False)
    return d / "cap_quang.csv"


def fiber_codes_xlsx(d: Path) -> Path:
    pd.DataFrame({"ma_thon": FIBER_AT}).to_excel(d / "f.xlsx", index=False)
    return d / "f.xlsx"


def fiber_nodes_gpkg(d: Path) -> Path:
    fiber_nodes().to_file(d / "f.gpkg", engine="pyogrio")
    return d / "f.gpkg"


def fiber_routes_gpkg(d: Path) -> Path:
    lines = [LineString([(p.x - 0.001, p.y), (p.x + 0.001, p.y)]) for p in fiber_nodes().geometry]
    gpd.GeoDataFrame({"reach_m": [500.0, 500.0]}, geometry=lines, crs=4326).to_file(
        d / "f.gpkg", engine="pyogrio")
    return d / "f.gpkg"


def fiber_nodes_geojson(d: Path) -> Path:
    fiber_nodes().to_file(d / "f.geojson", engine="pyogrio", driver="GeoJSON")
    return d / "f.geojson"


def fiber_nodes_lonlat_csv(d: Path) -> Path:
    n = fiber_nodes()
    pd.DataFrame({"kinh_do": n.geometry.x, "vi_do": n.geometry.y, "reach_m": n.reach_m}).to_csv(
        d / "f.csv", index=False)
    return d / "f.csv"


BASE = {"units": units_gpkg, "villages": villages_csv, "stations": stations_csv,
        "fiber": fiber_codes_csv}
CASES = {
    "units": [units_shp_utf8, units_shp_cp1258_no_cpg, units_geojson, units_geoparquet],
    "villages": [villages_csv_vi, villages_csv_wkt, villages_xlsx, villages_gpkg_points,
                 villages_gpkg_polygons, villages_geoparquet],
    "stations": [stations_csv_vi, stations_csv_km_cp1258, stations_xlsx, stations_gpkg,
                 stations_opencellid, stations_opencellid_headerless, stations_opencellid_gz],
    "fiber": [fiber_flags_vi, fiber_codes_xlsx, fiber_nodes_gpkg, fiber_routes_gpkg,
              fiber_nodes_geojson, fiber_nodes_lonlat_csv],
}
PARAMS = [pytest.param(kind, w, id=f"{kind}-{w.__name__}") for kind, ws in CASES.items()
          for w in ws]

# column names in a Shapefile (DBF names are cut to 10 characters)
SHP_LEVELS = "province=province_n,commune=commune_na"
SHP_CODES = "province=province_c,commune=commune_co"

COMPARED = ["province_name", "commune_name", "villages", "villages_covered_2g",
            "villages_covered_3g", "villages_covered_4g", "villages_covered_any",
            "population", "population_covered_any", "villages_fiber", "communes_with_fiber",
            "communes_with_signal", "covered_area_km2_any", "area_km2"]


def write_inputs(d: Path, kind: str, writer) -> dict[str, Path]:
    d.mkdir(parents=True, exist_ok=True)
    paths = {k: (writer if k == kind else w)(d) for k, w in BASE.items()}
    shp = writer in (units_shp_utf8, units_shp_cp1258_no_cpg)
    unit_levels, unit_codes = (SHP_LEVELS, SHP_CODES) if shp else (LEVELS, CODES)

    def inline(pairs: str) -> str:
        return "{ " + ", ".join(f'{k} = "{v}"' for k, v in
                                (p.split("=") for p in pairs.split(","))) + " }"

    (d / "analysis.toml").write_text(
        f'[units]\npath = "{paths["units"].name}"\nlevels = {inline(unit_levels)}\n'
        f'codes = {inline(unit_codes)}\n[villages]\npath = "{paths["villages"].name}"\n'
        f'[stations]\npath = "{paths["stations"].name}"\n[fiber]\npath = "{paths["fiber"].name}"'
        f'\n[population]\nsource = "villages"\n', encoding="utf-8")
    paths["analysis"] = d / "analysis.toml"
    paths["levels"], paths["codes"] = unit_levels, unit_codes
    return paths


def commune_table(result) -> pd.DataFrame:
    return pd.DataFrame(result.table("commune"))[COMPARED].reset_index(drop=True)


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    paths = write_inputs(tmp_path_factory.mktemp("base"), "units", units_gpkg)
    table = commune_table(geocov.run_analysis(paths["analysis"]))
    # the hand check of the module docstring
    assert table["villages_covered_4g"].tolist() == [1, 0]
    assert table["villages_covered_2g"].tolist() == [0, 2]
    assert table["villages_covered_3g"].tolist() == [0, 1]
    assert table["villages_covered_any"].tolist() == [1, 2]
    assert table["population_covered_any"].tolist() == [100, 700]
    assert table["villages_fiber"].tolist() == [1, 1]
    assert table["communes_with_fiber"].tolist() == [1, 1]
    return table


def _cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def _check(table: pd.DataFrame, baseline: pd.DataFrame, where: str) -> None:
    pd.testing.assert_frame_equal(table[COMPARED].reset_index(drop=True), baseline,
                                  check_dtype=False, obj=where, atol=1e-9)


@pytest.mark.parametrize("kind, writer", PARAMS)
def test_format_through_every_entry_point(kind, writer, baseline, tmp_path, recwarn):
    paths = write_inputs(tmp_path / "in", kind, writer)
    # library
    _check(commune_table(geocov.run_analysis(paths["analysis"])), baseline, "library")
    # geocov run
    r = _cli("run", paths["analysis"], "-o", tmp_path / "run")
    assert r.exit_code == 0, r.output
    _check(pd.read_csv(tmp_path / "run" / "coverage_commune.csv", dtype={"commune_code": str}),
           baseline, "run")
    # geocov report, file by file (no analysis file)
    r = _cli("report", "--units", paths["units"], "--levels", paths["levels"],
             "--codes", paths["codes"], "--villages", paths["villages"],
             "--stations", paths["stations"], "--fiber", paths["fiber"],
             "--population", "villages", "--level", "commune", "-o", f"{tmp_path / 'rep'}/")
    assert r.exit_code == 0, r.output
    _check(pd.read_csv(tmp_path / "rep" / "coverage_commune.csv", dtype={"commune_code": str}),
           baseline, "report")
    # geocov map
    r = _cli("map", "--analysis", paths["analysis"], "--level", "commune",
             "-o", tmp_path / "map.html")
    assert r.exit_code == 0, r.output
    html = (tmp_path / "map.html").read_text(encoding="utf-8")
    assert all(name in html for _, name, _ in COMMUNES)
