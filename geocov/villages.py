"""Villages (thôn/bản): read points or polygons, link each one to its finest admin unit.

:func:`read_villages` returns the normalised "Villages" schema of ``docs/design.md``;
:func:`link_villages` fills ``unit_code`` (from the file's code, checked against the units,
or by location) and records how in ``placement``.
"""

from __future__ import annotations

import itertools
import logging
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Geod

from . import crs as _crs
from .boundaries import first_by_code, unit_levels
from .errors import DataQualityWarning, SchemaError, hint
from .io import (
    RejectsReport,
    codes_as_text,
    count_rows_read,
    file_decimal,
    frame_from_source,
    has_geometry,
    lonlat_points,
    parse_numbers,
    reject_rows,
    resolve_columns,
    source_names,
)
from .names import name_keys

__all__ = ["read_villages", "link_villages"]

logger = logging.getLogger(__name__)

# Matched with io.fold_text: case, spaces, "_"/"-", brackets and diacritics are ignored,
# so "ma_thon" also matches "Mã thôn", "MA THON" and "Ma-thon".
_ALIASES: dict[str, list[str]] = {
    "village_code": ["code", "id", "ma_thon", "village_id", "ma_thon_ban", "ma_ban"],
    "village_name": ["name", "ten", "ten_thon", "ten_thon_ban", "ten_ban", "thon",
                     "thon_ban"],
    "population": ["pop", "dan_so", "so_dan", "tong_dan_so", "nhan_khau", "so_nhan_khau"],
    "unit_code": ["commune_code", "ma_xa", "commune_id", "ward_code", "ma_phuong",
                  "ma_xa_phuong", "ma_phuong_xa"],
    # names, never codes: used by link_villages when a village has no unit_code
    "unit_name": ["commune_name", "ten_xa", "commune", "xa", "ward_name", "ten_phuong",
                  "ten_xa_phuong", "xa_phuong", "phuong_xa"],
    "district_name": ["district", "huyen", "ten_huyen", "quan_huyen", "ten_quan_huyen"],
    "province_name": ["province", "tinh", "ten_tinh", "tinh_thanh", "tinh_thanh_pho"],
    "lon": ["lng", "long", "longitude", "x", "kinh_do"],
    "lat": ["latitude", "y", "vi_do"],
    "wkt": ["geometry", "geom", "the_geom", "shape"],
}
_NAMES = ("unit_name", "district_name", "province_name")
#: ``attrs`` key under which :func:`read_villages` records the codes of the villages it
#: rejected: ``{village_code: (source_file, source_row)}``.  A fiber row that lists one of
#: them is rejected with that reason instead of "not found".
REJECTED_VILLAGES_ATTR = "geocov_rejected_villages"

_COLUMNS = ["village_code", "village_name", "population", "unit_code", *_NAMES, "geometry",
            "source_file", "source_row"]
_ALLOWED_TYPES = (shapely.GeometryType.POINT, shapely.GeometryType.POLYGON,
                  shapely.GeometryType.MULTIPOLYGON)


def _village_geometries(
    frame: pd.DataFrame, cols: Mapping[str, str], *, geo: bool, use_columns: bool, crs: Any,
    keep: np.ndarray, rejects: RejectsReport | None, decimal: str, label: pd.Series,
) -> tuple[np.ndarray, np.ndarray, CRS]:
    file = source_names(frame)
    if use_columns and "lon" in cols and "lat" in cols:
        pts, keep = lonlat_points(frame, cols["lon"], cols["lat"], crs=crs, keep=keep,
                                  rejects=rejects, decimal=decimal)
        return pts, keep, CRS.from_user_input(crs)
    if geo:
        out_crs = _crs.require_crs(frame, what=f"village layer {file}")
        geoms = np.asarray(frame.geometry.array, dtype=object)
    elif "wkt" in cols:
        raw = frame[cols["wkt"]]
        text = raw.astype(object).where(raw.notna(), None).to_numpy()
        geoms = shapely.from_wkt(text, on_invalid="ignore")
        bad = keep & raw.notna().to_numpy() & shapely.is_missing(geoms)
        keep = keep & reject_rows(bad, frame, column=cols["wkt"], values=raw,
                                  reason="not valid WKT",
                                  fix="Write geometries as WKT, e.g. 'POINT (103.97 22.48)'.",
                                  rejects=rejects)
        out_crs = CRS.from_user_input(crs)
    else:
        raise SchemaError(
            f"{file}: no village locations: need lon/lat columns (lon/lng/long/longitude/x/"
            f"kinh_do, lat/latitude/y/vi_do), a WKT column (geometry/wkt/geom/the_geom/shape) "
            f"or a vector layer. Columns present: "
            f"{[c for c in frame.columns if c not in ('source_file', 'source_row')]}. "
            + hint("Pass columns={'lon': '<column>', 'lat': '<column>'}.",
                   "Pass --villages-columns lon=<column>,lat=<column>."))
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    keep = keep & reject_rows(keep & missing, frame, column="geometry", values=label,
                              reason="missing or empty geometry",
                              fix="Give every village a point or polygon, or remove the row.",
                              rejects=rejects)
    types = shapely.get_type_id(geoms)
    bad = keep & ~np.isin(types, [int(t) for t in _ALLOWED_TYPES])
    names = np.array(["Point", "LineString", "LinearRing", "Polygon", "MultiPoint",
                      "MultiLineString", "MultiPolygon", "GeometryCollection"], dtype=object)
    keep = keep & reject_rows(bad, frame, column="geometry",
                              values=names[np.clip(types, 0, 7)],
                              reason="geometry is not a Point, Polygon or MultiPolygon",
                              fix="Store villages as points (centre) or polygons (extent).",
                              rejects=rejects)
    return geoms, keep, out_crs


_THOUSANDS_ONLY = r"[-+]?\d{1,3}(\.\d{3})+"


def _dotted_thousands(raw: pd.Series) -> bool:
    """Whether a text column's dotted values are all thousands groups (``1.250``, ``12.345``)."""
    if pd.api.types.is_numeric_dtype(raw.dtype):
        return False
    text = pd.Series(pd.unique(raw.dropna().astype(str)), dtype=object).str.strip()
    dotted = text[text.str.contains(".", regex=False)]
    return bool(len(dotted)) and bool(dotted.str.fullmatch(_THOUSANDS_ONLY).all())


def _label(frame: pd.DataFrame, cols: Mapping[str, str]) -> pd.Series:
    """``village <code> (<name>)`` for each row, to name villages in messages."""
    code = (codes_as_text(frame[cols["village_code"]]) if "village_code" in cols
            else pd.Series(pd.NA, index=frame.index, dtype=object))
    name = (codes_as_text(frame[cols["village_name"]]) if "village_name" in cols
            else pd.Series(pd.NA, index=frame.index, dtype=object))
    out = "village " + code.fillna("(no code)").astype(str)
    return out.where(name.isna(), out + " (" + name.fillna("").astype(str) + ")")


def read_villages(
    source: str | Path | pd.DataFrame,
    *,
    columns: Mapping[str, str] | None = None,
    crs: Any = "EPSG:4326",
    layer: str | int | None = None,
    encoding: str | None = None,
    decimal: str | None = None,
    rejects: RejectsReport | None = None,
) -> gpd.GeoDataFrame:
    """Read villages (points or polygons) into the normalised "Villages" schema.

    Parameters
    ----------
    source : path or (Geo)DataFrame
        CSV/Excel with lon/lat columns or a WKT column, any vector file of Points or
        (Multi)Polygons, or a (Geo)DataFrame.
    columns : mapping, optional
        Explicit column names, keys ``village_code, village_name, population, unit_code,
        unit_name, district_name, province_name, lon, lat, wkt``.  Otherwise aliases
        are matched, ignoring case, spaces, ``_``/``-``, brackets and diacritics (so
        ``ma_thon`` matches ``Mã thôn``):

        * village_code: code, id, ma_thon, village_id, ma_thon_ban, ma_ban;
        * village_name: name, ten, ten_thon, ten_thon_ban, ten_ban, thon, thon_ban;
        * population: pop, dan_so, so_dan, tong_dan_so, nhan_khau, so_nhan_khau;
        * unit_code (the commune's code): commune_code, ma_xa, commune_id, ward_code,
          ma_phuong, ma_xa_phuong, ma_phuong_xa;
        * unit_name (the commune's *name*, never taken for a code): commune_name,
          ten_xa, commune, xa, ward_name, ten_phuong, ten_xa_phuong, xa_phuong,
          phuong_xa; district_name: district, huyen, ten_huyen, quan_huyen,
          ten_quan_huyen; province_name: province, tinh, ten_tinh, tinh_thanh,
          tinh_thanh_pho (see :func:`link_villages`);
        * lon: lng, long, longitude, x, kinh_do; lat: latitude, y, vi_do;
        * wkt: geometry, geom, the_geom, shape.
    crs : CRS-like, default "EPSG:4326"
        CRS of coordinate or WKT columns (vector layers keep their own).
    layer : str or int, optional
        Layer of a multi-layer vector file (GeoPackage, ...); files only.
    encoding : str, optional
        Text encoding of a CSV or a DBF without ``.cpg`` (``"cp1258"``, ``"tcvn3"``,
        ``"vni"``, ...); ``None`` detects it (see :func:`geocov.io.read_table`).
    decimal : {",", "."}, optional
        Decimal mark of the file's numbers; ``None`` decides it once for the whole file
        from all its number columns (:func:`geocov.io.file_decimal`; code and name columns
        are left out, they are text).  A population column whose
        dotted values are all thousands groups (``1.250``, ``12.345``) is read as whole
        head counts (1250) unless ``decimal='.'`` is given, and is not taken as evidence
        for the other columns.
    rejects : RejectsReport, optional
        Lenient mode: bad rows are recorded there instead of raising.

    Returns
    -------
    geopandas.GeoDataFrame
        ``village_code, village_name, population, unit_code, unit_name, district_name,
        province_name, geometry, source_file, source_row`` in the input CRS.  Codes are
        text (``1234.0`` from Excel becomes ``"1234"``).  A village without a code gets the
        deterministic code ``"<source_file>:<source_row>"``.  Missing population is NaN.
        ``unit_code`` NA means "place it by its name or location"
        (:func:`link_villages`); names are NA when the file has none.

    Raises
    ------
    SchemaError
        Strict mode: bad coordinates or geometries, negative or unparseable population,
        or duplicate village codes (listing file, rows and values); ``layer=`` or
        ``encoding=`` with an in-memory frame; the columns disagree on the decimal mark.
    CRSError
        A vector layer without a CRS.

    Warns
    -----
    DataQualityWarning
        The file has no village (no row).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"Mã thôn": [101.0, None], "Tên thôn": ["Bản Khoang", "Nậm Cang"],
    ...                   "Dân số": ["1.250", ""], "Tên xã": ["Bản Khoang", "Tả Phìn"],
    ...                   "Kinh độ": [103.8, 103.9], "Vĩ độ": [22.3, 22.4]})
    >>> v = read_villages(t)
    >>> v[["village_code", "village_name", "population", "unit_name"]].values.tolist()
    [['101', 'Bản Khoang', 1250.0, 'Bản Khoang'], ['<DataFrame>:2', 'Nậm Cang', nan, 'Tả Phìn']]
    """
    if isinstance(source, pd.DataFrame):
        for key, value in (("layer", layer), ("encoding", encoding)):
            if value is not None:
                raise SchemaError(f"{key}= is only for files; a {type(source).__name__} "
                                  f"was given")
    frame = frame_from_source(source, layer=layer, encoding=encoding)
    file = source_names(frame)
    if len(frame) == 0:
        name = (Path(source).name if isinstance(source, (str, Path))
                else f"<{type(source).__name__}>")
        warnings.warn(DataQualityWarning.of("empty_villages", file=name), stacklevel=2)
    count_rows_read(rejects, frame, "villages")
    geo = has_geometry(frame)
    cols = resolve_columns(frame, _ALIASES, given=columns, required=[], file=file,
                           cli_option="--villages-columns")
    use_columns = not geo or bool(columns and "lon" in columns and "lat" in columns)
    n = len(frame)
    keep = np.ones(n, dtype=bool)
    # One decimal mark for the whole file, from its number columns (codes and names are
    # text even when they look like numbers); head counts in thousands groups are whole.
    pop_groups = "population" in cols and decimal is None and _dotted_thousands(
        frame[cols["population"]])
    text_keys = ["village_code", "village_name", "unit_code", *_NAMES, "wkt"]
    skip = [cols[k] for k in text_keys if k in cols] + (
        [cols["population"]] if pop_groups else [])
    dec = file_decimal(frame.drop(columns=skip), decimal=decimal, file=file)
    label = _label(frame, cols)
    geoms, keep, out_crs = _village_geometries(
        frame, cols, geo=geo, use_columns=use_columns, crs=crs, keep=keep, rejects=rejects,
        decimal=dec, label=label)

    if "population" in cols:
        raw = frame[cols["population"]]
        pop = parse_numbers(raw, decimal="," if pop_groups else dec).to_numpy()
        given = raw.notna().to_numpy() & (raw.astype(str).str.strip() != "").to_numpy()
        keep = keep & reject_rows(keep & given & ~np.isfinite(pop), frame,
                                  column=cols["population"], values=raw,
                                  reason="population is not a number",
                                  fix="Write a whole number of people (1.250 or 1250) or "
                                      "leave the cell empty if unknown.", rejects=rejects)
        with np.errstate(invalid="ignore"):
            neg = keep & (pop < 0)
        keep = keep & reject_rows(neg, frame, column=cols["population"], values=raw,
                                  reason="population is negative",
                                  fix="Population must be >= 0 (empty if unknown).",
                                  rejects=rejects)
    else:
        pop = np.full(n, np.nan)

    src = frame[["source_file", "source_row"]]
    fallback = src["source_file"].astype(str) + ":" + src["source_row"].astype(str)
    if "village_code" in cols:
        code = codes_as_text(frame[cols["village_code"]])
        nmiss = int((code.isna().to_numpy() & keep).sum())
        code = code.where(code.notna(), fallback)
    else:
        nmiss = int(keep.sum())
        code = fallback.astype(object)
    if nmiss:
        logger.info("%s: %d village(s) without a code got '<file>:<row>' codes", file, nmiss)
    dup = keep & code.where(pd.Series(keep, index=code.index)).duplicated(keep=False).to_numpy()
    dup &= code.notna().to_numpy()
    if dup.any():
        first = pd.Series(keep & dup, index=code.index)
        later = dup & code.where(first).duplicated(keep="first").to_numpy()
        listed = sorted(pd.unique(code[dup]))[:20]
        keep = keep & reject_rows(
            later, frame, column=cols.get("village_code", "village_code"), values=code,
            reason=f"duplicate village_code (codes {listed}; the first row of each is kept in "
                   f"lenient mode)",
            fix="Give every village its own code, or drop the repeated rows.", rejects=rejects)

    def text(key: str) -> pd.Series:
        if key not in cols:
            return pd.Series(pd.NA, index=frame.index, dtype=object)
        return codes_as_text(frame[cols[key]])

    out = gpd.GeoDataFrame(
        {
            "village_code": code[keep].astype(object).to_numpy(),
            "village_name": text("village_name")[keep].to_numpy(),
            "population": pop[keep].astype(float),
            "unit_code": text("unit_code")[keep].to_numpy(),
            **{k: text(k)[keep].to_numpy() for k in _NAMES},
            "source_file": src["source_file"][keep].astype(str).to_numpy(),
            "source_row": src["source_row"][keep].astype(np.int64).to_numpy(),
        },
        geometry=gpd.GeoSeries(geoms[keep], crs=out_crs),
    )
    logger.info("%s: %d villages read, %d rejected", file, len(out), int(n - keep.sum()))
    out = out[_COLUMNS]
    # so that a fiber row listing a rejected village can say why it cannot be used
    gone = ~keep & code.notna().to_numpy() & ~code.isin(set(out["village_code"])).to_numpy()
    gone &= ~code.duplicated(keep="first").to_numpy()
    out.attrs[REJECTED_VILLAGES_ATTR] = dict(zip(
        code[gone].astype(str),
        zip(src["source_file"][gone].astype(str), src["source_row"][gone].astype(int).tolist(),
            strict=True), strict=True))
    return out


def _finest_code_column(units: pd.DataFrame) -> str:
    """The code column of the finest admin level, e.g. ``"commune_code"``."""
    col = f"{unit_levels(units)[-1]}_code"
    if col not in units.columns:
        raise SchemaError(f"units: the finest level's code column {col!r} is missing; "
                          f"columns present: {list(units.columns)}")
    return col


def _representative_points(geoms: np.ndarray) -> np.ndarray:
    """Points stay; polygons give their representative point (always inside)."""
    return shapely.point_on_surface(geoms)


def _claims_by_name(v: pd.DataFrame, units: pd.DataFrame, levels: tuple[str, ...],
                    todo: np.ndarray) -> np.ndarray:
    """Index of the unit each village's commune name (``unit_name``) names, -1 if none.

    A name claims a unit when it matches exactly one unit's name (type word such as
    "Xã" ignored), among the units of the village's district/province when the village
    gives those names and the units have those levels.
    """
    out = np.full(len(v), -1, dtype=np.int64)
    if "unit_name" not in v.columns or not todo.any():
        return out
    # "Xa Ban Cai" / "Xã Bản Cái" -> "bancai"; a name written without diacritics may begin
    # with what looks like a type word ("Quan Ho Than"): unmatched, it is tried whole
    for kind in ("unit", "none"):
        vname = name_keys(v["unit_name"], kind=kind)
        named = todo & (out < 0) & vname.notna().to_numpy()
        if named.any():
            out = np.where(named, _claims_by_keys(vname, v, units, levels, named), out)
    return out


def _claims_by_keys(vname: pd.Series, v: pd.DataFrame, units: pd.DataFrame,
                    levels: tuple[str, ...], named: np.ndarray) -> np.ndarray:
    """:func:`_claims_by_name` for the villages' commune-name keys ``vname``."""
    out = np.full(len(v), -1, dtype=np.int64)
    uname = name_keys(units[f"{levels[-1]}_name"])
    parents = [lvl for lvl in ("district", "province") if lvl in levels[:-1]
               and f"{lvl}_name" in v.columns and v[f"{lvl}_name"].notna().any()]
    vpar = {lvl: name_keys(v[f"{lvl}_name"]) for lvl in parents}
    upar = {lvl: name_keys(units[f"{lvl}_name"]) for lvl in parents}
    for combo in itertools.product((False, True), repeat=len(parents)):
        rows = named.copy()
        ukey, vkey = uname.fillna(""), vname.fillna("")
        for lvl, used in zip(parents, combo, strict=True):
            rows &= vpar[lvl].notna().to_numpy() == used
            if used:
                ukey = ukey + "|" + upar[lvl].fillna("")
                vkey = vkey + "|" + vpar[lvl].fillna("")
        if not rows.any():
            continue
        ukey = ukey.reset_index(drop=True)
        unique = ukey[~ukey.duplicated(keep=False) & uname.reset_index(drop=True).notna()]
        lookup = pd.Series(unique.index.to_numpy(), index=unique.to_numpy())
        out[rows] = lookup.reindex(vkey[rows].to_numpy()).fillna(-1).to_numpy(dtype=np.int64)
    return out


def _metric_crs(crs: CRS, units: gpd.GeoDataFrame) -> CRS:
    if crs.is_projected and crs.axis_info and crs.axis_info[0].unit_name in ("metre", "meter"):
        return crs
    return _crs.working_crs(units)


_GEODESIC_FROM_M = 100_000.0  # beyond this the working CRS distorts: measure on the ellipsoid


def _distances_m(vgeoms: np.ndarray, vcrs: CRS, ugeoms: np.ndarray, ucrs: CRS,
                 metric: CRS) -> np.ndarray:
    """Distance (m) from each village geometry to the unit geometry paired with it.

    Measured in the metric working CRS; pairs farther apart than 100 km (a point at 0,0, a
    wrong CRS) are measured on the WGS 84 ellipsoid between the two nearest points found
    in longitude/latitude, since a UTM zone means nothing thousands of km away.
    """
    if not len(vgeoms):
        return np.zeros(0)
    a = gpd.GeoSeries(vgeoms, crs=vcrs).to_crs(metric).to_numpy()
    b = gpd.GeoSeries(ugeoms, crs=ucrs).to_crs(metric).to_numpy()
    dist = np.asarray(shapely.distance(a, b), dtype=float)
    far = ~np.isfinite(dist) | (dist > _GEODESIC_FROM_M)
    if far.any():
        la = gpd.GeoSeries(vgeoms[far], crs=vcrs).to_crs(4326).to_numpy()
        lb = gpd.GeoSeries(ugeoms[far], crs=ucrs).to_crs(4326).to_numpy()
        xy = shapely.get_coordinates(shapely.shortest_line(la, lb)).reshape(-1, 2, 2)
        _, _, metres = Geod(ellps="WGS84").inv(xy[:, 0, 0], xy[:, 0, 1], xy[:, 1, 0],
                                               xy[:, 1, 1])
        dist[far] = np.asarray(metres, dtype=float)
    return dist


def link_villages(
    villages: gpd.GeoDataFrame,
    units: gpd.GeoDataFrame,
    *,
    tolerance_m: float = 500.0,
    rejects: RejectsReport | None = None,
) -> gpd.GeoDataFrame:
    """Give every village the code of the finest admin unit it belongs to.

    * A village whose ``unit_code`` is given claims that unit; the code must exist in
      ``units`` (``placement = "code"``).
    * A village without a code but with a commune name (``unit_name``, e.g. from a
      ``ten_xa``/``Tên xã`` column) claims the unit of that name when exactly one unit
      has it: names are compared without case, diacritics, spaces or a leading type word
      ("Xã", "Phường", "Thị trấn", ...), within the village's district/province when the
      village names them and the units have those levels (``placement = "name"``).  A
      name that matches no unit, or several, does not claim: the village is placed by
      its location.
    * The others are placed by location, polygons by their representative point
      (``placement = "spatial"``): the unit they intersect, the one with the smallest
      code when the point lies on a shared border.

    A claimed unit is checked against the village's location.  Admin boundaries are
    generalised and villages near a border are often drawn just across it, so a village
    up to ``tolerance_m`` outside its claimed unit (distance from its point or polygon to
    the unit's polygon) is **kept and counted in the claimed unit**.  Farther away, in
    another unit or in none (e.g. a point at 0,0), it is a bad row: rejected in lenient
    mode, an error in strict mode, naming the village, the unit it claims, the unit it
    lies in (if any) and the distance in km.  Locations are compared in the units' CRS,
    distances in metres in a metric working CRS (:func:`geocov.crs.working_crs`), and on
    the WGS 84 ellipsoid beyond 100 km.

    Parameters
    ----------
    villages : GeoDataFrame
        Normalised villages (:func:`read_villages`).
    units : GeoDataFrame
        Normalised admin units (``geocov.boundaries.read_units``); the finest level is
        the last of ``units.attrs["geocov_levels"]``.
    tolerance_m : float, default 500
        How far (metres) a village may lie outside the unit its code or name claims.
    rejects : RejectsReport, optional
        Lenient mode: unknown codes, villages too far from their claimed unit and
        villages outside every unit go there.

    Returns
    -------
    GeoDataFrame
        The villages that could be linked (index kept), with ``unit_code`` filled and a
        ``placement`` column (``"code"``, ``"name"`` or ``"spatial"``).

    Raises
    ------
    SchemaError
        Strict mode: ``unit_code`` values not found in the units, villages more than
        ``tolerance_m`` outside the unit they claim, or villages without a claim outside
        every unit ("outside every admin unit"); ``tolerance_m`` not a number >= 0.
    CRSError
        Villages or units without a CRS.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point, box
    >>> units = gpd.GeoDataFrame({"commune_code": ["C1", "C2"], "commune_name": ["A", "B"]},
    ...                          geometry=[box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000)],
    ...                          crs="EPSG:32648")
    >>> v = read_villages(gpd.GeoDataFrame(
    ...     {"code": ["v1", "v2", "v3"], "ma_xa": ["C1", None, "C1"]},
    ...     geometry=[Point(100, 100), Point(1500, 500), Point(1200, 500)], crs="EPSG:32648"))
    >>> link_villages(v, units)[["village_code", "unit_code", "placement"]].values.tolist()
    [['v1', 'C1', 'code'], ['v2', 'C2', 'spatial'], ['v3', 'C1', 'code']]
    """
    if not (isinstance(tolerance_m, (int, float)) and np.isfinite(tolerance_m)
            and tolerance_m >= 0):
        raise SchemaError(f"tolerance_m must be a number of metres >= 0, got {tolerance_m!r}")
    code_col = _finest_code_column(units)
    levels = unit_levels(units)
    finest = levels[-1]
    ucrs = _crs.require_crs(units, what="units")
    vcrs = _crs.require_crs(villages, what="villages")
    v = villages.copy()
    if not vcrs.equals(ucrs):
        v = v.to_crs(ucrs)
    frame = v if "source_file" in v.columns else v.assign(
        source_file="<villages>", source_row=np.arange(1, len(v) + 1))
    unit_codes = codes_as_text(units[code_col]).to_numpy(dtype=object, na_value=None)
    name_col = f"{finest}_name"
    unit_names = (units[name_col].astype(object).to_numpy() if name_col in units.columns
                  else np.full(len(units), None, dtype=object))
    vcode = (codes_as_text(v["unit_code"]) if "unit_code" in v.columns
             else pd.Series(pd.NA, index=v.index, dtype=object))
    vcodes = vcode.to_numpy(dtype=object, na_value=None)
    coded = vcode.notna().to_numpy()
    first = pd.Series(unit_codes).drop_duplicates()
    index_of = pd.Series(first.index.to_numpy(), index=first.to_numpy())
    claim = np.array(index_of.reindex(vcodes).fillna(-1), dtype=np.int64)
    claim[~coded] = -1
    keep = np.ones(len(v), dtype=bool)
    keep &= reject_rows(coded & (claim < 0), frame, column="unit_code", values=vcode,
                        reason=f"unit_code not found in the units' {code_col!r}",
                        fix="Check the code (leading zeros? old codes from before a merger?) "
                            "or leave it empty to place the village by location.",
                        rejects=rejects)
    named = _claims_by_name(v, units, levels, keep & ~coded)
    by_name = named >= 0
    claim[by_name] = named[by_name]

    pts = _representative_points(np.asarray(v.geometry.array, dtype=object))
    tree = shapely.STRtree(np.asarray(units.geometry.array, dtype=object))
    vi, ui = tree.query(pts, predicate="intersects")
    hit = first_by_code(vi, ui, unit_codes, len(v))
    found = hit >= 0
    spatial = np.full(len(v), None, dtype=object)
    spatial[found] = unit_codes[hit[found]]

    # claimed villages whose location is not in the claimed unit: how far outside?
    inside = np.zeros(len(v), dtype=bool)
    inside[vi[ui == claim[vi]]] = True
    check = np.flatnonzero(keep & (claim >= 0) & ~inside)
    dist_m = np.zeros(len(v))
    if len(check):
        dist_m[check] = _distances_m(
            np.asarray(villages.geometry.array, dtype=object)[check], vcrs,
            np.asarray(units.geometry.array, dtype=object)[claim[check]], ucrs,
            _metric_crs(ucrs, units))
    far = np.zeros(len(v), dtype=bool)
    far[check] = dist_m[check] > tolerance_m
    near = len(check) - int(far.sum())
    if near:
        logger.info("%d village(s) lie outside the %s they claim but within %g m of it: "
                    "kept in the claimed %s", near, finest, tolerance_m, finest)
    if far.any():
        values = _far_values(v, far, claim, hit, unit_codes, unit_names, dist_m, finest)
        why = f"lies more than {tolerance_m:g} m outside the {finest} its {{}} names"
        fix = (f"Villages up to {tolerance_m:g} m outside are kept (boundaries are "
               f"generalised). Check the coordinates (swapped lon/lat? wrong CRS? 0,0 for an "
               f"unknown location?) and the {{}}, or leave it empty to place the village by "
               f"its location; if the boundaries are coarser than that, raise the tolerance: "
               + hint("coverage(..., village_tolerance_m=...) or link_villages(tolerance_m=...)",
                      "--village-tolerance-m, or village_tolerance_m in [model] of the "
                      "analysis TOML") + ".")
        for mask, column in ((far & coded, "unit_code"), (far & ~coded, "unit_name")):
            keep &= reject_rows(mask, frame, column=column, values=values,
                                reason=why.format(column), fix=fix.format(column),
                                rejects=rejects)

    keep &= reject_rows(keep & (claim < 0) & ~found, frame, column="geometry", values=None,
                        reason="outside every admin unit",
                        fix="Check the coordinates (swapped lon/lat? wrong CRS?) or give the "
                            "village's unit_code.", rejects=rejects)

    out = v.loc[keep].copy()
    claimed = np.where(claim >= 0, unit_codes[np.maximum(claim, 0)], None)
    out["unit_code"] = np.where(claim >= 0, claimed, spatial)[keep]
    out["placement"] = np.where(coded, "code", np.where(by_name, "name", "spatial"))[keep]
    return out


def _far_values(v: pd.DataFrame, far: np.ndarray, claim: np.ndarray, hit: np.ndarray,
                unit_codes: np.ndarray, unit_names: np.ndarray, dist_m: np.ndarray,
                finest: str) -> np.ndarray:
    """The reject value of each far village: who it is, what it claims, where it lies."""
    idx = np.flatnonzero(far)

    def unit(i: np.ndarray) -> pd.Series:
        code = pd.Series(unit_codes[i], dtype=object).astype(str)
        name = pd.Series(unit_names[i], dtype=object)
        return code.where(name.isna(), code + " (" + name.astype(str) + ")")

    vcode = (v["village_code"].astype(str) if "village_code" in v.columns
             else pd.Series(v.index.astype(str), index=v.index)).to_numpy()[idx]
    vname = (v["village_name"] if "village_name" in v.columns
             else pd.Series(pd.NA, index=v.index, dtype=object)).to_numpy()[idx]
    vn = pd.Series(vname, dtype=object)
    who = "village " + pd.Series(vcode, dtype=object).astype(str)
    who = who.where(vn.isna(), who + " (" + vn.astype(str) + ")")
    lies = pd.Series(f"outside every {finest}", index=who.index, dtype=object)
    inside = hit[idx] >= 0
    lies[inside] = "lies in " + unit(hit[idx][inside]).to_numpy()
    km = pd.Series(np.round(dist_m[idx] / 1000.0, 1)).map("{:,.1f}".format)
    text = (who + ": claims " + unit(claim[idx]) + ", " + lies + ", " + km + " km from "
            + pd.Series(unit_codes[claim[idx]], dtype=object).astype(str))
    out = np.full(len(v), None, dtype=object)
    out[idx] = text.to_numpy()
    return out
