"""The devnet's deployment predicts the L1 block its set-up ends in (`InputOracle.l1StartBlock`,
the rollup's `l1_start_block`: docs/fault-proofs.md, "Devnet wiring") from the transactions still
to come, one block each on an automining L1. If the set-up ends in another block, the oracle was
given a start the rollup would not have: the deployment is refused by name, nothing is returned
(so `lantau devnet` saves no address book and no rollup config).

Here another L1 user sends a transaction in the middle of the set-up, after `InputOracle` was
deployed (a real transfer on the real anvil, mined in its own block), so the set-up ends one
block later than predicted."""

from __future__ import annotations

from typing import Any

import pytest
from web3 import Web3
from web3.providers import HTTPProvider

from bridge.anvil import AnvilOptions, AnvilProcess
from bridge.devnet import deploy_devnet_contracts
from bridge.l1_client import L1Client
from bridge.l1_contracts import DEVNET_L1_DEPLOY_ORDER, L1DeploymentError
from genesis.config import GenesisConfig
from genesis.dev_accounts import dev_accounts

#: The deployer's transactions before the other user's: every deployment up to DerivationBisection's
#: (`DEVNET_L1_DEPLOY_ORDER`, the last) and the challenger hand-over after it.
INTERFERE_AFTER = DEVNET_L1_DEPLOY_ORDER.index("DerivationBisection") + 1 + 1


class AnotherUserInTheMiddle(HTTPProvider):
    """The anvil at `url`, where dev account 9 sends 1 wei to dev account 8 right after the
    deployer's `after`-th raw transaction."""

    def __init__(self, url: str, after: int) -> None:
        super().__init__(url, request_kwargs={"timeout": 60})
        self.after, self.sent = after, 0
        self.other_tx: Any = None

    def make_request(self, method: Any, params: Any) -> Any:
        reply = super().make_request(method, params)
        if method == "eth_sendRawTransaction":
            self.sent += 1
            if self.sent == self.after:
                other = {"from": dev_accounts()[9].address, "to": dev_accounts()[8].address, "value": "0x1"}
                self.other_tx = super().make_request("eth_sendTransaction", [other])["result"]
        return reply


@pytest.mark.e2e
def test_a_set_up_that_ends_in_another_block_than_predicted_is_refused_by_name() -> None:
    genesis = GenesisConfig.load()
    with AnvilProcess(AnvilOptions()) as anvil:
        provider = AnotherUserInTheMiddle(anvil.rpc_url, INTERFERE_AFTER)
        w3 = Web3(provider)
        with pytest.raises(L1DeploymentError) as refused:
            deploy_devnet_contracts(L1Client(w3), genesis)
        assert provider.other_tx is not None, "the other user's transaction was sent"
        head = w3.eth.block_number
        message = str(refused.value)
        # the set-up's last block is one later than the block InputOracle was given
        assert f"the set-up ended in L1 block {head}, InputOracle was given {head - 1}" in message
        assert "needs an automining L1" in message
        other = w3.eth.get_transaction_receipt(provider.other_tx)
        assert other["status"] == 1 and head - 1 > other["blockNumber"] > 0  # mined in the middle, in a block of its own

    # The same set-up on a quiet automining L1 ends where it predicted: the rollup's start.
    with AnvilProcess(AnvilOptions()) as anvil:
        l1 = L1Client(Web3(HTTPProvider(anvil.rpc_url, request_kwargs={"timeout": 60})))
        deployment = deploy_devnet_contracts(l1, genesis)
        assert deployment.deploy_block == l1.head().number
        oracle = l1.contract("InputOracle", deployment.input_oracle or "")
        assert l1.call(oracle.functions.l1StartBlock()) == deployment.deploy_block
