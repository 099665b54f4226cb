"""The languages of geocov's outputs: one catalogue of words, and numbers as a reader writes them.

**Words.** Every text a reader sees (spreadsheet headers and sheet names, summary
sentences, map titles, legends, tooltips, popups, panel texts and reasons, CLI messages)
is one entry of the catalogue: ``en.toml`` and ``vi.toml`` beside this file, with the same
keys and the same ``{fields}`` (``tests/test_language.py`` checks that, and that the
Vietnamese words follow the terminology table ``docs/terminology.md``). Modules take
their words through :func:`geocov.vocabulary.label` (``label("summary.signal", "vi",
...)``), never by gluing English words together.

**Numbers.** :func:`number` and :func:`percent` write a number with the separators of
the language, taken from the Unicode CLDR through Babel (``vi``: ``1.569``, ``6.300,0``,
``65,3%``; ``en``: ``1,569``, ``6,300.0``, ``65.3%``); :func:`numbers` does the same
for a whole column at once; :func:`number_symbols` gives the map's page the same
separators, so the page writes numbers exactly as the Python side does.

The language of a run is ``lang=`` in the library (``"en"`` or ``"vi"``), ``--lang`` on
the command line, or ``lang = "vi"`` at the top of the analysis file; English when none
is given.

Examples
--------
>>> number(1569, "vi"), number(6300, "vi", digits=1), percent(65.25, "vi")
('1.569', '6.300,0', '65,2%')
>>> number(1569, "en"), number(6300, "en", digits=1), percent(65.35, "en")
('1,569', '6,300.0', '65.3%')
>>> number(float("nan"), "vi")
'không có số liệu'
"""

from __future__ import annotations

import decimal
import functools
import math
import numbers as _numbers
import string
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = [
    "LANGUAGES",
    "DEFAULT_LANG",
    "BABEL_LOCALES",
    "catalogue",
    "check_lang",
    "number",
    "numbers",
    "percent",
    "number_symbols",
    "render",
    "render_value",
]

#: The languages geocov writes, each with a catalogue file ``<lang>.toml`` here.
LANGUAGES: tuple[str, ...] = ("en", "vi")
#: The language when none is given (neither ``lang=``, ``--lang`` nor the analysis file).
DEFAULT_LANG = "en"
#: Language -> the CLDR locale whose number conventions it uses.
BABEL_LOCALES: dict[str, str] = {"en": "en_US", "vi": "vi_VN"}
_HERE = Path(__file__).resolve().parent


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, f"{name}."))
        else:
            out[name] = str(value)
    return out


@functools.cache
def catalogue() -> dict[str, dict[str, str]]:
    """Language -> key -> words: the catalogue files, read once.

    Examples
    --------
    >>> words = catalogue()
    >>> words["vi"]["levels.commune"], words["en"]["summary.villages_4g"]
    ('Xã', '4G in {n}/{total} villages ({pct})')
    """
    out = {}
    for lang in LANGUAGES:
        with open(_HERE / f"{lang}.toml", "rb") as f:
            out[lang] = _flatten(tomllib.load(f))
    return out


def check_lang(lang: Any) -> str:
    """``lang`` if geocov writes that language, else a :class:`~geocov.errors.SchemaError`.

    Examples
    --------
    >>> check_lang("vi")
    'vi'
    >>> check_lang("fr")
    Traceback (most recent call last):
    ...
    geocov.errors.SchemaError: lang='fr' is not available; use one of en, vi
    """
    if lang not in LANGUAGES:
        from ..errors import SchemaError

        raise SchemaError(f"lang={lang!r} is not available; use one of {', '.join(LANGUAGES)}")
    return str(lang)


@functools.cache
def number_symbols(lang: str = DEFAULT_LANG) -> dict[str, str]:
    """The separators of ``lang`` (from CLDR, through Babel), for the map's page.

    ``decimal`` and ``group`` marks, ``percent`` a pattern with ``{}`` for the number,
    ``na`` the words for a missing value.

    Examples
    --------
    >>> number_symbols("vi")
    {'decimal': ',', 'group': '.', 'percent': '{}%', 'na': 'không có số liệu'}
    """
    from babel.numbers import format_decimal, format_percent, get_decimal_symbol, get_group_symbol

    loc = BABEL_LOCALES[check_lang(lang)]
    fifty = format_decimal(50, locale=loc)
    pattern = format_percent(0.5, locale=loc).replace(fifty, "{}", 1)
    return {
        "decimal": get_decimal_symbol(loc),
        "group": get_group_symbol(loc),
        "percent": pattern,
        "na": catalogue()[lang]["summary.na"],
    }


def _missing(value: Any) -> bool:
    try:
        return value is None or not math.isfinite(float(value))
    except (TypeError, ValueError):
        return True


def number(value: Any, lang: str = DEFAULT_LANG, *, digits: int = 0) -> str:
    """``value`` with ``digits`` decimals and the separators of ``lang`` (Babel, CLDR).

    A missing value (None, NaN) reads as the language's "n/a".

    Examples
    --------
    >>> number(792734.4, "vi"), number(2.25, "en", digits=1), number(65.35, "en", digits=1)
    ('792.734', '2.2', '65.3')
    """
    from babel.numbers import format_decimal

    if _missing(value):
        return number_symbols(lang)["na"]
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    # the float's exact value (not its shortest repr), so that 65.35 (65.3499...) rounds as
    # Python, numbers() and the map's page round it
    exact = decimal.Decimal(float(value))
    return format_decimal(exact, format=pattern, locale=BABEL_LOCALES[check_lang(lang)])


def percent(value_pct: Any, lang: str = DEFAULT_LANG, *, digits: int = 1) -> str:
    """A percentage given as 0-100, with ``digits`` decimals, as ``lang`` writes it.

    Examples
    --------
    >>> percent(49.0, "vi"), percent(49.0, "en"), percent(100, "vi", digits=0)
    ('49,0%', '49.0%', '100%')
    """
    if _missing(value_pct):
        return number_symbols(lang)["na"]
    return number_symbols(lang)["percent"].format(number(value_pct, lang, digits=digits))


def numbers(values: Iterable[Any], lang: str = DEFAULT_LANG, *, digits: int = 0) -> list[str]:
    """:func:`number` for a whole column at once (missing values read "n/a").

    The numbers are written by Python's own formatting and their marks swapped for the
    language's, which gives what :func:`number` gives at a fraction of the cost.

    Examples
    --------
    >>> numbers([1569, 2.5, None], "vi", digits=1)
    ['1.569,0', '2,5', 'không có số liệu']
    """
    sym = number_symbols(check_lang(lang))
    swap = str.maketrans({",": sym["group"], ".": sym["decimal"]})
    spec = f",.{max(int(digits), 0)}f"
    return [sym["na"] if _missing(v) else format(float(v), spec).translate(swap) for v in values]


class _Formatter(string.Formatter):
    """``str.format`` with numbers as ``lang`` writes them and :class:`~geocov.errors.Words`
    fields put into words in ``lang``."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def format_field(self, value: Any, format_spec: str) -> str:
        if format_spec == "lower":  # a header's word inside a sentence: "Communes" -> "communes"
            return render_value(value, self.lang).lower()
        if hasattr(value, "text") and not isinstance(value, str):  # Words, Listing
            return format(value.text(self.lang), format_spec)
        return _format_value(value, format_spec, self.lang)


def _format_value(value: Any, spec: str, lang: str) -> str:
    text = format(value, spec)
    if isinstance(value, bool) or not isinstance(value, _numbers.Number) or lang == "en":
        return text
    sym = number_symbols(lang)
    return text.translate({ord(","): sym["group"], ord("."): sym["decimal"]})


def render_value(value: Any, lang: str = DEFAULT_LANG) -> str:
    """One field of :func:`render` on its own: a number as ``lang`` writes it (Python's
    own form, its marks swapped), :class:`~geocov.errors.Words` in ``lang``, else text.

    Examples
    --------
    >>> render_value(2.5, "vi"), render_value("Tả Van", "vi")
    ('2,5', 'Tả Van')
    """
    if hasattr(value, "text") and not isinstance(value, str):
        return str(value.text(lang))
    return _format_value(value, "", check_lang(lang))


def render(key: str, lang: str = DEFAULT_LANG, fields: Any = None) -> str:
    """Catalogue entry ``key`` in ``lang`` with ``fields`` filled in: numbers with the
    language's marks (the entry's format spec gives decimals and grouping: ``{n:,}``,
    ``{pct:.1f}``), :class:`~geocov.errors.Words` and
    :class:`~geocov.errors.Listing` fields in the same language; ``{level:lower}``
    writes a field in lower case (a header's word inside a sentence).

    Examples
    --------
    >>> render("cli.wrote_size", "vi", {"path": "a.xlsx", "mb": 1.5})
    'đã ghi a.xlsx (1,5 MB)'
    """
    words = catalogue()[check_lang(lang)]
    if key not in words:
        from ..errors import SchemaError

        raise SchemaError(f"no words for {key!r} in language {lang!r}")
    return _Formatter(lang).vformat(words[key], (), dict(fields or {}))
