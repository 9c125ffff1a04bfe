"""`TxManager`: the one "sign, send, wait, bump" path to L1 for one key, in the spirit of
op-service's txmgr.

    send(TxCandidate) -> receipt
        gas:     the candidate's, or eth_estimateGas against the pending block + a fifth
                 (`gas_with_headroom`); a revert surfaces here, unmined, as `L1CallReverted`
        nonce:   L1's pending nonce of the key (never a stored one: another writer, a restart
                 or a new L1 may have moved it); a `nonce too low` or `replacement transaction
                 underpriced` from another writer on the key is answered by signing again on
                 the new pending nonce, a few times
        fees:    `fee_caps`: max fee = 2 x base fee + tip, tip = max(the configured floor,
                 eth_maxPriorityFeePerGas); blob fee cap = 2 x blob base fee
        wait:    until the receipt is in a canonical block with `confirmations` blocks
        stuck:   `resubmit_after_s` without inclusion: the same nonce again with fees
                 `bump_fee_caps` (+12.5 %, at least +1 wei: geth's and anvil's pools want
                 +10 % to replace; a blob transaction's three caps +100 %, as geth's and reth's
                 blob pools want of a blob transaction's replacement), never below the market,
                 never above `max_fee_per_gas_limit`
        dropped: a transaction that L1 forgot (an L1 reorg took its block away, or a pool
                 evicted it) is sent again, byte for byte (the same hash)

        taken over: nonces of the key between L1's latest and pending nonce that this process did
                 not send (a dead process's, killed -9 before it could bump them) are taken over
                 by `send` (`take_over_pool`): at once when their fee cap is below the next
                 block's base fee (they cannot land), otherwise once seen for `resubmit_after_s`;
                 looked for off the hot path: when the pending nonce a send signs on is not the
                 one this process's last mined send left (start-up, a send that gave up, another
                 writer on the key) and while a send waits, never on a send that follows its own;
                 each is sent again (same to, data, value) at `bump_fee_caps` of its pooled fees,
                 or, when the node shows no such transaction (`L1Client.pooled_transaction`:
                 txpool_contentFrom, txpool_content, eth_getTransactionBySenderAndNonce), replaced
                 by a "cancel" (a 0-value self-transfer at the market's fees bumped once), so no
                 nonce stays a gap that every later transaction of the key queues behind.
        blobs:   a pooled blob transaction is cancelled by a blob transaction (a 0-value
                 self-transfer carrying one empty blob), never by a plain one: a blob pool takes
                 a blob transaction's replacement only from another blob transaction paying at
                 least twice each of its fee caps (geth keeps an account's transactions in one
                 pool; its blob pool's and reth's price bump is 100 %; anvil takes anything
                 paying 10 % more, so the tests check the rule, not anvil). Its blobs are not
                 sent again: geth's pool does not show them, and the batcher that posted them
                 posts its channels again. A key that sends blobs (the batcher: `blob_sender`)
                 cancels a nonce L1 hides the same way. Nonces the caller's own records answer
                 for (`owned`: the batcher's write-ahead state) are left to it; a batcher whose
                 state was lost owns none, so the nonce the dead one left pooled is cancelled,
                 not left a gap every later batch queues behind.

Services that must persist what they sent (the batcher: write-ahead records, identical
re-sends after a restart) use the same rules one step at a time: `market_fees`, `sign`
(deterministic: RFC 6979), `publish`, `find_receipt`, `in_pool`, `bump`.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from eth_utils import encode_hex, to_checksum_address

from bridge.blob_tx import BLOB_TX_TYPE, BlobSidecar, blob_sidecar, encode_blob, sign_blob_transaction
from bridge.l1_client import L1Client, L1NonceTooLow, L1ReplacementUnderpriced, L1TxRefused
from node.errors import LantauError, TemporaryError
from node.l1_block_ref import L1BlockRef
from node.vm import floor_data_gas

log = logging.getLogger("lantau.txmgr")

TX_BASE_GAS = 21_000
FEE_BUMP_PERCENT = 12.5  # above geth's 10 % replacement rule, OP's txmgr's price bump
BLOB_FEE_BUMP_PERCENT = 100.0  # geth's and reth's blob pools want each of a blob transaction's fee caps doubled
#: A blob cancel's one blob: empty (node.blobs' encoding of no bytes).
CANCEL_BLOB = encode_blob(b"")


class TxManagerError(LantauError):
    """A transaction could not be brought onto L1 (not mined in time, nonce taken, ...)."""


class NonceUsedElsewhere(TxManagerError):
    """L1 mined another transaction on the nonce this one was sent with."""


class NotMinedInTime(TxManagerError, TemporaryError):
    """No receipt within `receipt_timeout_s`; the transaction may still land later."""


class PoolTakeoverRefused(TxManagerError):
    """A pooled transaction of the key (not this process's) could not be replaced: L1 refused
    the replacement (`cause`), or it would pay above the operator's fee limit. The pool keeps
    what it held."""

    def __init__(self, nonce: int, action: str, reason: str, cause: L1TxRefused | None = None) -> None:
        super().__init__(f"taking over nonce {nonce} ({action}) refused: {reason}")
        self.nonce, self.action, self.reason, self.cause = nonce, action, reason, cause


@dataclass(frozen=True, slots=True)
class TxCandidate:
    """What to send; the `TxManager` picks nonce, fees and (unless given) gas."""

    to: str | None  # None: contract creation
    data: bytes = b""
    value: int = 0
    gas_limit: int | None = None  # None: estimated against the pending block, with headroom
    blobs: tuple[bytes, ...] = ()  # encoded blobs (node.blobs.encode_blob): a type-3 transaction


@dataclass(frozen=True, slots=True)
class FeeCaps:
    max_fee_per_gas: int
    max_priority_fee_per_gas: int
    max_fee_per_blob_gas: int = 0


@dataclass(frozen=True, slots=True)
class SignedTx:
    nonce: int
    hash: str  # 0x-hex
    raw: bytes  # network form (a blob transaction with its sidecar)
    fees: FeeCaps
    gas: int


@dataclass(frozen=True, slots=True)
class PoolTakeover:
    """What `take_over_pool` did: the replacements of found transactions, the cancels of unknown
    ones and of blob transactions, the refusals, and the nonces left (`owned` by the caller)."""

    replaced: tuple[SignedTx, ...] = ()
    cancelled: tuple[SignedTx, ...] = ()
    refused: tuple[PoolTakeoverRefused, ...] = ()
    left: tuple[int, ...] = ()

    @property
    def nothing_done(self) -> bool:
        return not (self.replaced or self.cancelled or self.refused or self.left)


@dataclass(frozen=True, slots=True)
class TxManagerConfig:
    min_priority_fee_per_gas: int = 10**9
    max_fee_per_gas_limit: int = 10**12  # 1,000 gwei: never bump past it
    resubmit_after_s: float = 12.0  # one L1 slot without inclusion
    receipt_timeout_s: float = 120.0
    poll_interval_s: float = 0.25
    confirmations: int = 1  # 1: the block that includes it
    nonce_race_retries: int = 5
    # A node can show the account's new nonce a moment before the receipt of the block that moved
    # it (anvil under load does): a nonce past ours counts as "used elsewhere" only after this long
    # without a receipt for any version of ours.
    nonce_moved_grace_s: float = 2.0

    def __post_init__(self) -> None:
        if self.confirmations < 1:
            raise ValueError("confirmations must be >= 1")


def gas_with_headroom(estimate: int) -> int:
    """The gas to send a transaction with, from its `eth_estimateGas` against the pending block.

    A deposit buys its L2 gas by burning L1 gas at the portal's deposit base fee
    (`ResourceMetering`), which moves from one L1 block to the next (up by at most 1/8 per block
    of busy deposits), and the metering's own work depends on how many blocks passed since the
    last deposit; so the gas a deposit needs in the block it lands in can exceed the estimate.
    A fifth more covers a few blocks of rising price; unused gas is not paid for.
    """
    return estimate + estimate // 5


def calldata_gas(data: bytes) -> int:
    """Gas of a plain transaction carrying `data` to an account without code: the intrinsic
    cost (EIP-2028: 16 per non-zero byte, 4 per zero byte) or EIP-7623's floor (Prague: 10 per
    token, a non-zero byte being 4 tokens), whichever is higher."""
    zeros = data.count(0)
    return max(TX_BASE_GAS + 16 * (len(data) - zeros) + 4 * zeros, floor_data_gas(data))


def fee_caps(base_fee: int, suggested_tip: int, blob_base_fee: int, *, min_tip: int) -> FeeCaps:
    """Fee caps for a new transaction: twice the base fee plus the tip (still included after six
    full blocks of +12.5 % each), the tip at least `min_tip`; twice the blob base fee (at least 1)."""
    tip = max(min_tip, suggested_tip)
    return FeeCaps(2 * base_fee + tip, tip, max(2 * blob_base_fee, 1))


def _raised(old: int, percent: float) -> int:
    return max(math.ceil(old * (100 + percent) / 100), old + 1)


def bump_fee_caps(old: FeeCaps, market: FeeCaps, *, blob: bool, limit: int) -> FeeCaps | None:
    """The fees of a replacement of a transaction sent with `old`: each cap +`FEE_BUMP_PERCENT`
    (at least +1 wei), a blob transaction's three caps (max fee, tip, blob fee) each
    +`BLOB_FEE_BUMP_PERCENT` (a blob pool's replacement rule), none below the market's; None
    when the max fee would pass `limit` (the operator's ceiling)."""
    percent = BLOB_FEE_BUMP_PERCENT if blob else FEE_BUMP_PERCENT
    tip = max(market.max_priority_fee_per_gas, _raised(old.max_priority_fee_per_gas, percent))
    fee = max(market.max_fee_per_gas, _raised(old.max_fee_per_gas, percent), tip)
    blob_fee = max(market.max_fee_per_blob_gas, _raised(old.max_fee_per_blob_gas, BLOB_FEE_BUMP_PERCENT)) if blob else 0
    if fee > limit:
        return None
    return FeeCaps(fee, tip, blob_fee)


@dataclass
class _Counters:
    sent: int = 0
    fee_bumps: int = 0
    resubmissions: int = 0  # the same bytes again, after L1 forgot them
    nonce_races: int = 0
    pool_takeovers: int = 0  # another process's pooled transactions sent again at market fees
    pool_cancels: int = 0  # unknown (or blob) pooled transactions replaced by a 0-value self-transfer
    pool_takeovers_refused: int = 0


class TxManager:
    """Sends transactions from one key; one `send` at a time (a lock orders them by nonce)."""

    def __init__(self, l1: L1Client, private_key: str, config: TxManagerConfig = TxManagerConfig()) -> None:
        self.l1 = l1
        self.config = config
        self._account: LocalAccount = Account.from_key(private_key)
        self._lock = threading.Lock()
        self._sidecars: dict[tuple[bytes, ...], BlobSidecar] = {}
        self._sent_nonces: set[int] = set()  # nonces this process published on
        self._foreign_since: dict[int, float] = {}  # pooled nonces not ours -> when first seen
        # The pending nonce when only this process's sends moved the key since the last one mined
        # (None: not known, at start-up or after a send that did not end in its receipt). A send
        # signing on it has no foreign nonce below it to look for.
        self._own_next_nonce: int | None = None
        self.counters = _Counters()

    @property
    def address(self) -> ChecksumAddress:
        return ChecksumAddress(self._account.address)

    def balance(self) -> int:
        return self.l1.balance(self.address)

    def pending_nonce(self) -> int:
        return self.l1.nonce(self.address, "pending")

    def latest_nonce(self) -> int:
        return self.l1.nonce(self.address, "latest")

    # --- the rules ------------------------------------------------------------------------------

    def market_fees(self, head: L1BlockRef | None = None) -> FeeCaps:
        market = self.l1.fee_market(head)
        return fee_caps(market.base_fee, market.suggested_tip, market.blob_base_fee, min_tip=self.config.min_priority_fee_per_gas)

    def bump(self, old: FeeCaps, market: FeeCaps, *, blob: bool) -> FeeCaps | None:
        return bump_fee_caps(old, market, blob=blob, limit=self.config.max_fee_per_gas_limit)

    def gas_of(self, candidate: TxCandidate) -> int:
        if candidate.gas_limit is not None:
            return candidate.gas_limit
        tx: dict[str, Any] = {"from": self.address, "value": candidate.value, "data": candidate.data}
        if candidate.to is not None:
            tx["to"] = to_checksum_address(candidate.to)
        return gas_with_headroom(self.l1.estimate_gas(tx, "pending"))

    # --- one step at a time ---------------------------------------------------------------------

    def sign(self, candidate: TxCandidate, *, nonce: int, fees: FeeCaps, gas: int) -> SignedTx:
        """Sign `candidate` (EIP-1559, or EIP-4844 with blobs). Deterministic: signing the same
        inputs again after a restart gives the same hash."""
        tx: dict[str, Any] = {
            "chainId": self.l1.chain_id,
            "nonce": nonce,
            "value": candidate.value,
            "gas": gas,
            "maxFeePerGas": fees.max_fee_per_gas,
            "maxPriorityFeePerGas": fees.max_priority_fee_per_gas,
            "data": candidate.data,
        }
        if candidate.to is not None:
            tx["to"] = to_checksum_address(candidate.to)
        if candidate.blobs:
            if candidate.to is None:
                raise TxManagerError("a blob transaction cannot create a contract")
            signed_blob = sign_blob_transaction(dict(tx, maxFeePerBlobGas=fees.max_fee_per_blob_gas), self._account.key,
                                                self._sidecar(candidate.blobs))
            return SignedTx(nonce, encode_hex(signed_blob.hash), signed_blob.network_form, fees, gas)
        signed = Account.sign_transaction(dict(tx, type=2), self._account.key)
        return SignedTx(nonce, encode_hex(signed.hash), bytes(signed.raw_transaction), fees, gas)

    def _sidecar(self, blobs: tuple[bytes, ...]) -> BlobSidecar:
        if blobs not in self._sidecars:
            if len(self._sidecars) > 64:
                self._sidecars.clear()
            self._sidecars[blobs] = blob_sidecar(list(blobs))
        return self._sidecars[blobs]

    def publish(self, signed: SignedTx) -> None:
        """Hand `signed` to L1 (see `L1Client.send_raw` for the errors)."""
        self.l1.send_raw(signed.raw)
        self.counters.sent += 1
        self._sent_nonces.add(signed.nonce)

    def find_receipt(self, hashes: Sequence[str]) -> dict[str, Any] | None:
        """The canonical receipt of any of `hashes` (versions of one nonce), newest first."""
        for tx_hash in reversed(hashes):
            receipt = self.l1.receipt(tx_hash)
            if receipt is not None:
                return receipt
        return None

    def in_pool(self, hashes: Sequence[str]) -> bool:
        return any(self.l1.in_pool(tx_hash) for tx_hash in hashes)

    # --- send and wait --------------------------------------------------------------------------

    def send(self, candidate: TxCandidate) -> dict[str, Any]:
        """Bring `candidate` onto L1 and return its receipt, whatever its status (the caller
        judges a revert). Blocking; raises `L1CallReverted` when the gas estimate reverts,
        `L1TxRefused` when L1 will not take it, `TemporaryError` when L1 is unreachable."""
        with self._lock:
            gas = self.gas_of(candidate)
            signed = self._publish_new(candidate, gas)
            self._own_next_nonce = None
            try:
                receipt = self._wait(candidate, signed)
            finally:
                # Mined, or no longer waited for (NotMinedInTime): a nonce still pooled is then
                # taken over by a later `send` as another process's would be.
                self._sent_nonces.discard(signed.nonce)
            self._own_next_nonce = signed.nonce + 1
            return receipt

    def _publish_new(self, candidate: TxCandidate, gas: int) -> SignedTx:
        for attempt in range(self.config.nonce_race_retries):
            nonce = self.pending_nonce()
            if nonce != self._own_next_nonce:
                # Not where our last mined send left the key: a dead process's (or our own given-up)
                # nonces may be pooled below it, or another writer's. Take over those that are due.
                self.take_over_due()
                self._own_next_nonce = nonce  # looked: a retry on this nonce does not look again
            signed = self.sign(candidate, nonce=nonce, fees=self.market_fees(), gas=gas)
            try:
                self.publish(signed)
                return signed
            except (L1NonceTooLow, L1ReplacementUnderpriced) as exc:
                # Another writer on this key took the nonce first: sign again on the new one.
                if attempt == self.config.nonce_race_retries - 1:
                    raise
                self.counters.nonce_races += 1
                log.info("nonce %d taken by another sender (%s): signing again", signed.nonce, exc.message)
                time.sleep(0.2 * (attempt + 1))
        raise AssertionError("unreachable")

    def _wait(self, candidate: TxCandidate, signed: SignedTx) -> dict[str, Any]:
        versions = [signed]
        sent_at = time.monotonic()
        deadline = sent_at + self.config.receipt_timeout_s
        nonce_moved_at: float | None = None
        while True:
            hashes = [v.hash for v in versions]
            receipt = self.find_receipt(hashes)
            if receipt is not None:
                if self.l1.head().number - int(receipt["blockNumber"]) + 1 >= self.config.confirmations:
                    return receipt
            elif self.latest_nonce() > signed.nonce:
                # Ours or another's took the nonce; only a receipt can tell which, and it may lag.
                nonce_moved_at = time.monotonic() if nonce_moved_at is None else nonce_moved_at
                if time.monotonic() - nonce_moved_at >= self.config.nonce_moved_grace_s:
                    raise NonceUsedElsewhere(f"L1 mined another transaction with nonce {signed.nonce} of {self.address}")
            elif not self.in_pool(hashes):
                # L1 forgot it (a reorg took its block, or the pool evicted it): the same bytes again.
                self.counters.resubmissions += 1
                log.warning("L1 dropped transaction %s: sending it again", versions[-1].hash, extra={"nonce": signed.nonce})
                try:
                    self.publish(versions[-1])
                except (L1NonceTooLow, L1ReplacementUnderpriced) as exc:
                    # Not dropped: another writer's transaction holds the nonce (pooled, or mined since
                    # the nonce was read). Keep polling: our receipt, or the moved nonce after the
                    # grace (NonceUsedElsewhere), tells which one L1 took.
                    log.info("nonce %d held by another transaction (%s): waiting for L1", signed.nonce, exc.message)
            elif time.monotonic() - sent_at >= self.config.resubmit_after_s:
                self.take_over_due()  # ours may wait behind another process's stuck nonce
                replacement = self._replacement(candidate, versions[-1])
                if replacement is not None:
                    versions.append(replacement)
                sent_at = time.monotonic()
            if time.monotonic() > deadline:
                raise NotMinedInTime(f"transaction {versions[-1].hash} (nonce {signed.nonce}) not mined after"
                                     f" {self.config.receipt_timeout_s:.0f} s")
            time.sleep(self.config.poll_interval_s)

    def _replacement(self, candidate: TxCandidate, newest: SignedTx) -> SignedTx | None:
        fees = self.bump(newest.fees, self.market_fees(), blob=bool(candidate.blobs))
        if fees is None:
            log.error("transaction stuck at the fee limit", extra={"tx": newest.hash, "limit": self.config.max_fee_per_gas_limit})
            return None
        replacement = self.sign(candidate, nonce=newest.nonce, fees=fees, gas=newest.gas)
        try:
            self.publish(replacement)
        except (L1ReplacementUnderpriced, L1NonceTooLow) as exc:
            # Underpriced: keep the one pooled. Nonce too low: a block took the nonce since the last
            # poll (ours, or another writer's): the next poll's receipt or nonce check tells which.
            log.warning("fee bump refused: %s", exc.message, extra={"tx": newest.hash})
            return None
        self.counters.fee_bumps += 1
        log.warning("bumped the fees of a stuck transaction", extra={"nonce": newest.nonce, "old_fees": newest.fees,
                                                                    "new_fees": fees, "tx": replacement.hash})
        return replacement

    # --- another process's pooled nonces ------------------------------------------------------

    def foreign_nonces(self) -> list[int]:
        """Nonces of the key pooled on L1 (between its latest and pending nonce) that this process
        did not send."""
        latest, pending = self.l1.nonce(self.address, "latest"), self.l1.nonce(self.address, "pending")
        return [nonce for nonce in range(latest, pending) if nonce not in self._sent_nonces]

    def take_over_due(self, *, owned: Collection[int] = (), blob_sender: bool = False) -> PoolTakeover:
        """`take_over_pool` of the foreign nonces that are due: stuck below the next block's base
        fee, or seen for `resubmit_after_s`; none of `owned` (the nonces the caller's own records
        answer for). `blob_sender`: as `take_over_pool`'s."""
        foreign = [nonce for nonce in self.foreign_nonces() if nonce not in owned]
        now = time.monotonic()
        self._foreign_since = {nonce: self._foreign_since.get(nonce, now) for nonce in foreign}
        if not foreign:
            return PoolTakeover()
        next_base_fee = self.l1.next_base_fee()
        due: list[int] = []
        for nonce in foreign:
            pooled = self.l1.pooled_transaction(self.address, nonce)
            stuck = pooled is not None and pooled_fees(pooled).max_fee_per_gas < next_base_fee
            if stuck or now - self._foreign_since[nonce] >= self.config.resubmit_after_s:
                due.append(nonce)
        return self.take_over_pool(due, blob_sender=blob_sender) if due else PoolTakeover()

    def take_over_pool(self, nonces: Sequence[int] | None = None, *, owned: Collection[int] = (),
                       blob_sender: bool = False) -> PoolTakeover:
        """Fill each of `nonces` (default: every foreign nonce, `foreign_nonces`) with a
        transaction that pays today's market: the pooled one's call again at `bump_fee_caps` of
        its fees, or a cancel (0-value self-transfer, the market's fees bumped once) when L1 shows
        no pooled transaction there. A pooled blob transaction gets a blob cancel (one empty
        blob, each fee cap at least doubled: a blob pool's replacement rule), and so does a nonce
        L1 hides when the key is a `blob_sender`. Nonces in `owned` are left to the caller's
        records. A refusal is reported (`PoolTakeoverRefused`), not raised: the pool keeps what
        it held and the caller's own transaction goes on."""
        nonces = list(self.foreign_nonces() if nonces is None else nonces)
        replaced: list[SignedTx] = []
        cancelled: list[SignedTx] = []
        refused: list[PoolTakeoverRefused] = []
        left: list[int] = []
        if not nonces:
            return PoolTakeover()
        market = self.market_fees()
        for nonce in nonces:
            if nonce in owned:
                left.append(nonce)
                continue
            pooled = self.l1.pooled_transaction(self.address, nonce)
            blob = blob_sender if pooled is None else int(pooled.get("type", "0x0"), 16) == BLOB_TX_TYPE
            action = "cancel" if pooled is None or blob else "replace"
            candidate, old, gas = self._takeover_call(pooled, market, blob=blob)
            fees = self.bump(old, market, blob=blob)
            if fees is None:
                refusal = PoolTakeoverRefused(nonce, action, f"fees above the limit of {self.config.max_fee_per_gas_limit} wei")
            else:
                signed = self.sign(candidate, nonce=nonce, fees=fees, gas=gas)
                try:
                    self.publish(signed)
                except L1TxRefused as exc:
                    refusal = PoolTakeoverRefused(nonce, action, exc.message, exc)
                else:
                    (cancelled if action == "cancel" else replaced).append(signed)
                    self._foreign_since.pop(nonce, None)
                    if action == "cancel":
                        self.counters.pool_cancels += 1
                    else:
                        self.counters.pool_takeovers += 1
                    log.warning("took over a pooled transaction of another process (%s)", action,
                                extra={"nonce": nonce, "old_tx": None if pooled is None else pooled.get("hash"),
                                       "old_fees": old, "new_fees": fees, "tx": signed.hash})
                    continue
            self.counters.pool_takeovers_refused += 1
            log.error("%s", refusal, extra={"nonce": nonce, "action": action, "old_tx": None if pooled is None else pooled.get("hash")})
            refused.append(refusal)
        return PoolTakeover(tuple(replaced), tuple(cancelled), tuple(refused), tuple(left))

    def _takeover_call(self, pooled: dict[str, Any] | None, market: FeeCaps, *, blob: bool) -> tuple[TxCandidate, FeeCaps, int]:
        """(the call to send, the fees to bump from, its gas) for a pooled transaction (None: a
        cancel at the market's fees). `blob`: a cancel carrying one empty blob."""
        if pooled is None or blob:
            old = market if pooled is None else pooled_fees(pooled)
            cancel = TxCandidate(to=self.address, value=0, gas_limit=TX_BASE_GAS, blobs=(CANCEL_BLOB,) if blob else ())
            return cancel, old, TX_BASE_GAS
        data = bytes.fromhex(str(pooled.get("input") or pooled.get("data") or "0x").removeprefix("0x"))
        gas = int(pooled["gas"], 16)
        return TxCandidate(to=pooled.get("to"), data=data, value=int(pooled["value"], 16), gas_limit=gas), pooled_fees(pooled), gas


def pooled_fees(pooled: dict[str, Any]) -> FeeCaps:
    """The fee caps of a pooled transaction as L1 shows it (hex quantities); a legacy or EIP-2930
    transaction's gas price is both caps; a blob transaction's blob fee cap too."""
    if "maxFeePerGas" in pooled:
        return FeeCaps(int(pooled["maxFeePerGas"], 16), int(pooled["maxPriorityFeePerGas"], 16),
                       int(pooled.get("maxFeePerBlobGas", "0x0"), 16))
    price = int(pooled["gasPrice"], 16)
    return FeeCaps(price, price)


__all__ = [
    "FeeCaps", "NonceUsedElsewhere", "NotMinedInTime", "PoolTakeover", "PoolTakeoverRefused", "SignedTx", "TX_BASE_GAS", "TxCandidate", "TxManager",
    "TxManagerConfig", "TxManagerError", "bump_fee_caps", "calldata_gas", "fee_caps", "gas_with_headroom", "pooled_fees",
]
