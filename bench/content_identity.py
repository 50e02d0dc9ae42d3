"""Identity check and CPU timing of app.core.content.analyze_prompts against an earlier commit.

Why: the template id of a prompt is stored in users' cases, so any speed work on the content step
must give bit-identical results. This script loads the content modules of a base commit (default:
the commit before the speed work) into a throw-away package, runs old and new over the same
corpora and asserts that all five outputs (template key, template id, SimHash, capability class,
CoT flag) are equal for every prompt. With ``--time`` it also measures the CPU seconds
(time.process_time, median of N) of both, interleaved so both see the same machine load, and
the per-step figures of the new implementation.

Corpora: the distinct prompts of bench/out/events_1000000.csv (capped at 2,000 code units, as
the importer does), every string list of tests/core/test_content.py, the examples of the rules
file and a seeded random corpus of fragments aimed at the rule guards (quotes, identifiers,
numbers, white space, non-ASCII).

    .venv/bin/python bench/content_identity.py [--time] [--runs 3] [--base COMMIT]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.ipc as ipc

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.core import content  # noqa: E402
from app.core.resources import resource_path  # noqa: E402

#: the last commit before the speed work on the content step
BASE = "1d1981191bc1d8c93abfee82e305d1c22261a0cd"
EVENTS = ROOT / "bench" / "out" / "events_1000000.csv"
CACHE = ROOT / "bench" / "out" / "distinct_prompts_1000000.arrow"
CAP = 2000
MODULES = ("content_rules", "content_simhash", "content")


def load_old(commit: str):
    """The content modules of ``commit`` as a fresh package; returns (content module, rules)."""
    tmp = Path(tempfile.mkdtemp(prefix="hs_old_content_"))
    pkg = tmp / "hs_old_content"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    for name in MODULES:
        src = subprocess.run(["git", "show", f"{commit}:app/core/{name}.py"], cwd=ROOT, check=True,
                             capture_output=True, text=True).stdout
        for other in MODULES:
            src = src.replace(f"from app.core.{other} import", f"from hs_old_content.{other} import")
        (pkg / f"{name}.py").write_text(src)
    sys.path.insert(0, str(tmp))
    import hs_old_content.content as old  # noqa: E402

    return old, old.load_rules()


def distinct_prompts() -> pa.Array:
    """Distinct prompts of the 1M-row benchmark file, capped as the importer caps them (cached)."""
    if CACHE.exists():
        with ipc.open_file(CACHE) as f:
            return f.read_all().column(0).combine_chunks()
    table = pcsv.read_csv(EVENTS, convert_options=pcsv.ConvertOptions(include_columns=["prompt"]),
                          parse_options=pcsv.ParseOptions(newlines_in_values=True))
    uniq = pc.unique(pc.drop_null(table.column("prompt").combine_chunks()))
    uniq = pc.utf8_slice_codeunits(uniq, 0, CAP)
    with ipc.new_file(CACHE, pa.schema([("prompt", uniq.type)])) as w:
        w.write_table(pa.table({"prompt": uniq}))
    return uniq


def test_corpora() -> list[str]:
    """Every string in the unit tests' lists, the rules file's examples and a guard-aimed mix."""
    sys.path.insert(0, str(ROOT))
    import tests.core.test_content as t

    out: list[str] = []

    def walk(value):
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, (list, tuple)):
            for v in value:
                walk(v)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)

    for name in dir(t):
        if name.isupper():
            walk(getattr(t, name))
    doc = json.loads(resource_path("rules", "content_rules.json").read_text(encoding="utf-8"))
    for section in ("cot", "capabilities"):
        walk(doc[section].get("examples", []))
        for cls in doc[section].get("classes", []):
            walk(cls.get("examples", []))
    r = random.Random(20240601)
    pool = ["'", "'a b'", " 'x'", "\"q\"", "“x”", "‘y’", "«z»", "「w」", "`c`", "```f\n", "http://a.b/c",
            "www.x.org", "a@b.cd", "Foo", "fooBar", "Foo Bar", "FooBar", "a_b", "os.path", "x.y.z", "42",
            "0x1F", "3.5e-2", "12:30", "1,200", "abc", "deadbeef", "Ünïcödé", "Éclair", "ß", "日本", " ",
            "  ", "\t", "\n", "\u00a0", "\u2003", "\u3000", ",", ";", ":", ")", ">", "<num>", "é", "x2",
            "Step 1", "step 2", "think step by step", "def f(", "=>", "solve 3 + 4", "poem", "riddle",
            "you are an agent", "tool calls", ".", "!", "?", "_", "A", "B", "z"]
    for _ in range(20000):
        out.append("".join(r.choice(pool) + r.choice(["", " ", ""]) for _ in range(r.randint(0, 30))))
    out += ["", " ", "'", "''", "'''", "a'", " '", "\n'", "x" * 5000, "Ab " * 900, "a" * 3000 + " b"]
    return out


def _outputs(facts) -> dict[str, np.ndarray | pa.Array]:
    return {"template_key": facts.template_key, "template_id": facts.template_id, "simhash": facts.simhash,
            "capability": facts.capability, "cot": facts.cot}


def check(old, old_rules, rules, arr: pa.Array, what: str) -> None:
    """Assert that old and new agree on every output for every prompt of ``arr``."""
    a, b = _outputs(old.analyze_prompts(arr, old_rules)), _outputs(content.analyze_prompts(arr, rules))
    for name in a:
        x, y = a[name], b[name]
        if isinstance(x, pa.Array):
            same = x.type == y.type and x.equals(y)
        else:
            same = x.dtype == y.dtype and np.array_equal(x, y)
        if not same:
            raise SystemExit(f"IDENTITY FAILED: {what}: {name} differs")
    print(f"identical: {what}: {len(arr):,} prompts, 5 outputs "
          f"({len(pc.unique(b['template_key'])):,} distinct template keys)")


def cpu(fn, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t0 = time.process_time()
        fn()
        out.append(time.process_time() - t0)
    return out


def steps(arr: pa.Array, rules) -> dict[str, float]:
    """CPU seconds of each step of the current implementation, as analyze_prompts runs them."""
    from app.core.content_simhash import simhash64

    times: dict[str, float] = {}

    def tick(name, t0):
        times[name] = times.get(name, 0.0) + time.process_time() - t0

    t0 = time.process_time()
    keys, index, ids = content._templates(arr, rules, tick=tick)
    times["templates (total)"] = time.process_time() - t0
    for name, fn in (("simhash64", lambda: simhash64(keys)),
                     ("capability", lambda: content._classify(keys, rules)),
                     ("cot", lambda: content._matches(keys, rules.cot_patterns))):
        t0 = time.process_time()
        fn()
        times[name] = time.process_time() - t0
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", default=BASE, help="commit holding the old implementation")
    ap.add_argument("--time", action="store_true", help="also measure CPU seconds, old and new")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--no-check", action="store_true", help="skip the identity check")
    args = ap.parse_args()
    pa.set_cpu_count(1)
    old, old_rules = load_old(args.base)
    rules = content.load_rules()
    prompts = distinct_prompts()
    print(f"base {args.base[:12]}; {len(prompts):,} distinct prompts, {prompts.nbytes / 1e6:.0f} MB")
    if not args.no_check:
        corp = test_corpora()
        check(old, old_rules, rules, pa.array(corp, pa.string()), "unit-test and guard corpora")
        check(old, old_rules, rules, pa.array(corp, pa.large_string()), "same corpora as large_string")
        check(old, old_rules, rules, prompts, "distinct prompts of events_1000000.csv")
    if args.time:
        t_old, t_new = [], []
        for _ in range(args.runs):
            t_old += cpu(lambda: old.analyze_prompts(prompts, old_rules), 1)
            t_new += cpu(lambda: content.analyze_prompts(prompts, rules), 1)
        mo, mn = statistics.median(t_old), statistics.median(t_new)
        print(f"analyze_prompts CPU s, old: {' '.join(f'{t:.2f}' for t in t_old)} (median {mo:.2f})")
        print(f"analyze_prompts CPU s, new: {' '.join(f'{t:.2f}' for t in t_new)} (median {mn:.2f})")
        print(f"speed-up {mo / mn:.2f}x")
        runs = [steps(prompts, rules) for _ in range(args.runs)]
        print("per step, new (CPU s, median):")
        for name in runs[0]:
            print(f"  {name:28s} {statistics.median(r[name] for r in runs):6.2f}")


if __name__ == "__main__":
    main()
