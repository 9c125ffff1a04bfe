"""HKD L1 -> L2 -> L1 on a whole `lantau devnet` (anvil, contracts, sequencer, batcher,
proposer), driven through the `lantau bridge` CLI as a user would, ending with the supply
invariant (L2 native HKD == portal HKD x 10**12) checked exactly over every account of the L2
state, after withdrawals that L1 would refuse were tried as well."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import rlp
from eth_account import Account
from trie import HexaryTrie
from trie.iter import NodeIterator
from web3 import Web3

from genesis.artifacts import load_artifact
from genesis.dev_accounts import dev_accounts
from node.db import LevelDB
from tests.harness.node_process import REPO_ROOT, LantauNodeProcess

ALICE, BOB = dev_accounts()[0], dev_accounts()[4]
PASSER = "0x4200000000000000000000000000000000000016"


def lantau(*args: str, timeout_s: float = 300) -> dict:
    """Run a `lantau` CLI command; return the JSON line it prints."""
    done = subprocess.run([sys.executable, "-m", "node.cli", *args], cwd=REPO_ROOT, capture_output=True, text=True,
                          timeout=timeout_s, env=dict(os.environ, ETH_HASH_BACKEND="pysha3"))
    assert done.returncode == 0, f"lantau {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def l2_supply_from_state(data_dir: Path, state_root: bytes) -> tuple[int, int]:
    """(native HKD wei, number of accounts) over every account in the state trie under
    `state_root`, read straight from a stopped node's LevelDB: no list of known holders, so HKD
    that sits anywhere (a contract, a fresh address, the passer before `burn()`) is counted."""
    db = LevelDB(data_dir / "chaindata", create_if_missing=False)
    try:
        balances = [int.from_bytes(rlp.decode(account)[1], "big") for account in NodeIterator(HexaryTrie(db, state_root)).values()]
    finally:
        db.close()
    return sum(balances), len(balances)


def test_round_trip_through_the_cli(node_factory, tmp_path: Path) -> None:
    devnet_dir = tmp_path / "devnet"
    devnet = node_factory(data_dir=devnet_dir, command="devnet", block_time_s=1, extra_args=("--no-sample",))
    info = json.loads((devnet_dir / "devnet.json").read_text())
    l1, l2 = Web3(Web3.HTTPProvider(info["l1_rpc"])), Web3(Web3.HTTPProvider(info["l2_rpc"]))
    hkd = l1.eth.contract(address=info["contracts"]["HKDStablecoin"], abi=list(load_artifact("HKDStablecoin").abi))
    portal = info["contracts"]["LantauPortal"]
    passer = l2.eth.contract(address=Web3.to_checksum_address(PASSER), abi=list(load_artifact("L2ToL1MessagePasser").abi))

    bob_l1_before = hkd.functions.balanceOf(BOB.address).call()
    alice_l1_before = hkd.functions.balanceOf(ALICE.address).call()
    deposited = lantau("bridge", "deposit", "--amount", "1000", "--to", BOB.address, "--devnet", str(devnet_dir))
    assert lantau("bridge", "status", deposited["l1_tx"], "--devnet", str(devnet_dir))["stage"] == "deposit credited on L2"
    # a transfer on L2
    signed = Account.sign_transaction({"to": ALICE.address, "value": 10**18, "gas": 21_000, "maxFeePerGas": 10**11,
                                       "maxPriorityFeePerGas": 10**9, "nonce": l2.eth.get_transaction_count(BOB.address),
                                       "chainId": l2.eth.chain_id}, BOB.private_key)
    l2.eth.wait_for_transaction_receipt(l2.eth.send_raw_transaction(signed.raw_transaction), timeout=30)

    started = lantau("bridge", "withdraw", "--amount", "250.25", "--to", BOB.address, "--key", BOB.private_key, "--devnet", str(devnet_dir))
    status = lantau("bridge", "status", started["l2_tx"], "--devnet", str(devnet_dir))
    assert status["stage"] in ("waiting for output", "provable") and status["amount_l1_units"] == 250_250_000
    proven = lantau("bridge", "prove", started["l2_tx"], "--devnet", str(devnet_dir), "--timeout", "240")
    assert lantau("bridge", "withdrawal-status", started["l2_tx"], "--devnet", str(devnet_dir))["stage"].startswith("proven")
    finalized = lantau("bridge", "finalize", started["l2_tx"], "--devnet", str(devnet_dir), "--timeout", "120")
    assert lantau("bridge", "withdrawal-status", started["l2_tx"], "--devnet", str(devnet_dir))["stage"] == "finalized"

    # Exact to the cent on L1: Alice paid 1000 into the portal for Bob, Bob got 250.25 back.
    assert hkd.functions.balanceOf(ALICE.address).call() == alice_l1_before - 1_000_000_000
    assert hkd.functions.balanceOf(BOB.address).call() == bob_l1_before + 250_250_000
    # The 250.25 HKD left the portal; on L2 it waits in the passer until burned.
    assert l2.eth.get_balance(Web3.to_checksum_address(PASSER)) == 250_250_000 * 10**12
    print(f"\nL1 gas: prove {proven['l1_gas']:,}, finalize {finalized['l1_gas']:,}")

    # Withdrawals L1 would never pay: the CLI refuses before signing, and the same withdrawals
    # sent anyway fail on L2 without taking the HKD (before issue 9 the passer took them, and
    # `burn()` below destroyed HKD the portal still holds).
    for target, message in ((portal, "BadTarget"), (info["contracts"]["HKDStablecoin"], "BadTarget")):
        refused = subprocess.run([sys.executable, "-m", "node.cli", "bridge", "withdraw", "--amount", "1", "--to", target,
                                  "--key", BOB.private_key, "--devnet", str(devnet_dir)],
                                 cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, env=dict(os.environ, ETH_HASH_BACKEND="pysha3"))
        assert refused.returncode == 1 and message in refused.stderr, refused.stderr
    for target, value, gas_limit in ((BOB.address, 10**12 + 1, 100_000), (portal, 10**18, 100_000),
                                     (info["contracts"]["HKDStablecoin"], 10**18, 100_000),
                                     ("0x" + "00" * 20, 10**18, 100_000), (BOB.address, 10**18, 30_000_000)):
        tx = passer.functions.initiateWithdrawal(Web3.to_checksum_address(target), gas_limit, b"").build_transaction(
            {"from": BOB.address, "value": value, "nonce": l2.eth.get_transaction_count(BOB.address), "gas": 200_000,
             "chainId": l2.eth.chain_id})
        receipt = l2.eth.wait_for_transaction_receipt(
            l2.eth.send_raw_transaction(Account.sign_transaction(tx, BOB.private_key).raw_transaction), timeout=30)
        assert receipt["status"] == 0, (target, value, gas_limit)
    assert l2.eth.get_balance(Web3.to_checksum_address(PASSER)) == 250_250_000 * 10**12

    burn = passer.functions.burn().build_transaction({"from": ALICE.address, "nonce": l2.eth.get_transaction_count(ALICE.address),
                                                       "chainId": l2.eth.chain_id, "gas": 200_000})
    l2.eth.wait_for_transaction_receipt(l2.eth.send_raw_transaction(Account.sign_transaction(burn, ALICE.private_key).raw_transaction), timeout=30)
    assert l2.eth.get_balance(Web3.to_checksum_address(PASSER)) == 0

    # Finalizing twice is refused, and nothing moves.
    again = subprocess.run([sys.executable, "-m", "node.cli", "bridge", "finalize", started["l2_tx"], "--devnet", str(devnet_dir), "--timeout", "5"],
                           cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert again.returncode == 1 and "already finalized" in again.stderr
    assert hkd.functions.balanceOf(BOB.address).call() == bob_l1_before + 250_250_000

    # The supply invariant, exactly, over the whole L2 state: native HKD == portal HKD x 10**12
    # (the devnet minted the genesis supply to the portal as its opening backing). Nothing is in
    # flight (every deposit was credited, every withdrawal paid or burned), so an L2 block and the
    # L1 balance read together describe the same moment; the L2 state is read after the node
    # stopped, from its own database.
    backing_units = hkd.functions.balanceOf(portal).call()
    block = l2.eth.get_block("latest")
    devnet.stop(timeout_s=30)
    supply_wei, accounts = l2_supply_from_state(devnet_dir, bytes(block["stateRoot"]))
    assert accounts > len(dev_accounts()) + 3  # dev accounts, vaults, predeploys, the CLI's fresh ones …
    assert supply_wei == backing_units * 10**12


def test_proposer_restarts_without_gaps(node_factory, tmp_path: Path) -> None:
    devnet_dir = tmp_path / "devnet"
    node_factory(data_dir=devnet_dir, command="devnet", block_time_s=1, extra_args=("--no-proposer", "--no-sample"))
    info = json.loads((devnet_dir / "devnet.json").read_text())
    l1 = Web3(Web3.HTTPProvider(info["l1_rpc"]))
    oracle = l1.eth.contract(address=info["contracts"]["OutputOracle"], abi=list(load_artifact("OutputOracle").abi))

    def start_proposer() -> subprocess.Popen[str]:
        return subprocess.Popen([sys.executable, "-m", "node.cli", "proposer", "--devnet", str(devnet_dir)], cwd=REPO_ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True,
                                env=dict(os.environ, ETH_HASH_BACKEND="pysha3"))

    def wait_outputs(count: int, timeout_s: float = 180) -> None:
        deadline = time.monotonic() + timeout_s
        while oracle.functions.nextOutputIndex().call() < count:
            assert time.monotonic() < deadline, f"fewer than {count} outputs"
            time.sleep(0.5)

    proposer = start_proposer()
    try:
        wait_outputs(2)
        proposer.kill()  # kill -9, mid-interval
        proposer.wait()
        time.sleep(3)
        proposer = start_proposer()
        wait_outputs(4)
    finally:
        proposer.kill()
        proposer.wait()
    numbers = [oracle.functions.getL2Output(i).call()[2] for i in range(oracle.functions.nextOutputIndex().call())]
    interval = oracle.functions.submissionInterval().call()
    assert numbers == [interval * (i + 1) for i in range(len(numbers))]  # in order, no gap, no duplicate
