"""A whole analysis described in one small TOML file, so that next year's rerun is one command.

.. code-block:: toml

    title = "Lào Cai coverage"
    data_date = "2020-12-31"

    [units]                       # required
    path = "communes.gpkg"        # relative to this file; "sample:units" = built-in sample
    layer = "communes"
    levels = { province = "NAME_1", district = "NAME_2", commune = "NAME_3" }  # coarse -> fine
    codes = { commune = "GID_3" } # optional, per level
    population = "pop_2019"       # optional population column

    [villages]                    # optional
    path = "villages.csv"
    columns = { unit_code = "ma_xa" }

    [stations]                    # optional
    path = "bts.csv"
    columns = { lat = "vi_do", lon = "kinh_do" }

    [fiber]                       # optional
    path = "fiber.gpkg"
    reach_m = 2000

    [population]                  # optional: a raster, or source = "villages" / "units"
    raster = "pop.tif"

    [model]                       # optional
    resolution_m = 100
    crs = "EPSG:3405"             # working CRS (default: UTM zone of the data)
    radius_m = { "4G" = 3000 }    # default radius per technology (or one number)
    statuses = ["active"]         # use only stations with these statuses

    [output]
    folder = "geocov-out"
    levels = ["province", "district", "commune"]   # default: all, plus "total"
    formats = ["csv", "gpkg", "xlsx"]
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .errors import DataSourceError, SchemaError
from .io import RejectsReport

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["Analysis", "read_analysis", "load_inputs", "run_analysis"]

_SECTIONS = {
    "units": {"path", "layer", "levels", "codes", "population"},
    "villages": {"path", "layer", "columns", "crs"},
    "stations": {"path", "layer", "columns", "crs"},
    "fiber": {"path", "layer", "columns", "reach_m", "kind", "crs"},
    "population": {"raster", "source"},
    "model": {"resolution_m", "crs", "radius_m", "statuses"},
    "output": {"folder", "levels", "formats"},
}
_TOP = {"title", "data_date", *_SECTIONS}


@dataclass(frozen=True)
class Analysis:
    """Inputs, model settings and outputs of one coverage analysis (paths already resolved)."""

    units: Mapping[str, Any]
    villages: Mapping[str, Any] | None = None
    stations: Mapping[str, Any] | None = None
    fiber: Mapping[str, Any] | None = None
    population: str | None = None
    model: Mapping[str, Any] = field(default_factory=dict)
    output: Mapping[str, Any] = field(default_factory=dict)
    title: str | None = None
    data_date: str | None = None
    source: Path | None = None

    def with_output(self, **changes: Any) -> Analysis:
        """A copy with output settings changed (``folder``, ``levels``, ``formats``)."""
        return replace(
            self, output={**self.output, **{k: v for k, v in changes.items() if v is not None}}
        )


def _resolve(value: str, base: Path, where: str) -> str:
    if value.startswith("sample:"):
        from .sample import sample_paths

        key = value.split(":", 1)[1]
        paths = sample_paths()
        if key not in paths:
            raise SchemaError(
                f"{where}: unknown sample layer {value!r}; valid: {['sample:' + k for k in paths]}"
            )
        return str(paths[key])
    p = Path(value).expanduser()
    return str(p if p.is_absolute() else (base / p))


def read_analysis(path: str | Path) -> Analysis:
    """Read an analysis TOML file; relative paths are taken from the file's folder.

    Raises :class:`~geocov.errors.SchemaError` naming the file and the key for unknown
    sections or keys, a missing ``[units]`` section or wrong value types.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.toml"
    >>> _ = p.write_text('[units]\\npath = "c.gpkg"\\nlevels = {province = "P", commune = "C"}\\n')
    >>> a = read_analysis(p)
    >>> pathlib.Path(a.units["path"]).name, dict(a.units["levels"])
    ('c.gpkg', {'province': 'P', 'commune': 'C'})
    """
    path = Path(path)
    if not path.exists():
        raise DataSourceError(f"{path}: analysis file not found")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SchemaError(f"{path}: not valid TOML ({exc})") from exc
    unknown = sorted(set(data) - _TOP)
    if unknown:
        raise SchemaError(f"{path}: unknown section(s) or key(s) {unknown}; valid: {sorted(_TOP)}")
    for section, keys in _SECTIONS.items():
        if section in data:
            if not isinstance(data[section], dict):
                raise SchemaError(f"{path}: [{section}] must be a table")
            bad = sorted(set(data[section]) - keys)
            if bad:
                raise SchemaError(
                    f"{path}: unknown key(s) {bad} in [{section}]; valid: {sorted(keys)}"
                )
    if "units" not in data or "path" not in data["units"]:
        raise SchemaError(f"{path}: a [units] section with a path is required")
    base = path.parent
    sections: dict[str, Any] = {}
    for name in ("units", "villages", "stations", "fiber"):
        if name in data:
            sec = dict(data[name])
            if "path" not in sec:
                raise SchemaError(f"{path}: [{name}] needs a path")
            sec["path"] = _resolve(str(sec["path"]), base, f"{path} [{name}]")
            sections[name] = sec
    pop = data.get("population", {})
    population = None
    if "raster" in pop and "source" in pop:
        raise SchemaError(f"{path}: [population] takes either raster or source, not both")
    if "raster" in pop:
        population = _resolve(str(pop["raster"]), base, f"{path} [population]")
    elif "source" in pop:
        if pop["source"] not in ("villages", "units"):
            raise SchemaError(
                f"{path}: [population] source must be 'villages' or 'units', got {pop['source']!r}"
            )
        population = pop["source"]
    output = dict(data.get("output", {}))
    if "folder" in output:
        output["folder"] = _resolve(str(output["folder"]), base, f"{path} [output]")
    return Analysis(
        units=sections["units"],
        villages=sections.get("villages"),
        stations=sections.get("stations"),
        fiber=sections.get("fiber"),
        population=population,
        model=dict(data.get("model", {})),
        output=output,
        title=data.get("title"),
        data_date=str(data["data_date"]) if "data_date" in data else None,
        source=path,
    )


def load_inputs(analysis: Analysis, *, rejects: RejectsReport | None = None) -> dict[str, Any]:
    """Read every input of ``analysis`` (strict mode unless ``rejects`` is given).

    Returns a dict with keys ``units``, ``villages``, ``stations``, ``fiber`` (None when
    the analysis has no such input).
    """
    from .boundaries import read_units
    from .fiber import read_fiber
    from .stations import read_stations
    from .villages import read_villages

    u = dict(analysis.units)
    out: dict[str, Any] = {
        "units": read_units(
            u.pop("path"),
            layer=u.get("layer"),
            levels=u.get("levels"),
            codes=u.get("codes"),
            population=u.get("population"),
            rejects=rejects,
        ),
        "villages": None,
        "stations": None,
        "fiber": None,
    }
    readers = {"villages": read_villages, "stations": read_stations, "fiber": read_fiber}
    for name, reader in readers.items():
        sec = getattr(analysis, name)
        if sec is None:
            continue
        kw = {k: v for k, v in sec.items() if k != "path"}
        if name != "fiber" and "layer" in kw:
            kw.pop("layer")  # tabular readers take the first layer/sheet
        out[name] = reader(sec["path"], rejects=rejects, **kw)
    return out


def run_analysis(analysis: Analysis | str | Path, *, rejects: RejectsReport | None = None):
    """Read the inputs of ``analysis`` and compute coverage (nothing is written).

    Returns a :class:`geocov.CoverageResult`; write it with ``result.write(folder)``.
    """
    from .coverage import coverage

    if not isinstance(analysis, Analysis):
        analysis = read_analysis(analysis)
    inputs = load_inputs(analysis, rejects=rejects)
    model = dict(analysis.model)
    return coverage(
        inputs["units"],
        villages=inputs["villages"],
        stations=inputs["stations"],
        fiber=inputs["fiber"],
        population=analysis.population,
        radius_m=model.get("radius_m"),
        crs=model.get("crs"),
        resolution_m=float(model.get("resolution_m", 100.0)),
        statuses=model.get("statuses"),
        rejects=rejects,
        title=analysis.title,
        data_date=analysis.data_date,
    )
