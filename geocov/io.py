"""Reading tables and layers, resolving column aliases, and the rejects report.

Every reader in geocov goes through this module, so that:

* CSV (``,``/``;``/tab separated, UTF-8, UTF-8 with BOM, UTF-16, Windows-1258, TCVN3
  or VNI, detected; decimal point or Vietnamese-locale decimal comma), Excel and every
  vector format GDAL reads (GeoPackage, Shapefile with or without ``.cpg``, GeoJSON,
  GeoParquet, ...) are read the same way, every name and text in Unicode NFC;
* every record keeps its provenance: ``source_file`` and ``source_row``.  For CSV
  and Excel ``source_row`` is the spreadsheet row (the header is row 1, so the first
  record is row 2); for vector layers it is the 1-based feature number;
* a bad value either raises one error that lists *all* the rows with that problem
  (strict mode, the default) or, when a :class:`RejectsReport` is passed, goes into
  that report (lenient mode), so that every input row is accounted for.
"""

from __future__ import annotations

import contextvars
import csv
import io as _io
import os
import re
import secrets
import unicodedata
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from .encoding import decode_bytes, encoding_name, nfc_frame, redecode_frame
from .errors import (
    DataQualityWarning,
    DataSourceError,
    GeocovError,
    SchemaError,
    hint,
    hint_words,
)

__all__ = [
    "RejectsReport",
    "read_table",
    "resolve_columns",
    "parse_numbers",
    "file_decimal",
    "parse_flags",
    "reject_rows",
    "fold_text",
    "codes_as_text",
    "frame_from_source",
    "source_names",
    "count_rows_read",
    "has_geometry",
    "lonlat_points",
    "VECTOR_SUFFIXES",
    "WRITE_FORMATS",
    "StagedFiles",
    "temporary_path",
    "write_csv",
    "write_gpkg",
    "write_tables",
]

VECTOR_SUFFIXES = {
    ".gpkg",
    ".shp",
    ".geojson",
    ".json",
    ".fgb",
    ".parquet",
    ".geoparquet",
    ".gml",
    ".kml",
    ".tab",
    ".sqlite",
    ".gdb",
    ".zip",
}
EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls"}
TEXT_SUFFIXES = {".csv", ".txt", ".tsv"}
MAX_LISTED = 20


def fold_text(text: str) -> str:
    """Lower-case ``text`` and keep only its letters and digits, without diacritics.

    For matching names and headers: spaces, ``_``, ``-``, ``.`` and brackets are dropped,
    so ``"Bán kính (m)"`` and ``ban_kinh_m`` fold alike.  Vietnamese ``đ`` folds to ``d``.

    Examples
    --------
    >>> fold_text("Bản Khoang")
    'bankhoang'
    >>> fold_text(" Site_ID ")
    'siteid'
    >>> fold_text("Đồng Văn") == fold_text("dong van")
    True
    >>> fold_text("Bán kính (m)") == fold_text("ban_kinh_m")
    True
    """
    text = str(text).replace("đ", "d").replace("Đ", "D")
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[\W_]+", "", text).lower()


@dataclass
class RejectsReport:
    """Collects rejected input rows so that a reader can go on past them (lenient mode).

    Pass the same report to every reader and to :func:`geocov.coverage`; afterwards
    :meth:`to_frame` lists every rejected row with file, row, column, value and reason,
    and :meth:`summary` accounts for every row read (read = used + rejected).

    Examples
    --------
    >>> r = RejectsReport()
    >>> r.count_read("bts.csv", "stations", 3)
    >>> r.add("bts.csv", [4], "lat", ["abc"], "latitude is not a number")
    >>> r.to_frame()[["file", "row", "column", "value"]].values.tolist()
    [['bts.csv', 4, 'lat', 'abc']]
    >>> r.summary()[["rows_read", "rows_rejected", "rows_used"]].values.tolist()
    [[3, 1, 2]]
    """

    _rows: list[dict[str, Any]] = field(default_factory=list)
    _read: dict[tuple[str, str], int] = field(default_factory=dict)

    def count_read(self, file: str, what: str, n: int) -> None:
        """Record that ``n`` records of kind ``what`` were read from ``file``."""
        key = (str(file), what)
        self._read[key] = self._read.get(key, 0) + int(n)

    def add(
        self,
        file: str,
        rows: Iterable[int],
        column: str | None,
        values: Iterable[Any],
        reason: str,
    ) -> None:
        """Add rejected rows (one entry per row) with the offending column and value."""
        for row, value in zip(rows, values, strict=True):
            self._rows.append(
                {
                    "file": str(file),
                    "row": int(row),
                    "column": column,
                    "value": None if _isna(value) else str(value),
                    "reason": reason,
                }
            )

    def __len__(self) -> int:
        return len(self._rows)

    def to_frame(self) -> pd.DataFrame:
        """All rejected rows: ``file, row, column, value, reason`` (one row per rejected record)."""
        cols = ["file", "row", "column", "value", "reason"]
        return pd.DataFrame(self._rows, columns=cols)

    def summary(self) -> pd.DataFrame:
        """One row per (file, kind): ``rows_read``, ``rows_rejected``, ``rows_used``
        (nullable integers) and a ``note``.

        A file with rejects that was not read with this report (rejects passed only to
        :func:`geocov.coverage`, say) still has its row: its rejects are counted, and
        ``rows_read`` / ``rows_used`` are empty, the note saying "rows read: unknown for
        <file>" and how to know them.

        Examples
        --------
        >>> r = RejectsReport()
        >>> r.add("thon.csv", [5, 9], "unit_code", ["x", "y"], "no such commune")
        >>> s = r.summary()
        >>> s[["file", "rows_read", "rows_rejected"]].values.tolist()
        [['thon.csv', <NA>, 2]]
        >>> s["note"].iloc[0]
        'rows read: unknown for thon.csv (not read with this report: pass the same rejects= \
to its reader)'
        """
        rej = self.to_frame()
        counts = rej.drop_duplicates(["file", "row"]).groupby("file").size()
        out = [
            {
                "file": f,
                "what": w,
                "rows_read": n,
                "rows_rejected": int(counts.get(f, 0)),
                "rows_used": n - int(counts.get(f, 0)),
                "note": "",
            }
            for (f, w), n in self._read.items()
        ]
        known = {f for f, _ in self._read}
        out += [  # rejects of files this report did not see read: what is known, and not
            {
                "file": f,
                "what": None,
                "rows_read": None,
                "rows_rejected": int(n),
                "rows_used": None,
                "note": f"rows read: unknown for {f} (not read with this report: "
                + hint("pass the same rejects= to its reader", "read it with --lenient")
                + ")",
            }
            for f, n in counts.items()
            if f not in known
        ]
        frame = pd.DataFrame(
            out, columns=["file", "what", "rows_read", "rows_rejected", "rows_used", "note"]
        )
        for c in ("rows_read", "rows_rejected", "rows_used"):
            frame[c] = frame[c].astype("Int64")
        return frame

    def write(self, path: str | Path) -> Path:
        """Write the rejects as UTF-8 CSV (with BOM so that Excel shows Vietnamese text)."""
        path = Path(path)
        with StagedFiles() as stage:  # whole or not at all
            write_csv(self.to_frame(), stage.path(path))
        return path


def _isna(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def reject_rows(
    bad: np.ndarray | pd.Series,
    frame: pd.DataFrame,
    *,
    column: str | None,
    values: pd.Series | np.ndarray | None,
    reason: str,
    fix: str,
    rejects: RejectsReport | None,
    error: type[GeocovError] = SchemaError,
) -> np.ndarray:
    """Handle the rows of ``frame`` flagged by ``bad``; return the boolean mask of rows to keep.

    Strict mode (``rejects is None``): if any row is bad, raise ``error`` naming the file,
    every bad row (up to 20, then a count), the column and the values, and ``fix``.
    Lenient mode: record them in ``rejects`` and return the keep-mask.

    ``frame`` must carry ``source_file`` and ``source_row`` columns.
    """
    bad = np.asarray(bad, dtype=bool)
    if not bad.any():
        return ~bad
    files = frame["source_file"].to_numpy()[bad]
    rows = frame["source_row"].to_numpy()[bad]
    vals = (
        np.asarray(values, dtype=object)[bad]
        if values is not None
        else np.full(bad.sum(), None, dtype=object)
    )
    if rejects is None:
        listed = ", ".join(
            f"row {r} ({v!r})" if column else f"row {r}"
            for r, v in zip(rows[:MAX_LISTED], vals[:MAX_LISTED], strict=True)
        )
        more = f" and {len(rows) - MAX_LISTED} more" if len(rows) > MAX_LISTED else ""
        where = f" in column {column!r}" if column else ""
        lenient = hint(
            "(or pass rejects=geocov.RejectsReport() to skip such rows and report them)",
            "(or add --lenient to skip such rows and list them in the rejects report)",
        )
        raise error(
            f"{files[0]}: {len(rows)} row(s){where}: {reason}: {listed}{more}. {fix} {lenient}"
        )
    for f in pd.unique(files):
        sel = files == f
        rejects.add(f, rows[sel], column, vals[sel], reason)
    return ~bad


def _sniff_text(path: Path, encoding: str | None = None) -> tuple[str, str, str]:
    """Decode a text file (detected encoding unless ``encoding``; NFC) and sniff its separator.

    Returns ``(text, separator, encoding)``; warns (DataQualityWarning) when the detected
    encoding is not certain, see :func:`geocov.encoding.decode_bytes`.
    """
    text, enc, _ = decode_bytes(path.read_bytes(), encoding=encoding, file=str(path))
    head = "\n".join(text.splitlines()[:50])
    try:
        sep = csv.Sniffer().sniff(head, delimiters=",;\t|").delimiter
    except csv.Error:
        sep = ","
    return text, sep, enc


# A Shapefile's DBF says nothing reliable about its encoding: a ``.cpg`` beside it may.
# GDAL decodes Windows-1258 with iconv and loses the last letter of many fields, and knows
# no TCVN3/VNI, so DBF text is read as ISO-8859-1 (one character per byte, lossless) and
# decoded by geocov.encoding.  A Latin-1/1252 ``.cpg`` is only a hint: TCVN3 and VNI files
# were made with "Latin-1" fonts, so they are detected.
_WEAK_CPG = {"cp1252", "latin-1"}


def _dbf_codepage(path: Path, layer: str | int | None) -> str | None:
    """``None`` if ``path`` is not DBF-based; else the text of its ``.cpg`` (``""`` if none)."""
    suffix = path.suffix.lower()
    if suffix in (".shp", ".dbf"):
        for cpg in (path.with_suffix(".cpg"), path.with_suffix(".CPG")):
            if cpg.exists():
                return cpg.read_text(encoding="latin-1").strip()
        return ""
    if suffix == ".tab":  # MapInfo: its "!charset" is often wrong for Vietnamese text
        return ""
    if suffix == ".zip":
        import zipfile

        try:
            with zipfile.ZipFile(path) as zf:
                members = zf.namelist()
        except (OSError, zipfile.BadZipFile):
            return None
        dbfs = [m for m in members if m.lower().endswith(".dbf")]
        if not dbfs:
            return None
        if isinstance(layer, str):
            dbfs = [m for m in dbfs if Path(m).stem == layer] or dbfs
        if len(dbfs) != 1:
            return ""
        cpgs = [m for m in members if m.lower() == dbfs[0][:-4].lower() + ".cpg"]
        if not cpgs:
            return ""
        with zipfile.ZipFile(path) as zf:
            return zf.read(cpgs[0]).decode("latin-1").strip()
    return None


def _read_vector(path: Path, layer: str | int | None, encoding: str | None) -> pd.DataFrame:
    """A vector layer with its text decoded exactly (see :data:`_WEAK_CPG`); NFC."""
    if path.suffix.lower() in (".parquet", ".geoparquet"):
        return gpd.read_parquet(path)  # UTF-8 by definition
    cpg = _dbf_codepage(path, layer)
    if encoding is None and cpg is None:  # GeoPackage, GeoJSON, ...: UTF-8 by definition
        return gpd.read_file(path, layer=layer, engine="pyogrio")
    raw = gpd.read_file(path, layer=layer, engine="pyogrio", encoding="latin1")
    if encoding is not None:
        frame, enc, _ = redecode_frame(raw, encoding=encoding, file=str(path))
    else:
        try:
            given = encoding_name(cpg) if cpg else None
        except SchemaError:  # a code page Python does not know: detect instead
            given = None
        if given in _WEAK_CPG:
            given = None
        try:
            frame, enc, _ = redecode_frame(raw, encoding=given, file=str(path))
        except DataSourceError:
            warnings.warn(
                DataQualityWarning.of("cpg_not_valid", file=str(path), cpg=cpg,
                                      encoding=str(given)),
                stacklevel=3,
            )
            frame, enc, _ = redecode_frame(raw, encoding=None, file=str(path))
    frame.attrs["encoding"] = enc
    return frame


def read_table(
    path: str | Path,
    *,
    layer: str | int | None = None,
    sheet: str | int | None = None,
    encoding: str | None = None,
) -> pd.DataFrame:
    """Read a CSV, Excel sheet or vector layer with provenance columns.

    Text cells of CSV and Excel files are kept as strings (use :func:`parse_numbers`);
    vector layers come back as a GeoDataFrame in their own CRS.  Adds ``source_file``
    (the file's name) and ``source_row``.

    Text encodings: CSV/TXT files and Shapefile DBFs without a ``.cpg`` are decoded with
    the encoding detected among UTF-8, UTF-16, Windows-1258, TCVN3 and VNI (a
    :class:`~geocov.errors.DataQualityWarning` says when the detection is not certain);
    ``encoding=`` forces one (``"utf-8"``, ``"cp1258"``, ``"tcvn3"``, ``"vni"``, ...) and
    wins over a ``.cpg``.  Every column name and text value comes back in Unicode NFC, and
    ``attrs["encoding"]`` says how a CSV or DBF was decoded.

    Raises
    ------
    DataSourceError
        If the file does not exist or cannot be read, with the reason from the reader.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "bts.csv"
    >>> _ = p.write_text("id;lat;lon\\nA;22,48;103,97\\n", encoding="utf-8")
    >>> t = read_table(p)
    >>> t[["id", "lat", "source_row"]].values.tolist()
    [['A', '22,48', 2]]
    """
    path = Path(path)
    if not path.exists():
        raise DataSourceError(
            f"{path}: no such file. Check the path (relative paths are "
            f"taken from the current folder: {Path.cwd()})"
        )
    suffix = path.suffix.lower()
    name = path.name
    try:
        if suffix in TEXT_SUFFIXES:
            text, sep, enc = _sniff_text(path, encoding)
            frame = pd.read_csv(
                _io.StringIO(text),
                sep=sep,
                dtype=str,
                keep_default_na=False,
                na_values=[""],
                skipinitialspace=True,
            )
            frame.columns = [str(c).strip() for c in frame.columns]
            rows = np.arange(len(frame)) + 2
            frame.attrs["csv_separator"] = sep
            frame.attrs["encoding"] = enc
        elif suffix in EXCEL_SUFFIXES:
            frame = pd.read_excel(path, sheet_name=sheet if sheet is not None else 0, dtype=object)
            frame.columns = [str(c).strip() for c in frame.columns]
            rows = np.arange(len(frame)) + 2
        else:
            frame = _read_vector(path, layer, encoding)
            rows = np.arange(len(frame)) + 1
    except GeocovError:
        raise
    except Exception as exc:  # the reader's own reason is the useful part
        raise DataSourceError(f"{path}: cannot be read ({type(exc).__name__}: {exc})") from exc
    frame = frame.copy()
    frame["source_file"] = name
    frame["source_row"] = rows
    frame = nfc_frame(frame)  # composed and decomposed names match and sort alike
    return frame


def resolve_columns(
    frame: pd.DataFrame,
    aliases: Mapping[str, Sequence[str]],
    *,
    given: Mapping[str, str] | None,
    required: Sequence[str],
    file: str,
    option: str = "columns",
    cli_option: str | None = None,
) -> dict[str, str]:
    """Map canonical names to the frame's columns.

    ``given`` (the user's explicit mapping) wins; otherwise the first alias that matches a
    column, ignoring case, spaces, ``_``/``-`` and diacritics.  Missing required columns
    raise one :class:`SchemaError` listing them, the columns present and the fix.

    ``option`` is the reader's argument that takes the mapping (``columns``) and
    ``cli_option`` the command-line option that does (e.g. ``--stations-columns``; default
    ``--<option>``): messages name the one that fits where the user is
    (:func:`geocov.errors.hint`).

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame(columns=["Site ID", "LAT", "Lng"])
    >>> resolve_columns(f, {"id": ["site_id"], "lat": ["lat"], "lon": ["lon", "lng"]},
    ...                 given=None, required=["lat", "lon"], file="x.csv")
    {'id': 'Site ID', 'lat': 'LAT', 'lon': 'Lng'}
    """
    cli = cli_option or "--" + option.replace("_", "-")
    where = hint(f"{option}=", cli)
    given = dict(given or {})
    unknown = set(given) - set(aliases)
    if unknown:
        raise SchemaError(
            f"{file}: unknown key(s) {sorted(unknown)} in {where}; valid keys are {sorted(aliases)}"
        )
    folded: dict[str, str] = {}
    for col in frame.columns:
        folded.setdefault(fold_text(col), col)
    out: dict[str, str] = {}
    for key, names in aliases.items():
        if key in given:
            if given[key] not in frame.columns:
                raise SchemaError(
                    f"{file}: column {given[key]!r} (given for {key!r} in {where}) "
                    f"does not exist; "
                    f"columns present: {list(map(str, frame.columns))}"
                )
            out[key] = given[key]
            continue
        for name in (key, *names):
            hit = folded.get(fold_text(name))
            if hit is not None and hit not in out.values():
                out[key] = hit
                break
    missing = [k for k in required if k not in out]
    if missing:
        hints = "; ".join(f"{k}: one of {[k, *aliases[k]]}" for k in missing)
        raise SchemaError(
            f"{file}: required column(s) {missing} not found ({hints}). Columns present: "
            f"{[c for c in map(str, frame.columns) if c not in ('source_file', 'source_row')]}. "
            "Rename them or "
            + hint(
                f"pass {option}={{{missing[0]!r}: '<your column>'}}.",
                f"pass {cli} {missing[0]}='<your column>' (in an analysis TOML: "
                f'{option} = {{ {missing[0]} = "<your column>" }}).',
            )
        )
    return out


_COMMA_DECIMAL = re.compile(r"^[-+]?(\d+|\d{1,3}(\.\d{3})+),\d+$")  # 12,5  1.234,5
_POINT_DECIMAL = re.compile(r"^[-+]?(\d*|\d{1,3}(,\d{3})+)\.\d+$")  # 12.5  1,234.5  .5
_DOT_GROUPS = re.compile(r"^[-+]?\d{1,3}(\.\d{3})+$")  # 1.234 (ambiguous alone)
_COMMA_GROUPS = re.compile(r"^[-+]?\d{1,3}(,\d{3})+$")  # 1,234 (ambiguous alone)


def parse_numbers(values: pd.Series, *, decimal: str | None = None) -> pd.Series:
    """Parse numbers written with a decimal point or a decimal comma; unparseable -> NaN.

    With ``decimal=None`` the column decides: the comma is the decimal mark (Vietnamese
    locale) only if some value needs it (``12,5``, ``1.234,5``) and no value needs a decimal
    point (``12.5`` with other than three digits after the point, ``1,234.5``). A thousands
    separator is only accepted in proper groups of three, so ``1,5`` is never read as 15:
    under the wrong mark it becomes NaN (and the reader reports the row).

    Examples
    --------
    >>> import pandas as pd
    >>> parse_numbers(pd.Series(["22,48", "103", "1.234,5", "x", None])).tolist()
    [22.48, 103.0, 1234.5, nan, nan]
    >>> parse_numbers(pd.Series(["1,234.5", "7", "21.941", "22.749096"])).tolist()
    [1234.5, 7.0, 21.941, 22.749096]
    >>> parse_numbers(pd.Series(["1,5", "2.25"])).tolist()  # mixed marks: no guessing
    [nan, 2.25]
    """
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        return values.astype("float64")
    import pyarrow.compute as pc

    text = _arrow_text(values)
    if decimal is None:
        is_comma_dec = pc.any(pc.match_substring_regex(text, _COMMA_DECIMAL.pattern)).as_py()
        is_point_dec = pc.any(pc.and_(
            pc.match_substring_regex(text, _POINT_DECIMAL.pattern),
            pc.invert(pc.match_substring_regex(text, _DOT_GROUPS.pattern)))).as_py()
        decimal = "," if is_comma_dec and not is_point_dec else "."
    if decimal not in (",", "."):
        raise SchemaError(f"decimal must be ',' or '.', got {decimal!r}")
    thousands = "." if decimal == "," else ","
    sep, dec = re.escape(thousands), re.escape(decimal)
    # a thousands separator is only accepted in proper groups of three before the mark
    grouped = rf"^[-+]?\d{{1,3}}({sep}\d{{3}})+({dec}\d*)?([eE][-+]?\d+)?$"
    bad = pc.and_(pc.match_substring(text, thousands),
                  pc.invert(pc.match_substring_regex(text, grouped)))
    cleaned = pc.replace_substring(text, thousands, "")
    if decimal == ",":
        cleaned = pc.replace_substring(cleaned, ",", ".")
    cleaned = pc.if_else(bad, None, cleaned)
    out = pd.to_numeric(
        pd.Series(cleaned.to_numpy(zero_copy_only=False), index=values.index, dtype=object),
        errors="coerce")
    return out.astype("float64")


def _arrow_text(values: pd.Series):
    """``values`` as an Arrow string array, stripped, without spaces (null where missing)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pd.api.types.is_string_dtype(values.dtype) or pd.api.types.is_object_dtype(values.dtype):
        try:
            arr = pa.array(values, type=pa.string(), from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed cells (Excel): text them
            na = values.isna().to_numpy()
            arr = pa.array(values.astype(str).to_numpy(dtype=object), type=pa.string(),
                           mask=na)
    else:
        arr = pa.array(values.astype(str).to_numpy(dtype=object), type=pa.string(),
                       mask=values.isna().to_numpy())
    arr = pc.utf8_trim_whitespace(arr)
    arr = pc.replace_substring(arr, " ", "")
    return pc.replace_substring(arr, "\u00a0", "")


_NUMBER_LIKE = re.compile(r"^[-+]?[\d.,]*\d[\d.,]*$")


def _decimal_evidence(values: pd.Series) -> tuple[list[str], list[str], list[str]]:
    """Distinct values of one column that prove a decimal comma, a decimal point, or neither.

    Returns ``(comma, point, ambiguous)`` example lists.  ``22,48`` and ``1.234,5`` and
    ``1.234.567`` prove a comma; ``22.48``, ``1,234.5`` and ``1,234,567`` prove a point;
    ``2.662`` and ``1,234`` are ambiguous (a decimal, or a thousands group).
    """
    import pyarrow.compute as pc

    text = pc.unique(_arrow_text(values).drop_null())
    text = text.filter(pc.match_substring_regex(text, _NUMBER_LIKE.pattern))
    if len(text) == 0:
        return [], [], []

    def match(pattern: re.Pattern) -> Any:
        return pc.match_substring_regex(text, pattern.pattern)

    dot_groups, comma_groups = match(_DOT_GROUPS), match(_COMMA_GROUPS)
    many_dots = pc.greater(pc.count_substring(text, "."), 1)
    many_commas = pc.greater(pc.count_substring(text, ","), 1)
    comma = pc.or_(pc.and_(match(_COMMA_DECIMAL), pc.invert(comma_groups)),
                   pc.and_(dot_groups, many_dots))
    point = pc.or_(pc.and_(match(_POINT_DECIMAL), pc.invert(dot_groups)),
                   pc.and_(comma_groups, many_commas))
    ambiguous = pc.and_(pc.or_(dot_groups, comma_groups),
                        pc.invert(pc.or_(comma, point)))

    def first(mask: Any) -> list[str]:
        return text.filter(mask)[:5].to_pylist()

    return first(comma), first(point), first(ambiguous)


def file_decimal(
    frame: pd.DataFrame, *, decimal: str | None = None, file: str | None = None
) -> str:
    """Decide the decimal mark (``","`` or ``"."``) of a whole table.

    Vietnamese-locale exports write ``22,48`` for 22.48 and ``2.662`` for 2,662; deciding
    column by column reads such a radius column as 2.662 m.  So every numeric-looking text
    column of ``frame`` gives its evidence (see below) and one mark is chosen for the
    whole file:

    * a value such as ``22,48``, ``1.234,5`` or ``1.234.567`` proves a decimal comma;
    * a value such as ``22.48``, ``1,234.5`` or ``1,234,567`` proves a decimal point;
    * ``2.662`` or ``1,234`` prove nothing (a decimal or a thousands group).

    Evidence for one mark only decides.  Evidence for both raises, since no choice is
    safe.  With no evidence the decimal point is used, and a
    :class:`~geocov.errors.DataQualityWarning` names each column whose values would read
    differently under the other mark.  Numeric (non-text) columns, such as Excel numbers,
    need no decision.

    Parameters
    ----------
    frame : DataFrame
        The table as read (text cells), e.g. from :func:`read_table`.
    decimal : {",", "."}, optional
        The user's choice: returned as it is (after a check), no evidence looked at.
    file : str, optional
        The file's name for messages (default: the frame's ``source_file``).

    Returns
    -------
    str
        ``","`` or ``"."``.

    Raises
    ------
    SchemaError
        ``decimal`` is not ``","``/``"."``, or the columns disagree.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"vi_do": ["22,48", "22,5"], "ban_kinh_m": ["2.662", "3.100"]})
    >>> file_decimal(t)
    ','
    >>> parse_numbers(t["ban_kinh_m"], decimal=file_decimal(t)).tolist()
    [2662.0, 3100.0]
    >>> file_decimal(pd.DataFrame({"lat": ["22.48"], "range_m": ["1,500"]}))
    '.'
    """
    if decimal is not None:
        if decimal not in (",", "."):
            raise SchemaError(f"decimal must be ',' or '.', got {decimal!r}")
        return decimal
    if file is None:
        file = source_names(frame) if "source_file" in frame.columns else "<table>"
    comma: dict[str, list[str]] = {}
    point: dict[str, list[str]] = {}
    ambiguous: dict[str, list[str]] = {}
    for col in frame.columns:
        if col in ("source_file", "source_row") or not (
            pd.api.types.is_object_dtype(frame[col].dtype)
            or pd.api.types.is_string_dtype(frame[col].dtype)
        ):
            continue
        c, p, a = _decimal_evidence(frame[col])
        if c:
            comma[str(col)] = c
        if p:
            point[str(col)] = p
        if a:
            ambiguous[str(col)] = a

    def listed(ev: dict[str, list[str]]) -> str:
        return "; ".join(f"{k!r} ({', '.join(map(repr, v[:3]))})" for k, v in ev.items())

    if comma and point:
        raise SchemaError(
            f"{file}: the numbers disagree on the decimal mark: decimal comma in "
            f"{listed(comma)}, decimal point in {listed(point)}. Fix the odd column, or say "
            f"which mark the file uses: "
            + hint("pass decimal=',' (or '.')", "pass --decimal , (or .)")
        )
    if comma:
        return ","
    if point:
        return "."
    if ambiguous:
        warnings.warn(
            DataQualityWarning.of("decimal_mark", file=file, columns=listed(ambiguous),
                                  fix=hint_words("decimal_comma")),
            stacklevel=2,
        )
    return "."


WRITE_FORMATS = ("csv", "gpkg", "xlsx")


# ----------------------------------------------------------- writing files whole
def temporary_path(path: str | Path) -> Path:
    """A free temporary name beside ``path`` with the same suffix (so GDAL and Excel
    writers still see the format): ``out/.coverage.xlsx.tmp-<pid>-<hex>.xlsx``.

    Examples
    --------
    >>> p = temporary_path("out/coverage.xlsx")
    >>> p.parent.name, p.name.startswith(".coverage.xlsx.tmp-"), p.suffix
    ('out', True, '.xlsx')
    """
    path = Path(path)
    token = f"{os.getpid()}-{secrets.token_hex(4)}"
    return path.with_name(f".{path.name}.tmp-{token}{path.suffix}")


#: The stage of a whole run (``StagedFiles(collect=True)``) while it is open.
_RUN_STAGE: contextvars.ContextVar[StagedFiles | None] = contextvars.ContextVar(
    "geocov_run_stage", default=None
)


class StagedFiles:
    """Files written under temporary names beside their targets, then put in place together.

    ``path(target)`` gives the temporary name to write ``target`` to; :meth:`commit`
    renames every temporary file onto its target (``os.replace``, atomic on one file
    system) in the order staged; :meth:`discard` deletes them. As a context manager it
    commits when the block ends normally and discards when it raises, so a run that
    fails half-way, or is interrupted, leaves every earlier file (last year's report) as
    it was and no half-written file in its place.

    **A whole run.** ``StagedFiles(collect=True)`` entered as a context manager is the
    stage of a whole run: every :class:`StagedFiles` made while it is open (by any writer:
    tables, workbooks, GeoPackages, maps) stages its files in it, and nothing is put in
    place before the run's block ends; then every file of the run is, or, when the
    block raises, none. :meth:`finish` stages a file written last, from the list of every
    other file of the run (the manifest).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (out / "a.csv").write_text("old")
    >>> try:
    ...     with StagedFiles() as stage:
    ...         _ = stage.path(out / "a.csv").write_text("new")
    ...         raise RuntimeError("the second file fails")
    ... except RuntimeError:
    ...     pass
    >>> (out / "a.csv").read_text(), sorted(p.name for p in out.iterdir())
    ('old', ['a.csv'])
    >>> with StagedFiles() as stage:
    ...     _ = stage.path(out / "a.csv").write_text("new")
    >>> (out / "a.csv").read_text()
    'new'

    A run: the first writer's file waits for the whole run, and the list is written last:

    >>> with StagedFiles(collect=True) as run:
    ...     with StagedFiles() as stage:  # e.g. inside a writer
    ...         _ = stage.path(out / "a.csv").write_text("newer")
    ...     _ = stage.finish(out / "list.txt", lambda tmp, files: tmp.write_text(
    ...         " ".join(sorted(p.name for p in files))))
    ...     before = (out / "a.csv").read_text()
    >>> before, (out / "a.csv").read_text(), (out / "list.txt").read_text()
    ('new', 'newer', 'a.csv')
    """

    def __init__(self, *, collect: bool = False) -> None:
        self._staged: dict[Path, Path] = {}
        self._finishers: dict[Path, Callable[[Path, dict[Path, Path]], Any]] = {}
        self._collect = collect
        self._token: contextvars.Token | None = None
        #: The run's stage this one stages its files in (None: this one puts them in place).
        self._run = _RUN_STAGE.get()

    def path(self, target: str | Path) -> Path:
        """The temporary path to write ``target`` to (its folder is created)."""
        target = Path(target)
        if target in self._staged:
            return self._staged[target]
        if self._run is not None:
            self._staged[target] = self._run.path(target)
            return self._staged[target]
        target.parent.mkdir(parents=True, exist_ok=True)
        self._staged[target] = temporary_path(target)
        return self._staged[target]

    def finish(self, target: str | Path, write: Callable[[Path, dict[Path, Path]], Any]) -> Path:
        """Stage ``target`` to be written last, just before the files are put in place:
        ``write(tmp, files)`` writes it to ``tmp``, ``files`` being every other file staged
        (target -> where its bytes are now). Inside a run's stage it is written when the
        whole run ends, so that it lists the files of the whole run (the manifest)."""
        target = Path(target)
        if self._run is not None:
            return self._run.finish(target, write)
        self._finishers[target] = write
        return target

    @property
    def staged(self) -> dict[Path, Path]:
        """Target -> temporary path, in the order staged."""
        return dict(self._staged)

    def commit(self) -> list[Path]:
        """Put every staged file in place; returns the targets. Inside a run's stage, the
        files stay staged in it and are put in place when the run ends."""
        missing = [t for t, tmp in self._staged.items() if not tmp.exists()]
        if missing:
            self.discard()
            raise DataSourceError(f"nothing was written for {', '.join(map(str, missing))}")
        done = list(self._staged)
        if self._run is not None:
            self._staged = {}
            return done
        try:
            for target, write in self._finishers.items():
                others = {t: p for t, p in self._staged.items() if t not in self._finishers}
                write(self.path(target), others)
        except BaseException:
            self.discard()
            raise
        done = list(self._staged)
        for target, tmp in self._staged.items():
            os.replace(tmp, target)
        self._staged, self._finishers = {}, {}
        return done

    def discard(self) -> None:
        """Delete every staged temporary file (and GDAL's side files of it)."""
        for target, tmp in self._staged.items():
            for side in (tmp, tmp.with_name(tmp.name + "-journal"),
                         tmp.with_name(tmp.name + "-wal"), tmp.with_name(tmp.name + "-shm")):
                side.unlink(missing_ok=True)
            if self._run is not None:
                self._run._staged.pop(target, None)
        self._staged, self._finishers = {}, {}

    def __enter__(self) -> StagedFiles:
        if self._collect and self._run is None:
            self._token = _RUN_STAGE.set(self)
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if self._token is not None:
            _RUN_STAGE.reset(self._token)
            self._token = None
        if exc_type is None:
            self.commit()
        else:
            self.discard()


def write_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write ``frame`` as UTF-8 CSV with BOM (Excel shows Vietnamese text intact), no
    index, geometry left out, and the same bytes for the same table.

    Examples
    --------
    >>> import codecs, tempfile, pathlib, pandas as pd
    >>> p = write_csv(pd.DataFrame({"xa": ["Tả Van"]}), pathlib.Path(tempfile.mkdtemp()) / "a.csv")
    >>> p.read_bytes().startswith(codecs.BOM_UTF8), p.read_text(encoding="utf-8-sig").split()
    (True, ['xa', 'Tả', 'Van'])
    """
    if isinstance(frame, gpd.GeoDataFrame):
        frame = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    _whole_numbers(frame).to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n")
    return Path(path)


# columns that count things (ranks, tiers, steps, villages, people, stations, ...), not
# measures (percentages, areas, distances, money, rates)
_WHOLE_NAME = re.compile(
    r"^(rank|tier|step|rank_in_tier|top_rank|top_tier|source_row|rows_\w+)$"
    r"|^(villages|people|population|stations|sites|units|communes|districts|provinces"
    r"|operators)(_|$)|_(villages|people|count|rows)$"
)
_MEASURE_NAME = re.compile(r"(pct|frac|km2|km|_m|deg|usd|vnd|cost|per|score|share)(_|$)")


def _whole_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its counting columns (:data:`_WHOLE_NAME`) that hold only whole
    numbers as integers (nullable ``Int64`` where values are missing), so that a CSV says
    ``1`` for a rank, not ``1.0``; measures and fractional values stay as they are.

    Examples
    --------
    >>> f = pd.DataFrame({"rank": [1.0, None], "people": [12.0, 3.0], "people_pct": [50.0, 1.0],
    ...                   "population": [2.5, 1.0]})
    >>> _whole_numbers(f).dtypes.astype(str).tolist()
    ['Int64', 'Int64', 'float64', 'float64']
    """
    out = None
    for col in frame.columns:
        name = str(col).lower()
        values = frame[col]
        if values.dtype.kind != "f" or not _WHOLE_NAME.search(name) \
                or _MEASURE_NAME.search(name):
            continue
        v = values.to_numpy(dtype=float)
        finite = np.isfinite(v)
        if np.isinf(v).any() or not np.array_equal(v[finite], np.round(v[finite])) \
                or (np.abs(v[finite]) >= 2**53).any():
            continue
        if out is None:
            out = frame.copy()
        out[col] = values.round().astype("Int64")
    return frame if out is None else out


def write_gpkg(
    layers: Mapping[str, gpd.GeoDataFrame], path: str | Path, *, timestamp: str | None = None
) -> Path:
    """Write each GeoDataFrame of ``layers`` as a layer of a new GeoPackage ``path``.

    ``timestamp`` (ISO date or date-time) is the layers' "last change" that GDAL records
    (default: the clock); given, the same layers give the same bytes.

    Examples
    --------
    >>> import tempfile, pathlib, geopandas as gpd
    >>> from shapely import Point
    >>> g = gpd.GeoDataFrame({"name": ["a"]}, geometry=[Point(105, 21)], crs=4326)
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> a = write_gpkg({"x": g}, folder / "a.gpkg", timestamp="2024-12-31")
    >>> b = write_gpkg({"x": g}, folder / "b.gpkg", timestamp="2024-12-31")
    >>> a.read_bytes() == b.read_bytes(), gpd.list_layers(a)["name"].tolist()
    (True, ['x'])
    """
    import pyogrio

    path = Path(path)
    path.unlink(missing_ok=True)
    key = "OGR_CURRENT_DATE"
    before = pyogrio.get_gdal_config_option(key)
    if timestamp:
        stamp = pd.Timestamp(timestamp)
        stamp = stamp.tz_convert("UTC") if stamp.tzinfo else stamp
        pyogrio.set_gdal_config_options({key: stamp.strftime("%Y-%m-%dT%H:%M:%S.000Z")})
    try:
        for name, frame in layers.items():
            frame.to_file(path, layer=name, driver="GPKG", engine="pyogrio")
    finally:
        if timestamp:
            pyogrio.set_gdal_config_options({key: before})
    return path


def write_tables(
    tables: Mapping[str, pd.DataFrame],
    folder: str | Path,
    *,
    formats: Sequence[str] = WRITE_FORMATS,
    stem: str = "coverage",
    extra_sheets: Mapping[str, pd.DataFrame] | None = None,
) -> list[Path]:
    """Write named tables as CSV files, one GeoPackage and/or one XLSX workbook.

    * ``csv``: ``<stem>_<name>.csv`` for every table and extra sheet (UTF-8 with BOM, so
      that Excel shows Vietnamese text intact; geometry left out; column names as they
      are);
    * ``gpkg``: ``<stem>.gpkg`` with one layer per table that has a geometry;
    * ``xlsx``: ``<stem>.xlsx`` with one sheet per table, then the extra sheets, each
      with readable headers (:func:`geocov.vocabulary.column_label`), number formats,
      codes as text, a frozen header row and filters (:func:`geocov.spreadsheet.table_sheet`).

    Every file is written under a temporary name and renamed into place once all of
    them are written (:class:`StagedFiles`): a failure leaves the old files as they were.
    Returns the paths written.

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> paths = write_tables({"commune": pd.DataFrame({"commune_name": ["Bản Khoang"]})},
    ...                      tempfile.mkdtemp(), formats=["csv", "xlsx"])
    >>> [p.name for p in paths]
    ['coverage_commune.csv', 'coverage.xlsx']
    """
    from .spreadsheet import table_sheet, write_workbook

    bad = sorted(set(formats) - set(WRITE_FORMATS))
    if bad:
        raise SchemaError(
            f"unknown output format(s) {bad}; valid formats are {list(WRITE_FORMATS)}"
        )
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    every = {**tables, **dict(extra_sheets or {})}
    written: list[Path] = []

    def target(path: Path) -> Path:
        written.append(path)
        return stage.path(path)

    with StagedFiles() as stage:
        if "csv" in formats:
            for name, frame in every.items():
                write_csv(frame, target(folder / f"{stem}_{name}.csv"))
        if "gpkg" in formats:
            geo = {n: f for n, f in tables.items() if isinstance(f, gpd.GeoDataFrame)}
            write_gpkg(geo, target(folder / f"{stem}.gpkg"))
        if "xlsx" in formats:
            used: set[str] = set()
            sheets = [table_sheet(frame, name, used=used) for name, frame in every.items()]
            write_workbook(target(folder / f"{stem}.xlsx"), sheets)
    return written


# ----------------------------------------------------------- shared by the readers
def codes_as_text(values: pd.Series) -> pd.Series:
    """Codes as stripped text; numbers stored as floats (``1234.0``) become ``"1234"``."""
    na = values.isna()
    text = values.astype(object).where(~na, "").astype(str).str.strip()
    text = text.str.replace(r"^(-?\d+)\.0+$", r"\1", regex=True)
    out = text.astype(object)
    out[na.to_numpy() | (text == "").to_numpy()] = pd.NA
    return out


def frame_from_source(
    source: Any, *, layer: str | int | None = None, encoding: str | None = None
) -> pd.DataFrame:
    """Read ``source`` (path or (Geo)DataFrame) into a frame with provenance columns.

    In-memory frames keep their ``source_file``/``source_row`` if they have them; otherwise
    they are called ``"<DataFrame>"`` and rows are numbered from 1 in frame order.
    Column names and text values come back in Unicode NFC; ``encoding`` is passed to
    :func:`read_table` for files.
    """
    if isinstance(source, pd.DataFrame):
        frame = source.copy()
        if "source_file" not in frame.columns:
            frame["source_file"] = "<GeoDataFrame>" if isinstance(frame, gpd.GeoDataFrame) \
                else "<DataFrame>"
        if "source_row" not in frame.columns:
            frame["source_row"] = np.arange(1, len(frame) + 1)
        return nfc_frame(frame.reset_index(drop=True))
    if isinstance(source, (str, Path)):
        return read_table(source, layer=layer, encoding=encoding)
    raise SchemaError(
        f"cannot read {type(source).__name__!r}: pass a file path (CSV, Excel or a vector "
        f"file) or a (Geo)DataFrame"
    )


def source_names(frame: pd.DataFrame) -> str:
    files = pd.unique(frame["source_file"].astype(str)) if len(frame) else []
    return ", ".join(files) if len(files) else "<empty>"


def count_rows_read(rejects: RejectsReport | None, frame: pd.DataFrame, what: str) -> None:
    if rejects is None:
        return
    counts = frame["source_file"].astype(str).value_counts(sort=False)
    for file, n in counts.items():
        rejects.count_read(file, what, int(n))


def has_geometry(frame: pd.DataFrame) -> bool:
    return isinstance(frame, gpd.GeoDataFrame) and frame._geometry_column_name in frame.columns


def lonlat_points(
    frame: pd.DataFrame,
    lon_col: str,
    lat_col: str,
    *,
    crs: Any,
    keep: np.ndarray,
    rejects: RejectsReport | None,
    decimal: str | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Points from coordinate columns; bad coordinates go through :func:`reject_rows`.

    Range checks ([-90, 90], [-180, 180]) apply only when ``crs`` is geographic.
    ``decimal`` is the file's decimal mark (:func:`file_decimal`); None lets each column
    decide.  Returns ``(points, keep)``: an array of shapely Points (None where rejected)
    and the updated keep-mask.
    """
    x = parse_numbers(frame[lon_col], decimal=decimal).to_numpy()
    y = parse_numbers(frame[lat_col], decimal=decimal).to_numpy()
    fix = ("Write decimal numbers such as 103.97 (a decimal comma, 103,97, is fine) "
           "or remove the row.")
    for col, val in ((lon_col, x), (lat_col, y)):
        keep = keep & reject_rows(
            keep & ~np.isfinite(val), frame, column=col, values=frame[col],
            reason="coordinate missing or not a number", fix=fix, rejects=rejects)
    if CRS.from_user_input(crs).is_geographic:
        with np.errstate(invalid="ignore"):
            bad = keep & (np.abs(y) > 90)
            swapped = bad & (np.abs(x) <= 90) & (np.abs(y) <= 180)
        hint = (" These rows look like longitude and latitude are swapped: swap the two "
                f"columns or pass columns={{'lon': {lat_col!r}, 'lat': {lon_col!r}}}."
                if swapped.any() else "")
        keep = keep & reject_rows(
            bad, frame, column=lat_col, values=frame[lat_col],
            reason="latitude outside [-90, 90]",
            fix=f"Latitude must be in decimal degrees within [-90, 90].{hint}", rejects=rejects)
        with np.errstate(invalid="ignore"):
            bad = keep & (np.abs(x) > 180)
        keep = keep & reject_rows(
            bad, frame, column=lon_col, values=frame[lon_col],
            reason="longitude outside [-180, 180]",
            fix="Longitude must be in decimal degrees within [-180, 180]; if the coordinates "
                "are projected (metres), pass crs= with their CRS.", rejects=rejects)
    pts = np.full(len(frame), None, dtype=object)
    pts[keep] = shapely.points(x[keep], y[keep])
    return pts, keep


# ------------------------------------------------------------------ yes/no flag columns
# Folded (fold_text) cell values of a yes/no column.  "x" stands for every check mark.
_FLAG_YES = frozenset({"co", "daco", "cocapquang", "dacocapquang", "coketnoi", "daketnoi",
                       "yes", "y", "true", "t", "1", "x"})
_FLAG_NO = frozenset({"khong", "ko", "khongco", "chua", "chuaco", "khongcocapquang",
                      "chuacocapquang", "khongketnoi", "chuaketnoi", "no", "n", "false", "f",
                      "0"})
_FLAG_MARKS = frozenset({"x", "X", "\u2713", "\u2714", "\u2611", "\u221a"})  # x ✓ ✔ ☑ √
FLAG_VALUES_TEXT = ("có/không, đã có/chưa có, yes/no, true/false, 1/0, or x/✓ marks with "
                    "blank for no (any case, with or without diacritics)")


def _flag_token(value: Any) -> str | None:
    """The folded token of one cell of a yes/no column; None when the cell is blank."""
    if _isna(value):
        return None
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, float, np.integer, np.floating)):
        return "1" if value == 1 else "0" if value == 0 else str(value)
    text = unicodedata.normalize("NFC", str(value)).strip()
    if not text:
        return None
    if text in _FLAG_MARKS:
        return "x"
    text = re.sub(r"^([01])[.,]0+$", r"\1", text)  # 1.0 / 0,0 from a spreadsheet
    return fold_text(text) or text


def parse_flags(values: Iterable[Any] | pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Read a yes/no column: Vietnamese, English, booleans, 1/0 or check marks.

    Accepted (any case, with or without diacritics): ``có``/``không`` (``ko``),
    ``đã có``/``chưa có`` (``chưa``), ``có cáp quang``/``chưa có cáp quang``,
    ``đã kết nối``/``chưa kết nối``, ``yes``/``no`` (``y``/``n``), ``true``/``false``
    (``t``/``f``, booleans), ``1``/``0`` (``1.0`` too), and the marks ``x``, ``✓``,
    ``✔``, ``☑``, ``√`` for yes.  A blank cell means "no" only in a column of marks (its
    non-blank cells are all marks, and there is at least one); elsewhere a blank cell is
    unknown, like any other value.  Each distinct value is read once.

    Parameters
    ----------
    values : sequence or Series
        The cells of the column, as read.

    Returns
    -------
    (flag, unknown) : tuple of bool ndarray
        ``flag`` is True where the cell says yes; ``unknown`` is True where the cell is
        neither yes nor no (``flag`` is then False).  The caller decides what an unknown
        value is (an error, or a reject); :data:`FLAG_VALUES_TEXT` lists the accepted values.

    Examples
    --------
    >>> flag, unknown = parse_flags(["Có", "không", "Đã có", "chua co", "YES", False, 1.0, "0"])
    >>> flag.tolist()
    [True, False, True, False, True, False, True, False]
    >>> unknown.any()
    np.False_
    >>> flag, unknown = parse_flags(["x", None, "X", ""])  # a column of marks: blank is no
    >>> flag.tolist(), unknown.tolist()
    ([True, False, True, False], [False, False, False, False])
    >>> flag, unknown = parse_flags(["có", None, "maybe"])  # elsewhere blank is unknown
    >>> flag.tolist(), unknown.tolist()
    ([True, False, False], [False, True, True])
    """
    series = values.astype(object) if isinstance(values, pd.Series) else pd.Series(
        list(values), dtype=object)
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    tokens = [_flag_token(u) for u in uniques] + [None]  # the last one: NaN cells (code -1)
    blank = np.array([t is None for t in tokens], dtype=bool)
    yes = np.array([t in _FLAG_YES for t in tokens], dtype=bool)
    no = np.array([t in _FLAG_NO for t in tokens], dtype=bool)
    present = [t for t in tokens if t is not None]
    marks_only = bool(present) and all(t == "x" for t in present)
    no |= blank & marks_only
    unknown = ~(yes | no)
    return yes[codes], unknown[codes]
