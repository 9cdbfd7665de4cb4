"""The first code cell of every notebook installs vae_lib where it is missing (Colab, a fresh runtime).

The test runs that cell in a new virtual environment that has no vae_lib, from a folder outside the
repository, with pip pointed at a wheel built from this checkout (VAE_LIB_SOURCE; in the notebooks it
defaults to the repository on GitHub). The new environment borrows this one's other packages through links
(installing torch afresh, 6 GB, would take minutes), but never its vae_lib. Then it checks that the
installed vae_lib is the wheel's, that it keeps its files in the current folder rather than in the
installed package, and that the benchmarks' stored results, which notebooks 05, 06 and 08 read, came along.
"""

import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
sys.path.insert(0, str(ROOT / "book"))
import conf  # noqa: E402  (the book's repository URL)
import set_repository  # noqa: E402  (make repository URL=...)


def first_code_cell(path):
    return next(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")


@pytest.mark.notebooks()
def test_every_notebook_starts_with_the_same_install_cell():
    cells = {path.name: first_code_cell(path) for path in NOTEBOOKS}
    assert len(set(cells.values())) == 1, "the notebooks' first code cells differ"
    cell = next(iter(cells.values()))
    assert 'find_spec("vae_lib") is None' in cell
    default = re.search(r'"VAE_LIB_SOURCE", "git\+([^"]+)"', cell).group(1)
    assert default == conf.REPOSITORY == set_repository.declared(), \
        "pyproject.toml, the install cell and the book's launch buttons must name one repository"


def test_every_notebook_and_student_version_installs_from_the_declared_repository():
    assert len(set_repository.notebooks()) >= 22
    assert set_repository.disagreements() == []
    readme = (ROOT / "README.md").read_text()
    assert set_repository.declared() in readme, "the README says where the links point"
    addresses = set(re.findall(r"https://github\.com/[\w.-]+/[\w.-]+", readme)) - {"https://github.com/you/your-fork"}
    assert addresses == {set_repository.declared()}, f"the README names another repository: {addresses}"


def test_make_repository_retargets_a_fork_and_nothing_else(tmp_path):
    for name in ("notebooks", "pyproject.toml", "README.md"):
        (shutil.copytree if name == "notebooks" else shutil.copy)(ROOT / name, tmp_path / name)
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    changed = set_repository.retarget("https://example.org/someone/a-fork", root=tmp_path)
    assert len(changed) == len(set_repository.notebooks(tmp_path)) + 2
    assert "https://example.org/someone/a-fork" in (tmp_path / "README.md").read_text()
    assert set_repository.declared(ROOT) not in (tmp_path / "README.md").read_text()
    assert set_repository.declared(tmp_path) == "https://example.org/someone/a-fork"
    assert set_repository.disagreements(tmp_path) == []
    (tmp_path / "notebooks" / "03_autoencoder.ipynb").write_bytes(before[tmp_path / "notebooks" / "03_autoencoder.ipynb"])
    assert set_repository.disagreements(tmp_path) == [tmp_path / "notebooks" / "03_autoencoder.ipynb"]
    set_repository.retarget(set_repository.declared(ROOT), root=tmp_path)     # back to the original address:
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before   # byte for byte as it was
    with pytest.raises(ValueError, match="without a trailing slash"):
        set_repository.retarget("https://example.org/someone/a-fork/", root=tmp_path)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "-w", str(out), str(ROOT)], check=True)
    (found,) = out.glob("vae_lib-*.whl")
    return found


def bare_venv(where):
    """A new venv whose site-packages links to this environment's packages, all but vae_lib's."""
    subprocess.run([sys.executable, "-m", "venv", str(where)], check=True)
    python = where / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    ours = Path(sysconfig.get_paths()["purelib"])
    for entry in ours.iterdir():
        if re.match(r"(vae_lib|vae-lib|__editable__.*vae_lib)", entry.name, flags=re.I) or (site / entry.name).exists():
            continue
        (site / entry.name).symlink_to(entry)
    return python


def test_the_install_cell_installs_the_wheel_in_a_fresh_environment(wheel, tmp_path):
    python = bare_venv(tmp_path / "venv")
    elsewhere = tmp_path / "student"
    elsewhere.mkdir()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("VAE_", "PYTHON"))}
    env.update(VAE_LIB_SOURCE=str(wheel), PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    missing = subprocess.run([str(python), "-c", "import vae_lib"], cwd=elsewhere, env=env, capture_output=True)
    assert missing.returncode != 0, "the new environment must start without vae_lib"

    cell = first_code_cell(NOTEBOOKS[0])
    run = subprocess.run([str(python), "-c", cell], cwd=elsewhere, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == f"vae_lib is not installed: installing it with pip from {wheel}"
    again = subprocess.run([str(python), "-c", cell], cwd=elsewhere, env=env, capture_output=True, text=True)
    assert again.stdout.strip() == "vae_lib is installed"

    check = ("import vae_lib, pathlib; "
             "print(pathlib.Path(vae_lib.__file__).resolve()); print(vae_lib.paths.data_dir()); "
             "print(vae_lib.paths.benchmark_results('recipe_search.json')['16-D'][0]['candidate']); "
             "print(vae_lib.paths.benchmark_results('conv_vs_mlp.json')['k'])")
    out = subprocess.run([str(python), "-c", check], cwd=elsewhere, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    installed, data, candidate, k = out.stdout.split("\n")[:4]
    assert Path(installed).is_relative_to((tmp_path / "venv").resolve()), "vae_lib must come from the new venv"
    assert Path(data) == (elsewhere / "data").resolve() or Path(data) == elsewhere / "data"
    assert candidate and int(k) > 0
