"""Bounded load on the report intake, over loopback, and the no-loss check when the server is killed.

    .venv/bin/python benchmarks/intake_load.py [--requests 2000] [--clients 8] [--cap 120] [--db URL]

Phase 1 (throughput): uvicorn in a subprocess, `--clients` threads each with its own httpx client,
a fixed number of reports (or until `--cap` seconds): sustained reports/s, p50 and p99 latency.
Phase 2 (no loss): the same load, and the server is killed with SIGKILL once a third of the reports
are acknowledged. Then: every acknowledged receipt must be in the database (lost = 0), and resending
the unacknowledged reports with their `client_key` files each exactly once.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import select

from joindots.auth.roles import Role
from joindots.auth.users import create_user, issue_token, set_password
from joindots.intake.tables import Report
from joindots.store.db import make_engine, migrate, session_scope

REPORT = {
    "kind": "makesafe",
    "reporter": {"name": "Tobias Wrenfield", "role": "night manager", "organisation": "Canal Side Hotel"},
    "business": "hotel",
    "business_name": "Canal Side Hotel",
    "location_postcode": "OL11 1AA",
    "indicators": ["no luggage for an overnight stay"],
    "names_as_given": [{"name": "Jay Smithers", "who": "adult"}, {"name": "Kayleigh", "who": "young_person"}],
    "phones": ["07700 900456"],
    "vehicle_marks": ["MA66 XYZ"],
    "what_happened": "Room booked in cash by a local man; two girls arrived after midnight.",
    "occurred_on": "2024-02-11",
}


@dataclass
class Outcome:
    acknowledged: dict[str, str] = field(default_factory=dict)  # client_key -> receipt
    failed: list[str] = field(default_factory=list)  # client_keys sent but not acknowledged
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(db_url: str) -> str:
    """Migrate the database and make a reporter with an API token; returns the token."""
    engine = make_engine(db_url)
    migrate(engine)
    with session_scope(engine) as s:
        name = f"loadreporter{uuid.uuid4().hex[:6]}"
        secret = create_user(s, name, Role.REPORTER, created_by="benchmark")
        set_password(s, name, secret + "-own")  # a token waits until the user has chosen their own
        token = issue_token(s, name, "load test")
    engine.dispose()
    return token


def start_server(db_url: str, port: int) -> subprocess.Popen:
    env = os.environ | {"JOINDOTS_DATABASE_URL": db_url}
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "joindots.web:create_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    server = subprocess.Popen(command, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("the server did not start within 60 s")


def _send(client: httpx.Client, key: str, outcome: Outcome) -> None:
    started = time.perf_counter()
    try:
        reply = client.post("/api/reports", json=REPORT | {"client_key": key})
        ok = reply.status_code == 201
    except httpx.TransportError:
        ok = False
    elapsed = time.perf_counter() - started
    with outcome.lock:
        if ok:
            outcome.acknowledged[key] = reply.json()["receipt"]
            outcome.latencies.append(elapsed)
        else:
            outcome.failed.append(key)


def run_load(base: str, token: str, keys: list[str], clients: int, cap: float, outcome: Outcome) -> Outcome:
    """Send one report per key from `clients` threads, stopping at the time cap."""
    local = threading.local()
    stop_at = time.monotonic() + cap

    def work(key: str) -> None:
        if time.monotonic() > stop_at:
            with outcome.lock:
                outcome.failed.append(key)
            return
        if not hasattr(local, "client"):
            local.client = httpx.Client(
                base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30
            )
        _send(local.client, key, outcome)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(work, keys))
    outcome.seconds = time.perf_counter() - started
    return outcome


def stored_keys(db_url: str) -> dict[str, str]:
    engine = make_engine(db_url)
    with session_scope(engine) as s:
        rows = dict(s.execute(select(Report.client_key, Report.receipt)).all())
    engine.dispose()
    return rows


def _percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) >= 2 else (values[0] if values else 0.0)


def throughput(db_url: str, requests: int, clients: int, cap: float) -> dict:
    token, port = prepare(db_url), free_port()
    server = start_server(db_url, port)
    try:
        keys = [f"bench-{uuid.uuid4().hex}" for _ in range(requests)]
        out = run_load(f"http://127.0.0.1:{port}", token, keys, clients, cap, Outcome())
    finally:
        server.terminate()
        server.wait(30)
    return {
        "requests": requests,
        "clients": clients,
        "acknowledged": len(out.acknowledged),
        "failed": len(out.failed),
        "seconds": round(out.seconds, 2),
        "reports_per_s": round(len(out.acknowledged) / out.seconds, 1),
        "p50_ms": round(_percentile(out.latencies, 50) * 1000, 1),
        "p99_ms": round(_percentile(out.latencies, 99) * 1000, 1),
    }


def _kill_when(outcome: Outcome, server: subprocess.Popen, after: int) -> None:
    while server.poll() is None:
        with outcome.lock:
            done = len(outcome.acknowledged)
        if done >= after:
            os.kill(server.pid, signal.SIGKILL)
            return
        time.sleep(0.005)


def kill_mid_load(db_url: str, requests: int, clients: int, cap: float) -> dict:
    """Kill -9 the server mid-load; nothing acknowledged may be missing, and resends file once."""
    token, port = prepare(db_url), free_port()
    server = start_server(db_url, port)
    keys = [f"kill-{uuid.uuid4().hex}" for _ in range(requests)]
    outcome = Outcome()
    killer = threading.Thread(target=_kill_when, args=(outcome, server, max(1, requests // 3)))
    killer.start()
    run_load(f"http://127.0.0.1:{port}", token, keys, clients, cap, outcome)
    killer.join()
    server.wait(30)
    stored = stored_keys(db_url)
    lost = [k for k, receipt in outcome.acknowledged.items() if stored.get(k) != receipt]
    committed_unacknowledged = [k for k in outcome.failed if k in stored]
    restarted = start_server(db_url, port)
    try:
        resent = run_load(f"http://127.0.0.1:{port}", token, outcome.failed, clients, cap, Outcome())
    finally:
        restarted.terminate()
        restarted.wait(30)
    final = stored_keys(db_url)
    same_receipt = all(final[k] == stored[k] for k in committed_unacknowledged)
    return {
        "sent_before_kill": len(outcome.acknowledged) + len(outcome.failed),
        "acknowledged_before_kill": len(outcome.acknowledged),
        "lost": len(lost),
        "committed_but_unacknowledged": len(committed_unacknowledged),
        "resent_after_restart": len(outcome.failed),
        "resend_acknowledged": len(resent.acknowledged),
        "resends_kept_first_receipt": same_receipt,
        # client_key is unique in the table, so "present" also means "exactly once"
        "filed_exactly_once": all(k in final for k in keys),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--cap", type=float, default=120.0, help="time cap per phase, seconds")
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        first = args.db or f"sqlite:///{Path(tmp) / 'load.db'}"
        second = args.db or f"sqlite:///{Path(tmp) / 'kill.db'}"
        figures = {
            "throughput": throughput(first, args.requests, args.clients, args.cap),
            "kill_mid_load": kill_mid_load(second, args.requests // 2, args.clients, args.cap),
        }
    print(json.dumps(figures, indent=2))
    if figures["kill_mid_load"]["lost"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
