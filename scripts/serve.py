#!/usr/bin/env python3
"""Start every service of the pre-screening assistant and keep them running.

Run with the project's virtual environment (``make run`` does this)::

    .venv/bin/python scripts/serve.py [--model models/<hash>.tar.gz]

Services (each port overridable by an environment variable):

    action server   python -m actions.server                 ACTION_PORT (5055)
    Rasa server     rasa run --model ... (REST + socket.io)  RASA_PORT   (5005)
    chat page       python -m web.chat      (if it exists)   CHAT_PORT   (8080)
    staff dashboard python -m web.staff     (if it exists)   STAFF_PORT  (8081)
    notifier        python -m bot.staff notify-retry --every NOTIFY_EVERY (60 s)

Everything binds to BIND_HOST (127.0.0.1). Data, logs and generated secrets
live in VAR_DIR (var/, 0700); logs in var/log/<service>.log (0600). The
internal secrets (ACTION_SERVER_TOKEN for the action server, REST_TOKEN for
the REST channel, CHAT_SESSION_SECRET) come from the environment or are
generated owner-only under var/ (bot/local_secrets.py) and handed to the
services. Both stores are checked before anything starts: a damaged SQLite
file stops the run with one line naming it.
Ctrl-C (or SIGTERM) stops all of them; if one of them dies, its last log lines
are printed and the others are stopped.

Standard library only (bot/env.py, bot/local_secrets.py and
bot/sqlite_files.py, which it uses, are too).
"""

from __future__ import annotations

import argparse
import ctypes
import errno
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot import env as settings  # noqa: E402 - standard library only; needs ROOT on the path
from bot import local_secrets  # noqa: E402
from bot.sqlite_files import DamagedDatabase, check_sqlite_file  # noqa: E402

DEFAULTS = {
    "BIND_HOST": "127.0.0.1",
    "ACTION_HOST": "localhost",
    "ACTION_PORT": "5055",
    "RASA_PORT": "5005",
    "CHAT_PORT": "8080",
    "STAFF_PORT": "8081",
    "NOTIFY_EVERY": "60",
    "VAR_DIR": str(ROOT / "var"),
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
    "RASA_TELEMETRY_ENABLED": "false",
}
# Where the data is, unless set: under VAR_DIR (filled in by apply_defaults).
VAR_DEFAULTS = {"TRACKER_DB": "tracker.db", "LEAD_DB": "leads.db", "SECRETS_DIR": "secrets"}
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def var_dir() -> Path:
    return Path(os.environ["VAR_DIR"])


def log_dir() -> Path:
    return var_dir() / "log"


def apply_defaults() -> None:
    """Fill in every unset (or empty) setting: DEFAULTS, then the paths under VAR_DIR."""
    for key, value in DEFAULTS.items():
        if not os.environ.get(key):
            os.environ[key] = value
    os.environ["VAR_DIR"] = str(Path(os.environ["VAR_DIR"]).expanduser().resolve())
    for key, name in VAR_DEFAULTS.items():
        if not os.environ.get(key):
            os.environ[key] = str(var_dir() / name)


STOP_GRACE_SECONDS = 10
RUN_MARKER = "===== "  # starts each run's section of a log file


class StartupError(Exception):
    """A problem the user can fix; printed without a traceback."""


@dataclass
class Service:
    name: str  # also the log file name
    title: str
    port_var: str | None  # None: a background worker without a port
    port: int | None
    cmd: list[str]
    health_path: str | None
    expect_text: str | None  # text the health response must contain
    timeout: float
    url_path: str = "/"
    extra_env: dict = field(default_factory=dict)
    health_headers: dict = field(default_factory=dict)
    proc: subprocess.Popen | None = None
    log_file: IO[bytes] | None = None
    ready: bool = False
    started_at: float = 0.0

    @property
    def log_path(self) -> Path:
        return log_dir() / f"{self.name}.log"


def say(msg: str) -> None:
    print(f"serve: {msg}", flush=True)


def env_port(name: str) -> int:
    """A port setting (bot/env.py), as a start-up error when it is unusable."""
    try:
        return settings.env_port(name, int(DEFAULTS[name]))
    except settings.SettingsError as exc:
        raise StartupError(str(exc)) from None


def local_host() -> str:
    """Host to reach our own servers at."""
    host = os.environ["BIND_HOST"]
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host


def public_host() -> str:
    """Host shown in the printed URLs."""
    host = os.environ["BIND_HOST"]
    return "localhost" if host in ("127.0.0.1", "0.0.0.0", "::", "") else host


def port_in_use(host: str, port: int) -> bool:
    """True if something already listens on the port (any interface)."""
    try:
        with socket.create_connection((local_host(), port), timeout=0.5):
            return True
    except OSError:
        pass
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        # Same as the servers do; ignores TIME_WAIT leftovers of a previous run
        # but still fails if another process listens.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return True
            if exc.errno == errno.EADDRNOTAVAIL:
                raise StartupError(f"BIND_HOST={host} is not an address of this machine") from None
            raise
    return False


def has_module(dotted: str) -> bool:
    """True if `python -m dotted` has something to run in the project root."""
    path = ROOT.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__main__.py").is_file()


def current_model(explicit: str | None) -> Path:
    if explicit:
        model = Path(explicit)
        if not model.is_file():
            raise StartupError(f"model {explicit} not found")
        return model
    if not (ROOT / "domain.yml").exists() and not (ROOT / "domain").is_dir():
        raise StartupError("domain.yml not found: the bot is not written yet, nothing to serve")
    result = subprocess.run(
        ["bash", str(ROOT / "scripts" / "train.sh"), "--model-path"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise StartupError(result.stderr.strip() or "scripts/train.sh --model-path failed")
    model = ROOT / result.stdout.strip()
    if not model.is_file():
        raise StartupError(
            f"no trained model for the current training data ({model.relative_to(ROOT)}).\n"
            "       Run `make train` first, or use `make run`, which trains when needed."
        )
    return model


MODEL_PLACEHOLDER = "<model>"
SECRET_ARGS = ("--auth-token",)  # their values are never written to a log


def chat_origins_for(chat_port: int) -> list[str]:
    """Origins the chat page is served from: CORS of the Rasa HTTP API and the
    only origins the socket.io channel accepts (CHAT_ORIGINS overrides)."""
    configured = [o.strip().rstrip("/") for o in os.environ.get("CHAT_ORIGINS", "").split(",") if o.strip()]
    if configured:
        return configured
    origins = [f"http://localhost:{chat_port}", f"http://127.0.0.1:{chat_port}"]
    if public_host() != "localhost":
        origins.append(f"http://{public_host()}:{chat_port}")
    return origins


def project_secret(name: str, path: Path | None = None) -> str:
    """A secret shared by the services (bot/local_secrets.py: the environment
    variable, else a random value kept owner-only in var/secrets/NAME)."""
    try:
        return local_secrets.secret(name, path)
    except local_secrets.SecretError as exc:
        raise StartupError(str(exc)) from None


def secret_location(name: str, path: Path | None = None) -> str:
    return local_secrets.where(name, path)


def internal_secrets() -> dict[str, str]:
    """The secrets every service gets in its environment: the same values on
    every replica when they come from the environment (docs/deployment.md)."""
    return {
        # The chat page signs socket tokens that the Rasa server's socket.io
        # channel checks: both get the same key.
        "CHAT_SESSION_SECRET": project_secret("CHAT_SESSION_SECRET"),
        # The Rasa server sends it to the action server (endpoints.yml).
        "ACTION_SERVER_TOKEN": project_secret("ACTION_SERVER_TOKEN"),
        # Trusted callers of the REST channel (DESIGN.md: var/rest_token).
        "REST_TOKEN": project_secret("REST_TOKEN", local_secrets.rest_token_path()),
    }


def plain_http_chat_cookie() -> str | None:
    """The chat cookie is Secure by default; a newcomer's browser on
    http://localhost must still keep it. When the chat page is served on
    loopback only and CHAT_COOKIE_SECURE is unset, the run sets it to 0 and
    says so (None: nothing changed)."""
    if os.environ.get("CHAT_COOKIE_SECURE", "").strip():
        return None
    if os.environ["BIND_HOST"] not in LOOPBACK:
        return None
    os.environ["CHAT_COOKIE_SECURE"] = "0"
    return (
        "the chat page is on loopback over plain HTTP, so its session cookie is not marked Secure "
        "(CHAT_COOKIE_SECURE=0); behind HTTPS it is Secure by default"
    )


def prepare_var() -> None:
    """var/ and var/log/ owner-only (data, logs and secrets are health data or keys)."""
    for folder in (var_dir(), log_dir()):
        try:
            local_secrets.private_dir(folder)
        except OSError as exc:
            raise StartupError(f"cannot create {folder}: {exc.strerror}") from None
    for path in log_dir().glob("*.log"):
        try:
            if path.stat().st_mode & 0o077:
                os.chmod(path, 0o600)
        except OSError:
            pass


def check_stores() -> None:
    """A damaged SQLite store stops the run before anything starts, naming the file."""
    for variable, what in (("LEAD_DB", "the lead store"), ("TRACKER_DB", "the conversation store")):
        target = os.environ[variable]
        if "://" in target:
            continue  # PostgreSQL: its own server checks it
        try:
            check_sqlite_file(Path(target), f"{what} ({variable})")
        except DamagedDatabase as exc:
            raise StartupError(str(exc)) from None


def printable(cmd: list[str]) -> str:
    shown = []
    for i, part in enumerate(cmd):
        shown.append("***" if i and cmd[i - 1] in SECRET_ARGS else part)
    return " ".join(shown)


def build_chat_page() -> None:
    """The chat page's browser files (socket.io client); a no-op when up to date."""
    result = subprocess.run(["bash", str(ROOT / "scripts" / "build_web.sh")], cwd=ROOT)
    if result.returncode != 0:
        raise StartupError("could not build the chat page's browser files (scripts/build_web.sh, see above)")


def build_services(args: argparse.Namespace) -> list[Service]:
    py = sys.executable
    host = os.environ["BIND_HOST"]
    chat_port = env_port("CHAT_PORT")
    chat_origins = chat_origins_for(chat_port)

    services = [
        Service(
            name="actions",
            title="action server",
            port_var="ACTION_PORT",
            port=env_port("ACTION_PORT"),
            cmd=[py, "-m", "actions.server", "--port", str(env_port("ACTION_PORT"))],
            health_path="/health",
            expect_text="ok",
            timeout=args.timeout,
            url_path="/webhook",
            # Like rasa_sdk, the action server reads its interface from SANIC_HOST.
            extra_env={"SANIC_HOST": host},
            # It answers nothing without the shared secret, its health check included.
            health_headers={"Authorization": f"Bearer {project_secret('ACTION_SERVER_TOKEN')}"},
        ),
    ]
    rasa_cmd = [
        py,
        "-m",
        "rasa",
        "run",
        "--model",
        MODEL_PLACEHOLDER,  # filled in once the model is known
        "--port",
        os.environ["RASA_PORT"],
        "--interface",
        host,
        "--endpoints",
        "endpoints.yml",
        "--credentials",
        "credentials.yml",
    ]
    if os.environ.get("RASA_ENABLE_API", "").lower() in ("1", "true", "yes"):
        # Never without a token: the API reads and rewrites any conversation.
        token = project_secret("RASA_API_TOKEN")
        say(
            f"RASA_ENABLE_API is set: the Rasa HTTP API is on; every request needs "
            f"?token=<RASA_API_TOKEN> (kept in {secret_location('RASA_API_TOKEN')})"
        )
        rasa_cmd += ["--enable-api", "--auth-token", token]
    rasa_cmd += ["--cors", *chat_origins]  # nargs="*": keep last
    services.append(
        Service(
            name="rasa",
            title="Rasa server",
            port_var="RASA_PORT",
            port=env_port("RASA_PORT"),
            cmd=rasa_cmd,
            # /status needs --enable-api; GET / answers "Hello from Rasa: <version>".
            health_path="/",
            expect_text="Hello from Rasa",
            timeout=args.timeout,
        )
    )
    for module, name, title, port_var, health in (
        ("web.chat", "chat", "patient chat page", "CHAT_PORT", "/"),
        ("web.staff", "staff", "staff dashboard", "STAFF_PORT", "/healthz"),
    ):
        if not has_module(module):
            say(f"{title} not built yet (no `python -m {module}` entry point): skipped")
            continue
        services.append(
            Service(
                name=name,
                title=title,
                port_var=port_var,
                port=env_port(port_var),
                cmd=[py, "-m", module],
                health_path=health,
                expect_text=None,
                timeout=60,
            )
        )
    # Staff notifications that failed are retried with back-off (bot/notify.py).
    services.append(
        Service(
            name="notifier",
            title="staff notifier",
            port_var=None,
            port=None,
            cmd=[py, "-m", "bot.staff", "notify-retry", "--every", str(notify_every())],
            health_path=None,
            expect_text=None,
            timeout=30,
        )
    )
    return services


def notify_every() -> int:
    try:
        return settings.env_int("NOTIFY_EVERY", int(DEFAULTS["NOTIFY_EVERY"]))
    except settings.SettingsError as exc:
        raise StartupError(str(exc)) from None


def check_ports(services: list[Service]) -> None:
    host = os.environ["BIND_HOST"]
    seen = {}
    for svc in services:
        if svc.port is None:
            continue
        if svc.port in seen:
            raise StartupError(f"{svc.port_var} and {seen[svc.port]} are both {svc.port}; give them different ports")
        seen[svc.port] = svc.port_var
        if port_in_use(host, svc.port):
            raise StartupError(
                f"port {svc.port} ({svc.title}) is already in use by another program "
                f"(is the assistant already running?).\n"
                f"       Stop that program, or pick another port, e.g. "
                f"`{svc.port_var}={svc.port + 10} make run`"
            )


def _die_with_parent() -> None:
    """In the child: get SIGTERM if serve.py itself dies (Linux only)."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:  # noqa: BLE001 - not Linux / no glibc: best effort only
        pass


def start(svc: Service, base_env: dict) -> None:
    env = dict(base_env, **svc.extra_env)
    svc.log_file = private_file(svc.log_path)
    svc.log_file.write(f"\n{RUN_MARKER}{time.strftime('%Y-%m-%d %H:%M:%S')} serve.py: {printable(svc.cmd)}\n".encode())
    svc.log_file.flush()
    svc.started_at = time.monotonic()
    svc.proc = subprocess.Popen(
        svc.cmd,
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=svc.log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # own process group: we stop it ourselves
        preexec_fn=_die_with_parent,
    )


def answers(svc: Service) -> bool:
    if svc.port is None:  # a worker: up once it has run for a moment without dying
        return svc.proc is not None and svc.proc.poll() is None and time.monotonic() - svc.started_at > 1.0
    url = f"http://{local_host()}:{svc.port}{svc.health_path}"
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=svc.health_headers), timeout=2) as resp:
            body = resp.read(4096).decode("utf-8", "replace")
            status = resp.status
    except urllib.error.HTTPError as exc:  # it answers, e.g. 401/404 on a login page
        body, status = "", exc.code
    except (OSError, ValueError):
        return False
    if svc.expect_text is not None:
        return status == 200 and svc.expect_text in body
    return status < 500


def tail(path: Path, lines: int = 30) -> str:
    """Last lines of this run's part of the log."""
    try:
        data = path.read_bytes()[-50000:].decode("utf-8", "replace")
    except OSError:
        return "(no log)"
    run = data.splitlines()
    for i in range(len(run) - 1, -1, -1):
        if run[i].startswith(RUN_MARKER):
            run = run[i + 1 :]
            break
    # Leave out the DeprecationWarnings Rasa 3.6's dependencies print at start-up
    # (each is a warning line plus an indented source line); they are still in the log.
    kept: list[str] = []
    skip_next = False
    for line in run:
        if skip_next and line.startswith("  "):
            skip_next = False
            continue
        skip_next = "DeprecationWarning" in line or "Implementing implicit namespace" in line
        if not skip_next:
            kept.append(line)
    return "\n".join(kept[-lines:]) or "(empty log)"


def report_death(svc: Service) -> None:
    code = svc.proc.returncode if svc.proc else None
    say(f"{svc.title} stopped unexpectedly (exit code {code}). Last lines of {shown(svc.log_path)}:")
    print("-" * 72)
    print(tail(svc.log_path))
    print("-" * 72, flush=True)


def stop_all(services: list[Service]) -> None:
    running = [s for s in services if s.proc and s.proc.poll() is None]
    if running:
        say("stopping " + ", ".join(s.title for s in running) + " ...")
    for svc in running:
        try:
            os.killpg(svc.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for svc in running:
        try:
            svc.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            say(f"{svc.title} did not stop in {STOP_GRACE_SECONDS}s; killing it")
            try:
                os.killpg(svc.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            svc.proc.wait()
    for svc in services:
        if svc.log_file:
            svc.log_file.close()
    if running:
        say("all stopped")


def first_dead(services: list[Service]) -> Service | None:
    for svc in services:
        if svc.proc and svc.proc.poll() is not None:
            return svc
    return None


def wait_ready(services: list[Service]) -> bool:
    """Poll until every service answers. False if one died or timed out."""
    t0 = time.monotonic()
    tty = sys.stdout.isatty()
    last_line = 0.0
    while True:
        dead = first_dead(services)
        if dead:
            if tty:
                print()
            report_death(dead)
            return False
        elapsed = time.monotonic() - t0
        for svc in services:
            if not svc.ready and answers(svc):
                svc.ready = True
                if tty:
                    print("\r\033[K", end="")
                say(f"{svc.title} is up ({elapsed:.0f}s)")
        waiting = [s for s in services if not s.ready]
        if not waiting:
            return True
        late = [s for s in waiting if elapsed > s.timeout]
        if late:
            if tty:
                print()
            for svc in late:
                what = f"did not answer on port {svc.port}" if svc.port is not None else "did not start"
                say(f"{svc.title} {what} within {svc.timeout:.0f}s. Last lines of {shown(svc.log_path)}:")
                print("-" * 72)
                print(tail(svc.log_path))
                print("-" * 72, flush=True)
            return False
        names = ", ".join(s.title for s in waiting)
        if tty:
            print(f"\rserve: waiting for {names} ... {elapsed:.0f}s\033[K", end="", flush=True)
        elif elapsed - last_line >= 10 or last_line == 0:
            say(f"waiting for {names} ... {elapsed:.0f}s")
            last_line = elapsed or 0.001
        time.sleep(0.5)


def shown(path: Path) -> str:
    return str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


def private_file(path: Path):
    from bot.safe_logging import private_file as open_private

    return open_private(path)


def print_urls(services: list[Service], notes: list[str], rest_token: str, rest_where: str) -> None:
    host = public_host()
    by_name = {s.name: s for s in services}
    print()
    print("The pre-screening assistant is running:")
    if "chat" in by_name:
        print(f"  patient chat page   http://{host}:{by_name['chat'].port}/")
    if "staff" in by_name:
        print(f"  staff dashboard     http://{host}:{by_name['staff'].port}/")
    rasa_port = by_name["rasa"].port
    print(f"  Rasa REST channel   POST http://{host}:{rasa_port}/webhooks/rest/webhook  (trusted callers only)")
    print(f"  Rasa socket.io      http://{host}:{rasa_port}/socket.io")
    print(f"  action server       http://{host}:{by_name['actions'].port}/webhook  (the Rasa server only)")
    if "notifier" in by_name:
        print(f"  staff notifier      sends due notifications every {os.environ['NOTIFY_EVERY']} s")
    print(f"Logs: {shown(log_dir())}/*.log   Conversations: {os.environ['TRACKER_DB']}")
    print(f"REST channel: send 'Authorization: Bearer {rest_token}' (REST_TOKEN, from {rest_where})")
    for note in notes:
        print(f"Note: {note}")
    for reminder in deployment_reminders():
        print(f"Before going live: {reminder}")
    print("Press Ctrl-C to stop.", flush=True)


def deployment_reminders() -> list[str]:
    """What a site must still set up; a check that fails must not stop the services."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    reminders = []
    try:
        from bot.trial import load_trial

        for field_name in load_trial().unset_contact_fields():
            variable = f"TRIAL_CONTACT_{field_name.upper()}"
            reminders.append(f"set {variable}: people are shown a placeholder instead of the study team's {field_name}")
    except Exception as exc:  # noqa: BLE001 - a reminder, not a start-up check
        reminders.append(f"could not check the trial contact ({type(exc).__name__})")
    try:
        from bot.store.accounts import StaffAccounts

        if not StaffAccounts().has_users():
            reminders.append("no staff account yet: .venv/bin/python -m bot.staff user add NAME")
    except Exception as exc:  # noqa: BLE001 - a reminder, not a start-up check
        reminders.append(f"could not check staff accounts ({type(exc).__name__})")
    return reminders


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="model archive (default: models/<hash of the current training data>.tar.gz)")
    parser.add_argument(
        "--timeout",
        type=float,
        default=float(os.environ.get("SERVE_TIMEOUT", "180")),
        help="seconds to wait for the Rasa and action servers (default 180, env SERVE_TIMEOUT)",
    )
    args = parser.parse_args()
    if args.model:
        args.model = str(Path(args.model).resolve())
    return args


def stop_on_signals() -> None:
    """SIGTERM, SIGINT and SIGHUP stop the services once (a second signal is not an error)."""
    stopping = False

    def on_signal(signum, _frame):
        nonlocal stopping
        if not stopping:
            stopping = True
            raise KeyboardInterrupt

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, on_signal)


def prepared_services(args: argparse.Namespace) -> tuple[list[Service], Path, list[str]]:
    """Check the installation, the ports and the stores; the services to start, the model
    and the notes for the operator. Raises StartupError with what to do."""
    if importlib.util.find_spec("rasa") is None or importlib.util.find_spec("rasa_sdk") is None:
        raise StartupError(
            f"rasa is not installed for {sys.executable}.\n"
            "       Run `make run` (or `make setup` and then .venv/bin/python scripts/serve.py)."
        )
    prepare_var()
    notes = [note for note in (plain_http_chat_cookie(),) if note]
    services = build_services(args)
    check_ports(services)
    check_stores()
    if not (ROOT / "actions" / "__init__.py").is_file() and not (ROOT / "actions.py").is_file():
        raise StartupError("the actions package (actions/__init__.py) is not written yet")
    model = current_model(args.model)
    for svc in services:
        svc.cmd = [str(model) if part == MODEL_PLACEHOLDER else part for part in svc.cmd]
    for variable in ("TRACKER_DB", "LEAD_DB"):
        if "://" not in os.environ[variable]:
            local_secrets.private_dir(Path(os.environ[variable]).parent)
    return services, model, notes


def service_environment() -> dict:
    """The environment every service starts with: the project on the path, where Rasa
    is, the internal secrets and the chat page's origins."""
    base_env = dict(os.environ)
    base_env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    # For the web pages: where the Rasa server is.
    base_env.setdefault("RASA_URL", f"http://{public_host()}:{os.environ['RASA_PORT']}")
    base_env.update(internal_secrets())
    # The chat page and the socket.io channel accept the same origins.
    base_env["CHAT_ORIGINS"] = ",".join(chat_origins_for(env_port("CHAT_PORT")))
    return base_env


def supervise(services: list[Service]) -> int:
    """Wait until a service dies (then stop the others and fail)."""
    while True:
        dead = first_dead(services)
        if dead:
            report_death(dead)
            stop_all(services)
            return 1
        time.sleep(1)


def main() -> int:
    args = parse_args()
    apply_defaults()
    os.chdir(ROOT)
    services: list[Service] = []
    stop_on_signals()
    try:
        services, model, notes = prepared_services(args)
        rest_where = secret_location("REST_TOKEN", local_secrets.rest_token_path())
        base_env = service_environment()
        if any(svc.name == "chat" for svc in services):
            build_chat_page()
        say(f"model {model.relative_to(ROOT) if model.is_relative_to(ROOT) else model}")
        for svc in services:
            where = f"on port {svc.port}" if svc.port is not None else "in the background"
            say(f"starting {svc.title} {where} (log: {shown(svc.log_path)})")
            start(svc, base_env)
        if not wait_ready(services):
            stop_all(services)
            return 1
        print_urls(services, notes, base_env["REST_TOKEN"], rest_where)
        return supervise(services)
    except StartupError as exc:
        say(f"error: {exc}")
        stop_all(services)
        return 1
    except KeyboardInterrupt:
        print()
        stop_all(services)
        return 0
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)


if __name__ == "__main__":
    sys.exit(main())
