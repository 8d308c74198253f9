"""The out-of-memory hint suggests the CPU only to a run that is not already on it."""

from __future__ import annotations

import pytest
import torch

from nst_desktop.engine.run import stylize as stylize_module
from nst_desktop.engine.spec.errors import OutOfMemoryError


@pytest.mark.parametrize(("device", "suggests_cpu"), [("cpu", False), ("cuda", True), ("mps", True)])
def test_out_of_memory_hint_depends_on_the_device(device: str, suggests_cpu: bool) -> None:
    # The translation stylize does for every torch memory failure, without a real run.
    with pytest.raises(OutOfMemoryError) as info, stylize_module._memory_errors(torch.device(device)):
        raise RuntimeError("DefaultCPUAllocator: not enough memory: you tried to allocate 9 GB")
    text = info.value.user_text()
    assert f"The {device.upper()} ran out of memory." in text
    assert ("CPU device" in text) is suggests_cpu
    assert "smaller output size" in text


def test_a_memory_error_of_unknown_origin_does_not_suggest_the_cpu() -> None:
    """The GUI reports a plain MemoryError (host memory) with the class's own hint."""
    assert "CPU" not in OutOfMemoryError("The run needed more memory than this computer has.").user_text()


@pytest.mark.parametrize(("name", "shown"), [
    ("two\nlines.jpg", "two\\nlines.jpg"),
    ("tab\there\r.png", "tab\\there\\r.png"),
    ("esc\x1b[31m.png", "esc\\x1b[31m.png"),
    ("caf\udce9.jpg", "caf\\xe9.jpg"),  # b"caf\xe9.jpg" as Linux decodes it (surrogateescape)
    ("café.jpg", "café.jpg"),  # printable letters stay as they are
])
def test_a_file_name_never_breaks_the_one_line_error(name: str, shown: str) -> None:
    from nst_desktop.engine.spec.errors import ImageError, display_path

    assert display_path(name) == shown
    text = ImageError(f"/photos/{name}", "file not found.").user_text()
    assert text == f"/photos/{shown}: file not found." and len(text.splitlines()) == 1
    text.encode("utf-8")  # no lone surrogate left: printable, writable anywhere
