"""The proof-cost rule through derivation: the sequencer includes a transaction at the devnet's
account cap and one past it; a verifier deriving from L1 alone gets the same blocks, with the
second transaction failed (status 0, whole gas limit) on both."""

from __future__ import annotations

from eth_account import Account
from eth_utils import keccak

from genesis.rollup_config import DEVNET_PROOF_COST_LIMITS
from node.chain import Chain
from node.derive.pipeline import DerivationPipeline
from node.vm import ProofCostExceeded
from prover.witness import block_proof_costs
from tests.harness.l1_history import L1History
from tests.node.derive.sequencing import ACCOUNTS, GENESIS, Batcher, config, sequence_block

GAS = 1_000_000


def creation_touching(accounts: int, nonce: int) -> bytes:
    """A creation whose init code reads the BALANCE of `accounts` fresh addresses: it touches
    sender + new contract + coinbase + those."""
    init_code = b"".join(b"\x73" + keccak(b"touch" + i.to_bytes(2, "big"))[:20] + b"\x31\x50" for i in range(accounts))
    tx = {"to": "", "data": init_code, "gas": GAS, "maxFeePerGas": 3 * 10**9, "maxPriorityFeePerGas": 1, "nonce": nonce,
          "chainId": GENESIS.chain_id, "type": 2, "value": 0}
    return bytes(Account.sign_transaction(tx, ACCOUNTS[2].private_key).raw_transaction)


def test_a_verifier_derives_the_same_failure_past_a_cap() -> None:
    cap = DEVNET_PROOF_COST_LIMITS.max_accounts
    l1 = L1History()
    l1.append(100, mints=(1,))
    sequencer = Chain.open(None, GENESIS)
    built = sequence_block(sequencer, l1, 101, [creation_touching(cap - 3, 0), creation_touching(cap - 2, 1)])
    blocks = [built.block, sequence_block(sequencer, l1, 103).block]
    l1.append(112, txs=Batcher().post(blocks, open_block=0))
    l1.append(124)

    statuses = [r.state_root for r in built.receipts[-2:]]  # after the deposits
    assert statuses == [b"\x01", b""]
    assert built.receipts[-1].gas_used - built.receipts[-2].gas_used == GAS
    assert isinstance(built.computations[-1].error, ProofCostExceeded)
    assert [c.accounts for c in block_proof_costs(sequencer, built.header)[-2:]] == [cap, cap + 1]

    verifier = Chain.open(None, GENESIS)
    pipeline = DerivationPipeline(config(), l1, verifier)
    derived = []
    while (block := pipeline.step()) is not None:
        derived.append(block)
    assert [d.header.hash for d in derived] == [b.header.hash for b in blocks]
    receipts = verifier.receipts(blocks[0].header.hash)
    assert [r.state_root for r in receipts[-2:]] == [b"\x01", b""]
