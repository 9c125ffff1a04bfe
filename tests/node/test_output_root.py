"""Output roots and withdrawal hashes: known answers, the Solidity twins on anvil, the
`L2ToL1MessagePasser` itself, and a withdrawal made on the L2 VM proven as the portal will.

Known answers. Every preimage below is written out word by word (32-byte big-endian words) and
built by plain concatenation in the tests, not with eth_abi; its hash is checked with
pycryptodome's Keccak, an implementation independent of the eth-hash backend the code uses, and
against the literal recorded here.

    output_root(0, 0, 0)
        preimage = 00…00 (version) ‖ 00…00 ‖ 00…00 ‖ 00…00                       128 bytes
        = 0x012893657d8eb2efad4de0a91bcd0e39ad9837745dec3ea923737ea803fc8e3d
    output_root(11…11, 22…22, 33…33)
        preimage = 00…00 ‖ 11…11 ‖ 22…22 ‖ 33…33                                  128 bytes
        = 0xd50bf2ff34ced71be0d2f0be7c2433c6b39d9c3b16c95daf1ed6f24b7578a3b2
    withdrawal_hash(nonce=0, sender=0x…01, target=0x…02, value=0, gas_limit=0, data=b"")
        preimage = w(0) ‖ w(1) ‖ w(2) ‖ w(0) ‖ w(0) ‖ w(0xc0: offset of data) ‖ w(0: its length)
                                                                                  224 bytes
        = 0x6b6ab91cadebd5ed28950d9c3b6925bff58897a1d4a01d197e443fa425b331d0
    withdrawal_hash(7, 0x…dead, 0x…beef, 10**18, 100_000, b"\\xca\\xfe")
        preimage = w(7) ‖ w(0xdead) ‖ w(0xbeef) ‖ w(10**18) ‖ w(100000) ‖ w(0xc0) ‖ w(2)
                   ‖ cafe ‖ 30 zero bytes                                         256 bytes
        = 0x2085abd9007255741f0a4106ab14cf3c3fd79691738c58a21f2c59e5ff970071
    withdrawal_storage_key(0x6b6a…31d0)
        preimage = 6b6a…31d0 ‖ w(0: slot of sentMessages)                          64 bytes
        = 0x4dbb4c51a99eb7c676b9b3e14a788b0a6b11a5b7e3c58ce49656dad21d739dc6
"""

from __future__ import annotations

import random
from typing import Any

import pytest
import rlp
from Crypto.Hash import keccak as pycryptodome_keccak
from eth_account import Account
from eth_hash.auto import keccak
from eth_utils import to_canonical_address, to_checksum_address
from trie import HexaryTrie
from web3 import Web3
from web3.contract import Contract

from bridge.anvil import AnvilProcess
from genesis.artifacts import load_artifact
from genesis.config import GenesisConfig
from genesis.dev_accounts import dev_accounts
from genesis.predeploys import BASE_FEE_VAULT, L2_TO_L1_MESSAGE_PASSER, SEQUENCER_FEE_VAULT
from node.chain import BlockAttributes, Chain
from node.output_root import (
    MESSAGE_VERSION,
    OUTPUT_VERSION_V0,
    SENT_MESSAGES_SLOT,
    output_root,
    versioned_nonce,
    withdrawal_hash,
    withdrawal_storage_key,
)
from node.vm import LantauVM
from tests.harness.anvil import anvil, anvil_options, w3  # noqa: F401 (fixtures)
from tests.harness.evm import Contracts, dev_keys


def w(value: int) -> bytes:
    return value.to_bytes(32, "big")


def independent_keccak(data: bytes) -> bytes:
    return pycryptodome_keccak.new(digest_bits=256, data=data).digest()


def address(value: int) -> bytes:
    return value.to_bytes(20, "big")


# ---- known answers -------------------------------------------------------------------------

OUTPUT_ROOT_TABLE = [
    ((bytes(32), bytes(32), bytes(32)), bytes(128),
     "012893657d8eb2efad4de0a91bcd0e39ad9837745dec3ea923737ea803fc8e3d"),
    ((b"\x11" * 32, b"\x22" * 32, b"\x33" * 32), bytes(32) + b"\x11" * 32 + b"\x22" * 32 + b"\x33" * 32,
     "d50bf2ff34ced71be0d2f0be7c2433c6b39d9c3b16c95daf1ed6f24b7578a3b2"),
]

WITHDRAWAL_TABLE = [
    ((0, address(1), address(2), 0, 0, b""), w(0) + w(1) + w(2) + w(0) + w(0) + w(0xC0) + w(0),
     "6b6ab91cadebd5ed28950d9c3b6925bff58897a1d4a01d197e443fa425b331d0"),
    ((7, address(0xDEAD), address(0xBEEF), 10**18, 100_000, b"\xca\xfe"),
     w(7) + w(0xDEAD) + w(0xBEEF) + w(10**18) + w(100_000) + w(0xC0) + w(2) + b"\xca\xfe" + bytes(30),
     "2085abd9007255741f0a4106ab14cf3c3fd79691738c58a21f2c59e5ff970071"),
]


@pytest.mark.parametrize(("words", "preimage", "expected"), OUTPUT_ROOT_TABLE)
def test_output_root_known_answers(words: tuple[bytes, bytes, bytes], preimage: bytes, expected: str) -> None:
    assert independent_keccak(preimage).hex() == expected
    assert output_root(*words) == bytes.fromhex(expected)


@pytest.mark.parametrize(("fields", "preimage", "expected"), WITHDRAWAL_TABLE)
def test_withdrawal_hash_known_answers(fields: tuple[Any, ...], preimage: bytes, expected: str) -> None:
    assert independent_keccak(preimage).hex() == expected
    assert withdrawal_hash(*fields) == bytes.fromhex(expected)


def test_withdrawal_storage_key_known_answer() -> None:
    hash_ = bytes.fromhex(WITHDRAWAL_TABLE[0][2])
    expected = "4dbb4c51a99eb7c676b9b3e14a788b0a6b11a5b7e3c58ce49656dad21d739dc6"
    assert independent_keccak(hash_ + w(0)).hex() == expected
    assert withdrawal_storage_key(hash_) == bytes.fromhex(expected)


def test_constants_and_nonce_versioning() -> None:
    assert OUTPUT_VERSION_V0 == bytes(32)
    assert SENT_MESSAGES_SLOT == 0 and MESSAGE_VERSION == 0
    assert versioned_nonce(0) == 0 and versioned_nonce(41) == 41
    assert versioned_nonce(5, version=1) == (1 << 240) + 5
    with pytest.raises(ValueError):
        versioned_nonce(1 << 240)


def test_words_of_the_wrong_size_are_refused() -> None:
    with pytest.raises(ValueError, match="state_root"):
        output_root(bytes(31), bytes(32), bytes(32))
    with pytest.raises(ValueError, match="block_hash"):
        output_root(bytes(32), bytes(32), bytes(33))
    with pytest.raises(ValueError):
        withdrawal_storage_key(bytes(20))


def test_storage_layout_puts_sent_messages_at_slot_0() -> None:
    """The L1 proof reads `sentMessages[h]` at keccak256(h ‖ slot): the slot must be the one
    the compiler gave the mapping, and the nonce must live elsewhere."""
    artifact = load_artifact("L2ToL1MessagePasser")
    assert artifact.storage_slot("sentMessages") == SENT_MESSAGES_SLOT == 0
    assert artifact.storage_slot("msgNonce") == 1
    # What the genesis writes (the L1 portal, token and gas bound) comes after both.
    assert [entry["label"] for entry in artifact.storage_layout["storage"]] == [
        "sentMessages", "msgNonce", "l1Portal", "l1HkdToken", "maxGasLimit",
    ]


# ---- the Solidity twins on anvil -------------------------------------------------------------


@pytest.fixture(scope="module")
def l1(anvil: AnvilProcess, w3: Web3) -> Contracts:  # noqa: F811
    """The Solidity twins' chain: the harness' anvil (tests/harness/anvil.py), driven as the dev accounts."""
    return Contracts(w3=w3, anvil=anvil, keys=dev_keys())


@pytest.fixture(scope="module")
def harness(l1: Contracts) -> Contract:
    return l1.deploy("MerkleTrieHarness")


@pytest.fixture(scope="module")
def passer(l1: Contracts) -> Contract:
    """The passer's runtime code and genesis storage installed at its predeploy address, exactly as
    the L2 genesis places them (no constructor runs)."""
    placed = GenesisConfig.load().alloc[L2_TO_L1_MESSAGE_PASSER]
    assert placed.code == load_artifact("L2ToL1MessagePasser").deployed_bytecode
    target = to_checksum_address(L2_TO_L1_MESSAGE_PASSER)
    l1.anvil.rpc("anvil_setCode", [target, "0x" + placed.code.hex()])
    for slot, value in placed.storage.items():
        l1.anvil.rpc("anvil_setStorageAt", [target, "0x" + slot.to_bytes(32, "big").hex(), "0x" + value.to_bytes(32, "big").hex()])
    return l1.w3.eth.contract(address=target, abi=list(load_artifact("L2ToL1MessagePasser").abi))


def test_solidity_output_root_matches(l1: Contracts, harness: Contract) -> None:
    rng = random.Random(7)
    f = harness.functions
    for words, _, expected in OUTPUT_ROOT_TABLE:
        assert f.outputRoot(*words).call() == bytes.fromhex(expected)
    for _ in range(25):
        words = tuple(rng.randbytes(32) for _ in range(3))
        assert f.outputRoot(*words).call() == output_root(*words)
        assert f.hashOutputRootProof((bytes(32), *words)).call() == output_root(*words)
    assert l1.revert_of(0, f.hashOutputRootProof((w(1), *words))) == ("UnsupportedOutputVersion", (w(1),))


def test_solidity_withdrawal_hash_and_storage_key_match(harness: Contract) -> None:
    rng = random.Random(8)
    f = harness.functions
    cases = [fields for fields, _, _ in WITHDRAWAL_TABLE] + [
        (rng.getrandbits(256), rng.randbytes(20), rng.randbytes(20), rng.getrandbits(128), rng.getrandbits(64),
         rng.randbytes(rng.choice([0, 1, 31, 32, 33, 100])))
        for _ in range(20)
    ]
    for nonce, sender, target, value, gas_limit, data in cases:
        expected = withdrawal_hash(nonce, sender, target, value, gas_limit, data)
        args = (nonce, to_checksum_address(sender), to_checksum_address(target), value, gas_limit, data)
        assert f.withdrawalHash(*args).call() == expected
        assert f.withdrawalStorageKey(expected).call() == withdrawal_storage_key(expected)


def test_message_passer_records_withdrawals(l1: Contracts, passer: Contract) -> None:
    f = passer.functions
    start = f.messageNonce().call()
    for offset, (index, value, data) in enumerate([(1, 0, b""), (2, 5 * 10**18, b"\x01\x02"), (1, 10**12, b"x" * 100)]):
        sender, target = l1.address(index), l1.address(7)
        receipt = l1.ok(index, f.initiateWithdrawal(target, 123_456, data), value=value)
        (event,) = passer.events.MessagePassed().process_receipt(receipt)
        nonce = versioned_nonce(start + offset)
        expected = withdrawal_hash(nonce, to_canonical_address(sender), to_canonical_address(target), value, 123_456, data)
        assert dict(event["args"]) == {
            "nonce": nonce, "sender": sender, "target": target, "value": value, "gasLimit": 123_456, "data": data,
            "withdrawalHash": expected,
        }
        assert f.sentMessages(expected).call() is True
        slot = withdrawal_storage_key(expected)
        assert int.from_bytes(l1.w3.eth.get_storage_at(passer.address, int.from_bytes(slot, "big")), "big") == 1
        assert f.messageNonce().call() == nonce + 1
    assert f.hashWithdrawal(0, l1.address(1), l1.address(2), 3, 4, b"\x05").call() == withdrawal_hash(
        0, to_canonical_address(l1.address(1)), to_canonical_address(l1.address(2)), 3, 4, b"\x05"
    )
    assert f.sentMessages(keccak(b"never sent")).call() is False


def test_a_bare_transfer_withdraws_to_the_sender(l1: Contracts, passer: Contract) -> None:
    account = l1.account(4)
    nonce = passer.functions.messageNonce().call()
    tx = {
        "to": passer.address, "value": 10**16, "gas": 200_000, "nonce": l1.w3.eth.get_transaction_count(account.address),
        "chainId": l1.w3.eth.chain_id, "maxFeePerGas": 10**10, "maxPriorityFeePerGas": 1,
    }
    tx_hash = l1.w3.eth.send_raw_transaction(account.sign_transaction(tx).raw_transaction)
    receipt = l1.w3.eth.wait_for_transaction_receipt(tx_hash)
    (event,) = passer.events.MessagePassed().process_receipt(receipt)
    assert (event["args"]["target"], event["args"]["gasLimit"], event["args"]["data"]) == (account.address, 100_000, b"")
    assert event["args"]["withdrawalHash"] == withdrawal_hash(
        nonce, to_canonical_address(account.address), to_canonical_address(account.address), 10**16, 100_000, b""
    )


def test_burn_destroys_the_held_balance(l1: Contracts, passer: Contract) -> None:
    l1.ok(3, passer.functions.initiateWithdrawal(l1.address(3), 100_000, b""), value=2 * 10**18)
    held = l1.w3.eth.get_balance(passer.address)
    assert held >= 2 * 10**18
    burner = to_checksum_address(keccak(rlp.encode([to_canonical_address(passer.address), l1.w3.eth.get_transaction_count(passer.address)]))[12:])
    receipt = l1.ok(5, passer.functions.burn())
    (event,) = passer.events.WithdrawerBalanceBurnt().process_receipt(receipt)
    assert event["args"]["amount"] == held
    assert l1.w3.eth.get_balance(passer.address) == 0
    # The Burner self-destructed in its creation transaction: no code and no balance are left.
    assert l1.w3.eth.get_balance(burner) == 0 and l1.w3.eth.get_code(burner) == b""


# ---- on the L2 VM itself -------------------------------------------------------------------

ALICE = dev_accounts()[0]


def _l2_tx(chain: Chain, nonce: int, data: bytes, value: int) -> Any:
    signed = Account.sign_transaction(
        {"to": to_checksum_address(L2_TO_L1_MESSAGE_PASSER), "value": value, "gas": 300_000, "data": data,
         "maxFeePerGas": 3 * 10**9, "maxPriorityFeePerGas": 10, "nonce": nonce, "chainId": chain.chain_id, "type": 2},
        ALICE.private_key,
    )
    return LantauVM.get_transaction_builder().decode(bytes(signed.raw_transaction))


def _next_block(chain: Chain, *txs: Any) -> Any:
    attributes = BlockAttributes(timestamp=chain.head.timestamp + 1, fee_recipient=SEQUENCER_FEE_VAULT,
                                 prev_randao=b"\x01" * 32, gas_limit=chain.head.gas_limit)
    built = chain.build_block(chain.head, attributes, list(txs))
    assert not built.rejected and all(r.gas_used > 0 for r in built.receipts)
    return built


def _proof(db: Any, root: bytes, key: bytes) -> list[bytes]:
    """A proof as eth_getProof gives it: py-trie's nodes without the embedded ones."""
    nodes = [rlp.encode(node) for node in HexaryTrie(db, root).get_proof(keccak(key))]
    return nodes[:1] + [node for node in nodes[1:] if len(node) >= 32]


@pytest.mark.filterwarnings("ignore:SELFDESTRUCT opcode present:DeprecationWarning")  # py-evm flags any SELFDESTRUCT; EIP-6780 is the point here
def test_withdrawal_on_the_l2_vm_is_proven_against_its_output_root(l1: Contracts, harness: Contract) -> None:
    """The passer at its predeploy address on Lantau's own VM: a withdrawal is recorded in
    storage, `burn()` destroys the HKD (native supply falls by exactly the amount), and the
    storage proof of the record verifies on L1 under the block's output root."""
    chain = Chain.open(None, GenesisConfig.load())
    abi = Web3().eth.contract(abi=list(load_artifact("L2ToL1MessagePasser").abi))
    alice = to_canonical_address(ALICE.address)
    target = address(0xB0B)
    amount = 3 * 10**18

    def supply(state: Any) -> int:
        return sum(state.get_balance(a) for a in (alice, L2_TO_L1_MESSAGE_PASSER, BASE_FEE_VAULT, SEQUENCER_FEE_VAULT))

    before = supply(chain.state_at(chain.head))
    data = bytes.fromhex(abi.encode_abi("initiateWithdrawal", args=[to_checksum_address(target), 200_000, b"hi"])[2:])
    built = _next_block(chain, _l2_tx(chain, 0, data, amount))
    state = chain.state_at(built.header)
    hash_ = withdrawal_hash(versioned_nonce(0), alice, target, amount, 200_000, b"hi")
    slot = withdrawal_storage_key(hash_)
    assert state.get_storage(L2_TO_L1_MESSAGE_PASSER, int.from_bytes(slot, "big")) == 1
    assert state.get_balance(L2_TO_L1_MESSAGE_PASSER) == amount
    assert supply(state) == before  # held, not yet burned

    # The proof the portal will check, verified by the Solidity libraries on anvil.
    header = built.header
    account = HexaryTrie(chain.db, header.state_root).get(keccak(L2_TO_L1_MESSAGE_PASSER))
    storage_root = rlp.decode(account)[2]
    f = harness.functions
    assert f.secureGet(L2_TO_L1_MESSAGE_PASSER, _proof(chain.db, header.state_root, L2_TO_L1_MESSAGE_PASSER), header.state_root).call() == account
    assert f.secureVerifyInclusion(slot, b"\x01", _proof(chain.db, storage_root, slot), storage_root).call() is True
    assert f.outputRoot(header.state_root, storage_root, header.hash).call() == output_root(header.state_root, storage_root, header.hash)
    absent = withdrawal_storage_key(withdrawal_hash(versioned_nonce(1), alice, target, amount, 200_000, b"hi"))
    assert f.secureTryGet(absent, _proof(chain.db, storage_root, absent), storage_root).call() == [False, b""]

    burned = _next_block(chain, _l2_tx(chain, 1, bytes.fromhex(abi.encode_abi("burn", args=[])[2:]), 0))
    after = chain.state_at(burned.header)
    assert after.get_balance(L2_TO_L1_MESSAGE_PASSER) == 0
    assert supply(after) == before - amount  # gone from the L2, to be released on L1
