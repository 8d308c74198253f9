"""The farm's wire format (farm.protocol): JSON only, sizes and shapes checked first."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from nst_desktop import __version__
from nst_desktop.farm.protocol import (
    MAX_IMAGE_BYTES,
    FarmError,
    InputFile,
    JobRequest,
    parse_request,
    read_token,
    version_problem,
)


def _body(**changes: object) -> dict[str, object]:
    body: dict[str, object] = {"record": {"params": {}}, "kind": "full", "key": "job-1",
                               "photo": {"name": "p.png", "data": "AAAA"},
                               "styles": [{"name": "s.png", "data": "AAAA"}]}
    body.update(changes)
    return body


def test_a_request_survives_its_json_round_trip() -> None:
    request = JobRequest({"params": {"size": 64}}, "quick", "q:1", InputFile("C:\\a\\photo.JPG", b"\xff\xd8"),
                         (InputFile("s.png", b"\x89PNG"),), InputFile("start.tif", b"II*\0"))
    assert parse_request(request.to_json()) == request
    assert request.photo.suffix == ".jpg" and InputFile("x.p/ng;rm", b"").suffix == ""


@pytest.mark.parametrize(("body", "word"), [
    (b"\x80\x81", "not JSON"),
    (b"[1, 2]", "JSON object"),
    (b'{"record": NaN}', "not JSON"),
    (b'{"x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "not JSON"),
    (json.dumps(_body(kind="promote")).encode(), "kind"),
    (json.dumps(_body(key="../../etc")).encode(), "key"),
    (json.dumps(_body(key="k" * 500)).encode(), "key"),
    (json.dumps(_body(record=[1])).encode(), "record"),
    (json.dumps(_body(styles=[])).encode(), "style"),
    (json.dumps(_body(styles=[{"name": "s", "data": "AAAA"}] * 40)).encode(), "style"),
    (json.dumps(_body(photo={"name": "p.png", "data": "not base64!"})).encode(), "base64"),
    (json.dumps(_body(photo={"name": "p.png"})).encode(), "photo"),
    (json.dumps(_body(photo={"name": "big.png", "data": "A" * (MAX_IMAGE_BYTES * 4 // 3 + 8)})).encode(),
     "limit"),
])
def test_a_malformed_request_is_refused_in_one_line(body: bytes, word: str) -> None:
    with pytest.raises(FarmError, match=word) as refused:
        parse_request(body)
    assert "\n" not in refused.value.user_text()


def test_versions_must_match_and_the_message_names_both() -> None:
    assert version_problem(__version__, farm_side=True) == ""
    text = version_problem("9.9.9", farm_side=True)
    assert "app is NST Desktop 9.9.9" in text and f"farm runs {__version__}" in text
    assert "app is NST Desktop " + __version__ in version_problem("9.9.9", farm_side=False)


def test_the_token_file_must_hold_a_long_token(tmp_path: Path) -> None:
    file = tmp_path / "token"
    file.write_text("  " + base64.b64encode(b"0123456789abcdef").decode() + "\nsecond line\n")
    assert read_token(file) == base64.b64encode(b"0123456789abcdef").decode()
    file.write_text("short\n")
    with pytest.raises(FarmError, match="at least 16"):
        read_token(file)
    with pytest.raises(FarmError, match="cannot read"):
        read_token(tmp_path / "missing")
