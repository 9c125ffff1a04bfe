"""The devnet every dispute game of tests/e2e is played on, and the parties that play it, each a
separate process (docs/fault-proofs.md, "The challenger"): `lantau devnet` with no proposer and no
challenger of its own, a verifier node deriving from L1 alone, and `lantau proposer
--inject-fault` / `lantau challenger` started by `daemons` (`lie_and_challenger`: the lying
proposer and the honest challenger following the verifier, as every fault-kind test starts them).
A forced block is made on that devnet by stopping its sequencer for a sequencing window
(`bridge.devnet.force_an_output_block`).
The one home of this set-up for tests/e2e/test_dispute_games.py and test_input_disputes.py.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from web3 import Web3

from bridge.devnet import DEVNET_DISPUTES, warp_devnet
from bridge.l1_client import L1Client
from bridge.l1_contract_clients import DisputeGameFactoryClient, OutputOracleClient
from genesis.dev_accounts import dev_accounts
from tests.harness.node_process import REPO_ROOT
from tests.e2e.test_devnet_lifecycle import wait_for as wait_until

PROPOSER, CHALLENGER = dev_accounts()[2].address, dev_accounts()[3].address
CHALLENGER_WINS, DEFENDER_WINS = 1, 2


class Daemon:
    """`python -m node.cli ARGS` as its own process group, its log in a file."""

    def __init__(self, log_path: Path, *args: str) -> None:
        self.log_path, self.args = log_path, args
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> "Daemon":
        env = dict(os.environ, ETH_HASH_BACKEND="pysha3", PYTHONUNBUFFERED="1")
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen([sys.executable, "-m", "node.cli", "--log-format", "json", *self.args],
                                            cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        return self

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def log_lines(self) -> list[dict[str, Any]]:
        lines = []
        for line in self.log_path.read_text().splitlines():
            try:
                lines.append(json.loads(line))
            except ValueError:
                pass
        return lines


@pytest.fixture
def daemons() -> Iterator[Callable[..., Daemon]]:
    started: list[Daemon] = []

    def start(log_path: Path, *args: str) -> Daemon:
        daemon = Daemon(log_path, *args).start()
        started.append(daemon)
        return daemon

    yield start
    for daemon in started:
        daemon.kill(signal.SIGTERM)


def wait_for(what: str, check: Callable[[], Any], timeout_s: float, logs: tuple[Daemon, ...] = ()) -> Any:
    """`test_devnet_lifecycle.wait_for`, with the last lines of the daemons' logs on a timeout."""
    try:
        return wait_until(what, check, timeout_s)
    except AssertionError as exc:
        tails = "\n".join(f"--- {d.log_path.name}\n" + "\n".join(d.log_path.read_text().splitlines()[-25:]) for d in logs)
        raise AssertionError(f"{exc}\n{tails}") from None


def lantau_dispute(*args: str, returncode: int = 0) -> str:
    """`lantau dispute ARGS`: its output (it must exit with `returncode`: succeed unless told)."""
    env = dict(os.environ, ETH_HASH_BACKEND="pysha3", COLUMNS="200")
    done = subprocess.run([sys.executable, "-m", "node.cli", "dispute", *args], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == returncode, done.stdout + done.stderr
    return done.stdout


def warp(devnet: dict[str, Any], seconds: int) -> None:
    """Move the whole devnet's clock `seconds` forward, L1's and its sequencer's together
    (`bridge.devnet.warp_devnet`, the one home of the rule): what a game's chess clocks, its bond
    delay and the oracle's finalization period wait on. Moving anvil's clock alone (as this did)
    left the running sequencer's clock behind L1's: its L1 origin stopped at the block before the
    jump and derivation replaced its blocks by forced ones once their windows passed.

    Every call in tests/e2e warps past a game's clocks or its bond delay with the devnet's
    sequencer running, and moves both clocks; one needs L1's alone:
    test_input_disputes.test_a_skipped_forced_inclusion_loses_at_the_input_leaf, whose sequencer
    `force_an_output_block` stopped (its derivation forces one block per L1 block, and time
    travel on it would build sequenced blocks beside them): `warp_devnet` sees it stopped
    (`admin_sequencerActive`), moves L1's clock and only sets the stopped sequencer's next
    timestamp, which builds nothing."""
    warp_devnet(devnet["l1"], devnet["info"]["l2_rpc"], seconds)


@pytest.fixture
def devnet(node_factory, tmp_path: Path) -> dict[str, Any]:
    """A devnet with no proposer and no challenger of its own, and a verifier following it. Its L1
    mines a block a second (`--l1-block-time 1`, the `l1` fixture's pace; `lantau devnet`'s own is
    2 s): a block's derivation range (a sequencing window of L1 blocks) is on L1 in half the time,
    and every move of a game lands a block sooner."""
    devnet_dir = tmp_path / "devnet"
    node_factory(data_dir=devnet_dir, command="devnet", block_time_s=1,
                 extra_args=("--no-proposer", "--no-challenger", "--no-sample", "--l1-block-time", "1"))
    info = json.loads((devnet_dir / "devnet.json").read_text())
    verifier = node_factory(data_dir=tmp_path / "verifier", block_time_s=1,
                            extra_args=("--role", "verifier", "--devnet", str(devnet_dir)))
    l1 = L1Client.connect(info["l1_rpc"])
    contracts = info["contracts"]
    dir_args = ("--devnet", str(devnet_dir))
    return {"dir": devnet_dir, "info": info, "verifier": verifier, "l1": l1,
            "oracle": OutputOracleClient(l1, contracts["OutputOracle"]),
            "factory": DisputeGameFactoryClient(l1, contracts["DisputeGameFactory"]),
            "l2": Web3(Web3.HTTPProvider(info["l2_rpc"])), "rollup_config": Path(info["rollup_config"]),
            # the liar follows the devnet's sequencer, the challenger its own verifier
            "dir_args": dir_args, "liar_args": dir_args, "challenger_args": (*dir_args, "--l2-rpc", verifier.rpc_url)}


def dispute_block_parts(node: Any, number: int) -> dict[str, bytes]:
    """The verifier's `lantau_disputeBlock`, hex decoded (the parts of its output)."""
    raw = node.rpc("lantau_disputeBlock", [hex(number)])
    return {key: bytes.fromhex(raw[key][2:]) for key in ("stateRoot", "blockHash", "withdrawalStorageRoot", "outputRoot")}


def next_quiet_output_block(l2: Web3, ahead: int = 8) -> int:
    """An output block a few blocks ahead of the head: the devnet runs no sample (--no-sample), so it
    will hold only its L1-info deposit (the leaf then re-executes that one transaction)."""
    interval = DEVNET_DISPUTES.output_interval
    head = l2.eth.block_number
    return (head + ahead) // interval * interval + interval


def send_signed(l2: Web3, sender: Any, **fields: Any) -> bytes:
    """Sign `fields` with `sender`'s key (an EIP-1559 transaction, 2x the base fee) and send it to `l2`; its hash."""
    from eth_account import Account

    tx = {"chainId": l2.eth.chain_id, "nonce": l2.eth.get_transaction_count(sender.address, "pending"), "gas": 500_000,
          "maxFeePerGas": 2 * l2.eth.get_block("latest")["baseFeePerGas"] + 10**9, "maxPriorityFeePerGas": 10**9, **fields}
    return bytes(l2.eth.send_raw_transaction(Account.sign_transaction(tx, sender.private_key).raw_transaction))


def evm_mine(l2: Web3) -> int:
    """The devnet's `evm_mine`: the next block now; the new head's number."""
    reply = l2.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    assert "error" not in reply, reply
    return int(l2.eth.block_number)


def deploy_runtime(l2: Web3, sender: Any, runtime: bytes) -> str:
    """Deploy `runtime` (at most 32 bytes) with init code PUSHn RUNTIME, MSTORE, RETURN; its address."""
    assert 0 < len(runtime) <= 32
    init = bytes([0x5F + len(runtime)]) + runtime + bytes([0x60, 0x00, 0x52, 0x60, len(runtime), 0x60, 32 - len(runtime), 0xF3])
    created = send_signed(l2, sender, data=init)
    evm_mine(l2)
    address = wait_until("the contract deployed", lambda: l2.eth.get_transaction_receipt(created)["contractAddress"], 30)
    assert bytes(l2.eth.get_code(address)) == runtime
    return address


def last_in_output_block(l2: Web3, sender: Any, at_least: int, **fields: Any) -> tuple[int, bytes]:
    """Make a transaction (`fields`, signed by `sender`) the last one of the devnet's next output
    block B >= `at_least`: blocks are built up to B - 1 with `evm_mine` (the sequencer's own loop
    waits while its head is ahead of its clock, so nothing else builds B), the transaction sent,
    B built. Then `evm_increaseTime` brings L1's clock and the sequencer's up to the head, so the
    outputs are not in L1's future. (B, the transaction's hash)."""
    interval = DEVNET_DISPUTES.output_interval
    block = -(-max(l2.eth.block_number + 2, at_least) // interval) * interval
    while l2.eth.block_number < block - 1:
        evm_mine(l2)
    assert l2.eth.block_number == block - 1
    tx_hash = send_signed(l2, sender, **fields)
    assert evm_mine(l2) == block
    assert bytes(l2.eth.get_block(block)["transactions"][-1]) == tx_hash
    reply = l2.provider.make_request("evm_increaseTime", [1])  # type: ignore[arg-type]
    assert "error" not in reply, reply
    return block, tx_hash


@dataclass(frozen=True)
class LieInPlay:
    """A lying proposer and the honest challenger, started (`lie_and_challenger`)."""

    liar: Daemon
    challenger: Daemon
    lie_index: int  # the oracle index the lie will have
    challenger_args: tuple[str, ...]  # `lantau challenger`'s arguments (to restart it on its data dir)

    @property
    def logs(self) -> tuple[Daemon, ...]:
        return (self.liar, self.challenger)


def lie_and_challenger(devnet: dict[str, Any], daemons: Callable[..., Daemon], tmp_path: Path, kind: str, lie_block: int,
                       *liar_args: str) -> LieInPlay:
    """`lantau proposer --inject-fault KIND --inject-at LIE_BLOCK LIAR_ARGS...` and `lantau challenger`
    following the devnet's verifier (`devnet`), its data dir in `tmp_path`."""
    liar = daemons(tmp_path / "proposer.log", "proposer", *devnet["liar_args"], "--inject-fault", kind,
                   "--inject-at", str(lie_block), *liar_args)
    challenger_args = ("challenger", *devnet["challenger_args"], "--data-dir", str(tmp_path / "challenger"))
    challenger = daemons(tmp_path / "challenger.log", *challenger_args)
    return LieInPlay(liar, challenger, lie_block // DEVNET_DISPUTES.output_interval - 1, challenger_args)


def stepped_by_the_challenger(devnet: dict[str, Any], play: LieInPlay, lie_block: int, timeout_s: float = 420) -> tuple[Any, Any, list[dict[str, Any]]]:
    """Wait until the challenger disputed the lie about `lie_block` (game 0), both played to the
    leaf and the challenger's step landed and is logged; (game client, its info, the challenger's
    log lines)."""
    from bridge.l1_contract_clients import NO_ADDRESS, DisputeGameClient

    factory, logs = devnet["factory"], play.logs
    address = wait_for("the challenger to dispute the lie", lambda: factory.game_count() and factory.game_at(0), timeout_s, logs)
    game = DisputeGameClient(devnet["l1"], address)
    info = game.info()
    assert (info.output_index, info.l2_block_number) == (play.lie_index, lie_block)

    def leaf_stepped() -> bool:
        claims = game.claims()
        return claims[-1].depth == info.max_depth and claims[-1].countered_by != NO_ADDRESS

    wait_for("the game played to the leaf and stepped", leaf_stepped, timeout_s, logs)
    # the step is on L1 before the challenger logs it
    wait_for("the challenger's step logged", lambda: any(line.get("msg") == "played step" for line in play.challenger.log_lines()), 30, logs)
    return game, info, play.challenger.log_lines()


def resolved_for_the_challenger(devnet: dict[str, Any], play: LieInPlay, game: Any, info: Any) -> None:
    """Move the devnet's clock past the game's clocks; the game resolves for the challenger, the lie
    (and every output after it) leaves the oracle, and the liar is owed nothing."""
    oracle = devnet["oracle"]
    warp(devnet, info.max_clock_duration_s + 1)
    wait_for("the game resolved", lambda: game.status() != 0, 240, play.logs)
    assert game.status() == CHALLENGER_WINS
    for index in range(play.lie_index, oracle.next_output_index()):
        assert oracle.l2_output(index).output_root != info.root_claim
    assert game.credit(PROPOSER) == 0
