"""A learning curve that redraws itself every epoch in a notebook, for Keras and PyTorch alike."""

from __future__ import annotations

import sys
from typing import Any, Mapping, Sequence

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from .history import plot_history


def _in_ipython() -> bool:
    """True inside IPython/Jupyter (without importing IPython when it is not loaded)."""
    if "IPython" not in sys.modules:
        return False
    return sys.modules["IPython"].get_ipython() is not None


class LivePlot:
    """Live learning curves: pass it as a callback and watch loss/accuracy epoch by epoch.

    ``course.torch.fit`` and ``course.keras.fit``: ``fit(..., callbacks=[LivePlot()])``.
    Keras' own ``model.fit``: ``model.fit(..., callbacks=[LivePlot().keras_callback()])``.

    Inside IPython the figure is redrawn every ``every`` epochs; elsewhere nothing is shown, but
    ``history`` still records the values and ``draw()`` returns the figure.
    """

    def __init__(self, metrics: Sequence[str] = ("loss", "accuracy"), every: int = 1,
                 title: str = "Entrenamiento en curso") -> None:
        self.metrics = tuple(metrics)
        self.every = max(1, int(every))
        self.title = title
        self.history: dict[str, list[float]] = {}

    def _tracked(self, key: str) -> bool:
        return key in self.metrics or (key.startswith("val_") and key[4:] in self.metrics)

    def on_train_begin(self, logs: Mapping[str, Any] | None = None) -> None:
        """Start a new run: forget earlier values."""
        self.history = {}

    def on_epoch_end(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        """Record this epoch's values; redraw every ``every`` epochs inside IPython."""
        for key, value in (logs or {}).items():
            if self._tracked(key):
                self.history.setdefault(key, []).append(float(value))
        if (epoch + 1) % self.every == 0:
            self._refresh()

    def on_train_end(self, logs: Mapping[str, Any] | None = None) -> None:
        """Draw the final curves (inside IPython)."""
        self._refresh()

    def draw(self) -> Figure:
        """The learning curves recorded so far, as a figure."""
        present = [m for m in self.metrics if m in self.history or f"val_{m}" in self.history]
        if not present:
            raise ValueError(f"nothing recorded yet for metrics {self.metrics}")
        return plot_history(self.history, metrics=present, title=self.title)

    def _refresh(self) -> None:
        if not _in_ipython() or not self.history:
            return
        from IPython.display import clear_output, display

        fig = self.draw()
        clear_output(wait=True)
        display(fig)
        plt.close(fig)  # shown once here, not again when the cell ends

    def keras_callback(self) -> Any:
        """A ``keras.callbacks.Callback`` that forwards every event to this LivePlot, for Keras' own
        ``model.fit`` (``course.keras.fit`` takes the LivePlot itself). The Keras side lives in
        :func:`course.keras.training.as_keras_callback`."""
        from ..keras.training import as_keras_callback

        return as_keras_callback(self)
