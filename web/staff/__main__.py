"""`python -m web.staff`: serve the staff dashboard with waitress on BIND_HOST:STAFF_PORT."""

from __future__ import annotations

import logging
import os
import sys

from bot.local_secrets import SecretError
from bot.store import LeadStoreError


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from web.staff.app import create_app
    from web.staff.settings import SettingsError, staff_port

    try:
        app, port = create_app(), staff_port()
        accounts = app.extensions["staff_accounts"]
        if not accounts.has_users():
            print(
                "staff dashboard: no staff account exists yet; create one (it shows the second factor to\n"
                "add to an authenticator app) with\n"
                "    .venv/bin/python -m bot.staff user add NAME",
                flush=True,
            )
        if not accounts.require_totp:
            print(
                "staff dashboard: WARNING: STAFF_REQUIRE_TOTP=0: accounts without a second factor log in with a "
                "password alone (local testing only)",
                flush=True,
            )
    except (SettingsError, SecretError, LeadStoreError) as error:  # a bad STAFF_REQUIRE_TOTP too
        print(f"staff dashboard: {error}", file=sys.stderr)
        return 1
    from waitress import serve

    host = os.environ.get("BIND_HOST") or "127.0.0.1"
    shown = "localhost" if host in ("127.0.0.1", "0.0.0.0", "::") else host
    print(f"staff dashboard: http://{shown}:{port}/ (login required)", flush=True)
    serve(app, host=host, port=port, threads=4, ident=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
