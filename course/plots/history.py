"""Learning curves of one or several training runs (Keras ``History``, PyTorch trainer, dicts)."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

METRIC_LABELS = {
    "loss": "Pérdida",
    "accuracy": "Exactitud (accuracy)",
    "acc": "Exactitud (accuracy)",
    "mae": "Error absoluto medio (MAE)",
    "mse": "Error cuadrático medio (MSE)",
    "rmse": "Raíz del ECM (RMSE)",
    "learning_rate": "Tasa de aprendizaje",
    "lr": "Tasa de aprendizaje",
}
DEFAULT_METRICS = ("loss", "accuracy")


def metric_label(metric: str) -> str:
    """The Spanish name of a metric for axis labels (the key itself when unknown)."""
    return METRIC_LABELS.get(metric, metric)


def as_history_dict(history: Any) -> dict[str, list[float]]:
    """``{metric: [value per epoch]}`` from a Keras ``History``, anything with ``.history``, or a dict."""
    data = getattr(history, "history", history)
    if not isinstance(data, Mapping):
        raise TypeError(f"expected a History, an object with a .history dict or a dict, got {type(history).__name__}")
    return {str(k): [float(v) for v in values] for k, values in data.items()}


def _default_metrics(runs: Sequence[Mapping[str, list[float]]]) -> list[str]:
    keys = [k for run in runs for k in run if not k.startswith("val_")]
    chosen = [m for m in DEFAULT_METRICS if m in keys]
    if chosen:
        return chosen
    return list(dict.fromkeys(keys)) or list(dict.fromkeys(k[4:] for run in runs for k in run))


def plot_history(*histories: Any, names: Sequence[str] | None = None, metrics: Sequence[str] | None = None,
                 title: str | None = None) -> Figure:
    """One subplot per metric; training solid, validation (``val_`` keys) dashed, one colour per run.

    Example: ``plot_history(history_sgd, history_adam, names=["SGD", "Adam"])``.

    ``metrics`` defaults to loss and accuracy (those present). The legend names the runs by
    colour and explains the line styles.
    """
    if not histories:
        raise ValueError("plot_history needs at least one history")
    runs = [as_history_dict(h) for h in histories]
    show_names = names is not None or len(runs) > 1
    names = [f"modelo {i + 1}" for i in range(len(runs))] if names is None else [str(n) for n in names]
    if len(names) != len(runs):
        raise ValueError(f"got {len(runs)} histories but {len(names)} names")
    metrics = list(metrics) if metrics is not None else _default_metrics(runs)
    missing = [m for m in metrics if not any(m in run or f"val_{m}" in run for run in runs)]
    if missing:
        raise KeyError(f"metrics {missing} not in any history (keys: {sorted(set().union(*runs))})")

    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    fig, axes = plt.subplots(1, len(metrics), figsize=(5.5 * len(metrics), 4), squeeze=False,
                             layout="constrained")
    has_val = False
    for ax, metric in zip(axes[0], metrics):
        for i, (run, name) in enumerate(zip(runs, names)):
            colour = colours[i % len(colours)]
            for key, style, part in ((metric, "-", "entrenamiento"), (f"val_{metric}", "--", "validación")):
                if key in run and run[key]:
                    epochs = range(1, len(run[key]) + 1)
                    ax.plot(epochs, run[key], linestyle=style, color=colour, label=f"{name} ({part})",
                            marker="o" if len(run[key]) == 1 else None)
                    has_val |= style == "--"
        ax.set_title(metric_label(metric))
        ax.set_xlabel("Época")
        ax.set_ylabel(metric_label(metric))
        ax.grid(True, alpha=0.3)
        ax.xaxis.get_major_locator().set_params(integer=True)

    # One legend: colours name the runs, line styles tell training from validation.
    handles = []
    if show_names:
        handles += [Line2D([], [], color=colours[i % len(colours)], lw=2, label=name) for i, name in enumerate(names)]
    style_colour = "0.3" if show_names else colours[0]
    handles.append(Line2D([], [], color=style_colour, linestyle="-", label="entrenamiento"))
    if has_val:
        handles.append(Line2D([], [], color=style_colour, linestyle="--", label="validación"))
    axes[0][0].legend(handles=handles, loc="best", fontsize="small")
    fig.suptitle(title or "Curvas de aprendizaje")
    return fig
