"""Build the series as a static website: `make book` (python book/build.py).

1. Check every notebook: each code cell has been run and none holds an error. A notebook that fails stops the
   build with its name and cell, since the book shows the stored outputs and executes nothing.
2. Write the book's source folder, build/book/source: the notebooks with the outputs a static page cannot show
   replaced (a widget becomes a one-line note, stderr goes), the README's quality and teachers' sections as
   pages, and the figures they show.
3. Run Sphinx (myst-nb, sphinx-book-theme) with warnings as errors, so a broken cross-reference fails the build.
   The site is build/book/html; open build/book/html/index.html.
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "build" / "book" / "source"
HTML = ROOT / "build" / "book" / "html"
sys.path.insert(0, str(Path(__file__).parent))
import conf  # noqa: E402  (the repository URL the launch buttons and outside links use)

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


def write_source(paths=None, source=SOURCE):
    paths = notebooks() if paths is None else paths
    if source.exists():
        shutil.rmtree(source)
    (source / "notebooks").mkdir(parents=True)
    for path in paths:
        nbformat.write(for_the_page(check(path)), source / "notebooks" / path.name)
    readme = (ROOT / "README.md").read_text()
    for page, heading, title in README_PAGES:
        body = repository_links(readme_section(readme, heading))
        (source / f"{page}.md").write_text(f"# {title}\n\n{body}\n")
    shutil.copytree(ROOT / "figures", source / "figures")
    shutil.copy(Path(__file__).parent / "conf.py", source / "conf.py")
    toctree = "\n".join(f"notebooks/{path.stem}" for path in paths)
    index = (Path(__file__).parent / "index.md").read_text().replace("{NOTEBOOKS}", toctree)
    (source / "index.md").write_text(index.replace("{REPOSITORY}", conf.REPOSITORY))


def sphinx(source=SOURCE, html=HTML):
    """Sphinx on the source folder; warnings are errors. Returns its exit status."""
    if html.exists():
        shutil.rmtree(html)
    command = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", str(source), str(html)]
    return subprocess.run(command).returncode


def main():
    try:
        write_source()
    except BookError as error:
        sys.exit(f"make book: {error}")
    if sphinx():
        sys.exit("make book: Sphinx reported the warnings above (a broken link or reference fails the build)")
    print(f"the book is in {HTML.relative_to(ROOT)}/index.html")


if __name__ == "__main__":
    main()
