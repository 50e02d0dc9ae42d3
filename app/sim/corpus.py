"""Prompt text for the simulator, rendered from the grammars in ``resources/corpus``.

Real prompts vary: the same request is phrased a hundred ways, with different names, numbers
and context. Rendering every one of 28.8M prompts through a Python grammar would be far too
slow, so this module renders *pools* of fragments once per run (a few thousand to a few hundred
thousand strings, seeded) and the event builder stitches fragments together per event with
vectorised Arrow kernels. Which fragments are combined is drawn independently per event, so
benign prompts rarely coincide, while a campaign's prompts keep their template skeleton.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyarrow as pa

from app.core.resources import resource_path

__all__ = ["Grammar", "load", "BenignPools", "CampaignPools", "benign_pools", "campaign_pools",
           "benchmark_set", "lab_pool", "response_pools", "user_agent_pool", "CATEGORIES"]

#: capability categories a campaign targets (the order fixes the category codes)
CATEGORIES: tuple[str, ...] = ("coding", "reasoning", "agentic", "cot")

_SLOT = re.compile(r"\{([^{}]*)\}")
_RANGE = re.compile(r"#(\d+)-(\d+)$")
_IDENT = re.compile(r"[A-Za-z_]\w*$")


@lru_cache(maxsize=None)
def load(name: str) -> dict:
    """Parsed ``resources/corpus/<name>.json`` (cached; the files are read-only data)."""
    with open(resource_path("corpus", f"{name}.json"), encoding="utf-8") as fh:
        return json.load(fh)


class Grammar:
    """Expands ``{slot}``, ``{#lo-hi}`` and ``{a|b}`` in templates; other braces stay literal.

    Parameters
    ----------
    rng : random.Random
        Source of every choice (seeded by the caller, so output is reproducible).
    *slot_tables : dict
        Slot tables searched in order (most local first).
    """

    def __init__(self, rng: random.Random, *slot_tables: dict):
        self.rng = rng
        self.tables = [t for t in slot_tables if t]

    def _lookup(self, name: str) -> list[str] | None:
        for table in self.tables:
            if name in table:
                return table[name]
        return None

    def _sub(self, m: re.Match, depth: int) -> str:
        body = m.group(1)
        r = _RANGE.match(body)
        if r:
            return str(self.rng.randint(int(r.group(1)), int(r.group(2))))
        if _IDENT.match(body):
            options = self._lookup(body)
            if options is None:
                return m.group(0)
            return self.expand(self.rng.choice(options), depth + 1)
        if "|" in body and '"' not in body:
            return self.expand(self.rng.choice(body.split("|")), depth + 1)
        return m.group(0)

    def expand(self, template: str, depth: int = 0) -> str:
        """One random rendering of ``template``."""
        if depth > 8 or "{" not in template:
            return template
        return _SLOT.sub(lambda m: self._sub(m, depth), template)


def _grammar(rng: random.Random, *local: dict) -> Grammar:
    return Grammar(rng, *local, load("common")["slots"])


def _render(gram: Grammar, templates: list[str], n: int) -> list[str]:
    k = len(templates)
    return [gram.expand(templates[i % k]) for i in range(n)]


@dataclass
class BenignPools:
    """Fragment pools for everyday prompts. ``task``/``detail`` rows are grouped by topic."""

    topics: list[str]
    topic_weight: np.ndarray  # probability per topic
    task: pa.Array
    task_start: np.ndarray  # topic -> first row in ``task``
    task_count: np.ndarray
    detail: pa.Array
    detail_start: np.ndarray
    detail_count: np.ndarray
    opener: pa.Array
    closer: pa.Array
    constraint: pa.Array
    family: np.ndarray  # topic -> response family code (0 code, 1 text)


def benign_pools(seed: int, per_topic: int) -> BenignPools:
    """Render ``per_topic`` task and detail fragments for every benign topic."""
    spec = load("benign")
    rng = random.Random(seed * 7919 + 11)
    topics = list(spec["topics"])
    tasks: list[str] = []
    details: list[str] = []
    t_start, t_count, d_start, d_count, weights, family = [], [], [], [], [], []
    code_topics = {"python_help", "web_dev", "sql_data", "devops"}
    for name in topics:
        t = spec["topics"][name]
        gram = _grammar(rng, t.get("slots", {}), spec.get("slots", {}))
        t_start.append(len(tasks))
        tasks += _render(gram, t["tasks"], per_topic)
        t_count.append(per_topic)
        d_start.append(len(details))
        n_det = max(len(t["details"]), per_topic // 2)
        details += [(" " + s if s else "") for s in _render(gram, t["details"], n_det)]
        d_count.append(n_det)
        weights.append(float(t.get("weight", 1)))
        family.append(0 if name in code_topics else 1)
    gram = _grammar(rng, spec.get("slots", {}))
    constraint = _render(gram, spec["constraints"], max(64, per_topic // 4))
    w = np.asarray(weights)
    return BenignPools(
        topics=topics, topic_weight=w / w.sum(),
        task=pa.array(tasks, pa.string()), task_start=np.asarray(t_start), task_count=np.asarray(t_count),
        detail=pa.array(details, pa.string()), detail_start=np.asarray(d_start), detail_count=np.asarray(d_count),
        opener=pa.array(spec["openers"], pa.string()), closer=pa.array(spec["closers"], pa.string()),
        constraint=pa.array(constraint, pa.string()), family=np.asarray(family),
    )


@dataclass
class CampaignPools:
    """One campaign's prompt material: rendered template instances plus its own wrappers."""

    body: pa.Array  # rendered instances, grouped by template
    body_start: np.ndarray  # template -> first row
    body_count: np.ndarray
    template_category: np.ndarray  # template -> index into CATEGORIES
    wrapper: pa.Array  # this campaign's paraphrased wrappers
    suffix: pa.Array  # CoT-elicitation suffixes ("" included)
    template_ids: list[str]  # "coding/3" etc., for the scenario sidecar


def campaign_pools(seed: int, n_templates: int, per_template: int,
                   category_weight: dict[str, float]) -> CampaignPools:
    """Pick ``n_templates`` templates (by category weight) and render ``per_template`` fills each."""
    spec = load("campaign")
    rng = random.Random(seed * 104729 + 3)
    gram = _grammar(rng, spec["slots"])
    library = [(c, i, t) for c in CATEGORIES for i, t in enumerate(spec["categories"][c])]
    weights = [category_weight.get(c, 0.0) for c, _, _ in library]
    chosen: list[tuple[str, int, str]] = []
    pool = list(zip(library, weights))
    while pool and len(chosen) < n_templates:
        total = sum(w for _, w in pool)
        pick = rng.random() * total
        acc = 0.0
        for j, (item, w) in enumerate(pool):
            acc += w
            if acc >= pick:
                chosen.append(item)
                pool.pop(j)
                break
    bodies: list[str] = []
    starts, counts, cats, ids = [], [], [], []
    for cat, i, tpl in chosen:
        starts.append(len(bodies))
        bodies += [gram.expand(tpl) for _ in range(per_template)]
        counts.append(per_template)
        cats.append(CATEGORIES.index(cat))
        ids.append(f"{cat}/{i}")
    wrappers = rng.sample(spec["wrappers"], k=min(len(spec["wrappers"]), rng.randint(6, 12)))
    wrappers = [gram.expand(w) for w in wrappers for _ in range(3)]
    return CampaignPools(
        body=pa.array(bodies, pa.string()), body_start=np.asarray(starts), body_count=np.asarray(counts),
        template_category=np.asarray(cats), wrapper=pa.array(wrappers, pa.string()),
        suffix=pa.array(spec["cot_suffixes"], pa.string()), template_ids=ids,
    )


def benchmark_set(name: str, wrapper_index: int) -> list[str]:
    """The fixed problem list of public-benchmark-style set ``name`` (same on every run)."""
    spec = load("benchmarks")["sets"][name]
    rng = random.Random(f"benchmark:{name}")
    gram = _grammar(rng, spec.get("slots", {}))
    problems = _render(gram, spec["templates"], spec["size"])
    rng.shuffle(problems)
    wrapper = spec["wrappers"][wrapper_index % len(spec["wrappers"])]
    return [wrapper.replace("{problem}", p) for p in problems]


def lab_pool(seed: int, n: int) -> pa.Array:
    """Chain-of-thought math prompts of the kind a university lab runs."""
    spec = load("lab")
    gram = _grammar(random.Random(seed * 31 + 5), spec["slots"])
    return pa.array(_render(gram, spec["templates"], n), pa.string())


def response_pools(seed: int, per_family: int) -> tuple[pa.Array, np.ndarray, np.ndarray, list[str]]:
    """Short answers for each response family: (texts, family start, family count, names)."""
    spec = load("responses")["families"]
    gram = _grammar(random.Random(seed * 17 + 1), load("campaign")["slots"])
    texts: list[str] = []
    starts, counts, names = [], [], []
    for fam, templates in spec.items():
        starts.append(len(texts))
        n = max(len(templates), per_family)
        texts += _render(gram, templates, n)
        counts.append(n)
        names.append(fam)
    return pa.array(texts, pa.string()), np.asarray(starts), np.asarray(counts), names


def user_agent_pool(kind: str, rng: random.Random, n: int) -> list[str]:
    """``n`` user agents of family ``kind`` (developer, enterprise, bot, scripted), weighted."""
    spec = load("user_agents")[kind]
    gram = Grammar(rng)
    templates = [t for t, _ in spec]
    weights = [w for _, w in spec]
    return [gram.expand(rng.choices(templates, weights)[0]) for _ in range(n)]
