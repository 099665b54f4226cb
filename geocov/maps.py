"""Interactive coverage maps (folium/Leaflet) that open offline, anywhere.

:func:`coverage_map` draws a coverage result as one folium map: a choropleth of the units
of one level with a switcher between the main metrics, a readable legend, tooltips and
popups with numerators and denominators, the units on the priority list highlighted and
listed in rank order with the reason in words (given ``priorities=``, a
:class:`geocov.priorities.PriorityResult`: the tiers as a layer and a "priority" metric;
else the table rule :func:`geocov.priorities.flag_unconnected_remote`),
villages by signal and fiber status, stations by technology (clustered), fiber routes and
nodes, a layer control, a search box that ignores diacritics, and a title panel with the
data date, sources and coverage model.

The map is **self-contained**: Leaflet and Leaflet.markercluster (bundled in
``geocov/assets``, see ``MANIFEST.json``) and geocov's own small runtime are inlined in
the page, so it draws with no network. Base tiles are optional (``tiles=None`` by
default; the map is readable without them). Names are data, never markup: the page puts
every name into the document with ``textContent``.

:func:`save_map` writes the one HTML file; :func:`save_png` takes a screenshot of it in
headless Chromium.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import locale as _locale
from .crs import require_crs
from .errors import DataSourceError, SchemaError
from .priorities import (
    OPTIONS,
    RemoteRules,
    _category_words,
    _decimals,
    _unknown_tier,
    flag_unconnected_remote,
)
from .priorities import _fmt_money as money
from .vocabulary import (
    DENOMINATORS,
    NO_SIGNAL,
    CoverageLike,
    code_column,
    covered_column,
    level_label,
    name_column,
    pct_column,
    result_levels,
)
from .vocabulary import label as _label

__all__ = [
    "coverage_map",
    "save_map",
    "save_png",
    "save_pdf",
    "paper_size_px",
    "write_demo_maps",
    "map_metrics",
    "CLASSES",
]

log = logging.getLogger(__name__)

# layers in the order of the metric switcher, and the metrics a unit's tooltip shows
_TECH_ORDER = ["any", "4g", "4g_plus", "5g", "3g", "3g_plus", "2g"]
_TOOLTIP_METRICS = (
    "villages_pct_any",
    "villages_pct_4g_plus",
    "villages_pct_4g",
    "population_pct_4g_plus",
    "villages_fiber_pct",
)

#: Classes of the "priority" metric: the most urgent tier among a unit's villages.
TIER_COLORS = ["#a50026", "#f46d43", "#fdae61", "#fee08b", "#d9ef8b"]
TIER_UNKNOWN = 9  # the "priority" value of a unit whose only listed villages' tier is unknown
NOT_LISTED_COLOR = "#1a9850"
#: Class breaks of every percentage metric (0-100), with their colours (ColorBrewer RdYlGn).
CLASSES: list[dict[str, Any]] = [
    {"lo": 0, "hi": 0, "label": "0% (none covered)", "color": "#a50026"},
    {"lo": 0, "hi": 25, "label": "above 0 to 25%", "color": "#f46d43"},
    {"lo": 25, "hi": 50, "label": "25 to 50%", "color": "#fdae61"},
    {"lo": 50, "hi": 75, "label": "50 to 75%", "color": "#fee08b"},
    {"lo": 75, "hi": 90, "label": "75 to 90%", "color": "#a6d96a"},
    {"lo": 90, "hi": 100, "label": "90 to under 100%", "color": "#1a9850"},
    {"lo": 100, "hi": 100, "label": "100% (all covered)", "color": "#006837"},
]
NO_DATA_COLOR = "#bdbdbd"
#: with ``stations=None``, more stations than this are left out of the map (and the map says so)
MAX_AUTO_STATIONS = 25_000
HIGHLIGHT_COLOR = "#c51b7d"
FIBER_COLOR = "#1f78b4"
VILLAGE_STATUSES = [  # best_technology value, label, colour
    ("5G", "5G", "#006837"),
    ("4G", "4G", "#1a9850"),
    ("3G", "3G (no 4G)", "#fee08b"),
    ("2G", "2G only", "#f46d43"),
    (NO_SIGNAL, "no signal", "#a50026"),
]
STATION_COLORS = {"2G": "#8c510a", "3G": "#bf812d", "4G": "#5e3c99", "5G": "#01665e"}

_ASSETS_DIR = Path(__file__).resolve().parent / "assets"
_ASSET_PREFIX = "geocov-asset:"
# folium's default CDN assets: the ones the map uses are replaced by bundled copies, the
# others (jQuery, Bootstrap, icon fonts, awesome-markers) are not needed and are dropped.
_FOLIUM_ASSETS = {
    "leaflet": "leaflet.js",
    "leaflet_css": "leaflet.css",
    "jquery": None,
    "bootstrap": None,
    "awesome_markers": None,
    "bootstrap_css": None,
    "glyphicons_css": None,
    "awesome_markers_font_css": None,
    "awesome_markers_css": None,
    "awesome_rotate_css": None,
}
_OWN_JS = [("leaflet", _ASSET_PREFIX + "leaflet.js"), ("geocov_js", _ASSET_PREFIX + "geocov.js")]
_OWN_CSS = [
    ("leaflet_css", _ASSET_PREFIX + "leaflet.css"),
    ("geocov_css", _ASSET_PREFIX + "geocov.css"),
]
_CLUSTER_JS = [("markercluster_js", _ASSET_PREFIX + "leaflet.markercluster.js")]
_CLUSTER_CSS = [
    ("markercluster_css", _ASSET_PREFIX + "MarkerCluster.css"),
    ("markercluster_default_css", _ASSET_PREFIX + "MarkerCluster.Default.css"),
]


def _import_folium() -> Any:
    try:
        import folium
    except ImportError as exc:  # pragma: no cover - folium is a dependency
        raise ImportError(
            "geocov maps need folium: install it with `pip install folium` "
            "(or `conda install -c conda-forge folium`)"
        ) from exc
    return folium


def _asset(name: str) -> str:
    return (_ASSETS_DIR / name).read_text(encoding="utf-8")


@dataclass(frozen=True)
class _Metric:
    key: str  # the table's percentage column, e.g. villages_pct_4g
    group: str
    label: str
    short: str
    noun: str
    num: str  # property holding the numerator
    den: str  # property holding the denominator
    digits: int
    unit_note: str
    # a class metric (the "priority" tier): the value in ``num`` is coloured by these
    # classes, not a percentage of ``den``
    classes: tuple[dict[str, Any], ...] | None = None
    no_data: str | None = None

    def as_js(self) -> dict[str, Any]:
        out = {
            "key": self.key,
            "group": self.group,
            "label": self.label,
            "short": self.short,
            "noun": self.noun,
            "num": self.num,
            "den": self.den,
            "digits": self.digits,
            "unitNote": self.unit_note,
        }
        if self.classes is not None:
            out["classes"] = list(self.classes)
            out["noData"] = self.no_data
        return out


@dataclass(frozen=True)
class _MapMeasure:
    """How the map shows one measure of :data:`geocov.vocabulary.MEASURES`."""

    group: str  # switcher group, and the first word of a metric's label
    noun: str  # unit of the counts ("villages", "people", "km²")
    whole: str  # what a percentage is of ("the villages", "the area (km²)")
    prop_digits: int  # decimals of the numbers in the page
    shown_digits: int  # decimals shown in tooltips

    def prop(self, measure: str) -> str:
        """Page property of the denominator ("v", "p", "a"); numerators add ``c_<layer>``."""
        return measure[0]


# in the order of the switcher
_MAP_MEASURES: dict[str, _MapMeasure] = {
    "villages": _MapMeasure("Villages", "villages", "the villages", 0, 0),
    "population": _MapMeasure("Population", "people", "the people", 0, 0),
    "area": _MapMeasure("Area", "km²", "the area (km²)", 2, 1),
}


def _metrics_for(table: pd.DataFrame, level: str, lang: str = "en") -> list[_Metric]:
    cols = set(table.columns)
    out: list[_Metric] = []
    unit = level_label(level, lang=lang).lower()  # "commune" / "xã" inside a phrase

    def words(key: str, **fields: Any) -> str:
        return _label(f"map.{key}", lang, **fields)

    for measure, how in _MAP_MEASURES.items():
        for t in _TECH_ORDER:
            if covered_column(measure, t) not in cols or DENOMINATORS[measure] not in cols:
                continue
            tl = _label(f"layer.{t}", lang)
            out.append(
                _Metric(
                    key=pct_column(measure, t),
                    group=words(f"group_{measure}"),
                    label=words(f"metric_{measure}", layer=tl),
                    short=tl[0].upper() + tl[1:],
                    noun=words(f"noun_{measure}"),
                    num=f"{how.prop(measure)}c_{t}",
                    den=how.prop(measure),
                    digits=how.shown_digits,
                    unit_note=words(f"note_{measure}", level=unit, layer=tl),
                )
            )
    if {"villages_fiber", "villages"} <= cols:
        out.append(
            _Metric(
                key="villages_fiber_pct",
                group=words("group_fiber"),
                label=words("metric_fiber"),
                short=words("short_fiber"),
                noun=words("noun_villages"),
                num="vf",
                den="v",
                digits=0,
                unit_note=words("note_fiber", level=unit),
            )
        )
    return out


def _default_metric(table: pd.DataFrame, metrics: list[_Metric]) -> str:
    """The metric a map opens on, from the data there is: villages with 4G when there are
    villages, else people covered by 4G when there is a population, else area covered by 4G
    (any signal when no 4G layer is in the table); never a measure with no denominator,
    which would draw every unit grey.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"villages": [0], "villages_covered_4g": [0], "population": [0.0],
    ...                   "population_covered_4g": [0.0], "area_km2": [12.5],
    ...                   "covered_area_km2_4g": [3.0]})
    >>> _default_metric(t, _metrics_for(t, "commune"))
    'area_pct_4g'
    """
    keys = [mt.key for mt in metrics]
    for measure in ("villages", "population", "area"):
        den = DENOMINATORS[measure]
        if den not in table.columns:
            continue
        if not (pd.to_numeric(table[den], errors="coerce").fillna(0) > 0).any():
            continue
        for layer in ("4g", "4g_plus", "any"):
            if pct_column(measure, layer) in keys:
                return pct_column(measure, layer)
    return keys[0]


def _classes(lang: str) -> list[dict[str, Any]]:
    """:data:`CLASSES` with their labels in ``lang`` (numbers as the language writes them)."""
    def pct(v: float) -> str:
        return _locale.percent(v, lang, digits=0)

    words = [
        _label("map.class_none", lang),
        *[
            _label("map.class_low" if c["lo"] == 0 else "map.class_top" if c["hi"] == 100
                  else "map.class_mid", lang, lo=_locale.number(c["lo"], lang), hi=pct(c["hi"]))
            for c in CLASSES[1:-1]
        ],
        _label("map.class_all", lang),
    ]
    return [{**c, "label": w} for c, w in zip(CLASSES, words, strict=True)]


def map_metrics(table: pd.DataFrame, *, level: str) -> list[str]:
    """The metrics that :func:`coverage_map` can colour ``table`` by (its percentage columns).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"villages": [4], "villages_covered_4g": [3], "villages_fiber": [1]})
    >>> map_metrics(t, level="commune")
    ['villages_pct_4g', 'villages_fiber_pct']
    """
    return [m.key for m in _metrics_for(table, level)]


def _detail_zoom(x: Any, y: Any, *, px: float = 10.0) -> int:
    """The first zoom at which points ``x``, ``y`` (degrees) lie ``px`` pixels apart or more
    (the median distance to the nearest other point): below it a map hides them, so that
    the units' colours are what a reader sees first.

    Examples
    --------
    >>> _detail_zoom([105.0, 105.01, 105.02], [21.0, 21.0, 21.0])  # ~1 km apart
    11
    >>> _detail_zoom([105.0], [21.0])
    0
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if len(x) < 2:
        return 0
    cos_lat = float(np.cos(np.radians(np.mean(y))))
    pts = shapely.points(x * cos_lat, y)  # degrees of latitude, east-west as north-south
    (_, _), dist = shapely.STRtree(pts).query_nearest(
        pts, return_distance=True, exclusive=True, all_matches=False
    )
    dist = dist[dist > 0]
    if not len(dist):
        return 0
    spacing_deg = float(np.median(dist)) / cos_lat  # Web Mercator: px per degree / cos(lat)
    return int(np.clip(np.ceil(np.log2(px * 360.0 / (256.0 * spacing_deg))), 0, 18))


def _nullable(values: Any, digits: int | None = None) -> list[Any]:
    arr = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    if digits is not None:
        arr = np.round(arr, digits)
    whole = np.isfinite(arr) & (arr == np.round(arr))
    obj = arr.astype(object)
    obj[whole] = arr[whole].astype(np.int64)
    obj[~np.isfinite(arr)] = None
    return obj.tolist()


def _texts(values: Any) -> list[Any]:
    s = pd.Series(values).astype(object)
    return (
        s.where(s.notna(), None).astype(object).map(lambda v: v if v is None else str(v)).tolist()
    )


def _js_json(obj: Any) -> str:
    """JSON that is safe inside a <script> element (no '<', '>' or '&' left unescaped)."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _auto_tolerance_m(geoms: gpd.GeoSeries, n: int) -> float:
    minx, miny, maxx, maxy = geoms.total_bounds
    span_m = max(maxx - minx, maxy - miny) * 111_320.0
    # about 1/3000 of the extent, and finer when units are few: a screen shows no more
    return float(np.clip(span_m / 3000.0, 5.0, 500.0))


def _simplified(geoms: gpd.GeoSeries, tolerance_m: float | None) -> np.ndarray:
    """Coverage-simplify (shared borders stay shared) and round coordinates, in EPSG:4326."""
    arr = np.asarray(geoms.values)
    arr = np.where(shapely.is_missing(arr), shapely.from_wkt("POLYGON EMPTY"), arr)
    if tolerance_m is None or tolerance_m <= 0:
        grid = 1e-6
    else:
        tol_deg = tolerance_m / 111_320.0
        polys = shapely.get_type_id(arr)
        if np.isin(polys, [3, 6]).all():
            try:
                arr = shapely.coverage_simplify(arr, tol_deg, simplify_boundary=True)
            except shapely.errors.GEOSException as exc:  # invalid coverage: simplify one by one
                log.info("coverage_simplify failed (%s); simplifying each unit on its own", exc)
                arr = shapely.simplify(arr, tol_deg, preserve_topology=True)
        else:
            arr = shapely.simplify(arr, tol_deg, preserve_topology=True)
        # grid: a power of ten no coarser than a third of the tolerance
        grid = 10.0 ** np.floor(np.log10(tol_deg / 3.0))
    return shapely.set_precision(arr, grid, mode="pointwise")


def _geojson_list(arr: np.ndarray) -> str:
    arr = np.asarray(arr)
    if len(arr) == 0:
        return "[]"
    arr = np.where(shapely.is_missing(arr), shapely.from_wkt("GEOMETRYCOLLECTION EMPTY"), arr)
    return "[" + ",".join(shapely.to_geojson(arr).tolist()) + "]"


def _name_path(table: pd.DataFrame, level: str, levels: list[str]) -> pd.Series:
    """'District, Province' for each row (names of the ancestors, fine → coarse)."""
    idx = levels.index(level) if level in levels else len(levels)
    path = pd.Series([""] * len(table), index=table.index, dtype=object)
    for anc in reversed(levels[:idx]):
        col = f"{anc}_name"
        if col not in table.columns:
            continue
        name = table[col].astype(object).where(table[col].notna(), "").astype(str)
        sep = np.where((path != "") & (name != ""), ", ", "")
        path = path + sep + name
    return path


def _check_choice(name: str, value: Any, valid: list[str]) -> None:
    if value not in valid:
        raise SchemaError(
            f"{name}={value!r} is not valid; use one of: {', '.join(map(str, valid))}"
        )


def _to_4326(gdf: gpd.GeoDataFrame, what: str) -> gpd.GeoDataFrame:
    crs = require_crs(gdf, what=what)
    return gdf if crs.to_epsg() == 4326 else gdf.to_crs(4326)


def _make_layer_class(folium: Any) -> Any:
    from folium.elements import JSCSSMixin
    from folium.map import Layer
    from folium.template import Template

    class _GeocovLayer(JSCSSMixin, Layer):
        _template = Template(
            "{% macro script(this, kwargs) %}\n"
            "var {{ this.get_name() }} = geocov.{{ this.factory }}("
            "{{ this._parent.get_name() }}, {{ this.payload }});\n"
            "{% endmacro %}"
        )

        def __init__(
            self,
            factory: str,
            payload: str,
            *,
            name: str,
            show: bool = True,
            control: bool = True,
            cluster: bool = False,
        ):
            super().__init__(name=name, overlay=True, control=control, show=show)
            self._name = "GeocovLayer"
            self.factory = factory
            self.payload = payload
            self.default_js = list(_OWN_JS) + (list(_CLUSTER_JS) if cluster else [])
            self.default_css = list(_OWN_CSS) + (list(_CLUSTER_CSS) if cluster else [])

    return _GeocovLayer


def _make_figure_class(folium: Any) -> Any:
    from branca.element import CssLink, Element, Figure, JavascriptLink

    class _OfflineFigure(Figure):
        """A branca Figure that inlines the bundled assets instead of linking CDNs."""

        def render(self, **kwargs: Any) -> str:
            for child in self._children.values():
                child.render(**kwargs)
            header = self.header._children
            for name in list(header):
                child = header[name]
                if not isinstance(child, (JavascriptLink, CssLink)):
                    continue
                url = child.url
                asset = url[len(_ASSET_PREFIX) :] if url.startswith(_ASSET_PREFIX) else None
                if asset is None and name in _FOLIUM_ASSETS:
                    asset = _FOLIUM_ASSETS[name]
                    if asset is None:
                        del header[name]
                        continue
                if asset is None:
                    log.warning(
                        "the map links %s (%s): it will only load with a network", name, url
                    )
                    continue
                code = _asset(asset)
                if isinstance(child, JavascriptLink):
                    header[name] = Element(f"<script>{code}</script>")
                else:
                    header[name] = Element(f"<style>{code}</style>")
                header[name]._parent = self.header
            return self._template.render(this=self, kwargs=kwargs)

    return _OfflineFigure


def _offline_root(m: Any, folium: Any, title: str | None) -> None:
    fig_cls = _make_figure_class(folium)
    root = m.get_root()
    if type(root).__name__ == "_OfflineFigure":
        return
    fig = fig_cls(title=title)
    m.add_to(fig)


def coverage_map(
    result: CoverageLike,
    *,
    level: str,
    metric: str | None = None,
    highlight: bool = True,
    rules: RemoteRules | None = None,
    priorities: Any = None,
    plan: Any = None,
    villages: bool | None = None,
    stations: bool | None = None,
    fiber: bool = True,
    m: Any = None,
    tiles: str | None = None,
    simplify_m: float | Literal["auto"] | None = "auto",
    renderer: Literal["canvas", "svg"] = "canvas",
    title: str | None = None,
    layer_control: bool = True,
    max_labels: int = 250,
    style_kwds: dict[str, Any] | None = None,
    highlight_kwds: dict[str, Any] | None = None,
    map_kwds: dict[str, Any] | None = None,
    lang: str = "en",
) -> Any:
    """Draw a coverage result as an interactive, self-contained folium map.

    Parameters
    ----------
    result : CoverageResult
        Anything with the attributes of :class:`geocov.CoverageResult`: ``levels``,
        ``table(level)``, ``villages``, ``stations``, ``fiber`` and ``metadata`` (the last
        four may be ``None``). Geometries in any CRS; the map reprojects to EPSG:4326.
    level : str
        The level whose units are drawn (one of ``result.levels`` except "total"). A level
        with a single unit (a one-province analysis at the province level) opens on the
        next finer level, its districts, and the title panel says so.
    metric : str, optional
        The metric coloured first; the map has a switcher between all of
        :func:`map_metrics` (villages/population/area with each technology; villages with
        fiber). Percentages are drawn in the fixed classes :data:`CLASSES`. Default: chosen
        from the data there is: villages with 4G when there are villages, else the
        population covered by 4G, else the area covered by 4G.
    highlight : bool, default True
        Outline the units on the priority list (with ``priorities``), else the unconnected
        remote units (:func:`geocov.priorities.flag_unconnected_remote`), and list them
        with the reason in a side panel (in rank order with ``priorities``).
    rules : RemoteRules, optional
        The rules for ``highlight`` without ``priorities`` (default ``RemoteRules()``).
    priorities : PriorityResult, optional
        The priority list (:func:`geocov.priorities.priorities`): adds the "priority"
        metric (the most urgent tier among a unit's villages), a "Priority tiers" layer of
        the listed villages, and the side panel lists the top of the list with reasons.
    plan : PlanResult, optional
        A rollout plan (:func:`geocov.plan.plan`): the planned sites and fiber links as
        their own layers, and a before/after switch: the metric switcher's "Plan" group
        colours the units by their villages (and people) with 4G after the plan, beside
        the same figures before it.
    villages, stations : bool or None
        Draw these layers (when the result has them); ``False``: leave them out. ``None``:
        in the layer control, shown on opening for villages when there are at most 5,000
        and for stations never (they are built when first switched on); stations are left
        out when there are more than :data:`MAX_AUTO_STATIONS` (a national file would pass
        15 MB), and the map's model note says so.
    fiber : bool, default True
        Draw fiber routes and nodes (when the result has them).
    m : folium.Map, optional
        Add the layers to this map instead of a new one (layers stack).
    tiles : str, optional
        Base tiles (any folium ``tiles`` value, e.g. "OpenStreetMap"); they need a
        network. Default ``None``: no tiles, the map is readable offline.
    simplify_m : float, "auto" or None
        Tolerance (m) of the coverage simplification of unit borders (shared borders stay
        shared); "auto" picks about 1/3000 of the map extent; ``None`` keeps full detail.
        Coordinates are rounded to a third of the tolerance.
    renderer : {"canvas", "svg"}, default "canvas"
        Leaflet renderer of the units (canvas draws ten thousand units fast).
    title : str, optional
        Title (default ``result.metadata["title"]``).
    layer_control : bool, default True
        Add a layer control (unless ``m`` already has one).
    max_labels : int, default 250
        At most this many unit names are written on the map at once (the largest on screen).
    style_kwds, highlight_kwds : dict, optional
        Leaflet path options for the units and for the highlighted units.
    map_kwds : dict, optional
        Passed to :class:`folium.Map` when ``m`` is None.
    lang : {"en", "vi"}, default "en"
        Language of every text of the map (titles, legends, tooltips, popups, panel texts,
        reasons) and how its numbers are written (``vi``: 1.569; 65,3%).

    Villages are drawn from the zoom at which they stand apart (about 10 pixels between
    neighbours; below it the legend says to zoom in), so the units' colours are what the
    map shows on opening; fiber nodes likewise. Unit names are placed largest unit first
    and a name that would overlap one already placed is left out. Units on the priority
    list (or flagged) get a white halo under their outline, visible on every fill colour.
    The legend lists every symbol of the layers shown.

    Returns
    -------
    folium.Map
        Displays inline in a notebook; write it with :func:`save_map`.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> import geopandas as gpd
    >>> from shapely import box
    >>> table = gpd.GeoDataFrame({
    ...     "commune_code": ["01"], "commune_name": ["Xã Bản Khoang"],
    ...     "villages": [41], "villages_covered_4g": [37], "villages_covered_4g_plus": [37],
    ...     "villages_fiber": [2]},
    ...     geometry=[box(103.7, 22.3, 103.8, 22.4)], crs="EPSG:4326")
    >>> result = SimpleNamespace(levels=["commune", "total"], table=lambda level: table,
    ...     villages=None, stations=None, fiber=None, metadata={"title": "Demo"})
    >>> m = coverage_map(result, level="commune")
    >>> html = m.get_root().render()
    >>> "Xã Bản Khoang" in html and "cdn.jsdelivr" not in html
    True
    """
    folium = _import_folium()
    lang = _locale.check_lang(lang)
    if priorities is not None and hasattr(priorities, "with_lang"):
        priorities = priorities.with_lang(lang)  # its reasons and tier words in lang
    level, finer_note = _opening_level(result, level, lang)
    levels, table, metrics = _checked_table(result, level, metric, renderer,
                                            priorities=priorities, plan=plan, lang=lang)
    metric = metric or _default_metric(table, metrics)
    metadata = dict(getattr(result, "metadata", None) or {})
    title = title or metadata.get("title") or _label(
        "map.title", lang, level=level_label(level, lang=lang).lower())
    rules = RemoteRules() if rules is None else rules
    tol = _auto_tolerance_m(table.geometry, len(table)) if simplify_m == "auto" else simplify_m
    vil, sta, fib = (_layer(result, name) for name in ("villages", "stations", "fiber"))

    # --- units: numbers, highlight flags, parent outlines, the layer's settings
    props = _unit_props(table, level, levels)
    if plan is not None:
        props.update(_plan_props(table, plan, level))
    n_flagged = None
    if priorities is not None:
        prio_props, n_listed = _priority_props(table, priorities, level, lang)
        props.update(prio_props)
        if highlight:
            n_flagged = n_listed
        rules_text = _priority_rules_text(priorities, level, lang)
    else:
        rules_text = _rules_text(rules, levels, level, has_fiber=fib is not None, lang=lang)
        if highlight:
            flags = flag_unconnected_remote(table, fiber=fib, rules=rules, lang=lang)
            props.update(_flag_props(flags))
            n_flagged = int(flags["flagged"].sum())
    parent_geoms = _parent_outlines(result, levels, level, tol)
    cfg = _units_config(
        table,
        level=level,
        metric=metric,
        metrics=metrics,
        props=props,
        rules_text=rules_text,
        highlight=highlight,
        highlight_label=_priority_label(priorities, level, props, lang),
        parent_geoms=parent_geoms,
        renderer=renderer,
        max_labels=max_labels,
        style_kwds=style_kwds,
        highlight_kwds=highlight_kwds,
        lang=lang,
    )

    # --- the map, then its layers: info panel, units, highlight, names, points, fiber
    m, fit = _base_map(folium, m, table, tiles=tiles, renderer=renderer, map_kwds=map_kwds)
    _offline_root(m, folium, title)
    # the marker clusters need the map's zoom range, which folium only gives tile layers
    m.options.setdefault("maxZoom", 18)
    m.options.setdefault("minZoom", 2)

    layer_cls = _make_layer_class(folium)
    draw_stations, note = _stations_choice(sta, stations, lang)
    note = " ".join(filter(None, [finer_note, note])) or None
    info = _info(metadata, title, note, lang)
    from .report import units_line

    info["units"] = units_line(result, lang)  # which units: before or after a reform
    layer_cls("infoPanel", _js_json(info), name="info", control=False, show=False).add_to(m)
    payload = _units_payload(cfg, _simplified(table.geometry, tol), parent_geoms, fit)
    layer_cls("unitsLayer", payload, name=_label(
        "map.units_layer", lang, levels=level_label(level, plural=True, lang=lang))).add_to(m)
    if n_flagged is not None:
        layer_cls(
            "highlightLayer", "null",
            name=f"{cfg['highlightLabel']} ({_locale.number(n_flagged, lang)})"
        ).add_to(m)
    layer_cls("labelsLayer", "null", name=_label("map.names_layer", lang)).add_to(m)
    if villages is not False and vil is not None and len(vil):
        _add_villages(
            m,
            layer_cls,
            result,
            vil,
            levels,
            show=villages if villages is not None else len(vil) <= 5_000,
            lang=lang,
        )
    if priorities is not None and villages is not False:
        _add_tiers(m, layer_cls, priorities, show=False, lang=lang)
    if draw_stations:
        _add_stations(m, layer_cls, sta, show=bool(stations), lang=lang)
    if fiber and fib is not None and len(fib):
        _add_fiber(m, layer_cls, fib, tol, lang=lang)
    if plan is not None:
        _add_plan(m, layer_cls, plan, lang)

    if layer_control and not any(type(c).__name__ == "LayerControl" for c in m._children.values()):
        folium.LayerControl(collapsed=True, position="topright").add_to(m)
    return m


# --------------------------------------------------------------------------- map steps
def _layer(result: CoverageLike, name: str) -> gpd.GeoDataFrame | None:
    """``result.villages`` / ``stations`` / ``fiber``, or None when it has none."""
    return getattr(result, name, None)


def _checked_table(
    result: CoverageLike, level: str, metric: str | None, renderer: str, *, priorities: Any = None,
    plan: Any = None, lang: str = "en",
) -> tuple[list[str], gpd.GeoDataFrame, list[_Metric]]:
    """Check the choices; return the levels, the level's table in EPSG:4326, its metrics."""
    levels = result_levels(result)
    _check_choice("level", level, levels)
    _check_choice("renderer", renderer, ["canvas", "svg"])
    table = result.table(level)
    if not isinstance(table, gpd.GeoDataFrame):
        raise SchemaError(
            f"result.table({level!r}) is not a GeoDataFrame; got {type(table).__name__}"
        )
    table = _to_4326(table, f"result.table({level!r})")
    for col in (code_column(level), name_column(level)):
        if col not in table.columns:
            raise SchemaError(
                f"result.table({level!r}) has no column {col!r}; columns: {list(table.columns)}"
            )
    metrics = _metrics_for(table, level, lang)
    if not metrics:
        raise SchemaError(
            f"result.table({level!r}) has none of the metric columns the map draws "
            f"(villages, villages_covered_<T>, population_covered_<T>, covered_area_km2_<T>, "
            f"villages_fiber)"
        )
    if priorities is not None:
        metrics.append(_priority_metric(priorities, level, lang))
    if plan is not None:
        metrics.extend(_plan_metrics(level, lang))
    if metric is not None:
        _check_choice("metric", metric, [mt.key for mt in metrics])
    return levels, table, metrics


def _opening_level(result: CoverageLike, level: str, lang: str) -> tuple[str, str | None]:
    """``level``, or the next finer level when ``level`` has a single unit (a map of one
    province opens on its districts), with the note that says so."""
    levels = result_levels(result)
    _check_choice("level", level, levels)
    idx = levels.index(level)
    if idx + 1 >= len(levels):
        return level, None
    try:
        one = len(result.table(level)) == 1
    except Exception:  # noqa: BLE001 - _checked_table reports a table it cannot read
        return level, None
    if not one:
        return level, None
    finer = levels[idx + 1]
    note = _label("map.finer_note", lang, level=level_label(level, lang=lang).lower(),
                 levels_lower=level_label(finer, plural=True, lang=lang).lower())
    log.info("one %s in the data: the map shows its %ss", level, finer)
    return finer, note


# --------------------------------------------------------------------------- priorities
def _pwords(key: str, lang: str, **fields: Any) -> str:
    """The priority list's words on the map (the catalogue's ``priority.*``)."""
    return _label(f"priority.{key}", lang, **fields)


def _priority_metric(priorities: Any, level: str, lang: str = "en") -> _Metric:
    """The "priority" metric: the most urgent tier among each unit's villages."""
    labels = priorities.rules.tier_labels(lang)
    classes: list[dict[str, Any]] = [
        {"lo": k, "hi": k, "label": _pwords("map_class_tier", lang, label=text),
         "color": TIER_COLORS[min(k - 1, len(TIER_COLORS) - 1)]}
        for k, text in enumerate(labels, 1)
    ]
    classes.append({"lo": TIER_UNKNOWN, "hi": TIER_UNKNOWN,
                    "label": _pwords("map_class_unknown", lang), "color": "#969696"})
    classes.append({"lo": 0, "hi": 0, "label": _pwords("map_class_none", lang),
                    "color": NOT_LISTED_COLOR})
    return _Metric(
        key="priority", group=_pwords("map_group", lang), label=_pwords("map_label", lang),
        short=_pwords("map_short", lang), noun=_pwords("map_noun", lang), num="pt", den="v",
        digits=0, unit_note=_pwords("map_note", lang, level=level_label(level, lang=lang).lower()),
        classes=tuple(classes), no_data=_pwords("map_no_data", lang))


def _priority_props(
    table: gpd.GeoDataFrame, priorities: Any, level: str, lang: str = "en"
) -> tuple[dict[str, list[Any]], int]:
    """Per unit: on the list (0/1), the reason of its top village, rank order, tier."""
    code = code_column(level)
    units = priorities.units(level)
    units = pd.DataFrame(units.drop(columns="geometry")).set_index(units[code].astype(str))
    codes = table[code].astype(str)
    rank = units["rank"].reindex(codes).to_numpy(dtype=float, na_value=np.nan)
    top = units["top_tier"].reindex(codes).to_numpy(dtype=float, na_value=np.nan)
    unknown = units["villages_tier_unknown"].reindex(codes).to_numpy(dtype=float,
                                                                     na_value=np.nan)
    assessed = codes.isin(units.index).to_numpy()
    tier = np.where(np.isfinite(top), top, np.where(np.nan_to_num(unknown) > 0,
                                                    TIER_UNKNOWN, 0.0))
    tier = np.where(assessed, tier, np.nan)
    listed = np.isfinite(rank)
    village = pd.Series(units["top_village"].reindex(codes).astype(object).to_numpy())
    reason = pd.Series(units["top_reason"].reindex(codes).astype(object).to_numpy())
    option = pd.Series(units["top_option"].reindex(codes).astype(object).to_numpy())
    n_list = units["villages_listed"].reindex(codes).to_numpy(dtype=float, na_value=np.nan)
    # the line of each unit, its fields filled at array speed ("\0" marks where they go)
    line = _pwords("map_line", lang, rank="\0", village="\0", reason="\0").split("\0")
    rank_text = pd.Series(_locale.numbers(rank, lang)).where(np.isfinite(rank), "")
    best = _pwords("map_best_option", lang, option="\0").split("\0")
    option_words = option.map(
        lambda o: _category_words(o, OPTIONS, "option", lang) if isinstance(o, str) else None)
    many = _pwords("map_villages_listed", lang, n="\0").split("\0")
    text = pd.Series(
        line[0] + rank_text.to_numpy(object) + line[1]
        + village.fillna("").astype(str).to_numpy(object) + line[2]
        + reason.fillna("").astype(str).to_numpy(object) + line[3]
        + np.where(option_words.notna(), best[0] + option_words.fillna("").astype(str)
                   .to_numpy(object) + best[1], "")
        + np.where(np.isfinite(n_list) & (n_list > 1),
                   many[0] + pd.Series(_locale.numbers(n_list, lang)).to_numpy(object)
                   + many[1], ""))
    big = float(np.nanmax(rank)) + 1 if listed.any() else 1.0
    # highlighted: the units whose most urgent village is in the most urgent tier present
    first = float(np.nanmin(top)) if np.isfinite(top).any() else np.nan
    listed = listed & (top == first)
    return {
        "h": listed.astype(int).tolist(),
        "r": _texts(text.where(listed, "")),
        "u": _nullable(np.where(listed, big - rank, np.nan), 0),
        "o": _nullable(np.where(listed, rank, np.nan), 0),
        "pt": _nullable(tier, 0),
    }, int(listed.sum())


def _priority_label(priorities: Any, level: str, props: dict[str, list[Any]],
                    lang: str = "en") -> str | None:
    """"Communes with tier 1 villages (no signal)": what the highlight shows."""
    if priorities is None:
        return None
    levels = level_label(level, plural=True, lang=lang)
    tiers = [t for t, h in zip(props.get("pt", []), props.get("h", []), strict=False) if h]
    if not tiers:
        return _pwords("map_on_list", lang, levels=levels)
    k = int(min(tiers))
    words = _pwords(f"condition.{priorities.rules.tiers[k - 1]}", lang)
    return _pwords("map_with_tier", lang, levels=levels, k=k, words=words)


def _priority_rules_text(priorities: Any, level: str, lang: str = "en") -> str:
    """The priority list's rules in words, for the side panel."""
    tiers = "; ".join(priorities.rules.tier_labels(lang))
    w = priorities.rules.weights
    if w["cost"] and not any(w[k] for k in ("people", "remoteness", "difficult")):
        order = _pwords("map_order_cost", lang)
    else:
        order = _pwords("map_order_score", lang, weights=", ".join(
            _pwords("map_weight", lang, name=_pwords(f"weight.{k}", lang),
                    weight=_locale.number(v, lang, digits=_decimals(v)))
            for k, v in w.items() if v))
    levels = level_label(level, plural=True, lang=lang)
    return _pwords("map_rules", lang, levels=levels, levels_lower=levels.lower(), tiers=tiers,
                   order=order)


def _add_tiers(m: Any, layer_cls: Any, priorities: Any, *, show: bool, lang: str = "en") -> None:
    """The listed villages coloured by tier (a point layer, built when switched on)."""
    v = priorities.villages
    listed = v["tier"].notna().to_numpy() | _unknown_tier(v)
    v = _to_4326(v[listed], "priorities.villages")
    if not len(v):
        return
    labels = priorities.rules.tier_labels(lang)
    statuses = [{"code": k, "label": _pwords("map_class_tier", lang, label=t),
                 "color": TIER_COLORS[min(k - 1, 4)]} for k, t in enumerate(labels, 1)]
    statuses.append({"code": TIER_UNKNOWN, "label": _pwords("map_class_unknown", lang),
                     "color": "#969696"})
    tier = v["tier"].to_numpy(dtype=float, na_value=np.nan)
    s_code = np.where(np.isfinite(tier), tier - 1, len(labels)).astype(int)
    fiber = v["fiber"].astype(str).to_numpy()
    pts = shapely.point_on_surface(np.asarray(v.geometry.values))
    unit = v[name_column(priorities.finest)].astype(str) if name_column(
        priorities.finest) in v.columns else pd.Series([""] * len(v))
    rank = pd.Series(_locale.numbers(v["rank"].to_numpy(dtype=float, na_value=np.nan), lang))
    data = {
        "x": _nullable(shapely.get_x(pts), 5),
        "y": _nullable(shapely.get_y(pts), 5),
        "s": s_code.tolist(),
        "fb": np.where(fiber == "connected", 1, np.where(fiber == "unknown", 2, 0)).tolist(),
        "n": _texts("#" + rank.where(v["rank"].notna().to_numpy(), "?").to_numpy(object) + " "
                    + v["village_name"].astype(str).to_numpy(object)),
        "u": _texts(unit + ": " + v["reason"].astype(str)),
        "p": _nullable(v["population"], 0),
    }
    cfg = {"data": data, "radius": 5, "fiberColor": FIBER_COLOR, "statuses": statuses,
           "statusWord": _pwords("map_short", lang)}
    layer_cls("villagesLayer", _js_json(cfg),
              name=_pwords("map_tiers_layer", lang, n=_locale.number(len(v), lang)),
              show=show).add_to(m)


# --------------------------------------------------------------------------- plan
PLAN_SITE_COLOR = "#e7298a"
PLAN_LINK_COLOR = "#ff7f00"
# the before/after switch: key, label's key, numerator, denominator, noun's key
_PLAN_METRICS = (
    ("plan_villages_4g_after", "villages_after", "pva", "v", "villages"),
    ("plan_people_4g_before", "people_before", "ppb", "pp", "population"),
    ("plan_people_4g_after", "people_after", "ppa", "pp", "population"),
)


def _plan_metrics(level: str, lang: str = "en") -> list[_Metric]:
    """The before/after switch: villages and people (of the villages) with 4G or better,
    before and after the plan, in the switcher's "Plan" group."""
    out = []
    for key, words, num, den, noun_key in _PLAN_METRICS:
        label = _label(f"plan.map_{words}", lang)
        noun = _label(f"map.noun_{noun_key}", lang)
        out.append(_Metric(
            key=key, group=_label("plan.map_group", lang),
            label=_label("plan.map_metric", lang, label=label, noun=noun), short=label,
            noun=noun, num=num, den=den, digits=0,
            unit_note=_label(f"plan.map_note_{words}", lang,
                             level=level_label(level, lang=lang).lower())))
    return out


def _plan_props(table: gpd.GeoDataFrame, plan: Any, level: str) -> dict[str, list[Any]]:
    """Per unit: villages with 4G after the plan, people (villages) before and after."""
    code = code_column(level)
    units = plan.units(level)
    units = pd.DataFrame(units.drop(columns="geometry")).set_index(units[code].astype(str))
    codes = table[code].astype(str)
    def col(name: str) -> list[Any]:
        return _nullable(units[name].reindex(codes).to_numpy(dtype=float), 0)
    return {"pva": col("villages_4g_after"), "ppb": col("people_4g_before"),
            "ppa": col("people_4g_after"), "pp": col("people")}


def _plan_action(action: str, lang: str) -> str:
    """A plan step's ``action`` (English words of :mod:`geocov.plan`) in ``lang``."""
    from .plan import _KIND_WORDS

    keys = {words: key for key, words in _KIND_WORDS.items()}
    return _label(f"plan.action.{keys[action]}", lang) if action in keys else str(action)


def _plan_site_texts(sites: gpd.GeoDataFrame, plan: Any, lang: str) -> tuple[Any, Any]:
    """Each planned site's name ("PLAN-0001 (step 1): new 4G site") and line (its option,
    where, villages and people newly served, cost) in ``lang``; the plan's own columns
    hold English words, said here by their keys in the catalogue."""
    def fill(key: str, **columns: Any) -> np.ndarray:
        marks = {k: f"\0{k}\0" for k in columns}
        out = pd.Series([_label(key, lang, **marks)] * len(sites), dtype=object)
        for k, values in columns.items():  # a loop over a template's few fields
            parts = out.str.split(f"\0{k}\0", n=1, expand=True, regex=False)
            out = parts[0] + pd.Series(values, dtype=object).astype(str).to_numpy(object) \
                + parts[1]
        return out.to_numpy(object)

    action = sites["action"].astype(str).map(lambda a: _plan_action(a, lang))
    names = fill("plan.map_site_name", id=sites["station_id"].astype(str),
                 step=_locale.numbers(sites["step"].to_numpy(float), lang), action=action)
    finest = name_column(plan.finest)
    unit = sites[finest].fillna("").astype(str) if finest in sites else pd.Series(
        [""] * len(sites), index=sites.index)
    village = sites["village_name"].fillna("").astype(str) if "village_name" in sites else unit
    where = np.where(village != "", village + np.where(unit != "", " (" + unit + ")", ""), unit)
    cost_col = f"cost_{plan.currency.lower()}"
    costs = [money(x, plan.currency, lang) for x in sites[cost_col].to_numpy(float)] \
        if cost_col in sites else [""] * len(sites)
    line = fill("plan.map_site_line", where=where,
                villages=_locale.numbers(sites["villages_newly_served"].to_numpy(float), lang),
                people=_locale.numbers(sites["people_newly_served"].to_numpy(float), lang),
                cost=costs)
    # the option of a village candidate: the priority list's words before ": " in its detail
    option = sites["detail"].astype(str).str.split(": ", n=1).str[0].map(
        lambda o: _category_words(o, OPTIONS, "option", lang) if o in set(OPTIONS.values())
        else "")
    prefix = np.where(option != "", fill("plan.map_site_option", option=option), "")
    return names, prefix + line


def _add_plan(m: Any, layer_cls: Any, plan: Any, lang: str = "en") -> None:
    """The planned sites (a point layer) and fiber links (lines), each its own layer."""
    sites = _to_4326(plan.sites, "plan.sites")
    if len(sites):
        pts = shapely.point_on_surface(np.asarray(sites.geometry.values))
        names, lines = _plan_site_texts(sites, plan, lang)
        data = {
            "x": _nullable(shapely.get_x(pts), 5),
            "y": _nullable(shapely.get_y(pts), 5),
            "id": _texts(names),
            "op": _texts(lines),
            "r": _nullable(sites["range_m"], 0),
        }
        # its legend entry: the catalogue's js.planned_sites; "op" is the whole line
        cfg = {"data": data, "technology": _label("plan.map_site", lang),
               "color": PLAN_SITE_COLOR, "legendKey": "planned_sites", "plainLine": True}
        layer_cls("stationsLayer", _js_json(cfg),
                  name=_label("plan.map_sites", lang, n=_locale.number(len(sites), lang)),
                  show=True, cluster=True).add_to(m)
    links = _to_4326(plan.links, "plan.links")
    if len(links):
        lines = shapely.set_precision(np.asarray(links.geometry.values), 1e-5,
                                      mode="pointwise")
        ends = shapely.get_point(np.asarray(links.geometry.values), 0)
        cfg = {
            "routes": "__ROUTES__",
            "nodes": {"x": _nullable(shapely.get_x(ends), 5),
                      "y": _nullable(shapely.get_y(ends), 5)},
            "routeStyle": {"color": PLAN_LINK_COLOR, "weight": 3.5, "opacity": 0.95,
                           "dashArray": "6 4"},
            "legendKey": "planned_links",
            "nodeKey": "planned_link_ends",  # each link's start: the place it reaches
            "nodeStyle": {"radius": 5, "color": "#ffffff", "weight": 1.5,
                          "fillColor": PLAN_LINK_COLOR, "fillOpacity": 1.0},
        }
        payload = _js_json(cfg).replace('"__ROUTES__"', _geojson_list(lines), 1)
        km = float(links["cable_km"].sum())
        layer_cls("fiberLayer", payload,
                  name=_label("plan.map_links", lang, n=_locale.number(len(links), lang),
                              km=_locale.number(km, lang))).add_to(m)


def _unit_props(table: gpd.GeoDataFrame, level: str, levels: list[str]) -> dict[str, list[Any]]:
    """Per unit: index, code, name, ancestors' names, label point, numbers of every metric."""
    label_pts = shapely.point_on_surface(np.asarray(table.geometry.values))
    props: dict[str, list[Any]] = {
        "i": list(range(len(table))),
        "c": _texts(table[code_column(level)]),
        "n": _texts(table[name_column(level)]),
        "f": _texts(_name_path(table, level, levels)),
        "lx": _nullable(shapely.get_x(label_pts), 5),
        "ly": _nullable(shapely.get_y(label_pts), 5),
    }
    for measure, how in _MAP_MEASURES.items():
        if DENOMINATORS[measure] in table.columns:
            props[how.prop(measure)] = _nullable(table[DENOMINATORS[measure]], how.prop_digits)
    if "villages_fiber" in table.columns:
        props["vf"] = _nullable(table["villages_fiber"], 0)
    for t in _TECH_ORDER:
        for measure, how in _MAP_MEASURES.items():
            col = covered_column(measure, t)
            if col in table.columns:
                props[f"{how.prop(measure)}c_{t}"] = _nullable(table[col], how.prop_digits)
    return props


def _flag_props(flags: pd.DataFrame) -> dict[str, list[Any]]:
    """Per unit: flagged (0/1), the reason in words, people uncovered."""
    return {
        "h": flags["flagged"].astype(int).tolist(),
        "r": _texts(flags["reason"]),
        "u": _nullable(flags["population_uncovered"], 0),
    }


def _parent_outlines(result: CoverageLike, levels: list[str], level: str, tol: float | None) -> str:
    """GeoJSON list of the parent level's outlines ("[]" at the coarsest level)."""
    idx = levels.index(level)
    if idx == 0:
        return "[]"
    try:
        parent_table = _to_4326(result.table(levels[idx - 1]), "parent table")
        return _geojson_list(shapely.boundary(_simplified(parent_table.geometry, tol)))
    except Exception as exc:  # the parent outline is a nicety, never a reason to fail
        log.info("no parent outlines drawn: %s", exc)
        return "[]"


def _rules_text(
    rules: RemoteRules, levels: list[str], level: str, *, has_fiber: bool, lang: str = "en"
) -> str:
    """The highlight rules in words, for the side panel."""
    idx = levels.index(level)

    def km(value: float) -> str:
        text = f"{float(value):g}"
        digits = len(text.split(".")[1]) if "." in text and "e" not in text else 0
        return _locale.number(value, lang, digits=digits)

    remote = [
        _label("reason.rule_centre", lang, km=km(rules.centre_km),
              parent=level_label(levels[idx - 1], lang=lang).lower())
        if rules.centre_km is not None and idx > 0
        else "",
        _label("reason.rule_fiber", lang, km=km(rules.fiber_km))
        if rules.fiber_km is not None and has_fiber
        else "",
    ]
    return _label(
        "reason.rules", lang, noun=_label(f"noun.{rules.technology}", lang),
        remote=_label("reason.rule_or", lang).join(
            filter(None, remote) or [_label("reason.rule_none", lang)]),
    )


def _units_config(
    table: gpd.GeoDataFrame,
    *,
    level: str,
    metric: str,
    metrics: list[_Metric],
    props: dict[str, list[Any]],
    rules_text: str,
    highlight: bool,
    parent_geoms: str,
    highlight_label: str | None = None,
    renderer: str,
    max_labels: int,
    style_kwds: dict[str, Any] | None,
    highlight_kwds: dict[str, Any] | None,
    lang: str = "en",
) -> dict[str, Any]:
    """What the page's units layer draws: metrics, legend classes, styles, panel, props."""
    level_plural = level_label(level, plural=True, lang=lang).lower()
    unit_style = {
        "color": "#ffffff",
        "weight": 0.6 if len(table) > 2000 else 1.0,
        "opacity": 0.9,
        "fillOpacity": 0.8,
    }
    unit_style.update(style_kwds or {})
    hl_style = {
        "color": HIGHLIGHT_COLOR,
        "weight": 3,
        "opacity": 1.0,
        "fill": False,
        "dashArray": None,
    }
    hl_style.update(highlight_kwds or {})
    keys = {mt.key for mt in metrics}
    flagged = _label("map.flagged_label", lang, levels=level_label(level, plural=True, lang=lang),
                    levels_lower=level_plural)
    return {
        "level": level,
        "levelLabel": level_label(level, lang=lang).lower(),
        "levelPlural": level_plural,
        "metric": metric,
        "metrics": [mt.as_js() for mt in metrics],
        "tooltipMetrics": [k for k in _TOOLTIP_METRICS if k in keys][:4],
        "classes": _classes(lang),
        "noDataColor": NO_DATA_COLOR,
        "style": unit_style,
        "hoverStyle": {"weight": 3, "color": "#333333"},
        "highlightStyle": hl_style,
        # under the outline: a white halo wider than it, so that the outline stands out
        # on every fill colour (magenta on the crimson 0% class, white on the dark ones)
        "haloStyle": {"color": "#ffffff", "weight": _number(hl_style.get("weight"), 3.0) + 4,
                      "opacity": 0.95, "fill": False},
        "parentStyle": {
            "color": "#444444",
            "weight": 1.4 if parent_geoms.count('"type"') <= 300 else 0.8,
            "opacity": 0.9,
            "fill": False,
        },
        "highlightLabel": highlight_label or flagged,
        "flagWord": _label("map.priority_word" if highlight_label else "map.flag_word", lang),
        "highlightPanel": bool(highlight),
        "panelOpen": True,
        "maxPanel": 200,
        "rulesText": rules_text,
        "renderer": renderer,
        "maxLabels": int(max_labels),
        "labelMinPx": 60,
        "props": props,
        "geoms": "__GEOMS__",
        "parentGeoms": "__PARENTS__",
    }


def _number(value: Any, default: float) -> float:
    """``value`` as a float when it is a number, else ``default`` (a style's weight)."""
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) \
        else default


def _units_payload(
    cfg: dict[str, Any], geoms: np.ndarray, parent_geoms: str, fit: list[list[float]] | None
) -> str:
    """The units layer's JSON, geometries spliced in as GeoJSON text (not re-encoded)."""
    payload = (
        _js_json(cfg)
        .replace('"__GEOMS__"', _geojson_list(geoms), 1)
        .replace('"__PARENTS__"', parent_geoms, 1)
    )
    if fit is not None:  # fitted in the page, without animation
        payload = payload.replace('{"level":', '{"fit":' + json.dumps(fit) + ',"level":', 1)
    return payload


def _base_map(
    folium: Any,
    m: Any,
    table: gpd.GeoDataFrame,
    *,
    tiles: str | None,
    renderer: str,
    map_kwds: dict[str, Any] | None,
) -> tuple[Any, list[list[float]] | None]:
    """A new folium map around ``table`` (and the bounds to fit), or ``m`` with ``tiles``."""
    if m is not None:
        if tiles is not None:
            folium.TileLayer(tiles).add_to(m)
        return m, None
    kw: dict[str, Any] = {
        "tiles": tiles,
        "control_scale": True,
        "prefer_canvas": renderer == "canvas",
    }
    kw.update(map_kwds or {})
    minx, miny, maxx, maxy = (float(v) for v in table.total_bounds)
    kw.setdefault("location", [(miny + maxy) / 2, (minx + maxx) / 2])
    kw.setdefault("zoom_start", 6)
    return folium.Map(**kw), [[miny, minx], [maxy, maxx]]


def _stations_choice(
    sta: gpd.GeoDataFrame | None, stations: bool | None, lang: str = "en"
) -> tuple[bool, str | None]:
    """Whether to draw the station markers, and the note when too many are left out."""
    n_sta = 0 if sta is None else len(sta)
    draw = (
        bool(n_sta) and stations is not False and (stations is True or n_sta <= MAX_AUTO_STATIONS)
    )
    note = None
    if n_sta and stations is None and not draw:
        note = _label("map.stations_left_out", lang, n=_locale.number(n_sta, lang),
                     max=_locale.number(MAX_AUTO_STATIONS, lang))
    return draw, note


def _info(
    metadata: dict[str, Any], title: str, note: str | None, lang: str = "en"
) -> dict[str, Any]:
    """The title panel: title, data date, sources, the coverage model (and ``note``); the
    page's words in ``lang`` (the catalogue's ``js.*``) and its number marks."""
    from .report import model_note

    model = None if metadata.get("model") is None else model_note(metadata, lang)
    if note:
        model = note if model is None else f"{model} {note}"
    return {
        "title": str(title),
        "date": None if metadata.get("data_date") is None else str(metadata["data_date"]),
        "sources": [str(s) for s in (metadata.get("sources") or [])],
        "model": model,
        "credit": _label("map.credit", lang),
        "dateText": None if metadata.get("data_date") is None
        else _label("map.data_as_of", lang, date=str(metadata["data_date"])),
        "sourcesModel": _label("map.sources_model", lang),
        "i18n": {
            "lang": lang,
            "numbers": _locale.number_symbols(lang),
            "words": {k[3:]: v for k, v in _locale.catalogue()[lang].items()
                      if k.startswith("js.")},
        },
    }


def _add_villages(
    m: Any,
    layer_cls: Any,
    result: CoverageLike,
    vil: gpd.GeoDataFrame,
    levels: list[str],
    *,
    show: bool,
    lang: str = "en",
) -> None:
    vil = _to_4326(vil, "result.villages")
    pts = shapely.point_on_surface(np.asarray(vil.geometry.values))
    status = (
        vil["best_technology"].astype(object).where(vil["best_technology"].notna(), NO_SIGNAL)
        if "best_technology" in vil.columns
        else pd.Series([NO_SIGNAL] * len(vil), index=vil.index)
    )
    codes = [s for s, _, _ in VILLAGE_STATUSES]
    unknown = ~status.isin(codes)
    if unknown.any():
        raise SchemaError(
            f"result.villages column 'best_technology' has values "
            f"{sorted(set(status[unknown].astype(str)))[:5]} "
            f"outside {codes}"
        )
    s_code = status.map({c: k for k, c in enumerate(codes)}).astype(int)
    fiber = (
        vil["fiber"].fillna(False).astype(bool)
        if "fiber" in vil.columns
        else pd.Series(False, index=vil.index)
    )
    unit_text = pd.Series([""] * len(vil), index=vil.index, dtype=object)
    if "unit_code" in vil.columns and levels:
        finest = levels[-1]
        try:
            fine = result.table(finest)
            names = fine[f"{finest}_name"].astype(str) + ", " + _name_path(fine, finest, levels)
            lookup = pd.Series(
                names.str.rstrip(", ").to_numpy(), index=fine[f"{finest}_code"].astype(str)
            )
            unit_text = vil["unit_code"].astype(str).map(lookup).astype(object)
            unit_text = unit_text.where(unit_text.notna(), "")
        except Exception as exc:  # names of the units are a nicety in the tooltip
            log.info("village tooltips without unit names: %s", exc)
    name = (
        vil["village_name"]
        if "village_name" in vil.columns
        else vil.get("village_code", pd.Series([""] * len(vil)))
    )
    data = {
        "x": _nullable(shapely.get_x(pts), 5),
        "y": _nullable(shapely.get_y(pts), 5),
        "s": s_code.tolist(),
        # 2: unknown (no fiber data), so that a village is never said to have no fiber
        "fb": (fiber.astype(int) if _fiber_known(result, levels) else fiber * 0 + 2).tolist(),
        "n": _texts(name),
        "u": _texts(unit_text),
        "p": _nullable(vil["population"], 0) if "population" in vil.columns else [None] * len(vil),
    }
    statuses = [
        {"code": c, "label": _label(f"map.village_status_{c.lower()}", lang), "color": col}
        for c, _, col in VILLAGE_STATUSES
    ]
    cfg = {
        "data": data,
        "radius": 4,
        "fiberColor": FIBER_COLOR,
        "statuses": statuses,
        # drawn from the zoom where villages stand apart; hidden below it (legend says so)
        "minZoom": _detail_zoom(data["x"], data["y"]),
        "fiberKnown": bool(_fiber_known(result, levels)),
    }
    legend = ", ".join(st["label"] for st in statuses)
    layer_cls(
        "villagesLayer",
        _js_json(cfg),
        name=_label("map.villages_layer", lang, n=_locale.number(len(vil), lang),
                   statuses=legend),
        show=show,
    ).add_to(m)


def _fiber_known(result: CoverageLike, levels: list[str]) -> bool:
    """Whether the result had fiber data (its villages' fiber flags mean something)."""
    if getattr(result, "fiber", None) is not None:
        return True
    try:
        t = result.table(levels[-1]) if levels else None
    except Exception:  # noqa: BLE001 - a result without tables: take the flags as given
        return True
    return t is None or "villages_fiber" not in t.columns or bool(t["villages_fiber"].notna().any())


def _add_stations(
    m: Any, layer_cls: Any, sta: gpd.GeoDataFrame, *, show: bool, lang: str = "en"
) -> None:
    sta = _to_4326(sta, "result.stations")
    tech = (
        sta["technology"].astype(str)
        if "technology" in sta.columns
        else pd.Series("unknown", index=sta.index)
    )
    for t in sorted(tech.unique()):
        sub = sta[(tech == t).to_numpy()]
        pts = shapely.point_on_surface(np.asarray(sub.geometry.values))
        data = {
            "x": _nullable(shapely.get_x(pts), 5),
            "y": _nullable(shapely.get_y(pts), 5),
            "id": _texts(sub["station_id"]) if "station_id" in sub.columns else [""] * len(sub),
            "op": _texts(sub["operator"]) if "operator" in sub.columns else ["unknown"] * len(sub),
            "r": _nullable(sub["range_m"], 0) if "range_m" in sub.columns else [None] * len(sub),
        }
        cfg = {"data": data, "technology": t, "color": STATION_COLORS.get(t, "#555555")}
        layer_cls(
            "stationsLayer",
            _js_json(cfg),
            name=_label("map.stations_layer", lang, technology=t,
                       n=_locale.number(len(sub), lang)),
            show=show,
            cluster=True,
        ).add_to(m)


def _add_fiber(
    m: Any, layer_cls: Any, fib: gpd.GeoDataFrame, tol: float | None, *, lang: str = "en"
) -> None:
    fib = _to_4326(fib, "result.fiber")
    arr = np.asarray(fib.geometry.values)
    has = ~(shapely.is_missing(arr) | shapely.is_empty(arr))
    kind = fib["kind"].astype(str).to_numpy() if "kind" in fib.columns else np.full(len(fib), "")
    tid = shapely.get_type_id(arr)
    lines = arr[has & np.isin(tid, [1, 2, 5])]
    nodes = shapely.point_on_surface(arr[has & np.isin(tid, [0, 4]) & (kind != "route")])
    if tol:
        lines = shapely.simplify(lines, tol / 111_320.0)
    lines = shapely.set_precision(lines, 1e-5, mode="pointwise") if len(lines) else lines
    cfg = {
        "routes": "__ROUTES__",
        "nodes": {"x": _nullable(shapely.get_x(nodes), 5), "y": _nullable(shapely.get_y(nodes), 5)},
        # nodes from the zoom where they stand well apart (farther apart when routes show
        # where the fiber is, which the nodes on them only repeat); routes thinner below it
        "minZoom": _detail_zoom(shapely.get_x(nodes), shapely.get_y(nodes),
                                px=60.0 if len(lines) else 20.0),
        "thinStyle": {"weight": 1.2, "opacity": 0.75},
        "routeStyle": {"color": FIBER_COLOR, "weight": 2.5, "opacity": 0.9},
        "nodeStyle": {
            "radius": 5 if len(nodes) <= 300 else 2.5,
            "color": "#ffffff",
            "weight": 1.5 if len(nodes) <= 300 else 0.5,
            "fillColor": FIBER_COLOR,
            "fillOpacity": 1.0,
        },
    }
    payload = _js_json(cfg).replace('"__ROUTES__"', _geojson_list(lines), 1)
    layer_cls(
        "fiberLayer", payload, name=_label("map.fiber_layer", lang,
                                          routes=_locale.number(len(lines), lang),
                                          nodes=_locale.number(len(nodes), lang))
    ).add_to(m)


def save_map(m: Any, path: str | os.PathLike[str]) -> Path:
    """Write the map as one self-contained HTML file (opens offline by double-click).

    Examples
    --------
    >>> import folium, tempfile, pathlib
    >>> out = save_map(folium.Map(tiles=None), pathlib.Path(tempfile.mkdtemp()) / "m.html")
    >>> "<script src=" in out.read_text(encoding="utf-8")
    False
    """
    folium = _import_folium()
    _offline_root(m, folium, None)
    path = Path(path)
    if path.parent and not path.parent.exists():
        raise DataSourceError(
            f"cannot write {path}: folder {path.parent} does not exist; create it first"
        )
    html = m.get_root().render()
    from .io import StagedFiles

    # under a temporary name, then renamed: a failure never leaves half a map in place of the
    # previous one (inside a run of geocov.analysis, it is put in place when the run ends)
    with StagedFiles() as stage:
        tmp = stage.path(path)
        tmp.write_text(html, encoding="utf-8")
        log.info("wrote %s (%.1f MB)", path, tmp.stat().st_size / 1e6)
    return path


#: Paper sizes of the printable view (mm, portrait).
PAPERS: dict[str, tuple[float, float]] = {"A4": (210.0, 297.0), "A3": (297.0, 420.0)}


def paper_size_px(paper: str, *, landscape: bool = True) -> tuple[int, int]:
    """Width and height of ``paper`` in CSS pixels (96 per inch), as the page lays it out.

    Examples
    --------
    >>> paper_size_px("A4"), paper_size_px("A3", landscape=False)
    ((1123, 794), (1123, 1587))
    """
    _check_choice("paper", paper, list(PAPERS))
    w_mm, h_mm = PAPERS[paper]
    if landscape:
        w_mm, h_mm = h_mm, w_mm
    return round(w_mm / 25.4 * 96), round(h_mm / 25.4 * 96)


def _print_page(m: Any, path: Path, paper: str, landscape: bool) -> Path:
    """The map's page as the printable view: no switcher, search or layer control; title,
    data date, legend, scale bar, north arrow, sources and credit on the sheet."""
    save_map(m, path)
    layout = {"paper": paper, "landscape": bool(landscape)}
    head = (
        f"<head>\n<script>window.GEOCOV_PRINT = {_js_json(layout)};</script>\n"
        f"<style>@page {{ size: {paper} {'landscape' if landscape else 'portrait'}; "
        f"margin: 0 }} html, body {{ margin: 0; }}</style>"
    )
    html = path.read_text(encoding="utf-8").replace("<head>", head, 1)
    path.write_text(html, encoding="utf-8")
    return path


def write_demo_maps(
    result: CoverageLike, folder: str | os.PathLike[str], **kwds: Any
) -> list[Path]:
    """Write one map per level of ``result`` into ``folder`` (``coverage_<level>.html``).

    ``folder`` is created when missing; ``kwds`` go to :func:`coverage_map`. Used by
    ``geocov demo``.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for level in result_levels(result):
        m = coverage_map(result, level=level, **kwds)
        written.append(save_map(m, folder / f"coverage_{level}.html"))
    return written


CHROMIUM_ENV = "GEOCOV_CHROMIUM"
#: Flags that run Chromium headless with no network at all (the map needs none).
CHROMIUM_OFFLINE_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--proxy-server=127.0.0.1:9",
    "--host-resolver-rules=MAP * ~NOTFOUND",
]


def find_chromium() -> str | None:
    """The Chromium executable: ``$GEOCOV_CHROMIUM``, else chromium/chrome on the PATH."""
    env = os.environ.get(CHROMIUM_ENV)
    if env:
        return env
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


def require_chromium() -> str:
    """:func:`find_chromium`, or a :class:`~geocov.errors.DataSourceError` saying how to
    install it (what :func:`save_png` needs)."""
    exe = find_chromium()
    if exe is None:
        raise DataSourceError(
            f"save_png needs Chromium and found none on the PATH; install it "
            f"(`apt-get install chromium`) or set {CHROMIUM_ENV} to a Chrome/Chromium executable"
        )
    return exe


def save_png(
    m: Any,
    path: str | os.PathLike[str],
    *,
    width: int = 1400,
    height: int = 900,
    wait_ms: int = 4000,
    offline: bool = True,
    paper: str | None = None,
    landscape: bool = True,
    scale: float = 2.0,
) -> Path:
    """Save the map view as a PNG (a screenshot in headless Chromium).

    Needs Chromium (``apt-get install chromium``, or set ``GEOCOV_CHROMIUM`` to a Chrome or
    Chromium executable). With ``offline=True`` (default) the browser has no network, so
    base tiles are not drawn; the map itself needs none.

    With ``paper`` ("A4" or "A3"; ``landscape`` or portrait) it is the **printable view**
    instead, what goes into a provincial report: the sheet's size (``width`` and
    ``height`` are ignored) at ``scale`` pixels per CSS pixel (2: about 190 dpi), with the
    title, data date, legend, scale bar, north arrow, sources and credit, and none of the
    map's controls.
    """
    if paper is not None:
        width, height = paper_size_px(paper, landscape=landscape)
    exe = require_chromium()
    with tempfile.TemporaryDirectory(prefix="geocov-png-") as tmp:
        if paper is None:
            html = save_map(m, Path(tmp) / "map.html")
            extra: list[str] = []
        else:
            html = _print_page(m, Path(tmp) / "map.html", paper, landscape)
            extra = [f"--force-device-scale-factor={float(scale):g}"]
        return _chromium_writes(exe, html, path, "--screenshot", size=(width, height),
                                wait_ms=wait_ms, offline=offline, flags=extra)


def save_pdf(
    m: Any,
    path: str | os.PathLike[str],
    *,
    paper: str = "A4",
    landscape: bool = True,
    wait_ms: int = 4000,
    offline: bool = True,
) -> Path:
    """Save the printable view of the map as a one-page PDF (headless Chromium).

    The sheet of ``paper`` ("A4" or "A3", ``landscape`` or portrait) holds the map with
    its title, data date, legend, scale bar, north arrow, sources and credit (see
    :func:`save_png` with ``paper=``); the units are vector shapes when the map was drawn
    with ``renderer="svg"``.
    """
    width, height = paper_size_px(paper, landscape=landscape)
    exe = require_chromium()
    with tempfile.TemporaryDirectory(prefix="geocov-pdf-") as tmp:
        html = _print_page(m, Path(tmp) / "map.html", paper, landscape)
        return _chromium_writes(exe, html, path, "--print-to-pdf", size=(width, height),
                                wait_ms=wait_ms, offline=offline,
                                flags=["--no-pdf-header-footer"])


def _chromium_writes(exe: str, html: Path, path: str | os.PathLike[str], output_flag: str, *,
                     size: tuple[int, int], wait_ms: int, offline: bool, flags: list[str]
                     ) -> Path:
    """Headless Chromium opens ``html`` (in its folder, with a fresh profile there) and
    writes ``path`` by ``output_flag`` (``--screenshot``, ``--print-to-pdf``), staged: under
    a temporary name beside it, renamed when Chromium has written it, so a failure leaves
    the previous file as it was."""
    from .io import StagedFiles

    path = Path(path).resolve()
    with StagedFiles() as stage:
        out = stage.path(path)
        cmd = [
            exe,
            *(CHROMIUM_OFFLINE_FLAGS if offline else CHROMIUM_OFFLINE_FLAGS[:10]),
            *flags,
            f"--user-data-dir={html.parent / 'profile'}",
            f"--window-size={size[0]},{size[1]}",
            f"--virtual-time-budget={int(wait_ms)}",
            f"{output_flag}={out}",
            html.as_uri(),
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if proc.returncode != 0 or not out.exists():
            raise DataSourceError(
                f"Chromium ({exe}) did not write {path} (exit {proc.returncode}): "
                f"{proc.stderr[-500:]}")
    return path
