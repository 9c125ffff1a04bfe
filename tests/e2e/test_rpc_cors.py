"""CORS over real HTTP against `lantau node` / `lantau devnet` subprocesses: off by default on
a node, `*` on a devnet (as anvil), a given origin list with `--rpc-cors`; preflights
(OPTIONS) answered for allowed origins only. A browser sends exactly these requests."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

APP = "https://app.example"
CALL = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}).encode()


def request(url: str, method: str, headers: dict[str, str], body: bytes | None = None) -> tuple[int, dict[str, str]]:
    req = urllib.request.Request(url, body, headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as reply:
            return reply.status, {k.lower(): v for k, v in reply.headers.items()}
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}


def preflight(url: str, origin: str) -> tuple[int, dict[str, str]]:
    return request(url, "OPTIONS", {"Origin": origin, "Access-Control-Request-Method": "POST",
                                    "Access-Control-Request-Headers": "content-type"})


def post(url: str, origin: str) -> tuple[int, dict[str, str]]:
    return request(url, "POST", {"Origin": origin, "Content-Type": "application/json"}, CALL)


def test_node_has_cors_off_by_default_and_allows_only_the_given_origins(node_factory) -> None:
    closed = node_factory(block_time_s=0)
    status, headers = preflight(closed.rpc_url, APP)
    assert status in (403, 405) and "access-control-allow-origin" not in headers
    status, headers = post(closed.rpc_url, APP)
    assert status == 200 and "access-control-allow-origin" not in headers

    opened = node_factory(block_time_s=0, extra_args=("--rpc-cors", f"{APP},http://localhost:3000"))
    status, headers = preflight(opened.rpc_url, APP)
    assert status == 204
    assert headers["access-control-allow-origin"] == APP and headers["vary"] == "Origin"
    assert "POST" in headers["access-control-allow-methods"]
    assert headers["access-control-allow-headers"].lower() == "content-type"
    status, headers = post(opened.rpc_url, APP)
    assert status == 200 and headers["access-control-allow-origin"] == APP
    status, headers = request(opened.rpc_url + "/healthz", "GET", {"Origin": "http://localhost:3000"})
    assert status == 200 and headers["access-control-allow-origin"] == "http://localhost:3000"
    # Another origin: refused at preflight, and its answers carry no allow header.
    status, headers = preflight(opened.rpc_url, "https://evil.example")
    assert status == 403 and "access-control-allow-origin" not in headers
    status, headers = post(opened.rpc_url, "https://evil.example")
    assert "access-control-allow-origin" not in headers


def test_devnet_allows_any_origin(node_factory, tmp_path) -> None:
    devnet = node_factory(data_dir=tmp_path / "devnet", command="devnet", block_time_s=1, extra_args=("--no-l1", "--no-sample"))
    status, headers = preflight(devnet.rpc_url, "http://localhost:5173")
    assert status == 204 and headers["access-control-allow-origin"] == "*"
    status, headers = post(devnet.rpc_url, "http://localhost:5173")
    assert status == 200 and headers["access-control-allow-origin"] == "*"


def test_bad_cors_origin_is_one_line_error(tmp_path) -> None:
    import subprocess
    import sys

    from tests.harness.node_process import REPO_ROOT

    run = subprocess.run([sys.executable, "-m", "node.cli", "node", "--data-dir", str(tmp_path / "d"), "--rpc-port", "0",
                          "--rpc-cors", "app.example/path"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode != 0
    assert "--rpc-cors" in run.stderr + run.stdout and "Traceback" not in run.stderr + run.stdout
