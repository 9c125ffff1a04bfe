"""The start-up banner: dev accounts, keys, mnemonic, chain ids and URLs, like anvil prints.

`devnet_info` is the same information as JSON, for scripts (`devnet.json`), and
`wallet_add_ethereum_chain` the EIP-3085 parameters a wallet needs (native currency HKD).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from genesis.dev_accounts import DERIVATION_PATH_PREFIX, TEST_MNEMONIC, DevAccount


DEVNET_INFO_FILE = "devnet.json"


def read_devnet_info(directory: Path) -> dict[str, Any]:
    """What a running `lantau devnet` wrote to DIR/devnet.json, for the `--devnet DIR` options."""
    path = Path(directory) / DEVNET_INFO_FILE
    if not path.exists():
        raise typer.BadParameter(f"no {DEVNET_INFO_FILE} in {directory}: is `lantau devnet --data-dir {directory}` running?", param_hint="--devnet")
    return dict(json.loads(path.read_text()))


def wallet_add_ethereum_chain(chain_id: int, rpc_url: str) -> dict[str, Any]:
    return {
        "chainId": hex(chain_id),
        "chainName": "Lantau devnet",
        "nativeCurrency": {"name": "Hong Kong Dollar", "symbol": "HKD", "decimals": 18},
        "rpcUrls": [rpc_url],
    }


def devnet_info(*, chain_id: int, rpc_url: str, ws_url: str, accounts: tuple[DevAccount, ...], balance_wei: dict[str, int]) -> dict[str, Any]:
    return {
        "l2_rpc": rpc_url,
        "l2_ws": ws_url,
        "explorer": rpc_url + "/",  # the block explorer the node serves (node/explorer)
        "l2_chain_id": chain_id,
        "mnemonic": TEST_MNEMONIC,
        "derivation_path": DERIVATION_PATH_PREFIX,
        "accounts": [
            {"index": a.index, "address": a.address, "private_key": a.private_key, "balance_wei": str(balance_wei.get(a.address, 0))}
            for a in accounts
        ],
        "wallet_addEthereumChain": wallet_add_ethereum_chain(chain_id, rpc_url),
    }


def format_banner(info: dict[str, Any]) -> str:
    lines = [
        "",
        "  _      ___   _  _  _____  ___  _   _",
        " | |    / _ \\ | \\| ||_   _|/ _ \\| | | |",
        " | |__ |  _  || .` |  | | |  _  | |_| |",
        " |____||_| |_||_|\\_|  |_| |_| |_|\\___/   HKD settlement rollup",
        "",
        "Available Accounts",
        "==================",
    ]
    for account in info["accounts"]:
        hkd = int(account["balance_wei"]) / 10**18
        lines.append(f"({account['index']}) {account['address']} ({hkd:,.2f} HKD)")
    lines += ["", "Private Keys", "=================="]
    lines += [f"({a['index']}) {a['private_key']}" for a in info["accounts"]]
    lines += [
        "",
        "Wallet",
        "==================",
        f"Mnemonic:          {info['mnemonic']}",
        f"Derivation path:   {info['derivation_path']}",
        "",
        f"L2 Chain ID:       {info['l2_chain_id']}",
    ]
    if "l1_chain_id" in info:
        lines.append(f"L1 Chain ID:       {info['l1_chain_id']}")
    if "l1_rpc" in info:
        lines.append(f"L1 RPC:            {info['l1_rpc']}")
    lines += [
        f"L2 RPC (HTTP):     {info['l2_rpc']}",
        f"L2 RPC (WS):       {info['l2_ws']}",
        f"Explorer:          {info['explorer']}",
    ]
    for name, address in (info.get("contracts") or {}).items():
        lines.append(f"  {name:<22} {address}")
    lines += ["", "wallet_addEthereumChain (EIP-3085 params, JSON)", "==================",
              json.dumps(info["wallet_addEthereumChain"]), ""]
    return "\n".join(lines)


def format_ready(info: dict[str, Any], info_path: Path) -> str:
    """The last line a devnet prints at start: from here on it is the user's (dev account 0 is
    no longer sending the sample), and `info_path` holds the JSON for scripts."""
    return f"Ready: L2 RPC {info['l2_rpc']}; explorer {info['explorer']}; {info_path} written (Ctrl-C stops the devnet and removes it)"
