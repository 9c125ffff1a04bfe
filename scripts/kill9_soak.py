"""kill -9 soak: a `lantau node` under a stream of transactions, killed with SIGKILL over and
over; prints lost / duplicated / gap / root-mismatch counts.

    python scripts/kill9_soak.py --cycles 100 [--block-time 1] [--senders 4]

Each cycle starts the node on the same data dir (a free port each time), sends transfers
from the dev accounts until a random moment, then SIGKILLs it mid-stream. Counted at the end,
after a last start in which every acknowledged transaction gets time to be included:

    lost           acknowledged (eth_sendRawTransaction answered a hash) but in no block
    duplicated     a transaction hash in more than one block
    gaps           a block number with no block below the head, or a parentHash that does not
                   link to the block before it
    root mismatch  a block seen before a kill (number -> hash, stateRoot) that reads back
                   differently after the restart
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from eth_account import Account  # noqa: E402

from genesis.dev_accounts import dev_accounts  # noqa: E402
from tests.harness.node_process import LantauNodeProcess  # noqa: E402


def rpc(url: str, method: str, *params: object) -> object:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as reply:
        answer = json.loads(reply.read())
    if "error" in answer:
        raise RuntimeError(f"{method}: {answer['error']}")
    return answer["result"]


def send_until(url: str, account, chain_id: int, stop: threading.Event, acknowledged: set[str]) -> None:
    try:
        nonce = int(rpc(url, "eth_getTransactionCount", account.address, "pending"), 16)
        while not stop.is_set():
            tx = {"type": 2, "chainId": chain_id, "nonce": nonce, "to": account.address, "value": 1, "gas": 21_000,
                  "maxFeePerGas": 10**11, "maxPriorityFeePerGas": 10**9}
            raw = Account.sign_transaction(tx, account.private_key).raw_transaction
            tx_hash = rpc(url, "eth_sendRawTransaction", "0x" + bytes(raw).hex())
            acknowledged.add(str(tx_hash))
            nonce += 1
    except Exception:  # the node was killed mid-request: that one was not acknowledged
        return


def read_chain(url: str) -> list[dict]:
    head = int(rpc(url, "eth_blockNumber"), 16)
    return [rpc(url, "eth_getBlockByNumber", hex(n), False) for n in range(head + 1)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=20)
    parser.add_argument("--block-time", type=float, default=1.0)
    parser.add_argument("--senders", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    accounts = dev_accounts()[: args.senders]
    acknowledged: set[str] = set()
    seen_blocks: dict[int, tuple[str, str]] = {}
    root_mismatches = 0
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="lantau-soak-") as tmp:
        data_dir = Path(tmp) / "node"
        for cycle in range(args.cycles + 1):
            node = LantauNodeProcess(data_dir, block_time_s=args.block_time).start()
            try:
                url = node.rpc_url
                for block in read_chain(url):
                    number = int(block["number"], 16)
                    before = seen_blocks.get(number)
                    if before is not None and before != (block["hash"], block["stateRoot"]):
                        root_mismatches += 1
                chain_id = int(rpc(url, "eth_chainId"), 16)
                if cycle == args.cycles:
                    break  # the last start: only let the acknowledged transactions in
                stop = threading.Event()
                senders = [threading.Thread(target=send_until, args=(url, a, chain_id, stop, acknowledged)) for a in accounts]
                for sender in senders:
                    sender.start()
                time.sleep(rng.uniform(0.5, 2.0))
                for block in read_chain(url):
                    seen_blocks[int(block["number"], 16)] = (block["hash"], block["stateRoot"])
            finally:
                if cycle < args.cycles:
                    node.kill()  # SIGKILL mid-stream
                    stop.set()
                    for sender in senders:
                        sender.join()
            print(f"cycle {cycle + 1}/{args.cycles}: {len(acknowledged)} acknowledged, head {len(seen_blocks) - 1}", flush=True)
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and int(rpc(url, "txpool_status")["pending"], 16):
                time.sleep(0.2)
            time.sleep(2 * args.block_time)
            blocks = read_chain(url)
            included: dict[str, int] = {}
            gaps = 0
            for number, block in enumerate(blocks):
                if block is None or int(block["number"], 16) != number:
                    gaps += 1
                    continue
                if number and blocks[number - 1] is not None and block["parentHash"] != blocks[number - 1]["hash"]:
                    gaps += 1
                for tx_hash in block["transactions"]:
                    included[tx_hash] = included.get(tx_hash, 0) + 1
        finally:
            node.stop(timeout_s=20)
            node.kill()
    lost = len([h for h in acknowledged if h not in included])
    duplicated = sum(1 for count in included.values() if count > 1)
    print(f"{args.cycles} kill -9 cycles in {time.monotonic() - started:.0f} s, {len(acknowledged)} acknowledged "
          f"transactions, {len(blocks)} blocks: lost {lost}, duplicated {duplicated}, gaps {gaps}, root mismatches {root_mismatches}")
    return 1 if lost or duplicated or gaps or root_mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
