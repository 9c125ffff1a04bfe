"""Dispute games played to the leaf on a real anvil (docs/fault-proofs.md, "The game", worked
example): `DisputeGameFactory` as the `OutputOracle`'s challenger, `OutputDisputeGame` with the real
`OneStepProof` and `BlockFinishLeaf`, and two Python players. Each player holds a trace of the L2
chain: the honest one computes it from a real py-evm chain (output root of every block, the state
root after every transaction: `prover.witness.intermediate_state_roots`), the liar is the same
trace with a lie in it. Both play OP's honest-actor rule with their own trace (attack a claim that
disagrees with mine, defend one that agrees, step at the leaf), so the game narrows to the first
place the traces differ.

- Game 1: the proposer lies about block 3 (transaction 1's post-state altered, and every root
  after it); the honest challenger bisects blocks, opens block 3's subgame (`moveToBlock`), bisects
  its transactions, and re-executes transaction 1 on L1 (`stepTransaction`, a real witness). The
  output and the later one leave the oracle; the liar's bonds and its oracle bond pay the honest
  side after the bond delay.
- Game 2: a dishonest challenger disputes a correct output, lying about what finishes block 3 (its
  output root, every state root right); the proposer defends; the liar's `stepFinish` at the leaf
  reverts `ValidStep` (L1 recomputed the true output root) and it loses every bond.

Outputs every 4 L2 blocks (split depth 2), a block trace of 8 (tx depth 3: up to 7 transactions,
leaves at depth 6), simple transactions (HKD transfers, a storage write) so the leaf fits one L1
transaction. Prints the L1 gas of every move, step and resolution (`pytest -s`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import pytest
import rlp
from eth_account import Account
from eth_utils import keccak, to_canonical_address, to_checksum_address
from web3.contract import Contract

from genesis.config import GenesisAccount, GenesisConfig
from genesis.dev_accounts import dev_accounts
from genesis.predeploys import L2_TO_L1_MESSAGE_PASSER, SEQUENCER_FEE_VAULT
from genesis.rollup_config import DEVNET_PROOF_COST_LIMITS
from node.chain import BlockAttributes, Chain
from node.outputs import output_at_block
from node.vm import LantauVM
from prover.dispute_block import NO_L1_DERIVATION_END, DisputeBlock, dispute_block, input_leaf, inputs_hash
from prover.step_call import NO_ANCESTRY, StepCall
from prover.witness import intermediate_state_roots, transaction_witness
from tests.harness.evm import Contracts
from tests.contracts.step_diff import anvil_options, caps_abi  # noqa: F401 (fixtures: anvil with a high gas limit)
from tests.contracts.test_dispute_game import blueprint_init, _raw_create, game_at

PROPOSER, OLD_CHALLENGER, CHALLENGER = 2, 3, 4
INTERVAL, SPLIT_DEPTH, TX_DEPTH = 4, 2, 3
MAX_DEPTH, TRACE = SPLIT_DEPTH + 1 + TX_DEPTH, 1 << TX_DEPTH
MAX_CLOCK_S, EXTENSION_S, BOND_DELAY_S = 100, 10, 50
MIN_BOND, MAX_BOND, ORACLE_BOND = 10**15, 10**17, 10**16
FINALIZATION_S = 30
EIP_7825_TX_GAS_CAP = 16_777_216

DEV = dev_accounts()
STORE = to_canonical_address("0x" + "5c" * 20)
STORE_CODE = bytes.fromhex("600035600055" "00")  # SSTORE(0, calldata[0:32]); STOP
GENESIS = GenesisConfig.load().with_accounts({STORE: GenesisAccount(code=STORE_CODE)})
GAS_ROWS: list[tuple[str, str, int]] = []


# --- the L2 chain (py-evm, in process) --------------------------------------------------------


def _signed(sender: int, nonce: int, to: bytes, *, value: int = 0, data: bytes = b""):
    tx = {"to": to, "value": value, "data": data, "gas": 100_000, "nonce": nonce, "chainId": GENESIS.chain_id,
          "type": 2, "maxFeePerGas": 3 * 10**9, "maxPriorityFeePerGas": 5}
    raw = Account.sign_transaction(tx, DEV[sender].private_key).raw_transaction
    return LantauVM.get_transaction_builder().decode(bytes(raw))


@dataclass
class L2:
    """Blocks 1..4 of a real chain and everything the honest player reads from it."""

    chain: Chain
    outputs: dict[int, Any] = field(default_factory=dict)  # block -> OutputAtBlock
    roots: dict[int, list[bytes]] = field(default_factory=dict)  # block -> state root after each tx
    blocks: dict[int, DisputeBlock] = field(default_factory=dict)  # block -> its accs (the claims), tries

    def inputs(self, number: int) -> tuple[list[bytes], int]:
        """`BlockInputs`: the hash of each raw transaction and the block's timestamp."""
        header = self.chain.header_by_number(number)
        return [keccak(r) for r in self.chain.raw_transactions(header.hash)], int(header.timestamp)

    def inputs_hash(self, number: int) -> bytes:
        return inputs_hash(*self.inputs(number))

    def output_proof(self, number: int) -> tuple[bytes, ...]:
        o = self.outputs[number]
        return (b"\x00" * 32, o.state_root, o.withdrawal_storage_root, o.block_hash)


@pytest.fixture(scope="module")
def l2() -> L2:
    chain = Chain.open(None, GENESIS)
    nonces = {1: 0, 2: 0}

    def tx(sender: int, to: bytes, **kw: Any):
        nonces[sender] += 1
        return _signed(sender, nonces[sender] - 1, to, **kw)

    for number in range(1, 5):
        parent = chain.head
        attributes = BlockAttributes(timestamp=parent.timestamp + 2, fee_recipient=SEQUENCER_FEE_VAULT,
                                     prev_randao=keccak(parent.hash), gas_limit=parent.gas_limit)
        built = chain.build_block(parent, attributes, [
            tx(1, DEV[5].address, value=10**15 * number),                       # an HKD transfer
            tx(2, STORE, data=(1000 + number).to_bytes(32, "big")),             # a storage write
            tx(1, DEV[6].address, value=7),                                     # another transfer
        ])
        assert not built.rejected
    l2 = L2(chain)
    for number in range(0, 5):
        header = chain.header_by_number(number)
        l2.outputs[number] = output_at_block(chain, header)
        if number:
            l2.roots[number] = intermediate_state_roots(chain, header)
            assert len(l2.roots[number]) == 3 and l2.roots[number][-1] == header.state_root
            l2.blocks[number] = dispute_block(chain, number)
    return l2


# --- positions (OP's LibPosition, in Python) ------------------------------------------------


def depth(p: int) -> int:
    return p.bit_length() - 1


def trace_index(p: int, max_depth: int) -> int:
    rem = max_depth - depth(p)
    return ((p << rem) | ((1 << rem) - 1)) - (1 << max_depth)


def block_of(p: int) -> int:
    """Index (0-based, after the starting output) of the block a position below the split is about."""
    root = p >> (depth(p) - SPLIT_DEPTH - 1)  # the block subgame's root, at an even index
    return (root - (1 << (SPLIT_DEPTH + 1))) // 2


# --- players ----------------------------------------------------------------------------------


@dataclass
class Player:
    """OP's honest-actor rule over this player's own trace."""

    name: str
    account: int
    l2: L2
    start: int  # the agreed block before the disputed span
    lie: Callable[[int, int | None, bytes], bytes] = lambda block, k, value: value  # (block, tx k or None for output)

    def output(self, number: int) -> bytes:
        return self.lie(number, None, self.l2.outputs[number].output_root)

    def value(self, p: int) -> bytes:
        """My claim at position p: a block's output root above the split, the hash of the
        `BlockAccumulator.Acc` after transaction k (or the block's output root at trace index T-1)
        below."""
        if depth(p) <= SPLIT_DEPTH:
            return self.output(self.start + trace_index(p, SPLIT_DEPTH) + 1)
        number = self.start + block_of(p) + 1
        k = trace_index(p, MAX_DEPTH) % TRACE
        if k == TRACE - 1:
            return self.output(number)
        claims = self.l2.blocks[number].claims()
        k = min(k, len(claims) - 1)  # padding: the claim after the last transaction
        return self.lie(number, k, claims[k])


@dataclass
class Game:
    contracts: Contracts
    game: Contract
    l2: L2
    start: int

    def claim(self, index: int) -> tuple[Any, ...]:
        return self.game.functions.claimData(index).call()

    def bond(self, p: int) -> int:
        return self.game.functions.getRequiredBond(p).call()

    def send(self, player: Player, label: str, call: Any, value: int = 0) -> dict[str, Any]:
        receipt = self.contracts.ok(player.account, call, value=value)
        GAS_ROWS.append((label, player.name, receipt["gasUsed"]))
        return receipt

    def respond(self, me: Player, index: int) -> str:
        """My answer to claim `index`: a move (returns its kind), or a step at the leaf."""
        _, _, _, _, claim, p, _, _ = self.claim(index)
        agree = me.value(p) == claim
        if depth(p) == MAX_DEPTH:
            return self.step(me, index, p, is_attack=not agree)
        is_attack = not agree or depth(p) in (0, SPLIT_DEPTH + 1)
        child = 2 * p if is_attack else 2 * (p + 1)
        kind = "attack" if is_attack else "defend"
        if depth(child) == SPLIT_DEPTH + 1:
            number = self.start + block_of(child) + 1
            # no L1 behind this chain: derivation's end is the empty state (no batch, a game with no input leaf)
            call = self.game.functions.moveToBlock(claim, index, me.value(child), self.l2.inputs(number),
                                                   NO_L1_DERIVATION_END.commitment(), is_attack)
            kind = f"moveToBlock ({kind}, block {number})"
        else:
            call = self.game.functions.move(claim, index, me.value(child), is_attack)
        self.send(me, f"depth {depth(child)} {kind}", call, value=self.bond(child))
        return kind

    def step_call(self, index: int, p: int, is_attack: bool) -> tuple[str, Any]:
        number = self.start + block_of(p) + 1
        k = trace_index(p, MAX_DEPTH) % TRACE + (0 if is_attack else 1)
        starting = self.l2.output_proof(number - 1)
        block = self.l2.blocks[number]
        parent_root = self.l2.outputs[number - 1].state_root
        if k == TRACE - 1:
            parent = rlp.encode(self.l2.chain.header_by_number(number - 1))
            finish = block.finish_proof(parent)
            last = block.acc_before(len(block.accumulators), parent_root).abi_tuple()
            return (f"stepFinish (block {number})",
                    self.game.functions.stepFinish(index, is_attack, starting, input_leaf(*self.l2.inputs(number), k),
                                                   last, finish))
        ancestry: tuple[Any, ...] = NO_ANCESTRY
        if k < len(self.l2.roots[number]):
            call = StepCall.from_witness(transaction_witness(self.l2.chain, number, k))
            tx_proof, ancestry = call.tx_proof(), call.ancestry()
        else:  # padding past the block's transactions: nothing to execute
            tx_proof = ([], [], b"")
        pre = block.acc_before(k, parent_root).abi_tuple()
        return (f"stepTransaction (block {number}, tx {k})",
                self.game.functions.stepTransaction(index, is_attack, starting, input_leaf(*self.l2.inputs(number), k),
                                                    tx_proof, ancestry, pre, block.step_tries(k)))

    def step(self, me: Player, index: int, p: int, is_attack: bool) -> str:
        label, call = self.step_call(index, p, is_attack)
        self.send(me, label, call)
        return label

    def play(self, players: tuple[Player, Player], first: int) -> list[str]:
        """Alternate from claim `first` (made by players[1]) until a step or a refused step."""
        moves, index, turn = [], first, 0
        while True:
            me = players[turn]
            _, _, _, _, _, p, _, _ = self.claim(index)
            if depth(p) == MAX_DEPTH and not self._step_would_win(me, index, p):
                moves.append(f"{me.name}: no winning step")
                return moves
            moves.append(f"{me.name}: {self.respond(me, index)}")
            if depth(p) == MAX_DEPTH:
                return moves
            index = self.game.functions.claimDataLen().call() - 1
            turn ^= 1

    def _step_would_win(self, me: Player, index: int, p: int) -> bool:
        _, _, _, _, claim, _, _, _ = self.claim(index)
        _, call = self.step_call(index, p, is_attack=me.value(p) != claim)
        try:
            call.call({"from": self.contracts.address(me.account)})
            return True
        except Exception:  # noqa: BLE001 (the revert is checked by name in the test)
            return False

    def resolve_all(self, by: Player) -> None:
        for index in reversed(range(self.game.functions.claimDataLen().call())):
            self.send(by, f"resolveClaim (depth {depth(self.claim(index)[5])})", self.game.functions.resolveClaim(index))
        self.send(by, "resolve", self.game.functions.resolve())


# --- L1 --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def system(contracts: Contracts, l2: L2) -> dict[str, Contract]:
    return deploy_system(contracts, l2.outputs[0].output_root)


def deploy_system(contracts: Contracts, anchor_output_root: bytes, starting_block: int = 0) -> dict[str, Contract]:
    """The oracle (first output at `starting_block` + `INTERVAL`) and the game's factory, its
    agreed start `anchor_output_root` (the output root of `starting_block`), with this module's
    rules; the factory is the oracle's challenger."""
    from genesis.artifacts import load_artifact

    now = contracts.latest_timestamp()
    oracle = contracts.deploy("OutputOracle", INTERVAL, 1, starting_block, now - 10_000, contracts.address(PROPOSER),
                              contracts.address(OLD_CHALLENGER), FINALIZATION_S, ORACLE_BOND, "0x" + "00" * 20)
    receipt = contracts.ok(0, _raw_create(contracts, blueprint_init(bytes(load_artifact("OutputDisputeGame").bytecode))))
    step = contracts.deploy("EVMStep", contracts.deploy("EVMTx").address, contracts.deploy("EVMPrecompiles").address)
    one_step = contracts.deploy("OneStepProof", step.address, caps_abi(DEVNET_PROOF_COST_LIMITS))
    finish = contracts.deploy("BlockFinishLeaf", to_checksum_address(SEQUENCER_FEE_VAULT), GENESIS.chain_id)
    config = (SPLIT_DEPTH, TX_DEPTH, MAX_CLOCK_S, EXTENSION_S, BOND_DELAY_S, MIN_BOND, MAX_BOND,
              one_step.address, "0x" + "00" * 20, L2_TO_L1_MESSAGE_PASSER, finish.address, "0x" + "00" * 20,
              contracts.deploy("OutputDisputeGameLeaves").address)
    factory = contracts.deploy("DisputeGameFactory", oracle.address, receipt["contractAddress"],
                               anchor_output_root, config)
    contracts.ok(OLD_CHALLENGER, oracle.functions.setChallenger(factory.address))
    return {"oracle": oracle, "factory": factory}


def warp(contracts: Contracts, seconds: int) -> None:
    contracts.anvil.rpc("evm_increaseTime", [seconds])
    contracts.mine()


def propose(contracts: Contracts, oracle: Contract, root: bytes) -> int:
    block = oracle.functions.nextBlockNumber().call()
    contracts.ok(PROPOSER, oracle.functions.proposeL2Output(root, block, b"\x00" * 32, 0), value=ORACLE_BOND)
    return oracle.functions.latestOutputIndex().call()


def open_game(contracts: Contracts, system: dict[str, Contract], l2: L2, index: int, challenger: Player) -> Game:
    factory = system["factory"]
    receipt = contracts.ok(challenger.account, factory.functions.create(index, challenger.value(2)),
                           value=factory.functions.createBond().call())
    GAS_ROWS.append(("create (depth 1 attack)", challenger.name, receipt["gasUsed"]))
    (event,) = factory.events.GameCreated().process_receipt(receipt)
    game = Game(contracts, game_at(contracts, event["args"]["game"]), l2, start=0)
    assert game.game.functions.MAX_DEPTH().call() == MAX_DEPTH
    assert game.game.functions.TRACE_LENGTH().call() == TRACE
    return game


def credits_after_delay(contracts: Contracts, game: Game, who: list[Player]) -> dict[str, int]:
    """Claims every player's credit after the bond delay; what each received."""
    warp(contracts, BOND_DELAY_S)
    paid = {}
    for player in who:
        address = contracts.address(player.account)
        if game.game.functions.credit(address).call() == 0:
            paid[player.name] = 0
            continue
        before = contracts.w3.eth.get_balance(address)
        receipt = contracts.ok(0, game.game.functions.claimCredit(address))  # anyone may pay it out
        GAS_ROWS.append(("claimCredit", player.name, receipt["gasUsed"]))
        paid[player.name] = contracts.w3.eth.get_balance(address) - before
    return paid


def bonds_of(game: Game, account: int) -> int:
    n = game.game.functions.claimDataLen().call()
    address = game.contracts.address(account)
    return sum(game.claim(i)[3] for i in range(1, n) if game.claim(i)[2] == address)


# --- the games ---------------------------------------------------------------------------------


def lie_from_block_3_tx_1(block: int, k: int | None, value: bytes) -> bytes:
    """A proposer's trace: transaction 1 of block 3 "gave" another state; every root after it
    follows from the lie."""
    if block == 3 and (k is None or k >= 1) or block == 4 and k is None:
        return keccak(b"lie" + str(block).encode() + str(k).encode())
    return value


def test_a_lying_proposer_loses_at_the_transaction_step(contracts: Contracts, system, l2: L2, isolated) -> None:
    oracle = system["oracle"]
    liar = Player("liar (proposer)", PROPOSER, l2, 0, lie_from_block_3_tx_1)
    honest = Player("honest (challenger)", CHALLENGER, l2, 0)
    index = propose(contracts, oracle, liar.output(4))
    later = propose(contracts, oracle, b"\x42" * 32)  # the next output, about blocks 5..8
    game = open_game(contracts, system, l2, index, honest)
    moves = game.play((liar, honest), first=1)
    assert moves == [
        "liar (proposer): defend",                        # depth 2: block 2 agreed, block 3 claimed
        "honest (challenger): moveToBlock (attack, block 3)",
        "liar (proposer): attack",                         # depth 4: root after the last tx (index 3)
        "honest (challenger): attack",                     # depth 5: root after tx 1 (index 1)
        "liar (proposer): attack",                         # depth 6 (leaf): root after tx 0 (true)
        "honest (challenger): stepTransaction (block 3, tx 1)",
    ], moves
    leaf = game.game.functions.claimDataLen().call() - 1
    assert game.claim(leaf)[1] == contracts.address(CHALLENGER)  # countered by the step
    # The liar cannot step the same leaf again, nor move after its clock.
    label, call = game.step_call(leaf, game.claim(leaf)[5], False)
    assert contracts.revert_of(PROPOSER, call) == ("DuplicateStep", ())
    warp(contracts, MAX_CLOCK_S + 1)
    assert not oracle.functions.isOutputFinalized(index).call()

    game.resolve_all(honest)
    assert game.game.functions.status().call() == 1  # CHALLENGER_WINS
    assert oracle.functions.nextOutputIndex().call() == index  # the output and the later one are gone
    del later
    liar_bonds, honest_bonds = bonds_of(game, PROPOSER), bonds_of(game, CHALLENGER)
    # bonds of depths 2, 4, 6 (the liar's) and 1, 3, 5 (the honest side's)
    assert liar_bonds == sum(game.bond(1 << d) for d in (2, 4, 6))
    assert honest_bonds == sum(game.bond(1 << d) for d in (1, 3, 5))
    expected = liar_bonds + honest_bonds + 2 * ORACLE_BOND  # two proposer bonds forfeited
    assert game.game.functions.credit(contracts.address(CHALLENGER)).call() == expected
    paid = credits_after_delay(contracts, game, [honest, liar])
    assert paid == {honest.name: expected, liar.name: 0}
    print(f"\ngame 1 moves: {moves}\nhonest paid {expected} wei = own bonds {honest_bonds} + liar's bonds "
          f"{liar_bonds} + 2 oracle bonds {2 * ORACLE_BOND}")


def test_a_dishonest_challenger_loses_at_the_finish_step(contracts: Contracts, system, l2: L2, isolated) -> None:
    oracle = system["oracle"]

    def challenger_lie(block: int, k: int | None, value: bytes) -> bytes:
        # Block 3's output root "is" another one: a wrong block hash, every state root right.
        return keccak(b"forged finish") if block == 3 and k is None else value

    honest = Player("honest (proposer)", PROPOSER, l2, 0)
    liar = Player("liar (challenger)", CHALLENGER, l2, 0, challenger_lie)
    index = propose(contracts, oracle, honest.output(4))
    game = open_game(contracts, system, l2, index, liar)
    moves = game.play((honest, liar), first=1)
    assert moves == [
        "honest (proposer): defend",                        # depth 2: block 3's true output
        "liar (challenger): moveToBlock (attack, block 3)",
        "honest (proposer): attack",                        # depth 4: index 3
        "liar (challenger): defend",                        # depth 5: index 5 (padding)
        "honest (proposer): defend",                        # depth 6 (leaf): index 6 (padding)
        "liar (challenger): no winning step",
    ], moves
    leaf = game.game.functions.claimDataLen().call() - 1
    label, call = game.step_call(leaf, game.claim(leaf)[5], is_attack=False)
    assert label == "stepFinish (block 3)"
    # L1 recomputed block 3's output root from its parts: the honest one, so the step is refused.
    assert contracts.revert_of(CHALLENGER, call) == ("ValidStep", ())
    # Attacking the leaf instead: step 6 is padding past block 3's 3 transactions, the root unchanged.
    label, call = game.step_call(leaf, game.claim(leaf)[5], is_attack=True)
    assert label == "stepTransaction (block 3, tx 6)"
    assert contracts.revert_of(CHALLENGER, call) == ("ValidStep", ())
    warp(contracts, MAX_CLOCK_S + 1)
    game.resolve_all(honest)
    assert game.game.functions.status().call() == 2  # DEFENDER_WINS
    assert oracle.functions.nextOutputIndex().call() == index + 1
    liar_bonds, honest_bonds = bonds_of(game, CHALLENGER), bonds_of(game, PROPOSER)
    assert liar_bonds == sum(game.bond(1 << d) for d in (1, 3, 5))
    assert honest_bonds == sum(game.bond(1 << d) for d in (2, 4, 6))
    paid = credits_after_delay(contracts, game, [honest, liar])
    assert paid == {honest.name: liar_bonds + honest_bonds, liar.name: 0}
    warp(contracts, FINALIZATION_S)
    assert oracle.functions.isOutputFinalized(index).call()
    print(f"\ngame 2 moves: {moves}\nhonest paid {liar_bonds + honest_bonds} wei = own bonds {honest_bonds} "
          f"+ liar's bonds {liar_bonds}")


@pytest.mark.e2e  # the gas rows come from the two games above, which run on anvil: `make test-unit` runs neither
def test_print_gas_table() -> None:
    """The L1 gas of every transaction the two games sent (docs/fault-proofs.md, "The game")."""
    assert GAS_ROWS, "run with the games"
    print("\n| game action | by | L1 gas | fits one L1 tx |\n|---|---|---|---|")
    for label, who, gas in GAS_ROWS:
        print(f"| {label} | {who} | {gas:,} | {'yes' if gas <= EIP_7825_TX_GAS_CAP else 'no'} |")
