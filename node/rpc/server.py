"""The JSON-RPC server: HTTP POST and WebSocket on one port and path, plus `GET /healthz`.

    POST /                 a JSON-RPC 2.0 request or batch; the answer is HTTP 200 with the
                           JSON-RPC response (errors included), or 413 for a body over
                           `limits.max_body_bytes` (with a JSON-RPC error body, -32600)
    GET /  (Upgrade: websocket)
                           a WebSocket session: the same requests, one per message (text or
                           binary frames), plus eth_subscribe notifications
    GET /healthz           {"status": "ok", "version": …, "head": <head block number>}
    GET /metrics           Prometheus text format (`node.metrics`), when the backend has a registry

Dispatch follows JSON-RPC 2.0: a batch answers each call in its own entry, so a broken entry
gets its error while the others succeed; notifications (no "id") get no answer; a batch of
more than `limits.max_batch_items` is refused whole, as geth does. Exceptions become errors
only through `node/rpc/errors.py`.

Start-up and tear-down run in `cleanup_ctx`: the task that follows new heads (filters,
subscriptions) and the filter expiry task; WebSocket sessions close on shutdown.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import secrets
import weakref
from dataclasses import dataclass, replace
from importlib import metadata
from typing import Any, AsyncIterator, Final

from aiohttp import WSMsgType, web

from node.errors import (
    BatchTooLarge,
    ConfigError,
    InvalidParams,
    InvalidRequest,
    LimitExceeded,
    MethodNotFound,
    ParseError,
    RequestBodyTooLarge,
)
from node.rpc import eth
from node.rpc.backend import RpcBackend
from node.rpc.context import RpcContext, RpcMethod
from node.rpc.errors import error_object
from node.rpc.execution import ExecutionRunner
from node.rpc.filters import ChainEvents, FilterManager, LogMatcher, NewHead
from node.rpc.format import format_header, format_transaction
from node.rpc.limits import RpcLimits
from node.rpc.params import FilterCriteria, bind_params

logger = logging.getLogger(__name__)

JSONRPC_VERSION: Final = "2.0"


def _package_version() -> str:
    try:
        return metadata.version("lantau")
    except metadata.PackageNotFoundError:
        return "0.0.0+unknown"


VERSION: Final = _package_version()


# --- parsing --------------------------------------------------------------------------------

#: Deeper JSON is refused before decoding: py-evm raises Python's recursion limit to 12,288
#: for the EVM's call depth, and at that depth the C JSON decoder overflows the C stack (a
#: segfault) long before it would raise RecursionError. Real requests nest about 6 deep.
MAX_JSON_DEPTH: Final = 64
#: Bodies above this are decoded in a worker thread, so one large batch does not stall others.
_THREADED_PARSE_BYTES: Final = 64 * 1024
_JSON_SPECIAL = re.compile(rb'[\[\]{}"\\]')


def json_nesting_exceeds(payload: bytes, limit: int) -> bool:
    """Whether `payload` nests arrays/objects deeper than `limit` (string contents ignored).
    Linear in the number of brackets, quotes and backslashes."""
    if payload.count(b"[") + payload.count(b"{") <= limit:
        return False
    depth, in_string, escaped_at = 0, False, -1
    for match in _JSON_SPECIAL.finditer(payload):
        position = match.start()
        if position == escaped_at:
            continue
        char = payload[position]
        if in_string:
            if char == 0x5C:  # backslash: the next character is escaped
                escaped_at = position + 1
            elif char == 0x22:
                in_string = False
        elif char == 0x22:
            in_string = True
        elif char in (0x5B, 0x7B):
            depth += 1
            if depth > limit:
                return True
        elif char in (0x5D, 0x7D):
            depth -= 1
    return False


def parse_json(payload: str | bytes) -> Any:
    """Decode a request body or message; raise `ParseError` for anything not JSON."""
    raw = payload.encode() if isinstance(payload, str) else payload
    if json_nesting_exceeds(raw, MAX_JSON_DEPTH):
        raise ParseError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise ParseError(str(error)) from None


# --- dispatch -------------------------------------------------------------------------------


def _error_response(request_id: Any, error: BaseException) -> dict[str, Any]:
    return {"jsonrpc": JSONRPC_VERSION, "id": request_id, "error": error_object(error)}


class RpcService:
    """Method table, shared state and dispatch; one per application."""

    def __init__(self, backend: RpcBackend, limits: RpcLimits) -> None:
        self.backend = backend
        self.limits = limits
        self.filters = FilterManager(limits)
        self.events = ChainEvents(backend)
        self.events.add_head_listener(self.filters.on_new_head)
        self.events.add_pending_listener(self.filters.on_pending_transaction)
        self.context = RpcContext(
            backend=backend,
            limits=limits,
            runner=ExecutionRunner(limits),
            filters=self.filters,
            events=self.events,
            gas_oracle=eth.GasPriceOracle(),
        )
        self.methods: dict[str, RpcMethod | Any] = dict(eth.METHODS)
        for name, method in (getattr(backend, "extra_methods", None) or {}).items():
            if name in self.methods:
                raise ConfigError(f"rpc: extra method {name} would replace a standard method")
            self.methods[name] = method
        self.sessions: weakref.WeakSet[WebSocketSession] = weakref.WeakSet()

    async def handle_payload(self, payload: str | bytes, ctx: RpcContext) -> Any | None:
        """The response to one HTTP body or WebSocket message (None: nothing to send)."""
        try:
            if len(payload) > _THREADED_PARSE_BYTES:
                message = await asyncio.to_thread(parse_json, payload)
            else:
                message = parse_json(payload)
        except ParseError as error:
            return _error_response(None, error)
        if isinstance(message, list):
            if not message:
                return _error_response(None, InvalidRequest("empty batch"))
            if len(message) > self.limits.max_batch_items:
                first_id = next((m.get("id") for m in message if isinstance(m, dict) and "id" in m), None)
                return [_error_response(first_id, BatchTooLarge(len(message), self.limits.max_batch_items))]
            responses = []
            for item in message:
                response = await self.handle_message(item, ctx)
                if response is not None:
                    responses.append(response)
            return responses or None
        return await self.handle_message(message, ctx)

    async def handle_message(self, message: Any, ctx: RpcContext) -> dict[str, Any] | None:
        if not isinstance(message, dict):
            return _error_response(None, InvalidRequest("invalid request: not a JSON-RPC request object"))
        request_id = message.get("id")
        if not (request_id is None or isinstance(request_id, (str, int, float))) or isinstance(request_id, bool):
            return _error_response(None, InvalidRequest("invalid request: id must be a string, number or null"))
        if message.get("jsonrpc") != JSONRPC_VERSION:
            return _error_response(request_id, InvalidRequest('invalid request: "jsonrpc" must be "2.0"'))
        method_name = message.get("method")
        if not isinstance(method_name, str):
            return _error_response(request_id, InvalidRequest("invalid request: method must be a string"))
        is_notification = "id" not in message
        try:
            result = await self.call(method_name, message.get("params"), ctx)
        except Exception as error:  # every failure answers; errors.py decides how
            return None if is_notification else _error_response(request_id, error)
        if is_notification:
            return None
        return {"jsonrpc": JSONRPC_VERSION, "id": request_id, "result": result}

    async def call(self, method_name: str, params: Any, ctx: RpcContext) -> Any:
        method = self.methods.get(method_name)
        if method is None:
            raise MethodNotFound(method_name)
        if isinstance(method, RpcMethod):
            args = bind_params(params, method.params)
            result = method.handler(ctx, *args)
        else:
            if params is not None and not isinstance(params, list):
                raise InvalidParams("non-array args")
            result = method(*(params or []))
        if asyncio.iscoroutine(result) or isinstance(result, asyncio.Future):
            result = await result
        return result


def _dumps(response: Any) -> str:
    return json.dumps(response, separators=(",", ":"))


# --- HTTP -------------------------------------------------------------------------------------

RPC_SERVICE: Final = web.AppKey("lantau_rpc_service", RpcService)


def _json_response(response: Any, *, status: int = 200) -> web.Response:
    if response is None:
        return web.Response(status=status, body=b"", content_type="application/json")
    try:
        text = _dumps(response)
    except (TypeError, ValueError) as error:  # a method returned something unserialisable: a bug
        text = _dumps(_error_response(None, error))
    return web.Response(status=status, text=text, content_type="application/json")


async def _handle_post(request: web.Request) -> web.StreamResponse:
    service = request.app[RPC_SERVICE]
    limit = service.limits.max_body_bytes
    if request.content_length is not None and request.content_length > limit:
        return _json_response(_error_response(None, RequestBodyTooLarge(request.content_length, limit)), status=413)
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return _json_response(_error_response(None, RequestBodyTooLarge(None, limit)), status=413)
    return _json_response(await service.handle_payload(body, service.context))


async def _handle_get(request: web.Request) -> web.StreamResponse:
    if request.headers.get("Upgrade", "").lower() == "websocket":
        return await _handle_websocket(request)
    error = InvalidRequest("send JSON-RPC requests by POST, or upgrade to a WebSocket")
    response = _json_response(_error_response(None, error), status=405)
    response.headers["Allow"] = "POST"
    return response


async def _handle_metrics(request: web.Request) -> web.StreamResponse:
    registry = getattr(request.app[RPC_SERVICE].backend, "metrics", None)
    text = registry.render() if registry is not None else ""
    return web.Response(text=text, content_type="text/plain", charset="utf-8", headers={"X-Content-Type": "version=0.0.4"})


async def _handle_healthz(request: web.Request) -> web.StreamResponse:
    service = request.app[RPC_SERVICE]
    try:
        head = service.backend.chain.head.block_number
    except Exception as error:
        logger.exception("health check could not read the head")
        return web.json_response({"status": "error", "version": VERSION, "error": str(error)}, status=503)
    return web.json_response({"status": "ok", "version": VERSION, "head": head})


# --- WebSocket --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Subscription:
    kind: str
    criteria: FilterCriteria | None = None
    matcher: LogMatcher | None = None
    full_transactions: bool = False

    def wants_block(self, number: int) -> bool:
        """Within the fromBlock/toBlock numbers of a logs subscription (tags: no bound)."""
        criteria = self.criteria
        if criteria is None:
            return True
        if criteria.from_block is not None and criteria.from_block.number is not None and number < criteria.from_block.number:
            return False
        return not (criteria.to_block is not None and criteria.to_block.number is not None and number > criteria.to_block.number)


class WebSocketSession:
    """One WebSocket connection: requests in, responses and notifications out through one
    bounded queue. A client that falls `limits.ws_send_queue` messages behind is
    disconnected rather than buffered without end."""

    def __init__(self, service: RpcService, ws: web.WebSocketResponse) -> None:
        self.service = service
        self.ws = ws
        self.context = replace(service.context, connection=self)
        self._outbox: asyncio.Queue[str | None] = asyncio.Queue(service.limits.ws_send_queue)
        self._subscriptions: dict[str, _Subscription] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._overflowed = False

    # subscriptions (SubscriptionHost)

    def subscribe(self, kind: str, criteria: FilterCriteria | None, *, full_transactions: bool = False) -> str:
        if len(self._subscriptions) >= self.service.limits.max_subscriptions_per_connection:
            raise LimitExceeded(
                f"too many subscriptions on this connection (limit {self.service.limits.max_subscriptions_per_connection})"
            )
        subscription_id = "0x" + secrets.token_hex(16)
        matcher = LogMatcher.from_criteria(criteria) if criteria is not None else None
        self._subscriptions[subscription_id] = _Subscription(kind, criteria, matcher, full_transactions)
        return subscription_id

    def unsubscribe(self, subscription_id: str) -> bool:
        return self._subscriptions.pop(subscription_id, None) is not None

    def _notify(self, subscription_id: str, result: Any) -> None:
        self._send({"jsonrpc": JSONRPC_VERSION, "method": "eth_subscription",
                    "params": {"subscription": subscription_id, "result": result}})

    def on_new_head(self, event: NewHead) -> None:
        header_json = None
        for subscription_id, subscription in list(self._subscriptions.items()):
            if subscription.kind == "newHeads":
                header_json = header_json or format_header(event.header)
                self._notify(subscription_id, header_json)
            elif subscription.kind == "logs" and subscription.wants_block(event.header.block_number):
                assert subscription.matcher is not None
                for log in event.matching_logs(subscription.matcher):
                    self._notify(subscription_id, log)

    def on_pending_transaction(self, tx_hash: bytes) -> None:
        for subscription_id, subscription in list(self._subscriptions.items()):
            if subscription.kind == "newPendingTransactions":
                pooled = self.service.backend.txpool.get(tx_hash) if subscription.full_transactions else None
                self._notify(subscription_id, format_transaction(pooled.tx) if pooled else "0x" + tx_hash.hex())

    # sending

    def _send(self, response: Any) -> None:
        if self._overflowed:
            return
        try:
            self._outbox.put_nowait(_dumps(response))
        except asyncio.QueueFull:
            self._overflowed = True
            logger.warning("WebSocket client fell %d messages behind; closing it", self._outbox.maxsize)
            asyncio.ensure_future(self.ws.close(code=1008, message=b"too slow: send queue full"))

    async def _writer(self) -> None:
        while True:
            text = await self._outbox.get()
            if text is None or self.ws.closed:
                return
            try:
                await self.ws.send_str(text)
            except (ConnectionError, RuntimeError):  # the peer went away mid-send
                return

    async def _answer(self, payload: str | bytes) -> None:
        response = await self.service.handle_payload(payload, self.context)
        if response is not None:
            self._send(response)

    async def run(self) -> None:
        events = self.service.events
        events.add_head_listener(self.on_new_head)
        events.add_pending_listener(self.on_pending_transaction)
        writer = asyncio.create_task(self._writer())
        try:
            async for message in self.ws:
                if message.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                    task = asyncio.create_task(self._answer(message.data))
                    self._tasks.add(task)
                    task.add_done_callback(self._tasks.discard)
                elif message.type == WSMsgType.ERROR:
                    logger.debug("WebSocket closed with error: %s", self.ws.exception())
                    break
        finally:
            events.remove_head_listener(self.on_new_head)
            events.remove_pending_listener(self.on_pending_transaction)
            self._subscriptions.clear()
            for task in list(self._tasks):
                task.cancel()
            writer.cancel()
            await asyncio.gather(writer, *self._tasks, return_exceptions=True)


async def _handle_websocket(request: web.Request) -> web.StreamResponse:
    service = request.app[RPC_SERVICE]
    ws = web.WebSocketResponse(max_msg_size=service.limits.max_body_bytes, heartbeat=30.0)
    await ws.prepare(request)
    session = WebSocketSession(service, ws)
    service.sessions.add(session)
    try:
        await session.run()
    finally:
        service.sessions.discard(session)
    return ws


# --- the application ----------------------------------------------------------------------------


async def _background_ctx(app: web.Application) -> AsyncIterator[None]:
    service = app[RPC_SERVICE]
    tasks = [
        asyncio.create_task(service.events.run(), name="rpc-new-heads"),
        asyncio.create_task(service.filters.run_expiry(), name="rpc-filter-expiry"),
    ]
    yield
    for task in tasks:
        task.cancel()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    for result in results:
        if isinstance(result, Exception) and not isinstance(result, asyncio.CancelledError):
            logger.error("rpc background task failed", exc_info=result)


async def _close_websockets(app: web.Application) -> None:
    for session in list(app[RPC_SERVICE].sessions):
        await session.ws.close(code=1001, message=b"server shutdown")


def create_rpc_app(backend: RpcBackend, *, limits: RpcLimits = RpcLimits()) -> web.Application:
    """The aiohttp application serving JSON-RPC for `backend`."""
    app = web.Application(client_max_size=limits.max_body_bytes)
    app[RPC_SERVICE] = RpcService(backend, limits)
    app.router.add_post("/", _handle_post)
    app.router.add_get("/", _handle_get)
    app.router.add_get("/healthz", _handle_healthz)
    app.router.add_get("/metrics", _handle_metrics)
    app.cleanup_ctx.append(_background_ctx)
    app.on_shutdown.append(_close_websockets)
    return app
