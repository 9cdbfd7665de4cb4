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
