"""Every third-party package the code imports is declared in pyproject.toml."""

from __future__ import annotations

import ast
import re
import sys
from importlib.metadata import distributions, packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OURS = {"bot", "nlu", "stt", "tts", "escalation", "tests", "scripts"}
FOLDERS = ("bot", "nlu", "stt", "tts", "escalation", "tests")


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared() -> set[str]:
    """Distribution names in [project] dependencies and the dev extra (a plain reading: the
    quoted requirement at the start of each list line)."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    names = re.findall(r'^\s*"([A-Za-z0-9][A-Za-z0-9._-]*)', text, flags=re.M)
    return {_canonical(n) for n in names}


def imported() -> dict[str, str]:
    """Top-level third-party module -> one file that imports it."""
    found: dict[str, str] = {}
    for folder in FOLDERS:
        for path in (ROOT / folder).rglob("*.py"):
            if "build" in path.relative_to(ROOT).parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    modules = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    modules = [node.module]
                else:
                    continue
                for module in modules:
                    top = module.split(".")[0]
                    if top not in OURS and top not in sys.stdlib_module_names:
                        found.setdefault(top, str(path.relative_to(ROOT)))
    return found


def _distributions_of(module: str, known: dict[str, list[str]]) -> list[str]:
    """The distributions providing top-level `module`: packages_distributions(), else (wheels
    without top_level.txt, e.g. the opentelemetry namespace, which Python 3.10's version does
    not see) the distributions that install files under `module/`."""
    if module in known:
        return known[module]
    return [dist.metadata["Name"] for dist in distributions()
            if any(file.parts[0] == module for file in (dist.files or ())[:50])]


def test_every_imported_package_is_declared() -> None:
    known = packages_distributions()
    wanted = declared()
    missing = []
    for module, where in sorted(imported().items()):
        names = {_canonical(d) for d in _distributions_of(module, known) or [module]}
        if not names & wanted:
            missing.append(f"{module} (imported in {where}; distribution {', '.join(sorted(names))})")
    assert not missing, "imported but not in pyproject.toml: " + "; ".join(missing)
