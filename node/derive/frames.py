"""Stage 3, frames: batcher transaction data -> frames. Bad data is dropped with a reason.

A batcher transaction is all-or-nothing (node/channels.py): one malformed frame drops every
frame of that transaction, never the other transactions of the block.
"""

from __future__ import annotations

import logging
from typing import Iterable

from node.channels import Frame, decode_batcher_tx_data
from node.errors import MalformedBatcherTransaction

log = logging.getLogger("lantau.derive")


def frames_from_batcher_data(batcher_data: Iterable[bytes], *, l1_block: int) -> list[Frame]:
    frames: list[Frame] = []
    for index, data in enumerate(batcher_data):
        try:
            frames.extend(decode_batcher_tx_data(data))
        except MalformedBatcherTransaction as exc:
            log.warning(
                "dropping batcher transaction: %s", exc,
                extra={"l1_block": l1_block, "batcher_tx": index, "reason": type(exc).__name__},
            )
    return frames
