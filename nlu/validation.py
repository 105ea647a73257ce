"""`voicebot validate`: Rasa's own data validation plus checks for a phone line.

Ours: every YAML file parses (a broken one is named with its line), every FAQ intent has a
spoken answer `utter_<intent>`, every intent a spoken description and every urgent one a
yes/no confirmation (nlu/clarify_checks.py), and no answer has a URL, markdown or list, more than
45 words or more than 3 sentences. Problems name the file and line.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import yaml

from nlu.hesitation import GO_ON, HESITATE

MAX_WORDS = 45
MAX_SENTENCES = 3
URL = re.compile(r"(https?://|www\.|\b[\w-]+\.(com|org|net|io|co\.uk|bank)\b)", re.IGNORECASE)
MARKDOWN = re.compile(r"(\*\*|__|`|\[[^\]]*\]\([^)]*\)|^\s*#|^\s*[-*+]\s|^\s*\d+[.)]\s|<[a-z/][^>]*>)", re.M)
SENTENCE_END = re.compile(r"[.!?]+(\s|$)")
# Rasa warnings that are expected in this project: intents the engine sends itself, and
# responses that custom actions utter.
EVENT_INTENTS = ("call_start", "keypad", "clarify")


@dataclass(frozen=True)
class Problem:
    path: str
    line: int | None
    severity: str  # "error" | "warning"
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.severity}: {self.message}"


def project_yaml_files(project_dir: Path) -> list[Path]:
    """The designer-owned YAML files of a Rasa project (build output excluded)."""
    files = [project_dir / "config.yml"]
    for folder in ("domain", "data", "tests"):
        if (project_dir / folder).is_dir():
            files += sorted(
                p for p in (project_dir / folder).rglob("*") if p.suffix in (".yml", ".yaml")
            )
    if (project_dir / "domain.yml").is_file():
        files.append(project_dir / "domain.yml")
    return [f for f in files if f.is_file()]


def check_syntax(files: list[Path], root: Path) -> list[Problem]:
    """A Problem for every file that is not valid YAML, with the line of the error."""
    problems = []
    for path in files:
        try:
            yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
            what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            problems.append(
                Problem(_rel(path, root), mark.line + 1 if mark else None, "error",
                        f"not valid YAML: {what}")
            )
    return problems


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve().parent))
    except ValueError:
        return str(path)


def _responses(path: Path) -> list[tuple[str, str, int]]:
    """(response name, text, line) for every text variation in a domain file."""
    root = yaml.compose(path.read_text(encoding="utf-8"))
    out = []
    if not isinstance(root, yaml.MappingNode):
        return out
    for key, value in root.value:
        if key.value != "responses" or not isinstance(value, yaml.MappingNode):
            continue
        for name_node, variations in value.value:
            if not isinstance(variations, yaml.SequenceNode):
                continue
            for variation in variations.value:
                if not isinstance(variation, yaml.MappingNode):
                    continue
                for field, text_node in variation.value:
                    if field.value == "text" and isinstance(text_node, yaml.ScalarNode):
                        out.append((name_node.value, text_node.value, text_node.start_mark.line + 1))
    return out


def check_answer(text: str, faq: bool = True) -> list[str]:
    """What is wrong with one spoken answer (empty list: fine); the sentence limit is for
    FAQ answers (read-backs are longer by nature)."""
    issues = []
    if URL.search(text):
        issues.append(f"has a URL ({URL.search(text).group(0)!r}); a caller cannot click a link")
    if MARKDOWN.search(text) or "\n" in text.strip():
        issues.append("has markdown, a list or a line break; it is read aloud as plain speech")
    words = len(re.sub(r"\{[^}]*\}", "x", text).split())
    if words > MAX_WORDS:
        issues.append(f"has {words} words; spoken answers must have at most {MAX_WORDS}")
    sentences = len(SENTENCE_END.findall(text.strip()))
    if faq and sentences > MAX_SENTENCES:
        issues.append(f"has {sentences} sentences; spoken answers must have at most {MAX_SENTENCES}")
    return issues


def faq_intent_locations(project_dir: Path) -> list[tuple[str, str, int]]:
    """(intent, file, line) for the FAQ intents: those listed in domain files named faq*."""
    out = []
    for path in sorted((project_dir / "domain").glob("faq*.y*ml")):
        root = yaml.compose(path.read_text(encoding="utf-8"))
        for key, value in getattr(root, "value", []):
            if key.value == "intents" and isinstance(value, yaml.SequenceNode):
                for item in value.value:
                    if isinstance(item, yaml.ScalarNode):
                        out.append((item.value, str(path), item.start_mark.line + 1))
    return out


def check_answers(project_dir: Path) -> list[Problem]:
    """Spoken-answer rules over every response, and an answer for every FAQ intent."""
    problems = []
    domain_files = [
        p for p in project_yaml_files(project_dir)
        if "domain" in p.relative_to(project_dir).parts or p.name == "domain.yml"
    ]
    answered = set()
    faqs = faq_intent_locations(project_dir)
    faq_answers = {f"utter_{intent}" for intent, _, _ in faqs}
    for path in domain_files:
        for name, text, line in _responses(path):
            answered.add(name)
            for issue in check_answer(text, faq=name in faq_answers):
                problems.append(Problem(_rel(path, project_dir), line, "error", f"{name} {issue}"))
    for intent, path, line in faqs:
        if f"utter_{intent}" not in answered:
            problems.append(
                Problem(_rel(Path(path), project_dir), line, "error",
                        f"FAQ intent {intent} has no spoken answer utter_{intent}")
            )
    return problems


def _action_sources(project_dir: Path) -> str:
    actions = Path(__file__).with_name("actions")
    return "\n".join(p.read_text(encoding="utf-8") for p in actions.glob("*.py"))


def rasa_validate(project_dir: Path, data_dirs: list[Path]) -> list[Problem]:
    """Rasa's `data validate` (domain, data, stories and rules consistency)."""
    from rasa.shared.importers.importer import TrainingDataImporter
    from rasa.validator import Validator

    problems: list[Problem] = []
    action_code = _action_sources(project_dir)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        importer = TrainingDataImporter.load_from_config(
            str(project_dir / "config.yml"), str(project_dir / "domain"),
            [str(d) for d in data_dirs],
        )
        validator = Validator.from_importer(importer)
        # The same checks, in the same order, as `rasa data validate`.
        ok = all([
            validator.verify_domain_validity(),
            validator.verify_actions_in_stories_rules(),
            validator.verify_forms_in_stories_rules(),
            validator.verify_form_slots(),
            validator.verify_slot_mappings(),
            validator.verify_nlu(True),
            validator.verify_story_structure(True),
        ])
    for warning in caught:
        text = str(warning.message).strip()
        if not isinstance(warning.message, UserWarning) or _expected(text, action_code):
            continue
        problems.append(Problem(str(project_dir.name), None, "warning", f"rasa: {text}"))
    if not ok:
        problems.append(Problem(str(project_dir.name), None, "error", "rasa data validate failed (see above)"))
    return problems


def _expected(text: str, action_code: str) -> bool:
    if text.startswith("Slot auto-fill has been removed in 3.0"):
        return True  # Rasa 3.6 says this for every domain with slots
    match = re.search(r"The intent '([^']+)' is listed in the domain file, but is not found", text)
    if match and match.group(1) in EVENT_INTENTS:
        return True
    if text == f"The intent '{HESITATE}' is not used in any story or rule.":
        return True  # the engine answers it (nlu/hesitation.py) ...
    match = re.search(r"The utterance '([^']+)' is not used in any story or rule", text)
    if match and match.group(1) == GO_ON:
        return True  # ... with this
    if match and (f'"{match.group(1)}"' in action_code or match.group(1).startswith("utter_ask_")):
        return True
    if match and re.match(r"utter_(describe|confirm)_", match.group(1)):
        return True  # the clarifying-question texts (nlu/actions/clarify.py builds the names)
    return False


def validate(project_dir: Path, data_dirs: list[Path], with_rasa: bool = True) -> list[Problem]:
    """All problems of a project; Rasa's checks only run when every file parses."""
    files = project_yaml_files(project_dir)
    problems = check_syntax(files, project_dir)
    if problems:
        return problems
    problems += check_answers(project_dir)
    from nlu.sensitive import check_sensitive_marks  # it imports Problem from here

    problems += check_sensitive_marks(project_dir)
    from nlu.review_checks import check_reviewed  # it imports Problem from here

    problems += check_reviewed(project_dir)
    from nlu.clarify_checks import check_clarify_texts  # it imports Problem from here

    problems += check_clarify_texts(project_dir)
    from nlu.response_checks import check_named_responses  # it imports Problem from here

    problems += check_named_responses(project_dir)
    if with_rasa:
        problems += rasa_validate(project_dir, data_dirs)
    return problems
