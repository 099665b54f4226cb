"""`import geocov` and `geocov --help` stay light: the heavy libraries load on first use.

Each check runs in a fresh interpreter, since this test process has imported everything.
"""

from __future__ import annotations

import json
import subprocess
import sys

import click
import pytest

from geocov.cli import _COMMANDS, main

# each of these takes 0.1-0.4 s to import; none is needed to list names or print help
HEAVY = ("geopandas", "rasterio", "folium", "shapely", "pyproj", "pandas")


def _fresh(code: str) -> dict:
    """Run ``code`` in a new interpreter; return its ``out`` dict and the heavy modules loaded."""
    probe = (
        "import json, sys\nout = {}\n" + code + "\n"
        f"out['heavy'] = sorted(m for m in {HEAVY!r} if m in sys.modules)\n"
        "print(json.dumps(out))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    return json.loads(done.stdout.splitlines()[-1])


def test_import_geocov_loads_no_heavy_library():
    out = _fresh("import geocov\nout['n'] = len(geocov.__all__)")
    assert out["heavy"] == []
    assert out["n"] > 30


def test_cli_help_loads_no_heavy_library_and_lists_every_command():
    out = _fresh(
        "import contextlib, io\n"
        "from geocov.cli import main\n"
        "buf = io.StringIO()\n"
        "with contextlib.redirect_stdout(buf):\n"
        "    main(['--help'], standalone_mode=False)\n"
        "out['help'] = buf.getvalue()"
    )
    assert out["heavy"] == []
    commands = out["help"].split("Commands:")[1].split()
    assert set(_COMMANDS) <= set(commands)


@pytest.mark.parametrize(
    "first",
    [
        "",  # the function before anything imported the module
        "import geocov.coverage",  # the statement that binds a submodule on its package
        "import geocov.maps",  # a module that imports geocov.coverage itself
        "from geocov.coverage import CoverageResult",
    ],
)
def test_geocov_coverage_stays_the_function(first):
    out = _fresh(
        f"{first}\nimport geocov\n"
        "out['name'] = geocov.coverage.__module__ + '.' + geocov.coverage.__qualname__\n"
        "out['module'] = type(sys.modules['geocov.coverage']).__name__"
    )
    assert out["name"] == "geocov.coverage.coverage"
    assert out["module"] == "module"


def test_submodules_are_reachable_as_attributes():
    out = _fresh("import geocov\nout['crs'] = geocov.crs.__name__")
    assert out["crs"] == "geocov.crs"
    with pytest.raises(AttributeError, match="module 'geocov' has no attribute 'nope'"):
        import geocov

        geocov.nope  # noqa: B018


@pytest.mark.parametrize("name", sorted(_COMMANDS))
def test_listed_summary_is_the_commands_own(name):
    # `geocov --help` shows these summaries without importing the commands: keep them in sync
    command = main.get_command(click.Context(main), name)
    assert _COMMANDS[name] == command.get_short_help_str(limit=10_000)
