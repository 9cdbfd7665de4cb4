"""Diffusion read as a hierarchical VAE whose encoder is fixed, in continuous time (Kingma et al., 2021).

The "encoder" adds Gaussian noise to the data x: at time t in [0, 1], with log signal-to-noise ratio lambda(t),

    q(z_t | x) = N(alpha_t x, sigma_t^2 I),   alpha_t^2 = sigmoid(lambda(t)),   sigma_t^2 = sigmoid(-lambda(t)),

so alpha_t^2 + sigma_t^2 = 1 (variance preserving) and alpha_t^2 / sigma_t^2 = exp(lambda(t)). The schedule here is
linear in log-SNR, lambda(t) = lambda_max - (lambda_max - lambda_min) t. The "decoder" is learned: a network
eps_hat(z_t, t) guesses the noise, and the reverse steps p(z_s | z_t) use it. For data x in R^d, the ELBO as the
number of steps goes to infinity is

    -log p(x) <= KL(q(z_1 | x) || N(0, I))                          the prior term (tiny: sigma_1 ~ 1)
               + d/2 (log 2 pi + 1 - lambda_max)                     the reconstruction term, for the decoder
                                                                     p(x | z_0) = N(z_0 / alpha_0, exp(-lambda_max) I)
               + (lambda_max - lambda_min) / 2 * E_{t ~ U(0,1), eps} ||eps - eps_hat(z_t, t)||^2.

The last term is the plain noise-prediction loss: with a linear log-SNR schedule its weight, -lambda'(t) / 2, is
the same constant at every t, so training on the uniform-in-t squared error *is* training on the ELBO; with any
schedule the continuous-time ELBO depends on lambda only through lambda_min and lambda_max (Kingma et al., 2021).
``DiffusionPrior`` is such a model over a VAE's codes, its data x being the codes z (a prior in latent space:
Vahdat et al., 2021; Rombach et al., 2022). Taught in notebook 13 §3-4.
"""

import math

import torch
from torch import nn

from . import _arguments
from .models import mlp

LOG_2PI = math.log(2 * math.pi)


def diffuse(x, log_snr, noise):
    """A sample of q(z_t | x) in closed form: alpha_t x + sigma_t noise, alpha_t^2 = sigmoid(log_snr) and
    sigma_t^2 = sigmoid(-log_snr). x, noise: (batch, d); log_snr: (batch, 1) or one number. Taught in notebook 13 §3
    (Exercise 20)."""
    log_snr = torch.as_tensor(log_snr, dtype=x.dtype, device=x.device)
    return torch.sigmoid(log_snr).sqrt() * x + torch.sigmoid(-log_snr).sqrt() * noise


def stratified_times(n, generator=None, device=None):
    """n times in [0, 1), one in each interval [i/n, (i+1)/n) after a shared random shift: uniform each, with
    less variance in a batch average than n independent draws (Kingma et al., 2021, "low-discrepancy")."""
    shift = torch.rand((), generator=generator, device=device)
    return (shift + torch.arange(n, device=device) / n) % 1.0


def _sigmoid(x):
    return 1.0 / (1.0 + math.exp(-x))


class DiffusionPrior(nn.Module):
    """A continuous-time diffusion model of codes z in R^dim, with a linear log-SNR schedule.

    ``DiffusionPrior(dim=16, hidden=(256, 256, 256))``: eps_hat is sigma_t z_t (exact for N(0, I) codes) plus an
    MLP (SiLU) on [z_t, features of t], the features being sines and cosines of t at 8 frequencies. ``log_prob_bound(z)`` is the per-example ELBO above
    (a lower bound on log p(z)), ``loss(z)`` its negative mean with one (t, eps) per example, ``sample(n)``
    ancestral sampling. Taught in notebook 13 §4.
    """

    def __init__(self, dim, hidden=(256, 256, 256), log_snr_min=-10.0, log_snr_max=10.0, frequencies=8):
        super().__init__()
        _arguments.number("dim", dim, minimum=1, integer=True, remedy="pass the width of the codes, e.g. dim=16")
        for size in hidden:
            _arguments.number("each hidden layer size", size, minimum=1, integer=True)
        _arguments.number("log_snr_min", log_snr_min)
        _arguments.number("log_snr_max", log_snr_max, above=log_snr_min)
        self.dim, self.log_snr_min, self.log_snr_max = dim, float(log_snr_min), float(log_snr_max)
        self.register_buffer("frequencies", math.pi * 2.0 ** torch.arange(frequencies, dtype=torch.float32))
        self.net = mlp([dim + 2 * frequencies, *hidden, dim], "silu")
        nn.init.zeros_(self.net[-1].weight)   # starts as N(0, I): eps_hat = sigma_t z_t
        nn.init.zeros_(self.net[-1].bias)

    def log_snr(self, t):
        """lambda(t) = lambda_max - (lambda_max - lambda_min) t."""
        return self.log_snr_max - (self.log_snr_max - self.log_snr_min) * t

    def predict_noise(self, z_t, t):
        """eps_hat(z_t, t) = sigma_t z_t + net(z_t, t): z_t (batch, dim), t (batch,).

        sigma_t z_t = E[eps | z_t] when the codes are N(0, I), so the network learns only how the codes differ
        from the VAE's prior, and an untrained DiffusionPrior (net = 0) is N(0, I), up to its decoder's variance exp(-lambda_max)."""
        angles = t[:, None] * self.frequencies
        sigma_t = torch.sigmoid(-self.log_snr(t)).sqrt()[:, None]
        return sigma_t * z_t + self.net(torch.cat([z_t, angles.sin(), angles.cos()], -1))

    def _check_codes(self, z):
        _arguments.tensor("z", z, dims=2)
        if z.shape[1] != self.dim:
            raise ValueError(f"this DiffusionPrior models codes of width {self.dim}, got z of shape {tuple(z.shape)}; "
                             f"build it with DiffusionPrior(dim={z.shape[1]}) or pass the codes it was trained on")

    def prior_term(self, z):
        """KL(q(z_1 | x) || N(0, I)) per example, in closed form (the codes z are this model's data x)."""
        alpha2, sigma2 = _sigmoid(self.log_snr_min), _sigmoid(-self.log_snr_min)
        return 0.5 * (sigma2 + alpha2 * z.pow(2) - 1 - math.log(sigma2)).sum(-1)

    def reconstruction_term(self):
        """-E log p(x | z_0) = d/2 (log 2 pi + 1 - lambda_max), the same for every x (a calculation)."""
        return 0.5 * self.dim * (LOG_2PI + 1 - self.log_snr_max)

    def diffusion_term(self, z, t, noise):
        """(lambda_max - lambda_min) / 2 * ||eps - eps_hat(z_t, t)||^2 per example: one draw of the integral."""
        z_t = diffuse(z, self.log_snr(t)[:, None], noise)
        return 0.5 * (self.log_snr_max - self.log_snr_min) * (noise - self.predict_noise(z_t, t)).pow(2).sum(-1)

    def log_prob_bound(self, z, samples=1, generator=None):
        """The ELBO, a lower bound on log p(z), per row of z (batch, dim), the diffusion term averaged over
        ``samples`` draws of (t, eps) per row, its times stratified."""
        self._check_codes(z)
        _arguments.number("samples", samples, minimum=1, integer=True)
        total = torch.zeros(len(z), device=z.device)
        for _ in range(samples):
            t = stratified_times(len(z), generator, z.device)
            noise = torch.randn(z.shape, generator=generator, device=z.device)
            total += self.diffusion_term(z, t, noise)
        return -(self.prior_term(z) + self.reconstruction_term() + total / samples)

    def loss(self, z, generator=None):
        """The negative ELBO averaged over the batch, one (t, eps) per row: what training minimizes."""
        return -self.log_prob_bound(z, 1, generator).mean()

    @torch.no_grad()
    def sample(self, n, steps=200, generator=None, variance="forward"):
        """n codes, by ancestral sampling from t = 1 to t = 0 in ``steps`` equal steps of t: each step draws z_s
        with the mean of q(z_s | z_t, x = x_hat), x_hat = (z_t - sigma_t eps_hat) / alpha_t, and one of Ho et al.'s
        (2020, §3.2) two variances: "posterior", that of q(z_s | z_t, x) (right if x_hat were exact), or "forward",
        sigma_{t|s}^2 = sigma_t^2 - (alpha_t / alpha_s)^2 sigma_s^2, that of the forward step (right for N(0, I)
        data: an untrained prior then samples N(0, I) at any number of steps). Returns z_0 / alpha_0, the mean of
        the decoder p(x | z_0)."""
        if variance not in ("forward", "posterior"):
            raise ValueError(f"variance must be 'forward' or 'posterior', got {variance!r}")
        _arguments.number("n", n, minimum=1, integer=True)
        _arguments.number("steps", steps, minimum=1, integer=True)
        device = self.frequencies.device
        z = torch.randn(n, self.dim, generator=generator, device=device)
        times = torch.linspace(1.0, 0.0, steps + 1, device=device)
        for t, s in zip(times[:-1], times[1:]):
            lam_t, lam_s = self.log_snr(t), self.log_snr(s)
            alpha_t, sigma_t = torch.sigmoid(lam_t).sqrt(), torch.sigmoid(-lam_t).sqrt()
            alpha_s, sigma_s = torch.sigmoid(lam_s).sqrt(), torch.sigmoid(-lam_s).sqrt()
            z0_hat = (z - sigma_t * self.predict_noise(z, t.expand(n))) / alpha_t
            # q(z_s | z_t, x) is Gaussian. With alpha_ts = alpha_t / alpha_s and
            # sigma_ts^2 = sigma_t^2 - alpha_ts^2 sigma_s^2 = sigma_t^2 (1 - exp(lambda_t - lambda_s)) = sigma_t^2 c:
            # mean = alpha_ts (sigma_s / sigma_t)^2 z_t + alpha_s c x,  variance = c sigma_s^2 ("posterior").
            c = -torch.expm1(lam_t - lam_s)
            mean = (alpha_t / alpha_s) * (sigma_s / sigma_t) ** 2 * z + alpha_s * c * z0_hat
            std = (c * sigma_t**2 if variance == "forward" else c * sigma_s**2).sqrt()
            z = mean + std * torch.randn(z.shape, generator=generator, device=device)
        return z / torch.sigmoid(self.log_snr(times[-1])).sqrt()
