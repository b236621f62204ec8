"""A per-process cap on the sparse-matrix non-zeros being built at once.

One conv-matrix request may build up to MAX_NONZEROS entries. Building and
checking them took 98 to 131 bytes each (measured: 215 MB for 2.3 million,
420 to 500 MB for 3.8 million), so up to about 500 MB at the limit. Requests
reserve their count here first, so that many large ones at once wait for each
other instead of taking the process's memory together. Small ones pass freely.
"""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio

from cnnvis.errors import CnnvisError

logger = logging.getLogger(__name__)


class ServerBusyError(CnnvisError):
    status_code = 503
    error_type = "busy"


class NonzeroBudget:
    """Non-zeros that requests may build at once, each request waiting for its share."""

    def __init__(self, total: int, wait_s: float) -> None:
        self.total = total
        self.wait_s = wait_s
        self.in_use = 0
        self._changed = anyio.Condition()

    @asynccontextmanager
    async def reserve(self, nonzeros: int) -> AsyncIterator[None]:
        """Hold `nonzeros` of the budget for the block, waiting up to wait_s for them."""
        # A request larger than the whole budget runs alone.
        share = min(nonzeros, self.total)
        async with self._changed:
            with anyio.move_on_after(self.wait_s) as waiting:
                while self.in_use + share > self.total:
                    await self._changed.wait()
            if waiting.cancelled_caught:
                logger.warning(
                    "conv-matrix budget busy nonzeros=%d in_use=%d total=%d",
                    nonzeros,
                    self.in_use,
                    self.total,
                )
                raise ServerBusyError(
                    f"the server is building other large matrices ({self.in_use:,} "
                    f"of its {self.total:,} non-zeros are in use); try again in a "
                    "few seconds, or ask for fewer channels or a smaller input",
                    loc=("body",),
                )
            self.in_use += share
        try:
            yield
        finally:
            with anyio.CancelScope(shield=True):
                async with self._changed:
                    self.in_use -= share
                    self._changed.notify_all()
