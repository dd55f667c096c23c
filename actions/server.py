"""The action server, for the Rasa server only: ``python -m actions.server``.

rasa_sdk's own Sanic app (the same /webhook, /actions and /health) with the
doors closed (SECURITY.md "Internal calls"):

- every request must carry ``Authorization: Bearer <ACTION_SERVER_TOKEN>``,
  the secret the Rasa server sends (endpoints.yml; bot/local_secrets.py: the
  environment, else ``var/secrets/ACTION_SERVER_TOKEN``). Anything else gets
  401 before its body is read, and one log line (at most ten a minute).
  /health too: a load balancer's check sends the header like the Rasa server;
- no CORS (rasa_sdk allows every origin by default): no browser needs it;
- an action that raises is logged by its error type only, and answered with a
  bare 500 (rasa_sdk's handler logs the request and sends its body back:
  the whole conversation);
- request bodies up to ``MAX_BODY`` (a long conversation's tracker is well
  under 1 MB);
- the lead store's writes are audited as "action-server"
  (bot/store/leads.py), and a damaged SQLite lead store stops the start with
  one line naming the file.

Same options as ``rasa run actions`` where they apply: ``--port`` (5055),
``--actions`` (this package), ``--debug``. Listens on ``SANIC_HOST``
(``BIND_HOST`` when started by scripts/serve.py).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import Any

from rasa_sdk import utils
from rasa_sdk.constants import DEFAULT_SERVER_PORT
from rasa_sdk.endpoint import create_app
from sanic import Sanic, response
from sanic.exceptions import SanicException
from sanic.request import Request

from bot import safe_logging
from bot.local_secrets import SecretError, bearer_matches, secret
from bot.sqlite_files import DamagedDatabase, check_sqlite_file
from bot.store import config, leads

logger = logging.getLogger("actions.server")
TOKEN_NAME = "ACTION_SERVER_TOKEN"
MAX_BODY = 8 * 1024 * 1024
throttle = safe_logging.Throttle(per_minute=10)


class NoToken(SanicException):
    status_code = 401
    quiet = True
    headers = {"WWW-Authenticate": "Bearer"}


def build_app(token: str, package: str = "actions") -> Sanic:
    """rasa_sdk's app for ``package``, refusing every request without ``token``."""
    if len(token or "") < 32:
        raise SecretError(f"{TOKEN_NAME} must be at least 32 characters long")
    app = create_app(package, cors_origins=None)
    app.config.REQUEST_MAX_SIZE = MAX_BODY

    @app.signal("http.routing.after")
    async def authenticate(request: Request, route: Any, kwargs: Any, handler: Any) -> None:
        # After routing, before the body is read: a refused caller sends nothing more.
        if not bearer_matches(request.headers.get("authorization"), token):
            throttle.log(
                logger, logging.WARNING, "unauthenticated", "refused an action-server request without a valid token"
            )
            if request.stream is not None:
                request.stream.request_max_size = 0
            raise NoToken("unauthorized")

    @app.middleware("request")
    async def authenticated_only(request: Request) -> response.HTTPResponse | None:
        # The signal above refuses first; this also covers any route it would miss.
        if not bearer_matches(request.headers.get("authorization"), token):
            return response.json({"error": "unauthorized"}, status=401, headers={"WWW-Authenticate": "Bearer"})
        return None

    async def failed(request: Request, exception: Exception) -> response.HTTPResponse:
        if isinstance(exception, SanicException) and (exception.status_code or 500) < 500:
            return response.json(
                {"error": exception.__class__.__name__},
                status=exception.status_code,
                headers=getattr(exception, "headers", None),
            )
        logger.error("an action failed (%s)", type(exception).__name__)
        return response.json({"error": "internal error"}, status=500)

    app.error_handler.add(Exception, failed)
    return app


def check_lead_store() -> None:
    """A damaged SQLite lead store stops the start with one line naming it."""
    target = config.lead_db_path()
    if isinstance(target, Path):
        check_sqlite_file(target, "the lead store (LEAD_DB)")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-p", "--port", type=int, default=DEFAULT_SERVER_PORT, help="port (default 5055)")
    parser.add_argument("--actions", default="actions", help="package of the actions (default: actions)")
    parser.add_argument(
        "--debug", action="store_true", help="log at DEBUG (never in production: Rasa SDK logs trackers)"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    level = logging.DEBUG if args.debug else logging.INFO
    logging.getLogger("matplotlib").setLevel(logging.WARN)
    utils.configure_colored_logging(level)
    utils.update_sanic_log_level()
    safe_logging.withhold_warning_text()
    try:
        check_lead_store()
        token = secret(TOKEN_NAME)
        app = build_app(token, args.actions)
    except (SecretError, DamagedDatabase) as error:
        print(f"action server: {error}", file=sys.stderr)
        return 2
    leads.set_process_actor("action-server")  # who the lead store's audit rows name

    @app.listener("after_server_start")
    async def now_serving(_app: Sanic, _loop: Any) -> None:
        safe_logging.serving()

    host = os.environ.get("SANIC_HOST") or os.environ.get("BIND_HOST") or "127.0.0.1"
    logger.info("action server on http://%s:%d/webhook (requests need %s)", host, args.port, TOKEN_NAME)
    app.run(host, args.port, workers=utils.number_of_sanic_workers(), access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
