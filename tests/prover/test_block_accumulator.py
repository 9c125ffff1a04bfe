"""`prover.block_accumulator`: the acc after a block's last transaction holds what py-evm put in
the header (stateRoot, gasUsed, transactionsRoot, receiptsRoot, logsBloom), for blocks with
deposits (the L1-info deposit's receipt carries depositNonce and depositReceiptVersion), transfers
and a contract's log (test_dispute_played's chain); and each step's trie witness is enough for
`HexaryTrie` to insert `rlp(k)` into the tries of 0..k-1."""

from __future__ import annotations

import rlp
from eth_utils import keccak
from trie import HexaryTrie

from prover.block_accumulator import Acc, accumulators, initial_acc, receipt_logs_rlp, step_witness
from prover.dispute_block import dispute_block
import pytest

from genesis.dev_accounts import dev_accounts
from node.chain import Chain
from node.vm import LantauVM
from prover.faults import forged_deposit
from tests.prover.test_witness import GENESIS, DEPOSITOR, build, deposit, signed
from tests.prover.test_witness import chain as witness_chain  # noqa: F401 (blocks with deposits, legacy, calls)


@pytest.fixture(scope="module")
def chain(witness_chain: Chain) -> Chain:  # noqa: F811
    """test_witness's two blocks, then one whose deposit withdraws (a `MessagePassed` log: a bloom)."""
    withdrawing = LantauVM.get_transaction_builder().decode(forged_deposit(dev_accounts()[7].address, 10**15))
    build(witness_chain, [signed(1, 3, to=dev_accounts()[2].address, value=5)],
          deposits=[deposit(3, to=DEPOSITOR, mint=1), withdrawing])
    return witness_chain


def test_the_last_acc_holds_the_headers_execution_fields(chain: Chain) -> None:
    blooms_seen = 0
    for number in range(1, int(chain.head.block_number) + 1):
        header = chain.header_by_number(number)
        parent = chain.header_by_number(number - 1)
        block = dispute_block(chain, number)
        accs = block.accs()
        assert len(accs) == len(block.tx_hashes) >= 2
        assert block.raw_transactions[0][0] == 0x7E  # the L1-info deposit: a deposit receipt
        assert len(rlp.decode(block.raw_receipts[0][1:])) == 6
        last = accs[-1]
        assert (last.state_root, last.cumulative_gas_used, last.transactions_root, last.receipts_root,
                last.logs_bloom) == (header.state_root, header.gas_used, header.transaction_root,
                                     header.receipt_root, header.bloom.to_bytes(256, "big"))
        assert [a.state_root for a in accs] == list(block.state_roots)
        assert block.claims() == tuple(a.claim() for a in accs)
        assert Acc.decode(last.encode()) == last
        assert block.acc_before(0, parent.state_root) == initial_acc(parent.state_root)
        assert block.acc_before(len(accs) + 3, parent.state_root) == last  # padding: the last acc
        blooms_seen += header.bloom != 0
        # gas grows by each receipt's own gas: cumulative, strictly increasing
        assert all(a.cumulative_gas_used < b.cumulative_gas_used for a, b in zip(accs, accs[1:]))
    assert blooms_seen > 0  # some block logs something, so the bloom is checked for real


def test_a_step_witness_lets_the_tries_grow_by_one(chain: Chain) -> None:
    block = dispute_block(chain, 3)
    for k in range(len(block.raw_transactions)):
        tx_nodes, receipt_nodes, logs, _ = step_witness(block.raw_transactions, block.raw_receipts, k)
        assert logs == receipt_logs_rlp(block.raw_receipts[k])
        pre = block.acc_before(k, chain.header_by_number(2).state_root)
        for nodes, root, value, expected in ((tx_nodes, pre.transactions_root, block.raw_transactions[k],
                                              block.accs()[k].transactions_root),
                                             (receipt_nodes, pre.receipts_root, block.raw_receipts[k],
                                              block.accs()[k].receipts_root)):
            trie = HexaryTrie({keccak(n): n for n in nodes}, root)
            trie[rlp.encode(k)] = value
            assert trie.root_hash == expected


def test_accumulators_refuse_lists_of_different_lengths() -> None:
    with pytest.raises(ValueError):
        accumulators(b"\x00" * 32, [b"\x01" * 32], [], [])
