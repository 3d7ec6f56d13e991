"""Plots for the course: learning curves, activations, decision boundaries, images, LR finder, weights, gradients.

Figures are returned, never shown: in a notebook they appear on their own (end the line with
``;`` or assign the figure to avoid seeing it twice) and ``save_fig(fig, "name")`` saves them.
Only matplotlib is imported here, and the plots take NumPy arrays (or plain functions): to look
inside a model, ``course.keras`` and ``course.torch`` have the same helpers (``layer_weights``,
``layer_activations``, ``layer_gradients``), whose arrays these plots accept as they come.
"""

from .activations import plot_activations
from .boundaries import plot_decision_boundary
from .figures import save_fig
from .gradients import plot_gradient_histograms
from .history import plot_history
from .images import confusion_matrix, plot_confusion_matrix, plot_images
from .live import LivePlot
from .lr import plot_lr_finder
from .trajectories import plot_trajectories
from .weights import plot_activation_histograms, plot_weight_histograms

__all__ = [
    "LivePlot", "confusion_matrix", "plot_activation_histograms", "plot_activations", "plot_confusion_matrix", "plot_decision_boundary",
    "plot_gradient_histograms", "plot_history", "plot_images",
    "plot_lr_finder", "plot_trajectories", "plot_weight_histograms", "save_fig",
]
