"""Shared fixtures: a PostgreSQL server for the tests that run the lead store
on it too (started once per test session, on a free loopback port)."""

from __future__ import annotations

import itertools

import pytest
from local_services import Postgres, ServiceUnavailable, need

_database_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def postgres_server():
    try:
        server = Postgres()
    except ServiceUnavailable as exc:
        need("PostgreSQL", str(exc))
    with server:
        yield server


@pytest.fixture
def postgres_url(postgres_server) -> str:
    """A new, empty database on the session's PostgreSQL server."""
    return postgres_server.create_database(f"test_{next(_database_numbers)}")
