"""The model cache that pytest runs share (conftest.py): keyed by the code that trains, and never stale."""

import importlib.util
import json
import os
import shutil

from vae_lib import paths

ROOT = paths.repo_root()
spec = importlib.util.spec_from_file_location("repo_conftest", ROOT / "conftest.py")
repo_conftest = importlib.util.module_from_spec(spec)
spec.loader.exec_module(repo_conftest)


def copy_of_the_code(tmp_path):
    shutil.copytree(ROOT / "vae_lib", tmp_path / "vae_lib", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "notebooks").mkdir()
    shutil.copy(ROOT / "notebooks" / "05_train_and_explore.ipynb", tmp_path / "notebooks")
    return tmp_path


def test_the_key_changes_with_the_training_code_and_only_with_it(tmp_path):
    root = copy_of_the_code(tmp_path)
    key = repo_conftest.model_cache_key(root)
    assert repo_conftest.model_cache_key(root) == key, "the same code must give the same key"

    notebook = root / "notebooks" / "05_train_and_explore.ipynb"
    cells = json.loads(notebook.read_text())
    markdown = next(c for c in cells["cells"] if c["cell_type"] == "markdown")
    markdown["source"] = ["A reworded paragraph."]
    code = next(c for c in cells["cells"] if c["cell_type"] == "code" and c.get("outputs"))
    code["outputs"] = []
    notebook.write_text(json.dumps(cells))
    assert repo_conftest.model_cache_key(root) == key, "prose and stored outputs do not change a trained model"

    code["source"] = ["SEED = 1\n"] + code["source"]
    notebook.write_text(json.dumps(cells))
    changed_notebook = repo_conftest.model_cache_key(root)
    assert changed_notebook != key, "a changed code cell must start an empty cache"

    train = root / "vae_lib" / "train.py"
    train.write_text(train.read_text() + "\n# a change\n")
    assert repo_conftest.model_cache_key(root) not in (key, changed_notebook), "a changed vae_lib too"


def test_this_run_uses_the_cache_of_the_current_code_and_writes_no_tracked_file():
    cache = os.environ["VAE_CHECKPOINT_DIR"]
    if not cache.startswith(str(ROOT / "build" / "checkpoints")):  # set by hand: the user's choice
        return
    assert cache == str(ROOT / "build" / "checkpoints" / repo_conftest.model_cache_key())
    siblings = [p.name for p in (ROOT / "build" / "checkpoints").iterdir()]
    assert siblings == [repo_conftest.model_cache_key()], "the caches of other code must be gone"
    assert os.environ["VAE_FIGURES_DIR"] != str(ROOT / "figures"), "tests must not write the committed figures"
