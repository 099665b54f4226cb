"""Maps in a real headless Chromium with no network (selenium + Debian's chromium-driver).

Skipped when /usr/bin/chromium (or chromedriver, or selenium) is absent. Screenshots are
kept in test-artifacts/ (gitignored).
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest
from map_fixtures import HOSTILE, fake_result

from geocov.maps import CHROMIUM_OFFLINE_FLAGS, coverage_map, save_map, save_png

CHROMIUM = Path("/usr/bin/chromium")
DRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists() or not DRIVER.exists(),
        reason="needs /usr/bin/chromium and /usr/bin/chromedriver "
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
    opts.binary_location = str(CHROMIUM)
    profile = tmp_path_factory.mktemp("chromium-profile")
    for flag in [*CHROMIUM_OFFLINE_FLAGS, f"--user-data-dir={profile}", "--window-size=1400,900"]:
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    drv = webdriver.Chrome(service=Service(str(DRIVER)), options=opts)
    drv.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": _SPY})
    yield drv
    drv.quit()


def _open(driver, path: Path) -> None:
    driver.get_log("browser")  # drop older messages
    driver.get_log("performance")
    driver.get(path.as_uri())
    deadline = time.time() + 30
    while time.time() < deadline:
        if driver.execute_script("return !!(window.geocov && window.geocov.drawnAt)"):
            return
        time.sleep(0.05)
    raise AssertionError(
        f"the map never finished drawing; errors: {driver.execute_script('return window.__errors')}"
    )


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
    m = coverage_map(fake_result(), level="commune", renderer="svg", villages=True, stations=True)
    path = save_map(m, tmp_path_factory.mktemp("page") / "map.html")
    _open(driver, path)
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / "map_fake_commune.png"))  # before any interaction
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
    assert "4G: 37/41 villages, 90.2%" in text


def test_metric_switch_recolours_and_relabels_legend(page):
    page.execute_script("geocov.maps[0].setMetric('villages_pct_5g')")
    legend = page.find_element("css selector", ".geocov-legend").text
    fill = page.execute_script("return geocov.maps[0].layerOf[0]._path.getAttribute('fill')")
    page.execute_script("geocov.maps[0].setMetric('villages_pct_4g')")
    assert "Villages with 5G (% of villages)" in legend
    assert fill == "#a50026"  # 0/41 villages with 5G: the 0% class


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
    assert counts["Villages (5): 5G, 4G, 3G (no 4G), 2G only, no signal; blue ring = fiber"] is True
    assert counts["Stations 4G (2)"] is True
    assert any(k.startswith("Fiber: 1 routes, 1 nodes") for k in counts)


def test_screenshot_is_saved(page):
    assert (ARTIFACTS / "map_fake_commune.png").stat().st_size > 20_000


def test_save_png(tmp_path):
    if shutil.which("chromium") is None:
        pytest.skip("chromium not on PATH")
    m = coverage_map(fake_result(), level="district")
    ARTIFACTS.mkdir(exist_ok=True)
    out = save_png(m, ARTIFACTS / "map_fake_district.png", width=900, height=600)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_canvas_renderer_draws_all_units(driver, tmp_path):
    m = coverage_map(fake_result(), level="commune")  # default renderer: canvas
    _open(driver, save_map(m, tmp_path / "canvas.html"))
    assert driver.execute_script("return window.__errors") == []
    drawn = driver.execute_script(
        "return geocov.maps[0].units.getLayers()"
        ".filter(l => l._parts && l._parts.length > 0).length"
    )
    assert drawn == 12
    assert _requests(driver) == []


def test_sample_map_in_browser(driver, tmp_path):
    import geocov

    result = geocov.run_analysis(geocov.sample_paths()["analysis"])
    level = [lv for lv in result.levels if lv != "total"][-1]
    path = save_map(coverage_map(result, level=level), tmp_path / "sample.html")
    _open(driver, path)
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / "map_sample.png"))
    assert driver.execute_script("return window.__errors") == []
    assert [e for e in driver.get_log("browser") if e["level"] == "SEVERE"] == []
    drawn = driver.execute_script(
        "return geocov.maps[0].units.getLayers()"
        ".filter(l => l._parts && l._parts.length > 0).length"
    )
    assert drawn == len(result.table(level))
    assert _requests(driver) == []


@pytest.mark.slow
def test_national_map_size_and_speed(driver, tmp_path):
    """~10,600 synthetic communes: < 15 MB and drawn within 5 s (issue 3 targets)."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from bench_map import national_result

    result = national_result(synthetic=True)
    path = save_map(coverage_map(result, level="commune"), tmp_path / "national.html")
    assert path.stat().st_size < 15_000_000
    _open(driver, path)
    drawn_s = driver.execute_script("return geocov.drawnAt") / 1000
    assert drawn_s < 5.0
    assert driver.execute_script("return geocov.maps[0].units.getLayers().length") == 10_600
    assert driver.execute_script("return window.__errors") == []
    driver.save_screenshot(str(ARTIFACTS / "map_national.png"))
