"""The first transfer after a record date writes the balance history (`RWAToken._write`) and
costs about twice what the same transfer cost one block earlier (issue 11, defect 8: estimated
73,196, mined 161,901). The SDK estimates at the inclusion block's time as well, so a transfer
sent while the latest block is stamped exactly at the record time still succeeds.

The L2 node builds a block per transaction, stamped max(wall clock, parent + 1 s). Fifteen
empty blocks in one batch put the chain ahead of the wall clock, so for the next seconds every
block is exactly its parent + 1 s and the test can place the latest block at the record time.
"""

from __future__ import annotations

from typing import Any

import pytest

from rwa import RWAClient
from tests.rwa.rwa_chain import HK_STOCK, Chain, RWASystem

pytestmark = pytest.mark.rwa_backends("l2")


def test_transfer_in_the_block_after_a_record_date_succeeds(chain: Chain, rwa: RWASystem) -> None:
    issuer = chain.new_address("record gas issuer", fund_wei=10**21)
    agent = chain.new_address("record gas agent", fund_wei=10**21)
    holder = chain.new_account("record gas holder")
    receiver = chain.new_address("record gas receiver")
    rwa.register([holder.address, receiver])
    token = rwa.create_asset(issuer=issuer, agents=[agent], name="Record Gas Co", symbol="RGAS", asset_class=HK_STOCK, decimals=0)
    chain.send(token.functions.mint(holder.address, 1_000), agent)
    chain.send(token.functions.mint(receiver, 1_000), agent)
    client = RWAClient(chain.w3, holder)

    answers: list[Any] = chain.w3.provider.make_batch_request([("admin_produceBlock", []) for _ in range(15)])  # type: ignore[arg-type]
    assert all("result" in a for a in answers), answers
    record_time = chain.now() + 2
    chain.send(token.functions.scheduleRecordTime(record_time), agent)  # mined at record_time - 1
    chain.w3.provider.make_request("admin_produceBlock", [])  # type: ignore[arg-type]
    assert chain.now() == record_time, "the chain fell behind the wall clock: the test cannot place its block"

    receipt = client.transfer(token.address, receiver, 10)

    block = chain.w3.eth.get_block(receipt["blockNumber"])
    assert block["timestamp"] == record_time + 1  # the block right after the record date
    assert receipt["status"] == 1 and receipt["gasUsed"] > 150_000  # the history writes happened
    assert token.functions.balanceOfAt(holder.address, record_time).call() == 1_000
    assert token.functions.balanceOfAt(receiver, record_time).call() == 1_000
    assert token.functions.balanceOf(holder.address).call() == 990
