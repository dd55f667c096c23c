"""`python -m web.chat`: serve the chat page with waitress on BIND_HOST:CHAT_PORT."""

from __future__ import annotations

import logging
import os
import sys

from bot.local_secrets import SecretError
from web.chat.app import SOCKET_CLIENT, create_app
from web.chat.settings import SettingsError, chat_port


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if not SOCKET_CLIENT.is_file():
        print(
            "chat page: the socket.io client is not built (web/chat/static/vendor/socket.io.min.js); "
            "run scripts/build_web.sh",
            file=sys.stderr,
        )
        return 1
    try:
        app, port = create_app(), chat_port()
    except (SettingsError, SecretError) as error:
        print(f"chat page: {error}", file=sys.stderr)
        return 1
    from waitress import serve

    host = os.environ.get("BIND_HOST") or "127.0.0.1"
    print(f"chat page: http://{'localhost' if host in ('127.0.0.1', '0.0.0.0') else host}:{port}/", flush=True)
    serve(app, host=host, port=port, threads=4, ident=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
