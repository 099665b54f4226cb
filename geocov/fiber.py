"""Fiber reach: lists of connected villages or communes, fiber nodes and routes.

:func:`read_fiber` reads any of these into the normalised "Fiber" schema of
``docs/design.md``; :func:`fiber_reach` says which villages and which finest admin units
have fiber; :func:`check_fiber_codes` checks the listed codes without computing anything
(``geocov validate``).

A code list needs no CRS.  Its yes/no column (``cap_quang``/``Cáp quang``/``connected``
...), when it has one, is honoured: a row marked "no" is used as a statement that there is
no fiber and never counts as connected.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, get_args

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from . import crs as _crs
from .errors import (
    CRSError,
    DataQualityWarning,
    DataSourceError,
    Listing,
    SchemaError,
    Words,
    hint,
)
from .io import (
    FLAG_VALUES_TEXT,
    MAX_LISTED,
    VECTOR_SUFFIXES,
    RejectsReport,
    codes_as_text,
    count_rows_read,
    file_decimal,
    fold_text,
    frame_from_source,
    has_geometry,
    lonlat_points,
    parse_flags,
    parse_numbers,
    read_table,
    reject_rows,
    resolve_columns,
    source_names,
)
from .villages import REJECTED_VILLAGES_ATTR, _finest_code_column, _representative_points

__all__ = ["read_fiber", "fiber_reach", "check_fiber_codes", "REJECTED_VILLAGES_ATTR"]

logger = logging.getLogger(__name__)

FiberKind = Literal["auto", "node", "route", "village", "unit"]
_KINDS: tuple[str, ...] = get_args(FiberKind)

_ALIASES: dict[str, list[str]] = {
    "village_code": ["ma_thon", "village_id", "ma_ban", "ma_thon_ban"],
    "unit_code": ["commune_code", "ma_xa", "commune_id", "ward_code", "ma_phuong",
                  "ma_xa_phuong"],
    "code": ["ma"],
    "level": ["cap", "unit_level"],
    "connected": ["cap_quang", "co_cap_quang", "da_co_cap_quang", "has_fiber", "fiber",
                  "fiber_connected", "is_connected", "ket_noi", "ket_noi_cap_quang"],
    "reach_m": ["reach", "buffer_m", "distance_m", "ban_kinh_m", "ban_kinh", "pham_vi_m"],
    "lon": ["lng", "long", "longitude", "x", "kinh_do"],
    "lat": ["latitude", "y", "vi_do"],
}
# Values of a "level" column (folded: case, spaces and diacritics ignored).
_VILLAGE_LEVELS = {"village", "hamlet", "thon", "ban", "ap", "lang", "thonban"}
_UNIT_LEVELS = {"unit", "commune", "ward", "township", "xa", "phuong", "thitran", "xaphuong"}
_COLUMNS = ["kind", "code", "reach_m", "connected", "geometry", "source_file", "source_row"]


def _check_kind(kind: str) -> None:
    if kind not in _KINDS:
        raise SchemaError(f"kind={kind!r} is not valid; use one of {list(_KINDS)}")


def _reach(frame: pd.DataFrame, cols: Mapping[str, str], reach_m: float, keep: np.ndarray,
           rejects: RejectsReport | None, decimal: str) -> tuple[np.ndarray, np.ndarray]:
    reach = np.full(len(frame), float(reach_m))
    if "reach_m" not in cols:
        return reach, keep
    raw = frame[cols["reach_m"]]
    val = parse_numbers(raw, decimal=decimal).to_numpy()
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


def _connected(frame: pd.DataFrame, cols: Mapping[str, str], keep: np.ndarray,
               rejects: RejectsReport | None) -> tuple[np.ndarray, np.ndarray]:
    """The yes/no column, if any: (connected, keep).  Without one every row is connected."""
    if "connected" not in cols:
        return np.ones(len(frame), dtype=bool), keep
    raw = frame[cols["connected"]]
    flag, unknown = parse_flags(raw)
    keep = keep & reject_rows(
        keep & unknown, frame, column=cols["connected"], values=raw.astype(object).fillna(""),
        reason="not a yes/no value (a blank cell means 'no' only in a column of x-marks)",
        fix=f"Write one of {FLAG_VALUES_TEXT}. If {cols['connected']!r} is not a yes/no "
            f"column, rename it, or "
            + hint("pass columns={'connected': '<your yes/no column>'}",
                   "pass --fiber-columns connected='<your yes/no column>'") + ".",
        rejects=rejects)
    return flag, keep


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


def _present(frame: pd.DataFrame) -> list[str]:
    return [str(c) for c in frame.columns if c not in ("source_file", "source_row")]


def _code_rows(frame: pd.DataFrame, cols: Mapping[str, str], kind: str, code_key: str,
               keep: np.ndarray, rejects: RejectsReport | None
               ) -> tuple[np.ndarray, pd.Series, np.ndarray]:
    """Kinds and codes of a code list: (kinds, code, keep)."""
    n = len(frame)
    raw = frame[cols[code_key]]
    code = codes_as_text(raw)
    if kind in ("village", "unit"):
        kinds = np.full(n, kind, dtype=object)
    elif code_key == "village_code":
        kinds = np.full(n, "village", dtype=object)
        if "unit_code" in cols:  # a row without a village code speaks for its commune
            ucode = codes_as_text(frame[cols["unit_code"]])
            use_unit = (code.isna() & ucode.notna()).to_numpy()
            code = code.where(~use_unit, ucode)
            kinds[use_unit] = "unit"
    elif code_key == "unit_code":
        kinds = np.full(n, "unit", dtype=object)
    else:
        lev = codes_as_text(frame[cols["level"]])
        table = {u: fold_text(u) for u in pd.unique(lev.dropna())}  # fold each value once
        folded = lev.map(table)
        kinds = np.full(n, None, dtype=object)
        kinds[folded.isin(_UNIT_LEVELS).to_numpy()] = "unit"
        kinds[folded.isin(_VILLAGE_LEVELS).to_numpy()] = "village"
    both = code_key == "village_code" and "unit_code" in cols and kind == "auto"
    keep = keep & reject_rows(
        code.isna().to_numpy(), frame, column=cols[code_key], values=raw,
        reason="missing code" + (f" (neither {cols['village_code']!r} nor "
                                 f"{cols['unit_code']!r} is filled)" if both else ""),
        fix="Fill in the code or remove the row.", rejects=rejects)
    if code_key == "code" and kind == "auto":
        keep = keep & reject_rows(
            keep & pd.isna(kinds), frame, column=cols["level"], values=frame[cols["level"]],
            reason="unknown level",
            fix=f"Use a village level ({sorted(_VILLAGE_LEVELS)}) or a unit level "
                f"({sorted(_UNIT_LEVELS)}).", rejects=rejects)
    return kinds, code, keep


def _read_one(frame: pd.DataFrame, *, kind: str, reach_m: float,
              columns: Mapping[str, str] | None, crs: Any, decimal: str | None,
              rejects: RejectsReport | None) -> gpd.GeoDataFrame:
    file = source_names(frame)
    count_rows_read(rejects, frame, "fiber")
    cols = resolve_columns(frame, _ALIASES, given=columns, required=[], file=file,
                           cli_option="--fiber-columns")
    n = len(frame)
    keep = np.ones(n, dtype=bool)
    geo = has_geometry(frame) and bool(frame.geometry.notna().any())
    has_xy = "lon" in cols and "lat" in cols
    code_key = None
    if kind in ("village", "unit"):
        code_key = next((k for k in (f"{kind}_code", "code") if k in cols), None)
        if code_key is None:
            names = [kind + "_code", *_ALIASES[f"{kind}_code"], "code"]
            raise SchemaError(f"{file}: kind={kind!r} needs a code column (one of {names}); "
                              f"columns present: {_present(frame)}")
    elif kind == "auto" and not geo:
        code_key = next((k for k in ("village_code", "unit_code") if k in cols), None)
        if code_key is None and "code" in cols and "level" in cols:
            code_key = "code"
        if code_key is None and not has_xy:
            raise SchemaError(
                f"{file}: cannot tell what this fiber table holds. Expected connected village "
                f"codes (village_code/ma_thon), connected unit codes (unit_code/commune_code/"
                f"ma_xa), a code + level pair, lon/lat columns of fiber nodes, or a vector "
                f"layer of nodes/routes. Columns present: {_present(frame)}. "
                + hint("Pass kind= and columns= to say which.",
                       "Rename the columns, or pass --fiber-columns (e.g. "
                       "village_code=ma_thon)."))

    if code_key is not None:
        kinds, code, keep = _code_rows(frame, cols, kind, code_key, keep, rejects)
        connected, keep = _connected(frame, cols, keep, rejects)
        return gpd.GeoDataFrame(
            {"kind": kinds[keep], "code": code[keep].to_numpy(),
             "reach_m": np.full(int(keep.sum()), np.nan), "connected": connected[keep],
             "source_file": frame["source_file"][keep].astype(str).to_numpy(),
             "source_row": frame["source_row"][keep].astype(np.int64).to_numpy()},
            geometry=gpd.GeoSeries([None] * int(keep.sum()), crs=None))

    use_columns = has_xy and (not geo or bool(columns and "lon" in columns))
    if use_columns or "reach_m" in cols:  # one decimal mark for the whole file
        decimal = file_decimal(frame, decimal=decimal, file=file)
    if use_columns:
        geoms, keep = lonlat_points(frame, cols["lon"], cols["lat"], crs=crs, keep=keep,
                                     rejects=rejects, decimal=decimal)
        geoms[~keep] = None
        out_crs = CRS.from_user_input(crs)
    elif geo:
        out_crs = _crs.require_crs(frame, what=f"fiber layer {file}")
        geoms = np.asarray(frame.geometry.array, dtype=object)
    else:
        raise SchemaError(f"{file}: kind={kind!r} needs geometries (a vector layer) or lon/lat "
                          f"columns")
    reach, keep = _reach(frame, cols, reach_m, keep, rejects, decimal or ".")
    kinds, keep = _geometry_rows(frame, kind, geoms, reach, keep, rejects)
    connected, keep = _connected(frame, cols, keep, rejects)
    return gpd.GeoDataFrame(
        {"kind": kinds[keep], "code": np.full(int(keep.sum()), pd.NA, dtype=object),
         "reach_m": reach[keep], "connected": connected[keep],
         "source_file": frame["source_file"][keep].astype(str).to_numpy(),
         "source_row": frame["source_row"][keep].astype(np.int64).to_numpy()},
        geometry=gpd.GeoSeries(geoms[keep], crs=out_crs))


def _frames(source: Any, layer: str | int | None, encoding: str | None
            ) -> list[pd.DataFrame]:
    opts = {"encoding": encoding} if encoding is not None else {}
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
                    f = read_table(path, layer=name, **opts)
                    f["source_file"] = f"{path.name}:{name}"
                    out.append(f)
                return out
        return [read_table(path, layer=layer, **opts)]
    return [frame_from_source(source)]


def read_fiber(
    source: str | Path | pd.DataFrame,
    *,
    reach_m: float = 2000.0,
    kind: FiberKind = "auto",
    columns: Mapping[str, str] | None = None,
    layer: str | int | None = None,
    crs: Any = "EPSG:4326",
    decimal: str | None = None,
    encoding: str | None = None,
    rejects: RejectsReport | None = None,
) -> gpd.GeoDataFrame:
    """Read fiber data into the normalised "Fiber" schema.

    Parameters
    ----------
    source : path or (Geo)DataFrame
        Either (a) a table of connected village codes (``village_code``/``ma_thon``/
        ``Mã thôn``), of connected finest-unit codes (``unit_code``/``commune_code``/
        ``ma_xa``/``Mã xã``), or of ``code`` + ``level`` (level: village/thôn/bản or
        commune/xã/phường/ward/unit); or (b) a vector layer of fiber node Points and/or
        route (Multi)LineStrings, or a table of node lon/lat.  A table with both a village
        and a commune code column lists villages; a row whose village code is blank
        speaks for its commune.  A multi-layer file (GeoPackage) is read whole when
        ``layer`` is None; its rows then have ``source_file = "<file>:<layer>"``.
    reach_m : float, default 2000
        How far (metres) from a node or route a village still counts as reachable.  A
        ``reach_m`` (or ``reach``) column overrides it per row.
    kind : {"auto", "node", "route", "village", "unit"}
        What the rows are; ``"auto"`` decides from the columns and geometry types.
    columns : mapping, optional
        Explicit column names, keys ``village_code, unit_code, code, level, connected,
        reach_m, lon, lat``.  Headers are otherwise matched ignoring case, spaces,
        ``_`` and diacritics.
    layer : str or int, optional
        Read only this layer.
    crs : CRS-like, default "EPSG:4326"
        CRS of lon/lat columns (vector layers keep their own).
    decimal : {",", "."}, optional
        Decimal mark of the file's numbers (``reach_m``, lon/lat); by default decided
        once for the whole file (:func:`geocov.io.file_decimal`).
    encoding : str, optional
        Text encoding of the file (default: detected by :func:`geocov.io.read_table`).
    rejects : RejectsReport, optional
        Lenient mode: bad rows are recorded there instead of raising.

    Returns
    -------
    geopandas.GeoDataFrame
        ``kind, code, reach_m, connected, geometry, source_file, source_row``; code rows
        have no geometry and NaN ``reach_m``; node/route rows have NA ``code``.
        ``connected`` is False for rows whose yes/no column (``connected``/``cap_quang``/
        ``Cáp quang``/``có cáp quang``/``has_fiber``/``fiber``...) says no
        (:func:`geocov.io.parse_flags`), True otherwise; such rows are kept, as statements
        that there is no fiber.  The CRS is that of the geometries (None when there are
        only codes: a code list needs no CRS).

    Raises
    ------
    SchemaError
        Unknown ``kind``, a table whose meaning cannot be told, or (strict mode) bad rows:
        missing codes, unknown levels, values of the yes/no column that are neither yes
        nor no, bad geometries, ``reach_m <= 0``.
    CRSError
        Layers without a CRS, or layers in different CRSs.

    Examples
    --------
    >>> import pandas as pd
    >>> read_fiber(pd.DataFrame({"ma_xa": [1234.0, "01235"]}))[["kind", "code"]].values.tolist()
    [['unit', '1234'], ['unit', '01235']]
    >>> t = pd.DataFrame({"Mã thôn": ["T1", "T2", "T3"], "Cáp quang": ["có", "Không", "x"]})
    >>> read_fiber(t)[["code", "connected"]].values.tolist()
    [['T1', True], ['T2', False], ['T3', True]]
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
    parts = [_read_one(f, kind=kind, reach_m=reach_m, columns=columns, crs=crs,
                       decimal=decimal, rejects=rejects)
             for f in _frames(source, layer, encoding)]
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
    out["connected"] = out["connected"].astype(bool)
    return out[_COLUMNS]


# ------------------------------------------------------------------ listed codes
def _provenance(fiber: pd.DataFrame) -> pd.DataFrame:
    if "source_file" in fiber.columns and "source_row" in fiber.columns:
        return fiber
    return fiber.assign(source_file="<fiber>", source_row=np.arange(1, len(fiber) + 1))


def _village_codes(villages: pd.DataFrame | None) -> pd.Series:
    if villages is None or not len(villages):
        return pd.Series([], dtype=object)
    return codes_as_text(villages["village_code"])


def _rejected_villages(villages: pd.DataFrame | None, villages_read: pd.DataFrame | None
                       ) -> dict[str, tuple[str, int]]:
    """Codes of rejected villages -> (file, row) where the villages' rejects show them.

    From ``attrs[REJECTED_VILLAGES_ATTR]`` of either frame, and the villages of
    ``villages_read`` whose code is missing from ``villages`` (rejected when linked).
    A code still present in ``villages`` (the kept first row of a duplicate) is not
    rejected.
    """
    out: dict[str, tuple[str, int]] = {}
    for frame in (villages_read, villages):
        if frame is not None:
            out.update(dict(frame.attrs.get(REJECTED_VILLAGES_ATTR) or {}))
    kept = set(_village_codes(villages).dropna())
    if villages_read is not None and len(villages_read):
        read = _provenance(villages_read)
        codes = _village_codes(read)
        gone = (codes.notna() & ~codes.isin(kept)).to_numpy()
        out.update(zip(codes[gone], zip(read["source_file"].astype(str).to_numpy()[gone],
                                        read["source_row"].to_numpy()[gone].tolist(),
                                        strict=True), strict=True))
    return {str(k): v for k, v in out.items() if k not in kept}


class _Problems:
    """Problems with listed codes: recorded all at once (lenient) or raised as one error."""

    def __init__(self, frame: pd.DataFrame, codes: pd.Series) -> None:
        self.frame, self.codes = frame, codes
        self.items: list[tuple[np.ndarray, str, str, np.ndarray | None]] = []

    def add(self, bad: np.ndarray, reason: str, fix: str,
            reasons: np.ndarray | None = None) -> None:
        """``reasons``: a reason per row for the rejects report (``reason`` sums them up)."""
        if bad.any():
            self.items.append((bad, reason, fix, reasons))

    def settle(self, rejects: RejectsReport | None) -> np.ndarray:
        """The keep-mask; strict mode raises one error naming every problem."""
        keep = np.ones(len(self.frame), dtype=bool)
        if not self.items:
            return keep
        if rejects is not None:
            for bad, reason, fix, reasons in self.items:
                if reasons is None:
                    keep &= reject_rows(bad, self.frame, column="code", values=self.codes,
                                        reason=reason, fix=fix, rejects=rejects)
                    continue
                idx = np.flatnonzero(bad)
                for why, rows in pd.Series(idx).groupby(reasons[idx]):  # distinct reasons
                    sub = self.frame.iloc[rows.to_numpy()]
                    reject_rows(np.ones(len(sub), dtype=bool), sub, column="code",
                                values=self.codes.iloc[rows.to_numpy()], reason=str(why),
                                fix=fix, rejects=rejects)
                keep &= ~bad
            return keep
        files = self.frame["source_file"].astype(str).to_numpy()
        rows = self.frame["source_row"].to_numpy()
        parts = []
        for bad, reason, fix, _ in self.items:
            listed = ", ".join(f"row {r} ({v!r})" for r, v in zip(
                rows[bad][:MAX_LISTED], self.codes[bad].iloc[:MAX_LISTED], strict=True))
            more = (f" and {int(bad.sum()) - MAX_LISTED} more"
                    if bad.sum() > MAX_LISTED else "")
            parts.append(f"{int(bad.sum())} row(s) in column 'code': {reason}: "
                         f"{listed}{more}. {fix}")
        first = files[self.items[0][0]][0]
        raise SchemaError(
            f"{first}: " + " ".join(parts) + " ("
            + hint("or pass rejects=geocov.RejectsReport() to skip such rows and report them",
                   "or add --lenient to skip such rows and report them") + ")")


def _listed(codes: pd.Series, bad: np.ndarray) -> list[str]:
    return sorted(map(str, pd.unique(codes[bad])))[:MAX_LISTED]


def _check_codes(fiber: pd.DataFrame, villages: pd.DataFrame | None, units: pd.DataFrame,
                 villages_read: pd.DataFrame | None, rejects: RejectsReport | None
                 ) -> np.ndarray:
    """The keep-mask of ``fiber``'s rows after checking every listed code."""
    frame = _provenance(fiber)
    code_col = _finest_code_column(units)
    kinds = fiber["kind"].to_numpy(dtype=object)
    codes = codes_as_text(fiber["code"]) if len(fiber) else pd.Series([], dtype=object)
    codes = codes.reset_index(drop=True)
    is_v = kinds == "village"
    is_u = kinds == "unit"
    vcodes = _village_codes(villages)
    rejected = _rejected_villages(villages, villages_read)
    problems = _Problems(frame.reset_index(drop=True), codes)

    unknown_v = is_v & ~codes.isin(set(vcodes.dropna())).to_numpy()
    was_rejected = unknown_v & codes.isin(rejected.keys()).to_numpy()
    if was_rejected.any():
        where = pd.Series(rejected, dtype=object)
        src = where.reindex(codes[was_rejected]).to_numpy()
        reasons = np.full(len(fiber), None, dtype=object)
        reasons[was_rejected] = [
            f"village {c} was rejected (see row {r} of {f} in the rejects); its fiber row "
            f"cannot be used" for c, (f, r) in zip(codes[was_rejected], src, strict=True)]
        problems.add(
            was_rejected,
            f"listed village code(s) {_listed(codes, was_rejected)} belong to villages that "
            f"were rejected (see their rows in the villages' rejects); their fiber rows "
            f"cannot be used", "Fix those villages' rows first.", reasons)
    unknown_v &= ~was_rejected
    if not len(vcodes) and not rejected:
        problems.add(
            unknown_v,
            f"listed village code(s) {_listed(codes, unknown_v)} cannot be checked: no "
            f"villages were given",
            "Give the villages that these codes name ("
            + hint("villages=", "--villages, or a [villages] section in analysis.toml")
            + "), or list commune codes instead.")
    else:
        problems.add(
            unknown_v,
            f"listed village code(s) {_listed(codes, unknown_v)} not found in the villages",
            "Check the codes against the village codes in use (leading zeros? codes from "
            "before a merger?).")
    unknown_u = is_u & ~codes.isin(set(codes_as_text(units[code_col]).dropna())).to_numpy()
    problems.add(
        unknown_u,
        f"listed unit code(s) {_listed(codes, unknown_u)} not found in the units' "
        f"{code_col!r}",
        "Check the codes against the unit codes in use (leading zeros? codes from before a "
        "merger?).")
    keep = problems.settle(rejects)
    _warn_conflicts(frame, codes, kinds, keep)
    return keep


def _connected_flags(fiber: pd.DataFrame) -> np.ndarray:
    if "connected" not in fiber.columns:
        return np.ones(len(fiber), dtype=bool)
    return fiber["connected"].fillna(False).to_numpy(dtype=bool)


def _warn_conflicts(frame: pd.DataFrame, codes: pd.Series, kinds: np.ndarray,
                    keep: np.ndarray) -> None:
    """Warn about codes listed both with and without fiber (they count as connected)."""
    if "connected" not in frame.columns:
        return
    coded = keep & np.isin(kinds, ["village", "unit"])
    if not coded.any():
        return
    t = pd.DataFrame({"kind": kinds[coded], "code": codes[coded].to_numpy(),
                      "connected": _connected_flags(frame)[coded]})
    mixed = t.groupby(["kind", "code"])["connected"].nunique()
    mixed = mixed[mixed > 1]
    if mixed.empty:
        return
    listed = Listing([Words(f"warning.fiber_code_{k}", {"code": c})
                      for k, c in mixed.index[:MAX_LISTED]])
    warnings.warn(DataQualityWarning.of(
        "fiber_conflicts", file=source_names(frame.loc[coded]), n=len(mixed), listed=listed),
        stacklevel=3)


def check_fiber_codes(
    fiber: gpd.GeoDataFrame,
    *,
    villages: gpd.GeoDataFrame | None,
    units: gpd.GeoDataFrame,
    villages_read: gpd.GeoDataFrame | None = None,
    rejects: RejectsReport | None = None,
) -> pd.Series:
    """Check the village and unit codes a fiber list names; say which rows can be used.

    A listed village code must be the code of one of ``villages``; a listed unit code
    must be a finest-level code of ``units``.  A code whose village was rejected (by
    :func:`~geocov.villages.read_villages` or :func:`~geocov.villages.link_villages` in
    lenient mode) is reported as such, naming the village's row.  Rows marked "no" are
    checked too.  Node and route rows need no check (and no CRS here).

    Parameters
    ----------
    fiber : GeoDataFrame
        From :func:`read_fiber`.
    villages : GeoDataFrame or None
        The villages the codes refer to (linked or as read).
    units : GeoDataFrame
        Normalised admin units; the finest level's ``<level>_code`` is used.
    villages_read : GeoDataFrame, optional
        The villages as read, when ``villages`` are the linked ones: villages missing from
        ``villages`` were rejected when linked.  Villages rejected while being read are
        known from ``villages.attrs[REJECTED_VILLAGES_ATTR]``.
    rejects : RejectsReport, optional
        Lenient mode: every unusable row goes there.  Strict mode raises one error naming
        them all.

    Returns
    -------
    pandas.Series of bool
        Indexed like ``fiber``, named ``"usable"``.

    Raises
    ------
    SchemaError
        Strict mode: listed codes that are unknown or belong to rejected villages.

    Warns
    -----
    DataQualityWarning
        Codes listed both with and without fiber (they count as connected).

    Examples
    --------
    >>> import geopandas as gpd, pandas as pd
    >>> from shapely import Point, box
    >>> units = gpd.GeoDataFrame({"commune_code": ["C1"], "commune_name": ["A"]},
    ...                          geometry=[box(0, 0, 10, 10)], crs="EPSG:32648")
    >>> villages = gpd.GeoDataFrame({"village_code": ["v1"], "unit_code": ["C1"]},
    ...                             geometry=[Point(5, 5)], crs="EPSG:32648")
    >>> fiber = read_fiber(pd.DataFrame({"ma_thon": ["v1", "v9"]}))
    >>> report = RejectsReport()
    >>> check_fiber_codes(fiber, villages=villages, units=units, rejects=report).tolist()
    [True, False]
    >>> report.to_frame()[["row", "value", "reason"]].values.tolist()
    [[2, 'v9', "listed village code(s) ['v9'] not found in the villages"]]
    """
    keep = _check_codes(fiber, villages, units, villages_read, rejects)
    return pd.Series(keep, index=fiber.index, name="usable", dtype=bool)


def fiber_reach(
    fiber: gpd.GeoDataFrame,
    *,
    villages: gpd.GeoDataFrame | None,
    units: gpd.GeoDataFrame,
    crs: Any = None,
    villages_read: gpd.GeoDataFrame | None = None,
    rejects: RejectsReport | None = None,
) -> tuple[pd.Series, pd.Series]:
    """Which villages and which finest admin units have fiber.

    A village is reached when its code is listed, or when its point (a polygon's
    representative point) lies within ``reach_m`` (inclusive) of a node or route, that
    row's own ``reach_m``.  A finest unit has fiber when its code is listed, when any of
    its villages is reached (villages carry ``unit_code`` from
    :func:`geocov.villages.link_villages`), or when a node or route intersects it.
    Rows marked "no" (``connected`` False) never give fiber.  Listed codes are checked
    first (:func:`check_fiber_codes`).  Distances are measured in the metric working CRS
    (:func:`geocov.crs.working_crs` of the units, or ``crs``); code lists need no CRS.

    Parameters
    ----------
    fiber : GeoDataFrame
        From :func:`read_fiber`.
    villages : GeoDataFrame or None
        Linked villages (``village_code``, ``unit_code``, geometry).
    units : GeoDataFrame
        Normalised admin units; the finest level's ``<level>_code`` is used.
    crs : CRS-like, optional
        Metric working CRS.
    villages_read : GeoDataFrame, optional
        The villages before :func:`~geocov.villages.link_villages`: fiber rows listing a
        village the linking rejected are rejected with that reason.
    rejects : RejectsReport, optional
        Lenient mode: listed codes that do not exist, or whose village was rejected, go
        there.

    Returns
    -------
    (village_fiber, unit_fiber) : tuple of bool Series
        Indexed like ``villages`` and like ``units``, named ``"fiber"``.

    Raises
    ------
    SchemaError
        Strict mode: listed village or unit codes that are not in ``villages``/``units``,
        all named in one error.
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
    >>> listed = read_fiber(pd.DataFrame({"ma_xa": ["C3", "C2"], "cap_quang": ["có", "không"]}))
    >>> fiber_reach(listed, villages=villages, units=units)[1].tolist()
    [False, False, True]
    """
    code_col = _finest_code_column(units)
    if villages is None:
        villages = gpd.GeoDataFrame({"village_code": pd.Series([], dtype=object),
                                     "unit_code": pd.Series([], dtype=object)},
                                    geometry=gpd.GeoSeries([], crs=units.crs))
    keep = _check_codes(fiber, villages, units, villages_read, rejects)
    keep &= _connected_flags(fiber)
    kinds = fiber["kind"].to_numpy(dtype=object)
    codes = codes_as_text(fiber["code"]) if len(fiber) else pd.Series([], dtype=object)
    vcodes = _village_codes(villages)
    ucodes = codes_as_text(units[code_col])
    listed_v = set(codes[(kinds == "village") & keep])
    listed_u = set(codes[(kinds == "unit") & keep])
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
