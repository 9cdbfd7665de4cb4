"""The public names that the guide, the notebooks and the README use exist and say what they do."""

import inspect

import pytest

import vae_lib

PUBLIC = ["load_mnist", "binarize", "index_batches", "MissingDataError",
          "kl_normal_std", "kl_normal", "reparameterize", "bernoulli_log_likelihood", "gaussian_log_likelihood",
          "Autoencoder", "VAE", "ELBO", "log_likelihood", "evaluate_elbo", "active_units",
          "fit", "load_or_fit", "choose_device", "seed_everything", "save_checkpoint", "load_checkpoint",
          "TrainingDiverged", "CheckpointError",
          "image_grid", "gaussian_quantile_grid", "latent_manifold", "latent_scatter", "training_curves",
          "save_figure", "decode_mean", "latent_sliders"]


@pytest.mark.parametrize("name", PUBLIC)
def test_public_name_has_a_docstring(name):
    obj = getattr(vae_lib, name)
    assert inspect.getdoc(obj) and len(inspect.getdoc(obj)) > 20, f"vae_lib.{name} needs a docstring"


def test_models_document_their_methods():
    for method in ("encode", "decode", "forward", "elbo", "log_px_given_z"):
        assert inspect.getdoc(getattr(vae_lib.VAE, method)), f"VAE.{method} needs a docstring"
