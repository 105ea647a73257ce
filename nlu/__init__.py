"""The Rasa project (designer-owned YAML), training, evaluation and the engine adapter."""
