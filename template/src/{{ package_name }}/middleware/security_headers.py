"""Security headers suited to a JSON API, added to every response."""

from .headers import RawHeader, raw_headers

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


class SecurityHeaders:
    """Which headers a response to a path gets, encoded once; those the app set win."""

    def __init__(self, *, hsts: bool) -> None:
        hsts_header = {"Strict-Transport-Security": HSTS} if hsts else {}
        self.api = raw_headers({**API_HEADERS, **hsts_header})
        self.docs = raw_headers({**API_HEADERS, **hsts_header, "Content-Security-Policy": DOCS_CSP})

    def for_path(self, path: str) -> list[RawHeader]:
        return self.docs if path.startswith(DOCS_PATHS) else self.api
