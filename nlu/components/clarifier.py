"""Rasa graph component: turns an uncertain intent into `clarify`, so the dialogue asks back.

Runs after the FallbackClassifier and applies nlu/clarify.py to the classifier's ranking.
When a question is due, the intent becomes `clarify` (confidence: the best intent's) and the
parse carries `clarify: {kind, options}` for the dialogue's clarifying-question actions
(nlu/actions/clarify.py). The ranking is left as it was.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY
from rasa.shared.nlu.training_data.message import Message

from nlu.clarify import CLARIFY_INTENT, FALLBACK_INTENT, NEVER_ASKED, ClarifyRule, decide

CLARIFY_KEY = "clarify"  # where the question's kind and options go in the parse data
RULE_OPTIONS = ("urgent_min", "urgent_sure", "pair_margin", "pair_min", "urgent_depth")


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class ClarifyingQuestion(IntentClassifier, GraphComponent):
    """`clarify` instead of a guess when an urgent intent is plausible or the best two are close."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        defaults = ClarifyRule()
        return {k: getattr(defaults, k) for k in RULE_OPTIONS}

    def __init__(self, config: dict[str, Any]) -> None:
        self.rule = ClarifyRule(**{k: config[k] for k in RULE_OPTIONS})

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> ClarifyingQuestion:
        return cls({**cls.get_default_config(), **config})

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            ranking = [
                (r[INTENT_NAME_KEY], float(r["confidence"]))
                for r in message.get(INTENT_RANKING_KEY) or []
                if r.get(INTENT_NAME_KEY) and r[INTENT_NAME_KEY] != FALLBACK_INTENT
            ]
            askable = {name for name, _ in ranking if name not in NEVER_ASKED}
            decision = decide(ranking, askable, self.rule)
            if decision.kind == "answer":
                continue
            message.set(INTENT, {INTENT_NAME_KEY: CLARIFY_INTENT, "confidence": ranking[0][1]},
                        add_to_output=True)
            message.set(CLARIFY_KEY, {"kind": decision.kind, "options": list(decision.options)},
                        add_to_output=True)
        return messages
