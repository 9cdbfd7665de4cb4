"""For the exercises: self-checks that say what was expected, what came out, and a hint.

Students meet these in every graded notebook (``from vae_lib.exercises import
check_close``); the student versions in notebooks/assignments/ replace each
solution with ``raise vae_lib.exercises.unfinished()``.
"""

import json
import os

import torch


def check_close(got, expected, name, hint, atol=1e-8, rtol=0.0):
    """Assert |got - expected| <= atol + rtol * |expected| elementwise, or explain the difference.

    rtol is 0 unless given, so the atol a notebook states is the tolerance it uses.

    A shape mismatch, a missing return (None) or a NaN each get their own message,
    since each points at a different mistake.
    """
    if got is None:
        raise AssertionError(f"{name}: your code returned None. Did you forget `return`?")
    got = torch.as_tensor(got, dtype=torch.float64)
    expected = torch.as_tensor(expected, dtype=torch.float64)
    if got.shape != expected.shape:
        raise AssertionError(f"{name}: expected shape {tuple(expected.shape)}, got "
                             f"{tuple(got.shape)}. Hint: {hint}")
    if not torch.isfinite(got).all():
        raise AssertionError(f"{name}: your result contains NaN or inf: {got}. Hint: {hint}")
    _log_margin(name, got, expected, atol, rtol)
    if not torch.allclose(got, expected, atol=atol, rtol=rtol):
        worst = (got - expected).abs().argmax()
        raise AssertionError(
            f"{name}: expected {expected.flatten()[worst].item():.6g}, got "
            f"{got.flatten()[worst].item():.6g} (largest difference of {got.numel()} values). "
            f"Hint: {hint}")
    print(f"{name}: correct")


def _log_margin(name, got, expected, atol, rtol):
    """With $VAE_CHECK_LOG set (the graders' tests set it), append how close the check came to failing: the
    largest |got - expected| / (atol + rtol |expected|), below 1 when it passes. tests/README.md tabulates it."""
    log = os.environ.get("VAE_CHECK_LOG")
    if log:
        difference = (got - expected).abs()
        ratio = torch.where(difference == 0, 0.0, difference / (atol + rtol * expected.abs())).max().item()
        with open(log, "a") as f:
            f.write(json.dumps({"where": os.getcwd(), "name": name, "ratio": ratio}) + "\n")


def unfinished():
    """The error an exercise raises until the student writes it: a NotImplementedError naming it.

    The student notebooks (notebooks/assignments/) replace each solution with
    ``raise vae_lib.exercises.unfinished()``; the function it sits in is the exercise.
    """
    import inspect
    caller = inspect.currentframe().f_back
    name = caller.f_code.co_name if caller is not None else "this exercise"
    if caller is not None and "self" in caller.f_locals:  # a method: name its class too, e.g. MyVAE.encode
        name = f"{type(caller.f_locals['self']).__name__}.{name}"
    return NotImplementedError(
        f"Exercise `{name}` is not done yet: replace the `raise` line in its cell with your code, "
        f"run that cell again, then run the self-check below it.")
