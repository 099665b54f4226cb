"""Reconciliation: officially reported figures set beside geocov's, with a reading.

A province's statements quote figures nobody can trace ("4G in 1,542/1,569 villages").
The user writes them in a small table, one figure a row::

    unit,metric,value,date,source
    Lào Cai,villages with fiber,"1,024/1,569",2020-12-31,provincial report
    Lào Cai,thôn có 4G,1.542/1.569,2020-12-31,báo cáo tỉnh
    Lào Cai,trạm BTS 4G,298,2020-12-31,báo cáo tỉnh

and :func:`reconcile` sets geocov's figure for the same unit and metric beside each one:
geocov's value, the difference, and a plain-language reading that names the likely
cause from the data (the station counts by technology against the report's, the radius
model, missing fiber data, a village list of another length, another date, units of
another vintage).

The table
---------
Columns (headers compared folded: case, spaces, diacritics ignored): ``unit`` (or
``don_vi``, ``dia_ban``; required unless ``code`` is given), ``code`` (``ma``), ``level``
(``cap``: province/tỉnh, district/huyện, commune/xã, or total), ``parent`` (``thuoc``),
``metric`` (``chi_tieu``), ``value`` (``gia_tri``, ``so_lieu``), ``date`` (``ngay``) and
``source`` (``nguon``).

* **Values**: a share ``num/den`` ("1,024/1,569", vi-VN "1.024/1.569"), a percentage
  ("98.3%", "98,3 %"), or a number ("298", "1.000" = one thousand stations). Groups of
  three digits are thousands in whole numbers; a decimal mark is read from the value's
  own evidence (98,3 %) or the table's.
* **Units** are matched by code, else by name, with or without diacritics and type words
  ("Xã", "Phường", "Thị trấn", "Huyện", "Quận", "Thị xã", "TP.", "Thành phố", "Tỉnh"):
  a type word or a ``level`` says which level; a bracket or ``parent`` names the parent
  ("Thanh Bình (huyện Mường Khương)"). A name found at several levels without a type word
  is taken at the coarsest and the reading says so; a name found several times at one
  level is *not* guessed: the row says which units it could be.
* **Metrics** are the words of :data:`METRICS` (English and Vietnamese; also with
  "number of", "share of", "%", "số", "tỷ lệ" before them): see
  :func:`metric_vocabulary`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import SchemaError, hint
from .io import (
    RejectsReport,
    codes_as_text,
    count_rows_read,
    fold_text,
    frame_from_source,
    reject_rows,
    resolve_columns,
)
from .locale import LANGUAGES
from .names import name_key_variants, name_keys, type_word_levels, type_words
from .vocabulary import (
    LAYERS,
    TOTAL,
    code_column,
    covered_column,
    name_column,
    result_levels,
    stations_column,
    units_column,
)

__all__ = ["Metric", "METRICS", "metric_vocabulary", "parse_official_value", "read_official",
           "reconcile", "Reconciliation"]

# --------------------------------------------------------------------------- metrics
_LAYER_WORDS: dict[str, tuple[str, str]] = {  # layer -> (English, Vietnamese)
    "2g": ("2G", "2G"), "3g": ("3G", "3G"), "4g": ("4G", "4G"), "5g": ("5G", "5G"),
    "3g_plus": ("3G or better", "3G trở lên"), "4g_plus": ("4G or better", "4G trở lên"),
    "any": ("signal", "sóng"),
}


@dataclass(frozen=True)
class Metric:
    """A figure an official table may quote, and where geocov keeps it.

    ``numerator`` and ``denominator`` are columns of a coverage table; ``{units}`` stands
    for the finest level's plural (``communes``). ``kind`` is ``"share"`` (a numerator of
    a denominator: "1,024/1,569" or a percentage), ``"count"`` or ``"quantity"`` (people,
    km²). ``measure`` says what it counts: villages, population, area, units, stations.
    """

    key: str
    label: str
    label_vi: str
    numerator: str
    denominator: str | None
    kind: str
    measure: str
    layer: str | None
    aliases: tuple[str, ...] = ()

    def columns(self, finest: str) -> tuple[str, str | None]:
        units = units_column(finest)
        den = self.denominator.format(units=units) if self.denominator else None
        return self.numerator.format(units=units), den


def _metrics() -> dict[str, Metric]:
    out: dict[str, Metric] = {}

    def add(m: Metric) -> None:
        out[m.key] = m

    for layer, (en, vi) in _LAYER_WORDS.items():
        sig = layer == "any"
        tech = "" if sig else f" {vi}"
        add(Metric(
            f"villages_{layer}", f"villages with {en}", f"thôn có {vi}",
            covered_column("villages", layer), "villages", "share", "villages", layer,
            (f"villages covered by {en}", f"villages with {en} coverage", f"hamlets with {en}",
             f"thôn có sóng{tech}", f"thôn bản có {vi}", f"thôn bản có sóng{tech}",
             f"thôn được phủ sóng{tech}", f"thôn có phủ sóng{tech}")
            + (("villages with mobile signal", "villages covered", "thôn có sóng di động",
                "thôn bản có sóng di động") if sig else ()),
        ))
        add(Metric(
            f"units_{layer}", f"communes with {en}", f"xã có {vi}",
            "{units}_with_" + ("signal" if sig else layer), "{units}", "share", "units", layer,
            (f"communes covered by {en}", f"units with {en}", f"wards with {en}",
             f"xã có sóng{tech}", f"xã được phủ sóng{tech}", f"xã phường có {vi}",
             f"xã phường có sóng{tech}")
            + (("communes with mobile signal", "xã có sóng di động") if sig else ()),
        ))
        add(Metric(
            f"population_{layer}", f"population covered by {en}",
            f"dân số được phủ sóng{tech}", covered_column("population", layer), "population",
            "share", "population", layer,
            (f"people covered by {en}", f"population with {en}", f"dân số có sóng{tech}",
             f"dân số phủ sóng{tech}", f"người dân được phủ sóng{tech}")
            + (("population covered", "people covered") if sig else ()),
        ))
        add(Metric(
            f"area_{layer}", f"area covered by {en}", f"diện tích phủ sóng{tech}",
            covered_column("area", layer), "area_km2", "share", "area", layer,
            (f"area with {en}", f"diện tích được phủ sóng{tech}", f"diện tích có sóng{tech}")
            + (("area covered",) if sig else ()),
        ))
        st_en = "base stations" if sig else f"base stations {en}"
        st_vi = "trạm BTS" if sig else f"trạm BTS {vi}"
        add(Metric(
            f"stations_{layer}", st_en, st_vi, stations_column(layer), None, "count",
            "stations", layer,
            (("stations", "sites", "BTS", "trạm phát sóng", "số trạm BTS", "trạm")
             if sig else (f"{en} base stations", f"{en} stations", f"{en} sites", f"BTS {en}",
                          f"trạm {vi}", f"trạm phát sóng {vi}", f"{en} BTS")),
        ))
    add(Metric("villages_fiber", "villages with fiber", "thôn có cáp quang", "villages_fiber",
               "villages", "share", "villages", "fiber",
               ("villages with fibre", "villages connected to fiber", "hamlets with fiber",
                "thôn bản có cáp quang", "thôn có cáp quang đến thôn", "thôn được kéo cáp quang",
                "thôn có đường truyền cáp quang")))
    add(Metric("units_fiber", "communes with fiber", "xã có cáp quang", "{units}_with_fiber",
               "{units}", "share", "units", "fiber",
               ("communes with fibre", "communes connected to fiber", "units with fiber",
                "xã có cáp quang đến trung tâm xã", "xã phường có cáp quang")))
    add(Metric("villages", "villages", "thôn", "villages", None, "count", "villages", None,
               ("hamlets", "thôn bản", "số thôn bản")))
    add(Metric("units", "communes", "xã", "{units}", None, "count", "units", None,
               ("units", "wards", "xã phường", "đơn vị hành chính cấp xã")))
    add(Metric("population", "population", "dân số", "population", None, "quantity",
               "population", None, ("people", "inhabitants", "số dân")))
    add(Metric("area", "area", "diện tích", "area_km2", None, "quantity", "area", None,
               ("area km2", "area (km²)", "diện tích km2", "diện tích tự nhiên")))
    return out


#: Every metric an official table may name, by key (see :func:`metric_vocabulary`).
METRICS: dict[str, Metric] = _metrics()
_PREFIX = re.compile(r"^\s*(?:number of|share of|percentage of|percent of|%|tổng số|số lượng|"
                     r"số|tỷ lệ|tỉ lệ|ty le|so luong|tong so|so)\s+", re.IGNORECASE)


def _metric_key(text: str) -> str:
    return fold_text(_PREFIX.sub("", str(text).strip().lower()))


def _metric_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for m in METRICS.values():
        for word in (m.label, m.label_vi, m.key, *m.aliases):
            key = _metric_key(word)
            if index.get(key, m.key) != m.key:  # pragma: no cover - checked by a test
                raise AssertionError(f"metric word {word!r} names {index[key]} and {m.key}")
            index[key] = m.key
    return index


_METRIC_INDEX = _metric_index()


def metric_vocabulary() -> pd.DataFrame:
    """The metrics an official table may name: key, English and Vietnamese words, aliases.

    Examples
    --------
    >>> v = metric_vocabulary().set_index("key")
    >>> v.loc["villages_4g", ["label", "label_vi"]].tolist()
    ['villages with 4G', 'thôn có 4G']
    >>> v.loc["stations_4g", "label_vi"], v.loc["villages_fiber", "label_vi"]
    ('trạm BTS 4G', 'thôn có cáp quang')
    """
    return pd.DataFrame({
        "key": [m.key for m in METRICS.values()],
        "label": [m.label for m in METRICS.values()],
        "label_vi": [m.label_vi for m in METRICS.values()],
        "kind": [m.kind for m in METRICS.values()],
        "aliases": ["; ".join(m.aliases) for m in METRICS.values()],
    })


# --------------------------------------------------------------------------- values
_GROUPED = re.compile(r"^\d{1,3}(?:([.,\s\u00a0])\d{3})(?:\1\d{3})*$")  # 1,024  1.024  1 024
_WHOLE = re.compile(r"^\d+$")
_DECIMAL = re.compile(r"^\d*[.,]\d+$")


def _whole(text: str) -> float | None:
    t = text.strip()
    if _WHOLE.match(t):
        return float(t)
    if _GROUPED.match(t):
        return float(re.sub(r"[.,\s\u00a0]", "", t))
    return None


def _number(text: str, decimal: str | None, whole: bool) -> float | None:
    """A number written with thousands groups and/or one decimal mark."""
    t = text.strip().replace("\u00a0", " ")
    w = _whole(t)
    if w is not None and (whole or decimal is None or not re.search(rf"\{decimal}\d{{3}}$", t)
                          or (decimal and t.count(decimal) > 1)):
        return w
    t = t.replace(" ", "")
    if "," in t and "." in t:  # the last mark is the decimal one
        dec = "," if t.rfind(",") > t.rfind(".") else "."
    elif decimal is not None:
        dec = decimal
    else:
        dec = "," if "," in t else "."
    grp = "." if dec == "," else ","
    t = t.replace(grp, "").replace(dec, ".")
    try:
        return float(t)
    except ValueError:
        return None


def parse_official_value(text: Any, *, decimal: str | None = None,
                         whole: bool = False) -> tuple[float, float, float]:
    """``(numerator, denominator, percent)`` of an official figure; NaN where not given.

    A share ``num/den`` gives all three (whole numbers, groups of three digits are
    thousands: "1,024/1,569" and "1.024/1.569" alike); a percentage gives the percent; a
    number gives the numerator (``whole``: groups of three digits are thousands, as in
    "1.000" stations; else ``decimal`` says the mark, or the number's own evidence).

    Raises
    ------
    ValueError
        The text is none of these, a share's parts are not whole numbers, its numerator
        exceeds its denominator, or a percentage is not within 0-100.

    Examples
    --------
    >>> num, den, pct = parse_official_value("1.024/1.569")
    >>> num, den, round(pct, 2)
    (1024.0, 1569.0, 65.26)
    >>> parse_official_value("98,3 %"), parse_official_value("1.000", whole=True)[0]
    ((nan, nan, 98.3), 1000.0)
    """
    nan = float("nan")
    if isinstance(text, (int, float, np.integer, np.floating)) and not isinstance(text, bool):
        if not np.isfinite(text):
            raise ValueError("the value is empty")
        return float(text), nan, nan
    t = str(text).strip() if text is not None else ""
    if not t:
        raise ValueError("the value is empty")
    if "/" in t:
        parts = t.split("/")
        if len(parts) != 2:
            raise ValueError("a share is written num/den, e.g. 1,024/1,569")
        num, den = (_whole(p) for p in parts)
        if num is None or den is None:
            raise ValueError("a share takes whole numbers, e.g. 1,024/1,569 or 1.024/1.569")
        if den <= 0 or num > den:
            raise ValueError("a share's numerator must lie between 0 and its denominator")
        return num, den, 100.0 * num / den
    if t.endswith("%"):
        p = _number(t[:-1], decimal, whole=False)
        if p is None:
            raise ValueError("not a percentage")
        if not 0 <= p <= 100:
            raise ValueError("a percentage lies within 0-100")
        return nan, nan, p
    v = _number(t, decimal, whole)
    if v is None:
        raise ValueError("not a number, a percentage or a share num/den")
    return v, nan, nan


def _table_decimal(values: pd.Series) -> str | None:
    """The decimal mark the table's own values prove, if any: "98,3%" or "1.024/1.569"
    prove a comma, "98.3%" or "1,024/1,569" a point."""
    t = values.dropna().astype(str).str.strip()
    comma = t.str.contains(r"^\d+,\d{1,2}\s*%?$|^\d{1,3}(?:\.\d{3})+\s*/", regex=True)
    point = t.str.contains(r"^\d+\.\d{1,2}\s*%?$|^\d{1,3}(?:,\d{3})+\s*/", regex=True)
    if comma.any() and not point.any():
        return ","
    if point.any() and not comma.any():
        return "."
    return None


# --------------------------------------------------------------------------- the table
_OFFICIAL_ALIASES: dict[str, list[str]] = {
    "unit": ["don_vi", "ten_don_vi", "dia_ban", "dia_phuong", "name", "ten", "area_name"],
    "code": ["ma", "ma_don_vi", "unit_code", "ma_dia_ban"],
    "level": ["cap", "cap_hanh_chinh"],
    "parent": ["thuoc", "cap_tren", "parent_name"],
    "metric": ["chi_tieu", "indicator", "figure", "noi_dung"],
    "value": ["gia_tri", "so_lieu", "ket_qua", "reported"],
    "date": ["ngay", "thoi_diem", "as_of", "ngay_bao_cao"],
    "source": ["nguon", "nguon_so_lieu", "reference"],
}
_OFFICIAL_COLUMNS = ["unit", "code", "level", "parent", "metric", "value", "date", "source"]
_LEVEL_WORDS = {
    "province": "province", "tinh": "province", "tinhthanhpho": "province",
    "district": "district", "huyen": "district", "quanhuyen": "district",
    "commune": "commune", "xa": "commune", "xaphuong": "commune", "ward": "commune",
    "phuong": "commune", "total": TOTAL, "toanbo": TOTAL, "tong": TOTAL,
}


def read_official(
    source: str | Path | pd.DataFrame,
    *,
    columns: Mapping[str, str] | None = None,
    encoding: str | None = None,
    rejects: RejectsReport | None = None,
) -> pd.DataFrame:
    """Read an official-figures table (see the module) into one row per figure.

    Returns the columns ``unit, code, level, parent, metric, value, date, source`` as
    written (NA where the table has no such column), ``metric_key`` (a key of
    :data:`METRICS`), ``official_num``, ``official_den``, ``official_pct`` (NaN where not
    given), ``source_file`` and ``source_row``.

    Raises
    ------
    SchemaError
        A required column is missing, or (strict mode) rows name a metric that is not in
        the vocabulary, a value that cannot be read, or no unit; each error names the
        file, the rows, the column and the values.

    Examples
    --------
    >>> import pandas as pd
    >>> t = read_official(pd.DataFrame({"Đơn vị": ["Lào Cai"], "Chỉ tiêu": ["Thôn có 4G"],
    ...                                 "Giá trị": ["1.542/1.569"]}))
    >>> t[["unit", "metric_key", "official_num", "official_den"]].values.tolist()
    [['Lào Cai', 'villages_4g', 1542.0, 1569.0]]
    """
    frame = frame_from_source(source, encoding=encoding)
    file = str(frame["source_file"].iloc[0]) if len(frame) else "<official figures>"
    count_rows_read(rejects, frame, "official figures")
    cols = resolve_columns(frame, _OFFICIAL_ALIASES, given=columns, required=["metric", "value"],
                           file=file, option="columns", cli_option="--official-columns")
    if "unit" not in cols and "code" not in cols:
        raise SchemaError(
            f"{file}: no unit column: give the unit's name (one of "
            f"{['unit', *_OFFICIAL_ALIASES['unit']]}) or its code (one of "
            f"{['code', *_OFFICIAL_ALIASES['code']]}). Columns present: "
            f"{[c for c in map(str, frame.columns) if c not in ('source_file', 'source_row')]}")
    out = pd.DataFrame(index=frame.index)
    for key in _OFFICIAL_COLUMNS:
        out[key] = (frame[cols[key]].astype("string").str.strip() if key in cols
                    else pd.Series(pd.NA, index=frame.index, dtype="string"))
    if "code" in cols:
        out["code"] = codes_as_text(frame[cols["code"]]).astype("string")
    keep = np.ones(len(frame), dtype=bool)
    keep &= reject_rows((out["unit"].isna() & out["code"].isna()).to_numpy(), frame,
                        column=cols.get("unit", cols.get("code")), values=out["unit"],
                        reason="no unit given", fix="Write the unit's name or code.",
                        rejects=rejects)
    words = out["metric"].astype(object)
    distinct = {w: _METRIC_INDEX.get(_metric_key(w)) for w in pd.unique(words.dropna())}
    out["metric_key"] = words.map(distinct).astype(object)
    examples = ", ".join(f"'{m.label}' / '{m.label_vi}'" for m in list(METRICS.values())[:4])
    keep &= reject_rows(keep & out["metric_key"].isna().to_numpy(), frame, column=cols["metric"],
                        values=frame[cols["metric"]], reason="metric not in the vocabulary",
                        fix=f"Use a metric of geocov.reconcile.METRICS, e.g. {examples}, "
                            f"'base stations 4G' / 'trạm BTS 4G' (the list: "
                            + hint("geocov.reconcile.metric_vocabulary()",
                                   "geocov reconcile --metrics") + ").",
                        rejects=rejects)
    decimal = _table_decimal(frame[cols["value"]])
    kinds = out["metric_key"].map({k: m.kind for k, m in METRICS.items()})
    parsed = np.full((len(frame), 3), np.nan)
    problems = pd.Series(pd.NA, index=frame.index, dtype=object)
    raw = frame[cols["value"]].to_numpy(dtype=object)
    for i in np.flatnonzero(keep):  # a hand-written table of a few dozen figures
        try:
            parsed[i] = parse_official_value(raw[i], decimal=decimal,
                                             whole=kinds.iloc[i] == "count")
        except ValueError as exc:
            problems.iloc[i] = str(exc)
    bad = problems.notna().to_numpy()
    reasons = problems[bad].unique()
    for reason in reasons:  # one error (or reject) per kind of problem
        keep &= reject_rows(keep & (problems == reason).to_numpy(), frame, column=cols["value"],
                            values=frame[cols["value"]], reason=f"value not read: {reason}",
                            fix="Write a share num/den (1,024/1,569), a percentage (98.3%) "
                                "or a number (298).", rejects=rejects)
    out["official_num"], out["official_den"], out["official_pct"] = parsed.T
    share = kinds.eq("share").to_numpy()
    out.loc[~share, "official_pct"] = np.nan
    out["source_file"] = frame["source_file"].to_numpy()
    out["source_row"] = frame["source_row"].to_numpy()
    return out.loc[keep].reset_index(drop=True)


# --------------------------------------------------------------------------- units
_PAREN = re.compile(r"\s*\(([^)]*)\)?\s*$")
_TOTAL_WORDS = {"total", "toanbo", "tong", "tongcong", "studyarea", "all", "toantinh",
                "cangvung", "toanvung"}


@dataclass
class _Units:
    """Every unit of a result, one row per (level, code), with its names folded."""

    frame: pd.DataFrame
    levels: tuple[str, ...]

    @classmethod
    def of(cls, result: Any) -> _Units:
        levels = tuple(result_levels(result))
        base = result.base
        parts = []
        for i, lv in enumerate(levels):
            cols = [code_column(lv), name_column(lv)]
            anc = [name_column(a) for a in levels[:i]]
            t = base[cols + anc].drop_duplicates(code_column(lv))
            key = name_keys(t[name_column(lv)])
            parents = (pd.Series(np.full(len(t), "", dtype=object), index=t.index) if not anc
                       else pd.concat([name_keys(t[a]).fillna("") for a in anc], axis=1)
                       .agg("|".join, axis=1))
            parts.append(pd.DataFrame({
                "level": lv, "rank": i, "code": t[code_column(lv)].astype(str).to_numpy(),
                "name": t[name_column(lv)].astype(str).to_numpy(),
                "key": key.to_numpy(), "parents": parents.to_numpy(),
                "type": _type_words(t[name_column(lv)]).to_numpy()}))
        frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
            columns=["level", "rank", "code", "name", "key", "parents", "type"])
        frame["plain_code"] = frame["code"].str.lstrip("0")
        return cls(frame, levels)


def _type_words(names: pd.Series) -> pd.Series:
    """The folded type word a name starts with ("TP. Lào Cai" -> "thanhpho"), else ""."""
    return type_words(names, plain_words="always")


def _match_one(unit: Any, code: Any, level: Any, parent: Any, units: _Units
               ) -> tuple[str | None, str | None, str, str]:
    """(level, code, how matched, note) of one official row's unit; level None: none."""
    f = units.frame
    if isinstance(code, str) and code:
        hit = f[(f["code"] == code) | (f["plain_code"] == code.lstrip("0"))]
        if isinstance(level, str) and level:
            hit = hit[hit["level"] == _LEVEL_WORDS.get(fold_text(level), level)]
        if len(hit) == 1:
            return hit["level"].iloc[0], hit["code"].iloc[0], "code", ""
        if len(hit) > 1:
            return None, None, "ambiguous", (
                f"code {code} is a unit of several levels ({', '.join(hit['level'])}): "
                f"add a level column")
    if not isinstance(unit, str) or not unit.strip():
        return None, None, "not found", f"no unit has code {code}"
    if not (isinstance(code, str) and code) and re.fullmatch(r"\d+", unit.strip()):
        return _match_one(None, unit.strip(), level, parent, units)  # a code in the unit column
    text = unit.strip()
    bracket = _PAREN.search(text)
    hint_name = bracket.group(1) if bracket else (parent if isinstance(parent, str) else None)
    text = _PAREN.sub("", text)
    if fold_text(text) in _TOTAL_WORDS or (isinstance(level, str)
                                            and _LEVEL_WORDS.get(fold_text(level)) == TOTAL):
        return TOTAL, TOTAL, "total", ""
    # "Xã Bản Cái", "Xa Ban Cai"; else the whole name ("Quan Ho Than" may be the commune
    # Quan Hồ Thẩn); else without a type word written without diacritics ("Tinh Lào Cai")
    variants = name_key_variants(text)
    key = variants[0] if variants else None
    cand = f.iloc[:0]
    for k in variants:
        cand = f[f["key"] == k]
        if len(cand):
            break
    own = _type_words(pd.Series([text])).iloc[0]
    typed = type_word_levels(own) or None
    if isinstance(level, str) and level:
        wanted = _LEVEL_WORDS.get(fold_text(level), level)
        cand = cand[cand["level"] == wanted]
    elif typed is not None and cand["level"].isin(typed).any():
        cand = cand[cand["level"].isin(typed)]
    if own and len(cand) > 1 and (cand["type"] == own).any():  # "TP. Lào Cai": the city
        cand = cand[cand["type"] == own]
    if hint_name and len(cand) > 1:
        hk = name_keys(pd.Series([hint_name])).iloc[0]
        narrowed = cand[cand["parents"].str.split("|").map(lambda p: hk in p)]
        cand = narrowed if len(narrowed) else cand
    if len(cand) == 0:
        close = difflib.get_close_matches(key or "", f["key"].dropna().unique().tolist(), n=3)
        names = f[f["key"].isin(close)].drop_duplicates("key")["name"].tolist()
        return None, None, "not found", (
            f"no unit named {unit!r}" + (f" (close: {', '.join(names)})" if names else ""))
    if len(cand) == 1:
        return cand["level"].iloc[0], cand["code"].iloc[0], "name", ""
    if cand["level"].nunique() == len(cand):  # one per level: the coarsest, said
        first = cand.sort_values("rank").iloc[0]
        others = cand.sort_values("rank").iloc[1:]
        return first["level"], first["code"], "name (coarsest level)", (
            f"{unit!r} is also " + ", ".join(others["level"] + " " + others["name"] + " ("
                                             + others["code"] + ")")
            + ": taken as the " + first["level"] + "; add a type word (Tỉnh, Huyện, Xã) or a "
            "level column to choose")
    same = cand[cand["rank"] == cand["rank"].min()]
    return None, None, "ambiguous", (
        f"{unit!r} matches {len(same)} {units_column(same['level'].iloc[0])}: "
        + ", ".join(same["name"] + " (" + same["code"] + ")")
        + ": add the code, or the parent in brackets (\"" + text + " (huyện ...)\")")


# --------------------------------------------------------------------------- reading
def _fmt(v: float, decimals: int = 0, lang: str = "en") -> str:
    if lang != "en":
        from .locale import number

        return number(v, lang, digits=decimals)
    return "n/a" if v is None or not np.isfinite(v) else f"{v:,.{decimals}f}"


def _figure(num: float, den: float, pct: float, kind: str, measure: str = "",
            lang: str = "en") -> str:
    """A figure in words, numbers as ``lang`` writes them."""
    if kind == "quantity":
        if measure == "population":
            from .locale import render

            return render("reconcile.people", lang, {"n": _fmt(num, 0, lang)})
        return f"{_fmt(num, 1, lang)} km²" if measure == "area" else _fmt(num, 1, lang)
    if kind == "share":
        if np.isfinite(num) and np.isfinite(den):
            return f"{_fmt(num, 0, lang)}/{_fmt(den, 0, lang)} ({_fmt(pct, 1, lang)}%)"
        if np.isfinite(pct):
            return f"{_fmt(pct, 1, lang)}%"
        return _fmt(num, 0, lang)
    return _fmt(num, 0, lang)


def _radius_words(result: Any, layer: str, lang: str = "en") -> str:
    from .stations import DEFAULT_RADIUS_M

    st = getattr(result, "stations", None)
    techs = LAYERS.get(layer, ())
    if st is None or not len(st):
        return ""
    sel = st[st["technology"].isin(techs)]
    if not len(sel):
        return ""
    parts = []

    def km(m: float) -> str:
        return _g(m / 1000, lang)

    for tech in [t for t in techs if t in set(sel["technology"])]:  # a loop over technologies
        r = sel.loc[sel["technology"] == tech, "range_m"].to_numpy(float)
        default = DEFAULT_RADIUS_M.get(tech)
        if default is not None and np.allclose(r, default):
            parts.append(_say("radius_default", lang, tech=tech, km=km(default)))
        elif np.allclose(r, r[0]):
            parts.append(_say("radius_file", lang, tech=tech, km=km(r[0])))
        else:
            parts.append(_say("radius_range", lang, tech=tech, lo=km(np.nanmin(r)),
                              hi=km(np.nanmax(r)), median=km(np.nanmedian(r))))
    return "; ".join(parts)


def _say(key: str, lang: str, **fields: Any) -> str:
    """The catalogue's ``reconcile.reading.<key>`` in ``lang``, ``fields`` as given."""
    from .vocabulary import label

    return label(f"reconcile.reading.{key}", lang, **fields)


def _g(x: float, lang: str, spec: str = "g") -> str:
    """``x`` as ``format(x, spec)`` writes it, with the decimal mark of ``lang``."""
    from .locale import number_symbols

    text = format(x, spec)
    sym = number_symbols(lang)
    marks: dict[int, str | int | None] = {ord(","): sym["group"], ord("."): sym["decimal"]}
    return text if lang == "en" else text.translate(marks)


def _date(text: Any) -> pd.Timestamp | None:
    if not isinstance(text, str) or not text.strip():
        return None
    t = text.strip()
    try:
        if re.match(r"^\d{4}-\d{1,2}(-\d{1,2})?$", t):
            return pd.Timestamp(t)
        return pd.Timestamp(pd.to_datetime(t, dayfirst=True))
    except (ValueError, TypeError):
        return None


_REFORM = pd.Timestamp("2025-07-01")


@dataclass
class _Context:
    result: Any
    finest: str
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    vintage: str = ""

    def table(self, level: str) -> pd.DataFrame:
        if level not in self.tables:
            t = pd.DataFrame(self.result.table(level))
            t = t.drop(columns=[c for c in ("geometry",) if c in t.columns])
            key = "level" if level == TOTAL else code_column(level)
            self.tables[level] = t.set_index(t[key].astype(str).to_numpy())
        return self.tables[level]


def _reading(row: pd.Series, m: Metric, ctx: _Context, official: pd.DataFrame,
             tolerance: float, lang: str = "en") -> str:
    """Plain words in ``lang``: what each side says, and the likely cause of the
    difference."""
    from .vocabulary import level_label

    def say(key: str, **fields: Any) -> str:
        return _say(key, lang, **fields)

    def fmt(v: float, decimals: int = 0) -> str:
        return _fmt(v, decimals, lang)

    if row["match"] in ("not found", "ambiguous"):
        return say("not_matched", note=row["note"])
    num, den, pct = row["geocov_num"], row["geocov_den"], row["geocov_pct"]
    o_num, o_den = row["official_num"], row["official_den"]
    what = m.label if lang == "en" else m.label_vi
    words = []
    if not np.isfinite(num):
        base = getattr(ctx.result, "base", None)
        has_fiber = base is not None and any(
            c in base.columns and base[c].notna().any()
            for c in ("villages_fiber", f"{units_column(ctx.finest)}_with_fiber"))
        if m.layer == "fiber" and has_fiber:
            return say("fiber_split")
        if m.layer == "fiber":
            return say("no_fiber")
        return say("no_figure")
    if m.kind == "share" and m.measure in ("villages", "population") and not den > 0:
        return say("no_villages" if m.measure == "villages" else "no_population")
    figure = _figure(num, den, pct, m.kind, m.measure, lang)
    said = (say("said_area", figure=figure) if m.key == "area" else
            say("said_population", n=fmt(num)) if m.key == "population" else
            say("said", figure=figure, what=what))
    words.append(say("finds", said=said, official=row["official"]))
    diff, dpp = row["difference"], row["difference_pct_points"]
    agree = ((np.isfinite(dpp) and abs(dpp) <= tolerance)
             or (not np.isfinite(dpp) and np.isfinite(diff)
                 and abs(diff) <= max(1.0, 0.01 * abs(o_num))))
    more = (say("more" if diff > 0 else "fewer", n=fmt(abs(diff))) if np.isfinite(diff)
            else "")
    if agree and np.isfinite(diff) and abs(diff) > max(1.0, 0.01 * abs(o_num)):
        words[-1] += say("shares_agree", diff=more, tolerance=_g(tolerance, lang))
    elif agree:
        words[-1] += (say("agree_within", tolerance=_g(tolerance, lang)) if np.isfinite(dpp)
                      else say("agree"))
    elif np.isfinite(diff):
        words[-1] += (say("differ_points", diff=more, dpp=_g(dpp, lang, "+.1f"))
                      if np.isfinite(dpp) else say("differ", diff=more))
    elif np.isfinite(dpp):
        words[-1] += say("points", dpp=_g(dpp, lang, "+.1f"))
    causes = []
    t = ctx.table(row["level"]).loc[str(row["code"])] if isinstance(row["level"], str) else None
    if m.kind == "share" and np.isfinite(o_den) and np.isfinite(den) and \
            abs(den - o_den) > max(1.0, 0.01 * o_den):
        noun = {"villages": say("noun_villages"),
                "units": (units_column(ctx.finest) if lang == "en" else
                          level_label(ctx.finest, plural=True, lang=lang).lower()),
                "population": say("noun_people"), "area": "km²"}[m.measure]
        why = (say("why_villages") if m.measure == "villages" else
               say("why_population", source=ctx.result.metadata.get("population_source"))
               if m.measure == "population" else "")
        causes.append(say("denominators", den=fmt(den), noun=noun, official_den=fmt(o_den),
                          why=why))
    if m.layer in LAYERS and m.measure in ("villages", "units", "population", "area") and \
            not agree and t is not None:
        col = stations_column(m.layer)
        have = float(t[col]) if col in t.index and pd.notna(t[col]) else 0.0
        rep = official[(official["metric_key"] == f"stations_{m.layer}")
                       & (official["level"].astype(object) == row["level"])
                       & (official["code"].astype(object) == row["code"])]

        def sites(n: float) -> str:
            if m.layer == "any":
                return say("sites", n=fmt(n))
            return say("tech_sites", n=fmt(n), tech=_LAYER_WORDS[str(m.layer)][0])

        radius = _radius_words(ctx.result, m.layer, lang)
        model = say("model_radius", radius=radius) if radius else say("model")
        if len(rep) and np.isfinite(rep["official_num"].iloc[0]):
            r = float(rep["official_num"].iloc[0])
            same = abs(have - r) <= 0.02 * r
            lower = np.isfinite(diff) and diff < 0 or np.isfinite(dpp) and dpp < 0
            gap = sites(abs(have - r))
            if same:
                why = say("same", model=model)
            elif (have < r) == lower:  # fewer sites and less coverage, or more and more
                why = say("missing_part" if have < r else "extra_part", gap=gap, model=model)
            else:
                why = say(f"{'fewer' if have < r else 'more'}_yet_{'less' if lower else 'more'}",
                          gap=gap, model=model)
            causes.append(say("station_count", have=sites(have), report=fmt(r), why=why))
        else:
            causes.append(say("station_count_none", have=sites(have), model=model))
        if m.measure == "units":
            causes.append(say("units_touch", level=(ctx.finest if lang == "en" else level_label(
                ctx.finest, lang=lang).lower()), layer=_LAYER_WORDS[m.layer][lang != "en"]))
    if m.layer == "fiber" and not agree:
        fib = getattr(ctx.result, "fiber", None)
        geo = say("fiber_geo", n=fmt(len(fib))) if fib is not None else say("fiber_lists")
        causes.append(say("fiber_from", geo=geo, then=say(
            "fiber_higher" if np.isfinite(o_num) and o_num > num else "fiber_lower")))
    if m.measure == "stations" and not agree:
        meta = ctx.result.metadata
        extra = []
        if meta.get("stations_excluded"):
            extra.append(say("left_out", n=fmt(meta["stations_excluded"])))
        nc = meta.get("technologies_not_counted") or {}
        if nc:
            extra.append(say("not_counted", items=", ".join(
                f"{fmt(n)} {k}" for k, n in sorted(nc.items()))))
        causes.append(say("stations", extra=say("stations_extra", parts="; ".join(extra))
                          if extra else ""))
    when = _date(row["date"])
    data = _date(str(ctx.result.metadata.get("data_date") or ""))
    if when is not None and data is not None and abs((when - data).days) > 183:
        causes.append(say("dates", when=when.date(), data=data.date()))
    vintage = ctx.vintage
    if when is not None and vintage:
        if when < _REFORM and vintage.startswith("2025"):
            causes.append(say("predates", vintage=vintage))
        elif when >= _REFORM and vintage.startswith("pre-2025"):
            causes.append(say("post_reform", vintage=vintage))
    if row["note"]:
        causes.append(row["note"])
    text = words[0]
    if causes:
        text += "; " + "; ".join(causes)
    return text + "."


# --------------------------------------------------------------------------- reconcile
_OUT_COLUMNS = ["unit", "metric", "official", "date", "source", "level", "code", "name",
                "match", "metric_key", "official_num", "official_den", "official_pct",
                "geocov", "geocov_num", "geocov_den", "geocov_pct", "difference",
                "difference_pct_points", "reading", "source_file", "source_row"]


@dataclass
class Reconciliation:
    """Official figures beside geocov's (:func:`reconcile`).

    ``table`` has one row per official figure: ``unit, metric, official`` (as written),
    ``date, source``, the unit matched (``level, code, name, match``: "code", "name",
    "name (coarsest level)", "total", "ambiguous" or "not found"), ``metric_key``, the
    official and geocov numerators, denominators and percentages, ``geocov`` (its figure
    written like the official one), ``difference`` (geocov - official, in the metric's
    units), ``difference_pct_points``, the ``reading`` in words, and the row of the
    official table (``source_file``, ``source_row``). ``metadata`` says what geocov's
    figures are (title, data date, units vintage, model); ``result`` is the coverage
    result they come from; ``written``, the files :func:`geocov.analysis.run_reconcile`
    wrote.
    """

    table: pd.DataFrame
    metadata: dict[str, Any]
    result: Any = None
    written: tuple[Path, ...] = ()
    # language -> the readings in it (aligned with table; English: table["reading"])
    _readings: dict[str, list[str]] = field(default_factory=dict, repr=False)

    def to_text(self, lang: str = "en") -> str:
        """One line per figure: unit, metric, both figures and the reading (English).

        In Vietnamese (``lang="vi"``): the metric's Vietnamese label and both figures with
        the difference, numbers as Vietnamese writes them, and below it the reading in
        Vietnamese (the table's ``reading`` column stays English; :meth:`write` with
        ``lang="vi"`` writes the Vietnamese one).
        """
        from .locale import check_lang

        if check_lang(lang) == "en":
            vintage = self.metadata.get("units_vintage") or "units of unknown vintage"
            lines = [f"{self.metadata.get('title', 'Coverage')}: geocov beside the official "
                     f"figures ({vintage})"]
            for r in self.table.itertuples(index=False):  # a handful of official figures
                lines.append(f"- {r.unit} | {r.metric}: {r.reading}")
            return "\n".join(lines)
        return "\n".join(self._lines(lang))

    def _lines(self, lang: str) -> list[str]:
        from .locale import render

        vintage = self.metadata.get("units_vintage") or render("vintage.short_unknown", lang)
        lines = [render("reconcile.header", lang, {
            "title": self.metadata.get("title") or render("reconcile.title", lang),
            "vintage": vintage})]
        readings = self._readings.get(lang) or [""] * len(self.table)
        for r, reading in zip(self.table.itertuples(index=False), readings,
                              strict=True):  # a handful of official figures
            m = METRICS.get(r.metric_key)
            fields = {"unit": r.unit, "metric": m.label_vi if m is not None else r.metric,
                      "official": r.official}
            if m is None or not np.isfinite(r.geocov_num):
                lines.append(render("reconcile.not_compared", lang, fields))
                lines += [f"  {reading}"] if reading else []
                continue
            diff = ("" if not (np.isfinite(r.difference_pct_points) or np.isfinite(r.difference))
                    else render("reconcile.diff_points", lang, {"dpp": r.difference_pct_points})
                    if np.isfinite(r.difference_pct_points)
                    else render("reconcile.diff_count", lang, {"diff": r.difference}))
            lines.append(render("reconcile.figures", lang, {
                **fields, "difference": diff,
                "geocov": _figure(r.geocov_num, r.geocov_den, r.geocov_pct, m.kind, m.measure,
                                  lang)}))
            lines += [f"  {reading}"] if reading else []
        return lines

    def __str__(self) -> str:
        return self.to_text()

    def _repr_html_(self) -> str:
        cols = ["unit", "metric", "official", "geocov", "difference", "reading"]
        return self.table[cols].to_html(index=False)

    def write(self, path: str | Path, lang: str = "en") -> Path:
        """Write the table as CSV (UTF-8 with BOM) or XLSX (a sheet of figures, one of
        notes), by the suffix; staged, so a failure leaves an older file as it was.
        ``lang``: the language of the ``reading`` column (the rest is as computed)."""
        from .io import StagedFiles, write_csv
        from .spreadsheet import Column, Sheet, write_workbook

        path = Path(path)
        suffix = path.suffix.lower()
        if suffix not in (".csv", ".xlsx"):
            raise SchemaError(f"{path}: a reconciliation is written as .csv or .xlsx")
        table = self.table
        if lang in self._readings:
            table = table.assign(reading=self._readings[lang])
        with StagedFiles() as stage:
            if suffix == ".csv":
                write_csv(table, stage.path(path))
            else:
                kinds = {"official_num": "count", "official_den": "count", "geocov_num": "count",
                         "geocov_den": "count", "difference": "count", "official_pct": "pct",
                         "geocov_pct": "pct", "difference_pct_points": "other",
                         "source_row": "count", "code": "code"}
                heads = {"official_pct": "official %", "geocov_pct": "geocov %",
                         "difference_pct_points": "difference (points)"}
                figures = Sheet("Reconciliation", tuple(
                    Column(heads.get(c, c.replace("_", " ")), table[c],
                           kinds.get(c, "text"), name=c)
                    for c in table.columns), freeze_columns=2)
                notes = pd.DataFrame({"key": list(self.metadata),
                                      "value": [str(v) for v in self.metadata.values()]})
                sheet = Sheet("Notes", (Column("Key", notes["key"], "text", name="key"),
                                        Column("Value", notes["value"], "text", name="value")))
                write_workbook(stage.path(path), [figures, sheet])
        return path


def reconcile(
    result: Any,
    official: str | Path | pd.DataFrame,
    *,
    columns: Mapping[str, str] | None = None,
    encoding: str | None = None,
    tolerance_pct_points: float = 1.0,
    rejects: RejectsReport | None = None,
) -> Reconciliation:
    """Set officially reported figures beside geocov's for the same unit and metric.

    Parameters
    ----------
    result : CoverageResult
        A coverage result (or a re-aggregated one, :func:`geocov.reaggregate`).
    official : path or DataFrame
        The official figures (see the module: unit, metric, value, date, source).
    columns : mapping, optional
        The table's columns for ``unit``, ``code``, ``level``, ``parent``, ``metric``,
        ``value``, ``date``, ``source`` where their names are not recognised.
    encoding : str, optional
        Text encoding of a CSV (default: detected).
    tolerance_pct_points : float, default 1
        Shares within this many percentage points (counts within 1 %) "agree".
    rejects : RejectsReport, optional
        Lenient mode: rows with an unknown metric or an unreadable value go there.

    Returns
    -------
    Reconciliation

    Examples
    --------
    >>> import geocov, pandas as pd
    >>> result = geocov.run_analysis(geocov.sample_paths()["analysis"])
    >>> official = pd.DataFrame({"unit": ["Tỉnh Ngải Sán"], "metric": ["villages with 4G"],
    ...                          "value": ["1.100/1.500"], "date": ["2024-12-31"]})
    >>> rec = reconcile(result, official)
    >>> rec.table[["level", "geocov", "difference"]].values.tolist()
    [['province', '735/1,500 (49.0%)', -365.0]]
    >>> print(rec.table["reading"].iloc[0].split("; ")[0])
    geocov finds 735/1,500 (49.0%) villages with 4G, the report 1.100/1.500: 365 fewer
    (-24.3 points)
    """
    from .crosswalk import units_vintage

    if not hasattr(result, "table") or not hasattr(result, "base"):
        raise SchemaError("reconcile needs a geocov.CoverageResult (from geocov.coverage or "
                          "geocov.run_analysis)")
    off = read_official(official, columns=columns, encoding=encoding, rejects=rejects)
    units = _Units.of(result)
    finest = getattr(result, "finest", units.levels[-1] if units.levels else "commune")
    matched = [_match_one(u, c, lv, p, units) for u, c, lv, p in  # a handful of figures
               zip(off["unit"].astype(object), off["code"].astype(object),
                   off["level"].astype(object), off["parent"].astype(object), strict=True)]
    off["level"] = pd.Series([m[0] for m in matched], index=off.index, dtype=object)
    off["code"] = pd.Series([m[1] for m in matched], index=off.index, dtype=object)
    off["match"] = [m[2] for m in matched]
    off["note"] = [m[3] for m in matched]
    ctx = _Context(result, finest)
    names = units.frame.set_index(["level", "code"])["name"]
    n = len(off)
    g = np.full((n, 3), np.nan)
    for i in range(n):  # a handful of figures
        lv, code = off["level"].iloc[i], off["code"].iloc[i]
        if not isinstance(lv, str):
            continue
        m = METRICS[off["metric_key"].iloc[i]]
        num_col, den_col = m.columns(finest)
        t = ctx.table(lv)
        if str(code) not in t.index or num_col not in t.columns:
            continue
        row = t.loc[str(code)]
        num = float(row[num_col]) if pd.notna(row[num_col]) else np.nan
        den = float(row[den_col]) if den_col and pd.notna(row[den_col]) else np.nan
        pct = 100.0 * num / den if np.isfinite(den) and den > 0 and np.isfinite(num) else np.nan
        g[i] = (num, den, pct)
    off["geocov_num"], off["geocov_den"], off["geocov_pct"] = g.T
    off["name"] = [names.get((lv, c), "Study area" if lv == TOTAL else None)
                   for lv, c in zip(off["level"], off["code"], strict=True)]
    kinds = off["metric_key"].map({k: mm.kind for k, mm in METRICS.items()})
    off["official"] = off["value"]
    measures = off["metric_key"].map({k: mm.measure for k, mm in METRICS.items()})
    off["geocov"] = [_figure(a, b, c, k, ms) if np.isfinite(a) else "" for a, b, c, k, ms in
                     zip(off["geocov_num"], off["geocov_den"], off["geocov_pct"], kinds,
                         measures, strict=True)]
    with np.errstate(invalid="ignore"):
        off["difference"] = off["geocov_num"] - off["official_num"]
        off["difference_pct_points"] = off["geocov_pct"] - off["official_pct"]
    meta = getattr(result, "metadata", {}) or {}
    metadata = {
        "title": meta.get("title", "Coverage"),
        "data_date": meta.get("data_date", ""),
        "units_vintage": meta.get("units_vintage") or units_vintage(result.units) or "",
        "model": meta.get("model", ""),
    }
    ctx.vintage = metadata["units_vintage"]
    readings = {lg: [_reading(off.iloc[i], METRICS[off["metric_key"].iloc[i]], ctx, off,
                              tolerance_pct_points, lg) for i in range(n)]  # a handful
                for lg in LANGUAGES}
    off["reading"] = readings["en"]
    table = off[_OUT_COLUMNS].reset_index(drop=True)
    return Reconciliation(table=table, metadata=metadata, result=result, _readings=readings)
