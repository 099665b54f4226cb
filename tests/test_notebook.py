"""The notebooks run top to bottom in a Jupyter kernel (nbclient), as an analyst would run them,
and are stored without outputs.

Each notebook runs in a fresh temporary folder (files it writes land there, not in the repo).
``real_province.ipynb`` finds the shared data through ``GEOCOV_SHARED_DATA``: it runs once with
the variable pointing nowhere (every cell must say it skipped) and, when the data is on this
machine, once on it. Warnings in a notebook appear as stderr outputs: only geocov's own data
warnings are expected there (the pytest ``filterwarnings = error`` rule does not reach the kernel).
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def notebook_outputs_problems(nb: nbformat.NotebookNode) -> list[str]:
    """Why ``nb`` is not stored clean: cells with outputs or execution counts."""
    problems = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        if cell.get("outputs"):
            problems.append(f"cell {i} has {len(cell.outputs)} output(s)")
        if cell.get("execution_count") is not None:
            problems.append(f"cell {i} has execution_count {cell.execution_count}")
    if "widgets" in nb.metadata:
        problems.append("metadata holds widget state")
    return problems


def run_notebook(name: str, cwd: Path, monkeypatch: pytest.MonkeyPatch,
                 env: dict[str, str] | None = None) -> nbformat.NotebookNode:
    """Execute notebooks/<name> in a kernel whose working folder is ``cwd``."""
    for key, value in (env or {}).items():
        monkeypatch.setenv(key, value)  # the kernel inherits the environment
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")
    # this interpreter's kernel (ipykernel's "python3"), not one in the user's own Jupyter folders
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(cwd / ".jupyter-data"))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(cwd / ".jupyter-runtime"))
    monkeypatch.setenv("TMPDIR", str(cwd))  # the notebooks' own temporary folders go here too
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(cwd)}}).execute()
    return nb


def texts(nb: nbformat.NotebookNode, kind: str = "stdout") -> str:
    """All the text a notebook showed: printed (``stdout``), warnings (``stderr``), or the
    plain-text and HTML displays (``display``)."""
    out = []
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            if o.output_type == "stream" and o.name == kind:
                out.append(o.text)
            elif kind == "display" and o.output_type in ("execute_result", "display_data"):
                out.append(o.data.get("text/plain", "") + o.data.get("text/html", "")[:200_000])
    return "\n".join(out)


def images(nb: nbformat.NotebookNode) -> int:
    return sum("image/png" in o.get("data", {}) for c in nb.cells for o in c.get("outputs", []))


def warning_classes(nb: nbformat.NotebookNode) -> set[str]:
    return set(re.findall(r"(\w+Warning):", texts(nb, "stderr")))


# --------------------------------------------------------------------------- stored clean
def test_the_notebooks_are_the_three_analysts_notebooks():
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == [
        "quickstart.ipynb", "real_province.ipynb", "rollout_scenario.ipynb"]


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda p: p.stem)
def test_notebooks_are_stored_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert notebook_outputs_problems(nb) == [], (
        f"{path.name} was saved with outputs: clear them (Jupyter: Edit > Clear All Outputs, "
        f"or `jupyter nbconvert --clear-output --inplace {path}`)")


def test_the_output_check_finds_an_executed_cell():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
    assert notebook_outputs_problems(nb) == []
    nb.cells[0].execution_count = 1
    nb.cells[0].outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "2"},
                                                  execution_count=1)]
    assert notebook_outputs_problems(nb) == ["cell 0 has 1 output(s)",
                                             "cell 0 has execution_count 1"]


# --------------------------------------------------------------------------- they run
def test_quickstart_runs(tmp_path, monkeypatch):
    nb = run_notebook("quickstart.ipynb", tmp_path, monkeypatch)
    printed = texts(nb)
    assert printed.startswith("Signal in 150/150 communes")
    assert re.search(r"\d+ new 4G sites, \d+ upgrades of 2G/3G sites to 4G and \d+ km of fiber "
                     r"\(cost [\d.]+ million USD over 10 years: [\d.]+ million USD for the sites, "
                     r"[\d,]+ USD for the fiber\) bring 4G to", printed)
    shown = texts(nb, "display")
    assert "villages_pct_4g" in shown and "operator" in shown  # the tables
    assert "tier_label" in shown and "sites_planned" in shown  # priorities, plan
    assert "leaflet" in shown.lower()  # the map, inline
    assert (tmp_path / "geocov-out" / "coverage.xlsx").exists()
    assert texts(nb, "stderr") == ""


def test_rollout_scenario_runs(tmp_path, monkeypatch):
    nb = run_notebook("rollout_scenario.ipynb", tmp_path, monkeypatch)
    printed = texts(nb)
    assert "communes have no fiber; the 6 remotest:" in printed
    # 90 sites (new or upgrades) and fiber to the 6 remotest communes
    found = re.search(r"(\d+) new 4G sites, (\d+) upgrades of 2G/3G sites to 4G and \d+ km of "
                      r"fiber .* and fiber to 6 more communes\.", printed)
    assert found and int(found[1]) + int(found[2]) == 90
    shown = texts(nb, "display")
    assert "people_newly_served" in shown and "usd_per_person" in shown
    assert images(nb) == 2  # the before/after maps and the budget curve
    assert texts(nb, "stderr") == ""


def test_real_province_skips_cleanly_without_the_data(tmp_path, monkeypatch):
    absent = tmp_path / "no-shared-data"
    nb = run_notebook("real_province.ipynb", tmp_path, monkeypatch,
                      env={"GEOCOV_SHARED_DATA": str(absent)})
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert texts(nb) == (f"SKIPPED: no shared data folder at {absent}. Set GEOCOV_SHARED_DATA to "
                         "the folder that holds boundaries/ and population/, then run the "
                         "notebook again.\n")
    assert all(c.outputs == [] for c in code[1:])  # every later cell does nothing
    assert len(code) > 10


@pytest.mark.realdata
def test_real_province_runs_on_the_shared_data(shared_data, tmp_path, monkeypatch):
    nb = run_notebook("real_province.ipynb", tmp_path, monkeypatch,
                      env={"GEOCOV_SHARED_DATA": str(shared_data)})
    printed = texts(nb)
    assert "Before: 164 communes in 9 districts, units of pre-2025 (63 provinces)" in printed
    assert "After:  99 communes in the new Lào Cai, units of 2025 (34 provinces)" in printed
    assert "1,569 villages" in printed
    assert "1,000 stations inside (311 2G, 391 3G, 298 4G)" in printed  # read back from cp1258
    assert "\ncp1258\n" in printed
    assert "164 old units -> 48 new units" in printed
    assert "re-aggregated from pre-2025 (63 provinces) units by population shares" in printed
    assert "the report predates the 2025 reform" in printed
    shown = texts(nb, "display")
    assert "Not compared: geocov has no fiber data" in shown
    assert "the difference comes from the radius model" in shown
    assert images(nb) == 2  # both vintages, villages with 4G against the radius
    assert warning_classes(nb) == {"DataQualityWarning"}
