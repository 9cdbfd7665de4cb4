"""A teacher's whole nbgrader cycle, with nbgrader's own commands and its exchange on a local folder.

The course is set up as the README's "For teachers" section says (make course: notebooks/assignments/course.py),
one assignment per notebook. Notebook 02 goes round the whole cycle: generate, release, fetch as a student (with
a home directory of its own), a second fetch (refused, as nbgrader documents), submit a filled-in notebook,
collect, autograde, generate and release feedback, and fetch the feedback as the student. The student fills in
the teacher's solutions, so the grade must be full marks. (The course script without nbgrader is a row of
test_bad_input.py.) The round trip in test_assignments.py grades every
exercise notebook against its catalogue of wrong solutions; this test is about the cycle around it.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
NOTEBOOK = "02_gaussian_kl"
COURSE_ID = "vae-notebooks"

pytest.importorskip("nbgrader")
from nbgrader.api import Gradebook  # noqa: E402
from nbgrader.utils import get_username  # noqa: E402


def nbgrader(*args, cwd, home=None, check=True):
    """Run one nbgrader command as a teacher (in the course) or as a student (home: the student's)."""
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "OMP_NUM_THREADS": "1"}
    if home is not None:
        env["HOME"] = str(home)
    run = subprocess.run([str(BIN / "nbgrader"), *args], cwd=cwd, env=env, capture_output=True, text=True)
    if check and run.returncode != 0:
        pytest.fail(f"nbgrader {' '.join(args)} failed:\n{run.stderr[-3000:]}")
    return run


def fill_in(student_notebook, teacher_notebook):
    """What a student who solves every exercise hands in: the student version, with each solution cell written."""
    solutions = {c.metadata.nbgrader["grade_id"]: c.source for c in nbformat.read(teacher_notebook, 4).cells
                 if c.metadata.get("nbgrader", {}).get("solution")}
    notebook = nbformat.read(student_notebook, 4)
    for cell in notebook.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = solutions.pop(cell.metadata.nbgrader["grade_id"])
    assert not solutions, f"exercises missing from the student version: {sorted(solutions)}"
    nbformat.write(notebook, student_notebook)


@pytest.mark.notebooks(NOTEBOOK[:2])
def test_the_whole_nbgrader_cycle_through_a_local_exchange(tmp_path, monkeypatch):
    monkeypatch.setenv("VAE_FIGURES_DIR", str(tmp_path / "figures"))
    monkeypatch.setenv("VAE_CHECKPOINT_DIR", str(tmp_path / "checkpoints"))
    course, exchange, home = tmp_path / "course", tmp_path / "exchange", tmp_path / "student"
    subprocess.run([sys.executable, str(ROOT / "notebooks" / "assignments" / "course.py"), str(course),
                    "--exchange", str(exchange)], check=True, capture_output=True)
    assert (course / "source" / NOTEBOOK / f"{NOTEBOOK}.ipynb").is_file()
    assert not exchange.exists(), "nbgrader's release creates the exchange, with the permissions it needs"

    nbgrader("generate_assignment", NOTEBOOK, cwd=course)                               # 1. generate
    released = course / "release" / NOTEBOOK / f"{NOTEBOOK}.ipynb"
    assert released.read_bytes() == (ROOT / "notebooks" / "assignments" / f"{NOTEBOOK}.ipynb").read_bytes()
    nbgrader("release_assignment", NOTEBOOK, cwd=course)                                # 2. release
    assert (exchange / COURSE_ID / "outbound" / NOTEBOOK / f"{NOTEBOOK}.ipynb").is_file()

    (home / ".jupyter").mkdir(parents=True)                                             # the student's own setup:
    (home / ".jupyter" / "nbgrader_config.py").write_text(f"c = get_config()\nc.Exchange.root = {str(exchange)!r}\n")
    nbgrader("fetch_assignment", NOTEBOOK, "--course", COURSE_ID, cwd=home, home=home)  # 3. fetch
    fetched = home / NOTEBOOK / f"{NOTEBOOK}.ipynb"
    assert fetched.read_bytes() == released.read_bytes()
    fill_in(fetched, ROOT / "notebooks" / f"{NOTEBOOK}.ipynb")
    again = nbgrader("fetch_assignment", NOTEBOOK, "--course", COURSE_ID, cwd=home, home=home, check=False)
    assert again.returncode != 0 and "You already have a copy of the assignment" in again.stderr
    assert fetched.read_bytes() != released.read_bytes(), "a second fetch must not overwrite the student's work"

    nbgrader("submit", NOTEBOOK, "--course", COURSE_ID, cwd=home, home=home)           # 4. submit
    nbgrader("collect", NOTEBOOK, cwd=course)                                           # 5. collect
    student = get_username()
    assert (course / "submitted" / student / NOTEBOOK / f"{NOTEBOOK}.ipynb").is_file()
    nbgrader("autograde", NOTEBOOK, "--create", cwd=course)                             # 6. autograde
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        submission = gradebook.find_submission(NOTEBOOK, student)
        assert submission.max_score == 3 and submission.score == submission.max_score
    nbgrader("generate_feedback", NOTEBOOK, cwd=course)                                 # 7. feedback
    nbgrader("release_feedback", NOTEBOOK, cwd=course)
    nbgrader("fetch_feedback", NOTEBOOK, "--course", COURSE_ID, cwd=home, home=home)
    (page,) = (home / NOTEBOOK / "feedback").glob(f"*/{NOTEBOOK}.html")
    assert "Score: 3.0 / 3.0" in page.read_text()


def test_make_course_run_again_keeps_what_the_teacher_edited(tmp_path):
    script = [sys.executable, str(ROOT / "notebooks" / "assignments" / "course.py"), str(tmp_path)]
    subprocess.run(script + ["--exchange", str(tmp_path / "exchange")], check=True, capture_output=True)
    config, source = tmp_path / "nbgrader_config.py", tmp_path / "source" / NOTEBOOK / f"{NOTEBOOK}.ipynb"
    assert f"c.Exchange.root = {str(tmp_path / 'exchange')!r}" in config.read_text()
    config.write_text(config.read_text() + "# the teacher's own line\n")
    source.write_text(source.read_text().replace("Gaussian", "Normal"))
    (tmp_path / "source" / "01_elbo" / "01_elbo.ipynb").unlink()
    again = subprocess.run(script, check=True, capture_output=True, text=True).stdout
    assert config.read_text().endswith("# the teacher's own line\n") and "Normal" in source.read_text()
    assert (tmp_path / "source" / "01_elbo" / "01_elbo.ipynb").read_bytes() == (ROOT / "notebooks" / "01_elbo.ipynb").read_bytes()
    assert f"kept your {config}" in again and f"kept your {source}, which differs" in again
