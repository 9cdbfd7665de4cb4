"""Sphinx configuration of the series as a book: the committed notebooks, rendered with their stored outputs.

`make book` (book/build.py) copies the notebooks and the README's tables into build/book/source, then runs
Sphinx on that folder. Nothing is executed. The repository URL behind the launch buttons is one setting:
VAE_BOOK_REPOSITORY (default below).
"""

import os

project = "Variational autoencoders, from the ELBO to latent sliders"
author = "the vae-lib authors"
copyright = "2026, the vae-lib authors"

REPOSITORY = os.environ.get("VAE_BOOK_REPOSITORY", "https://github.com/vae-notebooks/vae-notebooks")
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
html_static_path = []
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
