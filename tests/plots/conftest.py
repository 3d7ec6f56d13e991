"""Close every figure after each plotting test (pyplot keeps them alive otherwise)."""

import matplotlib.pyplot as plt
import pytest


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")
