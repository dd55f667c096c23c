"""HTTP security headers of the chat page.

The page runs only its own scripts and styles (no inline code, no CDN), may talk
only to itself and to the Rasa server, and may not be framed. Trusted Types with
no policy make the browser itself refuse any HTML-string sink (innerHTML and the
like), so chat text can only ever be inserted as text.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Response


def socket_sources(rasa_url: str) -> str:
    """The Rasa origin for connect-src, over HTTP(S) and WebSocket."""
    parts = urlsplit(rasa_url)
    secure = parts.scheme == "https"
    return f"{parts.scheme}://{parts.netloc} {'wss' if secure else 'ws'}://{parts.netloc}"


def content_security_policy(rasa_url: str) -> str:
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self'",
            f"connect-src 'self' {socket_sources(rasa_url)}",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
            "require-trusted-types-for 'script'",
            "trusted-types 'none'",
        ]
    )


def add_security_headers(response: Response, csp: str) -> Response:
    headers = response.headers
    headers["Content-Security-Policy"] = csp
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "no-referrer"
    headers["X-Frame-Options"] = "DENY"  # frame-ancestors for old browsers
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()"
    return response
