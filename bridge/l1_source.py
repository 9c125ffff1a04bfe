"""`node.derive.l1_source.L1Source` over an Ethereum JSON-RPC endpoint (anvil or any L1).

Deposits of a block are read by block hash (`eth_getLogs` with `blockHash`), so a log from a
block that was reorged out can never be mixed into its replacement: every deposit is keyed by
(l1_block_hash, its position among the block's portal deposits), which is exactly its source hash
(`node.deposit_event`).

Blobs (EIP-4844) are not in the execution layer: `blobs` reads them from a beacon node's
`GET /eth/v1/beacon/blobs/{block_id}?versioned_hashes=...` (anvil serves it on its RPC port,
with slots numbered as blocks) and checks each against its versioned hash with KZG, so a lying
beacon node cannot change what a blob transaction committed to. `node.blobs.kzg_trusted_setup` loads the
Ethereum KZG setup once per process (~2.7 s): every KZG user in Lantau shares it.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass
from functools import cached_property
from typing import Sequence


from eth.abc import SignedTransactionAPI
from eth_typing import Address, Hash32
from eth_utils import to_canonical_address, to_checksum_address
from web3 import Web3
from web3.exceptions import BlockNotFound

from bridge.l1_client import L1Client, transport_errors
from node.blobs import BLOB_SIZE, blob_versioned_hash
from node.derive.l1_source import InboxTransaction
from node.deposit_event import TRANSACTION_DEPOSITED_TOPIC, MalformedDepositLog, decode_deposit_log, deposit_transaction, positioned
from node.errors import TemporaryError
from node.l1_block_ref import L1BlockRef

log = logging.getLogger("lantau.l1")


_BEACON_TIMEOUT_S = 10.0


@dataclass
class RpcL1Source:
    w3: Web3
    portal_address: str
    confirmations: int = 0
    beacon_url: str | None = None  # None: the L1 RPC endpoint itself (anvil serves the beacon API)

    @classmethod
    def connect(cls, rpc_url: str, portal_address: str, *, confirmations: int = 0) -> "RpcL1Source":
        return cls(Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": 10})), portal_address, confirmations)

    @cached_property
    def client(self) -> L1Client:
        return L1Client(self.w3)

    def head(self) -> L1BlockRef:
        ref = self.client.head()
        if self.confirmations:
            confirmed = self.block_by_number(max(0, ref.number - self.confirmations))
            assert confirmed is not None
            return confirmed
        return ref

    def block_by_tag(self, tag: str) -> L1BlockRef | None:
        """`safe` or `finalized` as L1 sees it (anvil moves them with --slots-in-an-epoch)."""
        try:
            return self.client.block_ref(tag)
        except ValueError as exc:  # a node that does not know the tag
            raise TemporaryError(f"L1 unreachable: {exc}") from exc

    def block_by_number(self, number: int) -> L1BlockRef | None:
        return self.client.block_ref(number)

    def deposits(self, block: L1BlockRef) -> Sequence[SignedTransactionAPI]:
        try:
            with transport_errors(f"deposits of L1 block {block.number}"):
                logs = self.w3.eth.get_logs(
                    {"blockHash": block.hash, "address": to_checksum_address(self.portal_address), "topics": [TRANSACTION_DEPOSITED_TOPIC]}
                )
        except ValueError as exc:
            raise TemporaryError(f"cannot read deposits of L1 block {block.number}: {exc}") from exc
        deposits = []
        for position, entry in positioned(logs):
            if bytes(entry["blockHash"]) != block.hash:
                raise TemporaryError(f"L1 block {block.number} changed while reading its deposits")
            try:
                event = decode_deposit_log(entry, position)
            except MalformedDepositLog as exc:
                # The portal cannot emit this; skip it loudly rather than halt the chain (its
                # position stays taken: the portal's chain has a link for it).
                log.error("skipping malformed deposit log", extra={"l1_block": block.number, "reason": str(exc)})
                continue
            deposits.append(deposit_transaction(event))
        return deposits

    def inbox_transactions(self, block: L1BlockRef, inbox: Address) -> Sequence[InboxTransaction]:
        """Transactions of `block` sent to `inbox`, read by block hash with their senders.

        The sender filter (only the batcher counts) is derivation's rule, applied in
        node/derive/retrieval.py. The receipts of the block (`eth_getBlockReceipts`, by hash) are
        read only when it has an inbox transaction, for their status: the inbox is a contract,
        and a reverted call to it does not count.
        """
        try:
            with transport_errors(f"transactions of L1 block {block.number}"):
                full = self.w3.eth.get_block(block.hash, full_transactions=True)
        except BlockNotFound as exc:
            raise TemporaryError(f"L1 block {block.number} ({block.hash.hex()}) is no longer available") from exc
        except ValueError as exc:
            raise TemporaryError(f"cannot read transactions of L1 block {block.number}: {exc}") from exc
        if bytes(full["hash"]) != block.hash:
            raise TemporaryError(f"L1 block {block.number} changed while reading its transactions")
        inbox_address = bytes(inbox)
        found = []
        for position, tx in enumerate(full["transactions"]):
            to = tx.get("to")
            if to is None or to_canonical_address(to) != inbox_address:
                continue
            found.append(
                InboxTransaction(
                    index=int(tx.get("transactionIndex", position)),
                    sender=Address(to_canonical_address(tx["from"])),
                    data=bytes(tx.get("input", b"")),
                    tx_type=int(tx.get("type", 0) or 0),
                    blob_versioned_hashes=tuple(Hash32(bytes(h)) for h in tx.get("blobVersionedHashes", []) or []),
                )
            )
        if found:
            status = self._receipt_status(block)
            found = [dataclasses.replace(tx, succeeded=status.get(tx.index) == 1) for tx in found]
        return found

    def _receipt_status(self, block: L1BlockRef) -> dict[int, int]:
        """Transaction index -> receipt status of every transaction of `block`."""
        try:
            with transport_errors(f"receipts of L1 block {block.number}"):
                receipts = self.w3.provider.make_request("eth_getBlockReceipts", ["0x" + bytes(block.hash).hex()])
        except ValueError as exc:
            raise TemporaryError(f"cannot read receipts of L1 block {block.number}: {exc}") from exc
        result = receipts.get("result")
        if not isinstance(result, list):
            raise TemporaryError(f"no receipts for L1 block {block.number}: {receipts.get('error')}")
        status = {}
        for receipt in result:
            if bytes.fromhex(str(receipt["blockHash"])[2:]) != block.hash:
                raise TemporaryError(f"L1 block {block.number} changed while reading its receipts")
            status[int(receipt["transactionIndex"], 16)] = int(receipt["status"], 16)
        return status


    def blobs(self, block: L1BlockRef, versioned_hashes: Sequence[Hash32]) -> list[bytes]:
        """The blobs of `block` with these versioned hashes, in the order asked, each checked.

        Raises `TemporaryError` when the beacon node is unreachable or misses a blob, and when a
        blob does not match its versioned hash (another beacon node may answer correctly).
        """
        if not versioned_hashes:
            return []
        base = (self.beacon_url or str(getattr(self.w3.provider, "endpoint_uri", ""))).rstrip("/")
        query = ",".join("0x" + bytes(h).hex() for h in versioned_hashes)
        url = f"{base}/eth/v1/beacon/blobs/{block.number}?versioned_hashes={query}"
        try:
            with urllib.request.urlopen(url, timeout=_BEACON_TIMEOUT_S) as response:
                answer = json.loads(response.read())
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise TemporaryError(f"cannot read blobs of L1 block {block.number}: {exc}") from exc
        by_hash: dict[bytes, bytes] = {}
        for item in answer.get("data") or []:
            blob = bytes.fromhex(str(item).removeprefix("0x"))
            if len(blob) != BLOB_SIZE:
                raise TemporaryError(f"beacon node returned a {len(blob)}-byte blob for L1 block {block.number}")
            by_hash[blob_versioned_hash(blob)] = blob
        missing = [h for h in versioned_hashes if bytes(h) not in by_hash]
        if missing:
            raise TemporaryError(
                f"beacon node has no blob {'0x' + bytes(missing[0]).hex()} of L1 block {block.number} "
                f"({len(missing)} of {len(versioned_hashes)} missing or not matching their versioned hash)"
            )
        return [by_hash[bytes(h)] for h in versioned_hashes]
