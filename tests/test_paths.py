"""Paths are worked out when asked, from the environment, so tests and users can move them at any time."""

import pytest

import vae_lib
from vae_lib import paths


def test_environment_variables_count_when_changed_after_import(monkeypatch, tmp_path):
    monkeypatch.setenv("VAE_CHECKPOINT_DIR", str(tmp_path / "ck"))
    monkeypatch.setenv("VAE_FIGURES_DIR", str(tmp_path / "fig"))
    monkeypatch.setenv("VAE_DATA_DIR", str(tmp_path / "data"))
    assert vae_lib.checkpoint_path("vae_2d") == tmp_path / "ck" / "vae_2d.pt"
    assert paths.figures_dir() == tmp_path / "fig" and paths.data_dir() == tmp_path / "data"
    import matplotlib.pyplot as plt
    fig = plt.figure()
    assert vae_lib.save_figure(fig, "test") == tmp_path / "fig" / "test.png" and (tmp_path / "fig" / "test.png").is_file()
    plt.close(fig)


def test_without_environment_variables_everything_is_in_the_repository(monkeypatch):
    for variable in ("VAE_CHECKPOINT_DIR", "VAE_FIGURES_DIR", "VAE_DATA_DIR"):
        monkeypatch.delenv(variable, raising=False)
    root = paths.repo_root()
    assert (root / "vae_lib" / "__init__.py").is_file() and (root / "notebooks").is_dir()
    assert vae_lib.checkpoint_path("ae_2d.pt") == root / "checkpoints" / "ae_2d.pt"
    assert paths.figures_dir() == root / "build" / "figures" and paths.data_dir() == root / "data"


def test_what_a_student_run_writes_is_ignored_by_git(monkeypatch):
    """A notebook run in the lab saves figures and checkpoints into folders git ignores: `git status` stays clean."""
    import subprocess
    for variable in ("VAE_CHECKPOINT_DIR", "VAE_FIGURES_DIR", "VAE_DATA_DIR"):
        monkeypatch.delenv(variable, raising=False)
    root = paths.repo_root()
    for path in (paths.figures_dir() / "05_manifold.png", vae_lib.checkpoint_path("vae_2d"), paths.data_dir() / "x"):
        result = subprocess.run(["git", "check-ignore", "-q", str(path.relative_to(root))], cwd=root)
        if result.returncode == 128:
            pytest.skip("not a git checkout")
        assert result.returncode == 0, f"{path.relative_to(root)} is not ignored by git"
