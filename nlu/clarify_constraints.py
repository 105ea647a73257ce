"""Plain phone questions the clarifying-question rule must get right (nlu/tests/answer_at_once.yml).

Validation data scores a rule on average; these lines pin down what a caller must never
meet: a clear question ("what's the exchange rate for euros") asked back, or a vague one
("I have a question about my card") answered with a guess. The tuner (nlu/clarify_tuning.py)
only considers rules that satisfy every line, ranked by the trained model.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from nlu.clarify import ClarifyRule, Ranking, decide

CONSTRAINTS_FILE = Path("tests") / "answer_at_once.yml"  # in the Rasa project folder
RankTexts = Callable[[list[str]], Sequence[Ranking]]


@dataclass(frozen=True)
class Constraints:
    answer_at_once: tuple[str, ...]
    ask_back: tuple[str, ...]


def load_constraints(project_dir: Path) -> Constraints:
    """The designers' lines, or none when the project has no such file."""
    path = project_dir / CONSTRAINTS_FILE
    if not path.is_file():
        return Constraints((), ())
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return Constraints(tuple(data.get("answer_at_once") or ()), tuple(data.get("ask_back") or ()))


@dataclass(frozen=True)
class RankedConstraints:
    """The lines' rankings by the trained model (best first, without nlu_fallback)."""

    answer_at_once: dict[str, Ranking]
    ask_back: dict[str, Ranking]


def violations(ranked: RankedConstraints, rule: ClarifyRule, never_asked: Collection[str]) -> list[str]:
    """The lines a rule gets wrong: asked back although plain, or answered although vague."""
    def asks(ranking: Ranking) -> bool:
        askable = {n for n, _ in ranking if n not in never_asked}
        return decide(ranking, askable, rule).kind != "answer"

    return ([f"asked back: {t}" for t, r in ranked.answer_at_once.items() if asks(r)]
            + [f"answered at once: {t}" for t, r in ranked.ask_back.items() if not asks(r)])


def rank_constraints(constraints: Constraints, rank: RankTexts) -> RankedConstraints:
    """Rank every line with `rank` (texts -> rankings), e.g. the trained model's pipeline."""
    plain, vague = list(constraints.answer_at_once), list(constraints.ask_back)
    rankings = rank(plain + vague)
    return RankedConstraints(dict(zip(plain, rankings[: len(plain)])), dict(zip(vague, rankings[len(plain):])))

