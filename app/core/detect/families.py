"""Merge near-duplicate prompt templates into template families (SimHash, sorted rotations).

The importer masks prompts into templates, but a campaign that paraphrases or slot-fills
beyond what the mask catches still produces prompts whose 64-bit SimHash differs in only a few
bits. Comparing every pair of templates is quadratic; following Manku et al. (WWW 2007) each
template's SimHash is sorted under four rotations so that any two fingerprints within Hamming
distance 3 agree on one leading 16-bit block and land near each other in one of the orders;
neighbours within a small window are compared and joined (connected components). Campaigns
with unique IPs and unique prompt wording are still linked through a shared family.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from .columns import hex_query

__all__ = ["template_simhashes", "families_from_simhash"]


def template_simhashes(case, template_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """SimHash of one prompt per template, aligned with ``template_ids``.

    Returns
    -------
    (simhash, known) : int64 array and bool array (False where no prompt carries the template)
    """
    with case.raw() as con:
        tid, simhash = hex_query(con, [("template_id", 16, ""), ("simhash", 16, "")],
                                 "FROM prompts")
    sim = np.zeros(template_ids.size, dtype=np.int64)
    known = np.zeros(template_ids.size, dtype=bool)
    if tid.size:
        pos = np.searchsorted(template_ids, tid)
        pos = np.clip(pos, 0, template_ids.size - 1)
        hit = template_ids[pos] == tid
        sim[pos[hit]] = simhash[hit]
        known[pos[hit]] = True
    known[0] = False
    return sim, known


def families_from_simhash(simhash: np.ndarray, known: np.ndarray, max_distance: int = 3,
                          window: int = 3) -> np.ndarray:
    """Family index per template: templates within ``max_distance`` bits share a family.

    Parameters
    ----------
    simhash : int64 array
        One fingerprint per template.
    known : bool array
        Templates without a fingerprint (and index 0, "no template") stay alone.
    max_distance : int
        Largest Hamming distance that joins two templates (3 is the pigeonhole bound for four
        16-bit blocks).
    window : int
        How many sorted neighbours each template is compared with in each rotation.

    Returns
    -------
    numpy.ndarray
        int32 family id per template; family 0 is template 0 ("no template").
    """
    n = simhash.size
    idx = np.flatnonzero(known)
    if max_distance < 0 or idx.size < 2:
        return np.arange(n, dtype=np.int32)
    values = simhash[idx].view(np.uint64)
    src: list[np.ndarray] = []
    dst: list[np.ndarray] = []
    for r in range(4):
        shift = np.uint64(16 * r)
        rotated = (values << shift) | (values >> (np.uint64(64) - shift)) if r else values
        order = np.argsort(rotated, kind="stable")
        ordered = values[order]
        for off in range(1, window + 1):
            if off >= order.size:
                break
            dist = np.bitwise_count(ordered[:-off] ^ ordered[off:])
            close = np.flatnonzero(dist <= max_distance)
            if close.size:
                src.append(idx[order[close]])
                dst.append(idx[order[close + off]])
    if not src:
        return np.arange(n, dtype=np.int32)
    a = np.concatenate(src)
    b = np.concatenate(dst)
    graph = coo_matrix((np.ones(a.size, dtype=np.int8), (a, b)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    # renumber so family 0 stays template 0 and ids are dense in first-seen order
    _, first = np.unique(labels, return_index=True)
    remap = np.empty(labels.max() + 1, dtype=np.int32)
    remap[labels[np.sort(first)]] = np.arange(first.size, dtype=np.int32)
    return remap[labels]
