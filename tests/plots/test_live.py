import subprocess
import sys
import textwrap

import numpy as np
import pytest

from course.plots import LivePlot


def test_records_the_tracked_metrics_like_a_torch_trainer_would_send_them():
    live = LivePlot(metrics=("loss",))
    live.on_train_begin()
    for epoch in range(3):
        live.on_epoch_end(epoch, {"loss": 1.0 / (epoch + 1), "val_loss": 2.0, "accuracy": 0.5, "lr": 0.1})
    live.on_train_end()
    assert live.history == {"loss": [1.0, 0.5, 1 / 3], "val_loss": [2.0, 2.0, 2.0]}
    fig = live.draw()
    assert len(fig.axes) == 1 and len(fig.axes[0].get_lines()) == 2
    live.on_train_begin()  # a new run starts empty
    assert live.history == {}


def test_keras_callback_forwards_a_two_epoch_fit():
    keras = pytest.importorskip("keras")
    keras.utils.set_random_seed(0)
    X = np.random.default_rng(0).standard_normal((32, 2)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    live = LivePlot()
    callback = live.keras_callback()
    assert isinstance(callback, keras.callbacks.Callback)
    history = model.fit(X, y, epochs=2, batch_size=16, validation_split=0.25, verbose=0, callbacks=[callback])
    assert set(live.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    np.testing.assert_allclose(live.history["loss"], history.history["loss"], rtol=1e-6)
    fig = live.draw()
    assert len(fig.axes) == 2 and all(len(ax.get_lines()) == 2 for ax in fig.axes)


def test_redraws_inside_ipython_every_n_epochs():
    code = textwrap.dedent("""
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from IPython.core.interactiveshell import InteractiveShell

        shell = InteractiveShell.instance()
        shown = []
        shell.display_pub.publish = lambda data, metadata=None, **kw: shown.append(data)
        from course.plots import LivePlot

        live = LivePlot(every=2)
        live.on_train_begin()
        for epoch in range(4):
            live.on_epoch_end(epoch, {"loss": 1.0 / (epoch + 1)})
        print(len(shown), "Figure" in shown[-1]["text/plain"], len(plt.get_fignums()))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[-3:] == ["2", "True", "0"]  # epochs 2 and 4; figures closed after display


def test_nothing_displayed_outside_ipython(capsys):
    live = LivePlot()
    live.on_epoch_end(0, {"loss": 1.0})
    live.on_train_end()
    assert capsys.readouterr().out == ""
