"""A host's turns, shared by every worker that crawls it: the arithmetic of the per-host gate.

Pure: a host's state is a small value (`HostTurns`) that the shell keeps in Redis and changes in
one atomic step (crawler.downloader.polite); the clock is the caller's (Redis's, the same for
every machine). A request takes a turn before it is sent and ends it when its answer (or its
failure) is back:

- at most `concurrency` turns are held at once (a turn is a short lease, `lease` seconds, that
  its live worker renews while the request is in flight, `renew_turns`: a long download keeps
  its turn, and a killed or frozen worker's turns free themselves within a lease);
- a turn starts no sooner than `delay` (the asker's) after the host's latest turn started and
  after the latest turn ended: the server sees no two requests less than `delay` apart, whatever
  the network added between a worker's start and the request's arrival (with one turn at a
  time, a request arrives before its answer ends its turn).

The delay of a request is the larger of DOWNLOAD_DELAY, the host's robots.txt Crawl-delay and
the asking worker's own AutoThrottle delay (`host_delay`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

__all__ = ["HostTurns", "Turn", "end_turn", "host_delay", "renew_turns", "take_turn"]


@dataclass
class HostTurns:
    """One host's state: the latest moment a turn started (or is to start) or ended, the turns
    held (holder: expiry) and the askers waiting, first come first (holder: expiry)."""

    last: float = float("-inf")
    held: dict[str, float] = field(default_factory=dict)
    waiting: dict[str, float] = field(default_factory=dict)

    def dumps(self) -> str:
        return json.dumps({"last": self.last if self.last > float("-inf") else None, "held": self.held,
                           "waiting": self.waiting}, separators=(",", ":"))

    @classmethod
    def loads(cls, data: str | bytes | None) -> HostTurns:
        if not data:
            return cls()
        value = json.loads(data)
        last = value.get("last")
        return cls(float("-inf") if last is None else float(last),
                   {str(k): float(v) for k, v in value.get("held", {}).items()},
                   {str(k): float(v) for k, v in value.get("waiting", {}).items()})


@dataclass(frozen=True)
class Turn:
    """The answer to a request for a turn: granted (`start`: when, on the shared clock), or not
    yet (`retry_in` seconds: all turns are held)."""

    start: float | None
    retry_in: float = 0.0

    @property
    def granted(self) -> bool:
        return self.start is not None


def host_delay(download_delay: float, crawl_delay: float | None = None, throttle_delay: float | None = None) -> float:
    """The gap a host is given between requests: the largest of the configured delay, the host's
    robots.txt Crawl-delay and the worker's AutoThrottle delay."""
    return max(download_delay, crawl_delay or 0.0, throttle_delay or 0.0, 0.0)


def take_turn(state: HostTurns, now: float, holder: str, *, delay: float, concurrency: int, lease: float,
              poll: float = 0.1) -> tuple[HostTurns, Turn]:
    """Ask at `now` for a turn `delay` after the host's latest start or end: the new state and
    the answer. A granted turn is held from now (it is in flight while it waits for its start),
    so more than `concurrency` turns are never promised at once. Askers are served in the order
    they first asked (a worker whose request just ended does not jump the queue); one that stops
    asking for ten polls has given up and leaves it."""
    held = {h: until for h, until in state.held.items() if until > now}
    waiting = {h: until for h, until in state.waiting.items() if until > now}
    ahead = list(waiting).index(holder) if holder in waiting else len(waiting)
    if len(held) + ahead >= max(1, concurrency):
        waiting[holder] = now + 10 * poll  # keeps its place (dicts keep their order)
        soonest = min(held.values(), default=now + poll) - now
        return HostTurns(state.last, held, waiting), Turn(None, max(0.0, min(poll, soonest)))
    waiting.pop(holder, None)
    start = max(now, state.last + delay)
    held[holder] = start + lease
    return HostTurns(start, held, waiting), Turn(start)


def end_turn(state: HostTurns, now: float, holder: str) -> HostTurns:
    """The turn's request is answered (or failed) at `now`: its place frees, and the host's next
    turn is counted from this answer at the earliest."""
    held = {h: until for h, until in state.held.items() if h != holder and until > now}
    return HostTurns(max(state.last, now) if holder in state.held else state.last, held, state.waiting)


def renew_turns(state: HostTurns, now: float, holders: Iterable[str], lease: float) -> HostTurns:
    """The holders' worker is alive at `now`: each of their turns still held lasts at least
    `lease` seconds more. A turn that has expired stays expired (its place may be another's
    already); so do other holders' turns."""
    mine = set(holders)
    held = {h: max(until, now + lease) if h in mine else until for h, until in state.held.items() if until > now}
    return HostTurns(state.last, held, state.waiting)
