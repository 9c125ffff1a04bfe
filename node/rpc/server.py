"""The JSON-RPC server: HTTP POST and WebSocket on one port and path, plus `GET /healthz`.

    POST /                 a JSON-RPC 2.0 request or batch; the answer is HTTP 200 with the
                           JSON-RPC response (errors included), or 413 for a body over
                           `limits.max_body_bytes` (with a JSON-RPC error body, -32600)
    GET /  (Upgrade: websocket)
                           a WebSocket session: the same requests, one per message (text or
                           binary frames), plus eth_subscribe notifications
    GET /  (Accept: text/html)
                           the block explorer page (`node.explorer`), and its files under
                           /explorer/; read-only, it calls this same JSON-RPC
    GET /healthz           {"status": "ok", "version": …, "head": <head block number>}
    GET /metrics           Prometheus text format (`node.metrics`), when the backend has a registry
    OPTIONS *              a CORS preflight, answered when `cors_origins` allows the Origin

CORS (`lantau node --rpc-cors`, as geth's --http.corsdomain and anvil's --allow-origin): off
unless origins are given; "*" allows any. An allowed Origin gets Access-Control-Allow-Origin
on every answer and a preflight (OPTIONS) answer of 204 with the methods and headers it asked
for; a preflight from an origin not allowed gets 403 with no CORS headers, so the browser
refuses the call, as geth's rs/cors does.

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
import math
import re
import secrets
import weakref
from dataclasses import dataclass, replace
from importlib import metadata
from typing import Any, AsyncIterator, Final

from aiohttp import WSMsgType, web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_protocol import RequestPayloadError

from node import durability
from node.explorer import add_explorer_routes, explorer_page, wants_explorer
from node.errors import (
    BatchTooLarge,
    ConfigError,
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
from node.rpc.full_blocks import FullBlockFormatter, JsonText
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

#: Deeper JSON is refused before decoding. The C JSON decoder guards its recursion with
#: Python's recursion limit, which this process raises far above what the C stack holds
#: (py_ecc sets 100,000): at a few tens of thousands of levels the decoder overflows the
#: thread's stack (a segfault) long before it would raise RecursionError. So the guard must
#: not lean on that limit at all: the text is scanned, as the decoder will read it, against
#: this depth, which holds whatever `sys.getrecursionlimit()` is. Real requests nest about
#: 6 deep.
MAX_JSON_DEPTH: Final = 64
#: Bodies above this are decoded in a worker thread, so one large batch does not stall others.
_THREADED_PARSE_BYTES: Final = 64 * 1024
_JSON_SPECIAL = re.compile(r'[\[\]{}"\\]')


def json_nesting_exceeds(text: str, limit: int) -> bool:
    """Whether JSON `text` nests arrays/objects deeper than `limit` (string contents ignored).
    Linear in the number of brackets, quotes and backslashes."""
    if text.count("[") + text.count("{") <= limit:
        return False
    depth, in_string, escaped_at = 0, False, -1
    for match in _JSON_SPECIAL.finditer(text):
        position = match.start()
        if position == escaped_at:
            continue
        char = match.group()
        if in_string:
            if char == "\\":  # the next character is escaped
                escaped_at = position + 1
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


def _refuse_constant(name: str) -> Any:
    # NaN, Infinity and -Infinity are Python's extensions, not JSON (RFC 8259 section 6); echoed
    # back in an "id" they would make the answer invalid JSON.
    raise ValueError(f"{name} is not a JSON value")


def _finite_float(text: str) -> float:
    number = float(text)
    if math.isinf(number):  # 1e400: valid JSON syntax, but no double holds it
        raise ValueError(f"number {text[:32]} is out of range")
    return number


def parse_json(payload: str | bytes) -> Any:
    """Decode a request body or message; raise `ParseError` for anything not JSON.

    Bytes must be UTF-8 (RFC 8259 section 8.1: JSON exchanged between systems is UTF-8);
    `json.loads` would also take UTF-16 and UTF-32, which the nesting scan would misread. The
    text is decoded first, and the scan and the decoder then read the same characters."""
    if isinstance(payload, str):
        text = payload
    else:
        try:
            text = payload.decode("utf-8")
        except UnicodeDecodeError as error:
            raise ParseError(f"request body is not UTF-8: invalid byte at position {error.start}") from None
    if json_nesting_exceeds(text, MAX_JSON_DEPTH):
        raise ParseError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    try:
        return json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except ValueError as error:
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
        self.events.add_matcher_source(self.filters.log_matchers)
        self.events.add_pending_listener(self.filters.on_pending_transaction)
        self.context = RpcContext(
            backend=backend,
            limits=limits,
            runner=ExecutionRunner(limits),
            filters=self.filters,
            events=self.events,
            gas_oracle=eth.GasPriceOracle(),
            full_blocks=FullBlockFormatter(),
        )
        self.methods: dict[str, RpcMethod] = dict(eth.METHODS)
        for name, method in (getattr(backend, "extra_methods", None) or {}).items():
            if name in self.methods:
                raise ConfigError(f"rpc: extra method {name} would replace a standard method")
            if not isinstance(method, RpcMethod):  # its params would bypass bind_params
                raise ConfigError(f"rpc: extra method {name} is not an RpcMethod")
            self.methods[name] = method
        self.sessions: weakref.WeakSet[WebSocketSession] = weakref.WeakSet()
        self.metrics_render: asyncio.Future[str] | None = None  # the /metrics render in flight

    async def handle_payload(self, payload: str | bytes, ctx: RpcContext) -> str | None:
        """The response text to one HTTP body or WebSocket message (None: nothing to send).

        Durability the handlers owe (a sent transaction's journal fsync, `node.durability`) is
        settled before the answer exists, once for the whole body: a batch of sends shares one
        fsync. If the disk fails there, the body is answered with that one error instead."""
        with durability.collect() as owed:
            text = await self._answer_payload(payload, ctx)
            try:
                await owed.settle()
            except Exception as error:  # noqa: BLE001 - nothing owed was acknowledged
                logger.error("could not make sent transactions durable: %s", error)
                return _dumps(_error_response(None, error))
        return text

    async def _answer_payload(self, payload: str | bytes, ctx: RpcContext) -> str | None:
        """The answer to one body, before what it owes is settled.

        Answers are capped at `limits.max_response_bytes` (geth's 25 MB batch response cap):
        a single answer over it becomes an error with its id; in a batch, every entry after
        the total passes the cap is answered with that error instead of its result."""
        try:
            if len(payload) > _THREADED_PARSE_BYTES:
                message = await asyncio.to_thread(parse_json, payload)
            else:
                message = parse_json(payload)
        except ParseError as error:
            return _dumps(_error_response(None, error))
        limit = self.limits.max_response_bytes
        if isinstance(message, list):
            if not message:
                return _dumps(_error_response(None, InvalidRequest("empty batch")))
            if len(message) > self.limits.max_batch_items:
                first_id = next((m.get("id") for m in message if isinstance(m, dict) and "id" in m), None)
                return _dumps([_error_response(first_id, BatchTooLarge(len(message), self.limits.max_batch_items))])
            await eth.recover_senders_ahead(message)
            texts: list[str] = []
            size = 0
            for item in message:
                response = await self.handle_message(item, ctx)
                if response is None:
                    continue
                text = _serialize(response)
                if size + len(text) > limit:
                    text = _dumps(_error_response(response["id"], _response_too_large(limit)))
                size += len(text)
                texts.append(text)
            return "[" + ",".join(texts) + "]" if texts else None
        response = await self.handle_message(message, ctx)
        if response is None:
            return None
        text = _serialize(response)
        if len(text) > limit:
            return _dumps(_error_response(response["id"], _response_too_large(limit)))
        return text

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
        result = method.handler(ctx, *bind_params(params, method.params))
        if asyncio.iscoroutine(result) or isinstance(result, asyncio.Future):
            result = await result
        return result


def _response_too_large(limit: int) -> LimitExceeded:
    return LimitExceeded(f"response too large: more than {limit} bytes")


def _dumps(response: Any) -> str:
    # allow_nan=False: NaN and Infinity are not JSON; nothing the node answers may carry them.
    return json.dumps(response, separators=(",", ":"), allow_nan=False)


def _serialize(response: dict[str, Any]) -> str:
    result = response.get("result")
    if isinstance(result, JsonText):  # serialised already (node.rpc.full_blocks)
        return f'{{"jsonrpc":{_dumps(response["jsonrpc"])},"id":{_dumps(response["id"])},"result":{result}}}'
    try:
        return _dumps(response)
    except (TypeError, ValueError) as error:  # a method returned something unserialisable: a bug
        return _dumps(_error_response(response.get("id"), error))


# --- HTTP -------------------------------------------------------------------------------------

RPC_SERVICE: Final = web.AppKey("lantau_rpc_service", RpcService)


def _json_response(response: Any, *, status: int = 200) -> web.Response:
    """An HTTP answer: `response` as JSON, or as is when it is already JSON text."""
    if response is None:
        return web.Response(status=status, body=b"", content_type="application/json")
    text = response if isinstance(response, str) else _serialize(response)
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
    except (HttpProcessingError, RequestPayloadError) as error:
        # A body that does not decode as its Content-Encoding says (bad gzip, brotli, deflate):
        # the client's mistake, answered 400 and logged in one line, never a traceback.
        logger.info("refused a request body that does not decode: %s", str(error).replace("\n", " "))
        # The rest of the body cannot be read either: end it here, and close the connection
        # after answering, instead of letting aiohttp drain it into the same error.
        request.content.feed_eof()
        response = _json_response(_error_response(None, ParseError("request body does not decode as its Content-Encoding")), status=400)
        response.force_close()
        return response
    return _json_response(await service.handle_payload(body, service.context))


async def _handle_get(request: web.Request) -> web.StreamResponse:
    if request.headers.get("Upgrade", "").lower() == "websocket":
        return await _handle_websocket(request)
    if wants_explorer(request):
        return explorer_page()
    error = InvalidRequest("send JSON-RPC requests by POST, or upgrade to a WebSocket")
    response = _json_response(_error_response(None, error), status=405)
    response.headers["Allow"] = "POST"
    return response


#: A scrape waits this long for the gauges; some read L1 (balances, the oracle), and an L1
#: outage must cost the scrape an error, never the event loop's time.
METRICS_TIMEOUT_S: Final = 5.0


async def _handle_metrics(request: web.Request) -> web.StreamResponse:
    """Gauges are read in a worker thread, one render at a time: concurrent scrapes share the
    render in flight, so a stuck L1 holds one thread, not one per scrape."""
    service = request.app[RPC_SERVICE]
    registry = getattr(service.backend, "metrics", None)
    if registry is None:
        text = ""
    else:
        if service.metrics_render is None or service.metrics_render.done():
            service.metrics_render = asyncio.ensure_future(asyncio.to_thread(registry.render))
            service.metrics_render.add_done_callback(lambda f: f.cancelled() or f.exception())
        try:
            text = await asyncio.wait_for(asyncio.shield(service.metrics_render), METRICS_TIMEOUT_S)
        except TimeoutError:
            logger.warning("metrics scrape: a gauge did not answer within %ss (L1 down?)", METRICS_TIMEOUT_S)
            return web.Response(status=503, text=f"metrics unavailable: a gauge did not answer within {METRICS_TIMEOUT_S:g}s\n")
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

    def log_matchers(self) -> list[LogMatcher]:
        """The matchers of this connection's logs subscriptions (a `ChainEvents` matcher source)."""
        return [s.matcher for s in self._subscriptions.values() if s.matcher is not None]

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
        self._send_text(_dumps(response))

    def _send_text(self, text: str) -> None:
        if self._overflowed:
            return
        try:
            self._outbox.put_nowait(text)
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
        text = await self.service.handle_payload(payload, self.context)
        if text is not None:
            self._send_text(text)

    async def run(self) -> None:
        events = self.service.events
        events.add_head_listener(self.on_new_head)
        events.add_matcher_source(self.log_matchers)
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
            events.remove_matcher_source(self.log_matchers)
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


# --- CORS -------------------------------------------------------------------------------------

CORS_ORIGINS: Final = web.AppKey("lantau_rpc_cors_origins", frozenset)
_CORS_ALLOW_METHODS: Final = "POST, GET, OPTIONS"
_CORS_MAX_AGE_S: Final = 600


def parse_cors_origins(value: str | None) -> frozenset[str]:
    """`--rpc-cors` as a set: comma-separated origins (scheme://host[:port]) or "*";
    empty or None is off."""
    if not value:
        return frozenset()
    origins = frozenset(part.strip().rstrip("/") for part in value.split(",") if part.strip())
    for origin in origins:
        if origin != "*" and not re.fullmatch(r"[a-z][a-z0-9+.-]*://[^/\s]+", origin, re.IGNORECASE):
            raise ConfigError(f"--rpc-cors: {origin!r} is not an origin (scheme://host[:port]) or *")
    return origins


def _allowed_origin(request: web.Request) -> str | None:
    """The Access-Control-Allow-Origin value for `request`, or None if CORS does not allow it."""
    origins = request.app[CORS_ORIGINS]
    origin = request.headers.get("Origin")
    if not origins or origin is None:
        return None
    if "*" in origins:
        return "*"
    return origin if origin.rstrip("/") in origins else None


async def _handle_preflight(request: web.Request) -> web.StreamResponse:
    allowed = _allowed_origin(request)
    if allowed is None or "Access-Control-Request-Method" not in request.headers:
        return web.Response(status=403, text="CORS request refused\n")
    headers = {
        "Access-Control-Allow-Methods": _CORS_ALLOW_METHODS,
        "Access-Control-Allow-Headers": request.headers.get("Access-Control-Request-Headers", "Content-Type"),
        "Access-Control-Max-Age": str(_CORS_MAX_AGE_S),
    }
    return web.Response(status=204, headers=headers)


@web.middleware
async def _cors_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as error:  # 404s and 405s carry the header too, so the page can read them
        response = error
        raise_it = True
    else:
        raise_it = False
    allowed = _allowed_origin(request)
    if allowed is not None and not response.prepared:
        response.headers["Access-Control-Allow-Origin"] = allowed
        if allowed != "*":
            response.headers["Vary"] = "Origin"
    if raise_it:
        raise response  # type: ignore[misc]
    return response


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


class _OneLineClientErrors(logging.Filter):
    """aiohttp logs every malformed HTTP request (bad request line, headers, chunking,
    Content-Encoding) with a full traceback at ERROR: anyone could flood the log. Those are
    the client's mistakes: one line at INFO says enough."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, (HttpProcessingError, RequestPayloadError)):
            detail = f"{type(error).__name__}: {error}".replace("\n", " ")
            record.msg, record.args = "%s: %s", (record.getMessage(), detail)
            record.exc_info, record.exc_text = None, None
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


def _install_log_filter() -> None:
    server_logger = logging.getLogger("aiohttp.server")
    if not any(isinstance(f, _OneLineClientErrors) for f in server_logger.filters):
        server_logger.addFilter(_OneLineClientErrors())


def create_rpc_app(
    backend: RpcBackend, *, limits: RpcLimits = RpcLimits(), cors_origins: frozenset[str] = frozenset()
) -> web.Application:
    """The aiohttp application serving JSON-RPC for `backend`; browsers from `cors_origins`
    ("*": any) may call it (see `parse_cors_origins`)."""
    _install_log_filter()
    app = web.Application(client_max_size=limits.max_body_bytes, middlewares=[_cors_middleware])
    app[RPC_SERVICE] = RpcService(backend, limits)
    app[CORS_ORIGINS] = frozenset(cors_origins)
    app.router.add_route("OPTIONS", "/{tail:.*}", _handle_preflight)
    app.router.add_post("/", _handle_post)
    app.router.add_get("/", _handle_get)
    app.router.add_get("/healthz", _handle_healthz)
    app.router.add_get("/metrics", _handle_metrics)
    add_explorer_routes(app)
    app.cleanup_ctx.append(_background_ctx)
    app.on_shutdown.append(_close_websockets)
    return app
