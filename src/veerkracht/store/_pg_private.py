"""Private tables on the PostGIS store, each row carrying its organisation, kept apart by row-level security.

The portfolio and the microdata tables (:data:`~.schema.PRIVATE_TABLES`) have an ``org`` column that
defaults to ``current_user``: a connection that acts as an organisation's role (``SET ROLE``, see
:mod:`._pg_orgs`) writes rows of that organisation. Every private table has row-level security with
one policy, ``org = current_user``, for reading and writing: an organisation's role sees and changes
only its own rows, whatever query an application sends. The owner of the tables (the administrator
who created the store) is not subject to the policy, as PostgreSQL intends: it copies and backs up
the whole store.

Public tables (areas, facts, crosswalks, registry, provenance …) are readable by every member of
``veerkracht_member``, the group every organisation role belongs to. A provenance row written by an
organisation's role (the load of its portfolio, survey or tenant file) carries its ``org`` and is
seen by that role only: the file names of one organisation's loads are private too.
"""
from __future__ import annotations

import pandas as pd

from ..errors import StoreError
from .portfolio import PORTFOLIO_COLUMNS
from .schema import PRIVATE_TABLES

__all__ = ["PG_PRIVATE_DDL", "PRIVATE_PG_TABLES", "PUBLIC_PG_TABLES", "MEMBER_ROLE", "PostGISPrivate", "rls_ddl"]

MEMBER_ROLE = "veerkracht_member"
PRIVATE_PG_TABLES = ("portfolio", *PRIVATE_TABLES)
PUBLIC_PG_TABLES = ("geo_versions", "areas", "facts", "crosswalks", "indicators", "provenance", "support",
                    "build_steps", "fact_history")
_T = 'text COLLATE "C"'
_ORG = f"org {_T} NOT NULL DEFAULT current_user"
PG_PRIVATE_DDL = f"""
CREATE TABLE IF NOT EXISTS portfolio (
    owner {_T} NOT NULL, unit_id {_T} NOT NULL, complex_id {_T}, dwellings integer NOT NULL,
    geo_version {_T} NOT NULL, code {_T} NOT NULL, located_by {_T}, rent_class {_T}, type {_T},
    label {_T}, year_built integer, source_row integer, provenance_id integer, cell {_T}, {_ORG}
);
ALTER TABLE portfolio ADD COLUMN IF NOT EXISTS cell {_T};
CREATE TABLE IF NOT EXISTS survey_respondents (
    dataset {_T} NOT NULL, src_row integer, year integer NOT NULL, weight double precision NOT NULL, stratum {_T},
    psu {_T}, area_code {_T}, tenure {_T}, rent {_T}, income_group {_T}, previous_tenure {_T}, education {_T},
    health {_T}, household_type {_T}, moved_in boolean, benefits boolean, nuisance boolean, fear boolean,
    weak_area boolean, provenance_id integer, {_ORG}
);
CREATE TABLE IF NOT EXISTS tenant_contracts (
    dataset {_T} NOT NULL, contract_id bigint NOT NULL, dwelling_id {_T} NOT NULL, household_id {_T},
    area_code {_T} NOT NULL, start_date date NOT NULL, end_date date, flags {_T}, src_row integer,
    provenance_id integer, {_ORG}
);
CREATE TABLE IF NOT EXISTS tenant_incomes (
    dataset {_T} NOT NULL, contract_id bigint NOT NULL, year integer NOT NULL, income_group {_T}, {_ORG}
);
CREATE TABLE IF NOT EXISTS tenant_flows (
    dataset {_T} NOT NULL, area_code {_T} NOT NULL, year_from integer NOT NULL, year_to integer NOT NULL,
    income_group {_T} NOT NULL, n_start double precision, n_out double precision, n_in double precision,
    stay_start double precision, stay_end double precision, n_ended double precision, provenance_id integer, {_ORG}
);
CREATE INDEX IF NOT EXISTS portfolio_org ON portfolio (org, owner);
CREATE INDEX IF NOT EXISTS tenant_contracts_org ON tenant_contracts (org, dataset);
CREATE INDEX IF NOT EXISTS tenant_incomes_org ON tenant_incomes (org, dataset, contract_id);
CREATE TABLE IF NOT EXISTS organisations (name {_T} PRIMARY KEY, role {_T} NOT NULL UNIQUE, created_at {_T});
CREATE TABLE IF NOT EXISTS accounts (login {_T} PRIMARY KEY, org {_T} NOT NULL REFERENCES organisations(name),
                                     password {_T}, created_at {_T});
"""


def rls_ddl() -> str:
    """Row-level security on every private table (policy created once), the member group and its grants.

    Idempotent; run by the store's owner each time it opens the store for writing."""
    parts = [f"""DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{MEMBER_ROLE}') THEN
    CREATE ROLE {MEMBER_ROLE} NOLOGIN;
  END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;   -- another database of the cluster made it
END $$;"""]
    for t in PRIVATE_PG_TABLES:
        parts.append(f"ALTER TABLE {t} ENABLE ROW LEVEL SECURITY;")
        parts.append(f"""DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_policies WHERE tablename = '{t}' AND policyname = 'own_organisation') THEN
    CREATE POLICY own_organisation ON {t} USING (org = current_user) WITH CHECK (org = current_user);
  END IF;
END $$;""")
        parts.append(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {t} TO {MEMBER_ROLE};")
    # a load an organisation makes is its own (its file names are private too): public rows have no org
    parts.append('ALTER TABLE provenance ADD COLUMN IF NOT EXISTS org text COLLATE "C";')
    parts.append("ALTER TABLE provenance ENABLE ROW LEVEL SECURITY;")
    parts.append("""DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_policies WHERE tablename = 'provenance' AND policyname = 'public_or_own') THEN
    CREATE POLICY public_or_own ON provenance FOR SELECT USING (org IS NULL OR org = current_user);
    CREATE POLICY insert_own ON provenance FOR INSERT WITH CHECK (org = current_user);
  END IF;
END $$;""")
    parts.append(f"GRANT SELECT ON {', '.join(PUBLIC_PG_TABLES)} TO {MEMBER_ROLE};")
    # an organisation loads its own microdata: the batch's provenance row is written with it
    parts.append(f"GRANT INSERT ON provenance, geo_versions TO {MEMBER_ROLE};")
    parts.append(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {MEMBER_ROLE};")
    parts.append("REVOKE ALL ON organisations, accounts FROM PUBLIC;")
    return "\n".join(parts)


def _records(cur) -> pd.DataFrame:
    cols = [d.name for d in cur.description]
    df = pd.DataFrame(cur.fetchall(), columns=cols)
    for c in ("start_date", "end_date"):          # as DuckDB gives dates: datetime64
        if c in df:
            df[c] = pd.to_datetime(df[c])
    return df


class PostGISPrivate:
    """Portfolio and microdata access of the PostGIS store (mixed into the backend); rows are the current
    role's organisation's only, by the policies of :func:`rls_ddl`."""

    def _has_table(self, name: str) -> bool:
        return self.con.execute("SELECT to_regclass(%s) IS NOT NULL", [name]).fetchone()[0]

    def private_query(self, sql: str, params=()) -> pd.DataFrame:
        """Rows of a query on the private tables (``?`` placeholders, as on DuckDB) as a DataFrame."""
        return _records(self.con.execute(sql.replace("?", "%s"), list(params)))

    def private_insert(self, table: str, df: pd.DataFrame, columns: list[str], extra: dict | None = None) -> int:
        """Insert ``df[columns]`` (plus constant ``extra`` columns) into a private table; ``org`` is the
        current role (the column default), checked by the policy."""
        from ._pg_io import copy_in
        out = df.reindex(columns=columns).assign(**(extra or {}))
        for c in ("start_date", "end_date"):
            if c in out:
                out[c] = pd.to_datetime(out[c]).dt.strftime("%Y-%m-%d")
        for c in out.columns:                      # integer columns with gaps: no '3.0' in the CSV
            if out[c].dtype.kind == "f" and c in ("src_row", "source_row", "year_built", "provenance_id", "dwellings"):
                out[c] = out[c].astype("Int64")
        cols = ", ".join(out.columns)
        # COPY cannot write into a table under row-level security: stage, then one INSERT the policy checks
        self.con.execute("DROP TABLE IF EXISTS _in_private")
        self.con.execute(f"CREATE TEMP TABLE _in_private AS SELECT {cols} FROM {table} WITH NO DATA")
        n = copy_in(self.con, "_in_private", out, list(out.columns))
        self.con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _in_private")
        self.con.execute("DROP TABLE _in_private")
        return n

    def ensure_private_tables(self) -> None:
        """Nothing to do: the private tables are made with the schema (:data:`PG_PRIVATE_DDL`)."""

    def private_exec(self, sql: str, params=()) -> None:
        """A statement on the private tables (``?`` placeholders)."""
        self.con.execute(sql.replace("?", "%s"), list(params))

    # ------------------------------------------------------------------ portfolio
    def write_portfolio(self, owner: str, rows: pd.DataFrame, provenance_id: int | None = None) -> int:
        """Replace ``owner``'s portfolio (of this role's organisation) by ``rows``; returns the rows written."""
        if not str(owner).strip():
            raise StoreError("a portfolio needs its owner's name (--corporation)")
        name = str(owner).strip()
        cols = [c for c in PORTFOLIO_COLUMNS if c not in ("owner", "provenance_id")]
        with self.transaction():
            self.con.execute("DELETE FROM portfolio WHERE owner = %s", [name])
            return self.private_insert("portfolio", rows, cols, {"owner": name, "provenance_id": provenance_id})

    def portfolio(self, owner: str | None = None, geo_version: str | None = None) -> pd.DataFrame:
        """The portfolio rows of ``owner`` (all owners when None) located in ``geo_version``."""
        if not self._has_table("portfolio"):
            return pd.DataFrame(columns=PORTFOLIO_COLUMNS)
        where = self._where(owner=owner, geo_version=geo_version)
        return self.private_query(f"SELECT {', '.join(PORTFOLIO_COLUMNS)} FROM portfolio {where} "
                                  "ORDER BY owner, geo_version, unit_id")

    def portfolio_owners(self) -> list[str]:
        """The corporations whose portfolio this role may see."""
        if not self._has_table("portfolio"):
            return []
        return [r[0] for r in self.con.execute("SELECT DISTINCT owner FROM portfolio ORDER BY owner").fetchall()]
