import itertools

import pytest

from course.scratch import McCullochPittsNeuron, logic_gate


@pytest.mark.parametrize("n", [2, 3])
def test_and_truth_table(n):
    gate = logic_gate("and", n)
    for x in itertools.product([0, 1], repeat=n):
        assert gate(x) == int(all(x))


@pytest.mark.parametrize("n", [2, 3])
def test_or_truth_table(n):
    gate = logic_gate("or", n)
    for x in itertools.product([0, 1], repeat=n):
        assert gate(x) == int(any(x))


def test_not_truth_table():
    gate = logic_gate("not")
    assert gate([0]) == 1 and gate([1]) == 0


def test_inhibitory_input_vetoes_firing():
    neuron = McCullochPittsNeuron(threshold=1, inhibitory=[2])
    assert neuron([1, 1, 0]) == 1
    assert neuron([1, 1, 1]) == 0  # absolute inhibition, whatever the excitation
    assert neuron([0, 0, 0]) == 0


def test_threshold_counts_only_excitatory_inputs():
    neuron = McCullochPittsNeuron(threshold=2, inhibitory=[0])
    assert neuron([0, 1, 1]) == 1
    assert neuron([0, 1, 0]) == 0


def test_rejects_non_binary_inputs_and_unknown_gates():
    with pytest.raises(ValueError):
        logic_gate("and")([2, 1])
    with pytest.raises(ValueError, match="unknown gate"):
        logic_gate("xor")
