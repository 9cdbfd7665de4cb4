"""Discrete latents: vector quantization (the VQ-VAE) and the Gumbel-softmax relaxation.

    quantize                 each row of z_e replaced by its nearest codebook vector, with the
                             straight-through gradient (van den Oord et al., 2017)
    VectorQuantizer          a codebook and the VQ-VAE's codebook and commitment losses
    codebook_usage           how many codes are used: perplexity and dead codes
    gumbel_softmax           the relaxed, reparameterized sample of a categorical (Jang et al., 2017;
                             Maddison et al., 2017)
    kl_categorical_uniform   KL(q || uniform over K categories), per example

The entry points check what they are given (a codebook of fewer than 2 codes, a temperature that is not
positive, codes of the wrong width); the math inside is bare.
"""

import math
from typing import NamedTuple

import torch
from torch import nn

from . import _arguments


def quantize(z_e, codebook):
    """(z_q, indices): each row z_e[..., :] (width D) replaced by its nearest row of ``codebook`` (K, D).

    The nearest code has no useful gradient (argmin is piecewise constant), so the forward value is z_q and the
    backward pass copies the decoder's gradient to z_e unchanged, the straight-through estimator:
    z_q = z_e + (e_k - z_e).detach(). Taught in notebook 12 §1 (Exercise 18).
    """
    distances = (z_e.pow(2).sum(-1, keepdim=True) - 2 * z_e @ codebook.T + codebook.pow(2).sum(-1))   # (..., K)
    indices = distances.argmin(-1)
    return z_e + (codebook[indices] - z_e).detach(), indices


class Quantized(NamedTuple):
    """What ``VectorQuantizer`` returns; the losses are per position, shaped like ``indices``."""
    z_q: torch.Tensor              # straight-through: the codes' values, z_e's gradient
    indices: torch.Tensor          # which code each position took
    codebook_loss: torch.Tensor    # ||sg[z_e] - e||^2: moves the codes towards the encoder's outputs
    commitment_loss: torch.Tensor  # ||z_e - sg[e]||^2: keeps the encoder near the codes it picks


class VectorQuantizer(nn.Module):
    """A codebook of ``num_codes`` vectors of width ``code_dim``, and nearest-code quantization.

    The loss of a VQ-VAE is -log p(x | z_q) + ||sg[z_e] - e||^2 + commitment * ||z_e - sg[e]||^2 (sg: stop
    gradient), summed over positions: the first term trains encoder and decoder (through the straight-through
    copy), the second only the codebook, the third only the encoder. Starts with codes uniform in
    [-1/K, 1/K], a common choice in PyTorch implementations. Taught in notebook 12 §1-2.
    """

    def __init__(self, num_codes, code_dim):
        super().__init__()
        _arguments.number("num_codes", num_codes, minimum=1, integer=True)
        if num_codes < 2:
            raise ValueError(f"a codebook needs num_codes >= 2, got {num_codes}: with one code every image gets "
                             f"the same code and the code says nothing; pass e.g. num_codes=64")
        _arguments.number("code_dim", code_dim, minimum=1, integer=True)
        self.num_codes, self.code_dim = num_codes, code_dim
        self.codebook = nn.Parameter(torch.empty(num_codes, code_dim).uniform_(-1 / num_codes, 1 / num_codes))

    def forward(self, z_e):
        """Quantize z_e (..., code_dim): a ``Quantized`` with the straight-through codes, indices and losses."""
        if not isinstance(z_e, torch.Tensor) or z_e.dim() == 0 or z_e.shape[-1] != self.code_dim:
            got = tuple(z_e.shape) if isinstance(z_e, torch.Tensor) else type(z_e).__name__
            raise ValueError(f"codes must have width {self.code_dim} (the codebook's code_dim) in their last "
                             f"dimension, got shape {got}; reshape the encoder's output to (..., {self.code_dim})")
        z_q, indices = quantize(z_e, self.codebook)
        chosen = self.codebook[indices]
        return Quantized(z_q, indices, (chosen - z_e.detach()).pow(2).sum(-1), (z_e - chosen.detach()).pow(2).sum(-1))

    @torch.no_grad()
    def restart_dead_codes(self, z_e, indices, generator=None):
        """Move every code that no position of ``indices`` chose onto a randomly drawn row of z_e (..., code_dim),
        so that it is next to data and can be picked again. Returns how many were moved. Notebook 12 §2."""
        rows = z_e.reshape(-1, self.code_dim)
        dead = torch.bincount(indices.flatten(), minlength=self.num_codes) == 0
        pick = torch.randint(len(rows), (int(dead.sum()),), generator=generator, device=rows.device)
        self.codebook[dead] = rows[pick]
        return int(dead.sum())


@torch.no_grad()
def codebook_usage(indices, num_codes):
    """(perplexity, dead codes) of the codes chosen in ``indices``: perplexity = exp(entropy of the code
    frequencies), between 1 (one code used) and num_codes (all used equally); dead = codes never chosen.
    Taught in notebook 12 §2."""
    counts = torch.bincount(indices.flatten(), minlength=num_codes).double()
    p = counts / counts.sum()
    entropy = -(torch.xlogy(p, p)).sum()
    return math.exp(entropy.item()), int((counts == 0).sum())


def gumbel_softmax(logits, temperature, generator=None):
    """A relaxed one-hot sample y = softmax((logits + g) / temperature), g_k ~ Gumbel(0, 1) independently.

    As temperature -> 0, y tends to the one-hot vector of argmax_k (logits_k + g_k), which is an exact sample of
    Categorical(softmax(logits)) (the Gumbel-max trick); at any temperature > 0, y is a differentiable function of
    the logits, so gradients pass by reparameterization, at the price of a bias. Taught in notebook 12 §3.
    """
    _arguments.number("temperature", temperature)
    if temperature <= 0:
        raise ValueError(f"temperature must be greater than 0, got {temperature!r}: the sample is "
                         f"softmax((logits + g) / temperature); pass e.g. temperature=0.5 (lower gives samples "
                         f"closer to one-hot, and noisier gradients)")
    u = torch.rand(logits.shape, generator=generator, device=logits.device, dtype=logits.dtype)
    gumbel = -torch.log(-torch.log(u.clamp(min=torch.finfo(u.dtype).tiny)))
    return torch.softmax((logits + gumbel) / temperature, dim=-1)


def kl_categorical_uniform(logits):
    """KL(Categorical(softmax(logits)) || uniform over K) = sum_k q_k (log q_k + log K), summed over every axis
    but the first (one value per example). Taught in notebook 12 §3-4."""
    log_q = torch.log_softmax(logits, dim=-1)
    kl = (log_q.exp() * (log_q + math.log(logits.shape[-1]))).sum(-1)
    return kl.reshape(len(kl), -1).sum(-1)
