"""Build the series as a static website: `make book` (python book/build.py).

1. Check every notebook: each code cell has been run and none holds an error. A notebook that fails stops the
   build with its name and cell, since the book shows the stored outputs and executes nothing.
2. Write the book's source folder: the notebooks with the outputs a static page cannot show replaced (a widget
   becomes a one-line note, stderr goes), the install cell left out, the exercises as the edition shows them,
   the README's quality and teachers' sections as pages, and the figures they show.
3. Run Sphinx (myst-nb, sphinx-book-theme, book/conf.py) with warnings as errors, so a broken cross-reference
   fails the build.

Two editions. Neither shows a hidden test: nbgrader's ClearHiddenTests removes them from the graded cells, and
those cells' stored outputs go too, since the hidden checks print their names and inputs.
- student (the default, build/book/html): each exercise shows the stub a student gets (nbgrader's
  ClearSolutions, with the stub from notebooks/assignments/nbgrader_config.py) and its self-check; a solution
  follows, collapsed behind "Show a solution".
- teacher (`make book EDITION=teacher`, build/book-teacher/html): the solutions in place, uncollapsed. Do not
  publish it where students read.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
from traitlets.config.loader import PyFileConfigLoader

ROOT = Path(__file__).resolve().parent.parent
EDITIONS = {"student": ROOT / "build" / "book", "teacher": ROOT / "build" / "book-teacher"}
SOURCE = EDITIONS["student"] / "source"
HTML = EDITIONS["student"] / "html"
sys.path.insert(0, str(Path(__file__).parent))
import conf  # noqa: E402  (the repository URL the launch buttons and outside links use)

NBGRADER_CONFIG = ROOT / "notebooks" / "assignments" / "nbgrader_config.py"
SHOW_A_SOLUTION = "Show a solution"

WIDGET = "application/vnd.jupyter.widget-view+json"
WIDGET_NOTE = ("*An interactive widget is here when the notebook runs in Jupyter: open it on Binder or Colab "
               "(the rocket button at the top of this page) or locally with `make lab`. The picture below it "
               "shows what it draws.*")
# The README sections that become pages: (page, heading in the README, title of the page)
README_PAGES = [("quality", "## Quality", "Quality: the numbers the models reach"),
                ("teachers", "## For teachers: graded assignments with nbgrader", "For teachers: graded assignments")]


class BookError(RuntimeError):
    pass


def notebooks():
    return sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def check(path):
    """The notebook as stored must be fully executed and error-free: the book shows what it holds."""
    nb = nbformat.read(path, as_version=4)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        where = f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}, cell {index}"
        if cell.execution_count is None:
            raise BookError(f"{where} was never run: execute the notebook and commit it with its outputs")
        errors = [o for o in cell.outputs if o.output_type == "error"]
        if errors:
            raise BookError(f"{where} holds an error output ({errors[0].ename}): fix it and re-execute the notebook")
    return nb


def for_the_page(nb):
    """Replace what a static page cannot show: widgets (with a note) and stderr (progress bars, warnings)."""
    nb.metadata.pop("widgets", None)          # the widget state would make the page load the widget library
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        outputs = []
        for output in cell.outputs:
            if output.output_type == "stream" and output.name == "stderr":
                continue
            if WIDGET in output.get("data", {}):
                output = nbformat.v4.new_output("display_data", data={"text/markdown": WIDGET_NOTE})
            outputs.append(output)
        cell.outputs = outputs
    return nb


def nbgrader_config():
    """The course's nbgrader settings (the stub a cleared solution becomes), read from its config file."""
    return PyFileConfigLoader(NBGRADER_CONFIG.name, str(NBGRADER_CONFIG.parent)).load_config()


def for_the_edition(nb, edition):
    """The notebook as `edition` shows it: no install cell, no hidden tests, and (student) each solution collapsed.

    The install cell is the first code cell; on a page it is noise (the launch buttons install vae_lib).
    """
    try:
        from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions
    except ImportError:
        raise BookError("the book needs nbgrader to hide the exercises' hidden tests: "
                        "pip install -e '.[dev]' (make book installs it)") from None
    if edition not in EDITIONS:
        raise BookError(f"unknown edition {edition!r}: choose one of {', '.join(EDITIONS)} (make book EDITION=teacher)")
    install = next(c for c in nb.cells if c.cell_type == "code")
    install.metadata.setdefault("tags", []).append("remove-cell")
    solved = {id(c): (c.source, c.outputs) for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")}
    for cell in nb.cells:
        if "### BEGIN HIDDEN TESTS" in cell.source:
            cell.outputs = []       # what the hidden tests printed (their names, their inputs) goes with them
    config = nbgrader_config()
    resources = {"language": "python"}
    nb, resources = ClearHiddenTests(config=config).preprocess(nb, resources)
    if edition == "teacher":
        return nb
    nb, resources = ClearSolutions(config=config).preprocess(nb, resources)
    cells = []
    for cell in nb.cells:
        cells.append(cell)
        if id(cell) in solved:
            source, outputs = solved[id(cell)]
            cell.outputs = []
            solution = nbformat.v4.new_code_cell(strip_solution_markers(source), execution_count=cell.execution_count)
            solution.outputs = outputs
            solution.metadata = {"tags": ["hide-input"], "mystnb": {"code_prompt_show": SHOW_A_SOLUTION,
                                                                   "code_prompt_hide": "Hide the solution"}}
            cells.append(solution)
    nb.cells = cells
    return nb


def strip_solution_markers(source):
    return "\n".join(line for line in source.splitlines()
                     if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION"))


def readme_section(readme, heading):
    start = readme.index(heading + "\n")
    level = heading.split()[0]
    following = re.search(rf"^{level} ", readme[start + len(heading):], flags=re.M)
    end = start + len(heading) + following.start() if following else len(readme)
    return readme[start + len(heading):end].strip("\n")


def repository_links(text):
    """README links are relative to the repository: notebooks stay in the book, other files go to the repository."""
    def link(match):
        label, target = match.group(1), match.group(2)
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            return match.group(0)
        path = target.split("#")[0]
        if path.startswith("notebooks/") and path.endswith(".ipynb") and "/assignments/" not in path:
            return match.group(0)                                 # a page of the book
        if path.startswith("figures/"):
            return match.group(0)                                 # copied next to the page
        return f"[{label}]({conf.REPOSITORY}/blob/{conf.BRANCH}/{target})"
    return re.sub(r"(?<!!)\[([^\]]*)\]\(([^)\s]+)\)", link, text)


def write_source(paths=None, source=SOURCE, edition="student"):
    paths = notebooks() if paths is None else paths
    if source.exists():
        shutil.rmtree(source)
    (source / "notebooks").mkdir(parents=True)
    for path in paths:
        nbformat.write(for_the_edition(for_the_page(check(path)), edition), source / "notebooks" / path.name)
    readme = (ROOT / "README.md").read_text()
    for page, heading, title in README_PAGES:
        body = repository_links(readme_section(readme, heading))
        (source / f"{page}.md").write_text(f"# {title}\n\n{body}\n")
    shutil.copytree(ROOT / "figures", source / "figures")
    toctree = "\n".join(f"notebooks/{path.stem}" for path in paths)
    index = (Path(__file__).parent / "index.md").read_text().replace("{NOTEBOOKS}", toctree)
    (source / "index.md").write_text(index.replace("{REPOSITORY}", conf.REPOSITORY)
                                     .replace("{EDITION}", EDITION_NOTES[edition]))


EDITION_NOTES = {
    "student": ("**This edition** shows each exercise as a student gets it: the stub to fill in and its self-check. "
                "A solution follows each one, collapsed: try the exercise before you open it. On a page with "
                "exercises, the rocket button opens the student version."),
    "teacher": ("**Teacher edition.** The exercises' solutions are shown in place. Do not publish this edition "
                "where students read it; the student edition (`make book`) keeps them collapsed. Neither edition "
                "shows the hidden tests."),
}


def sphinx(source=SOURCE, html=HTML, edition="student"):
    """Sphinx on the source folder, with book/conf.py; warnings are errors. Returns its exit status."""
    if html.exists():
        shutil.rmtree(html)
    command = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", "-c", str(Path(__file__).parent),
               "-D", f"html_title=VAE notebooks{' (teacher edition)' if edition == 'teacher' else ''}",
               str(source), str(html)]
    return subprocess.run(command, env={**os.environ, "VAE_BOOK_EDITION": edition}).returncode


def main(argv=None):
    parser = argparse.ArgumentParser(description="Build the series as a static website (make book).")
    parser.add_argument("--edition", default="student", help="student (default) or teacher: see this file's docstring")
    edition = parser.parse_args(argv).edition
    if edition not in EDITIONS:
        sys.exit(f"make book: unknown edition {edition!r}: choose student (the default) or teacher")
    source, html = EDITIONS[edition] / "source", EDITIONS[edition] / "html"
    try:
        write_source(source=source, edition=edition)
    except BookError as error:
        sys.exit(f"make book: {error}")
    if sphinx(source, html, edition):
        sys.exit("make book: Sphinx reported the warnings above (a broken link or reference fails the build)")
    print(f"the {edition} edition of the book is in {html.relative_to(ROOT)}/index.html")


if __name__ == "__main__":
    main()
