"""Progress of long work, step by step: a tqdm bar, a callback, or nothing.

The application functions (:func:`geocov.run_and_write`, :func:`geocov.run_analysis`,
:func:`geocov.write_outputs`, :func:`geocov.run_demo`, :func:`geocov.write_map`) take
``progress=``:

* ``False`` / ``None`` (the default): nothing is shown (library calls stay silent);
* ``True``: a bar (``tqdm.auto``: a text bar on a terminal, a widget in Jupyter) with the
  step under way and the time taken, ticking while a long step runs;
* a function ``progress(step, done, total)``: called when each step starts (``done``
  steps of ``total`` finished) and once at the end with ``done == total``;
* a :class:`Progress` already under way: the steps are added to it.

Steps are whole pieces of work (read one input, compute coverage, write one file), so
reporting costs nothing next to them; nothing here runs inside a numeric loop. The
``geocov`` commands turn the bar on unless ``-q``.

Examples
--------
>>> seen = []
>>> with Progress(lambda step, done, total: seen.append((step, done, total))) as p:
...     p.expect(2)
...     with p.step("reading units"):
...         pass
...     with p.step("computing coverage"):
...         pass
>>> seen
[('reading units', 0, 2), ('computing coverage', 1, 2), ('done', 2, 2)]
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any, Union

from .vocabulary import label

__all__ = ["Progress", "ProgressArg", "progress_for"]

ProgressArg = Union[bool, None, Callable[[str, int, int], Any], "Progress"]
_TICK_S = 0.5  # how often the bar's clock is redrawn while a long step runs


class Progress:
    """Steps of a run, shown on a tqdm bar or passed to a callback (see the module)."""

    def __init__(self, report: ProgressArg = None, *, desc: str = "geocov", lang: str = "en"):
        self.total = 0
        self.done = 0
        self.lang = lang
        self._callback: Callable[[str, int, int], Any] | None = None
        self._bar: Any = None
        self._desc = desc
        self._show = False  # a bar is made at the first step, when the total is known
        if isinstance(report, Progress):
            raise TypeError("use progress_for() to continue a Progress")
        if callable(report):
            self._callback = report
        elif report:
            self._show = True

    def _ensure_bar(self) -> None:
        if self._show and self._bar is None:
            from tqdm.auto import tqdm

            self._bar = tqdm(
                total=self.total,
                desc=self._desc,
                file=sys.stderr,
                dynamic_ncols=True,
                bar_format="{desc}: {n_fmt}/{total_fmt} [{elapsed}]{postfix}",
            )

    @property
    def active(self) -> bool:
        """Whether anything is shown or called."""
        return self._show or self._callback is not None

    def expect(self, n: int) -> None:
        """Add ``n`` steps to the total."""
        self.total += int(n)
        if self._bar is not None:
            self._bar.total = self.total
            self._bar.refresh()

    @contextlib.contextmanager
    def step(self, text: str) -> Iterator[None]:
        """One step: shown while the block runs, counted when it ends without error."""
        if self.done >= self.total:
            self.expect(1)
        self._ensure_bar()
        if self._callback is not None:
            self._callback(text, self.done, self.total)
        stop = threading.Event()
        ticker = None
        if self._bar is not None:
            self._bar.set_postfix_str(text)
            ticker = threading.Thread(target=self._tick, args=(stop,), daemon=True)
            ticker.start()
        try:
            yield
        finally:
            stop.set()
            if ticker is not None:
                ticker.join()
        self.done += 1
        if self._bar is not None:
            self._bar.update(1)

    def _tick(self, stop: threading.Event) -> None:
        while not stop.wait(_TICK_S):
            self._bar.refresh()

    def close(self) -> None:
        """End the run: the bar says done; the callback hears ``("done", total, total)``."""
        if self._callback is not None:
            self._callback(label("progress.done", self.lang), self.done, self.total)
            self._callback = None
        if self._bar is not None:
            self._bar.set_postfix_str(label("progress.done", self.lang))
            self._bar.close()
            self._bar = None
        self._show = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


@contextlib.contextmanager
def progress_for(progress: ProgressArg, *, steps: int, desc: str = "geocov") -> Iterator[Progress]:
    """A :class:`Progress` for ``steps`` more steps: ``progress`` itself if it is one
    already under way (its owner closes it), else a new one closed at the end.

    Examples
    --------
    >>> seen = []
    >>> with progress_for(lambda *a: seen.append(a), steps=1) as outer:
    ...     with progress_for(outer, steps=1) as inner:  # the same run, one more step
    ...         with inner.step("a"):
    ...             pass
    ...     with outer.step("b"):
    ...         pass
    >>> seen
    [('a', 0, 2), ('b', 1, 2), ('done', 2, 2)]
    """
    if isinstance(progress, Progress):
        progress.expect(steps)
        yield progress
        return
    with Progress(progress, desc=desc) as p:
        p.expect(steps)
        yield p
