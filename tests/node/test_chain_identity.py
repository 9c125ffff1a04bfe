"""A data dir keeps the rollup config it was first used with (node/chain_identity.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eth_utils import to_checksum_address

from genesis.l1_addresses import devnet_l1_addresses
from node.chain_identity import IDENTITY_FILE, DataDirOfAnotherChain, check_rollup_config

ROLLUP = {"l2_chain_id": 4852, "l1_chain_id": 900, "genesis": "/a/devnet.json", "l1_start_block": 18,
          "batch_inbox": to_checksum_address(devnet_l1_addresses()["BatchInbox"]), "contracts": {"LantauPortal": "0x" + "11" * 20}}


def test_the_first_rollup_config_is_kept_and_the_same_one_accepted_from_anywhere(tmp_path: Path) -> None:
    check_rollup_config(tmp_path, json.dumps(ROLLUP))
    stored = json.loads((tmp_path / IDENTITY_FILE).read_text())
    assert stored == {"rollup": {k: v for k, v in ROLLUP.items() if k != "genesis"}}
    check_rollup_config(tmp_path, json.dumps(dict(ROLLUP, genesis="/elsewhere/devnet.json")))  # a clone elsewhere


def test_another_rollup_config_is_refused_naming_what_differs(tmp_path: Path) -> None:
    check_rollup_config(tmp_path, json.dumps(ROLLUP))
    before = (tmp_path / IDENTITY_FILE).read_bytes()
    other = dict(ROLLUP, l1_start_block=40, contracts={"LantauPortal": "0x" + "22" * 20})
    with pytest.raises(DataDirOfAnotherChain, match=r"another rollup config \(contracts, l1_start_block differ from"):
        check_rollup_config(tmp_path, json.dumps(other))
    assert (tmp_path / IDENTITY_FILE).read_bytes() == before
