"""Text encodings of input files: detect them, decode the bytes exactly, normalise to NFC.

Vietnamese planning files come in five encodings:

* ``utf-8`` (with or without BOM) and ``utf-16`` (with BOM): modern exports;
* ``cp1258`` (Windows-1258): Vietnamese Windows, Shapefile DBFs of ArcGIS/MapInfo.
  It writes most tone marks as separate combining bytes (``"Thị"`` is ``Thi`` + the
  dot-below byte), so it must be decoded *and* composed (NFC).  GDAL's iconv decoder
  keeps the last letter of a field back while it waits for a tone mark and loses it
  ("Lào Ca"), so geocov decodes DBF text with Python's codec instead;
* ``tcvn3`` (TCVN 5712:1993, the "ABC" fonts such as ``.VnTime``): one byte per letter;
* ``vni`` (VNI-Windows, the ``VNI-Times`` fonts): a base letter followed by a separate
  byte for its marks (``"Việt"`` is ``Vie`` + the "circumflex and dot" byte + ``t``).

Python has codecs for the first three, not for TCVN3 and VNI: both are implemented here
as mapping tables.  :func:`detect_encoding` decodes a sample of the distinct non-ASCII
words with every candidate and scores how Vietnamese the result is (letters of the
Vietnamese alphabet, well-formed syllables, no stray symbols or control characters);
:func:`decode_bytes` decodes a whole file with the winner and warns when the winner
did not clearly beat the runner-up.  An ``encoding=`` given by the user always wins.

Every text of every input is then normalised to Unicode NFC (:func:`nfc_frame`), so
that a decomposed (NFD) ``"Bản"`` and a composed one are the same string.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .errors import DataQualityWarning, DataSourceError, SchemaError, Words, hint, hint_words

__all__ = [
    "EncodingGuess",
    "decode_bytes",
    "decode_text",
    "detect_encoding",
    "encode_text",
    "encoding_name",
    "nfc_frame",
    "redecode_frame",
    "to_nfc",
]

# --------------------------------------------------------------------------- tables
# TCVN 5712:1993 (VN1; its VN3 subset is what the "ABC" .VnTime fonts use: VN3 leaves out
# the upper-case letters with tone marks, it uses the same codes as VN1 for the rest).
# Bytes 0x80-0xFF, in order.  Source: GNU libiconv lib/tcvn.h (``tcvn_2uni_2``), checked
# byte by byte against glibc's iconv "TCVN5712-1" converter, and against the TCVN3 table
# of UniKey's VnConv library (ukengine/data.cpp, lower-case letters).  0xB0-0xB4 are the
# combining tone marks (grave, hook, tilde, acute, dot below) of VN1.
_TCVN3_HIGH = (
    "ÀẢÃÁẠẶẬÈẺẼÉẸỆÌỈĨ"  # 0x80
    "ÍỊÒỎÕÓỌỘỜỞỠỚỢÙỦŨ"  # 0x90
    "\u00a0ĂÂÊÔƠƯĐăâêôơưđẰ"  # 0xA0
    "\u0300\u0309\u0303\u0301\u0323àảãáạẲằẳẵắẴ"  # 0xB0
    "ẮẦẨẪẤỀặầẩẫấậèỂẻẽ"  # 0xC0
    "éẹềểễếệìỉỄẾỒĩíịò"  # 0xD0
    "Ổỏõóọồổỗốộờởỡớợù"  # 0xE0
    "ỖủũúụừửữứựỳỷỹýỵỐ"  # 0xF0
)
# VN1 also puts 12 upper-case letters on C0 control codes (same sources: ``tcvn_2uni_1``).
_TCVN3_LOW = {
    0x01: "Ú", 0x02: "Ụ", 0x04: "Ừ", 0x05: "Ử", 0x06: "Ữ", 0x11: "Ứ",
    0x12: "Ự", 0x13: "Ỳ", 0x14: "Ỷ", 0x15: "Ỹ", 0x16: "Ý", 0x17: "Ỵ",
}

# VNI-Windows: letters are ASCII base letters followed by mark bytes (upper-case marks after
# upper-case letters, though readers accept either), plus a few single-byte letters.
# Source: UniKey's VnConv library, ukengine/data.cpp (``DoubleByteTables``, "VNI-WIN": each
# entry is base byte + mark byte), cross-checked with the VNI table of the
# vietnamese-conversion converter (src/charsets.ts) on "Việt Nam" = "Vieät Nam" and
# "Xin chào các bạn" = "Xin chaøo caùc baïn".  Bytes not listed are Windows-1252 (the
# VNI fonts are Windows-1252 fonts).
_GRAVE, _ACUTE, _HOOK, _TILDE, _DOT = "\u0300", "\u0301", "\u0309", "\u0303", "\u0323"
_CIRC, _BREVE = "\u0302", "\u0306"
_VNI_MARKS = {
    # byte (lower-case form, upper-case form): combining marks
    (0xF9, 0xD9): _ACUTE,
    (0xF8, 0xD8): _GRAVE,
    (0xFB, 0xDB): _HOOK,
    (0xF5, 0xD5): _TILDE,
    (0xEF, 0xCF): _DOT,
    (0xE2, 0xC2): _CIRC,
    (0xE1, 0xC1): _CIRC + _ACUTE,
    (0xE0, 0xC0): _CIRC + _GRAVE,
    (0xE5, 0xC5): _CIRC + _HOOK,
    (0xE3, 0xC3): _CIRC + _TILDE,
    (0xE4, 0xC4): _CIRC + _DOT,
    (0xEA, 0xCA): _BREVE,
    (0xE9, 0xC9): _BREVE + _ACUTE,
    (0xE8, 0xC8): _BREVE + _GRAVE,
    (0xFA, 0xDA): _BREVE + _HOOK,
    (0xFC, 0xDC): _BREVE + _TILDE,
    (0xEB, 0xCB): _BREVE + _DOT,
}
_VNI_LETTERS = {
    0xF1: "đ", 0xD1: "Đ", 0xF4: "ơ", 0xD4: "Ơ", 0xF6: "ư", 0xD6: "Ư",
    0xED: "í", 0xCD: "Í", 0xEC: "ì", 0xCC: "Ì", 0xE6: "ỉ", 0xC6: "Ỉ",
    0xF3: "ĩ", 0xD3: "Ĩ", 0xF2: "ị", 0xD2: "Ị", 0xEE: "ỵ", 0xCE: "Ỵ",
}


def _cp1252_char(byte: int) -> str:
    try:
        return bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:  # 0x81, 0x8D, 0x8F, 0x90, 0x9D: C1 controls, as latin-1
        return chr(byte)


def _build_tables() -> tuple[dict[int, str], dict[int, str]]:
    tcvn = {0x80 + i: ch for i, ch in enumerate(_TCVN3_HIGH)}
    tcvn.update({b: ch for b, ch in _TCVN3_LOW.items()})
    vni = {b: _cp1252_char(b) for b in range(0x80, 0x100)}
    for pair, marks in _VNI_MARKS.items():
        for b in pair:
            vni[b] = marks
    vni.update(_VNI_LETTERS)
    return tcvn, vni


# byte value -> text, for every byte 0x80-0xFF (and the VN1 capitals on C0 codes)
_TCVN3_DECODE, _VNI_DECODE = _build_tables()


def _charmap(mapping: dict[int, str]) -> tuple[str, dict[str, str]]:
    """A 256-character table for codecs.charmap_decode (C speed), one character per byte.

    Bytes that stand for two characters (VNI's "circumflex and tone" bytes) get a
    private-use placeholder, replaced afterwards: ``(table, {placeholder: text})``.
    """
    table, later = [], {}
    for b in range(256):
        text = mapping.get(b, chr(b))
        if len(text) != 1:
            placeholder = chr(0xE000 + b)
            later[placeholder] = text
            text = placeholder
        table.append(text)
    return "".join(table), later


_TCVN3_CHARMAP = _charmap(_TCVN3_DECODE)
_TCVN3_ENCODE = {ch: bytes([b]) for b, ch in _TCVN3_DECODE.items()}
_VNI_CHARMAP = _charmap(_VNI_DECODE)

# ---------------------------------------------------------------------- names
_ALIASES = {
    "tcvn3": "tcvn3", "tcvn": "tcvn3", "tcvn5712": "tcvn3", "tcvn57121": "tcvn3",
    "tcvn571219933": "tcvn3", "vn3": "tcvn3", "abc": "tcvn3", "vntime": "tcvn3",
    "vni": "vni", "vniwin": "vni", "vniwindows": "vni", "vnitimes": "vni",
    "cp1258": "cp1258", "1258": "cp1258", "windows1258": "cp1258", "ansi1258": "cp1258",
    "utf8": "utf-8", "65001": "utf-8", "utf8sig": "utf-8-sig",
    "utf16": "utf-16", "cp1252": "cp1252", "1252": "cp1252", "windows1252": "cp1252",
    "ansi1252": "cp1252", "latin1": "latin-1", "iso88591": "latin-1", "88591": "latin-1",
    "ascii": "utf-8", "usascii": "utf-8",
}
_LABELS = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 with BOM",
    "utf-16": "UTF-16",
    "cp1258": "Windows-1258",
    "tcvn3": "TCVN3/ABC (.VnTime fonts)",
    "vni": "VNI-Windows (VNI-Times fonts)",
    "cp1252": "Windows-1252",
    "latin-1": "ISO-8859-1",
}
VIETNAMESE_LEGACY = ("cp1258", "tcvn3", "vni")


def encoding_name(name: str) -> str:
    """The canonical name of an encoding given by a user, a ``.cpg`` file or a detector.

    Accepts the usual spellings (``"CP1258"``, ``"windows-1258"``, ``"1258"``,
    ``"TCVN3"``, ``"VNI-Windows"``, ``"UTF-8"``, ...) and any codec Python knows.

    Raises
    ------
    SchemaError
        For a name that is no known encoding.

    Examples
    --------
    >>> encoding_name("Windows-1258"), encoding_name("TCVN3"), encoding_name("VNI-Win")
    ('cp1258', 'tcvn3', 'vni')
    >>> encoding_name("UTF-8")
    'utf-8'
    """
    key = re.sub(r"[^0-9a-z]", "", str(name).lower())
    if key in _ALIASES:
        return _ALIASES[key]
    try:
        return codecs.lookup(str(name).strip()).name
    except LookupError:
        raise SchemaError(
            f"unknown text encoding {name!r}; use one of 'utf-8', 'cp1258' (Windows-1258), "
            f"'tcvn3' (TCVN3/ABC), 'vni' (VNI-Windows), 'utf-16', 'cp1252' or any Python "
            f"codec name"
        ) from None


def to_nfc(text: str) -> str:
    """``text`` in Unicode NFC (composed): ``"a" + U+0300`` becomes ``"à"``.

    Examples
    --------
    >>> to_nfc("Ba\\u0309n") == "Bản"
    True
    """
    return unicodedata.normalize("NFC", text)


def decode_text(raw: bytes, encoding: str) -> str:
    """Decode ``raw`` exactly with ``encoding`` (any name :func:`encoding_name` takes), in NFC.

    Strict: a byte the encoding does not define raises :class:`UnicodeDecodeError`.

    Examples
    --------
    >>> decode_text(b"Thi\\xf2 tr\\xe2\\xecn", "cp1258")   # tone marks are separate bytes
    'Thị trấn'
    >>> decode_text(b"M\\xad\\xeang Kh\\xad\\xacng", "tcvn3")
    'Mường Khương'
    >>> decode_text(b"Vie\\xe4t Nam", "vni")
    'Việt Nam'
    """
    enc = encoding_name(encoding)
    if enc in ("tcvn3", "vni"):
        table, later = _TCVN3_CHARMAP if enc == "tcvn3" else _VNI_CHARMAP
        text = codecs.charmap_decode(raw, "strict", table)[0]
        for placeholder, marks in later.items():
            if placeholder in text:
                text = text.replace(placeholder, marks)
    else:
        text = raw.decode(enc)
    text = to_nfc(text)
    if enc == "tcvn3":
        text = _tcvn3_capitals(text)
    return text


# A TCVN3 (VN3) font has no upper-case letters with tone marks; some converters write
# "À" as "A" followed by "à".  Such a pair never occurs in Vietnamese: make it one capital.
_VN_BASES = "aăâeêioôơuưy"
_TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")


def _base_of(ch: str) -> str:
    return to_nfc("".join(c for c in unicodedata.normalize("NFD", ch) if c not in _TONE_MARKS))


_TCVN3_PAIR = re.compile(r"([AĂÂEÊIOÔƠUƯY])([^\W\d_])")


def _tcvn3_capitals(text: str) -> str:
    def fix(m: re.Match[str]) -> str:
        cap, low = m.group(1), m.group(2)
        if low != low.lower() or low in _VN_BASES or _base_of(low) != cap.lower():
            return m.group(0)
        return low.upper()

    return _TCVN3_PAIR.sub(fix, text)


def encode_text(text: str, encoding: str) -> bytes:
    """Encode ``text`` as a Vietnamese legacy file would hold it (for tests and fixtures).

    ``cp1258`` writes a letter that Windows-1258 has as one byte as that byte and any other
    as base letter + tone-mark byte, as Windows does; ``tcvn3`` and ``vni`` use the tables
    of :func:`decode_text`; other encodings use Python's codec.  ``decode_text`` inverts it.

    Examples
    --------
    >>> encode_text("Thị trấn", "cp1258")
    b'Thi\\xf2 tr\\xe2\\xecn'
    >>> decode_text(encode_text("Đồng Văn", "vni"), "vni")
    'Đồng Văn'
    >>> decode_text(encode_text("Lào Cai", "tcvn3"), "tcvn3")
    'Lào Cai'
    """
    enc = encoding_name(encoding)
    text = to_nfc(text)
    if enc == "cp1258":
        out = []
        for ch in text:
            try:
                out.append(ch.encode("cp1258"))
            except UnicodeEncodeError:
                nfd = unicodedata.normalize("NFD", ch)
                base = to_nfc("".join(c for c in nfd if c not in _TONE_MARKS))
                tones = "".join(c for c in nfd if c in _TONE_MARKS)
                out.append(base.encode("cp1258") + tones.encode("cp1258"))
        return b"".join(out)
    if enc == "tcvn3":
        out = []
        for i, ch in enumerate(text):
            code = ch.encode("ascii") if ord(ch) < 0x80 else _TCVN3_ENCODE.get(ch)
            if code is None:
                raise UnicodeEncodeError("tcvn3", text, i, i + 1, "not in TCVN3")
            out.append(code)
        return b"".join(out)
    if enc == "vni":
        return b"".join(_vni_encode_char(ch) for ch in text)
    return text.encode(enc)


def _vni_encode_char(ch: str) -> bytes:
    if ord(ch) < 0x80:
        return ch.encode("ascii")
    for b, letter in _VNI_LETTERS.items():
        if letter == ch:
            return bytes([b])
    nfd = unicodedata.normalize("NFD", ch)
    base, marks = nfd[0], nfd[1:]
    if base in "oOuU" and "\u031b" in marks:  # horn: ơ/ư are single bytes, tone follows
        base = to_nfc(base + "\u031b")
        marks = marks.replace("\u031b", "")
    marks = "".join(sorted(marks, key=lambda c: c not in (_CIRC, _BREVE)))
    if not marks:
        return _encode_single(base)
    upper = ch.isupper()
    for pair, seq in _VNI_MARKS.items():
        if seq == marks:
            return _encode_single(base) + bytes([pair[1] if upper else pair[0]])
    return ch.encode("cp1252")


def _encode_single(ch: str) -> bytes:
    for b, letter in _VNI_LETTERS.items():
        if letter == ch:
            return bytes([b])
    return ch.encode("cp1252")


# -------------------------------------------------------------------- scoring
def _vietnamese_letters() -> frozenset[str]:
    tones = ("", *sorted(_TONE_MARKS))
    low = {to_nfc(v + t) for v in _VN_BASES for t in tones} | {"đ"}
    return frozenset(low | {c.upper() for c in low})


_VI_LETTERS = _vietnamese_letters()
# Non-ASCII characters that real Vietnamese text holds besides letters.
_OK_PUNCT = "\u00a0\u2013\u2014\u2018\u2019\u201c\u201d\u2026\u00b0"
_BAD_CHAR = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e" + re.escape("".join(sorted(_VI_LETTERS)) + _OK_PUNCT) + "]"
)
_WORD = re.compile(r"[^\W\d_]+")
# initials, with the clusters of Central Highlands names (Krông, Đrắk, Plei, Kmăl)
_INITIAL = "(?:ngh|ng|gh|gi|kh|nh|ph|th|tr|ch|qu|[bcdđgkpt][rl]|k[mn]|[bcdđghklmnprstvxfjwz])?"
_CLOSED = "(?:a|ă|â|e|ê|i|o|ô|ơ|u|ư|y|oa|oă|oe|uâ|uê|uô|ươ|iê|yê|uy|uyê|oo)"
_OPEN = (
    "(?:ai|ao|au|âu|ay|ây|eo|êu|ia|iu|oi|ôi|ơi|ua|ui|ưa|ưi|ưu|uơ|ya|iêu|yêu|oai|oao|"
    "oay|oeo|uây|uôi|ươi|ươu|uya|uyu)"
)
_SYLLABLE = re.compile(f"{_INITIAL}(?:{_CLOSED}(?:ng|nh|ch|[cmnptkh])?|{_OPEN})")


def _plausible_syllable(word: str) -> bool:
    """Whether ``word`` (NFC) is a well-formed Vietnamese syllable with at most one tone.

    Mixed case inside a word ("HơÌ", "QuƠ") counts as not well-formed: misread bytes
    often turn into capitals.
    """
    if not word.isupper() and any(c.isupper() for c in word[1:]):
        return False
    nfd = unicodedata.normalize("NFD", word.lower())
    if sum(c in _TONE_MARKS for c in nfd) > 1:
        return False
    base = to_nfc("".join(c for c in nfd if c not in _TONE_MARKS))
    return _SYLLABLE.fullmatch(base) is not None


def _vietnamese_score(text: str) -> float:
    """How Vietnamese ``text`` (decoded non-ASCII words, NFC) looks: 1 best, below 0 bad.

    Each word with a non-ASCII letter counts +1 if it is a plausible syllable, -1 if not;
    each character that is neither ASCII, a Vietnamese letter nor common punctuation
    (symbols, C1 controls, foreign letters, tone marks left uncombined) counts -2.
    """
    bad = len(_BAD_CHAR.findall(text))
    good = wrong = 0
    for word in _WORD.findall(text):
        if word.isascii():
            continue
        if _plausible_syllable(word):
            good += 1
        else:
            wrong += 1
    total = good + wrong + bad
    return (good - wrong - 2 * bad) / total if total else 0.0


# ------------------------------------------------------------------- detection
SAMPLE_BYTES = 16 * 2**20
MAX_TOKENS = 20_000
MIN_SCORE = 0.5
MIN_MARGIN = 0.3
MIN_TOKENS_FOREIGN = 5  # fewer words say too little to call a text "not Vietnamese"
_TOKEN = re.compile(rb"[^\x00-\x20,;|\"']*[\x80-\xff][^\x00-\x20,;|\"']*")


@dataclass(frozen=True)
class EncodingGuess:
    """What :func:`detect_encoding` found.

    ``encoding`` is the canonical codec name, ``confident`` whether it clearly beat the
    ``runner_up`` (the best candidate that decodes the sample differently), ``scores`` the
    score of every candidate tried (1 = perfect Vietnamese) and ``example`` one word of the
    file as the winner and as the runner-up read it.
    """

    encoding: str
    confident: bool
    runner_up: str | None = None
    scores: dict[str, float] = field(default_factory=dict)
    example: tuple[str, str] | None = None


def _sample_tokens(raw: bytes) -> list[bytes]:
    """Distinct words with non-ASCII bytes: from the first 16 MB (cut at a line end), or
    from the whole file when that holds fewer than 1,000 (the text may come later)."""
    window = raw
    if len(raw) > SAMPLE_BYTES:
        window = raw[:SAMPLE_BYTES]
        cut = window.rfind(b"\n")
        window = window[:cut] if cut > 0 else window
    tokens = dict.fromkeys(_TOKEN.findall(window))
    if len(tokens) < 1000 and len(window) < len(raw):
        tokens.update(dict.fromkeys(_TOKEN.findall(raw)))
    return list(tokens)[:MAX_TOKENS]


def detect_encoding(raw: bytes, *, candidates: Iterable[str] | None = None) -> EncodingGuess:
    """Detect the encoding of Vietnamese text ``raw``.

    A BOM decides (UTF-8 or UTF-16); so does text that is pure ASCII or valid UTF-8.
    Otherwise the distinct non-ASCII words (of the first 16 MB if they hold enough) are
    decoded with each of ``cp1258``, ``tcvn3``, ``vni`` and ``cp1252`` (or ``candidates``)
    and scored for how Vietnamese they read.  The guess is confident when the best scores
    at least 0.5 and beats the runner-up by 0.3.  When no candidate reads as Vietnamese
    (all score below 0 on at least 5 words), the text is taken as Windows-1252, or as what
    charset-normalizer finds if that is another script, never confidently.

    Examples
    --------
    >>> detect_encoding("Lào Cai".encode("utf-8")).encoding
    'utf-8'
    >>> g = detect_encoding(encode_text("Xã Bản Khoang, Thị trấn Phố Lu", "cp1258"))
    >>> g.encoding, g.confident
    ('cp1258', True)
    >>> detect_encoding(encode_text("Mường Khương, Đồng Văn", "tcvn3")).encoding
    'tcvn3'
    """
    if raw.startswith(codecs.BOM_UTF8):
        return EncodingGuess("utf-8-sig", True)
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return EncodingGuess("utf-16", True)
    if raw.isascii():
        return EncodingGuess("utf-8", True)
    tokens = _sample_tokens(raw)
    sample = b"\n".join(tokens)
    try:
        sample.decode("utf-8")
        raw.decode("utf-8")
        return EncodingGuess("utf-8", True)
    except UnicodeDecodeError:
        pass
    names = [encoding_name(c) for c in (candidates or (*VIETNAMESE_LEGACY, "cp1252"))]
    decoded: dict[str, str] = {}
    scores: dict[str, float] = {}
    for name in names:
        try:
            text = decode_text(sample, name)
        except UnicodeDecodeError:
            continue  # a byte this encoding does not define: not this one
        decoded[name] = text
        scores[name] = round(_vietnamese_score(text), 3)
    if not scores:
        return EncodingGuess("latin-1", False, None, {})
    order = sorted(scores, key=lambda n: -scores[n])  # stable: Vietnamese first on ties
    best = order[0]
    rivals = [n for n in order[1:] if decoded[n] != decoded[best]]
    runner = rivals[0] if rivals else None
    margin = scores[best] - scores[runner] if runner else 1.0
    example = _example(tokens, best, runner) if runner else None
    if scores[best] < 0 and len(tokens) >= MIN_TOKENS_FOREIGN:
        # not Vietnamese: Windows-1252, unless charset-normalizer reads another script
        other = _charset_normalizer_guess(sample)
        fallback = other if other and _mostly_non_latin(sample, other) else "cp1252"
        if fallback != best:
            return EncodingGuess(
                fallback, False, best, scores, _example(tokens, fallback, best)
            )
    return EncodingGuess(
        best, scores[best] >= MIN_SCORE and margin >= MIN_MARGIN, runner, scores, example
    )


def _example(tokens: list[bytes], best: str, runner: str | None) -> tuple[str, str] | None:
    """One word (the first that the two read differently) as ``best`` and ``runner`` read it."""
    if runner is None:
        return None
    for tok in tokens[:200]:
        a, b = _try_decode(tok, best), _try_decode(tok, runner)
        if a != b:
            return a, b
    return None


def _try_decode(raw: bytes, encoding: str) -> str:
    try:
        return decode_text(raw, encoding)
    except UnicodeDecodeError:
        return raw.decode(encoding_name(encoding), errors="replace")


def _mostly_non_latin(sample: bytes, encoding: str) -> bool:
    """Whether most non-ASCII letters of ``sample`` read as ``encoding`` are not Latin."""
    try:
        text = sample.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return False
    letters = [c for c in text if ord(c) >= 0x80 and c.isalpha()]
    latin = sum("LATIN" in unicodedata.name(c, "") for c in letters)
    return bool(letters) and latin < len(letters) / 2


def _charset_normalizer_guess(sample: bytes) -> str | None:
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - optional
        return None
    best = from_bytes(sample).best()
    if best is None:
        return None
    try:
        return encoding_name(best.encoding)
    except SchemaError:  # pragma: no cover - a codec name Python does not know
        return None


def _unsure_message(guess: EncodingGuess, file: str) -> DataQualityWarning:
    """The warning for a guess that is not confident (names the file and the fix)."""
    label = f" ({_LABELS[guess.encoding]})" if guess.encoding in _LABELS else ""
    runner = guess.runner_up or "cp1258"
    seen: Words | str = ""
    if guess.example:
        seen = Words("warning.encoding_seen", {"text": guess.example[0], "runner": runner,
                                               "other": guess.example[1]})
    return DataQualityWarning.of(
        "encoding_unsure", file=file, encoding=guess.encoding, label=label, runner=runner,
        seen=seen, fix=hint_words("encoding", runner=runner))


def decode_bytes(
    raw: bytes, *, encoding: str | None = None, file: str | None = None
) -> tuple[str, str, bool]:
    """Decode a whole file's bytes: ``(text, encoding, confident)``, text in NFC.

    With ``encoding`` (the user's choice) that encoding is used, strictly.  Otherwise it is
    detected (:func:`detect_encoding`); when the detection is not confident a
    :class:`~geocov.errors.DataQualityWarning` names ``file``, the encoding chosen, the
    runner-up and how to force one.

    Raises
    ------
    DataSourceError
        If the bytes are not valid in the given encoding (naming the byte offset).

    Examples
    --------
    >>> decode_bytes(encode_text("ten_xa\\nXã Bản Khoang\\nLào Cai\\n", "vni"))
    ('ten_xa\\nXã Bản Khoang\\nLào Cai\\n', 'vni', True)
    >>> decode_bytes(b"L\\xb5o Cai", encoding="tcvn3")
    ('Lào Cai', 'tcvn3', True)
    """
    name = file or "<bytes>"
    if encoding is not None:
        enc, confident = encoding_name(encoding), True
        if enc == "utf-8" and raw.startswith(codecs.BOM_UTF8):
            enc = "utf-8-sig"
    else:
        guess = detect_encoding(raw)
        enc, confident = guess.encoding, guess.confident
        if not confident:
            warnings.warn(_unsure_message(guess, name), stacklevel=2)
    try:
        return decode_text(raw, enc), enc, confident
    except UnicodeDecodeError as exc:
        if encoding is None:  # detection only rules out encodings that fail on the sample
            text = to_nfc(raw.decode(enc, errors="replace"))
            warnings.warn(
                DataQualityWarning.of("bad_bytes", file=name, offset=exc.start, encoding=enc,
                                      fix=hint_words("bad_bytes")),
                stacklevel=2,
            )
            return text, enc, False
        raise DataSourceError(
            f"{name}: cannot be decoded as {enc}: byte {raw[exc.start:exc.start + 1]!r} at "
            f"offset {exc.start} is not valid in {enc} ({exc.reason}). "
            + hint("Pass the file's true encoding with encoding= ('utf-8', 'cp1258', "
                   "'tcvn3', 'vni'), or encoding=None to detect it",
                   "Give the file's true encoding with --<input>-encoding (utf-8, cp1258, "
                   "tcvn3, vni), or leave the option out to detect it")
        ) from exc


# ---------------------------------------------------------------- frames: NFC, DBF text
def _is_object(dtype: Any) -> bool:
    return isinstance(dtype, np.dtype) and dtype == np.dtype(object)


def _is_text_column(values: pd.Series) -> bool:
    return _is_object(values.dtype) or isinstance(values.dtype, pd.StringDtype)


def _map_distinct(values: pd.Series, func, needs) -> pd.Series | None:  # type: ignore[no-untyped-def]
    """``func`` applied to each distinct string of ``values``; None when nothing changes.

    ``func`` leaves ASCII text alone; ``needs(joined)`` says whether any of the distinct
    strings, joined by NUL, may change: one C-speed check before any per-value work.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        cats = list(values.cat.categories)
        new = [func(c) if isinstance(c, str) else c for c in cats]
        if new == cats:
            return None
        if len(set(new)) == len(new):
            return values.cat.rename_categories(new)
        values = values.astype(object)
    elif not _is_text_column(values):
        return None
    if isinstance(values.dtype, pd.StringDtype) and bool(values.str.isascii().all()):
        return None
    codes, uniques = pd.factorize(values)
    uni = np.asarray(uniques, dtype=object)
    strs = [u for u in uni if isinstance(u, str)]
    if not strs or not needs("\x00".join(strs)):
        return None
    new_uni = np.array([func(u) if isinstance(u, str) else u for u in uni], dtype=object)
    if all(a is b or a == b for a, b in zip(uni, new_uni, strict=True)):
        return None
    arr = values.to_numpy(dtype=object, copy=True)
    sel = codes >= 0
    arr[sel] = new_uni[codes[sel]]
    out = pd.Series(arr, index=values.index, name=values.name, dtype=object)
    return out if _is_object(values.dtype) else out.astype(values.dtype)


def _nfc_if_needed(text: str) -> str:
    return text if unicodedata.is_normalized("NFC", text) else to_nfc(text)


def nfc_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every column name and every text value in Unicode NFC.

    Works over the distinct values of each text column (object, string or categorical);
    other columns are left alone.  ``frame`` is not modified; it is returned itself when
    everything is already NFC.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"Te\\u0302n": ["Ba\\u0309n Khoang", "Bản Khoang", None]})
    >>> g = nfc_frame(f)
    >>> list(g.columns) == ["Tên"], g.iloc[0, 0] == g.iloc[1, 0] == "Bản Khoang"
    (True, True)
    """
    return _map_frame(frame, _nfc_if_needed, _not_nfc)


def _not_nfc(text: str) -> bool:
    return not unicodedata.is_normalized("NFC", text)


def _not_ascii(text: str) -> bool:
    return not text.isascii()


def _map_frame(frame: pd.DataFrame, func, needs) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    out = None
    for i in range(frame.shape[1]):
        values = frame.iloc[:, i]
        new = _map_distinct(values, func, needs)
        if new is None:
            continue
        if out is None:
            out = frame.copy(deep=False)
        out.isetitem(i, new)
    cols = [func(c) if isinstance(c, str) else c for c in frame.columns]
    if cols != list(frame.columns):
        if out is None:
            out = frame.copy(deep=False)
        out.columns = cols
        geom = getattr(frame, "_geometry_column_name", None)
        if isinstance(geom, str) and geom in frame.columns and func(geom) != geom:
            out = out.set_geometry(func(geom))  # pragma: no cover - unusual
    return frame if out is None else out


def redecode_frame(
    frame: pd.DataFrame,
    *,
    encoding: str | None = None,
    file: str | None = None,
) -> tuple[pd.DataFrame, str, bool]:
    """Re-decode text that was read as ISO-8859-1 (one char per byte) with the true encoding.

    For DBF text: read it with ``encoding="latin1"`` (lossless), then this turns every text
    value and column name back into the original bytes and decodes them with ``encoding``,
    or with the encoding detected on the distinct non-ASCII values (warning as
    :func:`decode_bytes` does when unsure).  Returns ``(frame, encoding, confident)``;
    values in NFC.

    Examples
    --------
    >>> import pandas as pd
    >>> raw = encode_text("Thị trấn Phố Lu", "cp1258").decode("latin-1")
    >>> f, enc, ok = redecode_frame(pd.DataFrame({"ten": [raw, raw, "Lao Cai"]}))
    >>> f["ten"].tolist(), enc, ok
    (['Thị trấn Phố Lu', 'Thị trấn Phố Lu', 'Lao Cai'], 'cp1258', True)
    """
    name = file or "<frame>"
    distinct: dict[str, None] = {}
    for col in frame.columns:
        if isinstance(col, str) and not col.isascii():
            distinct[col] = None
        values = frame[col]
        if not _is_text_column(values):
            continue
        for v in pd.unique(values.dropna()):
            if isinstance(v, str) and not v.isascii():
                distinct[v] = None
                if len(distinct) >= MAX_TOKENS:
                    break
    raw = b"\n".join(v.encode("latin-1", errors="replace") for v in distinct)
    if encoding is not None:
        enc, confident = encoding_name(encoding), True
    else:
        guess = detect_encoding(raw)
        enc, confident = guess.encoding, guess.confident
        if enc == "utf-8-sig":
            enc = "utf-8"
        if not confident:
            warnings.warn(_unsure_message(guess, name), stacklevel=2)
    if enc == "latin-1":
        return nfc_frame(frame), enc, confident
    failed: list[str] = []

    def fix(text: str) -> str:
        if text.isascii():
            return text
        try:
            data = text.encode("latin-1")
        except UnicodeEncodeError:  # not a latin-1 view of bytes: already real text
            return _nfc_if_needed(text)
        try:
            return decode_text(data, enc)
        except UnicodeDecodeError:
            failed.append(text)
            return to_nfc(data.decode(encoding_name(enc), errors="replace"))

    out = _map_frame(frame, fix, _not_ascii)
    if failed:
        w = DataQualityWarning.of("bad_values", file=name, n=len(failed), encoding=enc,
                                  example=failed[0], fix=hint_words("bad_bytes"))
        if encoding is not None:
            raise DataSourceError(str(w))
        warnings.warn(w, stacklevel=2)
    return out, enc, confident
