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

`make test` runs two pytest-xdist workers (-n 2), each on its share of the cores: a worker runs whole notebooks, and
one that needs models another worker is training waits for them (tests/series.py). Without -n, everything runs in
one process, in the order of pytest_collection_modifyitems.
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
    if hasattr(config, "workerinput"):  # a pytest-xdist worker: the controller has chosen the folders
        _share_the_cores(config.workerinput["workercount"])
    else:
        by_notebook = not os.environ.get("VAE_CHECKPOINT_DIR")  # else the user's folder, for every notebook and test
        os.environ[series.BY_NOTEBOOK] = "1" if by_notebook else "0"
        if by_notebook:
            series.remove_stale_folders()
            folder = series.library_cache_folder()
            folder.mkdir(parents=True, exist_ok=True)
            os.environ["VAE_CHECKPOINT_DIR"] = str(folder)
        series.remove_old_run_markers()
        if config.pluginmanager.hasplugin("xdist") and config.getoption("numprocesses", None):
            _download_mnist_once()
    os.environ.setdefault("VAE_FIGURES_DIR", str(ROOT / "build" / "figures"))


def _download_mnist_once():
    """Online, with no MNIST yet: download it here, before the workers start, so that two notebooks never download
    it at once. Any failure is left to the notebooks, which say what to do."""
    from vae_lib import data, paths
    if not all((paths.data_dir() / "MNIST" / "raw" / name).is_file() for name in data.MNIST_FILES):
        try:
            data.load_mnist(split="test")
        except Exception:
            pass


def _share_the_cores(workers):
    """Each of pytest-xdist's workers (make test runs two) gets its share of the cores, and so do the notebooks'
    kernels it starts (they inherit OMP_NUM_THREADS). Thread counts set by hand are kept."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    share = str(max(1, cores // workers))
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        if not os.environ.get(name, "").strip().isdigit():
            os.environ[name] = share
    import torch
    torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """With pytest-xdist (make test: -n 2), the scheduler: its units are handed out in the collection's order."""
    from xdist.scheduler import LoadScopeScheduling

    units = {f"notebooks/{stem}.ipynb": series.work_unit(stem) for stem in series.notebook_stems()}

    class ByWorkUnit(LoadScopeScheduling):
        def _split_scope(self, nodeid):
            return work_unit(nodeid, units)

    config.option.loadscopereorder = False  # keep the collection's order (pytest-xdist would sort by size): a worker
    return ByWorkUnit(config, log)          # then only ever waits for earlier work, so it cannot deadlock


def work_unit(nodeid, units):
    """What one worker runs in a row: a notebook's cells, with those of the notebooks that load its models alone
    (``units``, from series.work_unit: 05, 06 and 13 are one unit), or one test file."""
    path = nodeid.split("::")[0]
    return units.get(path, path)


def _notebook(item):
    """The stem of the series' notebook whose cell this item is, else None."""
    return item.path.stem if item.path.suffix == ".ipynb" and item.path.parent == ROOT / "notebooks" else None


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Before nbval starts a notebook's kernel (its first cell's setup), point VAE_CHECKPOINT_DIR at its folder;
    before any other test, at the unit tests' folder. With pytest-xdist, a notebook first waits until the notebooks
    whose models it loads have run, and the round trip and the browser tests until every notebook of the run has:
    they load the notebooks' models, and their processes would otherwise share the cores with a notebook that times
    its own training (09, 10 and 13 compare models at equal time)."""
    notebook = _notebook(item)
    if stage(item) >= 2:
        series.wait_until_ran(series.run_notebooks())
    elif notebook and notebook not in _folders:
        series.wait_until_ran(series.loads_models_of(notebook))
    if notebook not in _folders:
        _folders[notebook] = _checkpoint_folder(notebook)
    if _folders[notebook] is not None:
        os.environ["VAE_CHECKPOINT_DIR"] = str(_folders[notebook])


_folders = {}  # notebook stem (None for the other tests): its checkpoint folder, prepared once per run


def _checkpoint_folder(notebook):
    """The notebook's own folder, or the unit tests' (notebook None); None when VAE_CHECKPOINT_DIR was set by hand."""
    if not series.cache_by_notebook():
        return None
    return series.prepare_cache(notebook) if notebook else series.library_cache_folder()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item, nextitem):
    """After a notebook's last cell, say so: another pytest-xdist worker may be waiting for its models (saved as
    each was trained, so before this)."""
    notebook = _notebook(item)
    if notebook and (nextitem is None or _notebook(nextitem) != notebook):
        series.mark_ran(notebook)


def pytest_sessionfinish(session):
    """A worker stopped early (-x, --maxfail) leaves notebooks unrun: say so, so that no one waits for them."""
    if hasattr(session.config, "workerinput") and (session.shouldfail or session.shouldstop):
        series.mark_stopped()


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
    """With --notebook, keep what concerns that notebook. Then run the notebooks first, then the unit tests, then the
    graded round trip, then the browser tests.

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

    items.sort(key=order)  # stable: keeps each notebook's cells, and each test file's tests, in their order


def pytest_collection_finish(session):
    """The notebooks the run executes, once every plugin has deselected what it leaves out (-k, -m, --deselect)."""
    series.set_run_notebooks({_notebook(item) for item in session.items} - {None})


def order(item):
    """The notebooks in reading order (whatever order the command line named them in), then the unit tests, the
    round trip and the browser tests: a notebook comes after those whose models it loads."""
    notebook = _notebook(item)
    return (stage(item), _READING_ORDER.index(notebook) if notebook else 0)


_READING_ORDER = series.notebook_stems()


def stage(item):
    """0 the notebooks, 1 the unit tests, 2 the graded round trip, 3 the browser tests. With two workers the unit
    tests fill the time until the last notebook ends; the round trip, which waits for it, starting right after the
    notebooks was slower (tests/README.md, *Measured times*)."""
    if item.get_closest_marker("browser") is not None:
        return 3
    if item.path.name == "test_assignments.py":
        return 2
    return 0 if item.path.suffix == ".ipynb" else 1
