"""Formatted XLSX workbooks, written fast enough for a whole country.

A workbook is a list of :class:`Sheet` s, each a list of :class:`Column` s: a header, the
values and a *kind* that says how they read (:func:`geocov.vocabulary.column_kind`):

=========  ============================================  ===========================
kind       cell                                          shown as
=========  ============================================  ===========================
``code``   text (leading zeros kept), format ``@``        ``01``
``text``   text                                          ``Xã Tả Van``
``count``  whole number                                  ``1,569``
``people`` whole number (rounded to one person)          ``792,860``
``km2``    number (kept to 1 m²)                         ``6,300.0``
``pct``    a real percentage: the 0-100 figure / 100      ``65.3%``
``usd``    an amount in US dollars (kept to the cent)     ``18,145.91``
``vnd``    an amount in đồng (kept to one đồng)           ``425,000,000``
``km``     a distance (kept to the metre)                ``12.35``
``m``      metres (kept to the cm)                        ``2,500.0``
``deg``    degrees (slope, azimuth; kept to 0.01°)        ``17.5``
``coord``  longitude or latitude (6 decimals, ~0.1 m)     ``104.004141``
``score``  a score or index (kept to 4 decimals)          ``99.31``
``flag``   yes / no, in words of the sheet's language     ``yes``, ``có``
``other``  numbers as numbers, anything else as text     as it is
=========  ============================================  ===========================

Money keeps its currency unit (never thousands or millions): the header says which
currency (``Option cost (USD)``, ``Chi phí phương án (đồng)``); US dollars show two
decimals (a cost per person is a few dollars), đồng none.

Percentages are real ``%`` cells (``0.653`` shown as ``65.3%``), so that Excel sorts,
filters, charts and sums them as shares; :func:`geocov.report.read_report` turns them
back into 0-100 figures. Empty cells are missing values (a percentage of an empty
denominator, fiber with no fiber data).

Every data sheet has a bold, wrapped header row that stays frozen (and is printed on
every page; landscape A4), filters on every column, widths from its headers and values,
and the number format of each column on the whole column (cells a user adds later look
the same).

How it is fast: xlsxwriter writes the workbook (styles, header rows, column widths and
formats, frozen panes, filters, any front sheets such as a summary); the rows of the
data sheets are then built column by column as XML text with NumPy (no Python loop over
the rows) and put into xlsxwriter's sheets before the file is zipped. Text cells are
inline strings. The result opens in Excel, LibreOffice and openpyxl; the national
workbook (about 3 million cells) takes a few seconds instead of a minute
(``bench/bench_report.py``). Nothing in it depends on the clock, so the same tables
give the same bytes.

Examples
--------
>>> import tempfile, pathlib, openpyxl
>>> sheet = Sheet("Communes", (Column("Commune code", ["01", "02"], "code"),
...                            Column("% villages with 4G", [65.25, None], "pct")))
>>> path = write_workbook(pathlib.Path(tempfile.mkdtemp()) / "r.xlsx", [sheet])
>>> ws = openpyxl.load_workbook(path)["Communes"]
>>> ws["A2"].value, ws["B2"].value, ws["B2"].number_format, ws["B3"].value
('01', 0.6525, '0.0%', None)
>>> ws.freeze_panes, ws.auto_filter.ref
('A2', 'A1:B3')
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import numpy as np
import pandas as pd

from .errors import SchemaError
from .vocabulary import column_kind, column_label

__all__ = [
    "Column", "Sheet", "KINDS", "write_workbook", "table_sheet", "columns_sheet", "sheet_name",
]

#: Kind of a column -> its Excel number format (None: General).
KINDS: dict[str, str | None] = {
    "code": "@",
    "text": None,
    "count": "#,##0",
    "people": "#,##0",
    "km2": "#,##0.0",
    "pct": "0.0%",
    "usd": "#,##0.00",
    "vnd": "#,##0",
    "km": "#,##0.00",
    "m": "#,##0.0",
    "deg": "0.0",
    "coord": "0.000000",
    "score": "0.00",
    "flag": None,
    "other": None,
}
# kept in the cell: 1 m², 0.000001 %, a cent, 1 đồng, 1 m, 1 cm, 0.01°, ~0.1 m, 4 decimals
_DECIMALS = {"km2": 6, "pct": 8, "usd": 2, "vnd": 0, "km": 3, "m": 2, "deg": 2, "coord": 6,
             "score": 4}
_TEXT_KINDS = ("code", "text", "flag")
_ROWS_PER_CHUNK = 8192
_MAX_TEXT = 32_767  # Excel's limit for one cell
_BAD_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_BAD_SHEET = str.maketrans({c: " " for c in "[]:*?/\\"})
_FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NS_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"


@dataclass(frozen=True)
class Column:
    """One column of a data sheet.

    ``header`` is what the reader sees, ``values`` one value per row, ``kind`` one of
    :data:`KINDS`, ``name`` the machine name of the column (CSV/GeoPackage), and
    ``width`` a width in characters (default: from the header and the values).
    """

    header: str
    values: Any
    kind: str = "other"
    name: str | None = None
    width: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise SchemaError(f"kind={self.kind!r} is not valid; use one of {', '.join(KINDS)}")


@dataclass(frozen=True)
class Sheet:
    """A data sheet: a name (31 characters at most, see :func:`sheet_name`) and columns
    of equal length; the first ``freeze_columns`` columns stay in view when scrolling;
    ``title`` is printed at the top of every page (the page header)."""

    name: str
    columns: tuple[Column, ...]
    freeze_columns: int = 0
    title: str | None = None

    @property
    def n_rows(self) -> int:
        return len(self.columns[0].values) if self.columns else 0


def sheet_name(text: str, used: set[str] | None = None) -> str:
    """A valid, unused sheet name for ``text`` (records it in ``used``, lower-cased).

    Excel allows 31 characters and none of ``[]:*?/\\``, and no two names that differ
    only in case.

    Examples
    --------
    >>> used = set()
    >>> sheet_name("Districts by operator", used), sheet_name("districts BY operator", used)
    ('Districts by operator', 'districts BY operator 2')
    """
    used = set() if used is None else used
    base = (text.translate(_BAD_SHEET).strip() or "Sheet")[:31]
    out, k = base, 2
    while out.lower() in used:
        tail = f" {k}"
        out = base[: 31 - len(tail)] + tail
        k += 1
    used.add(out.lower())
    return out


def table_sheet(
    frame: pd.DataFrame,
    name: str,
    *,
    used: set[str] | None = None,
    lang: str = "en",
    freeze_columns: int = 0,
    words: Mapping[str, Mapping[Any, str]] | None = None,
) -> Sheet:
    """A sheet of a (Geo)DataFrame: headers from :func:`geocov.vocabulary.column_label`,
    kinds from :func:`geocov.vocabulary.column_kind`; geometry left out.

    Yes/no columns (kind ``flag``) read "yes"/"no" in ``lang``. ``words`` (column ->
    value -> words) shows the values of category columns in words (values it does not
    have stay as they are): the sheet says "quỹ viễn thông công ích" where the CSV file
    keeps "public fund".

    Examples
    --------
    >>> import pandas as pd
    >>> s = table_sheet(pd.DataFrame({"commune_code": ["01"], "villages_pct_4g": [50.0]}),
    ...                 "commune")
    >>> s.name, [(c.header, c.kind) for c in s.columns]
    ('commune', [('Commune code', 'code'), ('% villages with 4G', 'pct')])
    >>> s = table_sheet(pd.DataFrame({"border": [True, False], "option": ["a", "b"]}), "x",
    ...                 lang="vi", words={"option": {"a": "phương án A"}})
    >>> [(c.header, list(c.values)) for c in s.columns]
    [('Xã biên giới', ['có', 'không']), ('Phương án', ['phương án A', 'b'])]
    """
    from .vocabulary import label

    geometry = getattr(frame, "_geometry_column_name", None)
    words = words or {}
    columns = []
    for col in frame.columns:
        if col == geometry:
            continue
        kind = column_kind(str(col))
        values = frame[col]
        if kind == "flag" and pd.api.types.is_bool_dtype(values):
            yes_no = {True: label("cell.yes", lang), False: label("cell.no", lang)}
            values = values.astype(object).map(yes_no)
        elif kind not in _TEXT_KINDS and not (
            pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)
        ):  # words in a column whose name reads as a number: text
            kind = "text"
        if str(col) in words:
            said = values.map(dict(words[str(col)]))
            values = said.where(said.notna(), values)
        columns.append(Column(column_label(str(col), lang), values, kind, name=str(col)))
    return Sheet(sheet_name(name, used), tuple(columns), freeze_columns=freeze_columns)


def columns_sheet(
    sheets: Sequence[Sheet], name: str, lang: str = "en", *, used: set[str] | None = None
) -> Sheet:
    """The key of a workbook: each header of ``sheets`` once, with its column's name in
    the CSV and GeoPackage files and what it holds (as the report workbook's "Columns").

    Examples
    --------
    >>> import pandas as pd
    >>> s = table_sheet(pd.DataFrame({"option_cost_usd": [1.5], "tier": [1]}), "villages")
    >>> key = columns_sheet([s], "Columns")
    >>> [list(c.values) for c in key.columns]
    [['Option cost (USD)', 'Tier'], ['option_cost_usd', 'tier'], ['US dollars', 'count']]
    """
    from .vocabulary import label

    seen: dict[str, Column] = {}
    for sheet in sheets:
        for c in sheet.columns:
            if c.name is not None:
                seen.setdefault(c.name, c)
    units = [label(f"unit.{c.kind}", lang) for c in seen.values()]
    return Sheet(sheet_name(name, used), (
        Column(label("report.columns_header", lang), [c.header for c in seen.values()], "text"),
        Column(label("report.columns_name", lang), list(seen), "text"),
        Column(label("report.columns_unit", lang), units, "text"),
    ))


# --------------------------------------------------------------------------- cells
@dataclass
class _Cells:
    """A column as XML text: ``values`` (str per row, "" where ``present`` is False)."""

    values: np.ndarray
    present: np.ndarray
    text: bool
    width: float


def _as_text(values: pd.Series) -> _Cells:
    na = values.isna().to_numpy()
    text = values.astype(object).where(~na, "").astype(str)
    present = ~na & (text != "").to_numpy()
    width = float(text.str.len().max()) if len(text) else 0.0
    text = text.str.slice(0, _MAX_TEXT)
    if text.str.contains(r"[&<>]", regex=True).any():
        text = (
            text.str.replace("&", "&amp;", regex=False)
            .str.replace("<", "&lt;", regex=False)
            .str.replace(">", "&gt;", regex=False)
        )
    if text.str.contains(_BAD_XML).any():  # control characters are not allowed in XML
        text = text.str.replace(_BAD_XML, "", regex=True)
    return _Cells(text.to_numpy(dtype=object), present, True, width)


def _number_text(numbers: np.ndarray) -> list[str]:
    if numbers.dtype.kind in "iu":
        return list(map(str, numbers.tolist()))
    return list(map(repr, numbers.tolist()))


def _as_numbers(values: pd.Series, kind: str) -> _Cells:
    if kind == "other" and values.dtype == bool:
        values = values.astype(np.int64)
    if values.dtype.kind in "iu" and kind != "pct":  # whole numbers (nullable ones too)
        present = values.notna().to_numpy(dtype=bool)
        numbers = values.to_numpy(dtype=np.int64, na_value=0)
    else:
        numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        present = np.isfinite(numbers)
        if kind in ("count", "people"):
            numbers = np.rint(np.where(present, numbers, 0.0)).astype(np.int64)
        elif kind == "pct":
            numbers = np.round(numbers / 100.0, _DECIMALS[kind])
        elif kind in _DECIMALS:
            numbers = np.round(numbers, _DECIMALS[kind])
    out = np.full(len(numbers), "", dtype=object)
    out[present] = _number_text(numbers[present])
    big = float(np.nanmax(np.abs(numbers[present]))) if present.any() else 0.0
    shown = KINDS[kind] or ""
    digits = len(f"{big:,.0f}") + (len(shown) - shown.index(".") if "." in shown else 0)
    return _Cells(out, present, False, float(digits))


def _cells(column: Column) -> _Cells:
    values = pd.Series(column.values).reset_index(drop=True)
    if column.kind in _TEXT_KINDS:
        return _as_text(values)
    if column.kind == "other" and not (
        pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)
    ):
        return _as_text(values)
    return _as_numbers(values, column.kind)


def _width(column: Column, cells: _Cells) -> float:
    """Characters: enough for the values, and for the header wrapped on up to 3 lines."""
    if column.width is not None:
        return column.width
    words = column.header.split()
    header = max([max(map(len, words), default=0), -(-len(column.header) // 3)])
    return float(min(max(header, cells.width, 6) + 2, 45))


def _col_name(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def _rows_xml(cells: Sequence[_Cells], styles: Sequence[int], n_rows: int) -> Iterator[bytes]:
    """``<row>`` elements for rows 2.. of a sheet, a chunk of rows at a time.

    Each chunk is a 2-D array of XML fragments (row open, then five per cell: open tag
    with the column letter, row number, attributes, value, close tag; then row close)
    joined once, so no Python code runs per row or per cell.
    """
    letters = [_col_name(j) for j in range(len(cells))]
    width = 4 + 5 * len(cells)
    for start in range(0, n_rows, _ROWS_PER_CHUNK):
        stop = min(n_rows, start + _ROWS_PER_CHUNK)
        numbers = np.array(list(map(str, range(start + 2, stop + 2))), dtype=object)
        xml = np.empty((stop - start, width), dtype=object)
        xml[:, 0], xml[:, 1], xml[:, 2], xml[:, -1] = '<row r="', numbers, '">', "</row>"
        for j, (c, style) in enumerate(zip(cells, styles, strict=True)):
            b = 3 + 5 * j
            xml[:, b] = f'<c r="{letters[j]}'
            xml[:, b + 1] = numbers
            if c.text:
                xml[:, b + 2] = f'" s="{style}" t="inlineStr"><is><t xml:space="preserve">'
                xml[:, b + 4] = "</t></is></c>"
            else:
                xml[:, b + 2] = f'" s="{style}"><v>'
                xml[:, b + 4] = "</v></c>"
            xml[:, b + 3] = c.values[start:stop]
            missing = ~c.present[start:stop]
            if missing.any():
                xml[missing, b : b + 5] = ""
        yield "".join(xml.ravel().tolist()).encode("utf-8")


# --------------------------------------------------------------------------- workbook
Front = Callable[[Any, Mapping[str, Any]], None]


def _formats(workbook: Any) -> dict[str, Any]:
    """The named formats every geocov workbook has (data kinds, headers, summary)."""
    by_format: dict[str | None, Any] = {}
    for f in dict.fromkeys(KINDS.values()):  # one format per number format: one index each
        by_format[f] = workbook.add_format({"num_format": f} if f else {})
    out = {kind: by_format[f] for kind, f in KINDS.items()}
    out["header"] = workbook.add_format(
        {"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#DDEBF7", "bottom": 1}
    )
    out["title"] = workbook.add_format({"bold": True, "font_size": 14})
    out["heading"] = workbook.add_format({"bold": True, "font_size": 12})
    out["label"] = workbook.add_format({"bold": True})
    out["wrap"] = workbook.add_format({"text_wrap": True, "valign": "top"})
    return out


def write_workbook(
    path: str | Path, sheets: Sequence[Sheet], *, front: Front | None = None
) -> Path:
    """Write ``sheets`` (after the sheets ``front`` adds) as one XLSX file at ``path``.

    Parameters
    ----------
    path
        The file to write (its folder must exist). Write it through
        :class:`geocov.io.StagedFiles` to have it replaced only once it is complete.
    sheets
        The data sheets, in order.
    front
        ``front(workbook, formats)`` adds sheets before the data sheets with xlsxwriter's
        API (a summary); ``formats`` holds xlsxwriter formats by name: every kind of
        :data:`KINDS`, and ``header``, ``title``, ``heading``, ``label``, ``wrap``.

    Returns
    -------
    Path

    Examples
    --------
    >>> import tempfile, pathlib, openpyxl
    >>> def front(workbook, formats):
    ...     workbook.add_worksheet("Summary").write_string(0, 0, "Lào Cai", formats["title"])
    >>> sheet = Sheet("Communes", (Column("Villages", [1569, 3], "count"),))
    >>> p = write_workbook(pathlib.Path(tempfile.mkdtemp()) / "w.xlsx", [sheet], front=front)
    >>> wb = openpyxl.load_workbook(p)
    >>> wb.sheetnames, wb["Communes"]["A2"].value, wb["Communes"]["A2"].number_format
    (['Summary', 'Communes'], 1569, '#,##0')
    """
    import xlsxwriter

    path = Path(path)
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    formats = _formats(workbook)
    if front is not None:
        front(workbook, formats)
    prepared: dict[str, tuple[Sheet, list[_Cells]]] = {}
    for sheet in sheets:
        cells = [_cells(c) for c in sheet.columns]
        n = sheet.n_rows
        if any(len(c.values) != n for c in cells):
            raise SchemaError(f"sheet {sheet.name!r}: columns of different lengths")
        ws = workbook.add_worksheet(sheet.name)
        ws.set_row(0, 15 * 3)
        for j, (column, c) in enumerate(zip(sheet.columns, cells, strict=True)):
            ws.write_string(0, j, column.header, formats["header"])
            ws.set_column(j, j, _width(column, c), formats[column.kind])
        ws.freeze_panes(1, sheet.freeze_columns)
        ws.set_landscape()
        ws.set_paper(9)  # A4
        ws.repeat_rows(0)  # the header on every printed page
        if sheet.title:  # Excel's page header: "&" is its code mark, 255 characters at most
            ws.set_header("&L" + sheet.title[:200].replace("&", "&&"))
        if sheet.columns:
            ws.autofilter(0, 0, n, len(sheet.columns) - 1)
        prepared[sheet.name] = (sheet, cells)
    workbook.close()
    styles = {  # a format with no property is Excel's default, index 0
        name: [formats[c.kind].xf_index or 0 for c in sheet.columns]
        for name, (sheet, _) in prepared.items()
    }
    _fill(buffer, path, prepared, styles)
    return path


def _sheet_files(package: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> its XML file in the package (from workbook.xml and its rels)."""
    book = ElementTree.fromstring(package.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(package.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): str(r.get("Target")) for r in rels.iter(f"{{{_NS_PKG}}}Relationship")}
    out = {}
    for sheet in book.iter(f"{{{_NS_MAIN}}}sheet"):
        target = targets[sheet.get(f"{{{_NS_R}}}id")]
        out[str(sheet.get("name"))] = "xl/" + target.lstrip("/").removeprefix("xl/")
    return out


def _fill(
    buffer: io.BytesIO,
    path: Path,
    prepared: Mapping[str, tuple[Sheet, list[_Cells]]],
    styles: Mapping[str, list[int]],
) -> None:
    """Copy xlsxwriter's package to ``path`` with the rows of the data sheets filled in."""
    buffer.seek(0)
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(path, "w") as dst:
        files = _sheet_files(src)
        data = {files[name]: name for name in prepared}
        for info in src.infolist():
            out = zipfile.ZipInfo(info.filename, _FIXED_ZIP_TIME)
            out.compress_type = zipfile.ZIP_DEFLATED
            xml = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # no clock time: same tables, same bytes
                xml = re.sub(rb"<dcterms:(created|modified)[^>]*>[^<]*</dcterms:\1>", b"", xml)
            if info.filename not in data:
                dst.writestr(out, xml, compresslevel=6)
                continue
            sheet, cells = prepared[data[info.filename]]
            head, sep, tail = xml.partition(b"</sheetData>")
            if not sep or sheet.n_rows == 0:
                dst.writestr(out, xml, compresslevel=6)
                continue
            last = f"A1:{_col_name(len(cells) - 1)}{sheet.n_rows + 1}".encode()
            head = re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="' + last + b'"/>', head)
            # big XML: the fastest deflate (the file is ~10% larger than at level 6)
            setattr(out, "compress_level" if hasattr(out, "compress_level") else
                    "_compresslevel", 1)
            with dst.open(out, "w") as f:
                f.write(head)
                for chunk in _rows_xml(cells, styles[sheet.name], sheet.n_rows):
                    f.write(chunk)
                f.write(sep + tail)
