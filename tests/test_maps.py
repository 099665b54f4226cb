"""HTML-level tests of geocov.maps (the browser tests are in test_maps_browser.py).

The maps are drawn from a real result of a hand-checkable province
(``tests/result_fixtures.py``); tests that need a result the engine does not make (a table
without its names, a projected table) change a copy of it.
"""

from __future__ import annotations

import copy
import json
import re
from collections import Counter

import folium
import geopandas as gpd
import numpy as np
import pytest
import shapely
from click.testing import CliRunner
from result_fixtures import HOSTILE, small_result

from geocov.errors import SchemaError
from geocov.maps import (
    CLASSES,
    _js_json,
    _simplified,
    coverage_map,
    map_metrics,
    save_map,
)
from geocov.priorities import RemoteRules


@pytest.fixture(scope="module")
def result():
    return small_result()


@pytest.fixture(scope="module")
def html(result, tmp_path_factory) -> str:
    m = coverage_map(result, level="commune")
    path = save_map(m, tmp_path_factory.mktemp("map") / "map.html")
    return path.read_text(encoding="utf-8")


def _payload(html: str, factory: str) -> dict:
    """The JSON given to geocov.<factory>(map, {...}) in the page."""
    match = re.search(r"geocov\." + factory + r"\(map_\w+, (\{.*?\})\);\n", html, re.S)
    assert match, f"no {factory} in the page"
    return json.loads(match.group(1))


def test_no_network_needed_to_draw(html):
    # every script and stylesheet is inline: no src= / <link href=> to fetch
    assert re.findall(r"<script[^>]*\bsrc=", html) == []
    assert re.findall(r"<link[^>]*stylesheet", html) == []
    assert "cdn.jsdelivr" not in html and "code.jquery" not in html and "cdnjs" not in html
    # the only remaining http(s) URLs are the SVG namespace, comments in Leaflet and the
    # attribution link: none is a resource the page loads
    allowed = (
        "http://www.w3.org/2000/svg",
        "https://leafletjs.com",
        "https://bugs.chromium.org/",
        "https://bugzilla.mozilla.org/",
    )
    for url in re.findall(r"https?://[^\s\"')]+", html):
        assert url.startswith(allowed), url


def test_bundled_assets_are_inlined(html):
    assert "Leaflet 1.9.4" in html  # leaflet.js banner
    assert "MarkerClusterGroup" in html  # markercluster (stations are clustered)
    assert "window.geocov" in html  # geocov runtime
    assert "url(images/" not in html  # leaflet.css images inlined as data: URIs


def test_units_drawn_with_numerators_and_denominators(html, result):
    cfg = _payload(html, "unitsLayer")
    table = result.table("commune")
    assert len(cfg["geoms"]) == len(cfg["props"]["n"]) == len(table) == 12
    k = cfg["props"]["c"].index("C00")
    # "4G: 4/5 villages, 80.0%" is built from these two numbers
    assert cfg["props"]["vc_4g"][k] == 4 and cfg["props"]["v"][k] == 5
    metric = next(m for m in cfg["metrics"] if m["key"] == "villages_pct_4g")
    assert (metric["num"], metric["den"], metric["noun"], metric["short"]) == (
        "vc_4g",
        "v",
        "villages",
        "4G",
    )
    assert cfg["metric"] == "villages_pct_4g"
    # full Vietnamese names and their ancestors
    assert cfg["props"]["n"][5] == "Xã Bản Khoang"
    assert cfg["props"]["f"][5] == "Huyện Bát Xát, Tỉnh Lào Cai"
    # the tooltip text is composed in the runtime from numerator and denominator, with the
    # catalogue's words (geocov/locale) and the number marks of the language
    assert '"ratio":"{label}: {num}/{den} {noun}, {pct}"' in html
    assert 'num: fmt(num, digits), den: fmt(den, digits)' in html


def test_metric_switcher_offers_main_metrics(html):
    keys = [m["key"] for m in _payload(html, "unitsLayer")["metrics"]]
    for key in (
        "villages_pct_4g",
        "villages_pct_any",
        "population_pct_4g",
        "area_pct_4g",
        "villages_pct_5g",
        "villages_fiber_pct",
    ):
        assert key in keys


def test_legend_classes_cover_0_to_100():
    assert CLASSES[0]["lo"] == CLASSES[0]["hi"] == 0
    assert CLASSES[-1]["lo"] == CLASSES[-1]["hi"] == 100
    for a, b in zip(CLASSES[1:-2], CLASSES[2:-1], strict=True):
        assert a["hi"] == b["lo"]
    assert all("%" in c["label"] for c in CLASSES)


def test_highlighted_commune_and_reason(html):
    cfg = _payload(html, "unitsLayer")
    flagged = [i for i, h in enumerate(cfg["props"]["h"]) if h]
    assert [cfg["props"]["c"][i] for i in flagged] == ["C05"]
    reason = cfg["props"]["r"][flagged[0]]
    assert reason.startswith("no 4G; no fiber within 10 km (nearest ")
    assert reason.endswith("3,400 people uncovered")
    assert cfg["highlightStyle"]["color"] == "#c51b7d"
    assert "Unconnected remote communes (1)" in html


def test_layers_present(html):
    for factory in ("villagesLayer", "stationsLayer", "fiberLayer", "infoPanel", "labelsLayer"):
        assert f"geocov.{factory}(" in html
    assert "L.control.layers(" in html
    fiber = _payload(html, "fiberLayer")
    # one node, one route; the list of connected codes draws nothing
    assert len(fiber["routes"]) == 1 and len(fiber["nodes"]["x"]) == 1
    villages = _payload(html, "villagesLayer")["data"]
    # codes in VILLAGE_STATUSES order (5G, 4G, 3G, 2G, none): counts of the fixture
    assert Counter(villages["s"]) == {0: 1, 1: 43, 2: 1, 3: 2, 4: 10}
    assert sum(villages["fb"]) == 5
    k = villages["n"].index("Bản Khoang Thượng")
    assert villages["s"][k] == 4 and villages["fb"][k] == 0
    assert villages["u"][k] == "Xã Bản Khoang, Huyện Bát Xát, Tỉnh Lào Cai"


def test_title_date_sources_model(html, result):
    info = _payload(html, "infoPanel")
    assert info["title"] == "Coverage of Lào Cai (test)"
    assert info["date"] == "2025-03-01"
    assert "stations.csv" in info["sources"]
    assert info["sources"] == result.metadata["sources"]
    assert info["model"] == result.metadata["model"]
    assert "<title>Coverage of Lào Cai (test)</title>" in html
    # under the title: which units (the fixture's three levels: before the 2025 reform)
    assert info["units"].startswith("Units: communes before the 1 July 2025 reform")


def test_the_units_line_follows_the_map_language(result, tmp_path):
    page = save_map(coverage_map(result, level="commune", lang="vi"), tmp_path / "vi.html")
    info = _payload(page.read_text(encoding="utf-8"), "infoPanel")
    assert info["units"] == ("Đơn vị hành chính: xã trước sắp xếp ngày 1/7/2025 (63 tỉnh, "
                             "thành phố; có cấp huyện)")


def test_hostile_names_are_never_markup(html):
    # the raw string never appears in the page: in JSON it is escaped \u003c...\u003e
    assert HOSTILE not in html
    assert "\\u003cimg src=x onerror=alert(1)\\u003e" in html
    # and the runtime only ever uses textContent for data
    runtime = html[html.index("window.geocov = window.geocov") :]
    runtime = runtime[: runtime.index("</script>")]
    assert "innerHTML" not in runtime and "insertAdjacentHTML" not in runtime


def test_js_json_escapes_script_breakers():
    text = _js_json({"n": "</script><script>alert(1)</script> & \u2028"})
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text)["n"].startswith("</script>")


def test_other_levels_and_parent_outlines(result):
    m = coverage_map(result, level="district", metric="population_pct_4g")
    cfg = _payload(m.get_root().render(), "unitsLayer")
    assert len(cfg["geoms"]) == 2 and len(cfg["parentGeoms"]) == 1
    k = cfg["props"]["c"].index("D2")
    # seven communes with 4/5 villages covered by 4G, and C05 with 0/2
    assert cfg["props"]["v"][k] == 7 * 5 + 2 and cfg["props"]["vc_4g"][k] == 7 * 4
    m = coverage_map(result, level="province", highlight=False, villages=False, stations=False)
    html = m.get_root().render()
    assert "geocov.villagesLayer(" not in html and "geocov.highlightLayer(" not in html


def test_layers_stack_on_given_map(result):
    m = coverage_map(result, level="district", villages=False, stations=False, fiber=False)
    m2 = coverage_map(result, level="commune", m=m)
    assert m2 is m
    html = m.get_root().render()
    assert html.count("geocov.unitsLayer(") == 2
    assert html.count("L.control.layers(") == 1


def test_bad_choices_list_valid_values(result):
    with pytest.raises(
        SchemaError, match=r"level='ward' is not valid; use one of: province, district, commune"
    ):
        coverage_map(result, level="ward")
    with pytest.raises(
        SchemaError, match=r"metric='villages_pct_6g' is not valid; use one of: villages_pct_any"
    ):
        coverage_map(result, level="commune", metric="villages_pct_6g")
    with pytest.raises(
        SchemaError, match=r"renderer='webgl' is not valid; use one of: canvas, svg"
    ):
        coverage_map(result, level="commune", renderer="webgl")


def test_missing_columns_raise(result):
    bad = copy.copy(result)
    bad.table = lambda level: result.table(level)[["commune_code", "geometry"]]
    with pytest.raises(SchemaError, match=r"has no column 'commune_name'"):
        coverage_map(bad, level="commune")
    bad.table = lambda level: result.table(level)[["commune_code", "commune_name", "geometry"]]
    with pytest.raises(SchemaError, match="has none of the metric columns"):
        coverage_map(bad, level="commune")


def test_villages_with_unknown_status_raise(result):
    bad = copy.copy(result)
    status = result.villages["best_technology"]
    bad.villages = result.villages.assign(best_technology=status.where(status.index != 2, "LTE"))
    with pytest.raises(SchemaError, match=r"'best_technology' has values \['LTE'\] outside"):
        coverage_map(bad, level="commune")


def test_reprojects_to_4326(result):
    projected = copy.copy(result)
    projected.table = lambda level: result.table(level).to_crs(32648)
    cfg = _payload(coverage_map(projected, level="commune").get_root().render(), "unitsLayer")
    x = cfg["geoms"][0]["coordinates"][0][0][0]
    assert 103.4 < x < 103.7


def test_map_metrics_lists_available(result):
    assert map_metrics(result.table("commune"), level="commune")[:3] == [
        "villages_pct_any",
        "villages_pct_4g",
        "villages_pct_4g_plus",
    ]


def test_simplify_keeps_shared_borders_shared():
    # a 2 x 1 coverage with a wiggly shared border: after simplification both sides agree
    wiggle = [(1 + 0.001 * np.sin(k), k / 50) for k in range(51)]
    left = shapely.Polygon([(0, 0), *wiggle, (0, 1)])
    right = shapely.Polygon([(2, 0), (2, 1), *wiggle[::-1]])
    out = _simplified(gpd.GeoSeries([left, right], crs=4326), 500.0)
    shared = shapely.intersection(shapely.boundary(out[0]), shapely.boundary(out[1]))
    assert shapely.get_num_coordinates(out[0]) < shapely.get_num_coordinates(left)
    assert shapely.length(shared) == pytest.approx(1.0, rel=1e-3)  # still one shared edge
    assert shapely.area(shapely.intersection(out[0], out[1])) < 1e-12  # no overlap created


def test_save_map_self_contained_file(tmp_path, result):
    path = save_map(coverage_map(result, level="commune"), tmp_path / "m.html")
    assert path.stat().st_size < 1_000_000
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    with pytest.raises(Exception, match="does not exist; create it first"):
        save_map(folium.Map(tiles=None), tmp_path / "missing" / "m.html")


def test_tiles_optional(result):
    html = coverage_map(result, level="commune", tiles="OpenStreetMap").get_root().render()
    assert "tile.openstreetmap.org" in html  # with a network, tiles show
    assert re.findall(r"<script[^>]*\bsrc=", html) == []  # still nothing to fetch to draw


def test_notebook_repr_is_self_contained(result):
    m = coverage_map(result, level="commune")
    rep = m._repr_html_()
    assert "iframe" in rep and "cdn.jsdelivr" not in rep


def test_rules_are_overridable(result):
    m = coverage_map(result, level="commune", rules=RemoteRules(centre_km=None, fiber_km=None))
    cfg = _payload(m.get_root().render(), "unitsLayer")
    assert sum(cfg["props"]["h"]) == 0


def test_cli_help():
    from geocov.cli import main

    res = CliRunner().invoke(main, ["map", "--help"])
    assert res.exit_code == 0, res.output
    assert "--level" in res.output and "--png" in res.output


# --- end to end on the built-in sample (real coverage engine; sample_result: conftest.py) -


def test_sample_end_to_end(sample_result, tmp_path):
    from geocov.maps import write_demo_maps

    paths = write_demo_maps(sample_result, tmp_path / "maps")
    levels = [lv for lv in sample_result.levels if lv != "total"]
    assert [p.name for p in paths] == [f"coverage_{lv}.html" for lv in levels]
    html = paths[-1].read_text(encoding="utf-8")
    cfg = _payload(html, "unitsLayer")
    table = sample_result.table(levels[-1])
    assert len(cfg["geoms"]) == len(table)
    k = 0
    assert cfg["props"]["v"][k] == table["villages"].iloc[k]
    assert cfg["props"]["vc_4g"][k] == table["villages_covered_4g"].iloc[k]
    assert re.findall(r"<script[^>]*\bsrc=", html) == []
    assert paths[-1].stat().st_size < 5_000_000


def test_cli_map_writes_the_librarys_map(tmp_path, sample_result):
    import geocov
    from geocov.cli import main

    out = tmp_path / "m.html"
    args = ["map", "--analysis", str(geocov.sample_paths()["analysis"])]
    res = CliRunner().invoke(main, [*args, "--metric", "population_pct_4g", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert f"wrote {out}" in res.output
    cli = _payload(out.read_text(encoding="utf-8"), "unitsLayer")
    m = coverage_map(sample_result, level="commune", metric="population_pct_4g")
    assert cli["metric"] == "population_pct_4g"
    assert cli == _payload(m.get_root().render(), "unitsLayer")


@pytest.mark.parametrize(
    ("option", "exit_code", "message"),
    [
        (["--level", "ward"], 2, "'ward' is not a level of these units; use one of province"),
        (["--metric", "nope"], 1, "metric='nope' is not valid"),
    ],
)
def test_cli_map_bad_level_or_metric(
    tmp_path, monkeypatch, sample_result, option, exit_code, message
):
    import geocov
    import geocov.analysis
    from geocov.cli import main

    # the command computes coverage before it checks these: reuse the session's result
    monkeypatch.setattr(geocov.analysis, "run_analysis", lambda analysis, **kw: sample_result)
    args = ["map", "--analysis", str(geocov.sample_paths()["analysis"]), *option]
    res = CliRunner().invoke(main, [*args, "-o", str(tmp_path / "m.html")])
    assert res.exit_code == exit_code and message in res.output, res.output
    assert not (tmp_path / "m.html").exists()


def test_save_png_without_chromium(monkeypatch, tmp_path):
    from geocov import maps
    from geocov.errors import DataSourceError

    monkeypatch.setattr(maps, "find_chromium", lambda: None)
    with pytest.raises(DataSourceError, match="save_png needs Chromium and found none"):
        maps.save_png(folium.Map(tiles=None), tmp_path / "m.png")
    monkeypatch.setattr(maps, "find_chromium", lambda: "/bin/false")
    with pytest.raises(DataSourceError, match=r"Chromium \(/bin/false\) did not write"):
        maps.save_png(folium.Map(tiles=None), tmp_path / "m.png")
    # a browser that exits 0 without writing: last year's files stay, and it is said
    monkeypatch.setattr(maps, "find_chromium", lambda: "/bin/true")
    for save, name in ((maps.save_png, "old.png"), (maps.save_pdf, "old.pdf")):
        (tmp_path / name).write_bytes(b"last year's")
        with pytest.raises(DataSourceError, match=r"Chromium \(/bin/true\) did not write"):
            save(folium.Map(tiles=None), tmp_path / name)
        assert (tmp_path / name).read_bytes() == b"last year's"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.pdf", "old.png"]


def test_too_many_stations_left_out_and_said(result, monkeypatch, tmp_path):
    import geocov.maps as maps

    monkeypatch.setattr(maps, "MAX_AUTO_STATIONS", len(result.stations) - 1)
    page = save_map(coverage_map(result, level="commune"), tmp_path / "m.html").read_text()
    assert "geocov.stationsLayer(" not in page
    info = _payload(page, "infoPanel")
    expected = f"Station markers left out: {len(result.stations):,} stations is more than"
    assert expected in info["model"]
    forced = save_map(coverage_map(result, level="commune", stations=True), tmp_path / "f.html")
    assert "geocov.stationsLayer(" in forced.read_text()
