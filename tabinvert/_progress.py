"""Progress of a long run that a person can follow: stage messages through :mod:`logging` (the
``"tabinvert"`` logger, silent unless configured), and a bar over the run's steps (attribute ×
attack × population, and defense) with an ETA, drawn by ``tqdm`` when it is installed
(``pip install "tabinvert[progress]"``) and stderr is a terminal.
"""

from __future__ import annotations

import logging
import sys

logger = logging.getLogger("tabinvert")
logger.addHandler(logging.NullHandler())  # a library is silent until its user configures it


class RunProgress:
    """Stage messages and one bar over the steps of a run.

    Parameters
    ----------
    bar : bool
        Draw a bar with an ETA (when ``tqdm`` is installed and stderr is a terminal).
    callback : callable, default=None
        Called with each stage message (they also go to the ``"tabinvert"`` logger at INFO,
        each step at DEBUG).
    """

    def __init__(self, bar=False, callback=None):
        self.bar = bar
        self.callback = callback
        self._bar = None

    def stage(self, message):
        """A stage of the run, in words."""
        logger.info(message)
        if self.callback is not None:
            self.callback(message)

    def expect(self, steps):
        """Add ``steps`` steps to the bar's total (the run learns them as it goes)."""
        if not self.bar or steps <= 0:
            return
        if self._bar is None:
            try:
                from tqdm.auto import tqdm
            except ImportError:
                logger.debug('pip install "tabinvert[progress]" for a bar with an ETA')
                self._bar = False
                return
            # disable=None: no bar when stderr is not a terminal (a log file, CI).
            self._bar = tqdm(total=0, unit="step", file=sys.stderr, disable=None, leave=False)
        if self._bar:
            self._bar.total += steps
            self._bar.refresh()

    def step(self, description):
        """One step done (an attack on a population, under a defense)."""
        logger.debug("done: %s", description)
        if self._bar:
            self._bar.set_postfix_str(description[:60], refresh=False)
            self._bar.update()

    def close(self):
        if self._bar:
            self._bar.close()
        self._bar = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def _print_stage(message):
    print(f"tabinvert: {message}", file=sys.stderr, flush=True)


def as_progress(progress):
    """A :class:`RunProgress` from ``assess``' ``progress`` argument: None or False (silent),
    True (a bar and stage lines on stderr), or a callable (called with each stage message)."""
    if isinstance(progress, RunProgress):
        return progress
    if progress is None or progress is False:
        return RunProgress()
    if progress is True:
        return RunProgress(bar=True, callback=_print_stage)
    return RunProgress(callback=progress)
