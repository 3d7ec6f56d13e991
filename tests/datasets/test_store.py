import gzip
import os

import numpy as np
import pytest

from course.datasets import store
from course.datasets.store import DatasetNotFoundError, load_idx_arrays, locate, search_dirs

from .fixtures import ROLES, tiny_arrays, tiny_dataset, write_tiny


@pytest.fixture
def cache(tmp_path, monkeypatch):
    path = tmp_path / "cache"
    monkeypatch.setenv("COURSE_CACHE_DIR", str(path))
    return path


def test_resolution_order(tmp_path, cache, monkeypatch):
    """data_dir, then $COURSE_DATA_DIR, then the cache, then system folders."""
    folders = {name: write_tiny(tmp_path / name) for name in ("explicit", "env", "system")}
    write_tiny(cache / "tiny")
    monkeypatch.setenv("COURSE_DATA_DIR", str(folders["env"]))
    dataset = tiny_dataset(tmp_path, system=folders["system"])

    order = [origin for origin, _ in search_dirs(dataset, folders["explicit"])]
    assert order == ["data_dir", "COURSE_DATA_DIR", "COURSE_DATA_DIR", "cache", "system"]

    expected = [("data_dir", folders["explicit"]), ("COURSE_DATA_DIR", folders["env"]),
                ("cache", cache / "tiny"), ("system", folders["system"])]
    for origin, folder in expected:
        located, _ = locate(dataset, folders["explicit"], download=False)
        assert set(located.origins.values()) == {origin}
        assert all(p.parent == folder for p in located.paths.values())
        for name in ROLES.values():  # remove this level: the next one must be used
            (folder / name).unlink()
        if origin == "COURSE_DATA_DIR":
            monkeypatch.delenv("COURSE_DATA_DIR")


def test_decompressed_files_are_accepted(tmp_path, cache):
    folder = write_tiny(tmp_path / "plain")
    for name in ROLES.values():
        (folder / name[:-3]).write_bytes(gzip.decompress((folder / name).read_bytes()))
        (folder / name).unlink()
    located, _ = locate(tiny_dataset(tmp_path), folder, download=False)
    assert all(p.suffix != ".gz" for p in located.paths.values())


def test_checksum_mismatch_is_reported_and_skipped(tmp_path, cache):
    bad = write_tiny(tmp_path / "bad", tiny_arrays(seed=1))  # valid IDX, other content
    good = write_tiny(tmp_path / "good")
    dataset = tiny_dataset(tmp_path, system=good)
    with pytest.warns(UserWarning) as record:
        located, _ = locate(dataset, bad, download=False)
    reported = " ".join(str(w.message) for w in record)
    for name in (ROLES["train_images"], ROLES["test_images"]):  # each bad file named
        assert f"{name}: checksum mismatch" in reported
    # the images differ (they fail their checksums); the labels are the same, so they pass
    assert located.origins["train_images"] == located.origins["test_images"] == "system"
    assert located.origins["train_labels"] == "data_dir"


def test_corrupt_file_is_replaced_by_a_download(tmp_path, cache):
    mirror = write_tiny(tmp_path / "mirror")
    folder = cache / "tiny"
    write_tiny(folder)
    victim = folder / ROLES["train_images"]
    victim.write_bytes(victim.read_bytes()[:30])  # truncated
    dataset = tiny_dataset(tmp_path, mirror=mirror)
    with pytest.warns(UserWarning, match="train-images-idx3-ubyte.gz"):
        located, _ = locate(dataset, download=True, progress=False)
    assert located.origins["train_images"] == "download"
    assert victim.read_bytes() == (mirror / ROLES["train_images"]).read_bytes()
    assert not [p for p in folder.iterdir() if p.name.endswith(".part")]


def test_bad_download_is_never_kept(tmp_path, cache):
    mirror = write_tiny(tmp_path / "mirror", tiny_arrays(seed=3))  # wrong checksums everywhere
    dataset = tiny_dataset(tmp_path, mirror=mirror)
    with pytest.raises(DatasetNotFoundError, match="checksum mismatch"):
        locate(dataset, download=True, progress=False)
    kept = sorted(p.name for p in (cache / "tiny").iterdir())
    # only the labels (identical in both fixtures) pass; bad images and partial files are gone
    assert kept == sorted([ROLES["test_labels"], ROLES["train_labels"]])


def test_offline_error_names_the_three_fixes(tmp_path, cache, monkeypatch):
    monkeypatch.setattr(store.time, "sleep", lambda _s: None)
    dataset = tiny_dataset(tmp_path)  # mirror is a closed local port
    with pytest.raises(DatasetNotFoundError) as info:
        locate(dataset, download=True, progress=False)
    message = str(info.value)
    assert "install the tiny package" in message
    assert "COURSE_DATA_DIR" in message
    assert "connect to the internet" in message
    assert "train-images-idx3-ubyte.gz" in message


def test_no_download_means_no_network(tmp_path, cache, monkeypatch):
    def forbidden(*_a, **_k):
        raise AssertionError("download attempted")

    monkeypatch.setattr(store, "_download", forbidden)
    with pytest.raises(DatasetNotFoundError, match="download=False"):
        locate(tiny_dataset(tmp_path), download=False)


def test_arrays_cache_makes_second_load_skip_the_files(tmp_path, cache, monkeypatch):
    dataset = tiny_dataset(tmp_path, system=write_tiny(tmp_path / "system"))
    first = load_idx_arrays(dataset)
    monkeypatch.setattr(store, "locate", lambda *a, **k: pytest.fail("files read again"))
    second = load_idx_arrays(dataset)
    for role in ROLES:
        np.testing.assert_array_equal(first[role], second[role])


def test_damaged_arrays_cache_is_rebuilt(tmp_path, cache):
    dataset = tiny_dataset(tmp_path, system=write_tiny(tmp_path / "system"))
    load_idx_arrays(dataset)
    (npz,) = (cache / "tiny").glob("arrays-*.npz")
    npz.write_bytes(b"not a zip file")
    with pytest.warns(UserWarning, match="damaged array cache"):
        arrays = load_idx_arrays(dataset)
    np.testing.assert_array_equal(arrays["test_labels"], tiny_arrays()["test_labels"])
    assert np.load(npz)["train_images"].shape == (40, 4, 4)


def test_unwritable_cache_still_loads(tmp_path, monkeypatch):
    if os.geteuid() == 0:
        monkeypatch.setattr(store, "_write_arrays_cache",
                            lambda path, arrays: store.warnings.warn(f"Could not write {path}"))
    else:
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        monkeypatch.setenv("COURSE_CACHE_DIR", str(ro))
    dataset = tiny_dataset(tmp_path, system=write_tiny(tmp_path / "system"))
    with pytest.warns(UserWarning, match="Could not write"):
        arrays = load_idx_arrays(dataset)
    assert arrays["train_images"].shape == (40, 4, 4)


def test_a_cache_this_user_cannot_read_is_skipped_not_deleted(tmp_path, cache, monkeypatch):
    """The grader's sandboxed user may see the grader's cache without the right to read it."""
    dataset = tiny_dataset(tmp_path, system=write_tiny(tmp_path / "system"))
    load_idx_arrays(dataset)
    (npz,) = (cache / "tiny").glob("arrays-*.npz")

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(npz))

    monkeypatch.setattr(store.np, "load", refuse)
    monkeypatch.setattr(store, "_write_arrays_cache", lambda path, arrays: None)
    arrays = load_idx_arrays(dataset)  # parsed from the files again, without a warning about damage
    assert arrays["train_images"].shape == (40, 4, 4) and npz.exists()
