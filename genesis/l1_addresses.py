"""What the L2 genesis must know of L1: the addresses of the devnet's L1 contracts and the gas
an L1 block holds. The one place these are written down on the genesis side.

The L2's `L2ToL1MessagePasser` refuses withdrawals that the L1 portal would never pay (to the
portal, to the HKD token, with a gas limit no L1 block fits), so the genesis writes the portal's
and the token's L1 addresses into its storage, as the OP Stack's L2 genesis writes the L1
addresses its predeploys talk to. On a devnet they are known before anything is deployed: a
fresh anvil, dev account #0 deploying its contracts as its first transactions, in
`DEVNET_L1_DEPLOY_ORDER`, so each address is CREATE(deployer, nonce). `bridge.devnet` checks
after deploying that L1 matches the genesis, and refuses to start otherwise.
"""

from __future__ import annotations

from typing import Final

import rlp
from eth_typing import Address
from eth_utils import keccak, to_canonical_address

from genesis.dev_accounts import dev_accounts

#: The order (= deployer nonce) in which `bridge.l1_contracts.deploy_l1_contracts` deploys.
#: Append only: every address is CREATE(deployer, position). After the five the genesis needs come
#: the L1 block anchors and the dispute game's contracts (docs/fault-proofs.md, "The game"); the
#: game's blueprint is `OutputDisputeGame`'s creation code deployed as code, followed by the code
#: of its leaf steps, `OutputDisputeGameLeaves` (named by the factory's games); then the input leaf's
#: `BatchReader`, `BlobReader` and `InputOracle` (the factory, deployed before them, names the oracle's address);
#: then the derivation bisection's leaf `DerivationStep` and `DerivationBisection` (named by the
#: factory's games the same way).
DEVNET_L1_DEPLOY_ORDER: Final = ("HKDStablecoin", "SystemConfig", "OutputOracle", "LantauPortal", "BatchInbox",
                                 "L1BlockAnchors", "EVMTx", "EVMPrecompiles", "EVMStep", "OneStepProof",
                                 "BlockFinishLeaf", "OutputDisputeGame", "OutputDisputeGameLeaves", "DisputeGameFactory",
                                 "BatchReader", "BlobReader", "InputOracle", "DerivationStep", "DerivationBisection")
#: Dev account of the test mnemonic that deploys the devnet's L1 contracts.
DEVNET_L1_DEPLOYER_INDEX: Final = 0
#: Gas limit of an L1 block on the devnet: anvil's default. A public L1's is of the same order.
DEVNET_L1_BLOCK_GAS_LIMIT: Final = 30_000_000

#: L1 gas a withdrawal's finalization needs besides its call: the transaction's intrinsic gas
#: and fixed calldata, the portal's checks and records, the HKD transfer, the event, and the
#: 40,000 the portal keeps around the call (`CALL_GAS_BUFFER`). Measured at about 110,000 on
#: anvil (tests/bridge/test_withdrawals.py prints it); reserved with a wide margin.
FINALIZE_RESERVE_GAS: Final = 300_000


def create_address(sender: Address, nonce: int) -> Address:
    """The address of a contract created by `sender`'s transaction of `nonce` (CREATE)."""
    return Address(keccak(rlp.encode([sender, nonce]))[12:])


def devnet_l1_addresses() -> dict[str, Address]:
    """Contract name -> address of the devnet's L1 contracts, as a fresh anvil gets them."""
    deployer = Address(to_canonical_address(dev_accounts()[DEVNET_L1_DEPLOYER_INDEX].address))
    return {name: create_address(deployer, nonce) for nonce, name in enumerate(DEVNET_L1_DEPLOY_ORDER)}


def max_withdrawal_gas_limit(l1_block_gas_limit: int) -> int:
    """The largest gas limit (plus its data's share) a withdrawal's L1 call may ask for, so
    that finalizing it fits one L1 block: the portal must hold `gasLimit * 64 / 63` (EIP-150
    passes a call at most 63/64 of the gas left) on top of `FINALIZE_RESERVE_GAS`."""
    if l1_block_gas_limit <= FINALIZE_RESERVE_GAS:
        raise ValueError(f"an L1 block of {l1_block_gas_limit} gas cannot finalize any withdrawal")
    return (l1_block_gas_limit - FINALIZE_RESERVE_GAS) * 63 // 64
