import pytest
import torch

import vae_lib


@pytest.fixture(scope="session")
def mnist_train():
    """The real training split from the data directory (VAE_DATA_DIR). Missing data fails loudly."""
    return vae_lib.load_mnist(train=True)


@pytest.fixture
def generator():
    return torch.Generator().manual_seed(0)


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives Chromium against a JupyterLab or Voila server")
    config.addinivalue_line("markers", "slow: long checks left out of `make test`; run with -m slow")


def pytest_collection_modifyitems(config, items):
    """Run the browser tests last, after nbval has trained and saved notebook 05's models.

    Run first on a fresh clone, the JupyterLab test would train them itself inside
    the browser session, which is slower than the 3-minute budget of these tests.
    """
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)  # stable: keeps the rest in order
