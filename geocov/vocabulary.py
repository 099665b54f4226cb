"""The words geocov's tables are written in: technologies, layers, labels, columns, levels.

Every module that names a technology, a reported layer, a metric column or the levels of
a table takes the word from here, so that a new layer or a renamed column is one edit.

* **Technologies** (:data:`TECHNOLOGIES`): what a station radiates, worst to best.
* **Layers** (:data:`LAYERS`): what a coverage table reports, each a set of technologies:
  exactly one (``"2g"`` .. ``"5g"``), "T or better" (``"3g_plus"``, ``"4g_plus"``) or any
  signal (``"any"``).
* **Columns**: ``<measure>`` is one of :data:`MEASURES` (``"area"``, ``"villages"``,
  ``"population"``); :func:`covered_column` and :func:`pct_column` name its numerator and
  percentage for a layer, :data:`DENOMINATORS` its denominator.
* **Levels**: admin levels coarse → fine (:func:`unit_levels` finds them in a table,
  :func:`result_levels` in a coverage result); ``<level>_code`` / ``<level>_name``.
* **Results**: what maps read from a coverage result (:class:`CoverageLike`).
* **Sectors**: a station with a finite azimuth and a beamwidth under 360° radiates a
  wedge, any other a disc (:func:`is_sector`).

Nothing here imports more than NumPy and the catalogue of words (:mod:`geocov.locale`;
pandas only for the type of a table), so every module can use it.

Examples
--------
>>> LAYERS["4g_plus"]
('4G', '5G')
>>> covered_column("villages", "4g_plus"), pct_column("area", "any")
('villages_covered_4g_plus', 'area_pct_any')
>>> units_with_column("commune", "any"), units_with_column("commune", "3g")
('communes_with_signal', 'communes_with_3g')
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from .errors import SchemaError, hint
from .locale import catalogue

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd
    import pandas as pd

__all__ = [
    "TECHNOLOGIES",
    "LAYERS",
    "TECH_LAYERS",
    "TECH_LAYER",
    "LAYER_LABELS",
    "LAYER_NOUNS",
    "NO_SIGNAL",
    "MEASURES",
    "DENOMINATORS",
    "TOTAL",
    "code_column",
    "name_column",
    "covered_column",
    "pct_column",
    "units_column",
    "units_with_column",
    "stations_column",
    "metric_columns",
    "unit_levels",
    "result_levels",
    "UnknownLevelError",
    "check_level",
    "is_sector",
    "CoverageLike",
    "LABELS",
    "label",
    "level_label",
    "column_label",
    "column_kind",
    "layers_present",
]

#: Station technologies, worst to best (what :func:`geocov.read_stations` normalises to).
TECHNOLOGIES: tuple[str, ...] = ("2G", "3G", "4G", "5G")

#: Reported layer -> the technologies it counts (exact, "T or better", any signal).
LAYERS: dict[str, tuple[str, ...]] = {
    "2g": ("2G",),
    "3g": ("3G",),
    "4g": ("4G",),
    "5g": ("5G",),
    "3g_plus": ("3G", "4G", "5G"),
    "4g_plus": ("4G", "5G"),
    "any": TECHNOLOGIES,
}
#: The former name of :data:`LAYERS` (``geocov.coverage.TECH_LAYERS``).
TECH_LAYERS = LAYERS

#: Technology -> the layer that counts exactly it ("4G" -> "4g").
TECH_LAYER: dict[str, str] = {t: t.lower() for t in TECHNOLOGIES}

#: Layer -> words for a reader ("4g_plus" -> "4G or better"); the English ``layer.*``
#: entries of the catalogue (:mod:`geocov.locale`).
LAYER_LABELS: dict[str, str] = {k: catalogue()["en"][f"layer.{k}"] for k in LAYERS}
#: Layer -> the noun after "no" in a reason ("no 4G", "no signal"); ``noun.*`` there.
LAYER_NOUNS: dict[str, str] = {k: catalogue()["en"][f"noun.{k}"] for k in LAYERS}
#: ``best_technology`` of a village that no footprint reaches.
NO_SIGNAL = "none"

#: What a coverage table measures, each with a numerator per layer and one denominator.
MEASURES: tuple[str, ...] = ("area", "villages", "population")
#: Measure -> its denominator column.
DENOMINATORS: dict[str, str] = {
    "area": "area_km2",
    "villages": "villages",
    "population": "population",
}
_COVERED = {
    "area": "covered_area_km2_{}",
    "villages": "villages_covered_{}",
    "population": "population_covered_{}",
}
#: Name of the level of the whole study area in a coverage result.
TOTAL = "total"


# --------------------------------------------------------------------------- columns
def code_column(level: str) -> str:
    """``"<level>_code"``: the code of a unit of ``level``."""
    return f"{level}_code"


def name_column(level: str) -> str:
    """``"<level>_name"``: the name of a unit of ``level``."""
    return f"{level}_name"


def _check_measure(measure: str) -> None:
    if measure not in _COVERED:
        raise SchemaError(f"measure={measure!r} is not valid; use one of {', '.join(MEASURES)}")


def covered_column(measure: str, layer: str) -> str:
    """The numerator column of ``measure`` (one of :data:`MEASURES`) for ``layer``.

    Examples
    --------
    >>> [covered_column(m, "4g") for m in MEASURES]
    ['covered_area_km2_4g', 'villages_covered_4g', 'population_covered_4g']
    """
    _check_measure(measure)
    return _COVERED[measure].format(layer)


def pct_column(measure: str, layer: str) -> str:
    """The percentage column (0-100) of ``measure`` for ``layer``, e.g. ``villages_pct_4g``."""
    _check_measure(measure)
    return f"{measure}_pct_{layer}"


def units_column(finest: str) -> str:
    """The column counting finest units, named after the level (``"communes"``)."""
    return f"{finest}s"


def units_with_column(finest: str, layer: str) -> str:
    """The count of finest units that have ``layer`` (``"any"`` reads ``..._with_signal``)."""
    return f"{units_column(finest)}_with_{'signal' if layer == 'any' else layer}"


def stations_column(layer: str, *, outside: bool = False) -> str:
    """Stations of ``layer`` inside each unit (``outside=True``: outside the study area)."""
    return f"stations_{'outside_' if outside else ''}{layer}"


def metric_columns(finest: str, layers: Iterable[str] = tuple(LAYERS)) -> list[str]:
    """Every metric column of a coverage table, in table order (after the unit's codes).

    Examples
    --------
    >>> metric_columns("commune", ["4g"])[:4]
    ['area_km2', 'covered_area_km2_4g', 'area_pct_4g', 'villages']
    """
    layers = tuple(layers)
    cols: list[str] = []
    for measure in MEASURES:
        cols.append(DENOMINATORS[measure])
        if measure == "population":
            cols.append("population_source")
        cols += [c for t in layers for c in (covered_column(measure, t), pct_column(measure, t))]
    n = units_column(finest)
    cols += ["villages_fiber", "villages_fiber_pct", n, units_with_column(finest, "any")]
    cols += [units_with_column(finest, t) for t in layers if t != "any"]
    cols += [f"{n}_with_fiber"]
    cols += [stations_column(t) for t in layers]
    cols += [stations_column(t, outside=True) for t in layers]
    return cols


# --------------------------------------------------------------------------- labels
#: Words for a reader, per language: the one table that spreadsheet headers, sheet names,
#: summary sentences, map texts, reasons and CLI messages are taken from (:func:`label`,
#: :func:`column_label`, :func:`level_label`). It is the catalogue of :mod:`geocov.locale`
#: (``geocov/locale/en.toml``, ``vi.toml``: one file per language, the same keys and
#: ``{fields}`` in each); a language is one more file.
LABELS: dict[str, dict[str, str]] = catalogue()


def label(key: str, lang: str = "en", **fields: Any) -> str:
    """The words for ``key`` in ``lang`` with ``fields`` filled in.

    Raises :class:`SchemaError` for a language or key that :data:`LABELS` does not have.

    Examples
    --------
    >>> label("report.with", layer=label("layer.4g"))
    'With 4G'
    """
    if lang not in LABELS:
        raise SchemaError(f"lang={lang!r} is not available; use one of {', '.join(LABELS)}")
    words = LABELS[lang]
    if key not in words:
        raise SchemaError(f"no words for {key!r} in language {lang!r}")
    return words[key].format(**fields)


def level_label(level: str, *, plural: bool = False, lang: str = "en") -> str:
    """A level in words: ``"commune"`` -> ``"Commune"`` (``plural``: ``"Communes"``).

    Levels that :data:`LABELS` does not know read as their name, capitalised (plural:
    with an ``s``).

    Examples
    --------
    >>> level_label("district", plural=True), level_label("tinh"), level_label("total")
    ('Districts', 'Tinh', 'Study area')
    """
    key = f"{'levels' if plural else 'level'}.{level}"
    if key in LABELS.get(lang, {}):
        return label(key, lang)
    label("col.level", lang)  # checks the language
    word = level.replace("_", " ").strip().capitalize()
    return f"{word}s" if plural else word


_LAYER_RE = "|".join(sorted(LAYERS, key=len, reverse=True))
_COLUMN_PATTERNS: tuple[tuple[str, Any], ...] = tuple(
    (key, re.compile(pattern))
    for key, pattern in (
        ("col.covered.area", rf"^covered_area_km2_(?P<layer>{_LAYER_RE})$"),
        ("col.covered.villages", rf"^villages_covered_(?P<layer>{_LAYER_RE})$"),
        ("col.covered.population", rf"^population_covered_(?P<layer>{_LAYER_RE})$"),
        ("col.pct.area", rf"^area_pct_(?P<layer>{_LAYER_RE})$"),
        ("col.pct.villages", rf"^villages_pct_(?P<layer>{_LAYER_RE})$"),
        ("col.pct.population", rf"^population_pct_(?P<layer>{_LAYER_RE})$"),
        ("col.stations_outside", rf"^stations_outside_(?P<layer>{_LAYER_RE})$"),
        ("col.stations", rf"^stations_(?P<layer>{_LAYER_RE})$"),
        ("col.units_with_signal", r"^(?P<level>\w+?)s_with_signal$"),
        ("col.units_with_fiber", r"^(?P<level>\w+?)s_with_fiber$"),
        ("col.units_with", rf"^(?P<level>\w+?)s_with_(?P<layer>{_LAYER_RE})$"),
        ("col.code", r"^(?P<level>\w+)_code$"),
        ("col.name", r"^(?P<level>\w+)_name$"),
        ("col.units", r"^(?P<level>[a-z][a-z_]*?)s$"),
    )
)
_PLAIN_COLUMNS = {
    "level": "col.level",
    "name": "col.total_name",
    "operator": "col.operator",
    "area_km2": "col.area_km2",
    "villages": "col.villages",
    "population": "col.population",
    "population_source": "col.population_source",
    "villages_fiber": "col.villages_fiber",
    "villages_fiber_pct": "col.villages_fiber_pct",
}
#: Label key -> what the column holds (:func:`column_kind`).
_KINDS = {
    "col.code": "code",
    "col.name": "text",
    "col.level": "text",
    "col.total_name": "text",
    "col.operator": "text",
    "col.population_source": "text",
    "col.area_km2": "km2",
    "col.covered.area": "km2",
    "col.population": "people",
    "col.covered.population": "people",
    "col.pct.area": "pct",
    "col.pct.villages": "pct",
    "col.pct.population": "pct",
    "col.villages_fiber_pct": "pct",
}


# The columns of the priority list and the rollout plan (geocov.priorities, geocov.plan):
# name -> kind; the header is ``col.more.<name>`` of the catalogue.
_MORE_COLUMNS: dict[str, str] = {
    **dict.fromkeys(
        ("rank", "tier", "rank_in_tier", "operators_4g", "operators_any", "villages_listed",
         "villages_tier_unknown", "villages_no_signal", "villages_2g_only", "villages_3g",
         "villages_4g", "villages_shadowed", "villages_one_operator_4g",
         "villages_fiber_connected", "villages_fiber_not_connected", "villages_fiber_unknown",
         "villages_difficult", "villages_border", "top_tier", "top_rank", "step",
         "villages_newly_served", "sites_planned", "links_planned", "source_row"), "count"),
    **dict.fromkeys(("people_newly_served", "people_listed", "people", "people_4g",
                     "population_4g"), "people"),
    **dict.fromkeys(("villages_4g_pct", "people_4g_pct", "population_4g_pct"), "pct"),
    **dict.fromkeys(("distance_fiber_km", "distance_4g_site_km", "distance_town_km",
                     "cable_km", "distance_km"), "km"),
    **dict.fromkeys(("relief_m", "range_m", "antenna_height_m", "x_m", "y_m"), "m"),
    **dict.fromkeys(("slope_deg", "azimuth_deg", "beamwidth_deg"), "deg"),
    **dict.fromkeys(("lon", "lat"), "coord"),
    **dict.fromkeys(("priority_score", "remoteness_fiber", "remoteness_4g", "remoteness_town",
                     "remoteness_slope", "remoteness_score", "terrain_multiplier"), "score"),
    **dict.fromkeys(("shadowed", "has_power", "difficult", "border"), "flag"),
    **dict.fromkeys(
        ("tier_label", "service", "best_technology", "operators_4g_names", "fiber",
         "funding_route", "reason", "reason_codes", "option", "option_detail", "served",
         "nearest_town", "status", "detail", "summary", "section", "key", "value", "note",
         "top_village", "top_reason", "top_reason_codes", "top_option", "action", "item",
         "station_id", "candidate", "technology", "source_file", "link", "target", "to",
         "from", "route"), "text"),
}
_EACH = "upgrade|fiber|microwave|satellite"  # the options of a village, each priced


def _words_of(section: str) -> str:
    """``a|b|c``: the keys of a catalogue section (``priority.route`` -> its routes)."""
    keys = [k[len(section) + 1:] for k in LABELS["en"] if k.startswith(f"{section}.")]
    return "|".join(sorted(keys, key=len, reverse=True))


_MORE_PATTERNS: tuple[tuple[str, Any, str], ...] = tuple(
    (key, re.compile(pattern.format(routes=_words_of("priority.route"),
                                    options=_words_of("priority.option"))), kind)
    for key, pattern, kind in (
        ("col.more.villages_tier", r"^villages_tier_(?P<k>\d+)$", "count"),
        ("col.more.people_tier", r"^people_tier_(?P<k>\d+)$", "people"),
        ("col.more.villages_route", r"^villages_(?P<route>{routes})$", "count"),
        ("col.more.villages_option", r"^villages_option_(?P<option>{options})$", "count"),
        ("col.more.option_status", rf"^(?P<each>{_EACH})_status$", "text"),
        ("col.more.option_note", rf"^(?P<each>{_EACH})_note$", "text"),
        ("col.more.distance_tech", r"^distance_(?P<layer>2g|3g|4g|5g)_km$", "km"),
        ("col.more.population_within", r"^population_(?P<km>\d+(?:\.\d+)?)km$", "people"),
        ("col.money.each_cost", rf"^(?P<each>{_EACH})_cost_(?P<currency>usd|vnd)$", "money"),
        ("col.money.{base}", r"^(?P<base>[a-z_]+?)_(?P<currency>usd|vnd)$", "money"),
    )
)
#: A figure of the plan before or after it (``villages_4g_after``): the figure's kind.
_WHEN = re.compile(r"^(?P<base>.+)_(?P<when>before|after)$")


def _more_key(name: str) -> tuple[str, dict[str, str], str] | None:
    """The label key, fields and kind of a column of the priority list or the plan."""
    if name in _MORE_COLUMNS:
        return f"col.more.{name}", {}, _MORE_COLUMNS[name]
    for key, pattern, kind in _MORE_PATTERNS:
        m = pattern.match(name)
        if m:
            fields = m.groupdict()
            key = key.format(base=fields.get("base", ""))
            if key not in LABELS["en"]:
                continue
            if kind == "money":
                kind = fields["currency"]
            return key, fields, kind
    return None


def _column_key(name: str) -> tuple[str, dict[str, str]] | None:
    """The label key of a coverage-table column and its fields (None: not one)."""
    if name in _PLAIN_COLUMNS:
        return _PLAIN_COLUMNS[name], {}
    more = _more_key(name)
    if more is not None:
        return more[0], more[1]
    for key, pattern in _COLUMN_PATTERNS:
        m = pattern.match(name)
        if m:
            fields = m.groupdict()
            if fields.get("layer") == "any" and key in ("col.stations", "col.stations_outside"):
                key = f"{key}_any"
            return key, fields
    return None


def column_label(name: str, lang: str = "en") -> str:
    """The header a reader sees for the column ``name`` of a coverage table.

    Every column of :func:`metric_columns`, the ``<level>_code`` / ``<level>_name``
    columns, ``operator``, the total's ``level`` / ``name`` and the columns of the
    priority list and the plan (catalogue ``[col.more]``, ``[col.money]``: families such
    as ``villages_tier_<k>``, ``*_usd`` / ``*_vnd`` with the currency in the header,
    ``*_before`` / ``*_after``) have one; any other name is returned as it is. Labels are
    distinct for distinct columns, so a header leads back to its column.

    Examples
    --------
    >>> [column_label(c) for c in ("villages_covered_4g", "villages_pct_4g",
    ...                            "covered_area_km2_4g", "commune_code", "communes_with_signal")]
    ['Villages with 4G', '% villages with 4G', 'Area covered by 4G (km²)', 'Commune code',
     'Communes with signal']
    >>> column_label("stations_any"), column_label("my_column")
    ('All stations', 'my_column')
    >>> [column_label(c, "vi") for c in ("villages_pct_4g", "commune_code", "communes_with_4g")]
    ['% thôn có 4G', 'Mã xã', 'Số xã có 4G']
    >>> column_label("option_cost_vnd", "vi"), column_label("villages_4g_pct_after")
    ('Chi phí phương án (đồng)', '% villages with 4G, after the plan')
    """
    when = _WHEN.match(name)
    if when and _column_key(when["base"]) is not None:
        return label(f"col.when.{when['when']}", lang, what=column_label(when["base"], lang))
    found = _column_key(name)
    if found is None:
        label("col.level", lang)  # checks the language
        return name
    key, fields = found
    words: dict[str, str] = _more_words(fields, lang)
    if "layer" in fields:
        words["layer"] = label(f"layer.{fields['layer']}", lang)
    if "level" in fields:
        words["level"] = level_label(fields["level"], lang=lang)
        words["levels"] = level_label(fields["level"], plural=True, lang=lang)
        words["level_lower"] = words["level"].lower()  # "Mã xã": a level inside a phrase
        words["levels_lower"] = words["levels"].lower()
    return label(key, lang, **words)


def _more_words(fields: Mapping[str, str], lang: str) -> dict[str, str]:
    """The words of the fields of a priority-list or plan column's header."""
    from .locale import number

    words = {}
    if "k" in fields:
        words["k"] = fields["k"]
    if "route" in fields:
        words["route"] = label(f"priority.route.{fields['route']}", lang)
    if "option" in fields:
        words["option"] = label(f"priority.option.{fields['option']}", lang)
    if "each" in fields:
        words["each"] = label(f"col.option.{fields['each']}", lang)
    if "km" in fields:
        km = float(fields["km"])
        words["km"] = number(km, lang, digits=0 if km.is_integer() else 1)
    if "currency" in fields:
        cur = fields["currency"].upper()
        words["currency"] = label("priority.currency_vnd", lang) if cur == "VND" else cur
    return words


def column_kind(name: str) -> str:
    """What a column of a coverage table, the priority list or the plan holds, for
    formatting it (:data:`geocov.spreadsheet.KINDS`).

    ``"code"`` (text that keeps leading zeros), ``"text"``, ``"count"`` (a whole number:
    counts, ranks, tiers, steps), ``"people"`` (a number of people, shown whole),
    ``"km2"``, ``"pct"`` (a percentage, 0-100), ``"usd"`` / ``"vnd"`` (an amount in that
    currency: ``*_usd``, ``*_vnd``), ``"km"``, ``"m"``, ``"deg"``, ``"coord"`` (longitude,
    latitude), ``"score"`` or ``"flag"`` (yes/no); ``"other"`` for a column geocov does
    not know.

    Examples
    --------
    >>> [column_kind(c) for c in ("commune_code", "villages_covered_4g", "population",
    ...                           "area_km2", "villages_pct_any", "commune_name", "x")]
    ['code', 'count', 'people', 'km2', 'pct', 'text', 'other']
    >>> [column_kind(c) for c in ("reason_codes", "option_cost_vnd", "distance_4g_km",
    ...                           "villages_4g_pct_after")]
    ['text', 'vnd', 'km', 'pct']
    """
    when = _WHEN.match(name)
    if when and _column_key(when["base"]) is not None:
        return column_kind(when["base"])
    if name not in _PLAIN_COLUMNS:
        more = _more_key(name)
        if more is not None:
            return more[2]
    found = _column_key(name)
    if found is None:
        return "other"
    return _KINDS.get(found[0], "count")


def layers_present(technologies: Iterable[str]) -> tuple[str, ...]:
    """The layers worth reporting when the stations have ``technologies``.

    Every exact layer of a technology present, ``"any"`` always (no station: no signal
    anywhere is a figure too), and an "or better" layer only when it counts a set of
    technologies that no exact layer, ``"any"`` or a narrower "or better" layer counts
    already (with no 5G, "4G or better" is 4G). In :data:`LAYERS` order.

    Examples
    --------
    >>> layers_present(["2G", "3G", "4G"])
    ('2g', '3g', '4g', '3g_plus', 'any')
    >>> layers_present(["3G", "4G", "5G"]), layers_present([])
    (('3g', '4g', '5g', '4g_plus', 'any'), ('any',))
    """
    present = {str(t).upper() for t in technologies} & set(TECHNOLOGIES)
    counted = {layer: frozenset(techs) & present for layer, techs in LAYERS.items()}
    exact = [TECH_LAYER[t] for t in TECHNOLOGIES if t in present]
    seen = {counted[layer] for layer in exact} | {counted["any"], frozenset()}
    kept = set(exact) | {"any"}
    plus = [lv for lv in LAYERS if lv not in TECH_LAYER.values() and lv != "any"]
    for layer in sorted(plus, key=lambda lv: len(LAYERS[lv])):  # narrowest first
        if counted[layer] not in seen:
            kept.add(layer)
            seen.add(counted[layer])
    return tuple(lv for lv in LAYERS if lv in kept)


# --------------------------------------------------------------------------- levels
def unit_levels(table: pd.DataFrame, *, names: bool = True) -> tuple[str, ...]:
    """The admin levels of a units frame or coverage table, coarse → fine.

    The levels in ``table.attrs["geocov_levels"]`` (set by :func:`geocov.read_units`) that
    the table has columns for; else every ``<level>_code`` column (with its
    ``<level>_name`` when ``names``), coarsest = fewest distinct codes.

    Parameters
    ----------
    table : DataFrame
        Units (:func:`geocov.read_units`) or a coverage table (``result.table(level)``,
        which holds the codes of the level and its ancestors).
    names : bool, default True
        Count a level only when its name column is there too.

    Raises
    ------
    SchemaError
        No level can be found.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"commune_code": ["1", "2", "3"], "commune_name": ["a", "b", "c"],
    ...                   "province_code": ["9", "9", "9"], "province_name": ["P", "P", "P"]})
    >>> unit_levels(t)
    ('province', 'commune')
    >>> unit_levels(t[["province_code", "commune_code"]], names=False)
    ('province', 'commune')
    """
    cols = [str(c) for c in table.columns]
    present = set(cols)

    def has(level: str) -> bool:
        return code_column(level) in present and (not names or name_column(level) in present)

    attr = table.attrs.get("geocov_levels")
    if attr:
        found = [lv for lv in attr if has(lv)]
        if found:
            return tuple(found)
    suffix = len(code_column(""))
    found = [c[:-suffix] for c in cols if c.endswith(code_column("")) and has(c[:-suffix])]
    if not found:
        pairs = "<level>_code/<level>_name column pairs" if names else "<level>_code columns"
        raise SchemaError(
            f"cannot find admin levels: no {pairs} among {cols}. Read the units with "
            f"geocov.read_units, or pass a table from geocov.coverage(...).table(level)."
        )
    counts = [table[code_column(lv)].nunique() for lv in found]
    order = sorted(range(len(found)), key=lambda i: (counts[i], i))
    return tuple(found[i] for i in order)


def result_levels(result: Any) -> list[str]:
    """The unit levels of a coverage result, coarse → fine, without :data:`TOTAL`.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> result_levels(SimpleNamespace(levels=("province", "commune", "total")))
    ['province', 'commune']
    """
    return [lv for lv in getattr(result, "levels", ()) if lv != TOTAL]


def result_villages(result: Any, needed_by: str) -> Any:
    """The villages of a coverage result, or a :class:`SchemaError` saying that
    ``needed_by`` ("the priority list", "a plan") counts villages and how to give them.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> result_villages(SimpleNamespace(villages=None), "a plan")
    Traceback (most recent call last):
    ...
    geocov.errors.SchemaError: a plan counts villages, and this coverage result has none. \
Pass villages=geocov.read_villages(...) to geocov.coverage.
    """
    villages = getattr(result, "villages", None)
    if villages is None:
        raise SchemaError(
            f"{needed_by} counts villages, and this coverage result has none. "
            + hint("Pass villages=geocov.read_villages(...) to geocov.coverage.",
                   "Add a [villages] section (or --villages) to the analysis."))
    return villages


class UnknownLevelError(SchemaError):
    """A level that the units (or the coverage result) do not have.

    ``level`` is what was asked for, ``valid`` the levels there are (the CLI turns this
    error into a usage error of its ``--level`` option).
    """

    def __init__(self, message: str, *, level: str, valid: Sequence[str]):
        super().__init__(message)
        self.level = level
        self.valid = tuple(valid)


def check_level(level: str, levels: Sequence[str]) -> str:
    """Return ``level`` if it is one of ``levels``, else raise :class:`UnknownLevelError`.

    Examples
    --------
    >>> check_level("district", ["province", "district"])
    'district'
    >>> check_level("ward", ["province", "district"])
    Traceback (most recent call last):
    ...
    geocov.vocabulary.UnknownLevelError: 'ward' is not a level of these units; use one of ...
    """
    if level not in levels:
        raise UnknownLevelError(
            f"{level!r} is not a level of these units; use one of {', '.join(levels)}",
            level=level,
            valid=levels,
        )
    return level


# --------------------------------------------------------------------------- stations
def is_sector(azimuth_deg: Any, beamwidth_deg: Any) -> np.ndarray:
    """Which stations radiate a sector wedge rather than a disc.

    A sector has a finite azimuth and a finite beamwidth below 360°; a missing azimuth or
    beamwidth (NaN), or a beamwidth of 360° or more, means an omnidirectional disc.

    Examples
    --------
    >>> nan = float("nan")
    >>> is_sector([90.0, nan, 90.0, 0.0], [65.0, 65.0, nan, 360.0]).tolist()
    [True, False, False, False]
    """
    az = np.asarray(azimuth_deg, dtype=float)
    bw = np.asarray(beamwidth_deg, dtype=float)
    return np.isfinite(az) & np.isfinite(bw) & (bw < 360)


# --------------------------------------------------------------------------- results
@runtime_checkable
class CoverageLike(Protocol):
    """What :func:`geocov.coverage_map` (and the application layer) read from a result.

    :class:`geocov.CoverageResult` is one; anything with these attributes can be drawn
    (e.g. a result whose tables were changed for a report). ``table(level)`` is a
    GeoDataFrame with ``<level>_code``, ``<level>_name``, the codes and names of the
    ancestors and the metric columns (:func:`metric_columns`); ``villages``, ``stations``
    and ``fiber`` are the result's point/line layers (or None); ``metadata`` holds at
    least ``title``, ``data_date``, ``sources`` and ``model`` when known.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> isinstance(SimpleNamespace(levels=("commune", "total"), table=lambda lv: None,
    ...     villages=None, stations=None, fiber=None, metadata={}), CoverageLike)
    True
    """

    levels: Sequence[str]
    villages: gpd.GeoDataFrame | None
    stations: gpd.GeoDataFrame | None
    fiber: gpd.GeoDataFrame | None
    metadata: Mapping[str, Any]

    def table(self, level: str) -> gpd.GeoDataFrame:
        """One row per unit of ``level``."""
        ...
