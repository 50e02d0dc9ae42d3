"""Benchmark of the prompt-content step of the importer (app.core.content.analyze_prompts).

Why: the importer has to keep up with ~250k events/s, so analyze_prompts has a budget of about
300k distinct ~200-character prompts per second on one core. This script measures it on
synthetic prompts, on one core, and compares it with the obvious peer: a pure-Python loop that
applies the same rules file to one prompt at a time (Python ``re`` after translating the RE2
syntax, the reference SimHash, xxhash).

Workloads (all prompts distinct, as the importer deduplicates before calling):
  * campaign mix: ``--campaign`` share (default 0.7) of prompts are slot fills of a few hundred
    templates (names, numbers, quotes, code, URLs change), the rest organic free text;
  * organic only: every prompt has its own wording (worst case: no template repeats).

Usage:  .venv/bin/python bench/content_bench.py [--n 100000] [--runs 5] [--peer-n 5000]
Prints prompts/s (median of the runs) for each workload and for the peer, and how often the
peer agrees with the vectorised result (a check that both implement the same rules).
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402
import xxhash  # noqa: E402

from app.core.content import CAPABILITIES, analyze_prompts, load_rules  # noqa: E402
from app.core.content_simhash import simhash64_reference  # noqa: E402
from app.core.resources import resource_path  # noqa: E402

# ----------------------------------------------------------------------------- synthetic prompts
NAMES = ["Marie Curie", "Alan Turing", "Ada Lovelace", "Nikola Tesla", "Grace Hopper", "Isaac Newton",
         "Paris", "Tokyo", "Lagos", "Buenos Aires", "Oslo", "Mumbai", "John Smith", "Li Wei", "Olga Petrova"]
TOPICS = ["climate change", "the stock market", "quantum computing", "medieval trade", "coral reefs",
          "vaccines", "supply chains", "urban planning", "jazz history", "black holes", "sleep", "inflation"]
LANGS = ["Python", "Rust", "Go", "TypeScript", "Java", "C++", "Kotlin"]
SNIPPETS = ["```python\ndef f(x):\n    return x * 2\n```", "`arr.sort()`", "```js\nconst a = [1, 2, 3];\n```",
            "```sql\nSELECT id FROM users WHERE age > 30;\n```", "`git rebase -i HEAD~3`"]
SKELETONS = [
    "Solve the following problem step by step: a train leaves {city} at {n}:{n2} travelling at {n} km/h. How long until it covers {n3} km? Show your work.",
    "Write a {lang} function that {task}. Include unit tests and explain your reasoning. {code}",
    "You are an autonomous agent with access to the following tools: search, browse, execute_python. Plan first, then act to {task} for {name}.",
    "Write a short poem about {topic} in the style of {name}, no more than {n} lines, and title it \"{quote}\".",
    "Alice, Bob and Carol each own one pet. {name} says the cat is not Bob's. Which of the following must be true? Think step by step before answering.",
    "Prove that the sum of the first {n} odd numbers equals {n2} squared. Articulate the internal reasoning behind each step.",
    "Refactor this {lang} code to improve readability and add error handling: {code} The service handles {n} requests per second.",
    "Summarise the main arguments about {topic} from the article at https://news.example.com/{n}/{word} in {n2} bullet points.",
    "Translate \"{quote}\" into French and explain the grammar of the sentence to {name}.",
    "Compute the integral of x^{n} from 0 to {n2} and walk me through your thought process.",
    "Draft an email to {name} ({email}) about the {topic} workshop on {n}/{n2}; keep it under {n3} words.",
    "Analyze the trade-offs between {topic} policies in {city} and {city2}; list pros and cons for each.",
]
TASKS = ["parses ISO dates", "merges two sorted lists", "counts word frequencies", "finds the shortest path",
         "validates an email address", "deduplicates records", "computes a moving average"]
FILLER = ("the a of to and in is for on that with as it be by this are from or at an your can we they "
          "report data team project plan week market people system time result note meeting question "
          "idea customer design price garden travel recipe budget review history music book school "
          "please help me how what why when could would should really quickly better simple new old "
          "small large first last next good bad important interesting useful").split()
VERBS = ["explain", "describe", "summarise", "list", "compare", "suggest", "recommend", "outline", "tell me about",
         "give me ideas for", "help me understand", "what do you know about"]


def _organic(r: random.Random) -> str:
    parts = [f"{r.choice(VERBS).capitalize()} {r.choice(TOPICS)}"]
    while sum(map(len, parts)) < r.randint(150, 260):
        words = [r.choice(FILLER) for _ in range(r.randint(6, 14))]
        if r.random() < 0.3:
            words.insert(r.randrange(len(words)), str(r.randint(2, 5000)))
        if r.random() < 0.2:
            words.insert(r.randrange(1, len(words) + 1), r.choice(NAMES))
        parts.append(" ".join(words))
    return ". ".join(parts) + r.choice([".", "?", "!", " thanks"])


def _campaign(r: random.Random, templates: list[str]) -> str:
    word = "".join(r.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(r.randint(4, 10)))
    return templates[r.randrange(len(templates))].format(
        city=r.choice(NAMES), city2=r.choice(NAMES), name=r.choice(NAMES), topic=r.choice(TOPICS),
        lang=r.choice(LANGS), task=r.choice(TASKS), code=r.choice(SNIPPETS), n=r.randint(2, 999),
        n2=r.randint(1, 60), n3=r.randint(100, 99999), word=word, email=f"{word}@example.org",
        quote=" ".join(r.choice(FILLER) for _ in range(r.randint(2, 6))),
    )


def make_prompts(n: int, *, campaign: float = 0.7, templates: int = 300, seed: int = 7) -> list[str]:
    """``n`` distinct synthetic prompts; ``campaign`` share are slot fills of ``templates`` templates."""
    r = random.Random(seed)
    # each template = a skeleton plus a few template-specific words, so wording differs between them
    tmpl = [f"{r.choice(FILLER).capitalize()} {r.choice(FILLER)}: " * r.randint(0, 1) + r.choice(SKELETONS)
            + " " + " ".join(r.choice(FILLER) for _ in range(r.randint(0, 4))) for _ in range(templates)]
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < n:
        text = _campaign(r, tmpl) if r.random() < campaign else _organic(r)
        if text not in seen:
            seen.add(text)
            out.append(text)
    return out


# ----------------------------------------------------------------------------- pure-Python peer
_CLASSES = {"Lu": "A-ZÀ-ÖØ-ÞА-ЯЁ", "Ll": "a-zß-öø-ÿа-яё", "Z": " \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"}
_RE2_ESCAPE = re.compile(r"\\p\{(\w+)\}|\\x\{([0-9a-fA-F]+)\}|\\z")


def _to_python_re(pattern: str) -> re.Pattern:
    """Translate the RE2 constructs used in the rules file to Python ``re`` (ASCII \\w \\d \\b, as RE2)."""
    out, i, in_class = [], 0, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            m = _RE2_ESCAPE.match(pattern, i)
            if m is None:
                out.append(pattern[i : i + 2])
                i += 2
                continue
            if m.group(1):
                body = _CLASSES[m.group(1)]
                out.append(body if in_class else f"[{body}]")
            elif m.group(2):
                out.append(re.escape(chr(int(m.group(2), 16))))
            else:
                out.append("\\Z")
            i = m.end()
            continue
        if ch == "[" and not in_class:
            in_class = True
        elif ch == "]" and in_class:
            in_class = False
        out.append(ch)
        i += 1
    return re.compile("".join(out), re.ASCII)


class PythonPeer:
    """Applies the rules file one prompt at a time: the approach analyze_prompts replaces."""

    def __init__(self, doc: dict):
        def rewrite(rule):
            if "builtin" in rule:
                return str.lower if rule["builtin"] == "lower" else str.strip
            rx, rep = _to_python_re(rule["pattern"]), rule["replace"]
            return lambda s: rx.sub(rep, s)

        self.steps = [rewrite(r) for stage in ("mask", "normalise") for r in doc[stage]["rules"]]
        self.cot = [_to_python_re(r["pattern"]) for r in doc["cot"]["rules"]]
        self.classes = [(CAPABILITIES.index(c["class"]), [_to_python_re(r["pattern"]) for r in c["rules"]])
                        for c in doc["capabilities"]["classes"]]

    def __call__(self, prompt: str) -> tuple[str, int, int, int, bool]:
        key = prompt
        for step in self.steps:
            key = step(key)
        tid = xxhash.xxh3_64_intdigest(key.encode("utf-8"))
        tid = tid - (1 << 64) if tid >> 63 else tid
        cls = next((c for c, rxs in self.classes if any(rx.search(key) for rx in rxs)), 0)
        cot = any(rx.search(key) for rx in self.cot)
        return key, tid, simhash64_reference(key), cls, cot


# ----------------------------------------------------------------------------- measurement
def _median_rate(arr: pa.Array, rules, runs: int) -> tuple[float, int]:
    times = []
    facts = None
    for _ in range(runs):
        t0 = time.perf_counter()
        facts = analyze_prompts(arr, rules)
        times.append(time.perf_counter() - t0)
    return len(arr) / statistics.median(times), len(np.unique(facts.template_id))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000, help="prompts per workload (default 100000)")
    ap.add_argument("--runs", type=int, default=5, help="timed runs, the median is reported (default 5)")
    ap.add_argument("--peer-n", type=int, default=5_000, help="prompts for the pure-Python peer (default 5000)")
    ap.add_argument("--campaign", type=float, default=0.7, help="campaign share of the mixed workload")
    args = ap.parse_args(argv)

    pa.set_cpu_count(1)  # one core, as the budget is stated per core
    rules = load_rules()
    doc = json.loads(Path(resource_path("rules", "content_rules.json")).read_text(encoding="utf-8"))
    print(f"python {platform.python_version()}  pyarrow {pa.__version__}  numpy {np.__version__}  "
          f"xxhash {xxhash.VERSION}  rules v{rules.version}")

    workloads = {
        f"campaign mix ({args.campaign:.0%} slot-filled)": make_prompts(args.n, campaign=args.campaign),
        "organic only (no template repeats)": make_prompts(args.n, campaign=0.0, seed=11),
    }
    for label, prompts in workloads.items():
        arr = pa.array(prompts, pa.string())
        mean_len = sum(map(len, prompts)) / len(prompts)
        analyze_prompts(arr.slice(0, 1000), rules)  # warm-up
        rate, ntemplates = _median_rate(arr, rules, args.runs)
        print(f"{label:42s} n={len(arr):>7,}  mean {mean_len:5.0f} chars  templates {ntemplates:>7,}  "
              f"{rate:>9,.0f} prompts/s  (median of {args.runs})")

    peer = PythonPeer(doc)
    sample = workloads[next(iter(workloads))][: args.peer_n]
    t0 = time.perf_counter()
    peer_out = [peer(p) for p in sample]
    peer_rate = len(sample) / (time.perf_counter() - t0)
    facts = analyze_prompts(pa.array(sample, pa.string()), rules)
    keys = facts.template_key.to_pylist()
    same = {
        "template key": sum(k == o[0] for k, o in zip(keys, peer_out)),
        "template id": sum(int(t) == o[1] for t, o in zip(facts.template_id, peer_out)),
        "simhash": sum(int(s) == o[2] for s, o in zip(facts.simhash, peer_out)),
        "capability": sum(int(c) == o[3] for c, o in zip(facts.capability, peer_out)),
        "cot": sum(bool(c) == o[4] for c, o in zip(facts.cot, peer_out)),
    }
    print(f"{'pure-Python per-prompt peer (campaign mix)':42s} n={len(sample):>7,}  {peer_rate:>46,.0f} prompts/s")
    print("peer agreement: " + ", ".join(f"{k} {v / len(sample):.1%}" for k, v in same.items()))
    classes = np.bincount(facts.capability, minlength=len(CAPABILITIES))
    print("classes in the peer sample: " + ", ".join(f"{c} {k}" for c, k in zip(CAPABILITIES, classes))
          + f"; cot {int(facts.cot.sum())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
