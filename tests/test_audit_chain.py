"""The access log: every entry chains to the one before, and tampering is detected."""

from __future__ import annotations

from sqlalchemy import update

from joindots.audit import Action, record_access, verify_chain
from joindots.audit.tables import AccessLog
from joindots.store.db import session_scope


def _write_three(engine) -> None:
    with session_scope(engine) as s:
        for i in range(3):
            record_access(
                s,
                actor="analyst1",
                action=Action.CONSULTATION,
                subject=f"person P{i:06d}",
                justification="operation review",
            )


def test_an_untouched_log_verifies(engine):
    _write_three(engine)
    with session_scope(engine) as s:
        report = verify_chain(s)
    assert report.ok and report.entries == 3


def test_an_altered_entry_is_detected(engine):
    _write_three(engine)
    with session_scope(engine) as s:
        s.execute(update(AccessLog).where(AccessLog.id == 2).values(justification="nothing to see"))
    with session_scope(engine) as s:
        report = verify_chain(s)
    assert not report.ok and report.first_bad_id == 2


def test_a_removed_entry_is_detected(engine):
    _write_three(engine)
    with session_scope(engine) as s:
        s.delete(s.get(AccessLog, 2))
    with session_scope(engine) as s:
        report = verify_chain(s)
    assert not report.ok and report.first_bad_id == 3
