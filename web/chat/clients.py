"""Which client a request comes from, for the per-address limits of the
public chat (sessions on the chat page; connections and messages on the Rasa
server's socket.io channel).

- ``CHAT_TRUST_PROXY`` (0): how many reverse proxies of our own stand in
  front of the chat page and the Rasa server. 0: the address is the TCP
  peer's, and ``X-Forwarded-For`` is ignored (anyone can write it). N: the
  address is the N-th entry from the right of ``X-Forwarded-For`` (each of our
  proxies appends the address it saw; entries further left were written by
  the client and are not trusted); with fewer entries than that, the peer's.
- IPv6 addresses count per /64 (one home or phone gets a /64 and can pick any
  address inside it).
- :func:`address_key` is what the stores keep: a keyed hash, never the address.

Standard library only: the Rasa server imports this module.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress

from bot.env import env_int


def trusted_proxies() -> int:
    return env_int("CHAT_TRUST_PROXY", 0, minimum=0, maximum=5)


def client_address(peer: str | None, forwarded_for: str | None, proxies: int | None = None) -> str:
    """The client's address (IPv6: its /64), from the TCP peer and the
    X-Forwarded-For header, trusting ``proxies`` hops (default CHAT_TRUST_PROXY)."""
    hops = trusted_proxies() if proxies is None else proxies
    address = (peer or "").strip()
    if hops and forwarded_for:
        entries = [entry.strip() for entry in forwarded_for.split(",") if entry.strip()]
        if len(entries) >= hops:
            address = entries[-hops]
    return _normalised(address)


def _normalised(address: str) -> str:
    text = address.strip().strip("[]")
    if text.count(":") == 1 and "." in text:  # "1.2.3.4:5678"
        text = text.split(":", 1)[0]
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return text[:64] or "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def address_key(secret: str, address: str) -> str:
    """What is stored about an address: HMAC-SHA256 with the chat secret, 128 bits."""
    return hmac.new(secret.encode(), b"client-address\0" + address.encode(), hashlib.sha256).hexdigest()[:32]
