"""Drive many conversations at once over the REST channel and time every turn.

`concurrency` workers each take the next conversation and run it to its end,
so exactly that many conversations are in flight until the queue runs dry.
A turn is one POST /webhooks/rest/webhook; its latency is the time until the
response body has arrived (recorded for every answered turn, wrong answers
included; not for timeouts and refused connections). Turns go round-robin over
the deployment's URLs (one URL for a single Rasa server; several for replicas).

An error ends its conversation and is counted once: a non-200 response, an
exception or timeout, an empty reply, the "please try again" reply of a
failed turn, a question the script has no answer for, or no end within
max_turns.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import aiohttp

from .conversations import TURN_FAILED, Conversation, ScriptError


@dataclass
class Turn:
    kind: str
    seconds: float


@dataclass
class Failure:
    sender: str
    kind: str
    turn: int
    error: str
    detail: str


@dataclass
class LoadResult:
    turns: list[Turn] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    turns_per_conversation: dict[str, int] = field(default_factory=dict)
    completed: int = 0
    wall_seconds: float = 0.0


class _TurnError(Exception):
    def __init__(self, error: str, detail: str = ""):
        super().__init__(error)
        self.error, self.detail = error, detail


async def _post(session: aiohttp.ClientSession, url: str, sender: str, message: str) -> list[str]:
    async with session.post(url, json={"sender": sender, "message": message}) as response:  # session headers: the token
        body = await response.read()
        if response.status != 200:
            raise _TurnError(f"HTTP {response.status}", body[:200].decode("utf-8", "replace"))
    try:
        replies = json.loads(body)
    except ValueError:
        raise _TurnError("not JSON", body[:200].decode("utf-8", "replace")) from None
    if not isinstance(replies, list):
        raise _TurnError("not a list of messages", repr(body[:200]))
    texts = [m.get("text") or "" for m in replies if isinstance(m, dict)]
    if not any(texts):
        raise _TurnError("empty reply", repr(body[:200]))
    if any(TURN_FAILED in text for text in texts):
        raise _TurnError("turn failed in server", texts[-1][:200])
    return texts


async def _run_one(
    conversation: Conversation,
    session: aiohttp.ClientSession,
    urls: itertools.cycle,
    max_turns: int,
    result: LoadResult,
    on_turn: Callable[[LoadResult], None],
) -> None:
    said: list[str] = []
    sent = 0
    try:
        while True:
            try:
                message = conversation.next_message(said)
            except ScriptError as error:
                raise _TurnError("unexpected bot message", str(error)) from None
            if message is None:
                result.completed += 1
                return
            if sent >= max_turns:
                raise _TurnError("no end", f"still going after {max_turns} turns")
            started = time.perf_counter()
            sent += 1
            try:
                said = await _post(session, next(urls), conversation.sender, message)
            except _TurnError:
                # answered, but wrongly: its time still counts
                result.turns.append(Turn(conversation.kind, time.perf_counter() - started))
                raise
            except asyncio.TimeoutError:
                raise _TurnError("timeout") from None
            except (aiohttp.ClientError, OSError) as error:
                raise _TurnError(type(error).__name__, str(error)[:200]) from None
            result.turns.append(Turn(conversation.kind, time.perf_counter() - started))
            on_turn(result)
    except _TurnError as error:
        result.failures.append(Failure(conversation.sender, conversation.kind, sent, error.error, error.detail))
    finally:
        result.turns_per_conversation[conversation.sender] = sent


async def _drive(
    conversations: Sequence[Conversation],
    urls: Sequence[str],
    concurrency: int,
    max_turns: int,
    turn_timeout: float,
    on_done: Callable[[LoadResult], None],
    on_turn: Callable[[LoadResult], None],
    headers: dict[str, str],
) -> LoadResult:
    result = LoadResult()
    queue: asyncio.Queue[Conversation] = asyncio.Queue()
    for conversation in conversations:
        queue.put_nowait(conversation)
    url_cycle = itertools.cycle(urls)
    timeout = aiohttp.ClientTimeout(total=turn_timeout)
    connector = aiohttp.TCPConnector(limit=max(concurrency, 1) * 2, force_close=False)

    async with aiohttp.ClientSession(timeout=timeout, connector=connector, headers=headers) as session:

        async def worker() -> None:
            while True:
                try:
                    conversation = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                await _run_one(conversation, session, url_cycle, max_turns, result, on_turn)
                on_done(result)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(max(1, min(concurrency, len(conversations))))))
        result.wall_seconds = time.perf_counter() - started
    return result


def drive(
    conversations: Sequence[Conversation],
    urls: Sequence[str],
    concurrency: int,
    max_turns: int,
    turn_timeout: float,
    on_done: Callable[[LoadResult], None] | None = None,
    on_turn: Callable[[LoadResult], None] | None = None,
    headers: dict[str, str] | None = None,
) -> LoadResult:
    """Run every conversation to its end, `concurrency` at a time; blocking.
    on_done / on_turn are called after each finished conversation / answered turn;
    every turn is sent with `headers` (our REST channel's token)."""

    def nothing(_result: LoadResult) -> None:
        pass

    return asyncio.run(
        _drive(
            conversations,
            urls,
            concurrency,
            max_turns,
            turn_timeout,
            on_done or nothing,
            on_turn or nothing,
            headers or {},
        )
    )
