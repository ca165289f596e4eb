"""QuickBooks' error bodies.

The v3 API answers a failed request with a `Fault` (HTTP 400 for validation faults, also nested
inside a 200 for batch items). Authentication and authorisation failures come from Intuit's API
gateway, which speaks a different, lower-case dialect (`fault.error[].message`), exactly as the
real gateway does for 401 and 403. Codes and wording follow Intuit's error-code list and bodies
seen from the live service; where Intuit documents no body (the batch-size limit, the CDC
look-back limit) the closest documented code is used and the wording says what went wrong.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from werkzeug.wrappers import Response

from .formats import qbo_time


class QboFault(Exception):
    """One QuickBooks fault; raised anywhere below an endpoint and rendered by it."""

    def __init__(
        self,
        code: str,
        message: str,
        detail: str,
        *,
        element: str = "",
        status: int = 400,
        fault_type: str = "ValidationFault",
    ) -> None:
        super().__init__(f"{code} {message}: {detail}")
        self.code = code
        self.message = message
        self.detail = detail
        self.element = element
        self.status = status
        self.fault_type = fault_type

    def fault(self) -> dict[str, Any]:
        error = {"Message": self.message, "Detail": self.detail, "code": self.code, "element": self.element}
        return {"Error": [error], "type": self.fault_type}

    def response(self, now: datetime, headers: dict[str, str] | None = None) -> Response:
        body = {"Fault": self.fault(), "time": qbo_time(now, millis=True)}
        return Response(
            json.dumps(body), status=self.status, headers=headers, content_type="application/json"
        )


def required_missing(param: str) -> QboFault:
    return QboFault(
        "2020",
        "Required param missing, need to supply the required value for the API",
        f"Required parameter {param} is missing in the request",
        element=param,
    )


def invalid_property(detail: str) -> QboFault:
    return QboFault(
        "2010",
        "Request has invalid or unsupported property",
        f"Property Name:{detail} specified is unsupported or invalid",
    )


def malformed_body() -> QboFault:
    return QboFault(
        "2010",
        "Request has invalid or unsupported property",
        "Property Name:failed to parse json object; a property specified is unsupported or invalid",
    )


def unknown_field(entity: str, name: str) -> QboFault:
    return invalid_property(
        f'Unrecognized field "{name}" (class com.intuit.schema.finance.v3.{entity}), not marked as ignorable'
    )


def bad_value(field: str, value: Any) -> QboFault:
    return invalid_property(f"Can not construct instance of {field} from value {value!r}")


def string_length(field: str, length: int, maximum: int) -> QboFault:
    return QboFault(
        "2050",
        "String length is either shorter or longer than supported by specification",
        f"String length specified does not match the supported length. Min:1 Max:{maximum} "
        f"supported. Supplied length:{length}",
        element=field,
    )


def invalid_reference(kind: str, ref_id: Any) -> QboFault:
    return QboFault(
        "2500", "Invalid Reference Id", f"Invalid Reference Id : {kind} element id {ref_id} not found"
    )


def object_not_found() -> QboFault:
    return QboFault(
        "610",
        "Object Not Found",
        "Object Not Found : Something you're trying to use has been made inactive. Check the fields "
        "with accounts, customers, items, vendors or employees.",
    )


def stale_object() -> QboFault:
    return QboFault(
        "5010",
        "Stale Object Error",
        "Stale Object Error : You and Sandbox User were working on this at the same time. Sandbox User "
        "finished before you did, so your work was not saved.",
    )


def duplicate_name(existing_id: str) -> QboFault:
    return QboFault(
        "6240", "Duplicate Name Exists Error", f"The name supplied already exists. : Id={existing_id}"
    )


def amount_mismatch(supplied: Any) -> QboFault:
    return QboFault(
        "6070",
        "Amount calculation incorrect in the request",
        f"Amount is not equal to UnitPrice * Qty. Supplied value:{supplied}",
    )


def business(detail: str) -> QboFault:
    return QboFault(
        "6000",
        "A business validation error has occurred while processing your request",
        f"Business Validation Error: {detail}",
    )


def unsupported_operation(detail: str) -> QboFault:
    return QboFault("500", "Unsupported Operation", f"Operation {detail} is not supported.")


def query_parse(detail: str) -> QboFault:
    return QboFault("4000", "Error parsing query", f"QueryParserError: {detail}")


def query_invalid(detail: str) -> QboFault:
    return QboFault("4001", "Invalid query", f"QueryValidationError: {detail}")


def batch_too_large(count: int, limit: int) -> QboFault:
    return QboFault(
        "1000",
        "Operation failed, see details for error",
        f"The maximum number of payloads in a single batch request is {limit}. Supplied: {count}",
        element="BatchItemRequest",
    )


def system_failure() -> QboFault:
    return QboFault(
        "10000",
        "An application error has occurred while processing your request",
        "System Failure Error: An unexpected error occurred while accessing or saving your data. Please "
        "wait a few minutes and try again. If the problem persists, contact customer support.",
        status=500,
        fault_type="SystemFault",
    )


def throttled() -> QboFault:
    return QboFault(
        "3001",
        "message=ThrottleExceeded; errorCode=003001; statusCode=429",
        "The request limit was reached.  Try again later",
        status=429,
        fault_type="SERVICE",
    )


def gateway_response(status: int, code: str, name: str, detail: str | None, now_ms: int) -> Response:
    """The API gateway's own body for 401/403, in its lower-case dialect."""
    body: dict[str, Any] = {
        "warnings": None,
        "intuitObject": None,
        "fault": {
            "error": [
                {
                    "message": f"message={name}; errorCode=00{code}; statusCode={status}",
                    "detail": detail,
                    "code": code,
                    "element": None,
                }
            ],
            "type": "AUTHENTICATION" if status == 401 else "SERVICE",
        },
        "report": None,
        "queryResponse": None,
        "batchItemResponse": [],
        "attachableResponse": [],
        "syncErrorResponse": None,
        "requestId": None,
        "time": now_ms,
        "status": None,
        "cdcresponse": [],
    }
    headers = {}
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="Intuit", error="invalid_token"'
    return Response(json.dumps(body), status=status, headers=headers, content_type="application/json")
