"""A Qt-free event: the document tells its views what changed, as a Qt signal would.

The document lives below the GUI (no Qt), yet its views must redraw when it changes, in the
order they subscribed and on the thread that changed it (always the GUI thread: only views
change the document). A list of callbacks is all that takes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, ParamSpec

P = ParamSpec("P")


class Event(Generic[P]):
    """Callbacks called in the order they were connected, with the arguments of :meth:`emit`."""

    def __init__(self) -> None:
        self._callbacks: list[Callable[P, object]] = []

    def connect(self, callback: Callable[P, object]) -> None:
        self._callbacks.append(callback)

    def disconnect(self, callback: Callable[P, object]) -> None:
        self._callbacks.remove(callback)

    def emit(self, *args: P.args, **kwargs: P.kwargs) -> None:
        for callback in list(self._callbacks):  # a callback may disconnect itself
            callback(*args, **kwargs)
