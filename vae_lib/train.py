"""One training loop for both models, plus devices, seeds and checkpoints.

Training is sized in optimizer *steps*, not epochs: a notebook's running time
is then set by its code, and the training curve gets a point every
``record_every`` steps however large the data is. The data stays on the device
as one tensor; a batch is ``x[idx]``.
"""

import math
import os
import pickle
import random
import re
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm  # the text bar: it updates live in Jupyter and stores its final state

from . import models, validate
from .data import binarize as binarize_images
from .data import index_batches
from .evaluate import evaluate_elbo


# Where notebooks keep trained models: $VAE_CHECKPOINT_DIR, else checkpoints/ in the repo (git-ignored).
CHECKPOINT_DIR = Path(os.environ.get("VAE_CHECKPOINT_DIR") or Path(__file__).resolve().parent.parent / "checkpoints")


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite. ``history`` holds the records before it."""

    def __init__(self, message, history=None):
        super().__init__(message)
        self.history = history


class CheckpointError(RuntimeError):
    """A checkpoint file is missing, truncated, or not one of ours."""


def choose_device(device=None):
    """The given device, else the first available of cuda, mps, cpu."""
    if device is not None:
        return torch.device(device)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def seed_everything(seed):
    """Seed Python, NumPy and torch (all devices) so a run can be repeated."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds CUDA


def fit(model, x_train, *, steps=2000, batch_size=128, lr=1e-3, lr_drop_at=None, beta=1.0, binarize=True,
        x_valid=None, record_every=100, seed=0, device=None, progress=True, desc="training", max_seconds=None):
    """Train ``model`` by Adam on -mean(elbo) for ``steps`` optimizer steps; return the history.

    x_train, x_valid: (N, 784) intensities in [0, 1]. With ``binarize`` every
    training batch is freshly sampled as Bernoulli pixels; x_valid is binarized
    once, with a fixed seed, so its curve is comparable from point to point.
    With ``lr_drop_at`` the learning rate falls tenfold from that step on (step
    decay): large steps to get close, then small ones to settle.

    The history is recorded every ``record_every`` steps (and at the last step):
    ``step``, and the training ``loss`` (= -elbo with this beta),
    ``reconstruction`` (E_q log p(x|z)) and ``kl``, averaged over the images seen
    since the previous record; with x_valid, ``valid_loss``,
    ``valid_reconstruction`` and ``valid_kl`` on it at that moment.
    ``max_seconds`` stops early after that much wall-clock time (for equal-time
    comparisons); the history then ends at the step reached.

    A NaN or infinite loss stops training with ``TrainingDiverged``; the model
    keeps the weights it had at the last record with a finite loss, and the
    error carries the history so far (``error.history``). Interrupting (Ctrl-C,
    or the stop button in Jupyter) ends training cleanly too: the model keeps its
    current weights and ``fit`` returns the history so far, marked
    ``history["interrupted"] = True``.
    """
    _check_fit_arguments(model, x_train, x_valid, steps, batch_size, lr, lr_drop_at, beta, binarize,
                         record_every, max_seconds)
    device = choose_device(device)
    seed_everything(seed)
    model.to(device).train()
    x_train = x_train.to(device)
    generator = torch.Generator(device=device).manual_seed(seed)
    if x_valid is not None:
        x_valid = x_valid.to(device)
        if binarize:
            x_valid = binarize_images(x_valid, torch.Generator(device=device).manual_seed(seed + 1))
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    schedule = (torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[lr_drop_at], gamma=0.1)
                if lr_drop_at is not None else None)
    history = {"step": [], "loss": [], "reconstruction": [], "kl": []}
    if x_valid is not None:
        history.update(valid_loss=[], valid_reconstruction=[], valid_kl=[])
    batches = _endless_batches(len(x_train), batch_size, generator, device)
    out_of_time = _clock(max_seconds)
    guard = _DivergenceGuard(model, lr, x_train)
    sums, seen, step = torch.zeros(3, device=device), 0, 0  # sums stay on the device: no GPU sync per step
    bar = tqdm(total=steps, desc=desc, disable=not progress, mininterval=0.5)
    try:
        with validate.trusted():  # x_train was checked once above; don't re-check every batch
            while step < steps and not out_of_time():
                idx = next(batches)
                x = binarize_images(x_train[idx], generator) if binarize else x_train[idx]
                terms = model.elbo(x, beta=beta)
                loss = -terms.elbo.mean()
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                if schedule is not None:
                    schedule.step()
                # detach(): keep numbers, not graphs (the blog's `l += loss` chained every step's graph to the next).
                sums += torch.stack([-terms.elbo.sum(), terms.reconstruction.sum(), terms.kl.sum()]).detach()
                seen, step = seen + len(idx), step + 1
                bar.update()
                if step % record_every == 0 or step == steps or out_of_time():
                    means = (sums / seen).tolist()
                    guard.check(means, step, history)
                    _record(history, model, step, means, x_valid, beta, device)
                    bar.set_postfix(loss=f"{means[0]:.2f}", refresh=False)
                    sums, seen = torch.zeros(3, device=device), 0
    except KeyboardInterrupt:
        _record_interruption(history, model, step, steps, sums, seen, x_valid, beta, device)
    finally:
        bar.close()
        model.eval()
    return history


def _endless_batches(n, batch_size, generator, device):
    """Index batches forever: one shuffled pass over range(n) after another."""
    while True:
        yield from index_batches(n, batch_size, generator, device)


def _clock(max_seconds):
    """A function that says whether ``max_seconds`` of wall-clock time have passed (never, for None)."""
    deadline = time.perf_counter() + max_seconds if max_seconds else math.inf
    return lambda: time.perf_counter() > deadline


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


def _record(history, model, step, means, x_valid, beta, device):
    history["step"].append(step)
    for name, value in zip(("loss", "reconstruction", "kl"), means):
        history[name].append(value)
    if x_valid is not None:
        model.eval()
        # fork_rng: the evaluation's z samples must not shift the training's random
        # stream, so the trained model does not depend on whether x_valid was given.
        with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
            valid = evaluate_elbo(model, x_valid, beta=beta)
        model.train()
        history["valid_loss"].append(-valid["elbo"])
        history["valid_reconstruction"].append(valid["reconstruction"])
        history["valid_kl"].append(valid["kl"])


def _record_interruption(history, model, step, steps, sums, seen, x_valid, beta, device):
    """Ctrl-C: record the steps since the last record (if finite), mark the history, and say so."""
    history["interrupted"] = True
    if seen:
        means = (sums / seen).tolist()
        if all(math.isfinite(v) for v in means):
            _record(history, model, step, means, x_valid, beta, device)
    print(f"Training interrupted at step {step} of {steps}: the model keeps its current weights "
          f"and the history holds the {len(history['step'])} record(s) so far.")


def _check_fit_arguments(model, x_train, x_valid, steps, batch_size, lr, lr_drop_at, beta, binarize,
                         record_every, max_seconds):
    validate.number("steps", steps, minimum=1, integer=True)
    validate.number("record_every", record_every, minimum=1, integer=True)
    validate.number("batch_size", batch_size, minimum=1, integer=True)
    validate.number("lr", lr, above=0)
    if lr_drop_at is not None:
        validate.number("lr_drop_at", lr_drop_at, minimum=1, integer=True)
    validate.number("beta", beta, minimum=0)
    if max_seconds is not None:
        validate.number("max_seconds", max_seconds, above=0)
    for name, x in (("x_train", x_train), ("x_valid", x_valid)):
        if x is None:
            continue
        validate.tensor(name, x, dims=2, unit_interval=binarize)
        if x.shape[1] != model.data_dim:
            raise ValueError(f"{name} has {x.shape[1]} features per example but the model expects "
                             f"data_dim={model.data_dim}; flatten images with x.reshape(len(x), -1)")


def load_or_fit(model, path, x_train, **fit_kwargs):
    """Load ``path`` if it holds this model trained with these settings; else fit and save it.

    Notebooks share trained models this way (05 reuses 03's autoencoder, the
    explorer reuses 05's VAE). A checkpoint is reused only when its model
    configuration and its training settings (steps, lr, seed, ... but not
    x_valid or the progress bar) equal the requested ones, so a changed
    notebook never silently picks up a stale model. Returns the history.
    """
    settings = {k: v for k, v in fit_kwargs.items() if k not in ("x_valid", "progress", "desc", "device")}
    settings["n_train"] = len(x_train)
    path = Path(path)
    if path.is_file():
        try:
            loaded, history = load_checkpoint(path, device="cpu")
        except CheckpointError:
            loaded, history = None, {}
        if loaded is not None and loaded.config == model.config and history.get("settings") == settings:
            model.load_state_dict(loaded.state_dict())
            model.to(choose_device(fit_kwargs.get("device"))).eval()
            print(f"loaded {path.name}: trained earlier with the same settings")
            return history
    history = fit(model, x_train, **fit_kwargs)
    if history.get("interrupted"):  # saved, it would later pass for a finished run with these settings
        print(f"not saving {path.name}: training was interrupted")
        return history
    history["settings"] = settings
    save_checkpoint(model, path, history)
    return history


def save_checkpoint(model, path, history=None):
    """Write the model's class, configuration and weights (and history) atomically.

    Written to a temporary file in the same folder, then renamed, so a crash
    mid-write never leaves a truncated checkpoint under the real name.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"class": type(model).__name__, "config": model.config,
               "state_dict": model.state_dict(), "history": history or {}}
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(payload, f)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def load_checkpoint(path, device=None, model=None):
    """Rebuild a model saved by ``save_checkpoint``: returns (model, history).

    With ``model`` given, load the weights into it instead, and refuse a
    checkpoint whose class or configuration differs (naming both). Uses
    ``torch.load(weights_only=True)``: only tensors and plain containers are
    unpickled, so a file carrying pickled code is refused without running it.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {path}; train a model and save_checkpoint() it first")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        found = re.search(r"GLOBAL (\S+)", str(error))  # the callable the file wanted to import and call
        if found is None:  # not our kind of pickle at all: garbage or truncated
            raise _unreadable(path, "not a torch.save file") from None
        raise CheckpointError(
            f"{path} was refused: it holds pickled Python objects besides tensors ({found.group(1)}), which "
            f"could run code when loaded. vae_lib never writes such files; delete it, or load it yourself "
            f"only if you trust where it came from.") from None
    except Exception as error:
        reason = str(error).split(". ")[0]  # torch's first sentence; the rest is generic advice
        raise _unreadable(path, f"{type(error).__name__}: {reason}", "It may be truncated: delete it") from None
    if not isinstance(payload, dict) or not {"class", "config", "state_dict"} <= payload.keys():
        raise CheckpointError(f"{path} is not a vae_lib checkpoint (no class, config and weights in it). "
                              f"Delete it and train again.")
    if model is not None and (payload["class"], payload["config"]) != (type(model).__name__, model.config):
        raise CheckpointError(
            f"{path} holds a {payload['class']}({_describe(payload['config'])}) but the model is a "
            f"{type(model).__name__}({_describe(model.config)}). Build the model with the checkpoint's "
            f"settings, or use load_checkpoint(path) without a model to rebuild it.")
    try:
        target = model if model is not None else getattr(models, payload["class"])(**payload["config"])
        target.load_state_dict(payload["state_dict"])
    except Exception as error:
        raise _unreadable(path, f"{type(error).__name__}: {error}") from None
    return target.to(choose_device(device)).eval(), payload.get("history", {})


def _unreadable(path, reason, advice="Delete it"):
    return CheckpointError(f"{path} is not a readable vae_lib checkpoint ({reason}). {advice} and train again.")


def _describe(config):
    return ", ".join(f"{key}={value!r}" for key, value in config.items())
