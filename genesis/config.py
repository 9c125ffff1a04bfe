"""Genesis configuration: a geth-style genesis JSON with a `lantau` section for the L2.

Layout (all integers may be JSON numbers or 0x-hex strings, as geth accepts):

    {
      "config": {"chainId": 4852},
      "timestamp": "0x0", "gasLimit": "0x1c9c380", "baseFeePerGas": "0x3b9aca00",
      "extraData": "0x", "coinbase": "0x…",
      "alloc": {"0xADDRESS": {"balance": "0x…", "nonce": "0x0", "code": "0x…", "storage": {"0xSLOT": "0xVALUE"}}}
    }

Parsing is pure; a malformed file raises `ConfigError` naming the field.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from eth_typing import Address
from eth_utils import is_hex_address, to_canonical_address

from node.errors import ConfigError

DEVNET_GENESIS_PATH = Path(__file__).resolve().parent / "devnet.json"

#: Lantau's devnet L2 chain id. 852 is Hong Kong's international dialling code; 4852 is not
#: taken by a public network in the chain registries we know of.
DEVNET_L2_CHAIN_ID = 4852


@dataclass(frozen=True, slots=True)
class GenesisAccount:
    balance: int = 0
    nonce: int = 0
    code: bytes = b""
    storage: Mapping[int, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class GenesisConfig:
    chain_id: int
    timestamp: int
    gas_limit: int
    base_fee_per_gas: int
    extra_data: bytes
    coinbase: Address
    alloc: Mapping[Address, GenesisAccount]

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> "GenesisConfig":
        try:
            chain_id = _int(raw["config"]["chainId"], "config.chainId")
        except (KeyError, TypeError) as exc:
            raise ConfigError("genesis: missing config.chainId") from exc
        alloc: dict[Address, GenesisAccount] = {}
        for address, account in (raw.get("alloc") or {}).items():
            if not is_hex_address(address if address.startswith("0x") else "0x" + address):
                raise ConfigError(f"genesis: alloc key {address!r} is not an address")
            canonical = Address(to_canonical_address(address if address.startswith("0x") else "0x" + address))
            alloc[canonical] = GenesisAccount(
                balance=_int(account.get("balance", 0), f"alloc.{address}.balance"),
                nonce=_int(account.get("nonce", 0), f"alloc.{address}.nonce"),
                code=_bytes(account.get("code", "0x"), f"alloc.{address}.code"),
                storage={
                    _int(slot, f"alloc.{address}.storage key"): _int(value, f"alloc.{address}.storage[{slot}]")
                    for slot, value in (account.get("storage") or {}).items()
                },
            )
        coinbase = raw.get("coinbase", "0x" + "00" * 20)
        return cls(
            chain_id=chain_id,
            timestamp=_int(raw.get("timestamp", 0), "timestamp"),
            gas_limit=_int(raw.get("gasLimit", 30_000_000), "gasLimit"),
            base_fee_per_gas=_int(raw.get("baseFeePerGas", 1_000_000_000), "baseFeePerGas"),
            extra_data=_bytes(raw.get("extraData", "0x"), "extraData"),
            coinbase=Address(to_canonical_address(coinbase)),
            alloc=alloc,
        )

    @classmethod
    def load(cls, path: Path = DEVNET_GENESIS_PATH) -> "GenesisConfig":
        try:
            raw = json.loads(Path(path).read_text())
        except FileNotFoundError as exc:
            raise ConfigError(f"genesis file not found: {path}") from exc
        except json.JSONDecodeError as exc:
            raise ConfigError(f"genesis file {path} is not valid JSON: {exc}") from exc
        return cls.from_json(raw)

    def with_accounts(self, extra: Mapping[Address, GenesisAccount]) -> "GenesisConfig":
        """A copy with more accounts (predeploys) merged in; `extra` wins on conflicts."""
        merged = dict(self.alloc)
        merged.update(extra)
        return GenesisConfig(
            self.chain_id, self.timestamp, self.gas_limit, self.base_fee_per_gas,
            self.extra_data, self.coinbase, merged,
        )


def _int(value: Any, name: str) -> int:
    if isinstance(value, bool):
        raise ConfigError(f"genesis: {name} must be an integer, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value, 16) if value.lower().startswith("0x") else int(value)
        except ValueError:
            pass
    raise ConfigError(f"genesis: {name} must be an integer or 0x-hex string, got {value!r}")


def _bytes(value: Any, name: str) -> bytes:
    if isinstance(value, str) and value.startswith("0x"):
        try:
            return bytes.fromhex(value[2:])
        except ValueError:
            pass
    raise ConfigError(f"genesis: {name} must be 0x-prefixed hex, got {value!r}")
