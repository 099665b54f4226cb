"""Rollout priorities: every unserved village, its tier, its options and their cost, and why.

:func:`priorities` turns a coverage result into the list a province defends every year:
*which villages (thôn/bản) and communes do we connect next, with what, at what cost, and
why those?* The unit of account is the **village**; the list is rolled up to every unit
level (communes, and districts where the units have them). Everything is computed on
arrays (STRtree nearest/dwithin queries, NumPy), never village by village.

The model
---------
* **Service state** (per village, at its point): the best technology of the stations whose
  footprint (the exact disc or wedge coverage used) holds it: ``no signal`` / ``2G only`` /
  ``3G`` / ``4G`` (4G or 5G), with the operators giving it 4G ("one operator only"). With a
  DEM, a footprint serves the village only when the antenna sees it (line of sight over the
  terrain, :func:`geocov.terrain.line_of_sight`): a village inside a disc but behind a
  ridge is **shadowed** and counts as not served by that station.
* **Fiber**: ``connected`` / ``not connected`` from the fiber data, ``unknown`` without fiber
  data (or outside the area the fiber data covers): never "no fiber" without data.
* **Distances** (km, in the metric working CRS): to the nearest fiber node or route, to the
  nearest station of each technology, to the nearest 4G (or 5G) site, to the nearest town;
  people within 1, 2 and 5 km (villages' populations, or a population raster).
* **Towns**: villages within ``town_cluster_km`` of each other form a settlement cluster;
  a town is the most populous cluster of each district (of each province under two-level
  units), and any cluster of at least ``town_min_population`` people (4,000: the smallest
  urban area, type V, of Resolution 1210/2016/UBTVQH13).
* **Remoteness score** (0-100): the mean of the available components, each capped at 1:
  distance to fiber / 20 km, to the nearest 4G site / 10 km, to the nearest town / 20 km,
  mean slope around the village / 30° (DEM). Each component is a column. Units play no
  part in it, so it means the same under three-level and two-level units.
* **Programme attributes** (from your files, :func:`read_programme_attributes`): grid power
  (``has_power``/``có điện``), especially difficult status (village or commune; e.g. zone
  III lists), border commune. Absent: ``unknown``, never a guess.
* **Tier** (:data:`TIER_CONDITIONS`, overridable): the first of ``rules.tiers`` that holds;
  by default 1 ``no_signal``, 2 ``no_4g`` (2G/3G only), 3 ``no_fiber`` (after the
  Vietnamese programmes and BEAD's "unserved before underserved"). A condition that the
  data cannot decide (fiber unknown) leaves the tier ``unknown``.
* **Funding route** (:data:`FUNDING_ROUTES`): no grid power -> ``power first``; power and
  especially difficult -> ``public fund``; power and not difficult -> ``operator
  obligation``; a missing attribute -> ``unknown (...)``.
* **Options** (for each village without 4G; fiber extension for a 4G village without
  fiber), priced by :class:`geocov.costs.CostModel` over its horizon: upgrade an existing
  2G/3G site that reaches the village (within the 4G radius, and in sight with a DEM) to
  4G; a new site at the village with fiber, microwave or satellite backhaul. The cheapest
  feasible option is chosen; every other one carries the reason it was rejected or not
  assessed. An option's **newly served people** are those of the villages without 4G
  that its 4G footprint reaches (the 4G radius; in sight with a DEM).
* **Rank**: tiers in order; within a tier by ``priority_score``: with the default weights
  the lowest cost per newly served person first (BEAD); ``rules.weights`` add the people
  not served, remoteness and difficult status. Every rule and weight is in ``.model``.
* **Data completeness guard**: when stations, villages or fiber cover only part of the
  study area (a province of a multi-province run holds none of them while others do), a
  :class:`~geocov.errors.DataQualityWarning` says so and the list keeps only the units the
  station and village data cover (fiber outside its area is ``unknown``), unless
  ``rules.restrict_to_data`` is False. Within a covered province a remote corner is never
  dropped: being far from the stations is what the list is for.

:func:`flag_unconnected_remote` (the coverage map's flag without a priority list) is kept
as one table-level rule; it no longer claims "no fiber" without fiber data, and its
centroid rule is off by default (remoteness comes from infrastructure, not centroids).
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from . import locale as _locale
from .costs import CostModel, read_costs
from .crs import require_crs, working_crs
from .errors import (
    DataQualityWarning,
    Listing,
    SchemaError,
    Words,
    hint,
    hint_words,
    level_words,
    more_words,
)
from .io import (
    FLAG_VALUES_TEXT,
    RejectsReport,
    codes_as_text,
    count_rows_read,
    frame_from_source,
    parse_flags,
    reject_rows,
    resolve_columns,
    source_names,
)
from .villages import _ALIASES as _VILLAGE_ALIASES
from .vocabulary import (
    LAYERS,
    NO_SIGNAL,
    code_column,
    covered_column,
    level_label,
    name_column,
    result_levels,
    result_villages,
    stations_column,
    unit_levels,
    units_with_column,
)
from .vocabulary import TECHNOLOGIES as _STATION_TECHS
from .vocabulary import label as _label

__all__ = [
    "PriorityRules",
    "PriorityResult",
    "priorities",
    "read_programme_attributes",
    "TIER_CONDITIONS",
    "FUNDING_ROUTES",
    "REASON_CODES",
    "OPTIONS",
    "RemoteRules",
    "flag_unconnected_remote",
    "TECHNOLOGIES",
]

log = logging.getLogger(__name__)

#: Tier condition -> words (English; every language's words are the catalogue's
#: ``priority.condition.*``, :mod:`geocov.locale`). A tier is the first condition of
#: ``rules.tiers`` that holds.
TIER_CONDITIONS: dict[str, str] = {
    k: _label(f"priority.condition.{k}")
    for k in ("no_signal", "2g_only", "no_4g", "one_operator", "no_fiber")
}
#: Tier condition -> short words (sheet names: "tier 1 - no signal"; ``priority.short.*``).
TIER_SHORT: dict[str, str] = {k: _label(f"priority.short.{k}") for k in TIER_CONDITIONS}
#: Funding routes (after the public-utility telecom fund's split of the villages). The
#: villages' ``funding_route`` holds these English words in every language (a category to
#: filter on); summaries and maps say them in their language (``priority.route.*``).
FUNDING_ROUTES: dict[str, str] = {
    k: _label(f"priority.route.{k}")
    for k in ("public_fund", "operator_obligation", "power_first", "unknown_power",
              "unknown_difficult")
}
#: Reason code -> meaning.
REASON_CODES: dict[str, str] = {  # the words: catalogue entries priority.code.*
    k: _label(f"priority.code.{k}")
    for k in ("NO_SIGNAL", "TWO_G_ONLY", "THREE_G_ONLY", "SHADOWED", "ONE_OPERATOR", "NO_FIBER",
              "FIBER_UNKNOWN", "FIBER_FAR", "FAR_4G", "FAR_TOWN", "STEEP", "NO_POWER",
              "POWER_UNKNOWN", "DIFFICULT", "BORDER", "NO_PEOPLE")
}
#: Option key -> words (English, like :data:`FUNDING_ROUTES`; ``priority.option.*``).
OPTIONS: dict[str, str] = {
    k: _label(f"priority.option.{k}")
    for k in ("upgrade", "fiber", "microwave", "satellite", "fiber_extension")
}
_SERVICE = {NO_SIGNAL: "no signal", "2G": "2G only", "3G": "3G", "4G": "4G", "5G": "4G"}
_TECH_RANK = {t: k + 1 for k, t in enumerate(_STATION_TECHS)}  # 2G 1 .. 5G 4; none 0
_FOUR_G = _TECH_RANK["4G"]
_RX_HEIGHT_M = 1.5


# =========================================================================== rules
@dataclass(frozen=True)
class PriorityRules:
    """The rules of the priority list (all written into ``PriorityResult.model``).

    Parameters
    ----------
    tiers : sequence of str
        Tier conditions in order (keys of :data:`TIER_CONDITIONS`); default ``("no_signal",
        "no_4g", "no_fiber")``: 1 no signal, 2 2G/3G only, 3 no fiber.
    weights : mapping
        Weights of the priority score within a tier: ``cost`` (lowest cost per newly served
        person first), ``people`` (most people not served first), ``remoteness`` (most
        remote first), ``difficult`` (especially difficult first). Default cost 1, others 0:
        BEAD's rule alone.
    remoteness_weights : mapping
        Weights of the remoteness components ``fiber``, ``4g``, ``town``, ``slope``.
    fiber_scale_km, site_4g_scale_km, town_scale_km, slope_scale_deg : float
        Distance (or slope) at which a remoteness component reaches 1 (its maximum).
    far_fiber_km, far_4g_km, far_town_km, steep_deg : float
        Thresholds of the reason codes FIBER_FAR, FAR_4G, FAR_TOWN and STEEP.
    town_cluster_km, town_min_population : float
        Settlement clusters and towns (see the module docstring).
    population_radii_km : sequence of float
        Radii of the "people within" columns.
    restrict_to_data : bool, default True
        Keep only the units the station and village data cover: the data completeness
        guard checks the coarsest level (provinces) when the study area has several of its
        units; one that holds none of a layer's features is outside that layer's area.
    assume_line_of_sight : bool, default False
        Without a DEM, count microwave options as feasible (line of sight assumed) instead
        of "not assessed".
    antenna_height_m : float, default 30
        Antenna height of existing stations without ``antenna_height_m`` and of new sites
        (for the line of sight to villages, with a DEM).

    Examples
    --------
    >>> PriorityRules(tiers=["no_signal", "2g_only", "no_4g"]).tier_labels()
    ['1: no signal', '2: 2G only', '3: no 4G (2G/3G only)']
    """

    tiers: Sequence[str] = ("no_signal", "no_4g", "no_fiber")
    weights: Mapping[str, float] = field(
        default_factory=lambda: {"cost": 1.0, "people": 0.0, "remoteness": 0.0,
                                 "difficult": 0.0})
    remoteness_weights: Mapping[str, float] = field(
        default_factory=lambda: {"fiber": 1.0, "4g": 1.0, "town": 1.0, "slope": 1.0})
    fiber_scale_km: float = 20.0
    site_4g_scale_km: float = 10.0
    town_scale_km: float = 20.0
    slope_scale_deg: float = 30.0
    far_fiber_km: float = 10.0
    far_4g_km: float = 10.0
    far_town_km: float = 20.0
    steep_deg: float = 15.0
    town_cluster_km: float = 1.0
    town_min_population: float = 4000.0
    population_radii_km: Sequence[float] = (1.0, 2.0, 5.0)
    restrict_to_data: bool = True
    assume_line_of_sight: bool = False
    antenna_height_m: float = 30.0

    def __post_init__(self) -> None:
        tiers = tuple(self.tiers)
        bad = [t for t in tiers if t not in TIER_CONDITIONS]
        if bad or not tiers or len(set(tiers)) != len(tiers):
            raise SchemaError(
                f"PriorityRules.tiers={list(tiers)!r}: give distinct conditions from "
                f"{', '.join(TIER_CONDITIONS)}" + (f" (unknown: {bad})" if bad else ""))
        object.__setattr__(self, "tiers", tiers)
        for name, valid in (("weights", ("cost", "people", "remoteness", "difficult")),
                            ("remoteness_weights", ("fiber", "4g", "town", "slope"))):
            given = dict(getattr(self, name))
            unknown = sorted(set(given) - set(valid))
            if unknown:
                raise SchemaError(f"PriorityRules.{name}: unknown key(s) {unknown}; valid: "
                                  f"{', '.join(valid)}")
            merged = {k: 0.0 for k in valid} if name == "weights" else {k: 1.0 for k in valid}
            if name == "weights" and not given:
                merged["cost"] = 1.0
            merged.update({k: float(v) for k, v in given.items()})
            if any(not (math.isfinite(v) and v >= 0) for v in merged.values()) or not any(
                    merged.values()):
                raise SchemaError(f"PriorityRules.{name}={merged}: weights must be numbers "
                                  f">= 0, not all 0")
            object.__setattr__(self, name, merged)
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name.endswith(("_km", "_deg", "_population", "_m")) and not isinstance(
                    value, tuple) and not (
                    isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
                raise SchemaError(f"PriorityRules.{f.name}={value!r} must be a number >= 0")
        radii = tuple(float(r) for r in self.population_radii_km)
        if any(not (math.isfinite(r) and r > 0) for r in radii):
            raise SchemaError(f"PriorityRules.population_radii_km={radii!r}: radii must be > 0")
        object.__setattr__(self, "population_radii_km", radii)

    def tier_labels(self, lang: str = "en") -> list[str]:
        """``"<k>: <words>"`` for each tier, in ``lang`` ("en" or "vi").

        Examples
        --------
        >>> PriorityRules().tier_labels("vi")
        ['1: trắng sóng', '2: chưa có 4G (chỉ có 2G/3G)', '3: chưa có cáp quang']
        """
        return [_label("priority.tier", lang, k=k, words=_label(f"priority.condition.{t}", lang))
                for k, t in enumerate(self.tiers, 1)]

    def to_frame(self) -> pd.DataFrame:
        """The rules as ``key, value`` rows (for the model sheet)."""
        rows = []
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Mapping):
                value = ", ".join(f"{k} {v:g}" for k, v in value.items())
            elif isinstance(value, tuple):
                value = ", ".join(str(v) for v in value)
            rows.append({"key": f"rules.{f.name}", "value": str(value)})
        return pd.DataFrame(rows)


# =========================================================================== attributes
# Matched with io.fold_text (case, spaces, "_", brackets and diacritics ignored).
# The code columns are the villages reader's own aliases (geocov.read_villages).
_ATTR_ALIASES: dict[str, list[str]] = {
    "village_code": list(_VILLAGE_ALIASES["village_code"]),
    "unit_code": list(_VILLAGE_ALIASES["unit_code"]),
    "has_power": ["co_dien", "dien", "dien_luoi", "co_dien_luoi", "dien_luoi_quoc_gia",
                  "co_dien_luoi_quoc_gia", "grid_power", "power", "electricity",
                  "electrified"],
    "difficult": ["dbkk", "dac_biet_kho_khan", "thon_dbkk", "xa_dbkk", "thon_dac_biet_kho_khan",
                  "xa_dac_biet_kho_khan", "khu_vuc_iii", "kv3", "kv_iii", "xa_kv3",
                  "zone_iii", "especially_difficult", "extremely_difficult"],
    "border": ["bien_gioi", "xa_bien_gioi", "border_commune", "thon_bien_gioi"],
}
_FLAGS = ("has_power", "difficult", "border")


def read_programme_attributes(
    source: str | Path | pd.DataFrame,
    *,
    level: Literal["village", "unit"] = "village",
    columns: Mapping[str, str] | None = None,
    layer: str | int | None = None,
    encoding: str | None = None,
    rejects: RejectsReport | None = None,
) -> pd.DataFrame:
    """Read programme attributes (grid power, especially difficult, border) per village or unit.

    Columns are found by their aliases (case, spaces, brackets and diacritics ignored):

    * village_code (``level="village"``): code, ma_thon, village_id, ma_thon_ban, ma_ban;
      unit_code (``level="unit"``, the commune's code): commune_code, ma_xa, ward_code, ...;
    * has_power: co_dien (``Có điện``), dien_luoi, dien_luoi_quoc_gia, grid_power, power,
      electricity, electrified;
    * difficult: dbkk (``ĐBKK``), dac_biet_kho_khan, thon_dbkk, xa_dbkk, khu_vuc_iii,
      kv3, zone_iii, especially_difficult;
    * border: bien_gioi (``Biên giới``), xa_bien_gioi, border_commune.

    Values are read by :func:`geocov.io.parse_flags` (có/không, x marks, 1/0, yes/no...);
    a blank cell is unknown (NA). Any other value is an error naming the file, row, column
    and value (a reject in lenient mode).

    Parameters
    ----------
    source : path or DataFrame
        CSV/Excel/vector file (e.g. the villages file itself), or a frame.
    level : {"village", "unit"}
        Whether rows are villages (keyed by ``village_code``) or finest units (keyed by
        ``unit_code``, the commune's code).
    columns : mapping, optional
        Explicit column names, keys ``village_code``/``unit_code``, ``has_power``,
        ``difficult``, ``border``.
    layer, encoding : optional
        As in :func:`geocov.read_villages` (files only).
    rejects : RejectsReport, optional
        Lenient mode.

    Returns
    -------
    DataFrame
        ``village_code`` (or ``unit_code``), and those of ``has_power``, ``difficult``,
        ``border`` the file has (pandas nullable booleans: True, False or NA), plus
        ``source_file``, ``source_row``. ``attrs["geocov_attributes"]`` names the file's
        column of each attribute.

    Raises
    ------
    SchemaError
        No code column, no attribute column, duplicate codes, or unreadable values.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"Mã thôn": ["01", "02", "03"], "Có điện": ["có", "không", ""],
    ...                   "Thôn ĐBKK": ["x", "", "x"]})
    >>> a = read_programme_attributes(t)
    >>> a[["village_code", "has_power", "difficult"]].astype(object).values.tolist()
    [['01', True, True], ['02', False, False], ['03', <NA>, True]]
    """
    if level not in ("village", "unit"):
        raise SchemaError(f"level={level!r} is not valid; use 'village' or 'unit'")
    key = "village_code" if level == "village" else "unit_code"
    frame = frame_from_source(source, layer=layer, encoding=encoding)
    file = source_names(frame)
    count_rows_read(rejects, frame, f"{level} attributes")
    aliases = {key: _ATTR_ALIASES[key],
               **{k: _ATTR_ALIASES[k] for k in _FLAGS}}
    cols = resolve_columns(frame, aliases, given=columns, required=[key], file=file,
                           cli_option="--attributes-columns")
    present = [k for k in _FLAGS if k in cols]
    if not present:
        raise SchemaError(
            f"{file}: no programme attribute column (has_power: co_dien, dien_luoi, ...; "
            f"difficult: dbkk, dac_biet_kho_khan, khu_vuc_iii, ...; border: bien_gioi, ...). "
            f"Columns present: "
            f"{[c for c in frame.columns if c not in ('source_file', 'source_row')]}. "
            + hint("Pass columns={'has_power': '<column>'}.",
                   "Set [priorities] attributes_columns = { has_power = \"<column>\" }."))
    keep = np.ones(len(frame), dtype=bool)
    code = codes_as_text(frame[cols[key]])
    keep &= reject_rows(code.isna().to_numpy(), frame, column=cols[key], values=frame[cols[key]],
                        reason=f"no {key}", fix="Give every row the code it describes.",
                        rejects=rejects)
    out: dict[str, Any] = {key: code}
    for k in present:
        raw = frame[cols[k]]
        flag, unknown = parse_flags(raw)
        blank = raw.isna().to_numpy() | (raw.astype(str).str.strip() == "").to_numpy()
        bad = keep & unknown & ~blank
        keep &= reject_rows(bad, frame, column=cols[k], values=raw,
                            reason=f"not a yes/no value for {k}",
                            fix=f"Write {FLAG_VALUES_TEXT}; leave the cell empty if unknown.",
                            rejects=rejects)
        out[k] = pd.arrays.BooleanArray(np.asarray(flag, bool), np.asarray(unknown, bool))
    dup = keep & code.where(pd.Series(keep, index=code.index)).duplicated(keep="first").to_numpy()
    keep &= reject_rows(dup, frame, column=cols[key], values=code,
                        reason=f"duplicate {key} (the first row is kept in lenient mode)",
                        fix="Give each code one row.", rejects=rejects)
    result = pd.DataFrame(out)
    result["source_file"] = frame["source_file"].to_numpy()
    result["source_row"] = frame["source_row"].to_numpy()
    result = result[keep].reset_index(drop=True)
    result.attrs["geocov_attributes"] = {k: cols[k] for k in present}
    result.attrs["geocov_attributes_file"] = file
    return result


# =========================================================================== result
@dataclass
class PriorityResult:
    """The priority list: villages, units of every level, options, and the model.

    Attributes
    ----------
    villages : GeoDataFrame
        Every village of the area the data covers (EPSG:4326), listed ones first in rank
        order (``rank`` NA for a village that is served or whose tier is unknown).
    options : DataFrame
        One row per (village, option) assessed: ``village_code, option, status``
        (``chosen``, ``feasible``, ``rejected``, ``not assessed``), costs, newly served
        people and the reason.
    model : DataFrame
        ``section, key, value, note``: inputs used and missing, rules, weights, the cost
        table with its sources, and data notes (the completeness guard, the DEM).
    levels : tuple of str
        Unit levels, coarse to fine.
    currency : str
    lang : str
        Language of ``tier_label``, ``reason``, the options' details and ``top_reason``
        (and the default of :meth:`summary` and :meth:`write`); :meth:`with_lang` changes
        it.
    """

    villages: gpd.GeoDataFrame
    options: pd.DataFrame
    model: pd.DataFrame
    levels: tuple[str, ...]
    currency: str
    rules: PriorityRules
    costs: CostModel
    notes: tuple[str, ...] = ()
    lang: str = "en"
    _units: dict[str, gpd.GeoDataFrame] = field(default_factory=dict, repr=False)
    # language -> the villages' tier_label and reason in it (aligned with villages)
    _texts: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)
    # language -> the options' detail in it (aligned with options)
    _option_texts: dict[str, pd.Series] = field(default_factory=dict, repr=False)
    # language -> the model sheet in it
    _models: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    @property
    def finest(self) -> str:
        return self.levels[-1]

    def units(self, level: str | None = None) -> gpd.GeoDataFrame:
        """The roll-up to ``level`` (default the finest, e.g. communes), ranked."""
        level = level or self.finest
        if level not in self._units:
            raise SchemaError(f"unknown level {level!r}; valid levels are {list(self.levels)}")
        return self._units[level].copy()

    @property
    def communes(self) -> gpd.GeoDataFrame:
        """The roll-up to the finest level (communes, or wards)."""
        return self.units(self.finest)

    def listed(self, tiers: Sequence[int] | None = None) -> gpd.GeoDataFrame:
        """The listed villages (a known tier) in rank order, optionally only ``tiers``."""
        v = self.villages
        sel = v["tier"].notna().to_numpy().copy()
        if tiers is not None:
            sel &= v["tier"].isin([int(t) for t in tiers]).fillna(False).to_numpy(bool)
        return v[sel].reset_index(drop=True)

    def with_lang(self, lang: str) -> PriorityResult:
        """The same list with its words in ``lang`` ("en" or "vi"): the villages'
        ``tier_label``, ``reason``, ``option_detail`` and options' notes, the options'
        ``detail``, the units' ``top_reason``; every number and code is unchanged. Nothing
        is computed again.

        Examples
        --------
        >>> import geocov
        >>> p = geocov.priorities(geocov.run_analysis(geocov.sample_paths()["analysis"]))
        >>> vi = p.with_lang("vi")
        >>> vi.lang, vi.villages["reason_codes"].equals(p.villages["reason_codes"])
        ('vi', True)
        >>> vi.villages.loc[0, "reason"].split("; ")[0]
        'trắng sóng'
        """
        lang = _locale.check_lang(lang)
        if lang == self.lang:
            return self
        if lang not in self._texts:
            raise SchemaError(f"this priority list holds no words in {lang!r}; compute it with "
                              f"geocov.priorities(..., lang={lang!r})")
        from dataclasses import replace

        v = self.villages.copy()
        words = self._texts[lang]
        for c in _TEXTS:  # a loop over columns
            if c in v.columns:
                v[c] = words[c].to_numpy(object)
        options = self.options
        if lang in self._option_texts:
            options = options.copy()
            options["detail"] = self._option_texts[lang].to_numpy(object)
        listed = v["tier"].notna().to_numpy()
        units = {}
        for level, table in self._units.items():  # a loop over levels
            code = code_column(level)
            top = v[listed].drop_duplicates(code, keep="first").set_index(code)["reason"]
            table = table.copy()
            table["top_reason"] = top.reindex(table[code]).to_numpy()
            units[level] = table
        return replace(self, villages=v, options=options, lang=lang, _units=units,
                       model=self._models.get(lang, self.model))

    def summary(self, lang: str | None = None) -> str:
        """The list in a few sentences (counts, people, routes, options and their cost), in
        ``lang`` (default: the list's own, :attr:`lang`), numbers as the language writes
        them.

        Examples
        --------
        >>> import geocov
        >>> p = geocov.priorities(geocov.run_analysis(geocov.sample_paths()["analysis"]))
        >>> p.summary("vi").split("; ")[0]
        '1.500 thôn'
        """
        return _summary(self, _locale.check_lang(lang or self.lang))

    def write(
        self,
        folder: str | Path,
        *,
        formats: Sequence[str] = ("csv", "gpkg", "xlsx"),
        stem: str = "priorities",
        levels: Sequence[str] | None = None,
        tiers: Sequence[int] | None = None,
        lang: str | None = None,
    ) -> list[Path]:
        """Write the list: XLSX (summary, villages, one sheet per tier and per funding route,
        one per level, options, model, columns: each header's column name), CSV (UTF-8
        with BOM) and GeoPackage layers (``villages`` and one per level). ``lang`` (default
        :attr:`lang`): the language of the summary, the sheet names, the headers and the
        words of the tables (file names, layer names and column names stay the same; the
        workbook shows categories such as the funding route in ``lang``, the CSV keeps
        their English values). Returns the paths written."""
        p = self.with_lang(lang) if lang else self
        return _write(p, Path(folder), formats=formats, stem=stem, levels=levels, tiers=tiers)


def money_column(name: str, currency: str) -> str:
    """``"<name>_<currency>"`` in lower case, e.g. ``option_cost_vnd``."""
    return f"{name}_{currency.lower()}"


# =========================================================================== main
def priorities(
    result: Any,
    *,
    dem: Any = None,
    attributes: Any = None,
    unit_attributes: Any = None,
    rules: PriorityRules | None = None,
    costs: CostModel | str | Path | Mapping[str, Any] | None = None,
    currency: str | None = None,
    radius_m: float | Mapping[str, float] | None = None,
    population: str | Path | None = None,
    dem_resolution_m: float | None = None,
    lang: str = "en",
) -> PriorityResult:
    """The priority list of a coverage result (see the module docstring for the model).

    Parameters
    ----------
    result : CoverageResult
        From :func:`geocov.coverage` (or :func:`geocov.run_analysis`), with villages.
    dem : path or geocov.terrain.DEM, optional
        Elevation model (any CRS; read over the villages' area in the working CRS): line of
        sight (shadowed villages, upgrades, microwave hops) and slope/relief. Without it,
        line-of-sight options are "not assessed" and slopes unknown.
    attributes, unit_attributes : DataFrame or path, optional
        Programme attributes per village / per finest unit
        (:func:`read_programme_attributes`); a path is read with its defaults.
    rules : PriorityRules, optional
    costs : CostModel, path or mapping, optional
        The cost table (:func:`geocov.costs.read_costs`; default geocov's).
    currency : {"USD", "VND"}, optional
        Currency of the costs (default: the cost table's).
    radius_m : float or mapping, optional
        Footprint radius of a new or upgraded 4G site (m): one value or a mapping per
        technology over :data:`geocov.stations.DEFAULT_RADIUS_M` (as in
        :func:`geocov.coverage`; the "4G" entry is used).
    population : path, optional
        A population raster (people per pixel) for the "people within" columns; default the
        villages' populations.
    dem_resolution_m : float, optional
        Cell size of the DEM window (default the file's own).
    lang : {"en", "vi"}, default "en"
        Language of the words: the villages' ``tier_label`` and ``reason``, the units'
        ``top_reason``, the summary and the workbook's sheet names (numbers as the language
        writes them: ``vi`` "cáp quang gần nhất 12,4 km; 1.203 người"). ``reason_codes``
        and the category columns (``service``, ``fiber``, ``funding_route``, ``option``)
        are the same in every language. :meth:`PriorityResult.with_lang` gives the list in
        the other language without computing it again.

    Returns
    -------
    PriorityResult

    Raises
    ------
    SchemaError
        The result has no villages, or an option is out of range.

    Warns
    -----
    DataQualityWarning
        A layer covers only part of the study area (the data completeness guard).

    Examples
    --------
    >>> import geocov
    >>> result = geocov.run_analysis(geocov.sample_paths()["analysis"])
    >>> p = priorities(result)
    >>> top = p.villages.iloc[0]
    >>> int(top["rank"]), top["tier_label"], top["service"]
    (1, '1: no signal', 'no signal')
    >>> list(p.units("district").columns[:4])
    ['rank', 'province_code', 'province_name', 'district_code']
    >>> p.with_lang("vi").villages.iloc[0]["tier_label"]
    '1: trắng sóng'
    """
    lang = _locale.check_lang(lang)
    rules = PriorityRules() if rules is None else rules
    if not isinstance(rules, PriorityRules):
        raise SchemaError(f"rules must be a geocov.priorities.PriorityRules, got "
                          f"{type(rules).__name__}")
    cost_model = costs if isinstance(costs, CostModel) else read_costs(costs)
    if currency is not None:
        cost_model = cost_model.convert(currency)
    ctx = _Context.build(result, rules, cost_model, radius_m)
    notes: list[str] = []
    ctx.dem = _dem(dem, ctx, dem_resolution_m, notes)
    v = _villages_frame(ctx)
    _guard(ctx, v, notes)
    v = v[v["_in_area"].to_numpy()].reset_index(drop=True)
    ctx.restrict(v)
    _service(ctx, v)
    _fiber(ctx, v, notes)
    _distances(ctx, v, population, notes)
    _terrain(ctx, v, notes)
    _remoteness(ctx, v)
    _attributes(ctx, v, attributes, unit_attributes, notes)
    _tiers(ctx, v)
    options = _options(ctx, v)
    option_texts = {lg: options.pop(f"_detail_{lg}") for lg in _locale.LANGUAGES}
    options["detail"] = option_texts[lang].to_numpy(object)
    _rank(ctx, v)
    _texts(ctx, v, lang)
    villages = _finish_villages(ctx, v)
    texts = {lg: pd.DataFrame({c: villages[f"_{c}_{lg}"] for c in _TEXTS})
             for lg in _locale.LANGUAGES}
    villages = villages.drop(columns=[c for c in villages.columns
                                      if c.startswith(_TEXT_COLUMNS)])
    units = {lv: _rollup(ctx, villages, lv) for lv in ctx.levels}
    models = {lg: _model(ctx, notes, dem, attributes, unit_attributes, population, lg)
              for lg in _locale.LANGUAGES}
    return PriorityResult(villages=villages, options=options, model=models[lang],
                          levels=tuple(ctx.levels), currency=cost_model.currency, rules=rules,
                          costs=cost_model, notes=tuple(notes), lang=lang, _units=units,
                          _texts=texts, _option_texts=option_texts, _models=models)


# =========================================================================== context
@dataclass
class _Context:
    """What every stage reads: the result's layers in the working CRS, rules, costs."""

    result: Any
    rules: PriorityRules
    costs: CostModel
    levels: list[str]
    wcrs: CRS
    units: gpd.GeoDataFrame  # finest units, working CRS
    villages: gpd.GeoDataFrame  # result.villages (EPSG:4326)
    stations: gpd.GeoDataFrame | None
    s_xy: np.ndarray
    s_rank: np.ndarray  # technology rank per station (2G 1 .. 5G 4)
    fiber_geoms: np.ndarray  # fiber nodes and routes, working CRS (may be empty)
    fiber_known: bool  # fiber data given (geometry or codes)
    r4g_m: float
    dem: Any = None
    v_xy: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    area_notes: dict[str, str] = field(default_factory=dict)
    fiber_area: np.ndarray | None = None  # per village: inside the fiber data's area
    unit_keep: np.ndarray | None = None  # per finest unit: kept by the completeness guard
    town_note: str = ""

    @classmethod
    def build(cls, result: Any, rules: PriorityRules, costs: CostModel,
              radius_m: Any) -> _Context:
        villages = result_villages(result, "the priority list")
        levels = result_levels(result)
        units = result.units
        wcrs = CRS.from_user_input(result.metadata.get("working_crs") or working_crs(units))
        st = getattr(result, "stations", None)
        if st is not None and len(st):
            pts = st.geometry.to_crs(wcrs).values
            s_xy = np.column_stack([shapely.get_x(pts), shapely.get_y(pts)])
            s_rank = st["technology"].map(_TECH_RANK).fillna(0).to_numpy(np.int64)
        else:
            s_xy, s_rank = np.zeros((0, 2)), np.zeros(0, np.int64)
        fib = getattr(result, "fiber", None)
        fgeom = np.zeros(0, dtype=object)
        if fib is not None and len(fib):
            fgeom = np.asarray(fib.geometry.to_crs(wcrs).values)
            fgeom = fgeom[~(shapely.is_missing(fgeom) | shapely.is_empty(fgeom))]
        base = getattr(result, "base", None)
        fiber_known = bool(len(fgeom)) or (
            base is not None and "villages_fiber" in base and base["villages_fiber"].notna().any())
        from .stations import DEFAULT_RADIUS_M

        radii = dict(DEFAULT_RADIUS_M)
        if isinstance(radius_m, Mapping):
            radii.update({str(k): float(v) for k, v in radius_m.items()})
        elif radius_m is not None:
            radii = {k: float(radius_m) for k in radii}
        return cls(result=result, rules=rules, costs=costs, levels=levels, wcrs=wcrs,
                   units=units.to_crs(wcrs), villages=villages, stations=st, s_xy=s_xy,
                   s_rank=s_rank, fiber_geoms=fgeom, fiber_known=fiber_known,
                   r4g_m=float(radii["4G"]))

    def restrict(self, v: pd.DataFrame) -> None:
        self.v_xy = _xy(v)
        if self.fiber_area is not None:
            self.fiber_area = v["_fiber_area"].to_numpy(bool)


def _xy(v: pd.DataFrame) -> np.ndarray:
    """The villages' points (working CRS) as an (n, 2) array."""
    return np.column_stack([v["_x"].to_numpy(float), v["_y"].to_numpy(float)])


def _villages_frame(ctx: _Context) -> pd.DataFrame:
    """Villages with their units' codes and names (every level) and working-CRS points."""
    vil = ctx.villages
    pts = shapely.point_on_surface(np.asarray(vil.geometry.to_crs(ctx.wcrs).values))
    ll = shapely.point_on_surface(np.asarray(vil.geometry.to_crs(4326).values))
    finest = ctx.levels[-1]
    unit_cols = [c for lv in ctx.levels for c in (code_column(lv), name_column(lv))]
    lookup = pd.DataFrame(ctx.units[unit_cols]).astype(str).drop_duplicates(code_column(finest))
    frame = pd.DataFrame({
        code_column(finest): vil["unit_code"].astype(object).to_numpy(),
        "village_code": vil["village_code"].astype(str).to_numpy(),
        "village_name": vil["village_name"].astype(object).to_numpy(),
        "population": pd.to_numeric(vil["population"], errors="coerce").to_numpy(float),
        "_best_result": vil["best_technology"].astype(str).to_numpy(),
        "_fiber_result": vil["fiber"].fillna(False).to_numpy(bool),
        "_x": shapely.get_x(pts), "_y": shapely.get_y(pts),
        "lon": np.round(shapely.get_x(ll), 6), "lat": np.round(shapely.get_y(ll), 6),
    })
    frame = frame.merge(lookup, on=code_column(finest), how="left", sort=False)
    first = [c for c in unit_cols if c in frame.columns]
    frame = frame[first + [c for c in frame.columns if c not in first]]
    frame["_in_area"] = True
    return frame


# =========================================================================== DEM
def _dem(dem: Any, ctx: _Context, resolution_m: float | None, notes: list[str]) -> Any:
    if dem is None:
        notes.append("No DEM given: no line of sight (shadowed villages, upgrades and "
                     "microwave hops are not checked against the terrain) and no slope.")
        return None
    from .terrain import DEM, read_dem

    if isinstance(dem, DEM):
        if not dem.crs.equals(ctx.wcrs):
            raise SchemaError(f"the DEM is in {dem.crs.name}, the analysis works in "
                              f"{ctx.wcrs.name}; read it with geocov.terrain.read_dem(path, "
                              f"crs=<the working CRS>) or pass its path")
        return dem
    pts = shapely.point_on_surface(np.asarray(ctx.villages.geometry.to_crs(ctx.wcrs).values))
    xy = np.column_stack([shapely.get_x(pts), shapely.get_y(pts)])
    if not len(xy):
        return None
    margin = max(float(ctx.costs.get("microwave", "max_km")) * 1000.0,
                 float(np.max(ctx.result.stations["range_m"])) if ctx.stations is not None
                 and len(ctx.stations) else 0.0, ctx.r4g_m) + 1000.0
    bounds = _clip_to_file(dem, (xy[:, 0].min() - margin, xy[:, 1].min() - margin,
                                 xy[:, 0].max() + margin, xy[:, 1].max() + margin), ctx.wcrs)
    out = read_dem(dem, bounds=bounds, crs=ctx.wcrs, resolution_m=resolution_m)
    notes.append(f"DEM {out.source}: {out.shape[0]:,} x {out.shape[1]:,} cells of "
                 f"{out.cell_size_m[0]:.0f} m in {ctx.wcrs.name}"
                 + (f"; {out.nodata_note}" if out.nodata_note else "") + ".")
    return out


def _clip_to_file(path: Any, bounds: tuple[float, float, float, float], wcrs: CRS
                  ) -> tuple[float, float, float, float]:
    """``bounds`` cut to the raster file's own extent (in ``wcrs``), so that the window
    read is not padded with 'no data' beyond the file (pairs off the DEM are then not
    assessed rather than judged over invented sea-level ground)."""
    import rasterio
    from rasterio.warp import transform_bounds

    try:
        with rasterio.open(path) as src:
            if src.crs is None:
                return bounds
            fx0, fy0, fx1, fy1 = transform_bounds(src.crs, wcrs, *src.bounds, densify_pts=21)
    except Exception:  # noqa: BLE001 - read_dem reports unreadable files with the fix
        return bounds
    out = (max(bounds[0], fx0), max(bounds[1], fy0), min(bounds[2], fx1), min(bounds[3], fy1))
    return out if out[0] < out[2] and out[1] < out[3] else bounds


def _los(dem: Any, a_xy: np.ndarray, a_h: Any, b_xy: np.ndarray, b_h: Any, **kw: Any
         ) -> tuple[np.ndarray, np.ndarray]:
    """Adapter over :func:`geocov.terrain.line_of_sight` for pairs that may leave the DEM:
    ``(visible, assessed)``; pairs with an end off the DEM are not assessed."""
    n = len(a_xy)
    visible = np.zeros(n, dtype=bool)
    assessed = np.zeros(n, dtype=bool)
    if dem is None or n == 0:
        return visible, assessed
    from .terrain import line_of_sight

    minx, miny, maxx, maxy = dem.bounds
    inside = ((a_xy[:, 0] >= minx) & (a_xy[:, 0] <= maxx) & (a_xy[:, 1] >= miny)
              & (a_xy[:, 1] <= maxy) & (b_xy[:, 0] >= minx) & (b_xy[:, 0] <= maxx)
              & (b_xy[:, 1] >= miny) & (b_xy[:, 1] <= maxy))
    idx = np.flatnonzero(inside)
    if len(idx):
        ah = np.broadcast_to(np.asarray(a_h, float), (n,))[idx]
        bh = np.broadcast_to(np.asarray(b_h, float), (n,))[idx]
        los = line_of_sight(dem, a_xy[idx], ah, b_xy[idx], bh, **kw)
        visible[idx] = los.visible
        assessed[idx] = True
    return visible, assessed


# =========================================================================== guard
def _check_level(ctx: _Context) -> str | None:
    """The level the completeness guard checks: the coarsest (provinces), when the study area
    has more than one of its units and it is not the finest; None: nothing to compare."""
    lv = ctx.levels[0]
    if len(ctx.levels) > 1 and ctx.units[code_column(lv)].nunique() > 1:
        return lv
    return None


def _layer_area(features: np.ndarray, check_codes: np.ndarray, unit_geoms: np.ndarray
                ) -> np.ndarray:
    """Per finest unit: whether the unit of the checking level holding it holds any of the
    layer's features (a point inside it, a route crossing it)."""
    feats = features[~(shapely.is_missing(features) | shapely.is_empty(features))]
    if not len(feats):
        return np.zeros(len(unit_geoms), dtype=bool)
    _, ui = shapely.STRtree(unit_geoms).query(feats, predicate="intersects")
    return np.isin(check_codes, pd.unique(check_codes[ui]))


def _guard(ctx: _Context, v: pd.DataFrame, notes: list[str]) -> None:
    """The data completeness guard: warn when a layer covers part of the study area only."""
    units = ctx.units
    finest = ctx.levels[-1]
    n_units = len(units)
    fcodes = units[code_column(finest)].astype(str).to_numpy()
    v_unit = pd.Series(np.arange(n_units), index=fcodes).reindex(
        v[code_column(finest)].astype(str).to_numpy()).to_numpy()
    ok_unit = ~np.isnan(v_unit)
    vu = np.where(ok_unit, v_unit, 0).astype(np.int64)
    keep_units = np.ones(n_units, dtype=bool)
    level = _check_level(ctx)
    in_area: dict[str, np.ndarray] = {}
    if level is not None:
        geoms = np.asarray(units.geometry.values)
        check_codes = units[code_column(level)].astype(str).to_numpy()
        layers: dict[str, np.ndarray] = {"villages": shapely.points(_xy(v)) if len(v)
                                         else np.zeros(0, object)}
        if ctx.stations is not None:
            layers["stations"] = (shapely.points(ctx.s_xy) if len(ctx.s_xy)
                                  else np.zeros(0, object))
        if ctx.fiber_known:
            connected = v["_fiber_result"].to_numpy(bool)
            layers["fiber"] = np.concatenate([ctx.fiber_geoms, shapely.points(_xy(v)[connected])])
        in_area = {k: _layer_area(f, check_codes, geoms) for k, f in layers.items()}
        names = units.drop_duplicates(code_column(level)).set_index(code_column(level))[
            name_column(level)]
    plural = level_words(finest, plural=True)
    for name, inside in in_area.items():
        outside = int((~inside).sum())
        if not outside:
            continue
        restrict = ctx.rules.restrict_to_data and name != "fiber"
        out_codes = sorted(pd.unique(check_codes[~inside]))
        n_check = len(pd.unique(check_codes))
        if name == "fiber":
            effect: Words = Words("warning.data_fiber_unknown")
        elif restrict:
            effect = Words("warning.data_restricted", {
                "n": int(inside.sum()), "units": plural, "fix": hint_words("restrict_to_data")})
        else:
            effect = Words("warning.data_all_listed", {"unit": level_words(finest)})
        w = DataQualityWarning.of(
            "data_partial", data=Words(f"warning.data_{name}"), n_out=len(out_codes),
            n_check=n_check, levels=level_words(str(level), plural=True),
            shown=Listing([str(names.get(c, c)) for c in out_codes[:10]]),
            more=more_words(len(out_codes) - 10), outside=outside, n_units=n_units,
            units=plural, effect=effect)
        message = str(w)
        warnings.warn(w, stacklevel=3)
        notes.append("Data completeness: " + message)
        ctx.area_notes[name] = message
        if restrict:
            keep_units &= inside
    v["_in_area"] = ok_unit & keep_units[vu]
    if "fiber" in in_area:
        v["_fiber_area"] = ok_unit & in_area["fiber"][vu]
        ctx.fiber_area = v["_fiber_area"].to_numpy(bool)
    ctx.unit_keep = keep_units


# =========================================================================== service
def _service(ctx: _Context, v: pd.DataFrame) -> None:
    """Best technology, operators with 4G and any signal, shadowed, per village."""
    n = len(v)
    best = np.zeros(n, dtype=np.int64)
    best_disc = np.zeros(n, dtype=np.int64)
    ops4 = np.zeros(n, dtype=np.uint64)
    ops_any = np.zeros(n, dtype=np.uint64)
    op_names: list[str] = []
    st = ctx.stations
    if st is not None and len(st) and n:
        from .stations import covering_pairs

        az = st["azimuth_deg"].to_numpy(float) if "azimuth_deg" in st else np.full(len(st), np.nan)
        bw = (st["beamwidth_deg"].to_numpy(float) if "beamwidth_deg" in st
              else np.full(len(st), np.nan))
        pi, si = covering_pairs(ctx.v_xy, ctx.s_xy, st["range_m"].to_numpy(float), az, bw)
        rank = ctx.s_rank[si]
        np.maximum.at(best_disc, pi, rank)
        if ctx.dem is not None and len(pi):
            from .terrain import antenna_heights_m

            h = antenna_heights_m(st, default_m=ctx.rules.antenna_height_m)
            vis, assessed = _los(ctx.dem, ctx.s_xy[si], h[si], ctx.v_xy[pi], _RX_HEIGHT_M)
            served = vis | ~assessed
            pi, si, rank = pi[served], si[served], rank[served]
        np.maximum.at(best, pi, rank)
        op_codes, op_names_idx = pd.factorize(st["operator"].astype(str))
        op_names = [str(x) for x in op_names_idx]
        if len(op_names) > 64:
            raise SchemaError(f"stations: {len(op_names)} operators; at most 64 are supported")
        bit = np.left_shift(np.uint64(1), op_codes[si].astype(np.uint64))
        np.bitwise_or.at(ops_any, pi, bit)
        four = rank >= _FOUR_G
        np.bitwise_or.at(ops4, pi[four], bit[four])
    techs = np.array([NO_SIGNAL, *_STATION_TECHS], dtype=object)
    v["best_technology"] = techs[best]
    v["service"] = pd.Series(techs[best]).map(_SERVICE).to_numpy()
    v["operators_4g"] = _popcount(ops4)
    v["operators_4g_names"] = _mask_names(ops4, op_names)
    v["operators_any"] = _popcount(ops_any)
    v["shadowed"] = best < best_disc
    v["_best_rank"] = best
    v["_best_disc"] = best_disc
    if ctx.dem is None and (v["best_technology"] != v["_best_result"]).any():
        diff = int((v["best_technology"] != v["_best_result"]).sum())
        log.warning("%d villages' best technology differs from the coverage result's", diff)


def _popcount(bits: np.ndarray) -> np.ndarray:
    out = np.zeros(len(bits), dtype=np.int64)
    b = bits.copy()
    while b.any():  # at most 64 passes (bits), not a loop over villages
        out += (b & np.uint64(1)).astype(np.int64)
        b >>= np.uint64(1)
    return out


def _mask_names(bits: np.ndarray, names: list[str]) -> np.ndarray:
    uniq, inv = np.unique(bits, return_inverse=True)
    text = np.array([", ".join(names[k] for k in range(len(names)) if int(u) >> k & 1)
                     for u in uniq], dtype=object)  # one per distinct operator set
    return text[inv] if len(bits) else np.zeros(0, dtype=object)


# =========================================================================== fiber
def _fiber(ctx: _Context, v: pd.DataFrame, notes: list[str]) -> None:
    n = len(v)
    if not ctx.fiber_known:
        v["fiber"] = np.full(n, "unknown", dtype=object)
        notes.append("No fiber data given: every village's fiber status is 'unknown' (not "
                     "'not connected'), the 'no_fiber' tier cannot be decided and fiber "
                     "options are not assessed.")
        return
    state = np.where(v["_fiber_result"].to_numpy(bool), "connected", "not connected")
    if ctx.fiber_area is not None:
        state = np.where(ctx.fiber_area, state, "unknown")
    v["fiber"] = state.astype(object)
    if not len(ctx.fiber_geoms):
        notes.append("Fiber given as lists of connected places (no locations): distances to "
                     "fiber and fiber/microwave options to fiber are not assessed.")


# =========================================================================== distances
def _nearest_km(geoms: np.ndarray, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distance (km) from each point to the nearest geometry, and its index (-1: none)."""
    n = len(xy)
    dist = np.full(n, np.nan)
    idx = np.full(n, -1, dtype=np.int64)
    if not len(geoms) or not n:
        return dist, idx
    tree = shapely.STRtree(geoms)
    (qi, ti), d = tree.query_nearest(shapely.points(xy), return_distance=True,
                                     all_matches=False)
    dist[qi] = d / 1000.0
    idx[qi] = ti
    return dist, idx


def _distances(ctx: _Context, v: pd.DataFrame, population: Any, notes: list[str]) -> None:
    xy = ctx.v_xy
    n = len(v)
    d_fiber, fi = _nearest_km(ctx.fiber_geoms, xy)
    fiber_state = v["fiber"].to_numpy()
    d_fiber = np.where(fiber_state == "connected", 0.0, d_fiber)
    d_fiber = np.where(fiber_state == "unknown", np.nan, d_fiber)
    v["distance_fiber_km"] = d_fiber
    v["_fiber_idx"] = fi
    for tech in _STATION_TECHS:
        sel = ctx.s_rank == _TECH_RANK[tech]
        if sel.any():
            v[f"distance_{tech.lower()}_km"], _ = _nearest_km(shapely.points(ctx.s_xy[sel]), xy)
    four = np.flatnonzero(ctx.s_rank >= _FOUR_G)
    d4, i4 = _nearest_km(shapely.points(ctx.s_xy[four]) if len(four) else np.zeros(0, object),
                         xy)
    v["distance_4g_site_km"] = d4
    v["_site4g_idx"] = np.where(i4 >= 0, four[np.maximum(i4, 0)] if len(four) else -1, -1)
    pop = np.nan_to_num(v["population"].to_numpy(float))
    if population is not None:
        sums = _raster_within(population, ctx, xy, ctx.rules.population_radii_km)
        src = f"raster {Path(str(population)).name}"
    else:
        sums = _points_within(xy, pop, ctx.rules.population_radii_km)
        src = "villages' populations"
    for r, s in zip(ctx.rules.population_radii_km, sums, strict=True):
        v[f"population_{r:g}km"] = s
    notes.append(f"People within {', '.join(f'{r:g}' for r in ctx.rules.population_radii_km)} "
                 f"km of each village: from the {src}.")
    _towns(ctx, v, pop)
    if n and v["population"].isna().any():
        notes.append(f"{int(v['population'].isna().sum()):,} village(s) without a population: "
                     f"counted as 0 people (reason code NO_PEOPLE).")


def _points_within(xy: np.ndarray, weights: np.ndarray, radii_km: Sequence[float]
                   ) -> list[np.ndarray]:
    """Sum of ``weights`` of the points within each radius of each point (itself included)."""
    n = len(xy)
    if not n:
        return [np.zeros(0) for _ in radii_km]
    pts = shapely.points(xy)
    tree = shapely.STRtree(pts)
    rmax = max(radii_km) * 1000.0
    qi, ti = tree.query(pts, predicate="dwithin", distance=rmax)
    d = np.hypot(xy[qi, 0] - xy[ti, 0], xy[qi, 1] - xy[ti, 1])
    return [np.bincount(qi[d <= r * 1000.0], weights=weights[ti[d <= r * 1000.0]], minlength=n)
            for r in radii_km]


def _raster_within(path: Any, ctx: _Context, xy: np.ndarray, radii_km: Sequence[float]
                   ) -> list[np.ndarray]:
    """Sum of a population raster's pixels whose centres lie within each radius (a disc of
    pixel rows, each row's run summed from its cumulative sum: a loop over row offsets)."""
    import rasterio
    from pyproj import Transformer

    n = len(xy)
    with rasterio.open(path) as src:
        if src.crs is None:
            raise SchemaError(f"{path}: the population raster has no CRS; set one")
        rcrs = CRS.from_user_input(src.crs)
        tr = Transformer.from_crs(ctx.wcrs, rcrs, always_xy=True)
        px, py = tr.transform(xy[:, 0], xy[:, 1])
        t = src.transform
        band = src.read(1, masked=True).filled(0).astype(np.float64)
    band[~np.isfinite(band) | (band < 0)] = 0.0
    h, w = band.shape
    col = np.floor((np.asarray(px) - t.c) / t.a).astype(np.int64)
    row = np.floor((np.asarray(py) - t.f) / t.e).astype(np.int64)
    if rcrs.is_geographic:
        lat = np.radians(np.asarray(py))
        pw = abs(t.a) * 111_320.0 * np.cos(lat)
        ph = np.full(n, abs(t.e) * 110_574.0)
    else:
        k = rcrs.axis_info[0].unit_conversion_factor
        pw, ph = np.full(n, abs(t.a) * k), np.full(n, abs(t.e) * k)
    cums = np.zeros((h, w + 1))
    np.cumsum(band, axis=1, out=cums[:, 1:])
    out = []
    for r_km in radii_km:
        r = r_km * 1000.0
        total = np.zeros(n)
        kmax = int(np.ceil(np.max(r / ph))) if n else 0
        for dy in range(-kmax, kmax + 1):  # row offsets of the disc, not villages
            rr = row + dy
            half = np.sqrt(np.maximum(r * r - (dy * ph) ** 2, 0.0)) / pw
            ok = (rr >= 0) & (rr < h) & (np.abs(dy) * ph <= r)
            c0 = np.clip(np.ceil(col + 0.5 - half - 0.5).astype(np.int64), 0, w)
            c1 = np.clip(np.floor(col + 0.5 + half - 0.5).astype(np.int64) + 1, 0, w)
            rs = np.clip(rr, 0, h - 1)
            seg = cums[rs, c1] - cums[rs, np.minimum(c0, c1)]
            total += np.where(ok, seg, 0.0)
        out.append(total)
    return out


def _components(n: int, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Connected components of the graph with edges (i, j): a root label per node
    (hook roots to the smaller label, then pointer-jump; O(log n) rounds)."""
    labels = np.arange(n)
    if not len(i):
        return labels
    while True:
        li, lj = labels[i], labels[j]
        m = np.minimum(li, lj)
        new = labels.copy()
        np.minimum.at(new, li, m)
        np.minimum.at(new, lj, m)
        while True:
            nxt = new[new]
            if np.array_equal(nxt, new):
                break
            new = nxt
        if np.array_equal(new, labels):
            return labels
        labels = new


def _towns(ctx: _Context, v: pd.DataFrame, pop: np.ndarray) -> None:
    """Settlement clusters, towns, and each village's distance to the nearest town."""
    n = len(v)
    xy = ctx.v_xy
    if not n:
        v["distance_town_km"] = np.zeros(0)
        v["nearest_town"] = np.zeros(0, dtype=object)
        return
    pts = shapely.points(xy)
    tree = shapely.STRtree(pts)
    qi, ti = tree.query(pts, predicate="dwithin", distance=ctx.rules.town_cluster_km * 1000.0)
    sel = qi < ti
    label = _components(n, qi[sel], ti[sel])
    cpop = np.bincount(label, weights=pop, minlength=n)
    group_level = ctx.levels[-2] if len(ctx.levels) >= 2 else None
    group = (v[code_column(group_level)].astype(str).to_numpy() if group_level
             else np.zeros(n, dtype=object))
    frame = pd.DataFrame({"g": group, "c": label, "p": cpop[label]})
    top = frame.loc[frame.groupby("g", sort=False)["p"].idxmax(), "c"].to_numpy()
    is_town = np.zeros(n, dtype=bool)
    is_town[top] = True
    is_town |= cpop >= ctx.rules.town_min_population
    in_town = is_town[label]
    # each cluster's name: its most populous village
    order = np.lexsort((-pop, label))
    first = order[np.r_[True, label[order][1:] != label[order][:-1]]]
    cname = np.full(n, None, dtype=object)
    cname[label[first]] = v["village_name"].to_numpy()[first]
    town_idx = np.flatnonzero(in_town)
    d, k = _nearest_km(pts[town_idx], xy)
    v["distance_town_km"] = np.where(in_town, 0.0, d)
    v["nearest_town"] = np.where(k >= 0, cname[label[town_idx[np.maximum(k, 0)]]], None)
    v["_town"] = in_town
    ctx.town_note = (
        f"Towns: settlement clusters (villages within {ctx.rules.town_cluster_km:g} km of each "
        f"other); the most populous cluster of each {group_level or 'study area'} and every "
        f"cluster of {ctx.rules.town_min_population:,.0f}+ people: "
        f"{len(np.unique(label[in_town])):,} towns.")


# =========================================================================== terrain
def _terrain(ctx: _Context, v: pd.DataFrame, notes: list[str]) -> None:
    n = len(v)
    v["slope_deg"] = np.full(n, np.nan)
    v["relief_m"] = np.full(n, np.nan)
    if ctx.dem is None or not n:
        return
    z = ctx.dem.elevation.astype(np.float64)
    cw, ch = ctx.dem.cell_size_m
    h, w = z.shape
    gy, gx = np.gradient(z, ch, cw) if min(h, w) > 1 else (np.zeros_like(z), np.zeros_like(z))
    slope = np.degrees(np.arctan(np.hypot(gx, gy)))
    window = float(ctx.costs.get("terrain", "window_m"))
    kx, ky = max(1, int(round(window / cw))), max(1, int(round(window / ch)))
    px, py = ctx.dem.pixel(ctx.v_xy)
    inside = (px >= 0) & (px < w) & (py >= 0) & (py < h)
    c = np.clip(np.floor(px).astype(np.int64), 0, w - 1)
    r = np.clip(np.floor(py).astype(np.int64), 0, h - 1)
    r0, r1 = np.clip(r - ky, 0, h - 1), np.clip(r + ky, 0, h - 1)
    c0, c1 = np.clip(c - kx, 0, w - 1), np.clip(c + kx, 0, w - 1)
    integral = np.zeros((h + 1, w + 1))
    integral[1:, 1:] = slope.cumsum(0).cumsum(1)
    total = (integral[r1 + 1, c1 + 1] - integral[r0, c1 + 1] - integral[r1 + 1, c0]
             + integral[r0, c0])
    count = (r1 - r0 + 1) * (c1 - c0 + 1)
    v["slope_deg"] = np.where(inside, total / count, np.nan)
    zmax = _window_reduce(z, ky, kx, np.max)
    zmin = _window_reduce(z, ky, kx, np.min)
    v["relief_m"] = np.where(inside, zmax[r, c] - zmin[r, c], np.nan)
    notes.append(f"Slope and relief: mean slope of the DEM cells, and highest minus lowest "
                 f"elevation, within {window:g} m (a {2 * kx + 1} x {2 * ky + 1} cell square) "
                 f"of each village.")


def _window_reduce(z: np.ndarray, ky: int, kx: int, fn: Any) -> np.ndarray:
    """Max (or min) over a (2ky+1) x (2kx+1) window at every cell, edges clamped."""
    from numpy.lib.stride_tricks import sliding_window_view

    a = np.pad(z, ((ky, ky), (0, 0)), mode="edge")
    a = fn(sliding_window_view(a, 2 * ky + 1, axis=0), axis=-1)
    a = np.pad(a, ((0, 0), (kx, kx)), mode="edge")
    return fn(sliding_window_view(a, 2 * kx + 1, axis=1), axis=-1)


# =========================================================================== remoteness
def _remoteness(ctx: _Context, v: pd.DataFrame) -> None:
    r = ctx.rules
    comps = {
        "fiber": v["distance_fiber_km"].to_numpy(float) / r.fiber_scale_km,
        "4g": v["distance_4g_site_km"].to_numpy(float) / r.site_4g_scale_km,
        "town": v["distance_town_km"].to_numpy(float) / r.town_scale_km,
        "slope": v["slope_deg"].to_numpy(float) / r.slope_scale_deg,
    }
    num = np.zeros(len(v))
    den = np.zeros(len(v))
    for key, values in comps.items():
        c = np.minimum(values, 1.0)
        v[f"remoteness_{key}"] = np.round(c, 4)
        wgt = r.remoteness_weights[key]
        ok = np.isfinite(c)
        num += np.where(ok, wgt * np.nan_to_num(c), 0.0)
        den += np.where(ok, wgt, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        v["remoteness_score"] = np.round(np.where(den > 0, 100.0 * num / den, np.nan), 1)


# =========================================================================== attributes
def _read_attr(source: Any, level: str) -> pd.DataFrame | None:
    if source is None:
        return None
    if isinstance(source, pd.DataFrame) and any(k in source.columns for k in _FLAGS) and (
            ("village_code" if level == "village" else "unit_code") in source.columns):
        return source
    return read_programme_attributes(source, level=level)  # type: ignore[arg-type]


def _attributes(ctx: _Context, v: pd.DataFrame, attributes: Any, unit_attributes: Any,
                notes: list[str]) -> None:
    n = len(v)
    finest = ctx.levels[-1]
    va = _read_attr(attributes, "village")
    ua = _read_attr(unit_attributes, "unit")
    for k in _FLAGS:
        val = pd.array([pd.NA] * n, dtype="boolean")
        if ua is not None and k in ua.columns:
            m = ua.set_index("unit_code")[k]
            val = pd.array(m.reindex(v[code_column(finest)].astype(str)).to_numpy(),
                           dtype="boolean")
        if va is not None and k in va.columns:
            m = va.set_index("village_code")[k]
            own = pd.array(m.reindex(v["village_code"].astype(str)).to_numpy(), dtype="boolean")
            val = pd.array(np.where(pd.isna(own), val, own), dtype="boolean")
        v[k] = val
        known = int(pd.notna(val).sum())
        if known < n:
            notes.append(f"{TIER_ATTR_WORDS[k]}: unknown for {n - known:,} of {n:,} villages "
                         f"(no value in the attribute files) -> 'unknown', never guessed.")
    if va is None and ua is None:
        notes.append("No programme attributes given (grid power, especially difficult, "
                     "border): funding routes are 'unknown'. Give them with attributes= / "
                     "[priorities] attributes.")


TIER_ATTR_WORDS = {"has_power": "Grid power", "difficult": "Especially difficult status",
                   "border": "Border commune"}


# =========================================================================== tiers
def _conditions(v: pd.DataFrame) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Condition -> (value, unknown) arrays."""
    best = v["_best_rank"].to_numpy()
    n = len(v)
    none = np.zeros(n, dtype=bool)
    fiber = v["fiber"].to_numpy()
    return {
        "no_signal": (best == 0, none),
        "2g_only": (best == _TECH_RANK["2G"], none),
        "no_4g": (best < _FOUR_G, none),
        "one_operator": ((best >= _FOUR_G) & (v["operators_4g"].to_numpy() == 1), none),
        "no_fiber": (fiber == "not connected", fiber == "unknown"),
    }


def _tiers(ctx: _Context, v: pd.DataFrame) -> None:
    n = len(v)
    conds = _conditions(v)
    tier = np.zeros(n, dtype=np.int64)
    undecided = np.ones(n, dtype=bool)
    unknown_at = np.zeros(n, dtype=np.int64)
    for k, name in enumerate(ctx.rules.tiers, 1):  # a loop over tiers
        val, unk = conds[name]
        hit = undecided & (unknown_at == 0) & val & ~unk
        tier[hit] = k
        undecided &= ~hit
        unknown_at[undecided & (unknown_at == 0) & unk] = k
    v["tier"] = _int_na(tier, tier > 0)
    v["_unknown_at"] = np.where(tier == 0, unknown_at, 0)  # words: _tier_texts
    v["_tier_unknown"] = (tier == 0) & (unknown_at > 0)
    p_no, p_yes = _is(v["has_power"], False), _is(v["has_power"], True)
    d_no, d_yes = _is(v["difficult"], False), _is(v["difficult"], True)
    route = np.full(n, "", dtype=object)
    route[p_no] = FUNDING_ROUTES["power_first"]
    route[p_yes & d_yes] = FUNDING_ROUTES["public_fund"]
    route[p_yes & d_no] = FUNDING_ROUTES["operator_obligation"]
    route[p_yes & ~d_yes & ~d_no] = FUNDING_ROUTES["unknown_difficult"]
    route[~p_no & ~p_yes] = FUNDING_ROUTES["unknown_power"]
    route[tier == 0] = ""
    v["funding_route"] = route


# =========================================================================== options
def _options(ctx: _Context, v: pd.DataFrame) -> pd.DataFrame:
    """Every option of every village needing 4G (or fiber): cost, status, reason; the chosen
    one's columns on ``v``. Returns the long options table."""
    n = len(v)
    c = ctx.costs
    cur = c.currency
    pop = np.nan_to_num(v["population"].to_numpy(float))
    best = v["_best_rank"].to_numpy()
    needs4g = best < _FOUR_G
    fiber_state = v["fiber"].to_numpy()
    needs_fiber = ~needs4g & (fiber_state == "not connected")
    slope = v["slope_deg"].to_numpy(float)
    xy = ctx.v_xy
    ctx.r4g_m / 1000.0
    dem = ctx.dem
    parts: list[pd.DataFrame] = []

    # -- newly served people by a new 4G site at each village
    new_site_people: np.ndarray = np.zeros(n)
    if n:
        pts = shapely.points(xy)
        qi, ti = shapely.STRtree(pts).query(pts, predicate="dwithin", distance=ctx.r4g_m)
        d = np.hypot(xy[qi, 0] - xy[ti, 0], xy[qi, 1] - xy[ti, 1])
        keep = (d <= ctx.r4g_m) & needs4g[ti]
        qi, ti = qi[keep], ti[keep]
        if dem is not None and len(qi):
            far = qi != ti
            vis, assessed = _los(dem, xy[qi[far]], ctx.rules.antenna_height_m, xy[ti[far]],
                                 _RX_HEIGHT_M)
            ok = np.ones(len(qi), dtype=bool)
            ok[far] = vis | ~assessed
            qi, ti = qi[ok], ti[ok]
        new_site_people = np.bincount(qi, weights=pop[ti], minlength=n)

    # -- upgrade: existing 2G/3G sites (locations without a 4G/5G station) within the 4G radius
    up = _upgrade(ctx, v, needs4g, pop)
    up_capex, up_opex = c.site("upgrade")
    ok = up["feasible"]
    parts.append(_option_rows(v, "upgrade", needs4g, ok, up["not_assessed"], up["reason"],
                              np.where(ok, up_capex, np.nan), np.where(ok, up_opex, np.nan),
                              up["people"], c))

    site_capex, site_opex = c.site("new_site")
    # -- new site + fiber
    dist = v["distance_fiber_km"].to_numpy(float)
    f = c.fiber(dist, slope)
    max_fiber = float(c.get("fiber", "max_km"))
    fiber_na = np.isnan(dist)
    na_key = ("fiber_no_data" if not ctx.fiber_known else
              "fiber_lists" if not len(ctx.fiber_geoms) else "fiber_outside")
    at_village = fiber_state == "connected"
    reason = {}
    for lg in _locale.LANGUAGES:  # a loop over languages
        length = _lnum(f["length_km"], lg, 1)
        reason[lg] = np.where(fiber_na, _say(na_key, lg), np.where(
            f["feasible"],
            np.where(at_village, _say("fiber_connected", lg),
                     _say("fiber_cable", lg, km=length)
                     + np.where(f["multiplier"] != 1,
                                _say("fiber_terrain", lg,
                                     factor=_lnum(f["multiplier"], lg, 2)), "")),
            _say("fiber_far", lg, max_km=_gnum(max_fiber, lg), km=length))).astype(object)
    okf = f["feasible"] & ~fiber_na
    parts.append(_option_rows(v, "fiber", needs4g, okf, fiber_na, reason,
                              np.where(okf, site_capex + f["capex"], np.nan),
                              np.where(okf, site_opex + f["opex_per_year"], np.nan),
                              new_site_people, c))
    # -- fiber extension for a 4G village without fiber
    parts.append(_option_rows(v, "fiber_extension", needs_fiber, okf, fiber_na, reason,
                              np.where(okf, f["capex"], np.nan),
                              np.where(okf, f["opex_per_year"], np.nan), pop, c))

    # -- new site + microwave
    mw = _microwave(ctx, v)
    okm = mw["feasible"]
    parts.append(_option_rows(v, "microwave", needs4g, okm, mw["not_assessed"], mw["reason"],
                              np.where(okm, site_capex + mw["capex"], np.nan),
                              np.where(okm, site_opex + mw["opex_per_year"], np.nan),
                              new_site_people, c))
    # -- new site + satellite
    sat_capex, sat_opex = c.satellite()
    mbps = float(c.get("satellite", "mbps"))
    sat = {lg: np.full(n, _say("satellite", lg, mbps=_gnum(mbps, lg))
                       + ("" if dem is not None else _say("satellite_no_dem", lg)), dtype=object)
           for lg in _locale.LANGUAGES}
    parts.append(_option_rows(v, "satellite", needs4g, np.ones(n, bool), np.zeros(n, bool), sat,
                              np.full(n, site_capex + sat_capex), np.full(n, site_opex + sat_opex),
                              new_site_people, c))

    options = pd.concat(parts, ignore_index=True)
    cost_col = money_column("cost", cur)
    # -- the cheapest feasible option per village (ties: the order of OPTIONS)
    order_key = options["option"].map({k: i for i, k in enumerate(OPTIONS)})
    feas = options[options["status"] == "feasible"].assign(_o=order_key)
    feas = feas.sort_values(["_row", cost_col, "_o"], kind="stable")
    chosen = feas.drop_duplicates("_row", keep="first")
    options.loc[chosen.index, "status"] = "chosen"
    pick = chosen.set_index("_row")
    idx = np.arange(n)
    for src, dst in (("option", "option"),
                     *[(f"_detail_{lg}", f"_option_detail_{lg}") for lg in _locale.LANGUAGES],
                     (money_column("capex", cur), money_column("option_capex", cur)),
                     (money_column("opex_per_year", cur),
                      money_column("option_opex_per_year", cur)),
                     (cost_col, money_column("option_cost", cur)),
                     ("people_newly_served", "people_newly_served")):
        v[dst] = pick[src].reindex(idx).to_numpy()
    v["option"] = v["option"].map(OPTIONS)
    with np.errstate(invalid="ignore", divide="ignore"):
        people = v["people_newly_served"].to_numpy(float)
        v[money_column("cost_per_person", cur)] = np.where(
            people > 0, v[money_column("option_cost", cur)].to_numpy(float) / people, np.nan)
    # -- every option's status and note as columns, for a planner's filter
    for key in ("upgrade", "fiber", "microwave", "satellite"):
        sub = options[options["option"] == key].set_index("_row")
        v[f"{key}_status"] = sub["status"].reindex(idx).fillna("").to_numpy()
        v[money_column(f"{key}_cost", cur)] = sub[cost_col].reindex(idx).to_numpy()
        for lg in _locale.LANGUAGES:  # a loop over languages
            v[f"_{key}_note_{lg}"] = sub[f"_detail_{lg}"].reindex(idx).fillna("").to_numpy()
        v[f"{key}_note"] = v[f"_{key}_note_en"]
    v["option_detail"] = v["_option_detail_en"]
    options = options.merge(v[["village_code"]].reset_index(names="_row"), on="_row")
    options = options.drop(columns=["_row"])
    options["option"] = options["option"].map(OPTIONS)
    first = ["village_code", "option", "status"]
    return options[first + [c_ for c_ in options.columns if c_ not in first]]


def _option_rows(v: pd.DataFrame, key: str, applies: np.ndarray, feasible: np.ndarray,
                 not_assessed: np.ndarray, detail: dict[str, np.ndarray], capex: np.ndarray,
                 opex: np.ndarray, people: np.ndarray, c: CostModel) -> pd.DataFrame:
    rows = np.flatnonzero(applies)
    status = np.where(feasible[rows], "feasible",
                      np.where(not_assessed[rows], "not assessed", "rejected"))
    cap = np.where(status == "feasible", capex[rows], np.nan)
    opx = np.where(status == "feasible", opex[rows], np.nan)
    cur = c.currency
    return pd.DataFrame({
        "_row": rows,
        "option": key,
        "status": status,
        money_column("capex", cur): cap,
        money_column("opex_per_year", cur): opx,
        money_column("cost", cur): c.lifetime(cap, opx),
        "people_newly_served": np.where(status == "feasible", people[rows], np.nan),
        "detail": np.asarray(detail["en"], dtype=object)[rows],
        **{f"_detail_{lg}": np.asarray(d, dtype=object)[rows] for lg, d in detail.items()},
    })


def _is(values: pd.Series, flag: bool) -> np.ndarray:
    """Where a nullable boolean column is ``flag`` (NA: False), as a bool array."""
    b = values.astype("boolean")
    return (b if flag else ~b).fillna(False).to_numpy(dtype=bool)


def _int_na(values: Any, valid: Any) -> pd.arrays.IntegerArray:
    """A nullable integer array: ``values`` where ``valid``, NA elsewhere."""
    ok = np.asarray(valid, dtype=bool)
    vals = np.where(ok, np.nan_to_num(np.asarray(values, dtype=float)), 0).astype(np.int64)
    return pd.arrays.IntegerArray(vals, ~ok)


def _fmt_num(values: Any, digits: int) -> np.ndarray:
    s = pd.Series(np.asarray(values, dtype=float))
    return s.map(lambda x: "" if not math.isfinite(x) else f"{x:,.{digits}f}").to_numpy(object)


def _gnum(x: float, lang: str) -> str:
    """A setting's number as ``{x:g}`` writes it, with the decimal mark of ``lang``."""
    return f"{x:g}".replace(".", _locale.number_symbols(lang)["decimal"])


def _lnum(values: Any, lang: str, digits: int) -> np.ndarray:
    """Numbers as ``lang`` writes them, "" where missing (English: :func:`_fmt_num`)."""
    if lang == "en":
        return _fmt_num(values, digits)
    vals = np.asarray(values, dtype=float)
    return np.where(np.isfinite(vals), np.asarray(_nums(vals, lang, digits), dtype=object),
                    "").astype(object)


def _say(key: str, lang: str, **fields: Any) -> Any:
    """The catalogue's ``priority.detail.<key>`` in ``lang`` (:func:`_fill`)."""
    return _fill(f"priority.detail.{key}", lang, **fields)


def _fill(key: str, lang: str, **fields: Any) -> Any:
    """The catalogue's ``key`` in ``lang``, its array fields filled at array speed (the
    words around them are looked up once); a str if no field is an array."""
    arrays = {k: np.asarray(f, dtype=object) for k, f in fields.items() if np.ndim(f)}
    scalars = {k: f for k, f in fields.items() if not np.ndim(f)}
    text = _label(key, lang, **scalars, **{k: f"\0{k}\0" for k in arrays})
    if not arrays:
        return text
    pieces = text.split("\0")
    out = np.full(len(next(iter(arrays.values()))), pieces[0], dtype=object)
    for name, tail in zip(pieces[1::2], pieces[2::2], strict=True):  # a loop over fields
        out = out + arrays[name].astype(str).astype(object) + tail
    return out


def _each(n: int, key: str, **fields: Any) -> dict[str, np.ndarray]:
    """``key`` in every language, as arrays of ``n`` texts."""
    return {lg: np.full(n, _say(key, lg, **fields), dtype=object)
            for lg in _locale.LANGUAGES}


def _upgrade(ctx: _Context, v: pd.DataFrame, needs4g: np.ndarray, pop: np.ndarray
             ) -> dict[str, Any]:
    """The nearest existing 2G/3G site (a location without 4G/5G) in reach of each village."""
    n = len(v)
    r_km = ctx.r4g_m / 1000.0
    out: dict[str, Any] = {"feasible": np.zeros(n, bool), "not_assessed": np.zeros(n, bool),
                           "people": np.full(n, np.nan),
           "reason": {lg: np.full(n, _say("no_upgrade_site", lg, radius=_gnum(r_km, lg)),
                                  dtype=object) for lg in _locale.LANGUAGES}}
    st = ctx.stations
    if st is None or not len(st) or not n:
        if st is None:
            out["reason"] = _each(n, "no_station_data")
            out["not_assessed"][:] = True
        return out
    key = np.round(ctx.s_xy, 0)
    loc, inv = np.unique(key, axis=0, return_inverse=True)
    inv = inv.reshape(-1)
    loc_rank = np.zeros(len(loc), dtype=np.int64)
    np.maximum.at(loc_rank, inv, ctx.s_rank)
    cand = np.flatnonzero((loc_rank > 0) & (loc_rank < _FOUR_G))
    if not len(cand):
        return out
    # representative station of each location: its first row
    first = np.full(len(loc), -1, dtype=np.int64)
    order = np.argsort(inv, kind="stable")
    starts = np.r_[True, inv[order][1:] != inv[order][:-1]]
    first[inv[order][starts]] = order[starts]
    from .terrain import antenna_heights_m

    heights = antenna_heights_m(st, default_m=ctx.rules.antenna_height_m)
    loc_h = np.zeros(len(loc))
    np.maximum.at(loc_h, inv, heights)
    tree = shapely.STRtree(shapely.points(ctx.v_xy))
    si, vi = tree.query(shapely.points(loc[cand]), predicate="dwithin", distance=ctx.r4g_m)
    d = np.hypot(ctx.v_xy[vi, 0] - loc[cand[si], 0], ctx.v_xy[vi, 1] - loc[cand[si], 1])
    sel = (d <= ctx.r4g_m) & needs4g[vi]
    si, vi, d = si[sel], vi[sel], d[sel]
    in_reach = np.zeros(n, dtype=bool)
    in_reach[vi] = True
    nearest_any = np.full(n, np.inf)
    np.minimum.at(nearest_any, vi, d)
    if ctx.dem is not None and len(si):
        vis, assessed = _los(ctx.dem, loc[cand[si]], loc_h[cand[si]], ctx.v_xy[vi], _RX_HEIGHT_M)
        ok = vis | ~assessed
        si, vi, d = si[ok], vi[ok], d[ok]
    gain = np.bincount(si, weights=pop[vi], minlength=len(cand))
    o = np.lexsort((d, vi))
    si, vi, d = si[o], vi[o], d[o]
    firsts = np.r_[True, vi[1:] != vi[:-1]] if len(vi) else np.zeros(0, bool)
    bv, bs, bd = vi[firsts], si[firsts], d[firsts]
    out["feasible"][bv] = True
    out["people"][bv] = gain[bs]
    rep = first[cand[bs]]
    ids = st["station_id"].astype(str).to_numpy()[rep]
    tech = st["technology"].astype(str).to_numpy()[rep]
    blocked = in_reach & ~out["feasible"]
    for lg in _locale.LANGUAGES:  # a loop over languages
        out["reason"][lg][bv] = _say("upgrade_site", lg, station=ids.astype(object),
                                     technology=tech.astype(object),
                                     km=_lnum(bd / 1000.0, lg, 1))
        out["reason"][lg][blocked] = _say("upgrade_blocked", lg, radius=_gnum(r_km, lg),
                                          km=_lnum(nearest_any[blocked] / 1000.0, lg, 1))
    return out


def _microwave(ctx: _Context, v: pd.DataFrame) -> dict[str, Any]:
    """A hop to the nearest fiber point or existing 4G site (the nearest one in sight)."""
    n = len(v)
    c = ctx.costs
    max_km = float(c.get("microwave", "max_km"))
    xy = ctx.v_xy
    cands: list[tuple[str, np.ndarray, np.ndarray]] = []  # (kind, hub xy, distance km)
    if len(ctx.fiber_geoms) and n:
        fi = v["_fiber_idx"].to_numpy()  # the nearest fiber geometry, from _distances
        lines = shapely.shortest_line(shapely.points(xy), ctx.fiber_geoms[np.maximum(fi, 0)])
        hub = shapely.get_coordinates(shapely.get_point(lines, 1))
        dist = np.hypot(hub[:, 0] - xy[:, 0], hub[:, 1] - xy[:, 1]) / 1000.0
        cands.append(("fiber", hub, np.where(fi >= 0, dist, np.nan)))
    i4 = v["_site4g_idx"].to_numpy()
    if (i4 >= 0).any():
        hub = ctx.s_xy[np.maximum(i4, 0)]
        cands.append(("4G site", hub, np.where(i4 >= 0, v["distance_4g_site_km"].to_numpy(float),
                                               np.nan)))
    mast = float(c.get("microwave", "mast_height_m"))
    frac = float(c.get("microwave", "fresnel_fraction"))
    freq = float(c.get("microwave", "frequency_mhz"))
    best_d = np.full(n, np.nan)
    best_kind = np.full(n, "", dtype=object)
    any_in_range = np.zeros(n, dtype=bool)
    any_unassessed = np.zeros(n, dtype=bool)
    nearest = np.full(n, np.inf)
    for kind, hub, dist in cands:  # at most two kinds of hub
        in_range = np.isfinite(dist) & (dist <= max_km)
        nearest = np.fmin(nearest, np.where(np.isfinite(dist), dist, np.inf))
        any_in_range |= in_range
        if ctx.dem is not None:
            idx = np.flatnonzero(in_range)
            vis, assessed = _los(ctx.dem, xy[idx], mast, hub[idx], mast,
                                 fresnel_fraction=frac, frequency_mhz=freq)
            ok = np.zeros(n, dtype=bool)
            ok[idx] = vis & assessed
            any_unassessed[idx[~assessed]] = True
        else:
            ok = in_range
        better = ok & ~(dist >= best_d)  # NaN best_d: take it
        best_d = np.where(better, dist, best_d)
        best_kind = np.where(better, kind, best_kind)
    mwc = c.microwave(best_d)
    feasible = np.isfinite(best_d) & mwc["feasible"]
    not_assessed = np.zeros(n, dtype=bool)
    bounds = [float(b) for b in c.get("microwave", "class_max_km")]
    cls = np.clip(mwc["distance_class"], 0, len(bounds))
    if not cands:
        reason = _each(n, "microwave_nothing")
        not_assessed[:] = True
    else:
        reason = {lg: np.asarray(_say("microwave_far", lg, max_km=_gnum(max_km, lg),
                                      km=_lnum(nearest, lg, 1)), dtype=object)
                  for lg in _locale.LANGUAGES}
        if ctx.dem is None:
            if not ctx.rules.assume_line_of_sight:
                for lg in _locale.LANGUAGES:  # a loop over languages
                    reason[lg][any_in_range] = _say("microwave_no_dem", lg)
                not_assessed |= any_in_range
                feasible &= False
        else:
            blocked = any_in_range & ~feasible
            only_na = blocked & any_unassessed
            for lg in _locale.LANGUAGES:  # a loop over languages
                reason[lg][blocked] = _say("microwave_blocked", lg, max_km=_gnum(max_km, lg),
                                           km=_lnum(nearest[blocked], lg, 1))
                reason[lg][only_na] = _say("microwave_off_dem", lg)
            not_assessed |= only_na
    hubs = np.where(best_kind[feasible] == "fiber", "hub_fiber", "hub_4g")
    for lg in _locale.LANGUAGES:  # a loop over languages
        labels = np.array([_say("class_first", lg, km=_gnum(bounds[0], lg))] + [
            _say("class_range", lg, lo=_gnum(lo, lg), hi=_gnum(hi, lg))
            for lo, hi in zip(bounds, bounds[1:], strict=False)], dtype=object)
        hub = np.array([_say(h, lg) for h in ("hub_fiber", "hub_4g")], dtype=object)
        reason[lg][feasible] = _say(
            "microwave_hop", lg, km=_lnum(best_d[feasible], lg, 1),
            hub=hub[(hubs == "hub_4g").astype(int)],
            distance_class=labels[np.minimum(cls[feasible], len(labels) - 1)]) + (
            "" if ctx.dem is not None else _say("microwave_assumed", lg))
    return {"feasible": feasible, "not_assessed": not_assessed, "reason": reason,
            "capex": np.where(feasible, mwc["capex"], np.nan),
            "opex_per_year": np.where(feasible, mwc["opex_per_year"], np.nan)}


# =========================================================================== rank
def _pct_rank(values: np.ndarray, groups: np.ndarray, ascending: bool) -> np.ndarray:
    """Within each group: 0 (first) .. 1 (last) by value; non-finite values 1 (last)."""
    s = pd.Series(np.where(np.isfinite(values), values, np.nan))
    g = pd.Series(groups)
    r = s.groupby(g).rank(method="min", ascending=ascending)
    cnt = s.groupby(g).transform("count")
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(cnt > 1, (r - 1) / (cnt - 1), 0.0)
    return np.where(np.isfinite(values), out, 1.0)


def _rank(ctx: _Context, v: pd.DataFrame) -> None:
    cur = ctx.costs.currency
    w = ctx.rules.weights
    tier = v["tier"].to_numpy(dtype=float, na_value=np.nan)
    groups = np.where(np.isfinite(tier), tier, -1)
    cpp = v[money_column("cost_per_person", cur)].to_numpy(float)
    people = np.nan_to_num(v["population"].to_numpy(float))
    comps = {
        "cost": 1.0 - _pct_rank(cpp, groups, ascending=True),
        "people": 1.0 - _pct_rank(people, groups, ascending=False),
        "remoteness": np.nan_to_num(v["remoteness_score"].to_numpy(float)) / 100.0,
        "difficult": _is(v["difficult"], True).astype(float),
    }
    total = sum(w.values())
    score = sum(w[k] * comps[k] for k in comps) / total
    v["priority_score"] = np.round(100.0 * score, 2)
    listed = np.isfinite(tier)
    order = np.lexsort((v["village_code"].astype(str).to_numpy(), -people,
                        np.where(np.isfinite(cpp), cpp, np.inf), -score,
                        np.where(listed, tier, np.inf)))
    rank = np.empty(len(v), dtype=np.int64)
    rank[order] = np.arange(1, len(v) + 1)
    v["rank"] = _int_na(rank, listed)
    within = pd.Series(np.where(listed, rank, np.nan)).groupby(groups).rank(method="first")
    v["rank_in_tier"] = _int_na(np.nan_to_num(within.to_numpy(float)), listed)


# =========================================================================== reasons
def _join(acc: np.ndarray, part: np.ndarray, sep: str) -> np.ndarray:
    both = (acc != "") & (part != "")
    return np.where(both, acc + sep + part, acc + part)


def _filled(key: str, lang: str, field_name: str, values: Any, **fields: Any) -> np.ndarray:
    """The catalogue's ``key`` in ``lang`` with ``field_name`` filled from ``values`` (one
    text per value, at array speed: the words around the field are looked up once)."""
    head, tail = _label(key, lang, **{field_name: "\0"}, **fields).split("\0")
    return (head + pd.Series(values, dtype=object).astype(str) + tail).to_numpy(object)


def _nums(values: Any, lang: str, digits: int) -> list[str]:
    """Numbers as ``lang`` writes them (:func:`geocov.locale.numbers`)."""
    return _locale.numbers(np.asarray(values, dtype=float), lang, digits=digits)


def _tier_texts(rules: PriorityRules, v: pd.DataFrame, lang: str) -> np.ndarray:
    """Each village's ``tier_label`` in ``lang``: "1: no signal", "unknown: tier 3 if no
    fiber (no fiber data)", "not listed: served"."""
    tier = v["tier"].to_numpy(dtype=float, na_value=0.0)
    unknown_at = v["_unknown_at"].to_numpy()
    label = np.full(len(v), _label("priority.not_listed", lang), dtype=object)
    for k, (text, cond) in enumerate(zip(rules.tier_labels(lang), rules.tiers, strict=True),
                                     1):  # a loop over tiers
        label[tier == k] = text
        why = "why_no_fiber_data" if cond == "no_fiber" else "why_not_known"
        label[(tier == 0) & (unknown_at == k)] = _label(
            "priority.tier_unknown", lang, k=k,
            words=_label(f"priority.condition.{cond}", lang), why=_label(f"priority.{why}", lang))
    return label


def _reasons(ctx: _Context, v: pd.DataFrame, lang: str) -> tuple[np.ndarray, np.ndarray]:
    """Each listed village's reason in ``lang`` (the catalogue's ``priority.reason.*``,
    numbers as ``lang`` writes them) and its reason codes (the same in every language)."""
    r = ctx.rules
    n = len(v)
    best = v["best_technology"].to_numpy()
    words = np.full(n, "", dtype=object)
    codes = np.full(n, "", dtype=object)

    def say(key: str, **fields: Any) -> str:
        return _label(f"priority.reason.{key}", lang, **fields)

    def add(mask: np.ndarray, text: Any, code: str | None = None) -> None:
        nonlocal words, codes
        t = np.where(mask, np.asarray(text, dtype=object), "")
        words = _join(words, t.astype(object), "; ")
        if code:
            codes = _join(codes, np.where(mask, code, "").astype(object), ",")

    add(best == NO_SIGNAL, say("no_signal"), "NO_SIGNAL")
    add(best == "2G", say("2g_only"), "TWO_G_ONLY")
    add(best == "3G", say("3g_only"), "THREE_G_ONLY")
    shadow = v["shadowed"].to_numpy(bool)
    add(shadow, say("shadowed"), "SHADOWED")
    one = (v["operators_4g"].to_numpy() == 1) & (v["_best_rank"].to_numpy() >= _FOUR_G)
    add(one, _filled("priority.reason.one_operator", lang, "operators",
                     v["operators_4g_names"].astype(str).to_numpy(object)), "ONE_OPERATOR")
    add(_is(v["has_power"], False), say("no_power"), "NO_POWER")
    add(v["has_power"].isna().to_numpy(), say("power_unknown"), "POWER_UNKNOWN")
    add(_is(v["difficult"], True), say("difficult"), "DIFFICULT")
    add(_is(v["border"], True), say("border"), "BORDER")
    fiber = v["fiber"].to_numpy()
    dist = v["distance_fiber_km"].to_numpy(float)
    add(fiber == "not connected", say("no_fiber"), "NO_FIBER")
    add(fiber == "unknown", say("fiber_unknown"), "FIBER_UNKNOWN")
    has_d = np.isfinite(dist) & (fiber == "not connected")
    far = has_d & (dist > r.far_fiber_km)
    add(has_d, _filled("priority.reason.nearest_fiber", lang, "km", _nums(dist, lang, 1)))
    add(far, np.full(n, "", object), "FIBER_FAR")
    d4 = v["distance_4g_site_km"].to_numpy(float)
    no4 = v["_best_rank"].to_numpy() < _FOUR_G
    add(no4 & np.isfinite(d4), _filled("priority.reason.nearest_4g", lang, "km",
                                       _nums(d4, lang, 1)))
    add(no4 & np.isfinite(d4) & (d4 > r.far_4g_km), np.full(n, "", object), "FAR_4G")
    dt = v["distance_town_km"].to_numpy(float)
    add(np.isfinite(dt) & (dt > r.far_town_km),
        _filled("priority.reason.nearest_town", lang, "km", _nums(dt, lang, 1)), "FAR_TOWN")
    slope = v["slope_deg"].to_numpy(float)
    add(np.isfinite(slope), _filled("priority.reason.slope", lang, "deg", _nums(slope, lang, 0)))
    add(np.isfinite(slope) & (slope >= r.steep_deg), np.full(n, "", object), "STEEP")
    pop = v["population"].to_numpy(float)
    add(np.isfinite(pop) & (pop > 0), _filled("priority.reason.people", lang, "people",
                                              _nums(pop, lang, 0)))
    add(~(np.isfinite(pop) & (pop > 0)), say("no_people"), "NO_PEOPLE")
    listed = v["tier"].notna().to_numpy() | v["_tier_unknown"].to_numpy(bool)
    return np.where(listed, words, ""), np.where(listed, codes, "")


def _texts(ctx: _Context, v: pd.DataFrame, lang: str) -> None:
    """``tier_label`` and ``reason`` in ``lang``, ``reason_codes``; and the words of every
    language in private columns (``PriorityResult.with_lang`` swaps them in)."""
    for lg in _locale.LANGUAGES:  # a loop over languages
        v[f"_tier_label_{lg}"] = _tier_texts(ctx.rules, v, lg)
        v[f"_reason_{lg}"], codes = _reasons(ctx, v, lg)
    for c in _TEXTS:  # a loop over columns
        v[c] = v[f"_{c}_{lang}"]
    v["reason_codes"] = codes


#: The villages' columns of words, in every language (``PriorityResult.with_lang``).
_TEXTS = ("tier_label", "reason", "option_detail",
          *[f"{k}_note" for k in ("upgrade", "fiber", "microwave", "satellite")])
_TEXT_COLUMNS = tuple(f"_{c}_" for c in _TEXTS)


def _unknown_tier(villages: pd.DataFrame) -> np.ndarray:
    """Villages whose tier the data cannot decide: not in a tier, yet with a reason (the
    condition they may meet is one of their reason codes), in every language."""
    return (villages["tier"].isna().to_numpy()
            & (villages["reason_codes"].astype(str) != "").to_numpy())


# =========================================================================== assemble
def _finish_villages(ctx: _Context, v: pd.DataFrame) -> gpd.GeoDataFrame:
    cur = ctx.costs.currency
    unit_cols = [c for lv in ctx.levels for c in (code_column(lv), name_column(lv))]
    lead = ["rank", "tier", "tier_label", "rank_in_tier", "priority_score", *unit_cols,
            "village_code", "village_name", "population", "service", "best_technology",
            "operators_4g", "operators_4g_names", "operators_any", "shadowed", "fiber",
            "has_power", "difficult", "border", "funding_route", "reason", "reason_codes",
            "option", "option_detail", money_column("option_capex", cur),
            money_column("option_opex_per_year", cur), money_column("option_cost", cur),
            "people_newly_served", money_column("cost_per_person", cur)]
    for key in ("upgrade", "fiber", "microwave", "satellite"):
        lead += [f"{key}_status", money_column(f"{key}_cost", cur), f"{key}_note"]
    lead += ["distance_fiber_km", *[f"distance_{t.lower()}_km" for t in _STATION_TECHS],
             "distance_4g_site_km", "distance_town_km", "nearest_town",
             *[f"population_{r:g}km" for r in ctx.rules.population_radii_km],
             "slope_deg", "relief_m", "remoteness_fiber", "remoteness_4g", "remoteness_town",
             "remoteness_slope", "remoteness_score", "lon", "lat"]
    cols = [c for c in lead if c in v.columns]
    cols += [c for c in v.columns if str(c).startswith(_TEXT_COLUMNS)]  # priorities() pops them
    for c in ("distance_fiber_km", "distance_4g_site_km", "distance_town_km", "slope_deg",
              *[f"distance_{t.lower()}_km" for t in _STATION_TECHS]):
        if c in v.columns:
            v[c] = np.round(v[c].to_numpy(float), 3)
    geometry = gpd.points_from_xy(v["_x"], v["_y"], crs=ctx.wcrs).to_crs(4326)
    out = gpd.GeoDataFrame(v[cols].copy(), geometry=geometry, crs=4326)
    tier_sort = out["tier"].to_numpy(dtype=float, na_value=np.inf)
    unknown = v["_tier_unknown"].to_numpy(bool)
    rank_sort = out["rank"].to_numpy(dtype=float, na_value=np.inf)
    order = np.lexsort((out["village_code"].astype(str).to_numpy(), rank_sort,
                        np.where(np.isfinite(tier_sort), 0, np.where(unknown, 1, 2))))
    return out.iloc[order].reset_index(drop=True)


def _rollup(ctx: _Context, villages: gpd.GeoDataFrame, level: str) -> gpd.GeoDataFrame:
    """Counts and people per unit of ``level``; the unit's top village and reason."""
    cur = ctx.costs.currency
    pos = ctx.levels.index(level)
    keys = [c for lv in ctx.levels[: pos + 1] for c in (code_column(lv), name_column(lv))]
    code = code_column(level)
    v = villages
    tier = v["tier"].to_numpy(dtype=float, na_value=np.nan)
    pop = np.nan_to_num(v["population"].to_numpy(float))
    listed = np.isfinite(tier)
    cols: dict[str, np.ndarray] = {
        "villages": np.ones(len(v)), "population": pop,
        "villages_listed": listed.astype(float), "people_listed": np.where(listed, pop, 0.0),
    }
    for k in range(1, len(ctx.rules.tiers) + 1):
        cols[f"villages_tier_{k}"] = (tier == k).astype(float)
        cols[f"people_tier_{k}"] = np.where(tier == k, pop, 0.0)
    unknown = _unknown_tier(v)
    cols["villages_tier_unknown"] = unknown.astype(float)
    service = v["service"].to_numpy()
    for s in ("no signal", "2G only", "3G", "4G"):
        cols[f"villages_{s.replace(' ', '_').lower()}"] = (service == s).astype(float)
    cols["villages_shadowed"] = v["shadowed"].to_numpy(bool).astype(float)
    cols["villages_one_operator_4g"] = (v["operators_4g"].to_numpy() == 1).astype(float)
    fiber = v["fiber"].to_numpy()
    for s in ("connected", "not connected", "unknown"):
        cols[f"villages_fiber_{s.replace(' ', '_')}"] = (fiber == s).astype(float)
    route = v["funding_route"].to_numpy()
    for key, words in FUNDING_ROUTES.items():
        cols[f"villages_{key}"] = (route == words).astype(float)
    opt = v["option"].to_numpy(dtype=object)
    for key, words in OPTIONS.items():
        cols[f"villages_option_{key}"] = (opt == words).astype(float)
    cols[money_column("options_cost_sum", cur)] = np.nan_to_num(
        v[money_column("option_cost", cur)].to_numpy(float))
    frame = pd.DataFrame(cols)
    frame[keys] = v[keys].astype(str).to_numpy()
    sums = frame.groupby(keys, sort=False, dropna=False).sum().reset_index()
    # every unit the list covers, those without villages too (zero counts)
    keep = ctx.unit_keep if ctx.unit_keep is not None else np.ones(len(ctx.units), bool)
    base = pd.DataFrame(ctx.units.loc[keep, keys]).astype(str).drop_duplicates(code)
    sums = base.merge(sums, on=keys, how="left", sort=False)
    numeric = [c for c in sums.columns if c not in keys]
    sums[numeric] = sums[numeric].fillna(0.0)
    counts = [c for c in sums.columns if c.startswith("villages")]
    sums[counts] = sums[counts].round().astype("Int64")
    # the unit's best-ranked village (villages are in rank order already)
    top = v[listed].drop_duplicates(code, keep="first").set_index(code)
    best_tier = pd.Series(tier).groupby(v[code].astype(str).to_numpy()).min()
    sums["top_tier"] = pd.array(best_tier.reindex(sums[code]).to_numpy(), dtype="Int64")
    sums["top_rank"] = pd.array(top["rank"].reindex(sums[code]).to_numpy(dtype=object),
                                dtype="Int64")
    sums["top_village"] = top["village_name"].reindex(sums[code]).to_numpy()
    sums["top_reason"] = top["reason"].reindex(sums[code]).to_numpy()
    sums["top_reason_codes"] = top["reason_codes"].reindex(sums[code]).to_numpy()
    sums["top_option"] = top["option"].reindex(sums[code]).to_numpy()
    if level == ctx.levels[-1]:
        for attr in ("difficult", "border"):
            any_true = pd.Series(_is(v[attr], True))
            sums[f"villages_{attr}"] = any_true.groupby(v[code].astype(str).to_numpy()).sum() \
                .reindex(sums[code]).fillna(0).astype("Int64").to_numpy()
    order = np.lexsort((sums[code].astype(str).to_numpy(),
                        sums["top_rank"].to_numpy(dtype=float, na_value=np.inf),
                        sums["top_tier"].to_numpy(dtype=float, na_value=np.inf)))
    sums = sums.iloc[order].reset_index(drop=True)
    has_top = sums["top_rank"].notna().to_numpy()
    sums.insert(0, "rank", _int_na(np.cumsum(has_top), has_top))
    geo = ctx.result.table(level)[[code, "geometry"]].copy()
    geo[code] = geo[code].astype(str)
    merged = sums.merge(pd.DataFrame(geo), on=code, how="left", sort=False)
    return gpd.GeoDataFrame(merged, geometry="geometry", crs=4326)


# =========================================================================== model
def _model(ctx: _Context, notes: list[str], dem: Any, attributes: Any, unit_attributes: Any,
           population: Any, lang: str = "en") -> pd.DataFrame:
    """The model sheet in ``lang``: inputs, model, rules, costs, notes and reason codes
    (rule and cost parameters keep their names; notes and sources are as written)."""
    from .report import model_note

    rows: list[dict[str, str]] = []

    def w(key: str, **fields: Any) -> str:
        return _label(f"priority.model.{key}", lang, **fields)

    def add(section: str, key: str, value: Any, note: str = "") -> None:
        rows.append({"section": w(section), "key": key, "value": str(value), "note": note})

    def have(given: bool, what: str = "given") -> str:
        return w(what) if given else w("missing")

    md = ctx.result.metadata
    add("inputs", w("coverage"), md.get("title", ""),
        str(md.get("model", "")) if lang == "en" else model_note(ctx.result, lang))
    add("inputs", w("data_date"), md.get("data_date", ""))
    add("inputs", w("sources"), "; ".join(map(str, md.get("sources") or [])))
    add("inputs", w("working_crs"), ctx.wcrs.name)
    add("inputs", w("stations"), have(ctx.stations is not None),
        "" if ctx.stations is not None else w("no_stations"))
    add("inputs", w("fiber"), have(ctx.fiber_known, "given" if len(ctx.fiber_geoms)
                                   else "given_as_lists"),
        "" if ctx.fiber_known else w("no_fiber"))
    add("inputs", w("dem"), getattr(ctx.dem, "source", "") if ctx.dem is not None
        else w("missing"), "" if ctx.dem is not None else w("no_dem"))
    add("inputs", w("village_attributes"),
        _source_name(attributes) if attributes is not None else w("missing"),
        "" if attributes is not None else w("no_village_attributes"))
    add("inputs", w("unit_attributes"),
        _source_name(unit_attributes) if unit_attributes is not None else w("missing"),
        "" if unit_attributes is not None else w("no_unit_attributes"))
    add("inputs", w("population_within"), _source_name(population) if population is not None
        else w("villages_population"))
    add("model", w("radius"), f"{ctx.r4g_m:g}", w("radius_note"))
    add("model", w("tiers"), "; ".join(ctx.rules.tier_labels(lang)), w("tiers_note"))
    add("model", w("routes"), w("routes_value"))
    add("model", w("options"),
        "; ".join(f"{k}: {_label(f'priority.option.{k}', lang)}" for k in OPTIONS),
        w("options_note"))
    add("model", w("rank"), w("rank_value"), w("rank_note"))
    add("model", w("remoteness"), w("remoteness_value"))
    if ctx.town_note:
        add("model", w("towns"), ctx.town_note)
    for _, r in ctx.rules.to_frame().iterrows():  # a few dozen rules
        add("rules", r["key"], r["value"])
    add("costs", w("currency"), ctx.costs.currency)
    add("costs", w("horizon"), w("horizon_value", years=_gnum(ctx.costs.horizon_years, lang)),
        w("horizon_note", factor=f"{ctx.costs.opex_factor:.4g}".replace(
            ".", _locale.number_symbols(lang)["decimal"]),
          rate=_gnum(ctx.costs.discount_rate_pct, lang)))
    add("costs", w("tables"), "; ".join(ctx.costs.files))
    for _, r in ctx.costs.to_frame().iterrows():  # the cost table's parameters
        add("costs", f"{r['section']}.{r['key']}", f"{r['value']} {r['unit']}".strip(),
            r["source"])
    for k, text in enumerate(notes, 1):
        add("notes", w("note", k=k), text)
    for code in REASON_CODES:
        add("reason_codes", code, _label(f"priority.code.{code}", lang))
    return pd.DataFrame(rows, columns=["section", "key", "value", "note"])


def _source_name(source: Any) -> str:
    if isinstance(source, (str, Path)):
        return Path(source).name
    if isinstance(source, pd.DataFrame):
        return str(source.attrs.get("geocov_attributes_file") or (
            ", ".join(pd.unique(source["source_file"].astype(str)))
            if "source_file" in source else "<DataFrame>"))
    return type(source).__name__


# =========================================================================== summary
def _fmt_money(value: float, currency: str, lang: str = "en") -> str:
    """An amount as ``lang`` says it: "12.3 billion VND" / "12,3 tỷ đồng", "1.25 million
    USD", "830,000 USD"."""
    if not math.isfinite(value):
        return _locale.number_symbols(lang)["na"]
    cur = _label("priority.currency_vnd", lang) if currency == "VND" else currency
    if currency == "VND":
        if abs(value) >= 1e9:
            return _label("priority.money_billion", lang, currency=cur,
                          x=_locale.number(value / 1e9, lang, digits=1))
        return _label("priority.money_million", lang, currency=cur,
                      x=_locale.number(value / 1e6, lang))
    if abs(value) >= 1e6:
        return _label("priority.money_million", lang, currency=cur,
                      x=_locale.number(value / 1e6, lang, digits=2))
    return _label("priority.money", lang, currency=cur, x=_locale.number(value, lang))


def _category_words(value: Any, table: Mapping[str, str], section: str, lang: str) -> str:
    """A category's words in ``lang`` (an English value of :data:`FUNDING_ROUTES` or
    :data:`OPTIONS`, by its key); a value the table does not have, as it is."""
    keys = {words: key for key, words in table.items()}
    key = keys.get(value)
    return _label(f"priority.{section}.{key}", lang) if key else str(value)


def _summary(p: PriorityResult, lang: str = "en") -> str:
    v = p.villages
    cur = p.currency

    def num(x: float) -> str:
        return _locale.number(x, lang)

    def items(counts: pd.Series, table: Mapping[str, str], section: str) -> str:
        return ", ".join(_label("priority.summary_item", lang,
                                what=_category_words(k, table, section, lang), n=num(n))
                         for k, n in counts.items())

    tier = v["tier"].to_numpy(dtype=float, na_value=np.nan)
    pop = np.nan_to_num(v["population"].to_numpy(float))
    tiers = []
    for k, label in enumerate(p.rules.tier_labels(lang), 1):  # a loop over tiers
        sel = tier == k
        tiers.append(_label("priority.summary_tier", lang, label=label, n=num(sel.sum()),
                            people=num(pop[sel].sum())))
    parts = [_label("priority.summary", lang, n=num(len(v)), tiers=", ".join(tiers))]
    unknown = _unknown_tier(v)
    if unknown.any():
        parts.append(_label("priority.summary_unknown", lang, n=num(unknown.sum())))
    routes = v.loc[np.isfinite(tier), "funding_route"].value_counts()
    if len(routes):
        parts.append(_label("priority.summary_routes", lang,
                            list=items(routes, FUNDING_ROUTES, "route")))
    opts = v["option"].dropna().value_counts()
    if len(opts):
        total = float(np.nansum(v[money_column("option_cost", cur)].to_numpy(float)))
        years = p.costs.horizon_years
        parts.append(_label("priority.summary_options", lang,
                            list=items(opts, OPTIONS, "option"),
                            cost=_fmt_money(total, cur, lang),
                            years=_locale.number(years, lang, digits=_decimals(years))))
    return "; ".join(parts) + "."


# =========================================================================== write
def _write(p: PriorityResult, folder: Path, *, formats: Sequence[str], stem: str,
           levels: Sequence[str] | None, tiers: Sequence[int] | None) -> list[Path]:
    from .io import WRITE_FORMATS, StagedFiles, write_csv
    from .spreadsheet import columns_sheet, table_sheet, write_workbook

    bad = sorted(set(formats) - set(WRITE_FORMATS))
    if bad:
        raise SchemaError(f"unknown output format(s) {bad}; valid formats are "
                          f"{list(WRITE_FORMATS)}")
    levels = list(levels) if levels else list(p.levels)
    for lv in levels:
        if lv not in p.levels:
            raise SchemaError(f"unknown level {lv!r}; valid levels are {list(p.levels)}")
    folder.mkdir(parents=True, exist_ok=True)
    villages = p.listed(tiers) if tiers is not None else p.villages
    lang = p.lang
    summary = pd.DataFrame({"summary": [p.summary(), *p.notes]})
    plain = pd.DataFrame(villages.drop(columns="geometry"))
    # sheets: the CSV files' names -> tables; titles: the workbook's sheet names, in lang
    sheets: dict[str, pd.DataFrame] = {"summary": summary, "villages": plain}
    titles = {"summary": _label("priority.sheet_summary", lang),
              "villages": _label("priority.sheet_villages", lang)}
    tier_col = plain["tier"].to_numpy(dtype=float, na_value=np.nan)
    for k, cond in enumerate(p.rules.tiers, 1):
        if tiers is None or k in tiers:
            sheets[f"tier {k}"] = plain[tier_col == k]
            titles[f"tier {k}"] = _label("priority.sheet_tier", lang, k=k,
                                         words=_label(f"priority.short.{cond}", lang))
    unknown = _unknown_tier(plain)
    if unknown.any():
        sheets["tier unknown"] = plain[unknown]
        titles["tier unknown"] = _label("priority.sheet_tier_unknown", lang)
    listed = np.isfinite(tier_col)
    for key, words in FUNDING_ROUTES.items():
        sel = listed & (plain["funding_route"] == words).to_numpy()
        if sel.any() or not key.startswith("unknown"):
            sheets[f"route {key}"] = plain[sel]
            titles[f"route {key}"] = _label("priority.sheet_route", lang,
                                            route=_label(f"priority.route_short.{key}", lang))
    units = {lv: p.units(lv) for lv in levels}
    for lv, t in units.items():
        sheets[f"{lv}s"] = pd.DataFrame(t.drop(columns="geometry"))
        titles[f"{lv}s"] = _label("priority.sheet_level", lang,
                                  levels=level_label(lv, plural=True, lang=lang),
                                  levels_lower=level_label(lv, plural=True, lang=lang).lower())
    sheets["options"] = p.options
    sheets["model"] = p.model
    titles.update(options=_label("priority.sheet_options", lang),
                  model=_label("priority.sheet_model", lang))
    written: list[Path] = []
    # every file under a temporary name, put in place once all are written (in a run of
    # geocov.analysis, once the whole run is): a failure leaves the previous files as they were
    with StagedFiles() as stage:
        if "csv" in formats:
            for name in ("villages", *[f"{lv}s" for lv in levels], "options", "model",
                         "summary"):
                path = folder / f"{stem}_{name}.csv"
                write_csv(sheets[name], stage.path(path))
                written.append(path)
        if "gpkg" in formats:
            path = folder / f"{stem}.gpkg"
            tmp = stage.path(path)
            _to_gpkg(villages, tmp, "villages")
            for lv, t in units.items():
                _to_gpkg(t, tmp, f"{lv}s")
            written.append(path)
        if "xlsx" in formats:
            path = folder / f"{stem}.xlsx"
            used: set[str] = set()
            cell_words = _cell_words(lang)
            book = [table_sheet(frame, titles[name], used=used, lang=lang, words=cell_words)
                    for name, frame in sheets.items()]
            book.append(columns_sheet(book, _label("priority.sheet_columns", lang), lang,
                                      used=used))
            write_workbook(stage.path(path), book)
            written.append(path)
    return written


def _cell_words(lang: str) -> dict[str, dict[str, str]]:
    """Column -> value -> its words in ``lang``: the categories of the priority list (and
    of the plan's steps) as a workbook in ``lang`` shows them; the tables and CSV files
    keep the values (English words) that scripts read.

    Examples
    --------
    >>> _cell_words("vi")["funding_route"]["public fund"]
    'quỹ viễn thông công ích'
    >>> _cell_words("en")["fiber"]["not connected"]
    'not connected'
    """
    lang = _locale.check_lang(lang)
    routes = {words: _label(f"priority.route.{k}", lang) for k, words in FUNDING_ROUTES.items()}
    options = {words: _label(f"priority.option.{k}", lang) for k, words in OPTIONS.items()}
    cell = {k: _label(f"cell.{k}", lang) for k in (
        "none", "no_signal", "2g_only", "connected", "not_connected", "unknown", "chosen",
        "feasible", "rejected", "not_assessed")}
    status = {k.replace("_", " "): cell[k] for k in ("chosen", "feasible", "rejected",
                                                      "not_assessed")}
    return {
        "funding_route": routes, "option": options, "top_option": options,
        "service": {"no signal": cell["no_signal"], "2G only": cell["2g_only"]},
        "best_technology": {NO_SIGNAL: cell["none"]},
        "fiber": {k.replace("_", " "): cell[k] for k in ("connected", "not_connected",
                                                          "unknown")},
        "status": status, **{f"{k}_status": status for k in ("upgrade", "fiber",
                                                              "microwave", "satellite")},
    }


def _to_gpkg(frame: gpd.GeoDataFrame, path: Path, layer: str) -> None:
    out = frame.copy()
    for c in out.columns:
        if isinstance(out[c].dtype, pd.BooleanDtype):
            out[c] = out[c].astype(object).where(out[c].notna(), None).astype(object)
    out.to_file(path, layer=layer, driver="GPKG", engine="pyogrio")


# =========================================================================== the map flag
#: The layers a rule can name (:data:`geocov.vocabulary.LAYERS`: "4g", "4g_plus", "any", ...).
TECHNOLOGIES: tuple[str, ...] = tuple(LAYERS)


@dataclass(frozen=True)
class RemoteRules:
    """The table-level rule of the coverage map's flag (without a priority list).

    Parameters
    ----------
    technology : str, default "4g_plus"
        A unit with no village covered by this layer (one of
        :data:`geocov.vocabulary.LAYERS`) and no fiber is *unconnected*.
    centre_km : float or None, default None
        A unit whose representative point is more than this many km from the centre of its
        parent unit is *remote*. Off by default: a centroid says nothing of access (city
        wards far from a province's centre would top the list).
    fiber_km : float or None, default 10.0
        A unit with no fiber node or route within this many km is *remote* (needs fiber
        locations); ``None`` switches it off.

    Examples
    --------
    >>> RemoteRules(centre_km=25).fiber_km
    10.0
    """

    technology: str = "4g_plus"
    centre_km: float | None = None
    fiber_km: float | None = 10.0

    def __post_init__(self) -> None:
        if self.technology not in TECHNOLOGIES:
            raise SchemaError(
                f"RemoteRules.technology={self.technology!r} is not valid; use one of "
                f"{', '.join(TECHNOLOGIES)}"
            )
        for name in ("centre_km", "fiber_km"):
            value = getattr(self, name)
            if value is not None and not (np.isfinite(value) and value >= 0):
                raise SchemaError(
                    f"RemoteRules.{name}={value!r} must be a distance in km >= 0, or None to "
                    f"switch the rule off"
                )


def _require(table: pd.DataFrame, columns: list[str], what: str) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise SchemaError(
            f"{what} needs columns {missing} that the table lacks; pass a table from "
            f"geocov.coverage(...).table(level) (it has columns: {list(table.columns)[:12]}...)"
        )


def flag_unconnected_remote(
    table: gpd.GeoDataFrame,
    *,
    fiber: gpd.GeoDataFrame | None = None,
    rules: RemoteRules | None = None,
    crs: Any = None,
    lang: str = "en",
) -> pd.DataFrame:
    """Flag the units of a coverage table that are unconnected and remote.

    The coverage map's flag when no priority list is given; it fires only where the data
    supports it:

    * **unconnected**: no village covered by ``rules.technology`` (a unit without villages:
      no covered area) **and** no fiber, the latter known from fiber data. Without fiber
      data (``villages_fiber`` all NA and no ``fiber`` layer) nothing is flagged: "no
      fiber" cannot be stated, and ``no_fiber`` is NA.
    * **remote**: no fiber node or route within ``rules.fiber_km`` of the unit (needs
      ``fiber`` with locations), or, if ``rules.centre_km`` is set, farther than that from
      its parent's centre.
    * **flagged** = unconnected and remote.

    A unit whose top-level unit (province) holds no station at all while others do is
    never flagged: the station data does not cover it (``covered_by_data`` False).

    Parameters
    ----------
    table : GeoDataFrame
        One row per unit, as from ``result.table(level)`` (any CRS).
    fiber : GeoDataFrame, optional
        Fiber nodes and routes (rows without geometry are ignored here).
    rules : RemoteRules, optional
    crs : optional
        Metric CRS for distances (default: the UTM zone of the data).
    lang : {"en", "vi"}, default "en"
        Language of ``reason`` (words and numbers, :mod:`geocov.locale`).

    Returns
    -------
    DataFrame
        Indexed like ``table``: ``<level>_code``, ``no_coverage``, ``no_fiber`` (nullable:
        NA without fiber data), ``unconnected``, ``covered_by_data``, ``centre_distance_km``,
        ``fiber_distance_km``, ``remote``, ``flagged``, ``population_uncovered``, ``reason``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import box
    >>> t = gpd.GeoDataFrame({
    ...     "district_code": ["D", "D"], "commune_code": ["a", "b"],
    ...     "villages": [4, 3], "villages_covered_4g_plus": [0, 3], "villages_fiber": [0, 0],
    ...     "covered_area_km2_4g_plus": [0.0, 5.0],
    ...     "population": [3400.0, 900.0], "population_covered_4g_plus": [0.0, 900.0]},
    ...     geometry=[box(0, 0, 20_000, 10_000), box(20_000, 0, 60_000, 10_000)],
    ...     crs="EPSG:32648")
    >>> out = flag_unconnected_remote(t, rules=RemoteRules(centre_km=10))
    >>> out[["commune_code", "unconnected", "remote", "flagged"]].values.tolist()
    [['a', True, True, True], ['b', False, False, False]]
    >>> out.loc[0, "reason"]
    'no 4G; no fiber; 20.0 km from the district centre; 3,400 people uncovered'
    >>> flag_unconnected_remote(t, rules=RemoteRules(centre_km=10), lang="vi").loc[0, "reason"]
    'không có 4G; chưa có cáp quang; cách trung tâm huyện 20,0 km; 3.400 người chưa được phủ sóng'
    """
    rules = RemoteRules() if rules is None else rules
    if not isinstance(rules, RemoteRules):
        raise SchemaError(
            f"rules must be a geocov.priorities.RemoteRules, got {type(rules).__name__}"
        )
    require_crs(table, what="the coverage table")
    if not any(str(c).endswith("_code") for c in table.columns):
        raise SchemaError(
            "the coverage table has no '<level>_code' column; pass result.table(level)"
        )
    levels = unit_levels(table, names=False)
    level = levels[-1]
    parent = levels[-2] if len(levels) > 1 else None
    t = rules.technology
    villages_col = covered_column("villages", t)
    _require(table, ["villages", villages_col, "villages_fiber"], "flag_unconnected_remote")

    villages = pd.to_numeric(table["villages"], errors="coerce").fillna(0).to_numpy(float)
    covered = pd.to_numeric(table[villages_col], errors="coerce").fillna(0).to_numpy(float)
    area_col = covered_column("area", t)
    covered_area = (
        pd.to_numeric(table[area_col], errors="coerce").fillna(0).to_numpy(float)
        if area_col in table.columns
        else np.zeros(len(table))
    )
    no_coverage = np.where(villages > 0, covered == 0, covered_area == 0)
    vf = pd.to_numeric(table["villages_fiber"], errors="coerce").to_numpy(float)
    with_fiber = units_with_column(level, "fiber")
    uf = (pd.to_numeric(table[with_fiber], errors="coerce").to_numpy(float)
          if with_fiber in table.columns else np.full(len(table), np.nan))
    has_geo_fiber = fiber is not None and len(fiber) and (
        ~(fiber.geometry.is_empty | fiber.geometry.isna())).any()
    known = np.isfinite(vf) | np.isfinite(uf) | bool(has_geo_fiber)
    no_fiber_val = (np.nan_to_num(vf) == 0) & (np.nan_to_num(uf) == 0)
    no_fiber = pd.array(np.where(known, no_fiber_val, None), dtype="boolean")
    unconnected = no_coverage & no_fiber_val & known
    # a top-level unit (province) without any station while others have some: the station
    # data does not cover it, so "no 4G" there says nothing (a national run with one
    # province's stations)
    covered_by_data = np.ones(len(table), dtype=bool)
    st_col = stations_column("any")
    if levels[0] != level and st_col in table.columns:
        n_st = pd.to_numeric(table[st_col], errors="coerce").fillna(0)
        per_top = n_st.groupby(table[code_column(levels[0])].to_numpy()).transform("sum")
        if (per_top > 0).any():
            covered_by_data = (per_top > 0).to_numpy()
    unconnected &= covered_by_data

    metric = working_crs(table, crs)
    geoms = table.geometry.to_crs(metric)
    points = np.asarray(shapely.point_on_surface(np.asarray(geoms.values)))

    centre_km = np.full(len(table), np.nan)
    if parent is not None and rules.centre_km is not None:
        areas = shapely.area(np.asarray(geoms.values))
        cen = shapely.centroid(np.asarray(geoms.values))
        frame = pd.DataFrame(
            {
                "p": table[code_column(parent)].to_numpy(),
                "w": areas,
                "wx": shapely.get_x(cen) * areas,
                "wy": shapely.get_y(cen) * areas,
            }
        )
        sums = frame.groupby("p", sort=False, dropna=False)[["w", "wx", "wy"]].transform("sum")
        with np.errstate(invalid="ignore", divide="ignore"):
            px = (sums["wx"] / sums["w"]).to_numpy()
            py = (sums["wy"] / sums["w"]).to_numpy()
        centre_km = np.hypot(shapely.get_x(points) - px, shapely.get_y(points) - py) / 1000.0

    fiber_km = np.full(len(table), np.nan)
    if fiber is not None:
        require_crs(fiber, what="the fiber layer")
        fgeom = np.asarray(fiber.geometry.to_crs(metric).values)
        fgeom = fgeom[~(shapely.is_missing(fgeom) | shapely.is_empty(fgeom))]
        if len(fgeom):
            tree = shapely.STRtree(fgeom)
            (src, _), dist = tree.query_nearest(
                np.asarray(geoms.values), return_distance=True, all_matches=False
            )
            fiber_km[src] = dist / 1000.0

    far_centre = (
        (centre_km > rules.centre_km) if rules.centre_km is not None else np.zeros(len(table), bool)
    )
    far_fiber = (
        (fiber_km > rules.fiber_km) if rules.fiber_km is not None else np.zeros(len(table), bool)
    )
    remote = far_centre | far_fiber
    flagged = unconnected & remote

    pop = (
        pd.to_numeric(table["population"], errors="coerce").to_numpy(float)
        if "population" in table.columns
        else np.full(len(table), np.nan)
    )
    pop_cov_col = covered_column("population", t)
    pop_cov = (
        pd.to_numeric(table[pop_cov_col], errors="coerce").fillna(0).to_numpy(float)
        if pop_cov_col in table.columns
        else np.zeros(len(table))
    )
    uncovered = np.clip(pop - pop_cov, 0, None)

    reason = _flag_reasons(
        flagged=flagged, no_coverage=no_coverage, no_fiber=no_fiber_val & known,
        tech=_label(f"noun.{t}", lang), fiber_km=fiber_km, far_fiber=far_fiber, rules=rules,
        centre_km=centre_km, far_centre=far_centre, parent=parent, uncovered=uncovered,
        index=table.index, lang=lang,
    )
    out = pd.DataFrame(
        {
            code_column(level): table[code_column(level)].to_numpy(),
            "no_coverage": no_coverage,
            "no_fiber": no_fiber,
            "unconnected": unconnected,
            "covered_by_data": covered_by_data,
            "centre_distance_km": centre_km,
            "fiber_distance_km": fiber_km,
            "remote": remote,
            "flagged": flagged,
            "population_uncovered": uncovered,
            "reason": reason,
        },
        index=table.index,
    )
    log.info(
        "flag_unconnected_remote: %d of %d %s units flagged", int(flagged.sum()), len(out), level
    )
    return out


def _decimals(value: float) -> int:
    """The decimals ``f"{value:g}"`` shows (10 -> 0, 2.5 -> 1)."""
    text = f"{float(value):g}"
    return len(text.split(".")[1]) if "." in text and "e" not in text else 0


def _fmt_km(values: np.ndarray, lang: str = "en") -> pd.Series:
    return pd.Series(_locale.numbers(np.round(values, 1), lang, digits=1))


def _flag_reasons(*, flagged, no_coverage, no_fiber, tech, fiber_km, far_fiber, rules,
                  centre_km, far_centre, parent, uncovered, index, lang="en") -> pd.Series:
    """The reason of each flagged unit in ``lang``'s words (the catalogue's ``reason.*``)."""
    n = len(flagged)
    parts = []
    empty = pd.Series([""] * n)

    def words(key: str, **fields: Any) -> str:
        return _label(f"reason.{key}", lang, **fields)

    parts.append(pd.Series(np.where(no_coverage, words("no_layer", noun=tech), "")))
    fiber_txt = empty.copy()
    if rules.fiber_km is not None:
        within = words("no_fiber_within", km=_locale.number(
            rules.fiber_km, lang, digits=_decimals(rules.fiber_km)))
        head, tail = words("nearest", km="\0").split("\0")
        nearest = (head + _fmt_km(fiber_km, lang) + tail).where(np.isfinite(fiber_km), "")
        fiber_txt = (within + nearest).where(far_fiber, "")
    fiber_txt = fiber_txt.where(fiber_txt != "", pd.Series(np.where(no_fiber, words("no_fiber"),
                                                                    "")))
    parts.append(fiber_txt)
    if parent is not None:
        head, tail = words("from_centre", km="\0",
                           parent=level_label(parent, lang=lang).lower()).split("\0")
        parts.append((head + _fmt_km(centre_km, lang) + tail).where(far_centre, ""))
    has_people = np.isfinite(uncovered) & (uncovered > 0)
    head, tail = words("uncovered", people="\0").split("\0")
    parts.append(
        (head + pd.Series(_locale.numbers(np.round(np.nan_to_num(uncovered)), lang)) + tail
         ).where(has_people, "")
    )
    text = parts[0]
    for part in parts[1:]:
        text = text + pd.Series(np.where((text != "") & (part != ""), "; ", "")) + part
    text = text.where(pd.Series(flagged), "")
    text.index = index
    return text
