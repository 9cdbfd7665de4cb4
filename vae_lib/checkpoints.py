"""Saving and loading trained models, and ``load_or_train``, which lets notebooks share them.

A checkpoint is a dict of plain data: the model's class name, its config
(``ModelConfig`` or the class's own ``Config``) as a dict, its weights and its
training history. It is loaded with ``torch.load(weights_only=True)``, so a file
that carries pickled code is refused without running it. ``load_checkpoint``
rebuilds the class named in the file from ``models.MODELS``, the registry.
"""

import dataclasses
import hashlib
import inspect
import os
import pickle
import pickletools
import tempfile
import zipfile
from pathlib import Path

import torch

from . import models
from .devices import choose_device
from .models import ModelConfig


class CheckpointError(RuntimeError):
    """A checkpoint file is missing, truncated, or not one of ours."""


def load_or_train(model, path, train, **settings):
    """Load ``path`` into ``model`` if it was trained by ``train`` with these settings; else train it and save it.

    ``train(model, **settings)`` trains the model in place and returns its history (a
    dict); the settings are given once, here. A checkpoint is reused only when it holds
    the same class and configuration and was saved with the same settings: each tensor
    by its shape, the others by value (the progress bar, the description and the device
    are left out, as they do not change the weights), and a fingerprint of the training
    function's source code. So a changed training loop never silently picks up a stale
    model, and an unreadable file is trained over, never trusted. An interrupted training
    (Ctrl-C) is not saved. Works for any ``nn.Module`` (notebook 09's post model too).
    Used in notebooks 07 §2, 09 §2, 10 and 12; ``load_or_fit`` is this with ``fit``.
    """
    compared = {key: list(value.shape) if isinstance(value, torch.Tensor) else value
                for key, value in settings.items() if key not in ("progress", "desc", "device")}
    compared["code"] = _fingerprint(train)
    path = Path(path)
    history = _load_if_same(model, path, compared)
    if history is not None:
        model.to(choose_device(settings.get("device"))).eval()
        print(f"loaded {path.name}: trained earlier with the same settings")
        return history
    history = train(model, **settings)
    settings = compared
    if history.get("interrupted"):  # saved, it would later pass for a finished run with these settings
        print(f"not saving {path.name}: training was interrupted")
        return history
    history["settings"] = settings
    _write(_payload(model, history), path)  # a module of the notebook's own is saved with config None
    return history


def _fingerprint(function):
    """A short hash of a function's source code (a ``functools.partial``'s own function): a changed loop, another
    hash."""
    function = getattr(function, "func", function)
    try:
        source = inspect.getsource(function)
    except (OSError, TypeError):  # no source to read (built in C, or typed at a prompt that keeps none)
        source = getattr(function, "__qualname__", repr(function))
    return hashlib.sha256(source.encode()).hexdigest()[:16]


def _load_if_same(model, path, settings):
    """The saved history if ``path`` holds ``model``'s class and config trained with ``settings``; else None."""
    if not path.is_file():
        return None
    try:
        payload = _read(path)
    except CheckpointError as error:
        print(f"training again: {error}")
        return None
    saved = payload.get("history", {})
    if (payload["class"], payload["config"], saved.get("settings")) != (type(model).__name__, _config(model), settings):
        return None
    try:
        model.load_state_dict(payload["state_dict"])
    except Exception as error:  # the same class and settings, but other weights: not ours to trust
        print(f"training again: {path} does not fit the model ({type(error).__name__})")
        return None
    return saved


def save_checkpoint(model, path, history=None):
    """Write the model's class, configuration and weights (and history) atomically.

    Written to a temporary file in the same folder, then renamed, so a crash
    mid-write never leaves a truncated checkpoint under the real name.
    ``load_or_fit`` saves the same way (notebook 03 §2).
    """
    if _config(model) is None:
        raise TypeError(f"save_checkpoint saves models built from a ModelConfig (vae_lib's, or subclasses of them), "
                        f"got {type(model).__name__}; for another module use torch.save(module.state_dict(), path)")
    _write(_payload(model, history), path)


def _config(model):
    """The model's ModelConfig as plain data, or None for a module that is not vae_lib's."""
    return model.config.as_dict() if isinstance(getattr(model, "config", None), ModelConfig) else None


def _payload(model, history):
    """What a checkpoint holds: plain data that ``torch.load(weights_only=True)`` accepts."""
    return {"class": type(model).__name__, "config": _config(model), "state_dict": model.state_dict(),
            "history": history or {}, "vae_lib": _version()}


def _version():
    """This vae_lib's version, stored in each checkpoint (plain text) so a file says which release wrote it."""
    from . import __version__
    return __version__


def _write(payload, path):
    """torch.save to a temporary file beside ``path``, then rename it: never a half-written checkpoint."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
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
    checkpoint whose class or configuration differs (naming both). A module of a
    notebook's own, which ``load_or_train`` saves without a configuration, loads
    only this way, into one built as the notebook builds it. Uses
    ``torch.load(weights_only=True)``: only tensors and plain containers are
    unpickled, so a file carrying pickled code is refused without running it.
    The latent explorer notebook loads 05's model with it (taught with ``load_or_fit`` in notebook 03 §2).
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {path}; train a model and save_checkpoint() it first")
    payload = _read(path)
    if payload["config"] is None:      # a notebook's own module, saved by load_or_train: no config to rebuild it from
        return _load_module(path, payload, model, device)
    model_class = models.MODELS.get(payload["class"])
    if model_class is None and model is not None and type(model).__name__ == payload["class"]:
        model_class = type(model)               # the model given supplies its class, registered or not
    if model_class is None:
        raise CheckpointError(
            f"{path} holds a {payload['class']}, which is not a registered model class (registered: "
            f"{', '.join(sorted(models.MODELS))}). Define the class, decorate it with @vae_lib.models.register, "
            f"and load again.")
    try:
        config = model_class.Config(**_current_fields(model_class, payload["config"]))
    except Exception as error:
        raise _unreadable(path, f"{type(error).__name__}: {error}") from None
    if model is not None and (model_class, config) != (type(model), model.config):
        raise CheckpointError(
            f"{path} holds a {payload['class']}({_describe(config)}) but the model is a "
            f"{type(model).__name__}({_describe(model.config)}). Build the model with the checkpoint's "
            f"settings, or use load_checkpoint(path) without a model to rebuild it.")
    try:
        target = model if model is not None else model_class(config)
    except Exception as error:
        raise _unreadable(path, f"{type(error).__name__}: {error}") from None
    _load_weights(target, path, payload, "The file was changed after it was saved: delete it and train again.")
    return target.to(choose_device(device)).eval(), payload.get("history", {})


def _load_module(path, payload, model, device):
    """The weights of a module that is not vae_lib's, into ``model``, which must be of the saved class."""
    if model is None or type(model).__name__ != payload["class"]:
        given = "" if model is None else f"; the model given is a {type(model).__name__}"
        raise CheckpointError(
            f"{path} holds a {payload['class']}, which is not a registered model class: a module of a notebook's "
            f"own, saved by load_or_train. Build one as its notebook does and load the weights into it: "
            f"load_checkpoint(path, model=...){given}.")
    _load_weights(model, path, payload, "Build it with the settings it was trained with.")
    return model.to(choose_device(device)).eval(), payload.get("history", {})


def _load_weights(model, path, payload, advice):
    """The checkpoint's weights into ``model``, or one CheckpointError naming the first mismatch and what to do."""
    try:
        model.load_state_dict(payload["state_dict"])
    except Exception as error:
        lines = [line.strip() for line in str(error).strip().splitlines() if line.strip()]
        reason = " ".join(lines[:2])[:300]           # torch's heading and its first mismatch, not the whole list
        raise CheckpointError(f"{path} holds a {payload['class']} whose weights do not fit the one built for them "
                              f"({type(error).__name__}: {reason}). {advice}") from None


# Settings that every model's config held in version 0.1.0, at these values for models that did not use them.
_RETIRED_FIELDS = {"num_classes": 0, "flow_layers": 0, "pseudo_inputs": 0}


def _current_fields(model_class, config):
    """A saved config without the settings a class no longer holds: a 0.1.0 checkpoint stored every model's
    num_classes, flow_layers and pseudo_inputs, as 0 where unused; each class now holds only its own."""
    names = {field.name for field in dataclasses.fields(model_class.Config)}
    return {key: value for key, value in config.items()
            if key in names or _RETIRED_FIELDS.get(key, object()) != value}


def _read(path):
    """torch.load the file safely and check it is a dict with our keys; any failure is a CheckpointError."""
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:  # torch refused what the pickle would import: name it, read without running it
        imports = _pickled_imports(path)
        if not imports:  # no pickle we can read at all: garbage or truncated
            raise _unreadable(path, "not a torch.save file") from None
        raise CheckpointError(
            f"{path} was refused: it holds pickled Python objects besides tensors ({', '.join(imports)}), which "
            f"could run code when loaded. vae_lib never writes such files; delete it, or load it yourself "
            f"only if you trust where it came from.") from None
    except Exception as error:
        reason = str(error).split(". ")[0]  # torch's first sentence; the rest is generic advice
        raise _unreadable(path, f"{type(error).__name__}: {reason}", "It may be truncated: delete it") from None
    if not isinstance(payload, dict) or not {"class", "config", "state_dict"} <= payload.keys():
        raise CheckpointError(f"{path} is not a vae_lib checkpoint (no class, config and weights in it). "
                              f"Delete it and train again.")
    return payload


def _pickled_imports(path):
    """The callables (module.name) that the file's pickle would import to rebuild it, found by reading its opcodes
    with pickletools, never by running them; torch's own tensor and container types left out. Empty when the
    file holds no pickle that can be read."""
    try:
        data = Path(path).read_bytes()
        if zipfile.is_zipfile(path):  # torch.save's format: the pickle is the archive's data.pkl
            with zipfile.ZipFile(path) as archive:
                data = archive.read(next(name for name in archive.namelist() if name.endswith("data.pkl")))
        imports, strings = [], []
        for opcode, argument, _ in pickletools.genops(data):
            if isinstance(argument, str):
                strings.append(argument)
            if opcode.name == "GLOBAL":  # protocols 0-3: "module name" in one argument
                imports.append(argument.replace(" ", "."))
            elif opcode.name == "STACK_GLOBAL" and len(strings) >= 2:  # protocol 4+: the two strings before it
                imports.append(".".join(strings[-2:]))
    except Exception:
        return []
    return [name for name in imports if not name.startswith(("torch.", "collections.OrderedDict"))]


def _unreadable(path, reason, advice="Delete it"):
    return CheckpointError(f"{path} is not a readable vae_lib checkpoint ({reason}). {advice} and train again.")


def _describe(config):
    return ", ".join(f"{key}={value!r}" for key, value in config.as_dict().items())
