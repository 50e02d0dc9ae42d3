"""Load and check the analyst-editable prompt-content rules (resources/rules/content_rules.json).

The rules that turn a prompt into a template key, a chain-of-thought flag and a capability class
are data, not code, so an analyst can read them, tighten a pattern or add a paraphrase without a
release. This module is the only place that reads that file. It checks everything up front
(structure, RE2 syntax, replacement groups, class names) so that a mistake in the file surfaces
as one :class:`~app.core.errors.InputError` naming the file and the rule, before an import
starts, never as a traceback half-way through one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from app.core.errors import InputError
from app.core.resources import resource_path

__all__ = ["CAPABILITIES", "MaskRule", "ContentRules", "load_rules", "regex_literal"]

#: capability classes; the position is the int stored in the case (0 = other)
CAPABILITIES: tuple[str, ...] = ("other", "coding", "math", "reasoning", "agentic", "creative")

_BUILTINS = ("lower", "trim")
_RE2_SPECIAL = set("\\.^$|?*+()[]{}")


@dataclass(frozen=True)
class MaskRule:
    """One rewrite step of the template pipeline.

    Exactly one of ``pattern`` (an RE2 regex replaced by ``replace``) or ``builtin``
    (``"lower"`` or ``"trim"``) is set. ``guard_regex`` is the guard text escaped as a
    literal regex, or ``None`` when the rule has no guard.
    """

    name: str
    pattern: str | None = None
    replace: str = ""
    builtin: str | None = None
    guard_regex: str | None = None


@dataclass(frozen=True)
class ContentRules:
    """Compiled content rules, ready for :func:`app.core.content.analyze_prompts`.

    Attributes
    ----------
    version:
        The ``version`` string of the rules file (stored with each import).
    source:
        Path of the file the rules came from (for messages).
    mask:
        Rewrite steps applied to every distinct prompt, in order.
    normalise:
        Rewrite steps applied afterwards to every distinct masked text, in order.
    cot_patterns:
        RE2 alternations of the chain-of-thought rules; a prompt is flagged if any matches.
        Rules with an open-ended gap (``*``) form one alternation and the others another:
        combined, the two kinds make RE2's DFA so large that matching gets ten times slower.
    capability_patterns:
        ``(class index, RE2 alternation)`` pairs in priority order, highest first.
    """

    version: str
    source: str
    mask: tuple[MaskRule, ...]
    normalise: tuple[MaskRule, ...]
    cot_patterns: tuple[str, ...]
    capability_patterns: tuple[tuple[int, str], ...]


def regex_literal(text: str) -> str:
    """Escape ``text`` so RE2 matches it literally."""
    return "".join("\\" + ch if ch in _RE2_SPECIAL else ch for ch in text)


class _Checker:
    """Walks the parsed JSON and turns every problem into one InputError naming the file."""

    def __init__(self, path: Path):
        self.path = path
        self._probe = pa.array([""], pa.string())

    def fail(self, where: str, problem: str) -> InputError:
        return InputError(f"content rules file {self.path}: {where}: {problem}")

    def obj(self, value, where: str) -> dict:
        if not isinstance(value, dict):
            raise self.fail(where, "expected an object {...}")
        return value

    def items(self, value, where: str) -> list:
        if not isinstance(value, list):
            raise self.fail(where, "expected a list [...]")
        return value

    def text(self, value, where: str, *, empty_ok: bool = False) -> str:
        if not isinstance(value, str) or (not empty_ok and not value):
            raise self.fail(where, "expected a non-empty string")
        return value

    def strings(self, value, where: str) -> list[str]:
        return [self.text(v, f"{where}[{i}]") for i, v in enumerate(self.items(value, where))]

    def regex(self, pattern, where: str) -> str:
        pattern = self.text(pattern, where)
        try:
            pc.match_substring_regex(self._probe, pattern)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            raise self.fail(where, f"not a valid RE2 pattern ({exc})") from None
        return pattern

    def rewrite(self, rule: dict, where: str) -> MaskRule:
        name = self.text(rule.get("name"), f"{where}.name")
        where = f"{where} ({name})"
        builtin = rule.get("builtin")
        if builtin is not None:
            if builtin not in _BUILTINS:
                raise self.fail(where, f"builtin must be one of {', '.join(_BUILTINS)}, not {builtin!r}")
            return MaskRule(name=name, builtin=builtin)
        pattern = self.regex(rule.get("pattern"), f"{where}.pattern")
        replace = self.text(rule.get("replace"), f"{where}.replace", empty_ok=True)
        try:
            pc.replace_substring_regex(self._probe, pattern, replace)
        except pa.ArrowInvalid as exc:
            raise self.fail(f"{where}.replace", f"does not fit the pattern ({exc})") from None
        guard = rule.get("guard")
        guard_regex = None
        if guard is not None:
            guard_regex = regex_literal(self.text(guard, f"{where}.guard"))
        return MaskRule(name=name, pattern=pattern, replace=replace, guard_regex=guard_regex)

    def patterns(self, rules: list, where: str) -> list[str]:
        out = []
        for i, rule in enumerate(rules):
            rule = self.obj(rule, f"{where}[{i}]")
            name = self.text(rule.get("name"), f"{where}[{i}].name")
            out.append(self.regex(rule.get("pattern"), f"{where}[{i}] ({name}).pattern"))
        return out


def _alternation(patterns: list[str]) -> str:
    return "|".join(f"(?:{p})" for p in patterns)


def load_rules(path: str | Path | None = None) -> ContentRules:
    """Read, check and compile a content rules file.

    Parameters
    ----------
    path:
        The JSON rules file; default ``resources/rules/content_rules.json``.

    Returns
    -------
    ContentRules
        The compiled rules and the file's version string.

    Raises
    ------
    InputError
        The file is missing, is not JSON, lacks a section, has a bad RE2 pattern or names an
        unknown capability class. The message names the file and the rule.
    """
    path = Path(path) if path is not None else resource_path("rules", "content_rules.json")
    check = _Checker(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"content rules file {path}: not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"content rules file {path}: cannot be read ({exc})") from None
    try:
        doc = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"content rules file {path}: not valid JSON (line {exc.lineno} column {exc.colno}: {exc.msg})"
        ) from None
    doc = check.obj(doc, "top level")
    version = check.text(doc.get("version"), "version")

    stages = {}
    for stage in ("mask", "normalise"):
        section = check.obj(doc.get(stage), stage)
        rules = check.items(section.get("rules"), f"{stage}.rules")
        stages[stage] = tuple(
            check.rewrite(check.obj(r, f"{stage}.rules[{i}]"), f"{stage}.rules[{i}]") for i, r in enumerate(rules)
        )

    cot = check.obj(doc.get("cot"), "cot")
    cot = check.patterns(check.items(cot.get("rules"), "cot.rules"), "cot.rules")
    cot_groups = ([p for p in cot if "*" in p], [p for p in cot if "*" not in p])
    cot_patterns = tuple(_alternation(group) for group in cot_groups if group)

    caps = check.obj(doc.get("capabilities"), "capabilities")
    classes = check.items(caps.get("classes"), "capabilities.classes")
    seen: set[str] = set()
    cap_patterns = []
    for i, entry in enumerate(classes):
        where = f"capabilities.classes[{i}]"
        entry = check.obj(entry, where)
        name = check.text(entry.get("class"), f"{where}.class")
        if name not in CAPABILITIES or name == "other":
            valid = ", ".join(c for c in CAPABILITIES if c != "other")
            raise check.fail(f"{where}.class", f"{name!r} is not a capability class (use one of {valid})")
        if name in seen:
            raise check.fail(f"{where}.class", f"{name!r} is listed twice")
        seen.add(name)
        patterns = check.patterns(check.items(entry.get("rules"), f"{where}.rules"), f"{where} ({name}).rules")
        if patterns:
            cap_patterns.append((CAPABILITIES.index(name), _alternation(patterns)))

    return ContentRules(
        version=version,
        source=str(path),
        mask=stages["mask"],
        normalise=stages["normalise"],
        cot_patterns=cot_patterns,
        capability_patterns=tuple(cap_patterns),
    )
