"""Find legitimate-looking accounts that carry part of a flagged campaign's traffic.

A reseller or a shared corporate key can front a campaign: most of its traffic is ordinary
and the account as a whole looks innocent, so it never joins a cluster on its own merits. What
gives it away is that a slice of its prompts uses template families that are otherwise used
only by a flagged cluster. The share of such traffic is the "mixing ratio" the analyst needs
before deciding whether to ban the account or ask the reseller about its customer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .pairs import Pairs
from .scoring import ScoreResult

__all__ = ["MixedAccount", "find_mixed"]


@dataclass
class MixedAccount:
    account: int  # dense account index
    cluster: int  # index into ScoreResult.clusters
    share: float
    campaign_events: int
    events: int


def find_mixed(result: ScoreResult, family_pairs: Pairs, events: np.ndarray,
               suspicious: np.ndarray, min_share: float, max_share: float,
               min_events: int) -> list[MixedAccount]:
    """Accounts whose traffic is partly on a flagged cluster's campaign template families.

    Parameters
    ----------
    result : ScoreResult
    family_pairs : Pairs
        (account, template family) pairs with event counts.
    events : numpy.ndarray
        Events per dense account.
    suspicious : numpy.ndarray
        bool per account already on the suspicious list (those are not "mixed").
    min_share, max_share : float
        Campaign share range that counts as mixed.
    min_events : int
        Smaller accounts are left out (a share of a handful of events means little).

    Returns
    -------
    list of MixedAccount, largest campaign volume first.
    """
    n_fam = int(family_pairs.degree.size)
    owner = np.full(n_fam, -1, dtype=np.int64)
    for c, res in enumerate(result.clusters):
        if res.flagged and res.campaign_families.size:
            owner[res.campaign_families] = c
    hit = owner[family_pairs.value] >= 0
    if not hit.any():
        return []
    acc = family_pairs.account[hit].astype(np.int64)
    cl = owner[family_pairs.value[hit]]
    key, inv = np.unique(acc * (len(result.clusters) + 1) + cl, return_inverse=True)
    camp = np.bincount(inv, weights=family_pairs.events[hit])
    a = key // (len(result.clusters) + 1)
    c = key % (len(result.clusters) + 1)
    share = camp / np.maximum(events[a], 1)
    keep = ((share >= min_share) & (share < max_share) & (events[a] >= min_events)
            & ~suspicious[a])
    out = [MixedAccount(int(x), int(y), float(s), int(e), int(events[x]))
           for x, y, s, e in zip(a[keep], c[keep], share[keep], camp[keep])]
    out.sort(key=lambda m: -m.campaign_events)
    return out
