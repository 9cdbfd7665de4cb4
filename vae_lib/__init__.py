"""vae_lib: the small library that the VAE notebooks build, one idea per module.

    data           load_mnist (train, valid and test splits), binarize, index_batches
    distributions  reparameterize, kl_normal_std, kl_normal,
                   bernoulli_log_likelihood, gaussian_log_likelihood
    models         Autoencoder, VAE, ELBO
    evaluate       log_likelihood (importance-weighted), evaluate_elbo, active_units,
                   fraction_far_from_codes
    train          fit, load_or_fit, choose_device, seed_everything, save_checkpoint, load_checkpoint
    validate       the argument checks behind the public functions' error messages
    plots          image_grid, gaussian_quantile_grid, latent_manifold, latent_scatter,
                   training_curves, save_figure
    widgets        latent_sliders (imported on demand: it needs ipywidgets)
    checks         check_close, the exercises' self-checks
"""

from . import checks, data, distributions, evaluate, models, plots, train, validate
from .data import MissingDataError, binarize, index_batches, load_mnist
from .distributions import (bernoulli_log_likelihood, gaussian_log_likelihood, kl_normal,
                            kl_normal_std, reparameterize)
from .evaluate import active_units, evaluate_elbo, fraction_far_from_codes, log_likelihood
from .models import ELBO, VAE, Autoencoder
from .plots import (decode_mean, gaussian_quantile_grid, image_grid, latent_manifold,
                    latent_scatter, save_figure, training_curves)
from .train import (CheckpointError, TrainingDiverged, choose_device, fit, load_checkpoint, load_or_fit,
                    save_checkpoint, seed_everything)


def latent_sliders(model, z=None, labels=None, limit=3.0, step=0.05):
    """ipywidgets sliders over the latent space; see ``vae_lib.widgets.latent_sliders``."""
    from .widgets import latent_sliders as make_sliders
    return make_sliders(model, z, labels, limit, step)


__version__ = "0.1.0"
