"""The block explorer the node serves on its RPC port: static files only, read-only.

    GET /                  (a browser: Accept names text/html) the explorer page; other GETs
                           without a WebSocket upgrade keep the JSON-RPC 405 answer
    GET /explorer/<file>   its script and style sheet, shipped in node/explorer/static/
    GET /explorer/contracts.json
                           the project's contract names, function selectors, event topics
                           and error selectors, from the artifacts (`contract_index`)

The page reads the chain through the node's own JSON-RPC (POST /) and its WebSocket
`newHeads` subscription on the same origin, the rollup page's L1 views through the read-only
`lantau_l1Batches`, `lantau_l1Outputs`, `lantau_disputeGames`, `lantau_bridgeDeposits` and
`lantau_bridgeWithdrawals` (`bridge.rollup_view`, paged by cursor; batches recorded by `batch_log` from what
derivation reads); the one endpoint added serves the artifacts' ABIs,
and nothing here can change state. Plain JavaScript modules, no front-end library and no CDN: it works offline.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Final

from aiohttp import web

from node.explorer.contract_index import contract_index

STATIC_DIR: Final = Path(__file__).resolve().parent / "static"
INDEX_FILE: Final = STATIC_DIR / "index.html"
STATIC_PREFIX: Final = "/explorer/"


def wants_explorer(request: web.Request) -> bool:
    """Whether a GET without a WebSocket upgrade comes from a browser asking for a page."""
    return "text/html" in request.headers.get("Accept", "")


def explorer_page() -> web.FileResponse:
    return web.FileResponse(INDEX_FILE, headers={"Cache-Control": "no-cache"})


async def _handle_contracts(request: web.Request) -> web.Response:
    return web.json_response(await asyncio.to_thread(contract_index), headers={"Cache-Control": "max-age=3600"})


def add_explorer_routes(app: web.Application) -> None:
    """contracts.json, then the static files under /explorer/ (aiohttp refuses paths leaving
    STATIC_DIR)."""
    app.router.add_get(STATIC_PREFIX + "contracts.json", _handle_contracts)
    app.router.add_static(STATIC_PREFIX, STATIC_DIR, show_index=False, follow_symlinks=False)
