"""The import graph keeps the service apart from its tooling.

The running service (everything under bot/, nlu/, stt/, tts/ and escalation/ but the
tooling and the command line) never imports the tooling (benchmarks, simulated callers,
the voice-test runner) or the command line; the tooling never imports the command line:
what both need lives with the stage it is for. Every import counts, at module level, inside
a function or under TYPE_CHECKING, absolute or relative.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "nlu", "stt", "tts", "escalation")
TOOLING = ("bot.bench", "bot.caller", "bot.voice_tests")
COMMAND_LINE = ("bot.cli", "bot.__main__")


@dataclass(frozen=True)
class Import:
    """One import statement: `importer` (a module) names `targets` at `path`:`line`."""

    path: Path
    line: int
    importer: str
    targets: tuple[str, ...]  # the module, then module.name for each name of a from-import


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _from_base(importer: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The absolute module of `from ... import`, relative levels resolved."""
    if not node.level:
        return node.module or ""
    package = importer.split(".") if is_package else importer.split(".")[:-1]
    package = package[: len(package) - (node.level - 1)]
    return ".".join([*package, *([node.module] if node.module else [])])


def imports_of(root: Path, path: Path) -> list[Import]:
    """Every import in one file, wherever it stands."""
    importer = module_name(root, path)
    rel = path.relative_to(root)
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.append(Import(rel, node.lineno, importer, (alias.name,)))
        elif isinstance(node, ast.ImportFrom):
            base = _from_base(importer, path.name == "__init__.py", node)
            names = tuple(f"{base}.{alias.name}" for alias in node.names if alias.name != "*")
            found.append(Import(rel, node.lineno, importer, (base, *names)))
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr == "import_module" and node.args
              and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            found.append(Import(rel, node.lineno, importer, (node.args[0].value,)))
    return found


def import_graph(root: Path, packages: tuple[str, ...] = PACKAGES) -> list[Import]:
    return [imp for package in packages if (root / package).is_dir()
            for path in sorted((root / package).rglob("*.py")) if "__pycache__" not in path.parts
            for imp in imports_of(root, path)]


def _within(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def _first_within(targets: tuple[str, ...], prefixes: tuple[str, ...]) -> str | None:
    return next((t for t in targets if _within(t, prefixes)), None)


def violations(root: Path, packages: tuple[str, ...] = PACKAGES) -> list[str]:
    """"file:line imports X" for each import the layout forbids."""
    found = []
    for imp in import_graph(root, packages):
        if _within(imp.importer, COMMAND_LINE):
            continue  # the command line may import anything
        forbidden = COMMAND_LINE if _within(imp.importer, TOOLING) else TOOLING + COMMAND_LINE
        target = _first_within(imp.targets, forbidden)
        if target is not None:
            found.append(f"{imp.path}:{imp.line} imports {target}")
    return found


def test_the_service_imports_no_tooling_and_the_tooling_no_command_line() -> None:
    found = violations(ROOT)
    assert not found, "runtime or tooling imports it must not:\n" + "\n".join(found)


def test_the_graph_sees_the_imports_it_checks() -> None:
    """A walker that found nothing would pass the test above: it must see real edges."""
    edges = {(imp.importer, target) for imp in import_graph(ROOT) for target in imp.targets}
    assert ("bot.call.session", "bot.call.state") in edges  # module level
    assert ("bot.services_factory", "bot.call.engine") in edges  # inside a function
    assert ("bot.call.services", "tts.service") in edges  # under TYPE_CHECKING
    assert ("bot.cli", "bot.config") in edges  # a package's __init__
    assert ("bot.bench.corpus", "bot.caller.voices") in edges  # tooling may use tooling


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_the_checker_reports_each_forbidden_import_by_file_and_line(tmp_path: Path) -> None:
    _write(tmp_path, {
        "bot/__init__.py": "",
        "bot/bench/__init__.py": "",
        "bot/bench/corpus.py": "from bot.caller import voices\n",
        "bot/bench/stt.py": "import os\n\n\ndef run():\n    from bot.cli.train import progress\n",
        "bot/caller/__init__.py": "",
        "bot/caller/voices.py": "",
        "bot/cli/__init__.py": "from bot.bench import corpus\nfrom bot.call import session\n",
        "bot/cli/train.py": "",
        "bot/call/__init__.py": "",
        "bot/call/session.py": ("from __future__ import annotations\n\nimport asyncio\n\n\n"
                                "def listen():\n    from ..bench.corpus import load_8k\n"),
        "bot/call/state.py": "from . import session\nfrom bot import cli\n",
        "stt/__init__.py": "",
        "stt/adaptation.py": ("from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n"
                              "    import bot.voice_tests.runner\n"),
    })
    assert sorted(violations(tmp_path)) == [
        "bot/bench/stt.py:5 imports bot.cli.train",
        "bot/call/session.py:7 imports bot.bench.corpus",
        "bot/call/state.py:2 imports bot.cli",
        "stt/adaptation.py:4 imports bot.voice_tests.runner",
    ]


def test_a_clean_tree_passes(tmp_path: Path) -> None:
    _write(tmp_path, {
        "bot/__init__.py": "",
        "bot/call/__init__.py": "",
        "bot/call/session.py": "from bot.call import state\nfrom . import state as again\n",
        "bot/call/state.py": "import enum\n",
        "bot/cli/__init__.py": "from bot.bench import corpus\n",
        "bot/bench/__init__.py": "",
        "bot/bench/corpus.py": "from stt.adaptation import build_mllr\n",
    })
    assert violations(tmp_path) == []
