"""SystemConfig on a real anvil: the deployed values, OP-shaped `ConfigUpdate` logs that
derivation can follow, owner-only changes with readable refusals, and the portal obeying new
deposit limits at once."""

from __future__ import annotations

from eth_abi import encode as abi_encode
from web3 import Web3

from tests.bridge.l1_harness import BATCHER_INDEX, L1

BATCHER, GAS_CONFIG, GAS_LIMIT, UNSAFE_BLOCK_SIGNER, DEPOSIT_LIMITS, BATCH_INBOX_TYPE = range(6)


def test_deployed_values(l1: L1) -> None:
    config = l1.config.functions
    batcher = l1.address(BATCHER_INDEX)
    assert config.batcher().call() == batcher
    assert config.batcherHash().call() == bytes(12) + bytes.fromhex(batcher[2:])
    assert config.batchInbox().call() == l1.deployment.batch_inbox
    assert config.unsafeBlockSigner().call() == l1.address(0)
    assert config.owner().call() == l1.address(0)
    assert config.gasLimit().call() == 30_000_000
    assert config.depositLimits().call() == (21_000, 20_000_000, 120_000)
    assert (config.minDepositGas().call(), config.maxDepositDataSize().call()) == (21_000, 120_000)
    assert config.minimumGasLimit(10).call() == 21_000 + 10 * 16


def test_deploy_emitted_one_config_update_per_setting(l1: L1) -> None:
    logs = l1.config.events.ConfigUpdate().get_logs(from_block=l1.deployment.deploy_block)
    updates = {int(log.args.updateType): bytes(log.args.data) for log in logs}
    assert all(log.args.version == 0 for log in logs)
    batcher = l1.address(BATCHER_INDEX)
    assert updates == {
        BATCHER: abi_encode(["bytes32"], [bytes(12) + bytes.fromhex(batcher[2:])]),
        GAS_LIMIT: abi_encode(["uint64"], [30_000_000]),
        UNSAFE_BLOCK_SIGNER: abi_encode(["address"], [l1.address(0)]),
        DEPOSIT_LIMITS: abi_encode(["uint64", "uint64", "uint32"], [21_000, 20_000_000, 120_000]),
        BATCH_INBOX_TYPE: abi_encode(["address"], [l1.deployment.batch_inbox]),
    }


def test_owner_changes_batcher_and_others_cannot(l1: L1) -> None:
    new_batcher = l1.address(7)
    revert = l1.revert_of(3, l1.config.functions.setBatcher(new_batcher))
    assert (revert.name, revert.args) == ("OwnableUnauthorizedAccount", (l1.address(3),))
    receipt = l1.ok(0, l1.config.functions.setBatcher(new_batcher))
    (update,) = l1.config.events.ConfigUpdate().process_receipt(receipt)
    assert (update.args.updateType, bytes(update.args.data)) == (
        BATCHER,
        abi_encode(["bytes32"], [bytes(12) + bytes.fromhex(new_batcher[2:])]),
    )
    assert l1.config.functions.batcher().call() == new_batcher


def test_gas_limit_must_hold_the_deposit_budget(l1: L1) -> None:
    # 20M of deposit gas per L1 block + 1M for the system transaction
    revert = l1.revert_of(0, l1.config.functions.setGasLimit(20_999_999))
    assert (revert.name, revert.args) == ("L2GasLimitTooLow", (20_999_999, 21_000_000))
    revert = l1.revert_of(0, l1.config.functions.setGasLimit(200_000_001))
    assert (revert.name, revert.args) == ("L2GasLimitTooHigh", (200_000_001, 200_000_000))
    revert = l1.revert_of(0, l1.config.functions.setDepositLimits((21_000, 29_500_000, 120_000)))
    assert (revert.name, revert.args) == ("L2GasLimitTooLow", (30_000_000, 30_500_000))
    # A budget that cannot fit one largest deposit (21_000 + 120_000 * 16 = 1_941_000) is refused.
    assert l1.revert_of(0, l1.config.functions.setDepositLimits((21_000, 1_940_999, 120_000))).name == (
        "InvalidDepositLimits"
    )


def test_portal_obeys_new_deposit_limits_at_once(l1: L1) -> None:
    l1.ok(0, l1.config.functions.setDepositLimits((30_000, 20_000_000, 100)))
    l1.ok(1, l1.hkd.functions.approve(l1.portal.address, 10**6))
    too_long = l1.portal.functions.depositHKD(l1.address(2), 10**6, 1_000_000, b"\x00" * 101)
    revert = l1.revert_of(1, too_long)
    assert (revert.name, revert.args) == ("DataTooLarge", (101, 100))
    below_new_base = l1.portal.functions.depositHKD(l1.address(2), 10**6, 29_999, b"")
    revert = l1.revert_of(1, below_new_base)
    assert (revert.name, revert.args) == ("GasLimitTooLow", (29_999, 30_000))
