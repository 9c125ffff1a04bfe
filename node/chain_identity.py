"""A data dir holds one rollup's chain: a node refuses to serve it against another rollup or L1.

Devnets share the L2 genesis and, being deployed the same way, the L1 contracts' addresses, so a
verifier restarted on the data dir of an old devnet used to serve that devnet's chain as if it
were the new one's, without a word. Two checks at start, before any service runs:

- `check_rollup_config`: DATA_DIR/chain-identity.json keeps the rollup config (its consensus
  fields) the chain was first derived under; a different one is refused, naming the fields.
- `check_chain_on_l1`: the L1 origin of the chain's block 1 (its first, deepest one) must be a
  block of the given L1, with the same hash. A new anvil has other hashes (or no such block).

The genesis itself is checked by `Chain.open` (the stored genesis hash).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from eth_utils import encode_hex

from node.chain import Chain
from node.derive.l1_source import L1Source
from node.errors import DataDirOfAnotherChain
from node.l1_info import read_l1_origin

IDENTITY_FILE = "chain-identity.json"
# Where the genesis file lives is no part of the chain (its hash is, and Chain.open checks it).
_NOT_CONSENSUS = ("genesis",)



def check_rollup_config(data_dir: Path, rollup_json: str) -> None:
    """Refuse a data dir first used with another rollup config; remember this one otherwise."""
    given = {k: v for k, v in json.loads(rollup_json).items() if k not in _NOT_CONSENSUS}
    path = Path(data_dir) / IDENTITY_FILE
    if path.exists():
        stored: dict[str, Any] = json.loads(path.read_text())["rollup"]
        differing = sorted(k for k in stored.keys() | given.keys() if stored.get(k) != given.get(k))
        if differing:
            raise DataDirOfAnotherChain(
                f"data dir {data_dir} holds the chain of another rollup config ({', '.join(differing)} differ from"
                f" {path}): give a fresh --data-dir for this rollup"
            )
        return
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps({"rollup": given}, indent=1) + "\n")
    tmp.replace(path)


def check_chain_on_l1(chain: Chain, l1: L1Source, data_dir: Path | None = None) -> None:
    """Refuse a chain whose first L1 origin is not a block of `l1` (blocking: reads L1)."""
    if chain.head.block_number == 0:
        return
    first = chain.header_by_number(1)
    origin = read_l1_origin(chain.state_at(first))
    if origin is None:
        return
    on_l1 = l1.block_by_number(origin.number)
    if on_l1 is None or on_l1.hash != origin.hash:
        here = "no such block" if on_l1 is None else encode_hex(on_l1.hash)
        raise DataDirOfAnotherChain(
            f"data dir {data_dir or ''} holds a chain derived from another L1: its block 1 has L1 origin {origin.number}"
            f" {encode_hex(origin.hash)}, this L1 has {here} there (an old devnet's data?): give a fresh --data-dir"
        )
