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


def test_make_lab_opens_copies_that_git_ignores_and_never_overwrites(tmp_path):
    """`make lab` opens JupyterLab on my_notebooks/ (make workspace): each notebook and student version copied once,
    then left to the student."""
    import os
    import shutil
    import subprocess
    if shutil.which("make") is None:
        pytest.skip("no make")
    root = paths.repo_root()
    workspace = tmp_path / "my_notebooks"
    make = ["make", "-s", "--no-print-directory", "workspace", f"WORKSPACE={workspace}"]
    first = subprocess.run(make, cwd=root, capture_output=True, text=True, check=True)
    sources = sorted(root.glob("notebooks/[0-9][0-9]_*.ipynb")) + sorted(root.glob("notebooks/assignments/[0-9][0-9]_*.ipynb"))
    copies = sorted(workspace.glob("[0-9][0-9]_*.ipynb")) + sorted(workspace.glob("assignments/[0-9][0-9]_*.ipynb"))
    assert [p.relative_to(workspace) for p in copies] == [p.relative_to(root / "notebooks") for p in sources]
    assert all(c.read_bytes() == s.read_bytes() for c, s in zip(copies, sources)) and first.stdout == ""
    answer = workspace / "assignments" / "02_gaussian_kl.ipynb"
    answer.write_text("a student's work")
    source = root / "notebooks" / "assignments" / "02_gaussian_kl.ipynb"
    os.utime(answer, (source.stat().st_mtime - 60,) * 2)           # the repository changed after the copy was made
    again = subprocess.run(make, cwd=root, capture_output=True, text=True, check=True)
    assert answer.read_text() == "a student's work", "make lab must never overwrite a student's copy"
    assert again.stdout.strip() == (f"note: notebooks/assignments/02_gaussian_kl.ipynb has changed since you copied it "
                                    f"to {answer} (to take it, rename your copy and run make lab again)")
    plan = subprocess.run(["make", "-n", "--no-print-directory", "lab", f"WORKSPACE={workspace}"], cwd=root,
                          capture_output=True, text=True, check=True).stdout
    assert f"jupyter lab {workspace}/" in plan and "jupyter lab notebooks" not in plan
    ignored = subprocess.run(["git", "check-ignore", "-q", "my_notebooks/01_elbo.ipynb"], cwd=root)
    if ignored.returncode == 128:
        pytest.skip("not a git checkout")
    assert ignored.returncode == 0, "my_notebooks/ must be ignored by git"
