"""The Python tooling's size budget (STYLE.md 17, issue 10): no file under
bench/, tools/ or tests/ over 600 lines, no function over 60."""

import ast
import os

from tools.nfos_cli import ROOT

MAX_FILE, MAX_FUNCTION = 600, 60


def python_files():
    for top in ("bench", "tools", "tests"):
        for folder, dirs, files in os.walk(os.path.join(ROOT, top)):
            dirs[:] = [d for d in dirs if d != "__pycache__"]
            yield from (os.path.join(folder, f) for f in files if f.endswith(".py"))


def test_files_and_functions_stay_small():
    over = []
    for path in python_files():
        with open(path) as f:
            text = f.read()
        rel = os.path.relpath(path, ROOT)
        if text.count("\n") > MAX_FILE:
            over.append(f"{rel}: {text.count(chr(10))} lines")
        for node in ast.walk(ast.parse(text, rel)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = node.end_lineno - node.lineno + 1
                if n > MAX_FUNCTION:
                    over.append(f"{rel}:{node.lineno}: {node.name}() {n} lines")
    assert not over, "over the budget:\n" + "\n".join(over)
