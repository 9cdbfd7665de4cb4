"""The model cache that pytest runs share (conftest.py, tests/series.py): one folder per notebook, keyed by the code
that trains its models, so an edit retrains only what it can change, and a stale model is never loaded."""

import json
import os
import shutil
import threading
import time
import types

import pytest

import series
from vae_lib import paths

ROOT = paths.repo_root()


@pytest.fixture
def copy_of_the_code(tmp_path):
    shutil.copytree(ROOT / "vae_lib", tmp_path / "vae_lib", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "benchmarks", tmp_path / "benchmarks", ignore=shutil.ignore_patterns("*.py"))
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks", ignore=shutil.ignore_patterns("assignments"))
    return tmp_path


def keys(root):
    series._keys_cached.cache_clear()
    return {stem: series.cache_key(stem, root) for stem in series.notebook_stems(root)}


def edit_notebook(root, stem, edit):
    path = root / "notebooks" / f"{stem}.ipynb"
    notebook = json.loads(path.read_text())
    edit(notebook["cells"])
    path.write_text(json.dumps(notebook))


def first_code_cell(cells):
    return next(c for c in cells if c["cell_type"] == "code")


def changed(before, after):
    return {stem for stem in before if before[stem] != after[stem]}


def test_the_notebooks_that_load_models_are_read_off_their_code():
    assert series.loads_models_of("06_evaluating_vaes") == ["05_train_and_explore"]
    assert series.loads_models_of("08_conv_and_conditional") == []
    assert series.loads_models_of("11_flows_and_learned_priors") == []
    assert series.loads_models_of("latent_explorer") == ["05_train_and_explore", "08_conv_and_conditional"]
    assert series.loads_models_of("01_elbo") == []
    assert series.loads_models_of("13_hierarchies_and_diffusion") == ["06_evaluating_vaes"]


def test_with_two_workers_a_notebook_runs_in_a_row_with_those_that_load_its_models_alone():
    assert {series.work_unit(stem) for stem in ["05_train_and_explore", "06_evaluating_vaes",
                                                 "13_hierarchies_and_diffusion"]} == {"05_train_and_explore"}
    assert series.work_unit("08_conv_and_conditional") == "08_conv_and_conditional"
    assert series.work_unit("latent_explorer") == "latent_explorer", "it loads two notebooks' models: it waits"


@pytest.fixture
def a_parallel_run(tmp_path, monkeypatch):
    """A pytest-xdist run (its run id) that executes notebooks 05 and 06, with its markers in a scratch folder."""
    monkeypatch.setattr(series, "RUNS", tmp_path / "runs")
    monkeypatch.setenv("PYTEST_XDIST_TESTRUNUID", "run1")
    running = series.run_notebooks()
    series.set_run_notebooks({"05_train_and_explore", "06_evaluating_vaes"})
    yield
    series.set_run_notebooks(running)


def test_a_worker_waits_for_the_notebooks_another_worker_runs_and_only_for_those(a_parallel_run, monkeypatch, capsys):
    started = time.monotonic()
    series.wait_until_ran(["08_conv_and_conditional", "latent_explorer"])  # not in this run: nothing to wait for
    assert time.monotonic() - started < 0.5

    marker = threading.Timer(0.5, series.mark_ran, ["05_train_and_explore"])  # the other worker finishes 05
    marker.start()
    series.wait_until_ran(["05_train_and_explore"], poll_seconds=0.05)
    assert 0.4 < time.monotonic() - started < 5, "returns once 05 has run, not before"
    marker.join()

    monkeypatch.setattr(series, "WAIT_SECONDS", 0.3)  # a worker that died never marks 06: give up, and say so
    started = time.monotonic()
    series.wait_until_ran(["06_evaluating_vaes"], poll_seconds=0.05)
    assert 0.3 < time.monotonic() - started < 3 and "gave up waiting for another worker to run 06" in capsys.readouterr().err
    started = time.monotonic()
    series.wait_until_ran(["06_evaluating_vaes"], poll_seconds=0.05)   # ... once: the next wait for it is at once
    assert time.monotonic() - started < 0.2
    assert (series.RUNS / "run1-gave-up-06_evaluating_vaes").is_file(), "a marker, so the other worker gives up too"

    monkeypatch.setenv("PYTEST_XDIST_TESTRUNUID", "run2")  # another run's marker does not count
    monkeypatch.setattr(series, "WAIT_SECONDS", 1800)
    marker = threading.Timer(0.3, series.mark_ran, ["05_train_and_explore"])
    marker.start()
    started = time.monotonic()
    series.wait_until_ran(["05_train_and_explore"], poll_seconds=0.05)
    assert time.monotonic() - started > 0.2
    marker.join()
    assert sorted(p.name for p in series.RUNS.iterdir()) == [
        "run1-05_train_and_explore", "run1-gave-up-06_evaluating_vaes", "run2-05_train_and_explore"]


def test_a_worker_stopped_early_releases_every_wait(a_parallel_run):
    series.mark_stopped()      # -x: the other worker will never run 06
    started = time.monotonic()
    series.wait_until_ran(["05_train_and_explore", "06_evaluating_vaes"], poll_seconds=0.05)
    assert time.monotonic() - started < 0.5


def test_without_workers_nothing_waits(a_parallel_run, monkeypatch):
    monkeypatch.delenv("PYTEST_XDIST_TESTRUNUID")
    started = time.monotonic()
    series.wait_until_ran(["05_train_and_explore"])
    series.mark_ran("05_train_and_explore")
    assert time.monotonic() - started < 0.5 and not series.RUNS.exists()


def repository_conftest(config):
    """The repository's conftest.py, as pytest loaded it."""
    return config.pluginmanager.get_plugin(str(ROOT / "conftest.py"))


class FakeItem:
    def __init__(self, path, browser=False):
        self.path, self.browser = ROOT / path, browser

    def get_closest_marker(self, name):
        return name == "browser" and self.browser or None


def test_notebooks_come_first_in_reading_order_however_named_then_the_unit_tests_and_the_round_trip(pytestconfig):
    order = repository_conftest(pytestconfig).order
    named = ["tests/test_browser.py", "tests/test_paths.py", "notebooks/13_hierarchies_and_diffusion.ipynb",
             "tests/test_assignments.py", "notebooks/06_evaluating_vaes.ipynb", "notebooks/05_train_and_explore.ipynb"]
    items = [FakeItem(path, browser=path.endswith("browser.py")) for path in named]
    assert [str(item.path.relative_to(ROOT)) for item in sorted(items, key=order)] == [
        "notebooks/05_train_and_explore.ipynb", "notebooks/06_evaluating_vaes.ipynb",
        "notebooks/13_hierarchies_and_diffusion.ipynb", "tests/test_paths.py", "tests/test_assignments.py",
        "tests/test_browser.py"]


class FakeWorker:
    """What pytest-xdist's scheduler sends a worker: the indices of the tests to run."""
    def __init__(self, name):
        self.sent, self.gateway, self.shutting_down = [], types.SimpleNamespace(id=name), False

    def send_runtest_some(self, indices):
        self.sent += indices

    def shutdown(self):
        self.shutting_down = True


def test_two_workers_get_whole_notebooks_in_the_collections_order(pytestconfig, monkeypatch):
    pytest.importorskip("xdist")
    monkeypatch.setattr(pytestconfig.option, "loadscopereorder", True, raising=False)
    monkeypatch.setattr(pytestconfig.option, "tx", ["2*popen"], raising=False)
    scheduler = repository_conftest(pytestconfig).pytest_xdist_make_scheduler(pytestconfig, None)
    assert pytestconfig.option.loadscopereorder is False, "pytest-xdist's reorder by size stays off"
    collection = ["notebooks/01_elbo.ipynb::Cell 0", "notebooks/01_elbo.ipynb::Cell 1",
                  "notebooks/05_train_and_explore.ipynb::Cell 0", "notebooks/06_evaluating_vaes.ipynb::Cell 0",
                  "notebooks/08_conv_and_conditional.ipynb::Cell 0",
                  "notebooks/13_hierarchies_and_diffusion.ipynb::Cell 0", "notebooks/13_hierarchies_and_diffusion.ipynb::Cell 1",
                  "notebooks/latent_explorer.ipynb::Cell 0", "tests/test_assignments.py::test_a",
                  "tests/test_assignments.py::test_b", "tests/test_paths.py::test_c"]
    workers = [FakeWorker("gw0"), FakeWorker("gw1")]
    for worker in workers:
        scheduler.add_node(worker)
        scheduler.add_node_collection(worker, collection)
    scheduler.schedule()
    units = [scheduler._split_scope(nodeid) for nodeid in collection]
    assert units == ["01_elbo"] * 2 + ["05_train_and_explore"] * 2 + ["08_conv_and_conditional"] + [
        "05_train_and_explore"] * 2 + ["latent_explorer"] + ["tests/test_assignments.py"] * 2 + ["tests/test_paths.py"]
    first, second = (worker.sent for worker in workers)
    assert first == [0, 1, 4] and second == [2, 3, 5, 6], "whole units, in the collection's order"
    assert list(scheduler.workqueue) == ["latent_explorer", "tests/test_assignments.py", "tests/test_paths.py"]


def test_editing_one_notebook_changes_the_keys_of_it_and_of_the_notebooks_that_load_its_models(copy_of_the_code):
    root = copy_of_the_code
    before = keys(root)
    assert len(set(before.values())) == len(before), "every notebook has a key of its own"
    assert keys(root) == before, "the same code gives the same keys"

    def reword(cells):
        next(c for c in cells if c["cell_type"] == "markdown")["source"] = ["A reworded paragraph."]
        first_code_cell([c for c in cells if c.get("outputs")] or cells)["outputs"] = []
    edit_notebook(root, "05_train_and_explore", reword)
    assert keys(root) == before, "prose and stored outputs do not change a trained model"

    edit_notebook(root, "05_train_and_explore", lambda cells: first_code_cell(cells)["source"].insert(0, "SEED = 1\n"))
    assert changed(before, keys(root)) == {"05_train_and_explore", "06_evaluating_vaes", "13_hierarchies_and_diffusion",
                                           "latent_explorer"}, "05 and the notebooks that load its models, or theirs"

    after_05 = keys(root)
    edit_notebook(root, "12_discrete_latents", lambda cells: first_code_cell(cells)["source"].append("\nx = 1\n"))
    assert changed(after_05, keys(root)) == {"12_discrete_latents"}, "a notebook whose models nobody loads: itself"

    after_12 = keys(root)
    (root / "vae_lib" / "train.py").write_text((root / "vae_lib" / "train.py").read_text() + "\n# a change\n")
    assert changed(after_12, keys(root)) == set(after_12), "a change to vae_lib changes every key"

    after_lib = keys(root)
    recipes = root / "benchmarks" / "recipe_search.json"
    recipes.write_text(recipes.read_text() + "\n")
    assert changed(after_lib, keys(root)) == set(after_lib), "so does a change to the stored recipes"

    after_recipes = keys(root)
    (root / "benchmarks" / "seed_runs.json").write_text('{"03_autoencoder": {"quantities": {}, "recorded": {}}}\n')
    assert keys(root) == after_recipes, "the stored seed runs are results of the notebooks, not inputs: no key changes"


def test_a_notebook_folder_links_the_models_of_the_notebooks_it_loads(copy_of_the_code):
    root = copy_of_the_code
    source = series.prepare_cache("05_train_and_explore", root)
    (source / "vae_2d.pt").write_bytes(b"a trained model")
    folder = series.prepare_cache("06_evaluating_vaes", root)
    assert (folder / "vae_2d.pt").read_bytes() == b"a trained model"
    assert folder.name.startswith("06_evaluating_vaes-") and folder.parent == root / "build" / "checkpoints"
    (folder / "vae_16d.pt").write_bytes(b"06's own model")
    assert not (source / "vae_16d.pt").exists(), "a notebook writes into its own folder only"

    (source / "vae_2d.pt").unlink()                     # 05 trains its model again (a file with a new inode)
    (source / "vae_2d.pt").write_bytes(b"05's model, trained again")
    series.prepare_cache("06_evaluating_vaes", root)
    assert (folder / "vae_2d.pt").read_bytes() == b"05's model, trained again", "a link follows the owner's file"

    edit_notebook(root, "06_evaluating_vaes", lambda cells: first_code_cell(cells)["source"].append("\nx = 1\n"))
    series._keys_cached.cache_clear()
    series.remove_stale_folders(root)
    assert not folder.exists(), "the folder of 06's old code is gone"
    assert (source / "vae_2d.pt").is_file(), "05's models stay: its code did not change"


def test_this_run_uses_the_cache_of_the_current_code_and_writes_no_tracked_file():
    if not series.cache_by_notebook():
        pytest.skip("VAE_CHECKPOINT_DIR was set by hand: this run uses the user's folder")
    assert os.environ["VAE_CHECKPOINT_DIR"] == str(series.library_cache_folder())
    stale = [p.name for p in (ROOT / "build" / "checkpoints").iterdir()
             if p not in series.current_folders() and not p.name.startswith("union-")]
    assert not stale, f"the caches of other code must be gone: {stale}"
    assert os.environ["VAE_FIGURES_DIR"] != str(ROOT / "figures"), "tests must not write the committed figures"


def collected_by_test_one(stem):
    """What `make test-one NB=<stem>` would run: (the files it collects, pytest's --collect-only lines)."""
    import subprocess
    import sys
    result = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                             f"notebooks/{stem}.ipynb", "tests", "--nbval", f"--notebook={stem}"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    lines = result.stdout.splitlines()
    return {line.split("::")[0] for line in lines if "::" in line}, lines


def test_make_test_one_keeps_what_concerns_its_notebook():
    """`make test-one NB=11`'s selection: 11's cells, its round trip, the tests marked for 11 or parametrized by it."""
    files, lines = collected_by_test_one("11_flows_and_learned_priors")
    assert files >= {"notebooks/11_flows_and_learned_priors.ipynb", "tests/test_flows_and_priors.py",
                     "tests/test_assignments.py", "tests/test_notebook_text.py", "tests/test_evaluate.py",
                     "tests/test_bad_input.py"}, files
    assert not files & {"tests/test_discrete.py", "tests/test_browser.py", "tests/test_data.py"}, files
    parametrized = [line for line in lines if "test_notebook_text.py::" in line and "[" in line]
    assert parametrized and all("11_flows_and_learned_priors" in line for line in parametrized), parametrized


def test_make_test_one_of_a_notebook_without_exercises_grades_nothing():
    files, _ = collected_by_test_one("09_blog_post_revisited")
    assert "notebooks/09_blog_post_revisited.ipynb" in files and "tests/test_assignments.py" not in files, files


def test_every_notebook_declares_its_time_budget():
    budgets = series.budgets()
    assert set(budgets) == set(series.notebook_stems()) - {series.EXPLORER}
    assert all(isinstance(seconds, int) and 0 < seconds <= 150 for seconds in budgets.values()), budgets
