import matplotlib.pyplot as plt

from course.plots import save_fig


def test_save_fig_writes_the_file_in_a_new_folder(tmp_path):
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    path = save_fig(fig, "line", folder=tmp_path / "figures")
    assert path == tmp_path / "figures" / "line.png"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_save_fig_other_format(tmp_path):
    fig, _ = plt.subplots()
    path = save_fig(fig, "vector", folder=tmp_path, fmt="svg")
    assert path.suffix == ".svg" and "<svg" in path.read_text()
