"""Fault injection (devnet only): the lies `lantau proposer --inject-fault KIND` posts and then
defends, and the ones `lantau challenger --dishonest [--lie LIE]` disputes correct outputs with
(`DishonestLie`: made-up output roots, and with `derivation-end` a made-up derivation trace too,
which attacks the honest block claim's `derivationEnd`). Each lie is a
`LyingTrace`: the node's trace with the lie in it, played by the same player as the truth
(`prover.dispute_player`), so a liar defends its lie move by move down to the leaf, where L1
decides (docs/fault-proofs.md, "Fault injection").

    state-root            the state root after the block's last transaction (and so its output)
    tx-result             the state root after the block's first transaction and every one after
    block-hash            the block hash in the output root (every state root right)
    message-passer-root   the message passer's storage root: a forged withdrawal (`forged_withdrawal`)
                          that the L2 never sent, provable against the lying output
    receipts-root, gas-used, transactions-root, base-fee, timestamp
                          one field of the block's header (and so its hash in the output root),
                          every state root right: `stepFinish` rebuilds the header (`HEADER_FIELD`)

and the input faults, lies about what the block is made of (its transactions, as the liar names
them in the game: `BlockInputsNamed`), each with the outputs that follow from it:

    forged-deposit        a deposit L1 never saw right after the L1-info deposit (`forged_deposit`):
                          HKD minted out of thin air and withdrawn at once to the forged target
                          (the lying output's message passer holds `forged_withdrawal`)
    unbatched-tx          a transaction no batch carried (`unbatched_transaction`), appended
    dropped-deposit       the first user deposit of the last block of the output's span that has
                          one, left out (the HKD it minted never arrives); every later output of the
                          span follows the lie
    l1-info               transaction 0 named by a made-up hash (no L1-info deposit has it): the
                          liar never has to show bytes behind it
    skipped-forced-inclusion
                          a deposit-only block that derivation forced (no batch in its whole
                          sequencing window: the sequencer and its batcher were silent, so the block
                          must move to the next L1 origin with that origin's deposits) replaced by
                          the block the sequencer would have built instead: still on its parent's
                          L1 origin (the L1-info deposit with sequence number + 1), the origin's
                          deposits left out, a sequenced transaction (`unbatched_transaction`) in
                          them (refused, `FaultInjectionRefused`, on a block that was not forced)
    derivation-end        a false `derivationEnd`: the block claim says derivation found no batch
                          (`found` = 0: the forced deposit-only block) where the batcher batched user
                          transactions; the block named is the node's deposits alone (the L1-info
                          deposit and the origin's deposits) with the state after them, and the
                          liar's derivation trace is node's up to the L1 block where node finds the
                          batch, its false end from there (refused on a block with no user transaction
                          or none batched)

`InputOracle` refutes the first two from the block's batch (`NotTheBatchedTransactions`), the third
from the portal's deposits of the block's L1 origin (`MissingDeposit` / `WrongDeposit`), the fourth
by rebuilding the L1-info deposits derivation allows from the L1 headers (`NotTheL1InfoDeposit`),
the fifth from the inbox's empty window (`windowWithoutBatches`: `NotTheForcedOrigin`);
`DerivationBisection` decides the sixth: the block claim's `derivationEnd` is bisected over the
block's L1 range and countered by `DerivationStep` at the L1 block where node finds the batch. A block
claim names only its transactions and its timestamp; every other field of a transaction's context
(a prevRandao among them) is derived by the game (docs/fault-proofs.md, "Contexts the game
derives"), so there is no context to lie about.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import Enum

import rlp
from eth_abi import encode as abi_encode
from eth_keys import keys
from eth_typing import Address, Hash32
from eth_utils import function_signature_to_4byte_selector, keccak, to_canonical_address, to_checksum_address
from rlp.sedes import big_endian_int
from trie import HexaryTrie

from genesis.dev_accounts import dev_accounts
from genesis.predeploys import L2_TO_L1_MESSAGE_PASSER
from node.l1_info import l1_info_on_same_origin
from node.vm import LantauTransactionBuilder

from bridge.withdrawal import WithdrawalTransaction
from prover.errors import FaultInjectionRefused
from node.output_root import output_root, versioned_nonce
from prover.block_accumulator import with_state_roots
from prover.dispute_block import DerivationCommitments, DerivationEnd, DisputeBlock
from prover.dispute_trace import Trace
from prover.step_call import StepCall


class DishonestLie(str, Enum):
    """What `lantau challenger --dishonest --lie LIE` disputes a correct output with. Either way
    every output root is made up, so the game bisects to the span's first block, where the honest
    side names the block (`moveToBlock`: its inputs and its `derivationEnd`)."""

    OUTPUT_ROOT = "output-root"  # the block's transactions bisected as named: its steps are refused `ValidStep`
    DERIVATION_END = "derivation-end"  # every block's derivation trace node's up to the L1 block where
    # node's state reaches its end and made up from there: it opens `DerivationBisection` against
    # the honest block claim's `derivationEnd` and plays the made-up commitments down to the leaf


class FaultKind(str, Enum):
    STATE_ROOT = "state-root"
    TX_RESULT = "tx-result"
    BLOCK_HASH = "block-hash"
    MESSAGE_PASSER_ROOT = "message-passer-root"
    FORGED_DEPOSIT = "forged-deposit"
    UNBATCHED_TX = "unbatched-tx"
    DROPPED_DEPOSIT = "dropped-deposit"
    L1_INFO = "l1-info"
    SKIPPED_FORCED_INCLUSION = "skipped-forced-inclusion"
    DERIVATION_END = "derivation-end"
    RECEIPTS_ROOT = "receipts-root"
    GAS_USED = "gas-used"
    TRANSACTIONS_ROOT = "transactions-root"
    BASE_FEE = "base-fee"
    TIMESTAMP = "timestamp"


#: Lies about a block's transactions (the game's input leaf decides them).
INPUT_FAULTS = frozenset({FaultKind.FORGED_DEPOSIT, FaultKind.UNBATCHED_TX, FaultKind.DROPPED_DEPOSIT, FaultKind.L1_INFO,
                          FaultKind.SKIPPED_FORCED_INCLUSION, FaultKind.DERIVATION_END})
#: What the forged deposit mints and withdraws: 1,000 HKD (L2 wei).
FORGED_AMOUNT_WEI = 1_000 * 10**18
#: The header field (index in the RLP list, `BlockFinishLeaf`) each header lie changes.
HEADER_FIELD: dict[FaultKind, int] = {
    FaultKind.TRANSACTIONS_ROOT: 4, FaultKind.RECEIPTS_ROOT: 5, FaultKind.GAS_USED: 10, FaultKind.TIMESTAMP: 11,
    FaultKind.BASE_FEE: 15,
}


def forged_header(header: bytes, field: int) -> bytes:
    """`header` (RLP) with field `field` changed: a hash becomes another hash, the logs bloom gains
    a bit, a number grows by one."""
    fields = rlp.decode(header)
    value = fields[field]
    if len(value) == 32:
        fields[field] = _fake("header", field, value.hex())
    elif len(value) == 256:
        fields[field] = value[:-1] + bytes([value[-1] ^ 1])
    else:
        fields[field] = big_endian_int.serialize(big_endian_int.deserialize(value) + 1)
    return rlp.encode(fields)


#: A devnet's L1 chain id (anvil's, `bridge.anvil.AnvilOptions`): the only L1 a lie may be posted to.
DEVNET_L1_CHAIN_IDS = frozenset({900, 31337})


def check_devnet(l1_chain_id: int) -> None:
    if l1_chain_id not in DEVNET_L1_CHAIN_IDS:
        raise FaultInjectionRefused(
            f"fault injection is for devnets only (L1 chain id {sorted(DEVNET_L1_CHAIN_IDS)}), this L1 is chain {l1_chain_id}")


@dataclass(frozen=True, slots=True)
class ForgedWithdrawal:
    """A withdrawal the L2 never sent, and the message passer storage that would hold it."""

    withdrawal: WithdrawalTransaction
    storage_root: Hash32
    storage_proof: tuple[bytes, ...]


def forged_withdrawal(target: str, value_wei: int = 1_000 * 10**18) -> ForgedWithdrawal:
    """A withdrawal of `value_wei` L2 HKD to `target` on L1, sent by nobody: the only entry of a
    forged message passer storage trie (`sentMessages[hash] = true`)."""
    withdrawal = WithdrawalTransaction(nonce=versioned_nonce(2**32), sender=to_checksum_address(target),
                                       target=to_checksum_address(target), value=value_wei, gas_limit=100_000, data=b"")
    trie = HexaryTrie({})
    key = keccak(withdrawal.storage_slot)
    trie[key] = rlp.encode(1)
    nodes = tuple(n for i, n in enumerate(rlp.encode(x) for x in trie.get_proof(key)) if i == 0 or len(n) >= 32)
    return ForgedWithdrawal(withdrawal, Hash32(trie.root_hash), nodes)


def forged_deposit(target: str, amount_wei: int = FORGED_AMOUNT_WEI) -> bytes:
    """A deposit no L1 log ever made (raw 0x7E transaction): it mints `amount_wei` to `target` and
    sends it at once to the message passer's `initiateWithdrawal(target, 100000, "")`."""
    target_bytes = to_canonical_address(target)
    data = function_signature_to_4byte_selector("initiateWithdrawal(address,uint256,bytes)") + abi_encode(
        ["address", "uint256", "bytes"], [to_checksum_address(target), 100_000, b""])
    tx = LantauTransactionBuilder.new_deposit_transaction(
        source_hash=Hash32(keccak(b"lantau fault: a deposit L1 never saw")), from_=Address(target_bytes),
        to=Address(to_canonical_address(L2_TO_L1_MESSAGE_PASSER)), mint=amount_wei, value=amount_wei, gas=200_000, data=data)
    return bytes(tx.encode())


def unbatched_transaction(chain_id: int) -> bytes:
    """A transfer signed by dev account 9 that no batch ever carried (nonce 2^32: never sent)."""
    key = keys.PrivateKey(bytes.fromhex(dev_accounts()[9].private_key.removeprefix("0x")))
    unsigned = LantauTransactionBuilder.new_unsigned_dynamic_fee_transaction(
        chain_id=chain_id, nonce=2**32, max_priority_fee_per_gas=10**9, max_fee_per_gas=10**11, gas=21_000,
        to=Address(to_canonical_address(dev_accounts()[8].address)), value=10**18, data=b"", access_list=())
    return bytes(unsigned.as_signed_transaction(key).encode())


def _fake(kind: str, *parts: object) -> bytes:
    return keccak(b"lantau fault " + kind.encode() + b"".join(str(p).encode() for p in parts))


class LyingTrace:
    """`inner` with a lie of `kind` about L2 block `block` (every other block true); a `kind` and
    `block` of None lie about every block's output root (`lantau challenger --dishonest`), and with
    `dishonest` = `DishonestLie.DERIVATION_END` about every block's derivation trace too."""

    def __init__(self, inner: Trace, kind: FaultKind | None, block: int | None, *, forged_target: str | None = None,
                 chain_id: int = 0, span: int = 1, dishonest: DishonestLie = DishonestLie.OUTPUT_ROOT) -> None:
        """`span`: the L2 blocks an output covers (up to `block`), where a dropped deposit is looked for."""
        self.inner, self.kind, self.lie_block, self.span = inner, kind, block, span
        self.dishonest = dishonest if kind is None else DishonestLie.OUTPUT_ROOT
        self._dropped_at: int | None = None
        forges = kind in (FaultKind.MESSAGE_PASSER_ROOT, FaultKind.FORGED_DEPOSIT) and forged_target
        self.forged = forged_withdrawal(forged_target) if forges else None
        self.extra_tx = (forged_deposit(forged_target) if kind is FaultKind.FORGED_DEPOSIT and forged_target
                         else unbatched_transaction(chain_id)
                         if kind in (FaultKind.UNBATCHED_TX, FaultKind.SKIPPED_FORCED_INCLUSION) else None)

    def _lies_about(self, number: int) -> bool:
        if self.lie_block is None:
            return True
        if self.kind is FaultKind.DROPPED_DEPOSIT:  # the span's blocks from the one without its deposit
            return self.lie_block - self.span < number <= self.lie_block and number >= self.input_lie_block()
        return number == self.lie_block

    def input_lie_block(self) -> int:
        """The block whose transactions lie: the output's block for an added transaction; for a
        dropped deposit, the last block of the span whose transaction 1 is a (user) deposit."""
        assert self.lie_block is not None
        if self.kind is not FaultKind.DROPPED_DEPOSIT:
            return self.lie_block
        if self._dropped_at is None:
            for number in range(self.lie_block, max(0, self.lie_block - self.span), -1):
                if len(self.inner.block(number).tx_hashes) > 1 and self.inner.transaction_step(number, 1).transaction[:1] == b"\x7e":
                    self._dropped_at = number
                    break
            else:
                raise FaultInjectionRefused(f"no deposit to drop in L2 blocks {self.lie_block - self.span + 1} to {self.lie_block}")
        return self._dropped_at

    def _stay_on_origin(self, number: int) -> Hash32:
        """The hash of the L1-info deposit block `number` would have on its parent's L1 origin."""
        if number < 2:
            raise FaultInjectionRefused(f"L2 block {number} has no parent L1 origin to stay on")
        parent_l1_info = LantauTransactionBuilder.decode(self.inner.transaction_step(number - 1, 0).transaction)
        return Hash32(keccak(bytes(l1_info_on_same_origin(parent_l1_info).encode())))

    def _check_deposit_only(self, number: int) -> None:
        """A skipped forced-inclusion block lies about a deposit-only block (what derivation forces
        once a sequencing window passes without batches): every transaction of it a deposit."""
        b = self.inner.block(number)
        for index in range(len(b.tx_hashes)):
            if self.inner.transaction_step(number, index).transaction[:1] != b"\x7e":
                raise FaultInjectionRefused(f"L2 block {number} is not a deposit-only block (transaction {index} is"
                                            " sequenced): there is no forced inclusion to skip")

    def safe_l2_number(self) -> int:
        return self.inner.safe_l2_number()

    def block(self, number: int) -> DisputeBlock:
        """The node's block, or for an input fault the lie: the extra transaction in it (after the
        L1-info deposit, or at the end), the deposit left out or transaction 0 named by a made-up
        hash, every state root from there on made up (in a later block of the span: its
        transactions, every state root made up)."""
        b = self.inner.block(number)
        if self.kind not in INPUT_FAULTS or not self._lies_about(number):
            return b
        txs, at = b.tx_hashes, 0
        if self.kind is FaultKind.SKIPPED_FORCED_INCLUSION:
            self._check_deposit_only(number)
        if self.kind is FaultKind.DERIVATION_END:
            at = self._deposit_count(number)
            return dataclasses.replace(
                b, tx_hashes=txs[:at], state_roots=b.state_roots[:at], state_root=b.state_roots[at - 1],
                block_hash=Hash32(_fake(self.kind.value, "block hash", number)))
        if number == self.input_lie_block():
            if self.kind is FaultKind.DROPPED_DEPOSIT:
                txs, at = (txs[0], *txs[2:]), 1
            elif self.kind is FaultKind.L1_INFO:
                txs = (Hash32(_fake("l1-info", number)), *txs[1:])
            elif self.kind is FaultKind.SKIPPED_FORCED_INCLUSION and self.extra_tx is not None:
                txs = (self._stay_on_origin(number), Hash32(keccak(self.extra_tx)))
            elif self.extra_tx is not None:
                at = 1 if self.kind is FaultKind.FORGED_DEPOSIT else len(txs)
                txs = (*txs[:at], Hash32(keccak(self.extra_tx)), *txs[at:])
        roots = (*b.state_roots[:at], *(Hash32(_fake(self.kind.value, number, k)) for k in range(at, len(txs))))
        return dataclasses.replace(
            b, tx_hashes=txs, state_roots=roots, state_root=roots[-1],
            block_hash=Hash32(_fake(self.kind.value, "block hash", number)),
            withdrawal_storage_root=self.forged.storage_root if self.forged else b.withdrawal_storage_root)

    def transaction_step(self, number: int, index: int) -> StepCall:
        return self.inner.transaction_step(number, index)

    def _deposit_count(self, number: int) -> int:
        """How many deposits block `number` starts with; refused unless user transactions follow
        them and derivation found the block's batch (a lie of `found` = 0 needs a batched block)."""
        b = self.inner.block(number)
        at = next((k for k in range(len(b.tx_hashes)) if self.inner.transaction_step(number, k).transaction[:1] != b"\x7e"),
                  len(b.tx_hashes))
        if at == len(b.tx_hashes):
            raise FaultInjectionRefused(f"L2 block {number} has no user transaction: it is deposit-only already")
        if self.inner.derivation_end(number).found == bytes(32):
            raise FaultInjectionRefused(f"derivation found no batch for L2 block {number}: found = 0 is the truth")
        return at

    def _lies_about_derivation(self) -> bool:
        """The dishonest challenger's lie about every block's derivation trace."""
        return self.kind is None and self.dishonest is DishonestLie.DERIVATION_END

    def derivation_end(self, number: int) -> DerivationEnd:
        """The node's, or for a lie about it: node's bank and queue with `found` = 0 (no batch); the
        dishonest challenger's: node's bank and queue with a made-up `found` (another batch)."""
        end = self.inner.derivation_end(number)
        if self._lies_about_derivation():
            return dataclasses.replace(end, found=_fake("dishonest found", number))
        if self.kind is not FaultKind.DERIVATION_END or not self._lies_about(number):
            return end
        self._deposit_count(number)
        return dataclasses.replace(end, found=bytes(32))

    def derivation_commitments(self, number: int) -> DerivationCommitments:
        """The node's trace, or for a lie about the end (the proposer's `found` = 0, the dishonest
        challenger's made-up `found`): node's up to the L1 block where node finds the batch (from
        there its state no longer changes), the false end from there on."""
        trace = self.inner.derivation_commitments(number)
        lies = self._lies_about_derivation() or (self.kind is FaultKind.DERIVATION_END and self._lies_about(number))
        if not lies:
            return trace
        true_end, false_end = trace.commitments[-1], self.derivation_end(number).commitment()
        found_at = trace.commitments.index(true_end)
        return dataclasses.replace(trace, commitments=(*trace.commitments[:found_at],
                                                       *(false_end,) * (len(trace.commitments) - found_at)))

    def state_roots(self, number: int) -> tuple[bytes, ...]:
        if self.kind in INPUT_FAULTS:
            return tuple(bytes(r) for r in self.block(number).state_roots)
        roots = self.inner.state_roots(number)
        if not self._lies_about(number) or self.kind not in (FaultKind.STATE_ROOT, FaultKind.TX_RESULT):
            return roots
        first = len(roots) - 1 if self.kind is FaultKind.STATE_ROOT else 0
        return tuple(root if k < first else _fake(self.kind.value, number, k) for k, root in enumerate(roots))

    def claims(self, number: int) -> tuple[bytes, ...]:
        """The claims below the split: the node's accs with the lie's state roots in them (so a
        lie about a state root is a lie about every later claim, as before the accs)."""
        b = self.inner.block(number)
        roots = self.state_roots(number)
        if tuple(roots) == tuple(bytes(r) for r in b.state_roots):
            return b.claims()
        accs = b.accs()
        if len(roots) != len(accs):  # an input lie: another list of transactions
            accs = (*accs, *(accs[-1:] * (len(roots) - len(accs))))[: len(roots)]
        return tuple(acc.claim() for acc in with_state_roots(accs, roots))

    def output_root(self, number: int) -> bytes:
        if not self._lies_about(number):
            return self.inner.output_root(number)
        b = self.inner.block(number)
        if self.kind is None:  # the dishonest challenger: every output "is" another one
            return _fake("dishonest", number)
        if self.kind in (FaultKind.STATE_ROOT, FaultKind.TX_RESULT):
            return bytes(output_root(Hash32(self.state_roots(number)[-1]), b.withdrawal_storage_root, b.block_hash))
        if self.kind in INPUT_FAULTS:
            lie = self.block(number)
            return bytes(output_root(lie.state_root, lie.withdrawal_storage_root, lie.block_hash))
        if self.kind is FaultKind.BLOCK_HASH:
            return bytes(output_root(b.state_root, b.withdrawal_storage_root, Hash32(_fake("block-hash", number))))
        if self.kind in HEADER_FIELD:
            forged = keccak(forged_header(b.header, HEADER_FIELD[self.kind]))
            return bytes(output_root(b.state_root, b.withdrawal_storage_root, Hash32(forged)))
        passer_root = self.forged.storage_root if self.forged else Hash32(_fake("passer", number))
        return bytes(output_root(b.state_root, passer_root, b.block_hash))
