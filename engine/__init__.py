"""The rule engine: durable_rules behind a small, safe interface. Nothing else imports durable."""

from eksdoctor.engine.session import Activation, EngineResult, RuleEngine, get_engine
from eksdoctor.engine.spec import RuleSpec, load_rules, rules_digest

__all__ = ["Activation", "EngineResult", "RuleEngine", "RuleSpec", "get_engine", "load_rules", "rules_digest"]
