"""The one table from `node.errors` classes to JSON-RPC error codes.

Nowhere else turns an exception into an error code: method implementations raise the
node's named errors, and the dispatcher asks `error_object` for the JSON-RPC error. The codes
follow geth, so clients that switch on them (web3.py, ethers) behave as against geth:

    -32700  parse error               -32601  method not found / notifications unsupported
    -32600  invalid request           -32602  invalid params
    -32603  internal error (a bug)    -32005  a limit was exceeded
         3  execution reverted, with the revert data in `data`
    -380xx  eth_simulateV1's refusals (nonce, funds, block gas, block order, ...), as geth's
    -32000  everything else the node refuses on purpose (transaction rejections, unknown
            block, execution errors, timeouts), with the error's own message
"""

from __future__ import annotations

import logging
from typing import Any, Final

from node.errors import (
    ExecutionReverted,
    InvalidParams,
    InvalidRequest,
    L1BlockOutsideDerivationRange,
    LantauError,
    LimitExceeded,
    MethodNotFound,
    NotificationsUnsupported,
    ParseError,
    SimulationBlockGasLimitReached,
    SimulationBlockNumberInvalid,
    SimulationBlockTimestampInvalid,
    SimulationFeeCapTooLow,
    SimulationInsufficientFunds,
    SimulationIntrinsicGasTooLow,
    SimulationNonceTooHigh,
    SimulationNonceTooLow,
    SimulationSenderNotEOA,
    SimulationTooLarge,
)

logger = logging.getLogger(__name__)

PARSE_ERROR: Final = -32700
INVALID_REQUEST: Final = -32600
METHOD_NOT_FOUND: Final = -32601
INVALID_PARAMS: Final = -32602
INTERNAL_ERROR: Final = -32603
SERVER_ERROR: Final = -32000
LIMIT_EXCEEDED: Final = -32005
EXECUTION_REVERTED: Final = 3

#: Looked up along the exception's MRO: the most specific class listed wins.
ERROR_CODES: Final[dict[type[LantauError], int]] = {
    ParseError: PARSE_ERROR,
    InvalidRequest: INVALID_REQUEST,
    MethodNotFound: METHOD_NOT_FOUND,
    NotificationsUnsupported: METHOD_NOT_FOUND,
    InvalidParams: INVALID_PARAMS,
    L1BlockOutsideDerivationRange: INVALID_PARAMS,
    LimitExceeded: LIMIT_EXCEEDED,
    ExecutionReverted: EXECUTION_REVERTED,
    # eth_simulateV1's codes (execution-apis, as geth's internal/ethapi/errors.go)
    SimulationNonceTooLow: -38010,
    SimulationNonceTooHigh: -38011,
    SimulationFeeCapTooLow: -38012,
    SimulationIntrinsicGasTooLow: -38013,
    SimulationInsufficientFunds: -38014,
    SimulationBlockGasLimitReached: -38015,
    SimulationBlockNumberInvalid: -38020,
    SimulationBlockTimestampInvalid: -38021,
    SimulationSenderNotEOA: -38024,
    SimulationTooLarge: -38026,
    LantauError: SERVER_ERROR,
}


def error_code(error: BaseException) -> int:
    for cls in type(error).__mro__:
        code = ERROR_CODES.get(cls)  # type: ignore[call-overload]
        if code is not None:
            return code
    return INTERNAL_ERROR


def error_object(error: BaseException) -> dict[str, Any]:
    """The JSON-RPC `error` member for `error`. An exception the node did not raise on
    purpose is a bug: it is logged with its traceback and answered as -32603 without
    details, so internals do not leak to clients."""
    code = error_code(error)
    if code == INTERNAL_ERROR:
        logger.error("internal error answering a JSON-RPC request", exc_info=error)
        return {"code": INTERNAL_ERROR, "message": "internal error"}
    result: dict[str, Any] = {"code": code, "message": str(error)}
    if isinstance(error, ExecutionReverted):
        result["data"] = "0x" + error.data.hex()
    return result
