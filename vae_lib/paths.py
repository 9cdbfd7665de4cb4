"""Where the series keeps its files, worked out when asked (so a changed environment variable counts).

    data         $VAE_DATA_DIR        else <repo>/data         MNIST, in MNIST/raw/ (never committed)
    checkpoints  $VAE_CHECKPOINT_DIR  else <repo>/checkpoints  trained models (git-ignored)
    figures      $VAE_FIGURES_DIR     else <repo>/build/figures  the pictures notebooks save (git-ignored);
                                                               `make notebooks` records them in <repo>/figures

So a student's run never changes a tracked file: the committed figures/ are
rewritten only by the recording commands (`make notebooks`, `make screenshots`),
which set VAE_FIGURES_DIR. Tests and benchmarks point the last two at
temporary folders. When vae_lib is installed from a
wheel rather than used from a clone (on Colab, say), <repo> is the current folder,
and the benchmarks' stored results come with the wheel (``benchmark_results``).
"""

import json
import os
import sys
from pathlib import Path

# Installed with the wheel (pyproject.toml's data-files), for a vae_lib that is not in a clone of the repository.
INSTALLED_BENCHMARKS = Path(sys.prefix) / "share" / "vae-lib" / "benchmarks"


def in_clone():
    """True when this vae_lib is the one in a clone of the repository (next to notebooks/), not an installed copy."""
    return (Path(__file__).resolve().parent.parent / "notebooks").is_dir()


def repo_root():
    """The repository's top folder (the one holding vae_lib/ and notebooks/); the current folder for an installed copy."""
    return Path(__file__).resolve().parent.parent if in_clone() else Path.cwd()


def _from_env(variable, default):
    return Path(os.environ.get(variable) or repo_root() / default)


def benchmark_results(name):
    """The stored results of a benchmark script, e.g. ``benchmark_results("recipe_search.json")``, as Python data.

    From benchmarks/ in a clone; from the copy installed with the wheel otherwise. Read by notebooks 05, 06, 08.
    """
    for folder in (repo_root() / "benchmarks", INSTALLED_BENCHMARKS):
        if (folder / name).is_file():
            return json.loads((folder / name).read_text())
    raise FileNotFoundError(f"no stored benchmark results {name!r} in {repo_root() / 'benchmarks'} or "
                            f"{INSTALLED_BENCHMARKS}: run the benchmark script, or reinstall vae_lib")


def validation_recipe(search):
    """The recipe that won a search in benchmarks/recipe_search.json ("2-D" or "16-D") on validation log p(x): a dict
    of activation, batch_size, lr, steps and lr_drop_at. Notebook 05 §2 shows the 2-D search; 06 and 11 train
    05's and 06's models with these recipes, read from this one place."""
    best = max(benchmark_results("recipe_search.json")[search], key=lambda row: row["valid_log_px"])
    return {key: best[key] for key in ("activation", "batch_size", "lr", "steps", "lr_drop_at")}


def seed_runs(notebook):
    """What a training notebook measured with each seed: ``{quantity: {seed: value}}``.

    For example ``seed_runs("05_train_and_explore")``.

    Read from benchmarks/seed_runs.json, which tests/seed_spread.py (``make seeds``) writes: it runs the notebook
    with each seed in a fresh checkpoint folder and stores the quantities its metadata names. Notebooks print
    seed-to-seed spreads from here, so a spread quoted on a page is one that a run produced.
    """
    stored = benchmark_results("seed_runs.json")
    if notebook not in stored:
        raise KeyError(f"no seed runs stored for {notebook!r} in seed_runs.json (it has {sorted(stored)}): "
                       f"run `.venv/bin/python tests/seed_spread.py --only {notebook[:2]} --seeds 0 1 2`")
    return {quantity: {int(seed): value for seed, value in by_seed.items()}
            for quantity, by_seed in stored[notebook]["quantities"].items()}


def data_dir():
    """``$VAE_DATA_DIR`` if set, else ``<repo>/data``: the folder that holds ``MNIST/raw/``."""
    return _from_env("VAE_DATA_DIR", "data")


def checkpoint_dir():
    """``$VAE_CHECKPOINT_DIR`` if set, else ``<repo>/checkpoints``."""
    return _from_env("VAE_CHECKPOINT_DIR", "checkpoints")


def figures_dir():
    """``$VAE_FIGURES_DIR`` if set, else ``<repo>/build/figures`` (git-ignored; ``make notebooks`` sets figures/)."""
    return _from_env("VAE_FIGURES_DIR", "build/figures")


def checkpoint_path(name):
    """The file a notebook saves its model ``name`` to, e.g. ``checkpoint_path("vae_2d")``.

    Notebooks share trained models by these names (05 saves "vae_2d", 06 and the
    latent explorer load it); see ``load_or_fit``. First used in notebook 03 §2.
    """
    if not isinstance(name, str) or not name or "/" in name or "\\" in name:
        raise ValueError(f"a checkpoint name is a plain file name such as 'vae_2d', got {name!r}")
    return checkpoint_dir() / (name if name.endswith(".pt") else f"{name}.pt")
