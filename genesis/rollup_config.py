"""The rollup configuration: everything a verifier needs, besides an L1 endpoint, to rebuild
the L2 chain from L1 data alone. `lantau devnet` writes it as `rollup.json`.

    {
      "l2_chain_id": 4852, "l1_chain_id": 900, "genesis": "genesis/devnet.json",
      "l1_start_block": 21,
      "batch_inbox": "0xff00…4852", "batcher_address": "0x7099…79C8",
      "contracts": {"LantauPortal": "0x…", "SystemConfig": "0x…", "HKDStablecoin": "0x…"},
      "sequencing_window": 40, "channel_timeout": 20, "max_sequencer_drift": 600,
      "proof_cost_limits": {"max_opcodes": …, "max_accounts": …, "max_slots": …, "max_code_bytes": …,
                            "max_memory_bytes": …, "max_frames": …}
    }

`genesis` is a path, relative to the file that names it. `proof_cost_limits` may be left out
(the devnet's, `DEVNET_PROOF_COST_LIMITS`, apply); it is a consensus rule, so every node of a
chain must use the same one (docs/fault-proofs.md, "Proof-cost rule").
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Mapping

from eth_utils import is_hex_address, to_checksum_address

from node.errors import ConfigError


@dataclass(frozen=True, slots=True)
class ProofCostLimits:
    """Per-transaction caps on what makes re-executing a transaction on L1 expensive (the
    proof-cost rule, enforced by `node.vm`; the arithmetic is in docs/fault-proofs.md)."""

    max_opcodes: int  #     instructions dispatched, all frames (the STOP past the end of code included)
    max_accounts: int  #    distinct addresses accessed (EIP-2929 accessed addresses + precompiles used)
    max_slots: int  #       distinct (address, slot) storage keys accessed
    max_code_bytes: int  #  bytes of every distinct code read in full, plus every creation's init code
    max_memory_bytes: int  # memory of every frame at its largest, summed over all frames
    max_frames: int  #      call frames entered (the top frame, every call and creation, precompiles too)

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> "ProofCostLimits":
        limits = cls(**{name: int(raw[name]) for name in cls.__slots__})  # type: ignore[attr-defined]
        if min(limits.abi_tuple()) < 1:
            raise ValueError(f"proof_cost_limits must be positive: {raw}")
        return limits

    def abi_tuple(self) -> tuple[int, ...]:
        """The caps in field order: `StepTypes.ProofCostLimits` as eth_abi / web3 take it."""
        return tuple(getattr(self, name) for name in self.__slots__)  # type: ignore[attr-defined]


#: The devnet's caps. Each is the largest round number whose worst-case transaction stays
#: provable on L1 (docs/fault-proofs.md, "Proof-cost rule"); bench/proof_costs.py shows the
#: project's own workloads beside them.
DEVNET_PROOF_COST_LIMITS = ProofCostLimits(
    max_opcodes=250_000, max_accounts=128, max_slots=512, max_code_bytes=98_304,
    max_memory_bytes=262_144, max_frames=1_024,
)


#: The rollup windows of every chain that does not set its own (the devnet's), in L1 blocks
#: and seconds; their meaning is in `node.derive.config.RollupDerivationConfig`. Short, so a
#: devnet's safe head moves, and forced inclusion shows, within seconds.
SEQUENCING_WINDOW = 40
CHANNEL_TIMEOUT = 20
MAX_SEQUENCER_DRIFT = 600


@dataclass(frozen=True, slots=True)
class RollupConfig:
    l2_chain_id: int
    l1_chain_id: int
    genesis: Path
    l1_start_block: int
    batch_inbox: str
    batcher_address: str
    contracts: Mapping[str, str] = field(default_factory=dict)
    sequencing_window: int = SEQUENCING_WINDOW
    channel_timeout: int = CHANNEL_TIMEOUT
    max_sequencer_drift: int = MAX_SEQUENCER_DRIFT
    proof_cost_limits: ProofCostLimits = DEVNET_PROOF_COST_LIMITS

    def to_json(self) -> str:
        raw = asdict(self)
        raw["genesis"] = str(self.genesis)
        raw["contracts"] = dict(self.contracts)
        return json.dumps(raw, indent=2) + "\n"

    @classmethod
    def from_json(cls, raw: Mapping[str, Any], *, base_dir: Path) -> "RollupConfig":
        try:
            config = cls(
                l2_chain_id=int(raw["l2_chain_id"]),
                l1_chain_id=int(raw["l1_chain_id"]),
                genesis=(base_dir / raw["genesis"]).resolve(),
                l1_start_block=int(raw["l1_start_block"]),
                batch_inbox=_address(raw["batch_inbox"], "batch_inbox"),
                batcher_address=_address(raw["batcher_address"], "batcher_address"),
                contracts={name: _address(a, f"contracts.{name}") for name, a in (raw.get("contracts") or {}).items()},
                sequencing_window=int(raw.get("sequencing_window", SEQUENCING_WINDOW)),
                channel_timeout=int(raw.get("channel_timeout", CHANNEL_TIMEOUT)),
                max_sequencer_drift=int(raw.get("max_sequencer_drift", MAX_SEQUENCER_DRIFT)),
                proof_cost_limits=(
                    ProofCostLimits.from_json(raw["proof_cost_limits"])
                    if raw.get("proof_cost_limits") is not None
                    else DEVNET_PROOF_COST_LIMITS
                ),
            )
        except KeyError as exc:
            raise ConfigError(f"rollup config: missing {exc.args[0]}") from exc
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"rollup config: {exc}") from exc
        if "LantauPortal" not in config.contracts:
            raise ConfigError("rollup config: contracts.LantauPortal is required (deposits are read from it)")
        return config

    @classmethod
    def load(cls, path: Path) -> "RollupConfig":
        try:
            raw = json.loads(Path(path).read_text())
        except FileNotFoundError as exc:
            raise ConfigError(f"rollup config not found: {path}") from exc
        except json.JSONDecodeError as exc:
            raise ConfigError(f"rollup config {path} is not valid JSON: {exc}") from exc
        return cls.from_json(raw, base_dir=Path(path).resolve().parent)

    def save(self, path: Path) -> None:
        Path(path).write_text(self.to_json())


def _address(value: Any, name: str) -> str:
    if not isinstance(value, str) or not is_hex_address(value):
        raise ValueError(f"{name} is not an address: {value!r}")
    return to_checksum_address(value)
