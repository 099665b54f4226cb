"""Fiber reach: lists of connected villages or communes, fiber nodes and routes.

:func:`read_fiber` reads any of these into the normalised "Fiber" schema of
``docs/design.md``; :func:`fiber_reach` says which villages and which finest admin units
have fiber.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, get_args

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from . import crs as _crs
from .errors import CRSError, DataSourceError, SchemaError
from .io import (
    VECTOR_SUFFIXES,
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
from .villages import _finest_code_column, _representative_points

__all__ = ["read_fiber", "fiber_reach"]

logger = logging.getLogger(__name__)

FiberKind = Literal["auto", "node", "route", "village", "unit"]
_KINDS: tuple[str, ...] = get_args(FiberKind)

_ALIASES: dict[str, list[str]] = {
    "village_code": ["ma_thon", "village_id"],
    "unit_code": ["commune_code", "ma_xa", "commune_id", "ward_code"],
    "code": ["ma"],
    "level": ["cap", "unit_level"],
    "reach_m": ["reach", "buffer_m", "distance_m"],
    "lon": ["lng", "long", "longitude", "x"],
    "lat": ["latitude", "y"],
}
# Values of a "level" column (folded: case, spaces and diacritics ignored).
_VILLAGE_LEVELS = {"village", "hamlet", "thon", "ban", "ap", "lang", "thonban"}
_UNIT_LEVELS = {"unit", "commune", "ward", "township", "xa", "phuong", "thitran", "xaphuong"}
_COLUMNS = ["kind", "code", "reach_m", "geometry", "source_file", "source_row"]


def _check_kind(kind: str) -> None:
    if kind not in _KINDS:
        raise SchemaError(f"kind={kind!r} is not valid; use one of {list(_KINDS)}")


def _reach(frame: pd.DataFrame, cols: Mapping[str, str], reach_m: float, keep: np.ndarray,
           rejects: RejectsReport | None) -> tuple[np.ndarray, np.ndarray]:
    reach = np.full(len(frame), float(reach_m))
    if "reach_m" not in cols:
        return reach, keep
    raw = frame[cols["reach_m"]]
    val = parse_numbers(raw).to_numpy()
    keep = keep & reject_rows(keep & raw.notna().to_numpy() & ~np.isfinite(val), frame,
                              column=cols["reach_m"], values=raw, reason="reach is not a number",
                              fix="Write the reach in metres, or leave it empty for the default.",
                              rejects=rejects)
    with np.errstate(invalid="ignore"):
        bad = keep & (val <= 0)
    keep = keep & reject_rows(bad, frame, column=cols["reach_m"], values=raw,
                              reason="reach_m <= 0",
                              fix="The reach must be a positive number of metres.",
                              rejects=rejects)
    return np.where(np.isfinite(val), val, reach), keep


def _geometry_rows(frame: pd.DataFrame, kind: str, geoms: np.ndarray, reach: np.ndarray,
                   keep: np.ndarray, rejects: RejectsReport | None
                   ) -> tuple[np.ndarray, np.ndarray]:
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    keep = keep & reject_rows(keep & missing, frame, column="geometry", values=None,
                              reason="missing or empty geometry",
                              fix="Give every fiber node a point and every route a line.",
                              rejects=rejects)
    t = shapely.get_type_id(geoms)
    is_node = t == shapely.GeometryType.POINT
    is_route = np.isin(t, [int(shapely.GeometryType.LINESTRING),
                           int(shapely.GeometryType.MULTILINESTRING)])
    allowed = {"node": is_node, "route": is_route}.get(kind, is_node | is_route)
    expect = {"node": "a Point (kind='node')", "route": "a LineString or MultiLineString "
              "(kind='route')"}.get(kind, "a Point (node) or a (Multi)LineString (route)")
    names = np.array(["Point", "LineString", "LinearRing", "Polygon", "MultiPoint",
                      "MultiLineString", "MultiPolygon", "GeometryCollection"], dtype=object)
    keep = keep & reject_rows(keep & ~allowed, frame, column="geometry",
                              values=names[np.clip(t, 0, 7)],
                              reason=f"geometry is not {expect}",
                              fix="Split the layer by geometry type or pass the right kind=.",
                              rejects=rejects)
    kinds = np.where(is_node, "node", "route").astype(object)
    return kinds, keep


def _read_one(frame: pd.DataFrame, *, kind: str, reach_m: float,
              columns: Mapping[str, str] | None, crs: Any,
              rejects: RejectsReport | None) -> gpd.GeoDataFrame:
    file = source_names(frame)
    count_rows_read(rejects, frame, "fiber")
    cols = resolve_columns(frame, _ALIASES, given=columns, required=[], file=file)
    n = len(frame)
    keep = np.ones(n, dtype=bool)
    geo = has_geometry(frame) and bool(frame.geometry.notna().any())
    has_xy = "lon" in cols and "lat" in cols
    code_key = None
    if kind in ("village", "unit"):
        code_key = next((k for k in (f"{kind}_code", "code") if k in cols), None)
        if code_key is None:
            names = [kind + "_code", *_ALIASES[f"{kind}_code"], "code"]
            present = [c for c in frame.columns if c not in ("source_file", "source_row")]
            raise SchemaError(f"{file}: kind={kind!r} needs a code column (one of {names}); "
                              f"columns present: {present}")
    elif kind == "auto" and not geo:
        code_key = next((k for k in ("village_code", "unit_code") if k in cols), None)
        if code_key is None and "code" in cols and "level" in cols:
            code_key = "code"
        if code_key is None and not has_xy:
            raise SchemaError(
                f"{file}: cannot tell what this fiber table holds. Expected connected village "
                f"codes (village_code/ma_thon), connected unit codes (unit_code/commune_code/"
                f"ma_xa), a code + level pair, lon/lat columns of fiber nodes, or a vector "
                f"layer of nodes/routes. Columns present: "
                f"{[c for c in frame.columns if c not in ('source_file', 'source_row')]}. "
                f"Pass kind= and columns= to say which.")

    if code_key is not None:
        raw = frame[cols[code_key]]
        code = codes_as_text(raw)
        keep = keep & reject_rows(code.isna().to_numpy(), frame, column=cols[code_key],
                                  values=raw, reason="missing code",
                                  fix="Fill in the code or remove the row.", rejects=rejects)
        if kind in ("village", "unit"):
            kinds = np.full(n, kind, dtype=object)
        elif code_key == "village_code":
            kinds = np.full(n, "village", dtype=object)
        elif code_key == "unit_code":
            kinds = np.full(n, "unit", dtype=object)
        else:
            lev = codes_as_text(frame[cols["level"]])
            table = {u: fold_text(u) for u in pd.unique(lev.dropna())}  # fold each value once
            folded = lev.map(table)
            kinds = np.full(n, None, dtype=object)
            kinds[folded.isin(_UNIT_LEVELS).to_numpy()] = "unit"
            kinds[folded.isin(_VILLAGE_LEVELS).to_numpy()] = "village"
            keep = keep & reject_rows(
                keep & pd.isna(kinds), frame, column=cols["level"], values=frame[cols["level"]],
                reason="unknown level",
                fix=f"Use a village level ({sorted(_VILLAGE_LEVELS)}) or a unit level "
                    f"({sorted(_UNIT_LEVELS)}).", rejects=rejects)
        return gpd.GeoDataFrame(
            {"kind": kinds[keep], "code": code[keep].to_numpy(),
             "reach_m": np.full(int(keep.sum()), np.nan),
             "source_file": frame["source_file"][keep].astype(str).to_numpy(),
             "source_row": frame["source_row"][keep].astype(np.int64).to_numpy()},
            geometry=gpd.GeoSeries([None] * int(keep.sum()), crs=None))

    use_columns = has_xy and (not geo or bool(columns and "lon" in columns))
    if use_columns:
        geoms, keep = lonlat_points(frame, cols["lon"], cols["lat"], crs=crs, keep=keep,
                                     rejects=rejects)
        geoms[~keep] = None
        out_crs = CRS.from_user_input(crs)
    elif geo:
        out_crs = _crs.require_crs(frame, what=f"fiber layer {file}")
        geoms = np.asarray(frame.geometry.array, dtype=object)
    else:
        raise SchemaError(f"{file}: kind={kind!r} needs geometries (a vector layer) or lon/lat "
                          f"columns")
    reach, keep = _reach(frame, cols, reach_m, keep, rejects)
    kinds, keep = _geometry_rows(frame, kind, geoms, reach, keep, rejects)
    return gpd.GeoDataFrame(
        {"kind": kinds[keep], "code": np.full(int(keep.sum()), pd.NA, dtype=object),
         "reach_m": reach[keep],
         "source_file": frame["source_file"][keep].astype(str).to_numpy(),
         "source_row": frame["source_row"][keep].astype(np.int64).to_numpy()},
        geometry=gpd.GeoSeries(geoms[keep], crs=out_crs))


def _frames(source: Any, layer: str | int | None) -> list[pd.DataFrame]:
    if isinstance(source, (str, Path)):
        path = Path(source)
        if layer is None and path.suffix.lower() in VECTOR_SUFFIXES and path.exists():
            import pyogrio

            try:
                layers = [str(name) for name, _ in pyogrio.list_layers(path)]
            except Exception as exc:
                raise DataSourceError(f"{path}: cannot list layers ({type(exc).__name__}: "
                                      f"{exc})") from exc
            if len(layers) > 1:
                out = []
                for name in layers:
                    f = read_table(path, layer=name)
                    f["source_file"] = f"{path.name}:{name}"
                    out.append(f)
                return out
        return [read_table(path, layer=layer)]
    return [frame_from_source(source)]


def read_fiber(
    source: str | Path | pd.DataFrame,
    *,
    reach_m: float = 2000.0,
    kind: FiberKind = "auto",
    columns: Mapping[str, str] | None = None,
    layer: str | int | None = None,
    crs: Any = "EPSG:4326",
    rejects: RejectsReport | None = None,
) -> gpd.GeoDataFrame:
    """Read fiber data into the normalised "Fiber" schema.

    Parameters
    ----------
    source : path or (Geo)DataFrame
        Either (a) a table of connected village codes (``village_code``/``ma_thon``), of
        connected finest-unit codes (``unit_code``/``commune_code``/``ma_xa``), or of
        ``code`` + ``level`` (level: village/thôn/bản or commune/xã/phường/ward/unit); or
        (b) a vector layer of fiber node Points and/or route (Multi)LineStrings, or a table
        of node lon/lat.  A multi-layer file (GeoPackage) is read whole when ``layer`` is
        None; its rows then have ``source_file = "<file>:<layer>"``.
    reach_m : float, default 2000
        How far (metres) from a node or route a village still counts as reachable.  A
        ``reach_m`` (or ``reach``) column overrides it per row.
    kind : {"auto", "node", "route", "village", "unit"}
        What the rows are; ``"auto"`` decides from the columns and geometry types.
    columns : mapping, optional
        Explicit column names, keys ``village_code, unit_code, code, level, reach_m, lon,
        lat``.
    layer : str or int, optional
        Read only this layer.
    crs : CRS-like, default "EPSG:4326"
        CRS of lon/lat columns (vector layers keep their own).
    rejects : RejectsReport, optional
        Lenient mode: bad rows are recorded there instead of raising.

    Returns
    -------
    geopandas.GeoDataFrame
        ``kind, code, reach_m, geometry, source_file, source_row``; code rows have no
        geometry and NaN ``reach_m``; node/route rows have NA ``code``.  The CRS is that of
        the geometries (None when there are only codes).

    Raises
    ------
    SchemaError
        Unknown ``kind``, a table whose meaning cannot be told, or (strict mode) bad rows:
        missing codes, unknown levels, bad geometries, ``reach_m <= 0``.
    CRSError
        Layers without a CRS, or layers in different CRSs.

    Examples
    --------
    >>> import pandas as pd
    >>> read_fiber(pd.DataFrame({"ma_xa": [1234.0, "01235"]}))[["kind", "code"]].values.tolist()
    [['unit', '1234'], ['unit', '01235']]
    >>> import geopandas as gpd
    >>> from shapely import LineString, Point
    >>> g = gpd.GeoDataFrame({"reach_m": [None, 500]}, crs="EPSG:32648",
    ...                      geometry=[Point(0, 0), LineString([(0, 0), (1000, 0)])])
    >>> read_fiber(g)[["kind", "reach_m"]].values.tolist()
    [['node', 2000.0], ['route', 500.0]]
    """
    _check_kind(kind)
    if not (np.isfinite(reach_m) and reach_m > 0):
        raise SchemaError(f"reach_m={reach_m!r}: the reach must be a positive number of metres")
    parts = [_read_one(f, kind=kind, reach_m=reach_m, columns=columns, crs=crs, rejects=rejects)
             for f in _frames(source, layer)]
    crss = {CRS.from_user_input(p.crs) for p in parts if p.crs is not None}
    if len(crss) > 1:
        raise CRSError(f"fiber layers are in different CRSs ({sorted(c.name for c in crss)}); "
                       f"reproject them to one CRS or read them one at a time with layer=")
    out_crs = crss.pop() if crss else None
    geoms = np.concatenate([np.asarray(p.geometry.array, dtype=object) for p in parts]) \
        if parts else np.empty(0, dtype=object)
    attrs = pd.concat([pd.DataFrame(p.drop(columns="geometry")) for p in parts],
                      ignore_index=True)
    out = gpd.GeoDataFrame(attrs, geometry=gpd.GeoSeries(geoms, crs=out_crs))
    out["code"] = out["code"].astype(object)
    out["reach_m"] = out["reach_m"].astype(float)
    return out[_COLUMNS]


def _reject_unknown(fiber: pd.DataFrame, sel: np.ndarray, known: pd.Index, what: str,
                    where: str, rejects: RejectsReport | None) -> np.ndarray:
    codes = fiber["code"]
    bad = sel & ~codes.isin(known).to_numpy()
    frame = fiber if "source_file" in fiber.columns else fiber.assign(
        source_file="<fiber>", source_row=np.arange(1, len(fiber) + 1))
    listed = sorted(pd.unique(codes[bad]).tolist())[:20]
    return reject_rows(bad, frame, column="code", values=codes,
                       reason=f"listed {what} code(s) {listed} not found in {where}",
                       fix=f"Check the codes against the {what} codes in use (leading zeros? "
                           f"codes from before a merger?).", rejects=rejects)


def fiber_reach(
    fiber: gpd.GeoDataFrame,
    *,
    villages: gpd.GeoDataFrame,
    units: gpd.GeoDataFrame,
    crs: Any = None,
    rejects: RejectsReport | None = None,
) -> tuple[pd.Series, pd.Series]:
    """Which villages and which finest admin units have fiber.

    A village is reached when its code is listed, or when its point (a polygon's
    representative point) lies within ``reach_m`` (inclusive) of a node or route, that
    row's own ``reach_m``.  A finest unit has fiber when its code is listed, when any of
    its villages is reached (villages carry ``unit_code`` from
    :func:`geocov.villages.link_villages`), or when a node or route intersects it.
    Distances are measured in the metric working CRS (:func:`geocov.crs.working_crs` of
    the units, or ``crs``).

    Parameters
    ----------
    fiber : GeoDataFrame
        From :func:`read_fiber`.
    villages : GeoDataFrame
        Linked villages (``village_code``, ``unit_code``, geometry).
    units : GeoDataFrame
        Normalised admin units; the finest level's ``<level>_code`` is used.
    crs : CRS-like, optional
        Metric working CRS.
    rejects : RejectsReport, optional
        Lenient mode for listed codes that do not exist.

    Returns
    -------
    (village_fiber, unit_fiber) : tuple of bool Series
        Indexed like ``villages`` and like ``units``, named ``"fiber"``.

    Raises
    ------
    SchemaError
        Strict mode: listed village or unit codes that are not in ``villages``/``units``.
    CRSError
        Node/route rows, villages or units without a CRS.

    Examples
    --------
    >>> import geopandas as gpd, pandas as pd
    >>> from shapely import LineString, Point, box
    >>> units = gpd.GeoDataFrame({"commune_code": ["C1", "C2", "C3"],
    ...     "commune_name": ["A", "B", "C"]}, crs="EPSG:32648",
    ...     geometry=[box(0, 0, 10_000, 10_000), box(10_000, 0, 20_000, 10_000),
    ...               box(20_000, 0, 30_000, 10_000)])
    >>> villages = gpd.GeoDataFrame({"village_code": ["v1", "v2"], "unit_code": ["C1", "C2"]},
    ...     geometry=[Point(5_000, 5_000), Point(15_000, 5_000)], crs="EPSG:32648")
    >>> fiber = read_fiber(gpd.GeoDataFrame(geometry=[Point(6_000, 5_000)], crs="EPSG:32648"),
    ...                    reach_m=1_500)
    >>> v, u = fiber_reach(fiber, villages=villages, units=units)
    >>> v.tolist(), u.tolist()
    ([True, False], [True, False, False])
    """
    code_col = _finest_code_column(units)
    kinds = fiber["kind"].to_numpy(dtype=object)
    vcodes = codes_as_text(villages["village_code"]) if len(villages) else \
        pd.Series([], dtype=object)
    ucodes = codes_as_text(units[code_col])
    keep = np.ones(len(fiber), dtype=bool)
    is_v = kinds == "village"
    is_u = kinds == "unit"
    keep &= _reject_unknown(fiber, is_v, pd.Index(vcodes.dropna()), "village", "the villages",
                            rejects)
    keep &= _reject_unknown(fiber, is_u, pd.Index(ucodes.dropna()), "unit",
                            f"the units' {code_col!r}", rejects)
    listed_v = set(fiber["code"][is_v & keep])
    listed_u = set(fiber["code"][is_u & keep])
    village_fiber = np.array(vcodes.isin(listed_v), dtype=bool)  # writable copies
    unit_fiber = np.array(ucodes.isin(listed_u), dtype=bool)

    geo_rows = keep & np.isin(kinds, ["node", "route"])
    if geo_rows.any():
        _crs.require_crs(fiber, what="fiber nodes/routes")
        _crs.require_crs(units, what="units")
        work = _crs.working_crs(units, crs)
        fg = fiber.geometry[geo_rows].to_crs(work)
        fgeoms = np.asarray(fg.array, dtype=object)
        reach = fiber["reach_m"].to_numpy(dtype=float)[geo_rows]
        if len(villages):
            _crs.require_crs(villages, what="villages")
            vpts = gpd.GeoSeries(_representative_points(
                np.asarray(villages.geometry.array, dtype=object)), crs=villages.crs).to_crs(work)
            tree = shapely.STRtree(np.asarray(vpts.array, dtype=object))
            _, vi = tree.query(fgeoms, predicate="dwithin", distance=reach)
            village_fiber[vi] = True
        ugeoms = np.asarray(units.geometry.to_crs(work).array, dtype=object)
        _, ui = shapely.STRtree(ugeoms).query(fgeoms, predicate="intersects")
        unit_fiber[ui] = True
    if len(villages) and "unit_code" in villages.columns:
        reached_units = set(codes_as_text(villages["unit_code"])[village_fiber].dropna())
        unit_fiber |= np.array(ucodes.isin(reached_units), dtype=bool)
    return (pd.Series(village_fiber, index=villages.index, name="fiber", dtype=bool),
            pd.Series(unit_fiber, index=units.index, name="fiber", dtype=bool))
