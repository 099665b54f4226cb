"""The July 2025 reform: one analysis, either set of units.

Vietnam's figures straddle the reform of 1 July 2025: last year's are on 63 provinces /
~700 districts / ~10,000 communes, this year's on 34 provinces / 3,321 communes (no
districts). This module moves a coverage result from one set of units to the other.

* :func:`crosswalk` says where each old unit goes: a table old commune -> new commune
  with the shares used. Where the official merge list names the merge (the 2025 commune
  files' "trước sáp nhập" column, read by :func:`read_merges`), the list decides which
  new commune(s) an old one went to; elsewhere a geometry overlay in an equal-area CRS
  does. Shares are measured, never guessed: by area, by people (a population raster) or
  by villages (their points). An old commune that the overlay alone splits across two
  new ones is flagged ``ambiguous`` and warned about; pieces smaller than
  ``sliver_pct`` (:data:`SLIVER_PCT`, 10 %) of the old commune are slivers of
  generalised boundaries and ignored.
* :func:`reaggregate` moves every numerator and denominator of a result's finest-level
  table along a crosswalk and recomputes every percentage from the moved sums (never an
  average); the result (:class:`ReaggregatedResult`) has ``table(level)`` for the new
  hierarchy, summaries, maps and reports like any coverage result.
* :func:`units_vintage` names the vintage of a set of units ("pre-2025 (63 provinces)",
  "2025 (34 provinces)"): given by the user, or detected from evidence in the units
  (province codes with their names, provinces that no longer exist, a district level),
  else unknown.

How figures move (:func:`reaggregate`)
--------------------------------------
An old commune that the crosswalk sends whole to one new commune (the usual case: a
merger) moves every figure exactly: the new commune's figures are sums of its old
communes'. Only old communes split between new ones need more:

==============================================  ===========================================
figures                                         of a split old commune
==============================================  ===========================================
``area_km2``, ``covered_area_km2_<T>``          by area shares (the covered share taken as
                                                even over the old commune)
``population``, ``population_covered_<T>``      by the shares of ``how``: ``"area"`` (even
                                                density), ``"population"`` (the people of
                                                a raster in each piece), ``"villages"``
                                                (the villages' people in each piece);
                                                exactly, from the villages' points, when
                                                the population came from the villages
``villages``, ``villages_covered_<T>``,         exactly, from the villages' own points
``villages_fiber``                              (each village goes to the piece it lies
                                                in; its coverage is tested again against
                                                the result's footprints)
``stations_<T>``                                exactly, from the stations' points
``<unit>s``                                     one per new unit
``<unit>s_with_<T>``, ``..._with_signal``       exactly: any whole old commune with it, or
                                                a footprint of the result's stations that
                                                touches the piece
``<unit>s_with_fiber``                          any whole old commune with fiber, or a
                                                village with fiber or a fiber node/route
                                                in the piece; otherwise *not assessable*
                                                (empty) when only a split commune's piece
                                                could carry it (a listed code says which
                                                commune, not where in it); a parent with
                                                an empty child is empty too
==============================================  ===========================================

**When to compute afresh instead.** With the inputs at hand (stations, villages, the
population raster, fiber), ``geocov.coverage(new_units, ...)`` on the new units is
exact for every figure and takes seconds for a province: prefer it. Re-aggregation is
for when only the result is at hand (last year's analysis), to compare like with like
across years, and to check one against the other. Its model note says which was done.
"""

from __future__ import annotations

import re
import sys
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from types import FrameType
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import crs as _crs
from .boundaries import (
    VINTAGES,
    detect_units_vintage,
    units_vintage,
    units_vintage_text,
)
from .coverage import CoverageResult
from .errors import (
    CRSError,
    DataQualityWarning,
    Listing,
    SchemaError,
    Words,
    hint,
    level_words,
    more_words,
)
from .io import (
    MAX_LISTED,
    RejectsReport,
    codes_as_text,
    count_rows_read,
    fold_text,
    frame_from_source,
    reject_rows,
    resolve_columns,
)
from .names import name_keys, strip_type_words
from .vocabulary import (
    LAYERS,
    TOTAL,
    code_column,
    name_column,
    unit_levels,
    units_column,
    units_with_column,
)

__all__ = [
    "SLIVER_PCT",
    "PARTIAL_PCT",
    "HOW",
    "VINTAGES",
    "read_merges",
    "crosswalk",
    "crosswalk_summary",
    "reaggregate",
    "ReaggregatedResult",
    "units_vintage",
    "detect_units_vintage",
]

#: A piece of an old unit smaller than this share (%) of its area is a sliver of
#: generalised boundaries and ignored. GADM's simplified communes put up to ~15 % of a
#: commune across the full-resolution 2025 boundaries (Lào Cai: median 0.8 %, 90th
#: percentile 9 %); real splits of the 2025 reform are named in the merge list.
SLIVER_PCT = 10.0
#: A new unit less than this share (%) of whose area the old units cover is *partial*:
#: its figures hold only the part inside the old study area (named in a warning).
PARTIAL_PCT = 90.0
#: How the figures of a split old unit are shared (see the module).
HOW = ("area", "population", "villages")
_PACKAGE = str(Path(__file__).resolve().parent / "_")[:-1]  # ".../geocov/"


def _caller() -> int:
    """The ``stacklevel`` that makes a warning of the function calling this one point at
    the user's line: the first frame outside geocov (``crosswalk()`` called by
    ``reaggregate()`` called by ``CoverageResult.reaggregate()`` called by the user)."""
    frame: FrameType | None = sys._getframe(1)
    level = 1
    while frame is not None and str(Path(frame.f_code.co_filename).resolve()).startswith(
            _PACKAGE):
        frame, level = frame.f_back, level + 1
    return level


# ----------------------------------------------------------------------- names
_PAREN = re.compile(r"\s*\(([^)]*)\)?\s*$")
# the state-farm town prefix: "Thị trấn Nông trường Phong Hải", GADM "N.TPhongHải"
_FARM = re.compile(r"^(?:nông\s*trường|n\.\s*t\.?)\s*", re.IGNORECASE)
_TYPE_KEYS = {"xa": "xa", "phuong": "phuong", "thitran": "thitran", "dackhu": "dackhu"}


def _fold(values: pd.Series) -> pd.Series:
    """:func:`geocov.io.fold_text` of each value (distinct values folded once); NA stays."""
    v = values.astype(object).where(values.notna(), None)
    folded = {u: fold_text(u) for u in pd.unique(v.dropna())}
    return v.map(folded).astype(object)


def _split_name(values: pd.Series) -> pd.DataFrame:
    """Names cut into ``base`` (no type word, no trailing bracket), ``paren`` (the
    bracket's text) and ``type`` (the folded type word, from the front or the bracket)."""
    s = values.astype("string").str.strip().str.normalize("NFC")
    paren = s.str.extract(_PAREN, expand=False)
    base = s.str.replace(_PAREN, "", regex=True).str.strip()
    typed = base.str.lower().str.extract(r"^(xã|phường|thị trấn|đặc khu)\s+", expand=False)
    base = base.str.replace(r"(?i)^(?:xã|phường|thị trấn|đặc khu)\s+", "", regex=True)
    base = base.str.replace(_FARM, "", regex=True)
    ptype = _fold(paren)
    typ = _fold(typed)
    typ = typ.where(typ.notna(), ptype.where(ptype.isin(list(_TYPE_KEYS))))
    paren = paren.where(~ptype.isin(list(_TYPE_KEYS)))  # "(Thịtrấn)" is a type, not a hint
    return pd.DataFrame({"base": base, "paren": paren, "type": typ}, index=values.index)


_FOLDED_TYPE = re.compile(r"^(?:xa|phuong|thitran|dackhu)(?=.)")


def _untyped(keys: pd.Series | np.ndarray) -> np.ndarray:
    """Folded keys without a leading type word written without its diacritics ("xa nam
    chay" -> "namchay"), for names typed without them."""
    s = pd.Series(keys, dtype=object).astype("string")
    return s.str.replace(_FOLDED_TYPE, "", regex=True).astype(object).to_numpy()


def _exact_keys(values: pd.Series) -> pd.Series:
    """Names for matching with their diacritics kept ("Nậm Chảy" is not "Nậm Chày")."""
    s = strip_type_words(values).str.lower()
    out = s.str.replace(r"[\W_]+", "", regex=True)
    return out.where(out.notna() & (out != ""), None).astype(object)


# ----------------------------------------------------------------------- merge lists
_MERGE_ALIASES: dict[str, list[str]] = {
    "new_code": ["ma_xa_moi", "ma_moi", "ma_don_vi_moi", "code", "ma_xa", "ma"],
    "new_name": ["ten_xa_moi", "ten_moi", "full_name", "name", "ten_xa", "ten"],
    "merged": ["sapnhap_a05_truocsn", "truocsn", "truoc_sap_nhap", "don_vi_truoc_sap_nhap",
               "merged_from", "old_units", "before_merger"],
    "old_code": ["ma_xa_cu", "ma_cu", "ma_don_vi_cu"],
    "old_name": ["ten_xa_cu", "ten_cu", "ten_don_vi_cu"],
    "part": ["phan", "mot_phan"],
}
_MERGE_COLUMNS = ["new_code", "new_name", "old_name", "old_code", "old_hint", "part",
                  "source_file", "source_row"]
_ITEM = re.compile(r"(?:[^,;(]|\([^)]*\)?)+")
_UNCHANGED = {"giunguyen", "unchanged", "khongthaydoi"}


def read_merges(
    source: str | Path | pd.DataFrame,
    *,
    layer: str | int | None = None,
    columns: Mapping[str, str] | None = None,
    encoding: str | None = None,
    rejects: RejectsReport | None = None,
) -> pd.DataFrame:
    """Read an official merge list into one row per (new unit, old unit it came from).

    Two layouts are recognised (column names compared folded: case, spaces, diacritics
    ignored):

    * **one row per new unit**, a column listing the old units before the merger, as in
      the 2025 commune files of sapnhap.bando.com.vn (``sapnhap_a05_truocsn``; also
      ``truoc_sap_nhap``, ``merged_from``, ``old_units``): "Xã Nậm Chạc, Xã A Mú Sung".
      "giữ nguyên" (unchanged) names the new unit itself; a bracket names the old unit's
      district ("Xã Thanh Bình (huyện Mường Khương)") or says that only part of it came
      here ("(phần còn lại sau khi sáp nhập vào ...)": ``part = "remainder"``);
    * **one row per pair**: ``new_code`` with ``old_code`` and/or ``old_name`` (``ma_xa_cu``,
      ``ten_xa_cu``), optionally ``part``.

    Parameters
    ----------
    source
        A CSV/Excel/vector file, or a (Geo)DataFrame.
    layer
        Layer of a multi-layer file.
    columns
        Mapping of ``new_code``, ``new_name``, ``merged``, ``old_code``, ``old_name``,
        ``part`` to the file's columns, where they are not recognised.
    encoding
        Text encoding of a CSV (default: detected).
    rejects
        Lenient mode: rows without a new code go there instead of raising.

    Returns
    -------
    pandas.DataFrame
        ``new_code``, ``new_name``, ``old_name`` (as listed, type word kept),
        ``old_code`` (NA unless given), ``old_hint`` (a bracket's district), ``part``
        (``"whole"``, ``"remainder"`` or ``"part"``), ``source_file``, ``source_row``.

    Raises
    ------
    SchemaError
        Neither layout is found, or (strict mode) a row has no new code.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"code": ["02686", "03004"], "name": ["A Mú Sung", "Ngũ Chỉ Sơn"],
    ...     "sapnhap_a05_truocsn": ["Xã Nậm Chạc, Xã A Mú Sung (huyện Bát Xát)", "giữ nguyên"]})
    >>> read_merges(t)[["new_code", "old_name", "old_hint", "part"]].values.tolist()
    [['02686', 'Xã Nậm Chạc', <NA>, 'whole'], ['02686', 'Xã A Mú Sung', 'huyện Bát Xát', 'whole'],
     ['03004', 'Ngũ Chỉ Sơn', <NA>, 'whole']]
    """
    frame = frame_from_source(source, layer=layer, encoding=encoding)
    file = str(frame["source_file"].iloc[0]) if len(frame) else "<merge list>"
    count_rows_read(rejects, frame, "merges")
    cols = resolve_columns(frame, _MERGE_ALIASES, given=columns, required=[], file=file,
                           option="columns", cli_option="--merges-columns")
    if "new_code" not in cols or not ({"merged", "old_code", "old_name"} & set(cols)):
        raise SchemaError(
            f"{file}: not a merge list: it needs the new unit's code (one of "
            f"{['new_code', *_MERGE_ALIASES['new_code']]}) and either a column listing the "
            f"old units (one of {['merged', *_MERGE_ALIASES['merged']]}) or one naming each "
            f"old unit (old_code / old_name). Columns present: "
            f"{[c for c in map(str, frame.columns) if c not in ('source_file', 'source_row')]}."
            f" Rename them or " + hint("pass columns={'merged': '<your column>'}.",
                                       "pass --merges-columns merged='<your column>'.")
        )
    new_code = codes_as_text(frame[cols["new_code"]])
    keep = reject_rows(new_code.isna().to_numpy(), frame, column=cols["new_code"],
                       values=frame[cols["new_code"]], reason="the new unit's code is missing",
                       fix="Fill in the code of the new unit.", rejects=rejects)
    frame = frame.loc[keep].assign(_new_code=new_code[keep])
    new_name = (frame[cols["new_name"]].astype("string") if "new_name" in cols
                else pd.Series(pd.NA, index=frame.index, dtype="string"))
    if "merged" in cols:
        listed = frame[cols["merged"]].astype("string").fillna("")
        items = listed.str.findall(_ITEM).explode()
        items = items.astype("string").str.strip()
        items = items[items.notna() & (items != "")]
        base = frame.loc[items.index]
        raw = items.reset_index(drop=True)
        unchanged = _fold(raw).isin(_UNCHANGED).to_numpy()
        names = raw.where(~unchanged, new_name.loc[items.index].reset_index(drop=True))
        out = pd.DataFrame({"new_code": base["_new_code"].to_numpy(),
                            "new_name": new_name.loc[items.index].to_numpy(),
                            "old_name": names.to_numpy(),
                            "old_code": pd.NA})
        part_text = pd.Series(pd.NA, index=out.index, dtype="string")
    else:
        base = frame
        out = pd.DataFrame({
            "new_code": frame["_new_code"].to_numpy(),
            "new_name": new_name.to_numpy(),
            "old_name": (frame[cols["old_name"]].astype("string").to_numpy()
                         if "old_name" in cols else pd.NA),
            "old_code": (codes_as_text(frame[cols["old_code"]]).to_numpy()
                         if "old_code" in cols else pd.NA),
        })
        part_text = (frame[cols["part"]].astype("string").reset_index(drop=True)
                     if "part" in cols else pd.Series(pd.NA, index=out.index, dtype="string"))
    paren = out["old_name"].astype("string").str.extract(_PAREN, expand=False)
    note = _fold(paren.fillna(part_text)).fillna("").astype(str)
    part = np.where(note.str.contains("conlai|remainder|rest"), "remainder",
                    np.where(note.str.contains("motphan|^phan|part"), "part", "whole"))
    out["old_hint"] = paren.where(part == "whole").astype("string")
    out["old_name"] = out["old_name"].astype("string").str.replace(_PAREN, "", regex=True)
    out["old_name"] = out["old_name"].str.strip()
    out["old_code"] = out["old_code"].astype("string")
    out["new_name"] = out["new_name"].astype("string")
    out["part"] = part
    out["source_file"] = base["source_file"].to_numpy()
    out["source_row"] = base["source_row"].to_numpy()
    return out[_MERGE_COLUMNS].reset_index(drop=True)


# ----------------------------------------------------------------------- crosswalk
_XW_COLUMNS = ["old_code", "old_name", "new_code", "new_name", "share", "area_share",
               "population_share", "villages_share", "piece_km2", "overlay_share",
               "new_covered_pct", "source", "part", "split", "ambiguous", "agrees", "note"]


def _check_units(units: Any, what: str) -> tuple[tuple[str, ...], str]:
    if not isinstance(units, gpd.GeoDataFrame):
        raise SchemaError(f"{what} must be a GeoDataFrame as returned by geocov.read_units(...)")
    _crs.require_crs(units, what=what)
    levels = unit_levels(units)
    finest = levels[-1]
    codes = units[code_column(finest)].astype(str)
    if codes.duplicated().any():
        dup = sorted(set(codes[codes.duplicated(keep=False)]))[:MAX_LISTED]
        raise SchemaError(f"{what}: {finest} codes are not unique: {dup}. Give a unique code "
                          f"column (codes={{'{finest}': ...}}) to read_units")
    return levels, finest


def _check_how(how: str) -> None:
    if how not in HOW:
        raise SchemaError(f"how={how!r} is not valid; use one of {', '.join(map(repr, HOW))}")


@dataclass
class _Overlay:
    """Old x new pieces in an equal-area CRS: one row per intersecting pair."""

    ea: Any
    old_geoms: np.ndarray
    new_geoms: np.ndarray
    old_km2: np.ndarray
    new_km2: np.ndarray
    oi: np.ndarray
    ni: np.ndarray
    km2: np.ndarray
    pieces: np.ndarray

    @property
    def share(self) -> np.ndarray:
        return np.divide(self.km2, self.old_km2[self.oi], out=np.zeros(len(self.km2)),
                         where=self.old_km2[self.oi] > 0)


def _overlay(old_units: gpd.GeoDataFrame, new_units: gpd.GeoDataFrame) -> _Overlay:
    ea = _crs.equal_area_crs(old_units)
    og = np.asarray(old_units.geometry.to_crs(ea).array, dtype=object)
    ng = np.asarray(new_units.geometry.to_crs(ea).array, dtype=object)
    oi, ni = shapely.STRtree(ng).query(og, predicate="intersects")
    pieces = shapely.intersection(og[oi], ng[ni])
    km2 = shapely.area(pieces) / 1e6
    keep = km2 > 0
    return _Overlay(ea, og, ng, shapely.area(og) / 1e6, shapely.area(ng) / 1e6,
                    oi[keep].astype(np.int64), ni[keep].astype(np.int64), km2[keep],
                    pieces[keep])


def _narrow(c: pd.DataFrame, mask: pd.Series | np.ndarray) -> pd.DataFrame:
    """Of an item's several candidates keep those where ``mask``, if any is."""
    m = pd.Series(np.asarray(mask, dtype=bool), index=c.index)
    g = c.assign(_m=m).groupby("item")["_m"]
    several = g.transform("size") > 1
    return c[~(several & g.transform("any") & ~m)]


def _match_listed(merges: pd.DataFrame, ov: _Overlay, old_units: gpd.GeoDataFrame,
                  new_units: gpd.GeoDataFrame, levels: Sequence[str],
                  sliver: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Listed pairs (oi, ni, part) and the listed items that match no old unit, or several."""
    finest = levels[-1]
    new_index = pd.Series(np.arange(len(new_units)),
                          index=new_units[code_column(unit_levels(new_units)[-1])].astype(str))
    items = merges.reset_index(drop=True).copy()
    items["item"] = np.arange(len(items))
    items["ni"] = new_index.reindex(items["new_code"].astype(str)).to_numpy()
    items = items[items["ni"].notna()].astype({"ni": np.int64})
    split = _split_name(items["old_name"])
    items["exact"] = _exact_keys(split["base"]).to_numpy()
    items["folded"] = name_keys(split["base"]).to_numpy()
    items["folded2"] = _untyped(items["folded"])
    items["type"] = split["type"].to_numpy()
    hint_text = items["old_hint"].where(items["old_hint"].notna(), split["paren"])
    items["hint"] = name_keys(hint_text.astype("string")).to_numpy()

    osplit = _split_name(old_units[name_column(finest)])
    old = pd.DataFrame({"oi": np.arange(len(old_units)),
                        "o_exact": _exact_keys(osplit["base"]).to_numpy(),
                        "o_folded": name_keys(osplit["base"]).to_numpy(),
                        "o_folded2": _untyped(name_keys(osplit["base"])),
                        "o_type": osplit["type"].to_numpy(),
                        "o_code": old_units[code_column(finest)].astype(str).to_numpy()})
    parents = [name_keys(old_units[name_column(lv)]).to_numpy() for lv in levels[:-1]]
    pieces = pd.DataFrame({"oi": ov.oi, "ni": ov.ni, "share": ov.share})

    by_code = items[items["old_code"].notna()].merge(
        old[["oi", "o_code"]], left_on="old_code", right_on="o_code")[["item", "oi"]]
    todo = items[~items["item"].isin(by_code["item"])]
    cand = todo.merge(pieces, on="ni").merge(old, on="oi")
    exact = cand[cand["exact"].notna() & (cand["exact"] == cand["o_exact"])]
    rest = cand[~cand["item"].isin(exact["item"])]
    same = (rest["folded"] == rest["o_folded"]) | (rest["folded2"] == rest["o_folded2"])
    folded = rest[rest["folded"].notna() & same.fillna(False).to_numpy(dtype=bool)]
    c = pd.concat([exact, folded])
    if len(c) and parents:
        par = np.stack([p[c["oi"].to_numpy()] for p in parents], axis=1)
        hit = (par == c["hint"].to_numpy()[:, None]).any(axis=1) & c["hint"].notna().to_numpy()
        c = _narrow(c, hit)
    if len(c):
        c = _narrow(c, c["type"].notna() & (c["type"] == c["o_type"]))
        c = _narrow(c, c["share"] >= sliver)
    n = c.groupby("item")["oi"].transform("size") if len(c) else pd.Series(dtype=int)
    matched = pd.concat([by_code, c.loc[n == 1, ["item", "oi"]]], ignore_index=True)
    pairs = matched.merge(items[["item", "ni", "part"]], on="item")
    # the same old unit named twice in one new unit: once is enough (whole wins)
    pairs = pairs.sort_values(["oi", "ni", "part"], key=lambda s: s.map(
        {"whole": 0, "remainder": 1, "part": 2}) if s.name == "part" else s)
    pairs = pairs.drop_duplicates(["oi", "ni"])[["oi", "ni", "part"]].reset_index(drop=True)

    several = c.loc[n > 1].groupby("item")["oi"].apply(list) if len(c) else pd.Series(dtype=object)
    missing = items[~items["item"].isin(matched["item"])].copy()
    missing["candidates"] = missing["item"].map(several)
    missing = missing.assign(
        problem=np.where(missing["candidates"].notna(), "several old units", "no old unit"),
        candidates=missing["candidates"].map(
            lambda idx: ", ".join(old_units[code_column(finest)].astype(str).to_numpy()[idx])
            if isinstance(idx, list) else ""))
    return pairs, missing[["ni", "new_code", "new_name", "old_name", "old_hint", "problem",
                           "candidates", "source_file", "source_row"]].reset_index(drop=True)


def _piece_population(pieces: np.ndarray, ea: Any, raster: str | Path) -> np.ndarray:
    """People of a population raster in each piece (exact cell weights on its grid)."""
    import rasterio

    from .engine import GridSpec, grid_coverage

    if not Path(raster).exists():
        raise SchemaError(f"{raster}: population raster not found. Pass the path to a GeoTIFF "
                          f"of people per pixel")
    if not len(pieces):
        return np.zeros(0)
    with rasterio.open(raster) as src:
        rcrs = src.crs
    if rcrs is None:
        raise CRSError(f"{raster}: the population raster has no CRS; set one (e.g. with "
                       f"gdal_edit.py -a_srs EPSG:4326)")
    geoms = np.asarray(gpd.GeoSeries(pieces, crs=ea).to_crs(rcrs).array, dtype=object)
    grid = GridSpec.from_raster(raster, shapely.total_bounds(geoms), resolution_m=1e12)
    sums = grid_coverage(geoms, grid=grid, population=raster, workers=1)
    return np.asarray(sums.unit_population, dtype=float)


def _piece_villages(pieces: np.ndarray, piece_old: np.ndarray, ea: Any,
                    villages: gpd.GeoDataFrame, old_codes: np.ndarray) -> np.ndarray:
    """Villages (their people, else their number) of each piece's own old unit in it."""
    if not len(pieces) or not len(villages):
        return np.zeros(len(pieces))
    _crs.require_crs(villages, what="villages")
    pts = shapely.point_on_surface(np.asarray(villages.geometry.to_crs(ea).array, dtype=object))
    vi, pi = shapely.STRtree(pieces).query(pts, predicate="intersects")
    if "unit_code" in villages.columns:  # a village counts only in its own old unit's pieces
        own = codes_as_text(villages["unit_code"]).astype(object).to_numpy()
        ok = (own[vi] == old_codes[piece_old[pi]]) | pd.isna(own[vi])
        vi, pi = vi[ok], pi[ok]
    first = ~pd.Series(vi).duplicated().to_numpy()  # overlapping pieces: once
    vi, pi = vi[first], pi[first]
    pop = (villages["population"].to_numpy(dtype=float, na_value=np.nan)
           if "population" in villages.columns else np.full(len(villages), np.nan))
    use_pop = np.isfinite(pop).all() and np.nansum(pop) > 0
    w = pop[vi] if use_pop else np.ones(len(vi))
    return np.bincount(pi, weights=w, minlength=len(pieces))


def crosswalk(
    old_units: gpd.GeoDataFrame,
    new_units: gpd.GeoDataFrame,
    *,
    code_list: str | Path | pd.DataFrame | None = None,
    how: Literal["area", "population", "villages"] = "area",
    population: str | Path | None = None,
    villages: gpd.GeoDataFrame | None = None,
    sliver_pct: float = SLIVER_PCT,
    rejects: RejectsReport | None = None,
) -> pd.DataFrame:
    """Where each old unit went: one row per (old unit, new unit) with the shares used.

    1. **Merge list** (``code_list``): an old unit that the list names in one new unit
       goes there whole (``source = "code_list"``); named in several (a split: "phần
       còn lại ..."), it is shared between those. Names are matched by code when the
       list gives old codes, else by name (with and without diacritics, without type
       words "Xã/Phường/Thị trấn", brackets naming the district used to choose), among
       the old units that the geometry puts in that new unit.
    2. **Geometry overlay** (every old unit the list does not name): the pieces of the
       old unit in each new unit, in an equal-area CRS; pieces smaller than
       ``sliver_pct`` of the old unit are slivers of generalised boundaries and dropped
       (the largest piece is kept if all are). One piece left: the old unit goes there
       whole; several: it is split *and flagged* ``ambiguous`` (no list says so) with a
       warning. Nothing is guessed: shares are measured.

    Shares of a split old unit: ``area_share`` (its area in each piece), and, when
    given, ``population_share`` (people of the ``population`` raster in each piece) and
    ``villages_share`` (its ``villages``' people, else their number, in each piece);
    ``share`` is the one ``how`` names (area where that measure finds nothing, said in
    ``note``). Each old unit's shares sum to 1, so totals are kept.

    Parameters
    ----------
    old_units, new_units : GeoDataFrame
        Admin units (:func:`geocov.read_units`), e.g. pre-2025 communes and 2025 ones;
        any CRS each.
    code_list : path or DataFrame, optional
        The merge list: a file or frame :func:`read_merges` reads (e.g. the 2025 commune
        layer with its ``sapnhap_a05_truocsn`` column), or its result (for a layer of a
        multi-layer file: ``read_merges(path, layer="communes_2025")``).
    how : {"area", "population", "villages"}
        Which share is ``share``.
    population : path, optional
        Population raster (GeoTIFF, any CRS) for ``population_share``.
    villages : GeoDataFrame, optional
        Village points (with ``unit_code`` of the old units, as in
        ``result.villages``) for ``villages_share``.
    sliver_pct : float, default :data:`SLIVER_PCT`
        Pieces below this share (%) of an old unit are ignored.
    rejects : RejectsReport, optional
        Lenient mode for reading ``code_list``.

    Returns
    -------
    pandas.DataFrame
        ``old_code, old_name, new_code, new_name, share, area_share, population_share,
        villages_share`` (NaN where not measured), ``piece_km2`` (area of the old unit in
        the new one), ``overlay_share`` (that area over the old unit's), ``new_covered_pct``
        (share of the new unit's area that the old units cover: below
        :data:`PARTIAL_PCT` it lies partly outside the old study area), ``source``
        (``"code_list"``, ``"overlay"``, or ``"none"``: in no new unit, ``new_code`` NA),
        ``part`` (``"whole"``, ``"remainder"``, ``"part"`` as listed), ``split``,
        ``ambiguous`` (split by the overlay alone), ``agrees`` (the list's new unit holds
        the old unit's largest piece; NA for overlay rows), ``note``. Sorted by old code,
        largest share first. ``attrs``: ``how``, ``sliver_pct``, ``unmatched_listed``
        (listed names that match no old unit, or several) and ``summary``.

    Warns
    -----
    DataQualityWarning
        Old units split by the overlay alone; listed units whose largest piece lies in
        another new unit; listed names that match no old unit (or several); old units in
        no new unit.

    Examples
    --------
    Two old communes merged into one new one, a third split by a listed remainder:

    >>> import geopandas as gpd, pandas as pd
    >>> from shapely import box
    >>> old = gpd.GeoDataFrame({"commune_code": ["a", "b", "c"],
    ...     "commune_name": ["Xã A", "Xã B", "Xã C"]}, crs=32648, geometry=[
    ...     box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000), box(2000, 0, 4000, 1000)])
    >>> new = gpd.GeoDataFrame({"commune_code": ["X", "Y"], "commune_name": ["X", "Y"]},
    ...     crs=32648, geometry=[box(0, 0, 2500, 1000), box(2500, 0, 4000, 1000)])
    >>> merges = pd.DataFrame({"code": ["X", "Y"],
    ...     "truoc_sap_nhap": ["Xã A, Xã B, Xã C", "Xã C (phần còn lại)"]})
    >>> xw = crosswalk(old, new, code_list=merges)
    >>> xw[["old_code", "new_code", "source", "split"]].assign(share=xw["share"].round(3)
    ...     ).values.tolist()
    [['a', 'X', 'code_list', False, 1.0], ['b', 'X', 'code_list', False, 1.0],
     ['c', 'Y', 'code_list', True, 0.75], ['c', 'X', 'code_list', True, 0.25]]
    """
    old_levels, old_finest = _check_units(old_units, "old_units")
    _new_levels, new_finest = _check_units(new_units, "new_units")
    _check_how(how)
    if not (isinstance(sliver_pct, (int, float)) and 0 <= sliver_pct < 50):
        raise SchemaError(f"sliver_pct must be a percentage from 0 to under 50, got {sliver_pct!r}")
    if how == "population" and population is None:
        raise SchemaError("how='population' needs population shares: " + hint(
            "pass population='<raster.tif>' (people per pixel)",
            "pass --population <raster.tif>"))
    if how == "villages" and villages is None:
        raise SchemaError("how='villages' needs village points: pass villages= "
                          "(e.g. result.villages)")
    sliver = sliver_pct / 100.0
    old_units = old_units.reset_index(drop=True)
    new_units = new_units.reset_index(drop=True)
    old_codes = old_units[code_column(old_finest)].astype(str).to_numpy()
    new_codes = new_units[code_column(new_finest)].astype(str).to_numpy()
    ov = _overlay(old_units, new_units)
    share = ov.share
    n_old = len(old_units)

    # ---- 1. the merge list
    unmatched = pd.DataFrame(columns=["new_code", "new_name", "old_name", "old_hint",
                                      "problem", "candidates", "source_file", "source_row"])
    listed = pd.DataFrame({"oi": pd.Series(dtype=np.int64), "ni": pd.Series(dtype=np.int64),
                           "part": pd.Series(dtype=object)})
    if code_list is not None:
        merges = (code_list if isinstance(code_list, pd.DataFrame)
                  and set(_MERGE_COLUMNS) <= set(code_list.columns)
                  else read_merges(code_list, rejects=rejects))
        listed, unmatched = _match_listed(merges, ov, old_units, new_units, old_levels, sliver)

    pieces = pd.DataFrame({"oi": ov.oi, "ni": ov.ni, "piece_km2": ov.km2, "overlay_share": share,
                           "piece": np.arange(len(ov.oi))})
    main = pieces.sort_values(["oi", "overlay_share"], ascending=[True, False]
                              ).drop_duplicates("oi").set_index("oi")["ni"]
    rows_l = listed.merge(pieces, on=["oi", "ni"], how="left")
    rows_l["piece_km2"] = rows_l["piece_km2"].fillna(0.0)
    rows_l["overlay_share"] = rows_l["overlay_share"].fillna(0.0)
    reach = rows_l.groupby("oi")["piece_km2"].transform("sum")
    unreached = set(rows_l.loc[reach <= 0, "oi"])  # listed where its geometry never goes
    rows_l = rows_l[~rows_l["oi"].isin(unreached)].assign(source="code_list")
    # ---- 2. the overlay, for every other old unit
    rest = pieces[~pieces["oi"].isin(rows_l["oi"])]
    big = rest[rest["overlay_share"] >= sliver]
    none_big = rest[~rest["oi"].isin(big["oi"])].sort_values(
        ["oi", "overlay_share"], ascending=[True, False]).drop_duplicates("oi")
    rows_o = pd.concat([big, none_big]).assign(source="overlay", part="whole")
    rows = pd.concat([rows_l, rows_o], ignore_index=True)
    nowhere = np.setdiff1d(np.arange(n_old), rows["oi"].to_numpy())
    rows = pd.concat([rows, pd.DataFrame({"oi": nowhere, "ni": -1, "piece_km2": 0.0,
                                          "overlay_share": 0.0, "source": "none",
                                          "part": "whole", "piece": -1})], ignore_index=True)
    rows = rows.astype({"oi": np.int64, "ni": np.int64})
    rows["piece"] = rows["piece"].fillna(-1).astype(np.int64)
    if "ni" in unmatched.columns:  # only the new units the old ones go to are worth reporting
        unmatched = unmatched[unmatched["ni"].isin(rows["ni"])].drop(columns="ni")
        unmatched = unmatched.reset_index(drop=True)

    # ---- shares
    n_targets = rows.groupby("oi")["ni"].transform("size")
    rows["split"] = (n_targets > 1).to_numpy() & (rows["ni"] >= 0).to_numpy()
    total = rows.groupby("oi")["piece_km2"].transform("sum").to_numpy()
    rows["area_share"] = np.where(rows["split"], np.divide(
        rows["piece_km2"], total, out=np.zeros(len(rows)), where=total > 0), 1.0)
    rows.loc[rows["ni"] < 0, "area_share"] = np.nan
    rows["population_share"] = np.nan
    rows["villages_share"] = np.nan
    sp = rows.index[rows["split"] & (rows["piece"] >= 0)]
    notes = pd.Series("", index=rows.index, dtype=object)
    measured = {}
    if population is not None:
        pop = np.zeros(len(rows))
        pop[sp] = _piece_population(ov.pieces[rows.loc[sp, "piece"].to_numpy()], ov.ea,
                                    population)
        measured["population_share"] = pop
        rows.loc[~rows["split"] & (rows["ni"] >= 0), "population_share"] = 1.0
    if villages is not None:
        vil = np.zeros(len(rows))
        vil[sp] = _piece_villages(ov.pieces[rows.loc[sp, "piece"].to_numpy()],
                                  rows.loc[sp, "oi"].to_numpy(), ov.ea, villages, old_codes)
        measured["villages_share"] = vil
        rows.loc[~rows["split"] & (rows["ni"] >= 0), "villages_share"] = 1.0
    for col, amount in measured.items():
        tot = pd.Series(amount).groupby(rows["oi"]).transform("sum").to_numpy()
        ok = rows["split"].to_numpy() & (tot > 0)
        rows.loc[ok, col] = amount[ok] / tot[ok]
        empty = rows["split"].to_numpy() & (tot <= 0)
        rows.loc[empty, col] = rows.loc[empty, "area_share"]
        what = "people in the raster" if col == "population_share" else "villages"
        if col == f"{how}_share":
            notes[empty] += f"no {what} in its pieces: shared by area; "
    rows["share"] = rows[f"{how}_share"].where(rows[f"{how}_share"].notna(), rows["area_share"])

    # ---- flags and words
    is_l = rows["source"] == "code_list"
    agrees = pd.Series(pd.NA, index=rows.index, dtype="boolean")
    main_pairs = pd.DataFrame({"oi": main.index.to_numpy(), "ni": main.to_numpy()})
    main_listed = main_pairs.merge(listed[["oi", "ni"]], on=["oi", "ni"])["oi"].to_numpy()
    agrees[is_l] = rows.loc[is_l, "oi"].isin(main_listed).to_numpy()
    rows["agrees"] = agrees
    rows["ambiguous"] = rows["split"] & (rows["source"] == "overlay")
    notes[is_l & (rows["part"] != "whole")] += "listed as " + rows["part"].astype(object) + "; "
    notes[rows["ambiguous"]] += "split by the overlay alone (not in the merge list); "
    notes[is_l & ~rows["agrees"].fillna(True)] += "the overlay puts its largest piece elsewhere; "
    notes[rows["oi"].isin(unreached)] += "listed in a new unit its geometry does not reach; "
    notes[rows["source"] == "none"] += "in no new unit; "
    rows["note"] = notes.astype(str).str.rstrip("; ")

    covered = pd.Series(rows.loc[rows["ni"] >= 0, "piece_km2"].to_numpy()).groupby(
        rows.loc[rows["ni"] >= 0, "ni"].to_numpy()).sum()
    new_pct = 100.0 * covered / pd.Series(ov.new_km2).reindex(covered.index)
    rows["new_covered_pct"] = rows["ni"].map(new_pct).clip(upper=100.0)

    old_names = old_units[name_column(old_finest)].astype(str).to_numpy()
    new_names = new_units[name_column(new_finest)].astype(str).to_numpy()
    has = rows["ni"].to_numpy() >= 0
    out = pd.DataFrame({
        "old_code": old_codes[rows["oi"]],
        "old_name": old_names[rows["oi"]],
        "new_code": pd.array(np.where(has, new_codes[np.maximum(rows["ni"], 0)], None),
                             dtype="string"),
        "new_name": pd.array(np.where(has, new_names[np.maximum(rows["ni"], 0)], None),
                             dtype="string"),
    })
    for c in _XW_COLUMNS[4:]:
        if c not in out:
            out[c] = rows[c].to_numpy() if c != "agrees" else rows[c].array
    out = out.sort_values(["old_code", "share", "new_code"], ascending=[True, False, True],
                          kind="stable").reset_index(drop=True)[_XW_COLUMNS]
    out.attrs.update(how=how, sliver_pct=float(sliver_pct), unmatched_listed=unmatched)
    out.attrs["summary"] = crosswalk_summary(out)
    _warn_crosswalk(out, unmatched, old_finest)
    return out


def _listing(words: Any, total: int) -> dict[str, Any]:
    """``listed`` (the first MAX_LISTED of ``words``, "; ") and ``more`` (of ``total``)
    of a warning."""
    return {"listed": Listing(list(words)[:MAX_LISTED], "; "),
            "more": more_words(total - MAX_LISTED)}


def _warn_crosswalk(xw: pd.DataFrame, unmatched: pd.DataFrame, finest: str) -> None:
    units = level_words(finest, plural=True)
    amb = xw[xw["ambiguous"]]
    if len(amb):
        pct = (100 * amb["share"]).round().astype(int).astype(str)
        per = (amb["new_code"].astype(str) + " " + pct + "%").groupby(amb["old_code"])
        per = per.agg(", ".join)
        names = amb.drop_duplicates("old_code").set_index("old_code")["old_name"]
        words = names.loc[per.index] + " (" + per.index + ") -> " + per
        warnings.warn(DataQualityWarning.of(
            "xw_ambiguous", n=len(per), units=units, how=xw.attrs["how"],
            **_listing(words, len(words))),
            stacklevel=_caller())
    bad = xw[(xw["source"] == "code_list") & ~xw["agrees"].fillna(True)].drop_duplicates("old_code")
    if len(bad):
        head = bad.head(MAX_LISTED)
        listed = [Words("warning.xw_in", {"name": n, "code": c, "new": str(w)})
                  for n, c, w in zip(head["old_name"], head["old_code"], head["new_code"],
                                     strict=True)]
        warnings.warn(DataQualityWarning.of(
            "xw_disagree", n=len(bad), units=units, **_listing(listed, len(bad))),
            stacklevel=_caller())
    if len(unmatched):
        problem = {"no old unit": "warning.xw_no_old_unit",
                   "several old units": "warning.xw_several_old_units"}
        head = unmatched.head(MAX_LISTED)
        listed = [Words("warning.xw_unmatched_item", {
            "name": str(n), "new": str(w),
            "problem": Words(problem[p]) if p in problem else str(p)})
            for n, w, p in zip(head["old_name"], head["new_code"], head["problem"], strict=True)]
        warnings.warn(DataQualityWarning.of(
            "xw_unmatched", n=len(unmatched),
            **_listing(listed, len(unmatched))),
            stacklevel=_caller())
    lost = xw[xw["source"] == "none"]
    if len(lost):
        words = lost["old_name"] + " (" + lost["old_code"] + ")"
        warnings.warn(DataQualityWarning.of("xw_lost", n=len(lost), units=units,
                                            **_listing(words, len(words))),
                      stacklevel=_caller())


def crosswalk_summary(xw: pd.DataFrame) -> str:
    """What a crosswalk did, in one sentence (also ``xw.attrs["summary"]``).

    Examples
    --------
    >>> import pandas as pd
    >>> xw = pd.DataFrame({"old_code": ["a", "b", "c", "c"], "new_code": ["X", "X", "X", "Y"],
    ...     "source": ["code_list", "code_list", "overlay", "overlay"],
    ...     "split": [False, False, True, True], "ambiguous": [False, False, True, True],
    ...     "agrees": pd.array([True, False, pd.NA, pd.NA], dtype="boolean")})
    >>> print(crosswalk_summary(xw))  # doctest: +NORMALIZE_WHITESPACE
    3 old units -> 2 new units: 2 named by the merge list (the geometry overlay agrees for
    1), 1 placed by the overlay alone; 1 split (1 by the overlay alone: ambiguous); 0 in
    no new unit.
    """
    per = xw.drop_duplicates("old_code")
    n_old = len(per)
    n_new = xw["new_code"].dropna().nunique()
    listed = per[per["source"] == "code_list"]
    agree = int(xw[xw["source"] == "code_list"].groupby("old_code")["agrees"].all().sum())
    overlay = int((per["source"] == "overlay").sum())
    split = int(per["split"].sum())
    amb = int(per["ambiguous"].sum())
    lost = int((per["source"] == "none").sum())
    return (f"{n_old:,} old units -> {n_new:,} new units: {len(listed):,} named by the merge "
            f"list (the geometry overlay agrees for {agree:,}), {overlay:,} placed by the "
            f"overlay alone; {split:,} split ({amb:,} by the overlay alone: ambiguous); "
            f"{lost:,} in no new unit.")


# ----------------------------------------------------------------------- reaggregate
_crosswalk = crosswalk  # reaggregate's argument of that name shadows the function
_vintage_of = units_vintage


@dataclass
class ReaggregatedResult(CoverageResult):
    """A coverage result moved to other units by :func:`reaggregate`.

    Everything of a :class:`~geocov.CoverageResult` (``table(level)`` for the new
    hierarchy, ``operator_table``, ``summary``, ``write``, maps and reports), plus the
    ``crosswalk`` used. Figures that cannot be assessed on the new units (``unassessed``
    columns, e.g. ``communes_with_fiber`` where only a split old commune could carry it)
    are empty, and so is every parent of an empty one: a sum over a part would be
    silently too small.
    """

    crosswalk: pd.DataFrame | None = None
    unassessed: tuple[str, ...] = ()

    def _blank(self, out: pd.DataFrame, base: pd.DataFrame, level: str,
               by: tuple[str, ...] = ()) -> pd.DataFrame:
        for col in self.unassessed:
            if col not in base.columns or col not in out.columns:
                continue
            # a float column: empty cells are NaN, as where a figure is unknown elsewhere
            out[col] = pd.to_numeric(out[col]).astype(float)
            if level == self.finest:
                continue
            unknown = base[col].isna()
            if not unknown.any():
                continue
            if level == TOTAL:
                keys = [c for c in by if c in out.columns]
                if not keys:
                    out[col] = np.nan
                    continue
                bad = base.loc[unknown, keys].drop_duplicates()
            else:
                keys = [code_column(level), *by]
                bad = base.loc[unknown, keys].drop_duplicates()
            hit = out[keys].merge(bad.assign(_bad=True), on=keys, how="left")["_bad"]
            out.loc[hit.fillna(False).to_numpy(dtype=bool), col] = np.nan
        return out

    def table(self, level: str) -> gpd.GeoDataFrame:
        """One row per unit of ``level`` of the new units (see :meth:`CoverageResult.table`)."""
        return self._blank(super().table(level), self.base, level)

    def operator_table(self, level: str) -> pd.DataFrame:
        """The same per (unit of ``level``, operator)."""
        return self._blank(super().operator_table(level), self.base_operator, level,
                           by=("operator",))

    def summary(self, lang: str = "en") -> str:
        """The summary of :class:`~geocov.CoverageResult` in ``lang`` ("en", "vi"), then
        the units it is on and how it got there.

        Examples
        --------
        >>> import geocov
        >>> r = geocov.run_analysis(geocov.sample_paths()["analysis"])
        >>> new = r.units.assign(commune_code=r.units["commune_code"] + "n")
        >>> r2 = reaggregate(r, new, units_vintage="2025")
        >>> text = r2.summary("vi")
        >>> text[text.index("Đơn vị hành chính"):][:70]
        'Đơn vị hành chính: xã sau sắp xếp ngày 1/7/2025 (34 tỉnh, thành phố; 3'
        >>> text[text.index("), tính"):]
        '), tính chuyển từ đơn vị chưa rõ thời kỳ theo tỷ lệ diện tích.'
        """
        from .vocabulary import label

        finest = self.finest
        how = str(self.metadata.get("reaggregated_how", "area"))
        return (f"{super().summary(lang)} "
                + label("vintage.reaggregated", lang,
                        units=units_vintage_text(self.metadata.get("units_vintage"),
                                                 level=finest, lang=lang),
                        origin=_origin_words(self.metadata.get("reaggregated_from"), lang),
                        how=label(f"vintage.how_{how}", lang)))


def _origin_words(vintage: str | None, lang: str = "en") -> str:
    """The units a result was re-aggregated from, in short ("pre-2025 (63 provinces)
    units", "units of unknown vintage")."""
    from .vocabulary import label

    key = {v: k for k, v in VINTAGES.items()}.get(str(vintage)) if vintage else None
    if key is not None:
        return label(f"vintage.short_{'new' if key == '2025' else 'old'}", lang)
    if vintage:
        return label("vintage.short_other", lang, text=vintage)
    return label("vintage.short_unknown", lang)


def _check_crosswalk(xw: pd.DataFrame, old_codes: pd.Index, how: str) -> pd.DataFrame:
    need = {"old_code", "new_code", "area_share", "split", f"{how}_share"}
    missing = sorted(need - set(xw.columns))
    if missing:
        raise SchemaError(f"crosswalk lacks column(s) {missing}; make it with "
                          f"geocov.crosswalk(old_units, new_units, ...)")
    absent = sorted(set(old_codes) - set(xw["old_code"].astype(str)))
    if absent:
        raise SchemaError(
            f"the crosswalk does not place {len(absent)} unit(s) of the result: "
            f"{absent[:MAX_LISTED]}. It was made for other units: make it from result.units "
            f"(geocov.crosswalk(result.units, new_units, ...)) or leave crosswalk= out")
    split_rows = xw["split"].fillna(False).astype(bool) & xw["new_code"].notna()
    if xw.loc[split_rows, f"{how}_share"].isna().any():
        fix = {"population": hint("pass population='<raster.tif>' to geocov.crosswalk "
                                  "(or to reaggregate)", "pass --population <raster.tif>"),
               "villages": "pass villages=result.villages to geocov.crosswalk"}.get(how, "")
        raise SchemaError(f"how={how!r} but the crosswalk has no {how}_share for its split "
                          f"units; {fix}")
    return xw


@dataclass
class _Move:
    """Where each old unit's figures go, and what the points of split units say."""

    oi: np.ndarray  # per crosswalk row: old position, new position, shares, split
    nj: np.ndarray
    w_area: np.ndarray
    w_pop: np.ndarray
    split: np.ndarray
    n_new: int
    pop_from_villages: bool
    # villages of split old units: new and old position, people, fiber, coverage per layer
    v_new: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    v_old: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    v_pop: np.ndarray = field(default_factory=lambda: np.zeros(0))
    v_fiber: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    v_bits: dict[tuple[str, str | None], np.ndarray] = field(default_factory=dict)
    # stations in split old units: new position, technology, operator
    s_new: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    s_tech: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))
    s_op: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))
    # per piece of a split old unit: a footprint of (layer, operator) touches it; fiber in it
    piece_hits: dict[tuple[str, str | None], np.ndarray] = field(default_factory=dict)
    piece_fiber: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))


def _place(points: np.ndarray, point_old: np.ndarray, pieces: np.ndarray, piece_old: np.ndarray,
           piece_new: np.ndarray, best_new: np.ndarray) -> np.ndarray:
    """New position of each point of a split old unit: the piece of its own old unit it
    lies in, else that old unit's largest piece (points just outside generalised lines)."""
    out = best_new[point_old].copy()
    if len(points) and len(pieces):
        pi, ki = shapely.STRtree(pieces).query(points, predicate="intersects")
        ok = piece_old[ki] == point_old[pi]
        pi, ki = pi[ok], ki[ok]
        first = ~pd.Series(pi).duplicated().to_numpy()
        out[pi[first]] = piece_new[ki[first]]
    return out


def _prepare_move(result: Any, old_units: gpd.GeoDataFrame, new_sub: gpd.GeoDataFrame,
                  rows: pd.DataFrame, old_pos: pd.Series, how: str) -> _Move:
    from .boundaries import containing_unit
    from .stations import covering_pairs, station_footprints

    oi = rows["_oi"].to_numpy()
    nj = rows["_nj"].to_numpy()
    split = rows["split"].fillna(False).to_numpy(dtype=bool)
    source = str(result.base["population_source"].iloc[0]) if len(result.base) else ""
    mv = _Move(oi=oi, nj=nj, w_area=rows["area_share"].to_numpy(float),
               w_pop=rows[f"{how}_share"].fillna(rows["area_share"]).to_numpy(float),
               split=split, n_new=len(new_sub), pop_from_villages=source.startswith("villages"))
    if not split.any():
        return mv
    ea = _crs.equal_area_crs(old_units)
    wcrs = result.metadata.get("working_crs") or _crs.working_crs(old_units)
    og = np.asarray(old_units.geometry.to_crs(ea).array, dtype=object)
    ng = np.asarray(new_sub.geometry.to_crs(ea).array, dtype=object)
    s_oi, s_nj = oi[split], nj[split]
    pieces = shapely.intersection(og[s_oi], ng[s_nj])
    best = pd.Series(rows["area_share"].to_numpy()).groupby(oi).idxmax()
    best_new = np.full(len(old_units), -1, dtype=np.int64)
    best_new[best.index.to_numpy()] = nj[best.to_numpy()]
    split_old = np.zeros(len(old_units), dtype=bool)
    split_old[s_oi] = True
    stations = result.stations
    ops = [None, *getattr(result, "operators", ())]
    layer_keys = [(layer, op) for layer in LAYERS for op in ops]
    # villages of split old units: where they lie, and their coverage (exact, again)
    vil = result.villages
    if vil is not None and len(vil):
        vold = old_pos.reindex(codes_as_text(vil["unit_code"]).astype(str)).to_numpy()
        vold = np.where(np.isnan(vold), -1, vold).astype(np.int64)
        sel = np.flatnonzero((vold >= 0) & split_old[np.maximum(vold, 0)])
        pts = shapely.point_on_surface(np.asarray(vil.geometry.to_crs(ea).array,
                                                  dtype=object)[sel])
        mv.v_old = vold[sel]
        mv.v_new = _place(pts, mv.v_old, pieces, s_oi, s_nj, best_new)
        mv.v_pop = vil["population"].to_numpy(dtype=float, na_value=np.nan)[sel]
        mv.v_fiber = (vil["fiber"].to_numpy(dtype=bool)[sel] if "fiber" in vil
                      else np.zeros(len(sel), dtype=bool))
        for key in layer_keys:
            mv.v_bits[key] = np.zeros(len(sel), dtype=bool)
        if stations is not None and len(stations) and len(sel):
            vxy = shapely.get_coordinates(shapely.point_on_surface(
                np.asarray(vil.geometry.to_crs(wcrs).array, dtype=object)[sel]))
            sxy = shapely.get_coordinates(np.asarray(stations.geometry.to_crs(wcrs).array,
                                                     dtype=object))
            pi, si = covering_pairs(vxy, sxy, stations["range_m"].to_numpy(float),
                                    stations["azimuth_deg"].to_numpy(float),
                                    stations["beamwidth_deg"].to_numpy(float))
            tech = stations["technology"].to_numpy(dtype=object)[si]
            sop = stations["operator"].to_numpy(dtype=object)[si]
            for layer, op in layer_keys:
                hit = np.isin(tech, LAYERS[layer]) & ((sop == op) if op is not None else True)
                mv.v_bits[(layer, op)][pi[hit]] = True
    # stations in split old units (the unit coverage counted them in) and where they go
    if stations is not None and len(stations):
        spts = np.asarray(stations.geometry.to_crs(ea).array, dtype=object)
        inside = stations["inside"].to_numpy(dtype=bool) if "inside" in stations else \
            np.ones(len(stations), dtype=bool)
        sold = containing_unit(spts, og, old_units[code_column(result.finest)]
                               .astype(str).to_numpy())
        sel = np.flatnonzero(inside & (sold >= 0) & split_old[np.maximum(sold, 0)])
        mv.s_new = _place(spts[sel], sold[sel], pieces, s_oi, s_nj, best_new)
        mv.s_tech = stations["technology"].to_numpy(dtype=object)[sel]
        mv.s_op = stations["operator"].to_numpy(dtype=object)[sel]
        # which pieces a footprint of each layer touches (the exact "has T" test)
        fp = station_footprints(stations, crs=wcrs)
        fp_geoms = np.asarray(fp.geometry.array, dtype=object)
        pw = np.asarray(gpd.GeoSeries(pieces, crs=ea).to_crs(wcrs).array, dtype=object)
        ki, fi = shapely.STRtree(fp_geoms).query(pw, predicate="intersects")
        tech = fp["technology"].to_numpy(dtype=object)[fi]
        fop = fp["operator"].to_numpy(dtype=object)[fi]
        for layer, op in layer_keys:
            hit = np.isin(tech, LAYERS[layer]) & ((fop == op) if op is not None else True)
            mv.piece_hits[(layer, op)] = np.bincount(ki[hit], minlength=len(pieces)) > 0
    # fiber in a piece: a village with fiber there, or a node/route crossing it
    pf = np.zeros(len(pieces), dtype=bool)
    if len(mv.v_new):
        piece_of = pd.Series(np.arange(len(pieces)),
                             index=pd.MultiIndex.from_arrays([s_oi, s_nj]))
        k = piece_of.reindex(pd.MultiIndex.from_arrays([mv.v_old, mv.v_new])).to_numpy()
        ok = ~np.isnan(k) & mv.v_fiber
        pf[k[ok].astype(np.int64)] = True
    if result.fiber is not None and len(result.fiber):
        fg = np.asarray(result.fiber.geometry.to_crs(ea).array, dtype=object)
        ki, _ = shapely.STRtree(fg).query(pieces, predicate="intersects")
        pf[ki] = True
    mv.piece_fiber = pf
    return mv


def _move_frame(old: pd.DataFrame, mv: _Move, old_finest: str, new_finest: str,
                op: str | None) -> tuple[dict[str, np.ndarray], list[str]]:
    """The moved numerator and denominator columns of one old base frame."""
    oi, nj, n = mv.oi, mv.nj, mv.n_new
    whole = (~mv.split).astype(float)
    vsel = len(mv.v_new) > 0
    ssel = len(mv.s_new) > 0

    def move(col: str, w: np.ndarray) -> np.ndarray:
        v = old[col].to_numpy(dtype=float, na_value=np.nan)[oi]
        return np.bincount(nj, weights=np.where(w == 0, 0.0, v * w), minlength=n)

    def points(new: np.ndarray, weights: np.ndarray) -> np.ndarray:
        return np.bincount(new, weights=weights.astype(float), minlength=n)

    def flag(col: str, key: tuple[str, str | None] | None) -> np.ndarray:
        f = old[col].to_numpy(dtype=float, na_value=np.nan)[oi]
        c = f.copy()
        s = np.flatnonzero(mv.split)
        if key is not None:  # a layer: the footprints' exact test on the piece
            hits = mv.piece_hits.get(key)
            c[s] = np.where(f[s] == 0, 0.0, hits.astype(float) if hits is not None else 0.0)
        else:  # fiber: evidence in the piece, else not assessable
            pf = mv.piece_fiber if len(mv.piece_fiber) == len(s) else np.zeros(len(s), bool)
            c[s] = np.where(f[s] == 1, np.where(pf, 1.0, np.nan), f[s])
        any1 = np.bincount(nj, weights=(c == 1).astype(float), minlength=n) > 0
        anynan = np.bincount(nj, weights=np.isnan(c).astype(float), minlength=n) > 0
        return np.where(any1, 1.0, np.where(anynan, np.nan, 0.0))

    out: dict[str, np.ndarray] = {}
    unknown: list[str] = []
    old_n, new_n = units_column(old_finest), units_column(new_finest)
    for col in old.columns:
        if col.endswith(("_code", "_name")) or col in ("population_source", "operator"):
            continue
        if col == "area_km2" or col.startswith("covered_area_km2_"):
            out[col] = move(col, mv.w_area)
        elif col == "population" or col.startswith("population_covered_"):
            if mv.pop_from_villages and vsel:
                layer = col[len("population_covered_"):] if col != "population" else None
                w = mv.v_pop if layer is None else mv.v_pop * mv.v_bits[(layer, op)]
                out[col] = move(col, whole) + points(mv.v_new, np.nan_to_num(w))
            else:
                out[col] = move(col, mv.w_pop)
        elif col in ("villages", "villages_fiber") or col.startswith("villages_covered_"):
            if not vsel:
                out[col] = move(col, mv.w_pop if mv.split.any() else whole)
                continue
            if col == "villages":
                extra = np.ones(len(mv.v_new))
            elif col == "villages_fiber":
                known = ~np.isnan(old[col].to_numpy(dtype=float, na_value=np.nan)[mv.v_old])
                extra = np.where(known, mv.v_fiber.astype(float), np.nan)
            else:
                extra = mv.v_bits[(col[len("villages_covered_"):], op)].astype(float)
            out[col] = move(col, whole) + points(mv.v_new, extra)
        elif col.startswith("stations_outside_"):
            total = np.nansum(old[col].to_numpy(dtype=float, na_value=np.nan))
            out[col] = np.r_[total, np.zeros(max(n - 1, 0))][:n]
        elif col.startswith("stations_"):
            layer = col[len("stations_"):]
            extra = np.zeros(n)
            if ssel and layer in LAYERS:
                hit = np.isin(mv.s_tech, LAYERS[layer])
                if op is not None:
                    hit &= mv.s_op == op
                extra = points(mv.s_new, hit)
            out[col] = move(col, whole) + extra
        elif col == old_n:
            out[new_n] = np.ones(n)
        elif col == f"{old_n}_with_fiber":
            out[f"{new_n}_with_fiber"] = flag(col, None)
        elif col.startswith(f"{old_n}_with_"):
            layer = col[len(f"{old_n}_with_"):]
            layer = "any" if layer == "signal" else layer
            out[units_with_column(new_finest, layer)] = flag(col, (layer, op))
        else:
            unknown.append(col)
            out[col] = np.full(n, np.nan)
    return out, unknown


def _new_frame(new_sub: gpd.GeoDataFrame, levels: Sequence[str], moved: Mapping[str, Any],
               source: str) -> pd.DataFrame:
    data: dict[str, Any] = {}
    for lv in levels:
        data[code_column(lv)] = new_sub[code_column(lv)].astype(str).to_numpy()
        data[name_column(lv)] = new_sub[name_column(lv)].astype(str).to_numpy()
    data.update(moved)
    data["population_source"] = source
    return pd.DataFrame(data)


def reaggregate(
    result: CoverageResult,
    new_units: gpd.GeoDataFrame,
    how: Literal["area", "population", "villages"] = "area",
    crosswalk: pd.DataFrame | None = None,
    *,
    population: str | Path | None = None,
    code_list: str | Path | pd.DataFrame | None = None,
    sliver_pct: float = SLIVER_PCT,
    units_vintage: str | None = None,
) -> ReaggregatedResult:
    """Move a coverage result to other units (e.g. pre-2025 communes -> 2025 communes).

    Every numerator and denominator of the result's finest-level table goes to the new
    units along ``crosswalk`` (made with :func:`crosswalk` when not given); every
    percentage is recomputed from the moved sums, never averaged. Old units merged
    whole move exactly; for split ones see the table in :mod:`geocov.crosswalk`:
    area by area shares, population by the shares of ``how``, villages and stations
    exactly by their own points, "units with T" exactly by the result's footprints,
    "units with fiber" where the evidence allows (else empty: not assessable).

    **Compute afresh when you can.** With the inputs at hand, ``geocov.coverage`` on the
    new units (or the analysis file with ``[units]`` pointing at them) is exact for every
    figure; re-aggregation is for a result whose inputs are gone, or to compare years
    on the same units. The model note says that this is a re-aggregation, how, and
    which units lie partly outside the old study area.

    Parameters
    ----------
    result : CoverageResult
        From :func:`geocov.coverage` / :func:`geocov.run_analysis`.
    new_units : GeoDataFrame
        The units to move to (:func:`geocov.read_units`), e.g. the 2025 communes with
        ``levels={"province": ..., "commune": ...}``. Only those that receive part of
        the result appear.
    how : {"area", "population", "villages"}
        Shares for the population figures of split old units: area (even density),
        people of a ``population`` raster in each piece, or the result's villages'
        people in each piece.
    crosswalk : DataFrame, optional
        From :func:`crosswalk` (``result.units`` -> ``new_units``).
    population : path, optional
        Population raster for ``how="population"`` (when ``crosswalk`` is not given).
    code_list : path or DataFrame, optional
        The official merge list (:func:`read_merges`), when ``crosswalk`` is not given.
    sliver_pct : float, default :data:`SLIVER_PCT`
        As in :func:`crosswalk`.
    units_vintage : str, optional
        Vintage of ``new_units`` ("2025", "pre-2025" or any text); default detected
        (:func:`units_vintage`). It goes into the title, the model note and
        ``metadata["units_vintage"]``.

    Returns
    -------
    ReaggregatedResult

    Warns
    -----
    DataQualityWarning
        New units only partly inside the old study area (their figures hold only that
        part); old units in no new unit (their figures are left out, with the amounts);
        and those of :func:`crosswalk`.

    Examples
    --------
    Two old communes merged into one new one; a station covers one of them:

    >>> import geopandas as gpd, pandas as pd, geocov
    >>> from shapely import box
    >>> old = gpd.GeoDataFrame({"province_code": ["P"] * 2, "province_name": ["P"] * 2,
    ...     "district_code": ["D"] * 2, "district_name": ["D"] * 2,
    ...     "commune_code": ["a", "b"], "commune_name": ["A", "B"]}, crs=32648,
    ...     geometry=[box(5e5, 2.4e6, 501e3, 2401e3), box(501e3, 2.4e6, 502e3, 2401e3)])
    >>> st = gpd.GeoDataFrame({"station_id": ["s"], "technology": ["4G"], "operator": ["X"],
    ...     "range_m": [300.0], "azimuth_deg": [float("nan")], "beamwidth_deg": [float("nan")]},
    ...     geometry=gpd.points_from_xy([500500], [2400500]), crs=32648)
    >>> r = geocov.coverage(old, stations=st, resolution_m=10)
    >>> new = gpd.GeoDataFrame({"province_code": ["15"], "province_name": ["Lào Cai"],
    ...     "commune_code": ["X"], "commune_name": ["X"]}, crs=32648,
    ...     geometry=[box(5e5, 2.4e6, 502e3, 2401e3)])
    >>> r2 = reaggregate(r, new, units_vintage="2025")
    >>> t = r2.table("commune")
    >>> int(t["communes"].iloc[0]), int(t["communes_with_4g"].iloc[0])
    (1, 1)
    >>> round(float(t["area_pct_4g"].iloc[0]), 1)  # 0.28 of 2 km² (a 300 m disc)
    14.1
    >>> r2.metadata["units_vintage"]
    '2025 (34 provinces)'
    """
    for attr in ("base", "base_operator", "units", "finest", "levels", "metadata"):
        if not hasattr(result, attr):
            raise SchemaError("reaggregate needs a geocov.CoverageResult (from geocov.coverage "
                              "or geocov.run_analysis)")
    _check_how(how)
    new_levels, new_finest = _check_units(new_units, "new_units")
    if how == "villages" and result.villages is None:
        raise SchemaError("how='villages' needs the result's villages, and this result has "
                          "none; use how='area' or how='population'")
    old_units = result.units.reset_index(drop=True)
    old_finest = result.finest
    base = result.base.reset_index(drop=True)
    old_codes = pd.Index(base[code_column(old_finest)].astype(str))
    if crosswalk is None:
        xw = _crosswalk(old_units, new_units, code_list=code_list, how=how,
                        population=population,
                        villages=result.villages if how == "villages" else None,
                        sliver_pct=sliver_pct)
    else:
        xw = _check_crosswalk(crosswalk, old_codes, how)
    old_pos = pd.Series(np.arange(len(old_codes)), index=old_codes)
    new_units = new_units.reset_index(drop=True)
    xw_codes = xw["old_code"].astype(str)
    used = xw[xw["new_code"].notna() & xw_codes.isin(old_codes)].copy()
    new_codes = new_units[code_column(new_finest)].astype(str)
    new_sub = new_units[new_codes.isin(set(used["new_code"].astype(str)))].reset_index(drop=True)
    new_pos = pd.Series(np.arange(len(new_sub)),
                        index=new_sub[code_column(new_finest)].astype(str).to_numpy())
    used["_oi"] = old_pos.reindex(used["old_code"].astype(str)).to_numpy()
    used["_nj"] = new_pos.reindex(used["new_code"].astype(str)).to_numpy()
    lost = xw[xw["new_code"].isna() & xw_codes.isin(old_codes)]
    if len(lost):
        lb = base[base[code_column(old_finest)].astype(str).isin(set(lost["old_code"]))]
        warnings.warn(DataQualityWarning.of(
            "xw_left_out", n=len(lost), units=level_words(old_finest, plural=True),
            km2=float(lb["area_km2"].sum()), villages=float(lb["villages"].sum()),
            people=float(lb["population"].sum()),
            codes=", ".join(lost["old_code"].astype(str).head(MAX_LISTED))),
            stacklevel=_caller())

    mv = _prepare_move(result, old_units, new_sub, used, old_pos, how)
    source = str(base["population_source"].iloc[0]) if len(base) else "none"
    moved, unknown = _move_frame(base, mv, old_finest, new_finest, None)
    new_base = _new_frame(new_sub, new_levels, moved, source)
    frames = []
    bo = result.base_operator
    for op in getattr(result, "operators", ()):  # a loop over operators, not rows
        sub = bo[bo["operator"] == op].drop_duplicates(code_column(old_finest))
        sub = sub.set_index(sub[code_column(old_finest)].astype(str)).reindex(old_codes)
        sub = sub.reset_index(drop=True)
        m, _ = _move_frame(sub, mv, old_finest, new_finest, op)
        frames.append(_new_frame(new_sub, new_levels, m, source).assign(operator=op))
    new_op = (pd.concat(frames, ignore_index=True) if frames
              else new_base.iloc[:0].assign(operator=pd.Series(dtype=str)))
    unassessed = tuple(c for c in new_base.columns if c.endswith("_with_fiber"))

    villages = None
    if result.villages is not None:
        villages = result.villages.copy()
        first = used.sort_values("area_share", ascending=False).drop_duplicates("_oi")
        target = pd.Series(first["_nj"].to_numpy(), index=first["_oi"].to_numpy())
        vold = old_pos.reindex(codes_as_text(villages["unit_code"]).astype(str)).to_numpy()
        vnew = target.reindex(vold).to_numpy(dtype=float).copy()
        if len(mv.v_new):
            sel = np.flatnonzero(~np.isnan(vold) & np.isin(vold, mv.oi[mv.split]))
            vnew[sel] = mv.v_new
        nc = new_sub[code_column(new_finest)].astype(str).to_numpy()
        ok = ~np.isnan(vnew)
        codes = np.full(len(villages), None, dtype=object)
        codes[ok] = nc[vnew[ok].astype(np.int64)]
        villages["unit_code"] = codes

    # ---- words: vintage, what was done, partial new units
    old_vintage = result.metadata.get("units_vintage") or _vintage_of(old_units)
    new_vintage = _vintage_of(new_units, units_vintage)
    per_new = used.drop_duplicates("new_code")
    partial = per_new[per_new["new_covered_pct"] < PARTIAL_PCT] if "new_covered_pct" in per_new \
        else per_new.iloc[:0]
    if len(partial):
        words = (partial["new_name"].astype(str) + " (" + partial["new_code"].astype(str) + ", "
                 + partial["new_covered_pct"].round(0).astype(int).astype(str) + "%)")
        warnings.warn(DataQualityWarning.of(
            "xw_partial", n=len(partial), units=level_words(new_finest, plural=True),
            **_listing(words, len(words))), stacklevel=_caller())
    n_split = int(used.loc[used["split"].astype(bool), "old_code"].nunique())
    n_old = int(used["old_code"].nunique())
    units_note = (f"{units_vintage_text(new_vintage, level=new_finest)}, re-aggregated from "
                  f"the result on {_origin_words(old_vintage)} (not computed afresh)")
    old_model = str(result.metadata.get("model", ""))
    if result.metadata.get("units_vintage_note"):  # the old units' sentence: not theirs now
        old_model = old_model.replace(str(result.metadata["units_vintage_note"]), "").strip()
    note = (
        f"{units_note}. {n_old - n_split:,} of {n_old:,} old {units_column(old_finest)} went whole "
        f"to one new {new_finest} (their figures are exact sums); {n_split:,} were split "
        f"(area figures by area shares, population figures by {how} shares"
        + (" (villages' own points)" if mv.pop_from_villages else "")
        + "; villages, stations and units with signal exactly from the points and footprints;"
        f" units with fiber left empty where no evidence places it). Crosswalk: "
        f"{crosswalk_summary(xw)} Computing afresh on the new units is exact for every "
        f"figure: prefer it when the inputs are at hand."
        + (f" Not moved (unknown columns, left empty): {', '.join(unknown)}." if unknown else "")
        + (f" {len(partial)} new unit(s) lie partly outside the old study area: their figures "
           f"hold only that part." if len(partial) else "")
    )
    meta = dict(result.metadata)
    meta.update(
        title=f"{result.metadata.get('title') or 'Coverage'} "
              f"({new_vintage or 'unknown vintage'} units)",
        units_vintage=new_vintage,
        units_vintage_evidence=("given" if units_vintage is not None
                                else new_units.attrs.get("geocov_units_vintage_evidence")),
        units_vintage_note=units_note + ".",
        reaggregated_from=old_vintage,
        reaggregated_how=how,
        model=f"{note} {old_model}".strip(),
        crosswalk=crosswalk_summary(xw),
        partial_units=partial["new_code"].astype(str).tolist(),
    )
    kwargs = {f.name: getattr(result, f.name) for f in fields(CoverageResult)
              if f.init and f.name != "_cache"}
    kwargs.update(levels=(*new_levels, TOTAL), finest=new_finest, base=new_base,
                  base_operator=new_op, units=new_sub, villages=villages, metadata=meta,
                  timings={})
    return ReaggregatedResult(**kwargs, crosswalk=xw, unassessed=unassessed)
