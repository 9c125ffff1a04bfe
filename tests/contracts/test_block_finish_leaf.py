"""`BlockFinishLeaf` on a real anvil: the header of an L2 block rebuilt on L1 from what a dispute
game agrees (the parent header, the named timestamp, its number and its final
`BlockAccumulator.Acc`: state root, gas used, transactions and receipts roots, logs bloom) against
the headers py-evm built (blocks 1..4 of test_dispute_played's chain: transfers, a storage write).
A header shown with any field changed is refused by name, `HeaderMismatch(field)`: a dishonest
stepper cannot choose the block hash that goes into the output root. And every transaction's
context derived on L1 (`blockContext`) against the one py-evm ran it in (`prover.witness`)."""

from __future__ import annotations

from typing import Any

import pytest
import rlp
from eth.vm.forks.london.headers import calculate_expected_base_fee_per_gas
from eth_typing import Hash32
from eth_utils import keccak, to_canonical_address, to_checksum_address
from web3.contract import Contract


from genesis.artifacts import load_artifact
from genesis.predeploys import SEQUENCER_FEE_VAULT
from prover.dispute_block import DisputeBlock, dispute_block
from prover.faults import forged_header
from prover.witness import ancestry_headers, block_context, transaction_witness
from tests.contracts.step_diff import anvil_options  # noqa: F401 (fixture: anvil with a high gas limit)
from tests.contracts.test_dispute_played import GENESIS, L2, l2  # noqa: F401 (fixture: the L2 chain)
from tests.harness.evm import Contracts

#: Fields the leaf rebuilds: all 21 (transactionsRoot 4, receiptsRoot 5, logsBloom 6 and gasUsed 10
#: from the agreed final acc).
REBUILT_FIELDS = tuple(range(21))


@pytest.fixture(scope="module")
def leaf(contracts: Contracts) -> Contract:
    return contracts.deploy("BlockFinishLeaf", to_checksum_address(SEQUENCER_FEE_VAULT), GENESIS.chain_id)


def arguments(l2: L2, number: int, *, header: bytes | None = None, parent: bytes | None = None,
              timestamp: int | None = None) -> tuple[Any, ...]:
    """`blockHash(agreed, finish)` of block `number`, with any part replaced."""
    block: DisputeBlock = dispute_block(l2.chain, number)
    parent_header = l2.chain.header_by_number(number - 1)
    last = block.acc_before(len(block.accumulators), parent_header.state_root).abi_tuple()
    agreed = (number, parent_header.hash, block.timestamp if timestamp is None else timestamp, last)
    proof = list(block.finish_proof(rlp.encode(parent_header) if parent is None else parent))
    if header is not None:
        proof[1] = header
    return agreed, tuple(proof)


@pytest.mark.parametrize("number", [1, 2, 3, 4])
def test_the_rebuilt_header_hashes_to_py_evms_block_hash(leaf: Contract, l2: L2, number: int) -> None:
    header = l2.chain.header_by_number(number)
    agreed, finish = arguments(l2, number)
    assert bytes(leaf.functions.blockHash(agreed, finish).call()) == header.hash
    parent = l2.chain.header_by_number(number - 1)
    assert leaf.functions.nextBaseFee(parent.base_fee_per_gas, parent.gas_used, parent.gas_limit).call() == \
        header.base_fee_per_gas == calculate_expected_base_fee_per_gas(parent)


@pytest.mark.parametrize("field", REBUILT_FIELDS)
def test_a_header_with_a_rebuilt_field_changed_is_refused_by_name(contracts: Contracts, leaf: Contract, l2: L2,
                                                                   field: int) -> None:
    header = rlp.encode(l2.chain.header_by_number(3))
    forged = (forged_header(header, field) if field not in (6, 12, 14)
              else _with(header, field, b"\x01" * 256 if field == 6 else b"\x01"))
    assert forged != header
    assert contracts.revert_of(0, leaf.functions.blockHash(*arguments(l2, 3, header=forged))) == ("HeaderMismatch", (field,))
    # the same field encoded with a leading zero byte (another hash, the same value) is refused too
    if field in (8, 9, 11, 15):
        padded = _with(header, field, b"\x00" + rlp.decode(header)[field])
        assert contracts.revert_of(0, leaf.functions.blockHash(*arguments(l2, 3, header=padded)))[0] == "HeaderMismatch"


def test_what_the_game_agreed_must_be_shown_as_it_is(contracts: Contracts, leaf: Contract, l2: L2) -> None:
    header = l2.chain.header_by_number(3)
    agreed, finish = arguments(l2, 3)

    def refusal(*args: Any) -> tuple[str, tuple[Any, ...]]:
        return contracts.revert_of(0, leaf.functions.blockHash(*args))

    other_parent = rlp.encode(l2.chain.header_by_number(1))
    assert refusal(*arguments(l2, 3, parent=other_parent)) == (
        "ParentHeaderMismatch", (l2.chain.header_by_number(2).hash, keccak(other_parent)))
    # another named timestamp or number: the rebuilt header is another block's, the true one is refused
    assert refusal(*arguments(l2, 3, timestamp=header.timestamp + 1)) == ("HeaderMismatch", (8 + 3,))
    assert refusal((4,) + agreed[1:], finish) == ("HeaderMismatch", (8,))
    short = rlp.encode(rlp.decode(rlp.encode(header))[:20])
    assert refusal(*arguments(l2, 3, header=short)) == ("NotAnL2Header", (20,))
    # the leaf has no state: the honest header still gives the block hash afterwards
    assert bytes(leaf.functions.blockHash(agreed, finish).call()) == header.hash


def _with(header: bytes, field: int, value: bytes) -> bytes:
    fields = rlp.decode(header)
    fields[field] = value
    return rlp.encode(fields)


def _context_args(l2: L2, number: int, gas_used_before: int, window: int) -> tuple[Any, ...]:
    """`blockContext(number, parentHash, timestamp, gasUsedBefore, ancestry)` with the headers a
    window of `window` hashes needs."""
    header = l2.chain.header_by_number(number)
    headers = ancestry_headers(l2.chain, header, window)
    return number, header.parent_hash, header.timestamp, gas_used_before, (headers[0], list(headers[1:]), 0)


@pytest.mark.parametrize("number", [1, 2, 3, 4])
def test_the_derived_context_is_the_one_py_evm_ran_each_transaction_in(leaf: Contract, l2: L2, number: int) -> None:
    """Every field of `blockContext` against `prover.witness`'s context of each transaction (read
    from py-evm's chain: its header, its receipts' cumulative gas, the chain's hashes): number,
    timestamp, base fee, coinbase, prevRandao = keccak(parent hash), gas limit, chain id, gas used
    before, and the BLOCKHASH window as deep as the headers shown reach (at most min(number, 256))."""
    header = l2.chain.header_by_number(number)
    for k in range(len(l2.chain.raw_transactions(header.hash))):
        witness = transaction_witness(l2.chain, number, k, with_trie_nodes=False)
        args = _context_args(l2, number, witness.context.gas_used_before, len(witness.context.block_hashes))
        assert tuple(leaf.functions.blockContext(*args).call()) == _as_call(witness.context.abi_tuple())
    for window in range(min(number, 2), number + 1):  # deeper windows: ancestor headers chained from the parent
        expected = block_context(l2.chain, header, gas_used_before=7, window=window)
        got = leaf.functions.blockContext(*_context_args(l2, number, 7, window)).call()
        assert tuple(got) == _as_call(expected.abi_tuple())
        assert len(got[8]) == window
        # prevRandao is derived, never named (a claim has no field for it, and `IInputOracle.refutes`
        # takes none since the game derives it): keccak256 of the agreed parent hash, py-evm's mixHash
        assert bytes(got[4]) == keccak(header.parent_hash) == header.mix_hash


def test_ancestor_headers_must_chain_from_the_agreed_parent(contracts: Contracts, leaf: Contract, l2: L2) -> None:
    """Refused by name: a parent header that is not the agreed parent's, an ancestor header that
    is not the block the window expects (here block 1's where block 2's belongs), more ancestors
    than the block's window can use (block 3's window holds 3 hashes: 1 ancestor at most)."""
    number, parent_hash, timestamp, gas, (parent, ancestors, _) = _context_args(l2, 4, 0, 4)
    one = rlp.encode(l2.chain.header_by_number(1))

    def refusal(*args: Any) -> tuple[str, tuple[Any, ...]]:
        return contracts.revert_of(0, leaf.functions.blockContext(*args))

    assert refusal(number, parent_hash, timestamp, gas, (one, ancestors, 0)) == (
        "ParentHeaderMismatch", (parent_hash, keccak(one)))
    assert refusal(number, parent_hash, timestamp, gas, (parent, [one], 0)) == (
        "AncestorMismatch", (0, l2.chain.header_by_number(2).hash, keccak(one)))
    number, parent_hash, timestamp, gas, (parent, ancestors, _) = _context_args(l2, 3, 0, 3)
    assert refusal(number, parent_hash, timestamp, gas, (parent, [*ancestors, one], 0)) == ("AncestorsBeyondWindow", (2, 1))
    assert refusal(number, parent_hash, timestamp, gas, (parent, ancestors, 1)) == ("AncestorsBeyondWindow", (2, 1))
    # the leaf's record is empty for these blocks: a window read from it is refused by name
    assert refusal(number, parent_hash, timestamp, gas, (parent, [], 1)) == (
        "AncestorNotRecorded", (l2.chain.header_by_number(1).hash,))
    # the right headers still give the context afterwards
    assert len(leaf.functions.blockContext(number, parent_hash, timestamp, gas, (parent, ancestors, 0)).call()[8]) == 3


def _as_call(context: tuple[Any, ...]) -> tuple[Any, ...]:
    """A `BlockContext` ABI tuple as web3 returns it (hashes as bytes, the address checksummed)."""
    return (*context[:3], to_checksum_address(context[3]), bytes(context[4]), *context[5:8],
            [bytes(h) for h in context[8]])


def test_the_full_blockhash_window_from_254_ancestor_headers(contracts: Contracts, leaf: Contract) -> None:
    """Block 259 of a chain of empty blocks: its context's window of 256 hashes derived on L1 from
    the parent header and 254 ancestor headers equals py-evm's chain's (`block_context`). `-s`
    prints what it costs: the calldata is above geth's 128 kB transaction size limit
    (docs/fault-proofs.md, "Contexts the game derives"). So the older headers are recorded first
    (`recordHeaders`, anyone, in chunks, `StepCall.headers_to_record`) and the window reads them
    from the record: the same 256 hashes from 128 headers of calldata; something that is not a
    header is refused by name (`NotAHeader`) and records nothing."""
    from genesis.config import GenesisConfig
    from node.chain import BlockAttributes, Chain

    chain = Chain.open(None, GenesisConfig.load())
    for _ in range(259):
        parent = chain.head
        chain.build_block(parent, BlockAttributes(timestamp=parent.timestamp + 2, fee_recipient=SEQUENCER_FEE_VAULT,
                                                  prev_randao=keccak(parent.hash), gas_limit=parent.gas_limit), [])
    header = chain.header_by_number(259)
    headers = ancestry_headers(chain, header, 256)
    assert len(headers) == 255
    call = leaf.functions.blockContext(259, header.parent_hash, header.timestamp, 0, (headers[0], list(headers[1:]), 0))
    expected = block_context(chain, header, gas_used_before=0, window=256)
    assert tuple(call.call({"gas": 30_000_000})) == _as_call(expected.abi_tuple())
    calldata = len(bytes.fromhex(call._encode_transaction_data().removeprefix("0x")))
    gas = call.estimate_gas({"gas": 30_000_000})
    print(f"\nBLOCKHASH window of 256 from 254 ancestor headers ({sum(map(len, headers[1:])):,} B of headers):"
          f" {calldata:,} B of calldata, {gas:,} L1 gas for blockContext")
    assert calldata > 128 * 1024
    # the older 126 headers recorded in two chunks, the call carries the 128 newer ones (the
    # challenger's split, `StepCall.ancestry` / `headers_to_record`)
    from prover.step_call import MAX_ANCESTORS_IN_CALL, StepCall

    step = StepCall(Hash32(bytes(32)), (), (), b"", (), Hash32(bytes(32)), ancestry_headers=headers)
    older = step.headers_to_record()
    assert MAX_ANCESTORS_IN_CALL == 128 and older == list(headers[1 + 128:]) and len(older) == 126
    assert step.ancestry() == (headers[0], list(headers[1:129]), 126)
    refused = contracts.revert_of(0, leaf.functions.recordHeaders([older[0], b"\x01" * 40]))
    assert refused == ("NotAHeader", (1,)) and leaf.functions.parentHashOf(keccak(older[0])).call() == bytes(32)
    record_gas = [contracts.ok(0, leaf.functions.recordHeaders(older[at:at + 63]))["gasUsed"] for at in (0, 63)]
    assert leaf.functions.parentHashOf(keccak(older[-1])).call() == chain.header_by_number(4).parent_hash
    split = leaf.functions.blockContext(259, header.parent_hash, header.timestamp, 0, step.ancestry())
    assert tuple(split.call({"gas": 30_000_000})) == _as_call(expected.abi_tuple())
    split_calldata = len(bytes.fromhex(split._encode_transaction_data().removeprefix("0x")))
    split_gas = split.estimate_gas({"gas": 30_000_000})
    print(f"with 126 headers recorded beforehand ({record_gas[0]:,} + {record_gas[1]:,} L1 gas): {split_calldata:,} B of"
          f" calldata, {split_gas:,} L1 gas for blockContext")
    assert split_calldata < 100 * 1024
    chain.close()


#: SSTORE(0, BLOCKHASH(NUMBER - 5)); STOP: a transaction whose BLOCKHASH reaches 5 blocks back.
BLOCKHASH_READER = to_canonical_address("0x" + "5d" * 20)
BLOCKHASH_READER_CODE = bytes.fromhex("6005" "43" "03" "40" "6000" "55" "00")


def test_a_transaction_reading_blockhash_is_stepped_in_the_derived_context(contracts: Contracts, leaf: Contract) -> None:
    """Block 9's transaction reads BLOCKHASH(9 - 5): `lantau_txWitness` gives it a window of 5
    hashes and 4 headers (the parent's and blocks 7, 6, 5), the context derived on L1 from them is
    the witness's, and OneStepProof re-executes the transaction in it to py-evm's post-state root.
    One header fewer and the step fails by name (`MissingBlockHash(4)`): a window too short cannot
    change a step's result, only fail it."""
    from genesis.config import GenesisAccount, GenesisConfig
    from genesis.rollup_config import DEVNET_PROOF_COST_LIMITS
    from node.chain import BlockAttributes, Chain
    from prover.step_call import StepCall
    from tests.contracts.step_diff import STEP_CALL_GAS, caps_abi
    from tests.contracts.test_dispute_played import _signed

    chain = Chain.open(None, GenesisConfig.load().with_accounts({BLOCKHASH_READER: GenesisAccount(code=BLOCKHASH_READER_CODE)}))
    for number in range(1, 10):
        parent = chain.head
        txs = [_signed(1, 0, BLOCKHASH_READER)] if number == 9 else []
        built = chain.build_block(parent, BlockAttributes(timestamp=parent.timestamp + 2, fee_recipient=SEQUENCER_FEE_VAULT,
                                                          prev_randao=keccak(parent.hash), gas_limit=parent.gas_limit), txs)
        assert not built.rejected
    header = chain.header_by_number(9)
    witness = transaction_witness(chain, 9, 0)  # the block's only transaction (no deposits in this chain)
    assert witness.context.block_hashes == tuple(chain.header_by_number(n).hash for n in range(8, 3, -1))
    assert [keccak(h) for h in witness.ancestry_headers] == [chain.header_by_number(n).hash for n in range(8, 4, -1)]
    call = StepCall.from_witness(witness)
    context = leaf.functions.blockContext(9, header.parent_hash, header.timestamp, witness.context.gas_used_before,
                                          call.ancestry()).call()
    assert tuple(context) == _as_call(witness.context.abi_tuple())

    step = contracts.deploy("EVMStep", contracts.deploy("EVMTx").address, contracts.deploy("EVMPrecompiles").address)
    one_step = contracts.deploy("OneStepProof", step.address, caps_abi(DEVNET_PROOF_COST_LIMITS))
    args = (call.pre_state_root, list(call.trie_nodes), call._abi_accounts(), call.transaction, call.transaction_hash)
    root, _ = one_step.functions.proveTransaction(*args, context).call({"gas": STEP_CALL_GAS})
    assert bytes(root) == witness.post_state_root
    parent_header, ancestors, recorded = call.ancestry()
    short = leaf.functions.blockContext(9, header.parent_hash, header.timestamp, witness.context.gas_used_before,
                                        (parent_header, ancestors[:-1], recorded)).call()
    assert len(short[8]) == 4
    assert contracts.revert_of_raw(0, {"to": one_step.address, "data": one_step.functions.proveTransaction(
        *args, short)._encode_transaction_data(), "gas": STEP_CALL_GAS},
        [*one_step.abi, *load_artifact("EVMStep").abi]) == ("MissingBlockHash", (4,))
    chain.close()
