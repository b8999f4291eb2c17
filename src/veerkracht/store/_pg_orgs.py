"""Organisations, their database roles and the local accounts of a shared PostGIS store.

An organisation is a PostgreSQL role ``vk_org_<name>`` (NOLOGIN, member of ``veerkracht_member``): the
private tables' policies (:mod:`._pg_private`) show a row to the role whose name it carries. An account
is a login of the map server (``veerkracht serve``): a name, its organisation and a salted scrypt hash
of its password, in the ``accounts`` table that only the store's owner reads. The server connects as
its own database login and acts as the organisation's role (``SET ROLE``) for each request.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from ..errors import StoreError
from ._pg_private import MEMBER_ROLE

__all__ = ["org_role", "add_organisation", "add_account", "account_org", "role_of", "hash_password",
           "check_password", "split_org"]

_SCRYPT = {"n": 2 ** 14, "r": 8, "p": 1}


def org_role(name: str) -> str:
    """The database role of organisation ``name`` (lower case letters, digits and ``_``)."""
    slug = re.sub(r"[^a-z0-9]+", "_", str(name).strip().lower()).strip("_")
    if not slug:
        raise StoreError(f"an organisation needs a name with letters or digits, not {name!r}")
    return f"vk_org_{slug}"[:63]


def hash_password(password: str) -> str:
    """``scrypt$n$r$p$salt$hash`` (hex) of ``password`` with a fresh 16-byte salt."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, dklen=32, maxmem=64 * 2 ** 20, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str | None) -> bool:
    """Whether ``password`` matches a :func:`hash_password` string (constant-time comparison)."""
    try:
        kind, n, r, p, salt, digest = str(stored).split("$")
    except ValueError:
        return False
    if kind != "scrypt":
        return False
    got = hashlib.scrypt(password.encode("utf-8"), salt=bytes.fromhex(salt), dklen=len(digest) // 2,
                         n=int(n), r=int(r), p=int(p), maxmem=64 * 2 ** 20)
    return hmac.compare_digest(got.hex(), digest)


def add_organisation(store, name: str, server: str | None = None) -> str:
    """Create organisation ``name`` (its role, member of the member group); ``server``: a database login that
    may act as it (the map server's). Returns the role. Needs a role that may create roles."""
    import psycopg
    import psycopg.sql as sql

    role = org_role(name)
    with store.transaction():
        if store.con.execute("SELECT 1 FROM organisations WHERE name = %s", [name]).fetchone():
            raise StoreError(f"the store already has an organisation {name!r}")
        try:
            if not store.con.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role]).fetchone():
                store.con.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(role)))
            store.con.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(MEMBER_ROLE), sql.Identifier(role)))
            superuser = store.con.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()[0]
            for login in ([] if superuser else ["CURRENT_USER"]) + ([server] if server else []):
                who = sql.SQL(login) if login == "CURRENT_USER" else sql.Identifier(login)
                store.con.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(role), who))
            if server:                   # the server checks logins and finds the organisation's role
                store.con.execute(sql.SQL("GRANT SELECT ON accounts, organisations TO {}").format(sql.Identifier(server)))
        except psycopg.Error as exc:
            raise StoreError(f"cannot create the role {role} of organisation {name!r}: {exc}") from exc
        store.con.execute("INSERT INTO organisations VALUES (%s, %s, %s)", [name, role, store.now()])
    return role


def add_account(store, login: str, org: str, password: str) -> None:
    """Add (or replace the password and organisation of) the server account ``login``."""
    if not login.strip() or len(password) < 8:
        raise StoreError("an account needs a login and a password of at least 8 characters")
    with store.transaction():
        if not store.con.execute("SELECT 1 FROM organisations WHERE name = %s", [org]).fetchone():
            raise StoreError(f"no organisation {org!r} in the store (add it with `veerkracht store org add`)")
        store.con.execute("INSERT INTO accounts VALUES (%s, %s, %s, %s) ON CONFLICT (login) DO UPDATE SET "
                          "org = excluded.org, password = excluded.password",
                          [login.strip(), org, hash_password(password), store.now()])


def account_org(con, login: str, password: str | None = None) -> str | None:
    """The organisation of account ``login`` — when ``password`` matches (None: the login is vouched for by
    a trusted proxy); None for an unknown login or a wrong password."""
    row = con.execute("SELECT org, password FROM accounts WHERE login = %s", [login]).fetchone()
    if row is None or (password is not None and not check_password(password, row[1])):
        return None
    return row[0]


def role_of(con, org: str) -> str:
    """The role of organisation ``org`` (a StoreError naming the known ones when there is none)."""
    row = con.execute("SELECT role FROM organisations WHERE name = %s", [org]).fetchone()
    if row is None:
        known = [r[0] for r in con.execute("SELECT name FROM organisations ORDER BY 1").fetchall()]
        raise StoreError(f"no organisation {org!r} in the store; it has: {', '.join(known) or 'none'}")
    return row[0]


def split_org(url: str) -> tuple[str, str | None, str | None]:
    """``postgresql://…/db?org=NAME`` (or ``?role=ROLE``) → (the URL without them, NAME, ROLE)."""
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    got = {k: v for k, v in query if k in ("org", "role")}
    rest = urlencode([(k, v) for k, v in query if k not in ("org", "role")])
    return urlunsplit(parts._replace(query=rest)), got.get("org"), got.get("role")
