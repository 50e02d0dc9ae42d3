"""Measure how much of each account's traffic is a flagged campaign's, and find mixed accounts.

A reseller or a shared corporate key can front a campaign: most of its traffic is ordinary
and the account as a whole looks innocent. What gives it away is that a slice of its prompts
reuses template sentences otherwise used only by a flagged cluster. The share of such traffic
(the "mixing ratio") separates campaign accounts, whose traffic is mostly the campaign's even
under camouflage, from mixed accounts that relay part of one. Because the first segment sample
is small, the members of flagged clusters (and accounts outside clusters that touched their
sentences) are re-sampled more densely here before the share is trusted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .arrays import unique_sorted
from .columns import EventColumns
from .config import DetectionConfig
from .scoring import SampledSegments, ScoreResult, campaign_like, exclusive_segments
from .segments import SegmentIndex, sample_events

__all__ = ["MixedAccount", "refine_shares", "attach_outsiders", "mixed_flags", "find_mixed"]


@dataclass
class MixedAccount:
    account: int  # dense account index
    cluster: int  # index into ScoreResult.clusters
    share: float
    campaign_events: int  # estimated from the sample
    events: int


def _owner(result: ScoreResult, n_segments: int) -> tuple[np.ndarray, np.ndarray]:
    """Segment -> flagged cluster that owns it (-1), and the flagged clusters' exclusive keys."""
    k = len(result.clusters)
    flagged = np.array([r.flagged for r in result.clusters] + [False])
    keys = result.excl_keys
    keys = keys[flagged[keys % (k + 1)]] if keys.size else keys
    owner = np.full(n_segments, -1, dtype=np.int64)
    owner[keys // (k + 1)] = keys % (k + 1)
    return owner, keys


def refine_shares(case, cols: EventColumns, index: SegmentIndex, first: SampledSegments,
                  result: ScoreResult, cfg: DetectionConfig) -> np.ndarray:
    """Re-measure the campaign share of flagged members and of accounts touching their sentences.

    Updates ``result.campaign_share`` and ``result.account_score`` in place and returns the
    cluster (index into ``result.clusters``, -1 for none) each share was measured against.
    """
    k = len(result.clusters)
    owner, keys = _owner(result, index.n_segments)
    flagged = np.array([r.flagged for r in result.clusters] + [False])
    member_cl = np.where(flagged[result.account_cluster], result.account_cluster, -1)
    outside = np.full(member_cl.size, -1, dtype=np.int64)
    touched = campaign_like(first, outside, keys, k, owner)
    candidate = member_cl >= 0
    candidate[first.account[touched]] = True
    against = member_cl.copy()
    if not candidate.any():
        return against
    picked = sample_events(cols.account, cfg.share_sample_per_account, only=candidate)
    index.fetch(case, cols.template_ids, cols.template[picked])
    row, seg = index.expand(cols.template[picked])
    owner = np.r_[owner, np.full(index.n_segments - owner.size, -1, dtype=np.int64)]
    sample = SampledSegments(cols.account[picked], row, seg, picked)
    exclusive = exclusive_segments(sample, member_cl, keys, k, owner)
    hit = np.zeros(sample.account.size, dtype=bool)
    hit[row[exclusive]] = True
    n_acc = cols.n_accounts
    sampled = np.bincount(sample.account, minlength=n_acc)
    hits = np.bincount(sample.account[hit], minlength=n_acc)
    # an outsider must reuse several of a campaign's exclusive sentences: one stock phrase that
    # a campaign and a lab both use ("think step by step ...") is not relaying the campaign;
    # a member needs two (a 3-event developer whom Leiden put beside a campaign, with one
    # sentence in common, is not a third campaign)
    outsider = member_cl < 0
    n_seg = max(int(index.n_segments), 1)
    pair = unique_sorted(sample.account[row[exclusive]].astype(np.int64) * n_seg + seg[exclusive])
    distinct = np.bincount(pair // n_seg, minlength=n_acc)
    hits[outsider & (distinct < cfg.outsider_min_segments)] = 0
    hits[~outsider & (distinct < cfg.member_min_segments)] = 0
    share = np.where(candidate, hits / np.maximum(sampled, 1), result.campaign_share)
    share = np.maximum(share, np.where(member_cl >= 0, result.infra_share, 0.0))
    # accounts outside clusters are measured against the cluster owning most of their hits
    out_hit = hit & (member_cl[sample.account] < 0)
    if out_hit.any():
        seg_owner = np.full(sample.account.size, -1, dtype=np.int64)
        seg_owner[row] = owner[seg]
        acc = sample.account[out_hit]
        cl = seg_owner[out_hit]
        key, cnt = np.unique(acc * (k + 1) + np.maximum(cl, 0), return_counts=True)
        order = np.lexsort((-cnt, key // (k + 1)))
        key = key[order]
        first_of = np.r_[True, (key[1:] // (k + 1)) != (key[:-1] // (k + 1))]
        against[key[first_of] // (k + 1)] = key[first_of] % (k + 1)
    scores = np.array([r.score for r in result.clusters] + [0.0])
    result.campaign_share[:] = share
    full = max(cfg.campaign_share_full, 1e-9)
    member = result.account_cluster >= 0
    result.account_score[member] = (scores[result.account_cluster[member]]
                                    * np.minimum(1.0, share[member] / full))
    return against


def attach_outsiders(result: ScoreResult, against: np.ndarray, events: np.ndarray,
                     cfg: DetectionConfig) -> np.ndarray:
    """Move small accounts that mostly carry a flagged campaign's sentences into its cluster.

    Community detection sometimes leaves a camouflaged campaign account with the developers
    its everyday prompts resemble. If at least ``attach_min_share`` of its densely re-sampled
    prompts carry sentences exclusive to a flagged cluster and it is small (less than
    ``mixed_volume_factor`` times the cluster's median member: not a business of its own), it
    joins that cluster; the cluster's signals are not recomputed. Updates ``result`` in place.

    Returns
    -------
    numpy.ndarray
        bool per account: attached.
    """
    k = len(result.clusters)
    attached = np.zeros(events.size, dtype=bool)
    if not k:
        return attached
    flagged = np.array([r.flagged for r in result.clusters] + [False])
    cl = result.account_cluster
    in_flagged = flagged[np.where(cl >= 0, cl, k)]
    share = result.campaign_share
    cand = ~in_flagged & (against >= 0) & (share >= cfg.attach_min_share)
    full = max(cfg.campaign_share_full, 1e-9)
    for c in np.unique(against[cand]).tolist():
        res = result.clusters[c]
        median = float(np.median(events[res.members])) if res.members.size else 1.0
        idx = np.flatnonzero(cand & (against == c)
                             & (events < cfg.mixed_volume_factor * max(median, 1.0)))
        if not idx.size:
            continue
        for old in np.unique(cl[idx][cl[idx] >= 0]).tolist():
            gone = result.clusters[old]
            leaving = np.isin(gone.members, idx)
            gone.events -= int(events[gone.members[leaving]].sum())
            gone.members = gone.members[~leaving]
        res.members = np.sort(np.r_[res.members, idx])
        res.events += int(events[idx].sum())
        cl[idx] = c
        result.account_score[idx] = res.score * np.minimum(1.0, share[idx] / full)
        attached[idx] = True
    return attached


def mixed_flags(result: ScoreResult, against: np.ndarray, events: np.ndarray,
                cfg: DetectionConfig) -> np.ndarray:
    """bool per account: a legitimate-looking account relaying part of a flagged campaign.

    A member of a flagged cluster is mixed when less than ``mixed_max_share`` of its traffic is
    the campaign's *and* it carries at least ``mixed_volume_factor`` times the traffic of the
    cluster's median member (a business of its own: a camouflaged campaign account is small).
    An account outside the clusters is mixed when its share is in the mixed range.
    """
    share = result.campaign_share
    in_range = ((against >= 0) & (share >= cfg.mixed_min_share) & (share < cfg.mixed_max_share)
                & (events >= cfg.mixed_min_events))
    member = np.zeros(events.size, dtype=bool)  # member of a flagged cluster
    big = np.zeros(events.size, dtype=bool)
    for c, res in enumerate(result.clusters):
        if res.flagged and res.members.size:
            member[res.members] = True
            median = float(np.median(events[res.members]))
            big[res.members] = events[res.members] >= cfg.mixed_volume_factor * max(median, 1.0)
    return in_range & (big | ~member)


def find_mixed(result: ScoreResult, against: np.ndarray, events: np.ndarray,
               mixed: np.ndarray) -> list[MixedAccount]:
    """The mixed accounts with their share, largest campaign volume first."""
    share = result.campaign_share
    out = [MixedAccount(int(a), int(against[a]), float(share[a]), int(round(share[a] * events[a])),
                        int(events[a])) for a in np.flatnonzero(mixed)]
    out.sort(key=lambda m: -m.campaign_events)
    return out
