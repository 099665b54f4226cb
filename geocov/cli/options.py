"""Options shared by several commands, and small helpers for the thin CLI layer."""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import functools
import sys
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click

from ..analysis import Analysis, read_analysis
from ..errors import GeocovError, GeocovWarning, cli_hints


def parse_mapping(ctx: click.Context, param: click.Parameter, value: str | None) -> dict | None:
    """Parse ``key=value,key=value`` (order kept) into a dict."""
    if not value:
        return None
    out: dict[str, str] = {}
    for part in value.split(","):
        if "=" not in part:
            raise click.BadParameter(
                f"expected key=value pairs separated by commas, got {part!r} "
                f"(e.g. province=NAME_1,district=NAME_2,commune=NAME_3)",
                param_hint=param.opts[0],
            )
        k, v = part.split("=", 1)
        out[k.strip()] = v.strip().strip("'\"")
    return out


def parse_radius(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> float | dict | None:
    """Parse ``30000`` or ``4G=30000,5G=8000`` (metres) into a number or a dict."""
    if not value:
        return None
    try:
        if "=" not in value:
            return float(value)
        return {k: float(v) for k, v in (parse_mapping(ctx, param, value) or {}).items()}
    except ValueError:
        raise click.BadParameter(
            f"expected a number of metres or TECH=metres pairs (e.g. 4G=30000,5G=8000), "
            f"got {value!r}",
            param_hint=param.opts[0],
        ) from None


# Per input: analysis key -> (option, help).  Each becomes ``--<input>-<option>``.
_PER_INPUT: dict[str, dict[str, str]] = {
    "units": {
        "layer": "Layer of the units file.",
        "encoding": "Text encoding of the units' DBF without .cpg: cp1258, tcvn3, vni, ... "
        "(default: detected).",
        "decimal": "Decimal mark of the units' text numbers (default: from the layer).",
        "vintage": "Which units these are, for the titles and model notes: 2025, 2025-07-01, "
        "'before 2025 reform' or any text (default: detected, else 'unknown vintage').",
    },
    "villages": {
        "layer": "Layer of a multi-layer villages file (GeoPackage; default: the first).",
        "columns": "Column mapping for villages: unit_code=ma_xa,population=dan_so.",
        "encoding": "Text encoding of the villages file (default: detected).",
        "decimal": "Decimal mark of the villages file's numbers (default: from the file).",
    },
    "stations": {
        "layer": "Layer of a multi-layer stations file (GeoPackage; default: the first).",
        "columns": "Column mapping for stations: lat=vi_do,lon=kinh_do.",
        "encoding": "Text encoding of the stations file (default: detected).",
        "decimal": "Decimal mark of the stations file's numbers (default: from the file).",
    },
    "fiber": {
        "layer": "Layer of the fiber file (default: every layer).",
        "columns": "Column mapping for fiber: unit_code=ma_xa.",
        "encoding": "Text encoding of the fiber file (default: detected).",
        "decimal": "Decimal mark of the fiber file's numbers (default: from the file).",
    },
}
# Options that set one key of one input: parameter name -> (input, analysis key)
_INPUT_KEYS: dict[str, tuple[str, str]] = {
    f"{name}_{key}": (name, key) for name, keys in _PER_INPUT.items() for key in keys
}
_INPUT_KEYS.update(
    {
        "levels": ("units", "levels"),
        "codes": ("units", "codes"),
        "opencellid_range": ("stations", "opencellid_range"),
        "max_range_m": ("stations", "max_range_m"),
        "reach_m": ("fiber", "reach_m"),
    }
)


def _option_name(param: str) -> str:
    return "--" + param.replace("_", "-")


def _per_input_option(name: str, key: str, help_text: str) -> Callable:
    opt = _option_name(f"{name}_{key}")
    if key == "columns":
        return click.option(opt, callback=parse_mapping, help=help_text)
    if key == "decimal":
        return click.option(opt, type=click.Choice([",", "."]), help=help_text)
    return click.option(opt, help=help_text)


def input_options(f: Callable) -> Callable:
    """Inputs given either as an analysis TOML file or file by file."""
    opts = [
        click.option(
            "--analysis",
            "analysis_path",
            type=click.Path(exists=True, dir_okay=False),
            help="Analysis TOML file (other input options override it).",
        ),
        click.option(
            "--units", type=click.Path(exists=True), help="Admin units (any vector format)."
        ),
        *[_per_input_option("units", k, h) for k, h in _PER_INPUT["units"].items()],
        click.option(
            "--levels",
            callback=parse_mapping,
            help="Level=name-column pairs, coarse to fine: province=NAME_1,commune=NAME_3.",
        ),
        click.option("--codes", callback=parse_mapping, help="Level=code-column pairs."),
        click.option(
            "--villages", type=click.Path(exists=True), help="Villages (CSV/Excel/vector)."
        ),
        *[_per_input_option("villages", k, h) for k, h in _PER_INPUT["villages"].items()],
        click.option(
            "--stations",
            type=click.Path(exists=True),
            help="Base stations (CSV incl. OpenCelliD, Excel, vector).",
        ),
        *[_per_input_option("stations", k, h) for k, h in _PER_INPUT["stations"].items()],
        click.option(
            "--opencellid-range/--no-opencellid-range",
            default=None,
            help="Use OpenCelliD's 'range' (the spread of observations) as the coverage "
            "radius. Default: no, the technology's default radius.",
        ),
        click.option(
            "--max-range-m",
            callback=parse_radius,
            help="Largest plausible station range (m): one number, or TECH=metres pairs "
            "(4G=30000,5G=8000) over the defaults. Rows beyond are errors (rejects with "
            "--lenient).",
        ),
        click.option(
            "--fiber",
            type=click.Path(exists=True),
            help="Fiber: nodes/routes layer or table of connected codes.",
        ),
        *[_per_input_option("fiber", k, h) for k, h in _PER_INPUT["fiber"].items()],
        click.option("--reach-m", type=float, help="Fiber reach (m) of nodes and routes."),
        click.option(
            "--population", help="Population raster path, or 'villages' / 'units' for a column."
        ),
        click.option("--resolution-m", type=float, help="Grid cell size (m). Default 100."),
        click.option(
            "--village-tolerance-m",
            type=float,
            help="How far (m) a village may lie outside the commune its code names "
            "and still count in it. Default 500.",
        ),
        click.option("--crs", "working_crs", help="Metric working CRS, e.g. EPSG:3405."),
        click.option(
            "--workers",
            type=click.IntRange(min=1),
            help="Threads for the coverage grid. Default: the CPUs (at most 8).",
        ),
        click.option(
            "--dem",
            type=click.Path(exists=True, dir_okay=False),
            help="Elevation model (GeoTIFF, any CRS): terrain-aware coverage, written beside "
            "the disc model's with the shadowed villages (terrain.xlsx). Overrides [model] dem.",
        ),
        click.option(
            "--terrain-mode",
            type=click.Choice(["los", "pathloss"]),
            help="With a DEM: 'los' (line of sight, default) or 'pathloss' (free space + "
            "diffraction against each technology's link budget).",
        ),
        click.option(
            "--antenna-height-m",
            type=click.FloatRange(min=0, max=600),
            help="With a DEM: antenna height above ground (m) where the stations give none. "
            "Default 30.",
        ),
    ]
    for o in reversed(opts):
        f = o(f)
    return f


def build_analysis(
    analysis_path: str | None,
    units: str | None,
    villages: str | None,
    stations: str | None,
    fiber: str | None,
    population: str | None,
    resolution_m: float | None,
    village_tolerance_m: float | None,
    working_crs: str | None,
    workers: int | None = None,
    dem: str | None = None,
    terrain_mode: str | None = None,
    antenna_height_m: float | None = None,
    **options: Any,
) -> Analysis:
    """An :class:`Analysis` from a TOML file and/or command-line options.

    A file option (``--stations``) replaces the TOML's section; the other input options
    (``--stations-columns``, ``--stations-layer``, ...) set one key of it.
    """
    if analysis_path:
        a = read_analysis(analysis_path)
    elif units:
        a = Analysis(units={"path": units})
    else:
        raise click.UsageError("give --analysis FILE.toml or at least --units FILE")
    files = {"units": units, "villages": villages, "stations": stations, "fiber": fiber}
    sections: dict[str, dict[str, Any] | None] = {}
    for name, path in files.items():
        current = getattr(a, name)
        if path:
            sections[name] = {"path": path}
        else:
            sections[name] = dict(current) if current is not None else None
    for param, (name, key) in _INPUT_KEYS.items():
        value = options.get(param)
        if value is None or value == {}:
            continue
        if sections[name] is None:
            raise click.UsageError(
                f"{_option_name(param)} needs --{name} (or [{name}] in the analysis TOML)"
            )
        sections[name][key] = value  # type: ignore[index]
    model = dict(a.model)
    if resolution_m:
        model["resolution_m"] = resolution_m
    if village_tolerance_m is not None:
        model["village_tolerance_m"] = village_tolerance_m
    if working_crs:
        model["crs"] = working_crs
    if workers is not None:
        model["workers"] = workers
    if dem:
        model["dem"] = str(Path(dem))
    if terrain_mode:
        model["terrain_mode"] = terrain_mode
    if antenna_height_m is not None:
        model["antenna_height_m"] = antenna_height_m
    pop = a.population
    if population:
        pop = population if population in ("villages", "units") else str(Path(population))
    # replace() keeps every other section of the file ([priorities], [plan], ...)
    return dataclasses.replace(
        a,
        units=sections["units"] or {},
        villages=sections["villages"],
        stations=sections["stations"],
        fiber=sections["fiber"],
        population=pop,
        model=model,
        output=dict(a.output),
    )


def units_vintage_option(f: Callable) -> Callable:
    """``--units-vintage TEXT`` for commands that take an analysis file without the input
    options (``geocov run``): set it on the analysis with :func:`with_units_vintage`."""
    return click.option("--units-vintage", help=_PER_INPUT["units"]["vintage"])(f)


def with_units_vintage(analysis: Analysis, vintage: str | None) -> Analysis:
    """``analysis`` with ``[units] vintage`` set to ``vintage`` (unchanged when None)."""
    if vintage is None:
        return analysis
    return dataclasses.replace(analysis, units={**analysis.units, "vintage": vintage})


def lenient_option(f: Callable) -> Callable:
    f = click.option(
        "--rejects",
        "rejects_path",
        type=click.Path(dir_okay=False),
        help="Where to write the rejects report (CSV).",
    )(f)
    return click.option(
        "--lenient", is_flag=True, help="Go on past bad rows; they go to the rejects report."
    )(f)


def rejects_report(lenient: bool) -> Any:
    """A new :class:`~geocov.io.RejectsReport` with ``--lenient``, else None (strict)."""
    from ..io import RejectsReport

    return RejectsReport() if lenient else None


def lang_option(f: Callable) -> Callable:
    """``--lang vi|en``: the language of the outputs and of the command's messages
    (default: ``lang`` at the top of the analysis file, else English)."""
    from ..locale import LANGUAGES

    return click.option(
        "--lang",
        type=click.Choice(list(LANGUAGES)),
        default=None,
        help="Language of the outputs (headers, sheet names, summary, map texts) and of "
        "these messages: vi or en. Default: lang in the analysis file, else en.",
    )(f)


def say(written: Any, key: str, **fields: Any) -> str:
    """The CLI's message ``cli.<key>`` in the language ``written`` was written in."""
    from ..vocabulary import label

    return label(f"cli.{key}", getattr(written, "lang", "en"), **fields)


def echo_rejects(written: Any) -> None:
    """``N rejected row(s) -> rejects.csv`` when the command ran in lenient mode."""
    if written.rejects is not None:
        from ..locale import number

        n = number(len(written.rejects), getattr(written, "lang", "en"))
        click.echo(say(written, "rejected", n=n, path=written.rejects_path))


def echo_written(written: Any) -> None:
    """The summary, every file written, and the rejects line (report, run, demo)."""
    from ..report import summary_text

    lang = getattr(written, "lang", None) or "en"
    click.echo(summary_text(written.result, lang))
    for part in ("terrain", "priorities", "plan"):  # disc vs terrain; the demo's list, plan
        if getattr(written, part, None) is not None:
            click.echo(getattr(written, part).summary(lang))
    for path in (*written.tables, *written.maps):
        click.echo(say(written, "wrote", path=path))
    if getattr(written, "manifest", None) is not None:
        click.echo(say(written, "wrote", path=written.manifest))
    echo_rejects(written)


#: Key of ``click.Context.meta`` set by ``geocov -q``: no progress bars in any command.
QUIET = "geocov.quiet"


def quiet_option(f: Callable) -> Callable:
    """``-q/--quiet`` on a command: no progress bars (``geocov -q <command>`` too)."""
    return click.option(
        "-q", "--quiet", is_flag=True, help="No progress bars (only results and errors)."
    )(f)


def _stderr_is_terminal() -> bool:
    return bool(getattr(sys.stderr, "isatty", lambda: False)())


def show_progress(quiet: bool) -> bool:
    """Whether a command shows progress bars: on a terminal, unless ``-q`` (on the command
    or on ``geocov``). Output sent to a file or a pipe gets none, so logs stay clean."""
    ctx = click.get_current_context(silent=True)
    if quiet or (ctx is not None and ctx.meta.get(QUIET, False)):
        return False
    return _stderr_is_terminal()


def output_place(value: str | None, *, param_hint: str = "-o/--output") -> dict[str, str | None]:
    """``folder=`` / ``target=`` for the application layer from an ``-o`` value.

    A path ending in ``.xlsx``, ``.gpkg`` or ``.csv`` is one file (``target``); a path
    ending in ``/``, an existing folder or a name without a suffix is a folder that gets
    every output (``folder``). Anything else is a usage error.
    """
    from ..analysis import TABLE_SUFFIXES

    if value is None:
        return {"folder": None, "target": None}
    path = Path(value)
    if value.endswith(("/", "\\")) or path.is_dir() or not path.suffix:
        return {"folder": value, "target": None}
    if path.suffix.lower() in TABLE_SUFFIXES:
        return {"folder": None, "target": value}
    raise click.BadParameter(
        f"{value!r}: output must end in .xlsx, .gpkg or .csv to write that one file, or "
        f"in / to write every output into that folder",
        param_hint=param_hint,
    )


def check_output(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Refuse an ``-o`` that is neither a table file nor a folder before any work is done."""
    output_place(value, param_hint="/".join(param.opts))
    return value


#: The language of the command's messages (warnings, errors): see :func:`cli_session`.
_CLI_LANG: contextvars.ContextVar[str] = contextvars.ContextVar("geocov_cli_lang", default="en")


def _cli_words(key: str, **fields: Any) -> str:
    from ..vocabulary import label

    return label(f"cli.{key}", _CLI_LANG.get(), **fields)


class _Failure(click.ClickException):
    """A clean CLI error whose ``Error:`` prefix is in the command's language."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.lang = _CLI_LANG.get()  # click shows it once the command's session has ended

    def show(self, file: Any = None) -> None:
        from ..vocabulary import label

        click.echo(label("cli.error", self.lang, text=self.format_message()), err=True)


def fail(exc: Exception) -> None:
    """Turn a library error into a clean CLI error (exit code 1, message on stderr)."""
    raise _Failure(f"{type(exc).__name__}: {exc}") from exc


def _echo_warning(message: Warning | str, category: type[Warning], *_: Any, **__: Any) -> None:
    label = "" if issubclass(category, GeocovWarning) else f"{category.__name__}: "
    text = message.text(_CLI_LANG.get()) if isinstance(message, GeocovWarning) else message
    from tqdm import tqdm

    with tqdm.external_write_mode():  # clears a progress bar for the line, then redraws it
        click.echo(_cli_words("warning", text=f"{label}{text}"), err=True)


def command_lang(params: dict[str, Any]) -> str:
    """The language of a command's messages from its parameters: ``--lang``, else ``lang``
    at the top of its analysis file (``analysis`` or ``--analysis``), else English."""
    from ..locale import DEFAULT_LANG, LANGUAGES

    lang = params.get("lang")
    if lang in LANGUAGES:
        return str(lang)
    path = params.get("analysis_path") or params.get("analysis")
    if isinstance(path, (str, Path)) and str(path).lower().endswith(".toml"):
        if sys.version_info >= (3, 11):
            import tomllib
        else:  # pragma: no cover
            import tomli as tomllib
        try:
            with open(path, "rb") as f:
                lang = tomllib.load(f).get("lang")
        except (OSError, ValueError):  # the command reports a bad file itself
            lang = None
    return str(lang) if lang in LANGUAGES else DEFAULT_LANG


@contextlib.contextmanager
def cli_session(lang: str = "en") -> Iterator[None]:
    """Where every command does its work.

    Fix hints name command-line options (:func:`geocov.errors.cli_hints`); geocov's
    warnings print as one ``warning: ...`` line each (not Python's ``file:line`` form),
    in ``lang`` when the warning has the catalogue's words
    (:meth:`geocov.errors.GeocovWarning.text`); a :class:`~geocov.errors.GeocovError`
    (or an ``OSError``: an output that cannot be written) becomes one ``Error: ...``
    line (``Lỗi: ...`` in Vietnamese) and exit code 1.
    """
    token = _CLI_LANG.set(lang)
    try:
        with cli_hints(), warnings.catch_warnings():
            warnings.simplefilter("always", GeocovWarning)
            warnings.showwarning = _echo_warning
            try:
                yield
            except GeocovError as exc:
                fail(exc)
            except OSError as exc:  # a file the command cannot write (or read)
                raise _Failure(f"{type(exc).__name__}: {exc}") from exc
    finally:
        _CLI_LANG.reset(token)


def handles_errors(f: Callable) -> Callable:
    """Run a command's function inside :func:`cli_session`, in the command's language
    (:func:`command_lang`)."""

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with cli_session(command_lang(kwargs)):
            return f(*args, **kwargs)

    return wrapper
