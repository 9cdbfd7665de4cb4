"""Argument checks for the public functions: a wrong input fails here, with its name and a remedy.

Without them a wrong shape surfaces as a matrix-multiply error deep inside
torch, and a NaN or an out-of-range pixel silently turns into a NaN loss many
steps later. Each check costs one reduction over the tensor. ``fit`` and the
evaluation loops check their data once up front and then run their inner
loops ``trusted()``, so the checks are not repeated for every batch.
"""

import math
import threading
from contextlib import contextmanager
from numbers import Integral, Real

import torch

_state = threading.local()


@contextmanager
def trusted():
    """Skip the tensor checks inside this block: its inputs were already checked."""
    previous = getattr(_state, "trusted", False)
    _state.trusted = True
    try:
        yield
    finally:
        _state.trusted = previous


def tensor(name, value, *, dims=None, last=None, unit_interval=False):
    """Check that ``value`` is a non-empty, finite floating-point tensor.

    dims: required number of dimensions (an int) or minimum (a tuple ``(n,)``);
    last: required size of the last dimension; unit_interval: values in [0, 1].
    """
    if getattr(_state, "trusted", False):
        return
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(value).__name__}; "
                        f"convert it with torch.as_tensor({name}, dtype=torch.float32)")
    if not value.is_floating_point():
        hint = " (raw MNIST bytes? use x.float() / 255)" if value.dtype == torch.uint8 else ""
        raise TypeError(f"{name} must be a floating-point tensor, got dtype {value.dtype}{hint}")
    shape = tuple(value.shape)
    if isinstance(dims, int) and value.dim() != dims or isinstance(dims, tuple) and value.dim() < dims[0]:
        wanted = f"{dims} dimensions" if isinstance(dims, int) else f"at least {dims[0]} dimensions"
        raise ValueError(f"{name} must have {wanted}, got shape {shape}")
    if last is not None and (value.dim() == 0 or shape[-1] != last):
        raise ValueError(f"{name} must have size {last} in its last dimension, got shape {shape}")
    if value.numel() == 0:
        raise ValueError(f"{name} is empty (shape {shape}); pass at least one example")
    if not torch.isfinite(value).all():
        bad = int((~torch.isfinite(value)).sum())
        raise ValueError(f"{name} contains {bad} NaN or infinite value(s) of {value.numel()}; "
                         f"check where it came from (the data, or a diverged model)")
    if unit_interval and (value.min() < 0 or value.max() > 1):
        raise ValueError(f"{name} must lie in [0, 1] (pixel intensities or binarized pixels), got values in "
                         f"[{value.min().item():.3g}, {value.max().item():.3g}]; divide bytes by 255")


def same_shape(name_a, a, name_b, b):
    """Check that two tensors have the same shape (a mu/logvar pair, logits and pixels, ...)."""
    if getattr(_state, "trusted", False):
        return
    if isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor) and a.shape != b.shape:
        raise ValueError(f"{name_a} has shape {tuple(a.shape)} but {name_b} has shape "
                         f"{tuple(b.shape)}; they must match")


def matches_model(name, x, model):
    """Check that ``x`` has the dtype and device of the model's weights (else torch fails deep inside)."""
    if getattr(_state, "trusted", False):
        return
    weight = next(model.parameters(), None)
    if weight is None:
        return
    if x.device != weight.device:
        raise ValueError(f"{name} is on {x.device} but the model is on {weight.device}; "
                         f"move one of them, e.g. {name}.to({str(weight.device)!r})")
    if x.dtype != weight.dtype:
        raise TypeError(f"{name} has dtype {x.dtype} but the model's weights are {weight.dtype}; "
                        f"convert with {name}.to({weight.dtype})")


def number(name, value, *, minimum=None, above=None, integer=False):
    """Check a scalar setting: a finite number (an int if ``integer``), >= minimum or > above."""
    kind = "an integer" if integer else "a number"
    if isinstance(value, bool) or not isinstance(value, Integral if integer else Real):
        raise TypeError(f"{name} must be {kind}, got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value!r}")
    if above is not None and value <= above:
        raise ValueError(f"{name} must be greater than {above}, got {value!r}")
