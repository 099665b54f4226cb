"""Names of places folded for matching: type words, diacritics, spacing.

Vietnamese names come in many spellings: "Xã Bản Cái", "xa Ban Cai", "BảnCái" (GADM),
"TP. Lào Cai", "Thanh pho Lao Cai", "Thôn Nà Lốc", "Thon Na Loc". Matching them needs
two things, which this module gives the readers (:mod:`geocov.villages`), the crosswalk
(:mod:`geocov.crosswalk`) and the reconciliation (:mod:`geocov.reconcile`):

* :func:`name_keys`: a key per name, lower case without diacritics, spaces or
  punctuation, after the unit's *type word* ("Xã", "Phường", "Thị trấn", "Huyện",
  "TP.", "Thôn", "Bản", ...) is taken off the front;
* :func:`type_words`: that type word itself, folded ("xa", "thanhpho"; "TP." gives
  "thanhpho" and "TX." "thixa"), and :func:`type_word_levels`: the levels it names.

A type word written with its diacritics ("Xã", "Quận") is always a type word. Written
without them ("Xa", "Quan") it is one only in a name written without any diacritics
("Xa Ban Cai"): "Quan Hồ Thẩn" is a commune whose name begins with "Quan", not the
district (quận) "Hồ Thẩn". A name written wholly without diacritics stays ambiguous
("Quan Ho Than"): a matcher that finds nothing by :func:`name_keys` tries the keys of
``kind="none"`` (nothing taken off) next.

Village type words ("Thôn", "Bản", "Xóm", "Làng", "Ấp", "Tổ dân phố", ...) are taken off
only with ``kind="village"``: "Bản" also begins many commune names ("Xã Bản Cái").
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

import pandas as pd

from .io import fold_text

__all__ = ["UNIT_TYPE_WORDS", "VILLAGE_TYPE_WORDS", "name_keys", "name_key_variants",
           "strip_type_words", "type_words", "type_word_levels"]

#: Type words written before the names of admin units (folded form -> the levels it names).
UNIT_TYPE_WORDS: dict[str, tuple[str, ...]] = {
    "tinh": ("province",),
    "thanhpho": ("province", "district"),
    "huyen": ("district",),
    "quan": ("district",),
    "thixa": ("district",),
    "xa": ("commune", "ward"),
    "phuong": ("commune", "ward"),
    "thitran": ("commune", "ward"),
    "dackhu": ("commune", "ward"),
}
#: Type words written before the names of villages (folded form).
VILLAGE_TYPE_WORDS: dict[str, tuple[str, ...]] = {
    w: ("village",)
    for w in ("thon", "ban", "xom", "lang", "ap", "todanpho", "khu", "buon", "khom", "to")
}
# spellings with diacritics: any name; the same words without: only in names without any
_UNIT_WORDS = ("tỉnh", "thành phố", "huyện", "quận", "thị xã", "xã", "phường", "thị trấn",
               "đặc khu")
_VILLAGE_WORDS = ("thôn", "bản", "xóm", "làng", "ấp", "tổ dân phố", "khu", "buôn", "khóm",
                  "tổ")
_ABBREVIATIONS = {"tp": "thanhpho", "tx": "thixa"}  # "TP. Lào Cai", "Tp Huế", "TX.Sa Pa"
_ABBREVIATION = r"(?:tp|tx|t\.p|t\.x)(?:\.\s*|\s+)"
Kind = Literal["unit", "village", "none"]
Plain = Literal["auto", "always"]


def _plain(word: str) -> str:
    word = word.replace("đ", "d")
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


def _pattern(words: tuple[str, ...], plain: bool, abbreviations: bool) -> re.Pattern[str]:
    """``^(the type word)`` followed by spaces: the words with or without diacritics."""
    forms = sorted({_plain(w) if plain else w for w in words}, key=len, reverse=True)
    spelled = "|".join(re.escape(w).replace(r"\ ", r"\s*") for w in forms)  # "thị xã" first
    head = f"{_ABBREVIATION}|" if abbreviations else ""
    return re.compile(rf"^({head}(?:{spelled})\s+)", re.IGNORECASE)


_WORDS = {"unit": _UNIT_WORDS, "village": _VILLAGE_WORDS}
_ACCENTED = {kind: _pattern(words, False, kind == "unit") for kind, words in _WORDS.items()}
_PLAIN = {kind: _pattern(words, True, kind == "unit") for kind, words in _WORDS.items()}


def _split(values: pd.Series, kind: Kind, plain_words: Plain = "auto"
           ) -> tuple[pd.Series, pd.Series]:
    """(names without their leading type word, the type word as written, or NA)."""
    s = values.astype("string").str.strip().str.normalize("NFC")
    found = pd.Series(pd.NA, index=values.index, dtype="string")
    if kind == "none":
        return s, found
    found = s.str.extract(_ACCENTED[kind], expand=False).astype("string")
    plain = s.str.extract(_PLAIN[kind], expand=False).astype("string")
    ascii_only = ~s.str.contains(r"[^\x00-\x7f]", regex=True).fillna(False).astype(bool)
    # a word without its diacritics is a type word in a name without any ("Xa Ban Cai"),
    # an abbreviation ("TP. Lào Cai") in any name
    abbreviated = plain.str.fullmatch(_ABBREVIATION, case=False).fillna(False).astype(bool)
    anywhere = plain_words == "always"
    found = found.where(found.notna() | ~(ascii_only | abbreviated | anywhere), plain)
    rest = s.copy()
    has = found.notna().to_numpy(dtype=bool)
    if has.any():
        lengths = found[has].str.len().tolist()
        rest[has] = [t[n:] for t, n in zip(s[has].tolist(), lengths, strict=True)]
    rest = rest.str.strip()
    empty = (rest == "").fillna(False).to_numpy(dtype=bool)  # "Xã" alone is a name
    rest[empty] = s[empty]
    found[empty] = pd.NA
    return rest, found


def strip_type_words(values: pd.Series, *, kind: Kind = "unit", plain_words: Plain = "auto"
                     ) -> pd.Series:
    """Names without the type word they begin with, diacritics and case kept.

    ``kind``: ``"unit"`` (Tỉnh, Thành phố/TP., Huyện, Quận, Thị xã/TX., Xã, Phường, Thị
    trấn, Đặc khu), ``"village"`` (Thôn, Bản, Xóm, Làng, Ấp, Tổ dân phố, Khu, Buôn, Khóm,
    Tổ) or ``"none"``. Words without diacritics count only in names without any (see the
    module), or in any name with ``plain_words="always"`` ("Tinh Lào Cai"). Names are
    stripped of outer spaces and put in Unicode NFC; NA stays NA.

    Examples
    --------
    >>> import pandas as pd
    >>> strip_type_words(pd.Series(["Xã Bản Cái", "xa Ban Cai", "TP.Lào Cai",
    ...                              "Quan Hồ Thẩn", "Xã"])).tolist()
    ['Bản Cái', 'Ban Cai', 'Lào Cai', 'Quan Hồ Thẩn', 'Xã']
    >>> strip_type_words(pd.Series(["Thôn Nà Lốc", "Ban Na Loc"]), kind="village").tolist()
    ['Nà Lốc', 'Na Loc']
    """
    return _split(values, kind, plain_words)[0]


def name_keys(values: pd.Series, *, kind: Kind = "unit", plain_words: Plain = "auto"
              ) -> pd.Series:
    """Names folded for matching: no leading type word, no diacritics, case, spaces or
    punctuation (:func:`geocov.io.fold_text`); None where a name is missing or empty.

    ``"Xã Bản Cái"``, ``"Xa Ban Cai"``, ``"BảnCái"`` and ``"ban cai"`` all give
    ``"bancai"``; ``kind`` and ``plain_words`` as in :func:`strip_type_words`. Each
    distinct name is folded once.

    Examples
    --------
    >>> import pandas as pd
    >>> name_keys(pd.Series(["Xã Bản Cái", "Xa Ban Cai", "BảnCái", "Thị trấn Bát Xát",
    ...                      "Thi tran Bat Xat", "Huyen Bat Xat", "TP. Lào Cai",
    ...                      "Thanh pho Lao Cai", None])).tolist()
    ['bancai', 'bancai', 'bancai', 'batxat', 'batxat', 'batxat', 'laocai', 'laocai', None]
    >>> name_keys(pd.Series(["Thôn Nà Lốc", "Thon Na Loc", "Bản Nà Lốc"]), kind="village").tolist()
    ['naloc', 'naloc', 'naloc']
    """
    s = strip_type_words(values, kind=kind, plain_words=plain_words)
    folded = {u: fold_text(u) for u in pd.unique(s.dropna())}  # distinct names only
    keys = s.astype(object).map(folded).astype(object)
    keys[~(keys.notna() & (keys != "")).to_numpy(dtype=bool)] = None
    return keys


def type_words(values: pd.Series, *, kind: Kind = "unit", plain_words: Plain = "auto"
               ) -> pd.Series:
    """The folded type word each name begins with (``"xa"``, ``"thitran"``; ``"TP."`` ->
    ``"thanhpho"``, ``"TX."`` -> ``"thixa"``), else ``""``.

    Examples
    --------
    >>> import pandas as pd
    >>> type_words(pd.Series(["TP. Lào Cai", "Thi tran Bat Xat", "Quan Hồ Thẩn"])).tolist()
    ['thanhpho', 'thitran', '']
    """
    found = _split(values, kind, plain_words)[1]
    folded = {w: fold_text(w) for w in pd.unique(found.dropna())}
    out = found.astype(object).map(folded).astype(object).fillna("")
    return out.replace(_ABBREVIATIONS)


def name_key_variants(name: str, *, kind: Kind = "unit") -> tuple[str, ...]:
    """The keys to try for one name, best first, without repeats: :func:`name_keys`, the
    whole name folded ("Quan Ho Than" may be the commune Quan Hồ Thẩn), and the name with a
    type word written without diacritics taken off ("Tinh Lào Cai").

    Examples
    --------
    >>> name_key_variants("Quan Ho Than"), name_key_variants("Tinh Lào Cai")
    (('hothan', 'quanhothan'), ('tinhlaocai', 'laocai'))
    """
    one = pd.Series([name], dtype=object)
    keys = (name_keys(one, kind=kind).iloc[0], fold_text(name) if name else None,
            name_keys(one, kind=kind, plain_words="always").iloc[0])
    return tuple(dict.fromkeys(k for k in keys if k))


def type_word_levels(word: str) -> tuple[str, ...]:
    """The levels a folded type word names (``"huyen"`` -> ``("district",)``), else ().

    Examples
    --------
    >>> type_word_levels("thanhpho"), type_word_levels("thon"), type_word_levels("ban cai")
    (('province', 'district'), ('village',), ())
    """
    key = _ABBREVIATIONS.get(fold_text(word), fold_text(word))
    return UNIT_TYPE_WORDS.get(key) or VILLAGE_TYPE_WORDS.get(key) or ()
