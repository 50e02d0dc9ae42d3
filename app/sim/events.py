"""One day of events: timestamps from :mod:`schedule`, every other field drawn vectorised.

The output is a :class:`Chunk` of numeric columns (indices into the world's string tables)
plus Arrow string arrays for prompt and response, sorted by time. Format writers turn a chunk
into whatever columns their format has; keeping indices until the last moment is what keeps
28.8M events within memory and time budgets.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .corpus import BenignPools, benign_pools, lab_pool, response_pools
from .identity import hex_strings
from .population import ROLES, World
from .schedule import campaign_day, diurnal_day, eval_day

__all__ = ["Chunk", "DayMaker", "MODEL_MS_PER_TOKEN"]

MODEL_MS_PER_TOKEN = np.array([7.0, 14.0, 30.0, 16.0])
_MODEL_TTFT = np.array([250.0, 450.0, 900.0, 500.0])
# response families in responses.json order: code, text, reasoning, agent, benchmark, math
_CAT_FAMILY = np.array([0, 2, 3, 2])  # campaign category -> response family
_FAMILY_TOKENS = np.array([(320, .7), (160, .7), (1800, .6), (600, .6), (60, .5), (280, .5)])
_MAX_TOKENS = np.array([1024, 2048, 4096, 8192])
_RESELLER = (ROLES.index("reseller"), ROLES.index("reseller_mixed"))


@dataclass
class Chunk:
    """Events of one slice of time, sorted by timestamp."""

    acct: np.ndarray
    ts: np.ndarray  # epoch ms
    model: np.ndarray
    ip: np.ndarray
    ua: np.ndarray
    key: np.ndarray
    prompt: pa.Array
    response: pa.Array  # null when the request failed
    in_tok: np.ndarray
    out_tok: np.ndarray
    max_tokens: np.ndarray
    status: np.ndarray
    latency: np.ndarray
    rid: np.ndarray  # 32 random hex chars (numpy S32)
    end_user: np.ndarray  # -1 unless the account relays end users

    def __len__(self) -> int:
        return len(self.acct)


class DayMaker:
    """Generates :class:`Chunk` objects day by day for one world."""

    def __init__(self, w: World):
        self.w = w
        per = max(12, w.preset.pool_scale)
        self.benign: BenignPools = benign_pools(w.seed, per)
        self.lab = lab_pool(w.seed, max(50, per // 2))
        self.resp, self.resp_start, self.resp_count, _ = response_pools(w.seed, max(20, per // 4))
        self.bench = pa.array(w.bench_prompts or [""], pa.string())
        self.cand = np.flatnonzero(w.d_rate > 0)
        self.topic_cdf = np.cumsum(self.benign.topic_weight)
        self.suffix_nonempty = [np.flatnonzero(pc.utf8_length(c.pools.suffix).to_numpy() > 0)
                                for c in w.campaigns]
        self.category = [c.pools.template_category for c in w.campaigns]

    # -- prompts ----------------------------------------------------------------------------
    def _benign(self, rng: np.random.Generator, acct: np.ndarray) -> tuple[pa.Array, np.ndarray]:
        w, bp = self.w, self.benign
        n = len(acct)
        own = rng.random(n) < w.focus[acct]
        topic = np.where(own, w.topic[acct], np.searchsorted(self.topic_cdf, rng.random(n)))
        topic = np.minimum(topic, len(bp.topics) - 1)
        task = bp.task_start[topic] + (rng.random(n) * bp.task_count[topic]).astype(np.int64)
        detail = bp.detail_start[topic] + (rng.random(n) * bp.detail_count[topic]).astype(np.int64)
        parts = [bp.opener.take(rng.integers(0, len(bp.opener), n)), bp.task.take(task),
                 bp.detail.take(detail), bp.constraint.take(rng.integers(0, len(bp.constraint), n)),
                 bp.closer.take(rng.integers(0, len(bp.closer), n))]
        return pc.binary_join_element_wise(*parts, ""), bp.family[topic]

    def _campaign(self, rng: np.random.Generator, camp: np.ndarray, tpl: np.ndarray
                  ) -> tuple[pa.Array, np.ndarray]:
        n = len(camp)
        out: list[pa.Array] = []
        fam = np.empty(n, np.int64)
        order = np.argsort(camp, kind="stable")
        for ci in np.unique(camp):
            sel = order[camp[order] == ci]
            c = self.w.campaigns[ci].pools
            t = tpl[sel]
            body = c.body_start[t] + (rng.random(len(t)) * c.body_count[t]).astype(np.int64)
            ne = self.suffix_nonempty[ci]
            cot = rng.random(len(t)) < self.w.campaigns[ci].p_cot
            suffix = np.where(cot & (c.template_category[t] != 3), ne[rng.integers(0, len(ne), len(t))], 0)
            out.append(pc.binary_join_element_wise(
                c.wrapper.take(rng.integers(0, len(c.wrapper), len(t))), c.body.take(body),
                c.suffix.take(suffix), ""))
            fam[sel] = _CAT_FAMILY[c.template_category[t]]
        joined = pa.concat_arrays(out) if out else pa.array([], pa.string())
        back = np.empty(n, np.int64)
        back[order] = np.arange(n)
        return joined.take(back), fam

    # -- the day ----------------------------------------------------------------------------
    def day(self, day: int, rows: int = 200_000) -> Iterator[Chunk]:
        """The events of ``day`` (0-based), sorted by time, as chunks of at most ``rows``.

        Timing for the whole day is drawn first (a few numeric arrays); text and the other
        fields are drawn per chunk, so memory holds one chunk of text at a time.
        """
        w = self.w
        rng = np.random.default_rng([w.seed, 1000 + day])
        d = diurnal_day(w, day, rng, self.cand)
        e_acct, e_ts, e_prob = eval_day(w, day, rng)
        c = campaign_day(w, day, rng)
        lab = rng.random(len(d.acct)) < w.lab_share[d.acct]
        # kinds: 0 benign, 1 lab, 2 eval, 3 campaign
        kind = np.concatenate([lab.astype(np.int8), np.full(len(e_acct), 2, np.int8),
                               np.where(c.camo, 0, 3).astype(np.int8)])
        acct = np.concatenate([d.acct, e_acct, c.acct])
        ts = np.concatenate([d.ts, e_ts, c.ts])
        aux = np.concatenate([np.zeros(len(d.acct), np.int64), e_prob, c.tpl])
        camp = np.concatenate([np.full(len(d.acct) + len(e_acct), -1), c.camp])
        order = np.argsort(ts, kind="stable")
        acct, ts, kind, aux, camp = acct[order], ts[order], kind[order], aux[order], camp[order]
        del d, c, order
        for a in range(0, len(acct), rows):
            sl = slice(a, a + rows)
            yield self._chunk(rng, acct[sl], ts[sl], kind[sl], aux[sl], camp[sl])

    def _chunk(self, rng, acct, ts, kind, aux, camp) -> Chunk:
        n = len(acct)
        # prompts and response families per kind, scattered back into time order
        pieces, positions = [], []
        family = np.empty(n, np.int64)
        for k in range(4):
            pos = np.flatnonzero(kind == k)
            if not len(pos):
                continue
            if k == 0:
                text, fam = self._benign(rng, acct[pos])
            elif k == 1:
                text, fam = self.lab.take(rng.integers(0, len(self.lab), len(pos))), np.full(len(pos), 5)
            elif k == 2:
                text, fam = self.bench.take(aux[pos]), np.full(len(pos), 4)
            else:
                text, fam = self._campaign(rng, camp[pos], aux[pos])
            pieces.append(text)
            positions.append(pos)
            family[pos] = fam
        pos_all = np.concatenate(positions) if positions else np.zeros(0, np.int64)
        inverse = np.empty(n, np.int64)
        inverse[pos_all] = np.arange(n)
        prompt = (pa.concat_arrays(pieces) if pieces else pa.array([], pa.string())).take(inverse)
        del pieces
        return self._fields(rng, acct, ts, kind, camp, family, prompt)

    def _fields(self, rng, acct, ts, kind, camp, family, prompt) -> Chunk:
        w = self.w
        n = len(acct)
        # network and client
        cnt = w.ip_cnt[acct]
        pick = np.where(w.ip_sticky[acct], rng.geometric(0.8, n) - 1, (rng.random(n) * cnt).astype(np.int64))
        ip = w.acct_ip[w.ip_off[acct] + np.minimum(pick, cnt - 1)]
        ua = w.acct_ua[w.ua_off[acct] + (rng.random(n) * w.ua_cnt[acct]).astype(np.int64)]
        key = w.key_off[acct] + (rng.random(n) * w.key_cnt[acct]).astype(np.int64)
        # model: the account's usual mix, moving to the new model after its release
        rel = ts - w.release_ms - w.adopt_delay_ms[acct]
        after = ts >= w.release_ms
        p_new = np.where(after, w.adopt_share[acct] / (1 + np.exp(-rel / w.adopt_scale_ms[acct])), 0.0)
        old = (rng.random(n)[:, None] > w.model_cdf[acct]).sum(axis=1)
        model = np.where(rng.random(n) < p_new, 3, np.minimum(old, 2)).astype(np.int8)
        # status: throttling is heavier for campaigns and resellers
        p429 = np.where(kind == 3, 0.0, np.where(np.isin(w.role[acct], _RESELLER), 0.02, 0.006))
        for c in w.campaigns:
            p429 = np.where(camp == c.index, c.p_throttle, p429)
        u = rng.random(n)
        status = np.full(n, 200, np.int16)
        status[u < p429 + 0.007] = 529
        status[u < p429 + 0.004] = 500
        status[u < p429 + 0.002] = 400
        status[u < p429] = 429
        ok = status == 200
        # tokens and latency
        max_tokens = _MAX_TOKENS[rng.integers(0, 4, n)]
        for c in w.campaigns:
            max_tokens = np.where(camp == c.index, c.max_tokens, max_tokens)
        med, sig = _FAMILY_TOKENS[family, 0], _FAMILY_TOKENS[family, 1]
        out_tok = np.minimum(rng.lognormal(np.log(med), sig), max_tokens)
        at_cap = (camp >= 0) & (kind == 3) & (rng.random(n) < 0.2)
        out_tok = np.where(at_cap, max_tokens, out_tok).astype(np.int64)
        out_tok = np.where(ok, np.maximum(out_tok, 1), 0)
        chars = pc.utf8_length(prompt).to_numpy(zero_copy_only=False)
        in_tok = (chars / 3.7).astype(np.int64) + w.sys_tokens[acct] + rng.integers(4, 12, n)
        lat = (_MODEL_TTFT[model] + out_tok * MODEL_MS_PER_TOKEN[model]) * rng.lognormal(0, 0.3, n)
        lat = np.where(status == 429, rng.uniform(15, 80, n), lat)
        lat = np.where((status == 500) | (status == 529), rng.uniform(300, 30000, n), lat)
        lat = np.where(status == 400, rng.uniform(20, 120, n), lat)
        resp_idx = self.resp_start[family] + (rng.random(n) * self.resp_count[family]).astype(np.int64)
        response = self.resp.take(pa.array(resp_idx, mask=~ok))
        relays = w.relays[acct]
        end_user = np.where(relays, rng.zipf(1.3, n) % 50_000, -1)
        return Chunk(acct=acct, ts=ts + w.t0_ms, model=model, ip=ip, ua=ua, key=key, prompt=prompt,
                     response=response, in_tok=in_tok, out_tok=out_tok, max_tokens=max_tokens,
                     status=status, latency=lat.astype(np.int64), rid=hex_strings(rng, n, 32),
                     end_user=end_user)
