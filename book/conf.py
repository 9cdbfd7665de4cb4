"""Sphinx configuration of the series as a book: the committed notebooks, rendered with their stored outputs.

`make book` (book/build.py) copies the notebooks and the README's tables into build/book/source, then runs
Sphinx on that folder with this file (sphinx -c book). Nothing is executed. The repository behind the launch
buttons is the one pyproject.toml declares ([project.urls] Repository); `make repository URL=...` retargets a fork.
"""

import os
import tomllib
from pathlib import Path

project = "Variational autoencoders, from the ELBO to latent sliders"
author = "the vae-lib authors"
copyright = "2026, the vae-lib authors"

ROOT = Path(__file__).resolve().parent.parent
REPOSITORY = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]["Repository"]
EDITION = os.environ.get("VAE_BOOK_EDITION", "student")   # book/build.py sets it: student or teacher
BRANCH = os.environ.get("VAE_BOOK_BRANCH", "main")

extensions = ["myst_nb", "sphinx-mathjax-offline"]   # MathJax from the package, copied into _static/
nb_execution_mode = "off"                           # the stored outputs are the product
nb_output_stderr = "remove"                         # progress bars and warnings are not part of the page
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3
exclude_patterns = ["_build"]
suppress_warnings = []
nitpicky = True

html_theme = "sphinx_book_theme"
html_title = "VAE notebooks"
html_static_path = ["_static"]
html_css_files = ["book.css"]          # long code lines wrap instead of running off the page
html_theme_options = {
    "repository_url": REPOSITORY,
    "repository_branch": BRANCH,
    "path_to_docs": "",
    "use_repository_button": True,
    "launch_buttons": {
        "binderhub_url": "https://mybinder.org",
        "colab_url": "https://colab.research.google.com",
        "notebook_interface": "jupyterlab",
    },
    "show_navbar_depth": 1,
}


def launch_the_student_version(app, pagename, templatename, context, doctree):
    """Student edition: the Binder and Colab buttons of a page with exercises open its student version
    (notebooks/assignments/), not the solved notebook. Runs after the theme has made the buttons."""
    name = pagename.removeprefix("notebooks/") + ".ipynb"
    if EDITION != "student" or not (ROOT / "notebooks" / "assignments" / name).is_file():
        return
    for group in context.get("header_buttons", []):
        for button in group.get("buttons", []) if group.get("label") == "launch-buttons" else []:
            if "url" in button:
                button["url"] = button["url"].replace(f"notebooks/{name}", f"notebooks/assignments/{name}")


def setup(app):
    app.connect("html-page-context", launch_the_student_version, priority=900)
