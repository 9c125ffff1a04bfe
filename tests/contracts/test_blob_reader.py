"""`BlobReader` (contracts/src/L1/derive/BlobReader.sol) on a real anvil (Cancun: the
point-evaluation precompile 0x0a is there): blobs posted by the batcher are read on L1 to the
bytes node derives from them, from their first halves only; random halves decode on L1 exactly as
`node.blobs.decode_blob` decodes the blob, or are refused under the name of node's
`BlobEncodingError` subclass; h(z), the half's interpolant evaluated on L1, is what c-kzg's
evaluations of p and node's quotient q give, p(z) - (z^2048 - 1) q(z), and the precompile accepts
node's openings of p and q at r for random blobs (random second halves included); evidence that
does not show the named blob's half (a changed byte, a wrong C_q, a swapped or stale proof, a wrong
value, versioned hashes not the inbox's item, a non-canonical field element) is refused with a named
error, and the reader still reads the right evidence afterwards."""

from __future__ import annotations

import dataclasses
import os
import random
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ckzg
import pytest
from eth_account import Account
from eth_utils import keccak, to_canonical_address
from web3 import Web3

from bridge.l1_client import L1Client
from bridge.l1_source import RpcL1Source
from bridge.tx_manager import TxManager
from genesis.artifacts import load_artifact
from genesis.dev_accounts import dev_accounts
from genesis.rollup_config import CHANNEL_TIMEOUT, MAX_SEQUENCER_DRIFT, SEQUENCING_WINDOW
from node.batch_inbox import BLOBS_KIND, CALLDATA_KIND, batch_item
from node.blobs import (
    BLOB_SIZE,
    BLS_MODULUS,
    HALF_SIZE,
    MAX_BLOB_DATA_SIZE,
    decode_blob,
    encode_blob,
    half_challenge,
    kzg_commitment,
    kzg_trusted_setup,
    quotient_blob,
    versioned_hash,
)
from node.chain import Chain
from node.channels import FRAME_OVERHEAD, MAX_CHANNEL_BYTES
from node.derive.config import RollupDerivationConfig
from node.derive.l1_source import InboxTransaction
from node.derive.pipeline import DerivationPipeline
from node.derive.retrieval import retrieve
from node.errors import BlobEncodingError
from prover.blob_evidence import BlobEvidence, blob_evidence, shown_blobs
from sequencer.batcher import Batcher, BatcherConfig
from tests.harness.devnet import running_l1_devnet
from tests.harness.evm import Contracts, dev_keys
from tests.node.derive.sequencing import GENESIS, Wallets, sequence_block

BATCHER = dev_accounts()[1]  # the devnet's batcher (SystemConfig.batcher)
DEPLOYER = 3  # not the batcher: its nonces stay the batcher's own


@pytest.fixture(scope="module")
def reader(contracts: Contracts) -> Any:
    return contracts.deploy("BlobReader")


def evidence_for(blobs: list[bytes], index: int) -> BlobEvidence:
    """Evidence for blob `index` of a blob transaction carrying `blobs` (as the inbox records it)."""
    hashes = tuple(versioned_hash(kzg_commitment(b)) for b in blobs)
    tx = InboxTransaction(index=0, sender=b"\x00" * 20, data=b"", tx_type=3, blob_versioned_hashes=hashes)
    return blob_evidence(tx, blobs)[index]


def refusal(contracts: Contracts, reader: Any, item: bytes, shown: tuple[Any, ...]) -> tuple[str, tuple[Any, ...]]:
    return contracts.revert_of(0, reader.functions.read(item, shown))


SHOWN_FIELDS = ("versioned_hashes", "index", "half", "commitment", "quotient_commitment", "y", "quotient_y", "proof", "quotient_proof")


def args_with(evidence: BlobEvidence, **changes: Any) -> tuple[bytes, tuple[Any, ...]]:
    """`read`'s arguments (item, ShownBlob) with some of them changed (`item=`, or a ShownBlob field)."""
    fields = dict(zip(SHOWN_FIELDS, evidence.shown_abi()))
    item = changes.pop("item", bytes(evidence.item))
    fields.update(changes)
    return item, tuple(fields.values())


def opened_at(blob: bytes, r: int) -> tuple[int, bytes]:
    """(value, proof) of c-kzg's opening of `blob`'s polynomial at r."""
    proof, y = ckzg.compute_kzg_proof(blob, r.to_bytes(32, "big"), kzg_trusted_setup())
    return int.from_bytes(bytes(y), "big"), bytes(proof)


def random_data(rng: random.Random) -> bytes:
    length = rng.choice([0, 1, 126, 127, 128, rng.randrange(1, 5_000), rng.randrange(5_000, MAX_BLOB_DATA_SIZE), MAX_BLOB_DATA_SIZE])
    kind = rng.choice(["random", "ff", "sparse"])
    if kind == "ff":
        return b"\xff" * length
    if kind == "sparse":
        return bytes(rng.choice([0, 0, 0, rng.randrange(256)]) for _ in range(length))
    return rng.randbytes(length)


# --- the decoder, differentially ------------------------------------------------------------------


def test_random_blobs_decode_on_l1_as_node_decodes_them(contracts: Contracts, reader: Any) -> None:
    rng = random.Random(int(os.environ.get("BLOB_READER_SEED", "4844")))
    for case in range(10):
        data = random_data(rng)
        blob = encode_blob(data)
        assert bytes(reader.functions.decode(blob[:HALF_SIZE]).call()) == decode_blob(blob) == data, f"case {case}: {len(data)} bytes"


def _mutations(rng: random.Random, blob: bytes) -> Iterator[tuple[str, bytes]]:
    def put(at: int, value: int) -> bytes:
        return blob[:at] + bytes([value]) + blob[at + 1:]

    yield "version", put(1, rng.randrange(1, 256))
    yield "length over the limit", blob[:2] + rng.randrange(MAX_BLOB_DATA_SIZE + 1, 2**24).to_bytes(3, "big") + blob[5:]
    length = int.from_bytes(blob[2:5], "big")
    if length:
        yield "length shortened", blob[:2] + rng.randrange(length).to_bytes(3, "big") + blob[5:]
    element = rng.randrange(2048)
    yield "top bit", put(32 * element, blob[32 * element] | rng.choice([0x40, 0x80, 0xC0]))
    yield "last byte of the half", put(HALF_SIZE - 1, rng.randrange(1, 256))
    at = rng.randrange(HALF_SIZE)
    yield "random byte", put(at, rng.randrange(256))
    # Padding not zero in round 200 and a top bit in round 450: node names the top bit (it checks
    # every round's top bits before the padding), and so must L1.
    both = put(200 * 128 + 5, 0x01)
    yield "padding, then a later top bit", both[:450 * 128 + 64] + bytes([both[450 * 128 + 64] | 0x80]) + both[450 * 128 + 65:]


def test_bad_encodings_are_refused_on_l1_by_node_errors_name(contracts: Contracts, reader: Any) -> None:
    """Each mutation: node's refusal (a `BlobEncodingError` subclass) and L1's error have the same
    name and L1's argument is node's (round, version or length), or both read the same data."""
    rng = random.Random(15)
    refused = set()
    for _ in range(4):
        blob = encode_blob(random_data(rng))
        for what, mutated in _mutations(rng, blob):
            try:
                expected = decode_blob(mutated)
            except BlobEncodingError as exc:
                name, args = contracts.revert_of(0, reader.functions.decode(mutated[:HALF_SIZE]))
                assert name == type(exc).__name__, f"{what}: L1 {name}{args}, node {exc!r}"
                if args:
                    assert str(args[0]) in str(exc), f"{what}: L1 {name}{args}, node {exc}"
                refused.add(name)
            else:
                assert bytes(reader.functions.decode(mutated[:HALF_SIZE]).call()) == expected, what
    assert refused >= {"UnknownBlobEncodingVersion", "BlobDataTooLong", "BlobFieldElementTopBitsSet", "BlobTrailingData"}
    assert contracts.revert_of(0, reader.functions.decode(b"\x00" * (HALF_SIZE - 1))) == ("WrongBlobSize", (HALF_SIZE - 1,))
    assert contracts.revert_of(0, reader.functions.decode(b"\x00" * BLOB_SIZE)) == ("WrongBlobSize", (BLOB_SIZE,))


# --- the KZG check ----------------------------------------------------------------------------------


def random_blob(rng: random.Random, data_bytes: int, *, random_tail: bool) -> bytes:
    """A blob carrying `data_bytes` random bytes; its second half random field elements or zero."""
    blob = encode_blob(rng.randbytes(data_bytes))
    if random_tail:
        blob = blob[:HALF_SIZE] + b"".join(rng.randrange(BLS_MODULUS).to_bytes(32, "big") for _ in range(2048))
    return blob


def test_the_halfs_interpolant_on_l1_is_p_less_the_vanishing_times_q(reader: Any) -> None:
    """`challenge` is node's `half_challenge`; `evaluate(half, z)` = p(z) - (z^2048 - 1) q(z) with p
    and q evaluated by c-kzg (q node's `quotient_blob`), at r and at random points; at a root of unity
    ω^2k (k < 1024) it is the half's element there, index bitrev12(2k)."""
    rng = random.Random(7)
    blob = random_blob(rng, 20_000, random_tail=True)
    half, quotient = blob[:HALF_SIZE], quotient_blob(blob)
    commitment, quotient_commitment = kzg_commitment(blob), kzg_commitment(quotient)
    r = half_challenge(commitment, quotient_commitment, half)
    assert reader.functions.challenge(commitment, quotient_commitment, half).call() == r
    for point in (r, rng.randrange(BLS_MODULUS), 1 + rng.randrange(2**64)):
        expected = (opened_at(blob, point)[0] - (pow(point, 2048, BLS_MODULUS) - 1) * opened_at(quotient, point)[0]) % BLS_MODULUS
        assert reader.functions.evaluate(half, point).call() == expected
    omega = reader.functions.ROOT_OF_UNITY().call()
    assert pow(omega, 4096, BLS_MODULUS) == 1 != pow(omega, 2048, BLS_MODULUS)
    for k in (0, 1024, 512, 1536, 5, 1023, 2047):
        index = int(format(2 * k, "012b")[::-1], 2)
        assert index < 2048
        assert reader.functions.evaluate(half, pow(omega, 2 * k, BLS_MODULUS)).call() == int.from_bytes(half[32 * index:32 * index + 32], "big"), k


def test_blobs_of_a_transaction_read_on_l1(reader: Any) -> None:
    """Random blobs, random second halves among them: node's q satisfies the identity and the
    precompile accepts both openings (`verify`), and `read` gives node's data."""
    rng = random.Random(11)
    blobs = [random_blob(rng, rng.randrange(1, MAX_BLOB_DATA_SIZE), random_tail=index % 2 == 0) for index in range(4)]
    for index in range(4):
        evidence = evidence_for(blobs, index)
        assert len(evidence.half) == HALF_SIZE
        assert bytes(reader.functions.read(*evidence.read_args()).call()) == decode_blob(blobs[index])


def test_evidence_that_does_not_show_the_half_is_refused(contracts: Contracts, reader: Any) -> None:
    rng = random.Random(12)
    blobs = [random_blob(rng, 2_000, random_tail=True), encode_blob(rng.randbytes(3_000))]
    good, other = evidence_for(blobs, 0), evidence_for(blobs, 1)
    named = bytes(good.versioned_hashes[0])
    opening = good.opening

    def refused(**changes: Any) -> tuple[str, tuple[Any, ...]]:
        return refusal(contracts, reader, *args_with(good, **changes))

    # A changed byte of the half: r moves, and p's opening at the old r no longer holds.
    flipped = bytearray(good.half)
    flipped[rng.randrange(1, HALF_SIZE // 32) * 32 + 7] ^= 0x01  # one data byte
    flipped = bytes(flipped)
    assert refused(half=flipped) == ("BlobNotProven", (named,))
    # ... and with p and q opened afresh at the new r: both open, the identity fails.
    r = half_challenge(opening.commitment, opening.quotient_commitment, flipped)
    (y, proof), (quotient_y, quotient_proof) = opened_at(blobs[0], r), opened_at(quotient_blob(blobs[0]), r)
    assert refused(half=flipped, y=y, proof=proof, quotient_y=quotient_y, quotient_proof=quotient_proof) == ("HalfNotInBlob", (named,))
    # A wrong C_q (the other blob's quotient), p opened at its r: q's stale proof is refused; opened
    # too, the identity fails.
    other_quotient = quotient_blob(blobs[1])
    wrong_cq = kzg_commitment(other_quotient)
    r = half_challenge(opening.commitment, wrong_cq, good.half)
    (y, proof), (quotient_y, quotient_proof) = opened_at(blobs[0], r), opened_at(other_quotient, r)
    assert refused(quotient_commitment=wrong_cq, y=y, proof=proof) == ("QuotientNotProven", (bytes(versioned_hash(wrong_cq)),))
    assert refused(quotient_commitment=wrong_cq, y=y, proof=proof, quotient_y=quotient_y, quotient_proof=quotient_proof) == (
        "HalfNotInBlob", (named,))
    assert refused(quotient_commitment=wrong_cq) == ("BlobNotProven", (named,))
    # Swapped proofs, a wrong value, another blob's proof.
    quotient_hash = bytes(versioned_hash(opening.quotient_commitment))
    assert refused(proof=opening.quotient_proof, quotient_proof=opening.proof) == ("BlobNotProven", (named,))
    assert refused(quotient_proof=opening.proof) == ("QuotientNotProven", (quotient_hash,))
    assert refused(y=(opening.y + 1) % BLS_MODULUS) == ("BlobNotProven", (named,))
    assert refused(quotient_y=(opening.quotient_y + 1) % BLS_MODULUS) == ("QuotientNotProven", (quotient_hash,))
    assert refused(y=opening.y + BLS_MODULUS) == ("BlobNotProven", (named,))  # not a field element
    assert refused(proof=other.opening.proof) == ("BlobNotProven", (named,))
    # The other blob's commitment: not this blob's versioned hash; the other blob's half with all
    # its own evidence, shown as blob 0, likewise.
    assert refused(commitment=other.opening.commitment) == ("CommitmentNotVersionedHash", (named, bytes(other.versioned_hashes[1])))
    other_shown = dict(zip(SHOWN_FIELDS, other.shown_abi()))
    del other_shown["versioned_hashes"], other_shown["index"]
    assert refused(**other_shown) == ("CommitmentNotVersionedHash", (named, bytes(other.versioned_hashes[1])))
    assert refused(versioned_hashes=[named]) == ("BlobsNotInItem", (bytes(good.item),))
    assert refused(index=2) == ("BlobIndexOutOfRange", (2, 2))
    assert refused(half=good.half[:-32]) == ("WrongBlobSize", (HALF_SIZE - 32,))
    assert refused(half=blobs[0]) == ("WrongBlobSize", (BLOB_SIZE,))  # the whole blob is not what is shown
    assert refused(commitment=opening.commitment[:47]) == ("WrongCommitmentLength", (47,))
    assert refused(quotient_commitment=opening.quotient_commitment + b"\x00") == ("WrongCommitmentLength", (49,))
    assert refused(proof=opening.proof + b"\x00") == ("WrongProofLength", (49,))
    assert refused(quotient_proof=opening.quotient_proof[:1]) == ("WrongProofLength", (1,))
    # Element 5 raised by the modulus: the same value mod p, so h is the same, and with p and q
    # opened at the r of these bytes every other check holds; only the range check stops it.
    element = int.from_bytes(good.half[160:192], "big") + BLS_MODULUS
    assert element < 2**256
    lifted = good.half[:160] + element.to_bytes(32, "big") + good.half[192:]
    r = half_challenge(opening.commitment, opening.quotient_commitment, lifted)
    (y, proof), (quotient_y, quotient_proof) = opened_at(blobs[0], r), opened_at(quotient_blob(blobs[0]), r)
    assert refused(half=lifted, y=y, proof=proof, quotient_y=quotient_y, quotient_proof=quotient_proof) == (
        "FieldElementNotCanonical", (5,))
    # Nothing changed: the right evidence still reads.
    assert bytes(reader.functions.read(*good.read_args()).call()) == decode_blob(blobs[0])


def test_a_shown_half_that_is_not_an_encoding_is_proven_then_refused_by_its_encoding(contracts: Contracts, reader: Any) -> None:
    """A blob derivation drops (a valid blob, not a version-0 encoding): `verify` accepts the
    evidence, `read` refuses the encoding with node's reason, so the derivation leaf can tell
    garbage the batcher posted from evidence that does not show it."""
    blob = bytearray(encode_blob(b"lantau"))
    blob[HALF_SIZE - 1] = 0x2A
    blob = bytes(blob)
    with pytest.raises(BlobEncodingError, match="after the blob's data"):
        decode_blob(blob)
    evidence = evidence_for([blob], 0)
    reader.functions.verify(*evidence.read_args()).call()
    assert refusal(contracts, reader, *evidence.read_args()) == ("BlobTrailingData", ())


def test_a_blob_transactions_items_read_on_l1_bad_encodings_left_out(contracts: Contracts, reader: Any) -> None:
    """`readItem` (DerivationStep's reading of a kind-1 item): every blob of the transaction shown,
    each proven and decoded; a blob whose encoding node refuses is left out (derivation drops it),
    the others kept in order; evidence that does not show every blob at its index is refused by name."""
    rng = random.Random(13)
    bad = bytearray(encode_blob(b"lantau"))
    bad[HALF_SIZE - 1] = 0x2A  # trailing data: BlobTrailingData
    blobs = [encode_blob(rng.randbytes(2_000)), bytes(bad), encode_blob(rng.randbytes(500))]
    shown = [evidence_for(blobs, index) for index in range(3)]
    item = bytes(shown[0].item)
    kept = [bytes(d) for d in reader.functions.readItem(item, shown_blobs(shown)).call()]
    assert kept == [decode_blob(blobs[0]), decode_blob(blobs[2])]
    assert contracts.revert_of(0, reader.functions.readItem(item, shown_blobs(shown[:2]))) == ("BlobsNotShown", (item, 0))
    assert contracts.revert_of(0, reader.functions.readItem(item, shown_blobs([shown[1], shown[0], shown[2]]))) == ("BlobsNotShown", (item, 0))
    assert contracts.revert_of(0, reader.functions.readItem(item, shown_blobs([]))) == ("BlobsNotShown", (item, 0))
    assert contracts.revert_of(0, reader.functions.readItem(item, b"\x00" * 31)) == ("BlobsNotShown", (item, 0))
    flipped = bytearray(shown[2].half)
    flipped[40] ^= 0x01
    wrong = shown_blobs([*shown[:2], dataclasses.replace(shown[2], half=bytes(flipped))])
    assert contracts.revert_of(0, reader.functions.readItem(item, wrong)) == ("BlobNotProven", (bytes(shown[2].versioned_hashes[2]),))
    assert [bytes(d) for d in reader.functions.readItem(item, shown_blobs(shown)).call()] == kept  # a view: nothing changed


def test_gas_of_reading_a_full_blob(contracts: Contracts, reader: Any) -> None:
    """Printed for bench/blob_reader.py's record; asserted only against EIP-7825's per-transaction cap."""
    blob = encode_blob(random.Random(5).randbytes(MAX_BLOB_DATA_SIZE))
    evidence = evidence_for([blob], 0)
    gas = {name: call.estimate_gas() for name, call in (
        ("read", reader.functions.read(*evidence.read_args())),
        ("verify", reader.functions.verify(*evidence.read_args())),
        ("evaluate", reader.functions.evaluate(evidence.half, 3)),
        ("decode", reader.functions.decode(evidence.half)),
    )}
    print("BlobReader gas (full blob, calldata included):", gas)
    assert gas["read"] < 16_777_216


# --- a blob the batcher posted ---------------------------------------------------------------------


def post_in_blobs(devnet: Any, w3: Web3, chain: Chain, tmp_path: Path, *, max_channel_blocks: int) -> Batcher:
    """A blob batcher on the devnet's inbox, stepped (L1 mined 4 blocks a round) until every block of `chain` is safe."""
    config = BatcherConfig(batch_inbox=devnet.deployment.batch_inbox, use_blobs=True, max_channel_blocks=max_channel_blocks)
    batcher = Batcher(chain, TxManager(L1Client(w3), BATCHER.private_key), config=config, state_path=tmp_path / "batcher.json")
    for _ in range(30):
        batcher.step(close_open_channel=True)
        if batcher.safe_l2_block == chain.head.block_number and not batcher.state.channels:
            return batcher
        devnet.anvil.rpc("anvil_mine", ["0x4"])
    raise AssertionError(f"blocks not posted: safe L2 {batcher.safe_l2_block} of {chain.head.block_number}")


@pytest.mark.e2e
def test_blobs_the_batcher_posted_read_on_l1_as_node_derives_them(tmp_path: Path) -> None:
    """The sequencer's batcher posts L2 blocks in blob transactions to the devnet's BatchInbox;
    for every L1 block with one, the inbox's items are the block's record (`isBlockData`) and
    each blob, fetched from anvil's beacon API, read on L1 from its inbox item is exactly the
    batcher data derivation's retrieval took from that block."""
    with running_l1_devnet(block_time_s=None, genesis=GENESIS) as devnet:
        w3 = Web3(Web3.HTTPProvider(devnet.anvil.rpc_url, request_kwargs={"timeout": 60}))
        l1 = RpcL1Source(w3, devnet.deployment.lantau_portal)
        contracts = Contracts(w3=w3, anvil=devnet.anvil, keys=dev_keys())
        reader = contracts.deploy("BlobReader", sender=DEPLOYER)
        inbox = w3.eth.contract(address=devnet.deployment.batch_inbox, abi=list(load_artifact("BatchInbox").abi))
        chain, wallets = Chain.open(None, GENESIS), Wallets()
        for _ in range(10):
            sequence_block(chain, l1, int(time.time()), [wallets.transfer() for _ in range(wallets.rng.randrange(4))])
        batcher = post_in_blobs(devnet, w3, chain, tmp_path, max_channel_blocks=5)

        inbox_address = to_canonical_address(devnet.deployment.batch_inbox)
        read = 0
        for number in range(w3.eth.block_number + 1):
            block = l1.block_by_number(number)
            assert block is not None
            txs = [tx for tx in l1.inbox_transactions(block, inbox_address) if tx.succeeded]
            if not any(tx.tx_type == 3 for tx in txs):
                continue
            derived = retrieve(l1, block, batch_inbox=inbox_address, batcher_address=to_canonical_address(BATCHER.address))
            assert inbox.functions.isBlockData(number, [batch_item(tx) for tx in txs]).call()
            on_l1 = []
            for tx in txs:
                assert batch_item(tx)[0] == BLOBS_KIND and batch_item(tx)[1] == keccak(b"".join(tx.blob_versioned_hashes))
                for evidence in blob_evidence(tx, l1.blobs(block, tx.blob_versioned_hashes)):
                    on_l1.append(bytes(reader.functions.read(*evidence.read_args()).call()))
            assert tuple(on_l1) == derived.batcher_data and all(d[0] == 0 for d in on_l1)
            read += len(on_l1)
        # one frame a channel; how many channels 10 blocks make depends on L1's head (the batcher
        # closes a channel of stale blocks before a fresh block joins it: sequencer/channel_manager)
        assert read == batcher.metrics.frames_posted == batcher.metrics.channels_confirmed >= 2


@pytest.mark.e2e
def test_a_channel_past_one_blob_goes_out_in_calldata(tmp_path: Path) -> None:
    """A channel of near-incompressible transactions whose FastLZ bytes pass one blob's 65,020
    bytes of data (under MAX_CHANNEL_BYTES), from a batcher posting in blobs: it goes out as one
    frame in one calldata transaction (two blobs would show the step over its L1 block 132,800 B of
    `ShownBlob[]`, over geth's 128 KiB), the inbox records it, and a verifier's pipeline derives the
    sequencer's blocks from it."""
    rng = random.Random(21)
    with running_l1_devnet(block_time_s=None, genesis=GENESIS) as devnet:
        w3 = Web3(Web3.HTTPProvider(devnet.anvil.rpc_url, request_kwargs={"timeout": 60}))
        l1 = RpcL1Source(w3, devnet.deployment.lantau_portal)
        chain = Chain.open(None, GENESIS)
        sender = dev_accounts()[4]
        nonce = 0

        def data_tx(size: int) -> bytes:
            nonlocal nonce
            tx = {"to": dev_accounts()[5].address, "value": 1, "data": rng.randbytes(size), "gas": 21_000 + 16 * size + 10_000,
                  "nonce": nonce, "chainId": GENESIS.chain_id, "type": 2, "maxFeePerGas": 3 * 10**9, "maxPriorityFeePerGas": 1}
            nonce += 1
            return bytes(Account.sign_transaction(tx, sender.private_key).raw_transaction)

        # ~58.9 KB then ~4.3 KB of random calldata: one channel (under 64,000 decompressed bytes), whose
        # FastLZ stream (+1 byte in 32 on random data) passes BLOB_FRAME_DATA
        sequence_block(chain, l1, int(time.time()), [data_tx(14_700) for _ in range(4)])
        sequence_block(chain, l1, int(time.time()), [data_tx(4_300)])
        batcher = post_in_blobs(devnet, w3, chain, tmp_path, max_channel_blocks=2)
        assert batcher.metrics.channels_confirmed == 1 and batcher.metrics.frames_posted == 1

        inbox_address = to_canonical_address(devnet.deployment.batch_inbox)
        batcher_txs = []
        for number in range(w3.eth.block_number + 1):
            block = l1.block_by_number(number)
            assert block is not None
            batcher_txs += [(block, tx) for tx in l1.inbox_transactions(block, inbox_address) if tx.succeeded]
        [(block, tx)] = batcher_txs  # one transaction, in calldata
        assert tx.tx_type != 3 and not tx.blob_versioned_hashes
        assert MAX_BLOB_DATA_SIZE < len(tx.data) <= 1 + FRAME_OVERHEAD + MAX_CHANNEL_BYTES
        assert batch_item(tx)[0] == CALLDATA_KIND
        derived = retrieve(l1, block, batch_inbox=inbox_address, batcher_address=to_canonical_address(BATCHER.address))
        assert derived.batcher_data == (bytes(tx.data),)
        print(f"a channel past one blob: one calldata transaction of {len(tx.data):,} B (two blobs' ShownBlob[] was 132,800 B)")

        verifier = Chain.open(None, GENESIS)
        pipeline = DerivationPipeline(RollupDerivationConfig(
            batch_inbox=inbox_address, batcher_address=to_canonical_address(BATCHER.address), sequencing_window=SEQUENCING_WINDOW,
            channel_timeout=CHANNEL_TIMEOUT, max_sequencer_drift=MAX_SEQUENCER_DRIFT), l1, verifier)
        while pipeline.step() is not None:
            pass
        assert pipeline.safe_head.hash == chain.head.hash
