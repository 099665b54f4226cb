"""Villages (thôn/bản): read points or polygons, link each one to its finest admin unit.

:func:`read_villages` returns the normalised "Villages" schema of ``docs/design.md``;
:func:`link_villages` fills ``unit_code`` (from the file's code, checked against the units,
or by location) and records how in ``placement``.
"""

from __future__ import annotations

import logging
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
from .boundaries import first_by_code, unit_levels
from .errors import DataQualityWarning, SchemaError
from .io import (
    RejectsReport,
    codes_as_text,
    count_rows_read,
    frame_from_source,
    has_geometry,
    lonlat_points,
    parse_numbers,
    reject_rows,
    resolve_columns,
    source_names,
)

__all__ = ["read_villages", "link_villages"]

logger = logging.getLogger(__name__)

_ALIASES: dict[str, list[str]] = {
    "village_code": ["code", "id", "ma_thon", "village_id"],
    "village_name": ["name", "ten", "ten_thon"],
    "population": ["pop", "dan_so", "so_dan"],
    "unit_code": ["commune_code", "ma_xa", "commune_id", "ward_code"],
    "lon": ["lng", "long", "longitude", "x"],
    "lat": ["latitude", "y"],
    "wkt": ["geometry", "geom", "the_geom", "shape"],
}
_COLUMNS = ["village_code", "village_name", "population", "unit_code", "geometry",
            "source_file", "source_row"]
_ALLOWED_TYPES = (shapely.GeometryType.POINT, shapely.GeometryType.POLYGON,
                  shapely.GeometryType.MULTIPOLYGON)


def _village_geometries(
    frame: pd.DataFrame, cols: Mapping[str, str], *, geo: bool, use_columns: bool, crs: Any,
    keep: np.ndarray, rejects: RejectsReport | None,
) -> tuple[np.ndarray, np.ndarray, CRS]:
    file = source_names(frame)
    if use_columns and "lon" in cols and "lat" in cols:
        pts, keep = lonlat_points(frame, cols["lon"], cols["lat"], crs=crs, keep=keep,
                                   rejects=rejects)
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
            f"{file}: no village locations: need lon/lat columns (lon/lng/long/longitude/x, "
            f"lat/latitude/y), a WKT column (geometry/wkt/geom/the_geom/shape) or a vector "
            f"layer. Columns present: "
            f"{[c for c in frame.columns if c not in ('source_file', 'source_row')]}")
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    keep = keep & reject_rows(keep & missing, frame, column="geometry", values=None,
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


def _parse_population(raw: pd.Series) -> pd.Series:
    """Population counts; ``1.250`` means 1250 when every dotted value is in groups of three.

    :func:`geocov.io.parse_numbers` reads a lone ``1.250`` as 1.25 (it could be a
    coordinate); a head count is a whole number, so a column whose dotted values are all
    thousands groups (Vietnamese locale, ``12.345``) is read with ``.`` as the thousands
    separator.
    """
    if pd.api.types.is_numeric_dtype(raw.dtype):
        return parse_numbers(raw)
    text = raw.dropna().astype(str).str.strip()
    dotted = text.str.contains(".", regex=False)
    if dotted.any() and text[dotted].str.fullmatch(r"[-+]?\d{1,3}(\.\d{3})+").all():
        return parse_numbers(raw, decimal=",")
    return parse_numbers(raw)


def read_villages(
    source: str | Path | pd.DataFrame,
    *,
    columns: Mapping[str, str] | None = None,
    crs: Any = "EPSG:4326",
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
        lon, lat, wkt``.  Otherwise aliases are matched (case, spaces, ``_``/``-`` and
        diacritics ignored): village_code/code/id/ma_thon/village_id,
        village_name/name/ten/ten_thon, population/pop/dan_so/so_dan,
        unit_code/commune_code/ma_xa/commune_id/ward_code, lon/lng/long/longitude/x,
        lat/latitude/y, wkt/geometry/geom/the_geom/shape.
    crs : CRS-like, default "EPSG:4326"
        CRS of coordinate or WKT columns (vector layers keep their own).
    rejects : RejectsReport, optional
        Lenient mode: bad rows are recorded there instead of raising.

    Returns
    -------
    geopandas.GeoDataFrame
        ``village_code, village_name, population, unit_code, geometry, source_file,
        source_row`` in the input CRS.  Codes are text (``1234.0`` from Excel becomes
        ``"1234"``).  A village without a code gets the deterministic code
        ``"<source_file>:<source_row>"``.  Missing population is NaN; ``12.345`` is read
        as 12345 when every dotted population is in groups of three.  ``unit_code`` NA
        means "place it by location" (:func:`link_villages`).

    Raises
    ------
    SchemaError
        Strict mode: bad coordinates or geometries, negative or unparseable population,
        or duplicate village codes (listing file, rows and values).
    CRSError
        A vector layer without a CRS.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"ma_thon": [101.0, None], "ten_thon": ["Bản Khoang", "Nậm Cang"],
    ...                   "dan_so": ["1.250", ""], "lon": [103.8, 103.9], "lat": [22.3, 22.4]})
    >>> v = read_villages(t)
    >>> v[["village_code", "village_name", "population"]].values.tolist()
    [['101', 'Bản Khoang', 1250.0], ['<DataFrame>:2', 'Nậm Cang', nan]]
    """
    frame = frame_from_source(source)
    file = source_names(frame)
    count_rows_read(rejects, frame, "villages")
    geo = has_geometry(frame)
    cols = resolve_columns(frame, _ALIASES, given=columns, required=[], file=file)
    use_columns = not geo or bool(columns and "lon" in columns and "lat" in columns)
    n = len(frame)
    keep = np.ones(n, dtype=bool)
    geoms, keep, out_crs = _village_geometries(frame, cols, geo=geo, use_columns=use_columns,
                                               crs=crs, keep=keep, rejects=rejects)

    if "population" in cols:
        raw = frame[cols["population"]]
        pop = _parse_population(raw).to_numpy()
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
            "source_file": src["source_file"][keep].astype(str).to_numpy(),
            "source_row": src["source_row"][keep].astype(np.int64).to_numpy(),
        },
        geometry=gpd.GeoSeries(geoms[keep], crs=out_crs),
    )
    logger.info("%s: %d villages read, %d rejected", file, len(out), int(n - keep.sum()))
    return out[_COLUMNS]


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


def link_villages(
    villages: gpd.GeoDataFrame,
    units: gpd.GeoDataFrame,
    *,
    rejects: RejectsReport | None = None,
) -> gpd.GeoDataFrame:
    """Give every village the code of the finest admin unit it belongs to.

    Villages whose ``unit_code`` is given keep it, provided it exists in ``units``
    (``placement = "code"``).  The others are placed by location, polygons by their
    representative point (``placement = "spatial"``): the unit they intersect, the one
    with the smallest code when the point lies on a shared border.  Locations are compared
    in the units' CRS (villages are reprojected if needed).

    Parameters
    ----------
    villages : GeoDataFrame
        Normalised villages (:func:`read_villages`).
    units : GeoDataFrame
        Normalised admin units (``geocov.boundaries.read_units``); the finest level is
        the last of ``units.attrs["geocov_levels"]``.
    rejects : RejectsReport, optional
        Lenient mode: unknown codes and villages outside every unit go there.

    Returns
    -------
    GeoDataFrame
        The villages that could be linked (index kept), with ``unit_code`` filled and a
        ``placement`` column (``"code"`` or ``"spatial"``).

    Raises
    ------
    SchemaError
        Strict mode: ``unit_code`` values not found in the units, or villages outside
        every unit ("outside every admin unit").
    CRSError
        Villages or units without a CRS.

    Warns
    -----
    DataQualityWarning
        Villages whose location lies in a different unit than their code says (the code
        wins), with their count and the first rows.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point, box
    >>> units = gpd.GeoDataFrame({"commune_code": ["C1", "C2"], "commune_name": ["A", "B"]},
    ...                          geometry=[box(0, 0, 10, 10), box(10, 0, 20, 10)],
    ...                          crs="EPSG:32648")
    >>> v = read_villages(gpd.GeoDataFrame({"code": ["v1", "v2"], "ma_xa": ["C1", None]},
    ...                   geometry=[Point(1, 1), Point(15, 5)], crs="EPSG:32648"))
    >>> link_villages(v, units)[["village_code", "unit_code", "placement"]].values.tolist()
    [['v1', 'C1', 'code'], ['v2', 'C2', 'spatial']]
    """
    code_col = _finest_code_column(units)
    ucrs = _crs.require_crs(units, what="units")
    _crs.require_crs(villages, what="villages")
    v = villages.copy()
    if not CRS.from_user_input(v.crs).equals(ucrs):
        v = v.to_crs(ucrs)
    frame = v if "source_file" in v.columns else v.assign(
        source_file="<villages>", source_row=np.arange(1, len(v) + 1))
    unit_codes = codes_as_text(units[code_col]).to_numpy(dtype=object, na_value=None)
    vcode = (codes_as_text(v["unit_code"]) if "unit_code" in v.columns
             else pd.Series(pd.NA, index=v.index, dtype=object))
    vcodes = vcode.to_numpy(dtype=object, na_value=None)
    coded = vcode.notna().to_numpy()
    known = vcode.isin(set(unit_codes) - {None}).to_numpy()
    keep = np.ones(len(v), dtype=bool)
    keep &= reject_rows(coded & ~known, frame, column="unit_code", values=vcode,
                        reason=f"unit_code not found in the units' {code_col!r}",
                        fix="Check the code (leading zeros? old codes from before a merger?) "
                            "or leave it empty to place the village by location.",
                        rejects=rejects)

    pts = _representative_points(np.asarray(v.geometry.array, dtype=object))
    tree = shapely.STRtree(np.asarray(units.geometry.array, dtype=object))
    vi, ui = tree.query(pts, predicate="intersects")
    hit = first_by_code(vi, ui, unit_codes, len(v))
    found = hit >= 0
    spatial = np.full(len(v), None, dtype=object)
    spatial[found] = unit_codes[hit[found]]

    keep &= reject_rows(keep & ~coded & ~found, frame, column="geometry", values=None,
                        reason="outside every admin unit",
                        fix="Check the coordinates (swapped lon/lat? wrong CRS?) or give the "
                            "village's unit_code.", rejects=rejects)

    # coded villages whose location lies in other unit(s) only
    match = np.zeros(len(v), dtype=bool)
    pair_ok = np.asarray(unit_codes[ui] == vcodes[vi], dtype=bool)
    match[vi[pair_ok]] = True
    conflict = keep & coded & found & ~match
    if conflict.any():
        idx = np.flatnonzero(conflict)[:10]
        listed = ", ".join(
            f"{frame['source_file'].iloc[i]} row {frame['source_row'].iloc[i]} "
            f"(village {v['village_code'].iloc[i] if 'village_code' in v else i!s}: "
            f"code {vcode.iloc[i]}, location in {spatial[i]})" for i in idx)
        warnings.warn(
            f"{int(conflict.sum())} village(s) lie in a different admin unit than their "
            f"unit_code says; the code is used: {listed}. Check the codes or the coordinates.",
            DataQualityWarning, stacklevel=2)

    out = v.loc[keep].copy()
    out["unit_code"] = np.where(coded, vcodes, spatial)[keep]
    out["placement"] = np.where(coded, "code", "spatial")[keep]
    return out
