"""What the test machinery reads off the notebooks themselves, so that no list of notebooks is kept by hand.

    graded_notebooks()      the notebooks with an nbgrader solution cell (Makefile, test_assignments)
    budgets()               each notebook's time budget in seconds, from its metadata (benchmarks/training_speed.py)
    loads_models_of(stem)   the earlier notebooks whose models a notebook loads (by the checkpoint names it uses)
    cache_key(stem)         the key of a notebook's model cache: vae_lib, its own code, and the keys of the
                            notebooks whose models it loads, so an edit retrains only what it can change
    prepare_cache(stem)     that notebook's checkpoint folder, build/checkpoints/<stem>-<key>/, holding links to
                            the checkpoints of the notebooks it loads from
    work_unit(stem)         the notebooks one pytest-xdist worker runs in a row (a notebook and those that load
                            its models alone)
    wait_until_ran(stems)   with pytest-xdist, wait until the other workers have run these notebooks

Plain Python (json, hashlib): the Makefile runs ``python3 tests/series.py graded`` before any install.
"""

import hashlib
import json
import os
import platform
import re
import shutil
import sys
import time
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "build" / "checkpoints"
EXPLORER = "latent_explorer"
BY_NOTEBOOK = "VAE_CACHE_BY_NOTEBOOK"  # set to 1 by conftest.py when it chose the checkpoint folders


def cache_by_notebook():
    """True when this pytest run (or the process it started) keeps each notebook's models in its own folder."""
    return os.environ.get(BY_NOTEBOOK) == "1"


def notebook_stems(root=ROOT):
    """The series' notebooks in reading order, then the explorer page: stems such as '05_train_and_explore'."""
    numbered = sorted(p.stem for p in (root / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    return numbered + ([EXPLORER] if (root / "notebooks" / f"{EXPLORER}.ipynb").is_file() else [])


def _read(root, stem):
    return json.loads((root / "notebooks" / f"{stem}.ipynb").read_text())


def code_of(root, stem):
    """The notebook's code cells, as text: what its models depend on (not its prose, not its stored outputs)."""
    return json.dumps(["".join(c["source"]) for c in _read(root, stem)["cells"] if c["cell_type"] == "code"])


def graded_notebooks(root=ROOT):
    """The notebooks that hold at least one graded exercise (a cell whose nbgrader metadata marks a solution)."""
    return [stem for stem in notebook_stems(root) if stem != EXPLORER
            and any(c.get("metadata", {}).get("nbgrader", {}).get("solution") for c in _read(root, stem)["cells"])]


def budgets(root=ROOT):
    """{stem: seconds}: each notebook's running-time budget on a 2-core CPU, from metadata["vae_series"]."""
    return {stem: _read(root, stem)["metadata"]["vae_series"]["budget_seconds"]
            for stem in notebook_stems(root) if stem != EXPLORER}


CHECKPOINT_NAME = re.compile(r"""checkpoint_path\(\s*["']([^"'{}]+)["']\s*\)""")


def checkpoint_names(root, stem):
    """The checkpoint names a notebook's code spells out, e.g. {'vae_2d'} (names built by f-strings are its own)."""
    return set(CHECKPOINT_NAME.findall("\n".join(json.loads(code_of(root, stem)))))


def model_owners(root=ROOT):
    """{checkpoint name: the first notebook, in reading order, that names it}: the notebook that trains it first."""
    owners = {}
    for stem in notebook_stems(root):
        for name in checkpoint_names(root, stem):
            owners.setdefault(name, stem)
    return owners


def loads_models_of(stem, root=ROOT):
    """The other notebooks whose models ``stem`` loads: the owners of the checkpoint names it uses."""
    owners = model_owners(root)
    return sorted({owners[name] for name in checkpoint_names(root, stem)} - {stem})


def library_key(root=ROOT):
    """A hash of vae_lib's source, the benchmarks' stored results (the recipes notebooks read through
    vae_lib.paths) and the torch and Python versions: what every trained model depends on. The stored seed runs
    (seed_runs.json) are results of the notebooks, not inputs to their training, so they are left out."""
    import torch
    digest = hashlib.sha256(f"torch {torch.__version__} python {platform.python_version()}".encode())
    inputs = [path for path in sorted((root / "benchmarks").glob("*.json")) if path.name != "seed_runs.json"]
    for path in sorted((root / "vae_lib").glob("*.py")) + inputs:
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def cache_key(stem, root=ROOT):
    """The key of a notebook's models: vae_lib, its code cells, and (recursively) the keys of the notebooks whose
    models it loads. Another notebook's edit leaves it unchanged."""
    return _keys(root)[stem]


def _keys(root):
    return _keys_cached(str(root), library_key(root), tuple(code_of(root, s) for s in notebook_stems(root)))


@lru_cache(maxsize=8)
def _keys_cached(root, library, codes):
    root, keys = Path(root), {}
    for stem in notebook_stems(root):  # reading order: a notebook loads only from earlier ones
        digest = hashlib.sha256(library.encode() + stem.encode() + code_of(root, stem).encode())
        for other in loads_models_of(stem, root):
            digest.update(other.encode() + keys[other].encode())
        keys[stem] = digest.hexdigest()[:16]
    return keys


def cache_folder(stem, root=ROOT):
    return root / "build" / "checkpoints" / f"{stem}-{cache_key(stem, root)}"


def library_cache_folder(root=ROOT):
    """Where the unit tests' models go: they depend on vae_lib alone."""
    return root / "build" / "checkpoints" / f"tests-{library_key(root)}"


def current_folders(root=ROOT):
    return [cache_folder(stem, root) for stem in notebook_stems(root)] + [library_cache_folder(root)]


def remove_stale_folders(root=ROOT):
    """Delete the cache folders of code that no longer exists (an older key): a stale model is never loaded."""
    cache = root / "build" / "checkpoints"
    if cache.is_dir():
        keep = set(current_folders(root))
        for folder in cache.iterdir():
            if folder not in keep:
                shutil.rmtree(folder, ignore_errors=True) if folder.is_dir() else folder.unlink()


def prepare_cache(stem, root=ROOT):
    """The notebook's checkpoint folder, made if missing, with links to the checkpoints of the notebooks it loads
    models from (a file of its own with the same name is kept). Returns the folder."""
    folder = cache_folder(stem, root)
    folder.mkdir(parents=True, exist_ok=True)
    for other in loads_models_of(stem, root):
        source = prepare_cache(other, root)
        for path in sorted(source.glob("*.pt")):
            _link(path, folder / path.name)
    return folder


def union_cache(stems, root=ROOT):
    """One folder with links to the checkpoints of all these notebooks, for a process that runs several of them
    (nbgrader grading a whole assignment): build/checkpoints/union-<hash of their keys>/."""
    digest = hashlib.sha256("".join(cache_key(stem, root) for stem in stems).encode()).hexdigest()[:16]
    folder = root / "build" / "checkpoints" / f"union-{digest}"
    folder.mkdir(parents=True, exist_ok=True)
    for stem in stems:
        for path in sorted(prepare_cache(stem, root).glob("*.pt")):
            _link(path, folder / path.name)
    return folder


def work_unit(stem, root=ROOT):
    """The name of the notebooks that one pytest-xdist worker runs in a row (conftest.py's scheduler): a notebook
    that loads the models of exactly one other joins that one's unit (05, 06 and 13 run in a row), so it never waits
    for another worker; one that loads several (the explorer) has its own unit and waits (``wait_until_ran``)."""
    loaded = loads_models_of(stem, root)
    return work_unit(loaded[0], root) if len(loaded) == 1 else stem


# With pytest-xdist, each worker runs whole work units, in the collection's order (notebooks first, in reading order:
# conftest.py). A worker that needs models another worker is training waits for it: the worker that ran a notebook
# leaves a file in build/pytest-runs/ named by the run (pytest-xdist's PYTEST_XDIST_TESTRUNUID, the same in every
# worker) and the notebook. A worker only ever waits for a unit that comes earlier in that order, so the workers
# cannot wait for each other in a circle. A worker stopped early (-x, --maxfail) says so, and no one waits any more;
# a worker that died says nothing, so a wait gives up after WAIT_SECONDS, once per notebook and run: the
# first worker to give up says so with a marker, and no worker waits for that notebook again.
RUNS = ROOT / "build" / "pytest-runs"
WAIT_SECONDS = 1800  # longer than any notebook takes from an empty cache on a slow machine
_run_notebooks = set()
GAVE_UP = "gave-up-"  # the marker's prefix


def set_run_notebooks(stems):
    """The notebooks this pytest run executes under nbval (conftest.py, once the collection is final)."""
    _run_notebooks.clear()
    _run_notebooks.update(stems)


def run_notebooks():
    return set(_run_notebooks)


def _marker(name):
    return RUNS / f"{os.environ['PYTEST_XDIST_TESTRUNUID']}-{name}"


def _leave_marker(name):
    """With pytest-xdist, leave this run's marker of that name for the other workers; without it, nothing."""
    if os.environ.get("PYTEST_XDIST_TESTRUNUID"):
        RUNS.mkdir(parents=True, exist_ok=True)
        _marker(name).touch()


def mark_ran(stem):
    """Say that this worker has run every cell of the notebook (whether they passed or not): the models it trains
    are saved, or will not be."""
    _leave_marker(stem)


def mark_stopped():
    """Say that a worker stopped before the end (-x, --maxfail): the notebooks it had left will not run."""
    _leave_marker("stopped")


def wait_until_ran(stems, poll_seconds=1.0):
    """With pytest-xdist, return once every one of these notebooks that this run executes has been run (by any
    worker), or a worker has stopped early. Without it, or for notebooks the run leaves out, return at once."""
    if not os.environ.get("PYTEST_XDIST_TESTRUNUID"):
        return
    waiting = sorted(stem for stem in stems if stem in _run_notebooks)
    deadline = time.monotonic() + WAIT_SECONDS
    while waiting and not _marker("stopped").exists():
        waiting = [stem for stem in waiting if not _marker(stem).exists() and not _marker(GAVE_UP + stem).exists()]
        if waiting and time.monotonic() > deadline:
            for stem in waiting:
                _leave_marker(GAVE_UP + stem)   # so that no worker of this run waits for it again
            print(f"series.py: gave up waiting for another worker to run {', '.join(waiting)}; going on",
                  file=sys.stderr)
            return
        if waiting:
            time.sleep(poll_seconds)


def remove_old_run_markers(hours=12):
    """The markers of runs that ended long ago (a run's own are a few hours old at most)."""
    if RUNS.is_dir():
        for path in RUNS.iterdir():
            if time.time() - path.stat().st_mtime > hours * 3600:
                path.unlink(missing_ok=True)


def _link(source, target):
    """A hard link to the owner's file (a copy across file systems). A target that is another file (a link to a
    file the owner has since replaced, or a model this folder trained while the owner's was missing) gives way to
    the owner's current one: load_or_fit still checks its settings before using it."""
    if target.exists():
        if os.path.samefile(source, target):
            return
        target.unlink()
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def resolve(name, root=ROOT):
    """The notebook stem that a number ('11'), a stem or a path names; a clear error for anything else."""
    name = Path(str(name)).stem
    matches = [stem for stem in notebook_stems(root) if stem == name or stem.split("_")[0] == name]
    if len(matches) != 1:
        raise ValueError(f"no notebook {name!r}: pass a number such as 05 or a name such as "
                         f"05_train_and_explore ({', '.join(notebook_stems(root))})")
    return matches[0]


if __name__ == "__main__":
    if sys.argv[1:] == ["graded"]:
        print(" ".join(graded_notebooks()))
    elif len(sys.argv) == 3 and sys.argv[1] == "resolve":
        try:
            print(resolve(sys.argv[2]))
        except ValueError as error:
            sys.exit(f"make test-one: {error}")
    else:
        sys.exit("usage: python3 tests/series.py graded | resolve NOTEBOOK")
