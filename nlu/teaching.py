"""Teaching the NLU from reviewed call turns: examples into Rasa YAML, heard words into the
speech phrase list, and the YAML patch designers exchange through git.

Each reviewed example goes to `data/nlu/reviewed/<intent>.yml` as its own block under a
comment saying where it came from (call, turn, who, when, what the bot had understood), so a
designer reading the file (or a diff) sees why it is there. An example already in the
training data (hand-written or generated, compared without case and punctuation) is never
written twice. Blocking file work: callers on an event loop use `asyncio.to_thread`.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from nlu.training import nlu_examples

INTENT_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
PROVENANCE = re.compile(r"^# reviewed: (.*)$")
MAX_CHARS = 200
HEADER = ('version: "3.1"\n# Examples taught from real calls on the Review page (docs/review.md).\n'
          "# One block per example; the comment above it says where it came from.\nnlu:\n")


class TeachError(ValueError):
    """An example that cannot be taught (empty, too long, a bad intent name)."""


@dataclass(frozen=True)
class Taught:
    intent: str
    text: str
    path: Path
    added: bool  # False: the training data already had it


def reviewed_dir(project_dir: Path) -> Path:
    return Path(project_dir) / "data" / "nlu" / "reviewed"


def normalised(text: str) -> str:
    """The form examples are compared in: lower case, words only."""
    return " ".join(re.sub(r"[^\w' ]+", " ", text.casefold()).split())


def clean_example(text: str) -> str:
    """One line of plain words: no Rasa entity or YAML syntax can come from a caller's turn."""
    text = " ".join(re.sub(r"[\[\]{}()<>#|\"`\\]", " ", text).split()).strip(" -:")
    if not text:
        raise TeachError("the example is empty")
    if len(text) > MAX_CHARS:
        raise TeachError(f"the example is longer than {MAX_CHARS} characters")
    return text


def provenance_line(source: dict[str, Any]) -> str:
    """`source` (call, turn, by, was...) as one comment line."""
    at = source.get("at")
    when = time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime(time.time() if at is None else at))
    parts = [f"{k}={str(v).replace(chr(10), ' ')}" for k, v in source.items() if k != "at" and v not in (None, "")]
    return f"# reviewed: {when} " + " ".join(parts)


def teach(project_dir: Path, intent: str, text: str, source: dict[str, Any]) -> Taught:
    """Write `text` as an example of `intent` (unless the training data has it already)."""
    if not INTENT_NAME.match(intent):
        raise TeachError(f"not an intent name: {intent!r}")
    text = clean_example(text)
    path = reviewed_dir(project_dir) / f"{intent}.yml"
    wanted = normalised(text)
    if any(normalised(t) == wanted for _, t in nlu_examples(Path(project_dir))):
        return Taught(intent, text, path, added=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.is_file():
        path.write_text(HEADER, encoding="utf-8")
    block = f"{provenance_line(source)}\n- intent: {intent}\n  examples: |\n    - {text}\n"
    with path.open("a", encoding="utf-8") as out:
        out.write(block)
    return Taught(intent, text, path, added=True)


def reviewed_examples(project_dir: Path) -> list[dict[str, str]]:
    """Every reviewed example: intent, text and its provenance comment."""
    out = []
    for path in sorted(reviewed_dir(project_dir).glob("*.yml")):
        provenance = ""
        for line in path.read_text(encoding="utf-8").splitlines():
            if match := PROVENANCE.match(line):
                provenance = match.group(1)
            elif line.startswith("    - ") and provenance is not None:
                out.append({"intent": path.stem, "text": line[6:].strip(), "provenance": provenance})
    return out


def add_phrase(phrases: Path, text: str, source: dict[str, Any]) -> bool:
    """Add a corrected caller phrase to the speech phrase list; False when it is there."""
    text = clean_example(text).replace("@", " ").replace("=", " ").lower()
    lines = phrases.read_text(encoding="utf-8").splitlines() if phrases.is_file() else []
    if any(normalised(line) == normalised(text) for line in lines if not line.startswith("#")):
        return False
    with phrases.open("a", encoding="utf-8") as out:
        out.write(f"{provenance_line(source)}\n{text}\n")
    return True


# ---------------------------------------------------------------- the git designer's patch

def export_patch(project_dir: Path, phrases: Path | None = None) -> str:
    """The reviewed examples (and reviewed phrases) as a YAML patch `import_patch` applies."""
    patch: dict[str, Any] = {"voicebot_review_patch": 1, "examples": reviewed_examples(project_dir)}
    if phrases is not None and phrases.is_file():
        lines = phrases.read_text(encoding="utf-8").splitlines()
        patch["phrases"] = [{"text": lines[i + 1].strip(), "provenance": PROVENANCE.match(line).group(1)}
                            for i, line in enumerate(lines[:-1]) if PROVENANCE.match(line)]
    return yaml.safe_dump(patch, sort_keys=False, allow_unicode=True, width=120)


def import_patch(project_dir: Path, text: str, phrases: Path | None = None) -> tuple[int, int]:
    """Apply a patch from `export_patch`: (examples added, examples already there)."""
    try:
        patch = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise TeachError(f"not a YAML review patch: {exc}") from None
    if not isinstance(patch, dict) or patch.get("voicebot_review_patch") != 1:
        raise TeachError("not a review patch (voicebot_review_patch: 1 missing)")
    added = present = 0
    for item in patch.get("examples") or []:
        source = {"from": "patch", "was": item.get("provenance", "")}
        if teach(project_dir, str(item["intent"]), str(item["text"]), source).added:
            added += 1
        else:
            present += 1
    for item in patch.get("phrases") or []:
        if phrases is not None:
            add_phrase(phrases, str(item["text"]), {"from": "patch", "was": item.get("provenance", "")})
    return added, present
