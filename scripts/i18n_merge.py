"""Fold a translation file (TRIAL.LANG.yaml: texts by dotted path, checked by
scripts/i18n_check.py) into the trial file, each text beside its English one
(``key: {en: ..., zh: ...}`` as a block), editing the file's text in place so
its comments and layout stay; afterwards the translation file can go. For a
reviewer, the merged trial file is the one place where both languages stand
side by side.

    .venv/bin/python scripts/i18n_merge.py bot/trials/NCT05617859.yaml bot/trials/NCT05617859.zh.yaml
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import i18n_check

LANGUAGE = "zh"


def _offset(lines_start: list[int], mark) -> int:
    return lines_start[mark.line] + mark.column


def _find(node: yaml.Node, parts: list[str]):
    """(key node, value node) at a dotted path; list items by their ``id``."""
    key_node, value = None, node
    for part in parts:
        if isinstance(value, yaml.SequenceNode):
            value = next(
                item for item in value.value if any(k.value == "id" and str(v.value) == part for k, v in item.value)
            )
            key_node = None
            continue
        found = next(((k, v) for k, v in value.value if str(k.value) == part), None)
        if found is None:
            return value, None  # missing: the parent mapping
        key_node, value = found
    return key_node, value


def _scalar(text: str) -> str:
    """A YAML scalar on one line: JSON quoting is valid YAML and keeps any character."""
    return json.dumps(text, ensure_ascii=False)


def _flow_list(items: list) -> str:
    return "[" + ", ".join(_scalar(str(item)) for item in items) + "]"


def _render(value) -> str:
    return _flow_list(value) if isinstance(value, list) else _scalar(str(value))


def merge_text(text: str, translations: dict, skip: set) -> tuple[str, int]:
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    starts = [0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    edits: list[tuple[int, int, str]] = []
    for path, value in translations.items():
        if path in skip:
            continue
        parts = path.split(".")
        if parts[0] == "glossary_aliases":
            parent, _ = _find(root, parts[:1])
            _, aliases = _find(root, parts[:1])
            indent = " " * aliases.value[0][0].start_mark.column
            at = _offset(starts, aliases.end_mark)
            edits.append((at, at, f"{indent}{parts[1]}: {_scalar(str(value))}\n"))
            continue
        key, node = _find(root, parts)
        if node is None:
            raise SystemExit(f"{path}: not found in the trial file")
        if parts[-1] == LANGUAGE:  # a word list inside a flow mapping: replace it
            edits.append((_offset(starts, node.start_mark), _offset(starts, node.end_mark), _render(value)))
            continue
        indent = " " * (key.start_mark.column + 2)
        if isinstance(node, yaml.MappingNode):  # already {en: ...}: add the language after it
            english = next(v for k, v in node.value if k.value == "en")
            if node.flow_style:
                at = _offset(starts, node.end_mark) - 1
                edits.append((at, at, f", {LANGUAGE}: {_render(value)}"))
            else:
                at = _offset(starts, english.end_mark)
                if not text[at - 1 : at] == "\n":
                    at = text.index("\n", at) + 1
                edits.append((at, at, f"{indent}{LANGUAGE}: {_render(value)}\n"))
            continue
        start, end = _offset(starts, node.start_mark), _offset(starts, node.end_mark)
        if isinstance(node, yaml.SequenceNode) and not node.flow_style:  # a block list: move it under en
            start = starts[node.start_mark.line]
            end = starts[node.value[-1].end_mark.line + 1]  # the line of the last item, not what follows
            original = text[start:end]
            moved = "".join("  " + line for line in original.splitlines(keepends=True))
            edits.append((start, end, f"{indent}en:\n{moved}{indent}{LANGUAGE}: {_render(value)}\n"))
            continue
        original = text[start:end]
        block = original.endswith("\n")
        body = original.rstrip("\n").replace("\n", "\n  ")
        replacement = f"\n{indent}en: {body}\n{indent}{LANGUAGE}: {_render(value)}" + ("\n" if block else "")
        edits.append((start - 1 if text[start - 1] == " " else start, end, replacement))
    for start, end, replacement in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        text = text[:start] + replacement + text[end:]
    return text, len(edits)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("trial")
    parser.add_argument("translation")
    args = parser.parse_args(argv)
    trial_path = Path(args.trial)
    text = trial_path.read_text(encoding="utf-8")
    translations = yaml.safe_load(Path(args.translation).read_text(encoding="utf-8"))
    report = i18n_check.check(yaml.safe_load(text), translations)
    skip = {path for path, _ in report.wrong}
    merged, count = merge_text(text, translations, skip)
    yaml.safe_load(merged)  # still valid YAML, or nothing is written
    trial_path.write_text(merged, encoding="utf-8")
    print(f"merged {count} texts into {trial_path}; skipped (wrong shape) {sorted(skip)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
