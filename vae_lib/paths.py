"""Where the series keeps its files, worked out when asked (so a changed environment variable counts).

    data         $VAE_DATA_DIR        else <repo>/data         MNIST, in MNIST/raw/ (never committed)
    checkpoints  $VAE_CHECKPOINT_DIR  else <repo>/checkpoints  trained models (git-ignored)
    figures      $VAE_FIGURES_DIR     else <repo>/figures      the pictures notebooks save

Tests and benchmarks point the last two at temporary folders, so they never
overwrite the repository's models or figures.
"""

import os
from pathlib import Path


def repo_root():
    """The repository's top folder (the one holding vae_lib/ and notebooks/)."""
    return Path(__file__).resolve().parent.parent


def _from_env(variable, default):
    return Path(os.environ.get(variable) or repo_root() / default)


def data_dir():
    """``$VAE_DATA_DIR`` if set, else ``<repo>/data``: the folder that holds ``MNIST/raw/``."""
    return _from_env("VAE_DATA_DIR", "data")


def checkpoint_dir():
    """``$VAE_CHECKPOINT_DIR`` if set, else ``<repo>/checkpoints``."""
    return _from_env("VAE_CHECKPOINT_DIR", "checkpoints")


def figures_dir():
    """``$VAE_FIGURES_DIR`` if set, else ``<repo>/figures``."""
    return _from_env("VAE_FIGURES_DIR", "figures")


def checkpoint_path(name):
    """The file a notebook saves its model ``name`` to, e.g. ``checkpoint_path("vae_2d")``.

    Notebooks share trained models by these names (05 saves "vae_2d", 06 and the
    latent explorer load it); see ``load_or_fit``. First used in notebook 03 §2.
    """
    if not isinstance(name, str) or not name or "/" in name or "\\" in name:
        raise ValueError(f"a checkpoint name is a plain file name such as 'vae_2d', got {name!r}")
    return checkpoint_dir() / (name if name.endswith(".pt") else f"{name}.pt")
