"""The deliverables of a coverage analysis: tables, the report workbook and a manifest.

:func:`write_result` writes, into one folder and all or nothing (every file under a
temporary name, renamed into place only when all are complete, see
:class:`geocov.io.StagedFiles`):

* ``<stem>_<level>.csv`` and ``<stem>_<level>_by_operator.csv`` per level, with
  ``<stem>_summary.csv`` and ``<stem>_model.csv``: the machine tables (column names of
  :mod:`geocov.vocabulary`, every column, UTF-8 with BOM);
* ``<stem>.gpkg``: one layer per level, with geometry (EPSG:4326);
* ``<stem>.xlsx``: the report workbook (:func:`report_sheets`), for planners;
* ``rejects.csv`` in lenient mode;
* the manifest (``manifest.json``): what produced the files (:func:`build_manifest`).

The report workbook
-------------------
* **Summary**: title, data date, the summary sentences, key figures for the whole
  study area (units, villages, people and area with any signal, with 4G and with
  fiber), stations by technology, the data sources and input files (rows read, used,
  rejected), and the model.
* **One sheet per level** ("Provinces", "Districts", "Communes", "Total") and **one per
  level by operator**, with readable headers ("Villages with 4G", "% villages with 4G",
  "Area covered by 4G (km²)"), the unit's code and name first and frozen, codes as text,
  counts and people as whole numbers with thousands separators, km² with one decimal,
  percentages as real ``%`` cells. Only the technologies the stations have get columns
  (:func:`geocov.vocabulary.layers_present`), and villages, population and fiber
  columns only when the analysis has them.
* **Columns**: every header with its column name in the CSV and GeoPackage files and
  its unit; :func:`read_report` uses it to read a sheet back into those names.

Headers, sheet names and texts come from :data:`geocov.vocabulary.LABELS`.

Reruns
------
The same inputs and settings give the same bytes in every CSV, in the workbook (nothing
in them depends on the clock) and in the GeoPackage (its "last change" is the data
date; without a data date GDAL writes the clock time); the manifest differs in
``created`` and ``timings_s``.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .io import StagedFiles, write_csv, write_gpkg
from .progress import ProgressArg, progress_for
from .spreadsheet import Column, Sheet, sheet_name, write_workbook
from .vocabulary import (
    TECH_LAYER,
    TECHNOLOGIES,
    TOTAL,
    _column_key,
    code_column,
    column_kind,
    column_label,
    label,
    layers_present,
    level_label,
    name_column,
    result_levels,
    stations_column,
    units_column,
    units_with_column,
)

__all__ = [
    "MANIFEST_FILE",
    "ReportFiles",
    "write_result",
    "write_report",
    "report_sheets",
    "report_columns",
    "read_report",
    "summary_text",
    "model_note",
    "build_manifest",
    "input_records",
]

MANIFEST_FILE = "manifest.json"
#: Where the manifest says what differs on a rerun.
RERUN_NOTE = (
    "A rerun with the same inputs and settings writes the same bytes in every CSV, in the "
    "workbook and (when the analysis has a data_date, its 'last change') in the "
    "GeoPackage; this manifest differs only in 'created', 'timings_s' and the inputs' "
    "'modified' times if the files were touched."
)
_ID_KEYS = ("col.code", "col.name", "col.total_name", "col.operator")


# --------------------------------------------------------------------------- columns
def _technologies(result: Any) -> list[str]:
    stations = getattr(result, "stations", None)
    if stations is None or "technology" not in stations.columns:
        return []
    return [str(t) for t in pd.unique(stations["technology"].dropna())]


def _key(name: str) -> tuple[str, dict[str, str]]:
    return _column_key(name) or ("", {})


def report_columns(result: Any, table: pd.DataFrame, level: str) -> list[str]:
    """The columns of ``table`` (a table of ``result``) that its report sheet shows, in order.

    The unit's code and name first (then the operator, then the codes and names of the
    levels above), then the figures; left out: layers of technologies the stations do
    not have (:func:`geocov.vocabulary.layers_present`), villages columns without
    villages, population columns without population, fiber columns without fiber
    figures, a population source that is the same on every row (the summary sheet
    says it), the total's ``level`` column, and geometry.

    Examples
    --------
    >>> import geocov
    >>> r = geocov.run_analysis(geocov.sample_paths()["analysis"])
    >>> cols = report_columns(r, r.table("commune"), "commune")
    >>> cols[:4], "villages_pct_5g" in cols, "villages_pct_4g" in cols
    (['commune_code', 'commune_name', 'province_code', 'province_name'], False, True)
    """
    geometry = getattr(table, "_geometry_column_name", None)
    names = [str(c) for c in table.columns if c != geometry]
    layers = set(layers_present(_technologies(result)))
    meta = getattr(result, "metadata", {}) or {}
    total = result.table(TOTAL) if level != TOTAL else table
    finest = result_levels(result)[-1] if result_levels(result) else level
    no_villages = getattr(result, "villages", None) is None
    no_population = str(meta.get("population_source", "")) in ("", "none")
    fiber_cols = ["villages_fiber", units_with_column(finest, "fiber")]
    no_fiber = all(c not in total or total[c].isna().all() for c in fiber_cols)

    def shown(name: str) -> bool:
        key, fields = _key(name)
        if fields.get("layer") and fields["layer"] not in layers:
            return False
        if no_villages and ("villages" in key or name == "villages"):
            return False
        if no_population and "population" in key:
            return False
        if no_fiber and "fiber" in key:
            return False
        if key == "col.population_source" and table[name].nunique(dropna=False) <= 1:
            return False
        return key != "col.level"

    kept = [c for c in names if shown(c)]
    own = [c for c in (code_column(level), name_column(level), "name", "operator") if c in kept]
    ids = [c for c in kept if _key(c)[0] in _ID_KEYS and c not in own]
    return own + ids + [c for c in kept if c not in own and c not in ids]


def _sheet_title(level: str, by_operator: bool, lang: str) -> str:
    levels = level_label(level, plural=True, lang=lang)
    return label("sheet.by_operator" if by_operator else "sheet.level", lang, levels=levels)


def units_line(result: Any, lang: str = "en") -> str:
    """The line that states the vintage of a result's units ("Units: communes after the 1
    July 2025 reform (34 provinces, 3,321 communes)", "Units: unknown vintage ...")."""
    from .boundaries import units_vintage_text

    levels = result_levels(result)
    vintage = (getattr(result, "metadata", {}) or {}).get("units_vintage")
    return units_vintage_text(vintage, level=levels[-1] if levels else "commune", lang=lang)


def _data_sheet(
    result: Any, table: pd.DataFrame, level: str, title: str, used: set[str], lang: str
) -> Sheet:
    cols = report_columns(result, table, level)
    columns = tuple(
        Column(column_label(c, lang), table[c].to_numpy(), column_kind(c), name=c) for c in cols
    )
    own = (code_column(level), name_column(level), "name", "operator")
    freeze = sum(c in own for c in cols[:3])  # the unit (and operator) stay in view
    heading = str((getattr(result, "metadata", {}) or {}).get("title") or
                  label("report.title", lang))  # printed on every page, with the units
    return Sheet(sheet_name(title, used), columns, freeze_columns=freeze,
                 title=f"{heading}: {title}. {units_line(result, lang)}")


def report_sheets(
    result: Any,
    levels: Sequence[str] | None = None,
    *,
    lang: str = "en",
    tables: Mapping[str, pd.DataFrame] | None = None,
    operator_tables: Mapping[str, pd.DataFrame] | None = None,
) -> list[Sheet]:
    """The data sheets of the report workbook: each level, each level by operator, Columns.

    ``tables`` / ``operator_tables`` (level -> table) are used when given, so that
    tables already computed for other files are not computed again.

    Examples
    --------
    >>> import geocov
    >>> r = geocov.run_analysis(geocov.sample_paths()["analysis"])
    >>> [s.name for s in report_sheets(r, ["district"])]
    ['Districts', 'Districts by operator', 'Columns']
    """
    levels = list(levels) if levels else list(result.levels)
    used = {label("sheet.summary", lang).lower()}
    tables = tables or {lv: result.table(lv) for lv in levels}
    ops = operator_tables or {lv: result.operator_table(lv) for lv in levels}
    sheets = [
        _data_sheet(result, tables[lv], lv, _sheet_title(lv, False, lang), used, lang)
        for lv in levels
    ]
    if getattr(result, "operators", ()):
        sheets += [
            _data_sheet(result, ops[lv], lv, _sheet_title(lv, True, lang), used, lang)
            for lv in levels
        ]
    seen: dict[str, Column] = {}
    for sheet in sheets:
        for c in sheet.columns:
            seen.setdefault(str(c.name), c)
    sheets.append(
        Sheet(
            sheet_name(label("sheet.columns", lang), used),
            (
                Column(label("report.columns_header", lang), [c.header for c in seen.values()],
                       "text"),
                Column(label("report.columns_name", lang), list(seen), "text"),
                Column(label("report.columns_unit", lang),
                       [label(f"unit.{c.kind}", lang) for c in seen.values()], "text"),
            ),
        )
    )
    return sheets


# --------------------------------------------------------------------------- summary sheet
def summary_text(result: Any, lang: str = "en") -> str:
    """``result.summary(lang=lang)``; a result whose ``summary()`` takes no language gives
    its own (English) words.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> summary_text(SimpleNamespace(summary=lambda: "Signal in 1/1 communes."), "vi")
    'Signal in 1/1 communes.'
    """
    import inspect

    try:
        takes_lang = "lang" in inspect.signature(result.summary).parameters
    except (TypeError, ValueError):  # pragma: no cover - a builtin without a signature
        takes_lang = False
    return str(result.summary(lang=lang) if takes_lang else result.summary())


def _summary_lines(result: Any, lang: str = "en") -> list[str]:
    """The summary sentences, one per line (the parts of ``result.summary()``)."""
    text = summary_text(result, lang).strip()
    parts = [p.strip() for p in text.rstrip(".").split("; ") if p.strip()]
    return [p[:1].upper() + p[1:] for p in parts]


def _share(part: Any, whole: Any) -> float:
    """``part / whole``, or NaN (unknown: an empty cell) when either is missing (None, NaN,
    ``pd.NA``) or ``whole`` is 0.

    Examples
    --------
    >>> _share(1, 4), _share(pd.NA, 4), _share(1, pd.NA), _share(1, 0), _share(None, 2)
    (0.25, nan, nan, nan, nan)
    """
    if pd.isna(part) or pd.isna(whole) or not whole:
        return math.nan
    return float(part) / float(whole)


def _key_figures(result: Any, lang: str) -> tuple[list[str], list[tuple[str, list[tuple]]]]:
    """Header and rows (label, [(value, kind), ...]) of the key-figures table."""
    t = result.table(TOTAL).iloc[0]
    finest = result_levels(result)[-1]
    techs = set(_technologies(result))
    best = "4g_plus" if "5G" in techs else "4g"
    layers = ["any", best]
    fiber = "villages_fiber" in t and not (
        pd.isna(t["villages_fiber"]) and pd.isna(t.get(units_with_column(finest, "fiber")))
    )
    header = [label("report.figure", lang), label("report.total", lang)]
    for layer in layers:
        header += [label("report.with", lang, layer=label(f"layer.{layer}", lang)),
                   label("report.share", lang)]
    if fiber:
        header += [label("report.with_fiber", lang), label("report.share", lang)]

    def row(title: str, total: float, covered: Sequence[float], kind: str,
            fibered: float = math.nan) -> tuple[str, list[tuple]]:
        cells: list[tuple] = [(total, kind)]
        for c in covered:
            cells += [(c, kind), (_share(c, total), "pct")]
        if fiber:
            cells += [(fibered, kind), (_share(fibered, total), "pct")]
        return title, cells

    n = units_column(finest)
    rows = [row(label("report.units", lang, levels=level_label(finest, plural=True, lang=lang)),
                t[n], [t[units_with_column(finest, lv)] for lv in layers], "count",
                t.get(units_with_column(finest, "fiber"), math.nan))]
    if getattr(result, "villages", None) is not None:
        rows.append(row(label("report.villages", lang), t["villages"],
                        [t[f"villages_covered_{lv}"] for lv in layers], "count",
                        t.get("villages_fiber", math.nan)))
    if str(result.metadata.get("population_source", "none")) != "none":
        rows.append(row(label("report.population", lang), t["population"],
                        [t[f"population_covered_{lv}"] for lv in layers], "people"))
    rows.append(row(label("report.area_km2", lang), t["area_km2"],
                    [t[f"covered_area_km2_{lv}"] for lv in layers], "km2"))
    return header, rows


def _stations_rows(result: Any, lang: str) -> list[tuple[str, float]]:
    if getattr(result, "stations", None) is None:
        return []
    t = result.table(TOTAL).iloc[0]
    meta = result.metadata
    present = set(_technologies(result))
    rows = [(column_label(stations_column(TECH_LAYER[tech]), lang), t[stations_column(
        TECH_LAYER[tech])]) for tech in TECHNOLOGIES if tech in present]
    rows.append((label("report.stations_inside", lang), t[stations_column("any")]))
    rows.append((label("report.stations_outside", lang),
                 t.get(stations_column("any", outside=True), 0)))
    if meta.get("stations_excluded"):
        rows.append((label("report.stations_excluded", lang), meta["stations_excluded"]))
    for tech, count in sorted((meta.get("technologies_not_counted") or {}).items()):
        rows.append((label("report.stations_not_counted", lang, technology=tech), count))
    return rows


def _summary_front(result: Any, lang: str) -> Callable[[Any, Mapping[str, Any]], None]:
    """A function that adds the Summary sheet to an xlsxwriter workbook."""
    from . import __version__

    meta = dict(getattr(result, "metadata", {}) or {})

    def front(workbook: Any, fmt: Mapping[str, Any]) -> None:
        ws = workbook.add_worksheet(label("sheet.summary", lang))
        ws.set_paper(9)  # A4, one page wide: it goes into the provincial report as it is
        ws.fit_to_pages(1, 0)
        ws.set_column(0, 0, 36)
        ws.set_column(1, 8, 15)
        r = 0

        def pair(key: str, value: Any) -> None:
            nonlocal r
            ws.write_string(r, 0, label(key, lang), fmt["label"])
            ws.write_string(r, 1, str(value))
            r += 1

        def heading(key: str) -> None:
            nonlocal r
            r += 1
            ws.write_string(r, 0, label(key, lang), fmt["heading"])
            r += 1

        def number(row: int, col: int, value: Any, kind: str) -> None:
            if value is None or (isinstance(value, float) and math.isnan(value)):
                return
            value = float(value)
            if kind in ("count", "people"):
                value = round(value)
            ws.write_number(row, col, value, fmt[kind])

        ws.write_string(r, 0, str(meta.get("title") or label("report.title", lang)),
                        fmt["title"])
        r += 1
        ws.write_string(r, 0, units_line(result, lang), fmt["label"])  # the units' vintage
        r += 1
        if meta.get("data_date"):
            pair("report.data_date", meta["data_date"])
        pair("report.made_by", f"geocov {__version__}")

        heading("report.summary")
        for line in _summary_lines(result, lang):
            ws.write_string(r, 0, line)
            r += 1

        heading("report.key_figures")
        header, rows = _key_figures(result, lang)
        for j, text in enumerate(header):
            ws.write_string(r, j, text, fmt["header"])
        r += 1
        for title, cells in rows:
            ws.write_string(r, 0, title, fmt["label"])
            for j, (value, kind) in enumerate(cells, start=1):
                number(r, j, value, kind)
            r += 1

        stations = _stations_rows(result, lang)
        if stations:
            heading("report.stations")
            for title, value in stations:
                ws.write_string(r, 0, title)
                number(r, 1, value, "count")
                r += 1

        heading("report.sources")
        for source in meta.get("sources") or []:
            ws.write_string(r, 0, str(source))
            r += 1
        inputs = meta.get("inputs") or []
        if inputs:
            r += 1
            keys = ("report.role", "report.file", "report.rows_read", "report.rows_used",
                    "report.rows_rejected")
            for j, key in enumerate(keys):
                ws.write_string(r, j, label(key, lang), fmt["header"])
            r += 1
            for rec in inputs:
                ws.write_string(r, 0, str(rec.get("role", "")))
                ws.write_string(r, 1, Path(str(rec.get("path", ""))).name)
                for j, key in enumerate(("rows_read", "rows_used", "rows_rejected"), start=2):
                    if rec.get(key) is not None:
                        number(r, j, rec[key], "count")
                r += 1

        heading("report.model")
        for key, meta_key in (("report.working_crs", "working_crs"), ("report.grid", "grid"),
                              ("report.population_source", "population_source")):
            if meta.get(meta_key):
                pair(key, model_note(meta, lang, key=meta_key))
        model = model_note(meta, lang)
        if model:
            ws.merge_range(r, 0, r, 8, model, fmt["wrap"])
            ws.set_row(r, 15 * (math.ceil(len(model) / 140) + 1))
            r += 1

        heading("report.sheets")
        note = label("report.sheets_note", lang)
        ws.merge_range(r, 0, r, 8, note, fmt["wrap"])
        ws.set_row(r, 15 * (math.ceil(len(note) / 140) + 1))
        ws.activate()

    return front


# --------------------------------------------------------------------------- files
def write_report(
    result: Any,
    path: str | Path,
    *,
    levels: Sequence[str] | None = None,
    lang: str = "en",
) -> Path:
    """Write the report workbook of ``result`` (see the module) to ``path``, whole or not at all.

    Examples
    --------
    >>> import tempfile, pathlib, geocov, openpyxl
    >>> r = geocov.run_analysis(geocov.sample_paths()["analysis"])
    >>> p = write_report(r, pathlib.Path(tempfile.mkdtemp()) / "report.xlsx")
    >>> openpyxl.load_workbook(p, read_only=True).sheetnames[:5]
    ['Summary', 'Provinces', 'Districts', 'Communes', 'Total']
    """
    path = Path(path)
    with StagedFiles() as stage:
        _write_workbook(result, stage.path(path), levels, lang)
    return path


def _write_workbook(
    result: Any,
    path: Path,
    levels: Sequence[str] | None,
    lang: str,
    tables: Mapping[str, pd.DataFrame] | None = None,
    operator_tables: Mapping[str, pd.DataFrame] | None = None,
) -> Path:
    sheets = report_sheets(result, levels, lang=lang, tables=tables,
                           operator_tables=operator_tables)
    return write_workbook(path, sheets, front=_summary_front(result, lang))


def read_report(
    path: str | Path, level: str, *, by_operator: bool = False, lang: str = "en"
) -> pd.DataFrame:
    """Read one level's sheet of a report workbook back into the columns of the CSV files.

    Headers become column names again (from the workbook's Columns sheet), codes stay
    text, percentages are 0-100 again, counts are integers.

    Examples
    --------
    >>> import tempfile, pathlib, geocov
    >>> r = geocov.run_analysis(geocov.sample_paths()["analysis"])
    >>> p = write_report(r, pathlib.Path(tempfile.mkdtemp()) / "report.xlsx")
    >>> t = read_report(p, "district")
    >>> list(t.columns[:2]), round(float(t["villages_pct_4g"].sum()), 6) == round(float(
    ...     r.table("district")["villages_pct_4g"].sum()), 6)
    (['district_code', 'district_name'], True)
    """
    columns_sheet = sheet_name(label("sheet.columns", lang))
    sheet = sheet_name(_sheet_title(level, by_operator, lang))
    book = pd.read_excel(path, sheet_name=[sheet, columns_sheet], dtype=object)
    key = book[columns_sheet]
    names = dict(zip(key.iloc[:, 0].astype(str), key.iloc[:, 1].astype(str), strict=True))
    frame = book[sheet].rename(columns=names)
    out = {}
    for c in frame.columns:
        kind = column_kind(str(c))
        values = frame[c]
        if kind in ("code", "text"):
            out[c] = values.where(values.notna(), None).map(
                lambda v: v if v is None else str(v)  # noqa: E731 - one value per row, once
            )
        elif kind in ("count", "people"):
            num = pd.to_numeric(values, errors="coerce")
            out[c] = num.astype("int64") if num.notna().all() else num
        elif kind == "pct":
            out[c] = pd.to_numeric(values, errors="coerce") * 100.0
        else:
            out[c] = pd.to_numeric(values, errors="coerce") if kind == "km2" else values
    return pd.DataFrame(out)


# --------------------------------------------------------------------------- manifest
def _file_facts(path: Path) -> dict[str, Any]:
    """Size, SHA-256 and modification time of a file (and of a shapefile's side files)."""
    files = [path]
    if path.suffix.lower() == ".shp":
        files += sorted(p for p in path.parent.glob(path.stem + ".*") if p != path)
    facts: list[dict[str, Any]] = []
    for f in files:
        if not f.is_file():
            continue
        digest = hashlib.sha256()
        with open(f, "rb") as fh:
            while block := fh.read(1 << 20):
                digest.update(block)
        stat = f.stat()
        facts.append({
            "file": f.name,
            "bytes": stat.st_size,
            "sha256": digest.hexdigest(),
            "modified": datetime.fromtimestamp(stat.st_mtime, timezone.utc).isoformat(
                timespec="seconds"),
        })
    if not facts:
        return {"exists": False}
    out = {k: facts[0][k] for k in ("bytes", "sha256", "modified")}
    if len(facts) > 1:
        out["side_files"] = facts[1:]
    return out


def input_records(
    analysis: Any, frames: Mapping[str, Any], rejects: Any = None
) -> list[dict[str, Any]]:
    """What :func:`geocov.run_analysis` read: per input, its path, layer, CRS and rows.

    Rows read, rejected and used come from the rejects report in lenient mode (so rows
    rejected while linking villages count too); in strict mode every row a reader
    returned was used (a bad row raises), and stations of technologies not counted
    (NB-IoT, ...) are counted as read and rejected.

    Examples
    --------
    >>> import geocov
    >>> from geocov.analysis import load_inputs, read_analysis
    >>> a = read_analysis(geocov.sample_paths()["analysis"])
    >>> rec = input_records(a, load_inputs(a))[0]
    >>> rec["role"], rec["crs"], rec["rows_read"], rec["rows_used"]
    ('units', 'EPSG:4326', 150, 150)
    """
    summary = rejects.summary() if rejects is not None else None
    out: list[dict[str, Any]] = []
    for role in ("units", "villages", "stations", "fiber"):
        section = getattr(analysis, role, None)
        frame = frames.get(role)
        if section is None or frame is None:
            continue
        crs = getattr(frame, "crs", None)
        rec: dict[str, Any] = {
            "role": role,
            "path": str(Path(section["path"]).resolve()),
            "layer": section.get("layer"),
            "crs": crs.to_string() if crs is not None else None,
        }
        if summary is not None:
            rows = summary.loc[summary["what"] == role]
            rec.update(
                rows_read=int(rows["rows_read"].sum()),
                rows_rejected=int(rows["rows_rejected"].sum()),
                rows_used=int(rows["rows_used"].sum()),
            )
        else:
            left = sum((frame.attrs.get("technologies_not_counted") or {}).values())
            rec.update(rows_read=len(frame) + int(left), rows_rejected=int(left),
                       rows_used=len(frame))
        out.append(rec)
    population = getattr(analysis, "population", None)
    if population and population not in ("villages", "units"):
        rec = {"role": "population", "path": str(Path(population).resolve()), "layer": None}
        try:
            import rasterio

            with rasterio.open(population) as src:
                rec["crs"] = src.crs.to_string() if src.crs else None
        except Exception:  # noqa: BLE001 - the manifest says what it could not learn
            rec["crs"] = None
        out.append(rec)
    return out


def _json_value(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_json_value(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    return value


def _settings(analysis: Any) -> Any:
    if analysis is None:
        return None
    return _json_value(asdict(analysis))


def build_manifest(
    result: Any,
    *,
    analysis: Any = None,
    outputs: Mapping[Path, Path] | None = None,
    folder: Path | None = None,
    rejects: Any = None,
) -> dict[str, Any]:
    """What produced a set of outputs: version, settings, inputs (with checksums), outputs.

    ``outputs`` maps each output file to where its bytes are now (its temporary name
    while staged); paths are written relative to ``folder``.

    Examples
    --------
    >>> import geocov
    >>> r = geocov.run_analysis(geocov.sample_paths()["analysis"])
    >>> m = build_manifest(r)
    >>> [i["role"] for i in m["inputs"]], len(m["inputs"][2]["sha256"])
    (['units', 'villages', 'stations', 'fiber', 'population'], 64)
    >>> m["inputs"][2]["rows_read"], m["result"]["stations_excluded"]
    (1000, 27)
    """
    from . import __version__

    meta = dict(getattr(result, "metadata", {}) or {})
    inputs = [dict(r) for r in meta.get("inputs") or []]
    for rec in inputs:
        rec.update(_file_facts(Path(rec["path"])))
        rec["data_date"] = meta.get("data_date") or None
    if not inputs:  # a result made by geocov.coverage(): its sources are all we know
        inputs = [{"file": str(s)} for s in meta.get("sources") or []]
    files = []
    for target, now in (outputs or {}).items():
        facts = _file_facts(Path(now))
        name = Path(os.path.relpath(target, folder)).as_posix() if folder else str(target)
        files.append({"file": name, "bytes": facts.get("bytes"), "sha256": facts.get("sha256")})
    model_keys = ("model", "units_vintage", "working_crs", "grid", "population_source",
                  "stations_excluded", "technologies_not_counted", "villages_missing_population")
    return {
        "geocov_version": __version__,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "title": meta.get("title"),
        "data_date": meta.get("data_date") or None,
        "settings": _settings(analysis),
        "mode": "lenient" if rejects is not None else "strict",
        "rows_rejected": len(rejects) if rejects is not None else 0,
        "result": {
            "levels": list(getattr(result, "levels", ())),
            "operators": list(getattr(result, "operators", ())),
            "layers_reported": list(layers_present(_technologies(result))),
            **{k: _json_value(meta.get(k)) for k in model_keys},
        },
        "inputs": _json_value(inputs),
        "outputs": files,
        "timings_s": {k: round(float(v), 3) for k, v in (getattr(result, "timings", {}) or {})
                      .items()},
        "reruns": RERUN_NOTE,
    }


def _metadata_table(meta: Mapping[str, Any], lang: str = "en") -> pd.DataFrame:
    """``key, value`` rows of the result's metadata (lists and tables as JSON; the model
    note, grid and population source in ``lang``, see :func:`model_note`)."""
    def text(k: str) -> str:
        v = meta[k]
        if isinstance(v, str):
            return model_note(meta, lang, key=k)
        return json.dumps(_json_value(v), ensure_ascii=False, sort_keys=True)

    keys = [k for k in meta if k not in ("inputs", "words")]
    return pd.DataFrame({"key": keys, "value": [text(k) for k in keys]})


def model_note(result: Any, lang: str = "en", *, key: str = "model") -> str:
    """The coverage model note of ``result`` (a result, or its ``metadata``) in ``lang``.

    The note is ``metadata["model"]`` (English); a result made by
    :func:`geocov.coverage` also keeps its words (``metadata["words"]``, catalogue
    entries ``model.*``), which give it in the reader's language. A result without
    them (read back from files, made by older versions or by hand), or whose note was
    changed since (its words no longer give the English text), gives its English note.
    ``key`` names another text of the metadata with words (``"grid"``,
    ``"population_source"``); a text without words is given as it is.

    Examples
    --------
    >>> import geocov
    >>> r = geocov.run_analysis(geocov.sample_paths()["analysis"])
    >>> model_note(r, "en") == r.metadata["model"]
    True
    >>> model_note(r, "vi")[:47]
    'Vùng phủ: hình tròn bán kính range_m của từng t'
    >>> model_note({"model": "A note of my own."}, "vi")
    'A note of my own.'
    """
    meta = result if isinstance(result, Mapping) else (getattr(result, "metadata", {}) or {})
    text = meta.get(key)
    if text is None:
        return ""
    words = (meta.get("words") or {}).get(key) if isinstance(meta.get("words"), Mapping) else None
    if lang == "en" or words is None or not hasattr(words, "text"):
        return str(text)
    try:
        if words.text("en") != str(text):  # the note was changed since: its own words
            return str(text)
        return str(words.text(lang))
    except (KeyError, IndexError, ValueError):  # words of another version (SchemaError too)
        return str(text)


@dataclass(frozen=True)
class ReportFiles:
    """What :func:`write_result` wrote: table files in order, the rejects, the manifest."""

    tables: tuple[Path, ...]
    rejects_path: Path | None
    manifest: Path | None


def write_result(
    result: Any,
    folder: str | Path,
    *,
    levels: Sequence[str] | None = None,
    formats: Sequence[str] = ("csv", "gpkg", "xlsx"),
    stem: str = "coverage",
    manifest: str | None = MANIFEST_FILE,
    analysis: Any = None,
    rejects: Any = None,
    rejects_path: str | Path | None = None,
    progress: ProgressArg = None,
    lang: str = "en",
) -> ReportFiles:
    """Write every output of ``result`` into ``folder``, all or nothing (see the module).

    Parameters
    ----------
    result
        A :class:`geocov.CoverageResult`.
    folder
        Where the files go (created).
    levels
        Levels to write (default: every level of ``result``, and the total).
    formats
        Any of ``"csv"``, ``"gpkg"``, ``"xlsx"``.
    stem
        File names' stem (``coverage_commune.csv``, ``coverage.xlsx``).
    manifest
        File name of the manifest in ``folder`` (None: none).
    analysis
        The :class:`geocov.Analysis`, for the manifest's settings.
    rejects, rejects_path
        Lenient mode: the rejects report, written to ``rejects_path`` (default
        ``rejects.csv`` in ``folder``).
    progress
        See :mod:`geocov.progress`: one step for building the tables, one per file.
    lang
        Language of the workbook's headers and texts.

    Returns
    -------
    ReportFiles

    Examples
    --------
    >>> import tempfile, pathlib, geocov
    >>> r = geocov.run_analysis(geocov.sample_paths()["analysis"])
    >>> out = write_result(r, pathlib.Path(tempfile.mkdtemp()), levels=["district"],
    ...                    formats=["csv", "xlsx"])
    >>> [p.name for p in out.tables], out.manifest.name
    (['coverage_district.csv', 'coverage_district_by_operator.csv', 'coverage_summary.csv',
      'coverage_model.csv', 'coverage.xlsx'], 'manifest.json')
    """
    from .io import WRITE_FORMATS

    folder = Path(folder)
    levels = list(levels) if levels else list(result.levels)
    formats = [f for f in WRITE_FORMATS if f in formats]
    files = _planned(folder, stem, levels, formats)
    n_steps = 1 + len(files) + (rejects is not None) + (manifest is not None)
    with progress_for(progress, steps=n_steps, desc="geocov") as p:
        with p.step(label("progress.tables", lang)):
            tables = {lv: result.table(lv) for lv in levels}
            ops = {lv: result.operator_table(lv) for lv in levels}
            extra = {
                "summary": pd.DataFrame({"summary": [summary_text(result, lang)]}),
                "model": _metadata_table(getattr(result, "metadata", {}) or {}, lang),
            }
            csvs = {**tables, **{f"{lv}_by_operator": t for lv, t in ops.items()}, **extra}
        with StagedFiles() as stage:
            for target, (fmt, name) in files.items():
                with p.step(label("progress.write", lang, file=target.name)):
                    tmp = stage.path(target)
                    if fmt == "csv":
                        write_csv(csvs[name], tmp)
                    elif fmt == "gpkg":
                        write_gpkg(tables, tmp, timestamp=_data_date(result))
                    else:
                        _write_workbook(result, tmp, levels, lang, tables, ops)
            written_rejects = None
            if rejects is not None:
                written_rejects = Path(rejects_path) if rejects_path else folder / "rejects.csv"
                with p.step(label("progress.write", lang, file=written_rejects.name)):
                    write_csv(rejects.to_frame(), stage.path(written_rejects))
            manifest_path = None
            if manifest is not None:
                manifest_path = folder / manifest

                def write_manifest(tmp: Path, files: dict[Path, Path]) -> None:
                    doc = build_manifest(result, analysis=analysis, outputs=files,
                                         folder=folder, rejects=rejects)
                    tmp.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n",
                                   encoding="utf-8")

                with p.step(label("progress.write", lang, file=manifest)):
                    # written last: inside a run (geocov.analysis), once every file of the
                    # run is staged (terrain, priorities, plan, maps), so that it lists them
                    stage.finish(manifest_path, write_manifest)
    return ReportFiles(tuple(files), written_rejects, manifest_path)


def _data_date(result: Any) -> str | None:
    """The result's data date if it reads as a date (the GeoPackage's "last change")."""
    text = str((getattr(result, "metadata", {}) or {}).get("data_date") or "")
    try:
        return pd.Timestamp(text).isoformat() if text else None
    except ValueError:
        return None


def _planned(
    folder: Path, stem: str, levels: Sequence[str], formats: Sequence[str]
) -> dict[Path, tuple[str, str]]:
    """Output path -> (format, table) in the order written."""
    out: dict[Path, tuple[str, str]] = {}
    if "csv" in formats:
        names = [*levels, *[f"{lv}_by_operator" for lv in levels], "summary", "model"]
        out.update({folder / f"{stem}_{n}.csv": ("csv", n) for n in names})
    if "gpkg" in formats:
        out[folder / f"{stem}.gpkg"] = ("gpkg", "")
    if "xlsx" in formats:
        out[folder / f"{stem}.xlsx"] = ("xlsx", "")
    return out

