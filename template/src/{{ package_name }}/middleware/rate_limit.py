"""Refuse a client over its rate limit with 429, and tell every client where it stands.

Headers: RateLimit-Limit, RateLimit-Remaining and RateLimit-Reset (seconds), as the
IETF draft's earlier revisions and most clients and gateways read them, and
Retry-After on a 429.
"""

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import CATALOGUE, ErrorCode, envelope
from ..rate_limit.limiter import STATE_KEY, Decision, RateLimiter
from ..rate_limit.policy import ClientKey, client_address, is_exempt, policy_for
from ..request_context import request_id_from_scope
from .headers import add_response_headers, raw_headers


def rate_limit_headers(decision: Decision) -> dict[str, str]:
    return {
        "RateLimit-Limit": str(decision.limit),
        "RateLimit-Remaining": str(decision.remaining),
        "RateLimit-Reset": str(decision.reset_seconds),
    }


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, *, client_key: ClientKey = client_address) -> None:
        self.app = app
        self.client_key = client_key

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limiter: RateLimiter | None = scope.get("state", {}).get(STATE_KEY)
        if scope["type"] != "http" or limiter is None or is_exempt(scope["path"]):
            await self.app(scope, receive, send)
            return
        decision = await limiter.check(policy_for(scope["method"]), self.client_key(scope))
        if decision is None:  # the storage failed: let the request through, unchecked
            await self.app(scope, receive, send)
            return
        headers = rate_limit_headers(decision)
        if not decision.allowed:
            body = envelope(ErrorCode.RATE_LIMITED, request_id=request_id_from_scope(scope))
            headers["Retry-After"] = str(decision.reset_seconds)
            status = CATALOGUE[ErrorCode.RATE_LIMITED].status
            await JSONResponse(body, status_code=status, headers=headers)(scope, receive, send)
            return
        added = raw_headers(headers)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                add_response_headers(message, added)
            await send(message)

        await self.app(scope, receive, send_with_headers)
