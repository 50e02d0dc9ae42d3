"""Weighted account-to-account links from shared infrastructure, content, timing and cohorts.

Links are built through inverted indexes (value -> accounts), never over all account pairs.
Within one value's account group, accounts are joined to their next ``ring_k`` neighbours in
account order on both sides (a band): small groups become complete graphs, large groups stay
linear in size. Pair weights are scaled so that one value gives each member the same total
link strength ``w * rarity(n)`` whether the group is complete or banded.

Rarity (a value shared by few accounts is strong evidence, one shared by thousands of
strangers is none):

* infrastructure: ``rarity(n) = clip(1 - ln(n - 1) / ln(infra_cap), 0, 1)`` (1 for a pair, 0 at
  or above the cap, so a cloud NAT shared by 2,000 accounts adds nothing);
* content: ``rarity(n) = 1 / ln(n + 5)`` (FRAUDAR's column weight).

Lockstep (SynchroTrap/CopyCatch): two accounts that hit the same template in the same time
bucket at least ``lockstep_min_count`` times, and in at least ``lockstep_min_jaccard`` of all
their (template, bucket) actions, are joined with weight ``w * min(1, count / lockstep_saturation)``. Cohort: accounts first seen in the same window whose
main template family is the same.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .arrays import unique_sorted
from .config import DetectionConfig
from .pairs import Pairs

__all__ = ["Links", "band_pairs", "infra_rarity", "content_rarity", "value_links",
           "lockstep_links", "cohort_links", "build_links", "content_density"]


@dataclass
class Links:
    """Undirected weighted links ``u < v`` with the evidence kind of each (one row per kind)."""

    u: np.ndarray
    v: np.ndarray
    w: np.ndarray
    kind: np.ndarray  # index into KINDS

    KINDS = ("ip", "prefix", "ua", "org", "api_key", "content", "lockstep", "cohort")

    @classmethod
    def empty(cls) -> "Links":
        z = np.zeros(0, dtype=np.int64)
        return cls(z, z.copy(), np.zeros(0), np.zeros(0, dtype=np.int8))

    @classmethod
    def concat(cls, parts: list["Links"]) -> "Links":
        parts = [p for p in parts if p.u.size]
        if not parts:
            return cls.empty()
        return cls(*(np.concatenate([getattr(p, a) for p in parts]) for a in ("u", "v", "w", "kind")))

    def of(self, kind: str) -> "Links":
        sel = self.kind == self.KINDS.index(kind)
        return Links(self.u[sel], self.v[sel], self.w[sel], self.kind[sel])

    def combined(self, n_accounts: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Sum the weights of all kinds per account pair."""
        if not self.u.size:
            z = np.zeros(0, dtype=np.int64)
            return z, z.copy(), np.zeros(0)
        key = self.u.astype(np.int64) * n_accounts + self.v
        uniq, inv = np.unique(key, return_inverse=True)
        w = np.bincount(inv, weights=self.w)
        return uniq // n_accounts, uniq % n_accounts, w


def infra_rarity(n: np.ndarray, cap: int) -> np.ndarray:
    """Evidence of one shared infrastructure value used by ``n`` accounts (1 for two, 0 at cap)."""
    n = np.asarray(n, dtype=np.float64)
    out = 1.0 - np.log(np.maximum(n - 1, 1)) / np.log(max(cap, 3))
    return np.clip(np.where(n >= cap, 0.0, out), 0.0, 1.0)


def content_rarity(n: np.ndarray) -> np.ndarray:
    """FRAUDAR column weight ``1 / ln(n + 5)`` of a template family used by ``n`` accounts."""
    return 1.0 / np.log(np.asarray(n, dtype=np.float64) + 5.0)


def band_pairs(group: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs (i, j), i < j, of rows in the same group at most ``k`` rows apart.

    ``group`` must be sorted; groups of up to ``k + 1`` rows become complete.
    """
    src, dst = [], []
    for d in range(1, k + 1):
        if d >= group.size:
            break
        hit = np.flatnonzero(group[:-d] == group[d:])
        if not hit.size:
            break
        src.append(hit)
        dst.append(hit + d)
    if not src:
        z = np.zeros(0, dtype=np.int64)
        return z, z.copy()
    return np.concatenate(src), np.concatenate(dst)


def _pair_scale(n: np.ndarray, k: int) -> np.ndarray:
    """Per-pair share of one member's strength: 1/(n-1) when complete, 1/(2k) when banded."""
    return 1.0 / np.minimum(np.maximum(n - 1, 1), 2 * k).astype(np.float64)


def value_links(pairs: Pairs, kind: str, weight: float, k: int, rarity: np.ndarray,
                max_n: int, per_account: int = 0, rarest_first: bool = False) -> Links:
    """Links between accounts sharing a value, weighted ``weight * rarity(n)`` per member.

    Parameters
    ----------
    pairs : Pairs
        Distinct (account, value) pairs, sorted by value.
    rarity : numpy.ndarray
        Evidence per value (indexed by value id).
    max_n : int
        Values used by more accounts are skipped entirely.
    per_account : int
        When positive, each account takes part through at most this many of its values (those
        with the most events, or the rarest first with ``rarest_first``); a proxy pool of 500
        IPs links its accounts as well through 8.
    rarest_first : bool
        Prefer the account's least shared values: a campaign account that hides half its
        prompts among everyday ones is linked through its campaign's sentences, not through
        "format it as markdown".
    """
    deg = pairs.pair_degree()
    keep = (deg >= 2) & (deg <= max_n) & (rarity[pairs.value] > 0)
    if not keep.any() or weight <= 0:
        return Links.empty()
    val = pairs.value[keep]
    acc = pairs.account[keep]
    if per_account:  # each account links through a few of its values only (bounded edges)
        first = deg[keep] if rarest_first else -pairs.events[keep]
        by_acc = np.lexsort((-pairs.events[keep], first, acc))
        a_sorted = acc[by_acc]
        start = np.r_[0, np.flatnonzero(a_sorted[1:] != a_sorted[:-1]) + 1]
        rank = np.arange(a_sorted.size) - np.repeat(start, np.diff(np.r_[start, a_sorted.size]))
        chosen = np.sort(by_acc[rank < per_account])  # back in (value, account) order
        val, acc = val[chosen], acc[chosen]
    # a different pseudo-random order inside every value's group: the bands of many values
    # then knit a group together like an expander instead of repeating one chain (which
    # community detection would cut into slices)
    salt = np.uint64(Links.KINDS.index(kind) + 1)
    with np.errstate(over="ignore"):
        mix = (acc.astype(np.uint64) * np.uint64(0x9E3779B1) + val.astype(np.uint64)
               * np.uint64(0x85EBCA77) + salt * np.uint64(0xC2B2AE3D))
        mix ^= mix >> np.uint64(15)
        mix *= np.uint64(0x2C1B3C6D)
        mix ^= mix >> np.uint64(12)
    order = np.lexsort((mix, val))
    val, acc = val[order], acc[order]
    i, j = band_pairs(val, k)
    n = pairs.degree[val[i]]
    w = weight * rarity[val[i]] * _pair_scale(n, k)
    u = np.minimum(acc[i], acc[j]).astype(np.int64)
    v = np.maximum(acc[i], acc[j]).astype(np.int64)
    return Links(u, v, w, np.full(u.size, Links.KINDS.index(kind), dtype=np.int8))


def lockstep_links(account: np.ndarray, family: np.ndarray, ts: np.ndarray,
                   cfg: DetectionConfig, family_degree: np.ndarray | None = None
                   ) -> tuple[Links, np.ndarray]:
    """Pairs that hit the same template family in the same time bucket repeatedly.

    Returns
    -------
    (links, counts) : Links and the co-occurrence count of each linked pair
    """
    keep = family != 0
    if family_degree is not None:  # a family only one account uses cannot co-occur
        keep &= family_degree[family] >= 2
    if not keep.any():
        return Links.empty(), np.zeros(0, dtype=np.int64)
    sel = np.flatnonzero(keep)
    del keep
    t = ts[sel]
    bucket = (t - t.min()) // max(1, cfg.lockstep_bucket_s)
    del t
    a_bits = max(1, int(account.max()).bit_length())
    b_bits = max(1, int(bucket.max()).bit_length())
    f_bits = max(1, int(family.max()).bit_length())
    if a_bits + b_bits + f_bits <= 63:  # (template, bucket, account) in one int64, one sort
        key = family[sel].astype(np.int64)
        key <<= b_bits
        key |= bucket
        key <<= a_bits
        key |= account[sel]
        del bucket, sel
        triple = unique_sorted(key)
        del key
        g = triple >> a_bits
        acc = triple & ((1 << a_bits) - 1)
    else:
        _, gid = np.unique(family[sel].astype(np.int64) * (int(bucket.max()) + 1) + bucket,
                           return_inverse=True)
        triple = unique_sorted((gid.astype(np.int64) << 32) | account[sel].astype(np.int64))
        del gid, bucket, sel
        g = triple >> 32
        acc = triple & 0xFFFFFFFF
    del triple
    g = np.cumsum(np.r_[0, (g[1:] != g[:-1]).astype(np.int64)]) if g.size else g  # dense, sorted
    size = np.bincount(g)
    ok = (size[g] >= 2) & (size[g] <= cfg.lockstep_group_cap)
    g, acc = g[ok], acc[ok]
    n_acc = int(account.max()) + 1
    keys: list[np.ndarray] = []
    cnts: list[np.ndarray] = []

    def fold() -> None:
        merged, inv = np.unique(np.concatenate(keys), return_inverse=True)
        total = np.bincount(inv, weights=np.concatenate(cnts), minlength=merged.size)
        keys[:] = [merged]
        cnts[:] = [total.astype(np.int64)]

    for d in range(1, min(cfg.lockstep_group_cap, max(1, g.size - 1)) + 1):
        # offset by offset, folded into running pair counts every few offsets: memory stays
        # near the number of distinct pairs instead of every co-occurrence at once
        hit = np.flatnonzero(g[:-d] == g[d:])
        if not hit.size:
            break
        a, b = acc[hit], acc[hit + d]
        key, cnt = np.unique(np.minimum(a, b) * n_acc + np.maximum(a, b), return_counts=True)
        keys.append(key)
        cnts.append(cnt)
        if len(keys) >= 3:
            fold()
    if keys:
        fold()
    uniq = keys[0] if keys else np.zeros(0, dtype=np.int64)
    counts = cnts[0] if cnts else np.zeros(0, dtype=np.int64)
    if not uniq.size:
        return Links.empty(), np.zeros(0, dtype=np.int64)
    # SynchroTrap's normalisation: shared actions over all actions of the pair (Jaccard), so
    # two busy students on one exercise sheet do not look like a dispatcher's accounts
    actions = np.bincount(acc, minlength=n_acc)
    union = actions[uniq // n_acc] + actions[uniq % n_acc] - counts
    strong = (counts >= cfg.lockstep_min_count) & (counts >= cfg.lockstep_min_jaccard * union)
    uniq, counts = uniq[strong], counts[strong]
    w = cfg.link_weights["lockstep"] * np.minimum(1.0, counts / max(1, cfg.lockstep_saturation))
    links = Links(uniq // n_acc, uniq % n_acc, w,
                  np.full(uniq.size, Links.KINDS.index("lockstep"), dtype=np.int8))
    return links, counts


def cohort_links(first_seen_s: np.ndarray, main_family: np.ndarray, family_degree: np.ndarray,
                 cfg: DetectionConfig, eligible: np.ndarray | None = None) -> Links:
    """Accounts first seen within the same window whose main template family is the same.

    Two windows offset by half a window are used so that a cohort straddling a window edge is
    still joined. Families used by one account only (or none) do not make a cohort.
    ``eligible`` (bool per account) limits cohorts to accounts that were created during the
    data (see :func:`app.core.detect.scoring.new_accounts`): accounts that merely show up in
    the first days because the export starts then are no cohort, and at full scale they made
    2 million links of the 9 million Leiden had to work through.
    """
    window = max(1, int(cfg.cohort_window_h * 3600))
    ok = (main_family > 0) & (family_degree[main_family] >= 2)
    if eligible is not None:
        ok &= eligible
    accounts = np.flatnonzero(ok)
    if accounts.size < 2:
        return Links.empty()
    parts = []
    for offset in (0, window // 2):
        slot = (first_seen_s[accounts] + offset) // window
        key = (main_family[accounts].astype(np.int64) << 24) + slot - slot.min()
        order = np.lexsort((accounts, key))
        k_sorted = key[order]
        a_sorted = accounts[order]
        _, inv, counts = np.unique(k_sorted, return_inverse=True, return_counts=True)
        n = counts[inv]
        rarity = content_rarity(n) * np.log(7.0)  # 1 for a pair, slow decay
        i, j = band_pairs(k_sorted, cfg.ring_k)
        w = cfg.link_weights["cohort"] * rarity[i] * _pair_scale(n[i], cfg.ring_k) / 2
        keep = w > 0
        u = np.minimum(a_sorted[i], a_sorted[j])[keep]
        v = np.maximum(a_sorted[i], a_sorted[j])[keep]
        parts.append(Links(u.astype(np.int64), v.astype(np.int64), w[keep],
                           np.full(u.size, Links.KINDS.index("cohort"), dtype=np.int8)))
    return Links.concat(parts)


def content_density(seg: Pairs, rarity: np.ndarray, cfg: DetectionConfig) -> tuple[int, int]:
    """Segments per account and ring width for content links, within ``content_link_budget``.

    Content links are the bulk of the graph, and Leiden's time follows the link count (full
    scale: 7.6M content links with 8 segments on a ring of 2, Leiden 137 s; 1.7M with 3 on a
    ring of 1, 20 s). Small cases keep the dense setting, which finds more of a camouflaged
    low-and-slow campaign there; large ones step down (segments first, then the ring, not below
    3 segments on a ring of 1) until the estimated count ``ring * sum(min(linkable segments,
    per))`` fits. A campaign account shares dozens of sentences with its campaign, so its 3
    rarest still knit the campaign together (full scale: recall 0.9998).
    """
    deg = seg.pair_degree()
    ok = (deg >= 2) & (deg <= cfg.content_cap) & (rarity[seg.value] > 0)
    linkable = np.bincount(seg.account[ok]) if ok.any() else np.zeros(0, dtype=np.int64)
    top = max(3, cfg.content_values_per_account)
    for ring in range(max(1, cfg.ring_k), 0, -1):
        for per in range(top, 2, -1):
            if ring * int(np.minimum(linkable, per).sum()) <= cfg.content_link_budget:
                return per, ring
    return 3, 1


def build_links(pairs: dict[str, Pairs], cfg: DetectionConfig) -> Links:
    """Infrastructure links and content links through shared prompt segments.

    Lockstep and cohort links are built separately.
    """
    parts = []
    lw = cfg.link_weights
    for kind in ("ip", "prefix", "ua", "org", "api_key"):
        p = pairs[kind]
        rarity = infra_rarity(p.degree, cfg.infra_cap)
        parts.append(value_links(p, kind, lw[kind], cfg.ring_k, rarity, cfg.infra_cap,
                                 cfg.link_values_per_account))
    seg = pairs["segment"]
    rarity = content_rarity(seg.degree)
    rarity[0] = 0.0
    per, ring = content_density(seg, rarity, cfg)
    parts.append(value_links(seg, "content", lw["content"], ring, rarity, cfg.content_cap, per,
                             rarest_first=True))
    return Links.concat(parts)
