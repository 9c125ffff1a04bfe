"""`RWAClient`: the RWA settlement layer over JSON-RPC with web3.py.

Every write is checked first with `eth_call` against the latest state, so a transaction that
would revert is never signed: the revert is decoded (ABIs of the committed artifacts) and
raised as a named error - `TransferNotCompliant` carries the contract's own reason ("receiver
not KYC verified"). Transactions are EIP-1559, signed locally with eth-account and sent with
`eth_sendRawTransaction`; the client keeps its signer's nonce, so `transact_all` can send a
group of independent transactions back to back and wait once (one or two blocks, not one
block each).

Time: the contracts read the chain's clock (block timestamps). On a node that builds blocks on
demand (`--block-time 0`) the clock only moves with blocks, so `wait_for_chain_time` sends a
zero-value transfer to itself when no block has come for a second.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Sequence

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import keccak, to_checksum_address
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import TimeExhausted, TransactionNotFound
from web3.logs import DISCARD

from node.cli_common import is_nonce_race
from rwa.contracts import DecodedRevert, RWAContracts, contract_at, innermost_revert
from rwa.permit import Permit, PermitSignature, sign_permit
from rwa.errors import (
    AmbiguousAsset,
    AssetNotFound,
    ChainTimeout,
    ContractReverted,
    InsufficientHKD,
    NoCouponDate,
    NoSigner,
    TradeFileError,
    TransactionFailed,
    TransactionNotIncluded,
    TransferNotCompliant,
)
from rwa.trade import Trade, TradeTicket, sign_trade
from rwa.types import (
    HONG_KONG,
    NATIVE_HKD,
    AssetClass,
    AssetInfo,
    AssetSpec,
    BondTerms,
    ComplianceRules,
    DistributionKind,
    DistributionResult,
    Holding,
    Identity,
    InvestorCategory,
    Portfolio,
    Price,
)

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
TRANSFER_TOPIC = keccak(text="Transfer(address,address,uint256)")
GAS_MARGIN = 1.2  # over eth_estimateGas: the state may move between estimate and inclusion
#: Seconds past the next block's timestamp at which a write is estimated too (see `_estimate`):
#: a transaction sent now may land a block or two after the next one.
INCLUSION_HORIZON_S = 2
PRIORITY_FEE_WEI = 10**6  # HKD wei per gas: a token tip; the base fee is what a devnet block asks
LOGS_BLOCK_RANGE = 10_000  # the node's eth_getLogs range cap
TRADE_AFFIRMED = 3  # SettlementEngine.TradeStatus.Affirmed
PUSH_CHUNK = 50  # holders per pushPayments transaction (within the L2 proof-cost caps)
NONCE_RACE_ATTEMPTS = 5  # sends of one transaction when another writer on the key takes its nonce
MAX_UINT256 = 2**256 - 1


@dataclass(frozen=True, slots=True)
class Call:
    """One contract call to send as a transaction: `function` (web3 ContractFunction), HKD wei
    attached, and a fixed gas limit (None: estimated)."""

    function: Any
    value_wei: int = 0
    gas: int | None = None

    @property
    def name(self) -> str:
        return str(getattr(self.function, "fn_name", "call"))


class RWAClient:
    def __init__(self, w3: Web3, account: LocalAccount | None = None, *, receipt_timeout_s: float = 120.0) -> None:
        self.w3 = w3
        self.account = account
        self.contracts = RWAContracts.at_predeploys(w3)
        self.receipt_timeout_s = receipt_timeout_s
        self._nonce: int | None = None
        self._chain_id: int | None = None

    @classmethod
    def connect(cls, rpc_url: str, private_key: str | None = None, *, timeout_s: float = 60.0) -> "RWAClient":
        w3 = Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": timeout_s}))
        return cls(w3, Account.from_key(private_key) if private_key else None)

    # --- chain --------------------------------------------------------------------------------

    @property
    def address(self) -> str:
        if self.account is None:
            raise NoSigner("this operation")
        return self.account.address

    @property
    def chain_id(self) -> int:
        if self._chain_id is None:
            self._chain_id = int(self.w3.eth.chain_id)
        return self._chain_id

    def chain_time(self) -> int:
        """Timestamp of the latest block: the clock `eth_call` and the contracts see."""
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def token(self, address: str) -> Contract:
        return self.contracts.token(address)

    # --- calls and transactions -----------------------------------------------------------------

    def call_revert(self, function: Any, *, sender: str | None = None, value_wei: int = 0) -> DecodedRevert | None:
        """eth_call `function` as a transaction from `sender`: the decoded revert, or None."""
        response = self.w3.provider.make_request("eth_call", [self._request(function, sender, value_wei), "latest"])  # type: ignore[arg-type]
        error = response.get("error")
        if error is None:
            return None
        data = error.get("data") or "0x"
        if isinstance(data, dict):
            data = data.get("data", "0x")
        if not isinstance(data, str) or data in ("", "0x"):
            return DecodedRevert(f"<{error.get('message', 'execution failed')}>", (), b"")
        return innermost_revert(bytes.fromhex(data.removeprefix("0x")))

    def _request(self, function: Any, sender: str | None, value_wei: int) -> dict[str, Any]:
        """`function` as eth_call / eth_estimateGas transaction arguments."""
        request: dict[str, Any] = {"to": function.address, "data": function._encode_transaction_data()}
        if sender or self.account:
            request["from"] = to_checksum_address(sender or self.address)
        if value_wei:
            request["value"] = hex(value_wei)
        return request

    def preflight(self, call: Call) -> None:
        """Raise the decoded error if `call` would revert now."""
        revert = self.call_revert(call.function, value_wei=call.value_wei)
        if revert is not None:
            raise revert_error(call.name, revert)

    def transact(self, function: Any, *, value_wei: int = 0, gas: int | None = None) -> dict[str, Any]:
        """Check, sign, send, wait; the receipt. Raises the decoded error instead of reverting."""
        (receipt,) = self.transact_all([Call(function, value_wei, gas)])
        return receipt

    def transact_all(self, calls: Sequence[Call], *, preflight: bool = True) -> list[dict[str, Any]]:
        """Send independent `calls` back to back (each checked and estimated on the latest state,
        so none may depend on another's effect), then wait for every receipt."""
        if not calls:
            return []
        account = self.account
        if account is None:
            raise NoSigner(calls[0].name)
        fees = self._fees()
        inclusion_time = self._inclusion_time()
        prepared = []
        for call in calls:
            if preflight:
                self.preflight(call)
            gas = call.gas or self._estimate(call, inclusion_time)
            prepared.append((call, gas))
        hashes = []
        for call, gas in prepared:
            tx = call.function.build_transaction(
                {"from": account.address, "value": call.value_wei, "gas": gas, "nonce": 0, "chainId": self.chain_id, **fees}
            )
            hashes.append((call, self._send(account, dict(tx))))
        return [self._receipt(call.name, tx_hash) for call, tx_hash in hashes]

    def deploy(self, constructor: Any) -> dict[str, Any]:
        """Deploys a contract (`constructor`: a web3 ContractConstructor) from the signer; the receipt."""
        account = self.account
        if account is None:
            raise NoSigner("deploy")
        gas = int(constructor.estimate_gas({"from": account.address}) * GAS_MARGIN) + 10_000
        tx = constructor.build_transaction({"from": account.address, "gas": gas, "nonce": 0, "chainId": self.chain_id, **self._fees()})
        return self._receipt("deploy", self._send(account, dict(tx)))

    def _receipt(self, function: str, tx_hash: bytes, *, check_status: bool = True) -> dict[str, Any]:
        """The receipt of a sent transaction, waited for up to `receipt_timeout_s`;
        `TransactionNotIncluded` with the node's view when none comes, `TransactionFailed` when
        it reverted (with `check_status`)."""
        try:
            receipt = dict(self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=self.receipt_timeout_s, poll_latency=0.05))
        except TimeExhausted:
            raise TransactionNotIncluded(function, "0x" + tx_hash.hex(), self.receipt_timeout_s, self._why_not_included(tx_hash)) from None
        if check_status and receipt["status"] != 1:
            raise TransactionFailed(function, "0x" + tx_hash.hex(), int(receipt["blockNumber"]))
        return receipt

    def _why_not_included(self, tx_hash: bytes) -> str:
        """What the node says about a transaction that has no receipt: whether its pool holds
        it, and what could hold it back there (an earlier nonce missing, a fee cap under the base fee)."""
        try:
            tx = self.w3.eth.get_transaction(tx_hash)
        except TransactionNotFound:
            return "the node no longer knows it: dropped, or replaced by another transaction with its nonce"
        except Exception as exc:  # the diagnosis must not hide the timeout
            return f"the node did not say: {exc}"
        try:
            sender, nonce = tx["from"], int(tx["nonce"])
            mined = int(self.w3.eth.get_transaction_count(sender, "latest"))
            pending = int(self.w3.eth.get_transaction_count(sender, "pending"))
            base_fee = int(self.w3.eth.get_block("latest").get("baseFeePerGas") or 0)
        except Exception as exc:
            return f"the node holds it, and did not say more: {exc}"
        return (f"the node's pool holds it: nonce {nonce}, {sender} has {mined} mined and {pending} counting the pool; "
                f"fee cap {int(tx.get('maxFeePerGas') or tx.get('gasPrice') or 0)} wei, base fee {base_fee} wei")

    def _inclusion_time(self) -> int:
        """A timestamp the block including a transaction sent now will have reached: the next
        block is stamped max(wall clock, parent + 1 s); `INCLUSION_HORIZON_S` more for landing
        a little later."""
        return max(self.chain_time() + 1, int(time.time()) + 1) + INCLUSION_HORIZON_S

    def _estimate(self, call: Call, inclusion_time: int) -> int:
        """Gas for `call`: the larger of eth_estimateGas on the latest block and on a block stamped
        `inclusion_time` (a block override), with `GAS_MARGIN`.

        The contracts take costlier paths once a time passes: the first RWA transfer after a record
        date writes the balance history (`RWAToken._write`, 73,196 gas estimated the block before,
        161,901 mined). Estimated at the latest block alone, such a transaction would run out of
        gas the moment the record date passes before it is mined. A node without block overrides,
        or a call that cannot succeed that late (a deadline), keeps the latest block's estimate."""
        params = {"from": self.address, "value": call.value_wei}
        gas = call.function.estimate_gas(params)
        request = self._request(call.function, self.address, call.value_wei)
        response = self.w3.provider.make_request(  # type: ignore[arg-type]
            "eth_estimateGas", [request, "latest", {}, {"time": hex(inclusion_time)}]
        )
        if "result" in response:
            gas = max(gas, int(response["result"], 16))
        return int(gas * GAS_MARGIN) + 10_000

    def _fees(self) -> dict[str, int]:
        base_fee = int(self.w3.eth.get_block("latest").get("baseFeePerGas") or 0)
        return {"maxFeePerGas": 2 * base_fee + PRIORITY_FEE_WEI, "maxPriorityFeePerGas": PRIORITY_FEE_WEI}

    def _send(self, account: LocalAccount, tx: dict[str, Any]) -> bytes:
        """Sign `tx` with the next nonce and send it. Another writer on the same key (a script, the
        devnet's sample issuance) may take that nonce first: then the nonce is read again from the
        pool's pending count and the transaction signed again, a few times, before giving up."""
        for attempt in range(NONCE_RACE_ATTEMPTS):
            tx["nonce"] = self._next_nonce()
            try:
                return bytes(self.w3.eth.send_raw_transaction(account.sign_transaction(tx).raw_transaction))
            except Exception as exc:
                self._nonce = None  # re-read from the node next time
                if not is_nonce_race(exc) or attempt == NONCE_RACE_ATTEMPTS - 1:
                    raise
                time.sleep(0.2 * (attempt + 1))
        raise AssertionError("unreachable")

    def _next_nonce(self) -> int:
        if self._nonce is None:
            self._nonce = int(self.w3.eth.get_transaction_count(self.address, "pending"))
        nonce, self._nonce = self._nonce, self._nonce + 1
        return nonce

    def send_hkd(self, to: str, amount_wei: int) -> dict[str, Any]:
        """A plain native-HKD transfer."""
        account = self.account
        if account is None:
            raise NoSigner("send HKD")
        tx = {"to": to_checksum_address(to), "value": amount_wei, "gas": 21_000, "chainId": self.chain_id, "type": 2, **self._fees()}
        return self._receipt("send HKD", self._send(account, tx), check_status=False)

    def wait_for_chain_time(self, timestamp: int, *, timeout_s: float = 120.0) -> int:
        """Until a block at or after `timestamp` exists; returns the latest block's timestamp.

        With a signer, makes a block (a zero-value transfer to itself) when none came for half a
        second and one would move the clock: a block is stamped max(wall clock, parent + 1 s), so
        that is once the wall clock has reached `timestamp`, or while the chain runs ahead of it.
        """
        deadline = time.monotonic() + timeout_s
        last_number, last_change = -1, time.monotonic()
        while True:
            block = self.w3.eth.get_block("latest")
            head_time = int(block["timestamp"])
            if head_time >= timestamp:
                return head_time
            if block["number"] != last_number:
                last_number, last_change = block["number"], time.monotonic()
            elif (
                self.account is not None
                and time.monotonic() - last_change > 0.5
                and (time.time() >= timestamp or head_time >= time.time())
            ):
                self.send_hkd(self.address, 0)
                last_change = time.monotonic()
            if time.monotonic() > deadline:
                raise ChainTimeout(f"the chain's clock did not reach {timestamp} within {timeout_s:.0f} s")
            time.sleep(0.1)

    # --- identity (KYC) -------------------------------------------------------------------------

    def identity(self, investor: str) -> Identity:
        investor = to_checksum_address(investor)
        registry = self.contracts.registry.functions
        country, category, expiry, agent = registry.identity(investor).call()
        return Identity(investor, int(country), InvestorCategory(category), int(expiry), agent,
                        bool(registry.isVerified(investor).call()))

    def is_kyc_agent(self, account: str) -> bool:
        return bool(self.contracts.registry.functions.isAgent(to_checksum_address(account)).call())

    def register_investors(
        self,
        investors: Sequence[tuple[str, InvestorCategory]],
        *,
        country: int = HONG_KONG,
        kyc_expiry: int | None = None,
        valid_days: int = 365,
    ) -> dict[str, Any]:
        """KYC `investors` (address, category) in one transaction; the signer must be a KYC agent."""
        expiry = kyc_expiry if kyc_expiry is not None else self.chain_time() + valid_days * 86_400
        addresses = [to_checksum_address(a) for a, _ in investors]
        return self.transact(self.contracts.registry.functions.batchRegisterIdentities(
            addresses, [country] * len(addresses), [int(c) for _, c in investors], [expiry] * len(addresses)
        ))

    def update_identity(self, investor: str, *, country: int, category: InvestorCategory, kyc_expiry: int) -> dict[str, Any]:
        return self.transact(self.contracts.registry.functions.updateIdentity(
            to_checksum_address(investor), country, int(category), kyc_expiry
        ))

    # --- assets ---------------------------------------------------------------------------------

    def asset_addresses(self) -> list[str]:
        factory = self.contracts.factory.functions
        return [factory.assets(i).call() for i in range(factory.assetCount().call())]

    def asset_address(self, reference: str) -> str:
        """An asset by address, identifier (ISIN / HKEX code) or symbol."""
        factory = self.contracts.factory.functions
        if Web3.is_address(reference):
            address = to_checksum_address(reference)
            if not factory.isAsset(address).call():
                raise AssetNotFound(reference)
            return address
        found = factory.assetByIdentifier(reference).call()
        if found != ZERO_ADDRESS:
            return to_checksum_address(found)
        matches = [a for a in self.asset_addresses() if self.token(a).functions.symbol().call().lower() == reference.lower()]
        if len(matches) > 1:
            raise AmbiguousAsset(reference, matches)
        if not matches:
            raise AssetNotFound(reference)
        return to_checksum_address(matches[0])

    def asset(self, reference: str) -> AssetInfo:
        address = self.asset_address(reference)
        t = self.token(address).functions
        asset_class, identifier, issuer_name, currency, document_hash = t.assetInfo().call()
        face, rate, per_year, maturity, dates = t.bondTerms().call()
        return AssetInfo(
            address=address,
            name=t.name().call(),
            symbol=t.symbol().call(),
            decimals=int(t.decimals().call()),
            asset_class=AssetClass(asset_class),
            identifier=identifier,
            issuer_name=issuer_name,
            currency=currency,
            document_hash=bytes(document_hash),
            owner=t.owner().call(),
            total_supply_units=int(t.totalSupply().call()),
            holder_count=int(t.holderCount().call()),
            paused=bool(t.paused().call()),
            bond=BondTerms(face, rate, per_year, maturity, tuple(dates)) if face else None,
        )

    def assets(self) -> list[AssetInfo]:
        return [self.asset(address) for address in self.asset_addresses()]

    def predict_asset_address(self, identifier: str) -> str:
        return to_checksum_address(self.contracts.factory.functions.predictAssetAddress(identifier).call())

    def create_asset_call(self, spec: AssetSpec) -> Call:
        params = (
            spec.name,
            spec.symbol,
            spec.decimals,
            to_checksum_address(spec.issuer),
            [to_checksum_address(a) for a in spec.agents],
            (int(spec.asset_class), spec.identifier, spec.issuer_name, spec.currency, spec.document_hash),
            spec.bond.as_tuple(),
        )
        return Call(self.contracts.factory.functions.createAsset(params))

    def create_asset(self, spec: AssetSpec) -> AssetInfo:
        """Issues a new asset (the signer must be an approved deployer); its address is
        `predict_asset_address(spec.identifier)`."""
        receipt = self.transact_all([self.create_asset_call(spec)])[0]
        created = self.contracts.factory.events.AssetCreated().process_receipt(receipt, errors=DISCARD)
        return self.asset(created[0]["args"]["token"])

    def mint(self, token: str, allocations: Mapping[str, int]) -> dict[str, Any]:
        """Agent: issue `allocations` (address -> units) to KYC'd investors."""
        holders = [to_checksum_address(a) for a in allocations]
        return self.transact(self.token(token).functions.batchMint(holders, [allocations[a] for a in allocations]))

    def set_rules(self, token: str, rules: ComplianceRules, allowed_countries: Iterable[int] = ()) -> list[dict[str, Any]]:
        compliance = self.contracts.compliance.functions
        calls = [Call(compliance.setRules(to_checksum_address(token), rules.as_tuple()))]
        countries = list(allowed_countries)
        if countries:
            calls.append(Call(compliance.setCountriesAllowed(to_checksum_address(token), countries, True)))
        return self.transact_all(calls)

    def can_transfer(self, token: str, sender: str, to: str, units: int) -> tuple[int, str]:
        code, reason = self.token(token).functions.transferStatus(
            to_checksum_address(sender), to_checksum_address(to), units
        ).call()
        return int(code), str(reason)

    def sign_permit(self, token: str, spender: str, units: int, deadline: int) -> tuple[Permit, PermitSignature]:
        """The signer's ERC-2612 permit for `spender` to take `units` of `token` until `deadline`
        (unix seconds), at the signer's current permit nonce; anyone submits it with
        `submit_permit`."""
        t = self.token(token).functions
        permit = Permit(self.address, to_checksum_address(spender), units, t.nonces(self.address).call(), deadline)
        if self.account is None:
            raise NoSigner("permit")
        signature = sign_permit(permit, self.account.key, chain_id=self.chain_id, token=token, token_name=t.name().call())
        return permit, signature

    def submit_permit(self, token: str, permit: Permit, signature: PermitSignature) -> dict[str, Any]:
        """Sends a signed permit; a stale one raises ContractReverted (`ERC2612InvalidSigner`,
        `ERC2612ExpiredSignature`) before anything is sent."""
        call = self.token(token).functions.permit(
            to_checksum_address(permit.owner), to_checksum_address(permit.spender), permit.value, permit.deadline,
            signature.v, signature.r, signature.s,
        )
        return self.transact(call)

    def transfer(self, token: str, to: str, units: int) -> dict[str, Any]:
        """Transfer `units` of `token` from the signer; a refused transfer raises
        `TransferNotCompliant` with the contract's reason, before anything is sent."""
        return self.transact(self.token(token).functions.transfer(to_checksum_address(to), units))

    # --- prices ---------------------------------------------------------------------------------

    def price(self, token: str, *, now: int | None = None) -> Price | None:
        feed = self.contracts.price_feed.functions
        token = to_checksum_address(token)
        price_wei, updated_at = feed.latestPriceUnchecked(token).call()
        if updated_at == 0:
            return None
        now = self.chain_time() if now is None else now
        stale = now > updated_at and now - updated_at > int(feed.maxAge(token).call())
        return Price(int(price_wei), int(updated_at), stale)

    def set_price_call(self, token: str, price_wei: int, timestamp: int | None = None) -> Call:
        observed = self.chain_time() if timestamp is None else timestamp
        return Call(self.contracts.price_feed.functions.submitPrice(to_checksum_address(token), price_wei, observed))

    def set_price(self, token: str, price_wei: int, timestamp: int | None = None) -> dict[str, Any]:
        """Reporter: HKD wei per whole token, observed at `timestamp` (default: the chain's clock)."""
        return self.transact_all([self.set_price_call(token, price_wei, timestamp)])[0]

    # --- holdings -------------------------------------------------------------------------------

    def portfolio(self, owner: str) -> Portfolio:
        """Native HKD, escrow in the SettlementEngine, and every asset `owner` holds, each valued
        in HKD at the PriceFeed's latest price (flagged when stale)."""
        owner = to_checksum_address(owner)
        block = self.w3.eth.get_block("latest")
        now = int(block["timestamp"])
        holdings = []
        for address in self.asset_addresses():
            t = self.token(address).functions
            balance = int(t.balanceOf(owner).call())
            if balance == 0:
                continue
            holdings.append(Holding(self.asset(address), balance, int(t.frozenTokens(owner).call()), self.price(address, now=now)))
        return Portfolio(
            owner=owner,
            native_wei=int(self.w3.eth.get_balance(owner)),
            escrow_wei=int(self.contracts.engine.functions.escrowOf(owner).call()),
            holdings=tuple(holdings),
            as_of_block=int(block["number"]),
            as_of_time=now,
        )

    # --- corporate actions ----------------------------------------------------------------------

    def holder_candidates(self, token: str) -> list[str]:
        """Every address that ever received `token` (from its Transfer logs), in first-seen order."""
        token = to_checksum_address(token)
        head = int(self.w3.eth.block_number)
        seen: dict[str, None] = {}
        for start in range(0, head + 1, LOGS_BLOCK_RANGE):
            logs = self.w3.eth.get_logs({
                "address": token, "topics": ["0x" + TRANSFER_TOPIC.hex()],
                "fromBlock": start, "toBlock": min(head, start + LOGS_BLOCK_RANGE - 1),
            })
            for log in logs:
                receiver = to_checksum_address(bytes(log["topics"][2])[12:])
                if receiver != ZERO_ADDRESS:
                    seen.setdefault(receiver, None)
        return list(seen)

    def next_coupon_date(self, token: str, *, after: int) -> int:
        """The bond's first coupon date later than `after` with no coupon announced for it
        (`CorporateActions.couponOfDate`): where a coupon announced now is paid."""
        token = to_checksum_address(token)
        dates = [int(d) for d in self.token(token).functions.bondTerms().call()[4]]
        taken = self.contracts.actions.functions.couponOfDate
        for date in dates:
            if date > after and int(taken(token, date).call()) == 0:
                return date
        raise NoCouponDate(token, after)

    def settling_until(self, token: str) -> int:
        """The latest settlement deadline of the token's `CallAuction` clearings (0: none, or a
        chain without the market): no record time up to it."""
        auction = str(self.contracts.actions.functions.CALL_AUCTION().call())
        if not self.w3.eth.get_code(auction):
            return 0
        return int(contract_at(self.w3, "CallAuction", auction).functions.settlingUntil(to_checksum_address(token)).call())

    def announce_distribution(
        self,
        token: str,
        *,
        kind: DistributionKind = DistributionKind.COUPON,
        amount_wei: int | None = None,
        record_delay_s: int = 2,
        claim_period_s: int = 30 * 86_400,
    ) -> DistributionResult:
        """Announce a distribution. A bond's coupon (the default; amount `couponDue`, the coupon on
        today's supply) is paid on its next coupon date (`next_coupon_date`) with the record time
        the second before; a dividend or revenue share needs `amount_wei` and is payable a second
        after a record time a few seconds ahead. Nothing is paid yet (`push_distribution`)."""
        token = to_checksum_address(token)
        actions = self.contracts.actions
        if amount_wei is None:
            if kind is not DistributionKind.COUPON:
                raise ValueError("a dividend or revenue share needs an amount")
            amount_wei = int(actions.functions.couponDue(token).call())
        balance = int(self.w3.eth.get_balance(self.address))
        if balance < amount_wei:
            raise InsufficientHKD(self.address, balance, amount_wei, f"the {kind.name.lower().replace('_', ' ')}")
        earliest_record = max(self.chain_time() + 1, int(time.time())) + record_delay_s
        if kind is DistributionKind.COUPON:
            pay = self.next_coupon_date(token, after=earliest_record)
            record = pay - 1
        else:
            # Not inside an alliance auction's settlement window of the token (CorporateActions
            # refuses it: the shares in custody would be snapshot as the auction's).
            record = max(earliest_record, self.settling_until(token) + 1)
            pay = record + 1
        receipt = self.transact(
            actions.functions.announceDistribution(token, int(kind), record, pay, pay + claim_period_s), value_wei=amount_wei
        )
        (announced,) = actions.events.DistributionAnnounced().process_receipt(receipt, errors=DISCARD)
        return DistributionResult(int(announced["args"]["id"]), token, kind, amount_wei, record, pay, (), 0, False)

    def push_distribution(self, distribution_id: int, *, close: bool = True) -> DistributionResult:
        """From its pay time: push distribution `distribution_id` to every holder at the record
        time, `PUSH_CHUNK` a transaction, and close it (rounding dust to the issuer) once every
        record-date unit is paid. Refused before the pay time (`NotPayableYet`, nothing sent)."""
        actions = self.contracts.actions
        self.preflight(Call(actions.functions.pushPayments(distribution_id, [])))  # UnknownDistribution, DistributionIsClosed
        d = actions.functions.distribution(distribution_id).call()
        token, record, kind, pay, amount_wei = to_checksum_address(d[0]), int(d[1]), DistributionKind(int(d[2])), int(d[6]), int(d[8])
        candidates = self.holder_candidates(token)
        if candidates:
            self.preflight(Call(actions.functions.pushPayments(distribution_id, candidates[:1])))  # NotPayableYet
        paid = self._push_in_chunks(candidates, lambda chunk: actions.functions.pushPayments(distribution_id, chunk),
                                    actions.events.DistributionPaid)
        payments = [(e["holder"], int(e["units"]), int(e["amountWei"])) for e in paid]
        remainder, closed = 0, False
        if close and self.call_revert(actions.functions.closeDistribution(distribution_id)) is None:
            receipt = self.transact(actions.functions.closeDistribution(distribution_id))
            (event,) = actions.events.DistributionClosed().process_receipt(receipt, errors=DISCARD)
            remainder, closed = int(event["args"]["remainderWei"]), True
        return DistributionResult(distribution_id, token, kind, amount_wei, record, pay, tuple(payments), remainder, closed)

    def pay_distribution(
        self,
        token: str,
        *,
        kind: DistributionKind = DistributionKind.COUPON,
        amount_wei: int | None = None,
        max_wait_s: float = 120.0,
        close: bool = True,
        progress: Callable[[str], None] | None = None,
    ) -> DistributionResult:
        """Announce a distribution (`announce_distribution`) and, when its pay time is at most
        `max_wait_s` of chain time away, wait for it and push it (`push_distribution`). A coupon
        date further ahead returns the announced distribution unpaid: push it from that date.
        `progress` hears what is happening."""
        say = progress or (lambda message: None)
        announced = self.announce_distribution(token, kind=kind, amount_wei=amount_wei)
        distribution_id, pay = announced.distribution_id, announced.pay_time
        say(f"announced #{distribution_id}: HK${announced.amount_wei / 10**18:,.2f}, record time {announced.record_time}, "
            f"payable from {pay}")
        if pay - self.chain_time() > max_wait_s:
            return announced
        say("waiting for the pay time")
        self.wait_for_chain_time(pay)
        say("paying the holders at the record time")
        return self.push_distribution(distribution_id, close=close)

    # --- consolidations --------------------------------------------------------------------------

    def announce_consolidation(self, token: str, ratio: int, effective_time: int, *, fund_wei: int = 0) -> dict[str, Any]:
        """Schedules a consolidation (`ratio` units into one from `effective_time`) through
        CorporateActions, which fixes the fractions' cash price at the PriceFeed reference;
        `fund_wei` funds their cash-out. Refusals (a bond, no fresh price, a bad ratio or time)
        raise the decoded error before anything is sent."""
        call = self.contracts.actions.functions.announceConsolidation(to_checksum_address(token), ratio, effective_time)
        return self.transact(call, value_wei=fund_wei)

    def cash_out_fractions(self, token: str) -> list[tuple[str, int, int]]:
        """Burns every holder's fraction left by the consolidation and pays it at the fixed price,
        `PUSH_CHUNK` holders a transaction; returns (holder, fine units, HKD wei) of each paid."""
        token = to_checksum_address(token)
        actions = self.contracts.actions
        paid = self._push_in_chunks(self.holder_candidates(token), lambda chunk: actions.functions.cashOutFractions(token, chunk),
                                    actions.events.FractionCashedOut)
        return [(e["holder"], int(e["fineUnits"]), int(e["amountWei"])) for e in paid]

    def _push_in_chunks(self, holders: list[str], call: Callable[[list[str]], Any], event: Any) -> list[dict[str, Any]]:
        """Sends `call(chunk)` for every `PUSH_CHUNK` holders (within the L2 proof-cost caps);
        the arguments of every `event` the transactions emitted."""
        emitted: list[dict[str, Any]] = []
        for start in range(0, len(holders), PUSH_CHUNK):
            receipt = self.transact(call(holders[start:start + PUSH_CHUNK]))
            emitted.extend(dict(e["args"]) for e in event().process_receipt(receipt, errors=DISCARD))
        return emitted

    # --- delivery versus payment ----------------------------------------------------------------

    def propose_trade(
        self,
        *,
        seller: str,
        buyer: str,
        token: str,
        units: int,
        pay_wei: int,
        expiry_s: int = 86_400,
        pay_token: str = NATIVE_HKD,
        salt: int | None = None,
        note: Mapping[str, str] | None = None,
    ) -> TradeTicket:
        """A trade (no signatures yet): `units` of `token` from seller to buyer against `pay_wei`
        of native HKD, valid for `expiry_s` seconds of chain time, bound to the asset's current
        split epoch (the engine refuses it once a split has taken effect)."""
        trade = Trade(
            to_checksum_address(seller), to_checksum_address(buyer), to_checksum_address(token), units,
            to_checksum_address(pay_token), pay_wei, self.chain_time() + expiry_s,
            salt if salt is not None else int.from_bytes(keccak(text=f"{time.time_ns()}/{seller}/{buyer}/{units}"), "big"),
            int(self.token(token).functions.splitEpoch().call()),
        )
        return TradeTicket(trade, self.chain_id, self.contracts.engine.address, {}, dict(note or {}))

    def sign_trade(self, ticket: TradeTicket, *, prepare: bool = True) -> tuple[TradeTicket, list[str]]:
        """Adds the signer's signature (as seller or buyer). With `prepare`, also readies its leg:
        the seller approves the engine for the asset amount, the buyer tops up its HKD escrow.
        Returns the signed ticket and what was done on chain."""
        account = self.account
        if account is None:
            raise NoSigner("signing a trade")
        if ticket.chain_id != self.chain_id:
            raise TradeFileError(f"the trade is for chain {ticket.chain_id}, this node is chain {self.chain_id}")
        role = ticket.role_of(account.address)
        signature = sign_trade(ticket.trade, account.key, ticket.chain_id, ticket.engine)
        done = []
        if prepare:
            done = self.prepare_leg(ticket.trade, role)
        return ticket.signed(role, signature), done

    def prepare_leg(self, trade: Trade, role: str) -> list[str]:
        engine = self.contracts.engine
        done = []
        if role == "seller":
            asset = self.token(trade.asset)
            if int(asset.functions.allowance(self.address, engine.address).call()) < trade.asset_amount:
                self.transact(asset.functions.approve(engine.address, MAX_UINT256))
                done.append(f"approved the SettlementEngine for {asset.functions.symbol().call()}")
        elif trade.pay_token == NATIVE_HKD:
            escrow = int(engine.functions.escrowOf(self.address).call())
            if escrow < trade.pay_amount:
                self.transact(engine.functions.deposit(), value_wei=trade.pay_amount - escrow)
                done.append(f"deposited HK${(trade.pay_amount - escrow) / 10**18:,.2f} into the settlement escrow")
        else:
            pay = self.token(trade.pay_token)
            if int(pay.functions.allowance(self.address, engine.address).call()) < trade.pay_amount:
                self.transact(pay.functions.approve(engine.address, MAX_UINT256))
                done.append("approved the SettlementEngine for the pay token")
        return done

    def affirm_trade(self, ticket: TradeTicket) -> dict[str, Any]:
        """Locks both legs of a signed trade in one transaction (`SettlementEngine.affirm`): a hold
        on the seller's units for the engine (the engine's id = the trade id, kept by the token under
        `holdIdOf(engine, trade id)` so no holder can take it first; until the trade's expiry, spending
        the seller's allowance to the engine) and the buyer's cash (native HKD out of its escrow, or
        an ERC-20 pay token out of its wallet). Either party, or anyone holding both signatures,
        affirms; a refusal (the engine's or the token's named error) is raised before anything is
        sent, and a failing affirm leaves neither a hold nor a lock."""
        t = ticket.trade
        for role in ("seller", "buyer"):
            if role not in ticket.signatures and getattr(t, role) != self.address:
                raise TradeFileError(f"the trade is not signed by the {role} ({getattr(t, role)}) yet")
        affirm = self.contracts.engine.functions.affirm(
            t.as_tuple(), ticket.signatures.get("seller", b""), ticket.signatures.get("buyer", b""))
        return self.transact(affirm)

    def settle_trade(self, ticket: TradeTicket) -> dict[str, Any]:
        """Submits a trade signed by both parties (a party submitting its own trade may leave its
        own signature out; a buyer short of escrow pays the difference with the call); an affirmed
        trade settles its locked legs (`settleAffirmed`)."""
        t = ticket.trade
        if int(self.contracts.engine.functions.tradeStatus(ticket.trade_id).call()) == TRADE_AFFIRMED:
            return self.transact(self.contracts.engine.functions.settleAffirmed(t.as_tuple()))
        submitter = self.address
        sigs = dict(ticket.signatures)
        for role in ("seller", "buyer"):
            if role not in sigs and getattr(t, role) != submitter:
                raise TradeFileError(f"the trade is not signed by the {role} ({getattr(t, role)}) yet")
        value = 0
        if submitter == t.buyer and t.pay_token == NATIVE_HKD:
            escrow = int(self.contracts.engine.functions.escrowOf(t.buyer).call())
            value = max(0, t.pay_amount - escrow)
        return self.transact(
            self.contracts.engine.functions.settle(t.as_tuple(), sigs.get("seller", b""), sigs.get("buyer", b"")),
            value_wei=value,
        )


def revert_error(function: str, revert: DecodedRevert) -> ContractReverted:
    """The SDK's exception for a decoded revert."""
    if revert.name == "TransferNotCompliant":
        code, reason = revert.args
        return TransferNotCompliant(function, int(code), str(reason), revert.data)
    return ContractReverted(function, revert.name, revert.args, revert.data)
