"""Base stations: read any station list, normalise technologies, build footprints.

A station table becomes the normalised "Stations" schema of ``docs/design.md``: one Point
per row (one row per cell: duplicate ``station_id`` rows are kept), ``technology`` in
``"2G"``/``"3G"``/``"4G"``/``"5G"``, ``operator``, ``range_m``, ``azimuth_deg``,
``beamwidth_deg``, ``status`` and provenance.  OpenCelliD exports are read as they are,
with or without their header line.

Footprints are discs of ``range_m`` (or the technology default, :data:`DEFAULT_RADIUS_M`),
or sector wedges when both ``azimuth_deg`` and ``beamwidth_deg`` are given.  The numeric
core used by :mod:`geocov.coverage` is :func:`covering_pairs`.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from . import crs as _crs
from .encoding import nfc_frame
from .errors import (
    DataQualityWarning,
    DataSourceError,
    Listing,
    SchemaError,
    Words,
    hint,
    more_words,
)
from .io import (
    MAX_LISTED,
    RejectsReport,
    codes_as_text,
    count_rows_read,
    file_decimal,
    fold_text,
    frame_from_source,
    has_geometry,
    lonlat_points,
    parse_numbers,
    read_table,
    reject_rows,
    resolve_columns,
    source_names,
)
from .vocabulary import TECHNOLOGIES, is_sector

__all__ = [
    "TECHNOLOGIES",
    "DEFAULT_RADIUS_M",
    "VIETNAM_OPERATORS",
    "MAX_RANGE_M",
    "NOT_COUNTED",
    "normalise_technology",
    "read_stations",
    "station_radius_m",
    "station_footprints",
    "covering_pairs",
]

logger = logging.getLogger(__name__)


# Spellings accepted for each technology, compared after folding (case, spaces and
# punctuation removed: "LTE-A" -> "ltea", "5G NR" -> "5gnr", "HSPA+" -> "hspa").  Bare
# generation numbers ("2" ... "5", from a "generation" column) are accepted as well.  A band
# written after the name ("GSM 900", "LTE1800 MHz") is ignored, and a label made of several
# words that all name the same technology ("3G/WCDMA", "4G (LTE)") is that technology; one
# that names two ("2G/3G") is not recognised (one row per cell).
_SPELLINGS: dict[str, tuple[str, ...]] = {
    "2G": ("GSM", "GPRS", "EDGE", "2G", "2"),
    "3G": ("UMTS", "WCDMA", "HSPA", "HSPA+", "HSDPA", "TD-SCDMA", "3G", "3"),
    "4G": ("LTE", "LTE-A", "4G", "4G+", "4"),
    "5G": ("NR", "5G", "5G NR", "5"),
}
# Radio technologies that are recognised but NOT counted as coverage, because they give no
# mobile broadband to people: NB-IoT and LTE-M (LTE Cat-M1) are machine-type IoT carriers
# (kbit/s, no voice on NB-IoT, SIMs sold for meters and trackers), and CDMA (IS-95 /
# CDMA2000, e.g. Vietnam's former S-Fone, MNC 03) networks have stopped operating in
# Vietnam, so a CDMA row in a crowd-sourced export such as OpenCelliD is a stale
# observation, not a serving cell; and the word alone never told a voice-only 1x cell from
# an EV-DO data one.  (Earlier versions counted CDMA as
# 2G; that overstated coverage with networks that no longer exist.)  read_stations leaves
# these rows out and accounts for them: a reject "technology not counted (NB-IoT)" in
# lenient mode, a DataQualityWarning with the count per technology in strict mode.
#: Start of the reject reason of a cell whose technology is not counted (lenient mode).
NOT_COUNTED_REASON = "technology not counted"

NOT_COUNTED: dict[str, tuple[str, ...]] = {
    "NB-IoT": ("NBIOT", "NB-IoT", "LTE-NB", "Cat-NB1", "Cat-NB2"),
    "LTE-M": ("LTE-M", "LTEM", "LTE-M1", "CAT-M", "CAT-M1", "LTE Cat-M1", "eMTC"),
    "CDMA": ("CDMA", "CDMA2000", "CDMA 1x", "1xRTT", "IS-95", "EV-DO", "EVDO"),
}


def _fold_label(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", fold_text(text))


_FOLDED_TECH = {
    _fold_label(name): tech for tech, names in _SPELLINGS.items() for name in names
}
_FOLDED_NOT_COUNTED = {
    _fold_label(name): f"not:{tech}" for tech, names in NOT_COUNTED.items() for name in names
}
_FOLDED_LABELS = {**_FOLDED_TECH, **_FOLDED_NOT_COUNTED}
_ACCEPTED_TEXT = "; ".join(f"{t}: {', '.join(n)}" for t, n in _SPELLINGS.items())
_BAND_SUFFIX = re.compile(r"(\d{3,4})(mhz)?$")  # "lte1800", "gsm900mhz"


def _label_class(label: str) -> str | None:
    """``"2G"``..``"5G"``, ``"not:<tech>"`` (recognised, not counted) or None (unknown)."""

    def one(word: str) -> str | None:
        f = _fold_label(word)
        if f in _FOLDED_LABELS:
            return _FOLDED_LABELS[f]
        g = _BAND_SUFFIX.sub("", f)
        if g and not g.isdigit() and g in _FOLDED_LABELS:
            return _FOLDED_LABELS[g]
        return None

    found = one(label)
    if found is not None:
        return found
    parts = [w for w in re.split(r"[/,;|()\s]+", str(label)) if w.strip()]
    if len(parts) < 2 or any(_fold_label(w).isdigit() for w in parts):
        return None  # "LTE (band 3)": a bare number among words is not a generation
    classes = {one(w) for w in parts}
    return classes.pop() if len(classes) == 1 else None


# Default cell radius per technology, in metres, used where a station has no range_m.
#
# These are planning assumptions for rural, mountainous terrain (the first users work in
# northern Vietnam), not measurements; they are meant to be overridden (``radius_m=`` or a
# ``range_m`` column) whenever the operator knows better.  Where the numbers come from:
#
# * ITU-D, "The Last-Mile Internet Connectivity Solutions Guide" (ITU, 2020), step 2C,
#   quoting GSMA: in rural deployments a tower over 30 m covers 8-15 km, a 12-30 m tower
#   4-8 km and a 9-19 m tower 2-4 km; coverage shrinks as the frequency rises (its table
#   of LTE coverage per band, after Ovum 2014, assumes flat terrain).
# * Okumura-Hata / COST-231-Hata: path loss grows with 26.16-33.9 x log10(f), so at the
#   same link budget a 1800-2100 MHz cell reaches roughly half as far as a 900 MHz one
#   (see also the US DOJ figure "700 MHz spectrum has a ten-fold coverage advantage over
#   2.5 GHz spectrum", i.e. about 3x the radius).
# * 5G NR at 3.5 GHz (n78): trial measurements (arXiv:2003.09574, Sydney) find a
#   footprint similar to 2.6 GHz LTE only thanks to beamforming; without it, shorter.
#
# Chosen: 2G (GSM 900) 5 km, the low end of the 4-8 km band for typical 12-30 m masts,
# because valleys and ridges shadow much of a flat-terrain disc; 3G (UMTS 2100) 3 km and
# 4G (LTE 1800) 2.5 km, about half the 900 MHz figure.  Putting 4G a little below 3G is a
# judgement (it aims at a usable data service at the cell edge), not a derived number;
# band 3 by itself propagates slightly better than 2100 MHz.  5G (3.5 GHz) 1 km,
# deliberately conservative.  Only the order of magnitude is supported by the sources.
DEFAULT_RADIUS_M: dict[str, float] = {"2G": 5000.0, "3G": 3000.0, "4G": 2500.0, "5G": 1000.0}

# Largest plausible range_m per technology, in metres.  A row beyond it is an error (a
# reject in lenient mode), never used: a 1,000 km "range" (a unit slip, or OpenCelliD's
# observation spread) would otherwise cover a whole province.  Bounds, not typical values;
# override with ``read_stations(..., max_range_m=...)`` for a known long-range site.
#
# * 2G 35 km: the GSM timing advance (3GPP TS 45.010) has 64 steps of one bit period
#   (3.69 us, about 553 m one way), so a normal GSM cell cannot serve beyond ~35 km
#   (extended-range cells exist for coasts and deserts; override for those).
# * 3G 20 km and 4G 20 km: nothing hard-limits a UMTS or LTE cell below that, but the
#   usual LTE random-access preamble (format 0, 3GPP TS 36.211) supports a cell radius of
#   about 14.5 km, longer formats need planned configuration, and at 1800-2100 MHz the
#   path loss (COST-231-Hata) makes a usable data service beyond ~20 km implausible on
#   the ground, all the more in mountains.  A little above 14.5 km, so that honest large
#   rural cells (formats 1-3) pass.
# * 5G 10 km: Vietnam's 5G runs at 2.6 GHz (n41) and 3.5-3.7 GHz (n78); even with
#   beamforming these reach a few km (arXiv:2003.09574); 10 km is a generous bound.
MAX_RANGE_M: dict[str, float] = {"2G": 35_000.0, "3G": 20_000.0, "4G": 20_000.0,
                                 "5G": 10_000.0}

# Operator names for Vietnam's mobile country code 452, used for OpenCelliD files (which
# only carry MCC/MNC).  Source: the Wikipedia "Mobile country code" list as copied in
# Midas-Mainline/android_external_libsamsung-ril include/plmn_list.h (2014): 01 MobiFone,
# 02 Vinaphone, 03 S-Fone, 04 Viettel Mobile, 05 Vietnamobile (HT Mobile), 06 EVNTelecom,
# 07 G-Mobile, 08 3G EVNTelecom.  EVNTelecom was merged into Viettel in 2011, hence
# "Viettel (ex-EVNTelecom)"; S-Fone (CDMA) has stopped operating.  Other MCCs give
# "<mcc>-<mnc>".
VIETNAM_OPERATORS: dict[int, str] = {
    1: "MobiFone",
    2: "VinaPhone",
    3: "S-Fone",
    4: "Viettel",
    5: "Vietnamobile",
    6: "Viettel (ex-EVNTelecom)",
    7: "Gmobile",
    8: "Viettel (ex-EVNTelecom)",
}
_MCC_OPERATORS: dict[int, dict[int, str]] = {452: VIETNAM_OPERATORS}

OPENCELLID_COLUMNS = (
    "radio", "mcc", "net", "area", "cell", "unit", "lon", "lat", "range", "samples",
    "changeable", "created", "updated", "averageSignal",
)
_OPENCELLID_RADIOS = {"gsm", "umts", "lte", "nr", "cdma", "nbiot"}

_ALIASES: dict[str, list[str]] = {
    "id": ["site_id", "cell", "cellid", "station_id", "ma_tram", "ma_cell", "ma_bts",
           "ten_tram"],
    "lon": ["lng", "long", "longitude", "x", "kinh_do"],
    "lat": ["latitude", "y", "vi_do"],
    "tech": ["technology", "radio", "generation", "rat", "cong_nghe", "loai_cong_nghe",
             "the_he"],
    "operator": ["mnc", "net", "carrier", "nha_mang", "nha_khai_thac", "doanh_nghiep"],
    "range_m": ["range", "radius", "radius_m", "ban_kinh_m", "ban_kinh",
                "ban_kinh_phu_song", "ban_kinh_phu_song_m", "coverage_radius",
                "coverage_radius_m", "cell_radius", "cell_radius_m"],
    # the same radius in kilometres (converted to metres when read)
    "range_km": ["radius_km", "ban_kinh_km", "ban_kinh_phu_song_km", "coverage_radius_km",
                 "cell_radius_km"],
    "azimuth": ["azimuth_deg", "az", "goc_phuong_vi", "phuong_vi", "huong", "huong_anten"],
    "beamwidth": ["beamwidth_deg", "bw", "do_rong_bup_song", "do_rong_bup", "bup_song"],
    "status": ["trang_thai", "tinh_trang"],
    # antenna height above ground (m): the terrain model's transmitter height
    "antenna_height_m": ["antenna_height", "do_cao_anten", "do_cao_anten_m", "chieu_cao_anten",
                         "chieu_cao_anten_m", "height_m"],
}
_CLI_COLUMNS = "--stations-columns"
_OPTIONAL = ("id", "operator", "range_m", "range_km", "azimuth", "beamwidth", "status",
             "antenna_height_m")

# Folded header words that make a column look like a radius (or a technology) when no
# alias matched: such a column must be named, never ignored (see _lookalike_columns).
_RADIUS_WORDS = ("radius", "bankinh", "phusong", "tamphu")
_RADIUS_TOKENS = ("range", "coverage", "reach")
_TECH_WORDS = ("tech", "congnghe", "thehe", "radio", "generation", "loaimang")

_COLUMNS = ["station_id", "technology", "operator", "range_m", "azimuth_deg", "beamwidth_deg",
            "status", "geometry", "source_file", "source_row"]


# --------------------------------------------------------------------------------------
# helpers shared with villages.py and fiber.py (private)


def _geometry_points(
    frame: gpd.GeoDataFrame, *, keep: np.ndarray, rejects: RejectsReport | None, what: str,
) -> tuple[np.ndarray, np.ndarray]:
    """The Point geometries of a vector layer; missing and non-point geometries rejected."""
    geoms = np.asarray(frame.geometry.array, dtype=object)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    keep = keep & reject_rows(keep & missing, frame, column="geometry", values=None,
                              reason="missing or empty geometry",
                              fix=f"Give every {what} a point location or remove the row.",
                              rejects=rejects)
    types = shapely.get_type_id(geoms)
    bad = keep & (types != shapely.GeometryType.POINT)
    keep = keep & reject_rows(bad, frame, column="geometry",
                              values=shapely.get_type_id(geoms).astype(object),
                              reason="geometry is not a Point (value = GEOS type id)",
                              fix=f"Store each {what} as a single Point.", rejects=rejects)
    return geoms, keep


# --------------------------------------------------------------------------------------
# technology


def _classify_labels(values: pd.Series) -> pd.Series:
    """Per row: ``"2G"``..``"5G"``, ``"not:<tech>"`` or NA (looked up once per distinct label)."""
    text = codes_as_text(values)
    uniques = pd.unique(text.dropna())
    table = {u: _label_class(u) for u in uniques}
    out = text.map(table).astype(object)
    out[out.isna().to_numpy()] = pd.NA
    return out


def normalise_technology(values: pd.Series) -> pd.Series:
    """Map technology spellings to ``"2G"``, ``"3G"``, ``"4G"`` or ``"5G"`` (NA if unknown).

    Accepted (case, spaces and punctuation ignored): GSM, GPRS, EDGE, 2G -> 2G;
    UMTS, WCDMA, HSPA, HSPA+, HSDPA, TD-SCDMA, 3G -> 3G; LTE, LTE-A, 4G, 4G+ -> 4G;
    NR, 5G, 5G NR -> 5G; bare generation numbers 2-5 as well.  A band after the name is
    ignored (``"GSM 900"``, ``"LTE1800"``) and words naming the same technology may be
    combined (``"3G/WCDMA"``, ``"4G (LTE)"``); ``"2G/3G"`` names two and is NA.

    NB-IoT, LTE-M and CDMA are NA here: they give no mobile broadband to people and are
    not counted as coverage (:data:`NOT_COUNTED`; :func:`read_stations` reports such rows
    as "technology not counted").  CDMA used to count as 2G; Vietnam's CDMA networks have
    stopped operating, so a CDMA cell is no longer evidence of service.

    Parameters
    ----------
    values : pandas.Series
        Technology labels as text (numbers such as ``4`` or ``4.0`` are read as 4G).

    Returns
    -------
    pandas.Series
        Object series, same index, with ``"2G"``..``"5G"`` or ``pd.NA``.

    Examples
    --------
    >>> import pandas as pd
    >>> normalise_technology(pd.Series(["gsm", "HSPA+", "LTE-A", "5G NR", "wimax", None])).tolist()
    ['2G', '3G', '4G', '5G', <NA>, <NA>]
    >>> labels = pd.Series(["3G/WCDMA", "LTE 1800", "2G/3G", "NB-IoT", "CDMA"])
    >>> normalise_technology(labels).tolist()
    ['3G', '4G', <NA>, <NA>, <NA>]
    """
    out = _classify_labels(values)
    counted = out.isin(TECHNOLOGIES).to_numpy()
    out[~counted] = pd.NA
    return out


# --------------------------------------------------------------------------------------
# reading


def _first_line(path: Path) -> str:
    try:
        if path.name.lower().endswith(".gz"):
            import gzip

            with gzip.open(path, "rt", encoding="utf-8", errors="replace") as fh:
                return fh.readline()
        with open(path, encoding="utf-8-sig", errors="replace") as fh:
            return fh.readline()
    except OSError as exc:
        raise DataSourceError(f"{path}: cannot be read ({exc})") from exc


def _read_station_source(source: Any, layer: str | int | None,
                         encoding: str | None) -> tuple[pd.DataFrame, bool]:
    """Read the source; return ``(frame, is_opencellid)``.

    An empty text file (0 bytes, or only blank lines) gives a frame without data columns.
    """
    if not isinstance(source, (str, Path)):
        for key, value in (("layer", layer), ("encoding", encoding)):
            if value is not None and isinstance(source, pd.DataFrame):
                raise SchemaError(f"{key}= is only for files; a {type(source).__name__} "
                                  f"was given")
        frame = frame_from_source(source)
        cols = {fold_text(c) for c in frame.columns}
        return frame, {"radio", "mcc", "net", "area", "cell", "lon", "lat"} <= cols
    path = Path(source)
    if not path.exists():
        return read_table(path), False  # raises the standard DataSourceError
    name = path.name.lower()
    is_text = name.endswith((".csv", ".txt", ".tsv", ".csv.gz", ".txt.gz"))
    headerless = False
    if is_text:
        line = _first_line(path)
        if not line.strip() and path.stat().st_size < 64 and not name.endswith(".gz"):
            empty = pd.DataFrame({"source_file": pd.Series(dtype=str),
                                  "source_row": pd.Series(dtype=np.int64)})
            empty.attrs["file"] = path.name
            return empty, False
        first = line.strip().split(",")
        headerless = (fold_text(first[0]) in _OPENCELLID_RADIOS
                      and len(first) in (len(OPENCELLID_COLUMNS) - 1, len(OPENCELLID_COLUMNS)))
    if headerless or name.endswith(".gz"):
        try:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""],
                                header=None if headerless else "infer",
                                names=list(OPENCELLID_COLUMNS) if headerless else None,
                                encoding=encoding or "utf-8-sig")
            frame = nfc_frame(frame)
        except Exception as exc:
            raise DataSourceError(f"{path}: cannot be read ({type(exc).__name__}: {exc})") \
                from exc
        frame.columns = [str(c).strip() for c in frame.columns]
        frame["source_file"] = path.name
        frame["source_row"] = np.arange(len(frame)) + (1 if headerless else 2)
        frame.attrs["csv_separator"] = ","
    else:
        frame = read_table(path, layer=layer, encoding=encoding)
    frame.attrs["file"] = path.name
    cols = {fold_text(c) for c in frame.columns}
    return frame, {"radio", "mcc", "net", "area", "cell", "lon", "lat"} <= cols


def _opencellid_columns(frame: pd.DataFrame, *, decimal: str | None,
                        use_range: bool) -> pd.DataFrame:
    """Turn OpenCelliD columns into generic ones (id, operator, range_m)."""
    byfold = {fold_text(c): c for c in frame.columns}
    raw = {k: codes_as_text(frame[byfold[k]]) for k in ("mcc", "net", "area", "cell")}
    out = frame.copy()
    out["station_id"] = (raw["mcc"].astype(str) + "-" + raw["net"].astype(str) + "-"
                         + raw["area"].astype(str) + "-" + raw["cell"].astype(str))
    mcc = pd.to_numeric(raw["mcc"], errors="coerce")
    mnc = pd.to_numeric(raw["net"], errors="coerce")
    names = pd.Series(pd.NA, index=frame.index, dtype=object)
    for code, table in _MCC_OPERATORS.items():
        sel = (mcc == code).to_numpy()
        names[sel] = mnc[sel].map(table).astype(object).to_numpy()
    fallback = raw["mcc"].astype(str) + "-" + raw["net"].astype(str)
    out["operator"] = names.where(names.notna(), fallback)
    # OpenCelliD's range is an estimate from the spread of crowd-sourced measurements, not
    # a serving footprint: by default it is left out (NaN = technology default); with
    # opencellid_range=True it is used, 0 (no spread, e.g. a single sample) read as unknown.
    if use_range and "range" in byfold:
        out["range_m"] = frame[byfold["range"]].where(
            parse_numbers(frame[byfold["range"]], decimal=decimal) != 0)
    else:
        out["range_m"] = pd.Series(pd.NA, index=frame.index, dtype=object)
    out["technology"] = frame[byfold["radio"]]
    keep = ["station_id", "operator", "range_m", "technology", byfold["lon"], byfold["lat"],
            "source_file", "source_row"]
    out = out[keep].rename(columns={byfold["lon"]: "lon", byfold["lat"]: "lat"})
    return out


def _per_technology_m(defaults: Mapping[str, float],
                      override: float | Mapping[str, float] | None, *, what: str,
                      kind: str) -> dict[str, float]:
    """``defaults`` with the user's override (one number for all, or per technology),
    checked: known technology keys, positive finite metres."""
    table = dict(defaults)
    if isinstance(override, Mapping):
        unknown = sorted(set(override) - set(TECHNOLOGIES))
        if unknown:
            raise SchemaError(f"{what}: unknown technology key(s) {unknown}; valid keys are "
                              f"{list(TECHNOLOGIES)}")
        table.update({k: float(v) for k, v in override.items()})
    elif override is not None:
        table = {k: float(override) for k in TECHNOLOGIES}
    bad = {k: v for k, v in table.items() if not (np.isfinite(v) and v > 0)}
    if bad:
        raise SchemaError(f"{what}: {kind} must be positive numbers of metres, got {bad}")
    return table


def _max_range_table(max_range_m: float | Mapping[str, float] | None) -> dict[str, float]:
    """:data:`MAX_RANGE_M` with the user's override (a number for all, or per technology)."""
    return _per_technology_m(MAX_RANGE_M, max_range_m, what="max_range_m", kind="bounds")


def _tokens(header: Any) -> set[str]:
    """Folded words of a header: "cellRange (km)" -> {"cell", "range", "km"}."""
    words = re.split(r"[\W_]+|(?<=[a-z])(?=[A-Z])", str(header))
    return {fold_text(w) for w in words if w}


def _digit_values(values: pd.Series) -> bool:
    return bool(codes_as_text(values).dropna().astype(str).str.contains(r"\d").any())


def _free_columns(frame: pd.DataFrame, cols: Mapping[str, str]) -> list[Any]:
    used = set(cols.values()) | {"source_file", "source_row"}
    if has_geometry(frame):
        used.add(frame.geometry.name)
    return [c for c in frame.columns if c not in used]


def _check_radius_lookalikes(frame: pd.DataFrame, cols: Mapping[str, str], file: str) -> None:
    """A radius-like column that no alias matched is an error, never ignored.

    "Looks like a radius": its folded header contains radius / bankinh (bán kính) / phusong
    (phủ sóng) / tamphu (tầm phủ), or has the word range / coverage / reach; and some of its
    values hold a digit (a yes/no "coverage" column is not a radius).
    """
    for col in _free_columns(frame, cols):
        f = fold_text(col)
        if not (any(w in f for w in _RADIUS_WORDS) or _tokens(col) & set(_RADIUS_TOKENS)):
            continue
        if not _digit_values(frame[col]):
            continue
        raise SchemaError(
            f"{file}: column {str(col)!r} looks like a station radius but is not recognised, "
            f"so the default radii per technology would be used instead of it. "
            + hint(f"Say what it holds: columns={{'range_m': {str(col)!r}}} (metres) or "
                   f"columns={{'range_km': {str(col)!r}}} (kilometres); or pass "
                   f"columns={{'range_m': None}} to use the default radii.",
                   f"Say what it holds: --stations-columns range_m='{col}' (metres) or "
                   f"range_km='{col}' (kilometres); or --stations-columns range_m= (empty) "
                   f"to use the default radii."))


def _missing_tech(frame: pd.DataFrame, cols: Mapping[str, str], file: str) -> None:
    """No technology column: name any column that looks like one, by header or by values."""
    found: list[str] = []
    for col in _free_columns(frame, cols):
        if any(w in fold_text(col) for w in _TECH_WORDS):
            found.append(f"{str(col)!r} (its name)")
            continue
        sample = codes_as_text(frame[col]).dropna().head(1000)
        # bare numbers are evidence only in a column named like one (a row number is not)
        words = sample[~sample.astype(str).str.fullmatch(r"[\d.,\s]+")]
        if len(words) and len(words) >= len(sample) / 2:
            known = _classify_labels(words).notna().sum() / len(sample)
            if known >= 0.5:
                found.append(f"{str(col)!r} ({known:.0%} of its values are technologies)")
    if found:
        first = found[0].split(" (")[0].strip("'")
        raise SchemaError(
            f"{file}: required column 'tech' (technology) not found; column(s) "
            f"{', '.join(found)} look like it. "
            + hint(f"Pass columns={{'tech': {first!r}}}.",
                   f"Pass --stations-columns tech='{first}'.")
        )


def _distance_m(x0: np.ndarray, y0: np.ndarray, x1: np.ndarray, y1: np.ndarray,
                geographic: bool) -> np.ndarray:
    """Distance in metres: haversine for lon/lat degrees, planar otherwise."""
    if not geographic:
        return np.hypot(x1 - x0, y1 - y0)
    lon0, lat0, lon1, lat1 = map(np.radians, (x0, y0, x1, y1))
    a = (np.sin((lat1 - lat0) / 2) ** 2
         + np.cos(lat0) * np.cos(lat1) * np.sin((lon1 - lon0) / 2) ** 2)
    return 2 * 6_371_008.8 * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def _copy_rows(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Rows equal in every column to an earlier row, and that earlier row's ``source_row``.

    Provenance is left out (a row copied into a second file is a copy too); geometries
    are compared by their WKB.
    """
    data = frame.drop(columns=["source_file", "source_row"])
    if has_geometry(frame):
        name = frame.geometry.name
        data = pd.DataFrame(data.drop(columns=name)).assign(
            **{name: shapely.to_wkb(np.asarray(frame.geometry.array, dtype=object))})
    data = pd.DataFrame(data)
    if not data.shape[1]:
        return np.zeros(len(frame), dtype=bool), frame["source_row"].to_numpy()
    try:
        group = data.groupby(list(data.columns), dropna=False, sort=False).ngroup()
    except TypeError:  # unhashable cells (lists): compare their text
        group = data.astype(str).groupby(list(data.columns), sort=False).ngroup()
    group = group.to_numpy()
    copies = pd.Series(group).duplicated(keep="first").to_numpy()
    first_row = pd.Series(frame["source_row"].to_numpy()).groupby(group).transform("first")
    return copies, first_row.to_numpy()


# Rows with the same station id and operator further apart than this are reported.
DUPLICATE_ID_TOLERANCE_M = 100.0


def _empty_stations(crs: Any) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"station_id": pd.Series(dtype=object), "technology": pd.Series(dtype=object),
         "operator": pd.Series(dtype=object), "range_m": pd.Series(dtype=float),
         "azimuth_deg": pd.Series(dtype=float), "beamwidth_deg": pd.Series(dtype=float),
         "status": pd.Series(dtype=object), "source_file": pd.Series(dtype=str),
         "source_row": pd.Series(dtype=np.int64)},
        geometry=gpd.GeoSeries([], crs=CRS.from_user_input(crs)))[_COLUMNS]


def read_stations(
    source: str | Path | pd.DataFrame,
    *,
    columns: Mapping[str, str | None] | None = None,
    crs: Any = "EPSG:4326",
    rejects: RejectsReport | None = None,
    layer: str | int | None = None,
    encoding: str | None = None,
    opencellid_range: bool = False,
    max_range_m: float | Mapping[str, float] | None = None,
    decimal: str | None = None,
) -> gpd.GeoDataFrame:
    """Read base stations (one row per cell) into the normalised "Stations" schema.

    Parameters
    ----------
    source : path or (Geo)DataFrame
        CSV (``,``/``;``/tab, decimal point or Vietnamese decimal comma), Excel, any vector
        format GDAL reads (Points), an OpenCelliD export (``.csv`` or ``.csv.gz``, with
        or without its header line), or a (Geo)DataFrame.
    columns : mapping, optional
        Explicit column names, keys ``id, lon, lat, tech, operator, range_m, range_km,
        azimuth, beamwidth, status, antenna_height_m``; ``None`` (or ``""``) for an
        optional key means "the file has no such column" (e.g. ``{"range_m": None}``: use
        the default radii).
        Otherwise aliases are matched (case, spaces, ``_``/``-`` and diacritics ignored):

        * id: id/site_id/cell/cellid/station_id/ma_tram/ma_cell/ma_bts/ten_tram (a
          ``station_id`` column wins over ``id``/``site_id``: one row per cell);
        * lon: lon/lng/long/longitude/x/kinh_do ("Kinh độ");
          lat: lat/latitude/y/vi_do ("Vĩ độ");
        * tech: tech/technology/radio/generation/rat/cong_nghe ("Công nghệ")/
          loai_cong_nghe/the_he;
        * operator: operator/mnc/net/carrier/nha_mang ("Nhà mạng")/nha_khai_thac/
          doanh_nghiep;
        * range_m (metres): range_m/range/radius/radius_m/ban_kinh_m ("Bán kính (m)")/
          ban_kinh/ban_kinh_phu_song(_m)/coverage_radius(_m)/cell_radius(_m);
          range_km (kilometres, converted to metres): range_km/radius_km/ban_kinh_km
          ("Bán kính (km)")/ban_kinh_phu_song_km/coverage_radius_km/cell_radius_km;
        * azimuth: azimuth/azimuth_deg/az/goc_phuong_vi/phuong_vi/huong/huong_anten;
          beamwidth: beamwidth/beamwidth_deg/bw/do_rong_bup_song/do_rong_bup/bup_song;
        * status: status/trang_thai/tinh_trang;
        * antenna_height_m (metres above ground, for the terrain model):
          antenna_height_m/antenna_height/do_cao_anten(_m) ("Độ cao anten (m)")/
          chieu_cao_anten(_m)/height_m.

        A column that looks like a radius (or, when no technology column is found, like a
        technology) but matches no alias is an error naming it: it is never ignored.
    crs : CRS-like, default "EPSG:4326"
        CRS of the coordinate columns (vector layers and GeoDataFrames keep their own).
    rejects : RejectsReport, optional
        Lenient mode: bad rows are recorded there instead of raising.
    layer : str or int, optional
        Layer of a vector file with several layers (default: the first); files only.
    encoding : str, optional
        Text encoding of a CSV or a DBF without ``.cpg`` (``"cp1258"``, ``"tcvn3"``,
        ``"vni"``, ...); ``None`` detects it (see :func:`geocov.io.read_table`); files only.
    opencellid_range : bool, default False
        OpenCelliD files only: use their ``range`` column as the radius.  It is the spread
        of the crowd-sourced observations of a cell, not its serving footprint, so by
        default it is not used and the technology defaults apply.
    max_range_m : float or mapping, optional
        Largest plausible radius, one number or a mapping per technology merged over
        :data:`MAX_RANGE_M` (2G 35 km, 3G and 4G 20 km, 5G 10 km).  Rows beyond are errors
        (rejects in lenient mode), never used.
    decimal : {",", "."}, optional
        Decimal mark of the whole file; by default decided from all its numeric columns
        (:func:`geocov.io.file_decimal`).

    Returns
    -------
    geopandas.GeoDataFrame
        ``station_id, technology, operator, range_m, azimuth_deg, beamwidth_deg, status,
        geometry, source_file, source_row`` in the input CRS.  ``range_m`` NaN means "use
        the technology default"; azimuth is taken modulo 360 (clockwise from north);
        NaN azimuth or beamwidth means omnidirectional.  When the file has antenna
        heights, an ``antenna_height_m`` column follows ``beamwidth_deg`` (NaN: the
        terrain model's default; values outside 0-600 m are errors or rejects).  Rows
        without an id get ``"<file>:<row>"``; a missing operator becomes ``"unknown"``.

        ``attrs["radius_note"]`` says where radii come from (for the model note) and
        ``attrs["technologies_not_counted"]`` counts the rows left out per technology
        (e.g. ``{"NB-IoT": 3}``).

        OpenCelliD files: ``station_id`` is ``mcc-net-area-cell``, ``operator`` comes from
        :data:`VIETNAM_OPERATORS` for MCC 452 (else ``"<mcc>-<mnc>"``); ``range`` is not
        used unless ``opencellid_range=True`` (then 0 = unknown).

    Raises
    ------
    SchemaError
        Strict mode, for each class of bad rows (missing/unparseable coordinates,
        latitude/longitude out of range, unknown technology, ``range_m <= 0`` or above
        its bound, unparseable azimuth, beamwidth outside (0, 360], rows that copy an
        earlier row), listing file, rows, column and values.  Also a radius-like column that is
        not recognised, and ``layer=``/``encoding=`` with an in-memory frame.
    CRSError
        A vector layer or GeoDataFrame without a CRS.
    DataSourceError
        The file cannot be read.

    Warns
    -----
    DataQualityWarning
        An empty file; rows whose technology is not counted (NB-IoT, LTE-M, CDMA; strict
        mode, in lenient mode they are rejects); the same station id (and operator) at
        locations more than :data:`DUPLICATE_ID_TOLERANCE_M` apart.

    Notes
    -----
    Duplicates: one row per cell is expected, so a site id repeated with another
    technology, azimuth or band (or a second carrier) is normal and used.  A row equal to
    an earlier one in every column is a copy that would count the cell twice: an error (a
    reject in lenient mode), the first row is kept.  The same id and operator at locations
    more than :data:`DUPLICATE_ID_TOLERANCE_M` apart is a warning: both may be real,
    geocov cannot tell which coordinates are wrong, and both are used.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"site_id": ["A", "B"], "lat": ["22,48", "22,50"],
    ...                   "lon": ["103,97", "104,01"], "radio": ["LTE", "gsm"],
    ...                   "azimuth": [-90, None]})
    >>> s = read_stations(t)
    >>> s[["station_id", "technology", "operator", "azimuth_deg"]].values.tolist()
    [['A', '4G', 'unknown', 270.0], ['B', '2G', 'unknown', nan]]
    >>> s.crs.to_epsg(), s.geometry.x.tolist()
    (4326, [103.97, 104.01])
    >>> v = pd.DataFrame({"Mã trạm": ["LC-1"], "Vĩ độ": ["22,48"], "Kinh độ": ["103,97"],
    ...                   "Công nghệ": ["4G"], "Bán kính (km)": ["2,5"]})
    >>> read_stations(v)[["station_id", "technology", "range_m"]].values.tolist()
    [['LC-1', '4G', 2500.0]]
    """
    bounds = _max_range_table(max_range_m)
    frame, is_ocid = _read_station_source(source, layer, encoding)
    n = len(frame)
    file = source_names(frame) if n else str(frame.attrs.get("file", source_names(frame)))
    count_rows_read(rejects, frame, "stations")
    if n == 0:
        warnings.warn(DataQualityWarning.of("empty_stations", file=file), stacklevel=2)
        if not _free_columns(frame, {}):
            out = _empty_stations(crs)
            out.attrs.update(radius_note="no stations", technologies_not_counted={})
            return out
    if is_ocid and decimal is None and frame.attrs.get("csv_separator", ",") == ",":
        # OpenCelliD's own layout: comma-separated, so its decimal mark is the point (the
        # evidence scan of every column would cost ~15 s on a national export)
        dec = "."
    else:
        dec = file_decimal(frame, decimal=decimal, file=file)
    copies, first_row = _copy_rows(frame)
    if is_ocid and not columns:
        frame = _opencellid_columns(frame, decimal=dec, use_range=opencellid_range)
    geo = has_geometry(frame)
    required = ["tech"] if geo else ["lon", "lat", "tech"]

    off = {k for k, v in (columns or {}).items()
           if v is None or (isinstance(v, str) and not v.strip())}
    for k in sorted(off):
        if k not in _OPTIONAL:
            raise SchemaError(f"{file}: "
                              + hint(f"columns={{{k!r}: None}}", f"{_CLI_COLUMNS} {k}=")
                              + f": only optional columns can be switched off "
                              f"({', '.join(_OPTIONAL)}); {k!r} is needed")
    given: dict[str, Any] = {k: v for k, v in (columns or {}).items() if k not in off}
    if "id" not in given and "id" not in off:  # a cell-level "station_id" beats "id"/"site_id"
        exact = [c for c in frame.columns if fold_text(c) == "stationid"]
        if exact:
            given["id"] = exact[0]
    cols = resolve_columns(frame, _ALIASES, given=given,
                           required=[k for k in required if k != "tech"], file=file,
                           cli_option=_CLI_COLUMNS)
    for k in off:
        cols.pop(k, None)
    if "tech" not in cols:
        _missing_tech(frame, cols, file)
        resolve_columns(frame, _ALIASES, given=given, required=required, file=file,
                        cli_option=_CLI_COLUMNS)  # raises

    # the radius: metres or kilometres, never OpenCelliD's spread unless asked, never ignored
    if "range_m" in cols and "range_km" in cols:
        if "range_m" in given and "range_km" not in given:
            cols.pop("range_km")
        elif "range_km" in given and "range_m" not in given:
            cols.pop("range_m")
        else:
            rm, rk = cols["range_m"], cols["range_km"]
            raise SchemaError(
                f"{file}: two radius columns, {rm!r} (read as metres) and {rk!r} (read as "
                f"kilometres); say which one to use: "
                + hint(f"columns={{'range_m': {rm!r}, 'range_km': None}} or "
                       f"columns={{'range_km': {rk!r}, 'range_m': None}}.",
                       f"--stations-columns range_m='{rm}',range_km= or "
                       f"--stations-columns range_km='{rk}',range_m=."))
    ocid_spread = is_ocid and not opencellid_range
    if ocid_spread and columns and "range_m" not in given:
        cols.pop("range_m", None)  # OpenCelliD layout read with explicit columns
    if ocid_spread:
        radius_note = ("OpenCelliD range not used as radius (it is the spread of "
                       "crowd-sourced observations, not a serving footprint); technology "
                       "defaults")
    elif is_ocid:
        radius_note = "OpenCelliD range used as radius (opencellid_range=True)"
    elif "range_km" in cols:
        radius_note = (f"radius from column {str(cols['range_km'])!r} (km); technology "
                       f"defaults where empty")
    elif "range_m" in cols:
        radius_note = (f"radius from column {str(cols['range_m'])!r} (m); technology "
                       f"defaults where empty")
    else:
        radius_note = "no radius column; technology defaults"
        if not is_ocid and not ({"range_m", "range_km"} & off):
            _check_radius_lookalikes(frame, cols, file)

    keep = np.ones(n, dtype=bool)

    # technologies that give no mobile broadband: accounted for, left out, never fatal
    tech_raw = frame[cols["tech"]]
    cls = _classify_labels(tech_raw)
    nc_name = cls.astype("string").str.extract(r"^not:(.*)$", expand=False)
    nc = nc_name.notna().to_numpy()
    not_counted = {str(k): int(v) for k, v in nc_name.value_counts(sort=False).items()}
    if nc.any():
        if rejects is not None:
            for name in not_counted:
                keep = keep & reject_rows(
                    keep & (nc_name == name).fillna(False).to_numpy(dtype=bool), frame,
                    column=cols["tech"],
                    values=tech_raw, reason=f"{NOT_COUNTED_REASON} ({name})",
                    fix="It gives no mobile broadband to people.", rejects=rejects)
        else:
            rows = frame["source_row"].to_numpy()[nc]
            warnings.warn(DataQualityWarning.of(
                "technologies_left_out", file=file, n=int(nc.sum()),
                counts=Listing([Words("warning.technology_count", {"name": k, "n": v})
                                for k, v in not_counted.items()]),
                rows=", ".join(map(str, rows[:MAX_LISTED])),
                more=more_words(len(rows) - MAX_LISTED)), stacklevel=2)
            keep = keep & ~nc
    tech = cls.where(cls.isin(TECHNOLOGIES), pd.NA)

    use_columns = not geo or bool(columns and columns.get("lon") and columns.get("lat"))
    if use_columns and "lon" in cols and "lat" in cols:
        points, keep = lonlat_points(frame, cols["lon"], cols["lat"], crs=crs, keep=keep,
                                      rejects=rejects, decimal=dec)
        out_crs = CRS.from_user_input(crs)
    elif geo:
        out_crs = _crs.require_crs(frame, what=f"station layer {file}")
        points, keep = _geometry_points(frame, keep=keep, rejects=rejects, what="station")
    else:  # pragma: no cover - resolve_columns already raised
        raise SchemaError(f"{file}: no coordinates")

    keep = keep & reject_rows(
        keep & tech.isna().to_numpy(), frame, column=cols["tech"], values=tech_raw,
        reason="technology missing or not recognised",
        fix=f"Use one of the accepted spellings ({_ACCEPTED_TEXT}); a row naming two "
            f"technologies (e.g. '2G/3G') must be split into one row per cell.",
        rejects=rejects)

    def numbers(key: str) -> tuple[np.ndarray, pd.Series | None]:
        if key not in cols:
            return np.full(n, np.nan), None
        raw = frame[cols[key]]
        return parse_numbers(raw, decimal=dec).to_numpy(), raw

    rng_key = "range_km" if "range_km" in cols else "range_m"
    rng, rng_raw = numbers(rng_key)
    if rng_key == "range_km":
        rng = rng * 1000.0
    az, az_raw = numbers("azimuth")
    bw, bw_raw = numbers("beamwidth")
    ah, ah_raw = numbers("antenna_height_m")
    for key, val, raw in ((rng_key, rng, rng_raw), ("azimuth", az, az_raw),
                          ("beamwidth", bw, bw_raw), ("antenna_height_m", ah, ah_raw)):
        if raw is None:
            continue
        bad = keep & raw.notna().to_numpy() & ~np.isfinite(val)
        keep = keep & reject_rows(bad, frame, column=cols[key], values=raw,
                                  reason="not a number",
                                  fix="Write a plain number (metres or degrees) or leave the "
                                      "cell empty for the default.", rejects=rejects)
    if rng_raw is not None:
        with np.errstate(invalid="ignore"):
            bad = keep & (rng <= 0)
        keep = keep & reject_rows(bad, frame, column=cols[rng_key], values=rng_raw,
                                  reason="range_m <= 0",
                                  fix="A cell range must be a positive number of metres; leave "
                                      "it empty to use the technology default.",
                                  rejects=rejects)
        unit = "km" if rng_key == "range_km" else "m"
        tech_arr = tech.fillna("").to_numpy(dtype=str)
        for t in TECHNOLOGIES:
            with np.errstate(invalid="ignore"):
                bad = keep & (tech_arr == t) & (rng > bounds[t])
            bound = bounds[t] / 1000 if unit == "km" else bounds[t]
            keep = keep & reject_rows(
                bad, frame, column=cols[rng_key], values=rng_raw,
                reason=f"radius above the {t} bound of {bound:,.6g} {unit}",
                fix=hint(f"Check the unit (a column in kilometres goes in "
                         f"columns={{'range_km': ...}}) and the value, or leave the cell empty "
                         f"to use the technology default; for a known long-range cell raise "
                         f"the bound with max_range_m={{{t!r}: ...}} (metres).",
                         "Check the unit (a column in kilometres goes in --stations-columns "
                         "range_km=...) and the value, or leave the cell empty to use the "
                         "technology default."),
                rejects=rejects)
    if ah_raw is not None:
        from .terrain import MAX_ANTENNA_HEIGHT_M

        with np.errstate(invalid="ignore"):
            bad = keep & ((ah < 0) | (ah > MAX_ANTENNA_HEIGHT_M))
        keep = keep & reject_rows(bad, frame, column=cols["antenna_height_m"], values=ah_raw,
                                  reason=f"antenna height outside 0-{MAX_ANTENNA_HEIGHT_M:g} m",
                                  fix="Give the antenna's height above the ground in metres "
                                      "(e.g. 30), or leave the cell empty for the default.",
                                  rejects=rejects)
    if bw_raw is not None:
        with np.errstate(invalid="ignore"):
            bad = keep & ((bw <= 0) | (bw > 360))
        keep = keep & reject_rows(bad, frame, column=cols["beamwidth"], values=bw_raw,
                                  reason="beamwidth outside (0, 360] degrees",
                                  fix="Give the horizontal beamwidth in degrees (e.g. 65 for a "
                                      "sector, 360 or empty for omni).", rejects=rejects)

    rows_all = frame["source_row"].to_numpy()
    files_all = frame["source_file"].astype(str).to_numpy()
    if "id" in cols:
        ids_all = codes_as_text(frame[cols["id"]])
    else:
        ids_all = pd.Series(pd.NA, index=frame.index, dtype=object)
    fallback = pd.Series(files_all, index=frame.index) + ":" + pd.Series(
        rows_all, index=frame.index).astype(str)
    has_id = ids_all.notna().to_numpy()
    ids_all = ids_all.where(ids_all.notna(), fallback).astype(object)
    if "operator" in cols:
        op_all = codes_as_text(frame[cols["operator"]])
        op_all = op_all.where(op_all.notna(), "unknown").astype(object)
    else:
        op_all = pd.Series("unknown", index=frame.index, dtype=object)
    az = np.mod(az, 360.0)

    # duplicates: exact copies are errors/rejects; one id at two places is a warning
    xs = np.full(n, np.nan)
    ys = np.full(n, np.nan)
    if keep.any():
        xs[keep] = shapely.get_x(points[keep])
        ys[keep] = shapely.get_y(points[keep])
    if n:
        bad = keep & copies
        if bad.any():
            vals = (ids_all.astype(str) + " = row "
                    + pd.Series(first_row, index=frame.index).astype(str)).to_numpy()
            keep = keep & reject_rows(
                bad, frame, column=cols.get("id"), values=vals,
                reason="copy of an earlier row (every column equal)",
                fix="Remove the copy: one row per cell (a copy would count the cell twice).",
                rejects=rejects)
        sel = keep & has_id
        if sel.any():
            g = pd.DataFrame({"id": ids_all.to_numpy()[sel], "op": op_all.to_numpy()[sel],
                              "x": xs[sel], "y": ys[sel], "row": rows_all[sel]})
            grp = g.groupby(["id", "op"], sort=False)
            d = _distance_m(grp["x"].transform("first").to_numpy(),
                            grp["y"].transform("first").to_numpy(), g["x"].to_numpy(),
                            g["y"].to_numpy(), CRS.from_user_input(out_crs).is_geographic)
            g["d"] = d
            spread = g.groupby(["id", "op"], sort=False)["d"].max()
            far = spread[spread > DUPLICATE_ID_TOLERANCE_M]
            if len(far):
                shown = []
                for (sid, op), dist in list(far.items())[:MAX_LISTED]:
                    rws = g.loc[(g["id"] == sid) & (g["op"] == op), "row"].tolist()
                    shown.append(Words("warning.station_id_apart", {
                        "id": repr(sid), "operator": op, "rows": ", ".join(map(str, rws)),
                        "km": dist / 1000}))
                warnings.warn(DataQualityWarning.of(
                    "station_ids_apart", file=file, n=len(far), m=DUPLICATE_ID_TOLERANCE_M,
                    listed=Listing(shown, "; "), more=more_words(len(far) - MAX_LISTED)),
                    stacklevel=2)

    if "status" in cols:
        status = codes_as_text(frame[cols["status"]])[keep].reset_index(drop=True)
    else:
        status = pd.Series(pd.NA, index=range(int(keep.sum())), dtype=object)
    out = gpd.GeoDataFrame(
        {
            "station_id": ids_all[keep].reset_index(drop=True),
            "technology": tech[keep].reset_index(drop=True).astype(object),
            "operator": op_all[keep].reset_index(drop=True),
            "range_m": rng[keep].astype(float),
            "azimuth_deg": az[keep],
            "beamwidth_deg": bw[keep].astype(float),
            "status": status,
            "source_file": files_all[keep],
            "source_row": rows_all[keep].astype(np.int64),
        },
        geometry=gpd.GeoSeries(points[keep], crs=out_crs),
    )[_COLUMNS]
    if ah_raw is not None:  # carried only when the file gives antenna heights
        out.insert(_COLUMNS.index("beamwidth_deg") + 1, "antenna_height_m", ah[keep])
    out.attrs["radius_note"] = radius_note
    out.attrs["technologies_not_counted"] = not_counted
    logger.info("%s: %d stations read, %d rejected, %d not counted", file, len(out),
                int(n - keep.sum() - (nc.sum() if rejects is None else 0)),
                int(nc.sum()))
    return out


# --------------------------------------------------------------------------------------
# radii and footprints


def station_radius_m(
    stations: pd.DataFrame,
    *,
    radius_m: float | Mapping[str, float] | None = None,
) -> np.ndarray:
    """The radius of each station's footprint, in metres.

    ``range_m`` where the station has one; otherwise the default of its technology
    (:data:`DEFAULT_RADIUS_M`), which ``radius_m`` overrides: a number for every
    technology, or a mapping per technology merged over the defaults.

    Raises
    ------
    SchemaError
        Unknown technology keys in ``radius_m``, radii that are not positive, or stations
        with neither ``range_m`` nor a known technology.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"technology": ["2G", "4G", "4G"], "range_m": [None, None, 800.0]})
    >>> station_radius_m(s).tolist()
    [5000.0, 2500.0, 800.0]
    >>> station_radius_m(s, radius_m={"4G": 2000}).tolist()
    [5000.0, 2000.0, 800.0]
    """
    radii = _per_technology_m(DEFAULT_RADIUS_M, radius_m, what="radius_m", kind="radii")
    tech = stations["technology"].astype(object)
    default = tech.map(radii).to_numpy(dtype=float, na_value=np.nan)
    rng = (stations["range_m"].to_numpy(dtype=float, na_value=np.nan)
           if "range_m" in stations.columns else np.full(len(stations), np.nan))
    out = np.where(np.isfinite(rng), rng, default)
    missing = ~np.isfinite(out)
    if missing.any():
        rows = np.flatnonzero(missing)[:20].tolist()
        raise SchemaError(
            f"{int(missing.sum())} station(s) have neither range_m nor a known technology "
            f"(positions {rows}); technology must be one of {list(TECHNOLOGIES)} "
            f"(use read_stations to normalise it)")
    return out


def station_footprints(
    stations: gpd.GeoDataFrame,
    *,
    radius_m: float | Mapping[str, float] | None = None,
    crs: Any = None,
    quad_segs: int = 16,
) -> gpd.GeoDataFrame:
    """Coverage footprints of stations in the metric working CRS.

    A disc of :func:`station_radius_m` around each station, or a sector wedge when both
    ``azimuth_deg`` (clockwise from north) and ``beamwidth_deg`` are given (a beamwidth of
    360 or more gives a disc).  Discs have ``4 * quad_segs`` vertices; wedges an arc of
    ``4 * quad_segs + 1`` vertices whatever their beamwidth.

    Parameters
    ----------
    stations : GeoDataFrame
        Normalised stations (:func:`read_stations`), any CRS.
    radius_m : float or mapping, optional
        Override of the technology defaults (see :func:`station_radius_m`).
    crs : CRS-like, optional
        Metric working CRS; default the UTM zone of the data (:func:`geocov.crs.working_crs`).
    quad_segs : int, default 16
        Segments per quarter circle.

    Returns
    -------
    GeoDataFrame
        ``station_id, technology, operator, radius_m, geometry, source_file, source_row``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point
    >>> s = gpd.GeoDataFrame({"station_id": ["A", "B"], "technology": ["4G", "4G"],
    ...                       "operator": ["x", "x"], "range_m": [1000.0, 1000.0],
    ...                       "azimuth_deg": [None, 90.0], "beamwidth_deg": [None, 120.0]},
    ...                      geometry=[Point(500000, 2500000), Point(510000, 2500000)],
    ...                      crs="EPSG:32648")
    >>> f = station_footprints(s)
    >>> (f.area / 1e6).round(2).tolist()   # km2: full disc, one third of a disc
    [3.14, 1.05]
    """
    _crs.require_crs(stations, what="stations")
    work = _crs.working_crs(stations, crs)
    pts = stations.geometry.to_crs(work)
    radius = station_radius_m(stations, radius_m=radius_m)
    geoms = np.asarray(pts.array, dtype=object)
    az, bw = _sector_arrays(stations)
    sector = is_sector(az, bw)
    out_geoms = shapely.buffer(geoms, radius, quad_segs=quad_segs)
    if sector.any():
        k = 4 * quad_segs + 1
        x0 = shapely.get_x(geoms[sector])[:, None]
        y0 = shapely.get_y(geoms[sector])[:, None]
        r = radius[sector][:, None]
        t = np.linspace(0.0, 1.0, k)[None, :]
        theta = np.radians(az[sector][:, None] - bw[sector][:, None] / 2 + bw[sector][:, None] * t)
        arc = np.stack([x0 + r * np.sin(theta), y0 + r * np.cos(theta)], axis=-1)
        apex = np.stack([x0, y0], axis=-1)
        ring = np.concatenate([apex, arc, apex], axis=1)
        out_geoms[sector] = shapely.polygons(ring)
    cols = {c: stations[c].to_numpy() for c in ("station_id", "technology", "operator")
            if c in stations.columns}
    cols["radius_m"] = radius
    for c in ("source_file", "source_row"):
        if c in stations.columns:
            cols[c] = stations[c].to_numpy()
    return gpd.GeoDataFrame(cols, geometry=gpd.GeoSeries(out_geoms, crs=work,
                                                         index=stations.index),
                            index=stations.index)


def _sector_arrays(stations: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    n = len(stations)

    def col(name: str) -> np.ndarray:
        if name not in stations.columns:
            return np.full(n, np.nan)
        return pd.to_numeric(stations[name], errors="coerce").to_numpy(dtype=float,
                                                                        na_value=np.nan)

    return col("azimuth_deg"), col("beamwidth_deg")


def covering_pairs(
    points_xy: np.ndarray,
    stations_xy: np.ndarray,
    radius_m: np.ndarray,
    azimuth_deg: np.ndarray,
    beamwidth_deg: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """All (point, station) pairs where the point lies in the station's footprint.

    The numeric core of coverage.  A point is covered when its distance to the station is
    at most ``radius_m`` (inclusive) and, for a sector (finite azimuth and beamwidth below
    360), its bearing (clockwise from north) is within ``beamwidth/2`` of the azimuth.  A
    point exactly at the station is covered.  These are exact circles and wedges, not the
    polygons of :func:`station_footprints`.

    Parameters
    ----------
    points_xy : (n, 2) array
        Point coordinates in a metric CRS.
    stations_xy : (m, 2) array
        Station coordinates in the same CRS.
    radius_m, azimuth_deg, beamwidth_deg : (m,) arrays
        Per station; NaN azimuth or beamwidth means omnidirectional.

    Returns
    -------
    (point_index, station_index) : tuple of int64 arrays
        Sorted by point, then station.

    Examples
    --------
    >>> import numpy as np
    >>> pts = np.array([[0.0, 1000.0], [0.0, -500.0], [1000.1, 0.0]])
    >>> st = np.array([[0.0, 0.0]])
    >>> covering_pairs(pts, st, np.array([1000.0]), np.array([np.nan]), np.array([np.nan]))
    (array([0, 1]), array([0, 0]))
    >>> covering_pairs(pts, st, np.array([1000.0]), np.array([0.0]), np.array([90.0]))
    (array([0]), array([0]))
    """
    p = np.asarray(points_xy, dtype=float).reshape(-1, 2)
    s = np.asarray(stations_xy, dtype=float).reshape(-1, 2)
    r = np.asarray(radius_m, dtype=float).reshape(-1)
    az = np.asarray(azimuth_deg, dtype=float).reshape(-1)
    bw = np.asarray(beamwidth_deg, dtype=float).reshape(-1)
    m = len(s)
    if not (len(r) == len(az) == len(bw) == m):
        raise SchemaError(f"covering_pairs: stations_xy has {m} rows but radius_m, azimuth_deg "
                          f"and beamwidth_deg have {len(r)}, {len(az)}, {len(bw)}")
    empty = (np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64))
    if len(p) == 0 or m == 0:
        return empty
    ok = np.isfinite(r) & (r >= 0) & np.isfinite(s).all(axis=1)
    if not ok.all():
        raise SchemaError(f"covering_pairs: {int((~ok).sum())} station(s) have a missing, "
                          f"negative or non-finite radius or coordinate")
    tree = shapely.STRtree(shapely.points(p))
    # Query with the stations (their own radius each), against the tree of points; the
    # small margin makes the index lossless, the exact test below decides.
    margin = r * 1e-9 + 1e-6
    st_idx, pt_idx = tree.query(shapely.points(s), predicate="dwithin", distance=r + margin)
    dx = p[pt_idx, 0] - s[st_idx, 0]
    dy = p[pt_idx, 1] - s[st_idx, 1]
    inside = dx * dx + dy * dy <= r[st_idx] ** 2
    sec = is_sector(az, bw)
    chk = inside & sec[st_idx] & ((dx != 0) | (dy != 0))
    if chk.any():
        bearing = np.degrees(np.arctan2(dx[chk], dy[chk]))
        diff = np.abs((bearing - az[st_idx[chk]] + 180.0) % 360.0 - 180.0)
        inside[chk] = diff <= bw[st_idx[chk]] / 2.0 + 1e-9
    pt_idx = pt_idx[inside].astype(np.int64)
    st_idx = st_idx[inside].astype(np.int64)
    order = np.lexsort((st_idx, pt_idx))
    return pt_idx[order], st_idx[order]
