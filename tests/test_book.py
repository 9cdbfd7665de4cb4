"""The series as a book (`make book`): the build's own checks, and every page in a real browser, offline.

The build is checked without a browser: a notebook with a cell that was never run, or with an error output,
stops it with the notebook's name and cell, and a broken cross-reference fails it (Sphinx's warnings are
errors). Then the built site is served from localhost and Debian's Chromium, driven by Playwright, visits
every page: no request may fail or go to another host, math must be typeset on notebooks 01 and 02, every
image must load, and every internal link must lead to a page (and anchor) that exists. The test also takes
the screenshot of notebook 04's page that the README shows (`make screenshots` writes it to figures/).

Both editions are checked (book/build.py): no page of either shows a line of a hidden test; the student edition
shows each solution only inside a closed "Show a solution" toggle, and the teacher edition shows it in place.
Long code lines wrap rather than being clipped.

Run alone:  .venv/bin/python -m pytest tests/test_book.py -v   (builds the book first, about 10 s)
"""

import functools
import html as html_module
import http.server
import re
import subprocess
import sys
import threading
import urllib.parse
import urllib.request
from pathlib import Path

import nbformat
import pytest

import vae_lib

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "book"))
import build  # noqa: E402  (book/build.py)

from test_browser import chromium_path, page  # noqa: E402,F401  (the same headless Chromium fixtures)

HTML = build.HTML


def test_a_notebook_with_an_unrun_cell_stops_the_build(tmp_path):
    path = tmp_path / "01_unrun.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")]), path)
    with pytest.raises(build.BookError, match=r"01_unrun.ipynb, cell 0 was never run"):
        build.check(path)


def test_a_notebook_with_an_error_output_stops_the_build(tmp_path):
    cell = nbformat.v4.new_code_cell("1 / 0", execution_count=1)
    cell.outputs = [nbformat.v4.new_output("error", ename="ZeroDivisionError", evalue="division by zero", traceback=[])]
    path = tmp_path / "02_error.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Two"), cell]), path)
    with pytest.raises(build.BookError, match=r"02_error.ipynb, cell 1 holds an error output \(ZeroDivisionError\)"):
        build.check(path)


def test_a_broken_cross_reference_fails_the_build(tmp_path):
    source = tmp_path / "source"
    source.mkdir()
    (source / "index.md").write_text("# A page\n\nSee [the missing notebook](notebooks/99_missing.ipynb).\n")
    assert build.sphinx(source, tmp_path / "html") != 0
    (source / "index.md").write_text("# A page\n\nNothing broken here.\n")
    assert build.sphinx(source, tmp_path / "html") == 0          # the same setup builds when the link is gone


def test_widgets_and_stderr_are_replaced_for_the_page():
    nb = build.for_the_page(nbformat.read(ROOT / "notebooks" / "05_train_and_explore.ipynb", as_version=4))
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not any(o.output_type == "stream" and o.name == "stderr" for o in outputs)
    assert not any(build.WIDGET in o.get("data", {}) for o in outputs)
    assert any(o.get("data", {}).get("text/markdown") == build.WIDGET_NOTE for o in outputs)
    assert "widgets" not in nb.metadata


def hidden_and_solution_lines(path):
    """The lines only a teacher's notebook holds: those of its hidden tests, and those of its solutions."""
    nb = nbformat.read(path, as_version=4)
    hidden, solution = set(), set()
    for cell in nb.cells:
        grading = cell.metadata.get("nbgrader", {})
        lines = [line.strip() for line in cell.source.splitlines()]
        if grading.get("grade") and "### BEGIN HIDDEN TESTS" in cell.source:
            inside = False
            for line in lines:
                inside = (inside or line == "### BEGIN HIDDEN TESTS") and line != "### END HIDDEN TESTS"
                if inside:
                    hidden.add(line)
        if grading.get("solution"):
            inside = False
            for line in lines:
                inside = (inside or line == "### BEGIN SOLUTION") and line != "### END SOLUTION"
                if inside:
                    solution.add(line)
    student = nbformat.read(ROOT / "notebooks" / "assignments" / path.name, as_version=4)   # made by nbgrader
    visible = "\n".join(cell.source for cell in student.cells)       # what a student sees on purpose
    keep = lambda lines: {line for line in lines if len(line) > 12 and not line.startswith("###") and line not in visible}
    return keep(hidden), keep(solution)


def hidden_outputs(path):
    """The lines that a notebook's hidden checks printed when it was run (each names itself "... (hidden)")."""
    nb = nbformat.read(path, as_version=4)
    return {line.strip() for cell in nb.cells if "### BEGIN HIDDEN TESTS" in cell.source
            for output in cell.outputs if output.output_type == "stream"
            for line in output.text.splitlines() if "(hidden)" in line}


def page_text(html, without_toggles=False):
    """The text of a built page (tags removed, entities decoded); optionally without the collapsed cells."""
    if without_toggles:
        html = re.sub(r'<details class="admonition hide above-input">.*?</details>', "", html, flags=re.S)
    return html_module.unescape(re.sub(r"<[^>]+>", "", html))


@functools.cache
def built(edition):
    """The html folder of one edition of the book, built once per test run."""
    subprocess.run([sys.executable, str(ROOT / "book" / "build.py"), "--edition", edition], check=True, cwd=ROOT)
    return build.EDITIONS[edition] / "html"


@pytest.fixture(scope="module", params=["student", "teacher"])
def edition(request):
    return request.param, built(request.param)


EXERCISE_NOTEBOOKS = [p for p in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
                      if "BEGIN HIDDEN TESTS" in p.read_text()]


def test_no_edition_shows_a_hidden_test_and_the_student_edition_collapses_every_solution(edition):
    name, html = edition
    assert len(EXERCISE_NOTEBOOKS) >= 9
    assert sum(len(hidden_outputs(path)) for path in EXERCISE_NOTEBOOKS) >= 15     # the outputs the check looks for
    for path in EXERCISE_NOTEBOOKS:
        hidden, solution = hidden_and_solution_lines(path)
        assert hidden and solution, path.name
        page = (html / "notebooks" / f"{path.stem}.html").read_text()
        shown = page_text(page)
        leaked = sorted(line for line in hidden if line in shown)
        assert not leaked, f"{name} edition, {path.stem}: hidden test lines on the page: {leaked[:3]}"
        assert all(line in shown for line in solution), f"{name} edition, {path.stem}: a solution is missing"
        printed = hidden_outputs(path)
        assert not [line for line in printed if line in shown], f"{name} edition, {path.stem}: hidden checks' output"
        launched = re.findall(r'href="(https://(?:mybinder\.org|colab\.research\.google\.com)/[^"]+)"', page)
        expected = f"notebooks/assignments/{path.name}" if name == "student" else f"notebooks/{path.name}"
        assert len(launched) == 2 and all(expected in url for url in launched), (name, path.stem, launched)
        uncollapsed = {line for line in solution if line in page_text(page, without_toggles=True)}
        if name == "student":
            assert not uncollapsed, f"{path.stem}: solution lines outside the collapsed toggle: {sorted(uncollapsed)[:3]}"
            exercises = sum(bool(c.metadata.get("nbgrader", {}).get("solution")) for c in nbformat.read(path, 4).cells)
            assert page.count(f">{build.SHOW_A_SOLUTION}<") == exercises, path.stem
        else:
            assert uncollapsed == solution and build.SHOW_A_SOLUTION not in shown


def test_no_page_shows_the_install_cell(edition):
    name, html = edition
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        assert "VAE_LIB_SOURCE" not in page_text((html / "notebooks" / f"{path.stem}.html").read_text()), path.stem


def test_an_unknown_edition_is_refused_with_the_choices():
    run = subprocess.run([sys.executable, str(ROOT / "book" / "build.py"), "--edition", "answers"],
                         capture_output=True, text=True, cwd=ROOT)
    assert run.returncode != 0 and "choose student (the default) or teacher" in run.stderr


@pytest.fixture(scope="module", params=["student", "teacher"])
def site(request):
    """One edition of the book, built now, served from 127.0.0.1 on a free port."""
    handler = functools.partial(QuietHandler, directory=str(built(request.param)))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def pages():
    return ["index.html", "quality.html", "teachers.html"] + [
        f"notebooks/{p.stem}.html" for p in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))]


@pytest.mark.browser
def test_every_page_loads_offline_with_its_math_and_figures(site, page):
    """Each page: no failed request, no request to another host, no HTTP error, every image loaded."""
    host = urllib.parse.urlsplit(site).netloc
    problems, links = [], set()
    page.on("requestfailed", lambda r: problems.append(f"failed: {r.url} ({r.failure})"))
    page.on("request", lambda r: urllib.parse.urlsplit(r.url).netloc in ("", host)
            or r.url.startswith("data:") or problems.append(f"another host: {r.url}"))
    page.on("response", lambda r: r.status < 400 or problems.append(f"HTTP {r.status}: {r.url}"))
    for name in pages():
        page.goto(f"{site}/{name}", wait_until="networkidle")
        broken = page.eval_on_selector_all("img", "imgs => imgs.filter(i => !(i.complete && i.naturalWidth > 0))"
                                                  ".map(i => i.src)")
        assert not broken, f"{name}: images that did not load: {broken}"
        if name.startswith(("notebooks/01_", "notebooks/02_")):
            page.wait_for_function("document.querySelectorAll('mjx-container').length > 20", timeout=30_000)
            text = page.evaluate("""() => { const a = document.querySelector('article').cloneNode(true);
                a.querySelectorAll('div.cell, pre, mjx-container').forEach(e => e.remove()); return a.innerText; }""")
            assert "$$" not in text and "\\mathcal" not in text, f"{name}: raw TeX left in the prose"
        if name.startswith("notebooks/04_") and "teacher" not in page.title():
            page.screenshot(path=str(vae_lib.paths.figures_dir() / "book_04_vae.png"))
        clipped = page.eval_on_selector_all("article pre", "ps => ps.filter(p => p.scrollWidth > p.clientWidth + 1)"
                                                           ".map(p => p.innerText.slice(0, 60))")
        assert not clipped, f"{name}: code blocks wider than the page: {clipped[:3]}"
        hrefs = page.eval_on_selector_all("a[href]", "as => as.map(a => a.href)")
        links.update(h for h in hrefs if urllib.parse.urlsplit(h).netloc == host)
    assert not problems, "\n".join(problems[:20])
    assert len(links) > 50
    for link in sorted(links):
        url, _, anchor = link.partition("#")
        with urllib.request.urlopen(url) as response:                 # raises on 404
            body = response.read().decode("utf-8", "replace")
        if anchor and url.endswith(".html"):
            assert re.search(rf'id="{re.escape(urllib.parse.unquote(anchor))}"', body), f"broken anchor: {link}"


@pytest.mark.browser
def test_widget_pages_show_the_note_and_launch_links(site, page):
    page.goto(f"{site}/notebooks/05_train_and_explore.html", wait_until="networkidle")
    assert "An interactive widget is here when the notebook runs in Jupyter" in page.inner_text("article")
    hrefs = page.eval_on_selector_all("a[href]", "as => as.map(a => a.href)")
    repository = build.conf.REPOSITORY.split("//")[1]
    assert any(h.startswith("https://mybinder.org/") and "05_train_and_explore.ipynb" in h for h in hrefs), hrefs
    assert any(h.startswith("https://colab.research.google.com/github/") and "05_train_and_explore.ipynb" in h
               for h in hrefs), hrefs
    assert any(repository.split("/", 1)[1] in h for h in hrefs if "mybinder" in h)
    # the student edition launches the student version of a notebook with exercises, the teacher edition the solved one
    launched = "notebooks/05_train_and_explore.ipynb" if "teacher edition" in page.title() else \
        "notebooks/assignments/05_train_and_explore.ipynb"
    assert all(launched in h for h in hrefs if h.startswith(("https://mybinder.org/", "https://colab.research")))
    previous = page.get_attribute("a.left-prev", "href")
    following = page.get_attribute("a.right-next", "href")
    assert previous.endswith("04_vae.html") and following.endswith("06_evaluating_vaes.html")


@pytest.mark.browser
def test_a_solution_opens_only_when_asked(site, page):
    """Student edition: the solution is collapsed until "Show a solution" is clicked. Teacher edition: in place."""
    page.goto(f"{site}/notebooks/02_gaussian_kl.html", wait_until="networkidle")
    solution = page.locator("div.highlight pre", has_text="return 0.5 * (mu**2 + logvar.exp() - 1").first
    if "teacher edition" in page.title():
        assert solution.is_visible() and page.get_by_text(build.SHOW_A_SOLUTION).count() == 0
        return
    assert page.get_by_text("raise vae_lib.exercises.unfinished()").first.is_visible()
    assert not solution.is_visible()
    page.get_by_text(build.SHOW_A_SOLUTION).first.click()
    assert solution.is_visible()
