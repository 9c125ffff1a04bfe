"""Helpers for the RWA settlement tests, on two real chains:

- **L2**: a `lantau node` subprocess (py-evm, LevelDB, JSON-RPC) started from the devnet genesis,
  whose RWA predeploys are in place from block 0 with the owner the generator wrote
  (`genesis_rwa_system`); blocks are built on demand. Every sender has a known key and signs
  locally; a faucet in the test genesis stands in for `anvil_setBalance`.
- **anvil**, for what needs time travel by days or exact timestamps: the RWA contracts installed
  the way a genesis would (runtime code at a fixed address, then `initialize`,
  `install_rwa_system`); `--auto-impersonate`, so any address sends.

Also: revert decoding from the artifacts' ABIs and EIP-712 signing with eth-account. Which tests
run where, and the fixtures, are in conftest.py.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from functools import cache
from typing import Any, ClassVar

from eth_abi import decode as abi_decode
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import keccak, to_checksum_address
from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.logs import DISCARD

from bridge.anvil import AnvilProcess
from genesis.artifacts import load_artifact
from genesis.dev_accounts import dev_accounts
from genesis.predeploys import DEVICE_REGISTRY, RWA_PREDEPLOYS, RWA_TOKEN_EXTENSION
from rwa.devices import reserve_reading, sign_reading, sign_registration
from tests.harness.node_process import LantauNodeProcess

RWA_CONTRACTS = (
    "IdentityRegistry",
    "Compliance",
    "RWAToken",
    "AssetFactory",
    "SettlementEngine",
    "CorporateActions",
    "PriceFeed",
    "VenueRegistry",
    "CallAuction",
)
# Where these tests install the predeploys: Lantau's RWA range (0x4200…0800, see
# genesis/predeploys.py). The genesis module owns the real addresses; only the range matters here.
TEST_PREDEPLOYS = {
    name: to_checksum_address(f"0x{0x4200 << 144 | 0x800 + i:040x}") for i, name in enumerate(RWA_CONTRACTS)
}
# OpenZeppelin 5 `Initializable` ERC-7201 slot (INITIALIZABLE_SLOT in RWACommon.sol).
INITIALIZABLE_SLOT = 0xF0C57E16840DF040F15088DC2F81FE391C3923BEC73E23A9662EFC9C229C6A00
UINT64_MAX = 2**64 - 1

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
HKD = 10**18  # native HKD has 18 decimals, like ether
DAY = 86_400
YEAR = 365 * DAY
HONG_KONG, SINGAPORE, CHINA, UNITED_STATES = 344, 702, 156, 840  # ISO 3166-1 numeric
RETAIL, PROFESSIONAL, INSTITUTIONAL = 1, 2, 3  # InvestorCategory
GREEN_BOND, AGRICULTURAL, WAREHOUSE_RECEIPT, AI_COMPUTE, PRECIOUS_METAL, HK_STOCK = range(6)  # AssetClass
COUPON, DIVIDEND, REVENUE_SHARE = range(3)  # DistributionKind
# An asset emits two `ForcedTransfer` events: Lantau's detailed one and ERC-7943's.
LANTAU_FORCED_TRANSFER = "ForcedTransfer(address,address,uint256,address,string,bool)"
ERC7943_FORCED_TRANSFER = "ForcedTransfer(address,address,uint256)"
BATCH_GAS = 25_000_000  # never estimate a non-atomic batch: see test_rwa_dvp.py


class TxFailed(AssertionError):
    pass


@dataclass(frozen=True, slots=True)
class Revert:
    """A decoded revert: the custom error's name and its arguments in ABI order."""

    name: str
    args: tuple[Any, ...]
    data: bytes


@cache
def _error_table() -> dict[bytes, tuple[str, list[str]]]:
    table: dict[bytes, tuple[str, list[str]]] = {
        keccak(text="Error(string)")[:4]: ("Error", ["string"]),
        keccak(text="Panic(uint256)")[:4]: ("Panic", ["uint256"]),
    }
    for name in (*RWA_CONTRACTS, "TestERC20", "HKDStablecoin", "DeviceRegistry", "AgentWallet"):
        for item in load_artifact(name).abi:
            if item["type"] == "error":
                types = [_abi_type(i) for i in item["inputs"]]
                table[keccak(text=f"{item['name']}({','.join(types)})")[:4]] = (item["name"], types)
    return table


def _abi_type(param: dict[str, Any]) -> str:
    if param["type"].startswith("tuple"):
        return "(" + ",".join(_abi_type(c) for c in param["components"]) + ")" + param["type"][5:]
    return param["type"]


def decode_revert(data: bytes) -> Revert:
    name, types = _error_table().get(data[:4], ("<unknown>", []))
    args = tuple(abi_decode(types, data[4:])) if types else ()
    args = tuple(to_checksum_address(v) if t == "address" else v for t, v in zip(types, args))
    return Revert(name, args, data)


@dataclass
class Chain:
    """A real chain the RWA tests drive: `AnvilChain` (anvil, time travel by timestamp) or
    `L2Chain` (a `lantau node` subprocess from the devnet genesis, blocks on demand)."""

    w3: Web3
    _salt: itertools.count = field(default_factory=lambda: itertools.count(1))
    backend: ClassVar[str] = "?"
    #: Whether `advance` may jump any distance (anvil sets the next timestamp). On the L2 node
    #: the clock moves one block at a time (each block is >= 1 s later), so tests keep the
    #: spans they skip to minutes.
    can_time_travel: ClassVar[bool] = False

    # --- accounts ----------------------------------------------------------------------------

    def dev(self, index: int) -> str:
        return dev_accounts()[index].address

    def new_account(self, label: str, fund_wei: int = 10**21) -> LocalAccount:
        """A fresh account with a known key (for EIP-712 signatures), funded for gas."""
        account = Account.from_key(keccak(text=f"lantau-rwa-test/{label}/{next(self._salt)}"))
        self._remember(account)
        if fund_wei:
            self.set_balance(account.address, fund_wei)
        return account

    def new_address(self, label: str, fund_wei: int = 0) -> str:
        """A fresh address to send from (anvil impersonates it; on L2 its key signs)."""
        account = Account.from_key(keccak(text=f"lantau-rwa-addr/{label}/{next(self._salt)}"))
        self._remember(account)
        if fund_wei:
            self.set_balance(account.address, fund_wei)
        return account.address

    def _remember(self, account: LocalAccount) -> None:
        pass

    def set_balance(self, address: str, wei: int) -> None:
        raise NotImplementedError

    def balance(self, address: str) -> int:
        return self.w3.eth.get_balance(to_checksum_address(address))

    # --- contracts -----------------------------------------------------------------------------

    def at(self, name: str, address: str) -> Contract:
        return self.w3.eth.contract(address=to_checksum_address(address), abi=load_artifact(name).abi)

    def deploy(self, name: str, *args: Any, sender: str | None = None) -> Contract:
        artifact = load_artifact(name)
        factory = self.w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
        receipt = self.send(factory.constructor(*args), sender or self.dev(0))
        return self.at(name, receipt["contractAddress"])

    # --- transactions --------------------------------------------------------------------------

    def send(self, call: Any, sender: str, *, value: int = 0, gas: int | None = None) -> dict[str, Any]:
        """Mine `call` from `sender` and return the receipt; raises TxFailed (with the decoded
        error) when it reverts."""
        receipt = self.send_unchecked(call, sender, value=value, gas=gas)
        if receipt["status"] != 1:
            raise TxFailed(
                f"{getattr(call, 'fn_name', 'deploy')} reverted: {self.revert_of(call, sender, value=value)}"
            )
        return receipt

    def send_unchecked(self, call: Any, sender: str, *, value: int = 0, gas: int | None = None) -> dict[str, Any]:
        """Mine `call` whatever happens; a reverting call needs `gas` (else estimation raises)."""
        params: dict[str, Any] = {"from": to_checksum_address(sender), "value": value}
        if gas is not None:
            params["gas"] = gas
        else:
            revert = self.try_call(call, sender, value=value)
            if revert is not None:
                raise TxFailed(f"{getattr(call, 'fn_name', 'deploy')} would revert: {revert}")
            params["gas"] = int(call.estimate_gas(params) * 1.25) + 50_000
        tx_hash = self._submit(call, params)
        return dict(self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=120, poll_latency=0.01))

    def _submit(self, call: Any, params: dict[str, Any]) -> Any:
        raise NotImplementedError

    def try_call(self, call: Any, sender: str, *, value: int = 0, gas: int = 30_000_000) -> Revert | None:
        """eth_call the transaction; the decoded revert, or None when it would succeed."""
        tx = call.build_transaction(
            {"from": to_checksum_address(sender), "value": value, "gas": gas, "maxFeePerGas": 0, "maxPriorityFeePerGas": 0}
        )
        request = {k: tx[k] for k in ("from", "to", "data", "value", "gas") if tx.get(k) not in (None, b"")}
        request = {k: (hex(v) if isinstance(v, int) else v) for k, v in request.items()}
        response = self.w3.provider.make_request("eth_call", [request, "latest"])
        error = response.get("error")
        if error is None:
            return None
        if "revert" not in error.get("message", ""):  # out of gas, intrinsic gas too low...
            return Revert(f"<{error.get('message')}>", (), b"")
        data = error.get("data") or "0x"
        if isinstance(data, dict):  # some nodes nest it
            data = data.get("data", "0x")
        return decode_revert(bytes.fromhex(data[2:]))

    def revert_of(self, call: Any, sender: str, *, value: int = 0) -> Revert:
        revert = self.try_call(call, sender, value=value)
        assert revert is not None, "expected the call to revert, it succeeds"
        return revert

    def expect_revert(self, call: ContractFunction, sender: str, *, value: int = 0) -> Revert:
        """The call reverts both in eth_call (decoded) and when mined (status 0)."""
        revert = self.revert_of(call, sender, value=value)
        receipt = self.send_unchecked(call, sender, value=value, gas=3_000_000)
        assert receipt["status"] == 0, "mined transaction did not revert"
        return revert

    # --- time ----------------------------------------------------------------------------------

    def now(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def advance(self, seconds: int) -> int:
        """Mines until a block at least `seconds` after the latest one; returns its timestamp."""
        raise NotImplementedError


@dataclass
class AnvilChain(Chain):
    """anvil with `--auto-impersonate`: any address sends; balances and time are set directly."""

    anvil: AnvilProcess = field(kw_only=True)
    backend: ClassVar[str] = "anvil"
    can_time_travel: ClassVar[bool] = True

    def set_balance(self, address: str, wei: int) -> None:
        self.anvil.rpc("anvil_setBalance", [address, hex(wei)])

    def install_predeploy(self, name: str, address: str, storage: dict[int, int] | None = None) -> Contract:
        """Runtime code at `address` with no constructor run, as the genesis builder does."""
        self.anvil.rpc("anvil_setCode", [address, "0x" + load_artifact(name).deployed_bytecode.hex()])
        for slot, value in (storage or {}).items():
            self.anvil.rpc("anvil_setStorageAt", [address, hex(slot), "0x" + value.to_bytes(32, "big").hex()])
        return self.at(name, address)

    def _submit(self, call: Any, params: dict[str, Any]) -> Any:
        return self.w3.eth.send_transaction(call.build_transaction(params))

    def advance(self, seconds: int) -> int:
        """Mines a block exactly `seconds` after the latest one; returns its timestamp."""
        target = self.now() + seconds
        self.anvil.rpc("evm_setNextBlockTimestamp", [target])
        self.anvil.rpc("evm_mine")
        return target

    def set_next_timestamp(self, timestamp: int) -> None:
        self.anvil.rpc("evm_setNextBlockTimestamp", [timestamp])


#: Key of the L2 test chain's faucet: its genesis (devnet genesis + this account) funds it with
#: far more HKD than the dev accounts hold, as anvil_setBalance would.
L2_FAUCET_KEY = keccak(text="lantau-rwa-test/faucet")
L2_FAUCET_WEI = 10**40
PRIORITY_FEE_WEI = 10**6


@dataclass
class L2Chain(Chain):
    """A `lantau node` subprocess (`--block-time 0 --admin`): a block per transaction as it
    arrives. Every sender's key is known (dev accounts, accounts made here), so transactions are
    signed locally and sent raw, as a wallet does; `set_balance` tops up from the faucet;
    `advance` builds empty blocks with `admin_produceBlock` (each at least 1 s later)."""

    node: LantauNodeProcess = field(kw_only=True)
    keys: dict[str, LocalAccount] = field(default_factory=dict)
    _nonces: dict[str, int] = field(default_factory=dict)
    backend: ClassVar[str] = "l2"
    can_time_travel: ClassVar[bool] = False

    def __post_init__(self) -> None:
        for dev in dev_accounts():
            self._remember(Account.from_key(dev.private_key))
        self.faucet = Account.from_key(L2_FAUCET_KEY)
        self._remember(self.faucet)
        self._chain_id = int(self.w3.eth.chain_id)

    def _remember(self, account: LocalAccount) -> None:
        self.keys[account.address] = account

    def set_balance(self, address: str, wei: int) -> None:
        """Tops `address` up to `wei` from the faucet (it never takes HKD away)."""
        missing = wei - self.balance(address)
        if missing <= 0:
            return
        tx_hash = self._sign_and_send(
            {"from": self.faucet.address, "to": to_checksum_address(address), "value": missing, "gas": 21_000}
        )
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=120, poll_latency=0.01)
        assert receipt["status"] == 1

    def _submit(self, call: Any, params: dict[str, Any]) -> Any:
        fees = self._fees()
        return self._sign_and_send(call.build_transaction({**params, **fees, "nonce": 0, "chainId": self._chain_id}))

    def _fees(self) -> dict[str, int]:
        base_fee = int(self.w3.eth.get_block("latest")["baseFeePerGas"])
        return {"maxFeePerGas": 2 * base_fee + PRIORITY_FEE_WEI, "maxPriorityFeePerGas": PRIORITY_FEE_WEI}

    def _sign_and_send(self, tx: dict[str, Any]) -> Any:
        sender = to_checksum_address(tx["from"])
        account = self.keys.get(sender)
        if account is None:
            raise AssertionError(f"no key for {sender}: on the L2 node every sender needs one (new_address/new_account)")
        if "maxFeePerGas" not in tx:
            tx.update(self._fees())
        tx.pop("from")
        tx.setdefault("type", 2)
        for attempt in (1, 2):
            if sender not in self._nonces:
                self._nonces[sender] = int(self.w3.eth.get_transaction_count(sender, "pending"))
            tx = {**tx, "nonce": self._nonces[sender], "chainId": self._chain_id}
            try:
                tx_hash = self.w3.eth.send_raw_transaction(account.sign_transaction(tx).raw_transaction)
            except Exception as exc:
                self._nonces.pop(sender, None)
                # The SDK tests send from the dev accounts too (their own nonces): read it again.
                if attempt == 1 and "nonce too low" in str(exc):
                    continue
                raise
            self._nonces[sender] += 1
            return tx_hash
        raise AssertionError("unreachable")

    def advance(self, seconds: int) -> int:
        """Builds empty blocks until one is at least `seconds` after the latest block; returns its
        timestamp (later than asked when the wall clock is ahead of the chain)."""
        target = self.now() + seconds
        while (now := self.now()) < target:
            batch = [("admin_produceBlock", []) for _ in range(min(500, target - now))]
            answers = self.w3.provider.make_batch_request(batch)  # type: ignore[arg-type]
            assert isinstance(answers, list) and all("result" in a for a in answers), answers
        return now


def events(contract: Contract, name: str, receipt: dict[str, Any]) -> list[dict[str, Any]]:
    """The decoded arguments of every `name` event that `contract` emitted in the receipt; an
    overloaded event is named by its signature (`LANTAU_FORCED_TRANSFER`)."""
    return [dict(e["args"]) for e in contract.events[name]().process_receipt(receipt, errors=DISCARD)]


@dataclass
class RWASystem:
    """The RWA layer as installed from genesis, plus who operates it."""

    chain: Chain
    registry: Contract
    compliance: Contract
    token_implementation: Contract
    factory: Contract
    engine: Contract
    actions: Contract
    price_feed: Contract
    operator: str  # owner of registry, factory and price feed
    kyc_agent: str  # a licensed platform: registers investors, deploys assets
    _asset_ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def token(self, address: str) -> Contract:
        return self.chain.at("RWAToken", address)

    def register(
        self,
        investors: list[str],
        *,
        country: int = HONG_KONG,
        category: int = PROFESSIONAL,
        kyc_expiry: int | None = None,
        chunk: int = 250,
        agent: str | None = None,
    ) -> None:
        """Registers `investors` through `agent` (default: the system's KYC agent)."""
        expiry = kyc_expiry if kyc_expiry is not None else self.chain.now() + 5 * YEAR
        for i in range(0, len(investors), chunk):
            part = investors[i : i + chunk]
            call = self.registry.functions.batchRegisterIdentities(
                part, [country] * len(part), [category] * len(part), [expiry] * len(part)
            )
            self.chain.send(call, agent or self.kyc_agent)

    def new_kyc_agent(self, label: str) -> str:
        """Another licensed platform: a fresh address the operator makes a registry agent."""
        agent = self.chain.new_address(label, fund_wei=10**21)
        self.chain.send(self.registry.functions.addAgent(agent), self.operator)
        return agent

    def attest_reserve(self, token: Contract, issuer: str, reserve: int, *, valid_for_s: int = 3_600) -> None:
        """A warehouse receipt or metal claim is minted only against an attested reserve (the
        DeviceRegistry guard is on from creation): a KYC'd operator the issuer approves registers
        one device that signs a reading of `reserve` units."""
        devices = self.chain.at("DeviceRegistry", "0x" + DEVICE_REGISTRY.hex())
        operator = self.chain.new_address(f"reserve operator {token.address}", fund_wei=10**21)
        self.register([operator])
        device = self.chain.new_account(f"reserve device {token.address}", fund_wei=0)
        chain_id = self.chain.w3.eth.chain_id
        self.chain.send(devices.functions.setOperatorApproved(token.address, operator, True), issuer)
        proof = sign_registration(device, operator, token.address, chain_id, devices.address)
        self.chain.send(devices.functions.registerDevice(device.address, token.address, proof), operator)
        reading = reserve_reading(device, token.address, reserve, sequence=1, time=self.chain.now(), valid_for_s=valid_for_s)
        self.chain.send(devices.functions.attest(reading.as_tuple(), sign_reading(device, reading, chain_id, devices.address)), operator)

    def create_asset(
        self,
        *,
        issuer: str,
        agents: list[str],
        name: str,
        symbol: str,
        asset_class: int,
        identifier: str | None = None,
        decimals: int = 18,
        issuer_name: str = "Test Issuer Ltd",
        document: bytes = b"offering circular",
        bond: tuple[int, int, int, int, list[int]] = (0, 0, 0, 0, []),
    ) -> Contract:
        """Creates an asset through the factory and returns the token (identifier made unique)."""
        identifier = identifier or f"TEST-{next(self._asset_ids):08d}"  # neither an ISIN nor a stock code
        params = (
            name,
            symbol,
            decimals,
            issuer,
            agents,
            (asset_class, identifier, issuer_name, "HKD", keccak(document)),
            bond,
        )
        receipt = self.chain.send(self.factory.functions.createAsset(params), self.kyc_agent)
        (created,) = events(self.factory, "AssetCreated", receipt)
        return self.token(created["token"])


def install_rwa_system(chain: Chain) -> RWASystem:
    """Installs every RWA contract as a genesis predeploy would be and initializes it."""
    operator, kyc_agent = chain.dev(0), chain.dev(1)
    a = TEST_PREDEPLOYS
    registry = chain.install_predeploy("IdentityRegistry", a["IdentityRegistry"])
    compliance = chain.install_predeploy("Compliance", a["Compliance"])
    implementation = chain.install_predeploy("RWAToken", a["RWAToken"], {INITIALIZABLE_SLOT: UINT64_MAX})
    # Every asset's fallback delegates to the extension at its fixed address (RWATokenBase.sol).
    chain.install_predeploy(
        "RWATokenExtension", to_checksum_address(RWA_TOKEN_EXTENSION), {INITIALIZABLE_SLOT: UINT64_MAX}
    )
    factory = chain.install_predeploy("AssetFactory", a["AssetFactory"])
    engine = chain.install_predeploy("SettlementEngine", a["SettlementEngine"])
    actions = chain.install_predeploy("CorporateActions", a["CorporateActions"])
    price_feed = chain.install_predeploy("PriceFeed", a["PriceFeed"])

    chain.send(registry.functions.initialize(operator), operator)
    chain.send(registry.functions.addAgent(kyc_agent), operator)
    chain.send(
        factory.functions.initialize(
            operator, implementation.address, registry.address, compliance.address, actions.address
        ),
        operator,
    )
    chain.send(factory.functions.setDeployer(kyc_agent, True), operator)
    chain.send(price_feed.functions.initialize(operator, 3_600), operator)
    chain.send(engine.functions.initialize(operator), operator)
    return RWASystem(
        chain, registry, compliance, implementation, factory, engine, actions, price_feed, operator, kyc_agent
    )


def genesis_rwa_system(chain: Chain) -> RWASystem:
    """The RWA predeploys as the L2 genesis holds them (owner: dev account 0, written by the
    genesis generator); the owner makes dev account 1 a KYC agent and an asset deployer."""
    operator, kyc_agent = chain.dev(0), chain.dev(1)
    at = {name: chain.at(name, "0x" + address.hex()) for name, address in RWA_PREDEPLOYS.items()}
    registry, factory = at["IdentityRegistry"], at["AssetFactory"]
    assert registry.functions.owner().call() == operator
    if not registry.functions.isAgent(kyc_agent).call():
        chain.send(registry.functions.addAgent(kyc_agent), operator)
    if not factory.functions.isDeployer(kyc_agent).call():
        chain.send(factory.functions.setDeployer(kyc_agent, True), operator)
    return RWASystem(
        chain,
        registry,
        at["Compliance"],
        at["RWAToken"],
        factory,
        at["SettlementEngine"],
        at["CorporateActions"],
        at["PriceFeed"],
        operator,
        kyc_agent,
    )


def sign_typed(
    account: LocalAccount, domain: dict[str, Any], types: dict[str, Any], primary: str, message: dict[str, Any]
) -> bytes:
    full = {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            **types,
        },
        "primaryType": primary,
        "domain": domain,
        "message": message,
    }
    return bytes(Account.sign_typed_data(account.key, full_message=full).signature)
