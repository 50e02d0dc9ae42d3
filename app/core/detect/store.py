"""Write one analysis run's results into the case in one transaction, and read them back.

The window, the CLI and exports read clusters from the case, never from memory, so results
survive closing the window and travel with the file. Replacing all result tables inside a
single ``BEGIN IMMEDIATE ... COMMIT`` means a crash, a cancel or an error mid-write leaves the
previous run's results exactly as they were.
"""

from __future__ import annotations

import json
import time

import numpy as np

from app.core.schema_analysis import FEATURE_COLUMNS

from .config import SIGNAL_FAMILY, DetectionConfig
from .mixed import MixedAccount
from .scoring import ScoreResult

__all__ = ["write_results"]

_TABLES = ("account_features", "clusters", "cluster_members", "cluster_signals", "mixed_accounts")


def _py(x):
    return x.item() if isinstance(x, np.generic) else x


def write_results(case, account_ids: np.ndarray, features: dict[str, np.ndarray],
                  result: ScoreResult, mixed: list[MixedAccount], mixed_flag: np.ndarray,
                  suspicious: np.ndarray,
                  cfg: DetectionConfig, started_ms: int, data_version: str | None,
                  n_events: int, timings: dict[str, float], code_version: str) -> int:
    """Replace the stored results with this run's; returns the new run id."""
    names = [n for n, _ in FEATURE_COLUMNS]
    ints = {n for n, kind in FEATURE_COLUMNS if kind.__name__ == "Integer"}
    columns = [features[n].astype(np.int64 if n in ints else np.float64).tolist() for n in names]
    feature_rows = zip(account_ids.tolist(), *columns)
    cluster_rows, member_rows, signal_rows = [], [], []
    for i, res in enumerate(result.clusters, start=1):
        cluster_rows.append((i, int(res.members.size), res.events, res.score, int(res.flagged),
                             ",".join(res.families), json.dumps(res.reasons)))
        ids = account_ids[res.members].tolist()
        member_rows.extend(zip(ids, [i] * len(ids), result.campaign_share[res.members].tolist(),
                               result.account_score[res.members].tolist(),
                               mixed_flag[res.members].astype(int).tolist()))
        for name, (value, contribution, detail) in res.signals.items():
            signal_rows.append((i, name, SIGNAL_FAMILY[name], value, contribution, detail))
    mixed_rows = [(_py(account_ids[m.account]), m.cluster + 1, m.share, m.campaign_events,
                   m.events) for m in mixed]
    flagged = sum(1 for r in result.clusters if r.flagged)
    placeholders = ", ".join("?" * (len(names) + 1))
    with case.raw() as con:
        con.execute("BEGIN IMMEDIATE")
        try:
            for table in _TABLES:
                con.execute(f"DELETE FROM {table}")
            con.executemany(
                f"INSERT INTO account_features(account_id, {', '.join(names)}) "
                f"VALUES ({placeholders})", feature_rows)
            con.executemany("INSERT INTO clusters VALUES (?, ?, ?, ?, ?, ?, ?)", cluster_rows)
            con.executemany("INSERT INTO cluster_members VALUES (?, ?, ?, ?, ?)", member_rows)
            con.executemany("INSERT INTO cluster_signals VALUES (?, ?, ?, ?, ?, ?)", signal_rows)
            con.executemany("INSERT INTO mixed_accounts VALUES (?, ?, ?, ?, ?)", mixed_rows)
            cur = con.execute(
                "INSERT INTO analysis_runs(started_at, finished_at, data_version, config, "
                "code_version, accounts, events, clusters, flagged, suspicious, timings) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (started_ms, int(time.time() * 1000), data_version, cfg.to_json(), code_version,
                 int(account_ids.size), n_events, len(result.clusters), flagged,
                 int(suspicious.sum()), json.dumps({k: round(v, 3) for k, v in timings.items()})))
            run_id = cur.lastrowid
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    return run_id
