"""The explorer (`node.explorer`) in a real headless Chromium (Debian's `chromium` and
`chromium-driver`, driven by Selenium) against a real `lantau devnet`: every page loads without
a console error and shows what the test reads itself over JSON-RPC; the search finds a block,
a transaction, an address and an asset (by symbol); the RWA page lists the AssetFactory's
assets and an asset's holders with their balances; a new block appears on the home page without a reload.

One devnet and one browser for the module (~20 s to start); both are stopped when the module
ends, pass or fail. A missing browser or driver is an error (`make setup` installs them)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from decimal import Decimal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_account import Account
from eth_utils import function_signature_to_4byte_selector, to_checksum_address
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from genesis.artifacts import load_artifact
from genesis.dev_accounts import dev_accounts
from rwa import AssetClass, AssetSpec, BondTerms, RWAClient
from tests.harness.node_process import REPO_ROOT, LantauNodeProcess

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
WAIT_S = 15.0
SENDER = dev_accounts()[5]  # not one the devnet's batcher, proposer or sample uses
REVERT_TEXT = "explorer test says no"
L1_BLOCK = "0x4200000000000000000000000000000000000015"
#: A custom error of the project's contracts (AssetFactory's), with its arguments.
CUSTOM_ERROR = function_signature_to_4byte_selector("InsufficientBalance(uint256,uint256)") + (5).to_bytes(32, "big") + (7).to_bytes(32, "big")

T = TypeVar("T")


def error_string(reason: str) -> bytes:
    """Error(reason), the Solidity revert reason encoding."""
    text = reason.encode()
    return bytes.fromhex("08c379a0") + (32).to_bytes(32, "big") + len(text).to_bytes(32, "big") + text.ljust(32, b"\0")


def reverting_initcode(payload: bytes) -> bytes:
    """Init code that reverts with `payload` as its output."""
    padded = payload.ljust((len(payload) + 31) // 32 * 32, b"\0")
    code = b""
    for offset in range(0, len(padded), 32):
        code += b"\x7f" + padded[offset:offset + 32] + bytes([0x60, offset, 0x52])  # PUSH32 word, PUSH1 off, MSTORE
    return code + bytes([0x60, len(payload), 0x60, 0x00, 0xFD])  # REVERT(0, len)


@pytest.fixture(scope="module")
def devnet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LantauNodeProcess]:
    process = LantauNodeProcess(tmp_path_factory.mktemp("explorer-devnet"), block_time_s=1.0, command="devnet")
    try:
        yield process.start()
    finally:
        process.stop_or_kill()


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    for path in (CHROMIUM, CHROMEDRIVER):
        if not path.exists():
            raise FileNotFoundError(f"{path} is missing: `make setup` installs Debian's chromium and chromium-driver")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(autouse=True)
def no_console_errors(browser: WebDriver) -> Iterator[None]:
    """Each test starts with an empty browser log and ends with no error in it."""
    browser.get_log("browser")
    yield
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == []


def wait_for(what: str, probe: Callable[[], T | None], timeout_s: float = WAIT_S, pause_s: float = 0.1) -> T:
    deadline = time.monotonic() + timeout_s
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"the page never showed {what}")
        time.sleep(pause_s)


def page_ready(driver: WebDriver, page: str) -> None:
    def ready() -> bool:
        root = driver.find_element(By.ID, "page")
        return root.get_attribute("data-page") == page and root.get_attribute("data-ready") == "1"

    wait_for(f"the {page} page", ready)


def open_page(driver: WebDriver, devnet: LantauNodeProcess, route: str, page: str) -> None:
    driver.get(f"{devnet.rpc_url}/#/{route}")
    page_ready(driver, page)


def field(driver: WebDriver, name: str) -> str:
    return driver.find_element(By.CSS_SELECTOR, f'#page tr[data-field="{name}"] td').text


def hkd_text(wei: int) -> str:
    whole, fraction = divmod(wei, 10**18)
    digits = str(fraction).rjust(18, "0").rstrip("0")
    return f"{whole}{'.' + digits if digits else ''} HKD ({wei} wei)"


def search(driver: WebDriver, term: str) -> None:
    box = driver.find_element(By.ID, "search-input")
    box.clear()
    box.send_keys(term)
    driver.find_element(By.CSS_SELECTOR, "#search button").click()


def rpc(devnet: LantauNodeProcess, method: str, *params: Any) -> Any:
    return devnet.rpc(method, list(params))


def send_reverting(devnet: LantauNodeProcess, payload: bytes) -> str:
    """A transaction from SENDER whose contract creation reverts with `payload`."""
    nonce = int(rpc(devnet, "eth_getTransactionCount", SENDER.address, "pending"), 16)
    tx = {"chainId": int(rpc(devnet, "eth_chainId"), 16), "nonce": nonce, "gas": 200_000, "maxFeePerGas": 10**11,
          "maxPriorityFeePerGas": 10**9, "value": 0, "data": reverting_initcode(payload)}
    raw = Account.sign_transaction(tx, SENDER.private_key).raw_transaction
    tx_hash = rpc(devnet, "eth_sendRawTransaction", "0x" + raw.hex())
    receipt = wait_for("the receipt", lambda: rpc(devnet, "eth_getTransactionReceipt", tx_hash))
    assert receipt["status"] == "0x0"
    return tx_hash


@pytest.fixture(scope="module")
def reverted_tx(devnet: LantauNodeProcess) -> str:
    return send_reverting(devnet, error_string(REVERT_TEXT))


HOME_SNAPSHOT = """
const cells = (selector) => Array.from(document.querySelectorAll(selector));
return {
  heads: Object.fromEntries(cells('#heads tr[data-head]').map((r) => [r.dataset.head, r.querySelector('td.number').textContent])),
  blocks: Object.fromEntries(cells('#latest-blocks tr[data-block]').map((r) => [r.dataset.block, r.textContent])),
  bars: cells('#gas-chart rect').length,
};
"""


def home_snapshot(driver: WebDriver) -> dict[str, Any]:
    """The home page's heads, block rows and chart bars, read at once: it redraws on every new
    head, so elements found one by one may be gone by the next read."""
    return driver.execute_script(HOME_SNAPSHOT)


def test_home_shows_the_heads_from_json_rpc_and_a_new_block_without_reload(browser: WebDriver, devnet: LantauNodeProcess) -> None:
    before = int(rpc(devnet, "eth_blockNumber"), 16)
    open_page(browser, devnet, "", "home")
    shown = home_snapshot(browser)
    status = rpc(devnet, "lantau_syncStatus")
    unsafe = int(shown["heads"]["unsafe"])
    assert before <= unsafe <= status["unsafe_l2"]["number"]
    assert int(shown["heads"]["finalized"]) <= int(shown["heads"]["safe"]) <= status["safe_l2"]["number"]
    block = rpc(devnet, "eth_getBlockByNumber", hex(unsafe), False)
    row = shown["blocks"][str(unsafe)]
    assert block["hash"][:10] in row and str(int(block["gasUsed"], 16)) in row
    assert shown["bars"] == min(unsafe + 1, 20)

    browser.execute_script("window.__notReloaded = true;")
    wait_for("a newer block", lambda: max(int(n) for n in home_snapshot(browser)["blocks"]) > unsafe)
    assert browser.execute_script("return window.__notReloaded === true;")
    assert "live" in browser.find_element(By.ID, "live").text


def test_block_page_shows_the_blocks_fields(browser: WebDriver, devnet: LantauNodeProcess) -> None:
    block = rpc(devnet, "eth_getBlockByNumber", "0x1", False)
    open_page(browser, devnet, "block/1", "block")
    assert field(browser, "hash") == block["hash"]
    assert field(browser, "gasUsed") == str(int(block["gasUsed"], 16))
    assert field(browser, "transactions") == str(len(block["transactions"]))
    assert len(browser.find_elements(By.CSS_SELECTOR, "#block-txs tr[data-tx]")) == len(block["transactions"])


def test_transaction_page_shows_a_deposits_fields(browser: WebDriver, devnet: LantauNodeProcess) -> None:
    deposit_hash = rpc(devnet, "eth_getBlockByNumber", "0x1", False)["transactions"][0]  # the L1 info deposit
    tx = rpc(devnet, "eth_getTransactionByHash", deposit_hash)
    receipt = rpc(devnet, "eth_getTransactionReceipt", deposit_hash)
    assert tx["type"] == "0x7e"
    open_page(browser, devnet, f"tx/{deposit_hash}", "tx")
    assert field(browser, "from") == tx["from"]
    assert field(browser, "to").lower() == tx["to"].lower() + " (l1block)"  # named from the predeploys
    assert field(browser, "status") == "success"
    assert field(browser, "gasUsed") == str(int(receipt["gasUsed"], 16))
    deposit = browser.find_element(By.ID, "deposit")
    assert tx["sourceHash"] in deposit.text
    assert len(browser.find_elements(By.CSS_SELECTOR, "#logs tr[data-log]")) == len(receipt["logs"])

    # decoded with L1Block's ABI from the artifacts: what the call set is what L1Block holds after it
    call = browser.find_element(By.ID, "decoded-call")
    assert "setL1BlockValues(" in call.text
    arg = lambda name: call.find_element(By.CSS_SELECTOR, f'tr[data-arg="{name}"] td.mono').text  # noqa: E731
    state_hash = rpc(devnet, "eth_call", {"to": L1_BLOCK, "data": "0x09bd5a60"}, "0x1")  # hash()
    state_number = int(rpc(devnet, "eth_call", {"to": L1_BLOCK, "data": "0x8381f58a"}, "0x1"), 16)  # number()
    assert arg("_hash") == state_hash and arg("_number") == str(state_number)
    log = browser.find_element(By.CSS_SELECTOR, "#logs tr[data-log]")
    assert "L1BlockValuesSet(uint64,bytes32,uint64)" in log.text
    assert log.find_element(By.CSS_SELECTOR, 'tr[data-arg="hash"] td.mono').text == state_hash


def test_transaction_page_shows_the_revert_reason(browser: WebDriver, devnet: LantauNodeProcess, reverted_tx: str) -> None:
    open_page(browser, devnet, f"tx/{reverted_tx}", "tx")
    assert field(browser, "status") == "reverted"
    assert REVERT_TEXT in field(browser, "revertReason")


def test_transaction_page_decodes_a_custom_error_of_the_projects_contracts(browser: WebDriver, devnet: LantauNodeProcess) -> None:
    tx_hash = send_reverting(devnet, CUSTOM_ERROR)
    open_page(browser, devnet, f"tx/{tx_hash}", "tx")
    assert field(browser, "revertReason") == "InsufficientBalance(balance=5, needed=7)"


def test_address_page_shows_balance_nonce_and_transactions(
    browser: WebDriver, devnet: LantauNodeProcess, reverted_tx: str
) -> None:
    open_page(browser, devnet, f"address/{SENDER.address}", "address")
    assert field(browser, "balance") == hkd_text(int(rpc(devnet, "eth_getBalance", SENDER.address, "latest"), 16))
    assert field(browser, "nonce") == str(int(rpc(devnet, "eth_getTransactionCount", SENDER.address, "latest"), 16))
    assert browser.find_elements(By.CSS_SELECTOR, f'#address-txs tr[data-tx="{reverted_tx}"]')


def test_search_finds_a_block_a_transaction_and_an_address_and_names_a_miss(
    browser: WebDriver, devnet: LantauNodeProcess, reverted_tx: str
) -> None:
    open_page(browser, devnet, "", "home")
    search(browser, "2")
    page_ready(browser, "block")
    assert field(browser, "number") == "2"

    block_hash = rpc(devnet, "eth_getBlockByNumber", "0x3", False)["hash"]
    search(browser, block_hash)
    page_ready(browser, "block")
    assert field(browser, "number") == "3"

    search(browser, reverted_tx)
    page_ready(browser, "tx")
    assert field(browser, "hash") == reverted_tx

    search(browser, SENDER.address)
    page_ready(browser, "address")
    assert field(browser, "address") == SENDER.address

    search(browser, "0x" + "ab" * 32)
    page_ready(browser, "notfound")
    assert "nothing matches" in browser.find_element(By.ID, "not-found").text


ASSET_FACTORY = "0x4200000000000000000000000000000000000803"


def view(devnet: LantauNodeProcess, to: str, signature: str, args: tuple[Any, ...] = (), returns: tuple[str, ...] = ("uint256",)) -> Any:
    argument_types = signature[signature.index("(") + 1:-1]
    data = function_signature_to_4byte_selector(signature) + (abi_encode(argument_types.split(","), list(args)) if args else b"")
    (value,) = abi_decode(list(returns), bytes.fromhex(rpc(devnet, "eth_call", {"to": to, "data": "0x" + data.hex()}, "latest")[2:]))
    return value


def test_rwa_pages_list_the_assets_and_a_holders_balance(browser: WebDriver, devnet: LantauNodeProcess) -> None:
    count = view(devnet, ASSET_FACTORY, "assetCount()")
    assert count > 0  # the devnet's sample issuance
    first = view(devnet, ASSET_FACTORY, "assets(uint256)", (0,), ("address",))
    symbol = view(devnet, first, "symbol()", returns=("string",))
    open_page(browser, devnet, "rwa", "rwa")
    rows = browser.find_elements(By.CSS_SELECTOR, "#rwa-assets tr[data-asset]")
    assert len(rows) == count
    assert symbol in browser.find_element(By.CSS_SELECTOR, f'#rwa-assets tr[data-asset="{first.lower()}"]').text

    search(browser, symbol.lower())
    page_ready(browser, "asset")
    assert field(browser, "symbol") == symbol
    decimals = view(devnet, first, "decimals()", returns=("uint8",))
    holders = browser.find_elements(By.CSS_SELECTOR, "#asset-holders tr[data-holder]")
    assert len(holders) == view(devnet, first, "holderCount()")
    for row in holders:
        balance = view(devnet, first, "balanceOf(address)", (row.get_attribute("data-holder"),))
        shown = row.find_element(By.CSS_SELECTOR, "td.balance").text
        assert Decimal(shown) == Decimal(balance) / 10**decimals


def test_unknown_pages_and_blocks_are_named_and_the_node_answers_on(browser: WebDriver, devnet: LantauNodeProcess) -> None:
    open_page(browser, devnet, "block/99999999", "notfound")
    assert browser.find_element(By.ID, "not-found").text == "no block 99999999"
    open_page(browser, devnet, "nonsense", "notfound")
    assert browser.find_element(By.ID, "not-found").text == "no page #/nonsense"
    assert int(rpc(devnet, "eth_blockNumber"), 16) > 0


def test_home_of_a_node_without_l1_shows_its_heads_from_the_block_tags(browser: WebDriver, tmp_path: Path) -> None:
    node = LantauNodeProcess(tmp_path / "node", block_time_s=0.0)
    try:
        node.start()
        head = rpc(node, "eth_getBlockByNumber", "latest", False)
        open_page(browser, node, "", "home")
        shown = home_snapshot(browser)
        assert shown["heads"]["unsafe"] == str(int(head["number"], 16))
        assert browser.find_element(By.CSS_SELECTOR, '#heads tr[data-head="unsafe"]').text.endswith("— (no L1)")
    finally:
        node.stop_or_kill()


IDENTITY_REGISTRY = "0x4200000000000000000000000000000000000800"


def test_address_page_shows_kyc_status_and_rwa_holdings(browser: WebDriver, devnet: LantauNodeProcess) -> None:
    asset = view(devnet, ASSET_FACTORY, "assets(uint256)", (0,), ("address",))
    open_page(browser, devnet, f"asset/{asset}", "asset")
    holder = browser.find_element(By.CSS_SELECTOR, "#asset-holders tr[data-holder]").get_attribute("data-holder")
    open_page(browser, devnet, f"address/{holder}", "address")
    kyc = browser.find_element(By.ID, "kyc")
    verified = view(devnet, IDENTITY_REGISTRY, "isVerified(address)", (holder,), ("bool",))
    assert kyc.find_element(By.CSS_SELECTOR, 'tr[data-field="verified"] td').text == str(verified).lower()
    country = view(devnet, IDENTITY_REGISTRY, "investorCountry(address)", (holder,), ("uint16",))
    assert kyc.find_element(By.CSS_SELECTOR, 'tr[data-field="country"] td').text == str(country)
    balance = view(devnet, asset, "balanceOf(address)", (holder,))
    decimals = view(devnet, asset, "decimals()", returns=("uint8",))
    shown = browser.find_element(By.CSS_SELECTOR, f'#address-holdings tr[data-asset="{asset.lower()}"] td.balance').text
    assert Decimal(shown) == Decimal(balance) / 10**decimals


def test_rollup_page_shows_the_output_roots_at_the_safe_heads(browser: WebDriver, devnet: LantauNodeProcess) -> None:
    open_page(browser, devnet, "rollup", "rollup")
    for head in ("safe", "finalized"):
        row = browser.find_element(By.CSS_SELECTOR, f'#outputs tr[data-head="{head}"]')
        number = int(row.find_element(By.CSS_SELECTOR, "a").text)
        output = rpc(devnet, "lantau_outputAtBlock", hex(number))
        assert row.find_element(By.CSS_SELECTOR, "td.root").text == output["outputRoot"]
    assert int(browser.find_element(By.CSS_SELECTOR, '#l1-view tr[data-l1="head_l1"] td.number').text) > 0


# --- the rollup page's L1 views -----------------------------------------------------------------

DEPOSITOR = dev_accounts()[6]  # an L1 HKD holder no devnet role sends from
WITHDRAWER = dev_accounts()[7]


def rollup_rows(driver: WebDriver, table_id: str, key: str) -> dict[str, dict[str, str]]:
    """Each row of a rollup-page table by its data-`key`, as {cell class: text} read at once."""
    return driver.execute_script(
        """const [id, key] = arguments;
        return Object.fromEntries(Array.from(document.querySelectorAll(`#${id} tr[data-${key}]`)).map((r) =>
          [r.dataset[key], Object.fromEntries(Array.from(r.querySelectorAll('td[class]')).map((c) => [c.className, c.textContent]))]));""",
        table_id, key)


def reopen_until(driver: WebDriver, devnet: LantauNodeProcess, what: str, probe: Callable[[], T | None], timeout_s: float = 90.0) -> T:
    """Reload the rollup page until `probe` finds what it looks for (it reads L1 once per load)."""

    def reloaded() -> T | None:
        driver.get(f"{devnet.rpc_url}/#/rollup")
        driver.refresh()
        page_ready(driver, "rollup")
        return probe()

    return wait_for(what, reloaded, timeout_s, pause_s=1.0)


def test_rollup_page_shows_batches_and_outputs_as_l1_records_them(browser: WebDriver, devnet: LantauNodeProcess) -> None:
    from web3 import Web3

    info = json.loads((devnet.data_dir / "devnet.json").read_text())
    l1 = Web3(Web3.HTTPProvider(info["l1_rpc"]))
    reopen_until(browser, devnet, "a batch and an output", lambda: rollup_rows(browser, "l1-batches", "l1tx") and rollup_rows(browser, "l1-outputs", "output"))
    batches = rollup_rows(browser, "l1-batches", "l1tx")
    inbox = json.loads(Path(info["rollup_config"]).read_text())["batch_inbox"].lower()
    for tx_hash, cells in batches.items():
        tx = l1.eth.get_transaction(tx_hash)  # each one the batcher's transaction to the inbox, its size exact
        assert tx["to"].lower() == inbox and tx["from"] == dev_accounts()[1].address
        assert int(cells["bytes"]) == len(tx["input"])
    oracle = l1.eth.contract(address=info["contracts"]["OutputOracle"], abi=list(load_artifact("OutputOracle").abi))
    outputs = rollup_rows(browser, "l1-outputs", "output")
    for index, cells in outputs.items():
        root, _, block = oracle.functions.getL2Output(int(index)).call()
        assert cells["mono root"] == "0x" + bytes(root).hex()[:8] + "…" + bytes(root).hex()[-6:]
    assert browser.find_element(By.ID, "disputes") is not None  # the devnet has a dispute game, with no game yet


def test_rollup_page_shows_a_deposit_and_a_withdrawal_at_each_stage(browser: WebDriver, devnet: LantauNodeProcess) -> None:
    from web3 import Web3

    from bridge.deposit_client import deposit_hkd
    from bridge.l1_contracts import L1Deployment

    info = json.loads((devnet.data_dir / "devnet.json").read_text())
    l1 = Web3(Web3.HTTPProvider(info["l1_rpc"]))
    deposit = deposit_hkd(l1, L1Deployment.load(devnet.data_dir / "l1-deployment.json"), DEPOSITOR.private_key,
                          to=DEPOSITOR.address, amount_units=3_000_000)
    l1_tx = "0x" + deposit.l1_tx_hash.hex()

    def deposit_stage() -> str | None:
        row = rollup_rows(browser, "deposits", "l1tx").get(l1_tx)
        return row["stage"] if row and row["stage"].startswith(("safe", "finalized")) else None

    stage = reopen_until(browser, devnet, "the deposit as safe", deposit_stage)
    receipt = rpc(devnet, "eth_getTransactionReceipt", "0x" + deposit.l2_tx_hash.hex())  # what the page names, from JSON-RPC
    assert receipt["status"] == "0x1" and f"(L2 block {int(receipt['blockNumber'], 16)})" in stage
    assert int(receipt["blockNumber"], 16) <= rpc(devnet, "lantau_syncStatus")["safe_l2"]["number"]

    # a withdrawal: a bare transfer to the passer withdraws to the sender's own L1 address
    signed = Account.sign_transaction({"to": "0x4200000000000000000000000000000000000016", "value": 2 * 10**18, "gas": 200_000,
                                       "maxFeePerGas": 10**11, "maxPriorityFeePerGas": 10**9, "chainId": int(rpc(devnet, "eth_chainId"), 16),
                                       "nonce": int(rpc(devnet, "eth_getTransactionCount", WITHDRAWER.address, "pending"), 16)},
                                      WITHDRAWER.private_key)
    l2_tx = rpc(devnet, "eth_sendRawTransaction", "0x" + signed.raw_transaction.hex())
    wait_for("the withdrawal's receipt", lambda: rpc(devnet, "eth_getTransactionReceipt", l2_tx))
    withdrawal_stage = lambda: rollup_rows(browser, "withdrawals", "l2tx").get(l2_tx, {}).get("stage")  # noqa: E731
    seen = {reopen_until(browser, devnet, "the withdrawal", withdrawal_stage)}
    bridge = [sys.executable, "-m", "node.cli", "bridge"]
    env = dict(os.environ, ETH_HASH_BACKEND="pysha3")
    subprocess.run([*bridge, "prove", l2_tx, "--devnet", str(devnet.data_dir), "--timeout", "120"], cwd=REPO_ROOT, env=env,
                   check=True, capture_output=True, timeout=180)
    seen.add(reopen_until(browser, devnet, "the withdrawal proven", lambda: (s := withdrawal_stage()) and s.startswith(("proven", "finalizable")) and s))
    subprocess.run([*bridge, "finalize", l2_tx, "--devnet", str(devnet.data_dir), "--timeout", "120"], cwd=REPO_ROOT, env=env,
                   check=True, capture_output=True, timeout=180)
    seen.add(reopen_until(browser, devnet, "the withdrawal finalized", lambda: withdrawal_stage() == "finalized" and "finalized"))
    assert seen & {"provable"} or any(s.startswith("waiting for output") for s in seen)
    assert any(s.startswith(("proven, finalizable at", "finalizable")) for s in seen) and "finalized" in seen


# --- RWA: classes, metadata, bond terms, corporate actions, values in HKD, compliance refusals ---

PRICE_FEED = "0x4200000000000000000000000000000000000806"
CORPORATE_ACTIONS = "0x4200000000000000000000000000000000000805"
ASSET_INFO = ("(uint8,string,string,string,bytes32)",)
BOND_TERMS = ("(uint256,uint32,uint8,uint64,uint64[])",)
NOT_KYC = dev_accounts()[9]  # the sample leaves it unregistered on purpose


def asset_by_symbol(devnet: LantauNodeProcess, symbol: str) -> str:
    for i in range(view(devnet, ASSET_FACTORY, "assetCount()")):
        address = view(devnet, ASSET_FACTORY, "assets(uint256)", (i,), ("address",))
        if view(devnet, address, "symbol()", returns=("string",)) == symbol:
            return address
    raise AssertionError(f"the devnet's sample has no {symbol}")


def hkd_units(wei: int) -> str:
    """HKD wei as the page writes an amount: whole units, then the fraction without trailing zeros."""
    whole, fraction = divmod(wei, 10**18)
    digits = str(fraction).rjust(18, "0").rstrip("0")
    return f"{whole}{'.' + digits if digits else ''}"


def test_rwa_page_lists_the_assets_by_class_with_identifier_and_price(browser: WebDriver, devnet: LantauNodeProcess) -> None:
    from rwa.types import AssetClass

    open_page(browser, devnet, "rwa", "rwa")
    rows = browser.execute_script("""return Array.from(document.querySelectorAll('#rwa-assets tr[data-asset]')).map((r) =>
        [r.dataset.asset, r.querySelector('td.class').textContent, r.querySelector('td.identifier').textContent, r.querySelector('td.price').textContent]);""")
    assert len(rows) == view(devnet, ASSET_FACTORY, "assetCount()")
    classes = []
    for address, shown_class, identifier, price in rows:
        asset_class, asset_identifier, _, _, _ = view(devnet, address, "assetInfo()", returns=ASSET_INFO)
        classes.append(asset_class)
        assert shown_class.lower() == AssetClass(asset_class).name.replace("_", "").lower()  # the contracts' enum name
        assert identifier == asset_identifier
        price_wei, _ = view(devnet, PRICE_FEED, "latestPriceUnchecked(address)", (address,), ("(uint256,uint64)",))
        assert Decimal(price) == Decimal(price_wei) / 10**18
    assert classes == sorted(classes)  # grouped by class


def test_search_finds_an_asset_by_its_identifier(browser: WebDriver, devnet: LantauNodeProcess) -> None:
    open_page(browser, devnet, "", "home")
    search(browser, "0005")  # the HKEX code of the tokenized stock
    page_ready(browser, "asset")
    assert field(browser, "identifier") == "0005" and field(browser, "class") == "HongKongStock"
    search(browser, "NO-SUCH-ISIN")
    page_ready(browser, "notfound")
    assert 'nothing matches "NO-SUCH-ISIN"' in browser.find_element(By.ID, "not-found").text


def test_asset_page_shows_bond_terms_and_a_paid_coupon_with_what_remains(browser: WebDriver, devnet: LantauNodeProcess) -> None:
    # A coupon is paid on a coupon date of the bond's terms: a note whose first date falls within
    # the test, issued by dev 0 (the devnet's deployer and agent) to two KYC'd investors of the sample.
    issuer = RWAClient.connect(devnet.rpc_url or "", dev_accounts()[0].private_key)
    now = issuer.chain_time()
    note = issuer.create_asset(AssetSpec(
        name="Explorer 6% note", symbol="EXN6", decimals=0, asset_class=AssetClass.AGRICULTURAL, identifier="EXPLORER-NOTE-6",
        issuer_name="Explorer test issuer", issuer=issuer.address, agents=(issuer.address,),
        bond=BondTerms(1_000 * 10**18, 60_000, 2, now + 365 * 86_400, (now + 40, now + 365 * 86_400))))
    issuer.mint(note.address, {dev_accounts()[4].address: 300, dev_accounts()[5].address: 700})
    asset = note.address
    paid = subprocess.run([sys.executable, "-m", "node.cli", "rwa", "coupon", "pay", asset, "--json", "--devnet", str(devnet.data_dir)],
                          cwd=REPO_ROOT, env=dict(os.environ, ETH_HASH_BACKEND="pysha3"), capture_output=True, text=True, timeout=180)
    assert paid.returncode == 0, paid.stderr
    distribution_id = json.loads(paid.stdout)["distribution_id"]
    assert json.loads(paid.stdout)["pay_time"] == now + 40
    open_page(browser, devnet, f"asset/{asset}", "asset")

    face, rate_ppm, per_year, _, _ = view(devnet, asset, "bondTerms()", returns=BOND_TERMS)
    terms = browser.find_element(By.ID, "bond-terms")
    assert terms.find_element(By.CSS_SELECTOR, 'tr[data-field="faceValue"] td').text == f"{hkd_units(face)} HKD"
    assert terms.find_element(By.CSS_SELECTOR, 'tr[data-field="couponRate"] td').text.endswith(f"({rate_ppm} ppm)")
    assert terms.find_element(By.CSS_SELECTOR, 'tr[data-field="couponsPerYear"] td').text == str(per_year)

    token, record_time, _, _, _, _, _, _, amount, _, paid_wei, *_ = view(
        devnet, CORPORATE_ACTIONS, "distribution(uint256)", (distribution_id,),
        ("(address,uint48,uint8,bool,bool,address,uint64,uint64,uint256,uint256,uint256,uint256,uint256,uint256)",))
    assert token.lower() == asset.lower() and paid_wei > 0
    row = browser.find_element(By.CSS_SELECTOR, f'#distributions tr[data-distribution="{distribution_id}"]')
    cell = lambda name: row.find_element(By.CSS_SELECTOR, f"td.{name}").text  # noqa: E731
    assert cell("amount") == f"{hkd_units(amount)} HKD" and cell("paid") == f"{hkd_units(paid_wei)} HKD"
    assert cell("remaining") == f"{hkd_units(amount - paid_wei)} HKD"
    assert cell("record") == time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(record_time))


def test_address_page_values_rwa_holdings_in_hkd(browser: WebDriver, devnet: LantauNodeProcess) -> None:
    holder = dev_accounts()[4].address  # holds the agricultural note and the stock in the sample
    open_page(browser, devnet, f"address/{holder}", "address")
    total, unpriced = 0, 0
    rows = browser.find_elements(By.CSS_SELECTOR, "#address-holdings tr[data-asset]")
    assert len(rows) >= 2
    for row in rows:
        asset = row.get_attribute("data-asset")
        balance = view(devnet, asset, "balanceOf(address)", (holder,))
        price_wei, updated_at = view(devnet, PRICE_FEED, "latestPriceUnchecked(address)", (asset,), ("(uint256,uint64)",))
        if updated_at == 0:  # never priced (e.g. a note issued by another test of this module): no value, nothing added
            assert row.find_element(By.CSS_SELECTOR, "td.value").text == "—"
            unpriced += 1
            continue
        value = balance * price_wei // 10 ** view(devnet, asset, "decimals()", returns=("uint8",))
        assert row.find_element(By.CSS_SELECTOR, "td.value").text == hkd_units(value)
        total += value
    not_counted = " (assets without a price not counted)" if unpriced else ""
    assert browser.find_element(By.ID, "holdings-total").text == f"Total RWA value: {hkd_units(total)} HKD{not_counted}"
    assert field(browser, "category") == "Retail (1)"  # the sample's individuals; named from the contracts' enum

    # its RWA transfers (the sample minted to it: no transaction of its own) add up to each balance
    moved: dict[str, Decimal] = {}
    for row in browser.execute_script("""return Array.from(document.querySelectorAll('#address-transfers tr[data-log]')).map((r) =>
            [r.querySelector('a[href^="#/asset/"]').getAttribute('href').slice(8), r.cells[3].textContent, r.querySelector('td.amount').textContent]);"""):
        asset, direction, amount = row
        moved[asset.lower()] = moved.get(asset.lower(), Decimal(0)) + (Decimal(amount) if direction == "in" else -Decimal(amount))
    for row in rows:
        asset = row.get_attribute("data-asset")
        assert moved[asset.lower()] == Decimal(row.find_element(By.CSS_SELECTOR, "td.balance").text)


def test_transaction_page_names_a_compliance_refusal_and_shows_the_call_tree(browser: WebDriver, devnet: LantauNodeProcess) -> None:
    asset = asset_by_symbol(devnet, "0005.HK")
    holder = dev_accounts()[7]
    data = function_signature_to_4byte_selector("transfer(address,uint256)") + abi_encode(["address", "uint256"], [NOT_KYC.address, 1])
    tx = {"chainId": int(rpc(devnet, "eth_chainId"), 16), "nonce": int(rpc(devnet, "eth_getTransactionCount", holder.address, "pending"), 16),
          "gas": 300_000, "maxFeePerGas": 10**11, "maxPriorityFeePerGas": 10**9, "to": to_checksum_address(asset), "value": 0, "data": data}
    tx_hash = rpc(devnet, "eth_sendRawTransaction", "0x" + Account.sign_transaction(tx, holder.private_key).raw_transaction.hex())
    receipt = wait_for("the receipt", lambda: rpc(devnet, "eth_getTransactionReceipt", tx_hash))
    assert receipt["status"] == "0x0"
    output = rpc(devnet, "debug_traceTransaction", tx_hash, {"tracer": "callTracer"})["output"]
    selector = "0x" + function_signature_to_4byte_selector("TransferNotCompliant(uint8,string)").hex()
    assert output.startswith(selector)
    code, reason = abi_decode(["uint8", "string"], bytes.fromhex(output[10:]))
    open_page(browser, devnet, f"tx/{tx_hash}", "tx")
    assert field(browser, "compliance") == f"code {code}: {reason}"
    assert "not KYC verified" in reason
    top = browser.find_element(By.CSS_SELECTOR, '#call-tree li[data-depth="0"]')
    assert "transfer(" in top.text and asset.lower()[:10] in top.text.lower()
    assert browser.find_elements(By.CSS_SELECTOR, '#call-tree li[data-depth="1"]')  # the token asked its compliance and registry

    # the asset's audit trail lists the refusal, found through the node's address index
    open_page(browser, devnet, f"asset/{asset}", "asset")
    row = browser.find_element(By.CSS_SELECTOR, f'#asset-refusals tr[data-tx="{tx_hash}"]')
    assert row.find_element(By.CSS_SELECTOR, "td.code").text == str(code)
    assert row.find_element(By.CSS_SELECTOR, "td.reason").text == reason


def test_transactions_by_address_come_from_the_index_and_bad_input_is_named(devnet: LantauNodeProcess, reverted_tx: str) -> None:
    listed = rpc(devnet, "lantau_getTransactionsByAddress", SENDER.address, "0x64")
    assert reverted_tx in [t["hash"] for t in listed]
    for t in listed:  # each where eth_getTransactionByHash puts it, newest first
        tx = rpc(devnet, "eth_getTransactionByHash", t["hash"])
        assert (tx["blockNumber"], tx["transactionIndex"]) == (t["blockNumber"], t["transactionIndex"])
        assert SENDER.address.lower() in (tx["from"].lower(), (tx["to"] or "").lower())
    assert [int(t["blockNumber"], 16) for t in listed] == sorted((int(t["blockNumber"], 16) for t in listed), reverse=True)
    for params, named in (([SENDER.address, "0x0"], "limit must be 1 to 1000"), (["0x1234", "0x1"], "invalid argument 0"),
                          ([SENDER.address, "0x1", "soon"], "invalid argument 2")):
        with pytest.raises(Exception, match="-32602") as refused:
            rpc(devnet, "lantau_getTransactionsByAddress", *params)
        assert named in str(refused.value)
    assert rpc(devnet, "lantau_getTransactionsByAddress", SENDER.address, "0x64")[-len(listed):] == listed  # nothing lost


def test_rwa_page_shows_a_freeze_in_the_compliance_audit_trail(browser: WebDriver, devnet: LantauNodeProcess) -> None:
    asset = asset_by_symbol(devnet, "KCWR")
    agent = dev_accounts()[0]  # the sample's agent of every asset
    data = function_signature_to_4byte_selector("setAddressFrozen(address,bool)") + abi_encode(["address", "bool"], [NOT_KYC.address, True])
    tx = {"chainId": int(rpc(devnet, "eth_chainId"), 16), "nonce": int(rpc(devnet, "eth_getTransactionCount", agent.address, "pending"), 16),
          "gas": 200_000, "maxFeePerGas": 10**11, "maxPriorityFeePerGas": 10**9, "to": to_checksum_address(asset), "value": 0, "data": data}
    tx_hash = rpc(devnet, "eth_sendRawTransaction", "0x" + Account.sign_transaction(tx, agent.private_key).raw_transaction.hex())
    receipt = wait_for("the receipt", lambda: rpc(devnet, "eth_getTransactionReceipt", tx_hash))
    assert receipt["status"] == "0x1"
    (log,) = receipt["logs"]
    key = f'#compliance-trail tr[data-log="{tx_hash}:{int(log["logIndex"], 16)}"]'

    def trail_row() -> Any:
        browser.get(f"{devnet.rpc_url}/#/rwa")
        browser.refresh()  # the page reads the logs once per load
        page_ready(browser, "rwa")
        rows = browser.find_elements(By.CSS_SELECTOR, key)
        return rows[0] if rows else None

    row = wait_for("the freeze in the audit trail", trail_row, pause_s=0.5)
    assert "KCWR" in row.text and "AddressFrozen(address,bool,address)" in row.text
    assert row.find_element(By.CSS_SELECTOR, 'tr[data-arg="account"] td.mono').text.lower() == NOT_KYC.address.lower()


def test_rollup_page_shows_a_dispute_game_and_the_output_it_disputes(browser: WebDriver, devnet: LantauNodeProcess) -> None:
    from bridge.l1_client import L1Client
    from bridge.l1_contract_clients import DisputeGameClient, DisputeGameFactoryClient, OutputOracleClient
    from bridge.tx_manager import TxManager

    info = json.loads((devnet.data_dir / "devnet.json").read_text())
    l1 = L1Client.connect(info["l1_rpc"])
    oracle = OutputOracleClient(l1, info["contracts"]["OutputOracle"])
    factory = DisputeGameFactoryClient(l1, info["contracts"]["DisputeGameFactory"])
    index = wait_for("an output on L1", lambda: oracle.next_output_index(), timeout_s=90, pause_s=1.0) - 1
    # a challenger claims another output root at the disputed block (a lie: the devnet's honest challenger answers it)
    factory.create(TxManager(l1, dev_accounts()[8].private_key), index, b"\x11" * 32)
    game = factory.game_of(index, oracle.l2_output(index).output_root)
    assert game is not None

    def shown() -> dict[str, str] | None:
        return rollup_rows(browser, "disputes", "game").get(game)

    cells = reopen_until(browser, devnet, "the dispute game", shown)
    status = ("IN_PROGRESS", "CHALLENGER_WINS", "DEFENDER_WINS")[DisputeGameClient(l1, game).status()]
    assert cells["status"] == status
    output_row = rollup_rows(browser, "l1-outputs", "output").get(str(index))
    assert output_row is not None and output_row["mono"].endswith(game[-6:])  # the output names its game


def test_transaction_page_decodes_array_arguments(browser: WebDriver, devnet: LantauNodeProcess) -> None:
    selector = "0x" + function_signature_to_4byte_selector("batchMint(address[],uint256[])").hex()
    issuer = dev_accounts()[0].address  # the sample issues every asset with batchMint
    listed = rpc(devnet, "lantau_getTransactionsByAddress", issuer, "0x3e8")
    tx = next(t for t in (rpc(devnet, "eth_getTransactionByHash", x["hash"]) for x in listed) if t["input"].startswith(selector))
    recipients, amounts = abi_decode(["address[]", "uint256[]"], bytes.fromhex(tx["input"][10:]))
    open_page(browser, devnet, f"tx/{tx['hash']}", "tx")
    call = browser.find_element(By.ID, "decoded-call")
    arg = lambda name: call.find_element(By.CSS_SELECTOR, f'tr[data-arg="{name}"] td.mono').text  # noqa: E731
    assert arg("to") == "[" + ", ".join(r.lower() for r in recipients) + "]"
    assert arg("amounts") == "[" + ", ".join(str(a) for a in amounts) + "]"


def test_rollup_lists_are_paged_bad_cursors_are_named_and_the_withdrawal_scan_is_shown(
    browser: WebDriver, devnet: LantauNodeProcess,
) -> None:
    """Batches one per page: the pages, followed by their `next` cursors, are the newest-first
    list; the withdrawal page says which L2 blocks it scanned; a bad limit or cursor is refused
    with -32602 naming it and the list answers as before; an older page opens by its URL."""
    wait_for("three batches on L1", lambda: len(rpc(devnet, "lantau_l1Batches", "0x64")["items"]) >= 3, timeout_s=60.0, pause_s=1.0)
    first = rpc(devnet, "lantau_l1Batches", "0x1")
    start = first["next"]  # the newest batch's sequence: a page before start + 1 begins with it
    paged, cursor = [first["items"][0]["l1TxHash"]], start
    for _ in range(2):
        answer = rpc(devnet, "lantau_l1Batches", "0x1", hex(cursor))
        paged.append(answer["items"][0]["l1TxHash"])
        cursor = answer["next"]
    fixed_page = rpc(devnet, "lantau_l1Batches", "0x3", hex(start + 1))
    assert [b["l1TxHash"] for b in fixed_page["items"]] == paged and len(set(paged)) == 3

    head = int(rpc(devnet, "eth_blockNumber"), 16)
    withdrawals = rpc(devnet, "lantau_bridgeWithdrawals", "0x64", hex(head + 1))
    assert withdrawals["scannedBlocks"] == {"from": max(0, head + 1 - 5_000), "to": head, "bound": 5_000}
    for method, params, named in (
        ("lantau_l1Outputs", ["0x0"], "limit must be 1 to 100, got 0"), ("lantau_bridgeDeposits", ["0x65"], "limit must be 1 to 100"),
        ("lantau_l1Batches", ["0x1", "soon"], "invalid argument 1: before:"),
        ("lantau_l1Outputs", ["0x1", hex(10**6)], "before must be 1 to"),
        ("lantau_bridgeWithdrawals", ["0x1", hex(head + 10**6)], "beforeBlock must be 1 to"),
        ("lantau_bridgeWithdrawals", ["0x1", "0x0"], "beforeBlock must be 1 to"),
    ):
        with pytest.raises(Exception, match="-32602") as refused:
            rpc(devnet, method, *params)
        assert named in str(refused.value)
    assert rpc(devnet, "lantau_l1Batches", "0x3", hex(start + 1)) == fixed_page  # nothing moved

    open_page(browser, devnet, f"rollup/withdrawals/{head + 1}", "rollup-list")
    bound = browser.find_element(By.CSS_SELECTOR, 'p.scan-bound[data-list="withdrawals"]').text
    assert bound == f"Scanned L2 blocks {max(0, head + 1 - 5_000)} to {head} (at most 5,000 blocks per page)."
    open_page(browser, devnet, f"rollup/batches/{start + 1}", "rollup-list")
    shown = [row.get_attribute("data-l1tx") for row in browser.find_elements(By.CSS_SELECTOR, "#l1-batches tr[data-l1tx]")]
    assert shown[:3] == paged


def test_a_price_older_than_the_feeds_maximum_age_is_flagged_stale(browser: WebDriver, devnet: LantauNodeProcess) -> None:
    """The PriceFeed owner (dev account 0) sets an asset's maximum age to 1 s: the feed's
    `latestPrice` now refuses its price as StalePrice, and the RWA and asset pages flag it; set
    back to the default (0), the flag goes."""
    owner = dev_accounts()[0]
    count = view(devnet, ASSET_FACTORY, "assetCount()")
    assets = [view(devnet, ASSET_FACTORY, "assets(uint256)", (i,), ("address",)) for i in range(count)]
    asset = next(a for a in assets if view(devnet, PRICE_FEED, "latestPriceUnchecked(address)", (a,), ("(uint256,uint64)",))[0] > 0)
    _, reported_at = view(devnet, PRICE_FEED, "latestPriceUnchecked(address)", (asset,), ("(uint256,uint64)",))

    def set_max_age(seconds: int) -> None:
        data = function_signature_to_4byte_selector("setMaxAge(address,uint64)") + abi_encode(["address", "uint64"], [asset, seconds])
        tx = {"chainId": int(rpc(devnet, "eth_chainId"), 16), "nonce": int(rpc(devnet, "eth_getTransactionCount", owner.address, "pending"), 16),
              "gas": 100_000, "maxFeePerGas": 10**11, "maxPriorityFeePerGas": 10**9, "to": PRICE_FEED, "value": 0, "data": data}
        tx_hash = rpc(devnet, "eth_sendRawTransaction", "0x" + Account.sign_transaction(tx, owner.private_key).raw_transaction.hex())
        assert wait_for("the receipt", lambda: rpc(devnet, "eth_getTransactionReceipt", tx_hash))["status"] == "0x1"

    def price_state() -> str:
        browser.get(f"{devnet.rpc_url}/#/rwa")
        browser.refresh()
        page_ready(browser, "rwa")
        (row,) = [r for r in browser.find_elements(By.CSS_SELECTOR, "#rwa-assets tr[data-asset]")
                  if r.get_attribute("data-asset").lower() == asset.lower()]
        return row.find_element(By.CSS_SELECTOR, "td.price-state").text

    assert price_state() == "current"
    set_max_age(1)
    try:
        wait_for("a block past the 1 s maximum age", lambda: int(rpc(devnet, "eth_getBlockByNumber", "latest", False)["timestamp"], 16) > reported_at + 1)
        flag = "older than the feed's maximum age of 1 s"
        state = price_state()
        assert state.startswith("stale: reported ") and state.endswith(flag)
        open_page(browser, devnet, f"asset/{asset}", "asset")
        assert field(browser, "priceState").endswith(flag)
    finally:
        set_max_age(0)
    assert price_state() == "current"


def test_rollup_page_shows_a_resolved_dispute_game(browser: WebDriver, devnet: LantauNodeProcess) -> None:
    """Kept last in the module: it moves the devnet's clock. The newest game (the one the dispute
    test above opened with a lie nobody defends; opened here if none is) outlives the devnet's
    chess clock after a warp of the whole devnet (`bridge.devnet.warp_devnet`: L1's clock and the
    sequencer's), the devnet's challenger resolves it, and the page shows the status and
    resolution time L1 gives."""
    from bridge.devnet import warp_devnet
    from bridge.l1_client import L1Client
    from bridge.l1_contract_clients import DisputeGameClient, DisputeGameFactoryClient, OutputOracleClient
    from bridge.tx_manager import TxManager

    info = json.loads((devnet.data_dir / "devnet.json").read_text())
    l1 = L1Client.connect(info["l1_rpc"])
    factory = DisputeGameFactoryClient(l1, info["contracts"]["DisputeGameFactory"])
    if factory.game_count() == 0:
        oracle = OutputOracleClient(l1, info["contracts"]["OutputOracle"])
        index = wait_for("an output on L1", lambda: oracle.next_output_index(), timeout_s=90, pause_s=1.0) - 1
        factory.create(TxManager(l1, dev_accounts()[8].private_key), index, b"\x11" * 32)
    game = DisputeGameClient(l1, factory.game_at(factory.game_count() - 1))
    warp_devnet(l1, info["l2_rpc"], game.info().max_clock_duration_s + 1)
    status = wait_for("the devnet's challenger to resolve the game", lambda: game.status(), timeout_s=90, pause_s=1.0)

    cells = reopen_until(browser, devnet, "the resolved game", lambda: (lambda row: row if row and row["status"] != "IN_PROGRESS" else None)(
        rollup_rows(browser, "disputes", "game").get(game.address)))
    assert cells["status"] == ("IN_PROGRESS", "CHALLENGER_WINS", "DEFENDER_WINS")[status]
    resolved_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(game.resolved_at()))
    row = browser.find_element(By.CSS_SELECTOR, f'#disputes tr[data-game="{game.address}"]')
    assert f"resolved {resolved_at}" in row.text
