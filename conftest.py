"""Where every pytest run in this repository keeps what it writes, so that tests never touch a tracked file.

Each notebook's trained models go to its own folder, build/checkpoints/<notebook>-<key>/ (tests/series.py). The
key hashes what decides what the notebook's trainings produce: vae_lib's source, the torch and Python versions,
the notebook's code cells, and the keys of the notebooks whose models it loads (06 loads 05's "vae_2d"), whose
checkpoints its folder links to. So editing one notebook retrains only its own models and those of the
notebooks that load them; a second run with nothing changed loads every model (through ``load_or_train``, which
also checks each model's own settings); and a folder of an older key is deleted, so a stale model is never
reused. The unit tests' models go to build/checkpoints/tests-<vae_lib key>/. Figures go to build/figures/.

The kernel that nbval starts for a notebook inherits VAE_CHECKPOINT_DIR pointing at that notebook's folder. A
VAE_CHECKPOINT_DIR set by hand is kept as it is, for every notebook.

`make test` runs two pytest-xdist workers (-n 2), each on its share of the cores: a worker runs
whole notebooks, and one that needs models another worker is training waits for them (tests/series.py). Without
-n, everything runs in one process, in the same order.
"""

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "tests"))
import series  # noqa: E402  (tests/series.py: what the machinery reads off the notebooks)

collect_ignore = ["notebooks/assignments", "build"]  # student versions are tested by tests/test_assignments.py


def pytest_configure(config):
    config.addinivalue_line("markers", "notebooks(*prefixes): the notebooks a test concerns, e.g. "
                                       "notebooks('08') (make test-one NB=08 runs it); no prefix: every notebook")
    if os.environ.get("PYTEST_XDIST_WORKER"):  # a pytest-xdist worker: the controller has chosen the folders
        _share_the_cores()
    else:
        by_notebook = not os.environ.get("VAE_CHECKPOINT_DIR")  # else the user's folder, for every notebook and test
        os.environ[series.BY_NOTEBOOK] = "1" if by_notebook else "0"
        if by_notebook:
            series.remove_stale_folders()
            folder = series.library_cache_folder()
            folder.mkdir(parents=True, exist_ok=True)
            os.environ["VAE_CHECKPOINT_DIR"] = str(folder)
        series.remove_old_run_markers()
    os.environ.setdefault("VAE_FIGURES_DIR", str(ROOT / "build" / "figures"))


def _share_the_cores():
    """Each of pytest-xdist's workers (make test runs two) gets its share of the cores, and so do the notebooks'
    kernels it starts (they inherit OMP_NUM_THREADS): small models train faster on one thread per process than on
    two threads in one. Thread counts set by hand are kept."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    share = str(max(1, (os.cpu_count() or 1) // workers))
    os.environ.setdefault("OMP_NUM_THREADS", share)
    os.environ.setdefault("MKL_NUM_THREADS", share)
    import torch
    torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """With pytest-xdist (make test: -n 2), what one worker runs in a row: a notebook's cells, with those of the
    notebooks that load its models alone (series.work_unit: 05, 06 and 13), or one test file. The units are handed
    out in the collection's order (pytest_collection_modifyitems)."""
    from xdist.scheduler import LoadScopeScheduling

    class ByWorkUnit(LoadScopeScheduling):
        def _split_scope(self, nodeid):
            path = nodeid.split("::")[0]
            stem = Path(path).stem
            return series.work_unit(stem) if path.startswith("notebooks/") and stem in notebooks else path

    notebooks = series.notebook_stems()
    config.option.loadscopereorder = False  # keep the collection's order (pytest-xdist would sort by size): a worker
    return ByWorkUnit(config, log)          # then only ever waits for earlier work, so it cannot deadlock


def _notebook(item):
    """The stem of the series' notebook whose cell this item is, else None."""
    return item.path.stem if item.path.suffix == ".ipynb" and item.path.parent == ROOT / "notebooks" else None


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Before nbval starts a notebook's kernel (its first cell's setup), point VAE_CHECKPOINT_DIR at its folder;
    before any other test, at the unit tests' folder. With pytest-xdist, the round trip and the browser tests first
    wait until the other worker has run every notebook: they load the notebooks' models, and their processes would
    otherwise share the cores with a notebook that times its own training (09, 10, 11 and 13 compare at equal time)."""
    if stage(item) in (1, 3):
        series.wait_until_ran(series.run_notebooks())
    if not series.cache_by_notebook():
        return
    notebook = _notebook(item)
    if notebook not in _folders:
        _folders[notebook] = series.prepare_cache(notebook) if notebook else series.library_cache_folder()
    os.environ["VAE_CHECKPOINT_DIR"] = str(_folders[notebook])


_folders = {}  # notebook stem (None for the other tests): its checkpoint folder, prepared once per run


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item, nextitem):
    """After a notebook's last cell, say so: another pytest-xdist worker may be waiting for its models."""
    notebook = _notebook(item)
    if notebook and (nextitem is None or _notebook(nextitem) != notebook):
        series.mark_ran(notebook)


def pytest_addoption(parser):
    parser.addoption("--notebook", default=None, type=series.resolve,
                     help="keep only what concerns this notebook (a number such as 11, or its name): its nbval run, "
                          "its graded round trip, and the tests marked for it or parametrized by it (make test-one)")


def concerns(item, notebook):
    """Whether a collected test concerns the notebook (a stem such as '11_flows_and_learned_priors')."""
    if item.path.suffix == ".ipynb":
        return item.path.stem == notebook
    named = [value for value in getattr(getattr(item, "callspec", None), "params", {}).values()
             if isinstance(value, Path) and value.suffix == ".ipynb"]
    if named:  # parametrized by notebooks: the one for this notebook
        return any(path.stem == notebook for path in named)
    if item.path.name == "test_assignments.py":  # its round trip grades the chosen notebook alone, if it is graded
        return notebook in series.graded_notebooks()
    marker = item.get_closest_marker("notebooks")
    return marker is not None and (not marker.args or any(notebook.startswith(prefix) for prefix in marker.args))


def pytest_collection_modifyitems(config, items):
    """With --notebook, keep what concerns that notebook. Then run the notebooks first, then the graded round trip,
    then the unit tests, then the browser tests.

    The notebooks train every shared model once (into the cache above); the round trip's submissions and the
    browser tests then load them. Any order passes (whatever runs first trains what it needs), but this one
    trains each model once. With pytest-xdist, the workers take work units in this order, and a unit that needs
    another's models waits for it (pytest_runtest_setup).
    """
    notebook = config.getoption("notebook")
    if notebook:
        kept = [item for item in items if concerns(item, notebook)]
        config.hook.pytest_deselected(items=[item for item in items if item not in kept])
        items[:] = kept

    items.sort(key=stage)  # stable: keeps each stage's own order
    series.set_run_notebooks({_notebook(item) for item in items} - {None})


def stage(item):
    """0 the notebooks, 1 the graded round trip, 2 the unit tests, 3 the browser tests. The round trip is the longest
    unit after the notebooks: with two workers, one grades while the other runs the unit tests."""
    if item.get_closest_marker("browser") is not None:
        return 3
    if item.path.name == "test_assignments.py":
        return 1
    return 0 if item.path.suffix == ".ipynb" else 2
