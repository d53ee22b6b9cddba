"""Case-review screening: declarative rules over the linked records, and the review queue they fill.

Priority is the sum of the weights of the rules that fire, shown with its parts. Ethnicity, IC code
and nationality are never read (facts.py selects neither) and so play no part in the queue.
"""

from joindots.screening.queue import Change, ScreenReport, screen
from joindots.screening.rules import RuleSet, load_rules, parse_rules

__all__ = ["Change", "RuleSet", "ScreenReport", "load_rules", "parse_rules", "screen"]
