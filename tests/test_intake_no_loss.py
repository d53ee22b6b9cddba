"""No report is lost when the server dies: kill -9 mid-load, then every acknowledged receipt is in
the database, and resending the unacknowledged ones files each exactly once (small scale of
benchmarks/intake_load.py, which measures the same at full size)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "intake_load.py"


def _bench():
    spec = importlib.util.spec_from_file_location("intake_load", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["intake_load"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_killing_the_server_mid_load_loses_no_acknowledged_report(tmp_path):
    figures = _bench().kill_mid_load(f"sqlite:///{tmp_path / 'kill.db'}", requests=60, clients=4, cap=60)
    print(figures)
    assert figures["acknowledged_before_kill"] >= 20  # the kill came mid-load, after a third
    assert figures["acknowledged_before_kill"] < figures["sent_before_kill"]  # ...and cut some short
    assert figures["lost"] == 0
    assert figures["resend_acknowledged"] == figures["resent_after_restart"]
    assert figures["resends_kept_first_receipt"] and figures["filed_exactly_once"]
