"""A planner's province, built in code, and its clean English twin.

One district of the built-in sample province is written twice:

* ``english``: the files as a careful analyst would make them: a GeoPackage of communes
  (UTF-8, NFC), comma-separated CSVs with English headers and decimal points, a fiber file
  that lists the connected village codes;
* ``vietnamese``: the files as a provincial office holds them: a Shapefile whose DBF is
  Windows-1258 *without* a ``.cpg`` (names in the Windows-1258 form: base letters with
  separate tone marks), ``;``-separated CSVs with Vietnamese headers (diacritics, spaces,
  units in brackets), vi-VN numbers (``22,749096``; ``2.230`` metres; ``1.234`` people),
  names in decomposed Unicode (NFD), mixed technology labels (GSM, WCDMA, LTE, 4G, ...),
  Vietnamese statuses, and a fiber list with a ``Cáp quang`` yes/no column
  (``có``/``không``/``đã có``/``chưa có``) that lists every village.

The same analysis on the two must give identical tables.  ``defects=True`` adds to the
Vietnamese files rows that lenient mode must reject (and strict mode refuse), each named
in :data:`DEFECTS`, so that the tables still equal the clean twin's and the rejects report
accounts for every row.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

import geocov

DISTRICT = "082"

# Windows-1258 writes Vietnamese as base letters (with circumflex, breve or horn) followed
# by a separate tone mark: these five combining marks are the ones it has bytes for.
_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}

TECH_VI = {"2G": ["GSM", "2G", "gsm"], "3G": ["WCDMA", "3G", "UMTS"], "4G": ["LTE", "4G", "lte"]}
STATUS_VI = {"active": "Đang hoạt động", "planned": "Kế hoạch"}
FLAG_YES = ["có", "Có", "đã có", "x"]
FLAG_NO = ["không", "Không", "chưa có"]

# (file key, what the bad row is) for defects=True; the tests check each is rejected
DEFECTS = {
    "villages": ["point at 0,0 while its code names a commune of the district",
                 "latitude not a number"],
    "stations": ["range 1.000.000 m (1,000 km)", "NB-IoT cell (not counted)",
                 "unknown technology 'WiMAX'"],
    "fiber": ["unknown village code", "flag value '?'"],
}


def to_cp1258(text: str) -> bytes:
    """Encode ``text`` as Windows-1258 does: precomposed letters where the code page has
    them, else the base letter followed by a separate tone mark."""
    out = []
    for ch in unicodedata.normalize("NFC", text):
        try:
            out.append(ch.encode("cp1258"))
            continue
        except UnicodeEncodeError:
            pass
        nfd = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", "".join(c for c in nfd if c not in _TONES))
        tones = "".join(c for c in nfd if c in _TONES)
        out.append(base.encode("cp1258") + tones.encode("cp1258"))
    return b"".join(out)


def _vi_number(values, decimals: int) -> list[str]:
    """vi-VN formatting: '.' groups thousands, ',' is the decimal mark."""
    out = []
    for v in values:
        if pd.isna(v):
            out.append("")
            continue
        text = f"{float(v):,.{decimals}f}"
        out.append(text.replace(",", "\0").replace(".", ",").replace("\0", "."))
    return out


def _nfd(values) -> list[str]:
    return [unicodedata.normalize("NFD", str(v)) for v in values]


def _sample_subset() -> dict[str, pd.DataFrame]:
    paths = geocov.sample_paths()
    units = gpd.read_file(paths["units"], layer="communes")
    units = units[units["district_code"] == DISTRICT].reset_index(drop=True)
    villages = pd.read_csv(paths["villages"], dtype=str, keep_default_na=False,
                           na_values=[""])
    villages = villages[villages["commune_code"].isin(units["commune_code"])]
    villages = villages.reset_index(drop=True)
    stations = pd.read_csv(paths["stations"], dtype={"station_id": str, "site_id": str})
    x0, y0, x1, y1 = units.total_bounds
    near = stations["lon"].between(x0 - 0.05, x1 + 0.05) & stations["lat"].between(
        y0 - 0.05, y1 + 0.05)
    stations = stations[near].reset_index(drop=True)
    # fiber: a deterministic half of the villages is connected
    connected = villages["village_code"].str[-1].astype(int) % 2 == 0
    return {"units": units, "villages": villages, "stations": stations,
            "connected": connected.to_numpy()}


def _toml(title: str, units: str, levels: dict, codes: dict, villages: str, stations: str,
          fiber: str, statuses: list[str], extra_units: str = "") -> str:
    def inline(d: dict) -> str:
        return "{ " + ", ".join(f'{k} = "{v}"' for k, v in d.items()) + " }"

    status_list = ", ".join(f'"{s}"' for s in statuses)
    return (f'title = "{title}"\ndata_date = "2020-12-31"\n\n'
            f'[units]\npath = "{units}"\nlevels = {inline(levels)}\ncodes = {inline(codes)}\n'
            f"{extra_units}\n"
            f'[villages]\npath = "{villages}"\n\n[stations]\npath = "{stations}"\n\n'
            f'[fiber]\npath = "{fiber}"\n\n[population]\nsource = "villages"\n\n'
            f"[model]\nresolution_m = 100\nstatuses = [{status_list}]\n\n"
            f'[output]\nfolder = "out"\n')


def write_english(folder: Path) -> dict[str, Path]:
    """The clean twin; returns the paths (``units``, ``villages``, ``stations``, ``fiber``,
    ``analysis``)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    s = _sample_subset()
    paths = {k: folder / n for k, n in (("units", "communes.gpkg"), ("villages", "villages.csv"),
                                        ("stations", "stations.csv"), ("fiber", "fiber.csv"),
                                        ("analysis", "analysis.toml"))}
    s["units"].drop(columns=["population"]).to_file(paths["units"], layer="communes",
                                                    driver="GPKG", engine="pyogrio")
    s["villages"].to_csv(paths["villages"], index=False, encoding="utf-8")
    st = s["stations"].drop(columns=["site_id"])
    st.to_csv(paths["stations"], index=False, encoding="utf-8")
    pd.DataFrame({"village_code": s["villages"]["village_code"][s["connected"]]}).to_csv(
        paths["fiber"], index=False, encoding="utf-8")
    paths["analysis"].write_text(_toml(
        "Planner's province (English)", "communes.gpkg",
        {"province": "province_name", "district": "district_name", "commune": "commune_name"},
        {"province": "province_code", "district": "district_code", "commune": "commune_code"},
        "villages.csv", "stations.csv", "fiber.csv", ["active"],
        extra_units='layer = "communes"\n'), encoding="utf-8")
    return paths


def _write_cp1258_shapefile(units: gpd.GeoDataFrame, path: Path) -> None:
    """A Shapefile whose DBF holds Windows-1258 bytes and which has no ``.cpg``."""
    frame = gpd.GeoDataFrame({
        "MA_TINH": units["province_code"], "TEN_TINH": units["province_name"],
        "MA_HUYEN": units["district_code"], "TEN_HUYEN": units["district_name"],
        "MA_XA": units["commune_code"], "TEN_XA": units["commune_name"],
    }, geometry=units.geometry, crs=units.crs)
    for col in ("TEN_TINH", "TEN_HUYEN", "TEN_XA"):
        # latin-1 carries the cp1258 bytes through GDAL unchanged
        frame[col] = [to_cp1258(v).decode("latin-1") for v in frame[col]]
    frame.to_file(path, driver="ESRI Shapefile", engine="pyogrio", encoding="ISO-8859-1")
    cpg = path.with_suffix(".cpg")
    if cpg.exists():
        cpg.unlink()


def write_vietnamese(folder: Path, *, defects: bool = False) -> dict[str, Path]:
    """The provincial office's files; returns the same keys as :func:`write_english`."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    s = _sample_subset()
    paths = {k: folder / n for k, n in (("units", "xa.shp"), ("villages", "thon.csv"),
                                        ("stations", "tram_bts.csv"),
                                        ("fiber", "cap_quang.csv"),
                                        ("analysis", "phan_tich.toml"))}
    _write_cp1258_shapefile(s["units"], paths["units"])

    v = s["villages"]
    vil = pd.DataFrame({
        "Mã thôn": v["village_code"],
        "Tên thôn": _nfd(v["village_name"]),
        "Mã xã": v["commune_code"].fillna(""),
        "Dân số": _vi_number(v["population"].astype(float), 0),
        "Kinh độ": _vi_number(v["lon"].astype(float), 6),
        "Vĩ độ": _vi_number(v["lat"].astype(float), 6),
    })
    st = s["stations"]
    n = len(st)
    normal = geocov.normalise_technology(st["technology"])
    tech = [TECH_VI[t][i % 3] for i, t in enumerate(normal)]
    bts = pd.DataFrame({
        "Mã trạm": st["station_id"],
        "Nhà mạng": st["operator"],
        "Công nghệ": tech,
        "Kinh độ": _vi_number(st["lon"], 6),
        "Vĩ độ": _vi_number(st["lat"], 6),
        "Bán kính (m)": _vi_number(st["range_m"], 1),
        "Góc phương vị": _vi_number(st["azimuth"], 0),
        "Độ rộng búp sóng": _vi_number(st["beamwidth"], 0),
        "Trạng thái": _nfd(st["status"].map(STATUS_VI)),
    })
    flags = np.where(s["connected"],
                     np.array(FLAG_YES, dtype=object)[np.arange(len(v)) % len(FLAG_YES)],
                     np.array(FLAG_NO, dtype=object)[np.arange(len(v)) % len(FLAG_NO)])
    fib = pd.DataFrame({"Mã thôn": v["village_code"], "Tên thôn": _nfd(v["village_name"]),
                        "Cáp quang": flags})
    if defects:
        first = v.iloc[0]
        vil = pd.concat([vil, pd.DataFrame({
            "Mã thôn": ["99999901", "99999902"], "Tên thôn": ["Thôn Lỗi", "Bản Sai"],
            "Mã xã": [first["commune_code"], first["commune_code"]], "Dân số": ["120", "80"],
            "Kinh độ": ["0", "104,1"], "Vĩ độ": ["0", "hai mươi hai"]})], ignore_index=True)
        bts = pd.concat([bts, pd.DataFrame({
            "Mã trạm": ["BAD-RANGE", "NBIOT-1", "WIMAX-1"], "Nhà mạng": ["Viettel"] * 3,
            "Công nghệ": ["LTE", "NB-IoT", "WiMAX"],
            "Kinh độ": [bts["Kinh độ"].iloc[0]] * 3, "Vĩ độ": [bts["Vĩ độ"].iloc[0]] * 3,
            "Bán kính (m)": ["1.000.000", "", ""], "Góc phương vị": [""] * 3,
            "Độ rộng búp sóng": [""] * 3, "Trạng thái": ["Đang hoạt động"] * 3})],
            ignore_index=True)
        fib = pd.concat([fib, pd.DataFrame({
            "Mã thôn": ["12345678", v["village_code"].iloc[1]],
            "Tên thôn": ["Không rõ", "Thôn hỏi"], "Cáp quang": ["có", "?"]})],
            ignore_index=True)
        assert n < len(bts)
    for frame, key in ((vil, "villages"), (bts, "stations"), (fib, "fiber")):
        frame.to_csv(paths[key], sep=";", index=False, encoding="utf-8")
    paths["analysis"].write_text(_toml(
        "Phân tích vùng phủ (tiếng Việt)", "xa.shp",
        {"province": "TEN_TINH", "district": "TEN_HUYEN", "commune": "TEN_XA"},
        {"province": "MA_TINH", "district": "MA_HUYEN", "commune": "MA_XA"},
        "thon.csv", "tram_bts.csv", "cap_quang.csv", ["Đang hoạt động"]), encoding="utf-8")
    return paths
