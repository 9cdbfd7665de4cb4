"""Latent sliders: move z with one slider per dimension and watch the decoded digit change.

``latent_sliders`` explores a VAE (notebook 05); ``digit_style_explorer`` a ConditionalVAE
(notebook 08), where a digit selector sets the class y and the sliders set the style z.

Built on ipywidgets. The digit and the latent scatter are ``ipywidgets.Image``
PNGs rendered with Pillow, which is fast enough to follow a dragged slider and
needs no matplotlib backend in the browser. The scatter is drawn once by
matplotlib; each update only paints a marker onto a copy of it.
"""

import io

import ipywidgets as widgets
import numpy as np
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image, ImageDraw

from . import _arguments


def _png(image):
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _render_scatter(z, labels, size_px=340):
    """Draw the scatter once; return the RGB image and a function mapping (z1, z2) to pixels."""
    fig = Figure(figsize=(size_px / 100, size_px / 100), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.16, 0.13, 0.8, 0.83))
    ax.scatter(z[:, 0], z[:, 1], c=labels, cmap="tab10", s=2, vmin=-0.5, vmax=9.5)
    for label in np.unique(labels):  # name each class at its median code: a legend you need not look up
        x, y = np.median(z[labels == label], axis=0)
        ax.text(x, y, str(label), ha="center", va="center", fontsize=11, fontweight="bold",
                bbox=dict(boxstyle="circle,pad=0.15", facecolor="white", alpha=0.7, linewidth=0))
    ax.set_xlabel("$z_1$", labelpad=0)
    ax.set_ylabel("$z_2$", labelpad=0)
    fig.canvas.draw()
    rgba = np.asarray(fig.canvas.buffer_rgba())
    height = rgba.shape[0]

    def to_pixels(z1, z2):
        x, y = ax.transData.transform((z1, z2))
        return x, height - y  # matplotlib's origin is bottom left, an image's is top left

    return Image.fromarray(rgba[..., :3].copy()), to_pixels


def _picture(image, scale):
    """A (28, 28) tensor in [0, 1] as a PNG, dark ink on white, ``scale`` times bigger."""
    pixels = (image.numpy() * 255).round().astype(np.uint8)
    return _png(Image.fromarray(255 - pixels).resize((pixels.shape[1] * scale, pixels.shape[0] * scale),
                                                     Image.NEAREST))


def _z_sliders(latent_dim, limit, step):
    return [widgets.FloatSlider(value=0.0, min=-limit, max=limit, step=step, description=f"z_{j + 1}",
                                continuous_update=True, readout_format=".2f")
            for j in range(latent_dim)]


def _check_slider_settings(limit, step, scale):
    _arguments.number("limit", limit, above=0)
    _arguments.number("step", step, above=0)
    _arguments.number("scale", scale, minimum=1, integer=True)


def _check_arguments(model, z, labels, limit, step, scale):
    _check_slider_settings(limit, step, scale)
    if (z is None) != (labels is None):
        raise ValueError("pass both z and labels for the latent scatter, or neither")
    if z is not None:
        z = torch.as_tensor(z)
        _arguments.tensor("z", z.float(), dims=2, last=model.latent_dim)
        if model.latent_dim < 2:
            raise ValueError("the latent scatter needs at least 2 latent dimensions; call without z and labels")
        if torch.as_tensor(labels).shape != (len(z),):
            raise ValueError(f"labels must have shape ({len(z)},), one per row of z, got "
                             f"{tuple(torch.as_tensor(labels).shape)}")


class LatentSliders(widgets.HBox):
    """The widget that ``latent_sliders`` returns; display it, or read its parts.

    sliders: one FloatSlider per latent dimension (z_1 .. z_d)
    digit:   Image widget with the decoded mean image E[x|z]
    scatter: Image widget with the latent scatter and a red marker at (z_1, z_2), or None
    """

    def __init__(self, model, z=None, labels=None, limit=3.0, step=0.05, scale=6):
        _check_arguments(model, z, labels, limit, step, scale)
        self.model, self.scale = model, scale
        self.sliders = _z_sliders(model.latent_dim, limit, step)
        self.digit = widgets.Image(format="png", width=28 * scale, height=28 * scale)
        self.scatter = None
        if z is not None and labels is not None:
            z, labels = torch.as_tensor(z).detach().cpu(), torch.as_tensor(labels).cpu()
            self._background, self._to_pixels = _render_scatter(z.numpy(), labels.numpy())
            self.scatter = widgets.Image(format="png")
        for slider in self.sliders:
            slider.observe(self._update, names="value")
        self._update()
        panels = [widgets.VBox(self.sliders), self.digit]
        super().__init__(panels + ([self.scatter] if self.scatter is not None else []))

    @property
    def z(self):
        """The current latent vector, shape (1, latent_dim)."""
        return torch.tensor([[s.value for s in self.sliders]], dtype=torch.float32)

    @torch.no_grad()
    def decoded(self):
        """The current decoded mean image E[x|z] as a (28, 28) tensor in [0, 1], on the CPU."""
        z = self.z.to(next(self.model.parameters()).device)
        return self.model.mean_image(z).clamp(0, 1).reshape(28, 28).cpu()

    def _update(self, change=None):
        self.digit.value = _picture(self.decoded(), self.scale)
        if self.scatter is not None:
            image = self._background.copy()
            x, y = self._to_pixels(self.sliders[0].value, self.sliders[1].value)
            ImageDraw.Draw(image).ellipse((x - 6, y - 6, x + 6, y + 6), outline="red", width=3)
            self.scatter.value = _png(image)


def latent_sliders(model, z=None, labels=None, limit=3.0, step=0.05, scale=6):
    """One slider per latent dimension; the decoded digit updates as they move.

    Pass the encoded means ``z`` (N, d) and ``labels`` of some data to also show
    the latent scatter of (z_1, z_2) with a marker at the sliders' position.
    Sliders span [-limit, limit], where the N(0, 1) prior keeps 99.7% of its
    mass for limit = 3. The digit is shown ``scale`` times its 28 x 28 size.
    Taught in notebook 05 §8.
    """
    model.eval()
    return LatentSliders(model, z, labels, limit, step, scale)


class DigitStyleExplorer(widgets.VBox):
    """The widget that ``digit_style_explorer`` returns; display it, or read its parts.

    digit_buttons: ToggleButtons choosing the class y (0 .. num_classes - 1)
    sliders:       one FloatSlider per latent dimension (the style z)
    digit:         Image widget with E[x | z, y] for the chosen y
    all_digits:    Image widget with the same z decoded as every class, side by side
    """

    def __init__(self, model, limit=3.0, step=0.05, scale=6):
        if not getattr(model, "conditional", False):
            raise TypeError(f"digit_style_explorer needs a ConditionalVAE (a decoder that takes a class), "
                            f"got a {type(model).__name__}; for a VAE use latent_sliders")
        _check_slider_settings(limit, step, scale)
        self.model, self.scale = model, scale
        self.digit_buttons = widgets.ToggleButtons(options=list(range(model.num_classes)), value=0,
                                                   description="digit y", style={"button_width": "32px"})
        self.sliders = _z_sliders(model.latent_dim, limit, step)
        self.digit = widgets.Image(format="png", width=28 * scale, height=28 * scale)
        self.strip_scale = max(1, scale // 2)
        self.all_digits = widgets.Image(format="png", width=28 * model.num_classes * self.strip_scale,
                                        height=28 * self.strip_scale)  # drawn at its size, not stretched
        for control in [self.digit_buttons, *self.sliders]:
            control.observe(self._update, names="value")
        self._update()
        label = widgets.HTML("the same z decoded as every digit:")
        super().__init__([widgets.HBox([widgets.VBox([self.digit_buttons, *self.sliders]), self.digit]),
                          label, self.all_digits])

    @property
    def z(self):
        """The current style vector, shape (1, latent_dim)."""
        return torch.tensor([[s.value for s in self.sliders]], dtype=torch.float32)

    @torch.no_grad()
    def decoded_all(self):
        """E[x | z, y] for y = 0 .. num_classes - 1 at the current z: (num_classes, 28, 28), on the CPU."""
        device = next(self.model.parameters()).device
        classes = torch.arange(self.model.num_classes, device=device)
        z = self.z.to(device).expand(len(classes), -1)
        return self.model.mean_image(z, classes).clamp(0, 1).reshape(-1, 28, 28).cpu()

    def decoded(self):
        """E[x | z, y] for the chosen digit y: a (28, 28) tensor in [0, 1], on the CPU."""
        return self.decoded_all()[self.digit_buttons.value]

    def _update(self, change=None):
        images = self.decoded_all()
        self.digit.value = _picture(images[self.digit_buttons.value], self.scale)
        strip = torch.cat(list(images), dim=1)  # (28, 28 * num_classes)
        self.all_digits.value = _picture(strip, self.strip_scale)


def digit_style_explorer(model, limit=3.0, step=0.05, scale=6):
    """A digit selector for the class y and one slider per latent dimension for the style z.

    The large picture is E[x | z, y] of a ConditionalVAE for the chosen digit; the strip
    under it decodes the same z as every digit, so one style is seen written as 0 to 9.
    Sliders span [-limit, limit]; the digit is shown ``scale`` times its 28 x 28 size.
    Taught in notebook 08 §7.
    """
    model.eval()
    return DigitStyleExplorer(model, limit, step, scale)
