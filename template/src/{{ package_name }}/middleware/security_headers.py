"""Security headers suited to a JSON API, added to every response."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .headers import add_response_headers, raw_headers

API_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Cross-Origin-Opener-Policy": "same-origin",
}
# The interactive docs load their scripts and styles from a CDN.
DOCS_CSP = (
    "default-src 'none'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "img-src 'self' data: https://fastapi.tiangolo.com; connect-src 'self'; "
    "frame-ancestors 'none'"
)
DOCS_PATHS = ("/docs", "/redoc")
HSTS = "max-age=63072000; includeSubDomains"


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        hsts_header = {"Strict-Transport-Security": HSTS} if hsts else {}
        self.api_headers = raw_headers({**API_HEADERS, **hsts_header})
        self.docs_headers = raw_headers(
            {**API_HEADERS, **hsts_header, "Content-Security-Policy": DOCS_CSP}
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = self.docs_headers if scope["path"].startswith(DOCS_PATHS) else self.api_headers

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                add_response_headers(message, headers)
            await send(message)

        await self.app(scope, receive, send_with_headers)
