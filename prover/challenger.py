"""`lantau challenger`: the daemon that keeps the `OutputOracle` honest (docs/fault-proofs.md,
"The challenger").

Each pass (`step`, blocking: run in a thread):

1. checks every output that is not final against its own L2 node (`Trace.output_root`), in order,
   once the node's safe head has its block; a wrong one is disputed (`DisputeGameFactory.create`
   with the player's claim half-way through the span) unless a game about it exists;
2. plays every open game of the factory (`prover.dispute_player.responses`): defends correct
   outputs against dishonest challengers as well as attacking wrong ones, down to the leaf,
   where it steps with the one-step proof (`lantau_txWitness`) or the finish leaf; a block
   subgame whose named inputs are not its node's block is countered by the input leaf
   (`stepInput`, evidence from `prover.input_step`); a block claim whose `derivationEnd` is not
   its node's is disputed in the game's `DerivationBisection` (`open`, then OP's moves over the
   block's L1 range and `DerivationStep` at the leaf: `prover.derivation_player`), and a
   bisection against its own block claim is defended the same way;
3. resolves what the clocks allow (the bisections' claims bottom-up first, then the game's
   `resolveClaim` bottom-up, then `resolve`; anyone may) and, `bondDelay` after resolution, claims
   its credit in the game and in its bisections.

L1 is the game's memory, so the persisted state (`state_path`, JSON written whole) is only what
saves work: outputs already checked and games already settled. After kill -9 a restart reads it,
re-reads the games from L1, and goes on: a move it sent before dying is on L1 (its claim exists,
so it is not owed again) or in the pool (its estimate against the pending block reverts
`ClaimAlreadyExists`, a step's `DuplicateStep`, an open's `AlreadyOpen`: not sent, asked again next
pass until L1 mines it or the pool drops it). Transactions go through bridge/'s `TxManager` (nonces, fees, bumps, re-sends).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bridge.l1_client import L1CallReverted, L1GasAboveAllowance
from bridge.l1_contract_clients import (
    NO_ADDRESS, BisectionInfo, Claim, DerivationBisectionClient, DisputeGameClient, DisputeGameFactoryClient, GameInfo,
    OutputOracleClient,
)
from bridge.tx_manager import TxManager, gas_with_headroom
from prover.errors import ChallengerError
from prover.dispute_player import GameShape, InputStep, Move, NamedInputs, Step, depth, is_defender, responses
from prover.derivation_player import (
    BisectionMove, BisectionStep, DerivationStepSource, Open, bisection_responses, opening_value,
)
from prover.dispute_block import DerivationCommitments, input_leaf
from prover.dispute_trace import Trace
from prover.input_step import InputEvidenceSource
from prover.polling import PollingService
from prover.staged_step import StagedStep, StagedStepConfig
from prover.step_call import MAX_ANCESTORS_IN_CALL, NO_ANCESTRY, StepCall

log = logging.getLogger("lantau.challenger")

IN_PROGRESS = 0
#: Refusals on estimation that name an answer already made. The player only owes an answer L1's
#: latest block lacks, so against the pending block these say the same answer waits in L1's pool.
ANSWER_IN_THE_POOL = frozenset({"ClaimAlreadyExists", "DuplicateStep", "AlreadyOpen"})
#: Gas a one-call step is measured with when its estimate under the L1 block's gas limit fails
#: without a named revert (more than any L1 block holds; anvil and geth's `eth_call` allow it).
ONE_CALL_MEASURE_GAS = 1_000_000_000


@dataclass(frozen=True, slots=True)
class ChallengerConfig:
    poll_interval_s: float = 1.0
    create_games: bool = True  # dispute outputs the trace disagrees with (a defending liar: False)
    max_games_created: int | None = None  # stop disputing after this many games (fault injection)
    staged: StagedStepConfig = StagedStepConfig()  # a step above its L1 gas cap is proven in stages


@dataclass
class ChallengerMetrics:
    outputs_checked: int = 0
    outputs_wrong: int = 0
    games_created: int = 0
    moves: int = 0
    steps: int = 0
    input_steps: int = 0
    bisections_opened: int = 0  # DerivationBisection.open against a block claim's derivationEnd
    bisection_moves: int = 0
    bisection_steps: int = 0  # DerivationStep at the bisection's leaf
    staged_transactions: int = 0  # L1 transactions of staged steps (load, segments, commit)
    resolutions: int = 0
    games_won: int = 0
    games_lost: int = 0
    credit_claimed_wei: int = 0
    l1_gas_used: int = 0


@dataclass
class ChallengerState:
    """What survives a restart (L1 holds the rest)."""

    checked: dict[str, str] = field(default_factory=dict)  # output index -> output root it checked (0x-hex)
    wrong: dict[str, str] = field(default_factory=dict)  # of those, the wrong ones: a game about each must exist
    first_open_output: int = 0  # outputs below it are final
    games_seen: int = 0  # factory.games() read so far
    games: list[str] = field(default_factory=list)  # games not settled yet (addresses)
    settled: dict[str, str] = field(default_factory=dict)  # game -> "won" / "lost" / "no stake"
    staged: dict[str, int] = field(default_factory=dict)  # step id -> L1 transactions sent to prove it staged

    @classmethod
    def load(cls, path: Path | None) -> "ChallengerState":
        if path is None or not path.exists():
            return cls()
        raw = json.loads(path.read_text())
        return cls(**raw)

    def save(self, path: Path | None) -> None:
        if path is None:
            return
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=1) + "\n")
        tmp.replace(path)  # whole or the previous one, never half-written


class Challenger(PollingService):
    def __init__(self, oracle: OutputOracleClient, factory: DisputeGameFactoryClient, txmgr: TxManager, trace: Trace,
                 config: ChallengerConfig = ChallengerConfig(), state_path: Path | None = None,
                 inputs: InputEvidenceSource | None = None) -> None:
        """`inputs`: where the input leaf's evidence comes from (None: the player never plays it)."""
        self.oracle, self.factory, self.txmgr, self.trace, self.config = oracle, factory, txmgr, trace, config
        self.inputs = inputs
        self._named: dict[tuple[str, int], NamedInputs | None] = {}  # (game, claim) -> inputs its root named
        self.state_path = state_path
        self.state = ChallengerState.load(state_path)
        self.metrics = ChallengerMetrics()
        self._games: dict[str, tuple[DisputeGameClient, GameInfo]] = {}
        self._refused: set[tuple[str, int, int, bytes]] = set()  # (game, parent, position, value) L1 refused
        self._pooled: set[tuple[str, int, int, bytes]] = set()  # answers found waiting in L1's pool (logged once)
        self._last_head: tuple[int, bytes] | None = None  # L1 head of the last pass: a reorg changes its hash
        self._bisection: DerivationBisectionClient | None | bool = False  # the games' bisection (False: not read yet)
        self._derivation: dict[int, DerivationCommitments] = {}  # L2 block -> this trace's derivation commitments
        self._block_ends: dict[tuple[str, int], bytes] = {}  # (game, block claim) -> the derivationEnd it named
        super().__init__("challenger", config.poll_interval_s, log)

    @property
    def address(self) -> str:
        return str(self.txmgr.address)

    # --- one pass -------------------------------------------------------------------------------

    def step(self) -> bool:
        """One pass; True if it sent anything."""
        self._forget_reorged()
        sent = self.check_outputs()
        sent |= self.play_games()
        self.state.save(self.state_path)
        return sent

    def check_outputs(self) -> bool:
        sent = False
        count = self.oracle.next_output_index()
        while self.state.first_open_output < count and self.oracle.is_output_finalized(self.state.first_open_output):
            self.state.first_open_output += 1
        safe = self.trace.safe_l2_number()
        for index in range(self.state.first_open_output, count):
            output = self.oracle.l2_output(index)
            root_hex = "0x" + output.output_root.hex()
            if self.state.checked.get(str(index)) == root_hex:
                continue
            if output.l2_block_number > safe:
                break  # the node has not derived it yet: check it next pass
            mine = self.trace.output_root(output.l2_block_number)
            self.metrics.outputs_checked += 1
            self.state.checked[str(index)] = root_hex
            if mine == output.output_root:
                log.info("output checked: correct", extra={"output_index": index, "l2_block": output.l2_block_number})
                continue
            self.metrics.outputs_wrong += 1
            self.state.wrong[str(index)] = root_hex
            log.warning("output checked: WRONG", extra={"output_index": index, "l2_block": output.l2_block_number,
                                                       "posted": root_hex, "mine": "0x" + mine.hex()})
        return self._dispute_wrong(count) or sent

    def _dispute_wrong(self, count: int) -> bool:
        """Every wrong output still in the oracle and not final has a game: one this challenger
        creates if nobody did, or again if an L1 reorg took the game's creation away."""
        sent = False
        for key, root_hex in sorted(self.state.wrong.items(), key=lambda item: int(item[0])):
            index = int(key)
            if index < self.state.first_open_output or index >= count:
                del self.state.wrong[key]  # final, or deleted (by its game) from the oracle
                continue
            output = self.oracle.l2_output(index)
            if "0x" + output.output_root.hex() != root_hex:
                del self.state.wrong[key]  # replaced by another output: checked afresh
                continue
            limit = self.config.max_games_created
            if limit is not None and self.metrics.games_created >= limit:
                continue
            if self.config.create_games and self.factory.game_of(index, output.output_root) is None:
                sent |= self.create_game(index, output.l2_block_number)
        return sent

    def _forget_reorged(self) -> None:
        """After an L1 reorg, what this run learnt from L1 may be gone: moves L1 refused (their
        claim may have left with the reorged blocks), games cached, games counted (a game's
        creation may have left). L1 is read again; what is owed is owed again."""
        head = self.oracle.l1.head()
        last, self._last_head = self._last_head, (head.number, bytes(head.hash))
        if last is None or (last[0] <= head.number and self.oracle.l1.block_hash(last[0]) == last[1]):
            return
        log.warning("L1 reorg: reading the games again", extra={"was": last[0], "head": head.number})
        self._refused.clear()
        self._games.clear()
        self._derivation.clear()
        total = self.factory.game_count()
        if total < self.state.games_seen:
            kept = {self.factory.game_at(i) for i in range(total)}
            self.state.games = [g for g in self.state.games if g in kept]
            self.state.games_seen = total

    def create_game(self, index: int, l2_block: int) -> bool:
        """Dispute output `index` (of L2 block `l2_block`) with this trace's claim half-way through its span."""
        config = self.factory.contract.functions.config().call()
        split_depth, tx_depth = int(config[0]), int(config[1])
        start = self.oracle.l2_output(index - 1).l2_block_number if index else self.oracle.starting_block_number()
        shape = GameShape(split_depth, split_depth + 1 + tx_depth, 1 << tx_depth, start)
        claim = shape.value(self.trace, 2)
        try:
            receipt = self.factory.create(self.txmgr, index, claim)
        except L1CallReverted as exc:
            log.warning("could not dispute the output: %s", exc, extra={"output_index": index})
            return False
        self._count_gas(receipt)
        if receipt["status"] != 1:
            raise ChallengerError(f"create for output {index} reverted on L1")
        game = self.factory.created_game(receipt)
        self.metrics.games_created += 1
        log.warning("disputed the output", extra={"output_index": index, "l2_block": l2_block, "game": game,
                                                 "l1_gas": int(receipt["gasUsed"])})
        return True

    def play_games(self) -> bool:
        total = self.factory.game_count()
        for i in range(self.state.games_seen, total):
            address = self.factory.game_at(i)
            if address not in self.state.settled and address not in self.state.games:
                self.state.games.append(address)
        self.state.games_seen = total
        sent = False
        for address in list(self.state.games):
            try:
                sent |= self.play(address)
            except L1CallReverted as exc:
                log.warning("game pass failed: %s", exc, extra={"game": address})
        return sent

    def _game(self, address: str) -> tuple[DisputeGameClient, GameInfo]:
        if address not in self._games:
            client = DisputeGameClient(self.oracle.l1, address)
            self._games[address] = (client, client.info())
        return self._games[address]

    def play(self, address: str) -> bool:
        game, info = self._game(address)
        if game.status() == IN_PROGRESS:
            claims = game.claims()
            if info.l2_block_number > self.trace.safe_l2_number():
                return False  # cannot judge it before the node has the block
            sent = False
            named, refused, countered = self._block_inputs(game, info, claims)
            # a block claim whose derivationEnd the player disputes is decided by its bisection: no
            # stepInput (refused `DerivationMismatch`) and no bond spent bisecting its transactions
            disputed = self._derivation_disputed(game, info, claims)
            for action in responses(info, claims, self.trace, named, refused, countered | disputed):
                sent |= self._act(game, info, action)
            sent |= self._play_bisections(game, info, claims, countered)
            if not sent:
                sent = self._resolve(game, info, claims)
            return sent
        return self._settle(game, info)

    def _block_inputs(self, game: DisputeGameClient, info: GameInfo,
                      claims: tuple[Claim, ...]) -> tuple[dict[int, NamedInputs], set[int], set[int]]:
        """The inputs each block subgame root named, the roots whose input step L1 refused this
        run, and those countered by the input leaf. Empty without an evidence source."""
        named: dict[int, NamedInputs] = {}
        refused: set[int] = set()
        countered: set[int] = set()
        if self.inputs is None:
            return named, refused, countered
        for claim in claims:
            if claim.depth != info.split_depth + 1:
                continue
            key = (game.address, claim.index)
            if key not in self._named:
                self._named[key] = game.block_inputs(claim.index)
            inputs = self._named[key]
            if inputs is not None:
                named[claim.index] = inputs
            if game.input_countered_by(claim.index) != NO_ADDRESS:
                countered.add(claim.index)
            elif (game.address, claim.index, -3, b"") in self._refused:
                refused.add(claim.index)
        return named, refused, countered

    # --- moves and steps ------------------------------------------------------------------------

    def _act(self, game: DisputeGameClient, info: GameInfo, action: Move | Step | InputStep) -> bool:
        if isinstance(action, InputStep):
            key = (game.address, action.root.index, -3, b"")
        else:
            key = (game.address, action.parent.index if isinstance(action, Move) else action.leaf.index,
                   action.position if isinstance(action, Move) else -1 - int(action.is_attack),
                   action.value if isinstance(action, Move) else b"")
        if key in self._refused:
            return False
        try:
            if isinstance(action, InputStep):
                receipt = self._step_input(game, action)
                self.metrics.input_steps += 1
                label = "stepInput"
                extra = {"claim": action.root.index, "l2_block": action.block_number}
            elif isinstance(action, Move):
                receipt = self._move(game, action)
                self.metrics.moves += 1
                label = "moveToBlock" if action.block_number is not None else ("attack" if action.is_attack else "defend")
                extra = {"depth": depth(action.position), "parent": action.parent.index}
            else:
                receipt = self._step(game, info, action)
                self.metrics.steps += 1
                label = "step"
                extra = {"leaf": action.leaf.index, "l2_block": action.block_number, "tx_index": action.tx_index,
                         "attack": action.is_attack}
        except L1CallReverted as exc:
            if self._in_the_pool(key, exc, type(action).__name__.lower(), game.address):
                return False
            # Refused on estimation (a step L1 finds valid, a clock run out): nothing was sent; do
            # not try it again this run.
            self._refused.add(key)
            log.info("L1 refuses the %s: %s", type(action).__name__.lower(), exc, extra={"game": game.address})
            return False
        return self._landed(game.address, key, label, receipt, extra)

    def _in_the_pool(self, key: tuple[str, int, int, bytes], exc: L1CallReverted, what: str, game: str) -> bool:
        """Whether L1's refusal of an owed answer (its estimate, against the pending block) only
        says that the same answer waits in L1's pool: sent by this key before a kill -9 and a
        restart, or by another player. Nothing is sent, and the answer is not noted as refused:
        it is asked again each pass, for the pool may still drop that transaction (then this pass
        sends it) or mine it (then L1 shows it and it is no longer owed). Logged once."""
        if exc.revert is None or exc.revert.name not in ANSWER_IN_THE_POOL:
            return False
        if key not in self._pooled:
            self._pooled.add(key)
            log.info("L1's pool holds the %s already (%s): not sent, asked again next pass", what, exc.revert.name,
                     extra={"game": game, "revert": exc.revert.name})
        return True

    def _landed(self, game: str, key: tuple[str, int, int, bytes], label: str, receipt: dict[str, Any],
                extra: dict[str, Any]) -> bool:
        """Count and log a sent action; one that reverted on L1 is not tried again this run."""
        self._count_gas(receipt)
        if receipt["status"] != 1:
            self._refused.add(key)
            log.warning("%s reverted on L1", label, extra={"game": game, **extra})
            return True
        log.info("played %s", label, extra={"game": game, "l1_gas": int(receipt["gasUsed"]), **extra})
        return True

    def _move(self, game: DisputeGameClient, move: Move) -> dict[str, Any]:
        if move.block_number is not None:
            block = self.trace.block(move.block_number)
            end = self.trace.derivation_end(move.block_number).commitment()
            return game.move_to_block(self.txmgr, move.parent, move.value, block.inputs(), end, move.is_attack)
        return game.move(self.txmgr, move.parent, move.value, move.is_attack)

    def _step_input(self, game: DisputeGameClient, step: InputStep) -> dict[str, Any]:
        """`stepInput` on `step.root` with the evidence of the player's own block: its L1-info
        deposit and timestamp (`lantau_txWitness` of transaction 0), what L1 committed to, and the
        batch derivation takes for it (its node's derivation end, whose parts the step shows: a
        block claim naming another `derivationEnd` is refused `DerivationMismatch`, and is for
        `DerivationBisection`, which this player does not play yet: it bisects the block instead)."""
        assert self.inputs is not None  # an InputStep is only owed with an evidence source
        first = self.trace.transaction_step(step.block_number, 0)
        timestamp = int(first.context[1])
        end = self.trace.derivation_end(step.block_number)
        evidence = self.inputs.evidence(step.block_number, first.transaction, timestamp, end.found)
        inputs = (list(step.inputs[0]), step.inputs[1])
        call = game.step_input_call(step.root.index, inputs, end.abi_tuple(), evidence)
        game.check(call)  # a step L1 finds no lie in is refused by name (`InputsMatch`), never sent
        return game.send(self.txmgr, call)

    def _named_inputs(self, game: DisputeGameClient, info: GameInfo, leaf: Claim) -> tuple[list[bytes], int] | None:
        """The inputs the block subgame root above `leaf` named (what every leaf's step must show)."""
        claims = game.claims()
        root = leaf
        while root.depth > info.split_depth + 1:
            root = claims[root.parent_index]
        key = (game.address, root.index)
        if key not in self._named:
            self._named[key] = game.block_inputs(root.index)
        named = self._named[key]
        return (list(named[0]), named[1]) if named is not None else None

    def _step(self, game: DisputeGameClient, info: GameInfo, step: Step) -> dict[str, Any]:
        number = step.block_number
        block = self.trace.block(number)
        starting = self.trace.block(number - 1).output_root_proof()
        # The subgame's inputs as its root named them: the player's own unless the other side named
        # others (and the input leaf could not decide them), when only a step on a transaction both
        # name alike can land.
        named = self._named_inputs(game, info, step.leaf)

        def leaf_of(k: int) -> tuple[int, bytes, int, list[bytes]]:
            return input_leaf(named[0], named[1], k) if named is not None else block.input_leaf(k)

        parent = self.trace.block(number - 1)
        gas_limit: int | None = None  # estimated by the TxManager
        if step.tx_index == info.trace_length - 1:
            last = block.acc_before(len(block.accumulators), parent.state_root).abi_tuple()
            call = game.step_finish_call(step.leaf.index, step.is_attack, starting, leaf_of(step.tx_index), last,
                                         block.finish_proof(parent.header))
        else:
            ancestry: tuple[Any, ...] = NO_ANCESTRY
            if step.tx_index < len(block.tx_hashes):
                witness = self.trace.transaction_step(number, step.tx_index)
                tx_proof: tuple[Any, ...] = witness.tx_proof()
                ancestry = witness.ancestry()
                self._record_headers(game, witness.headers_to_record())
            else:  # padding past the block's transactions: nothing to execute
                tx_proof = ([], [], b"")
            pre = block.acc_before(step.tx_index, parent.state_root).abi_tuple()
            call = game.step_transaction_call(step.leaf.index, step.is_attack, starting, leaf_of(step.tx_index), tx_proof,
                                              ancestry, pre, block.step_tries(step.tx_index))
            if tx_proof[0]:
                gas = self._one_call_gas(game, call)
                if gas > self.config.staged.tx_gas_cap:
                    staged_post = self._prove_staged(game, witness)
                    call = game.step_transaction_call(step.leaf.index, step.is_attack, starting, leaf_of(step.tx_index),
                                                      witness.tx_proof(staged=True), ancestry, pre,
                                                      block.step_tries(step.tx_index, staged_post))
                else:  # near the cap: the cap, not an estimate plus headroom above it
                    gas_limit = min(self.config.staged.tx_gas_cap, gas_with_headroom(gas))
        game.check(call)  # a step L1 finds valid is refused by name (`ValidStep`), never sent
        return game.send(self.txmgr, call, gas_limit=gas_limit)

    def _record_headers(self, game: DisputeGameClient, headers: list[bytes]) -> None:
        """Ancestor headers of a BLOCKHASH window too deep for the step's calldata, recorded on the
        game's finish leaf in chunks (anyone may; recording twice changes nothing)."""
        for at in range(0, len(headers), MAX_ANCESTORS_IN_CALL):
            if game.header_recorded(headers[min(at + MAX_ANCESTORS_IN_CALL, len(headers)) - 1]):
                continue  # recorded before (by us before a restart, or by anyone)
            receipt = game.record_headers(self.txmgr, headers[at:at + MAX_ANCESTORS_IN_CALL])
            self._count_gas(receipt)
            log.info("recorded ancestor headers", extra={"game": game.address, "headers": len(headers[at:at + MAX_ANCESTORS_IN_CALL])})

    def _one_call_gas(self, game: DisputeGameClient, call: Any) -> int:
        """L1 gas of the one-call step (`eth_estimateGas`; a step L1 finds valid reverts `ValidStep`).

        An estimate is searched under the L1 block's gas limit, so a step that needs more than a
        block holds fails it for want of gas: a revert without data when an inner call runs out,
        `L1GasAboveAllowance` when the whole call does (geth's and anvil's wording). Such
        a failure is measured again with `ONE_CALL_MEASURE_GAS`: a step that then has an estimate
        (above the block's limit, so above the cap) goes the staged way; one that still reverts
        is refused as before."""
        data = bytes.fromhex(call._encode_transaction_data().removeprefix("0x"))
        tx = {"from": self.address, "to": game.address, "data": data}
        try:
            return self.oracle.l1.estimate_gas(tx)
        except L1CallReverted as exc:
            if exc.revert is not None:
                raise  # refused by name (`ValidStep`, a clock run out, ...): never sent
            try:
                gas = self.oracle.l1.estimate_gas(tx | {"gas": ONE_CALL_MEASURE_GAS})
            except L1GasAboveAllowance as above:
                # more than the node estimates at all (geth caps an estimate at its RPC gas cap,
                # 50M by default): above the cap, so the step goes the staged way
                gas = max(above.allowance or 0, ONE_CALL_MEASURE_GAS)
            log.info("one-call step above the L1 block gas limit", extra={"game": game.address, "l1_gas": gas})
            return gas

    def _prove_staged(self, game: DisputeGameClient, witness: StepCall) -> tuple[Any, ...]:
        """Prove `witness`'s step on the game's `OneStepProof` in stages and segments, each an L1
        transaction under the cap, sending only what L1 does not hold (after kill -9 or a reorg the
        next pass goes on from L1's record); the state file counts what was sent. Returns the
        `PostState` the execution recorded (the empty-witness step shows it)."""
        address = self.oracle.l1.call(game.contract.functions.oneStepProof())
        staged = StagedStep(self.oracle.l1, self.txmgr, address, witness, self.config.staged)
        key = "0x" + staged.step_id.hex()
        while (receipt := staged.advance()) is not None:
            self._count_gas(receipt)
            self.metrics.staged_transactions += 1
            self.state.staged[key] = self.state.staged.get(key, 0) + 1
            self.state.save(self.state_path)
            log.info("staged step: sent a stage", extra={"game": game.address, "step_id": key,
                                                          "l1_gas": int(receipt["gasUsed"])})
        return tuple(staged.post_state())

    # --- resolution and credit ------------------------------------------------------------------

    def _resolve(self, game: DisputeGameClient, info: GameInfo, claims: tuple[Claim, ...]) -> bool:
        """Resolve every claim the clocks allow, children first (a block claim's bisection before
        it), then the game."""
        done, sent = self._resolve_bisections(game, info, claims)
        if not done:
            return sent  # a bisection's clock runs: its block claim (and every claim above) waits
        for claim in reversed(claims):
            if game.resolved_subgame(claim.index):
                continue
            if game.challenger_duration(claim.index) < info.max_clock_duration_s:
                return sent  # its clock runs: so does every claim above it
            try:
                receipt = game.resolve_claim(self.txmgr, claim.index)
            except L1CallReverted as exc:
                if exc.revert is not None and exc.revert.name == "ClaimAlreadyResolved":
                    continue  # another player (anyone may resolve) was first
                raise
            sent = True
            if not self._resolution_landed(receipt, lambda index=claim.index: game.resolved_subgame(index),
                                           {"game": game.address, "claim": claim.index}):
                return sent  # reverted for another reason: read L1 again next pass
        try:
            receipt = game.resolve(self.txmgr)
        except L1CallReverted as exc:
            if exc.revert is not None and exc.revert.name == "GameNotInProgress":
                return sent  # resolved by another player
            raise
        self._count_gas(receipt)
        status = game.status()
        if receipt["status"] != 1:
            if status == IN_PROGRESS:
                log.warning("resolve reverted on L1", extra={"game": game.address})
            else:
                log.info("game resolved by another player first: our resolve reverted", extra={"game": game.address})
            return True
        log.warning("game resolved", extra={"game": game.address, "status": ("", "CHALLENGER_WINS", "DEFENDER_WINS")[status],
                                            "output_index": info.output_index})
        return True

    def _resolution_landed(self, receipt: dict[str, Any], resolved: Callable[[], bool], extra: dict[str, Any]) -> bool:
        """Count a `resolveClaim` that resolved the claim. Anyone may resolve, and two players that
        read the same L1 block both send it: the second in the block reverts on L1 (its estimate
        against the pending block ran before the first was in the pool). That one is not a
        resolution of ours, only gas spent; True if the claim is resolved (by us or the other)."""
        self._count_gas(receipt)
        if receipt["status"] == 1:
            self.metrics.resolutions += 1
            return True
        if resolved():
            log.info("claim resolved by another player first: our resolveClaim reverted", extra=extra)
            return True
        log.warning("resolveClaim reverted on L1", extra=extra)
        return False

    def _settle(self, game: DisputeGameClient, info: GameInfo) -> bool:
        """After resolution: claim this player's credit (in the game and its bisections) once the
        bond delay has passed."""
        bisection = self._bisection_client(game)
        if bisection is not None and (bisection_credit := bisection.credit(game.address, self.address)):
            if self.oracle.l1.head().timestamp < game.resolved_at() + info.bond_delay_s:
                return False
            receipt = bisection.claim_credit(self.txmgr, game.address, self.address)
            self._count_gas(receipt)
            self.metrics.credit_claimed_wei += bisection_credit
            log.info("claimed bisection credit", extra={"game": game.address, "credit_wei": bisection_credit})
            return True
        credit = game.credit(self.address)
        won = is_defender(info, self.trace) == (game.status() == 2)
        if credit == 0:
            played = any(c.claimant == self.address for c in game.claims()[1:])
            self._close(game.address, ("won" if won else "lost") if played else "no stake")
            return False
        if self.oracle.l1.head().timestamp < game.resolved_at() + info.bond_delay_s:
            return False
        receipt = game.claim_credit(self.txmgr, self.address)
        self._count_gas(receipt)
        self.metrics.credit_claimed_wei += credit
        log.info("claimed credit", extra={"game": game.address, "credit_wei": credit})
        self._close(game.address, "won" if won else "lost")
        return True

    def _close(self, address: str, outcome: str) -> None:
        if address in self.state.games:
            self.state.games.remove(address)
        self.state.settled[address] = outcome
        if outcome == "won":
            self.metrics.games_won += 1
        elif outcome == "lost":
            self.metrics.games_lost += 1

    # --- the derivation bisection -----------------------------------------------------------------

    def _bisection_client(self, game: DisputeGameClient) -> DerivationBisectionClient | None:
        """The games' `DerivationBisection` (their `Config.derivation`; None where it is 0)."""
        if self._bisection is False:
            address = self.factory.derivation_bisection()
            self._bisection = None if address is None else DerivationBisectionClient(self.oracle.l1, address)
        return self._bisection  # type: ignore[return-value]

    def _derivation_commitments(self, number: int) -> DerivationCommitments:
        if number not in self._derivation:
            self._derivation[number] = self.trace.derivation_commitments(number)
        return self._derivation[number]

    def _block_claims(self, game: DisputeGameClient, info: GameInfo, claims: tuple[Claim, ...]) -> list[tuple[Claim, int]]:
        """The game's block claims (block subgame roots) and the L2 block of each."""
        shape = GameShape.of(info)
        return [(c, shape.block_of(c.position)) for c in claims if c.depth == info.split_depth + 1]

    def _block_end(self, game: DisputeGameClient, claim: Claim) -> bytes:
        """The `derivationEnd` block claim `claim` named (immutable: read once)."""
        key = (game.address, claim.index)
        if key not in self._block_ends:
            self._block_ends[key] = game.block_derivation(claim.index)
        return self._block_ends[key]

    def _derivation_disputed(self, game: DisputeGameClient, info: GameInfo, claims: tuple[Claim, ...]) -> set[int]:
        """The block claims naming another `derivationEnd` than this trace's (none without a bisection contract)."""
        if self._bisection_client(game) is None or self.inputs is None:
            return set()
        return {claim.index for claim, number in self._block_claims(game, info, claims)
                if self._block_end(game, claim) != self._derivation_commitments(number).commitments[-1]}

    def _play_bisections(self, game: DisputeGameClient, info: GameInfo, claims: tuple[Claim, ...], countered: set[int]) -> bool:
        """Open a bisection against every unresolved block claim naming another `derivationEnd` than
        this trace's, and play every open bisection of the game (either side)."""
        bisection = self._bisection_client(game)
        if bisection is None or self.inputs is None:
            return False
        sent = False
        for claim, number in self._block_claims(game, info, claims):
            if claim.index in countered:
                continue  # decided by the input leaf
            opened = bisection.info(game.address, claim.index)
            trace = self._derivation_commitments(number)
            max_depth = bisection.depth()
            if opened is None:
                if self._block_end(game, claim) != trace.commitments[-1] and not game.resolved_subgame(claim.index):
                    sent |= self._bisect(game, bisection, None, Open(claim.index, number, opening_value(trace, max_depth)))
                continue
            for action in bisection_responses(opened, bisection.claims(opened), trace, max_depth):
                sent |= self._bisect(game, bisection, opened, action)
        return sent

    def _bisect(self, game: DisputeGameClient, bisection: DerivationBisectionClient, opened: BisectionInfo | None,
                action: Open | BisectionMove | BisectionStep) -> bool:
        """Send one bisection action (refused on estimation: noted, not tried again this run)."""
        assert self.inputs is not None
        source = DerivationStepSource(self.inputs)
        if isinstance(action, Open):
            key = (game.address, action.block_claim, -10, action.value)
        elif isinstance(action, BisectionMove):
            key = (game.address, action.parent.index, -20 - action.position, action.value)
        else:
            key = (game.address, action.leaf.index, -30 - int(action.is_attack), b"bisection step")
        if key in self._refused:
            return False
        try:
            if isinstance(action, Open):
                call = bisection.open_call(game.address, action.block_claim, action.value,
                                           source.parent_proof_bytes(action.block_number))
                receipt = bisection.send(self.txmgr, call, value=bisection.required_bond(game.address, 2))
                self.metrics.bisections_opened += 1
                label, extra = "bisection open", {"claim": action.block_claim, "l2_block": action.block_number}
            elif isinstance(action, BisectionMove):
                assert opened is not None
                call = bisection.move_call(opened, action.parent, action.value, action.is_attack)
                receipt = bisection.send(self.txmgr, call, value=bisection.required_bond(game.address, action.position))
                self.metrics.bisection_moves += 1
                label = "bisection attack" if action.is_attack else "bisection defend"
                extra = {"parent": action.parent.index, "depth": action.position.bit_length() - 1}
            else:
                assert opened is not None
                pre, inbox, evidence = source.step_args(opened.l2_block_number, action.l1_block, opened.last)
                call = bisection.step_call(opened, action.leaf.index, action.is_attack, pre, inbox, evidence)
                self.oracle.l1.call(call)  # a step L1 finds valid is refused by name (`ValidStep`), never sent
                receipt = bisection.send(self.txmgr, call)
                self.metrics.bisection_steps += 1
                label = "bisection step"
                extra = {"leaf": action.leaf.index, "l1_block": action.l1_block, "attack": action.is_attack,
                         "padding": action.l1_block > opened.last}
        except L1CallReverted as exc:
            if exc.revert is not None and exc.revert.name == "RangeNotOnL1":
                # the range's last L1 block E is not on L1 yet: `open` waits for it (asked again next pass)
                log.info("bisection open waits for L1 block %d", int(exc.revert.args[0]), extra={"game": game.address})
                return False
            if self._in_the_pool(key, exc, "bisection's " + type(action).__name__.lower(), game.address):
                return False
            self._refused.add(key)
            refused = ({"leaf": action.leaf.index, "l1_block": action.l1_block, "attack": action.is_attack}
                       if isinstance(action, BisectionStep) else {})
            log.info("L1 refuses the bisection's %s: %s", type(action).__name__.lower(), exc,
                     extra={"game": game.address, "revert": exc.revert.name if exc.revert is not None else None, **refused})
            return False
        return self._landed(game.address, key, label, receipt, extra)

    def _resolve_bisections(self, game: DisputeGameClient, info: GameInfo, claims: tuple[Claim, ...]) -> tuple[bool, bool]:
        """Resolve the game's bisections' claims bottom-up as their clocks allow. Returns (every
        bisection's root resolved, anything sent)."""
        bisection = self._bisection_client(game)
        if bisection is None:
            return True, False
        done, sent = True, False
        for claim, _ in self._block_claims(game, info, claims):
            opened = bisection.info(game.address, claim.index)
            if opened is None or game.resolved_subgame(claim.index):
                continue
            for bclaim in reversed(bisection.claims(opened)):
                if bisection.resolved(opened, bclaim.index):
                    continue
                if bisection.challenger_duration(opened, bclaim.index) < info.max_clock_duration_s:
                    done = False
                    break  # its clock runs: so does every claim above it
                try:
                    receipt = bisection.resolve_claim(self.txmgr, opened, bclaim.index)
                except L1CallReverted as exc:
                    if exc.revert is not None and exc.revert.name == "ClaimAlreadyResolved":
                        continue
                    raise
                sent = True
                if not self._resolution_landed(receipt, lambda index=bclaim.index: bisection.resolved(opened, index),
                                               {"game": game.address, "bisection_claim": bclaim.index}):
                    done = False
                    break
        return done, sent

    def _count_gas(self, receipt: dict[str, Any]) -> None:
        self.metrics.l1_gas_used += int(receipt.get("gasUsed", 0))

    def poll(self) -> bool:
        return self.step()
