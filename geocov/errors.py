"""The one error hierarchy of geocov.

Every message says what went wrong, what was received (file, row, column,
value) and how to fix it.  Library code raises or warns; only the CLI prints.
"""

from __future__ import annotations

import contextlib as _contextlib
import contextvars as _contextvars
import dataclasses as _dataclasses
from collections.abc import Iterator as _Iterator
from collections.abc import Mapping as _Mapping
from collections.abc import Sequence as _Sequence
from typing import Any as _Any
from typing import TypeVar as _TypeVar

__all__ = [
    "GeocovError",
    "DataSourceError",
    "SchemaError",
    "CRSError",
    "TopologyError",
    "GeocovWarning",
    "TopologyWarning",
    "DataQualityWarning",
    "Words",
    "Listing",
    "hint_words",
    "level_words",
    "more_words",
]


class GeocovError(Exception):
    """Base class of every error geocov raises."""


class DataSourceError(GeocovError, OSError):
    """A file or layer cannot be found or read."""


class SchemaError(GeocovError, ValueError):
    """Missing or mistyped columns, or values that cannot be used."""


class CRSError(GeocovError, ValueError):
    """A missing or mismatched coordinate reference system."""


class TopologyError(GeocovError, ValueError):
    """Broken hierarchy nesting or geometry that cannot be repaired."""


# ------------------------------------------------------------------ words of a message
@_dataclasses.dataclass(frozen=True)
class Words:
    """An entry of the catalogue (``geocov/locale/<lang>.toml``) and its fields, put into
    words only when shown, in the reader's language (:func:`geocov.locale.render`).

    Fields may be numbers (written as the language writes them: ``{n:,}`` gives
    ``1,569`` in English and ``1.569`` in Vietnamese), texts (names, codes, files: as
    they are), other :class:`Words` or a :class:`Listing`.

    Examples
    --------
    >>> w = Words("cli.rejected", {"n": 1569, "path": "rejects.csv"})
    >>> w.text("en"), w.text("vi")
    ('1569 rejected row(s) -> rejects.csv', '1569 dòng bị loại -> rejects.csv')
    """

    key: str
    fields: _Mapping[str, _Any] = _dataclasses.field(default_factory=dict)

    def text(self, lang: str = "en") -> str:
        """The words in ``lang`` (``"en"`` or ``"vi"``)."""
        from .locale import render

        return render(self.key, lang, self.fields)


@_dataclasses.dataclass(frozen=True)
class Listing:
    """Items (texts, numbers or :class:`Words`) written one after another, joined by
    ``sep``, each in the reader's language.

    Examples
    --------
    >>> Listing([Words("noun.4g"), "Bản Khoang"]).text("vi")
    '4G, Bản Khoang'
    """

    items: _Sequence[_Any]
    sep: str = ", "

    def text(self, lang: str = "en") -> str:
        """The items in ``lang``, joined."""
        from .locale import render_value

        return self.sep.join(render_value(v, lang) for v in self.items)


_W = _TypeVar("_W", bound="GeocovWarning")


def more_words(n: int) -> Words | str:
    """`` and N more`` after a list cut short (N > 0), else nothing.

    Examples
    --------
    >>> more_words(3).text("vi"), more_words(0)
    (' và 3 mục khác', '')
    """
    return Words("warning.more", {"n": int(n)}) if n > 0 else ""


def level_words(level: str, *, plural: bool = False) -> Words | str:
    """A level in the reader's words (``level.<level>``, or ``levels.<level>`` when
    ``plural``); a level the catalogue does not know: its name (plural: with an "s").
    In a sentence, write it ``{field:lower}``.

    Examples
    --------
    >>> level_words("commune", plural=True).text("vi"), level_words("hamlet", plural=True)
    ('Xã', 'hamlets')
    """
    from .locale import catalogue

    key = f"{'levels' if plural else 'level'}.{level}"
    if key in catalogue()["en"]:
        return Words(key)
    return f"{level}s" if plural else level


class GeocovWarning(UserWarning):
    """Base class of every warning geocov issues.

    A warning made with :meth:`of` also carries its catalogue entry (:attr:`words`), so
    that the command line can show it in the user's language (:meth:`text`); its
    message (``str(w)``) is always the English one.
    """

    #: The catalogue entry and fields of the message (None: English only).
    words: Words | None = None

    @classmethod
    def of(cls: type[_W], key: str, **fields: _Any) -> _W:
        """The warning of catalogue entry ``warning.<key>`` with ``fields``.

        Examples
        --------
        >>> w = DataQualityWarning.of("empty_villages", file="thon.csv")
        >>> str(w)[:61]
        'thon.csv: the village file has no rows: no village is counted'
        >>> w.text("vi")[:57]
        'thon.csv: tệp thôn không có dòng nào: không thôn nào được'
        """
        words = Words(f"warning.{key}", dict(fields))
        out = cls(words.text("en"))
        out.words = words
        return out

    def text(self, lang: str = "en") -> str:
        """The message in ``lang``: the catalogue's words when the warning has them (see
        :meth:`of`), else the English message."""
        if self.words is None or lang == "en":
            return str(self)
        from .locale import catalogue

        if self.words.key not in catalogue().get(lang, {}):
            return str(self)
        return self.words.text(lang)


class TopologyWarning(GeocovWarning):
    """Gaps, overlaps or repaired geometries between admin units."""


class DataQualityWarning(GeocovWarning):
    """Data that was used but looks suspicious (e.g. repaired or defaulted values)."""


# ------------------------------------------------------------------ where the user is
# Fix hints name what the user can change: Python arguments when geocov is called from
# Python, command-line options when it is called from the ``geocov`` command.  The CLI
# enters :func:`cli_hints` around its work; library code words its hints with :func:`hint`.

_HINT_STYLE: _contextvars.ContextVar[str] = _contextvars.ContextVar(
    "geocov_hint_style", default="python"
)


@_contextlib.contextmanager
def cli_hints() -> _Iterator[None]:
    """Word fix hints for the command line while the block runs (the CLI uses this)."""
    token = _HINT_STYLE.set("cli")
    try:
        yield
    finally:
        _HINT_STYLE.reset(token)


def hint(python: str, cli: str) -> str:
    """Return ``python`` or ``cli``: the fix hint worded for where the user is.

    Examples
    --------
    >>> hint("pass rejects=geocov.RejectsReport()", "add --lenient")
    'pass rejects=geocov.RejectsReport()'
    >>> with cli_hints():
    ...     hint("pass rejects=geocov.RejectsReport()", "add --lenient")
    'add --lenient'
    """
    return cli if _HINT_STYLE.get() == "cli" else python


def hint_words(key: str, **fields: _Any) -> Words:
    """The fix hint ``warning.fix.<key>.python`` or ``.cli`` of the catalogue (see
    :func:`hint`), for a warning made with :meth:`GeocovWarning.of`.

    Examples
    --------
    >>> hint_words("decimal_comma").text("en")
    "pass decimal=','"
    >>> with cli_hints():
    ...     hint_words("decimal_comma").text("vi")
    'dùng --decimal ,'
    """
    return Words(f"warning.fix.{key}.{_HINT_STYLE.get()}", dict(fields))
