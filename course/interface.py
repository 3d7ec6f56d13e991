"""The one place where ``course.keras`` and ``course.torch`` may differ.

Both modules promise the same public names (their ``__all__``) with the same signatures: the
same parameter names, kinds and defaults, so a notebook switches framework by changing one
import. :data:`EXCEPTIONS` lists every difference the frameworks force, with the reason;
``tests/test_interface.py`` fails on any difference that is not in it, and on any entry here
that no longer matches the code. No framework is imported here.
"""

from __future__ import annotations

from dataclasses import dataclass

FRAMEWORKS = ("keras", "torch")


@dataclass(frozen=True)
class Difference:
    """One allowed difference between ``course.keras.NAME`` and ``course.torch.NAME``.

    - ``only_in``: the name exists in that framework only;
    - ``extra``: parameters that one framework's function has and the other's lacks
      (``{"torch": ("device",)}``); every other parameter must match;
    - ``compare_signature=False``: the name exists in both, but its signature is not compared.
    """

    why: str
    only_in: str | None = None
    extra: tuple[tuple[str, tuple[str, ...]], ...] = ()
    compare_signature: bool = True

    def extra_for(self, framework: str) -> tuple[str, ...]:
        return dict(self.extra).get(framework, ())


EXCEPTIONS: dict[str, Difference] = {
    "get_optimizer": Difference(
        extra=(("torch", ("params",)),),
        why="a PyTorch optimizer is built over the parameters it updates (get_optimizer(name, model, lr=...)); "
            "a Keras optimizer receives the model's variables when the model is compiled",
    ),
    "fit": Difference(
        extra=(("torch", ("l1", "l2", "device", "amp")),),
        why="l1/l2: Keras keeps the penalties in the layers (MLPConfig.l1/l2 become kernel regularizers), "
            "PyTorch's losses know nothing of them, so course.torch.fit adds them (default: model.config's); "
            "device: PyTorch moves the model and the data to a device explicitly, TensorFlow places them "
            "itself; amp: PyTorch's autocast wraps each step, Keras' mixed precision is a global policy "
            "that must be set before the model is built",
    ),
    "lr_find": Difference(
        extra=(("torch", ("device",)),),
        why="PyTorch moves the model and the data to a device explicitly; TensorFlow places them itself",
    ),
    "History": Difference(
        compare_signature=False,
        why="what fit returns, never built by hand: Keras' own keras.callbacks.History, and in PyTorch a "
            "class with the same attributes (history, epoch, model, params)",
    ),
    "MLPHyperModel": Difference(
        only_in="keras",
        why="keras-tuner's entry point (a HyperModel: hp -> compiled model, plus the batch size); "
            "PyTorch's search uses Optuna, whose entry point is an objective (make_objective)",
    ),
    "build_model": Difference(
        only_in="keras",
        why="keras-tuner's build function (hp -> compiled model); Optuna has no counterpart",
    ),
    "make_objective": Difference(
        only_in="torch",
        why="Optuna's entry point (trial -> validation accuracy); keras-tuner builds models instead "
            "(build_model, MLPHyperModel)",
    ),
}
