"""Stage 2: retrieval keeps the batcher's inbox transactions only, and the block's deposits."""

from __future__ import annotations

import logging

import pytest
from eth_utils import to_canonical_address

from node.derive.retrieval import retrieve
from node.errors import TemporaryError
from tests.node.derive.l1_history import BATCH_INBOX, BATCHER, STRANGER, L1History, batcher_tx

ELSEWHERE = to_canonical_address("0x" + "0e" * 20)


def test_only_the_batchers_inbox_transactions_count(caplog: pytest.LogCaptureFixture) -> None:
    l1 = L1History()
    block = l1.append(100, mints=(5, 6), txs=[
        batcher_tx(b"\x00first"),
        batcher_tx(b"\x00stranger", sender=STRANGER),
        batcher_tx(b"\x00elsewhere", to=ELSEWHERE),
        batcher_tx(b"\x00blob", tx_type=3),
        batcher_tx(b"\x00second"),
    ])
    with caplog.at_level(logging.INFO, logger="lantau.derive"):
        data = retrieve(l1, block, batch_inbox=BATCH_INBOX, batcher_address=BATCHER)
    assert data.batcher_data == (b"\x00first", b"\x00second")
    assert [d.mint for d in data.deposits] == [5, 6]
    reasons = [r.getMessage() for r in caplog.records]
    assert "ignoring inbox transaction: not from the batcher" in reasons
    assert any("blob retrieval is not supported yet" in r for r in reasons)
    assert not any("elsewhere" in r for r in reasons)  # not an inbox transaction at all


def test_a_block_that_is_no_longer_canonical_is_retried_not_read() -> None:
    l1 = L1History()
    l1.append(100)
    block = l1.append(112, txs=[batcher_tx(b"\x00x")])
    l1.fork_at(1)
    l1.append(112, salt=b"fork")
    with pytest.raises(TemporaryError):
        retrieve(l1, block, batch_inbox=BATCH_INBOX, batcher_address=BATCHER)


def test_rpc_source_reads_inbox_transactions_with_senders_from_anvil() -> None:
    """bridge.l1_source.RpcL1Source against a real anvil: a batcher transaction, a stranger's
    and one to another address in one block; retrieval keeps the batcher's calldata only."""
    from web3 import Web3

    from bridge.anvil import AnvilError, AnvilProcess, anvil_binary
    from bridge.l1_source import RpcL1Source
    from genesis.dev_accounts import dev_accounts
    from node.derive.l1_source import L1BlockRef

    try:
        anvil_binary()
    except AnvilError as exc:
        pytest.skip(str(exc))
    batcher, stranger = dev_accounts()[9], dev_accounts()[8]
    with AnvilProcess() as anvil:
        w3 = Web3(Web3.HTTPProvider(anvil.rpc_url))
        w3.provider.make_request("evm_setAutomine", [False])
        inbox = Web3.to_checksum_address(BATCH_INBOX)
        for account, to, data in [(batcher, inbox, b"\x00from-batcher"), (stranger, inbox, b"\x00from-stranger"),
                                  (batcher, Web3.to_checksum_address(ELSEWHERE), b"\x00elsewhere")]:
            w3.eth.send_transaction({"from": account.address, "to": to, "data": data, "gas": 100_000})
        w3.provider.make_request("evm_mine", [])
        block = w3.eth.get_block("latest")
        source = RpcL1Source(w3, portal_address="0x" + "00" * 20)
        ref = source.block_by_number(block["number"])
        found = source.inbox_transactions(ref, BATCH_INBOX)
        assert [(tx.sender, tx.data) for tx in found] == [
            (to_canonical_address(batcher.address), b"\x00from-batcher"),
            (to_canonical_address(stranger.address), b"\x00from-stranger"),
        ]
        data = retrieve(source, ref, batch_inbox=BATCH_INBOX, batcher_address=to_canonical_address(batcher.address))
        assert data.batcher_data == (b"\x00from-batcher",) and data.deposits == ()
        stale = L1BlockRef(ref.number, bytes(32), ref.parent_hash, ref.timestamp, ref.base_fee)
        with pytest.raises(TemporaryError):
            source.inbox_transactions(stale, BATCH_INBOX)
