"""The McCulloch-Pitts neuron (1943): binary inputs, a threshold, absolute inhibition.

>>> and_gate = logic_gate("and")
>>> [and_gate([a, b]) for a in (0, 1) for b in (0, 1)]
[0, 0, 0, 1]
"""

from __future__ import annotations

from typing import Sequence


class McCullochPittsNeuron:
    """Fires (returns 1) iff no inhibitory input is active and the excitatory inputs add up to ``threshold``.

    ``inhibitory`` lists the indices of the inhibitory inputs; every other input is excitatory.
    There are no weights and no learning: the threshold is set by hand.
    """

    def __init__(self, threshold: int, inhibitory: Sequence[int] = ()) -> None:
        self.threshold = int(threshold)
        self.inhibitory = tuple(int(i) for i in inhibitory)

    def __call__(self, x: Sequence[int]) -> int:
        values = [int(v) for v in x]
        if any(v not in (0, 1) for v in values):
            raise ValueError(f"McCulloch-Pitts inputs are binary (0 or 1), got {list(x)!r}")
        for i in self.inhibitory:
            if not -len(values) <= i < len(values):
                raise IndexError(f"inhibitory input {i} out of range for {len(values)} inputs")
        inhibited = {i % len(values) for i in self.inhibitory}
        if any(values[i] for i in inhibited):
            return 0
        excitation = sum(v for i, v in enumerate(values) if i not in inhibited)
        return int(excitation >= self.threshold)

    def __repr__(self) -> str:
        return f"McCullochPittsNeuron(threshold={self.threshold}, inhibitory={self.inhibitory})"


def logic_gate(name: str, n_inputs: int = 2) -> McCullochPittsNeuron:
    """A neuron computing ``"and"`` or ``"or"`` of ``n_inputs`` inputs, or ``"not"`` of one input.

    AND needs every input on (threshold ``n_inputs``), OR needs one (threshold 1), and NOT is a
    single inhibitory input with threshold 0: it fires unless that input is on.
    """
    key = name.lower()
    if key == "and":
        return McCullochPittsNeuron(threshold=n_inputs)
    if key == "or":
        return McCullochPittsNeuron(threshold=1)
    if key == "not":
        return McCullochPittsNeuron(threshold=0, inhibitory=[0])
    raise ValueError(f"unknown gate {name!r}; expected 'and', 'or' or 'not'")
