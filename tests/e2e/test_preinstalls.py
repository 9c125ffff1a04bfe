"""The preinstalls at work on a real `lantau node`: a contract deployed through the CREATE2
deployer lands at the CREATE2 address, and web3.py's Multicall3.aggregate3 batches calls."""

from __future__ import annotations

from eth_account import Account
from eth_utils import keccak, to_checksum_address
from web3 import Web3
from web3.middleware import SignAndSendRawMiddlewareBuilder

from genesis.artifacts import load_artifact
from genesis.dev_accounts import dev_accounts
from genesis.predeploys import CREATE2_DEPLOYER, MULTICALL3
from genesis.preinstalls import load_preinstall

ALICE = dev_accounts()[0]
PROBE = load_artifact("Probe")


def _web3(url: str) -> Web3:
    w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 30}))
    w3.middleware_onion.inject(SignAndSendRawMiddlewareBuilder.build(Account.from_key(ALICE.private_key)), layer=0)
    w3.eth.default_account = ALICE.address
    return w3


def create2_address(deployer: bytes, salt: bytes, init_code: bytes) -> str:
    """EIP-1014: keccak256(0xff ‖ deployer ‖ salt ‖ keccak256(init_code))[12:]."""
    return to_checksum_address(keccak(b"\xff" + deployer + salt + keccak(init_code))[12:])


def test_create2_deployer_and_multicall3(node_factory) -> None:
    w3 = _web3(node_factory(block_time_s=0).rpc_url)
    deployer = to_checksum_address(CREATE2_DEPLOYER)
    assert w3.eth.get_code(deployer) == load_preinstall("DeterministicDeploymentProxy").deployed_bytecode

    # The deployer takes salt ‖ init code and returns the new address (20 bytes).
    salt = keccak(text="lantau preinstall test")
    expected = create2_address(CREATE2_DEPLOYER, salt, PROBE.bytecode)
    tx = {"to": deployer, "data": salt + PROBE.bytecode}
    assert w3.eth.call(tx) == bytes.fromhex(expected[2:])
    receipt = w3.eth.wait_for_transaction_receipt(w3.eth.send_transaction(tx), timeout=30)
    assert receipt["status"] == 1
    assert w3.eth.get_code(expected) == PROBE.deployed_bytecode
    probe = w3.eth.contract(address=expected, abi=list(PROBE.abi))
    receipt = w3.eth.wait_for_transaction_receipt(probe.functions.set(42, "via create2").transact(), timeout=30)
    assert receipt["status"] == 1
    # The same salt and code again: the address is taken, the deployer reverts.
    assert w3.eth.wait_for_transaction_receipt(w3.eth.send_transaction({**tx, "gas": 300_000}), timeout=30)["status"] == 0

    multicall = w3.eth.contract(address=to_checksum_address(MULTICALL3), abi=list(load_preinstall("Multicall3").abi))
    calls = [
        (expected, False, probe.encode_abi("value")),
        (multicall.address, False, multicall.encode_abi("getChainId")),
        (expected, True, probe.encode_abi("set", args=[2_000_000, "x"])),  # reverts TooLarge; may fail
    ]
    block = w3.eth.block_number
    results = multicall.functions.aggregate3(calls).call(block_identifier=block)
    assert [success for success, _ in results] == [True, True, False]
    assert int.from_bytes(results[0][1], "big") == 42
    assert int.from_bytes(results[1][1], "big") == w3.eth.chain_id
    assert results[2][1] == keccak(text="TooLarge(uint256,uint256)")[:4] + (2_000_000).to_bytes(32, "big") + (1_000_000).to_bytes(32, "big")
    assert multicall.functions.getBlockNumber().call(block_identifier=block) == block
