"""Build small hand-made cases for detection tests by inserting rows straight into the schema."""

from __future__ import annotations

import ipaddress

import xxhash
from sqlalchemy import insert

from app.core import schema
from app.core.case import Case

T0 = 1_775_998_800_000  # 2026-04-12 13:00 UTC, in ms (on an hour boundary)
MIN = 60_000
HOUR = 3_600_000
DAY = 86_400_000


def signed64(text: str) -> int:
    value = xxhash.xxh64_intdigest(text.encode())
    return value - (1 << 64) if value >= 1 << 63 else value


def key_text(name: str) -> str:
    """The masked template key stored for template ``name``: one sentence (one segment)."""
    return f"please work on the task called {name} carefully"


class CaseBuilder:
    """Collect events with readable values, then write them with their dimension rows."""

    def __init__(self, path):
        self.path = path
        self.rows: list[dict] = []
        self.dims: dict[str, dict[str, int]] = {name: {} for name in schema.DIMENSION_TABLES}
        self.templates: dict[str, int] = {}
        self.simhash: dict[str, int] = {}

    def _id(self, dim: str, value: str | None) -> int | None:
        if value is None:
            return None
        table = self.dims[dim]
        return table.setdefault(value, len(table) + 1)

    def template(self, key: str, simhash: int | None = None) -> str:
        """Declare a template's SimHash (default: a hash of its key)."""
        self.simhash[key] = signed64("sim:" + key) if simhash is None else simhash
        return key

    def event(self, account: str, ts: int, *, ip: str | None = None, ua: str | None = None,
              org: str | None = None, key: str | None = None, model: str | None = "m1",
              template: str | None = None, capability: int = 0, cot: int = 0,
              tin: int = 100, tout: int = 200) -> None:
        self.rows.append(dict(account=account, ts=ts, ip=ip, ua=ua, org=org, key=key,
                              model=model, template=template, capability=capability, cot=cot,
                              tin=tin, tout=tout))
        if template is not None and template not in self.simhash:
            self.template(template)

    def build(self) -> Case:
        case = Case(self.path, create=True)
        events = []
        for r in self.rows:
            prefix = None
            if r["ip"] is not None:
                net = ipaddress.ip_network(f"{r['ip']}/{24 if ':' not in r['ip'] else 48}",
                                           strict=False)
                prefix = self._id("ip_prefixes", str(net))
            ip_id = self._id("ips", r["ip"])
            if ip_id is not None:
                self.ip_prefix = getattr(self, "ip_prefix", {})
                self.ip_prefix[ip_id] = prefix
            events.append(dict(
                import_id=1, ts=r["ts"], account_id=self._id("accounts", r["account"]),
                org_id=self._id("orgs", r["org"]), api_key_id=self._id("api_keys", r["key"]),
                ip_id=ip_id, ua_id=self._id("user_agents", r["ua"]),
                model_id=self._id("models", r["model"]),
                prompt_id=signed64("p:" + r["template"]) if r["template"] else None,
                template_id=signed64(r["template"]) if r["template"] else None,
                capability=r["capability"], cot=r["cot"], input_tokens=r["tin"],
                output_tokens=r["tout"], status=200))
        with case.engine.begin() as conn:
            for dim, values in self.dims.items():
                table = schema.DIMENSION_TABLES[dim]
                col = "prefix" if dim == "ip_prefixes" else "address" if dim == "ips" else "name"
                if not values:
                    continue
                rows = [{"id": i, col: v} for v, i in values.items()]
                if dim == "ips":
                    for row in rows:
                        row["prefix_id"] = self.ip_prefix.get(row["id"])
                conn.execute(insert(table), rows)
            if self.simhash:
                conn.execute(insert(schema.templates),
                             [{"id": signed64(k), "key": key_text(k)} for k in self.simhash])
                conn.execute(insert(schema.prompts), [
                    {"id": signed64("p:" + k), "text": k, "length": len(k), "simhash": s,
                     "template_id": signed64(k), "capability": 0, "cot": 0}
                    for k, s in self.simhash.items()])
            conn.execute(insert(schema.events), events)
        case.set_meta("data_version", "1")
        return case
