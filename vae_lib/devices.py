"""Where the computation runs: the first available of CUDA, Apple's mps, and the CPU."""

import torch


def choose_device(device=None):
    """The given device, else the first available of cuda, mps, cpu. Taught in notebook 00."""
    if device is not None:
        return torch.device(device)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")
