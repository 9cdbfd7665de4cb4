"""Discrete latents (notebook 12): the straight-through quantizer, the codebook's losses and usage, and the
Gumbel-softmax sample, each checked against a direct computation (their bad settings are rows of test_bad_input)."""

import math

import pytest
import torch

from vae_lib.discrete import (VectorQuantizer, codebook_usage, gumbel_softmax, kl_categorical_uniform,
                              quantize)

pytestmark = pytest.mark.notebooks("12")  # make test-one NB=... runs these for them


def test_quantize_picks_the_nearest_code_and_passes_the_gradient_straight_through():
    torch.manual_seed(0)
    codebook = torch.randn(7, 3) * torch.arange(1, 8)[:, None]       # codes of different norms
    z_e = torch.randn(5, 4, 3, requires_grad=True)
    z_q, indices = quantize(z_e, codebook)
    nearest = torch.cdist(z_e.detach().reshape(-1, 3), codebook).argmin(-1).reshape(5, 4)
    assert torch.equal(indices, nearest)
    assert torch.allclose(z_q, codebook[indices])
    upstream = torch.randn_like(z_q)
    z_q.backward(upstream)
    assert torch.equal(z_e.grad, upstream)                           # the decoder's gradient, unchanged


def test_the_two_losses_train_the_codebook_and_the_encoder_separately():
    torch.manual_seed(0)
    vq = VectorQuantizer(5, 2)
    z_e = torch.randn(8, 2, requires_grad=True)
    out = vq(z_e)
    out.codebook_loss.sum().backward(retain_graph=True)
    assert z_e.grad is None and vq.codebook.grad.abs().sum() > 0
    vq.codebook.grad = None
    out.commitment_loss.sum().backward()
    assert vq.codebook.grad is None and z_e.grad.abs().sum() > 0
    assert torch.allclose(out.codebook_loss, (z_e - vq.codebook[out.indices]).pow(2).sum(-1))


def test_usage_counts_perplexity_and_dead_codes():
    assert codebook_usage(torch.tensor([0, 1, 2, 3]), 4) == pytest.approx((4.0, 0))
    perplexity, dead = codebook_usage(torch.tensor([[2, 2], [2, 2]]), 6)
    assert perplexity == pytest.approx(1.0) and dead == 5


def test_restarting_dead_codes_moves_them_onto_encoder_outputs():
    torch.manual_seed(0)
    vq = VectorQuantizer(10, 3)
    with torch.no_grad():
        vq.codebook[2:] += 100.0                                      # eight codes far from everything
    z_e = torch.randn(50, 3)
    indices = vq(z_e).indices
    moved = vq.restart_dead_codes(z_e, indices, torch.Generator().manual_seed(0))
    assert moved == 8
    assert (torch.cdist(vq.codebook[2:], z_e).min(1).values < 1e-6).all()


def test_gumbel_softmax_is_a_relaxed_sample_of_the_categorical():
    logits = torch.log(torch.tensor([0.1, 0.2, 0.3, 0.4]))
    generator = torch.Generator().manual_seed(0)
    y = gumbel_softmax(logits.expand(100_000, 4), 0.1, generator)
    assert torch.allclose(y.sum(-1), torch.ones(100_000))
    frequencies = torch.bincount(y.argmax(-1), minlength=4) / 100_000   # the Gumbel-max trick: exact categorical
    assert torch.allclose(frequencies, logits.exp(), atol=0.01)
    assert y.max(-1).values.mean() > 0.9                              # near one-hot at a low temperature
    # its density is torch.distributions' RelaxedOneHotCategorical: compare the means at temperature 1
    reference = torch.distributions.RelaxedOneHotCategorical(torch.tensor(1.0), logits=logits).rsample((100_000,))
    mine = gumbel_softmax(logits.expand(100_000, 4), 1.0, generator)
    assert torch.allclose(mine.mean(0), reference.mean(0), atol=0.01)


def test_kl_to_the_uniform_categorical_matches_torch_distributions():
    logits = torch.randn(3, 5, 8)
    q = torch.distributions.Categorical(logits=logits)
    uniform = torch.distributions.Categorical(logits=torch.zeros(8))
    expected = torch.distributions.kl_divergence(q, uniform).sum(-1)
    assert torch.allclose(kl_categorical_uniform(logits), expected, atol=1e-5)
    assert kl_categorical_uniform(torch.zeros(2, 4, 8)).abs().max() < 1e-6
    assert torch.allclose(kl_categorical_uniform(torch.tensor([[100.0, 0, 0, 0]])), torch.tensor([math.log(4)]))
