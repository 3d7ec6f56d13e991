import pytest

from autograder.devices import (
    CONTEXT_MB,
    MEMORY_ENV,
    Slot,
    default_per_gpu,
    exclusive_slot,
    memory_cap,
    parse_gpu_memory,
    parse_nvidia_smi,
    plan_slots,
    shares_gpu,
)

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


QUERY = "0, 143771\n1, 143771\n"  # nvidia-smi --query-gpu=index,memory.total --format=csv,noheader,nounits


def test_parse_gpu_memory_reads_the_csv_query():
    assert parse_gpu_memory(QUERY) == {0: 143771, 1: 143771}
    assert parse_gpu_memory("0, [N/A]\n") == {}
    assert parse_gpu_memory("") == {}


def test_k_slots_share_each_gpu_each_seeing_only_its_gpu_with_a_cap_and_its_cores():
    slots = plan_slots("auto", [0, 1], workers=None, cpu_count=16, per_gpu=3, gpu_memory={0: 81920, 1: 81920})
    assert [s.label for s in slots] == ["gpu:0/0", "gpu:0/1", "gpu:0/2", "gpu:1/0", "gpu:1/1", "gpu:1/2"]
    assert [s.device for s in slots] == ["gpu:0"] * 3 + ["gpu:1"] * 3
    assert [s.env["CUDA_VISIBLE_DEVICES"] for s in slots] == ["0"] * 3 + ["1"] * 3
    cap = (81920 - 3 * CONTEXT_MB) // 3
    assert all(s.env[MEMORY_ENV] == str(cap) and s.env["TF_FORCE_GPU_ALLOW_GROWTH"] == "true" for s in slots)
    assert all(s.env["OMP_NUM_THREADS"] == "2" for s in slots)  # 16 cores over 6 slots
    assert 3 * (cap + CONTEXT_MB) <= 81920


def test_the_default_k_follows_the_memory_the_need_and_the_cores():
    memory = {0: 143771}
    # 143771 // (4096 + 1024) = 28, but 16 cores: 16 slots of one core each.
    assert len(plan_slots("auto", [0], workers=None, cpu_count=16, gpu_memory=memory)) == 16
    assert len(plan_slots("auto", [0], workers=None, cpu_count=64, gpu_memory=memory)) == 28
    assert len(plan_slots("auto", [0], workers=None, cpu_count=64, gpu_memory=memory, need_mb=30000)) == 4
    # A GPU too small to share, or whose memory is unknown: one submission on it, no cap, as before.
    alone = plan_slots("auto", [0], workers=None, cpu_count=16, gpu_memory={0: 4096})
    unknown = plan_slots("auto", [0], workers=None, cpu_count=16)
    for slots in (alone, unknown):
        assert [s.label for s in slots] == ["gpu:0"]
        assert MEMORY_ENV not in slots[0].env and "TF_FORCE_GPU_ALLOW_GROWTH" not in slots[0].env
    assert default_per_gpu(None, 4096, 16) == 1
    assert default_per_gpu(143771, 4096, 2) == 2
    # Mixed GPUs: the smallest decides.
    assert len(plan_slots("auto", [0, 1], None, cpu_count=64, gpu_memory={0: 81920, 1: 24576})) == 2 * 4


def test_sharing_needs_the_memory_and_room_for_each():
    with pytest.raises(ValueError, match="memory"):
        plan_slots("auto", [0], workers=None, cpu_count=8, per_gpu=2)
    with pytest.raises(ValueError, match="MiB per submission"):
        plan_slots("auto", [0], workers=None, cpu_count=8, per_gpu=8, gpu_memory={0: 8192})
    with pytest.raises(ValueError, match="per-gpu"):
        plan_slots("auto", [0], workers=None, cpu_count=8, per_gpu=0, gpu_memory={0: 8192})
    assert memory_cap(8192, 1) is None
    assert memory_cap(8192, 2) == 3072
    # Without GPUs, --per-gpu changes nothing.
    assert [s.label for s in plan_slots("none", [0], workers=2, cpu_count=4, per_gpu=4)] == ["cpu:0", "cpu:1"]


def test_an_exclusive_slot_takes_the_whole_gpu_and_the_threads_of_its_sharers():
    slots = plan_slots("auto", [0, 1], None, cpu_count=8, per_gpu=2, gpu_memory={0: 16384, 1: 16384})
    shared = [s for s in slots if s.device == "gpu:1"]
    assert all(shares_gpu(s) for s in shared) and not shares_gpu(Slot("gpu:0", {}))
    alone = exclusive_slot(shared)
    assert (alone.label, alone.device) == ("gpu:1", "gpu:1")
    assert alone.env["CUDA_VISIBLE_DEVICES"] == "1" and alone.env["OMP_NUM_THREADS"] == "4"
    assert MEMORY_ENV not in alone.env and "TF_FORCE_GPU_ALLOW_GROWTH" not in alone.env
    with pytest.raises(ValueError):
        exclusive_slot(slots)  # two GPUs' slots
