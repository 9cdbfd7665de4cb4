"""Run the training notebooks with other seeds: every assert must still hold, and the printed numbers show the spread.

    .venv/bin/python tests/seed_spread.py --seeds 0 1 2      # or: make seeds
    .venv/bin/python tests/seed_spread.py --only 07          # one notebook (later ones need earlier checkpoints)

A notebook that trains has a cell tagged ``parameters`` that sets ``SEED = 0``.
For each seed this script executes a copy of each such notebook, in the series'
order, with ``SEED = <seed>`` inserted after that cell, in a fresh checkpoint
folder (so every model is trained anew; later notebooks load the earlier ones'
models of the same seed, as in a real run) and with figures going to a temporary
folder. A failing assert fails the run: it means a tolerance is tighter than the
seed-to-seed spread.

A notebook's metadata may name quantities to record, as ``vae_series.seed_record``:
``{"quantity": "a Python expression evaluated at the end of the run"}``. Their values for
every seed run are written to benchmarks/seed_runs.json (merged with what is stored for
other notebooks and seeds), where the notebooks read them with
``vae_lib.paths.seed_runs`` to print the spread; cells tagged ``seed-runs`` do that
reading and are left out of the runs here. Record seed 0 too (``--seeds 0 1 2``), so
that every number a page quotes comes from the same kind of run.

It then prints, for every cell whose output nbval does not compare (tagged
``nbval-ignore-output``), what that cell printed for seed 0 (the stored output)
and for each other seed, side by side. tests/README.md records the spread that
the notebooks' tolerances are set from.
"""

import argparse
import datetime
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"


def training_notebooks():
    """The numbered notebooks with a `parameters` cell, in order."""
    found = []
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        if any("parameters" in c.metadata.get("tags", []) for c in nb.cells):
            found.append(path)
    return found


def with_seed(nb, seed):
    """A copy of ``nb`` with ``SEED = seed`` right after its parameters cell (cells keep their ids)."""
    nb = nbformat.from_dict(nb)
    at = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
    nb.cells.insert(at + 1, nbformat.v4.new_code_cell(f"SEED = {seed}  # injected by tests/seed_spread.py"))
    return nb


RECORD_MARK = "SEED-RECORD "
RECORD_CELL = """import json as _json
def _plain(value):
    value = value.tolist() if hasattr(value, "tolist") else value
    return [_plain(v) for v in value] if isinstance(value, (list, tuple)) else value
print({mark!r} + _json.dumps({{name: _plain(eval(expression)) for name, expression in {record!r}.items()}}))
"""
SEED_RUNS = ROOT / "benchmarks" / "seed_runs.json"


def to_record(nb):
    """The quantities the notebook's metadata asks to record: {name: expression}."""
    return nb.metadata.get("vae_series", {}).get("seed_record", {})


def for_recording(nb):
    """A copy of nb without the cells that print stored seed runs, and with a last cell that prints the quantities."""
    nb = nbformat.from_dict(nb)
    nb.cells = [c for c in nb.cells if "seed-runs" not in c.metadata.get("tags", [])]
    record = to_record(nb)
    if record:
        nb.cells.append(nbformat.v4.new_code_cell(RECORD_CELL.format(mark=RECORD_MARK, record=record)))
    return nb


def recorded(nb):
    """The quantities the last cell printed, or None."""
    for line in printed_text(nb.cells[-1]).splitlines():
        if line.startswith(RECORD_MARK):
            return json.loads(line[len(RECORD_MARK):])
    return None


def store(records, source="tests/seed_spread.py"):
    """Merge {(stem, seed): {quantity: value}} into benchmarks/seed_runs.json, noting for each quantity what wrote it."""
    import torch
    stored = json.loads(SEED_RUNS.read_text()) if SEED_RUNS.is_file() else {}
    when = f"{datetime.date.today()} by {source}, torch {torch.__version__}, {platform.machine()}, {os.cpu_count()} CPUs"
    for (stem, seed), values in sorted(records.items()):
        entry = stored.setdefault(stem, {"quantities": {}, "recorded": {}})
        if not isinstance(entry.get("recorded"), dict):   # one note for the whole notebook, as first written
            entry["recorded"] = {quantity: entry.get("recorded") for quantity in entry["quantities"]}
        for quantity, value in values.items():
            entry["quantities"].setdefault(quantity, {})[str(seed)] = value
            entry["recorded"][quantity] = when
    SEED_RUNS.write_text(json.dumps(stored, indent=1, sort_keys=True) + "\n")
    print(f"wrote {SEED_RUNS.relative_to(ROOT)}: {sorted({stem for stem, _ in records})}")


def printed_text(cell):
    parts = []
    for output in cell.get("outputs", []):
        if output.output_type == "stream" and output.name == "stdout":
            parts.append(output.text)
        elif output.output_type == "execute_result" and "text/plain" in output.data:
            parts.append(output.data["text/plain"] + "\n")
    return "".join(parts).rstrip()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--only", nargs="+", metavar="NN", help="only the notebooks with these numbers, e.g. 07")
    args = parser.parse_args()
    paths = [p for p in training_notebooks() if not args.only or p.name[:2] in args.only]
    stored = {p: nbformat.read(p, as_version=4) for p in paths}
    runs, records, failed = {}, {}, False
    for seed in args.seeds:
        with tempfile.TemporaryDirectory(prefix=f"vae-seed-{seed}-") as tmp:
            os.environ["VAE_CHECKPOINT_DIR"] = str(Path(tmp) / "checkpoints")
            os.environ["VAE_FIGURES_DIR"] = str(Path(tmp) / "figures")
            for path in paths:
                nb = with_seed(for_recording(stored[path]), seed)
                start = time.perf_counter()
                try:
                    NotebookClient(nb, timeout=1200, kernel_name="python3",
                                   resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
                    status = "ok"
                except Exception as error:  # an assert that fails for this seed, most likely
                    status, failed = f"FAILED: {type(error).__name__}: {str(error)[-600:]}", True
                print(f"seed {seed}  {path.name:34} {time.perf_counter() - start:6.1f} s  {status}", flush=True)
                runs[seed, path] = {cell.get("id"): cell for cell in nb.cells}
                values = recorded(nb) if status == "ok" else None
                if values is not None:
                    records[path.stem, seed] = values
    if records:
        store(records)
    print()
    for path in paths:
        for i, cell in enumerate(stored[path].cells):
            if cell.cell_type != "code" or "nbval-ignore-output" not in cell.metadata.get("tags", []):
                continue
            texts = [("seed 0 (stored)", printed_text(cell))]
            for seed in args.seeds:
                texts.append((f"seed {seed}", printed_text(runs[seed, path].get(cell.get("id"), {}))))
            if not any(text for _, text in texts):
                continue
            print(f"== {path.name}, cell {i}: {cell.source.splitlines()[0][:70]}")
            for name, text in texts:
                print(f"-- {name}\n{text}")
            print()
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
