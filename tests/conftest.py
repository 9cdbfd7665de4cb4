import pytest
import torch

import vae_lib


@pytest.fixture(scope="session")
def mnist_train():
    """The real training split (MNIST's first 50,000 training images) from VAE_DATA_DIR. Missing data fails loudly."""
    return vae_lib.load_mnist(split="train")


@pytest.fixture
def generator():
    return torch.Generator().manual_seed(0)


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives Chromium against a JupyterLab or Voila server")
    config.addinivalue_line("markers", "slow: long checks left out of `make test`; run with -m slow")


def pytest_collection_modifyitems(config, items):
    """Run the browser tests last, after nbval has trained and saved notebook 05's model.

    They pass in any order (run alone on a fresh clone, the JupyterLab test lets the
    notebook train its model in the browser's kernel and allows the time for it),
    but last they only load it, which is faster.
    """
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)  # stable: keeps the rest in order
