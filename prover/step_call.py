"""The L1 calls of the one-step transaction proof (`OneStepProof`, docs/fault-proofs.md, "The
whole step"), built from a transaction's witness (`lantau_txWitness` / `prover.witness`).

    call = StepCall.from_rpc(node.rpc("lantau_txWitness", [hex(n), hex(i)]))
    calldata = call.prove_calldata()          # OneStepProof.proveTransaction, one L1 call
    call.load_args(), call.execute_args(pre), call.commit_args(post)   # the staged path
    post, machines = run_segments(call, pre, budget, transact)          # execute in segments

Arguments are the Python values eth_abi (and web3's contract functions) take for the ABI types of
`StepTypes.sol` / `WitnessDB.AccountWitness`; the selector and the types are read from the
committed `OneStepProof` artifact, never written here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_typing import Hash32
from eth_utils import keccak, to_checksum_address
from eth_utils.abi import function_abi_to_4byte_selector, get_abi_input_types, get_abi_output_types

from genesis.artifacts import load_artifact
from prover.packed_machine import DataStore, pack_machine
from prover.witness import BLOCK_CONTEXT_ABI, TransactionWitness

ONE_STEP_PROOF = "OneStepProof"
EVM_STEP = "EVMStep"
#: First word of a paused machine, as `EVMStep` returns it (`EVMStep.PAUSED`): an ABI-encoded
#: `PostState` starts with 0x20 instead.
STEP_PAUSED = bytes.fromhex("5041555345440000000000000000000000000000000000000000000000000000")
#: `BlockFinishLeaf.Ancestry` of a step with no transaction (padding past the block's last one).
NO_ANCESTRY: tuple[bytes, list[bytes], int] = (b"", [], 0)
#: Ancestor headers (about 605 bytes each) a step carries in its calldata at most; a deeper
#: BLOCKHASH window reads the older ones from `BlockFinishLeaf.parentHashOf`, recorded beforehand
#: (`headers_to_record`): 254 headers are 171,588 B of calldata, over geth's 128 kB.
MAX_ANCESTORS_IN_CALL = 128


def is_paused(result: bytes) -> bool:
    """Is `result` (what `EVMStep.execute`/`resume` returned) a paused machine, not a PostState?"""
    return bytes(result[:32]) == STEP_PAUSED


@dataclass(frozen=True, slots=True)
class StepCall:
    """One transaction's step: the inputs of `OneStepProof` and the root it must return."""

    pre_state_root: Hash32
    trie_nodes: tuple[bytes, ...]
    # WitnessDB.AccountWitness: (address, code, slots), ascending by address, slots ascending
    accounts: tuple[tuple[str, bytes, tuple[bytes, ...]], ...]
    transaction: bytes  # raw (EIP-2718), as in the block body
    context: tuple[Any, ...]  # StepTypes.BlockContext
    post_state_root: Hash32  # what the step must return (the witness's claim)
    # `BlockFinishLeaf.Ancestry`: the parent's header, then the ancestors the context's window needs
    ancestry_headers: tuple[bytes, ...] = ()

    @property
    def transaction_hash(self) -> Hash32:
        """The hash the dispute commits to: keccak256 of the raw transaction (deposits too)."""
        return Hash32(keccak(self.transaction))

    @classmethod
    def from_witness(cls, witness: TransactionWitness) -> "StepCall":
        if witness.trie_nodes is None:
            raise ValueError("the witness has no trie nodes")
        return cls(
            pre_state_root=witness.pre_state_root,
            trie_nodes=tuple(witness.trie_nodes),
            accounts=tuple((to_checksum_address(a.address), a.code, tuple(s.key.to_bytes(32, "big") for s in a.slots))
                           for a in witness.accounts),
            transaction=witness.transaction,
            context=witness.context.abi_tuple(),
            post_state_root=witness.post_state_root,
            ancestry_headers=tuple(witness.ancestry_headers),
        )

    @classmethod
    def from_rpc(cls, witness: Mapping[str, Any]) -> "StepCall":
        """From `lantau_txWitness`'s answer (camelCase keys, 0x-hex data and quantities)."""
        if witness.get("trieNodes") is None:
            raise ValueError("the witness has no trie nodes")
        (context,) = abi_decode([BLOCK_CONTEXT_ABI], _data(witness["contextAbi"]))
        return cls(
            pre_state_root=Hash32(_data(witness["preStateRoot"])),
            trie_nodes=tuple(_data(node) for node in witness["trieNodes"]),
            accounts=tuple(
                (to_checksum_address(a["address"]), _data(a["code"]),
                 tuple(int(s["key"], 16).to_bytes(32, "big") for s in a["slots"]))
                for a in witness["accounts"]
            ),
            transaction=_data(witness["transaction"]),
            context=tuple(list(v) if isinstance(v, tuple) else v for v in context),
            post_state_root=Hash32(_data(witness["postStateRoot"])),
            ancestry_headers=tuple(_data(h) for h in witness["ancestryHeaders"]),
        )

    def ancestry(self, max_ancestors: int = MAX_ANCESTORS_IN_CALL) -> tuple[bytes, list[bytes], int]:
        """`BlockFinishLeaf.Ancestry(parentHeader, ancestors, recorded)` the game derives the
        context from: at most `max_ancestors` headers in the call, the rest read from the record."""
        ancestors = list(self.ancestry_headers[1:])
        return self.ancestry_headers[0], ancestors[:max_ancestors], len(ancestors[max_ancestors:])

    def headers_to_record(self, max_ancestors: int = MAX_ANCESTORS_IN_CALL) -> list[bytes]:
        """The ancestor headers `ancestry` leaves to `BlockFinishLeaf.recordHeaders` (none for a
        window that fits the call)."""
        return list(self.ancestry_headers[1 + max_ancestors:])

    def tx_proof(self, *, staged: bool = False) -> tuple[list[bytes], list[Any], bytes]:
        """`BlockAccumulator.TxProof(nodes, witnesses, rawTx)`; `staged`: the empty witness of a
        step proven beforehand (only the raw transaction)."""
        if staged:
            return [], [], self.transaction
        return list(self.trie_nodes), self._abi_accounts(), self.transaction

    # --- one call ---------------------------------------------------------------------------

    def prove_args(self) -> tuple[Any, ...]:
        """`proveTransaction(preRoot, nodes, witnesses, rawTx, claimedTxHash, ctx)`."""
        return (self.pre_state_root, list(self.trie_nodes), self._abi_accounts(), self.transaction,
                self.transaction_hash, self.context)

    def prove_calldata(self) -> bytes:
        """The calldata of `OneStepProof.proveTransaction` for this step."""
        return encode_call("proveTransaction", self.prove_args())

    # --- staged -----------------------------------------------------------------------------

    def load_args(self) -> tuple[Any, ...]:
        """Stage 1, `loadWitness(preRoot, nodes, witnesses)`: returns the `PreState` to pass on."""
        return (self.pre_state_root, list(self.trie_nodes), self._abi_accounts())

    def execute_args(self, pre_state: Any) -> tuple[Any, ...]:
        """Stage 2, `executeTransaction(pre, rawTx, claimedTxHash, ctx)`, with stage 1's `PreState`."""
        return (pre_state, self.transaction, self.transaction_hash, self.context)

    def commit_args(self, post_state: Any) -> tuple[Any, ...]:
        """Stage 3, `commitTransaction(preRoot, txHash, ctx, nodes, post)`, with stage 2's `PostState`."""
        return (self.pre_state_root, self.transaction_hash, self.context, list(self.trie_nodes), post_state)

    def step_id(self) -> Hash32:
        """`OneStepProof.stepId(preRoot, txHash, ctx)`."""
        context = abi_encode([BLOCK_CONTEXT_ABI], [self.context])
        return Hash32(keccak(abi_encode(["bytes32", "bytes32", "bytes32"],
                                        [self.pre_state_root, self.transaction_hash, keccak(context)])))

    # --- stage 2 in segments ----------------------------------------------------------------

    def start_args(self, pre_state: Any, budget: int, stores: tuple[DataStore, ...] = ()) -> tuple[Any, ...]:
        """`startExecution(packedPreState, rawTx, claimedTxHash, ctx, budget)`, with stage 1's
        `PreState`, ABI-encoded and packed as a machine is (copying from `stores`)."""
        return (pack_machine(encode_pre_state(pre_state), stores), self.transaction, self.transaction_hash,
                self.context, budget)

    def continue_args(self, machine: bytes, budget: int, stores: tuple[DataStore, ...] = ()) -> tuple[Any, ...]:
        """`continueExecution(stepId, packedMachine, budget)`, with the machine the last segment
        left, packed (`prover.packed_machine`; copying from `stores`, data contracts on L1)."""
        return (self.step_id(), pack_machine(machine, stores), budget)

    def codes(self) -> tuple[bytes, ...]:
        """The witnessed accounts' codes (what a paused machine holds the most of)."""
        return tuple(code for _, code, _ in self.accounts if code)

    def _abi_accounts(self) -> list[tuple[str, bytes, list[bytes]]]:
        return [(address, code, list(slots)) for address, code, slots in self.accounts]


#: `transact(function, args)`: sends `OneStepProof.<function>(*args)` as an L1 transaction and
#: returns what the function returned (e.g. from an `eth_call` of the same call just before).
Transact = Callable[[str, tuple[Any, ...]], Any]


def run_segments(call: StepCall, pre_state: Any, budget: int, transact: Transact) -> tuple[Any, list[bytes]]:
    """Stage 2 in segments of at most `budget` instructions: `startExecution`, then
    `continueExecution` from each paused machine until the transaction ends. Returns the
    `PostState` (recorded for `commitTransaction`) and the machines handed between segments (one
    fewer than the segments)."""
    machines: list[bytes] = []
    machine, post = transact("startExecution", call.start_args(pre_state, budget))
    while machine:
        machines.append(bytes(machine))
        machine, post = transact("continueExecution", call.continue_args(bytes(machine), budget))
    return post, machines


def encode_call(function: str, args: tuple[Any, ...], contract: str = ONE_STEP_PROOF) -> bytes:
    """Calldata of `<contract>.<function>(*args)` (OneStepProof's by default), typed from the
    committed artifact's ABI."""
    (entry,) = [e for e in load_artifact(contract).abi if e.get("type") == "function" and e["name"] == function]
    return function_abi_to_4byte_selector(entry) + abi_encode(get_abi_input_types(entry), args)


def encode_pre_state(pre_state: Any) -> bytes:
    """`abi.encode(pre)` of a `StepTypes.PreState` (what `startExecution` unpacks and decodes)."""
    (entry,) = [e for e in load_artifact(ONE_STEP_PROOF).abi
                if e.get("type") == "function" and e["name"] == "executeTransaction"]
    return abi_encode(get_abi_input_types(entry)[:1], [pre_state])


def decode_post_state(result: bytes) -> Any:
    """The `PostState` an `EVMStep.execute`/`resume` result holds (not a paused machine)."""
    (entry,) = [e for e in load_artifact(EVM_STEP).abi if e.get("type") == "function" and e["name"] == "resume"]
    (post,) = abi_decode(get_abi_output_types(entry), bytes(result))
    return post


def _data(value: str) -> bytes:
    return bytes.fromhex(value.removeprefix("0x"))
