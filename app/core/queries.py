"""Read-only questions the CLI and the window ask of a case (counts, history, account lists).

Kept in core so no caller writes SQL of its own. Listings read the totals stored at import
time (``accounts.events``, ``imports`` counters) instead of counting events, so they answer
instantly on a 28.8M-event case.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass

from sqlalchemy import func, select

from . import schema as s
from .case import Case

__all__ = ["CaseSummary", "ImportRecord", "AccountRow", "summary", "iter_accounts"]


@dataclass(frozen=True)
class ImportRecord:
    id: int
    file_name: str
    format: str
    mode: str
    sha256: str
    file_size: int
    rows_read: int
    rows_stored: int
    rows_rejected: int
    rows_enriched: int
    started_at: int
    finished_at: int | None


@dataclass(frozen=True)
class CaseSummary:
    path: str
    schema_version: int
    events: int
    accounts: int
    rejected: int
    first_ts: int | None
    last_ts: int | None
    orgs: int
    api_keys: int
    ips: int
    ip_prefixes: int
    user_agents: int
    models: int
    prompts: int
    templates: int
    imports: list[ImportRecord]

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class AccountRow:
    name: str
    events: int
    first_seen: int | None
    last_seen: int | None


def _count(conn, table) -> int:
    return conn.execute(select(func.count()).select_from(table)).scalar_one()


def summary(case: Case) -> CaseSummary:
    with case.engine.connect() as conn:
        events, first, last, n_acc = conn.execute(
            select(func.coalesce(func.sum(s.accounts.c.events), 0), func.min(s.accounts.c.first_seen),
                   func.max(s.accounts.c.last_seen), func.count()).where(s.accounts.c.events > 0)
        ).one()
        rejected = conn.execute(select(func.coalesce(func.sum(s.imports.c.rows_rejected), 0))).scalar_one()
        imports = [ImportRecord(**row._mapping) for row in conn.execute(
            select(s.imports.c.id, s.imports.c.file_name, s.imports.c.format, s.imports.c.mode,
                   s.imports.c.sha256, s.imports.c.file_size, s.imports.c.rows_read,
                   s.imports.c.rows_stored, s.imports.c.rows_rejected, s.imports.c.rows_enriched,
                   s.imports.c.started_at, s.imports.c.finished_at).order_by(s.imports.c.id))]
        counts = {name: _count(conn, t) for name, t in (
            ("orgs", s.orgs), ("api_keys", s.api_keys), ("ips", s.ips), ("ip_prefixes", s.ip_prefixes),
            ("user_agents", s.user_agents), ("models", s.models), ("prompts", s.prompts),
            ("templates", s.templates))}
        version = conn.exec_driver_sql("PRAGMA user_version").scalar_one()
    return CaseSummary(path=str(case.path), schema_version=version, events=int(events), accounts=int(n_acc),
                       rejected=int(rejected), first_ts=first, last_ts=last, imports=imports, **counts)


def iter_accounts(case: Case, limit: int | None = None, order: str = "events") -> Iterator[AccountRow]:
    """Accounts with their event totals, busiest first (or by ``first_seen``/``last_seen``/``name``)."""
    col = {"events": s.accounts.c.events.desc(), "first_seen": s.accounts.c.first_seen,
           "last_seen": s.accounts.c.last_seen.desc(), "name": s.accounts.c.name}[order]
    stmt = (select(s.accounts.c.name, s.accounts.c.events, s.accounts.c.first_seen, s.accounts.c.last_seen)
            .where(s.accounts.c.events > 0).order_by(col, s.accounts.c.name))
    if limit:
        stmt = stmt.limit(limit)
    with case.engine.connect() as conn:
        for row in conn.execute(stmt):
            yield AccountRow(*row)
