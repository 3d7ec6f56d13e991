import gzip

import numpy as np
import pytest

from course.datasets.idx import DataFileError, parse_idx, read_bytes, write_idx


def _idx(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 8, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


def test_round_trip_gz_and_plain(tmp_path):
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    for compress in (True, False):
        path = write_idx(images, tmp_path / f"x{compress}", compress=compress)
        np.testing.assert_array_equal(parse_idx(read_bytes(path), expected_dims=3), images)


def test_bad_magic_is_named():
    content = b"\x12\x34" + _idx(np.zeros((2, 2), np.uint8))[2:]
    with pytest.raises(DataFileError, match="bad IDX magic"):
        parse_idx(content, source="labels.gz")


def test_unknown_type_code():
    content = bytearray(_idx(np.zeros(3, np.uint8)))
    content[2] = 0x07
    with pytest.raises(DataFileError, match="magic"):
        parse_idx(bytes(content))


def test_wrong_dimensions():
    with pytest.raises(DataFileError, match="expected 3 dimension"):
        parse_idx(_idx(np.zeros(5, np.uint8)), expected_dims=3)


def test_truncated_payload_and_trailing_bytes():
    content = _idx(np.zeros((4, 2, 2), np.uint8))
    with pytest.raises(DataFileError, match="truncated"):
        parse_idx(content[:-3])
    with pytest.raises(DataFileError, match="trailing"):
        parse_idx(content + b"\0")
    with pytest.raises(DataFileError, match="header"):
        parse_idx(content[:6])


def test_truncated_gzip_names_the_file(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    data = gzip.compress(_idx(np.zeros((50, 8, 8), np.uint8)))
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataFileError) as info:
        read_bytes(path)
    assert info.value.path == path
    assert "train-images-idx3-ubyte.gz" in str(info.value)
