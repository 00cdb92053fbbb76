"""checks.shapes is pure Python: no Django import in any module, and importing it loads no Django."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "shapes"


def _imports(source: str) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


def test_shapes_modules_import_no_django() -> None:
    modules = sorted(PACKAGE.glob("*.py"))
    assert len(modules) >= 5
    for path in modules:
        imported = _imports(path.read_text())
        assert not {name for name in imported if name.split(".")[0] in {"django", "rest_framework", "celery"}}, path
        assert not {name for name in imported if name.split(".")[0] in {"core", "accounts", "monitors", "alerts"}}, path


def test_the_import_check_sees_a_django_import() -> None:
    assert "django.db" in _imports("from django.db import models\n")
    assert "django" in _imports("def f():\n    import django\n")


def test_importing_shapes_loads_no_django() -> None:
    code = (
        "import sys, checks.shapes as s; "
        "s.shape_diff(s.shape_of({'a': 1}).shape, s.shape_of({'a': 'x'}).shape); "
        "print(sorted(m for m in sys.modules if m == 'django' or m.startswith('django.')))"
    )
    root = PACKAGE.parents[1]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=60, check=True)  # noqa: S603
    assert out.stdout.strip() == "[]"
