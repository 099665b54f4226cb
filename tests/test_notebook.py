"""The quickstart notebook runs as written (its code cells executed in order, no Jupyter)."""

from __future__ import annotations

import json
from pathlib import Path

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "quickstart.ipynb"


def test_quickstart_notebook_runs(tmp_path, monkeypatch):
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            exec(compile("".join(cell["source"]), str(NOTEBOOK), "exec"), namespace)
    assert namespace["result"].summary().startswith("Signal in 150/150 communes")
    assert len(namespace["district"]) == 9
    assert (tmp_path / "geocov-out" / "coverage.xlsx").exists()
