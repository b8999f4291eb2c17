"""Logins of a shared map server: each request is answered as its organisation's database role.

With a PostGIS store shared by several organisations, ``veerkracht serve --accounts`` asks every
request for a login (HTTP Basic, checked against the store's scrypt-hashed ``accounts``), or
``--auth-header X-Remote-User`` takes the login from a header set by a reverse proxy — accepted only
from the proxy's addresses (``--trusted-proxy``, default 127.0.0.1). The login's organisation gets an
app context of its own (:class:`~.views.common.Context`): its own store connection acting as the
organisation's role (``SET ROLE``, so PostgreSQL's row-level security decides which private rows it
reads) and its own caches, so no cached answer crosses from one organisation to another. The app's
default context reads as ``veerkracht_member`` — public data only — and is never handed to a request.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import threading
import time
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool

from ..errors import VeerkrachtError
from ..i18n import Message, render
from .guard import _send_json

__all__ = ["AuthConfig", "Auth", "with_query", "public_url", "CHECK_TTL"]

#: seconds a checked login is believed without asking the database again (a removed account or a changed
#: password takes effect within this time)
CHECK_TTL = 60.0


@dataclass
class AuthConfig:
    """How logins are taken: ``accounts`` (HTTP Basic against the store's accounts) and/or ``header`` (a
    reverse proxy's header naming the login, from the ``proxies`` addresses only)."""

    accounts: bool = True
    header: str | None = None
    proxies: tuple[str, ...] = ("127.0.0.1",)
    realm: str = "veerkracht"


def with_query(url: str, **params: str) -> str:
    """``url`` with the query parameters ``params`` set (``org=…`` or ``role=…`` of the PostGIS store)."""
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    return urlunsplit(parts._replace(query=urlencode(query + list(params.items()))))


def public_url(url: str) -> str:
    """The store read as the member group: public data, no organisation's private rows."""
    from ..store._pg_private import MEMBER_ROLE
    return with_query(url, role=MEMBER_ROLE)


class Auth:
    """ASGI middleware (inside :class:`~.guard.Guard`): login → organisation → that organisation's context."""

    def __init__(self, app, url: str, build, config: AuthConfig):
        from ..store import open_store

        self.app, self.url, self.build, self.config = app, url, build, config
        self.header = config.header.lower().encode("latin-1") if config.header else None
        self._accounts = open_store(url, read_only=True)        # the server's login: reads the accounts table
        self._lookup_lock = threading.Lock()
        self._contexts: dict[str, object] = {}
        self._build_lock = threading.Lock()
        self._verified: dict[tuple[str, str, bytes], tuple[str, float]] = {}   # see _key → (org, until)

    def _cached(self, login: str, password: str | None):
        """The organisation a recent check gave (login and password, or a proxy's login), if still fresh."""
        hit = self._verified.get(self._key(login, password))
        return hit[0] if hit is not None and hit[1] > time.monotonic() else None

    @staticmethod
    def _key(login: str, password: str | None) -> tuple[str, str, bytes]:
        """A proxy's login and a login with a password never share a key."""
        if password is None:
            return "proxy", login, b""
        return "basic", login, hashlib.sha256(password.encode("utf-8")).digest()

    def _org(self, login: str, password: str | None) -> str | None:
        from ..store._pg_orgs import account_org

        with self._lookup_lock:
            org = account_org(self._accounts.con, login, password)
        if org is not None:          # scrypt and the look-up once a minute per login, not per request
            self._verified[self._key(login, password)] = (org, time.monotonic() + CHECK_TTL)
        return org

    def context(self, org: str):
        """The organisation's context (built on first use)."""
        c = self._contexts.get(org)
        if c is None:
            with self._build_lock:
                c = self._contexts.get(org)
                if c is None:
                    c = self._contexts[org] = self.build(with_query(self.url, org=org))
        return c

    def _login(self, scope) -> tuple[str | None, str | None, bool]:
        """(login, password or None when a trusted proxy vouches, refused-because-untrusted)."""
        headers = dict(scope.get("headers") or [])
        if self.header is not None and self.header in headers:
            client = (scope.get("client") or ("", 0))[0]
            if client not in self.config.proxies:
                return None, None, True
            return headers[self.header].decode("utf-8", "replace").strip() or None, None, False
        auth = headers.get(b"authorization", b"")
        if self.config.accounts and auth[:6].lower() == b"basic ":
            try:
                login, _, password = base64.b64decode(auth[6:], validate=True).decode("utf-8").partition(":")
            except (binascii.Error, UnicodeDecodeError):
                return None, None, False
            return (login or None), password, False
        return None, None, False

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        login, password, untrusted = self._login(scope)
        if untrusted:
            return await _send_json(send, 403, render(Message("error.login_proxy_untrusted",
                                                              {"header": self.config.header}), "en"))
        org = (self._cached(login, password) or await run_in_threadpool(self._org, login, password)) if login else None
        if org is None:
            challenge = [(b"www-authenticate", f'Basic realm="{self.config.realm}", charset="UTF-8"'.encode())] \
                if self.config.accounts else []
            return await _send_json(send, 401, render(Message("error.login_required", {}), "en"), challenge)
        try:
            c = self._contexts.get(org) or await run_in_threadpool(self.context, org)
        except VeerkrachtError:       # the server's login may not act as this organisation (no GRANT)
            return await _send_json(send, 403, render(Message("error.login_role_refused", {"org": org}), "en"))
        state = scope.setdefault("state", {})
        state["web"], state["org"], state["login"] = c, org, login
        await self.app(scope, receive, send)

    def close(self) -> None:
        """Close the organisations' stores and the accounts connection."""
        for c in self._contexts.values():
            c.catalog.store.close()
        self._accounts.close()
