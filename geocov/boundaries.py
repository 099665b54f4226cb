"""Admin units: read them into the normalised schema, check their hierarchy and topology.

An admin-unit layer has one row per unit of the **finest** level (commune, ward, ...) and
any number of coarser levels above it (district, province, ...), given coarse → fine.
:func:`read_units` turns any such layer (GeoPackage, Shapefile, GeoJSON, GeoParquet or a
GeoDataFrame) into the schema of ``docs/design.md``: ``<level>_code`` and ``<level>_name``
for every level, optional ``population``, geometry and provenance, with
``attrs["geocov_levels"]`` naming the levels.  Nothing here knows how many levels a
country has or what they are called.

:func:`validate_units` reports overlaps and gaps between sibling units and edges that do
not match their neighbours', without raising; :func:`unit_areas_km2` gives exact areas.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from .crs import equal_area_crs, require_crs, working_crs
from .errors import (
    Listing,
    SchemaError,
    TopologyError,
    TopologyWarning,
    Words,
    hint,
    more_words,
)
from .io import (
    MAX_LISTED,
    RejectsReport,
    codes_as_text,
    file_decimal,
    fold_text,
    parse_numbers,
    read_table,
    reject_rows,
)
from .vocabulary import unit_levels  # re-exported: geocov.unit_levels

__all__ = ["read_units", "unit_levels", "validate_units", "unit_areas_km2", "VINTAGES",
           "REFORM_DATE", "units_vintage", "detect_units_vintage", "units_vintage_text",
           "units_vintage_words", "units_vintage_metadata"]

log = logging.getLogger(__name__)

PROBLEM_COLUMNS = ["problem", "level", "codes", "names", "area_km2", "detail"]

# Layouts recognised when ``levels`` is not given: level name -> words that name it in
# column names (compared with io.fold_text, so case, accents, "_" and spaces do not matter).
_LEVEL_WORDS: dict[str, tuple[str, ...]] = {
    "region": ("region", "vung"),
    "province": ("province", "tinh", "tinhthanh", "tinhthanhpho"),
    "district": ("district", "huyen", "quanhuyen", "quan"),
    "commune": ("commune", "xa", "phuongxa", "xaphuong", "ward", "phuong"),
    "village": ("village", "thon", "thonban"),
}
_NAME_PATTERNS = ("{w}", "{w}name", "ten{w}", "name{w}")
_CODE_PATTERNS = ("{w}code", "{w}id", "ma{w}", "{w}pcode", "code{w}", "{w}ma")
# population of each unit, when ``population`` is not given (compared with io.fold_text)
_POPULATION_WORDS = ("population", "dan_so", "so_dan", "tong_dan_so")
_GADM_NAME = re.compile(r"^NAME_([1-9])$")
_OCHA_NAME = re.compile(r"^ADM([1-9])_EN$", re.IGNORECASE)
# GADM/OCHA layers carry their country; Vietnam's levels 1-3 (the pre-2025 system) get
# their real names, other countries keep admin1..adminN.
_COUNTRY_COLUMNS = ("GID_0", "COUNTRY", "NAME_0", "ADM0_EN", "ADM0_PCODE", "ADM0_VI")
_VIETNAM = {"vnm", "vn", "vietnam"}
_VIETNAM_LEVELS = {1: "province", 2: "district", 3: "commune"}
# literal escapes left by R/JSON exports (2009 census layer: "X\\u00e3 Ch\\'\\u01a1m")
_ESCAPE = re.compile(r"\\U([0-9a-fA-F]{8})|\\u([0-9a-fA-F]{4})|\\(['\"\\\\])")
_POLYGON_TYPES = (3, 6)  # shapely type ids of Polygon and MultiPolygon
_GC_TYPE = 7


# --------------------------------------------------------------------------- reading


def read_units(
    source: str | Path | gpd.GeoDataFrame,
    *,
    layer: str | int | None = None,
    levels: Mapping[str, str] | Sequence[str] | None = None,
    codes: Mapping[str, str] | None = None,
    population: str | Literal[False] | None = None,
    decimal: str | None = None,
    encoding: str | None = None,
    rejects: RejectsReport | None = None,
    vintage: str | None = None,
) -> gpd.GeoDataFrame:
    """Read an admin-unit layer into the normalised units schema.

    Parameters
    ----------
    source
        A vector file GDAL reads (GeoPackage, Shapefile with ``.cpg``, GeoJSON,
        GeoParquet, ...) or an already loaded GeoDataFrame.  Any CRS; it is kept.
    layer
        Layer of a multi-layer file (e.g. ``"districts"``).
    levels
        Ordered mapping level name → name column, coarse → fine, e.g.
        ``{"province": "NAME_1", "district": "NAME_2", "commune": "NAME_3"}``; one or
        more levels, each strictly coarser than the next (checked: a level with more
        distinct units than the level after it is an error).  ``None`` detects common
        layouts: GADM ``NAME_1..NAME_n`` (codes from ``GID_n``), OCHA
        ``ADMn_EN``/``ADMn_PCODE``, and columns naming province/district/commune (or
        Vietnamese tinh/huyen/xa, quận, phường, with or without diacritics, any case or
        spacing) such as ``province_name``/``district_code``, ``Tên xã``/``Mã xã``,
        ``ma_tinh``/``ma_huyen``/``ma_xa``.  GADM/OCHA layers of Vietnam (``GID_0 =
        "VNM"``, ``COUNTRY``/``ADM0_EN`` Vietnam, ...) get the levels
        ``province, district, commune`` (the pre-2025 three-level system; pass
        ``levels=`` for a 2025 province/commune layer); those of other countries, or
        without a country column, keep the neutral ``admin1, admin2, ...`` (level 1 =
        the country's first subdivision).  A sequence of level names detects the
        columns as for ``None`` and gives them these names.
    codes
        Mapping level → code column, for the levels whose codes the layer has.  Levels
        without one get a code made from the parent's code and the name
        (``"Lào Cai/Bảo Thắng"`` when no level has codes), so that units of the same
        name under different parents stay distinct.
    population
        Column with the population of each unit (numbers; decimal comma accepted).
        ``None`` uses a column called population, ``dan_so``/``Dân số``, ``so_dan`` or
        ``tong_dan_so`` (any spelling) when there is one; ``False``: no population.
    decimal : {",", "."}, optional
        Decimal mark of text numbers (the population column); ``None`` decides it for
        the whole layer with :func:`geocov.io.file_decimal`.
    encoding : str, optional
        Text encoding of a Shapefile DBF without ``.cpg`` (``"cp1258"``, ``"tcvn3"``,
        ``"vni"``, ...); ``None`` detects it (see :func:`geocov.io.read_table`).
    rejects
        ``None`` (strict): the first kind of bad row raises, listing every such row.
        A :class:`~geocov.io.RejectsReport` (lenient): bad rows go to the report and the
        others are used; every row read is counted.
    vintage : str, optional
        Which set of units this is, for the reports' titles and model notes: ``"2025"``,
        ``"2025-07-01"``, ``"before 2025 reform"``, ... (see :func:`units_vintage`) or any
        text (``"GADM 4.1, 2009 communes"``). ``None`` detects the Vietnamese systems
        before and after the reform of 1 July 2025 from the units
        (:func:`detect_units_vintage`: provinces that no longer exist, GSO province codes
        with their names, a district level) and leaves it unknown without evidence.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per finest unit: ``<level>_code`` (str) and ``<level>_name`` (str) per
        level, ``population`` (float, when asked for), geometry ((Multi)Polygon, the
        input CRS), ``source_file``, ``source_row``; ``attrs["geocov_levels"]``,
        ``attrs["geocov_units_vintage"]`` (a label of :func:`units_vintage`, None when
        unknown) and ``attrs["geocov_units_vintage_evidence"]`` (``"given"`` or what the
        detection found). Names have literal ``\\uXXXX`` escapes decoded, outer spaces
        stripped and are in Unicode NFC; numeric codes read as floats (``10.0``) become ``"10"``.

    Raises
    ------
    CRSError
        The layer has no CRS.
    SchemaError
        Levels cannot be detected or columns are missing; levels are not given coarse →
        fine (naming the levels, their columns and counts); in strict mode, missing
        names or codes, bad population values, missing/empty or non-polygon geometry
        (naming each unit's code and name), duplicate finest codes.
    TopologyError
        In strict mode: a unit whose parent (or name) differs between rows.

    Warns
    -----
    TopologyWarning
        Invalid geometries were repaired with :func:`shapely.make_valid` (one warning
        listing every repaired row).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import box
    >>> gdf = gpd.GeoDataFrame(
    ...     {"tinh": ["L\\\\u00e0o Cai", "Lào Cai"], "huyen": ["Sa Pa", "Bát Xát"],
    ...      "ma_huyen": [82.0, 83.0]},
    ...     geometry=[box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000)], crs=32648)
    >>> units = read_units(gdf)
    >>> units.attrs["geocov_levels"]
    ('province', 'district')
    >>> units[["province_code", "province_name", "district_code"]].values.tolist()
    [['Lào Cai', 'Lào Cai', '82'], ['Lào Cai', 'Lào Cai', '83']]
    """
    frame, file = _load(source, layer, encoding)
    require_crs(frame, what=f"{file} (admin units)")
    if rejects is not None:
        for f, n in frame["source_file"].value_counts(sort=False).items():
            rejects.count_read(str(f), "units", int(n))
    spec = _resolve_levels(frame, levels, codes, file)
    if population is None:
        population = _detect_population(frame, spec)
    elif population is False:
        population = None
    elif population not in frame.columns:
        raise SchemaError(
            f"{file}: population column {population!r} does not exist; columns present: "
            f"{_columns(frame)}"
        )
    names, made_codes = [lvl for lvl, _, _ in spec], []
    out = pd.DataFrame(index=frame.index)
    keep = np.ones(len(frame), dtype=bool)

    # names (required)
    for lvl, name_col, _ in spec:
        out[f"{lvl}_name"] = _clean_names(frame[name_col])
    for lvl, name_col, _ in spec:
        keep &= _check(out[f"{lvl}_name"].isna().to_numpy() & keep, frame, name_col,
                       frame[name_col], f"the {lvl} name is missing",
                       f"Fill in column {name_col!r}.", rejects)
    # codes (given or made from the name path)
    for i, (lvl, _name_col, code_col) in enumerate(spec):
        if code_col is not None:
            code = codes_as_text(frame[code_col])
            keep &= _check(code.isna().to_numpy() & keep, frame, code_col, frame[code_col],
                           f"the {lvl} code is missing",
                           f"Fill in column {code_col!r} or leave codes= out for {lvl!r} "
                           f"to make codes from the names.", rejects)
        else:
            made_codes.append(lvl)
            code = out[f"{lvl}_name"]
            if i > 0:
                code = out[f"{spec[i - 1][0]}_code"] + "/" + code
        out[f"{lvl}_code"] = code
    _check_level_order(out, spec, keep, made_codes, file)
    if population is not None:
        raw = frame[population]
        # one decimal mark for the layer, from its number columns (not names and codes)
        text = [c for _, n, cc in spec for c in (n, cc) if c is not None and c != population]
        dec = file_decimal(frame.drop(columns=text), decimal=decimal, file=file)
        pop = parse_numbers(raw, decimal=dec)
        given = (raw.notna() & raw.astype("string").str.strip().ne("")).fillna(False)
        unreadable = pop.isna().to_numpy() & given.to_numpy(dtype=bool)
        keep &= _check(unreadable & keep, frame, population, frame[population],
                       "population is not a number",
                       "Write populations as plain numbers (e.g. 12500 or 12500,0).", rejects)
        keep &= _check((pop < 0).to_numpy() & keep, frame, population, frame[population],
                       "population is negative", "Population must be ≥ 0.", rejects)
        out["population"] = pop.astype("float64")

    geoms = _check_geometry(frame, out, spec, keep, file, rejects)
    keep = ~pd.isna(geoms)

    columns = [c for lvl in names for c in (f"{lvl}_code", f"{lvl}_name")]
    if population is not None:
        columns.append("population")
    out = out[columns].copy()
    out["source_file"] = frame["source_file"].to_numpy()
    out["source_row"] = frame["source_row"].to_numpy()
    out = out.loc[keep]
    units = gpd.GeoDataFrame(out, geometry=geoms[keep], crs=frame.crs)
    units = units[[*columns, "geometry", "source_file", "source_row"]]

    keep2 = _check_unique(units, spec, made_codes, rejects)
    keep2 = _check_hierarchy(units, names, rejects, keep2)
    units = units.loc[keep2].reset_index(drop=True)
    for c in columns:
        if c != "population":
            units[c] = units[c].astype(str)
    units.attrs["geocov_levels"] = tuple(names)
    if vintage is not None:
        units.attrs["geocov_units_vintage"] = units_vintage(vintage=vintage)
        units.attrs["geocov_units_vintage_evidence"] = "given"
    else:
        found, evidence = detect_units_vintage(units)
        units.attrs["geocov_units_vintage"] = found
        units.attrs["geocov_units_vintage_evidence"] = evidence
    log.info("%s: %d units read at levels %s (vintage %s)", file, len(units), names,
             units.attrs["geocov_units_vintage"] or "unknown")
    return units


def _load(source: Any, layer: str | int | None,
          encoding: str | None) -> tuple[gpd.GeoDataFrame, str]:
    if isinstance(source, gpd.GeoDataFrame):
        frame = source.copy()
        if "source_file" not in frame.columns or "source_row" not in frame.columns:
            frame["source_file"] = "<GeoDataFrame>"
            frame["source_row"] = np.arange(1, len(frame) + 1)
        if layer is not None:
            raise SchemaError("layer= is only for files; a GeoDataFrame was given")
        if encoding is not None:
            raise SchemaError("encoding= is only for files; a GeoDataFrame was given")
    elif isinstance(source, pd.DataFrame):
        raise SchemaError(
            "read_units needs geometry: a DataFrame without geometry was given. Pass a "
            "GeoDataFrame or a vector file (GeoPackage, Shapefile, GeoJSON, GeoParquet)."
        )
    else:
        frame = read_table(source, layer=layer, encoding=encoding)
        if not isinstance(frame, gpd.GeoDataFrame):
            raise SchemaError(
                f"{Path(source).name}: has no geometry. Admin units need polygons: use a "
                f"vector file (GeoPackage, Shapefile, GeoJSON, GeoParquet)."
            )
    frame = frame.reset_index(drop=True)
    files = frame["source_file"].dropna().unique()
    file = str(files[0]) if len(files) == 1 else "<GeoDataFrame>"
    return frame, file


def _columns(frame: pd.DataFrame) -> list[str]:
    skip = {"source_file", "source_row", frame.geometry.name if isinstance(frame, gpd.GeoDataFrame)
            else "geometry"}
    return [str(c) for c in frame.columns if c not in skip]


def _resolve_levels(
    frame: gpd.GeoDataFrame,
    levels: Mapping[str, str] | Sequence[str] | None,
    codes: Mapping[str, str] | None,
    file: str,
) -> list[tuple[str, str, str | None]]:
    """Return [(level, name column, code column or None)] coarse → fine."""
    if levels is None or (not isinstance(levels, Mapping) and not isinstance(levels, str)):
        detected = _detect_levels(frame)
        if not detected:
            raise SchemaError(
                f"{file}: cannot tell which columns hold the admin levels. Columns present: "
                f"{_columns(frame)}. Pass levels= as an ordered mapping level → name column, "
                f"coarse → fine, e.g. levels={{'province': 'NAME_1', 'district': 'NAME_2'}}, "
                f"and codes= for the levels that have code columns."
            )
        if levels is not None:
            wanted = list(levels)
            if len(wanted) != len(detected):
                raise SchemaError(
                    f"{file}: levels={wanted} names {len(wanted)} level(s) but "
                    f"{len(detected)} were detected: "
                    f"{[(n, c) for _, n, c in detected]}. Pass levels= as a mapping level → "
                    f"name column instead."
                )
            detected = [(w, n, c) for w, (_, n, c) in zip(wanted, detected, strict=True)]
        if codes:
            given = dict(codes)
            _check_keys(given, [lvl for lvl, _, _ in detected], file)
            detected = [(lvl, n, given.get(lvl, c)) for lvl, n, c in detected]
        spec = detected
    else:
        if isinstance(levels, str):
            raise SchemaError(f"{file}: levels= must be a mapping level → name column, "
                              f"got the string {levels!r}")
        if not levels:
            raise SchemaError(f"{file}: levels= is empty; give at least one level")
        given_codes = dict(codes or {})
        _check_keys(given_codes, list(levels), file)
        spec = [(str(lvl), col, given_codes.get(lvl)) for lvl, col in levels.items()]
    bad_names = [lvl for lvl, _, _ in spec if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", lvl)]
    if bad_names:
        raise SchemaError(f"{file}: level names {bad_names} are not usable in column names; "
                          f"use letters, digits and '_' (e.g. 'province')")
    missing = [c for _, n, cc in spec for c in (n, cc) if c is not None and c not in frame.columns]
    if missing:
        raise SchemaError(
            f"{file}: column(s) {missing} given in levels=/codes= do not exist; columns "
            f"present: {_columns(frame)}"
        )
    log.debug("%s: levels %s", file, spec)
    return spec


def _check_keys(given: Mapping[str, str], valid: Sequence[str], file: str) -> None:
    unknown = [k for k in given if k not in valid]
    if unknown:
        raise SchemaError(f"{file}: codes= names unknown level(s) {unknown}; valid levels are "
                          f"{list(valid)}")


def _detect_levels(frame: pd.DataFrame) -> list[tuple[str, str, str | None]]:
    cols = [str(c) for c in frame.columns]
    for pattern, code_fmt in ((_GADM_NAME, "GID_{n}"), (_OCHA_NAME, "ADM{n}_PCODE")):
        found = {int(m.group(1)): c for c in cols if (m := pattern.match(c))}
        n = 0
        while n + 1 in found:
            n += 1
        if n:
            upper = {c.upper(): c for c in cols}
            named = _VIETNAM_LEVELS if _is_vietnam(frame, upper, code_fmt) else {}
            return [(named.get(i, f"admin{i}"), found[i],
                     upper.get(code_fmt.format(n=i).upper())) for i in range(1, n + 1)]
    folded: dict[str, str] = {}
    for c in cols:
        folded.setdefault(fold_text(c), c)
    spec = []
    for lvl, words in _LEVEL_WORDS.items():
        name = _first(folded, words, _NAME_PATTERNS)
        if name is not None:
            spec.append((lvl, name, _first(folded, words, _CODE_PATTERNS)))
    return spec


def _is_vietnam(frame: pd.DataFrame, upper: Mapping[str, str], code_fmt: str) -> bool:
    """Whether a GADM/OCHA layer is of Vietnam: its country column(s), else its level-1 codes.

    GADM says ``GID_0 = "VNM"``/``COUNTRY = "Vietnam"``, OCHA ``ADM0_EN = "Viet Nam"``/
    ``ADM0_PCODE = "VN"``; without those, GADM ``GID_1`` codes start with ``VNM.`` and OCHA
    ``ADM1_PCODE`` codes with ``VN`` and a digit.  Every row must agree.
    """
    values = [frame[upper[c]] for c in _COUNTRY_COLUMNS if c in upper]
    if values:
        text = pd.unique(pd.concat(values).dropna().astype(str))
        return len(text) > 0 and all(fold_text(t) in _VIETNAM for t in text)
    level1 = upper.get(code_fmt.format(n=1).upper())
    if level1 is None:
        return False
    codes = frame[level1].dropna().astype(str)
    prefix = r"VNM\." if code_fmt.startswith("GID") else r"VN\d"
    return len(codes) > 0 and bool(codes.str.match(prefix).all())


def _detect_population(frame: pd.DataFrame, spec: Sequence[tuple[str, str, str | None]]
                       ) -> str | None:
    """The population column (population, dan_so, "Dân số", ...), None when there is none."""
    used = {c for _, n, cc in spec for c in (n, cc) if c is not None}
    folded = {fold_text(c): c for c in reversed(_columns(frame)) if c not in used}
    for word in _POPULATION_WORDS:
        hit = folded.get(fold_text(word))
        if hit is not None:
            log.info("units: population from column %r", hit)
            return hit
    return None


def _check_level_order(out: pd.DataFrame, spec: Sequence[tuple[str, str, str | None]],
                       keep: np.ndarray, made: Sequence[str], file: str) -> None:
    """Raise when a level has more distinct units than the level after it (not coarse → fine).

    A level is counted by its code column when it has one, else by its names (made codes
    are name paths, nested by construction, so they cannot show the order).
    """
    if len(spec) < 2:
        return
    counts = [int((out[f"{lvl}_name"] if lvl in made else out[f"{lvl}_code"])[keep].nunique())
              for lvl, _, _ in spec]
    wrong = [i for i in range(len(spec) - 1) if counts[i] > counts[i + 1]]
    if not wrong:
        return

    def cols(i: int) -> str:
        _, name, code = spec[i]
        return f"column {name!r}" + (f", codes {code!r}" if code else "")

    listed = "; ".join(
        f"{spec[i][0]!r} ({cols(i)}) has {counts[i]:,} distinct units but the finer level "
        f"{spec[i + 1][0]!r} ({cols(i + 1)}) has {counts[i + 1]:,}" for i in wrong)
    order = sorted(range(len(spec)), key=lambda i: (counts[i], i))
    names = [lvl for lvl, _, _ in spec]
    lv = {names[k]: spec[i][1] for k, i in enumerate(order)}
    cd = {names[k]: spec[i][2] for k, i in enumerate(order) if spec[i][2] is not None}
    py = f"levels={lv}" + (f", codes={cd}" if cd else "")
    cli = "--levels " + ",".join(f"{k}={v}" for k, v in lv.items()) + (
        " --codes " + ",".join(f"{k}={v}" for k, v in cd.items()) if cd else "")
    raise SchemaError(
        f"{file}: the admin levels are not in order coarse → fine: {listed}. A coarser "
        f"level has fewer units than the finer one (e.g. 63 provinces, 700 districts, "
        f"10,000 communes). Give the levels coarse → fine, e.g. "
        + hint(f"pass {py}", f"pass {cli}") + "."
    )


def _first(folded: Mapping[str, str], words: Sequence[str], patterns: Sequence[str]) -> str | None:
    for w in words:
        for p in patterns:
            hit = folded.get(p.format(w=w))
            if hit is not None:
                return hit
    return None


def _clean_names(values: pd.Series) -> pd.Series:
    """Decode literal ``\\uXXXX``, ``\\'`` and ``\\"`` escapes, strip, NFC; empty → NA."""
    s = values.astype("string")
    if s.str.contains("\\", regex=False).any():
        s = s.str.replace(
            _ESCAPE,
            lambda m: m.group(3) or chr(int(m.group(1) or m.group(2), 16)),
            regex=True,
        )
    s = s.str.strip().str.normalize("NFC")
    return s.mask(s == "").astype(object).where(s.notna() & (s != ""), None)


def _check(bad: np.ndarray, frame: pd.DataFrame, column: str | None, values: Any, reason: str,
           fix: str, rejects: RejectsReport | None, error: type = SchemaError) -> np.ndarray:
    return reject_rows(bad, frame, column=column, values=values, reason=reason, fix=fix,
                       rejects=rejects, error=error)


def _check_geometry(frame: gpd.GeoDataFrame, out: pd.DataFrame,
                    spec: list[tuple[str, str, str | None]], keep: np.ndarray, file: str,
                    rejects: RejectsReport | None) -> np.ndarray:
    """Return the geometry array with None for rows not kept; repairs invalid polygons."""
    geoms = np.asarray(frame.geometry.to_numpy(), dtype=object).copy()
    geoms[~keep] = None
    gcol = frame.geometry.name
    finest = spec[-1][0]
    # name the unit, not just the row: "commune 03127 (Bản Cái)"
    unit = (f"{finest} " + out[f"{finest}_code"].astype(str) + " ("
            + out[f"{finest}_name"].astype(str) + ")").to_numpy(dtype=object)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    keep = keep & _check(missing & keep, frame, gcol, unit, "the geometry is missing or empty",
                         "Draw these units, or drop them from the layer.", rejects)
    tid = shapely.get_type_id(geoms)
    wrong = keep & ~np.isin(tid, _POLYGON_TYPES)
    types = shapely.get_type_id(geoms).astype(object)
    names = np.array(["Point", "LineString", "LinearRing", "Polygon", "MultiPoint",
                      "MultiLineString", "MultiPolygon", "GeometryCollection"], dtype=object)
    types[tid >= 0] = names[tid[tid >= 0]] + " for " + unit[tid >= 0]
    keep = keep & _check(wrong, frame, gcol, types, "the geometry is not a (Multi)Polygon",
                         "Admin units must be polygons.", rejects)
    geoms[~keep] = None
    invalid = keep & ~shapely.is_valid(geoms)
    if invalid.any():
        reasons = shapely.is_valid_reason(geoms[invalid])
        fixed = _polygonal(shapely.make_valid(geoms[invalid]))
        geoms[invalid] = fixed
        rows = frame["source_row"].to_numpy()[invalid]
        unit = out[f"{finest}_name"].to_numpy()[invalid]
        collapsed = pd.isna(fixed)
        listed = Listing([
            Words("warning.repaired_geometry", {
                "row": int(r), "name": u, "why": why,
                "left": Words("warning.nothing_polygonal") if c else ""})
            for r, u, why, c in zip(rows[:MAX_LISTED], unit[:MAX_LISTED], reasons[:MAX_LISTED],
                                    collapsed[:MAX_LISTED], strict=True)
        ], "; ")
        n = int(invalid.sum())
        warnings.warn(TopologyWarning.of(
            "repaired_geometries", file=file, n=n, listed=listed,
            more=more_words(len(rows) - MAX_LISTED),
            geometries=Words(f"warning.geometry_{'one' if n == 1 else 'many'}")),
            stacklevel=3,
        )
        bad = np.zeros(len(geoms), dtype=bool)
        bad[np.flatnonzero(invalid)[collapsed]] = True
        keep = keep & _check(bad, frame, gcol, None,
                             "the geometry has no area left after make_valid",
                             "Redraw these units as polygons.", rejects)
        geoms[~keep] = None
    return geoms


def _polygonal(geoms: np.ndarray) -> np.ndarray:
    """Keep the polygonal parts of each geometry; None where there are none."""
    geoms = np.asarray(geoms, dtype=object)
    out = np.full(len(geoms), None, dtype=object)
    tid = shapely.get_type_id(geoms)
    poly = np.isin(tid, _POLYGON_TYPES)
    out[poly] = geoms[poly]
    gc = np.flatnonzero(tid == _GC_TYPE)
    if len(gc):
        parts, idx = shapely.get_parts(geoms[gc], return_index=True)
        parts2, idx2 = shapely.get_parts(parts, return_index=True)
        is_poly = (shapely.get_type_id(parts2) == 3) & ~shapely.is_empty(parts2)
        owner = idx[idx2[is_poly]]
        if is_poly.any():
            sub = np.full(len(gc), None, dtype=object)
            sub = shapely.multipolygons(parts2[is_poly], indices=owner, out=sub)
            out[gc] = sub
    out[~pd.isna(out)] = np.where(shapely.area(out[~pd.isna(out)]) > 0,
                                  out[~pd.isna(out)], None)
    return out


def _check_unique(units: gpd.GeoDataFrame, spec: list[tuple[str, str, str | None]],
                  made: list[str], rejects: RejectsReport | None) -> np.ndarray:
    finest, _, code_col = spec[-1]
    col = f"{finest}_code"
    dup = units[col].duplicated(keep=False).to_numpy()
    if finest in made:
        how = (f"the {finest} code is made from the name path, so two {finest}s have the "
               f"same names at every level")
        fix = f"Pass codes={{{finest!r}: '<code column>'}} or rename one of them."
    else:
        how = f"duplicate {finest} code in column {code_col!r}"
        fix = (f"Each {finest} must appear once. If the layer is not at the {finest} level, "
               f"pass levels= naming its finest level.")
    used = ", ".join(f"{lvl} ← {name!r}" + (f" (code {code!r})" if code else "")
                     for lvl, name, code in spec)
    return reject_rows(dup, units, column=col, values=units[col], reason=how,
                       fix=f"{fix} Levels used: {used}.", rejects=rejects, error=SchemaError)


def _check_hierarchy(units: gpd.GeoDataFrame, levels: Sequence[str],
                     rejects: RejectsReport | None, keep: np.ndarray) -> np.ndarray:
    keep = keep.copy()
    for i, lvl in enumerate(levels):
        code = f"{lvl}_code"
        checks = [f"{lvl}_name"]
        if i > 0:
            checks += [f"{levels[i - 1]}_code", f"{levels[i - 1]}_name"]
        sub = units.loc[keep, [code, *checks]]
        n = sub.groupby(code, sort=False)[checks].transform("nunique")
        bad = np.zeros(len(units), dtype=bool)
        bad[np.flatnonzero(keep)] = (n > 1).any(axis=1).to_numpy()
        if not bad.any():
            continue
        text = units[code] + " named " + units[f"{lvl}_name"]
        what = "name"
        if i > 0:
            text = (text + " under " + units[f"{levels[i - 1]}_code"] + " ("
                    + units[f"{levels[i - 1]}_name"] + ")")
            what = f"name or parent {levels[i - 1]}"
        keep &= reject_rows(
            bad, units, column=code, values=text,
            reason=f"the same {lvl} code has a different {what} in other rows",
            fix=(f"Make each {lvl} code belong to one {what}. Codes must be unique in the whole "
                 f"layer: if the {lvl} codes only are unique within their parent, leave "
                 f"codes= out for {lvl!r} so that codes are made from the name path."),
            rejects=rejects, error=TopologyError,
        )
    return keep


# --------------------------------------------------------------------------- levels, areas


def unit_areas_km2(units: gpd.GeoDataFrame | gpd.GeoSeries) -> pd.Series:
    """Exact area of each unit in km², computed in :func:`geocov.crs.equal_area_crs`.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import box
    >>> g = gpd.GeoDataFrame(geometry=[box(500000, 2400000, 502000, 2401000)], crs=32648)
    >>> round(float(unit_areas_km2(g).iloc[0]), 2)   # 2 km x 1 km in UTM ≈ 2 km²
    2.0
    """
    require_crs(units if isinstance(units, gpd.GeoDataFrame) else gpd.GeoDataFrame(
        geometry=units), what="units")
    geom = units.geometry if isinstance(units, gpd.GeoDataFrame) else units
    area = geom.to_crs(equal_area_crs(geom)).area / 1e6
    return pd.Series(area.to_numpy(), index=units.index, name="area_km2", dtype="float64")


# --------------------------------------------------------------------------- validation


def validate_units(
    units: gpd.GeoDataFrame,
    *,
    gap_width_m: float = 100.0,
    overlap_tolerance_km2: float = 1e-6,
) -> pd.DataFrame:
    """Report the topology problems of an admin-unit layer (never raises for them).

    Each problem is attributed to the level at which the units involved are siblings:
    two communes of the same district overlapping is a ``commune`` problem; two
    communes of different districts of one province overlapping is a ``district``
    problem between those two districts.

    * ``overlap``: area covered by two units (pairs of finest units from an STRtree,
      intersected; one row per pair of sibling units, areas summed over pairs, so an area
      shared by three units counts once for each of the three pairs).
    * ``gap``: area enclosed by units but covered by none, narrower than ``gap_width_m``
      (one row per group of sibling units around it, areas summed).
    * ``hole``: the same but wider: a missing unit, an excluded lake, or data not loaded.
    * ``invalid_edge``: a finest unit whose edges do not match its neighbours' exactly
      (:func:`shapely.coverage_invalid_edges` with ``gap_width_m``): overlaps, narrow
      gaps, also those opening to the outside, or vertices not shared.
    * ``missing_geometry``: a unit without geometry.

    Parameters
    ----------
    units
        Units in the schema of :func:`read_units` (any CRS).
    gap_width_m
        Gaps narrower than this (metres, in the working CRS) are reported as ``gap``.
    overlap_tolerance_km2
        Overlaps between two sibling units up to this area are not reported.

    Returns
    -------
    pandas.DataFrame
        Columns ``problem, level, codes, names, area_km2, detail``; ``codes`` and
        ``names`` are tuples (the units involved at that level); ``area_km2`` is exact
        (equal-area CRS), NaN for ``invalid_edge``.  Empty when the layer is clean.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import box
    >>> units = gpd.GeoDataFrame(
    ...     {"district_code": ["D", "D"], "district_name": ["D", "D"],
    ...      "commune_code": ["a", "b"], "commune_name": ["A", "B"]},
    ...     geometry=[box(500000, 2400000, 501000, 2401000),
    ...               box(500900, 2400000, 502000, 2401000)], crs=32648)
    >>> report = validate_units(units)
    >>> report.loc[report.problem == "overlap", ["level", "codes"]].values.tolist()
    [['commune', ('a', 'b')]]
    >>> round(float(report.loc[report.problem == "overlap", "area_km2"].iloc[0]), 3)
    0.1
    """
    levels = unit_levels(units)
    crs = require_crs(units, what="units")
    if not (np.isfinite(gap_width_m) and gap_width_m >= 0):
        raise SchemaError(f"gap_width_m must be a number ≥ 0 (metres), got {gap_width_m!r}")
    if not (np.isfinite(overlap_tolerance_km2) and overlap_tolerance_km2 >= 0):
        raise SchemaError(f"overlap_tolerance_km2 must be a number ≥ 0, got "
                          f"{overlap_tolerance_km2!r}")
    units = units.reset_index(drop=True)
    finest = levels[-1]
    geom = units.geometry
    present = ~(geom.isna() | geom.is_empty).to_numpy()
    reports: list[pd.DataFrame] = []
    if (~present).any():
        miss = units.loc[~present]
        reports.append(pd.DataFrame({
            "problem": "missing_geometry", "level": finest,
            "codes": [(c,) for c in miss[f"{finest}_code"].astype(str)],
            "names": [(n,) for n in miss[f"{finest}_name"].astype(str)],
            "area_km2": np.nan, "detail": "the unit has no geometry",
        }))
    units = units.loc[present].reset_index(drop=True)
    if len(units):
        metric = _metric_crs(units, crs)
        gm = np.asarray(units.geometry.to_crs(metric).to_numpy() if metric != crs
                        else units.geometry.to_numpy(), dtype=object)
        ea = equal_area_crs(units)
        codes = np.column_stack([units[f"{lvl}_code"].astype(str).to_numpy(dtype=object)
                                 for lvl in levels])
        names = np.column_stack([units[f"{lvl}_name"].astype(str).to_numpy(dtype=object)
                                 for lvl in levels])
        tree = shapely.STRtree(gm)
        reports.append(_overlaps(gm, tree, codes, names, levels, metric, ea,
                                 overlap_tolerance_km2))
        reports.append(_gaps(gm, tree, codes, names, levels, metric, ea, gap_width_m))
        reports.append(_invalid_edges(gm, codes, names, levels, gap_width_m))
    reports = [r for r in reports if len(r)]
    if not reports:
        return pd.DataFrame({c: pd.Series(dtype=float if c == "area_km2" else object)
                             for c in PROBLEM_COLUMNS})
    out = pd.concat(reports, ignore_index=True)[PROBLEM_COLUMNS]
    order = {p: i for i, p in enumerate(["overlap", "gap", "hole", "invalid_edge",
                                         "missing_geometry"])}
    lvl_order = {lvl: i for i, lvl in enumerate(levels)}
    out = out.assign(_p=out["problem"].map(order), _l=out["level"].map(lvl_order),
                     _a=-out["area_km2"].fillna(0.0))
    out = out.sort_values(["_p", "_l", "_a", "codes"], kind="stable").drop(
        columns=["_p", "_l", "_a"])
    return out.reset_index(drop=True)


def _metric_crs(units: gpd.GeoDataFrame, crs: CRS) -> CRS:
    if crs.is_projected and crs.axis_info and crs.axis_info[0].unit_name in ("metre", "meter"):
        return crs
    return working_crs(units)


def _to_km2(geoms: np.ndarray, metric: CRS, ea: CRS) -> np.ndarray:
    if len(geoms) == 0:
        return np.zeros(0)
    return gpd.GeoSeries(geoms, crs=metric).to_crs(ea).area.to_numpy() / 1e6


def _split_level(codes: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Index of the coarsest level at which units a and b differ (finest if none)."""
    differ = codes[a] != codes[b]
    lvl = differ.argmax(axis=1)
    lvl[~differ.any(axis=1)] = codes.shape[1] - 1
    return lvl


def _overlaps(gm: np.ndarray, tree: shapely.STRtree, codes: np.ndarray, names: np.ndarray,
              levels: Sequence[str], metric: CRS, ea: CRS, tolerance_km2: float) -> pd.DataFrame:
    a, b = tree.query(gm, predicate="intersects")
    pair = a < b
    a, b = a[pair], b[pair]
    inter = shapely.intersection(gm[a], gm[b])
    pos = shapely.area(inter) > 0
    a, b, inter = a[pos], b[pos], inter[pos]
    if len(a) == 0:
        return pd.DataFrame(columns=PROBLEM_COLUMNS)
    area = _to_km2(inter, metric, ea)
    lvl = _split_level(codes, a, b)
    rows = np.arange(len(a))
    ca, cb = codes[a, lvl], codes[b, lvl]
    na, nb = names[a, lvl], names[b, lvl]
    swap = ca > cb
    lo = np.where(swap, cb, ca)
    hi = np.where(swap, ca, cb)
    nlo = np.where(swap, nb, na)
    nhi = np.where(swap, na, nb)
    fine = codes.shape[1] - 1
    df = pd.DataFrame({"lvl": lvl, "lo": lo, "hi": hi, "nlo": nlo, "nhi": nhi, "area": area,
                       "pair": rows,
                       "fine": np.where(codes[a, fine] < codes[b, fine],
                                        codes[a, fine] + "~" + codes[b, fine],
                                        codes[b, fine] + "~" + codes[a, fine])})
    g = df.groupby(["lvl", "lo", "hi"], sort=True).agg(
        nlo=("nlo", "first"), nhi=("nhi", "first"), area=("area", "sum"),
        pairs=("pair", "size"), example=("fine", "min")).reset_index()
    g = g[g["area"] > tolerance_km2]
    finest = levels[-1]
    detail = np.where(
        g["lvl"].to_numpy() == fine,
        "the two units overlap",
        g["pairs"].astype(str) + f" overlapping pair(s) of {finest}s, e.g. "
        + g["example"].str.replace("~", " and ", regex=False))
    return pd.DataFrame({
        "problem": "overlap",
        "level": [levels[i] for i in g["lvl"]],
        "codes": list(zip(g["lo"], g["hi"], strict=True)),
        "names": list(zip(g["nlo"], g["nhi"], strict=True)),
        "area_km2": g["area"].to_numpy(dtype=float),
        "detail": detail,
    })


def _gaps(gm: np.ndarray, tree: shapely.STRtree, codes: np.ndarray, names: np.ndarray,
          levels: Sequence[str], metric: CRS, ea: CRS, gap_width_m: float) -> pd.DataFrame:
    union = shapely.union_all(gm)
    polys = shapely.get_parts(shapely.get_parts(union))
    polys = polys[shapely.get_type_id(polys) == 3]
    n_int = shapely.get_num_interior_rings(polys)
    if n_int.sum() == 0:
        return pd.DataFrame(columns=PROBLEM_COLUMNS)
    owner = np.repeat(np.arange(len(polys)), n_int)
    ring = np.arange(n_int.sum()) - np.repeat(np.cumsum(n_int) - n_int, n_int)
    holes = shapely.polygons(shapely.get_interior_ring(polys[owner], ring))
    # parts of the union lying inside a hole (e.g. a unit ringed by a gap) are not gap
    hi, pi = shapely.STRtree(polys).query(holes, predicate="contains")
    if len(hi):
        o = np.argsort(hi, kind="stable")
        inner = shapely.multipolygons(polys[pi[o]], indices=hi[o],
                                      out=np.full(len(holes), None, dtype=object))
        has = ~pd.isna(inner)
        holes[has] = shapely.difference(holes[has], inner[has])
    holes = holes[shapely.area(holes) > 0]
    if len(holes) == 0:
        return pd.DataFrame(columns=PROBLEM_COLUMNS)
    narrow = shapely.is_empty(shapely.buffer(holes, -gap_width_m / 2.0))
    area = _to_km2(holes, metric, ea)
    h, u = tree.query(holes, predicate="intersects")
    k = codes.shape[1]
    touch = pd.DataFrame(codes[u], columns=[f"c{i}" for i in range(k)])
    touch["hole"] = h
    nun = touch.groupby("hole")[[f"c{i}" for i in range(k)]].nunique()
    split = (nun.to_numpy() > 1)
    lvl_of = np.where(split.any(axis=1), split.argmax(axis=1), k - 1)
    lvl_s = pd.Series(lvl_of, index=nun.index)
    touch["lvl"] = touch["hole"].map(lvl_s)
    li = touch["lvl"].to_numpy()
    touch["code"] = codes[u, li]
    touch["name"] = names[u, li]
    per = (touch.drop_duplicates(["hole", "code"]).sort_values(["hole", "code"])
           .groupby("hole").agg(lvl=("lvl", "first"), codes=("code", tuple),
                                names=("name", tuple)))
    per["area"] = area[per.index.to_numpy()]
    per["narrow"] = narrow[per.index.to_numpy()]
    g = per.groupby(["narrow", "lvl", "codes"], sort=True).agg(
        names=("names", "first"), area=("area", "sum"), n=("area", "size")).reset_index()
    problem = np.where(g["narrow"], "gap", "hole")
    detail = np.where(
        g["narrow"],
        g["n"].astype(str) + f" gap(s) narrower than {gap_width_m:g} m covered by no unit",
        g["n"].astype(str) + f" area(s) wider than {gap_width_m:g} m enclosed by units but "
        "covered by none (a missing unit, an excluded lake or data not loaded?)")
    return pd.DataFrame({
        "problem": problem,
        "level": [levels[i] for i in g["lvl"]],
        "codes": g["codes"].to_list(),
        "names": g["names"].to_list(),
        "area_km2": g["area"].to_numpy(dtype=float),
        "detail": detail,
    })


def _invalid_edges(gm: np.ndarray, codes: np.ndarray, names: np.ndarray,
                   levels: Sequence[str], gap_width_m: float) -> pd.DataFrame:
    polygonal = np.isin(shapely.get_type_id(gm), _POLYGON_TYPES)
    edges = np.full(len(gm), None, dtype=object)
    edges[polygonal] = shapely.coverage_invalid_edges(gm[polygonal], gap_width=gap_width_m)
    length = np.where(pd.isna(edges), 0.0, shapely.length(edges))
    bad = np.flatnonzero(length > 0)
    if len(bad) == 0:
        return pd.DataFrame(columns=PROBLEM_COLUMNS)
    fine = codes.shape[1] - 1
    return pd.DataFrame({
        "problem": "invalid_edge",
        "level": levels[-1],
        "codes": [(c,) for c in codes[bad, fine]],
        "names": [(n,) for n in names[bad, fine]],
        "area_km2": np.nan,
        "detail": [f"{m:.0f} m of edges not matching a neighbour's exactly (overlap, gap "
                   f"narrower than {gap_width_m:g} m or vertices not shared)"
                   for m in length[bad]],
    })


def containing_unit(
    points: np.ndarray, unit_geoms: np.ndarray, unit_codes: np.ndarray
) -> np.ndarray:
    """Index of the unit containing each point, -1 for points outside every unit.

    A point on a border shared by several units goes to the one with the smallest code, so
    that the answer does not depend on the order of the rows.  Both arrays must be in the
    same CRS.

    Examples
    --------
    >>> import numpy as np, shapely
    >>> geoms = np.array([shapely.box(1, 0, 2, 1), shapely.box(0, 0, 1, 1)])
    >>> containing_unit(shapely.points([(1, 0.5), (0.5, 0.5), (5, 5)]), geoms,
    ...                 np.array(["b", "a"])).tolist()
    [1, 1, -1]
    """
    if not len(points) or not len(unit_geoms):
        return np.full(len(points), -1, dtype=np.int64)
    qi, ui = shapely.STRtree(unit_geoms).query(points, predicate="intersects")
    return first_by_code(qi, ui, unit_codes, len(points))


def first_by_code(qi: np.ndarray, ui: np.ndarray, unit_codes: np.ndarray, n: int) -> np.ndarray:
    """From (query, unit) hit pairs, the unit with the smallest code per query (-1: none)."""
    out = np.full(n, -1, dtype=np.int64)
    if not len(qi):
        return out
    rank = np.argsort(np.argsort(np.asarray(unit_codes, dtype=str), kind="stable"), kind="stable")
    order = np.lexsort((rank[ui], qi))
    qi, ui = qi[order], ui[order]
    first = np.r_[True, qi[1:] != qi[:-1]]
    out[qi[first]] = ui[first]
    return out


# --------------------------------------------------------------------------- vintage
#: Vintage labels of Vietnamese admin units (:func:`units_vintage`): before the reform of
#: 1 July 2025 (63 provinces, districts) and since (34 provinces, 3,321 communes, no
#: districts).
VINTAGES: dict[str, str] = {
    "pre-2025": "pre-2025 (63 provinces)",
    "2025": "2025 (34 provinces)",
}
#: The day the 2025 reform took effect.
REFORM_DATE = "2025-07-01"
_VINTAGE_WORDS = {
    "pre2025": "pre-2025", "old": "pre-2025", "before2025": "pre-2025", "2024": "pre-2025",
    "63provinces": "pre-2025", "63": "pre-2025", "63tinh": "pre-2025",
    "2025": "2025", "post2025": "2025", "new": "2025", "34provinces": "2025", "34": "2025",
    "34tinh": "2025",
}
_BEFORE = ("before", "pre", "truoc", "until", "old")
_AFTER = ("after", "since", "post", "sau", "from", "new")
_REFORM = ("2025", "reform", "sapnhap", "sapxep", "merger", "34", "63")
_DATE_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DATE_VN = re.compile(r"(\d{1,2})[/.](\d{1,2})[/.](\d{4})")

# GSO province codes and names: before 1 July 2025 (63) and since (34). Public facts,
# used only to recognise which system a set of units belongs to.
_PROVINCES_PRE2025 = {
    "01": "Hà Nội", "02": "Hà Giang", "04": "Cao Bằng", "06": "Bắc Kạn", "08": "Tuyên Quang",
    "10": "Lào Cai", "11": "Điện Biên", "12": "Lai Châu", "14": "Sơn La", "15": "Yên Bái",
    "17": "Hòa Bình", "19": "Thái Nguyên", "20": "Lạng Sơn", "22": "Quảng Ninh",
    "24": "Bắc Giang", "25": "Phú Thọ", "26": "Vĩnh Phúc", "27": "Bắc Ninh", "30": "Hải Dương",
    "31": "Hải Phòng", "33": "Hưng Yên", "34": "Thái Bình", "35": "Hà Nam", "36": "Nam Định",
    "37": "Ninh Bình", "38": "Thanh Hóa", "40": "Nghệ An", "42": "Hà Tĩnh", "44": "Quảng Bình",
    "45": "Quảng Trị", "46": "Huế", "48": "Đà Nẵng", "49": "Quảng Nam", "51": "Quảng Ngãi",
    "52": "Bình Định", "54": "Phú Yên", "56": "Khánh Hòa", "58": "Ninh Thuận",
    "60": "Bình Thuận", "62": "Kon Tum", "64": "Gia Lai", "66": "Đắk Lắk", "67": "Đắk Nông",
    "68": "Lâm Đồng", "70": "Bình Phước", "72": "Tây Ninh", "74": "Bình Dương",
    "75": "Đồng Nai", "77": "Bà Rịa - Vũng Tàu", "79": "Hồ Chí Minh", "80": "Long An",
    "82": "Tiền Giang", "83": "Bến Tre", "84": "Trà Vinh", "86": "Vĩnh Long",
    "87": "Đồng Tháp", "89": "An Giang", "91": "Kiên Giang", "92": "Cần Thơ",
    "93": "Hậu Giang", "94": "Sóc Trăng", "95": "Bạc Liêu", "96": "Cà Mau",
}
_PROVINCES_2025 = {
    "01": "Hà Nội", "04": "Cao Bằng", "08": "Tuyên Quang", "11": "Điện Biên", "12": "Lai Châu",
    "14": "Sơn La", "15": "Lào Cai", "19": "Thái Nguyên", "20": "Lạng Sơn", "22": "Quảng Ninh",
    "24": "Bắc Ninh", "25": "Phú Thọ", "31": "Hải Phòng", "33": "Hưng Yên", "37": "Ninh Bình",
    "38": "Thanh Hóa", "40": "Nghệ An", "42": "Hà Tĩnh", "44": "Quảng Trị", "46": "Huế",
    "48": "Đà Nẵng", "51": "Quảng Ngãi", "52": "Gia Lai", "56": "Khánh Hòa", "66": "Đắk Lắk",
    "68": "Lâm Đồng", "75": "Đồng Nai", "79": "Hồ Chí Minh", "80": "Tây Ninh",
    "82": "Đồng Tháp", "86": "Vĩnh Long", "91": "An Giang", "92": "Cần Thơ", "96": "Cà Mau",
}
_PRE_KEYS = {code: fold_text(name) for code, name in _PROVINCES_PRE2025.items()}
_NEW_KEYS = {code: fold_text(name) for code, name in _PROVINCES_2025.items()}
_ALL_KEYS = set(_PRE_KEYS.values()) | set(_NEW_KEYS.values()) | {"thuathienhue"}
#: provinces that exist only before the reform (and Huế's name until January 2025)
_GONE = (set(_PRE_KEYS.values()) - set(_NEW_KEYS.values())) | {"thuathienhue"}


def detect_units_vintage(units: pd.DataFrame) -> tuple[str | None, str]:
    """The vintage of Vietnamese admin units from evidence in them, and the evidence.

    Evidence (and nothing else, so as not to guess):

    * a province that exists only before the reform (Hà Giang, Yên Bái, Bắc Kạn, ...),
      or more than 34 Vietnamese provinces -> pre-2025;
    * a province code with its name that belongs to one system only (GSO codes: "15" Yên
      Bái before, "15" Lào Cai since; "10" was Lào Cai) -> that system;
    * the levels under Vietnamese provinces: a district level -> pre-2025 (there are no
      districts since 1 July 2025); province and commune only -> 2025, the weakest
      evidence: only when nothing else says pre-2025 (a pre-2025 layer may have been
      read without its districts), and said so in the evidence.

    Returns ``(label, evidence)``: ``label`` is a value of :data:`VINTAGES`, or None when
    there is no evidence or conflicting evidence (``evidence`` says which).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"province_code": ["15"], "province_name": ["Tỉnh Lào Cai"],
    ...                   "commune_code": ["02647"], "commune_name": ["Phường Lào Cai"]})
    >>> detect_units_vintage(t)[0]
    '2025 (34 provinces)'
    >>> detect_units_vintage(t.assign(province_code="10"))
    ('pre-2025 (63 provinces)', 'province code and name of before the reform: 10 Tỉnh Lào Cai')
    >>> detect_units_vintage(pd.DataFrame({"province_code": ["68"],
    ...                                    "province_name": ["Lâm Đồng"]}))
    (None, 'no evidence of either system in the province names or codes')
    """
    label, evidence = _detect_vintage_words(units)
    return label, evidence.text("en")


def _detect_vintage_words(units: pd.DataFrame) -> tuple[str | None, Words | Listing]:
    """:func:`detect_units_vintage` with its evidence as catalogue words (``model.evidence_*``),
    for the model note in the reader's language."""
    from .names import name_keys

    try:
        levels = unit_levels(units)
    except SchemaError:
        return None, Words("model.evidence_no_levels")
    if "province" not in levels:
        return None, Words("model.evidence_no_province")
    names = pd.Series(pd.unique(units["province_name"].astype(str)))
    keys = name_keys(names).fillna("")
    known = keys.isin(_ALL_KEYS)
    pre: list[Words] = []
    new: list[Words] = []
    gone = sorted(set(names[keys.isin(_GONE).to_numpy()]))
    if gone:
        pre.append(Words("model.evidence_gone", {"names": ", ".join(gone[:5])}))
    n_known = int(keys[known.to_numpy()].nunique())
    if n_known > len(_PROVINCES_2025):
        pre.append(Words("model.evidence_count", {"n": n_known}))
    if "province_code" in units.columns:
        pairs = units[["province_code", "province_name"]].drop_duplicates()
        codes = codes_as_text(pairs["province_code"]).astype(str).str.zfill(2)
        pkeys = name_keys(pairs["province_name"]).fillna("")
        in_pre = np.array([_PRE_KEYS.get(c) == k for c, k in zip(codes, pkeys, strict=True)])
        in_new = np.array([_NEW_KEYS.get(c) == k for c, k in zip(codes, pkeys, strict=True)])
        shown = (codes + " " + pairs["province_name"].astype(str)).to_numpy()
        if (in_pre & ~in_new).any():
            pre.append(Words("model.evidence_code_old",
                             {"shown": ", ".join(shown[in_pre & ~in_new][:5])}))
        if (in_new & ~in_pre).any():
            new.append(Words("model.evidence_code_new",
                             {"shown": ", ".join(shown[in_new & ~in_pre][:5])}))
    if known.any() and "district" in levels:
        pre.append(Words("model.evidence_district"))
    elif known.any() and tuple(levels) == ("province", "commune") and not pre:
        new.append(Words("model.evidence_two_levels"))  # weak: last
    if pre and new:
        return None, Words("model.evidence_conflict",
                           {"old": Listing(pre, "; "), "new": Listing(new, "; ")})
    if pre:
        return VINTAGES["pre-2025"], Listing(pre, "; ")
    if new:
        return VINTAGES["2025"], Listing(new, "; ")
    return None, Words("model.evidence_none")


def _vintage_of_text(text: str) -> str | None:
    """The key of :data:`VINTAGES` a user's text names ("2025-07-01", "before 2025
    reform", "trước sáp nhập"), else None (free text)."""
    folded = fold_text(text)
    if folded in _VINTAGE_WORDS:
        return _VINTAGE_WORDS[folded]
    iso, vn = _DATE_ISO.search(text), _DATE_VN.search(text)
    day = (f"{int(iso[1]):04d}-{int(iso[2]):02d}-{int(iso[3]):02d}" if iso else
           f"{int(vn[3]):04d}-{int(vn[2]):02d}-{int(vn[1]):02d}" if vn else None)
    before = any(folded.startswith(w) for w in _BEFORE) or any(
        w in folded for w in ("before", "truoc"))
    after = any(folded.startswith(w) for w in _AFTER) or any(
        w in folded for w in ("after", "since", "sau"))
    reform = any(w in folded for w in _REFORM) or day is not None
    if reform and before != after:
        if day is not None and day > REFORM_DATE and before:
            return None  # "before 2026-01-01": could be either
        return "pre-2025" if before else "2025"
    if day is not None and not (before or after):
        return "2025" if day >= REFORM_DATE else "pre-2025"
    return None


def units_vintage(units: pd.DataFrame | None = None, vintage: str | None = None) -> str | None:
    """The vintage label of ``units``: ``vintage`` if given, else the one given to
    :func:`read_units` (``attrs["geocov_units_vintage"]``), else detected
    (:func:`detect_units_vintage`), else None: unknown (say so; never a default).

    ``vintage`` may name a system: ``"2025"``, ``"new"``, ``"34 provinces"``, a date on or
    after 1 July 2025 (``"2025-07-01"``, ``"1/7/2025"``), ``"after the 2025 reform"``,
    ``"sau sáp nhập"`` give the 2025 label of :data:`VINTAGES`; ``"pre-2025"``, ``"old"``,
    ``"2024"``, an earlier date, ``"before 2025 reform"``, ``"trước sáp nhập"`` the
    pre-2025 one. Any other text is kept as it is (``"GADM 4.1 (2009 communes)"``).

    Examples
    --------
    >>> units_vintage(vintage="2025-07-01"), units_vintage(vintage="before 2025 reform")
    ('2025 (34 provinces)', 'pre-2025 (63 provinces)')
    >>> units_vintage(vintage="2025"), units_vintage(vintage="31/12/2024")
    ('2025 (34 provinces)', 'pre-2025 (63 provinces)')
    >>> units_vintage(vintage="GADM 4.1 (2009 communes)")
    'GADM 4.1 (2009 communes)'
    """
    if vintage is not None:
        text = str(vintage).strip()
        key = _vintage_of_text(text)
        return VINTAGES[key] if key else (text or None)
    if units is None:
        return None
    given = units.attrs.get("geocov_units_vintage")
    if given and units.attrs.get("geocov_units_vintage_evidence", "given") == "given":
        return str(given)
    return detect_units_vintage(units)[0]  # detected again: the units may have changed


def units_vintage_words(vintage: str | None, *, level: str = "commune", lang: str = "en"
                        ) -> str:
    """The vintage of the units in words: a label of :func:`units_vintage` (or None:
    unknown) for units whose finest level is ``level``, in ``lang`` ("en", "vi").

    Examples
    --------
    >>> units_vintage_words("2025 (34 provinces)")
    'communes after the 1 July 2025 reform (34 provinces, 3,321 communes)'
    >>> units_vintage_words("pre-2025 (63 provinces)", level="district", lang="vi")
    'huyện trước sắp xếp ngày 1/7/2025 (63 tỉnh, thành phố; có cấp huyện)'
    >>> units_vintage_words("GADM 4.1 (2009 communes)"), units_vintage_words(None)
    ('GADM 4.1 (2009 communes)', 'unknown vintage (before or after the 1 July 2025 reform)')
    """
    from .vocabulary import label, level_label

    key = {v: k for k, v in VINTAGES.items()}.get(str(vintage)) if vintage else None
    if key is not None:
        units = level_label(level, plural=True, lang=lang).lower()
        return label(f"vintage.{'new' if key == '2025' else 'old'}", lang, units=units)
    return str(vintage) if vintage else label("vintage.unknown", lang)


def units_vintage_text(vintage: str | None, *, level: str = "commune", lang: str = "en") -> str:
    """The line that states the vintage of the units in reports, maps and titles:
    ``"Units: "`` and :func:`units_vintage_words`.

    Examples
    --------
    >>> units_vintage_text("2025 (34 provinces)")
    'Units: communes after the 1 July 2025 reform (34 provinces, 3,321 communes)'
    >>> units_vintage_text(None, lang="vi")
    'Đơn vị hành chính: chưa rõ thời kỳ (trước hay sau sắp xếp ngày 1/7/2025)'
    """
    from .vocabulary import label

    return label("vintage.line", lang, text=units_vintage_words(vintage, level=level, lang=lang))


def units_vintage_metadata(units: pd.DataFrame, vintage: str | None = None) -> dict[str, Any]:
    """What a result's metadata says of the vintage of its units.

    ``units_vintage`` (a label of :func:`units_vintage`: ``vintage`` if given, else the
    units' own, else None: unknown), ``units_vintage_evidence`` (``"given"``, or what
    :func:`detect_units_vintage` found), ``units_vintage_note``, the sentence of the
    model note (English, like the rest of it), and ``units_vintage_note_words``, that
    sentence as catalogue words (:class:`~geocov.errors.Words`), for the note in the
    reader's language.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"province_code": ["15"], "province_name": ["Tỉnh Lào Cai"],
    ...                   "commune_code": ["02647"], "commune_name": ["Phường Lào Cai"]})
    >>> m = units_vintage_metadata(t)
    >>> m["units_vintage"]
    '2025 (34 provinces)'
    >>> m["units_vintage_note"][:75]
    'Units: communes after the 1 July 2025 reform (34 provinces, 3,321 communes)'
    >>> m["units_vintage_evidence"].split("; ")  # doctest: +NORMALIZE_WHITESPACE
    ['province code and name of the 2025 system: 15 Tỉnh Lào Cai',
     'two levels (province, commune) and no district']
    >>> units_vintage_metadata(t.iloc[:, :2], "GADM 4.1")["units_vintage_note"]
    'Units: GADM 4.1.'
    >>> m["units_vintage_note_words"].text("vi")[:70]
    'Đơn vị hành chính: xã sau sắp xếp ngày 1/7/2025 (34 tỉnh, thành phố; 3'
    """
    attrs = units.attrs
    found: Words | Listing | None = None
    if vintage is not None:
        label = units_vintage(vintage=vintage)
    elif attrs.get("geocov_units_vintage") and attrs.get(
            "geocov_units_vintage_evidence", "given") == "given":
        label = str(attrs["geocov_units_vintage"])
    else:
        label, found = _detect_vintage_words(units)
    try:
        finest = unit_levels(units)[-1]
    except SchemaError:
        finest = "commune"
    line = _vintage_line_words(label, finest)
    if found is None:
        words = Words("model.units", {"line": line})
    elif label is None:
        words = Words("model.units_unknown", {
            "line": line, "evidence": found,
            "fix": Words(f"model.fix_vintage_{hint('python', 'cli')}")})
    else:
        words = Words("model.units_detected", {"line": line, "evidence": found})
    return {"units_vintage": label,
            "units_vintage_evidence": "given" if found is None else found.text("en"),
            "units_vintage_note": words.text("en"), "units_vintage_note_words": words}


@dataclass(frozen=True)
class _Lower:
    """Catalogue words in lower case (a header's word inside a sentence), in any language."""

    words: Words

    def text(self, lang: str = "en") -> str:
        return self.words.text(lang).lower()


def _vintage_line_words(vintage: str | None, level: str) -> Words:
    """:func:`units_vintage_text` as catalogue words, in any language."""
    from .vocabulary import LABELS, level_label

    key = {v: k for k, v in VINTAGES.items()}.get(str(vintage)) if vintage else None
    text: Words | str
    if key is not None:
        units: _Lower | str = (
            _Lower(Words(f"levels.{level}"))
            if f"levels.{level}" in LABELS.get("en", {})
            else level_label(level, plural=True).lower())  # the same in every language
        text = Words(f"vintage.{'new' if key == '2025' else 'old'}", {"units": units})
    else:
        text = str(vintage) if vintage else Words("vintage.unknown")
    return Words("vintage.line", {"text": text})
