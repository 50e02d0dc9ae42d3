"""Score candidate clusters from named signals and flag only corroborated ones.

Each community of the linkage graph with enough members is described by named signals, each a
value in 0..1 with a weight from the config; the cluster score is the noisy-OR style
``1 - exp(-sum(weight * value))`` and each signal's contribution is kept so the window can show
why. Signals belong to evidence families (infrastructure, content, timing, cohort; volume and
structure only add score). A cluster is flagged only when at least ``min_families`` families
pass their thresholds: an enterprise NAT is infrastructure alone, an evaluation bot is content
alone, a class of students is a cohort alone, and each of those is how innocent look-alikes
fool single-signal detectors.

Template and infrastructure sharing are measured as *exclusivity*: the share of the cluster's
traffic on values (template families, /24s, IPs, user agents, orgs, keys) used by several
members and by almost nobody outside, which is also what makes a camouflaged campaign's
innocent prompts irrelevant (FRAUDAR's argument) and what measures how much of each account's
traffic is campaign-like.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from .arrays import unique_sorted
from .columns import EventColumns
from .config import FAMILIES, DetectionConfig
from .features import RAMP_WINDOW_S, newest_model
from .linking import Links
from .synchrony import synchrony_ratio
from .pairs import Pairs

__all__ = ["ClusterResult", "ScoreResult", "SampledSegments", "score_clusters",
           "campaign_like", "exclusive_segments", "new_accounts", "TARGETED_CAPABILITIES"]

#: capability indices a distillation campaign targets: coding, math, reasoning, agentic
TARGETED_CAPABILITIES = (1, 2, 3, 4)
_INFRA_KINDS = (("prefix", "{k} accounts share {m} network prefix(es) (/24 or /48)"),
                ("ip", "{k} accounts share {m} IP address(es)"),
                ("ua", "{k} accounts share {m} rare user agent(s)"),
                ("org", "{k} accounts belong to {m} shared org(s)"),
                ("api_key", "{k} accounts use {m} shared API key(s)"))


@dataclass
class ClusterResult:
    """One scored candidate cluster (``members`` are dense account indices)."""

    members: np.ndarray
    events: int
    score: float
    flagged: bool
    families: list[str]
    signals: dict[str, tuple[float, float, str]]  # name -> (value, contribution, detail)
    reasons: list[str]
    campaign_segments: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


@dataclass
class ScoreResult:
    clusters: list[ClusterResult]  # best first
    account_cluster: np.ndarray  # dense account -> index into clusters, -1 when none
    campaign_share: np.ndarray  # dense account -> share of its events that look like its cluster's campaign
    account_score: np.ndarray
    #: sorted keys segment * (clusters + 1) + cluster of segments exclusive to a cluster
    excl_keys: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    #: per account: share of its traffic on the cluster's exclusive infrastructure
    infra_share: np.ndarray = field(default_factory=lambda: np.zeros(0))


def _exclusive(pairs: Pairs, cl: np.ndarray, sizes: np.ndarray, min_members: np.ndarray,
               share: float, allied: np.ndarray | None = None
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Flag pairs whose value is used by several members of the account's cluster and few others.

    ``allied`` (bool per cluster) names clusters whose users do not count as "others": two
    campaigns that draw on the same prompt library must not make each other's sentences look
    shared with the public.

    Returns
    -------
    (pair_flag, value, cluster) : per-pair flag, and the exclusive (value, cluster) list
    """
    k = sizes.size
    c = cl[pairs.account]
    inside = np.flatnonzero(c >= 0)
    flag = np.zeros(pairs.account.size, dtype=bool)
    if not inside.size:
        z = np.zeros(0, dtype=np.int64)
        return flag, z, z.copy()
    key = pairs.value[inside] * (k + 1) + c[inside]
    uniq, inv, cnt = np.unique(key, return_inverse=True, return_counts=True)
    val = uniq // (k + 1)
    cc = uniq % (k + 1)
    users = cnt.astype(np.float64)
    if allied is not None and allied.any():
        ally = allied[cc]
        per_value = np.bincount(val[ally], weights=cnt[ally], minlength=pairs.degree.size)
        users = users + per_value[val] - np.where(ally, cnt, 0)
    excl = (cnt >= np.maximum(2, min_members[cc])) & (users >= share * pairs.degree[val])
    flag[inside] = excl[inv]
    return flag, val[excl], cc[excl]


def _pool_pairs(pairs: Pairs, flag: np.ndarray, cl: np.ndarray, pool_min: int
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Which flagged pairs belong to a pool, and how many separate groups each cluster has.

    Accounts and the exclusive values they use form a bipartite graph. A proxy pool is one
    connected mesh (accounts rotate over its addresses), so its group holds many values; an
    office NAT is one value, and labs on their own campuses that shared prompts bring into one
    cluster are several one-value groups. A group is a pool when it holds at least ``pool_min``
    distinct values.

    Returns
    -------
    (pool, reach, groups) : per pair, flagged and in a pool group; per pair, the share of its
    cluster's members in the pair's group (0 when not flagged); per cluster, the number of
    connected groups its exclusive values form
    """
    k = int(cl.max()) + 1 if cl.size else 0
    idx = np.flatnonzero(flag)
    pool = np.zeros(flag.size, dtype=bool)
    reach = np.zeros(flag.size)
    if not idx.size:
        return pool, reach, np.zeros(k, dtype=np.int64)
    acc = pairs.account[idx].astype(np.int64)
    _, val = np.unique(pairs.value[idx], return_inverse=True)
    n_acc = int(acc.max()) + 1
    n = n_acc + int(val.max()) + 1
    graph = coo_matrix((np.ones(idx.size, dtype=np.int8), (acc, n_acc + val)), shape=(n, n))
    _, comp = connected_components(graph, directed=False)
    group = comp[acc]
    # distinct values per group (each value sits in exactly one group)
    value_group = np.zeros(int(val.max()) + 1, dtype=np.int64)
    value_group[val] = group
    values_per_group = np.bincount(value_group, minlength=int(comp.max()) + 1)
    pool[idx] = values_per_group[group] >= pool_min
    members = unique_sorted(acc)
    accounts_per_group = np.bincount(comp[members], minlength=int(comp.max()) + 1)
    size = np.bincount(cl[cl >= 0], minlength=k).astype(np.float64)
    reach[idx] = accounts_per_group[group] / np.maximum(size[cl[acc]], 1.0)
    owner = np.full(int(comp.max()) + 1, -1, dtype=np.int64)
    owner[group] = cl[acc]
    used = owner >= 0
    groups = np.bincount(owner[used], minlength=k)
    return pool, reach, groups


@dataclass
class SampledSegments:
    """Sampled events (dense account of each) and their segments as (row, segment) pairs.

    ``event`` (optional) is each sampled event's index into the event columns.
    """

    account: np.ndarray
    row: np.ndarray
    segment: np.ndarray
    event: np.ndarray | None = None


def exclusive_segments(sample: SampledSegments, cl: np.ndarray, excl_keys: np.ndarray,
                       k: int, owner: np.ndarray | None = None) -> np.ndarray:
    """Per (row, segment) pair of ``sample``: is the segment exclusive to the cluster it is
    judged against?

    Members are judged against their own cluster; with ``owner`` (segment -> flagged cluster or
    -1), accounts outside every cluster are judged against the owner of each segment.
    """
    found = np.zeros(sample.row.size, dtype=bool)
    if not sample.row.size or not excl_keys.size:
        return found
    c = cl[sample.account[sample.row]]
    if owner is not None:
        c = np.where(c >= 0, c, owner[sample.segment])
    ok = c >= 0
    key = sample.segment[ok] * (k + 1) + c[ok]
    pos = np.clip(np.searchsorted(excl_keys, key), 0, excl_keys.size - 1)
    found[ok] = excl_keys[pos] == key
    return found


def campaign_like(sample: SampledSegments, cl: np.ndarray, excl_keys: np.ndarray,
                  k: int, owner: np.ndarray | None = None) -> np.ndarray:
    """Per sampled event: does it carry a segment exclusive to the cluster it is judged against
    (see :func:`exclusive_segments`)?"""
    hit = np.zeros(sample.account.size, dtype=bool)
    hit[sample.row[exclusive_segments(sample, cl, excl_keys, k, owner)]] = True
    return hit


def new_accounts(features: dict[str, np.ndarray], data_start: float, max_p: float) -> np.ndarray:
    """Accounts whose first sighting is too late for an account that already existed.

    An account active on a share ``f`` of its days would stay unseen for the ``g`` days between
    the start of the data and its first event with probability ``(1 - f) ** g``. With ``n`` =
    whole days from its first to its last event, ``f = min(active days, n + 1) / (n + 2)``:
    never 1 (an account active every day, first seen a few hours into the data, is not new),
    and a one-day account counts as half-active.
    Below ``max_p`` it is new: created then (a campaign's accounts work every day from their
    creation), not merely quiet (a lab member who skips days, a weekend-idle office).

    Parameters
    ----------
    features : dict
        Per-account ``active_days``, ``first_seen`` and ``last_seen`` (ms).
    data_start : float
        First event of the case, in seconds.
    max_p : float
        Largest probability of staying unseen for an account still judged new.
    """
    first = features["first_seen"] / 1000.0
    span = np.floor((features["last_seen"] / 1000.0 - first) / 86400.0)
    f = np.minimum(features["active_days"], span + 1.0) / (span + 2.0)
    g = np.maximum(first - data_start, 0.0) / 86400.0
    return (1.0 - f) ** g < max_p


def _lift(part: float, base: float) -> float:
    """How far ``part`` exceeds ``base`` towards 1 (0 when not above)."""
    if base >= 1.0:
        return 0.0
    return float(np.clip((part - base) / (1.0 - base), 0.0, 1.0))


def score_clusters(labels: np.ndarray, cols: EventColumns, sample: "SampledSegments",
                   pairs: dict[str, Pairs], links: Links, features: dict[str, np.ndarray],
                   cfg: DetectionConfig, release_ts: int | None, peel: bool = True) -> ScoreResult:
    """Turn community labels into scored, ranked clusters and per-account scores.

    With ``peel``, members whose traffic carries less than ``core_min_share`` of the cluster's
    exclusive sentences or infrastructure are first removed from clusters that keep a core of
    at least ``min_cluster_accounts`` (innocent accounts that Leiden attached to a campaign
    through everyday prompts must not dilute its signals), and the clusters are rescored.

    ``pairs`` holds (account, value) pairs for "ip", "prefix", "ua", "org", "api_key" and
    "segment" (the last counted over ``sample``, the sampled events and their segments).
    """
    n_acc = cols.n_accounts
    _, inv, counts = np.unique(labels, return_inverse=True, return_counts=True)
    big = counts >= cfg.min_cluster_accounts
    remap = np.full(counts.size, -1, dtype=np.int64)
    remap[big] = np.arange(int(big.sum()))
    cl = remap[inv]
    k = int(big.sum())
    sizes = np.bincount(cl[cl >= 0], minlength=k)
    events = features["events"]
    ev_cl = cl[cols.account]
    in_cl = ev_cl >= 0
    c_events = np.bincount(ev_cl[in_cl], minlength=k).astype(np.float64)

    # content: targeted capability and chain-of-thought lift over all traffic
    targeted = np.isin(cols.cap, TARGETED_CAPABILITIES)
    base_target = float(targeted.mean()) if targeted.size else 0.0
    base_cot = float(cols.cot.mean()) if cols.cot.size else 0.0
    c_target = np.bincount(ev_cl[in_cl], weights=targeted[in_cl], minlength=k) / np.maximum(c_events, 1)
    c_cot = np.bincount(ev_cl[in_cl], weights=cols.cot[in_cl], minlength=k) / np.maximum(c_events, 1)

    # prompt segments exclusive to a cluster, measured on the sampled events
    sp = pairs["segment"]
    fmin = np.ceil(cfg.template_member_share * sizes)
    s_cl = cl[sample.account]
    s_in = s_cl >= 0
    c_sampled = np.bincount(s_cl[s_in], minlength=k).astype(np.float64)
    allied = None
    for _ in range(2):  # strict exclusivity, then again with the campaign-like clusters allied
        _, sval, scl = _exclusive(sp, cl, sizes, fmin, cfg.exclusive_share, allied)
        excl_keys = np.sort(sval * (k + 1) + scl)
        hit = campaign_like(sample, cl, excl_keys, k)
        c_campaign = np.bincount(s_cl[s_in & hit], minlength=k)
        allied = c_campaign >= cfg.ally_share * np.maximum(c_sampled, 1)
    acc_sampled = np.bincount(sample.account, minlength=n_acc)
    acc_campaign = np.bincount(sample.account[hit], minlength=n_acc)
    # targeted share of the campaign-like prompts alone: camouflage must not dilute it
    s_target = np.zeros(k)
    if sample.event is not None:
        hit_in = s_in & hit
        s_target = np.bincount(s_cl[hit_in], weights=targeted[sample.event[hit_in]], minlength=k) \
            / np.maximum(c_campaign, 1)
    seg_count = np.bincount(scl, minlength=k)
    seg_users = np.bincount(cl[unique_sorted(sample.account[hit])], minlength=k)

    # infrastructure exclusive to a cluster, per kind
    infra = {}
    acc_kind: dict[str, np.ndarray] = {}
    for kind, _ in _INFRA_KINDS:
        p = pairs[kind]
        flag, _, icl = _exclusive(p, cl, sizes, np.zeros(k), cfg.exclusive_share, allied)
        pool, reach, groups = _pool_pairs(p, flag, cl, cfg.infra_pool_min)
        denom = np.maximum(c_events, 1)
        cov_pool = np.bincount(cl[p.account[pool]], weights=p.events[pool], minlength=k) / denom
        single = flag & ~pool
        cov_single = np.bincount(cl[p.account[single]], weights=p.events[single], minlength=k) / denom
        users = unique_sorted(p.account[flag])
        infra[kind] = (cov_pool, cov_single, np.bincount(icl, minlength=k),
                       np.bincount(cl[users], minlength=k), groups)
        # per account, a kind counts with its account_infra weight (one stock SDK agent string
        # shared with a campaign says little about a single account). Traffic on a pool counts
        # fully; on a one-value island x single_source_factor x the share of the cluster the
        # island holds: an office NAT that is the whole cluster is its infrastructure, while at
        # full scale 400 developers shared a home /24 with one low-and-slow account each, an
        # island of 2 in a cluster of 25,000 that said nothing about them
        weight = np.where(pool, 1.0, cfg.single_source_factor * reach)
        acc_kind[kind] = cfg.account_infra[kind] * np.bincount(
            p.account, weights=p.events * weight, minlength=n_acc) / np.maximum(events, 1)
    # a shared /24 (or /48) counts for an account only as far as its own addresses are shared
    # too: developers whose cloud VM sat in a proxy pool's /24 shared the prefix, not the
    # address (full scale: 21 such developers listed in three small clusters with the pool)
    acc_kind["prefix"] = np.minimum(acc_kind["prefix"], acc_kind["ip"] / max(cfg.account_infra["ip"], 1e-9))
    acc_infra = np.max(np.stack(list(acc_kind.values())), axis=0)
    del acc_kind

    if peel:  # FRAUDAR-style: drop members that carry none of the cluster's exclusive traffic
        own = np.maximum(acc_campaign / np.maximum(acc_sampled, 1), acc_infra)
        core = (cl >= 0) & (own >= cfg.core_min_share)
        core_size = np.bincount(cl[core], minlength=k)
        peeled = (cl >= 0) & ~core & (core_size[np.maximum(cl, 0)] >= cfg.min_cluster_accounts)
        if peeled.any():
            del ev_cl, in_cl, targeted, hit, s_cl, s_in  # per-event arrays: free before rescoring
            labels = np.asarray(labels).copy()
            labels[peeled] = labels.max() + 1 + np.arange(int(peeled.sum()))
            return score_clusters(labels, cols, sample, pairs, links, features, cfg, release_ts,
                                  peel=False)

    everyone = np.ones(k, dtype=bool)
    sync = synchrony_ratio(cl, cols.account, cols.ts, k, everyone, cfg.sync_bucket_s,
                           prior=cfg.sync_prior_pairs, jitter_s=cfg.sync_jitter_s)
    # lockstep against the same null: same template in the same bucket more often than the
    # members' own hours explain (a lab drawing on one problem set all day does not count)
    lock_ratio = synchrony_ratio(cl, cols.account, cols.ts, k, everyone, cfg.lockstep_bucket_s,
                                 key=cols.template, prior=cfg.sync_prior_pairs,
                                 jitter_s=cfg.sync_jitter_s)

    # lockstep: members with a lockstep link to another member
    lock = links.of("lockstep")
    same = (cl[lock.u] >= 0) & (cl[lock.u] == cl[lock.v])
    locked = np.zeros(n_acc, dtype=bool)
    locked[lock.u[same]] = True
    locked[lock.v[same]] = True
    c_locked = np.bincount(cl[locked & (cl >= 0)], minlength=k)

    # link density: share of members' link strength that stays inside the cluster
    strength = np.bincount(links.u, weights=links.w, minlength=n_acc) + \
        np.bincount(links.v, weights=links.w, minlength=n_acc)
    inner = (cl[links.u] >= 0) & (cl[links.u] == cl[links.v])
    c_inner = 2 * np.bincount(cl[links.u[inner]], weights=links.w[inner], minlength=k)
    c_strength = np.bincount(cl[cl >= 0], weights=strength[cl >= 0], minlength=k)

    # cohort baseline: first-seen times of all accounts, sorted
    first_s = features["first_seen"] // 1000
    all_first = np.sort(first_s)
    half = cfg.cohort_window_h * 3600 / 2
    data_start = float(cols.ts.min()) if cols.ts.size else 0.0
    is_new = new_accounts(features, data_start, cfg.cohort_new_p)
    median_events = float(np.median(events)) if events.size else 1.0
    ts = cols.ts
    # release reactivity: share of traffic on the newest model in the days after the release
    newest = newest_model(cols)
    if release_ts is None and newest:
        release_ts = int(ts[cols.model == newest].min())
    ramp_all = None
    if newest and release_ts is not None:
        window = (ts >= release_ts) & (ts < release_ts + RAMP_WINDOW_S // 2)
        on_new = window & (cols.model == newest)
        ramp_all = float(on_new.sum()) / max(float(window.sum()), 1.0)
        c_window = np.bincount(ev_cl[in_cl], weights=window[in_cl], minlength=k)
        c_new = np.bincount(ev_cl[in_cl], weights=on_new[in_cl], minlength=k)
    # shift pattern: how far the cluster's hour-of-day profile is from all traffic's
    hour = (ts // 3600) % 24
    all_hours = np.bincount(hour, minlength=24).astype(np.float64) + 1.0
    all_hours /= all_hours.sum()
    c_hours = np.bincount(ev_cl[in_cl] * 24 + hour[in_cl], minlength=k * 24).reshape(k, 24)

    order = np.argsort(cl, kind="stable")
    bounds = np.searchsorted(cl[order], np.arange(k + 1))
    weights = cfg.signal_weights
    results: list[ClusterResult] = []
    for c in range(k):
        members = order[bounds[c]:bounds[c + 1]]
        n = int(members.size)
        vol = float(c_events[c])
        sig: dict[str, tuple[float, str]] = {}
        sig["size"] = (min(1.0, np.log(n) / np.log(100)), f"{n} accounts")
        dens = float(c_inner[c] / c_strength[c]) if c_strength[c] else 0.0
        sig["link_density"] = (dens, f"{dens:.0%} of their link strength stays inside the cluster")
        sig["capability_concentration"] = (
            max(_lift(c_target[c], base_target), _lift(s_target[c], base_target)),
            f"{c_target[c]:.0%} of prompts ({s_target[c]:.0%} of those with shared template "
            f"sentences) target coding/math/reasoning/agentic work (all traffic: {base_target:.0%})")
        sig["cot_rate"] = (_lift(c_cot[c], base_cot),
                           f"{c_cot[c]:.0%} of prompts elicit chain-of-thought "
                           f"(all traffic: {base_cot:.0%})")
        tshare = float(c_campaign[c] / c_sampled[c]) if c_sampled[c] else 0.0
        sig["template_sharing"] = (
            tshare, f"{tshare:.0%} of their prompts reuse {int(seg_count[c])} template "
            f"sentence{'' if seg_count[c] == 1 else 's'} shared by {int(seg_users[c])} members "
            "and almost no one else")
        # one shared address (an office NAT, a campus gateway) counts for less than a pool, and
        # so do several such islands that content glued together (labs on their own campuses)
        def evidence(kind: str) -> float:
            pool_k, single_k = infra[kind][0][c], infra[kind][1][c]
            return float(pool_k + cfg.single_source_factor * single_k)

        best_kind = max(infra, key=evidence)
        cov_pool, cov_single, nvals, nusers, groups = (a[c] for a in infra[best_kind])
        text = dict(_INFRA_KINDS)[best_kind].format(k=int(nusers), m=int(nvals))
        shape = ("" if groups == 0 else ", in one connected pool" if groups == 1
                 else f", in {int(groups)} separate groups")
        sig["infra_sharing"] = (evidence(best_kind), f"{text} used by almost no one else{shape} "
                                                     f"({cov_pool + cov_single:.0%} of their traffic)")
        lshare = float(c_locked[c] / n)
        full = max(cfg.sync_ratio_full - 1.0, 1e-9)
        llift = float(np.clip((lock_ratio[c] - 1.0) / full, 0.0, 1.0))
        sig["lockstep"] = (lshare * llift,
                           f"{int(c_locked[c])} of {n} accounts hit the same templates "
                           f"in the same {cfg.lockstep_bucket_s // 60}-minute buckets "
                           f"at least {cfg.lockstep_min_count} times, {lock_ratio[c]:.1f}x as "
                           "often as their own hours explain")
        biggest = float(events[members].max()) / vol if vol else 1.0
        spread = np.clip(np.log10(max(vol, 1.0) / max(median_events, 1.0)) / 3.0, 0.0, 1.0)
        sig["hydra_volume"] = ((1.0 - biggest) * spread,
                               f"{int(vol):,} events spread over {n} accounts "
                               f"(largest account {biggest:.0%})")
        fs = first_s[members]
        mid = float(np.median(fs))
        inside = float(np.mean(np.abs(fs - mid) <= half))
        base = (np.searchsorted(all_first, mid + half, "right")
                - np.searchsorted(all_first, mid - half, "left")) / max(all_first.size, 1)
        early = mid - half < data_start + 2 * half
        if early:
            # near the start of the data most accounts are first seen because the data starts:
            # only members too active to have gone unseen that long count (see new_accounts)
            near = np.abs(fs - mid) <= half
            inside = float(np.mean(near & is_new[members]))
            near_all = np.abs(first_s - mid) <= half
            base = float(np.mean(near_all & is_new)) if first_s.size else 0.0
        sig["cohort"] = (max(0.0, inside - float(base)),
                         f"{inside:.0%} of accounts first seen within {cfg.cohort_window_h:g} h "
                         f"of each other{', too active to have existed unseen before' if early else ''} "
                         f"(all accounts: {base:.0%})")
        if ramp_all is not None and c_window[c] > 0:
            rc = float(c_new[c] / c_window[c])
            sig["post_release_ramp"] = (_lift(rc, ramp_all),
                                        f"{rc:.0%} of their traffic in the week after the release "
                                        f"went to the new model (all traffic: {ramp_all:.0%})")
        else:
            sig["post_release_ramp"] = (0.0, "no new model, or no traffic after its release")
        sv = float(np.clip((sync[c] - 1.0) / full, 0.0, 1.0))
        sig["synchrony"] = (sv, f"members active in the same {cfg.sync_bucket_s}-second windows "
                                f"{sync[c]:.1f}x as often as their own daily and weekly habits "
                                "explain")
        prof = c_hours[c] + 0.5
        prof = prof / prof.sum()
        kl = float(np.sum(prof * np.log(prof / all_hours)))
        busiest = np.argsort(-prof)[:3]
        sig["shift_pattern"] = (min(1.0, kl / cfg.shift_kl_full),
                                f"activity concentrated in fixed shifts (hour-of-day profile "
                                f"{kl:.2f} nats from all traffic; busiest hours "
                                f"{', '.join(f'{h:02d}h' for h in sorted(busiest))} UTC)")
        val = {name: float(v) for name, (v, _) in sig.items()}
        fam_value = {
            "infrastructure": val["infra_sharing"],
            # shared templates AND targeted content (geometric mean): an enterprise's shared
            # internal templates or a class's shared assignment alone is not distillation
            "content": float(np.sqrt(val["template_sharing"]
                                     * max(val["capability_concentration"], val["cot_rate"]))),
            "timing": max(val["lockstep"], val["synchrony"], val["post_release_ramp"]),
            "cohort": val["cohort"],
        }
        passing = [f for f in FAMILIES if fam_value[f] >= cfg.family_threshold[f]]
        contrib = {name: weights[name] * val[name] for name in sig}
        score = float(1.0 - np.exp(-sum(contrib.values())))
        flagged = (len(passing) >= cfg.min_families and score >= cfg.cluster_threshold
                   and n >= cfg.min_flag_accounts)
        ranked = sorted(contrib, key=contrib.get, reverse=True)
        reasons = [sig[name][1] for name in ranked if contrib[name] > 0.05][:4]
        results.append(ClusterResult(
            members=members, events=int(vol), score=score, flagged=flagged, families=passing,
            signals={name: (val[name], contrib[name], sig[name][1]) for name in sig},
            reasons=reasons, campaign_segments=sval[scl == c]))

    # per-account share of campaign-like traffic and score
    campaign = np.maximum(acc_campaign / np.maximum(acc_sampled, 1), acc_infra)
    share = np.zeros(n_acc)
    score = np.zeros(n_acc)
    for c, res in enumerate(results):
        m = res.members
        uses_content = "content" in res.families or "infrastructure" in res.families
        share[m] = campaign[m] if uses_content else 1.0
        score[m] = res.score * np.minimum(1.0, share[m] / max(cfg.campaign_share_full, 1e-9))
    rank = sorted(range(k), key=lambda c: (-results[c].flagged, -results[c].score))
    new_index = np.empty(max(k, 1), dtype=np.int64)
    new_index[rank] = np.arange(k)
    account_cluster = np.where(cl >= 0, new_index[np.maximum(cl, 0)], -1)
    new_keys = np.sort((excl_keys // (k + 1)) * (k + 1) + new_index[excl_keys % (k + 1)]) \
        if excl_keys.size else excl_keys
    return ScoreResult([results[c] for c in rank], account_cluster, share, score, new_keys,
                       acc_infra)
