"""Argument checks for the public entry points: a wrong input fails there, with its name and a remedy.

Private: the functions a user calls (the constructors, ``fit``, ``load_mnist``,
``log_likelihood``, ``evaluate_elbo``, ``load_checkpoint``, the widgets, ...)
check their arguments once, at the top, with these. The math they then run
(distributions.py, the models' ``encode``/``decode``/``elbo``) is bare, as in
pytorch/examples' VAE, so it costs nothing per batch and reads like the notebooks.

Without the checks a wrong shape surfaces as a matrix-multiply error deep inside
torch, and a NaN or an out-of-range pixel silently becomes a NaN loss many
steps later.
"""

import math
from numbers import Integral, Real

import torch


def tensor(name, value, *, dims=None, last=None, unit_interval=False):
    """Check that ``value`` is a non-empty, finite floating-point tensor.

    dims: required number of dimensions (an int) or minimum (a tuple ``(n,)``);
    last: required size of the last dimension; unit_interval: values in [0, 1].
    """
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


def images_for(model, name, x, *, on_model_device=True, unit_interval=False):
    """Check a batch of flat images for ``model``: (N, data_dim), finite, in [0, 1] for a Bernoulli decoder.

    ``on_model_device``: also require the model's device and dtype (the evaluation
    functions run x through the model as given; ``fit`` moves it itself).
    ``unit_interval``: require [0, 1] whatever the decoder (``fit`` binarizes x).
    """
    if isinstance(x, torch.Tensor) and (x.dim() != 2 or x.shape[1] != model.data_dim):
        raise ValueError(f"{name} must be a batch of flat images of shape (batch, {model.data_dim}), got shape "
                         f"{tuple(x.shape)}; flatten images with {name}.reshape(len({name}), -1)")
    tensor(name, x, unit_interval=unit_interval or model.config.likelihood == "bernoulli")
    if on_model_device:
        matches_model(name, x, model)


def labels_for(model, name, y, n):
    """Check class labels for ``model``: required (shape (n,), integers in [0, num_classes)) if it is
    conditional, refused if not. Returns y, or None for a model without labels."""
    if not getattr(model, "conditional", False):
        if y is not None:
            raise ValueError(f"{name} was given but a {type(model).__name__} takes no labels; "
                             f"use a ConditionalVAE to model p(x|y), or leave {name} out")
        return None
    if y is None:
        raise ValueError(f"a {type(model).__name__} models p(x|y): pass the class labels as {name} "
                         f"(a tensor of {n} integers in [0, {model.num_classes}))")
    if not isinstance(y, torch.Tensor) or y.dtype != torch.long or y.shape != (n,):
        got = f"dtype {y.dtype}, shape {tuple(y.shape)}" if isinstance(y, torch.Tensor) else type(y).__name__
        raise ValueError(f"{name} must be a tensor of {n} class labels (torch.long, shape ({n},)), got {got}; "
                         f"convert with torch.as_tensor({name}, dtype=torch.long)")
    if len(y) and (y.min() < 0 or y.max() >= model.num_classes):
        raise ValueError(f"{name} must hold classes in [0, {model.num_classes}), got values in "
                         f"[{y.min().item()}, {y.max().item()}]")
    return y


def matches_model(name, x, model):
    """Check that ``x`` has the dtype and device of the model's weights (else torch fails deep inside)."""
    weight = next(model.parameters(), None)
    if weight is None:
        return
    if x.device != weight.device:
        raise ValueError(f"{name} is on {x.device} but the model is on {weight.device}; "
                         f"move one of them, e.g. {name}.to({str(weight.device)!r})")
    if x.dtype != weight.dtype:
        raise TypeError(f"{name} has dtype {x.dtype} but the model's weights are {weight.dtype}; "
                        f"convert with {name}.to({weight.dtype})")


def number(name, value, *, minimum=None, above=None, integer=False, remedy=""):
    """Check a scalar setting: a finite number (an int if ``integer``), >= minimum or > above. ``remedy`` is
    added to the message of a value below its minimum (what to pass instead)."""
    kind = "an integer" if integer else "a number"
    if isinstance(value, bool) or not isinstance(value, Integral if integer else Real):
        raise TypeError(f"{name} must be {kind}, got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value!r}" + (f"; {remedy}" if remedy else ""))
    if above is not None and value <= above:
        raise ValueError(f"{name} must be greater than {above}, got {value!r}")
