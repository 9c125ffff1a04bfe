"""Token powers peers have and users ask for (issue 17, features): batch burn, freeze, partial
freeze and forced transfer; ERC-1643 documents; a supply cap; `setName`/`setSymbol`; ERC-165.
Every refusal leaves the state as it was."""

from __future__ import annotations

import pytest
from eth_utils import keccak

from tests.rwa.rwa_chain import HK_STOCK, LANTAU_FORCED_TRANSFER, PRECIOUS_METAL, Chain, RWASystem, events

pytestmark = pytest.mark.rwa_backends("l2")


def _name(text: str) -> bytes:
    return text.encode().ljust(32, b"\x00")


def test_batch_agent_operations(chain: Chain, rwa: RWASystem) -> None:
    issuer = chain.new_address("batch issuer", fund_wei=10**21)
    holders = [chain.new_address(f"batch holder {i}", fund_wei=10**21) for i in range(3)]
    rwa.register(holders)
    token = rwa.create_asset(issuer=issuer, agents=[issuer], name="Batch Co", symbol="BAT", asset_class=HK_STOCK,
                             decimals=0)
    t = token.functions
    chain.send(t.batchMint(holders, [100, 200, 300]), issuer)
    assert chain.expect_revert(t.batchBurn(holders, [1, 2]), issuer).name == "LengthMismatch"
    chain.send(t.batchBurn(holders[:2], [10, 20]), issuer)
    chain.send(t.batchFreezePartialTokens(holders, [5, 6, 7]), issuer)
    chain.send(t.batchSetAddressFrozen(holders[:2], [True, True]), issuer)
    assert [t.balanceOf(h).call() for h in holders] == [90, 180, 300]
    assert [t.frozenTokens(h).call() for h in holders] == [5, 6, 7]
    assert [t.isFrozen(h).call() for h in holders] == [True, True, False]
    # One legal order moves two frozen holders' tokens; a missing reference refuses the whole batch.
    batch = ([holders[0], holders[1]], [holders[2], holders[2]], [90, 180])
    assert chain.expect_revert(t.batchForcedTransfer(*batch, ""), issuer).name == "LegalReferenceRequired"
    assert [t.balanceOf(h).call() for h in holders] == [90, 180, 300]
    receipt = chain.send(t.batchForcedTransfer(*batch, "Receivership order HCCW 5/2026"), issuer)
    assert [e["legalReference"] for e in events(token, LANTAU_FORCED_TRANSFER, receipt)] == ["Receivership order HCCW 5/2026"] * 2
    assert [t.balanceOf(h).call() for h in holders] == [0, 0, 570]


def test_documents_supply_cap_and_token_information(chain: Chain, rwa: RWASystem) -> None:
    issuer = chain.new_address("vault issuer", fund_wei=10**21)
    holder = chain.new_address("gold holder", fund_wei=10**21)
    rwa.register([holder])
    token = rwa.create_asset(issuer=issuer, agents=[issuer], name="Gold Claim", symbol="GLD",
                             asset_class=PRECIOUS_METAL, decimals=0)
    t = token.functions

    certificate = keccak(text="vault certificate, bar list 2026-01")
    chain.send(t.setDocument(_name("vault-certificate"), "ipfs://bafy-vault-2026-01", certificate), issuer)
    chain.send(t.setDocument(_name("assay-report"), "https://example.org/assay.pdf", keccak(text="assay")), issuer)
    uri, digest, modified = t.getDocument(_name("vault-certificate")).call()
    assert (uri, digest) == ("ipfs://bafy-vault-2026-01", certificate) and modified > 0
    assert t.getAllDocuments().call() == [_name("vault-certificate"), _name("assay-report")]
    assert chain.expect_revert(t.setDocument(_name("x"), "u", certificate), holder).name == "NotAgent"
    revert = chain.expect_revert(t.setDocument(_name("empty-uri"), "", certificate), issuer)
    assert (revert.name, revert.args) == ("InvalidDocument", (_name("empty-uri"),))
    chain.send(t.removeDocument(_name("vault-certificate")), issuer)
    assert t.getAllDocuments().call() == [_name("assay-report")]
    revert = chain.expect_revert(t.removeDocument(_name("vault-certificate")), issuer)
    assert (revert.name, revert.args) == ("DocumentNotFound", (_name("vault-certificate"),))

    chain.send(t.setMaxSupply(1_000), issuer)
    rwa.attest_reserve(token, issuer, 2_000)  # metal claims mint against attested metal; the cap binds first here
    chain.send(t.mint(holder, 1_000), issuer)
    revert = chain.expect_revert(t.mint(holder, 1), issuer)
    assert (revert.name, revert.args) == ("SupplyCapExceeded", (1_000, 1_001))
    assert t.totalSupply().call() == 1_000
    assert chain.expect_revert(t.setMaxSupply(999), issuer).name == "InvalidMaxSupply"

    assert chain.expect_revert(t.setName("Renamed"), holder).name == "NotOwner"
    chain.send(t.setName("Gold Claim (LBMA good delivery)"), issuer)
    chain.send(t.setSymbol("GLDX"), issuer)
    assert (t.name().call(), t.symbol().call()) == ("Gold Claim (LBMA good delivery)", "GLDX")

    erc165, erc20, erc1643 = bytes.fromhex("01ffc9a7"), bytes.fromhex("36372b07"), _erc1643_id()
    assert t.supportsInterface(erc165).call() and t.supportsInterface(erc20).call()
    assert t.supportsInterface(erc1643).call() and not t.supportsInterface(bytes.fromhex("ffffffff")).call()


def _erc1643_id() -> bytes:
    """XOR of the four ERC-1643 selectors, computed here from their signatures."""
    selectors = ("getDocument(bytes32)", "setDocument(bytes32,string,bytes32)", "removeDocument(bytes32)",
                 "getAllDocuments()")
    value = 0
    for signature in selectors:
        value ^= int.from_bytes(keccak(text=signature)[:4], "big")
    return value.to_bytes(4, "big")
