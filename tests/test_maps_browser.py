"""Maps in a real headless Chromium with no network (selenium + Debian's chromium-driver).

Chromium is found as :func:`geocov.maps.save_png` finds it (:func:`geocov.maps.find_chromium`:
``$GEOCOV_CHROMIUM``, else chromium/chrome on the PATH); skipped when it, chromedriver or
selenium is absent. Screenshots are kept in test-artifacts/ (gitignored).
"""

from __future__ import annotations

import base64
import json
import shutil
import struct
import unicodedata
from pathlib import Path

import pytest
from result_fixtures import HOSTILE, small_result

from geocov.io import fold_text
from geocov.maps import CHROMIUM_OFFLINE_FLAGS, coverage_map, find_chromium, save_map, save_png

CHROMIUM = find_chromium()  # the browser save_png would use
DRIVER = shutil.which("chromedriver")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        CHROMIUM is None or DRIVER is None,
        reason="needs Chromium (on the PATH or $GEOCOV_CHROMIUM) and chromedriver "
        "(apt-get install chromium chromium-driver)",
    ),
]

# collect page errors and alerts before any page script runs
_SPY = """
window.__errors = [];
window.addEventListener('error', function (e) { window.__errors.push(String(e.message)); });
window.__alerts = [];
window.alert = function (m) { window.__alerts.push(String(m)); };
"""


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    profile = tmp_path_factory.mktemp("chromium-profile")
    for flag in [*CHROMIUM_OFFLINE_FLAGS, f"--user-data-dir={profile}", "--window-size=1400,900"]:
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    drv = webdriver.Chrome(service=Service(DRIVER), options=opts)
    drv.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": _SPY})
    yield drv
    drv.quit()


def _open(driver, path: Path) -> None:
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get_log("browser")  # drop older messages
    driver.get_log("performance")
    driver.get(path.as_uri())
    drawn = "return !!(window.geocov && window.geocov.drawnAt)"
    try:
        WebDriverWait(driver, 60, poll_frequency=0.05).until(lambda d: d.execute_script(drawn))
    except TimeoutException:
        errors = driver.execute_script("return window.__errors")
        raise AssertionError(f"the map never finished drawing; errors: {errors}") from None


def _requests(driver) -> list[str]:
    """URLs the page asked the network for (anything but the file itself and data: URIs)."""
    urls = []
    for entry in driver.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg["method"] == "Network.requestWillBeSent":
            urls.append(msg["params"]["request"]["url"])
    return [u for u in urls if not u.startswith(("file://", "data:", "about:", "blob:"))]


@pytest.fixture(scope="module")
def page(driver, tmp_path_factory):
    m = coverage_map(small_result(), level="commune", renderer="svg", villages=True, stations=True)
    path = save_map(m, tmp_path_factory.mktemp("page") / "map.html")
    _open(driver, path)
    return driver


def test_loads_offline_without_errors(page):
    severe = [e for e in page.get_log("browser") if e["level"] == "SEVERE"]
    assert severe == []
    assert page.execute_script("return window.__errors") == []
    assert _requests(page) == []


def test_every_unit_is_drawn(page):
    n_units = page.execute_script("return geocov.maps[0].units.getLayers().length")
    assert n_units == 12
    drawn = page.execute_script(
        "return geocov.maps[0].units.getLayers().filter(l => l._path && l._path.isConnected).length"
    )
    assert drawn == 12
    # one parent outline per district, drawn too
    assert page.execute_script("return geocov.maps[0].parents.getLayers().length") == 2


def test_highlighted_commune_in_highlight_style(page):
    style = page.execute_script("""
        var s = geocov.maps[0];
        var out = [];
        s.highlight.eachLayer(function (g) { g.eachLayer(function (l) {
            out.push([g.geocovRow.c, l._path.getAttribute('stroke'),
                      l._path.getAttribute('stroke-width'),
                      l._path.getAttribute('fill'), l._path.isConnected]);
        }); });
        return out;""")
    assert style == [["C05", "#c51b7d", "3", "none", True]]
    # and the side panel lists it with the reason in words
    panel = page.find_element("css selector", ".geocov-side").text
    assert "Xã Bản Khoang" in panel and "3,400 people uncovered" in panel


def test_tooltip_has_numerators_and_denominators(page):
    text = page.execute_script("""
        var layer = geocov.maps[0].layerOf[0];
        layer.openTooltip(layer.getBounds().getCenter());
        return layer.getTooltip().getElement().textContent;""")
    assert "Xã Tả Phìn" in text and "Huyện Sa Pa, Tỉnh Lào Cai" in text
    assert "4G: 4/5 villages, 80.0%" in text


def test_metric_switch_recolours_and_relabels_legend(page):
    page.execute_script("geocov.maps[0].setMetric('villages_pct_5g')")
    legend = page.find_element("css selector", ".geocov-legend").text
    fill = page.execute_script("return geocov.maps[0].layerOf[0]._path.getAttribute('fill')")
    page.execute_script("geocov.maps[0].setMetric('villages_pct_4g')")
    assert "Villages with 5G (% of villages)" in legend
    assert fill == "#a50026"  # 0/5 villages with 5G: the 0% class


def test_search_ignores_diacritics(page):
    box = page.find_element("css selector", ".geocov-search-input")
    box.clear()
    box.send_keys("Ban Khoang")
    hits = [e.text for e in page.find_elements("css selector", ".geocov-search-hit")]
    assert len(hits) == 1 and hits[0].startswith("Xã Bản Khoang")
    assert page.execute_script("return geocov.maps[0].search('ta phin').length") == 1
    assert page.execute_script("return geocov.maps[0].search('TẢ VAN').length") == 1


def test_hostile_name_is_text_and_never_runs(page):
    box = page.find_element("css selector", ".geocov-search-input")
    box.clear()
    box.send_keys("img src")
    hits = [e.text for e in page.find_elements("css selector", ".geocov-search-hit")]
    page.execute_script("""
        var l = geocov.maps[0].layerOf[11]; l.openPopup(l.getBounds().getCenter());""")
    popup = page.execute_script(
        "return document.querySelector('.leaflet-popup-content .geocov-tip-name').textContent"
    )
    labels = page.execute_script(
        "return Array.from(document.querySelectorAll('.geocov-label')).map(e => e.textContent)"
    )
    assert hits and hits[0].startswith(HOSTILE)
    assert popup == HOSTILE
    assert HOSTILE in labels
    # no <img> element was created from data, no onerror handler ran
    assert page.execute_script("return document.querySelectorAll('img[src=x]').length") == 0
    assert page.execute_script("return window.__alerts") == []


def test_point_layers_drawn(page):
    counts = page.execute_script("""
        var n = {};
        document.querySelectorAll('.leaflet-control-layers-overlays label').forEach(function (l) {
            n[l.textContent.trim()] = l.querySelector('input').checked; });
        return n;""")
    assert counts["Villages (57): 5G, 4G, 3G (no 4G), 2G only, no signal; blue ring = fiber"]
    assert counts["Stations 4G (11)"] is True and counts["Stations 2G (2)"] is True
    assert any(k.startswith("Fiber: 1 routes, 1 nodes") for k in counts)


def _hex_rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))


_PIXELS = """
var points = arguments[1], done = arguments[arguments.length - 1], img = new Image();
img.onload = function () {
    var c = document.createElement('canvas');
    c.width = img.width; c.height = img.height;
    var ctx = c.getContext('2d');
    ctx.drawImage(img, 0, 0);
    done(points.map(function (p) { return Array.from(ctx.getImageData(p[0], p[1], 1, 1).data); }));
};
img.src = 'data:image/png;base64,' + arguments[0];
"""


def test_screenshot_shows_each_commune_in_its_class_colour(driver, tmp_path):
    """Pixels of the screenshot inside each commune have its class colour, blended as drawn.

    Every commune covers 4 of 5 villages with 4G (80 %: the "75 to 90%" class, #a6d96a)
    except C05, Bản Khoang (0 of 2: the 0 % class, #a50026). Only the units are
    drawn, so nothing covers them but their labels (at their centres).
    """
    m = coverage_map(
        small_result(), level="commune", renderer="svg", villages=False, stations=False, fiber=False
    )
    _open(driver, save_map(m, tmp_path / "map.html"))
    geometry = driver.execute_script("""
        var s = geocov.maps[0], out = [];
        for (var k = 0; k < 12; k++) {
            var r = s.layerOf[k]._path.getBoundingClientRect();
            out.push([s.rows[k].c, r.left, r.top, r.width, r.height,
                      parseFloat(s.layerOf[k]._path.getAttribute('fill-opacity'))]);
        }
        return {units: out, bg: getComputedStyle(s.map.getContainer()).backgroundColor};""")
    png = driver.get_screenshot_as_png()
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "map_fake_commune.png").write_bytes(png)
    bg = [int(v) for v in geometry["bg"][4:-1].split(",")]  # "rgb(r, g, b)"
    # four points per commune, away from the centre (label) and the edges (borders)
    fractions = [(0.2, 0.2), (0.8, 0.2), (0.2, 0.8), (0.8, 0.8)]
    points = [
        [round(x + fx * w), round(y + fy * h)]
        for _, x, y, w, h, _ in geometry["units"]
        for fx, fy in fractions
    ]
    pixels = driver.execute_async_script(_PIXELS, base64.b64encode(png).decode(), points)
    for k, (code, *_, opacity) in enumerate(geometry["units"]):
        fill = _hex_rgb("#a50026" if code == "C05" else "#a6d96a")
        expected = [round(opacity * f + (1 - opacity) * b) for f, b in zip(fill, bg, strict=True)]
        seen = [px[:3] for px in pixels[4 * k : 4 * k + 4]]
        assert all(abs(a - b) <= 2 for px in seen for a, b in zip(px, expected, strict=True)), (
            code,
            expected,
            seen,
        )


def test_save_png(tmp_path):
    m = coverage_map(small_result(), level="district")
    ARTIFACTS.mkdir(exist_ok=True)
    out = save_png(m, ARTIFACTS / "map_fake_district.png", width=900, height=600)
    head = out.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    assert head[12:16] == b"IHDR" and struct.unpack(">II", head[16:24]) == (900, 600)


def test_canvas_renderer_draws_all_units(driver, tmp_path):
    m = coverage_map(small_result(), level="commune")  # default renderer: canvas
    _open(driver, save_map(m, tmp_path / "canvas.html"))
    assert driver.execute_script("return window.__errors") == []
    drawn = driver.execute_script(
        "return geocov.maps[0].units.getLayers()"
        ".filter(l => l._parts && l._parts.length > 0).length"
    )
    assert drawn == 12
    assert _requests(driver) == []


def _plain(name: str) -> str:
    """How a user without a Vietnamese keyboard types a name: no marks, đ as d, upper case."""
    text = unicodedata.normalize("NFKD", name.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in text if not unicodedata.combining(c)).upper()


def test_sample_map_in_browser(driver, tmp_path, sample_result):
    level = [lv for lv in sample_result.levels if lv != "total"][-1]
    path = save_map(coverage_map(sample_result, level=level), tmp_path / "sample.html")
    _open(driver, path)
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / "map_sample.png"))
    assert driver.execute_script("return window.__errors") == []
    assert [e for e in driver.get_log("browser") if e["level"] == "SEVERE"] == []
    drawn = driver.execute_script(
        "return geocov.maps[0].units.getLayers()"
        ".filter(l => l._parts && l._parts.length > 0).length"
    )
    assert drawn == len(sample_result.table(level))
    assert _requests(driver) == []


def test_search_finds_every_sample_commune_typed_without_marks(driver, tmp_path, sample_result):
    """The page folds names as geocov.io.fold_text does, so plain typing finds every unit."""
    _open(driver, save_map(coverage_map(sample_result, level="commune"), tmp_path / "s.html"))
    names = sample_result.table("commune")["commune_name"].tolist()
    folded = driver.execute_script("return arguments[0].map(geocov.fold)", names)
    assert folded == [fold_text(n) for n in names]
    odd = ["Bán kính (m)", "Xã A, B", "Thị trấn Đồng Văn", "Ch'ơm", "Đắk Lắk / Krông Búk"]
    folded = driver.execute_script("return arguments[0].map(geocov.fold)", odd)
    assert folded == [fold_text(n) for n in odd]
    hits = driver.execute_script(
        "return arguments[0].map(function (q) { return geocov.maps[0].search(q); })",
        [_plain(n) for n in names],
    )
    missed = [n for k, (n, h) in enumerate(zip(names, hits, strict=True)) if k not in h]
    assert missed == []


@pytest.mark.slow
def test_national_map_size_and_drawing(driver, tmp_path):
    """~10,600 synthetic communes: < 15 MB, every unit drawn (the draw time is measured by
    bench/bench_map.py against its 5 s target, not asserted here)."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from bench_map import national_result

    result = national_result(synthetic=True)
    path = save_map(coverage_map(result, level="commune"), tmp_path / "national.html")
    assert path.stat().st_size < 15_000_000
    _open(driver, path)
    assert driver.execute_script("return geocov.maps[0].units.getLayers().length") == 10_600
    assert driver.execute_script("return window.__errors") == []
    driver.save_screenshot(str(ARTIFACTS / "map_national.png"))
