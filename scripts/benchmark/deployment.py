"""Topologies to benchmark: a set of servers started in order, and where turns go.

A Deployment knows its servers (each a process group we own), starts them one
after the other timing each until its health URL answers, lists the REST
webhook URLs turns are sent to (several for replicas: the load driver
alternates between them), gives the pids whose memory to sample, and stops
everything in reverse order. New topologies (e.g. two Rasa replicas behind
PostgreSQL and Redis) are new factory functions building a Deployment.
"""

from __future__ import annotations

import ctypes
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
RASA = str(VENV_BIN / "rasa")
STOP_GRACE_SECONDS = 20

# Quiet, offline, no telemetry: the same settings tests/servers.py uses.
QUIET_ENV = {"TF_CPP_MIN_LOG_LEVEL": "3", "SQLALCHEMY_SILENCE_UBER_WARNING": "1", "RASA_TELEMETRY_ENABLED": "false"}


class StartError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _die_with_parent() -> None:
    """In the child: get SIGTERM if the bench itself dies (Linux only)."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:  # noqa: BLE001 - not Linux / no glibc: best effort only
        pass


def tail(path: Path, chars: int = 3000) -> str:
    try:
        return path.read_text(errors="replace")[-chars:]
    except OSError:
        return "(no log)"


def answers(url: str, headers: dict[str, str] | None = None) -> bool:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=2) as response:
            return response.status == 200
    except (OSError, ValueError):  # URLError and HTTPError are OSErrors
        return False


def stop_process_group(process: subprocess.Popen | None) -> None:
    """SIGTERM the process group, SIGKILL it if it is still there after the grace time."""
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=STOP_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass


@dataclass
class Server:
    """One server process: how to start it and how to tell it is up."""

    name: str
    cmd: list[str]
    cwd: Path
    env: dict[str, str]
    health_url: str
    log_path: Path
    timeout: float = 300
    health_headers: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen | None = field(default=None, init=False)
    startup_seconds: float | None = field(default=None, init=False)

    def start(self) -> None:
        from bot.local_secrets import private_dir  # the bench puts the project root on the path
        from bot.safe_logging import private_file

        private_dir(self.log_path.parent)  # server logs: owner-only, like make run's
        with private_file(self.log_path) as log:
            log.write(f"\n=== bench {time.strftime('%Y-%m-%d %H:%M:%S')}: {' '.join(self.cmd)}\n".encode())
            log.flush()
            started = time.monotonic()
            self.process = subprocess.Popen(
                self.cmd,
                cwd=self.cwd,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # own process group: we stop it
                preexec_fn=_die_with_parent,
            )
        deadline = started + self.timeout
        while not answers(self.health_url, self.health_headers):
            if self.process.poll() is not None:
                raise StartError(
                    f"{self.name} exited with code {self.process.returncode} while starting; "
                    f"end of {self.log_path}:\n{tail(self.log_path)}"
                )
            if time.monotonic() > deadline:
                raise StartError(
                    f"{self.name} did not answer {self.health_url} within {self.timeout:.0f}s; "
                    f"end of {self.log_path}:\n{tail(self.log_path)}"
                )
            time.sleep(0.1)
        self.startup_seconds = round(time.monotonic() - started, 1)

    def stop(self) -> None:
        stop_process_group(self.process)

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process and self.process.poll() is None else None


@dataclass
class Deployment:
    """Servers started in order; turns go to `urls`, with `headers` (our REST
    channel needs its token; the starter bot's takes anyone)."""

    name: str
    servers: list[Server]
    urls: list[str]
    headers: dict[str, str] = field(default_factory=dict)

    def start(self, on_server=lambda server: None) -> None:
        """Start each server and wait until it answers; on_server(server) is called before each."""
        for server in self.servers:
            on_server(server)
            server.start()

    def stop(self) -> None:
        for server in reversed(self.servers):
            server.stop()

    def pids(self) -> dict[str, int]:
        """Server name -> pid of each running server, for memory sampling."""
        return {server.name: server.pid for server in self.servers if server.pid is not None}

    def startup_seconds(self) -> dict[str, float | None]:
        return {server.name: server.startup_seconds for server in self.servers}

    def check_alive(self) -> None:
        for server in self.servers:
            if server.process is not None and server.process.poll() is not None:
                raise StartError(
                    f"{server.name} stopped (exit code {server.process.returncode}); "
                    f"end of {server.log_path}:\n{tail(server.log_path)}"
                )

    def __enter__(self) -> Deployment:
        return self

    def __exit__(self, *_exc) -> None:
        self.stop()


def _rasa_server(
    name: str,
    model: Path,
    cwd: Path,
    env: dict[str, str],
    endpoints: Path,
    credentials: Path,
    log_dir: Path,
    port: int | None = None,
) -> Server:
    port = port or free_port()
    return Server(
        name=name,
        cwd=cwd,
        env=env,
        log_path=log_dir / f"{name}.log",
        cmd=[
            RASA,
            "run",
            "--model",
            str(model),
            "--port",
            str(port),
            "--interface",
            "127.0.0.1",
            "--endpoints",
            str(endpoints),
            "--credentials",
            str(credentials),
        ],
        health_url=f"http://127.0.0.1:{port}/",
    )


def webhook_url(server: Server) -> str:
    return server.health_url.rstrip("/") + "/webhooks/rest/webhook"


def internal_secrets() -> dict[str, str]:
    """Fresh internal secrets for one benchmarked set-up (the same for all its replicas)."""
    return {name: secrets.token_urlsafe(32) for name in ("ACTION_SERVER_TOKEN", "REST_TOKEN", "CHAT_SESSION_SECRET")}


def _our_env(action_port: int, stores: dict[str, str], keys: dict[str, str]) -> dict[str, str]:
    """Our servers' environment: the project on the path, quiet, the given stores and secrets."""
    return {
        **os.environ,
        **QUIET_ENV,
        "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p),
        "ACTION_HOST": "127.0.0.1",
        "ACTION_PORT": str(action_port),
        **keys,
        **stores,
    }


def _rest_headers(keys: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {keys['REST_TOKEN']}"}


def _action_server(name: str, env: dict[str, str], log_dir: Path) -> Server:
    port = env["ACTION_PORT"]
    return Server(
        name=name,
        cwd=ROOT,
        env=env,
        log_path=log_dir / f"{name}.log",
        cmd=[sys.executable, "-m", "actions.server", "--port", port],
        health_url=f"http://127.0.0.1:{port}/health",
        health_headers={"Authorization": f"Bearer {env['ACTION_SERVER_TOKEN']}"},
    )


def single_node(model: Path, workdir: Path, log_dir: Path, extra_env: dict[str, str] | None = None) -> Deployment:
    """Our bot as `make run` starts it: one action server, one Rasa server,
    SQLite lead store and tracker store (in workdir)."""
    keys = internal_secrets()
    env = _our_env(
        free_port(),
        {
            "LEAD_DB": str(workdir / "leads.db"),
            "TRACKER_DB": str(workdir / "tracker.db"),
            "VAR_DIR": str(workdir),
            **(extra_env or {}),
        },
        keys,
    )
    actions = _action_server("actions", env, log_dir)
    rasa = _rasa_server("rasa", model, ROOT, env, ROOT / "endpoints.yml", ROOT / "credentials.yml", log_dir)
    return Deployment("ours", [actions, rasa], [webhook_url(rasa)], _rest_headers(keys))


def starter_bot(project: Path, model: Path, workdir: Path, log_dir: Path) -> Deployment:
    """The `rasa init` starter bot: a Rasa server alone (its template has no
    custom actions), its own endpoints (in-memory tracker store), REST only."""
    credentials = workdir / "credentials.yml"
    credentials.write_text("rest:\n")
    env = {**os.environ, **QUIET_ENV}
    rasa = _rasa_server("rasa", model, project, env, project / "endpoints.yml", credentials, log_dir)
    return Deployment("reference", [rasa], [webhook_url(rasa)])


def two_replicas(model: Path, log_dir: Path, tracker_db: str, lead_db: str, lock_store_url: str) -> Deployment:
    """Two Rasa replicas, each with its own action server, sharing PostgreSQL
    (conversations, leads) and Redis (conversation locks), as
    docs/deployment.md describes; turns go to both Rasa replicas in turn."""
    servers: list[Server] = []
    urls: list[str] = []
    keys = internal_secrets()  # the same secrets on both replicas (docs/deployment.md)
    for name in ("a", "b"):
        env = _our_env(
            free_port(), {"TRACKER_DB": tracker_db, "LEAD_DB": lead_db, "LOCK_STORE_URL": lock_store_url}, keys
        )
        servers.append(_action_server(f"actions-{name}", env, log_dir))
        rasa = _rasa_server(f"rasa-{name}", model, ROOT, env, ROOT / "endpoints.yml", ROOT / "credentials.yml", log_dir)
        servers.append(rasa)  # started after its action server; replica a creates the tables
        urls.append(webhook_url(rasa))
    return Deployment("replicas", servers, urls, _rest_headers(keys))
