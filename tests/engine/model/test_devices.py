import subprocess
import sys

import pytest
import torch

from nst_desktop.engine.model import devices
from nst_desktop.engine.spec.errors import DeviceError, ParamsError


def test_cpu_always_available() -> None:
    assert devices.pick_device("cpu") == torch.device("cpu")


def test_auto_picks_cuda_then_mps_then_cpu(monkeypatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(devices, "_mps_available", lambda: False)
    assert devices.pick_device("auto").type == "cpu"
    monkeypatch.setattr(devices, "_mps_available", lambda: True)
    assert devices.pick_device("auto").type == "mps"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert devices.pick_device("auto").type == "cuda"


def test_unavailable_device_is_a_device_error(monkeypatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(devices, "_mps_available", lambda: False)
    with pytest.raises(DeviceError, match="CUDA"):
        devices.pick_device("cuda")
    with pytest.raises(DeviceError, match="MPS"):
        devices.pick_device("mps")
    with pytest.raises(DeviceError, match="tpu"):
        devices.pick_device("tpu")


def test_precision_choice(monkeypatch) -> None:
    cpu = torch.device("cpu")
    assert devices.autocast_dtype("float32", cpu) is None
    assert devices.autocast_dtype("bfloat16", cpu) is torch.bfloat16
    assert devices.autocast_dtype("float16", torch.device("cuda")) is torch.float16
    monkeypatch.setattr(devices, "cpu_has_bf16", lambda: False)
    assert devices.autocast_dtype("auto", cpu) is None
    assert devices.autocast_dtype("auto", torch.device("mps")) is None
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: False)
    assert devices.autocast_dtype("auto", torch.device("cuda")) is torch.float16


def test_float16_is_refused_on_the_cpu_also_when_auto_resolves_to_it(monkeypatch) -> None:
    with pytest.raises(ParamsError, match="float16.*CPU"):
        devices.autocast_dtype("float16", torch.device("cpu"))
    with pytest.raises(ParamsError, match="float16"):
        devices.check_precision("float16", "cpu")
    devices.check_precision("float16", "cuda")  # a GPU runs it natively
    devices.check_precision("bfloat16", "cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(devices, "_mps_available", lambda: False)
    with pytest.raises(ParamsError, match="float16"):
        devices.autocast_dtype("float16", devices.pick_device("auto"))


def test_the_precision_check_needs_no_torch() -> None:
    """The CLI refuses float16 on the CPU before torch's import (seconds): devices.py imports
    torch only inside its functions."""
    code = ("import sys; from nst_desktop.engine.model.devices import check_precision\n"
            "try:\n    check_precision('float16', 'cpu')\nexcept Exception:\n    pass\n"
            "sys.exit(1 if 'torch' in sys.modules else 0)")
    assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 0
