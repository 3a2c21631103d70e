"""The console's request guard: one ASGI middleware in front of every route, so a route added
later is guarded without a line of its own.

The console listens on loopback and holds no login, so what protects it is knowing who sent a
request. A web page the operator visits can make the browser send requests to 127.0.0.1 (a form
or a `text/plain` fetch needs no CORS preflight), and a name it controls can be re-pointed at
127.0.0.1 (DNS rebinding: the page is then "same-origin" with the console). So, for every request:

1. **Host**: the `Host` header must name this console (`127.0.0.1`, `localhost`, `[::1]`, or the
   address given to `--host`), else 400. A rebound name (`attacker.example`) is never served.
2. **Fetch metadata**: a browser's request from another site (`Sec-Fetch-Site: cross-site` or
   `same-site`: another port of 127.0.0.1 is another origin of the same site) is refused (403),
   except a top-level GET navigation (a link to a page). No other site can load the API, the
   event stream or a report into its own page, nor frame a page (every answer also says
   `X-Frame-Options: DENY`, `frame-ancestors 'none'`).
3. **State-changing methods** (anything but GET, HEAD, OPTIONS):
   - an `Origin`, when sent (browsers always send it on a POST), must be this console's (403);
   - the body must be `application/json` (415): a form post or a `text/plain` fetch, the two
     kinds a page can send cross-origin without a preflight, is refused before the route reads it;
   - the request must carry the session's token in the `X-Quantera-Token` header (403), except
     the routes named read-only (`/graphql` while its schema has no mutation: queries only).
   The token is a signed double-submit token (OWASP): the first page a browser loads sets a
   random session id in a cookie (`HttpOnly`, `SameSite=Strict`), and the page carries
   HMAC-SHA256(server secret, session id) in a `<meta>` tag that the pages' scripts send back.
   Another origin can neither read the page (no CORS) nor compute the HMAC (the secret is made
   at each start and never leaves the process).
4. **Body size**: a request body is at most `MAX_BODY_BYTES` (`MAX_GRAPHQL_BODY_BYTES` for
   `/graphql`), checked on `Content-Length` before anything is read and counted while a chunked
   body is read (413).

Every refusal is one line of JSON, `{"error": "..."}`, with the status above.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from http.cookies import SimpleCookie
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")
SESSION_COOKIE = "quantera_session"
TOKEN_HEADER = "x-quantera-token"
TOKEN_META = "quantera-token"  # <meta name=...> in every page (templates/base.html)
SCOPE_TOKEN = "quantera.token"  # where a route finds the session's token to render
JSON_MEDIA_TYPE = "application/json"
MAX_BODY_BYTES = 64 * 1024  # a form: the largest is 100 onboarding rows (~20 KB)
MAX_GRAPHQL_BODY_BYTES = 64 * 1024  # a query: the introspection query is ~2 KB
_SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{43}$")  # secrets.token_urlsafe(32)
_CROSS_SITE = frozenset({"cross-site", "same-site"})
_ALWAYS_HEADERS = (
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", b"frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
)


class BodyTooLarge(Exception):
    """A chunked body ran past its bound while a route read it."""


def _json(status: int, error: str) -> tuple[dict[str, Any], bytes]:
    body = json.dumps({"error": error}).encode()
    start = {
        "type": "http.response.start",
        "status": status,
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"cache-control", b"no-store"),
        ],
    }
    return start, body


async def refuse(send: Send, status: int, error: str) -> None:
    """Answers `{"error": error}` with `status`: the guard's one way of saying no."""
    start, body = _json(status, error)
    await send(start)
    await send({"type": "http.response.body", "body": body})


def _host_name(host: str) -> str:
    """`Host` without its port: `127.0.0.1:8000` -> `127.0.0.1`, `[::1]:8000` -> `[::1]`."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[: host.find("]") + 1] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class ConsoleGuard:
    """The middleware (see the module's docstring). `read_only_posts`: paths whose POSTs change
    nothing (GraphQL queries), exempt from the token only; every other check applies to them.
    `secret`: the HMAC key (random per process unless given, for tests)."""

    def __init__(
        self,
        app: ASGIApp,
        hosts: Iterable[str] = (),
        read_only_posts: Iterable[str] = (),
        body_bytes: dict[str, int] | None = None,
        secret: bytes | None = None,
    ) -> None:
        self.app = app
        self.hosts = frozenset(h.lower() for h in (*LOOPBACK_HOSTS, *hosts) if h)
        self.read_only_posts = frozenset(read_only_posts)
        self.body_bytes = dict(body_bytes or {})
        self._secret = secret or secrets.token_bytes(32)

    def token_for(self, session: str) -> str:
        """The token a page of `session` carries (and its scripts send back)."""
        return hmac.new(self._secret, session.encode(), hashlib.sha256).hexdigest()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # lifespan (and websockets: the console serves none)
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        method, path = scope["method"].upper(), scope["path"]
        host = _host_name(headers.get("host", ""))
        if host not in self.hosts:
            await refuse(
                send,
                400,
                f"refused: Host {host or '(none)'!r} is not this console "
                f"(it answers to {', '.join(sorted(self.hosts))})",
            )
            return
        site = headers.get("sec-fetch-site", "")
        navigation = (
            method == "GET"
            and headers.get("sec-fetch-mode") == "navigate"
            and headers.get("sec-fetch-dest", "document") == "document"
        )
        if site in _CROSS_SITE and not navigation:
            await refuse(send, 403, f"refused: a {site} request (only this console's own pages)")
            return
        session = self._session(headers.get("cookie", ""))
        new_session = session is None
        if new_session:
            session = secrets.token_urlsafe(32)
        scope[SCOPE_TOKEN] = self.token_for(session)
        if method not in SAFE_METHODS:
            error = self._unsafe_refusal(scope, headers, session, new_session)
            if error is not None:
                await refuse(send, *error)
                return
        bound = self.body_bytes.get(path, MAX_BODY_BYTES)
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > bound):
            await refuse(send, 413, f"refused: a request body is at most {bound:,} bytes here")
            return
        await self._serve(scope, self._bounded(receive, bound), send, session, new_session, bound)

    def _unsafe_refusal(
        self, scope: Scope, headers: dict[str, str], session: str, new_session: bool
    ) -> tuple[int, str] | None:
        origin = headers.get("origin")
        if origin is not None:
            scheme = scope.get("scheme", "http")
            own = {f"{scheme}://{headers.get('host', '').strip().lower()}"}
            if origin.strip().lower() not in own:
                return 403, f"refused: a request from another origin ({origin})"
        elif headers.get("sec-fetch-site") not in (None, "same-origin", "none"):
            return 403, "refused: a request from another origin"
        media_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if media_type != JSON_MEDIA_TYPE:
            return 415, (
                f"refused: the body must be {JSON_MEDIA_TYPE} (was {media_type or 'none'!r})"
            )
        if scope["path"] in self.read_only_posts:
            return None
        token = headers.get(TOKEN_HEADER, "")
        if new_session or not hmac.compare_digest(token.encode(), self.token_for(session).encode()):
            return 403, (
                "refused: no valid session token (X-Quantera-Token): reload the console's page"
            )
        return None

    @staticmethod
    def _session(cookie_header: str) -> str | None:
        if not cookie_header:
            return None
        cookies = SimpleCookie()
        try:
            cookies.load(cookie_header)
        except Exception:  # noqa: BLE001 - a malformed cookie header is no session
            return None
        morsel = cookies.get(SESSION_COOKIE)
        value = morsel.value if morsel is not None else ""
        return value if _SESSION_ID.match(value) else None

    @staticmethod
    def _bounded(receive: Receive, bound: int) -> Receive:
        seen = 0

        async def bounded() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > bound:
                    raise BodyTooLarge
            return message

        return bounded

    async def _serve(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        session: str,
        new_session: bool,
        bound: int,
    ) -> None:
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = [*message.get("headers", []), *_ALWAYS_HEADERS]
                if new_session:
                    cookie = f"{SESSION_COOKIE}={session}; Path=/; HttpOnly; SameSite=Strict"
                    headers.append((b"set-cookie", cookie.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except BodyTooLarge:
            if started:
                raise
            await refuse(send, 413, f"refused: a request body is at most {bound:,} bytes here")
