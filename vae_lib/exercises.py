"""For the exercises: self-checks that say what was expected, what came out, and a hint.

Students meet these in every graded notebook (``from vae_lib.exercises import
check_close``); the student versions in notebooks/assignments/ replace each
solution with ``raise vae_lib.exercises.unfinished()``.
"""

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
    if not torch.allclose(got, expected, atol=atol, rtol=rtol):
        worst = (got - expected).abs().argmax()
        raise AssertionError(
            f"{name}: expected {expected.flatten()[worst].item():.6g}, got "
            f"{got.flatten()[worst].item():.6g} (largest difference of {got.numel()} values). "
            f"Hint: {hint}")
    print(f"{name}: correct")


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
