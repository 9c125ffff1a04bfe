"""The interpreter's state between two instructions, as segmented execution hands it between L1
transactions (docs/fault-proofs.md, "Segmented execution"): the Python mirror of
`contracts/src/L1/proof/MachineState.sol`, giving the same ABI bytes and the same commitment.

    machine = Machine.from_abi(returned_tuple)      # what an entry point returned (eth_call)
    commitment(machine) == OneStepProof's recorded hash for the step

Field meanings are the Solidity struct's; flags are its `ACC_*`, `SLOT_*`, `FRAME_*` constants.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_typing import Hash32
from eth_utils import keccak, to_checksum_address

FRAME_STATIC, FRAME_CREATE = 1, 2
SLOT_USED, SLOT_WITNESSED = 1, 2
ACC_EXISTS, ACC_PRE_EXISTS, ACC_CREATED, ACC_DESTRUCTED, ACC_TOUCHED, ACC_USED, ACC_CODE_COUNTED = 1, 2, 4, 8, 16, 32, 64
(JOURNAL_ACCOUNT, JOURNAL_SLOT, JOURNAL_WARM_ACCOUNT, JOURNAL_WARM_SLOT, JOURNAL_REFUND, JOURNAL_LOGS,
 JOURNAL_TRANSIENT) = range(7)

_COUNTS = "(uint256,uint256,uint256,uint256,uint256,uint256)"
_FRAME = ("(address,address,address,uint256,uint256,uint256,uint256[],bytes,bytes,bytes,bytes,uint256,uint256,"
          "uint256,uint256,uint256,uint256)")
_SLOT = "(bytes32,bytes32,bytes32,uint256)"
_ACCOUNT = f"(address,uint256,uint256,uint256,bytes32,bytes,{_SLOT}[],uint256,uint256,bytes32,bytes32)"
_JOURNAL = "(uint256,uint256,uint256,bytes32)"
#: `MachineState.Machine` as an ABI type (tests/contracts/test_machine_state.py checks it against
#: the compiled struct).
MACHINE_ABI = (f"(bytes32,bytes32,uint256,{_COUNTS},uint256,{_FRAME}[],{_ACCOUNT}[],{_JOURNAL}[],address[],"
               "(address,bytes32,bool)[],(address,bytes32,bytes32)[],address[],bytes[])")


def _address(value: bytes | str) -> str:
    return to_checksum_address(value)


@dataclass(frozen=True, slots=True)
class Counts:
    opcodes: int = 0
    accounts: int = 0
    slots: int = 0
    code_bytes: int = 0
    memory_bytes: int = 0
    frames: int = 0

    def abi_tuple(self) -> tuple[int, ...]:
        return (self.opcodes, self.accounts, self.slots, self.code_bytes, self.memory_bytes, self.frames)


@dataclass(frozen=True, slots=True)
class Frame:
    self_address: bytes
    caller: bytes
    code_address: bytes
    value: int = 0
    pc: int = 0
    gas: int = 0
    stack: tuple[int, ...] = ()  # bottom first
    memory: bytes = b""
    input: bytes = b""
    return_data: bytes = b""
    init_code: bytes = b""
    flags: int = 0
    depth: int = 0
    journal_mark: int = 0
    out_offset: int = 0
    out_length: int = 0
    memory_counted: int = 0

    def abi_tuple(self) -> tuple[Any, ...]:
        return (_address(self.self_address), _address(self.caller), _address(self.code_address), self.value,
                self.pc, self.gas, list(self.stack), self.memory, self.input, self.return_data, self.init_code,
                self.flags, self.depth, self.journal_mark, self.out_offset, self.out_length, self.memory_counted)


@dataclass(frozen=True, slots=True)
class Slot:
    key: bytes
    original: bytes
    current: bytes
    flags: int = 0

    def abi_tuple(self) -> tuple[Any, ...]:
        return (self.key, self.original, self.current, self.flags)


@dataclass(frozen=True, slots=True)
class Account:
    address: bytes
    flags: int
    nonce: int
    balance: int
    code_hash: bytes
    code: bytes = b""
    slots: tuple[Slot, ...] = ()
    pre_nonce: int = 0
    pre_balance: int = 0
    pre_code_hash: bytes = b"\x00" * 32
    storage_root: bytes = b"\x00" * 32

    def abi_tuple(self) -> tuple[Any, ...]:
        return (_address(self.address), self.flags, self.nonce, self.balance, self.code_hash, self.code,
                [s.abi_tuple() for s in self.slots], self.pre_nonce, self.pre_balance, self.pre_code_hash,
                self.storage_root)


@dataclass(frozen=True, slots=True)
class JournalEntry:
    kind: int
    index: int
    field: int
    old: bytes

    def abi_tuple(self) -> tuple[Any, ...]:
        return (self.kind, self.index, self.field, self.old)


@dataclass(frozen=True, slots=True)
class Machine:
    step_id: bytes
    pre_state_hash: bytes
    segments: int = 0
    counts: Counts = Counts()
    refund: int = 0
    frames: tuple[Frame, ...] = ()  # outermost first
    accounts: tuple[Account, ...] = ()
    journal: tuple[JournalEntry, ...] = ()  # oldest first
    warm_accounts: tuple[bytes, ...] = ()
    warm_slots: tuple[tuple[bytes, bytes, bool], ...] = ()  # (address, key, warm)
    transient_slots: tuple[tuple[bytes, bytes, bytes], ...] = ()  # (address, key, value)
    counted_accounts: tuple[bytes, ...] = ()
    logs: tuple[bytes, ...] = field(default=())  # each log's RLP

    def abi_tuple(self) -> tuple[Any, ...]:
        return (
            self.step_id, self.pre_state_hash, self.segments, self.counts.abi_tuple(), self.refund,
            [f.abi_tuple() for f in self.frames], [a.abi_tuple() for a in self.accounts],
            [j.abi_tuple() for j in self.journal], [_address(a) for a in self.warm_accounts],
            [(_address(a), k, w) for a, k, w in self.warm_slots],
            [(_address(a), k, v) for a, k, v in self.transient_slots],
            [_address(a) for a in self.counted_accounts], list(self.logs),
        )

    @classmethod
    def from_abi(cls, value: Sequence[Any]) -> "Machine":
        """From the decoded ABI tuple (eth_abi's or web3's return value of a `Machine`)."""
        (step_id, pre_hash, segments, counts, refund, frames, accounts, journal, warm, warm_slots, transient,
         counted, logs) = value
        return cls(
            step_id=bytes(step_id), pre_state_hash=bytes(pre_hash), segments=segments, counts=Counts(*counts),
            refund=refund,
            frames=tuple(Frame(_raw(f[0]), _raw(f[1]), _raw(f[2]), f[3], f[4], f[5], tuple(f[6]), bytes(f[7]),
                               bytes(f[8]), bytes(f[9]), bytes(f[10]), *f[11:]) for f in frames),
            accounts=tuple(Account(_raw(a[0]), a[1], a[2], a[3], bytes(a[4]), bytes(a[5]),
                                   tuple(Slot(bytes(s[0]), bytes(s[1]), bytes(s[2]), s[3]) for s in a[6]),
                                   a[7], a[8], bytes(a[9]), bytes(a[10])) for a in accounts),
            journal=tuple(JournalEntry(j[0], j[1], j[2], bytes(j[3])) for j in journal),
            warm_accounts=tuple(_raw(a) for a in warm),
            warm_slots=tuple((_raw(a), bytes(k), bool(w)) for a, k, w in warm_slots),
            transient_slots=tuple((_raw(a), bytes(k), bytes(v)) for a, k, v in transient),
            counted_accounts=tuple(_raw(a) for a in counted),
            logs=tuple(bytes(log) for log in logs),
        )


def _raw(address: bytes | str) -> bytes:
    return bytes.fromhex(address[2:]) if isinstance(address, str) else bytes(address)


def encode(machine: Machine) -> bytes:
    """`abi.encode(machine)`, the bytes the commitment hashes."""
    return abi_encode([MACHINE_ABI], [machine.abi_tuple()])


def decode(data: bytes) -> Machine:
    (value,) = abi_decode([MACHINE_ABI], data)
    return Machine.from_abi(value)


def commitment(machine: Machine) -> Hash32:
    """`MachineState.commitment`: keccak256 of the machine's ABI encoding."""
    return Hash32(keccak(encode(machine)))
