"""``batch --farm URL --token-file F``: the queue's jobs painted on a render farm (issue 19).

Its own module, apart from ``cli.farm`` (``farm serve``, which needs Ray): the window's queue
imports ``cli.batch``, and the app never imports Ray, not even by way of a function.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

from nst_desktop.cli.common import UsageError


def add_farm_options(parser: argparse.ArgumentParser) -> None:
    """``--farm URL --token-file F`` of a command that paints queued jobs (``batch``)."""
    parser.add_argument("--farm", metavar="URL", help="paint on this render farm (e.g. http://render-pc:8765)")
    parser.add_argument("--token-file", type=Path, help="the farm's token (first line); with --farm")


def farm_render(ns: argparse.Namespace, stream: TextIO) -> Any:
    """The queue's render on the farm ``--farm`` names (None: paint here). The farm is asked how
    it is first, so a wrong token or version is one line before any job is claimed; a farm that
    is down is not an error: the jobs wait for it."""
    if not getattr(ns, "farm", None):
        return None
    from nst_desktop.farm.batch import FarmRender, first_contact
    from nst_desktop.farm.client import FarmClient
    from nst_desktop.farm.protocol import read_token

    if ns.token_file is None:
        raise UsageError("--farm needs --token-file")
    client = FarmClient(ns.farm, read_token(ns.token_file))
    stream.write(first_contact(client) + "\n")

    def on_waiting(job: Any, text: str) -> None:
        stream.write(f"\n{job.name}: {text}; waiting (Ctrl-C stops)\n")

    return FarmRender(client, on_waiting)
