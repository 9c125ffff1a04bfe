"""Deployment of Lantau's L1 contracts (HKDStablecoin, SystemConfig, OutputOracle, LantauPortal,
BatchInbox, L1BlockAnchors and, with a `DisputeSetup`, the dispute game: OneStepProof and its
parts, BlockFinishLeaf, the game's blueprint and DisputeGameFactory, which becomes the oracle's
challenger, the input leaf's BatchReader and InputOracle, and the derivation bisection's
DerivationStep and DerivationBisection) and their address book.

`deploy_l1_contracts` deploys the four contracts from their committed artifacts with one
deployer key, grants the issuer roles, configures the chain, wires the portal to the oracle that
its withdrawals are proven against, optionally mints devnet HKD, and returns an `L1Deployment`:
the address book that every other part of the node reads L1 addresses from (as JSON,
`L1Deployment.to_json()`), never from literals.

Transactions go through the deployer's `TxManager` one at a time, each waited for and checked,
so a failure names the step that failed.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from eth_account import Account
from eth_typing import Address, ChecksumAddress
from eth_utils import to_canonical_address, to_checksum_address
from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractConstructor, ContractFunction

from bridge.l1_client import L1_CONTRACT_NAMES, L1CallReverted, L1Client, L1Revert, decode_revert  # noqa: F401  (re-exported)
from bridge.l1_contract_clients import NO_ADDRESS, candidate_of
from bridge.tx_manager import TxCandidate, TxManager, gas_with_headroom  # noqa: F401  (re-exported)
from genesis.artifacts import load_artifact
from genesis.dev_accounts import dev_accounts
from genesis.l1_addresses import DEVNET_L1_DEPLOY_ORDER, create_address
from node.errors import LantauError
from node.hkd_units import HKD_UNIT

DEVNET_MINT_AMOUNT = 1_000_000 * HKD_UNIT  # 1,000,000 HKD per dev account
DEFAULT_L2_GAS_LIMIT = 30_000_000
DEVNET_PROPOSER_INDEX = 2  # dev accounts of the test mnemonic that propose and challenge outputs
DEVNET_CHALLENGER_INDEX = 3
#: BatchInbox is the deployer's fifth deployment (after the four SystemConfig's inbox must not wait for).
BATCH_INBOX_DEPLOY_INDEX = DEVNET_L1_DEPLOY_ORDER.index("BatchInbox")
#: L1BlockAnchors comes next; the oracle (deployed before it) names it.
ANCHORS_DEPLOY_INDEX = DEVNET_L1_DEPLOY_ORDER.index("L1BlockAnchors")
#: The factory's games ask InputOracle, deployed after it: its address is predicted the same way.
INPUT_ORACLE_DEPLOY_INDEX = DEVNET_L1_DEPLOY_ORDER.index("InputOracle")
#: So is DerivationBisection, the games' judge of a disputed `derivationEnd`.
DERIVATION_BISECTION_DEPLOY_INDEX = DEVNET_L1_DEPLOY_ORDER.index("DerivationBisection")


class L1DeploymentError(LantauError):
    """A deployment or configuration transaction failed, or an address book is unreadable."""


@dataclass(frozen=True, slots=True)
class DepositLimits:
    """Mirrors `SystemConfig.DepositLimits`; the defaults are the OP Stack's values."""

    min_deposit_gas: int = 21_000  # intrinsic base of a deposit's L2 gas limit
    max_resource_limit: int = 20_000_000  # deposit gas all deposits of one L1 block may buy
    max_deposit_data_size: int = 120_000  # bytes of data per deposit

    def as_tuple(self) -> tuple[int, int, int]:
        return (self.min_deposit_gas, self.max_resource_limit, self.max_deposit_data_size)


@dataclass(frozen=True, slots=True)
class OracleConfig:
    """`OutputOracle`'s constructor arguments; the defaults are the devnet's.

    Lantau's L2 has no fixed block time: timestamps are whole seconds that strictly increase, so
    `l2_block_time_s` is the least spacing of two blocks (1), and with `starting_timestamp` the
    L2 genesis timestamp the oracle's `L2BlockInFuture` check is a sound lower bound (it never
    refuses a block that exists). `None` for the proposer or challenger means dev account 2 or 3
    of the test mnemonic (devnets only, as the default deployer key).
    """

    submission_interval: int = 10  # L2 blocks between two outputs
    l2_block_time_s: int = 1
    starting_block_number: int = 0
    starting_timestamp: int = 0  # least L2 timestamp of `starting_block_number`; see devnet.l2_start_timestamp
    finalization_period_s: int = 12  # 7 days on a public chain
    required_bond_wei: int = 10**16  # 0.01 ETH per proposal
    proposer: str | None = None
    challenger: str | None = None

    def constructor_args(self, anchors: str) -> tuple[Any, ...]:
        """With `anchors` the `L1BlockAnchors` each proposal anchors the previous L1 block in."""
        accounts = dev_accounts()
        proposer = self.proposer or accounts[DEVNET_PROPOSER_INDEX].address
        challenger = self.challenger or accounts[DEVNET_CHALLENGER_INDEX].address
        return (
            self.submission_interval,
            self.l2_block_time_s,
            self.starting_block_number,
            self.starting_timestamp,
            to_checksum_address(proposer),
            to_checksum_address(challenger),
            self.finalization_period_s,
            self.required_bond_wei,
            to_checksum_address(anchors),
        )


@dataclass(frozen=True, slots=True)
class DisputeConfig:
    """`OutputDisputeGame.Config`'s rules (docs/fault-proofs.md, "The game"); the defaults are the
    devnet's: seconds where OP has days, so that a devnet game is played and paid out in minutes."""

    split_depth: int = 3  # outputs every 2^3 = 8 L2 blocks (the oracle's interval must be 2^split_depth)
    # A block's trace is 2^tx_depth: up to 4,095 transactions, above the 1,429 of 21,000 gas a
    # 30M-gas L2 block holds (a block with more could not be disputed: `TooManyTransactions`).
    # 12, not 11: leaves at an even depth (3 + 1 + 12 = 16) are the proposer's side, so the
    # challenger of a wrong output counters the proposer's leaf with the one-step proof.
    tx_depth: int = 12
    # OP: 3.5 days. A side's clock must outlast the wait for a block's derivation range to be on L1
    # (`DerivationBisection.open` refuses `RangeNotOnL1` until E, sequencing window + 1 L1 blocks
    # after the parent's origin: 41 x 2 s on the devnet) plus its moves: at 60 s the honest side's
    # clock ran out on a block claim with a false derivationEnd before it could open (the liar won).
    max_clock_duration_s: int = 150
    clock_extension_s: int = 15  # OP: 3 hours
    bond_delay_s: int = 20  # OP's DelayedWETH: 7 days
    min_bond_wei: int = 10**15  # the curve's start (depth 0)
    max_bond_wei: int = 10**17  # the curve's end (the leaves)

    @property
    def output_interval(self) -> int:
        return 1 << self.split_depth


@dataclass(frozen=True, slots=True)
class InputRules:
    """The rollup's derivation parameters that `InputOracle` decides a block's inputs with (the
    rollup config's; genesis.rollup_config.RollupConfig). `l1_start_block` None: the last block of
    this set-up (the devnet's rule, `L1Deployment.deploy_block`), predicted on an automining L1."""

    l2_chain_id: int
    max_sequencer_drift: int
    sequencing_window: int
    channel_timeout: int
    l1_start_block: int | None = None


@dataclass(frozen=True, slots=True)
class DisputeSetup:
    """What deploying the dispute game needs besides its rules: the output root of the oracle's
    starting L2 block (the agreed start of a game about the first output), the rollup's
    proof-cost caps, which the one-step proof applies as the L2 does, and (for the input leaf)
    its derivation parameters: without them the games have no `InputOracle` (`LeafNotAvailable`)."""

    config: DisputeConfig
    anchor_output_root: bytes
    proof_cost_limits: tuple[int, ...]  # StepTypes.ProofCostLimits (`ProofCostLimits.abi_tuple`)
    l2_chain_id: int  # the chain id every transaction's context has (`BlockFinishLeaf.chainId`)
    input_rules: InputRules | None = None


def l1_block_slots() -> tuple[int, int, int]:
    """The `L1Block` predeploy's slots of (number, hash, sequenceNumber): `InputOracle`'s
    constructor argument, from the compiler's storage layout (number and timestamp share the first)."""
    artifact = load_artifact("L1Block")
    return artifact.storage_slot("number"), artifact.storage_slot("hash"), artifact.storage_slot("sequenceNumber")


def input_oracle_config(*, anchors: str, portal: str, reader: str, l1_start_block: int, rules: InputRules) -> tuple[Any, ...]:
    """`InputOracle.Config`: the L1 contracts it reads and the rollup's parameters (no inbox, no
    blob reader, no channel timeout: it takes the found batch by its hash, the channel shown whole)."""
    return (to_checksum_address(anchors), to_checksum_address(portal), to_checksum_address(reader), l1_start_block,
            rules.max_sequencer_drift, rules.sequencing_window, rules.l2_chain_id, list(l1_block_slots()))


def derivation_step_config(*, anchors: str, inbox: str, reader: str, blob_reader: str, l1_start_block: int,
                           rules: InputRules) -> tuple[Any, ...]:
    """`DerivationStep.Config`: the L1 contracts it reads and the rollup's parameters."""
    return (to_checksum_address(anchors), to_checksum_address(inbox), to_checksum_address(reader),
            to_checksum_address(blob_reader), l1_start_block,
            rules.max_sequencer_drift, rules.sequencing_window, rules.channel_timeout, rules.l2_chain_id,
            list(l1_block_slots()))


def derivation_trace_depth(rules: InputRules) -> int:
    """`DerivationBisection.DEPTH`: 2^depth L1 blocks hold the longest range S .. E
    (channel_timeout + sequencing_window + 1 blocks, `node.derive.derivation_commitment.derivation_range`)."""
    return (rules.channel_timeout + rules.sequencing_window).bit_length()


#: The contract whose creation code is deployed as a contract's code, for the factory to copy
#: (`blueprint_init`): EIP-170's cap on code applies to that creation code too.
GAME_BLUEPRINT: Final = "OutputDisputeGame"


def blueprint_init(code: bytes) -> bytes:
    """Init code that deploys `code` itself as a contract's code (ERC-5202's blueprint idea: the
    factory copies the game's creation code from it)."""
    return bytes.fromhex("61") + len(code).to_bytes(2, "big") + bytes.fromhex("80600c6000396000f3") + code


@dataclass(frozen=True, slots=True)
class IssuerRoles:
    """Who holds each separated duty. `None` means the deployer (a devnet convenience)."""

    token_admin: str | None = None  # DEFAULT_ADMIN_ROLE; the deployer renounces it if another holds it
    minter: str | None = None
    pauser: str | None = None
    blacklister: str | None = None
    portal_guardian: str | None = None
    config_owner: str | None = None


@dataclass(frozen=True, slots=True)
class L1Deployment:
    """The L1 address book of one Lantau chain."""

    hkd_stablecoin: ChecksumAddress
    system_config: ChecksumAddress
    lantau_portal: ChecksumAddress
    output_oracle: ChecksumAddress
    deployer: ChecksumAddress
    l1_chain_id: int
    deploy_block: int  # first L1 block to scan for deposits
    batch_inbox: ChecksumAddress  # the BatchInbox contract (SystemConfig.batchInbox may name another address)
    l1_block_anchors: ChecksumAddress | None = None
    dispute_game_factory: ChecksumAddress | None = None  # the oracle's challenger, when deployed
    input_oracle: ChecksumAddress | None = None  # the games' input leaf, when deployed
    derivation_step: ChecksumAddress | None = None  # the derivation bisection's leaf, when deployed
    derivation_bisection: ChecksumAddress | None = None  # judges a block claim's disputed derivationEnd

    def _optional(self) -> dict[str, ChecksumAddress]:
        optional = {"L1BlockAnchors": self.l1_block_anchors, "DisputeGameFactory": self.dispute_game_factory,
                    "InputOracle": self.input_oracle, "DerivationStep": self.derivation_step,
                    "DerivationBisection": self.derivation_bisection}
        return {name: address for name, address in optional.items() if address is not None}

    def to_json(self) -> str:
        return json.dumps(
            {
                "HKDStablecoin": self.hkd_stablecoin,
                "SystemConfig": self.system_config,
                "LantauPortal": self.lantau_portal,
                "OutputOracle": self.output_oracle,
                "BatchInbox": self.batch_inbox,
                **self._optional(),
                "deployer": self.deployer,
                "l1_chain_id": self.l1_chain_id,
                "deploy_block": self.deploy_block,
            },
            indent=2,
        )

    @classmethod
    def from_json(cls, text: str) -> L1Deployment:
        try:
            raw = json.loads(text)
            optional = {name: to_checksum_address(raw[name]) if name in raw else None
                        for name in ("L1BlockAnchors", "DisputeGameFactory", "InputOracle", "DerivationStep",
                                     "DerivationBisection")}
            return cls(
                hkd_stablecoin=to_checksum_address(raw["HKDStablecoin"]),
                system_config=to_checksum_address(raw["SystemConfig"]),
                lantau_portal=to_checksum_address(raw["LantauPortal"]),
                output_oracle=to_checksum_address(raw["OutputOracle"]),
                batch_inbox=to_checksum_address(raw["BatchInbox"]),
                deployer=to_checksum_address(raw["deployer"]),
                l1_chain_id=int(raw["l1_chain_id"]),
                deploy_block=int(raw["deploy_block"]),
                l1_block_anchors=optional["L1BlockAnchors"],
                dispute_game_factory=optional["DisputeGameFactory"],
                input_oracle=optional["InputOracle"],
                derivation_step=optional["DerivationStep"],
                derivation_bisection=optional["DerivationBisection"],
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise L1DeploymentError(f"not an L1 address book: {exc!r}") from exc

    def save(self, path: Path) -> None:
        path.write_text(self.to_json() + "\n")

    @classmethod
    def load(cls, path: Path) -> L1Deployment:
        return cls.from_json(path.read_text())

    def address_of(self, contract_name: str) -> ChecksumAddress:
        addresses = {
            "HKDStablecoin": self.hkd_stablecoin,
            "SystemConfig": self.system_config,
            "LantauPortal": self.lantau_portal,
            "OutputOracle": self.output_oracle,
            "BatchInbox": self.batch_inbox,
            **self._optional(),
        }
        if contract_name not in addresses:
            raise KeyError(f"no L1 contract named {contract_name!r}; known: {sorted(addresses)}")
        return addresses[contract_name]

    def contract(self, w3: Web3, contract_name: str) -> Contract:
        """A web3 contract bound to the deployed `contract_name`, ABI from its artifact."""
        return l1_contract(w3, contract_name, self.address_of(contract_name))


def l1_contract(w3: Web3, contract_name: str, address: str) -> Contract:
    return w3.eth.contract(address=to_checksum_address(address), abi=list(load_artifact(contract_name).abi))


class _Transactor:
    """The deployer's transactions, one at a time through its `TxManager`, each receipt checked
    so a failure names the step that failed."""

    def __init__(self, txmgr: TxManager) -> None:
        self.txmgr = txmgr
        self.w3 = txmgr.l1.w3
        self.first_block: int | None = None
        self.last_block: int | None = None

    def send(self, step: str, call: ContractFunction | ContractConstructor | TxCandidate) -> dict[str, Any]:
        if isinstance(call, TxCandidate):
            candidate = call
        elif isinstance(call, ContractConstructor):
            candidate = TxCandidate(to=None, data=bytes.fromhex(str(call.data_in_transaction).removeprefix("0x")))
        else:
            candidate = candidate_of(call)
        try:
            receipt = self.txmgr.send(candidate)
        except L1CallReverted as exc:  # gas estimation reverted: say which step and why
            raise L1DeploymentError(f"{step} reverted: {exc.revert or exc.detail}") from exc
        if receipt["status"] != 1:
            raise L1DeploymentError(f"{step}: transaction {bytes(receipt['transactionHash']).hex()} reverted")
        if self.first_block is None:
            self.first_block = int(receipt["blockNumber"])
        self.last_block = int(receipt["blockNumber"])
        return receipt

    def deploy_code(self, step: str, code: bytes) -> ChecksumAddress:
        """A contract whose code is `code` (a blueprint)."""
        receipt = self.send(step, TxCandidate(to=None, data=blueprint_init(code)))
        return to_checksum_address(receipt["contractAddress"])

    def deploy(self, contract_name: str, *args: Any) -> Contract:
        artifact = load_artifact(contract_name)
        factory = self.w3.eth.contract(abi=list(artifact.abi), bytecode=artifact.bytecode)
        receipt = self.send(f"deploy {contract_name}", factory.constructor(*args))
        address = receipt["contractAddress"]
        if address is None:
            raise L1DeploymentError(f"deploy {contract_name}: the receipt names no contract address")
        return l1_contract(self.w3, contract_name, address)


def deploy_l1_contracts(
    w3: Web3,
    deployer_key: str | None = None,
    *,
    batcher: str,
    batch_inbox: str | None = None,
    mint_to: Sequence[str] = (),
    mint_amount: int = DEVNET_MINT_AMOUNT,
    unsafe_block_signer: str | None = None,
    l2_gas_limit: int = DEFAULT_L2_GAS_LIMIT,
    deposit_limits: DepositLimits = DepositLimits(),
    oracle: OracleConfig = OracleConfig(),
    roles: IssuerRoles = IssuerRoles(),
    disputes: DisputeSetup | None = None,
    portal_backing_units: int = 0,
    token_name: str = "Hong Kong Dollar Stablecoin",
    token_symbol: str = "HKD",
) -> L1Deployment:
    """Deploy HKDStablecoin, SystemConfig, OutputOracle (configured by `oracle`), LantauPortal
    (proving withdrawals against that oracle) and BatchInbox (accepting `batcher`'s data), grant
    the issuer roles, and mint `mint_amount` units (6 decimals) to each of `mint_to`.

    `batch_inbox` is the address SystemConfig names as the inbox; None (what a chain wants) is
    the BatchInbox contract's, known before it is deployed (CREATE of the deployer's fifth
    deployment nonce, deployments being its first transactions here, in `DEVNET_L1_DEPLOY_ORDER`).

    With `disputes`, the dispute game is deployed too and `DisputeGameFactory` becomes the oracle's
    challenger: the oracle is deployed with the deployer as its challenger, which hands the role
    to the factory at once, so no key can delete outputs (`oracle.challenger` must then be None).
    With `disputes.input_rules`, `BatchReader`, `BlobReader`, `InputOracle`, `DerivationStep` and
    `DerivationBisection` follow the factory, whose games name the oracle and the bisection at
    their predicted addresses (CREATE of their nonces in `DEVNET_L1_DEPLOY_ORDER`);
    the oracle's `l1StartBlock` (unless the rules fix it) is the set-up's last block, predicted
    from the transactions still to come, one block each on an automining L1, and checked at the
    end: the returned `deploy_block` is that block, the rollup's `l1_start_block`.

    `portal_backing_units` are minted to the portal after the dev accounts' HKD (the devnet's
    backing of the L2 genesis supply).

    `deployer_key` defaults to dev account #0 of the test mnemonic (devnets only). Roles and the
    unsafe block signer default to the deployer, which is what a devnet wants; a real deployment
    names a separate holder for each duty in `roles`. Minting needs the deployer to be the minter.
    """
    if deployer_key is None:
        deployer_key = dev_accounts()[0].private_key
    deployer = to_checksum_address(Account.from_key(deployer_key).address)

    def holder(address: str | None) -> ChecksumAddress:
        return deployer if address is None else to_checksum_address(address)

    if disputes is not None:
        if oracle.challenger is not None:
            raise L1DeploymentError("with the dispute game the factory is the oracle's challenger: give no challenger key")
        if oracle.submission_interval != disputes.config.output_interval:
            raise L1DeploymentError(f"the dispute game needs an output every {disputes.config.output_interval} L2 blocks"
                                    f" (2^split_depth), the oracle has {oracle.submission_interval}")
        oracle = dataclasses.replace(oracle, challenger=deployer)
    if mint_to and holder(roles.minter) != deployer:
        raise L1DeploymentError("minting devnet HKD needs the deployer to hold MINTER_ROLE")
    tx = _Transactor(TxManager(L1Client(w3), deployer_key))
    first_nonce = tx.txmgr.pending_nonce()
    inbox_address, anchors_address, input_oracle_address, bisection_address = (
        to_checksum_address(create_address(Address(to_canonical_address(deployer)), first_nonce + index))
        for index in (BATCH_INBOX_DEPLOY_INDEX, ANCHORS_DEPLOY_INDEX, INPUT_ORACLE_DEPLOY_INDEX,
                      DERIVATION_BISECTION_DEPLOY_INDEX)
    )
    admin_handover = holder(roles.token_admin) != deployer

    hkd = tx.deploy("HKDStablecoin", token_name, token_symbol, deployer)
    system_config = tx.deploy(
        "SystemConfig",
        holder(roles.config_owner),
        to_checksum_address(batcher),
        to_checksum_address(batch_inbox or inbox_address),
        holder(unsafe_block_signer),
        l2_gas_limit,
        deposit_limits.as_tuple(),
    )
    output_oracle = tx.deploy("OutputOracle", *oracle.constructor_args(anchors_address))
    portal = tx.deploy(
        "LantauPortal", hkd.address, system_config.address, output_oracle.address, holder(roles.portal_guardian)
    )
    inbox = tx.deploy("BatchInbox", system_config.address)
    if inbox.address != inbox_address:
        raise L1DeploymentError(f"BatchInbox landed at {inbox.address}, SystemConfig was given {inbox_address}")
    anchors = tx.deploy("L1BlockAnchors")
    if anchors.address != anchors_address:
        raise L1DeploymentError(f"L1BlockAnchors landed at {anchors.address}, OutputOracle was given {anchors_address}")
    factory = input_oracle = derivation_step = bisection = None
    start_block: int | None = None
    if disputes is not None:
        with_inputs = disputes.input_rules is not None
        factory = _deploy_dispute_game(tx, output_oracle, disputes, input_oracle_address if with_inputs else None,
                                       bisection_address if with_inputs else None)
        if disputes.input_rules is not None:
            # After the oracle: the challenger hand-over, the three role grants, the mints, the
            # backing and the admin hand-over, each its own block on an automining L1.
            still_to_come = 1 + 3 + len(mint_to) + bool(portal_backing_units) + 2 * admin_handover
            start_block = disputes.input_rules.l1_start_block
            if start_block is None:
                # BatchReader, BlobReader, InputOracle, DerivationStep, DerivationBisection, the rest
                start_block = L1Client(w3).head().number + 5 + still_to_come
            reader, blob_reader = tx.deploy("BatchReader"), tx.deploy("BlobReader")
            input_oracle = tx.deploy("InputOracle", input_oracle_config(
                anchors=anchors.address, portal=portal.address, reader=reader.address, l1_start_block=start_block,
                rules=disputes.input_rules))
            if input_oracle.address != input_oracle_address:
                raise L1DeploymentError(f"InputOracle landed at {input_oracle.address}, the factory was given {input_oracle_address}")
            derivation_step, bisection = _deploy_derivation_bisection(
                tx, disputes.input_rules, start_block, anchors=anchors.address, inbox=inbox.address,
                reader=reader.address, blob_reader=blob_reader.address)
            if bisection.address != bisection_address:
                raise L1DeploymentError(f"DerivationBisection landed at {bisection.address}, the factory was given {bisection_address}")
        tx.send("hand the oracle's challenger role to the dispute game factory",
                output_oracle.functions.setChallenger(factory.address))

    for role_name, address in (
        ("MINTER_ROLE", roles.minter),
        ("PAUSER_ROLE", roles.pauser),
        ("BLACKLISTER_ROLE", roles.blacklister),
    ):
        role = Web3.keccak(text=role_name)
        tx.send(f"grant {role_name}", hkd.functions.grantRole(role, holder(address)))

    for recipient in mint_to:
        tx.send(f"mint to {recipient}", hkd.functions.mint(to_checksum_address(recipient), mint_amount))
    if portal_backing_units:
        tx.send("mint the portal's backing", hkd.functions.mint(portal.address, portal_backing_units))

    if admin_handover:
        admin_role = bytes(32)  # DEFAULT_ADMIN_ROLE
        tx.send("hand over the token admin", hkd.functions.grantRole(admin_role, holder(roles.token_admin)))
        tx.send("renounce the deployer's admin", hkd.functions.renounceRole(admin_role, deployer))
    if start_block is not None and disputes is not None and disputes.input_rules is not None \
            and disputes.input_rules.l1_start_block is None and tx.last_block != start_block:
        raise L1DeploymentError(f"the set-up ended in L1 block {tx.last_block}, InputOracle was given {start_block}"
                                " as the rollup's start: the devnet's set-up needs an automining L1")

    return L1Deployment(
        hkd_stablecoin=to_checksum_address(hkd.address),
        system_config=to_checksum_address(system_config.address),
        lantau_portal=to_checksum_address(portal.address),
        output_oracle=to_checksum_address(output_oracle.address),
        batch_inbox=inbox_address,
        deployer=deployer,
        l1_chain_id=int(w3.eth.chain_id),
        # the rollup's start: the first deployment's block, or the one InputOracle was given
        deploy_block=int(start_block if start_block is not None else (tx.first_block or 0)),
        l1_block_anchors=to_checksum_address(anchors.address),
        dispute_game_factory=to_checksum_address(factory.address) if factory is not None else None,
        input_oracle=to_checksum_address(input_oracle.address) if input_oracle is not None else None,
        derivation_step=to_checksum_address(derivation_step.address) if derivation_step is not None else None,
        derivation_bisection=to_checksum_address(bisection.address) if bisection is not None else None,
    )


def _deploy_dispute_game(tx: _Transactor, oracle: Contract, setup: DisputeSetup, input_oracle: str | None,
                         bisection: str | None) -> Contract:
    """OneStepProof (EVMTx, EVMPrecompiles, EVMStep), BlockFinishLeaf, the game's blueprint, the
    code of its leaf steps (OutputDisputeGameLeaves) and the factory, whose games ask `input_oracle` at the input leaf and `bisection` about a disputed
    `derivationEnd` (None: no input leaf, no bisection)."""
    from genesis.predeploys import L2_TO_L1_MESSAGE_PASSER, SEQUENCER_FEE_VAULT

    step = tx.deploy("EVMStep", tx.deploy("EVMTx").address, tx.deploy("EVMPrecompiles").address)
    one_step = tx.deploy("OneStepProof", step.address, setup.proof_cost_limits)
    finish = tx.deploy("BlockFinishLeaf", to_checksum_address(SEQUENCER_FEE_VAULT), setup.l2_chain_id)
    blueprint = tx.deploy_code(f"deploy the {GAME_BLUEPRINT} blueprint", bytes(load_artifact(GAME_BLUEPRINT).bytecode))
    leaves = tx.deploy("OutputDisputeGameLeaves")
    c = setup.config
    game_config = (c.split_depth, c.tx_depth, c.max_clock_duration_s, c.clock_extension_s, c.bond_delay_s,
                   c.min_bond_wei, c.max_bond_wei, one_step.address, to_checksum_address(input_oracle or NO_ADDRESS),
                   to_checksum_address(L2_TO_L1_MESSAGE_PASSER), finish.address, to_checksum_address(bisection or NO_ADDRESS),
                   leaves.address)
    return tx.deploy("DisputeGameFactory", oracle.address, blueprint, setup.anchor_output_root, game_config)


def _deploy_derivation_bisection(tx: _Transactor, rules: InputRules, l1_start_block: int, *, anchors: str, inbox: str,
                                 reader: str, blob_reader: str) -> tuple[Contract, Contract]:
    """DerivationStep (the leaf) and DerivationBisection (docs/fault-proofs.md, "The game's level")."""
    leaf = tx.deploy("DerivationStep", derivation_step_config(anchors=anchors, inbox=inbox, reader=reader, blob_reader=blob_reader,
                                                              l1_start_block=l1_start_block, rules=rules))
    return leaf, tx.deploy("DerivationBisection", derivation_trace_depth(rules), leaf.address)
