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
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from . import crs as _crs
from .errors import DataSourceError, SchemaError
from .io import (
    RejectsReport,
    codes_as_text,
    count_rows_read,
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

__all__ = [
    "TECHNOLOGIES",
    "DEFAULT_RADIUS_M",
    "VIETNAM_OPERATORS",
    "normalise_technology",
    "read_stations",
    "station_radius_m",
    "station_footprints",
    "covering_pairs",
]

logger = logging.getLogger(__name__)

TECHNOLOGIES: tuple[str, ...] = ("2G", "3G", "4G", "5G")

# Spellings accepted for each technology, compared after folding (case, spaces and
# punctuation removed: "LTE-A" -> "ltea", "5G NR" -> "5gnr", "HSPA+" -> "hspa").
# CDMA (IS-95 / CDMA2000 1x, e.g. Vietnam's former S-Fone, MNC 03) is counted as 2G: its
# EV-DO data upgrades are sometimes called 3G, but nobody can tell from the word "CDMA"
# alone, and counting an unknown CDMA cell as 3G would overstate 3G coverage.  Bare
# generation numbers ("2" ... "5", from a "generation" column) are accepted as well.
_SPELLINGS: dict[str, tuple[str, ...]] = {
    "2G": ("GSM", "GPRS", "EDGE", "2G", "CDMA", "2"),
    "3G": ("UMTS", "WCDMA", "HSPA", "HSPA+", "HSDPA", "3G", "3"),
    "4G": ("LTE", "LTE-A", "4G", "4G+", "4"),
    "5G": ("NR", "5G", "5G NR", "5"),
}
_FOLDED_TECH = {
    re.sub(r"[^0-9a-z]", "", fold_text(name)): tech
    for tech, names in _SPELLINGS.items() for name in names
}
_ACCEPTED_TEXT = "; ".join(f"{t}: {', '.join(n)}" for t, n in _SPELLINGS.items())

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
    "id": ["site_id", "cell", "cellid", "station_id"],
    "lon": ["lng", "long", "longitude", "x"],
    "lat": ["latitude", "y"],
    "tech": ["technology", "radio", "generation", "rat"],
    "operator": ["mnc", "net", "carrier", "nha_mang"],
    "range_m": ["range", "radius", "radius_m"],
    "azimuth": ["azimuth_deg", "az"],
    "beamwidth": ["beamwidth_deg", "bw"],
    "status": [],
}

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


def normalise_technology(values: pd.Series) -> pd.Series:
    """Map technology spellings to ``"2G"``, ``"3G"``, ``"4G"`` or ``"5G"`` (NA if unknown).

    Accepted (case, spaces and punctuation ignored): GSM, GPRS, EDGE, 2G, CDMA -> 2G;
    UMTS, WCDMA, HSPA, HSPA+, HSDPA, 3G -> 3G; LTE, LTE-A, 4G, 4G+ -> 4G;
    NR, 5G, 5G NR -> 5G; bare generation numbers 2-5 as well.  CDMA counts as 2G: the
    word alone does not tell CDMA2000 1x from its EV-DO upgrade, and calling it 3G would
    overstate 3G coverage.

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
    """
    text = codes_as_text(values)
    uniques = pd.unique(text.dropna())
    table = {u: _FOLDED_TECH.get(re.sub(r"[^0-9a-z]", "", fold_text(u))) for u in uniques}
    out = text.map(table).astype(object)
    out[out.isna().to_numpy()] = pd.NA
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


def _read_station_source(source: Any) -> tuple[pd.DataFrame, bool]:
    """Read the source; return ``(frame, is_opencellid)``."""
    if not isinstance(source, (str, Path)):
        frame = frame_from_source(source)
        cols = {fold_text(c) for c in frame.columns}
        return frame, {"radio", "mcc", "net", "area", "cell", "lon", "lat"} <= cols
    path = Path(source)
    if not path.exists():
        return read_table(path), False  # raises the standard DataSourceError
    name = path.name.lower()
    is_text = name.endswith((".csv", ".txt", ".csv.gz", ".txt.gz"))
    headerless = False
    if is_text:
        first = _first_line(path).strip().split(",")
        headerless = (fold_text(first[0]) in _OPENCELLID_RADIOS
                      and len(first) in (len(OPENCELLID_COLUMNS) - 1, len(OPENCELLID_COLUMNS)))
    if headerless or name.endswith(".gz"):
        try:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""],
                                header=None if headerless else "infer",
                                names=list(OPENCELLID_COLUMNS) if headerless else None)
        except Exception as exc:
            raise DataSourceError(f"{path}: cannot be read ({type(exc).__name__}: {exc})") \
                from exc
        frame.columns = [str(c).strip() for c in frame.columns]
        frame["source_file"] = path.name
        frame["source_row"] = np.arange(len(frame)) + (1 if headerless else 2)
    else:
        frame = read_table(path)
    cols = {fold_text(c) for c in frame.columns}
    return frame, {"radio", "mcc", "net", "area", "cell", "lon", "lat"} <= cols


def _opencellid_columns(frame: pd.DataFrame) -> pd.DataFrame:
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
    rng = parse_numbers(frame[byfold["range"]]) if "range" in byfold else \
        pd.Series(np.nan, index=frame.index)
    # OpenCelliD's range is an estimate from the spread of crowd-sourced measurements, not
    # a planned cell radius; 0 (no spread, e.g. a single sample) is read as unknown.
    out["range_m"] = rng.where(rng > 0)
    out["technology"] = frame[byfold["radio"]]
    keep = ["station_id", "operator", "range_m", "technology", byfold["lon"], byfold["lat"],
            "source_file", "source_row"]
    out = out[keep].rename(columns={byfold["lon"]: "lon", byfold["lat"]: "lat"})
    return out


def read_stations(
    source: str | Path | pd.DataFrame,
    *,
    columns: Mapping[str, str] | None = None,
    crs: Any = "EPSG:4326",
    rejects: RejectsReport | None = None,
) -> gpd.GeoDataFrame:
    """Read base stations (one row per cell) into the normalised "Stations" schema.

    Parameters
    ----------
    source : path or (Geo)DataFrame
        CSV (``,``/``;``/tab, decimal point or Vietnamese decimal comma), Excel, any vector
        format GDAL reads (Points), an OpenCelliD export (``.csv`` or ``.csv.gz``, with
        or without its header line), or a (Geo)DataFrame.
    columns : mapping, optional
        Explicit column names, keys ``id, lon, lat, tech, operator, range_m, azimuth,
        beamwidth, status``.  Otherwise aliases are matched (case, spaces, ``_``/``-`` and
        diacritics ignored): id/site_id/cell/cellid/station_id (a ``station_id`` column
        wins over ``id``/``site_id``: one row per cell), lon/lng/long/longitude/x,
        lat/latitude/y, tech/technology/radio/generation/rat,
        operator/mnc/net/carrier/nha_mang, range_m/range/radius/radius_m,
        azimuth/azimuth_deg/az, beamwidth/beamwidth_deg/bw, status.
    crs : CRS-like, default "EPSG:4326"
        CRS of the coordinate columns (vector layers and GeoDataFrames keep their own).
    rejects : RejectsReport, optional
        Lenient mode: bad rows are recorded there instead of raising.

    Returns
    -------
    geopandas.GeoDataFrame
        ``station_id, technology, operator, range_m, azimuth_deg, beamwidth_deg, status,
        geometry, source_file, source_row`` in the input CRS.  ``range_m`` NaN means "use
        the technology default"; azimuth is taken modulo 360 (clockwise from north);
        NaN azimuth or beamwidth means omnidirectional.  Rows without an id get
        ``"<file>:<row>"``; a missing operator becomes ``"unknown"``.

        OpenCelliD files: ``station_id`` is ``mcc-net-area-cell``, ``operator`` comes from
        :data:`VIETNAM_OPERATORS` for MCC 452 (else ``"<mcc>-<mnc>"``), ``range`` becomes
        ``range_m`` (0 = unknown).

    Raises
    ------
    SchemaError
        Strict mode, for each class of bad rows (missing/unparseable coordinates,
        latitude/longitude out of range, unknown technology, ``range_m <= 0``, unparseable
        azimuth, beamwidth outside (0, 360]), listing file, rows, column and values.
    CRSError
        A vector layer or GeoDataFrame without a CRS.
    DataSourceError
        The file cannot be read.

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
    """
    frame, is_ocid = _read_station_source(source)
    if is_ocid and not columns:
        frame = _opencellid_columns(frame)
    file = source_names(frame)
    count_rows_read(rejects, frame, "stations")
    geo = has_geometry(frame)
    required = ["tech"] if geo else ["lon", "lat", "tech"]
    given = dict(columns or {})
    if "id" not in given:  # a cell-level "station_id" beats "id"/"site_id" (one site, many cells)
        exact = [c for c in frame.columns if fold_text(c) == "stationid"]
        if exact:
            given["id"] = exact[0]
    cols = resolve_columns(frame, _ALIASES, given=given, required=required, file=file)
    n = len(frame)
    keep = np.ones(n, dtype=bool)

    use_columns = not geo or bool(columns and "lon" in columns and "lat" in columns)
    if use_columns and "lon" in cols and "lat" in cols:
        points, keep = lonlat_points(frame, cols["lon"], cols["lat"], crs=crs, keep=keep,
                                      rejects=rejects)
        out_crs = CRS.from_user_input(crs)
    elif geo:
        out_crs = _crs.require_crs(frame, what=f"station layer {file}")
        points, keep = _geometry_points(frame, keep=keep, rejects=rejects, what="station")
    else:  # pragma: no cover - resolve_columns already raised
        raise SchemaError(f"{file}: no coordinates")

    tech_raw = frame[cols["tech"]]
    tech = normalise_technology(tech_raw)
    keep = keep & reject_rows(
        keep & tech.isna().to_numpy(), frame, column=cols["tech"], values=tech_raw,
        reason="technology missing or not recognised",
        fix=f"Use one of the accepted spellings ({_ACCEPTED_TEXT}).", rejects=rejects)

    def numbers(key: str) -> tuple[np.ndarray, pd.Series | None]:
        if key not in cols:
            return np.full(n, np.nan), None
        raw = frame[cols[key]]
        return parse_numbers(raw).to_numpy(), raw

    rng, rng_raw = numbers("range_m")
    az, az_raw = numbers("azimuth")
    bw, bw_raw = numbers("beamwidth")
    for key, val, raw in (("range_m", rng, rng_raw), ("azimuth", az, az_raw),
                          ("beamwidth", bw, bw_raw)):
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
        keep = keep & reject_rows(bad, frame, column=cols["range_m"], values=rng_raw,
                                  reason="range_m <= 0",
                                  fix="A cell range must be a positive number of metres; leave "
                                      "it empty to use the technology default.",
                                  rejects=rejects)
    if bw_raw is not None:
        with np.errstate(invalid="ignore"):
            bad = keep & ((bw <= 0) | (bw > 360))
        keep = keep & reject_rows(bad, frame, column=cols["beamwidth"], values=bw_raw,
                                  reason="beamwidth outside (0, 360] degrees",
                                  fix="Give the horizontal beamwidth in degrees (e.g. 65 for a "
                                      "sector, 360 or empty for omni).", rejects=rejects)

    src = frame.loc[keep, ["source_file", "source_row"]].reset_index(drop=True)
    if "id" in cols:
        ids = codes_as_text(frame[cols["id"]])[keep].reset_index(drop=True)
    else:
        ids = pd.Series(pd.NA, index=src.index, dtype=object)
    fallback = src["source_file"].astype(str) + ":" + src["source_row"].astype(str)
    ids = ids.where(ids.notna(), fallback).astype(object)
    if "operator" in cols:
        op = codes_as_text(frame[cols["operator"]])[keep].reset_index(drop=True)
        op = op.where(op.notna(), "unknown").astype(object)
    else:
        op = pd.Series("unknown", index=src.index, dtype=object)
    if "status" in cols:
        status = codes_as_text(frame[cols["status"]])[keep].reset_index(drop=True)
    else:
        status = pd.Series(pd.NA, index=src.index, dtype=object)

    out = gpd.GeoDataFrame(
        {
            "station_id": ids,
            "technology": tech[keep].reset_index(drop=True).astype(object),
            "operator": op,
            "range_m": rng[keep].astype(float),
            "azimuth_deg": np.mod(az[keep], 360.0),
            "beamwidth_deg": bw[keep].astype(float),
            "status": status,
            "source_file": src["source_file"].astype(str),
            "source_row": src["source_row"].astype(np.int64),
        },
        geometry=gpd.GeoSeries(points[keep], crs=out_crs),
    )
    logger.info("%s: %d stations read, %d rejected", file, len(out), int(n - keep.sum()))
    return out[_COLUMNS]


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
    radii = dict(DEFAULT_RADIUS_M)
    if isinstance(radius_m, Mapping):
        unknown = sorted(set(radius_m) - set(TECHNOLOGIES))
        if unknown:
            raise SchemaError(f"radius_m: unknown technology key(s) {unknown}; valid keys are "
                              f"{list(TECHNOLOGIES)}")
        radii.update({k: float(v) for k, v in radius_m.items()})
    elif radius_m is not None:
        radii = {k: float(radius_m) for k in TECHNOLOGIES}
    badr = {k: v for k, v in radii.items() if not (np.isfinite(v) and v > 0)}
    if badr:
        raise SchemaError(f"radius_m: radii must be positive numbers of metres, got {badr}")
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
    sector = np.isfinite(az) & np.isfinite(bw) & (bw < 360)
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
    return gpd.GeoDataFrame(cols, geometry=gpd.GeoSeries(out_geoms, crs=work),
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
    sec = np.isfinite(az) & np.isfinite(bw) & (bw < 360)
    chk = inside & sec[st_idx] & ((dx != 0) | (dy != 0))
    if chk.any():
        bearing = np.degrees(np.arctan2(dx[chk], dy[chk]))
        diff = np.abs((bearing - az[st_idx[chk]] + 180.0) % 360.0 - 180.0)
        inside[chk] = diff <= bw[st_idx[chk]] / 2.0 + 1e-9
    pt_idx = pt_idx[inside].astype(np.int64)
    st_idx = st_idx[inside].astype(np.int64)
    order = np.lexsort((st_idx, pt_idx))
    return pt_idx[order], st_idx[order]
