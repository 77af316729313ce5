"""ASGI middleware of the web: security headers on every response, a limit on request bodies, and the client's
address behind trusted proxies only."""

import ipaddress

from fastapi.responses import JSONResponse
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException

HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "content-security-policy":
        "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
}


class SecurityHeaders:
    """Headers that keep pages out of frames, scripts from elsewhere out of pages, and types unsniffed."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    if name not in headers:
                        headers.append(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyLimit:
    """Refuses a request body above the limit: at once when its Content-Length says so, else as soon as the
    bytes received pass it (nothing larger is ever read or spooled)."""

    def __init__(self, app, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        message = f"the request has more than {self.max_bytes:,} bytes"
        length = dict(scope["headers"]).get(b"content-length", b"0")
        if length.isdigit() and int(length) > self.max_bytes:
            error = {"loc": ["body"], "msg": message, "type": "too_large"}
            return await JSONResponse({"detail": [error]}, 413)(scope, receive, send)
        received = 0

        async def limited():
            nonlocal received
            event = await receive()
            received += len(event.get("body", b""))
            if received > self.max_bytes:
                raise StarletteHTTPException(413, message)
            return event

        await self.app(scope, limited, send)


class TrustedProxies:
    """The client's address (what login throttling counts per address) is the connection's peer, unless that peer
    is one of the configured proxies: then X-Forwarded-For is read from the right, past the trusted proxies, to
    the first address that is not one. Any other peer's X-Forwarded-For is ignored (uvicorn's own reading of the
    header, which trusts 127.0.0.1, is switched off where we start uvicorn)."""

    def __init__(self, app, trusted: list[str]):
        self.app = app
        self.networks = [ipaddress.ip_network(entry, strict=False) for entry in trusted]

    def trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.networks)

    async def __call__(self, scope, receive, send):
        if scope["type"] in ("http", "websocket") and self.networks and scope.get("client") \
                and self.trusted(scope["client"][0]):
            forwarded = [value.decode("latin-1") for name, value in scope["headers"] if name == b"x-forwarded-for"]
            hops = [hop.strip() for header in forwarded for hop in header.split(",") if hop.strip()]
            for hop in reversed(hops):
                if not self.trusted(hop):
                    try:
                        ipaddress.ip_address(hop)
                    except ValueError:
                        break  # garbage: keep the proxy's own address
                    scope = {**scope, "client": (hop, 0)}
                    break
        return await self.app(scope, receive, send)
