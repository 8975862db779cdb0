"""A bounded in-memory cache of built responses, by total bytes, whose concurrent misses share one build.

Evidence bundles weigh up to about 8 MB and take a second to build; the bundle of one outpoint under
one attestation never changes (reserves.evidence.service), so each is built at most once while it
stays cached, and requests arriving while it builds wait for that same build (single flight). The
build runs as a task of its own: a client that goes away does not cancel it for the others.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

DEFAULT_MAX_BYTES = 64 * 1024 * 1024
V = TypeVar("V")


class BoundedCache(Generic[V]):
    """Least recently used first out, holding values whose `size_of` adds up to at most `max_size`."""

    def __init__(self, max_size: int, size_of: Callable[[V], int]) -> None:
        self.max_size = max_size
        self.size_of = size_of
        self._items: OrderedDict[Hashable, V] = OrderedDict()
        self._size = 0
        self._building: dict[Hashable, asyncio.Task[V]] = {}
        self.builds = 0  # how many builds ran (tests and logs)

    @property
    def size(self) -> int:
        return self._size

    def __len__(self) -> int:
        return len(self._items)

    async def get(self, key: Hashable, build: Callable[[], Awaitable[V]]) -> V:
        """The cached value of `key`, else the result of the one running (or a new) `build()`.

        A failed build caches nothing: every waiter gets its exception, and the next call builds again.
        """
        hit = self._items.get(key)
        if hit is not None:
            self._items.move_to_end(key)
            return hit
        task = self._building.get(key)
        if task is None:
            task = asyncio.ensure_future(self._build(key, build))
            # Retrieved here too: a failed build whose requests all went away logs nothing.
            task.add_done_callback(lambda t: t.cancelled() or t.exception())
            self._building[key] = task
        return await asyncio.shield(task)

    async def _build(self, key: Hashable, build: Callable[[], Awaitable[V]]) -> V:
        try:
            self.builds += 1
            value = await build()
            self._put(key, value)
            return value
        finally:
            del self._building[key]

    def _put(self, key: Hashable, value: V) -> None:
        size = self.size_of(value)
        if size > self.max_size:
            return  # served, never cached: it would push out everything else
        self._items[key] = value
        self._size += size
        while self._size > self.max_size:
            _, old = self._items.popitem(last=False)
            self._size -= self.size_of(old)
