"""Text encodings and Unicode normalisation (issue 6).

Vietnamese files come in UTF-8/UTF-16, Windows-1258, TCVN3 and VNI.  Each must be read
with its names exact (including the last letter, which GDAL's cp1258 decoder loses), the
encoding detected when nobody says, a warning when the detection is not certain, and every
name in NFC so that composed and decomposed spellings match.
"""

from __future__ import annotations

import unicodedata
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from geocov.boundaries import read_units
from geocov.encoding import (
    decode_bytes,
    decode_text,
    detect_encoding,
    encode_text,
    encoding_name,
    nfc_frame,
)
from geocov.errors import DataQualityWarning, DataSourceError, SchemaError, cli_hints
from geocov.io import frame_from_source, read_table
from geocov.villages import read_villages

NAMES = ["Lào Cai", "Thị trấn", "Xã Bản Khoang", "Đồng Văn", "Mường Khương", "Việt Nam"]
LEGACY = ["cp1258", "tcvn3", "vni"]


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


# ------------------------------------------------------------------ decoders
# Bytes written by hand from the encodings' tables: cp1258 as Windows writes it (letters it
# lacks = base letter + tone-mark byte), TCVN3 as glibc's iconv TCVN5712-1 writes it, VNI as
# VNI-Windows fonts show it ("Vieät Nam").
KNOWN = [
    ("cp1258", b"L\xe0o Cai", "Lào Cai"),
    ("cp1258", b"Thi\xf2 tr\xe2\xecn", "Thị trấn"),
    ("cp1258", b"Xa\xde Ba\xd2n Khoang", "Xã Bản Khoang"),
    ("cp1258", b"\xd0\xf4\xccng V\xe3n", "Đồng Văn"),
    ("cp1258", b"M\xfd\xf5\xccng Kh\xfd\xf5ng", "Mường Khương"),
    ("cp1258", b"Vi\xea\xf2t Nam", "Việt Nam"),
    ("tcvn3", b"L\xb5o Cai", "Lào Cai"),
    ("tcvn3", b"Th\xde tr\xcan", "Thị trấn"),
    ("tcvn3", b"X\xb7 B\xb6n Khoang", "Xã Bản Khoang"),
    ("tcvn3", b"\xa7\xe5ng V\xa8n", "Đồng Văn"),
    ("tcvn3", b"M\xad\xeang Kh\xad\xacng", "Mường Khương"),
    ("tcvn3", b"Vi\xd6t Nam", "Việt Nam"),
    ("vni", b"La\xf8o Cai", "Lào Cai"),
    ("vni", b"Th\xf2 tra\xe1n", "Thị trấn"),
    ("vni", b"Xa\xf5 Ba\xfbn Khoang", "Xã Bản Khoang"),
    ("vni", b"\xd1o\xe0ng Va\xean", "Đồng Văn"),
    ("vni", b"M\xf6\xf4\xf8ng Kh\xf6\xf4ng", "Mường Khương"),
    ("vni", b"Vie\xe4t Nam", "Việt Nam"),
    ("vni", b"Xin cha\xf8o ca\xf9c ba\xefn", "Xin chào các bạn"),
]


@pytest.mark.parametrize(("encoding", "raw", "text"), KNOWN)
def test_decoders_read_known_words(encoding: str, raw: bytes, text: str) -> None:
    assert decode_text(raw, encoding) == text
    assert unicodedata.is_normalized("NFC", decode_text(raw, encoding))
    assert encode_text(text, encoding) == raw


def test_tcvn3_upper_case_written_as_letter_pairs() -> None:
    # VN3 fonts have no upper-case toned letters; converters write "Ú" as "U" + "ú"
    assert decode_text(b"U\xf3ng H\xdfa", "tcvn3") == "Úng Hòa"
    assert decode_text(b"Ao Ua", "tcvn3") == "Ao Ua"  # no tone: left alone


def test_encoding_names() -> None:
    assert [encoding_name(n) for n in ("CP1258", "ANSI 1258", "TCVN3", "VNI-Windows",
                                       "UTF-8", "65001", "88591")] == [
        "cp1258", "cp1258", "tcvn3", "vni", "utf-8", "utf-8", "latin-1"]
    with pytest.raises(SchemaError, match=r"unknown text encoding 'klingon'; use one of"):
        encoding_name("klingon")


SYLLABLES = ["Lào", "Cai", "Thị", "trấn", "Bản", "Khoang", "Đồng", "Văn", "Mường", "Khương",
             "Việt", "Nam", "Nghĩa", "Lộ", "Phố", "Ràng", "Sủng", "Ữ", "Ỷ", "ước", "Quỳnh",
             "Hòa", "Hoá", "Tuyên", "Quang", "giữ", "Đắk", "Krông", "Ằ", "Ẵ", "ễ", "ỗ"]


@settings(max_examples=200, deadline=None)
@given(
    words=st.lists(
        st.tuples(st.sampled_from(SYLLABLES), st.sampled_from(["lower", "upper", "title"])),
        min_size=1, max_size=8),
    encoding=st.sampled_from(LEGACY),
    decompose=st.booleans(),
)
def test_encode_decode_round_trip(words: list[tuple[str, str]], encoding: str,
                                  decompose: bool) -> None:
    text = " ".join(getattr(w, case)() for w, case in words)
    given_text = nfd(text) if decompose else text
    assert decode_text(encode_text(given_text, encoding), encoding) == unicodedata.normalize(
        "NFC", text)


# ------------------------------------------------------------------ detection
@pytest.mark.parametrize("encoding", LEGACY)
def test_detects_each_legacy_encoding_confidently(encoding: str) -> None:
    raw = encode_text("ten_xa\n" + "\n".join(NAMES) + "\n", encoding)
    guess = detect_encoding(raw)
    assert (guess.encoding, guess.confident) == (encoding, True)
    assert decode_bytes(raw) == ("ten_xa\n" + "\n".join(NAMES) + "\n", encoding, True)


def test_detects_boms_ascii_and_utf8() -> None:
    assert detect_encoding(b"\xef\xbb\xbfL\xc3\xa0o").encoding == "utf-8-sig"
    assert detect_encoding("Lào".encode("utf-16")).encoding == "utf-16"
    assert detect_encoding(b"Lao Cai").encoding == "utf-8"
    assert detect_encoding(nfd("Lào Cai").encode("utf-8")).encoding == "utf-8"
    assert decode_bytes(nfd("Bản").encode("utf-8"))[0] == "Bản"  # composed on the way
    assert decode_bytes("\ufeffma_xa".encode(), encoding="UTF-8")[0] == "ma_xa"  # no BOM left


def test_detection_finds_text_beyond_the_first_window(monkeypatch: pytest.MonkeyPatch) -> None:
    import geocov.encoding as encoding

    monkeypatch.setattr(encoding, "SAMPLE_BYTES", 64)
    raw = b"id;ten\n" + b"1;Lao Cai\n" * 20 + encode_text("2;Mường Khương\n3;Đồng Văn\n", "vni")
    assert detect_encoding(raw).encoding == "vni"
    head = "Lào Cai\n".encode() * 10  # a window cut inside a UTF-8 letter is still UTF-8
    assert detect_encoding(head + "Đồng Văn\n".encode()).encoding == "utf-8"


def test_not_vietnamese_falls_back_to_windows_1252_with_a_warning() -> None:
    raw = "Café;Genève;Zürich;Málaga;Peñalolén;Córdoba\n".encode("cp1252")
    with pytest.warns(DataQualityWarning,
                      match=r"x\.csv: text encoding uncertain: read as cp1252 \(Windows-1252\)"):
        text, enc, confident = decode_bytes(raw, file="x.csv")
    assert (text, enc, confident) == ("Café;Genève;Zürich;Málaga;Peñalolén;Córdoba\n",
                                      "cp1252", False)


# ------------------------------------------------------------------ CSV
def write_csv(path: Path, rows: list[str], encoding: str) -> Path:
    path.write_bytes(encode_text("\n".join(rows) + "\n", encoding))
    return path


@pytest.mark.parametrize("encoding", [*LEGACY, "utf-8", "utf-8-sig", "utf-16"])
def test_csv_in_each_encoding_reads_exact_names(tmp_path: Path, encoding: str) -> None:
    rows = ["Mã xã;Tên xã;Dân số", *(f"{i:05d};{n};1.234" for i, n in enumerate(NAMES))]
    frame = read_table(write_csv(tmp_path / "xa.csv", rows, encoding))
    assert list(frame.columns[:3]) == ["Mã xã", "Tên xã", "Dân số"]
    assert frame["Tên xã"].tolist() == NAMES
    assert frame.attrs["encoding"] == encoding


def test_csv_unsure_encoding_warns_naming_file_choice_runner_up_and_fix(
        tmp_path: Path) -> None:
    # one short word: Windows-1258 "Lát" is TCVN3 "Lỏt", both plausible syllables
    path = write_csv(tmp_path / "xa.csv", ["ma_xa,ten_xa", "1,Lát"], "cp1258")
    with pytest.warns(DataQualityWarning, match=(
            r"xa\.csv: text encoding uncertain: read as cp1258 \(Windows-1258\), runner-up "
            r"tcvn3 \(e\.g\. 'Lát'; as tcvn3 it would read 'Lỏt'\)\. If the names look wrong, "
            r"pass encoding='tcvn3'")):
        frame = read_table(path)
    assert frame["ten_xa"].tolist() == ["Lát"]
    with cli_hints(), pytest.warns(DataQualityWarning,
                                   match=r"add --<input>-encoding tcvn3, e\.g\. "
                                         r"--villages-encoding tcvn3"):
        read_table(path)
    # the user's choice wins, and then nothing is uncertain (no warning)
    assert read_table(path, encoding="tcvn3")["ten_xa"].tolist() == ["Lỏt"]
    assert read_table(path, encoding="cp1258").attrs["encoding"] == "cp1258"


def test_csv_given_encoding_that_does_not_fit_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "xa.csv"
    path.write_bytes(b"ma_xa,ten_xa\n1,L\x81o\n")
    with pytest.raises(DataSourceError,
                       match=r"xa\.csv: cannot be decoded as cp1258: byte b'\\x81' at offset "
                             r"16 is not valid in cp1258.*encoding="):
        read_table(path, encoding="cp1258")


# ------------------------------------------------------------------ Shapefiles
def write_shapefile(path: Path, names: list[str], encoding: str,
                    cpg: str | None = None) -> Path:
    """A point layer whose DBF holds ``names`` as ``encoding`` bytes; ``.cpg`` = ``cpg``.

    GDAL writes latin-1 text byte for byte (checked below in the DBF itself), so the DBF
    holds exactly the legacy bytes; GDAL's own .cpg is replaced (or removed).
    """
    column = encode_text("Tên xã", encoding).decode("latin-1")
    frame = gpd.GeoDataFrame(
        {column: [encode_text(n, encoding).decode("latin-1") for n in names],
         "ma_xa": [f"{i:05d}" for i in range(len(names))]},
        geometry=[shapely.box(i, 22, i + 1, 23) for i in range(len(names))], crs=4326)
    frame.to_file(path, engine="pyogrio", encoding="latin1")
    dbf = path.with_suffix(".dbf").read_bytes()
    assert all(encode_text(n, encoding) in dbf for n in names)
    path.with_suffix(".cpg").unlink(missing_ok=True)
    if cpg is not None:
        path.with_suffix(".cpg").write_text(cpg)
    return path


@pytest.mark.parametrize("encoding", LEGACY)
def test_shapefile_without_cpg_reads_exact_names(tmp_path: Path, encoding: str) -> None:
    # upper case too: TCVN3 puts "LÀO" and "THỊ" on bytes 0x80-0x9F, which GDAL's latin-1
    # reading must hand over unchanged
    names = [*NAMES, "LÀO CAI", "THỊ TRẤN", "ĐỒNG VĂN"]
    path = write_shapefile(tmp_path / "xa.shp", names, encoding)
    frame = read_table(path)
    assert frame["Tên xã"].tolist() == names  # every last letter included
    assert frame.attrs["encoding"] == encoding
    units = read_units(path, levels=["commune"])
    assert sorted(units["commune_name"]) == sorted(names)


def test_shapefile_written_by_gdal_in_cp1258_then_cpg_lost(tmp_path: Path) -> None:
    # what QGIS/ogr2ogr make with "Windows-1258" (GDAL's writer is right), minus the .cpg
    path = tmp_path / "xa.shp"
    gpd.GeoDataFrame({"ten_xa": NAMES},
                     geometry=[shapely.box(i, 0, i + 1, 1) for i in range(len(NAMES))],
                     crs=4326).to_file(path, engine="pyogrio", encoding="cp1258")
    assert path.with_suffix(".cpg").read_text() == "CP1258"
    path.with_suffix(".cpg").unlink()
    assert b"Thi\xf2 tr\xe2\xecn" in path.with_suffix(".dbf").read_bytes()
    frame = read_table(path)
    assert frame["ten_xa"].tolist() == NAMES
    assert frame.attrs["encoding"] == "cp1258"


def test_shapefile_with_cp1258_cpg_keeps_the_last_letter(tmp_path: Path) -> None:
    # GDAL itself decodes this file as 'Lào Ca', 'Thị trấ', ... (its iconv is not flushed)
    path = write_shapefile(tmp_path / "xa.shp", NAMES, "cp1258", cpg="CP1258")
    assert read_table(path)["Tên xã"].tolist() == NAMES


def test_shapefile_with_a_wrong_cpg_warns_and_detects(tmp_path: Path) -> None:
    path = write_shapefile(tmp_path / "xa.shp", NAMES, "tcvn3", cpg="UTF-8")
    with pytest.warns(DataQualityWarning,
                      match=r"xa\.shp: its \.cpg says 'UTF-8', but the text is not valid "
                            r"utf-8; the encoding is detected instead"):
        frame = read_table(path)
    assert frame["Tên xã"].tolist() == NAMES


def test_shapefile_latin1_cpg_is_only_a_hint(tmp_path: Path) -> None:
    # TCVN3 and VNI were typed with "Latin-1" fonts: a 1252 .cpg does not say much
    path = write_shapefile(tmp_path / "xa.shp", NAMES, "vni", cpg="1252")
    assert read_table(path)["Tên xã"].tolist() == NAMES


def test_shapefile_encoding_option_wins_over_cpg(tmp_path: Path) -> None:
    path = write_shapefile(tmp_path / "xa.shp", NAMES, "vni", cpg="UTF-8")
    frame = frame_from_source(path, encoding="vni")
    assert frame["Tên xã"].tolist() == NAMES
    assert frame.attrs["encoding"] == "vni"


def test_shapefile_unsure_encoding_warns(tmp_path: Path) -> None:
    path = write_shapefile(tmp_path / "xa.shp", ["Lát"], "cp1258")
    with pytest.warns(DataQualityWarning,
                      match=r"xa\.shp: text encoding uncertain: read as cp1258 .* runner-up "
                            r"tcvn3"):
        assert read_table(path)["ma_xa"].tolist() == ["00000"]


def test_zipped_shapefile_without_cpg(tmp_path: Path) -> None:
    shp = write_shapefile(tmp_path / "xa.shp", NAMES, "tcvn3")
    archive = tmp_path / "xa.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in tmp_path.glob("xa.*"):
            if part.suffix != ".zip":
                zf.write(part, part.name)
    assert shp.exists()
    assert read_table(archive)["Tên xã"].tolist() == NAMES


def test_geopackage_text_comes_back_composed(tmp_path: Path) -> None:
    path = tmp_path / "xa.gpkg"
    gpd.GeoDataFrame({nfd("Tên xã"): [nfd(n) for n in NAMES]},
                     geometry=shapely.points(range(6), [0] * 6), crs=4326).to_file(path)
    frame = read_table(path)
    assert frame["Tên xã"].tolist() == NAMES


# ------------------------------------------------------------------ NFC
def test_nfd_and_nfc_names_of_a_commune_match_and_sort_alike(tmp_path: Path) -> None:
    units = read_units(gpd.GeoDataFrame(
        {"ma_xa": ["01", "02"], "ten_xa": ["Bản Khoang", "Tả Van"]},
        geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)], crs=4326),
        levels=["commune"])
    path = tmp_path / "thon.csv"
    path.write_text(
        f"ma_thon,ten_thon,{nfd('Tên xã')},lon,lat\n"
        f"T1,Thôn 1,{nfd('Bản Khoang')},0.5,0.5\nT2,Thôn 2,Bản Khoang,0.6,0.5\n"
        f"T3,Thôn 3,{nfd('Tả Van')},1.5,0.5\n", encoding="utf-8")
    villages = read_villages(path)
    assert villages["unit_name"].tolist() == ["Bản Khoang", "Bản Khoang", "Tả Van"]
    assert villages["unit_name"].nunique() == 2
    joined = villages.merge(units[["commune_name", "commune_code"]],
                            left_on="unit_name", right_on="commune_name")
    assert joined["commune_code"].tolist() == ["01", "01", "02"]
    assert sorted(villages["unit_name"]) == sorted(["Tả Van", "Bản Khoang", "Bản Khoang"])


def test_frame_from_source_composes_in_memory_frames() -> None:
    raw = pd.DataFrame({nfd("Tên xã"): [nfd("Đồng Văn"), "Đồng Văn", None], "n": [1, 2, 3]})
    frame = frame_from_source(raw)
    assert list(frame.columns) == ["Tên xã", "n", "source_file", "source_row"]
    assert frame["Tên xã"].tolist()[:2] == ["Đồng Văn", "Đồng Văn"]
    assert frame["Tên xã"].isna().tolist() == [False, False, True]
    assert raw.columns[0] == nfd("Tên xã")  # the input is not modified


TEXTS = st.text(alphabet=st.sampled_from(list("aAeoOuyđĐ \u0300\u0301\u0302\u0303\u0306"
                                              "\u0309\u031b\u0323àấƯ")), max_size=8)


@settings(max_examples=100, deadline=None)
@given(values=st.lists(st.one_of(TEXTS, st.none(), st.integers(0, 9)), min_size=1,
                       max_size=12))
def test_nfc_frame_composes_every_text_value(values: list[object]) -> None:
    frame = pd.DataFrame({"ten": pd.Series(values, dtype=object), "x": range(len(values))})
    out = nfc_frame(frame)
    expected = [unicodedata.normalize("NFC", v) if isinstance(v, str) else v for v in values]
    assert out["ten"].tolist() == expected
    assert frame["ten"].tolist() == values  # the input is not modified
    strings = out["ten"][out["ten"].map(lambda v: isinstance(v, str))]
    assert sorted(strings) == sorted(unicodedata.normalize("NFC", nfd(s)) for s in strings)


# ------------------------------------------------------------------ real boundary files
REAL = [
    ("vn_admin_codes_gso_2025-03-01_dvhcvn.csv", None, "commune_name",
     ["Thị trấn Mường Khương", "Xã Trung Lèng Hồ", "Xã Tả Ngải Chồ", "Thị trấn Đồng Văn"]),
    ("gso_ward_crosswalk_2019-01-01_to_2024-11-10.csv", None, "Tên Xã",
     ["Thị trấn Mường Khương", "Xã Bản Khoang"]),
    ("vn_admin_pre2025_gischinhphu_dvhcvn.gpkg", "provinces", "name", ["Tỉnh Lào Cai"]),
    ("vn_admin_pre2025_gischinhphu_dvhcvn.gpkg", "districts", "name",
     ["Huyện Mường Khương", "Thị xã Nghĩa Lộ"]),
    ("vn_admin_2009_census_censusVN2009.gpkg", "communes", "commune_vn_decoded",
     ["Xã Bản Khoang", "Thị trấn Nông trường Nghĩa Lộ"]),
    ("vn_communes_gadm41_L3_simplified.gpkg", None, "NAME_1", ["LàoCai"]),
    ("vn_communes_2025_5prov_sapnhap.gpkg", "communes_2025", "fullName",
     ["Xã Mường Khương", "Xã Đồng Văn", "Phường Lào Cai"]),
    # this column holds decomposed names in the file (e.g. "Xã Minh Hóa" with o + U+0301)
    ("vn_communes_2025_5prov_sapnhap.gpkg", "communes_2025", "sapnhap_a03_ten",
     ["Xã Minh Hóa", "Xã Lệ Thủy", "Xã Mường Khương"]),
    ("vn_communes_2025_national_simplified30m.gpkg", None, "sapnhap_a03_ten",
     ["Xã Minh Hóa", "Xã Đồng Văn"]),
]


@pytest.mark.realdata
@pytest.mark.parametrize(("name", "layer", "column", "expected"), REAL,
                         ids=[f"{r[0][:24]}-{r[1]}-{r[2]}" for r in REAL])
def test_real_boundary_files_read_with_correct_nfc_names(
        shared_data: Path, name: str, layer: str | None, column: str,
        expected: list[str]) -> None:
    path = shared_data / "boundaries" / name
    if not path.exists():
        pytest.skip(f"{path} not on this machine")
    frame = read_table(path, layer=layer)
    values = frame[column].dropna().astype(str)
    assert set(expected) <= set(values)
    for col in frame.columns:
        assert unicodedata.is_normalized("NFC", str(col))
        if frame[col].dtype == object or isinstance(frame[col].dtype, pd.StringDtype):
            texts = pd.unique(frame[col].dropna().astype(str))
            assert all(unicodedata.is_normalized("NFC", t) for t in texts), col
