"""The JSON-RPC fuzz target (issue 10): mutated requests against a real `lantau node`.

`make_case(rng)` draws one case from a `random.Random`: a request (or batch, or raw body) built
from a valid call of a real method with one hostile mutation (a bad quantity, padded hex, a
huge number, NaN, deep nesting, a wrong type, a non-UTF-8 or UTF-16 body, an undecodable
Content-Encoding, a batch of those...), sent over HTTP or WebSocket. `check_answer` says what
is wrong with the answer, if anything:

    malformed   not JSON, or not a JSON-RPC 2.0 response object (or batch of them) that
                answers the request (id echoed, exactly one of result/error, integer code)
    internal    a -32603: a client's mistake must never look like the node's bug
    hang        no answer within `HANG_S`: far past every deadline (5 s + 1 s grace), so an
                answer this late means a request escaped its deadline
    crash       the process is gone

The pytest target (`test_rpc_fuzz.py`) drives `make_case` from hypothesis for a bounded
number of cases; `scripts/rpc_fuzz.py --requests N` runs N of them and prints the figures.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import random
from dataclasses import dataclass, field
from typing import Any, Final

import aiohttp

HANG_S: Final = 30.0
ADDRESS: Final = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"
HASH: Final = "0x" + "ab" * 32

#: Valid calls: each is mutated in one place.
CALLS: Final[list[tuple[str, list[Any]]]] = [
    ("eth_chainId", []), ("eth_blockNumber", []), ("net_version", []), ("web3_clientVersion", []),
    ("web3_sha3", ["0x68656c6c6f"]), ("eth_gasPrice", []), ("eth_maxPriorityFeePerGas", []),
    ("eth_blobBaseFee", []), ("eth_syncing", []), ("eth_accounts", []),
    ("eth_getBalance", [ADDRESS, "latest"]), ("eth_getTransactionCount", [ADDRESS, "pending"]),
    ("eth_getCode", [ADDRESS, "0x0"]), ("eth_getStorageAt", [ADDRESS, "0x0", "latest"]),
    ("eth_getProof", [ADDRESS, ["0x0", "0x1"], "latest"]),
    ("eth_call", [{"to": ADDRESS, "data": "0x", "value": "0x0"}, "latest"]),
    ("eth_call", [{"to": ADDRESS}, "latest", {ADDRESS: {"balance": "0x1", "stateDiff": {HASH: HASH}}}]),
    ("eth_estimateGas", [{"from": ADDRESS, "to": ADDRESS, "value": "0x1"}]),
    ("eth_sendRawTransaction", ["0x02f86b"]),
    ("eth_getBlockByNumber", ["latest", False]), ("eth_getBlockByNumber", ["0x0", True]),
    ("eth_getBlockByHash", [HASH, False]), ("eth_getBlockReceipts", ["latest"]),
    ("eth_getBlockTransactionCountByNumber", ["0x0"]), ("eth_getUncleCountByBlockHash", [HASH]),
    ("eth_getTransactionByHash", [HASH]), ("eth_getTransactionReceipt", [HASH]),
    ("eth_getTransactionByBlockNumberAndIndex", ["latest", "0x0"]),
    ("eth_getTransactionByBlockHashAndIndex", [HASH, "0x0"]),
    ("eth_getLogs", [{"fromBlock": "0x0", "toBlock": "latest", "address": [ADDRESS], "topics": [HASH, [HASH, None]]}]),
    ("eth_getLogs", [{"blockHash": HASH}]),
    ("eth_newFilter", [{"fromBlock": "latest", "address": ADDRESS}]), ("eth_newBlockFilter", []),
    ("eth_getFilterChanges", ["0x1"]), ("eth_uninstallFilter", ["0x1"]),
    ("eth_feeHistory", ["0x4", "latest", [25, 75]]), ("eth_feeHistory", [4, "latest"]),
    ("eth_subscribe", ["newHeads"]), ("txpool_status", []), ("txpool_content", []),
    ("lantau_syncStatus", []), ("no_suchMethod", []),
]

#: Values that have broken parsers (issue 10's findings among them).
HOSTILE: Final[list[Any]] = [
    "0x-1", "0x1_0", "0x 1", " 0x1", "0x1 ", "0x", "0x00", "0X1", "-0x1", "0x+1", "²", "0x²", "0x١",
    "1" * 5_000, "0x" + "f" * 5_000, int("9" * 4_000), -1, 2**64, 2**256, 1.5, 1e308, True, False, None,
    "", "latest", "pending", "earliest", "safe", "finalized", "newest", {}, [], [[[]]], {"blockHash": HASH},
    {"blockNumber": "0x0"}, {"blockHash": HASH, "blockNumber": "0x0"},
    ADDRESS[:40] + "  ", " " + ADDRESS[:41], ADDRESS + "00", ADDRESS[:-2], ADDRESS.upper(),
    HASH[:64] + "  ", HASH + "0", "0x" + "zz" * 20, "\u0000", "\ud800" * 3, "x" * 100_000,
    ["0x0"] * 2_000, [ADDRESS] * 1_001, [HASH] * 1_001, [None] * 5,
]


@dataclass
class Case:
    """One thing to send: `body` (bytes) with `headers`, over `transport`; `ids` are the ids
    whose answers are expected (None: no JSON-RPC answer shape is known in advance)."""

    transport: str  # "http" or "ws"
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    expect: Any = None  # the decoded request, when it is one


def _mutate(rng: random.Random, value: Any, depth: int = 0) -> Any:
    """`value` with one place replaced by a hostile value."""
    if isinstance(value, list) and value and depth < 3 and rng.random() < 0.7:
        index = rng.randrange(len(value))
        return value[:index] + [_mutate(rng, value[index], depth + 1)] + value[index + 1:]
    if isinstance(value, dict) and value and depth < 3 and rng.random() < 0.7:
        key = rng.choice(list(value))
        if rng.random() < 0.2:
            return {**value, rng.choice(HOSTILE[:20]) if rng.random() < 0.5 else key + "x": value[key]}
        return {**value, key: _mutate(rng, value[key], depth + 1)}
    return rng.choice(HOSTILE)


def _request(rng: random.Random, request_id: Any) -> dict[str, Any]:
    method, params = rng.choice(CALLS)
    request: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "method": method, "params": list(params)}
    roll = rng.random()
    if roll < 0.6:
        request["params"] = _mutate(rng, request["params"])
    elif roll < 0.7:
        request["params"] = request["params"] + [rng.choice(HOSTILE)] * rng.randint(1, 3)
    elif roll < 0.8:
        field_name = rng.choice(["jsonrpc", "id", "method", "params"])
        request[field_name] = rng.choice(HOSTILE)
    elif roll < 0.85:
        del request["id"]  # a notification
    return request


def _encode(rng: random.Random, message: Any) -> tuple[bytes, dict[str, str]]:
    text = json.dumps(message, separators=(",", ":"))
    roll = rng.random()
    if roll < 0.85:
        return text.encode("utf-8", "surrogatepass"), {}
    if roll < 0.88:
        return text.encode("utf-16-le", "surrogatepass"), {}
    if roll < 0.90:
        return text.encode("utf-32", "surrogatepass"), {}
    if roll < 0.93:
        return text.encode("utf-8", "surrogatepass")[: rng.randrange(1, max(2, len(text)))], {}
    if roll < 0.95:
        return gzip.compress(text.encode()), {"Content-Encoding": "gzip"}
    if roll < 0.97:
        return text.encode(), {"Content-Encoding": rng.choice(["gzip", "deflate", "br"])}
    return bytes(rng.randrange(256) for _ in range(rng.randint(1, 64))), {}


def _raw_body(rng: random.Random) -> bytes:
    return rng.choice([
        ('["\u2200",' + "[" * 70_000 + "]" * 70_001).encode("utf-16-le"),  # finding 1
        b"[" * 100_000 + b"]" * 100_000,
        b'{"jsonrpc":"2.0","id":NaN,"method":"eth_chainId"}',
        b'{"jsonrpc":"2.0","id":Infinity,"method":"eth_chainId"}',
        b'{"jsonrpc":"2.0","id":1e400,"method":"eth_chainId"}',
        b'{"jsonrpc":"2.0","id":' + b"9" * 5_000 + b',"method":"eth_chainId"}',
        b"\xef\xbb\xbf" + b'{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}',
        b"[]", b"[1,2,3]", b"null", b"{}", b"", b" ", b"\xff\xfe",
        b'{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":' + b'{"a":' * 60 + b"1" + b"}" * 60 + b"}",
    ])


def make_case(rng: random.Random) -> Case:
    transport = "ws" if rng.random() < 0.3 else "http"
    roll = rng.random()
    if roll < 0.05:
        return Case(transport, _raw_body(rng))
    if roll < 0.2:
        batch = [_request(rng, n) for n in range(rng.randint(1, 20))]
        body, headers = _encode(rng, batch)
        return Case(transport, body, headers, batch)
    request = _request(rng, rng.choice([1, 2**53, "abc", None, 0, -5]))
    body, headers = _encode(rng, request)
    return Case(transport, body, headers, request)


# --- checking ---------------------------------------------------------------------------------


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def check_response_object(answer: Any) -> list[str]:
    if not isinstance(answer, dict):
        return [f"not an object: {str(answer)[:80]}"]
    problems = []
    if answer.get("jsonrpc") != "2.0":
        problems.append('"jsonrpc" is not "2.0"')
    if "id" not in answer:
        problems.append("no id")
    elif not (answer["id"] is None or isinstance(answer["id"], (str, int, float))) or isinstance(answer["id"], bool):
        problems.append(f"id of type {type(answer['id']).__name__}")
    if ("result" in answer) == ("error" in answer):
        problems.append("not exactly one of result and error")
    if "error" in answer:
        error = answer["error"]
        if not (isinstance(error, dict) and isinstance(error.get("code"), int) and isinstance(error.get("message"), str)):
            problems.append(f"malformed error: {str(error)[:80]}")
    if set(answer) - {"jsonrpc", "id", "result", "error"}:
        problems.append(f"extra members {sorted(set(answer) - {'jsonrpc', 'id', 'result', 'error'})}")
    return problems


def _codes(answer: Any) -> list[int]:
    answers = answer if isinstance(answer, list) else [answer]
    return [a["error"]["code"] for a in answers if isinstance(a, dict) and isinstance(a.get("error"), dict)]


def check_answer(case: Case, status: int | None, text: str | None) -> tuple[str, str] | None:
    """(kind, detail) of what is wrong with the answer to `case`, or None."""
    if text is None:
        return ("hang", f"no answer in {HANG_S} s")
    if status is not None and status not in (200, 400, 405, 413, 415):
        return ("malformed", f"HTTP {status}: {text[:120]}")
    if text == "":
        expect = case.expect
        notifications_only = (
            isinstance(expect, dict) and "id" not in expect
        ) or (isinstance(expect, list) and expect and all(isinstance(m, dict) and "id" not in m for m in expect))
        if notifications_only and status in (200, None):
            return None
        return ("malformed", "empty answer")
    try:
        answer = json.loads(text, parse_constant=_refuse_constant)
    except ValueError as error:
        return ("malformed", f"not JSON ({error}): {text[:120]}")
    answers = answer if isinstance(answer, list) else [answer]
    if isinstance(answer, list) and not answer:
        return ("malformed", "empty batch answer")
    for item in answers:
        problems = check_response_object(item)
        if problems:
            return ("malformed", "; ".join(problems))
    if isinstance(case.expect, dict) and "id" in case.expect and isinstance(answer, dict) and "error" not in answer:
        if answer["id"] != case.expect["id"]:
            return ("malformed", f"id {answer['id']!r} for request id {case.expect['id']!r}")
    if -32603 in _codes(answer):
        return ("internal", text[:200])
    return None


# --- sending ----------------------------------------------------------------------------------


async def send(session: aiohttp.ClientSession, rpc_url: str, case: Case) -> tuple[int | None, str | None]:
    """The answer's HTTP status (None over WebSocket) and text (None: no answer in time)."""
    try:
        if case.transport == "http":
            headers = {"Content-Type": "application/json", **case.headers}
            async with session.post(rpc_url, data=case.body, headers=headers,
                                    timeout=aiohttp.ClientTimeout(total=HANG_S), compress=None) as response:
                return response.status, (await response.read()).decode("utf-8", "replace")
        async with session.ws_connect(rpc_url.replace("http://", "ws://"), max_msg_size=0,
                                      timeout=aiohttp.ClientWSTimeout(ws_close=5)) as ws:
            await ws.send_bytes(case.body)
            try:
                message = await ws.receive(timeout=HANG_S if _expects_answer(case) else 1.0)
            except TimeoutError:
                return None, (None if _expects_answer(case) else "")
            if message.type in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                data = message.data
                return None, data if isinstance(data, str) else data.decode("utf-8", "replace")
            # The server closed the connection: a message over the size limit, say.
            return None, json.dumps({"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "closed"}})
    except TimeoutError:
        return None, None


def _expects_answer(case: Case) -> bool:
    expect = case.expect
    if isinstance(expect, dict):
        return "id" in expect or not _is_valid_notification(expect)
    if isinstance(expect, list):
        return any(not isinstance(m, dict) or "id" in m or not _is_valid_notification(m) for m in expect) or not expect
    return True


def _is_valid_notification(message: dict[str, Any]) -> bool:
    return message.get("jsonrpc") == "2.0" and isinstance(message.get("method"), str)


@dataclass
class Tally:
    requests: int = 0
    crashes: int = 0
    hangs: int = 0
    malformed: int = 0
    internal: int = 0
    examples: list[str] = field(default_factory=list)

    def record(self, case: Case, problem: tuple[str, str] | None) -> None:
        self.requests += 1
        if problem is None:
            return
        kind, detail = problem
        if kind == "hang":
            self.hangs += 1
        elif kind == "malformed":
            self.malformed += 1
        elif kind == "internal":
            self.internal += 1
        if len(self.examples) < 20:
            self.examples.append(f"{kind}: {detail} <- {case.transport} {case.headers} {case.body[:200]!r}")

    @property
    def failures(self) -> int:
        return self.crashes + self.hangs + self.malformed + self.internal

    def summary(self) -> str:
        return (f"{self.requests} requests: {self.crashes} crashes, {self.hangs} hangs, "
                f"{self.malformed} malformed answers, {self.internal} internal errors")


async def run_cases(rpc_url: str, cases: list[Case], tally: Tally, *, concurrency: int = 8) -> None:
    queue: asyncio.Queue[Case] = asyncio.Queue()
    for case in cases:
        queue.put_nowait(case)
    async with aiohttp.ClientSession(auto_decompress=False) as session:
        async def worker() -> None:
            while not queue.empty():
                case = queue.get_nowait()
                try:
                    status, text = await send(session, rpc_url, case)
                except (aiohttp.ClientError, ConnectionError) as error:
                    status, text = None, f"<connection error: {error}>"
                    tally.record(case, ("malformed", text))
                    continue
                tally.record(case, check_answer(case, status, text))

        await asyncio.gather(*(worker() for _ in range(concurrency)))
