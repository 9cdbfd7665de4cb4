"""Pictures of a VAE: image grids, the latent manifold, latent scatter, training curves.

Every function draws into a matplotlib Axes (made for you when ``ax=None``)
and returns it, so notebooks can compose figures and end the cell with ``;``.
"""

import matplotlib.pyplot as plt
import torch

from . import paths


def _axes(ax, figsize=(5, 5)):
    return ax if ax is not None else plt.figure(figsize=figsize).add_subplot()


def image_grid(images, nrow=10, ax=None, title=None, padding=2):
    """Show (N, 784) or (N, 1, 28, 28) intensities in [0, 1] as one grid, ``nrow`` per row.

    First used in notebook 00; reconstruction grids in notebook 03 §3 and 05 §4.
    """
    images = torch.as_tensor(images).detach().float().cpu()
    if images.dim() == 2:
        side = int(round(images.shape[1] ** 0.5))
        if side * side != images.shape[1]:
            raise ValueError(f"cannot reshape rows of {images.shape[1]} pixels into square images")
        images = images.reshape(-1, 1, side, side)
    from torchvision.utils import make_grid  # imported here, as in data.py: torchvision is slow to import
    grid = make_grid(images, nrow=nrow, padding=padding, pad_value=1.0)
    ax = _axes(ax)
    ax.imshow(grid[0], cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return ax


def gaussian_quantile_grid(n=20, latent_dim=2, dims=(0, 1)):
    """n*n latent points whose two chosen coordinates sit at the prior's quantiles.

    Coordinate values are Phi^{-1}(p) for p = (i + 0.5) / n, i = 0..n-1, so each
    cell of the grid covers equal prior probability (1/n^2); the other
    coordinates stay at 0, the prior's mode. Row-major, top row = largest z_2.
    Taught in notebook 05 §5 (exercise 10).
    """
    probs = (torch.arange(n, dtype=torch.float32) + 0.5) / n
    values = torch.distributions.Normal(0.0, 1.0).icdf(probs)
    z = torch.zeros(n, n, latent_dim)
    z[..., dims[0]] = values.expand(n, n)                  # columns: z_1 left to right
    z[..., dims[1]] = values.flip(0)[:, None].expand(n, n)  # rows: z_2 top to bottom
    return z.reshape(n * n, latent_dim)


@torch.no_grad()
def latent_manifold(model, n=20, dims=(0, 1), ax=None, title=None):
    """Decode an n x n grid at Gaussian quantiles of the prior and show the mean images E[x|z].

    Taught in notebook 05 §5.
    """
    z = gaussian_quantile_grid(n, model.latent_dim, dims).to(next(model.parameters()).device)
    return image_grid(model.mean_image(z).clamp(0, 1), nrow=n, ax=_axes(ax, (7, 7)), title=title, padding=0)


def latent_scatter(z, labels, ax=None, title=None, s=3):
    """Scatter the first two latent coordinates, coloured by digit class. Taught in notebook 03 §4."""
    z, labels = torch.as_tensor(z).detach().cpu(), torch.as_tensor(labels).cpu()
    ax = _axes(ax, (6, 5))
    points = ax.scatter(z[:, 0], z[:, 1], c=labels, cmap="tab10", s=s, alpha=0.7,
                        vmin=-0.5, vmax=9.5, rasterized=True)
    ax.figure.colorbar(points, ax=ax, ticks=range(10), label="digit")
    ax.set_xlabel("$z_1$")
    ax.set_ylabel("$z_2$")
    ax.set_aspect("equal", adjustable="datalim")
    if title:
        ax.set_title(title)
    return ax


def training_curves(history, axes=None):
    """Loss, reconstruction error -E[log p(x|z)] and KL against the optimizer step, in nats.

    Training values are averages over the steps since the previous record;
    validation values (when ``fit`` had x_valid) are measured at the record.
    Taught in notebook 05 §3.
    """
    if axes is None:
        axes = plt.figure(figsize=(12, 3.2)).subplots(1, 3)
    panels = [("loss", "loss = -ELBO", 1), ("reconstruction", "-E[log p(x|z)]", -1), ("kl", "KL(q || p)", 1)]
    for ax, (key, label, sign) in zip(axes, panels):
        ax.plot(history["step"], [sign * v for v in history[key]], label="train")
        if f"valid_{key}" in history:
            ax.plot(history["step"], [sign * v for v in history[f"valid_{key}"]], label="validation")
        ax.set_xlabel("optimizer step")
        ax.set_ylabel(f"{label} (nats)")
        ax.legend()
    axes[0].figure.tight_layout()
    return axes


def save_figure(fig, name):
    """Save ``fig`` as <figures folder>/<name>.png at a fixed dpi; return the path (see ``paths.figures_dir``).

    Every notebook saves its figures with it, from notebook 00 on.
    """
    folder = paths.figures_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    fig.savefig(path, dpi=100, bbox_inches="tight", metadata={"Software": None})
    return path
