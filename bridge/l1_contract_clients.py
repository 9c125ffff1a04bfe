"""Typed clients of Lantau's L1 contracts: reads through `L1Client` (reverts decoded), writes as
`TxCandidate`s sent by a `TxManager`. ABIs come from the committed artifacts.

    OutputOracleClient   nextBlockNumber, proposeL2Output (with the bond), outputs
    PortalClient         depositHKD, proveWithdrawalTransaction, finalizeWithdrawalTransaction
    HkdTokenClient       approve, mint
    DisputeGameFactoryClient, DisputeGameClient   games, claims, moves, steps, resolution, credit
    DerivationBisectionClient   a block claim's disputed derivationEnd: open, moves, step, resolution, credit
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_typing import ChecksumAddress
from eth_utils import keccak, to_checksum_address
from web3.contract import Contract
from web3.logs import DISCARD

from bridge.l1_client import L1CallReverted, L1Client, transport_errors
from bridge.tx_manager import TxCandidate, TxManager
from node.errors import LantauError
from node.l1_block_ref import L1BlockRef


#: Transaction hashes `moveToBlock` carries in one call: 2,048 x 32 B = 64 KiB, half of geth's
#: 128 KiB transaction size limit; a longer list goes in chunks of this many (`publishInputs`).
INPUTS_IN_CALL = 2_048


class InputsPublicationMismatch(LantauError):
    """L1 holds a publication of this move's inputs that this player's chunks cannot continue."""

    def __init__(self, publication: bytes, held: int, total: int) -> None:
        super().__init__(f"inputs publication {publication.hex()} holds {held} hashes, not a whole number of "
                         f"{INPUTS_IN_CALL}-hash chunks of these {total}")
        self.publication, self.held, self.total = publication, held, total


def inputs_publication_id(parent_index: int, output_root: bytes, is_attack: bool, tx_hashes: list[bytes], timestamp: int) -> bytes:
    """The id a player publishes a move's inputs under: a function of the move and the inputs, so a
    restarted player finds its own chunks, and other inputs for the same move get another id."""
    from eth_abi import encode as abi_encode

    return keccak(abi_encode(["uint256", "bytes32", "bool", "bytes32[]", "uint256"],
                             [parent_index, output_root, is_attack, tx_hashes, timestamp]))


def candidate_of(function: Any, *, value: int = 0, gas_limit: int | None = None) -> TxCandidate:
    """The `TxCandidate` calling a web3 `ContractFunction` (gas estimated by the manager)."""
    data = bytes.fromhex(function._encode_transaction_data().removeprefix("0x"))
    return TxCandidate(to=function.address, data=data, value=value, gas_limit=gas_limit)


@dataclass(frozen=True, slots=True)
class L2Output:
    output_root: bytes
    timestamp: int  # L1 time it was posted
    l2_block_number: int


class _ContractClient:
    name: str = ""

    def __init__(self, l1: L1Client, address: str) -> None:
        self.l1 = l1
        self.address: ChecksumAddress = to_checksum_address(address)
        self.contract: Contract = l1.contract(self.name, self.address)

    def _call(self, function: str, *args: Any) -> Any:
        return self.l1.call(getattr(self.contract.functions, function)(*args))


class OutputOracleClient(_ContractClient):
    name = "OutputOracle"

    def next_block_number(self) -> int:
        return int(self._call("nextBlockNumber"))

    def latest_block_number(self) -> int:
        return int(self._call("latestBlockNumber"))

    def required_bond(self) -> int:
        return int(self._call("requiredBond"))

    def next_output_index(self) -> int:
        return int(self._call("nextOutputIndex"))

    def is_output_finalized(self, index: int) -> bool:
        return bool(self._call("isOutputFinalized", index))

    def starting_block_number(self) -> int:
        return int(self._call("startingBlockNumber"))

    def finalization_period_s(self) -> int:
        return int(self._call("finalizationPeriodSeconds"))

    def l2_output(self, index: int) -> L2Output:
        root, timestamp, block = self._call("getL2Output", index)
        return L2Output(bytes(root), int(timestamp), int(block))

    def l2_output_index_after(self, l2_block_number: int) -> int:
        """Index of the first output at or after `l2_block_number`; `L1CallReverted` with
        `NoOutputAfter` while there is none."""
        return int(self._call("getL2OutputIndexAfter", l2_block_number))

    def propose(self, txmgr: TxManager, output_root: bytes, l2_block_number: int, anchor: L1BlockRef, *, bond: int) -> dict[str, Any]:
        """`proposeL2Output` with `bond`, anchored on L1 block `anchor` (one before L1's head:
        `blockhash` of the block being executed is zero)."""
        call = self.contract.functions.proposeL2Output(output_root, l2_block_number, bytes(anchor.hash), anchor.number)
        return txmgr.send(candidate_of(call, value=bond))


class PortalClient(_ContractClient):
    name = "LantauPortal"

    def deposit_hkd(self, txmgr: TxManager, to: str, amount_units: int, gas_limit: int, data: bytes = b"") -> dict[str, Any]:
        call = self.contract.functions.depositHKD(to_checksum_address(to), amount_units, gas_limit, data)
        return txmgr.send(candidate_of(call))

    def prove_withdrawal(self, txmgr: TxManager, withdrawal: tuple[Any, ...], l2_output_index: int,
                         output_root_proof: tuple[Any, ...], storage_proof: list[bytes]) -> dict[str, Any]:
        call = self.contract.functions.proveWithdrawalTransaction(withdrawal, l2_output_index, output_root_proof, storage_proof)
        return txmgr.send(candidate_of(call))

    def finalize_withdrawal(self, txmgr: TxManager, withdrawal: tuple[Any, ...]) -> dict[str, Any]:
        return txmgr.send(candidate_of(self.contract.functions.finalizeWithdrawalTransaction(withdrawal)))

    def proven_withdrawal(self, withdrawal_hash: bytes) -> tuple[bytes, int, int]:
        """(output root, L1 timestamp of the proof, output index); timestamp 0: not proven."""
        root, proven_at, index = self._call("provenWithdrawals", withdrawal_hash)
        return bytes(root), int(proven_at), int(index)

    def finalized(self, withdrawal_hash: bytes) -> bool:
        return bool(self._call("finalizedWithdrawals", withdrawal_hash))

    def finalization_period_s(self) -> int:
        return int(self._call("finalizationPeriodSeconds"))


class HkdTokenClient(_ContractClient):
    name = "HKDStablecoin"

    def approve(self, txmgr: TxManager, spender: str, amount_units: int) -> dict[str, Any]:
        return txmgr.send(candidate_of(self.contract.functions.approve(to_checksum_address(spender), amount_units)))

    def mint(self, txmgr: TxManager, to: str, amount_units: int) -> dict[str, Any]:
        return txmgr.send(candidate_of(self.contract.functions.mint(to_checksum_address(to), amount_units)))

    def balance_of(self, holder: str) -> int:
        return int(self._call("balanceOf", to_checksum_address(holder)))


# --- the dispute game (docs/fault-proofs.md, "The game") -------------------------------------


@dataclass(frozen=True, slots=True)
class Claim:
    """`OutputDisputeGame.ClaimData` at `index`."""

    index: int
    parent_index: int  # 2^32 - 1 for the root
    countered_by: ChecksumAddress  # the zero address unless a step countered it
    claimant: ChecksumAddress
    bond_wei: int
    value: bytes
    position: int  # OP's generalized index
    clock_duration_s: int  # on the claimant's side's clock when the claim was made
    clock_timestamp: int  # L1 time of the claim

    @property
    def depth(self) -> int:
        return self.position.bit_length() - 1


GAME_STATUS = ("IN_PROGRESS", "CHALLENGER_WINS", "DEFENDER_WINS")
NO_ADDRESS = "0x0000000000000000000000000000000000000000"


@dataclass(frozen=True, slots=True)
class GameInfo:
    """What a game is about and its rules (immutable once created)."""

    address: ChecksumAddress
    output_index: int
    root_claim: bytes
    l2_block_number: int
    starting_output_root: bytes
    starting_block_number: int
    split_depth: int
    max_depth: int
    trace_length: int
    max_clock_duration_s: int
    clock_extension_s: int
    bond_delay_s: int


class DisputeGameFactoryClient(_ContractClient):
    name = "DisputeGameFactory"

    def game_count(self) -> int:
        return int(self._call("gameCount"))

    def game_at(self, index: int) -> ChecksumAddress:
        return to_checksum_address(self._call("games", index))

    def game_of(self, output_index: int, output_root: bytes) -> ChecksumAddress | None:
        """The game about output `output_index` with root `output_root`, if any."""
        address = to_checksum_address(self._call("gameOf", self._call("gameKey", output_index, output_root)))
        return None if address == NO_ADDRESS else address

    def create_bond(self) -> int:
        return int(self._call("createBond"))

    def derivation_bisection(self) -> ChecksumAddress | None:
        """The `DerivationBisection` its games name (`Config.derivation`); None where it is 0."""
        address = to_checksum_address(self._call("config")[11])
        return None if address == NO_ADDRESS else address

    def create(self, txmgr: TxManager, output_index: int, claim: bytes) -> dict[str, Any]:
        """Disputes output `output_index` with `claim` at depth 1 (the depth-1 bond is paid)."""
        call = self.contract.functions.create(output_index, claim)
        return txmgr.send(candidate_of(call, value=self.create_bond()))

    def created_game(self, receipt: dict[str, Any]) -> ChecksumAddress:
        # the receipt holds the oracle's and the game's logs too: not this event, skipped without a warning
        (event,) = self.contract.events.GameCreated().process_receipt(receipt, errors=DISCARD)
        return to_checksum_address(event["args"]["game"])


class DisputeGameClient(_ContractClient):
    name = "OutputDisputeGame"

    def info(self) -> GameInfo:
        c = self._call
        return GameInfo(self.address, int(c("outputIndex")), bytes(c("rootClaim")), int(c("l2BlockNumber")),
                        bytes(c("startingOutputRoot")), int(c("startingBlockNumber")), int(c("SPLIT_DEPTH")),
                        int(c("MAX_DEPTH")), int(c("TRACE_LENGTH")), int(c("MAX_CLOCK_DURATION")),
                        int(c("CLOCK_EXTENSION")), int(c("BOND_DELAY")))

    def status(self) -> int:
        return int(self._call("status"))

    def resolved_at(self) -> int:
        return int(self._call("resolvedAt"))

    def claim_count(self) -> int:
        return int(self._call("claimDataLen"))

    def claim(self, index: int) -> Claim:
        parent, countered, claimant, bond, value, position, duration, timestamp = self._call("claimData", index)
        return Claim(index, int(parent), to_checksum_address(countered), to_checksum_address(claimant), int(bond),
                     bytes(value), int(position), int(duration), int(timestamp))

    def claims(self) -> tuple[Claim, ...]:
        return tuple(self.claim(i) for i in range(self.claim_count()))

    def resolved_subgame(self, index: int) -> bool:
        return bool(self._call("resolvedSubgames", index))

    def credit(self, address: str) -> int:
        return int(self._call("credit", to_checksum_address(address)))

    def required_bond(self, position: int) -> int:
        return int(self._call("getRequiredBond", position))

    def challenger_duration(self, index: int) -> int:
        """Seconds the side that would answer claim `index` has used (OP's `getChallengerDuration`)."""
        return int(self._call("getChallengerDuration", index))

    def move(self, txmgr: TxManager, disputed: Claim, value: bytes, is_attack: bool) -> dict[str, Any]:
        position = 2 * disputed.position if is_attack else 2 * (disputed.position + 1)
        call = self.contract.functions.move(disputed.value, disputed.index, value, is_attack)
        return txmgr.send(candidate_of(call, value=self.required_bond(position)))

    def move_to_block(self, txmgr: TxManager, disputed: Claim, output_root: bytes,
                      inputs: tuple[list[bytes], int], derivation_end: bytes, is_attack: bool) -> dict[str, Any]:
        """`moveToBlock` naming the block's `inputs` (`BlockInputs(txHashes, timestamp)`) and
        `derivation_end` (derivation's state after the block's L1 range, `DerivationCommitment`); a list
        longer than `INPUTS_IN_CALL` is published first in chunks of that many (`publishInputs`,
        under an id of this move, sending only the chunks L1 does not hold: a restarted player
        goes on where it stopped; on the game's factory, `DisputeGameFactory.publishInputs`) and
        named by `moveToBlockPublished`."""
        position = 2 * disputed.position if is_attack else 2 * (disputed.position + 1)
        tx_hashes, timestamp = inputs
        if len(tx_hashes) <= INPUTS_IN_CALL:
            call = self.contract.functions.moveToBlock(disputed.value, disputed.index, output_root, inputs, derivation_end, is_attack)
        else:
            publication = inputs_publication_id(disputed.index, output_root, is_attack, tx_hashes, timestamp)
            factory = self._factory()
            held = int(self.l1.call(factory.functions.publishedInputsHash(txmgr.address, publication, timestamp))[0])
            if held > len(tx_hashes) or (held % INPUTS_IN_CALL and held != len(tx_hashes)):
                raise InputsPublicationMismatch(publication, held, len(tx_hashes))
            for first in range(held, len(tx_hashes), INPUTS_IN_CALL):
                chunk = tx_hashes[first:first + INPUTS_IN_CALL]
                txmgr.send(candidate_of(factory.functions.publishInputs(publication, chunk)))
            call = self.contract.functions.moveToBlockPublished(disputed.value, disputed.index, output_root, publication,
                                                                timestamp, derivation_end, is_attack)
        return txmgr.send(candidate_of(call, value=self.required_bond(position)))

    def block_inputs(self, claim_index: int) -> tuple[tuple[bytes, ...], int] | None:
        """The inputs (tx hashes, timestamp) block subgame root `claim_index` named, from its
        `BlockInputsNamed` event, or its `BlockInputsPublished` event and its claimant's
        `BlockInputsChunk`s on the factory; None if it is not such a claim."""
        with transport_errors("BlockInputsNamed logs"):
            logs = self.contract.events.BlockInputsNamed().get_logs(from_block=0, argument_filters={"claimIndex": claim_index})
            if logs:
                args = logs[0]["args"]
                return tuple(bytes(h) for h in args["txHashes"]), int(args["timestamp"])
            named = self.contract.events.BlockInputsPublished().get_logs(from_block=0, argument_filters={"claimIndex": claim_index})
            if not named:
                return None
            publisher, publication = self.claim(claim_index).claimant, bytes(named[0]["args"]["id"])
            count, timestamp = int(named[0]["args"]["count"]), int(named[0]["args"]["timestamp"])
            chunks = self._factory().events.BlockInputsChunk().get_logs(
                from_block=0, argument_filters={"publisher": publisher, "id": publication})
        hashes: list[bytes] = []
        for chunk in sorted(chunks, key=lambda log: int(log["args"]["first"])):
            if int(chunk["args"]["first"]) == len(hashes):  # chunks append in order; one per `first`
                hashes.extend(bytes(h) for h in chunk["args"]["txHashes"])
        return tuple(hashes[:count]), timestamp

    def _factory(self) -> Contract:
        return self.l1.contract("DisputeGameFactory", to_checksum_address(self._call("factory")))

    def block_derivation(self, claim_index: int) -> bytes:
        """The `derivationEnd` block subgame root `claim_index` named (zero: not a block claim)."""
        return bytes(self._call("blockDerivation", claim_index))

    def input_countered_by(self, claim_index: int) -> ChecksumAddress:
        """Who countered block subgame root `claim_index` by the input leaf (the zero address: nobody)."""
        return to_checksum_address(self._call("inputCounteredBy", claim_index))

    def input_oracle(self) -> ChecksumAddress:
        return to_checksum_address(self._call("inputOracle"))

    def step_input_call(self, claim_index: int, inputs: tuple[list[bytes], int], end: tuple[bytes, bytes, bytes],
                        evidence: bytes) -> Any:
        """`stepInput`; `end` is the preimage (bankHash, queueHash, found) of the block claim's
        `derivationEnd`, `evidence` proves the agreed parent against the subgame's starting output."""
        return self.contract.functions.stepInput(claim_index, inputs, end, evidence)

    def record_headers(self, txmgr: TxManager, headers: list[bytes]) -> dict[str, Any]:
        """`BlockFinishLeaf.recordHeaders(headers)` on the game's finish leaf: ancestor headers a
        step's BLOCKHASH window reads from the record (`Ancestry.recorded`)."""
        return txmgr.send(candidate_of(self._finish_leaf().functions.recordHeaders(headers)))

    def header_recorded(self, header: bytes) -> bool:
        """Whether the finish leaf's record has the parent of the block whose header is `header`."""
        return bytes(self.l1.call(self._finish_leaf().functions.parentHashOf(keccak(header)))) != bytes(32)

    def _finish_leaf(self) -> Any:
        return self.l1.contract("BlockFinishLeaf", to_checksum_address(self._call("finishLeaf")))

    def step_transaction_call(self, index: int, is_attack: bool, starting_output: tuple[bytes, ...],
                              input_leaf: tuple[Any, ...], tx_proof: tuple[Any, ...], ancestry: tuple[Any, ...],
                              pre: tuple[Any, ...], tries: tuple[Any, ...]) -> Any:
        """`stepTransaction`; `input_leaf` is `InputLeaf` (`DisputeBlock.input_leaf`), `tx_proof`
        `BlockAccumulator.TxProof` and `ancestry` `BlockFinishLeaf.Ancestry` (`StepCall.tx_proof`,
        `StepCall.ancestry`), `pre` the `BlockAccumulator.Acc` before the transaction, `tries` its
        `BlockAccumulator.Tries` (`DisputeBlock.acc_before`, `DisputeBlock.step_tries`)."""
        return self.contract.functions.stepTransaction(index, is_attack, starting_output, input_leaf, tx_proof, ancestry,
                                                       pre, tries)

    def step_finish_call(self, index: int, is_attack: bool, starting_output: tuple[bytes, ...],
                         input_leaf: tuple[Any, ...], last: tuple[Any, ...], finish: tuple[Any, ...]) -> Any:
        """`stepFinish`; `input_leaf` is the subgame's `InputLeaf` at trace index T-1 (past its
        transactions), `last` the block's final `BlockAccumulator.Acc`, `finish`
        `BlockFinishLeaf.Finish` (`DisputeBlock.acc_before`, `DisputeBlock.finish_proof`)."""
        return self.contract.functions.stepFinish(index, is_attack, starting_output, input_leaf, last, finish)

    def check(self, call: Any) -> None:
        """`eth_call` of `call`: raises `L1CallReverted` (decoded) if it would revert."""
        self.l1.call(call)

    def send(self, txmgr: TxManager, call: Any, *, gas_limit: int | None = None) -> dict[str, Any]:
        return txmgr.send(candidate_of(call, gas_limit=gas_limit))

    def resolve_claim(self, txmgr: TxManager, index: int) -> dict[str, Any]:
        return txmgr.send(candidate_of(self.contract.functions.resolveClaim(index)))

    def resolve(self, txmgr: TxManager) -> dict[str, Any]:
        return txmgr.send(candidate_of(self.contract.functions.resolve()))

    def claim_credit(self, txmgr: TxManager, recipient: str) -> dict[str, Any]:
        return txmgr.send(candidate_of(self.contract.functions.claimCredit(to_checksum_address(recipient))))


@dataclass(frozen=True, slots=True)
class BisectionInfo:
    """`DerivationBisection.bisection(id)`: the block claim disputed and its L1 range S .. E."""

    id: bytes
    game: ChecksumAddress
    block_claim: int
    first: int  # S
    last: int  # E
    l2_block_number: int
    parent_output: bytes
    claim_count: int


class DerivationBisectionClient(_ContractClient):
    """`DerivationBisection` (docs/fault-proofs.md, "The game's level"): every bisection of a block
    claim's `derivationEnd`, keyed by (game, block claim). Its claims are `Claim`s as the game's."""

    name = "DerivationBisection"

    def depth(self) -> int:
        return int(self._call("DEPTH"))

    def bisection_id(self, game: str, block_claim: int) -> bytes:
        return bytes(self._call("bisectionId", to_checksum_address(game), block_claim))

    def info(self, game: str, block_claim: int) -> BisectionInfo | None:
        """The bisection of `block_claim` in `game`; None if nobody opened one."""
        bisection_id = self.bisection_id(game, block_claim)
        try:
            game_, claim, first, last, number, parent, count = self._call("bisection", bisection_id)
        except L1CallReverted as exc:
            if exc.revert is not None and exc.revert.name == "NotOpen":
                return None
            raise
        return BisectionInfo(bisection_id, to_checksum_address(game_), int(claim), int(first), int(last), int(number),
                             bytes(parent), int(count))

    def claims(self, info: BisectionInfo) -> tuple[Claim, ...]:
        count = int(self._call("bisection", info.id)[6])
        out = []
        for index in range(count):
            parent, countered, claimant, bond, value, position, duration, timestamp = self._call("claimData", info.id, index)
            out.append(Claim(index, int(parent), to_checksum_address(countered), to_checksum_address(claimant), int(bond),
                             bytes(value), int(position), int(duration), int(timestamp)))
        return tuple(out)

    def required_bond(self, game: str, position: int) -> int:
        return int(self._call("getRequiredBond", to_checksum_address(game), position))

    def open_call(self, game: str, block_claim: int, claim: bytes, parent_proof: bytes) -> Any:
        return self.contract.functions.open(to_checksum_address(game), block_claim, claim, parent_proof)

    def move_call(self, info: BisectionInfo, disputed: Claim, value: bytes, is_attack: bool) -> Any:
        return self.contract.functions.move(info.id, disputed.value, disputed.index, value, is_attack)

    def step_call(self, info: BisectionInfo, claim_index: int, is_attack: bool, pre: tuple[Any, ...],
                  inbox: tuple[Any, ...], evidence: bytes) -> Any:
        """`step`; `pre` is `IDerivationStep.State`, `inbox` `IDerivationStep.InboxData`
        (prover.derivation_evidence builds both and the `evidence`)."""
        return self.contract.functions.step(info.id, claim_index, is_attack, pre, inbox, evidence)

    def challenger_duration(self, info: BisectionInfo, index: int) -> int:
        return int(self._call("getChallengerDuration", info.id, index))

    def resolved(self, info: BisectionInfo, index: int) -> bool:
        return bool(self._call("resolvedClaims", info.id, index))

    def resolve_claim(self, txmgr: TxManager, info: BisectionInfo, index: int) -> dict[str, Any]:
        return txmgr.send(candidate_of(self.contract.functions.resolveClaim(info.id, index)))

    def root_countered_by(self, game: str, block_claim: int) -> ChecksumAddress:
        return to_checksum_address(self._call("rootCounteredBy", to_checksum_address(game), block_claim))

    def credit(self, game: str, address: str) -> int:
        return int(self._call("credit", to_checksum_address(game), to_checksum_address(address)))

    def claim_credit(self, txmgr: TxManager, game: str, recipient: str) -> dict[str, Any]:
        return txmgr.send(candidate_of(self.contract.functions.claimCredit(to_checksum_address(game), to_checksum_address(recipient))))

    def send(self, txmgr: TxManager, call: Any, *, value: int = 0) -> dict[str, Any]:
        return txmgr.send(candidate_of(call, value=value))
