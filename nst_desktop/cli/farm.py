"""``nst-desktop farm serve`` (on the farm's head node) and ``nst-desktop farm status`` (anywhere).

``serve`` needs Ray (``pip install "nst-desktop[farm]"``); ``status`` is plain HTTP, like the app.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from nst_desktop.engine.spec.errors import NSTError


def add_farm_parser(sub: Any) -> None:
    farm = sub.add_parser("farm", help="serve a render farm on a Ray cluster, or ask one how it is")
    farm.set_defaults(func=lambda ns: _usage(farm))
    actions = farm.add_subparsers(dest="farm_command", metavar="ACTION", parser_class=type(farm))
    serve = actions.add_parser("serve", help="serve jobs on this machine's Ray cluster over HTTP")
    serve.add_argument("--token-file", type=Path, required=True, help="file whose first line is the token")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default 127.0.0.1; put TLS in front for a network)")
    serve.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    serve.add_argument("--address", default="auto",
                       help="the Ray cluster (default: the one 'ray start' began on this machine)")
    serve.add_argument("--cpus-per-job", type=int, default=1, metavar="N",
                       help="CPUs one job takes where the cluster has no GPU (default 1)")
    serve.set_defaults(func=_cmd_serve)
    status = actions.add_parser("status", help="the farm's nodes, CPUs, GPUs and version")
    status.add_argument("--farm", required=True, metavar="URL", help="e.g. http://render-pc:8765")
    status.add_argument("--token-file", type=Path, required=True)
    status.set_defaults(func=_cmd_status)


def _usage(parser: argparse.ArgumentParser) -> int:
    from nst_desktop.cli.common import EXIT_USAGE

    parser.print_help()
    return EXIT_USAGE


def _cmd_serve(ns: argparse.Namespace) -> int:
    try:
        from nst_desktop.farm.service import serve
    except ImportError as exc:
        raise NSTError(f"The farm service needs Ray ({exc.name} is missing): "
                       "pip install \"nst-desktop[farm]\" on every farm machine.") from None
    if not 0 < ns.cpus_per_job <= 1024:
        raise NSTError("--cpus-per-job must be 1..1024.")
    return serve(ns.token_file, ns.host, ns.port, ns.address, ns.cpus_per_job)


def _cmd_status(ns: argparse.Namespace) -> int:
    from nst_desktop.farm.client import FarmClient
    from nst_desktop.farm.protocol import read_token

    status = FarmClient(ns.farm, read_token(ns.token_file)).status()
    print(status.text())
    for node in status.nodes:
        print(f"  {node['address']:15s} {node['cpus']:g} CPUs, {node['gpus']:g} GPUs  {node['id'][:12]}")
    return 0

