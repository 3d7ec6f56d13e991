import pytest

from autograder.devices import parse_nvidia_smi, plan_slots

SMI = """GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-1b2c3d4e-0000-1111-2222-333344445555)
GPU 1: NVIDIA H100 80GB HBM3 (UUID: GPU-5b2c3d4e-0000-1111-2222-333344445555)
"""


def test_parse_nvidia_smi_lists_indices_and_names():
    assert parse_nvidia_smi(SMI) == [(0, "NVIDIA H100 80GB HBM3"), (1, "NVIDIA H100 80GB HBM3")]
    assert parse_nvidia_smi("") == []
    assert parse_nvidia_smi("NVIDIA-SMI has failed because it couldn't communicate with the driver") == []


def test_auto_uses_one_slot_per_gpu_each_seeing_only_its_gpu():
    slots = plan_slots("auto", [0, 1, 2], workers=None, cpu_count=12)
    assert [s.label for s in slots] == ["gpu:0", "gpu:1", "gpu:2"]
    assert [s.env["CUDA_VISIBLE_DEVICES"] for s in slots] == ["0", "1", "2"]
    assert [s.device for s in slots] == ["gpu:0", "gpu:1", "gpu:2"]
    assert all(s.env["OMP_NUM_THREADS"] == "4" for s in slots)


def test_auto_without_gpus_gives_cpu_workers():
    slots = plan_slots("auto", [], workers=3, cpu_count=6)
    assert [s.label for s in slots] == ["cpu:0", "cpu:1", "cpu:2"]
    assert all("CUDA_VISIBLE_DEVICES" not in s.env and s.device == "cpu" for s in slots)
    assert all(s.env["OMP_NUM_THREADS"] == "2" for s in slots)
    assert len(plan_slots("auto", [], workers=None, cpu_count=8)) == 4


def test_explicit_gpu_list_and_none():
    assert [s.env["CUDA_VISIBLE_DEVICES"] for s in plan_slots("1,3", [0, 1, 2, 3], None, cpu_count=4)] == ["1", "3"]
    hidden = plan_slots("none", [0, 1], workers=2, cpu_count=4)
    assert [s.label for s in hidden] == ["cpu:0", "cpu:1"]
    assert all(s.env["CUDA_VISIBLE_DEVICES"] == "" for s in hidden)  # students' code cannot grab the GPUs
    assert len(plan_slots("auto", [0, 1, 2, 3], workers=2, cpu_count=4)) == 2
    assert plan_slots("auto", [], workers=1, cpu_count=4, threads=3)[0].env["TF_NUM_INTRAOP_THREADS"] == "3"


@pytest.mark.parametrize("spec", ["0,5", "gpu0"])
def test_bad_gpu_specs_are_refused(spec):
    with pytest.raises(ValueError):
        plan_slots(spec, [0, 1], workers=None, cpu_count=4)


def test_workers_must_be_positive():
    with pytest.raises(ValueError):
        plan_slots("none", [], workers=0)
