"""The cost model of the priority list and the plan: unit costs, limits, options' costs.

A :class:`CostModel` holds the unit costs and engineering limits of a TOML table (geocov's
documented defaults, ``geocov/data/costs.toml``, with the source of every figure, merged
with the user's own table), in one currency (USD or VND). Its methods are the numeric core
(arrays in, arrays out) that :mod:`geocov.priorities` and the plan use to price the ways of
bringing 4G (and fiber) to a village:

* **upgrade** an existing 2G/3G site to 4G: ``upgrade.capex``, ``upgrade.opex_per_year``;
* a **new site** at the village (``new_site.*``) with its backhaul:

  - **fiber**: ``fixed_capex + capex_per_km x length x terrain multiplier``, the length the
    straight-line distance to the nearest fiber times ``route_factor``; ``opex_per_km_year
    x length``; infeasible beyond ``fiber.max_km`` of cable;
  - **microwave**: the hop's distance class (``class_max_km``) gives its capex, opex a share
    of it; infeasible beyond ``microwave.max_km``;
  - **satellite**: a terminal, and ``mbps x fee_per_mbps_year`` plus maintenance a year;

* the **terrain multiplier** of the fiber's per-km capex from the mean slope (degrees).

A cost **over the horizon** is ``capex + opex_per_year x F``, ``F`` the sum of the discount
factors of years 1..``horizon_years`` (``F = horizon_years`` undiscounted, the default).

Examples
--------
>>> costs = read_costs()
>>> costs.currency, costs.horizon_years, costs.lifetime(100.0, 10.0).item()
('USD', 10.0, 200.0)
>>> costs.microwave_capex([5.0, 25.0, 45.0, 55.0])[0].tolist()
[20000.0, 30000.0, 60000.0, nan]
>>> read_costs(currency="VND").usd_to_vnd == costs.usd_to_vnd
True
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from .errors import DataSourceError, SchemaError, hint

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["CostModel", "read_costs", "DEFAULT_COSTS_PATH", "CURRENCIES", "present_value_factor"]

#: geocov's documented default cost table (shipped in the wheel).
DEFAULT_COSTS_PATH = Path(__file__).resolve().parent / "data" / "costs.toml"
CURRENCIES: tuple[str, ...] = ("USD", "VND")
Currency = Literal["USD", "VND"]

# section -> key -> (kind, unit). Kinds: "money", "money_list" (amounts in the table's
# currency), "number", "numbers", "positive", "text".
_SCHEMA: dict[str, dict[str, tuple[str, str]]] = {
    "general": {
        "currency": ("text", ""),
        "usd_to_vnd": ("positive", "VND per USD"),
        "horizon_years": ("positive", "years"),
        "discount_rate_pct": ("number", "% per year"),
        "source": ("text", ""),
    },
    "upgrade": {
        "capex": ("money", "per site"),
        "opex_per_year": ("money", "per site per year"),
        "source": ("text", ""),
    },
    "new_site": {
        "capex": ("money", "per site"),
        "opex_per_year": ("money", "per site per year"),
        "source": ("text", ""),
    },
    "fiber": {
        "capex_per_km": ("money", "per km of cable"),
        "opex_per_km_year": ("money", "per km per year"),
        "fixed_capex": ("money", "per connection"),
        "route_factor": ("positive", "cable km per straight-line km"),
        "max_km": ("positive", "km of cable"),
        "source": ("text", ""),
    },
    "microwave": {
        "class_max_km": ("numbers", "km (upper bound of each distance class)"),
        "class_capex": ("money_list", "per hop, by distance class"),
        "max_km": ("positive", "km"),
        "opex_share_per_year": ("number", "share of capex per year"),
        "mast_height_m": ("number", "m above ground"),
        "fresnel_fraction": ("number", "of the first Fresnel zone"),
        "frequency_mhz": ("positive", "MHz"),
        "source": ("text", ""),
    },
    "satellite": {
        "capex": ("money", "per terminal"),
        "mbps": ("number", "Mbps"),
        "fee_per_mbps_year": ("money", "per Mbps per year"),
        "opex_share_per_year": ("number", "share of capex per year"),
        "source": ("text", ""),
    },
    "terrain": {
        "slope_deg": ("numbers", "degrees (class breaks)"),
        "multipliers": ("numbers", "x fiber capex per km, per slope class"),
        "window_m": ("positive", "m (half side of the square around a village)"),
        "source": ("text", ""),
    },
}
_MONEY = {(s, k) for s, keys in _SCHEMA.items() for k, (kind, _) in keys.items()
          if kind in ("money", "money_list")}


def present_value_factor(horizon_years: float, discount_rate_pct: float = 0.0) -> float:
    """Sum of the discount factors of years 1..``horizon_years`` (opex multiplier).

    ``horizon_years`` when the rate is 0; a fractional last year counts pro rata.

    Examples
    --------
    >>> present_value_factor(10)
    10.0
    >>> round(present_value_factor(2, 10.0), 4)   # 1/1.1 + 1/1.21
    1.7355
    """
    h = float(horizon_years)
    r = float(discount_rate_pct) / 100.0
    if r == 0:
        return h
    whole = int(math.floor(h))
    years = np.arange(1, whole + 1, dtype=float)
    total = float(np.sum((1.0 + r) ** -years))
    if h > whole:
        total += (h - whole) * (1.0 + r) ** -(whole + 1)
    return total


@dataclass(frozen=True)
class CostModel:
    """Unit costs and limits in one currency (see the module docstring and
    ``geocov/data/costs.toml`` for every key, its unit and its source).

    Build it with :func:`read_costs`. ``table`` holds the merged sections (money already in
    ``currency``); ``files`` the tables read, defaults first.
    """

    table: Mapping[str, Mapping[str, Any]]
    currency: str = "USD"
    files: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())

    # ---- scalars
    def get(self, section: str, key: str) -> Any:
        """One value of the table, e.g. ``get("fiber", "max_km")``."""
        return self.table[section][key]

    @property
    def usd_to_vnd(self) -> float:
        return float(self.get("general", "usd_to_vnd"))

    @property
    def horizon_years(self) -> float:
        return float(self.get("general", "horizon_years"))

    @property
    def discount_rate_pct(self) -> float:
        return float(self.get("general", "discount_rate_pct"))

    @property
    def opex_factor(self) -> float:
        """What one year's opex counts for over the horizon (:func:`present_value_factor`)."""
        return present_value_factor(self.horizon_years, self.discount_rate_pct)

    # ---- numeric core (arrays in, arrays out)
    def lifetime(self, capex: Any, opex_per_year: Any) -> np.ndarray:
        """Cost over the horizon: ``capex + opex_per_year x opex_factor``."""
        return np.asarray(capex, dtype=float) + np.asarray(opex_per_year, float) * self.opex_factor

    def terrain_multiplier(self, slope_deg: Any) -> np.ndarray:
        """Multiplier of the fiber's per-km capex for each mean slope (NaN slope: 1).

        Examples
        --------
        >>> read_costs().terrain_multiplier([0.0, 12.0, 25.0, 40.0, float("nan")]).tolist()
        [1.0, 1.25, 1.5, 2.0, 1.0]
        """
        s = np.asarray(slope_deg, dtype=float)
        breaks = np.asarray(self.get("terrain", "slope_deg"), dtype=float)
        mult = np.asarray(self.get("terrain", "multipliers"), dtype=float)
        out = mult[np.searchsorted(breaks, np.nan_to_num(s, nan=-np.inf), side="right")]
        return np.where(np.isfinite(s), out, 1.0)

    def fiber(self, distance_km: Any, slope_deg: Any = np.nan) -> dict[str, np.ndarray]:
        """Fiber extension over straight-line ``distance_km`` (0 for a connected village).

        Returns ``length_km`` (cable: distance x route factor), ``multiplier`` (terrain),
        ``capex``, ``opex_per_year`` and ``feasible`` (length within ``fiber.max_km``; a
        NaN distance is not feasible).

        Examples
        --------
        >>> f = read_costs().fiber([10.0, 50.0], slope_deg=[5.0, 25.0])
        >>> f["length_km"].tolist(), f["capex"].tolist(), f["feasible"].tolist()
        ([12.0, 60.0], [66500.0, 495500.0], [True, False])
        """
        d = np.asarray(distance_km, dtype=float)
        length = d * float(self.get("fiber", "route_factor"))
        mult = np.broadcast_to(self.terrain_multiplier(slope_deg), length.shape)
        capex = (float(self.get("fiber", "fixed_capex"))
                 + float(self.get("fiber", "capex_per_km")) * length * mult)
        opex = float(self.get("fiber", "opex_per_km_year")) * length
        feasible = np.isfinite(length) & (length <= float(self.get("fiber", "max_km")))
        return {"length_km": length, "multiplier": np.asarray(mult, float), "capex": capex,
                "opex_per_year": opex, "feasible": feasible}

    def microwave_capex(self, distance_km: Any) -> tuple[np.ndarray, np.ndarray]:
        """Capex of a hop by distance class, and the class (0-based; -1 beyond the last
        class or ``microwave.max_km``, capex NaN there)."""
        d = np.asarray(distance_km, dtype=float)
        bounds = np.asarray(self.get("microwave", "class_max_km"), dtype=float)
        capex = np.asarray(self.get("microwave", "class_capex"), dtype=float)
        k = np.searchsorted(bounds, np.nan_to_num(d, nan=np.inf), side="left")
        ok = np.isfinite(d) & (k < len(bounds)) & (d <= float(self.get("microwave", "max_km")))
        cls = np.where(ok, k, -1)
        return np.where(ok, capex[np.clip(k, 0, len(capex) - 1)], np.nan), cls

    def microwave(self, distance_km: Any) -> dict[str, np.ndarray]:
        """A microwave hop: ``capex``, ``opex_per_year``, ``distance_class`` (-1: none),
        ``feasible`` (within ``microwave.max_km``; line of sight is checked elsewhere)."""
        capex, cls = self.microwave_capex(distance_km)
        opex = capex * float(self.get("microwave", "opex_share_per_year"))
        return {"capex": capex, "opex_per_year": opex, "distance_class": cls,
                "feasible": cls >= 0}

    def satellite(self) -> tuple[float, float]:
        """(capex, opex per year) of a satellite backhaul terminal."""
        capex = float(self.get("satellite", "capex"))
        opex = (float(self.get("satellite", "mbps"))
                * float(self.get("satellite", "fee_per_mbps_year"))
                + capex * float(self.get("satellite", "opex_share_per_year")))
        return capex, opex

    def site(self, kind: Literal["upgrade", "new_site"]) -> tuple[float, float]:
        """(capex, opex per year) of an upgraded or a new site (backhaul apart)."""
        return float(self.get(kind, "capex")), float(self.get(kind, "opex_per_year"))

    def microwave_class_labels(self) -> list[str]:
        """Words for each distance class ("up to 20 km", "20-40 km", ...)."""
        b = [float(v) for v in self.get("microwave", "class_max_km")]
        return [f"up to {b[0]:g} km"] + [f"{lo:g}-{hi:g} km" for lo, hi in zip(b, b[1:],
                                                                            strict=False)]

    # ---- conversion and description
    def convert(self, currency: str) -> CostModel:
        """The same model with every amount in ``currency`` (``"USD"`` or ``"VND"``)."""
        currency = _check_currency(currency, "currency")
        if currency == self.currency:
            return self
        rate = self.usd_to_vnd if currency == "VND" else 1.0 / self.usd_to_vnd
        table = _scaled(self.table, rate)
        table["general"]["currency"] = currency
        return replace(self, table=table, currency=currency)

    def to_frame(self) -> pd.DataFrame:
        """One row per parameter: ``section, key, value, unit, source`` (the model sheet).

        Examples
        --------
        >>> f = read_costs().to_frame()
        >>> f.loc[(f["section"] == "fiber") & (f["key"] == "max_km"), "value"].item()
        '50'
        """
        rows = []
        for section, keys in _SCHEMA.items():
            src = str(self.table[section].get("source", ""))
            for key, (kind, unit) in keys.items():
                if key == "source":
                    continue
                value = self.table[section][key]
                if kind in ("money", "money_list"):
                    unit = f"{self.currency} {unit}"
                text = (", ".join(_fmt(v) for v in value) if isinstance(value, (list, tuple))
                        else _fmt(value))
                rows.append({"section": section, "key": key, "value": text, "unit": unit,
                             "source": src})
        return pd.DataFrame(rows, columns=["section", "key", "value", "unit", "source"])


def _fmt(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return f"{int(value)}"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _scaled(table: Mapping[str, Mapping[str, Any]], rate: float) -> dict[str, dict[str, Any]]:
    out = {s: dict(v) for s, v in table.items()}
    for section, key in _MONEY:
        value = out[section][key]
        out[section][key] = ([float(v) * rate for v in value] if isinstance(value, list)
                             else float(value) * rate)
    return out


def _check_currency(value: Any, where: str) -> str:
    text = str(value).strip().upper()
    if text not in CURRENCIES:
        raise SchemaError(f"{where} {value!r} is not valid; use one of {', '.join(CURRENCIES)}")
    return text


def _load(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise DataSourceError(
            f"{path}: cost table not found. " + hint(
                "Pass read_costs('my_costs.toml') with the path of a TOML file like "
                "geocov/data/costs.toml",
                "Set [priorities] costs in the analysis file (or --costs) to a TOML file like "
                "geocov/data/costs.toml"))
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise SchemaError(f"{path}: not UTF-8 text ({exc}); save it as UTF-8") from exc
    except tomllib.TOMLDecodeError as exc:
        raise SchemaError(f"{path}: not valid TOML ({exc})") from exc


def _check_table(data: Mapping[str, Any], where: str) -> None:
    """Unknown sections/keys and wrong value kinds are errors naming the file and key."""
    unknown = sorted(set(data) - set(_SCHEMA))
    if unknown:
        raise SchemaError(f"{where}: unknown section(s) {unknown}; valid: {sorted(_SCHEMA)}")
    for section, keys in data.items():
        if not isinstance(keys, Mapping):
            raise SchemaError(f"{where}: [{section}] must be a table of keys")
        bad = sorted(set(keys) - set(_SCHEMA[section]))
        if bad:
            raise SchemaError(f"{where}: unknown key(s) {bad} in [{section}]; valid: "
                              f"{sorted(_SCHEMA[section])}")
        for key, value in keys.items():
            kind = _SCHEMA[section][key][0]
            if not _kind_ok(kind, value):
                raise SchemaError(f"{where}: [{section}] {key} must be {_KIND_TEXT[kind]}, got "
                                  f"{value!r}")


_KIND_TEXT = {
    "money": "an amount >= 0", "money_list": "an array of amounts >= 0",
    "number": "a number >= 0", "numbers": "an array of numbers", "positive": "a number > 0",
    "text": "a text",
}


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _kind_ok(kind: str, value: Any) -> bool:
    if kind == "text":
        return isinstance(value, str)
    if kind in ("money", "number"):
        return _is_num(value) and value >= 0
    if kind == "positive":
        return _is_num(value) and value > 0
    if kind in ("numbers", "money_list"):
        return isinstance(value, list) and bool(value) and all(
            _is_num(v) and (kind == "numbers" or v >= 0) for v in value)
    raise AssertionError(kind)  # pragma: no cover


def _check_model(table: Mapping[str, Mapping[str, Any]], where: str) -> None:
    """Rules between keys: class lists of equal length and increasing, a route factor >= 1."""
    mw = table["microwave"]
    if len(mw["class_max_km"]) != len(mw["class_capex"]):
        raise SchemaError(f"{where}: [microwave] class_max_km and class_capex must have the same "
                          f"length; got {len(mw['class_max_km'])} and {len(mw['class_capex'])}")
    tr = table["terrain"]
    if len(tr["multipliers"]) != len(tr["slope_deg"]) + 1:
        raise SchemaError(f"{where}: [terrain] multipliers must have one more value than "
                          f"slope_deg (one per class); got {len(tr['multipliers'])} and "
                          f"{len(tr['slope_deg'])}")
    for section, key in (("microwave", "class_max_km"), ("terrain", "slope_deg")):
        values = np.asarray(table[section][key], dtype=float)
        if (np.diff(values) <= 0).any():
            raise SchemaError(f"{where}: [{section}] {key} must increase; got {list(values)}")
    if float(table["fiber"]["route_factor"]) < 1:
        raise SchemaError(f"{where}: [fiber] route_factor must be >= 1 (cable is never shorter "
                          f"than the straight line); got {table['fiber']['route_factor']!r}")


def read_costs(
    source: str | Path | Mapping[str, Any] | None = None,
    *,
    currency: str | None = None,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> CostModel:
    """Read the cost table: geocov's defaults, merged with yours, in one currency.

    Parameters
    ----------
    source : path or mapping, optional
        A TOML file (or the same as a dict) with any of the sections and keys of
        ``geocov/data/costs.toml``; keys left out keep the defaults. Its amounts are in its
        ``[general] currency`` (default USD).
    currency : {"USD", "VND"}, optional
        Currency of the result (default: that of ``source``, else USD). Amounts are
        converted with ``[general] usd_to_vnd``.
    overrides : mapping, optional
        ``{section: {key: value}}`` applied last, in ``source``'s currency.

    Returns
    -------
    CostModel

    Raises
    ------
    DataSourceError
        The file does not exist.
    SchemaError
        Unknown sections or keys, values of the wrong kind, or inconsistent lists.

    Examples
    --------
    >>> c = read_costs({"general": {"currency": "VND"}, "fiber": {"capex_per_km": 1.2e8}},
    ...                currency="USD")
    >>> round(c.get("fiber", "capex_per_km"), 2), c.get("new_site", "capex")
    (5012.11, 42500.0)
    """
    defaults = _load(DEFAULT_COSTS_PATH)
    _check_table(defaults, str(DEFAULT_COSTS_PATH))
    base = _check_currency(defaults["general"]["currency"], f"{DEFAULT_COSTS_PATH}: currency")
    table: dict[str, dict[str, Any]] = {s: dict(v) for s, v in defaults.items()}
    files = [str(DEFAULT_COSTS_PATH)]
    user_currency = base
    layers: list[tuple[str, Mapping[str, Any]]] = []
    if source is not None:
        if isinstance(source, Mapping):
            layers.append(("the cost table given", source))
        else:
            path = Path(source)
            layers.append((str(path), _load(path)))
            files.append(str(path))
    if overrides:
        layers.append(("overrides", overrides))
    for where, data in layers:
        _check_table(data, where)
        given = data.get("general", {}).get("currency")
        if given is not None:
            user_currency = _check_currency(given, f"{where}: [general] currency")
    if user_currency != base:
        rate = float(table["general"]["usd_to_vnd"])
        table = _scaled(table, rate if user_currency == "VND" else 1.0 / rate)
    for _, data in layers:
        for section, keys in data.items():
            table[section].update({k: v for k, v in keys.items() if k != "currency"})
    table["general"]["currency"] = user_currency
    for section, keys in _SCHEMA.items():
        for key, (kind, _) in keys.items():
            if kind in ("money", "number", "positive"):
                table[section][key] = float(table[section][key])
    _check_model(table, files[-1])
    model = CostModel(table=table, currency=user_currency, files=tuple(files))
    return model.convert(currency) if currency is not None else model
