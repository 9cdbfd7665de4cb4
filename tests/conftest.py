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
