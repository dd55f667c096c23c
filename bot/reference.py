"""The reference number a person is given at the end, and staff search by.

Derived from the screening id (a random 128-bit hex id), so it needs no
storage of its own: eight characters in two groups, "7F3A-9C21".
"""

from __future__ import annotations

import re

_REFERENCE = re.compile(r"^\s*#?\s*([0-9a-f]{4})\s*-?\s*([0-9a-f]{4})\s*$", re.I)


def reference_number(screening_id: object) -> str:
    """The first 8 characters of the screening id, upper-case, as XXXX-XXXX."""
    head = re.sub(r"[^0-9A-Za-z]", "", str(screening_id or ""))[:8].upper()
    return f"{head[:4]}-{head[4:]}" if len(head) == 8 else head


def reference_prefix(text: str) -> str | None:
    """The screening-id prefix a typed reference number stands for ("7f3a 9c21" -> "7f3a9c21")."""
    match = _REFERENCE.match(text or "")
    return (match.group(1) + match.group(2)).lower() if match else None
