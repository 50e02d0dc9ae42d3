"""Quality checks of the prompt-content rules: template keys, SimHash, CoT flag, capability class."""

from __future__ import annotations

import json
import random

import numpy as np
import pyarrow as pa
import pytest
import xxhash

from app.core import content
from app.core.content import CAPABILITIES, analyze_prompts, hamming64, hash64, load_rules
from app.core.content_simhash import simhash64, simhash64_reference
from app.core.errors import InputError
from app.core.resources import resource_path

RULES_FILE = resource_path("rules", "content_rules.json")
WORDS = (
    "report data team project plan week market people system time result note meeting question idea "
    "customer design price garden travel recipe budget review history music book school river mountain "
    "engine window letter doctor forest island bridge summer winter camera station kitchen planet "
    "ocean museum library village harbor violin rocket lemon fossil marble candle thunder pepper"
).split()


@pytest.fixture(scope="module")
def rules():
    return load_rules()


def facts(prompts, rules):
    return analyze_prompts(pa.array(prompts, pa.string()), rules)


def keys(prompts, rules):
    return facts(prompts, rules).template_key.to_pylist()


# ----------------------------------------------------------------------------- template keys
SAME_TEMPLATE = [
    ("Write a poem about Marie Curie and 42 cats.", "Write a poem about Albert Einstein and 7 cats."),
    ('Translate "good morning" into French.', 'Translate "where is the station" into French.'),
    ("Fix this: ```python\nprint(1)\n```", "Fix this: ```js\nconsole.log(2);\n```"),
    ("Why does `foo()` return 3.5?", "Why does `bar_baz()` return 1,200?"),
    ("Summarise https://a.example.com/x?id=1 for me", "Summarise https://b.example.org/post/99 for me"),
    ("Email jane.doe@example.com about the 0x1f flag", "Email bob@corp.io about the 0xFF00 flag"),
    ("Call get_user_name in os.path.join", "Call fetchOrders in np.linalg.norm"),
    ("Tell me about the 'old city' of Prague", "Tell me about the 'new harbour' of Lisbon"),
    ("Write   a story\n\nabout dogs", "write a story about dogs"),
]


@pytest.mark.parametrize("a,b", SAME_TEMPLATE)
def test_slot_fills_share_a_template(rules, a, b):
    ka, kb = keys([a, b], rules)
    assert ka == kb


def test_key_reads_as_masked_lowercase_text(rules):
    assert keys(["Write a poem about Marie Curie and 42 cats."], rules) == [
        "write a poem about <name> and <num> cats."
    ]
    assert keys(["Contact bob@example.com or see https://x.com/a", "Don't say 'hi there' to it's owner"], rules) == [
        "contact <email> or see <url>",
        "don't say <quote> to it's owner",
    ]


DIFFERENT_WORDING = [
    "Write a poem about the sea.",
    "Compose a poem about the sea.",
    "Write a story about the sea.",
    "Explain the sea.",
    "Describe the sea.",
    "Write a poem about the sea and the sky.",
]


def test_different_wording_gives_different_keys(rules):
    out = keys(DIFFERENT_WORDING, rules)
    assert len(set(out)) == len(DIFFERENT_WORDING)


def test_keys_are_stable_across_calls_and_batches(rules, monkeypatch):
    prompts = [f"Item {i}: ask {name} about topic {i % 7}" for i, name in enumerate(["Ann", "Bo Li", "Cy"] * 40)]
    prompts += DIFFERENT_WORDING
    first = facts(prompts, rules)
    again = facts(list(reversed(prompts)), rules)
    assert first.template_key.to_pylist() == list(reversed(again.template_key.to_pylist()))
    monkeypatch.setattr(content, "MASK_BATCH", 7)  # many masking batches, merged afterwards
    split = facts(prompts, rules)
    assert split.template_key.to_pylist() == first.template_key.to_pylist()
    for name in ("template_id", "simhash", "capability", "cot"):
        np.testing.assert_array_equal(getattr(split, name), getattr(first, name))


def test_template_id_is_hash_of_key_and_facts_follow_the_key(rules):
    f = facts([a for pair in SAME_TEMPLATE for a in pair], rules)
    np.testing.assert_array_equal(f.template_id, hash64(f.template_key))
    for i in range(0, len(f), 2):
        assert f.simhash[i] == f.simhash[i + 1]
        assert f.capability[i] == f.capability[i + 1]
        assert f.cot[i] == f.cot[i + 1]


def test_facts_hold_distinct_keys_and_an_index(rules):
    prompts = [a for pair in SAME_TEMPLATE for a in pair] + DIFFERENT_WORDING
    f = facts(prompts, rules)
    assert len(f) == len(prompts) == len(f.key_index)
    assert f.keys.type == pa.string() and f.keys.null_count == 0
    assert len(set(f.keys.to_pylist())) == len(f.keys) < len(prompts)  # distinct, shared by slot fills
    assert f.key_index.dtype in (np.int64, np.int32)
    assert 0 <= f.key_index.min() and f.key_index.max() < len(f.keys)
    # the per-prompt property is the index applied to the distinct keys, and is read-only
    assert f.template_key.to_pylist() == [f.keys[i].as_py() for i in f.key_index]
    with pytest.raises(AttributeError):
        f.template_key = f.keys
    np.testing.assert_array_equal(f.template_id, hash64(f.keys)[f.key_index])


def test_facts_pickle_without_the_expanded_keys(rules):
    import pickle

    prompts = [f"Ask {name} about item {i}" for i, name in enumerate(["Ann Lee", "Bo", "Cy Young"] * 400)]
    f = facts(prompts, rules)
    assert len(f.keys) == 1
    back = pickle.loads(pickle.dumps(f))
    assert back.template_key.to_pylist() == f.template_key.to_pylist()
    for name in ("key_index", "template_id", "simhash", "capability", "cot"):
        np.testing.assert_array_equal(getattr(back, name), getattr(f, name))
    assert len(pickle.dumps(f)) < len(pickle.dumps(f.template_key))


def test_input_forms_and_dtypes(rules):
    prompts = ["Solve 2 + 2", "Grüße aus Köln, Frau Müller!", "", "   "]
    base = facts(prompts, rules)
    large = analyze_prompts(pa.array(prompts, pa.large_string()), rules)
    chunked = analyze_prompts(pa.chunked_array([prompts[:2], prompts[2:]], pa.string()), rules)
    for other in (large, chunked):
        assert other.template_key.to_pylist() == base.template_key.to_pylist()
        np.testing.assert_array_equal(other.simhash, base.simhash)
    assert base.template_key.type == pa.string()
    assert (base.template_id.dtype, base.simhash.dtype, base.capability.dtype, base.cot.dtype) == (
        np.int64, np.int64, np.int8, np.bool_,
    )
    assert base.template_key.to_pylist()[1:] == ["grüße aus <name>, <name>!", "", ""]
    assert base.simhash[2] == 0


def test_empty_input(rules):
    f = facts([], rules)
    assert len(f) == 0 and len(f.template_key) == 0 and len(f.keys) == 0 and len(f.key_index) == 0
    assert f.capability.dtype == np.int8 and f.cot.dtype == np.bool_


def test_nulls_are_refused(rules):
    with pytest.raises(ValueError, match="null"):
        analyze_prompts(pa.array(["a", None]), rules)


# ----------------------------------------------------------------------------- SimHash
def _sentence(r: random.Random, n: int) -> list[str]:
    return [r.choice(WORDS) for _ in range(n)]


def test_simhash_near_duplicates_are_close_and_unrelated_far(rules):
    r = random.Random(5)
    base = [_sentence(r, 40) for _ in range(200)]
    near = []
    for words in base:
        words = list(words)
        words[r.randrange(40)] = r.choice(["zebra", "quartz", "nimbus", "saffron"])
        near.append(words)
    a = facts([" ".join(w) for w in base], rules).simhash
    b = facts([" ".join(w) for w in near], rules).simhash
    near_d = np.array([hamming64(x, y) for x, y in zip(a, b)])
    far_d = np.array([hamming64(a[i], a[j]) for i in range(60) for j in range(i + 1, 60)])
    assert np.median(near_d) <= 8 and np.mean(near_d <= 10) >= 0.9
    assert np.median(far_d) >= 24 and np.mean(far_d >= 20) >= 0.9


def test_simhash_of_fixed_examples(rules):
    p = ("Please review the quarterly budget report for the marketing team and list the three largest "
         "cost increases compared with last year, with a short note on what drove each of them")
    q = p.replace("largest", "biggest")
    u = "Compose a cheerful haiku about cherry blossoms drifting over a quiet mountain temple at dawn"
    s = facts([p, q, u, p], rules).simhash
    assert s[0] == s[3]
    # one word of 31 swapped: typically <= 10 bits (see the statistical test above); this pair gives 12
    assert hamming64(s[0], s[1]) <= 16
    assert hamming64(s[0], s[2]) >= 20


def test_simhash_matches_reference_on_both_paths():
    r = random.Random(9)
    pool = ["a", "bb", "the", "<num>", "internationalization", "x" * 17, "é", "日本語", "ab\tc", "  "]
    texts = [" ".join(r.choice(pool) for _ in range(r.randint(0, 70))) for _ in range(800)] + ["", " ", "w"]
    ref = [simhash64_reference(t) for t in texts]
    arr = pa.array(texts)
    assert simhash64(arr).tolist() == ref
    assert simhash64(arr, long_features=5).tolist() == ref  # per-text path for "long" texts


def test_hamming64():
    assert hamming64(0, 0) == 0
    assert hamming64(-1, 0) == 64
    assert hamming64(np.int64(-(2**63)), 0) == 1
    assert hamming64(0b1011, 0b0001) == 2


# ----------------------------------------------------------------------------- CoT
COT_POSITIVE = [
    "Think step by step.",
    "Let's think step by step about this.",
    "Let\u2019s work this out in a step by step way to be sure we have the right answer.",
    "Show your work.",
    "Please show your reasoning.",
    "Explain your reasoning before you give the final answer.",
    "Walk me through your thought process.",
    "Reason carefully before answering.",
    "Articulate the internal reasoning behind your classification.",
    "Write out your chain of thought, then answer.",
    "Before answering, think about which facts matter.",
    "Solve the puzzle and justify each step.",
    "Put your reasoning inside <thinking> tags.",
    "What is your reasoning?",
    "SOLVE THIS STEP-BY-STEP: 17 * 23",
]
COT_NEGATIVE = [
    "The first step of the pipeline failed.",
    "Step 3 of the installation guide does not work on Windows.",
    "Give me step-by-step installation instructions for nginx.",
    "I think the server is down.",
    "What steps should I take to reset my password?",
    "The reasoning module of our app crashed.",
    "For this reason, we moved the servers to Oslo.",
    'Translate "think step by step" into German.',
]


def test_cot_flag_positive_and_negative(rules):
    f = facts(COT_POSITIVE + COT_NEGATIVE, rules)
    got = dict(zip(COT_POSITIVE + COT_NEGATIVE, f.cot.tolist()))
    assert [p for p in COT_POSITIVE if not got[p]] == []
    assert [p for p in COT_NEGATIVE if got[p]] == []


def test_cot_examples_in_rules_file(rules):
    doc = json.loads(RULES_FILE.read_text(encoding="utf-8"))
    for rule in doc["cot"]["rules"]:
        pos, neg = rule["examples"], rule.get("counter_examples", [])
        f = facts(pos + neg, rules)
        assert f.cot[: len(pos)].all(), (rule["name"], pos)
        assert not f.cot[len(pos):].any(), (rule["name"], neg)


# ----------------------------------------------------------------------------- capability
CLASS_EXAMPLES = {
    "coding": [
        "Write a function that reverses a linked list.",
        "How do I read a CSV file in python?",
        "Why does this crash?\n```\nint main() { return *p; }\n```",
        "Here is my stack trace, what does it mean?",
    ],
    "math": [
        "Solve for x: 2x + 3 = 11.",
        "What is the derivative of sin(x) * x^2?",
        "Prove that the square root of 2 is irrational.",
        "What is 348 * 27?",
    ],
    "reasoning": [
        "Here is a logic puzzle: three boxes are labelled wrongly. Which box should you open?",
        "Knights always tell the truth and knaves always lie. Who is lying?",
        "Evaluate the argument that remote work lowers productivity.",
    ],
    "agentic": [
        "You are a coding agent working in a repository. Fix the failing build.",
        "You have access to a bash shell and a browser. Find the cheapest flight.",
        "Use the search tool to look up the weather in Paris.",
    ],
    "creative": [
        "Write a limerick about a cat.",
        "Tell me a story about a dragon who is afraid of fire.",
        "Write lyrics for a song about summer.",
    ],
    "other": [
        "What is the capital of Australia?",
        "Summarise the meeting notes below for my manager.",
        "Recommend a good restaurant in Rome.",
    ],
}


@pytest.mark.parametrize("cls", list(CLASS_EXAMPLES))
def test_capability_hand_written_examples(rules, cls):
    got = [CAPABILITIES[c] for c in facts(CLASS_EXAMPLES[cls], rules).capability]
    assert got == [cls] * len(CLASS_EXAMPLES[cls])


PRIORITY = [
    ("Write a Python script that generates a random haiku.", "coding"),  # coding beats creative
    ("You are an agent with access to tools. Solve the equation 3x = 12.", "agentic"),  # agentic beats math
    ("Solve this logic puzzle: what is the probability both coins land heads?", "math"),  # math beats reasoning
    ("Write a poem about why 2 + 2 = 4.", "math"),  # math beats creative
    ("Write unit tests for this function and explain the proof of correctness: `def f(): ...`", "coding"),
]


@pytest.mark.parametrize("prompt,cls", PRIORITY)
def test_capability_priority(rules, prompt, cls):
    assert CAPABILITIES[facts([prompt], rules).capability[0]] == cls


def test_capability_examples_in_rules_file(rules):
    doc = json.loads(RULES_FILE.read_text(encoding="utf-8"))
    for entry in doc["capabilities"]["classes"]:
        got = [CAPABILITIES[c] for c in facts(entry["examples"], rules).capability]
        assert got == [entry["class"]] * len(entry["examples"]), (entry["class"], entry["examples"])


def test_capabilities_order_is_the_stored_int():
    assert CAPABILITIES == ("other", "coding", "math", "reasoning", "agentic", "creative")


# ----------------------------------------------------------------------------- hash64
def test_hash64_known_values_and_signedness():
    got = hash64(pa.array(["hello world", "write a poem about <name>", "Grüße, 世界 🌍"]))
    assert got.dtype == np.int64
    # constants computed once with xxhash.xxh3_64_intdigest(text.encode()) and reinterpreted as signed
    assert got.tolist() == [-3150353794653054837, -1132056024766602991, 8475068019507332819]
    for text, value in zip(["hello world", "Grüße, 世界 🌍"], got[[0, 2]]):
        assert int(value) % 2**64 == xxhash.xxh3_64_intdigest(text.encode("utf-8"))
    assert all(-(2**63) <= int(v) < 2**63 for v in got)  # fits a SQLite INTEGER


def test_hash64_empty_large_and_chunked():
    assert hash64(pa.array([], pa.string())).shape == (0,)
    a = hash64(pa.array(["x", "", "日本"], pa.string()))
    np.testing.assert_array_equal(a, hash64(pa.array(["x", "", "日本"], pa.large_string())))
    np.testing.assert_array_equal(a, hash64(pa.chunked_array([["x"], ["", "日本"]])))
    np.testing.assert_array_equal(a[1:2], hash64(pa.array(["x", "", "日本"]).slice(1, 1)))


# ----------------------------------------------------------------------------- load_rules
def test_load_rules_default_has_version(rules):
    assert rules.version == "1"
    assert rules.source.endswith("content_rules.json")
    assert [CAPABILITIES[c] for c, _ in rules.capability_patterns] == [
        "agentic", "coding", "math", "reasoning", "creative",
    ]


def _write(tmp_path, doc) -> str:
    path = tmp_path / "rules.json"
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc), encoding="utf-8")
    return str(path)


def _doc():
    return json.loads(RULES_FILE.read_text(encoding="utf-8"))


def test_broken_json_names_the_file(tmp_path):
    path = _write(tmp_path, '{"version": "1", "mask": ')
    with pytest.raises(InputError, match="rules.json.*not valid JSON.*line 1"):
        load_rules(path)


def test_bad_regex_names_file_and_rule(tmp_path):
    doc = _doc()
    doc["cot"]["rules"][0]["pattern"] = "(?<=think) step"
    path = _write(tmp_path, doc)
    with pytest.raises(InputError) as err:
        load_rules(path)
    assert path in str(err.value) and "think_step_by_step" in str(err.value) and "RE2" in str(err.value)


@pytest.mark.parametrize(
    "edit,needle",
    [
        (lambda d: d.pop("version"), "version"),
        (lambda d: d["capabilities"]["classes"][0].update({"class": "poetry"}), "not a capability class"),
        (lambda d: d["capabilities"]["classes"].append(dict(d["capabilities"]["classes"][0])), "listed twice"),
        (lambda d: d["mask"]["rules"][0].update({"replace": "\\3"}), "does not fit the pattern"),
        (lambda d: d["normalise"]["rules"][1].update({"builtin": "upper"}), "builtin must be one of"),
        (lambda d: d.update({"mask": []}), "expected an object"),
    ],
)
def test_structural_problems_raise_input_error(tmp_path, edit, needle):
    doc = _doc()
    edit(doc)
    path = _write(tmp_path, doc)
    with pytest.raises(InputError, match=needle) as err:
        load_rules(path)
    assert path in str(err.value)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="not found"):
        load_rules(tmp_path / "nope.json")


def test_edited_rules_change_the_result(tmp_path):
    doc = _doc()
    doc["version"] = "1-local"
    doc["cot"]["rules"].append({"name": "mull", "description": "x", "pattern": r"\bmull it over\b", "examples": []})
    custom = load_rules(_write(tmp_path, doc))
    assert custom.version == "1-local"
    assert analyze_prompts(pa.array(["Mull it over, then answer."]), custom).cot.tolist() == [True]
    assert analyze_prompts(pa.array(["Mull it over, then answer."]), load_rules()).cot.tolist() == [False]


# ----------------------------------------------------------------------------- speed paths
def _corpus():
    texts = [t for v in CLASS_EXAMPLES.values() for t in v] + COT_POSITIVE + COT_NEGATIVE
    texts += [p for p, _ in PRIORITY] + DIFFERENT_WORDING + [a for pair in SAME_TEMPLATE for a in pair]
    return texts


def test_pattern_passes_on_undecided_keys_match_a_plain_loop(rules):
    import pyarrow.compute as pc

    arr = pa.array(_corpus() * 3 + ["plain words only"] * 5, pa.string())
    hits = [pc.match_substring_regex(arr, p).to_numpy(zero_copy_only=False)
            for _, p in rules.capability_patterns]
    expected = np.zeros(len(arr), np.int8)
    for (cls, _), hit in zip(reversed(rules.capability_patterns), reversed(hits)):
        expected[hit] = cls  # the highest priority written last
    got = content._classify(arr, rules)
    np.testing.assert_array_equal(got, expected)
    assert len(set(got.tolist())) >= 4  # several classes decided, so the working set shrank
    cot = np.zeros(len(arr), bool)
    for p in rules.cot_patterns:
        cot |= pc.match_substring_regex(arr, p).to_numpy(zero_copy_only=False)
    np.testing.assert_array_equal(content._matches(arr, rules.cot_patterns), cot)
    assert cot.any() and not cot.all()


def test_batch_merge_survives_hash_collisions(rules, monkeypatch):
    texts = _corpus() * 2
    monkeypatch.setattr(content, "MASK_BATCH", 5)
    clean = facts(texts, rules)
    real = content.hash64
    monkeypatch.setattr(content, "hash64", lambda keys: real(keys) & 3)  # four values: collisions
    merged = facts(texts, rules)
    assert merged.keys.equals(clean.keys)
    np.testing.assert_array_equal(merged.key_index, clean.key_index)
    np.testing.assert_array_equal(merged.template_id, clean.template_id & 3)
    monkeypatch.setattr(content, "MASK_BATCH", 1 << 20)  # one batch: no merge
    single = facts(texts, rules)
    assert single.keys.equals(clean.keys)  # same keys, same first-seen order, with or without batches
    np.testing.assert_array_equal(single.key_index, clean.key_index)


@pytest.mark.parametrize("texts", [["w"], ["ab", "c"], ["abcdefg"], ["abcdefgh"], ["x y", "z"], ["", "q r s t u v w"]])
def test_simhash_short_buffers_read_the_tail_right(texts):
    # tokens in the last seven bytes of a batch are loaded from a zero-padded copy of the tail
    assert simhash64(pa.array(texts)).tolist() == [simhash64_reference(t) for t in texts]
    sliced = pa.array(["zzzzzzzzzz"] + texts).slice(1)  # a non-zero array offset
    assert simhash64(sliced).tolist() == [simhash64_reference(t) for t in texts]
