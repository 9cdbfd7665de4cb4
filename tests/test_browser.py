"""The latent sliders as a student meets them: in JupyterLab and on the Voilà page, in a real browser.

The Voilà page has a second tab, notebook 08's digit-and-style explorer: the test picks another digit and
moves a slider, and reads the digit back from the screen's pixels, against the model's own decodings.

Each test starts its server from this environment on a free localhost port with a
random token, drives Debian's Chromium headless through Playwright, moves a slider
and checks that the decoded digit's pixels on screen change by more than noise.
Then it shuts the server down and checks that no process it started is left.

Run alone:  .venv/bin/python -m pytest tests/test_browser.py -v
They run last in `make test` (see conftest.py), after nbval has saved notebook 05's
checkpoint; on a fresh clone, run alone, notebook 05 trains its model first, and the
JupyterLab test allows for that.
Chromium: `apt-get install chromium`. Without it these tests are skipped, unless
VAE_REQUIRE_BROWSER=1 (as in CI), where a missing browser is a failure.
"""

import io
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import nbformat
import numpy as np
import psutil
import pytest

import series
import vae_lib

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CHROMIUM = os.environ.get("VAE_CHROMIUM", "/usr/bin/chromium")
# No sandbox (CI runs as root), no GPU, and nothing that phones home.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]
SHOTS_DIR = Path(os.environ.get("VAE_BROWSER_SHOTS") or ROOT / "build" / "browser")  # failure screenshots

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def chromium_path():
    if not Path(CHROMIUM).is_file():
        message = f"no Chromium at {CHROMIUM}: install it with `apt-get install chromium` (or set VAE_CHROMIUM)"
        if os.environ.get("VAE_REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


@pytest.fixture
def page(chromium_path, tmp_path):
    """A fresh headless Chromium (new user-data dir) and one page in it."""
    from playwright.sync_api import sync_playwright
    already_running = {p.pid for p in psutil.Process().children(recursive=True)}
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            tmp_path / "chromium-profile", executable_path=chromium_path, headless=True,
            args=CHROMIUM_FLAGS, viewport={"width": 1400, "height": 1000})
        try:
            yield context.pages[0] if context.pages else context.new_page()
        finally:
            context.close()
    # Playwright's driver and Chromium are our children: none may outlive the test.
    ours = [p for p in psutil.Process().children(recursive=True) if p.pid not in already_running]
    _, alive = psutil.wait_procs(ours, timeout=10)
    for process in alive:
        process.kill()
    assert not alive, f"browser processes left running: {[p.pid for p in alive]}"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A server process in its own session, its log in a file, and a clean stop."""

    def __init__(self, argv, url, tmp_path, name):
        self.url, self.log = url, tmp_path / f"{name}.log"
        env = dict(os.environ,
                   VAE_FIGURES_DIR=str(tmp_path / "figures"),  # the run must not rewrite the repo's figures
                   JUPYTER_CONFIG_DIR=str(tmp_path / "jupyter-config"),  # no user settings leak in
                   JUPYTER_RUNTIME_DIR=str(tmp_path / "jupyter-runtime"))
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, start_new_session=True)

    def log_tail(self, lines=40):
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def wait_until_up(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"the server exited with code {self.process.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url, timeout=5) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        pytest.fail(f"the server did not answer {self.url} within {timeout} s:\n{self.log_tail()}")

    def stop(self):
        """SIGTERM (the servers then shut their kernels down); return the processes still alive after."""
        try:
            started = [psutil.Process(self.process.pid), *psutil.Process(self.process.pid).children(recursive=True)]
        except psutil.NoSuchProcess:
            started = []
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass
        _, alive = psutil.wait_procs(started, timeout=15)
        stray = []
        for process in alive:  # clean up, but report them: a stray process is a bug
            try:
                stray.append(f"{process.pid} {' '.join(process.cmdline()[:3])}")
                process.kill()
            except psutil.NoSuchProcess:
                pass
        return stray


@pytest.fixture
def start_server(tmp_path):
    servers = []

    def start(argv, url, name):
        server = Server(argv, url, tmp_path, name)
        servers.append(server)
        server.wait_until_up()
        return server

    yield start
    stray = [name for server in servers for name in server.stop()]
    assert not stray, f"processes left running after shutdown: {stray}"


@contextmanager
def explain_failure(page, server, name):
    """On failure, keep a screenshot of the page and print the server's log: what CI shows us."""
    try:
        yield
    except BaseException:
        SHOTS_DIR.mkdir(parents=True, exist_ok=True)
        shot = SHOTS_DIR / f"{name}-failure.png"
        try:
            page.screenshot(path=shot, full_page=True)
            print(f"screenshot of the page at the failure: {shot}")
        except Exception as error:  # the page itself may be gone
            print(f"no screenshot ({error})")
        print(f"server log (last lines):\n{server.log_tail()}")
        raise


def grey(png_bytes):
    from PIL import Image
    return np.asarray(Image.open(io.BytesIO(png_bytes)).convert("L"), dtype=np.float64)


def image_change(before, after):
    """Mean absolute difference in grey levels (0-255) between two screenshots of one element."""
    a, b = grey(before), grey(after)
    if a.shape != b.shape:
        return 255.0
    return float(np.abs(a - b).mean())


def changed_pixels(before, after):
    """How many pixels differ by more than 40 grey levels (the marker is small: its mean change is too)."""
    a, b = grey(before), grey(after)
    return a.size if a.shape != b.shape else int((np.abs(a - b) > 40).sum())


def wait_for_change(element, before, threshold, timeout=20):
    """Screenshot ``element`` until it differs from ``before`` by more than ``threshold``; return the change."""
    deadline = time.monotonic() + timeout
    change = 0.0
    while time.monotonic() < deadline:
        change = image_change(before, element.screenshot())
        if change > threshold:
            return change
        time.sleep(0.25)
    return change


def readout_value(readout):
    return float(readout.text_content().replace("\u2212", "-"))  # the readout writes a typographic minus


def move_sliders_and_check_the_digit(page, explorer):
    """Move z_1 by keyboard and set z_2 by its readout; the digit's pixels must change beyond noise."""
    digit, scatter = explorer.locator("img").nth(0), explorer.locator("img").nth(1)
    sliders = explorer.locator(".widget-slider")
    assert sliders.count() == 2, f"expected the sliders z_1 and z_2, found {sliders.count()}"
    digit.wait_for(state="visible")
    first = digit.screenshot()
    noise = image_change(first, digit.screenshot())  # the same state twice: what "no change" looks like
    threshold = max(10 * noise, 2.0)
    scatter_before = scatter.screenshot()

    # Keyboard: focus z_1's handle and step it right (0.05 a press).
    sliders.nth(0).locator(".noUi-handle").focus()
    for _ in range(30):
        page.keyboard.press("ArrowRight")
    readout = sliders.nth(0).locator(".widget-readout")
    page.wait_for_function("el => parseFloat(el.textContent) > 1.0", arg=readout.element_handle(), timeout=10_000)
    keyboard_change = wait_for_change(digit, first, threshold)
    assert keyboard_change > threshold, (
        f"z_1 moved to {readout.text_content()} but the decoded digit did not change: "
        f"mean pixel change {keyboard_change:.2f} <= threshold {threshold:.2f} (noise {noise:.2f})")

    # Readout: type a value into z_2's, as a student would.
    after_keyboard = digit.screenshot()
    readout = sliders.nth(1).locator(".widget-readout")
    readout.click()
    page.keyboard.press("Control+A")
    page.keyboard.type("-1.5")
    page.keyboard.press("Enter")
    readout_change = wait_for_change(digit, after_keyboard, threshold)
    assert readout_change > threshold, (
        f"z_2 set to {readout.text_content()} by its readout but the decoded digit did not change: "
        f"mean pixel change {readout_change:.2f} <= threshold {threshold:.2f}")
    assert readout_value(readout) == pytest.approx(-1.5)
    moved = changed_pixels(scatter_before, scatter.screenshot())
    assert moved > 100, f"the scatter's marker did not move: {moved} pixels changed"
    return keyboard_change, readout_change, noise


def assert_no_error_shown(page):
    for text in page.locator(".jp-OutputArea-output").all_inner_texts():
        assert "Traceback" not in text and "Error displaying widget" not in text, f"an output shows an error:\n{text}"


PROMPTS_JS = "() => [...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputPrompt')].map(p => p.textContent)"


KERNEL_READY_JS = """() => {
    const widget = window.jupyterapp && window.jupyterapp.shell.currentWidget;
    const context = widget && widget.sessionContext;
    const kernel = context && context.isReady && context.session && context.session.kernel;
    return !!kernel && kernel.connectionStatus === 'connected' && kernel.status === 'idle';
}"""


def run_all_cells(page, timeout_s):
    """Edit > Clear Outputs of All Cells, then Run > Run All Cells, and wait until the run is over.

    Clearing first blanks every prompt to [ ]. Run All marks every queued cell [*] at once; each gets
    its number when it ends, and an error un-queues the rest. So the run is over when some prompt has a
    number and none shows [*]. (Waiting to *see* a [*] instead can miss a run that ends between polls.)
    """
    for menu, item in (("Edit", "Clear Outputs of All Cells"), ("Run", "Run All Cells")):
        page.get_by_role("menuitem", name=menu, exact=True).click()
        page.get_by_role("menuitem", name=item, exact=True).click()
    try:
        page.wait_for_function(
            f"() => {{ const prompts = ({PROMPTS_JS})();"
            "         return prompts.some(t => /\\d/.test(t)) && !prompts.some(t => t.includes('*')); }",
            timeout=timeout_s * 1000, polling=500)
    except Exception:
        print(f"prompts when the wait ended: {page.evaluate(PROMPTS_JS)}")
        raise


def use_models_of(notebook, monkeypatch):
    """Point the server's kernels at the notebook's model cache (conftest.py), unless the user chose a folder."""
    if series.cache_by_notebook():
        monkeypatch.setenv("VAE_CHECKPOINT_DIR", str(series.prepare_cache(notebook)))


def test_sliders_in_jupyterlab(page, start_server, tmp_path, monkeypatch):
    # Run a copy: JupyterLab saves what it runs, and the committed outputs must stay as nbval made them.
    workdir = tmp_path / "notebooks"
    workdir.mkdir()
    # Settings for this test's JupyterLab only: render every cell (JupyterLab 4 otherwise keeps only the
    # cells in view in the page), and no pop-up asking about Jupyter news over the notebook.
    settings = tmp_path / "user-settings" / "@jupyterlab"
    for extension, name, value in (("notebook-extension", "tracker", {"windowingMode": "none"}),
                                   ("apputils-extension", "notification", {"fetchNews": "false"})):
        (settings / extension).mkdir(parents=True, exist_ok=True)
        (settings / extension / f"{name}.jupyterlab-settings").write_text(json.dumps(value))
    notebook = workdir / "05_train_and_explore.ipynb"
    use_models_of(notebook.stem, monkeypatch)
    shutil.copy(ROOT / "notebooks" / notebook.name, notebook)
    port, token = free_port(), secrets.token_hex(16)
    server = start_server(
        [str(BIN / "jupyter"), "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={workdir}", "--allow-root",
         f"--LabApp.workspaces_dir={tmp_path / 'workspaces'}",
         f"--LabApp.user_settings_dir={tmp_path / 'user-settings'}", "--LabApp.expose_app_in_browser=True"],
        f"http://127.0.0.1:{port}/api/status?token={token}", "jupyterlab")

    with explain_failure(page, server, "jupyterlab"):
        page.goto(f"http://127.0.0.1:{port}/lab/tree/{notebook.name}?token={token}")
        page.locator(".jp-Notebook .jp-CodeCell").first.wait_for(timeout=60_000)
        # Run All before the notebook's session has its kernel makes JupyterLab ask "Select Kernel" instead of
        # running (seen in CI on a busy machine), so wait, through the app object, until the kernel is connected.
        page.wait_for_function(KERNEL_READY_JS, timeout=120_000, polling=500)
        # With notebook 05's checkpoint (saved by nbval earlier in `make test`) the notebook only loads its
        # model; without it (this test run alone on a fresh clone) it trains it first, in the browser's
        # kernel, as a student's first run does: allow for that training (~80 s here) with room to spare.
        trained = vae_lib.checkpoint_path("vae_2d").is_file()
        run_all_cells(page, timeout_s=170 if trained else 470)

        # Save, and read what ran from the file: every code cell executed, no error output.
        page.locator(".jp-Notebook").first.click()
        page.keyboard.press("Control+S")
        page.wait_for_function("() => !document.querySelector('.jp-mod-dirty')", timeout=20_000)
        ran = nbformat.read(notebook, as_version=4)
        errors = [f"{o.ename}: {o.evalue}" for c in ran.cells if c.cell_type == "code"
                  for o in c.outputs if o.output_type == "error"]
        assert not errors, f"cells raised errors in JupyterLab: {errors}"
        not_run = [i for i, c in enumerate(ran.cells) if c.cell_type == "code" and c.execution_count is None]
        assert not not_run, f"code cells {not_run} did not run"
        assert_no_error_shown(page)

        explorer = page.locator(".widget-hbox:has(.widget-slider)").first
        explorer.scroll_into_view_if_needed()
        move_sliders_and_check_the_digit(page, explorer)
        vae_lib.paths.figures_dir().mkdir(exist_ok=True)
        explorer.screenshot(path=vae_lib.paths.figures_dir() / "latent_sliders.png")


def test_explorer_page_in_voila(page, start_server, monkeypatch):
    use_models_of("latent_explorer", monkeypatch)
    port, token = free_port(), secrets.token_hex(16)
    server = start_server(
        [str(BIN / "voila"), "notebooks/latent_explorer.ipynb", "--no-browser", "--Voila.ip=127.0.0.1",
         f"--port={port}", f"--token={token}", "--show_tracebacks=True"],
        f"http://127.0.0.1:{port}/voila/static/voila.js", "voila")

    with explain_failure(page, server, "voila"):
        page.goto(f"http://127.0.0.1:{port}/?token={token}", timeout=120_000)
        explorer = page.locator(".widget-hbox:has(.widget-slider)").first
        explorer.wait_for(timeout=120_000)  # Voila runs the notebook first: load or train the model
        text = page.locator("body").inner_text()
        assert "Traceback" not in text and "There was an error" not in text, f"the page shows an error:\n{text[-2000:]}"
        assert "Model: " in text, "the page does not say which model it shows"
        assert "import vae_lib" not in text and "latent_sliders(" not in text, "the explorer page shows code"
        assert_no_error_shown(page)
        move_sliders_and_check_the_digit(page, explorer)

        page.locator(".lm-TabBar-tab", has_text="Digit and style").click()
        panel = page.locator(".widget-vbox:has(.widget-toggle-buttons)").first
        panel.wait_for(state="visible", timeout=20_000)
        cvae_path = vae_lib.checkpoint_path("explorer_cvae_2d" if "explorer_cvae_2d.pt" in text else "cvae_2d")
        cvae, _ = vae_lib.load_checkpoint(cvae_path, device="cpu")
        pick_a_digit_and_move_a_slider(page, panel, cvae)
        vae_lib.paths.figures_dir().mkdir(exist_ok=True)
        panel.screenshot(path=vae_lib.paths.figures_dir() / "digit_style_explorer.png")


# --- The digit-and-style explorer (Voilà page, second tab) -----------------------------------------------------

def ink(png_bytes):
    """The 28 x 28 picture a digit widget shows, read off its screenshot: ink in [0, 1], as a (784,) array.

    The widget draws each of the 28 x 28 pixels as a scale x scale block, dark on white; block means undo that."""
    g = grey(png_bytes)
    side = g.shape[0] // 28
    blocks = g[:28 * side, :28 * side].reshape(28, side, 28, side).mean(axis=(1, 3))
    return (1 - blocks / 255).reshape(784)


def readouts(panel):
    sliders = panel.locator(".widget-slider")
    return [readout_value(sliders.nth(j).locator(".widget-readout")) for j in range(sliders.count())]


def as_every_digit(model, z):
    """The model's E[x | z, y] for y = 0 .. 9 at one z: a (10, 784) array."""
    import torch
    with torch.no_grad():
        return model.mean_image(torch.tensor([z], dtype=torch.float32).expand(10, -1), torch.arange(10)).numpy()


def read_digit(model, panel):
    """(class, distance): which of the model's ten decodings of the sliders' z the big picture shows, and how
    far from it it is (mean absolute ink difference), with the second-best distance for comparison."""
    shown = ink(panel.locator("img").nth(0).screenshot())
    distances = np.abs(as_every_digit(model, readouts(panel)) - shown).mean(axis=1)
    order = np.argsort(distances)
    return int(order[0]), float(distances[order[0]]), float(distances[order[1]])


def wait_for_digit(model, panel, wanted, timeout=20):
    deadline = time.monotonic() + timeout
    while True:
        shown, distance, runner_up = read_digit(model, panel)
        if shown == wanted or time.monotonic() > deadline:
            return shown, distance, runner_up
        time.sleep(0.25)


def pick_a_digit_and_move_a_slider(page, panel, model):
    """Pick digit 7 (the class must change, the style stay), then move z_1 (the style must change, the class stay).

    What the screen shows is read back as one of the model's ten decodings of the sliders' z: the class is the
    nearest one, and it must be far nearer than the runner-up, so the picture is that class and that z."""
    sliders = panel.locator(".widget-slider")
    assert sliders.count() == model.latent_dim, f"expected {model.latent_dim} sliders, found {sliders.count()}"
    shown, distance, runner_up = read_digit(model, panel)
    assert shown == 0 and distance < 0.02 < runner_up, (
        f"at start the explorer should show a 0 at z = {readouts(panel)}: it shows class {shown} "
        f"(ink distance {distance:.3f}, next {runner_up:.3f})")
    z_before, strip_before = readouts(panel), panel.locator("img").nth(1).screenshot()

    panel.locator("button", has_text="7").first.click()
    shown, distance, runner_up = wait_for_digit(model, panel, 7)
    assert shown == 7 and distance < 0.02 < runner_up, (
        f"after picking 7 the explorer shows class {shown} (ink distance {distance:.3f}, next {runner_up:.3f})")
    assert readouts(panel) == z_before, f"picking a digit moved the sliders: {z_before} -> {readouts(panel)}"
    assert changed_pixels(strip_before, panel.locator("img").nth(1).screenshot()) == 0, (
        "picking a digit changed the strip of all ten digits: the style was not kept")
    seven_before = ink(panel.locator("img").nth(0).screenshot())

    sliders.nth(0).locator(".noUi-handle").focus()
    for _ in range(30):
        page.keyboard.press("ArrowRight")
    readout = sliders.nth(0).locator(".widget-readout")
    page.wait_for_function("el => parseFloat(el.textContent) > 1.0", arg=readout.element_handle(), timeout=10_000)
    deadline = time.monotonic() + 20
    while True:  # the new style is on screen once the picture matches the model's 7 at the sliders' new z
        shown, distance, runner_up = read_digit(model, panel)
        if (shown == 7 and distance < 0.02) or time.monotonic() > deadline:
            break
        time.sleep(0.25)
    assert shown == 7 and distance < 0.02 < runner_up, (
        f"after moving z_1 to {readout.text_content()} the explorer shows class {shown} "
        f"(ink distance {distance:.3f}, next {runner_up:.3f}); it should still be a 7")
    restyled = float(np.abs(ink(panel.locator("img").nth(0).screenshot()) - seven_before).mean())
    assert restyled > 0.02, f"moving z_1 did not change the 7's style (mean ink change {restyled:.3f})"
