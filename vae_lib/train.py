"""One training loop for every model (``fit``), ``load_or_fit`` which trains once and reloads after, seeds, and
``epoch_seconds``, which times training epochs side by side.

Training is sized in optimizer *steps*, not epochs: a notebook's running time
is then set by its code, and the training curve gets a point every
``record_every`` steps however large the data is. The data stays on the device
as one tensor; a batch is ``x[idx]``.

``fit``'s loop is the one notebook 05 §1 (exercise 9) has students write; what it adds (a
validation curve, stopping on a NaN loss, Ctrl-C, a time limit) sits in small
helpers below it, so the loop reads top to bottom.
"""

import contextlib
import math
import random
import time

import numpy as np
import torch
from tqdm import tqdm  # the text bar: it updates live in Jupyter and stores its final state

from . import _arguments
from .checkpoints import load_or_train
from .data import endless_batches
from .devices import choose_device
from .evaluate import mean_elbo_terms


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite. ``history`` holds the records before it."""

    def __init__(self, message, history=None):
        super().__init__(message)
        self.history = history


def seed_everything(seed):
    """Seed Python, NumPy and torch (all devices) so a run can be repeated. Used from notebook 03 §2 on."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds CUDA


def fit(model, x_train, *, steps=2000, batch_size=128, lr=1e-3, lr_drop_at=None, beta=1.0,
        dynamic_binarization=True, x_valid=None, record_every=100, seed=0, device=None, progress=True,
        desc="training", max_seconds=None, y_train=None, y_valid=None):
    """Train ``model`` by Adam on -mean(elbo) for ``steps`` optimizer steps; return the history.

    x_train, x_valid: (N, 784) intensities in [0, 1]. With ``dynamic_binarization``
    every training batch is freshly sampled as Bernoulli pixels (``data.binarize``);
    x_valid is binarized once, with a fixed seed, so its curve is comparable from
    point to point. With ``lr_drop_at`` the learning rate falls tenfold from that
    step on (step decay): large steps to get close, then small ones to settle.

    The history is recorded every ``record_every`` steps (and at the last step):
    ``step``, and the training ``loss`` (= -elbo with this beta),
    ``reconstruction`` (E_q log p(x|z)) and ``kl``, averaged over the images seen
    since the previous record; with x_valid, ``valid_loss``,
    ``valid_reconstruction`` and ``valid_kl`` on it at that moment.
    ``seconds`` is the wall-clock training time so far, not counting the validation
    passes; ``max_seconds`` stops training once it passes that limit (for equal-time
    comparisons), and the history then ends at the step reached.
    For a model that takes labels (a ConditionalVAE) pass the class labels ``y_train``
    (and ``y_valid``): each batch is then ``model.elbo(x, y)``, as every model's is
    ``model.elbo(x, None)`` without them.

    A NaN or infinite loss stops training with ``TrainingDiverged``; the model
    keeps the weights it had at the last record with a finite loss, and the
    error carries the history so far (``error.history``). Interrupting (Ctrl-C,
    or the stop button in Jupyter) ends training cleanly too: the model keeps its
    current weights and ``fit`` returns the history so far, marked
    ``history["interrupted"] = True``.

    Used from notebook 03 §2 on; taught in notebook 05 §1, whose exercise 9 writes this loop without its extras.
    """
    y_train, y_valid = _check_fit_arguments(**locals())
    device = choose_device(device)
    seed_everything(seed)  # model.elbo draws z's noise from torch's global generator: seeding it repeats a run
    model.to(device).train()
    x_train, y_train, y_valid = [None if t is None else t.to(device) for t in (x_train, y_train, y_valid)]
    generator = torch.Generator(device=device).manual_seed(seed)
    x_valid = _fixed_validation_set(x_valid, dynamic_binarization, device, seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.MultiStepLR(optimizer, [lr_drop_at] if lr_drop_at else [], gamma=0.1)
    history = _empty_history(x_valid)
    batches = endless_batches(len(x_train), batch_size, generator, device)
    guard, clock = _DivergenceGuard(model, lr, x_train), _Stopwatch()
    sums, seen, step, done = torch.zeros(3, device=device), 0, 0, False  # sums stay on the device: no sync per step
    bar = tqdm(total=steps, desc=desc, disable=not progress, mininterval=0.5)
    try:
        while not done:
            idx = next(batches)
            x = x_train[idx]
            if dynamic_binarization:
                x = torch.bernoulli(x, generator=generator)  # a fresh binary image every time it is seen
            terms = model.elbo(x, _rows(y_train, idx), beta=beta)
            loss = -terms.elbo.mean()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            # detach(): keep numbers, not graphs (the blog's `l += loss` chained every step's graph to the next).
            sums += torch.stack([-terms.elbo.sum(), terms.reconstruction.sum(), terms.kl.sum()]).detach()
            seen, step = seen + len(x), step + 1
            done = step == steps or (max_seconds is not None and clock.seconds() > max_seconds)
            bar.update()
            if step % record_every == 0 or done:
                means = (sums / seen).tolist()
                guard.check(means, step, history)  # raises TrainingDiverged on a NaN or infinite loss
                with clock.paused():  # the validation pass is not training time
                    _record(history, model, step, clock.seconds(), means, x_valid, beta, y_valid)
                bar.set_postfix(loss=f"{means[0]:.2f}", refresh=False)
                sums, seen = torch.zeros(3, device=device), 0
    except KeyboardInterrupt:
        _record_interruption(history, model, step, steps, sums, seen, x_valid, beta, y_valid, clock)
    finally:
        bar.close()
        model.eval()
    return history


def load_or_fit(model, path, x_train, **fit_kwargs):
    """Load ``path`` if it holds this model trained by ``fit`` with these settings; else fit and save it.

    Notebooks share trained models this way (06 reuses 05's 2-D VAE, the
    explorer too), naming them with ``checkpoint_path("vae_2d")``. This is
    ``load_or_train(model, path, fit, x_train=x_train, **fit_kwargs)``: the settings
    compared are fit's, with each tensor by its shape. Returns the history.
    Taught in notebook 03 §2.
    """
    return load_or_train(model, path, fit, x_train=x_train, **fit_kwargs)


# --- fit's helpers, in the order fit uses them ---------------------------------------------------------------

def epoch_seconds(epochs, rounds=7, repeats=2):
    """Seconds per call of each function in ``epochs`` (a dict: name -> a function that runs one training epoch).

    The functions take turns: each round runs each of them ``repeats`` times in a row, one after the other, and
    the result is each one's median over the rounds of its mean call time. A slowdown that lasts a round slows
    all of them alike, and the median discards a round spoiled by a short one, so these times are less exposed to
    a busy machine than the clocks of runs trained at different moments. Used for the comparisons at equal time in
    notebook 10 §3 and 13 §2."""
    times = {name: [] for name in epochs}
    for _ in range(rounds):
        for name, run_epoch in epochs.items():
            _wait_for_accelerators()
            start = time.perf_counter()
            for _ in range(repeats):
                run_epoch()
            _wait_for_accelerators()
            times[name].append((time.perf_counter() - start) / repeats)
    return {name: sorted(t)[len(t) // 2] for name, t in times.items()}


def _wait_for_accelerators():
    "A GPU runs ahead of Python: wait until it has finished the work queued so far."
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    if torch.backends.mps.is_available():
        torch.mps.synchronize()


def _check_fit_arguments(model, x_train, x_valid, y_train, y_valid, steps, batch_size, lr, lr_drop_at, beta,
                         dynamic_binarization, record_every, max_seconds, **_):
    """fit's arguments, checked at the door (called with fit's locals, by name). Returns the checked labels."""
    _arguments.number("steps", steps, minimum=1, integer=True)
    _arguments.number("record_every", record_every, minimum=1, integer=True)
    _arguments.number("batch_size", batch_size, minimum=1, integer=True)
    _arguments.number("lr", lr, above=0)
    if lr_drop_at is not None:
        _arguments.number("lr_drop_at", lr_drop_at, minimum=1, integer=True)
    _arguments.number("beta", beta, minimum=0)
    if max_seconds is not None:
        _arguments.number("max_seconds", max_seconds, above=0)
    for name, x in (("x_train", x_train), ("x_valid", x_valid)):
        if x is not None:  # fit moves x to the device itself; binarizing needs probabilities in [0, 1]
            _arguments.images_for(model, name, x, on_model_device=False, unit_interval=dynamic_binarization)
    if x_valid is None and y_valid is not None:
        raise ValueError("y_valid was given without x_valid; pass both, or neither")
    y_train = _arguments.labels_for(model, "y_train", y_train, len(x_train))
    return y_train, _arguments.labels_for(model, "y_valid", y_valid, len(x_valid)) if x_valid is not None else None


def _rows(y, idx):
    """The labels of these rows, or None for data without labels."""
    return None if y is None else y[idx]


def _fixed_validation_set(x_valid, dynamic_binarization, device, seed):
    """x_valid on the device, binarized once with its own seed (so its curve compares point to point)."""
    if x_valid is None:
        return None
    x_valid = x_valid.to(device)
    if dynamic_binarization:
        x_valid = torch.bernoulli(x_valid, generator=torch.Generator(device=device).manual_seed(seed + 1))
    return x_valid


def _empty_history(x_valid):
    names = ["step", "seconds", "loss", "reconstruction", "kl"]
    if x_valid is not None:
        names += ["valid_loss", "valid_reconstruction", "valid_kl"]
    return {name: [] for name in names}


class _Stopwatch:
    """Wall-clock seconds since it was made, leaving out the time spent inside ``paused()``."""

    def __init__(self):
        self.start, self.excluded = time.perf_counter(), 0.0

    def seconds(self):
        return time.perf_counter() - self.start - self.excluded

    @contextlib.contextmanager
    def paused(self):
        began = time.perf_counter()
        try:
            yield
        finally:
            self.excluded += time.perf_counter() - began


class _DivergenceGuard:
    """Keeps the weights of the last record with a finite loss, and restores them if the loss blows up."""

    def __init__(self, model, lr, x_train):
        self.model, self.lr, self.x_train = model, lr, x_train
        self.weights, self.step = (_copy_weights(model), 0) if _all_finite(model) else (None, None)

    def check(self, means, step, history):
        if all(math.isfinite(v) for v in means):
            if _all_finite(self.model):
                self.weights, self.step = _copy_weights(self.model), step
            return
        if self.weights is None:
            raise TrainingDiverged("the model's weights held NaN or inf before training began; "
                                   "build a new model (and check what changed its weights)", history)
        self.model.load_state_dict(self.weights)
        x = self.x_train
        raise TrainingDiverged(
            f"the loss became {means[0]} by step {step}. The model keeps the weights it had after step "
            f"{self.step}. Lower the learning rate (now {self.lr}), and check the data (x_train holds values "
            f"in [{x.min().item():.3g}, {x.max().item():.3g}]; a Bernoulli decoder needs [0, 1]).", history)


def _all_finite(model):
    return all(bool(torch.isfinite(p).all()) for p in model.parameters())


def _copy_weights(model):
    return {name: tensor.detach().clone() for name, tensor in model.state_dict().items()}


def _record(history, model, step, seconds, means, x_valid, beta, y_valid=None):
    history["step"].append(step)
    history["seconds"].append(seconds)
    for name, value in zip(("loss", "reconstruction", "kl"), means):
        history[name].append(value)
    if x_valid is not None:
        model.eval()
        # fork_rng: the evaluation's z samples must not shift the training's random
        # stream, so the trained model does not depend on whether x_valid was given.
        with torch.random.fork_rng(devices=[x_valid.device] if x_valid.device.type == "cuda" else []):
            valid = mean_elbo_terms(model, x_valid, beta, y=y_valid)  # checked on the way in
        model.train()
        history["valid_loss"].append(-valid["elbo"])
        history["valid_reconstruction"].append(valid["reconstruction"])
        history["valid_kl"].append(valid["kl"])


def _record_interruption(history, model, step, steps, sums, seen, x_valid, beta, y_valid, clock):
    """Ctrl-C: record the steps since the last record (if finite), mark the history, and say so."""
    history["interrupted"] = True
    if seen:
        means = (sums / seen).tolist()
        if all(math.isfinite(v) for v in means):
            _record(history, model, step, clock.seconds(), means, x_valid, beta, y_valid)
    print(f"Training interrupted at step {step} of {steps}: the model keeps its current weights "
          f"and the history holds the {len(history['step'])} record(s) so far.")
