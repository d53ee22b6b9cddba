"""The access log the Data Protection Act 2018 s.62 asks for, chained by hash so tampering shows."""

from joindots.audit.log import Action, ChainReport, people_of, people_shown, record_access, verify_chain
from joindots.audit.search import LogQuery, search_log

__all__ = [
    "Action",
    "ChainReport",
    "LogQuery",
    "people_of",
    "people_shown",
    "record_access",
    "search_log",
    "verify_chain",
]
