"""What every `lantau` command shares with the person typing it: one parser of addresses, values
shown as people read them, and errors in one line that say what to do.

- `parse_address`: `0x` + 40 hex digits, its EIP-55 checksum checked when it has mixed case
  (all-lowercase or all-uppercase carries no checksum and is fine, as in ethers, cast and
  MetaMask), or a dev account of the test mnemonic by index: `dev0` … `dev9`.
- `show`: bytes as 0x-hex (never `b'\\x8d…'`), `show_time`: unix times as UTC dates.
- `send_with_pending_nonce`: a send that survives another writer on the same key.
- `error_line`: any exception as one line; `main()` in `node/cli.py` prints it instead of a
  traceback (`--log-level debug` logs the traceback too).
"""

from __future__ import annotations

import re
import time
from datetime import datetime, timezone
from typing import Any

from eth_typing import ChecksumAddress
from eth_utils import to_checksum_address

from node.errors import BadAddress, LantauError

_HEX_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
_DEV_ACCOUNT = re.compile(r"dev([0-9])")



def parse_address(text: str, *, what: str = "address") -> ChecksumAddress:
    """The checksummed address `text` names; `what` names it in the error (e.g. "--to")."""
    text = text.strip()
    dev = _DEV_ACCOUNT.fullmatch(text)
    if dev:
        from genesis.dev_accounts import dev_accounts

        return ChecksumAddress(dev_accounts()[int(dev.group(1))].address)
    if not _HEX_ADDRESS.fullmatch(text):
        raise BadAddress(f"{what}: {text!r} is not an address: give 0x and 40 hex digits, or dev0 … dev9 for a dev account")
    digits = text[2:]
    checksummed = to_checksum_address(text)
    if digits != digits.lower() and digits != digits.upper() and text != checksummed:
        raise BadAddress(f"{what}: {text} has a wrong EIP-55 checksum (a typo?): check the address, or give it all lowercase")
    return checksummed


def show(value: Any) -> str:
    """A decoded value as people read it: bytes as 0x-hex, sequences element by element."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "0x" + bytes(value).hex()
    if isinstance(value, (list, tuple)):
        return "(" + ", ".join(show(v) for v in value) + ")"
    return str(value)


def show_time(timestamp: int) -> str:
    """A unix time as a UTC date."""
    return datetime.fromtimestamp(int(timestamp), timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


# Substrings of node/L1 refusals -> what to do about them.
_RPC_HINTS = (
    ("insufficient funds", "fund the sending key, or give another --key"),
    ("nonce too low", "another sender used this key at the same time: run the command again"),
    ("replacement transaction underpriced", "another sender used this key at the same time: run the command again"),
)


def error_line(exc: BaseException) -> str:
    """One line for any exception: what went wrong and, when known, what to do."""
    if isinstance(exc, LantauError):  # e.g. bridge's "L1 refused the transaction: insufficient funds …"
        return _one_line(_with_hint(str(exc)))
    rpc_message = _rpc_error_message(exc)
    if rpc_message is not None:
        return _one_line(_with_hint(f"the node refused: {rpc_message}"))
    if isinstance(exc, OSError):  # requests' connection errors and timeouts are OSErrors
        url = getattr(getattr(exc, "request", None), "url", None)
        where = f"{url}" if url else "the node"
        return _one_line(f"cannot reach {where}: is the devnet running (`make devnet`)? Else check --devnet/--l1-rpc/--l2-rpc")
    if isinstance(exc, TimeoutError):
        return _one_line(f"timed out: {exc}")
    return _one_line(f"{type(exc).__name__}: {show(exc.args[0]) if len(exc.args) == 1 else show(exc.args) if exc.args else ''}")


def _with_hint(message: str) -> str:
    hint = next((h for needle, h in _RPC_HINTS if needle in message.lower()), "")
    return f"{message}: {hint}" if hint and hint not in message else message


def _rpc_error_message(exc: BaseException) -> str | None:
    """The message of a JSON-RPC error answer web3 raised (`Web3RPCError`, or web3's ValueError
    of a dict), if `exc` is one."""
    response = getattr(exc, "rpc_response", None)
    if isinstance(response, dict) and isinstance(response.get("error"), dict):
        return str(response["error"].get("message", response["error"]))
    if exc.args and isinstance(exc.args[0], dict) and "message" in exc.args[0]:
        return str(exc.args[0]["message"])
    return None


def _one_line(text: str) -> str:
    return " ".join(text.split())


# What a node answers when another sender of the same key took the nonce first.
_NONCE_RACE = ("nonce too low", "replacement transaction underpriced")


def is_nonce_race(exc: BaseException) -> bool:
    message = _rpc_error_message(exc)
    return message is not None and any(needle in message.lower() for needle in _NONCE_RACE)


def send_with_pending_nonce(w3: Any, account: Any, tx: dict[str, Any], *, attempts: int = 5) -> bytes:
    """Sign `tx` with the pool's pending nonce of `account` and send it; the transaction hash.

    Two writers on one key (a script and the devnet's sample issuance, two terminals) race for
    the same nonce: the loser is told `nonce too low` or `replacement transaction underpriced`.
    That is not the user's mistake, so the transaction is signed again with the pool's new
    pending nonce, a few times, before the error is passed on."""
    for attempt in range(attempts):
        tx = dict(tx, nonce=int(w3.eth.get_transaction_count(account.address, "pending")))
        try:
            return bytes(w3.eth.send_raw_transaction(account.sign_transaction(tx).raw_transaction))
        except Exception as exc:
            if not is_nonce_race(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.2 * (attempt + 1))
    raise AssertionError("unreachable")
