"""The series as a book (`make book`): the build's own checks, and every page in a real browser, offline.

The build is checked without a browser: a notebook with a cell that was never run, or with an error output,
stops it with the notebook's name and cell, and a broken cross-reference fails it (Sphinx's warnings are
errors). Then the built site is served from localhost and Debian's Chromium, driven by Playwright, visits
every page: no request may fail or go to another host, math must be typeset on notebooks 01 and 02, every
image must load, and every internal link must lead to a page (and anchor) that exists. The test also takes
the screenshot of notebook 04's page that the README shows (`make screenshots` writes it to figures/).

Run alone:  .venv/bin/python -m pytest tests/test_book.py -v   (builds the book first, about 10 s)
"""

import functools
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
    (source / "conf.py").write_text((ROOT / "book" / "conf.py").read_text())
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


@pytest.fixture(scope="module")
def site():
    """The book, built now, served from 127.0.0.1 on a free port."""
    subprocess.run([sys.executable, str(ROOT / "book" / "build.py")], check=True, cwd=ROOT)
    handler = functools.partial(QuietHandler, directory=str(HTML))
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
        if name.startswith("notebooks/04_"):
            page.screenshot(path=str(vae_lib.paths.figures_dir() / "book_04_vae.png"))
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
    previous = page.get_attribute("a.left-prev", "href")
    following = page.get_attribute("a.right-next", "href")
    assert previous.endswith("04_vae.html") and following.endswith("06_evaluating_vaes.html")
