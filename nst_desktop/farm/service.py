"""``nst-desktop farm serve``: the farm's HTTP service, run by a Ray driver on the head node.

A stdlib threaded HTTP server in the driver, each job a Ray task (farm.tasks), rather than
Ray Serve: Serve needs ``ray[serve]`` (FastAPI, Starlette, Uvicorn, Pydantic: ~100 MB more on
every node, an HTTP proxy process per node) for seven small JSON routes, and its replicas are
actors, which cannot ask a GPU per job the way a task does. Here every job is one task that
asks ``num_gpus=1`` where the cluster has GPUs (``num_cpus`` otherwise), Ray retries it if its
worker dies, streams its progress and cancels it; results come back over HTTP from the
driver's memory, with no shared drive.

Security: every request carries the token (compared in constant time, before the body is
read), bodies over the size limit are refused unread, the service binds to 127.0.0.1 unless
told otherwise (TLS: a reverse proxy, see the README), and requests are JSON, never pickle.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import sys
import tempfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import ray

from nst_desktop import __version__
from nst_desktop.farm.protocol import (
    API,
    MAX_REQUEST_BYTES,
    RESULT_FORMATS,
    TOKEN_HEADER,
    VERSION_HEADER,
    FarmError,
    FarmStoppingError,
    parse_request,
    read_token,
    version_problem,
)

log = logging.getLogger(__name__)
DEFAULT_PORT = 8765
MAX_WAIT_S = 5.0  # the longest an events request waits for a new item


def task_options(cpus_per_job: int) -> dict[str, Any]:
    """What one job asks of the cluster: a whole GPU where there are GPUs, else CPUs. Asked
    again at every submission: a GPU node that joins later is used from then on."""
    gpus = ray.cluster_resources().get("GPU", 0)  # type: ignore[no-untyped-call]
    if gpus >= 1:
        return {"num_gpus": 1, "num_cpus": 1}
    return {"num_cpus": cpus_per_job}


def cluster_status() -> dict[str, Any]:
    """The farm's nodes, CPUs, GPUs and version, for "Test connection" and ``farm status``."""
    alive = [n for n in ray.nodes() if n.get("Alive")]  # type: ignore[no-untyped-call]
    nodes = [{"id": n["NodeID"], "address": n.get("NodeManagerAddress", ""),
              "cpus": n.get("Resources", {}).get("CPU", 0), "gpus": n.get("Resources", {}).get("GPU", 0)}
             for n in alive]
    return {"version": __version__, "ray": ray.__version__, "nodes": nodes,
            "cpus": sum(n["cpus"] for n in nodes), "gpus": sum(n["gpus"] for n in nodes)}


class FarmServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], token: str, cpus_per_job: int) -> None:
        from nst_desktop.farm.jobs import FarmJobs

        super().__init__(address, FarmHandler)
        self.token = token.encode("utf-8")
        self.cpus_per_job = cpus_per_job
        self.jobs = FarmJobs(lambda: task_options(cpus_per_job))


class FarmHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: FarmServer

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002  (the base class's name)
        log.debug("%s " + format, self.address_string(), *args)

    def _dispatch(self, method: str) -> None:
        given = self.headers.get(TOKEN_HEADER, "").removeprefix("Bearer ").encode("utf-8", "replace")
        if not hmac.compare_digest(given, self.server.token):
            self._refuse_body()
            return self._send_json(401, {"error": "The farm refused the token."})
        problem = version_problem(self.headers.get(VERSION_HEADER, ""), farm_side=True)
        if problem:
            self._refuse_body()
            return self._send_json(409, {"error": problem})
        url = urlsplit(self.path)
        parts = url.path.removeprefix(API).strip("/").split("/")
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        try:
            self._route(method, parts, query)
        except FarmStoppingError as exc:  # the client waits, as for a farm that is down
            self._refuse_body()
            self._send_json(503, {"error": exc.user_text()})
        except KeyError:
            self._send_json(404, {"error": "The farm does not know this job (it may have restarted)."})
        except FarmError as exc:
            self._send_json(400, {"error": exc.user_text()})
        except ValueError:  # a number in the query or a header that is none
            self._send_json(400, {"error": f"Malformed request: {method} {self.path[:100]}"})

    def _route(self, method: str, parts: list[str], query: dict[str, str]) -> None:
        jobs = self.server.jobs
        if method == "GET" and parts == ["status"]:
            # cpus_per_job: the client works out how many jobs the farm paints at once (FarmStatus.lanes)
            return self._send_json(200, {**cluster_status(), "jobs": jobs.counts(),
                                         "cpus_per_job": self.server.cpus_per_job})
        if method == "POST" and parts == ["jobs"]:
            return self._submit()
        if len(parts) < 2 or parts[0] != "jobs":
            return self._send_json(404, {"error": f"No such route: {method} {self.path[:100]}"})
        job_id, action = parts[1], parts[2] if len(parts) > 2 else ""
        if method == "GET" and action == "":
            return self._send_json(200, jobs.get(job_id).summary())
        if method == "GET" and action == "events":
            wait = min(MAX_WAIT_S, max(0.0, float(query.get("wait", "0") or 0)))
            events, job = jobs.events(job_id, int(query.get("after", "0") or 0), wait)
            return self._send_json(200, {"events": events, "job": job.summary()})
        if method == "POST" and action == "cancel":
            return self._send_json(200, jobs.cancel(job_id).summary())
        if method == "GET" and action == "result":
            return self._send_result(job_id, query.get("format", "png"))
        if method == "DELETE" and action == "":
            jobs.delete(job_id)
            return self._send_json(200, {"deleted": job_id})
        return self._send_json(404, {"error": f"No such route: {method} {self.path[:100]}"})

    def _submit(self) -> None:
        from nst_desktop.farm.inputs import unpack

        length = int(self.headers.get("Content-Length", "-1") or -1)
        if not 0 < length <= MAX_REQUEST_BYTES:
            self.close_connection = True  # the body is never read
            return self._send_json(413, {"error": f"A job request must give its length and stay under "
                                                  f"{MAX_REQUEST_BYTES >> 20} MB."})
        request = parse_request(self.rfile.read(length))
        with tempfile.TemporaryDirectory(prefix="nst-farm-check-") as folder:
            unpack(request, Path(folder))  # refused now, as the CLI would, not after a wait in Ray
        job, new = self.server.jobs.submit(request)
        self._send_json(201 if new else 200, job.summary())

    def _send_result(self, job_id: str, fmt: str) -> None:
        from nst_desktop.farm.jobs import encode_result

        if fmt not in RESULT_FORMATS:
            raise FarmError(f"The result format must be one of {', '.join(RESULT_FORMATS)}.")
        data = encode_result(self.server.jobs.get(job_id), fmt)
        kind = "application/octet-stream" if fmt == "float32" else "image/png"
        self._send(200, data, kind)

    def _refuse_body(self) -> None:
        """A refused request's body is not read: the connection closes after the answer."""
        if self.headers.get("Content-Length", "0") not in ("", "0"):
            self.close_connection = True

    def _send_json(self, status: int, body: dict[str, Any]) -> None:
        self._send(status, json.dumps(body, allow_nan=False, default=str).encode("utf-8"), "application/json")

    def _send(self, status: int, data: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def serve(token_file: str | os.PathLike[str], host: str = "127.0.0.1", port: int = DEFAULT_PORT,
          address: str = "auto", cpus_per_job: int = 1) -> int:
    """Connect to the Ray cluster at ``address`` and serve until interrupted (or SIGTERM)."""
    token = read_token(token_file)
    try:
        ray.init(address=address, logging_level=logging.WARNING, log_to_driver=False)
    except (ConnectionError, RuntimeError) as exc:
        raise FarmError(f"No Ray cluster at {address!r} ({str(exc).splitlines()[0][:160]}): start one with "
                        "'ray start --head' first, or give --address.") from None
    server: FarmServer | None = None
    try:
        server = FarmServer((host, port), token, cpus_per_job)
        status = cluster_status()
        print(f"NST Desktop {__version__} farm on http://{host}:{server.server_address[1]} "
              f"({len(status['nodes'])} node(s), {status['cpus']:g} CPUs, {status['gpus']:g} GPUs)",
              file=sys.stderr, flush=True)
        server.serve_forever()  # SIGTERM: Ray's handler raises SystemExit here
    finally:
        if server is not None:
            server.jobs.close()  # before ray.shutdown: its errors must not reach a client as the job's
            server.server_close()
        ray.shutdown()
    return 0
