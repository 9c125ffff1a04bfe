"""L1 headers checked on L1 against anvil's real blocks: `node.l1_header.encode_l1_header` hashes
to the block hash (Prague fields); `L1BlockAnchors.verifyL1Header` reads number, timestamp, base
fee and hash of a header that is recent (`blockhash`), in EIP-2935's window (anvil 1.7.1 serves
the history contract), or walked back from an anchored hash; and refuses a
header of a reorged-out branch and a chain that does not reach a trusted hash, anchoring
nothing on the way."""

from __future__ import annotations

from typing import Any

import pytest
from eth_utils import keccak
from web3.exceptions import ContractCustomError

from genesis.artifacts import load_artifact
from node.l1_header import encode_l1_header
from tests.bridge.l1_harness import L1

HISTORY_STORAGE = "0x0000F90827F1C53a10cb7A02335B175320002935"
DEPLOYER = 0


def _deploy(l1: L1) -> Any:
    artifact = load_artifact("L1BlockAnchors")
    factory = l1.w3.eth.contract(abi=list(artifact.abi), bytecode=artifact.bytecode)
    receipt = l1.ok(DEPLOYER, factory.constructor())
    return l1.w3.eth.contract(address=receipt["contractAddress"], abi=list(artifact.abi))


def _header(l1: L1, number: int) -> bytes:
    return encode_l1_header(l1.w3.eth.get_block(number))


def _error(exc: pytest.ExceptionInfo[ContractCustomError], anchors: Any) -> str:
    selector = str(exc.value.data)[2:10]
    for entry in anchors.abi:
        if entry["type"] == "error":
            signature = f"{entry['name']}({','.join(i['type'] for i in entry['inputs'])})"
            if keccak(text=signature)[:4].hex() == selector:
                return str(entry["name"])
    raise AssertionError(f"unknown error {exc.value.data}")


def test_header_rlp_hashes_to_anvils_block_hash(l1: L1) -> None:
    l1.anvil.rpc("anvil_mine", [3])
    for number in (0, 1, l1.w3.eth.block_number):
        block = l1.w3.eth.get_block(number)
        assert keccak(encode_l1_header(block)) == bytes(block["hash"])
    assert "requestsHash" in block  # Prague: all 21 fields


def test_headers_checked_on_l1_within_and_beyond_blockhash(l1: L1) -> None:
    anchors = _deploy(l1)
    verify = anchors.functions.verifyL1Header
    # EIP-2935 on anvil 1.7.1: the history contract exists and serves parent hashes.
    assert len(l1.w3.eth.get_code(HISTORY_STORAGE)) > 0
    l1.anvil.rpc("anvil_mine", [300])
    head = l1.w3.eth.block_number
    old = head - 280  # beyond blockhash's 256, within EIP-2935's 8191
    assert bytes(l1.w3.eth.call({"to": HISTORY_STORAGE, "data": old.to_bytes(32, "big")})) == bytes(l1.w3.eth.get_block(old)["hash"])

    recent = head - 3
    fields = verify([_header(l1, recent)]).call()
    block = l1.w3.eth.get_block(recent)
    assert (bytes(fields[0]), fields[4], fields[5], fields[7]) == (bytes(block["hash"]), recent, block["timestamp"], block["baseFeePerGas"])
    assert bytes(verify([_header(l1, old)]).call()[0]) == bytes(l1.w3.eth.get_block(old)["hash"])

    # Anchor a block while L1 knows it, and walk back from it to older ones. (Letting L1 forget
    # it takes 8,192 more blocks: minutes of anvil mining under load, so not done here; past its
    # window `recentBlockHash` is 0 and only the anchored hash serves.)
    anchored = head - 1
    l1.ok(DEPLOYER, anchors.functions.anchor(anchored))
    assert bytes(anchors.functions.anchored(anchored).call()) == bytes(l1.w3.eth.get_block(anchored)["hash"])
    chain = [_header(l1, n) for n in range(anchored, anchored - 8, -1)]
    target = l1.w3.eth.get_block(anchored - 7)
    fields = verify(chain).call()
    assert (bytes(fields[0]), fields[4], fields[5], fields[7]) == (bytes(target["hash"]), target["number"], target["timestamp"], target["baseFeePerGas"])
    gas_1, gas_8 = verify(chain[:1]).estimate_gas(), verify(chain).estimate_gas()
    print(f"\nL1 gas of verifyL1Header: 1 header {gas_1:,}, 8 headers {gas_8:,} ({(gas_8 - gas_1) // 7:,} per header walked)")

    # A block not in the past cannot be anchored.
    with pytest.raises(ContractCustomError) as refused:
        anchors.functions.anchor(l1.w3.eth.block_number + 5).call()
    assert _error(refused, anchors) == "L1BlockHashUnavailable"
    # A chain with a gap (a header that is not the parent of the one before) is refused.
    with pytest.raises(ContractCustomError) as refused:
        verify([chain[0], chain[2]]).call()
    assert _error(refused, anchors) == "HeaderChainBroken"
    assert bytes(anchors.functions.anchored(old).call()) == bytes(32)


def test_header_of_a_reorged_branch_is_refused(l1: L1) -> None:
    anchors = _deploy(l1)
    verify = anchors.functions.verifyL1Header
    fork = l1.anvil.rpc("evm_snapshot")
    l1.anvil.rpc("anvil_mine", [3])
    base = l1.w3.eth.block_number - 3
    branch_a = [_header(l1, n) for n in range(base + 3, base, -1)]
    l1.anvil.rpc("evm_revert", [fork])
    l1.anvil.rpc("evm_setNextBlockTimestamp", [l1.w3.eth.get_block("latest")["timestamp"] + 100])
    l1.anvil.rpc("anvil_mine", [3])
    branch_b = [_header(l1, n) for n in range(base + 3, base, -1)]
    assert keccak(branch_a[0]) != keccak(branch_b[0])
    l1.ok(DEPLOYER, anchors.functions.anchor(base + 3))

    assert bytes(verify(branch_b).call()[0]) == keccak(branch_b[-1])
    with pytest.raises(ContractCustomError) as refused:
        verify(branch_a).call()
    assert _error(refused, anchors) == "UnanchoredL1Header"
    with pytest.raises(ContractCustomError) as refused:
        verify([branch_b[0], branch_a[1]]).call()
    assert _error(refused, anchors) == "HeaderChainBroken"
    # Nothing anchored on the way: the canonical hash stays.
    assert bytes(anchors.functions.anchored(base + 3).call()) == keccak(branch_b[0])
