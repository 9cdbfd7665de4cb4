"""vae_lib: the small library that the VAE notebooks build, one job per module.

    paths          where data, checkpoints and figures live (environment variables, read when asked)
    data           load_mnist (train, valid and test splits), load_digits (8x8, the same splits), binarize, index_batches, endless_batches
    distributions  reparameterize, kl_normal_std, kl_normal,
                   bernoulli_log_likelihood, gaussian_log_likelihood, log_gaussian_mixture, sample_gaussian_mixture,
                   kl_penalty (bare math)
    devices        choose_device
    models         ModelConfig (and each model's own Config), Autoencoder, VAE, ConvVAE, ConditionalVAE,
                   FlowVAE, MixturePriorVAE, VampPriorVAE, ELBO; models.MODELS and models.register, the registry of models
                   that checkpoints rebuild from
    checkpoints    save_checkpoint, load_checkpoint, load_or_train
    train          fit (the training loop), load_or_fit, seed_everything, epoch_seconds
    hierarchical   HierarchicalVAE (and HierarchicalConfig): latent levels, top-down inference
    diffusion      diffuse, DiffusionPrior: continuous-time diffusion, a prior over a VAE's codes
    discrete       quantize, VectorQuantizer, codebook_usage, gumbel_softmax, kl_categorical_uniform
    evaluate       log_likelihood (importance-weighted), evaluate_elbo, active_units,
                   fraction_far_from_codes
    plots          image_grid, gaussian_quantile_grid, latent_manifold, latent_scatter,
                   training_curves, save_figure
    widgets        latent_sliders, digit_style_explorer (ipywidgets)
    exercises      check_close and unfinished, for the graded exercises
    _arguments     (private) the argument checks that the public entry points run first

Each public function's docstring names the notebook section that teaches it.
"""

import importlib.metadata

from . import (checkpoints, data, devices, diffusion, discrete, distributions, evaluate, exercises, hierarchical, models,
               paths, plots, train, widgets)
from .checkpoints import CheckpointError, load_checkpoint, load_or_train, save_checkpoint
from .devices import choose_device
from .data import MissingDataError, binarize, endless_batches, index_batches, load_digits, load_mnist
from .diffusion import DiffusionPrior, diffuse
from .discrete import VectorQuantizer, codebook_usage, gumbel_softmax, kl_categorical_uniform, quantize
from .distributions import (bernoulli_log_likelihood, gaussian_log_likelihood, kl_normal,
                            kl_normal_std, kl_penalty, log_gaussian_mixture, reparameterize, sample_gaussian_mixture)
from .hierarchical import HierarchicalConfig, HierarchicalVAE
from .evaluate import active_units, evaluate_elbo, fraction_far_from_codes, log_likelihood
from .models import (ELBO, VAE, Autoencoder, ConditionalConfig, ConditionalVAE, ConvConfig, ConvVAE, FlowConfig,
                     FlowVAE, MixturePriorConfig, MixturePriorVAE, ModelConfig, VampPriorConfig, VampPriorVAE)
from .paths import checkpoint_path
from .plots import (gaussian_quantile_grid, image_grid, latent_manifold, latent_scatter, save_figure,
                    training_curves)
from .train import TrainingDiverged, epoch_seconds, fit, load_or_fit, seed_everything
from .widgets import digit_style_explorer, latent_sliders

__all__ = ["load_mnist", "load_digits", "binarize", "index_batches", "endless_batches", "MissingDataError",
           "kl_normal_std", "kl_normal", "kl_penalty", "reparameterize", "bernoulli_log_likelihood",
           "gaussian_log_likelihood", "log_gaussian_mixture", "sample_gaussian_mixture",
           "ModelConfig", "ConvConfig", "ConditionalConfig", "FlowConfig", "MixturePriorConfig", "VampPriorConfig",
           "Autoencoder", "VAE", "ConvVAE", "ConditionalVAE", "FlowVAE", "MixturePriorVAE", "VampPriorVAE", "ELBO",
           "HierarchicalConfig", "HierarchicalVAE", "diffuse", "DiffusionPrior",
           "quantize", "VectorQuantizer", "codebook_usage", "gumbel_softmax", "kl_categorical_uniform",
           "log_likelihood", "evaluate_elbo", "active_units", "fraction_far_from_codes",
           "fit", "epoch_seconds", "choose_device", "seed_everything", "TrainingDiverged",
           "load_or_fit", "load_or_train", "save_checkpoint", "load_checkpoint", "CheckpointError", "checkpoint_path",
           "image_grid", "gaussian_quantile_grid", "latent_manifold", "latent_scatter", "training_curves",
           "save_figure", "latent_sliders", "digit_style_explorer",
           "checkpoints", "data", "devices", "diffusion", "discrete", "distributions", "evaluate", "exercises",
           "hierarchical", "models", "paths", "plots", "train",
           "widgets"]

try:  # one version, pyproject.toml's, read from the installed package's metadata
    __version__ = importlib.metadata.version("vae-lib")
except importlib.metadata.PackageNotFoundError:  # imported from a checkout that was never installed
    __version__ = "unknown"
