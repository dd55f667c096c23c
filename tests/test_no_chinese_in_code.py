"""No Chinese literals in code: Chinese vocabulary lives in data files
(bot/data/zh.yaml, read with bot.parsing.zh). Comments and docstrings with
Chinese examples are fine; a string literal with a CJK character is not."""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "actions", "rasa_extensions", "web")
SKIP_DIRS = {"node_modules", "__pycache__", ".venv"}

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")

# String literals allowed to keep Chinese: {(path relative to the repo root, the literal as written): why}.
# Empty: every Chinese word the code uses is in bot/data/ (zh.yaml, phrases.yaml, demo_names.yaml).
ALLOWED: dict[tuple[str, str], str] = {}


def _python_files() -> list[Path]:
    files = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if not SKIP_DIRS.intersection(path.relative_to(ROOT).parts):
                files.append(path)
    return files


def _docstring_lines(tree: ast.AST) -> set[int]:
    """The lines of every module, class and function docstring (a string statement first in its body)."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                lines.update(range(first.lineno, first.end_lineno + 1))
    return lines


def _chinese_literals(path: Path, root: Path = ROOT) -> list[str]:
    """file:line of each string literal with a CJK character that is not a docstring."""
    source = path.read_text(encoding="utf-8")
    docstrings = _docstring_lines(ast.parse(source, filename=str(path)))
    rel = path.relative_to(root).as_posix()
    found = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        # f-strings are tokenized piecewise from Python 3.12 (FSTRING_MIDDLE)
        if token.type not in (tokenize.STRING, getattr(tokenize, "FSTRING_MIDDLE", tokenize.STRING)):
            continue
        if not _CJK.search(token.string):
            continue
        line = token.start[0]
        if line in docstrings or (rel, token.string) in ALLOWED:
            continue
        found.append(f"{rel}:{line}: {token.string.strip()[:60]}")
    return found


def test_the_walk_finds_the_packages():
    files = _python_files()
    assert any(p.name == "timing.py" for p in files)
    assert len(files) > 20


def test_the_check_finds_a_chinese_literal_but_not_a_docstring_or_comment(tmp_path):
    sample = tmp_path / "bot" / "sample.py"
    sample.parent.mkdir()
    lines = [
        '"""模块说明."""',
        "# 注释",
        "def f():",
        '    """函数说明."""',
        '    return "岁"  # 注释',
        "def g():",
        "    import re",
        '    """不是第一句: 不是 docstring."""',
        'X = r"[\\u4e00-\\u9fff]"',
        'Y = f"{X}吗"',
    ]
    sample.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert _chinese_literals(sample, tmp_path) == [
        'bot/sample.py:5: "岁"',
        'bot/sample.py:8: """不是第一句: 不是 docstring."""',
        'bot/sample.py:10: f"{X}吗"',
    ]


def test_no_chinese_string_literals_in_code():
    found = [hit for path in _python_files() for hit in _chinese_literals(path)]
    assert not found, "Chinese in string literals (move the words to bot/data/zh.yaml):\n" + "\n".join(found)
