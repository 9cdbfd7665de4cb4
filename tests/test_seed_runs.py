"""The stored seed runs (benchmarks/seed_runs.json) that the notebooks print their seed-to-seed spreads from.

tests/seed_spread.py writes them: it runs a training notebook with each seed and records the quantities its
metadata names (``vae_series.seed_record``). These tests check that every named quantity is stored for at least
three seeds, that the cells that print them are left out of the recording runs, and the recording itself, on a
small notebook run in a real kernel.
"""

import ast
import json
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

import vae_lib

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
import seed_spread  # noqa: E402

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
RECORDING = [p for p in NOTEBOOKS if seed_spread.to_record(nbformat.read(p, as_version=4))]
PRINTING = [p for p in NOTEBOOKS if any("seed-runs" in c.metadata.get("tags", [])
                                        for c in nbformat.read(p, as_version=4).cells)]


@pytest.mark.parametrize("path", RECORDING, ids=lambda p: p.stem)
def test_every_recorded_quantity_is_stored_for_three_seeds(path):
    runs = vae_lib.paths.seed_runs(path.stem)
    for quantity in seed_spread.to_record(nbformat.read(path, as_version=4)):
        seeds = sorted(runs.get(quantity, {}))
        assert len(seeds) >= 3 and 0 in seeds, (
            f"{path.name} records {quantity!r}, but seed_runs.json holds it for seeds {seeds}: run "
            f"`.venv/bin/python tests/seed_spread.py --only {path.name[:2]} --seeds 0 1 2`")


@pytest.mark.parametrize("path", PRINTING, ids=lambda p: p.stem)
def test_cells_that_print_seed_runs_only_print(path):
    "A seed-runs cell is left out of the recording runs, so no other cell may use a name it sets."
    cells = [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
    printing = [c for c in cells if "seed-runs" in c.metadata.get("tags", [])]
    others = [c for c in cells if c not in printing]
    used = {node.id for c in others for node in ast.walk(ast.parse(c.source)) if isinstance(node, ast.Name)}
    for cell in printing:
        assert "vae_lib.paths.seed_runs(" in cell.source
        tree = ast.parse(cell.source)
        comprehension_targets = {id(target) for node in ast.walk(tree) if isinstance(node, ast.comprehension)
                                 for target in ast.walk(node.target)}
        set_here = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)
                    and isinstance(node.ctx, ast.Store) and id(node) not in comprehension_targets}
        assert not set_here & used, f"{path.name}: a seed-runs cell sets {sorted(set_here & used)}, which other cells use"


def test_recording_a_notebook(tmp_path, monkeypatch):
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("SEED = 0", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("result = [SEED * 2, SEED + 0.5]"),
        nbformat.v4.new_code_cell("raise RuntimeError('a seed-runs cell must not run')", metadata={"tags": ["seed-runs"]})])
    nb.metadata["vae_series"] = {"seed_record": {"twice": "result[0]", "both": "result"}}
    runs = {}
    for seed in (0, 3):
        copy = seed_spread.with_seed(seed_spread.for_recording(nb), seed)
        NotebookClient(copy, timeout=60, kernel_name="python3").execute()
        runs["99_toy", seed] = seed_spread.recorded(copy)
    assert runs["99_toy", 3] == {"twice": 6, "both": [6, 3.5]}
    monkeypatch.setattr(seed_spread, "SEED_RUNS", tmp_path / "seed_runs.json")
    monkeypatch.setattr(seed_spread, "ROOT", tmp_path)
    seed_spread.store(runs)
    stored = json.loads((tmp_path / "seed_runs.json").read_text())["99_toy"]
    assert stored["quantities"]["twice"] == {"0": 0, "3": 6}
    assert set(stored["recorded"]) == {"twice", "both"}
