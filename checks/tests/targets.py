"""A real local HTTP target that answers from a script: one reply per request, then a default."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable

from tests.servers import HttpTarget, Reply


class ScriptedTarget(HttpTarget):
    """HttpTarget whose next replies can be queued: request n gets script[n], later ones the default reply."""

    def __init__(self) -> None:
        self._script: deque[Reply] = deque()
        self._script_lock = threading.Lock()
        super().__init__()

    @property  # type: ignore[override]
    def reply(self) -> Reply:  # read by the handler once per request
        with self._script_lock:
            return self._script.popleft() if self._script else self._default

    @reply.setter
    def reply(self, value: Reply) -> None:
        self._default = value

    def queue(self, statuses: Iterable[int]) -> None:
        with self._script_lock:
            self._script.extend(Reply(status=status) for status in statuses)
