"""A small synthetic world, loaded and trained once per test module (shared by the link model tests)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from joindots.ingest.load import ingest_dir
from joindots.link.frame import load_person_frame
from joindots.link.model import train_model
from joindots.store.db import make_engine, migrate
from joindots.synth import generate_world

PEOPLE, SEED = 2000, 1


@dataclass
class World:
    engine: Engine
    truth: Path
    frame: pd.DataFrame
    model: dict[str, Any]


def build_world(tmp: Path) -> World:
    print(f"synthetic world: people={PEOPLE} seed={SEED}")
    generate_world(tmp / "world", PEOPLE, SEED)
    engine = make_engine(f"sqlite:///{tmp / 'world.db'}")
    migrate(engine)
    ingest_dir(engine, tmp / "world")
    frame = load_person_frame(engine)
    return World(engine, tmp / "world" / "truth" / "records.csv", frame, train_model(frame))
