"""The L1 half of `lantau devnet`: a fresh anvil with Lantau's L1 contracts deployed.

HKD on L2 must be backed one-for-one by HKD locked in the portal. The L2 genesis funds the
dev accounts, so the devnet mints exactly that genesis supply (scaled to 6 decimals) to the
portal as its opening backing: from block 0, L2 supply == portal balance * 10**12 (node/hkd_units.py).

Roles on the devnet (dev accounts of the test mnemonic): #0 deploys and holds the issuer roles
and the portal's guardian, #1 is the batcher (posting to the `BatchInbox` contract), #2 the output
proposer. Nobody holds the oracle's challenger role: it is the `DisputeGameFactory`'s, so an
output is deleted only by a dispute game its challengers win (docs/fault-proofs.md, "The game");
`lantau challenger` (dev account #3 on a devnet, but any funded key may play) disputes wrong
outputs. The `OutputOracle` takes an output every 8 L2 blocks (2^split_depth of the game, counting
from L2 genesis), each with a bond of 0.01 ETH, final 12 s after it is posted unless a game about
it (or an earlier output) is open: a withdrawal can be proven once the output covering its L2
block is posted, and finalized 12 s after the proof (7 days on a public chain).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from web3 import Web3

from bridge.anvil import AnvilOptions, AnvilProcess, advance_anvil_clock
from bridge.l1_client import L1Client
from bridge.l1_contracts import (
    DEVNET_PROPOSER_INDEX,
    DisputeConfig,
    DisputeSetup,
    InputRules,
    L1Deployment,
    L1DeploymentError,
    OracleConfig,
    deploy_l1_contracts,
)
from genesis.artifacts import load_artifact
from genesis.config import GenesisConfig
from genesis.dev_accounts import dev_accounts
from genesis.predeploys import L2_TO_L1_MESSAGE_PASSER
from node.errors import LantauError
from node.hkd_units import NotRepresentable, wei_to_units

if TYPE_CHECKING:
    from genesis.rollup_config import RollupConfig



class GenesisNotBackable(LantauError):
    pass


class GenesisL1Mismatch(LantauError):
    """The L2 genesis names other L1 contracts than the ones deployed: its message passer would
    let through withdrawals that this L1 portal refuses forever."""


def check_genesis_knows_l1(genesis: GenesisConfig, deployment: L1Deployment) -> None:
    """The L1 portal and HKD token written into the genesis' `L2ToL1MessagePasser` (which refuses
    them as withdrawal targets) are the deployed ones. A genesis without the passer has no
    withdrawals to get wrong."""
    artifact = load_artifact("L2ToL1MessagePasser")
    passer = genesis.alloc.get(L2_TO_L1_MESSAGE_PASSER)
    if passer is None:
        return
    storage = passer.storage
    for variable, deployed in (("l1Portal", deployment.lantau_portal), ("l1HkdToken", deployment.hkd_stablecoin)):
        in_genesis = storage.get(artifact.storage_slot(variable), 0)
        if in_genesis != int(deployed, 16):
            raise GenesisL1Mismatch(
                f"the L2 genesis' message passer has {variable} = 0x{in_genesis:040x}, but L1 has it at {deployed};"
                " regenerate the genesis for this L1 (`python -m genesis.generate`)"
            )


def genesis_backing_units(genesis: GenesisConfig) -> int:
    supply = sum(account.balance for account in genesis.alloc.values())
    try:
        return wei_to_units(supply, what="genesis L2 supply")
    except NotRepresentable as exc:
        raise GenesisNotBackable(str(exc)) from exc


@dataclass
class L1Devnet:
    anvil: AnvilProcess
    deployment: L1Deployment

    def stop(self) -> None:
        self.anvil.stop()


def start_l1_devnet(genesis: GenesisConfig, *, block_time_s: float | None = 2.0, slots_in_an_epoch: int = 4) -> L1Devnet:
    # Deploy on automine (a block per transaction: seconds, not a block time per step), then
    # switch anvil to interval mining so L1 moves like a real chain.
    anvil = AnvilProcess(AnvilOptions(block_time_s=None, slots_in_an_epoch=slots_in_an_epoch)).start()
    try:
        deployment = deploy_devnet_contracts(L1Client.connect(anvil.rpc_url), genesis)
        if block_time_s:
            anvil.rpc("evm_setIntervalMining", [max(1, round(block_time_s))])  # whole seconds only
        return L1Devnet(anvil, deployment)
    except BaseException:
        anvil.stop()
        raise


def deploy_devnet_contracts(l1: L1Client, genesis: GenesisConfig) -> L1Deployment:
    """The devnet's L1 contracts on `l1` (an automining L1 at the head the devnet starts from).

    No deposit can predate the end of the set-up (nobody held HKD before), so the L2 chain's first
    L1 origin is the last set-up block: L2 starts in step with L1. The deployment predicts that
    block for InputOracle's `l1StartBlock` and returns it; if the set-up ended in another block
    (an L1 that does not mine one block per transaction, or another user's transaction in the
    middle of it) it is refused (`L1DeploymentError`) and nothing is returned."""
    accounts = dev_accounts()
    deployment = deploy_l1_contracts(
        l1.w3,
        accounts[0].private_key,
        batcher=accounts[1].address,
        mint_to=[a.address for a in accounts],
        oracle=devnet_oracle_config(genesis, l1.head().timestamp),
        disputes=devnet_dispute_setup(genesis),
        portal_backing_units=genesis_backing_units(genesis),
    )
    check_genesis_knows_l1(genesis, deployment)
    if deployment.deploy_block != l1.head().number:
        raise L1DeploymentError(f"the set-up ended in L1 block {l1.head().number}, the rollup was told {deployment.deploy_block}")
    return deployment


def l2_start_timestamp(genesis: GenesisConfig, l1_time: int) -> int:
    """The least L2 time from which L2 block `n` is stamped at least `n` seconds later, for an L2
    chain whose L1 contracts are deployed after an L1 block stamped `l1_time`.

    The devnet's genesis is a fixed file stamped 0, and its first block after genesis jumps to the
    wall clock; timing the oracle from 0 made `L2BlockInFuture` never fire. But consensus fixes
    that an L2 block is stamped no earlier than its L1 origin, and the chain's first L1 origin is
    no earlier than the deployment, so block `n >= 1` is stamped at least `l1_time + n - 1`.
    """
    return max(genesis.timestamp, l1_time - 1)


#: The devnet's dispute game (`DisputeConfig`'s defaults: seconds-long clocks and bond delay).
DEVNET_DISPUTES = DisputeConfig()


def devnet_oracle_config(genesis: GenesisConfig, l1_time: int) -> OracleConfig:
    """The devnet's `OutputOracle`: `OracleConfig`'s defaults (0.01 ETH bond, final after 12 s)
    with an output every 2^split_depth L2 blocks of the devnet's dispute game, timed from this
    genesis as it starts on an L1 whose head is stamped `l1_time` (`l2_start_timestamp`), with the
    proposer dev account #2 and no challenger key (the dispute game factory takes the role)."""
    accounts = dev_accounts()
    return OracleConfig(
        submission_interval=DEVNET_DISPUTES.output_interval,
        starting_block_number=0,
        starting_timestamp=l2_start_timestamp(genesis, l1_time),
        proposer=accounts[DEVNET_PROPOSER_INDEX].address,
    )


def devnet_dispute_setup(genesis: GenesisConfig) -> DisputeSetup:
    """The devnet's dispute game: `DEVNET_DISPUTES`, the output root of the L2 genesis (the
    oracle's starting block), the devnet's proof-cost caps and its rollup's derivation parameters
    (`devnet_rollup_config`'s: the rollup config's defaults) for the input leaf."""
    from genesis.rollup_config import CHANNEL_TIMEOUT, DEVNET_PROOF_COST_LIMITS, MAX_SEQUENCER_DRIFT, SEQUENCING_WINDOW
    from node.chain import Chain
    from node.outputs import output_at_block

    chain = Chain.open(None, genesis)  # the genesis state in memory, to read its output root
    try:
        anchor = output_at_block(chain, chain.header_by_number(0)).output_root
    finally:
        chain.close()
    rules = InputRules(l2_chain_id=genesis.chain_id, max_sequencer_drift=MAX_SEQUENCER_DRIFT,
                       sequencing_window=SEQUENCING_WINDOW, channel_timeout=CHANNEL_TIMEOUT)
    return DisputeSetup(DEVNET_DISPUTES, bytes(anchor), DEVNET_PROOF_COST_LIMITS.abi_tuple(), genesis.chain_id, rules)


def save_deployment(deployment: L1Deployment, data_dir: Path) -> Path:
    path = data_dir / "l1-deployment.json"
    deployment.save(path)
    return path


def devnet_rollup_config(deployment: L1Deployment, genesis_path: Path) -> "RollupConfig":
    from genesis.rollup_config import RollupConfig

    genesis = GenesisConfig.load(genesis_path)
    return RollupConfig(
        l2_chain_id=genesis.chain_id,
        l1_chain_id=deployment.l1_chain_id,
        genesis=Path(genesis_path).resolve(),
        l1_start_block=deployment.deploy_block,
        batch_inbox=deployment.batch_inbox,  # the BatchInbox contract: L1 records what the batcher posts
        batcher_address=dev_accounts()[1].address,
        contracts={"HKDStablecoin": deployment.hkd_stablecoin, "SystemConfig": deployment.system_config,
                   "LantauPortal": deployment.lantau_portal, "OutputOracle": deployment.output_oracle,
                   **({"DisputeGameFactory": deployment.dispute_game_factory} if deployment.dispute_game_factory else {}),
                   **({"InputOracle": deployment.input_oracle} if deployment.input_oracle else {}),
                   **({"DerivationStep": deployment.derivation_step} if deployment.derivation_step else {}),
                   **({"DerivationBisection": deployment.derivation_bisection} if deployment.derivation_bisection else {}),
                   **({"L1BlockAnchors": deployment.l1_block_anchors} if deployment.l1_block_anchors else {})},
    )  # the rollup windows are the config's defaults (genesis.rollup_config.SEQUENCING_WINDOW ...)


def save_rollup_config(deployment: L1Deployment, genesis_path: Path, data_dir: Path) -> Path:
    path = data_dir / "rollup.json"
    devnet_rollup_config(deployment, genesis_path).save(path)
    return path


#: Seconds the devnet's batcher must send nothing before `force_an_output_block` takes L1's head
#: as after its last batch (its channels close at most 10 s after they open).
BATCHER_IDLE_S = 15.0


class ForcedBlockTimeout(LantauError):
    """`force_an_output_block` waited longer than it was given for a head to move, or the block
    it forced is not after the last batch."""


def _l2_rpc(url: str, method: str, params: list[Any] | None = None) -> Any:
    reply = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 30})).provider.make_request(method, params or [])  # type: ignore[arg-type]
    if "error" in reply:
        raise LantauError(f"{method} on {url}: {reply['error'].get('message')}")
    return reply["result"]


def _safe_number(url: str) -> int:
    return int(_l2_rpc(url, "lantau_syncStatus")["safe_l2"]["number"])


def _wait(what: str, done: Callable[[], bool], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not done():
        if time.monotonic() > deadline:
            raise ForcedBlockTimeout(f"timed out after {timeout_s:.0f} s waiting for {what}")
        time.sleep(0.5)


def _l1_origin_of(l2_rpc: str, number: int) -> int:
    """The L1 origin number block `number` of `l2_rpc`'s chain records (the L1Block predeploy)."""
    from genesis.predeploys import L1_BLOCK

    l2 = Web3(Web3.HTTPProvider(l2_rpc, request_kwargs={"timeout": 30}))
    l1_block = l2.eth.contract(address=Web3.to_checksum_address(L1_BLOCK), abi=list(load_artifact("L1Block").abi))
    return int(l1_block.functions.number().call(block_identifier=number))


def advance_devnet_time(sequencer_rpc: str, seconds: int) -> None:
    """Move the devnet's clocks `seconds` forward, L1's and the sequencer's together: the
    sequencer's `evm_increaseTime` (`node.rpc.dev`) has anvil mine a block stamped at the target
    time, builds L2 blocks until its L1 origin is the block before that jump, then moves its own
    clock, so every later L2 block may take the L1 blocks mined after the jump as origins.

    Never move anvil's clock alone (its own `evm_increaseTime`, or `anvil_mine`, which stamps its
    blocks a second apart) while the sequencer runs: anvil keeps the offset, every later L1 block
    is stamped ahead of the sequencer's wall clock, the sequencer cannot take it as an origin (an
    L2 block is never older than its origin), its origin stops while L1 mines on, its batches pass
    their sequencing windows and derivation replaces all its blocks by forced ones, for good.
    A stopped sequencer (`admin_stopSequencer`) must not be moved this way (its `evm_increaseTime`
    builds the blocks that walk its origin up, on a chain derivation is forcing): `warp_devnet`."""
    _l2_rpc(sequencer_rpc, "evm_increaseTime", [seconds])


def warp_devnet(l1: L1Client, sequencer_rpc: str, seconds: int) -> None:
    """Move a `lantau devnet`'s whole clock `seconds` forward (L1's, then its sequencer's), what a
    dispute game's chess clocks, its bond delay and the oracle's finalization period wait on.

    - sequencer running: `advance_devnet_time` (the sequencer's origin follows L1 past the jump,
      its blocks stay batched, not forced);
    - sequencer stopped (`admin_sequencerActive` false, as `force_an_output_block` leaves it):
      L1's clock alone moves (anvil mines one block stamped `seconds` later, `advance_anvil_clock`),
      since derivation goes on forcing one block per L1 block and nothing may build sequenced
      blocks beside them; the stopped sequencer's clock is then set to L1's
      (`_sequencer_clock_to_l1`, which builds nothing), so a sequencer started again stamps its
      blocks at L1's time and can take the L1 blocks mined since as origins."""
    if _l2_rpc(sequencer_rpc, "admin_sequencerActive"):
        advance_devnet_time(sequencer_rpc, seconds)
        return
    advance_anvil_clock(l1.rpc_url, l1.head().timestamp + seconds)
    _sequencer_clock_to_l1(l1, sequencer_rpc)


def _sequencer_clock_to_l1(l1: L1Client, sequencer_rpc: str) -> None:
    """A stopped sequencer's next block stamped at L1's latest time (`evm_setNextBlockTimestamp`,
    which builds nothing while L1 is already that late); nothing to do if its head is that late."""
    l1_time = l1.head().timestamp
    head_time = int(_l2_rpc(sequencer_rpc, "eth_getBlockByNumber", ["latest", False])["timestamp"], 16)
    if l1_time > head_time:
        _l2_rpc(sequencer_rpc, "evm_setNextBlockTimestamp", [l1_time])


def force_an_output_block(l1: L1Client, sequencer_rpc: str, verifier_rpc: str, *, output_interval: int,
                          sequencing_window: int, timeout_s: float = 240.0) -> int:
    """Make the devnet's derivation force an output block (forced inclusion, the
    `skipped-forced-inclusion` fault's ground) and return its number B.

    The devnet's sequencer is stopped (`admin_stopSequencer`: no blocks, so nothing new is
    batched) once a verifier has derived its head H from the batches; L1 (an anvil) then mines
    past the sequencing windows of the origins after H's, so every verifier (and the devnet's own
    derivation) builds deposit-only forced blocks through B, the first output block after H, and
    goes on forcing one block per L1 block as their windows pass.

    anvil_mine stamps its blocks a second apart, so L1's clock then runs ahead of the wall clock
    for good; the sequencer's clock is moved to L1's (`evm_setNextBlockTimestamp`, which builds
    nothing while L1 is already that late), or a sequencer started again could never take the
    L1 blocks mined since as origins (see `advance_devnet_time`). The sequencer stays stopped:
    the safe chain's L1 origin is a sequencing window behind L1's head, so a sequencer started
    again at once (`admin_startSequencer`) builds on origins whose windows are closing and may see
    its first blocks replaced by forced ones until its origin catches up (one L1 block per L2
    block, OP's sequencer recovers the same way)."""
    _l2_rpc(sequencer_rpc, "admin_stopSequencer")
    time.sleep(1.5)  # a block being built when it stopped lands
    head = int(_l2_rpc(sequencer_rpc, "eth_blockNumber"), 16)
    _wait(f"a verifier to derive the sequencer's head {head}", lambda: _safe_number(verifier_rpc) >= head, timeout_s)
    # The batcher posts what it still holds (a channel closes up to 10 s after it opened, and a
    # sequencer behind its windows has late batches): wait until its nonce has not moved for
    # BATCHER_IDLE_S. B's L1 origin must come after its last transaction, so that B's whole batch
    # window is empty (a forced block's origin moves one L1 block a block).
    batcher = dev_accounts()[1].address
    idle_since, nonce = time.monotonic(), l1.nonce(batcher, "pending")
    deadline = time.monotonic() + timeout_s
    while time.monotonic() - idle_since < BATCHER_IDLE_S:
        if time.monotonic() > deadline:
            raise ForcedBlockTimeout(f"the batcher {batcher} kept posting for {timeout_s:.0f} s after the sequencer stopped")
        time.sleep(1.0)
        now_nonce = l1.nonce(batcher, "pending")
        if now_nonce != nonce or l1.nonce(batcher, "latest") != now_nonce:
            idle_since, nonce = time.monotonic(), now_nonce
    last_batch_l1 = l1.head().number
    head_origin = int(_l2_rpc(sequencer_rpc, "lantau_syncStatus")["unsafe_l2"]["l1origin"]["number"])
    forced = -(-(head + max(0, last_batch_l1 - head_origin) + 2) // output_interval) * output_interval
    l1.rpc("anvil_mine", [hex(sequencing_window + 2 * (forced - head) + 10)])
    _sequencer_clock_to_l1(l1, sequencer_rpc)
    _wait(f"forced block {forced} derived", lambda: min(_safe_number(verifier_rpc), _safe_number(sequencer_rpc)) >= forced, timeout_s)
    origin = _l1_origin_of(verifier_rpc, forced)
    if origin <= last_batch_l1:
        raise ForcedBlockTimeout(f"forced block {forced} is on L1 origin {origin}, not after the last batch (L1 block {last_batch_l1})")
    return forced


def fill_blocks_through(l2: Web3, last: int, *, interval_s: float = 0.3) -> int:
    """Transfers of 0.001 L2 HKD from dev account 6 to 7, one every `interval_s`, until the
    sequencer at `l2` is past L2 block `last`: the blocks up to it carry user transactions the
    batcher batches (what a lie about which batch derivation takes needs). Returns how many it sent."""
    from eth_account import Account

    sender, to = dev_accounts()[6], dev_accounts()[7].address
    nonce, chain_id, sent = l2.eth.get_transaction_count(sender.address), int(l2.eth.chain_id), 0
    while l2.eth.block_number <= last:
        signed = Account.sign_transaction({"to": to, "value": 10**15, "gas": 21_000, "maxFeePerGas": 10**11,
                                           "maxPriorityFeePerGas": 10**9, "nonce": nonce + sent, "chainId": chain_id},
                                          sender.private_key)
        l2.eth.send_raw_transaction(signed.raw_transaction)
        sent += 1
        time.sleep(interval_s)
    return sent
