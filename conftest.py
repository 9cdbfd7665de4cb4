"""Where every pytest run in this repository keeps what it writes, so that tests never touch a tracked file.

Trained models go to build/checkpoints/<key>/ and figures to build/figures/, unless VAE_CHECKPOINT_DIR or
VAE_FIGURES_DIR say otherwise. The key is a hash of everything that decides what a training produces: vae_lib's
source, the notebooks' code cells, and the torch and Python versions. So a second run with nothing changed loads
every model the first one trained (through ``load_or_fit``, which also checks each model's own settings), and a
change to any of those starts from an empty folder: a stale model is never reused. Checkpoints are written
atomically and only after a finished training, so an interrupted run leaves nothing half-made behind.

The kernels that nbval and nbgrader start inherit these environment variables.
"""

import hashlib
import json
import os
import platform
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent
collect_ignore = ["notebooks/assignments", "build"]  # student versions are tested by tests/test_assignments.py


def model_cache_key(root=ROOT):
    """A hash of what decides the trained models: vae_lib's code, the notebooks' code cells, torch, Python."""
    import torch
    digest = hashlib.sha256(f"torch {torch.__version__} python {platform.python_version()}".encode())
    for path in sorted((root / "vae_lib").glob("*.py")):
        digest.update(path.name.encode() + path.read_bytes())
    for path in sorted((root / "notebooks").glob("*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        code = ["".join(cell["source"]) for cell in cells if cell["cell_type"] == "code"]
        digest.update(path.name.encode() + json.dumps(code).encode())
    return digest.hexdigest()[:16]


def pytest_configure(config):
    if not os.environ.get("VAE_CHECKPOINT_DIR"):
        cache = ROOT / "build" / "checkpoints"
        current = cache / model_cache_key()
        if cache.is_dir():
            for old in cache.iterdir():  # models of other code: never loaded again
                if old != current:
                    shutil.rmtree(old, ignore_errors=True)
        current.mkdir(parents=True, exist_ok=True)
        os.environ["VAE_CHECKPOINT_DIR"] = str(current)
    os.environ.setdefault("VAE_FIGURES_DIR", str(ROOT / "build" / "figures"))


def pytest_collection_modifyitems(config, items):
    """Run the notebooks first, then the unit tests, then the graded round trip, then the browser tests.

    The notebooks train every shared model once (into the cache above); the round trip's submissions and the
    browser tests then load them. Any order passes (whatever runs first trains what it needs), but this one
    trains each model once.
    """
    def stage(item):
        if item.get_closest_marker("browser") is not None:
            return 3
        if item.path.name == "test_assignments.py":
            return 2
        return 0 if item.path.suffix == ".ipynb" else 1
    items.sort(key=stage)  # stable: keeps each stage's own order
