"""Ethnicity, IC code and nationality are never evidence: shuffling them across records changes no
frame value, no trained parameter and no score."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pandas as pd
import pytest
from sqlalchemy import select, update

from joindots.link.frame import FORBIDDEN_COLUMNS, IDENTITY_COLUMNS, load_person_frame
from joindots.link.model import score_pairs, train_model
from joindots.store.db import session_scope
from joindots.store.schema import PersonRecord
from link_model_world import World, build_world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    built = build_world(tmp_path_factory.mktemp("linkethics"))
    yield built
    built.engine.dispose()


def _shuffle_protected(world: World, seed: int) -> None:
    print(f"shuffle seed={seed}")
    rng = random.Random(seed)
    with session_scope(world.engine) as session:
        rows = session.execute(
            select(PersonRecord.id, PersonRecord.ethnicity, PersonRecord.ic_code, PersonRecord.nationality)
        ).all()
        values = [r[1:] for r in rows]
        rng.shuffle(values)
        fake = [("W1", "1", "GBR"), ("A1", "4", "PAK"), ("B2", "3", "NGA")]
        for (rid, *_), (eth, ic, nat) in zip(rows, values, strict=True):
            eth, ic, nat = rng.choice(fake) if rng.random() < 0.5 else (eth, ic, nat)
            session.execute(
                update(PersonRecord)
                .where(PersonRecord.id == rid)
                .values(ethnicity=eth, ic_code=ic, nationality=nat)
            )


def test_protected_columns_are_never_read() -> None:
    assert not FORBIDDEN_COLUMNS & set(IDENTITY_COLUMNS)


def test_frame_has_no_protected_column(world: World) -> None:
    assert not any(p in c for c in world.frame.columns for p in ("ethnic", "ic_code", "national"))


def test_shuffling_protected_fields_changes_nothing(world: World) -> None:
    before = score_pairs(world.frame, world.model, 0.01)
    _shuffle_protected(world, seed=7)
    frame = load_person_frame(world.engine)
    pd.testing.assert_frame_equal(frame, world.frame)
    after = score_pairs(frame, world.model, 0.01)
    pd.testing.assert_frame_equal(after.drop(columns="explanation"), before.drop(columns="explanation"))
    assert after["explanation"].tolist() == before["explanation"].tolist()
    retrained = train_model(frame)
    assert _parameters(retrained) == pytest.approx(_parameters(world.model), rel=1e-9, abs=1e-15)
    assert (
        retrained["probability_two_random_records_match"]
        == world.model["probability_two_random_records_match"]
    )


def _parameters(model: dict) -> list[float]:
    """Every m and u of the model, in order (EM sums in parallel: equal up to rounding)."""
    return [
        level[key]
        for comparison in model["comparisons"]
        for level in comparison["comparison_levels"]
        for key in ("m_probability", "u_probability")
        if key in level
    ]
