"""Partial records linked by context: "found with: <first name>" joins the one person around that child
whose name fits, stays apart when two fit, and never crosses an analyst's "not the same"."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, select

from joindots.link.cluster import cluster_records
from joindots.link.context import (
    FAR,
    NEAR,
    Candidate,
    Context,
    ContextLinker,
    _Question,
    build_context,
    estimate_pi,
)
from joindots.link.evaluate import truth_labels
from joindots.store.schema import Event, PersonRecord
from link_model_world import World, build_world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    built = build_world(tmp_path_factory.mktemp("linkcontext"))
    yield built
    built.engine.dispose()


def _question(weights: list[float], far: list[float] = ()) -> _Question:
    near = [Candidate(cluster=i, record=i, weight=w, tier=NEAR) for i, w in enumerate(weights)]
    further = [Candidate(cluster=100 + i, record=100 + i, weight=w, tier=FAR) for i, w in enumerate(far)]
    return _Question(record=-1, via="test", candidates=near + further)


def test_posterior_is_the_mixture_of_context_and_elsewhere() -> None:
    q = _question([10.0, -5.0, -5.0])
    pi, k = 0.6, 3
    odds = [(pi / k) * 2**w for w in (10.0, -5.0, -5.0)]
    expected = [o / (sum(odds) + 1 - pi) for o in odds]
    assert q.posterior((pi, 0.1)) == pytest.approx(expected)  # no far tier: its share is 'elsewhere'


def test_the_far_context_spreads_its_share_over_more_people() -> None:
    q = _question([-5.0, -5.0], far=[14.0] + [-6.0] * 99)
    near, far = 0.4, 0.1
    odds = [(near / 2) * 2**-5.0] * 2 + [(far / 100) * 2**14.0] + [(far / 100) * 2**-6.0] * 99
    expected = [o / (sum(odds) + 1 - near - far) for o in odds]
    assert q.posterior((near, far)) == pytest.approx(expected)
    assert q.posterior((near, far))[2] > 0.9


def test_two_candidates_who_fit_equally_share_the_probability() -> None:
    first, second, other = _question([12.0, 12.0, -4.0]).posterior((0.9, 0.05))
    assert first == pytest.approx(second) and first < 0.5 and other < 1e-4


def test_em_recovers_how_often_the_person_is_in_context() -> None:
    rng = np.random.default_rng(11)
    print("seed 11")
    questions = []
    for _ in range(4000):
        weights = list(rng.normal(-8.0, 2.0, size=5))
        if rng.random() < 0.3:  # the person is one of the five, and their name fits
            weights[int(rng.integers(0, 5))] = float(rng.normal(12.0, 1.0))
        questions.append(_question(weights))
    near, far, _ = estimate_pi(questions)
    assert near == pytest.approx(0.3, abs=0.03) and far == 0.0


def _new_ids(world: World) -> tuple[int, int]:
    with world.engine.connect() as conn:
        record = conn.execute(select(func.max(PersonRecord.id))).scalar_one()
        event = conn.execute(select(func.max(Event.id))).scalar_one()
    return int(record) + 1, int(event) + 1


def _context(world: World, extra: list[tuple[int, int | None, str | None]]) -> Context:
    with world.engine.connect() as conn:
        records = conn.execute(select(PersonRecord.id, PersonRecord.event_id, PersonRecord.postcode)).all()
        places = conn.execute(select(Event.id, Event.location_name, Event.location_postcode)).all()
    moved = {r for r, _, _ in extra}
    kept = [(int(r), e, p) for r, e, p in records if int(r) not in moved]
    return build_context([*kept, *extra], places)


def _full(world: World) -> pd.DataFrame:
    frame = world.frame
    return frame[frame["dob"].notna() & frame["forename_fold"].notna() & frame["surname_fold"].notna()]


def _partial(uid: int, forename: str) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(["source", "record_id", "middle_names", "surname", "sex"])
    row |= {"unique_id": uid, "forename": forename, "dob": None, "postcode": None, "address": None}
    return row


def _with(world: World, *rows: dict[str, Any]) -> pd.DataFrame:
    from joindots.link.frame import build_frame

    raw = pd.DataFrame(list(rows))
    raw["source"], raw["record_id"] = "missing", [f"test-{r['unique_id']}" for r in rows]
    return pd.concat([world.frame, build_frame(raw)], ignore_index=True)


def _linker(
    world: World,
    frame: pd.DataFrame,
    context: Context,
    cannot: set[tuple[int, int]] = frozenset(),
    review: float | None = None,
) -> tuple[ContextLinker, pd.DataFrame, dict[int, int]]:
    ids = frame["unique_id"].astype(int).tolist()
    clusters = cluster_records(ids, [], 0.9)
    linker = ContextLinker(frame, world.model, context)

    def recluster(extra: list[tuple[int, int, float]]) -> dict[int, int]:
        return cluster_records(ids, extra, 0.9, cannot_link=cannot)

    found, clusters = linker.link(clusters, recluster, 0.9, set(cannot), review=review)
    return linker, found, clusters


def _run(
    world: World, frame: pd.DataFrame, context: Context, cannot: set[tuple[int, int]] = frozenset()
) -> tuple[pd.DataFrame, dict[int, int]]:
    _, found, clusters = _linker(world, frame, context, cannot)
    return found, clusters


def _rare_forename(world: World, people: int) -> pd.DataFrame:
    """Records of `people` different full-identity persons sharing a forename no one else has."""
    full = _full(world)
    truth = truth_labels(world.frame, world.truth)
    names = world.frame.groupby("forename_fold")["unique_id"].count()
    for name, rows in full.groupby("forename_fold"):
        persons = {truth[int(u)] for u in rows["unique_id"]}
        if len(rows) == people == len(persons) and names[name] == people and len(str(name)) > 3:
            return rows
    raise AssertionError(f"no forename held by exactly {people} records")


def test_found_with_a_first_name_joins_the_one_person_around_the_child_who_fits(world: World) -> None:
    suspect = _rare_forename(world, 1).iloc[0]
    child = _full(world).iloc[0]
    ricky, event = _new_ids(world)
    frame = _with(world, _partial(ricky, str(suspect["forename"])))
    context = _context(
        world,
        [
            (int(child["unique_id"]), event, None),
            (int(suspect["unique_id"]), event, None),
            (ricky, event + 1, None),
        ],
    )
    context.records_in[event + 1].append(int(child["unique_id"]))
    found, clusters = _run(world, frame, context)
    assert clusters[ricky] == clusters[int(suspect["unique_id"])]
    pair = found[
        (found["record_l"] == int(suspect["unique_id"])) | (found["record_r"] == int(suspect["unique_id"]))
    ]
    assert len(pair) == 1 and pair["match_probability"].iloc[0] >= 0.9
    explanation = pair["explanation"].iloc[0]
    assert explanation["forename"]["level"] == "exact" and "context" in explanation
    parts = sum(v["weight"] for v in explanation.values())
    assert parts + _prior(world) == pytest.approx(pair["match_weight"].iloc[0])
    assert pair["match_probability"].iloc[0] == pytest.approx(
        1 - 1 / (1 + math.pow(2, parts + _prior(world)))
    )


def _prior(world: World) -> float:
    lam = world.model["probability_two_random_records_match"]
    return math.log2(lam / (1 - lam))


def _records_of(pairs: pd.DataFrame) -> set[int]:
    return set(pairs["record_l"]) | set(pairs["record_r"])


def _pairs_of(pairs: pd.DataFrame, record: int) -> pd.DataFrame:
    return pairs[(pairs["record_l"] == record) | (pairs["record_r"] == record)]


def _two_people_share_the_name(world: World) -> tuple[pd.DataFrame, Context, int, tuple[int, int]]:
    """A crime with two suspects of one first name, then the child "found with" that name."""
    first, second = (int(u) for u in _rare_forename(world, 2)["unique_id"])
    child = int(_full(world).iloc[0]["unique_id"])
    chris, event = _new_ids(world)
    frame = _with(world, _partial(chris, str(world.frame.set_index("unique_id").at[first, "forename"])))
    context = _context(
        world, [(child, event, None), (first, event, None), (second, event, None), (chris, event + 1, None)]
    )
    context.records_in[event + 1].append(child)
    return frame, context, chris, (first, second)


def test_a_first_name_two_people_around_the_child_share_stays_apart(world: World) -> None:
    frame, context, chris, _ = _two_people_share_the_name(world)
    found, clusters = _run(world, frame, context)
    assert clusters[chris] == chris and chris not in _records_of(found)


def test_a_record_left_apart_is_put_to_an_analyst_with_its_best_candidate(world: World) -> None:
    """Two people around the child share the name: the record is joined to neither, and its best
    candidate is suggested for match review (here every best candidate is, to see the pair)."""
    frame, context, chris, both = _two_people_share_the_name(world)
    linker, found, clusters = _linker(world, frame, context, review=0.0)
    assert clusters[chris] == chris and chris not in _records_of(found)
    suggested = _pairs_of(linker.suggested, chris)
    assert len(suggested) == 1
    pair = suggested.iloc[0]
    assert {pair["record_l"], pair["record_r"]} - {chris} <= set(both)
    assert 0.0 < pair["match_probability"] < 0.9
    assert "fits best of" in pair["explanation"]["context"]["level"]


def test_a_record_the_context_joins_is_not_also_suggested(world: World) -> None:
    suspect = _rare_forename(world, 1).iloc[0]
    child = int(_full(world).iloc[0]["unique_id"])
    ricky, event = _new_ids(world)
    s = int(suspect["unique_id"])
    frame = _with(world, _partial(ricky, str(suspect["forename"])))
    context = _context(world, [(child, event, None), (s, event, None), (ricky, event + 1, None)])
    context.records_in[event + 1].append(child)
    linker, found, clusters = _linker(world, frame, context, review=0.0)
    assert clusters[ricky] == clusters[s] and len(_pairs_of(found, ricky)) == 1
    assert ricky not in _records_of(linker.suggested)


def test_below_the_review_threshold_nothing_is_suggested(world: World) -> None:
    frame, context, chris, _ = _two_people_share_the_name(world)
    linker, _, _ = _linker(world, frame, context, review=0.0)
    probability = float(_pairs_of(linker.suggested, chris)["match_probability"].iloc[0])
    linker, found, _ = _linker(world, frame, context, review=min(0.89, probability + 0.01))
    assert chris not in _records_of(found) | _records_of(linker.suggested)
    assert (linker.suggested["match_probability"] >= min(0.89, probability + 0.01)).all()


def test_an_analysts_not_the_same_is_never_crossed(world: World) -> None:
    suspect = _rare_forename(world, 1).iloc[0]
    child = _full(world).iloc[0]
    ricky, event = _new_ids(world)
    s = int(suspect["unique_id"])
    frame = _with(world, _partial(ricky, str(suspect["forename"])))
    context = _context(
        world, [(int(child["unique_id"]), event, None), (s, event, None), (ricky, event + 1, None)]
    )
    context.records_in[event + 1].append(int(child["unique_id"]))
    found, clusters = _run(world, frame, context, cannot={(min(ricky, s), max(ricky, s))})
    assert clusters[ricky] != clusters[s]


def test_a_fragment_of_the_same_name_does_not_split_the_probability(world: World) -> None:
    """A crime names the suspect and, separately, a 'Mihin' no one resolved; the child is then found with
    'Mihin'. The unresolved mention is not a person of its own beside the suspect (it is most likely
    him), so the probability is not split between them and the record joins the suspect."""
    suspect = _rare_forename(world, 1).iloc[0]
    s, child = int(suspect["unique_id"]), int(_full(world).iloc[0]["unique_id"])
    found_with, event = _new_ids(world)
    mention = found_with + 1
    forename = str(suspect["forename"])
    frame = _with(world, _partial(found_with, forename), _partial(mention, forename))
    context = _context(
        world, [(child, event, None), (s, event, None), (mention, event, None), (found_with, event + 1, None)]
    )
    context.records_in[event + 1].append(child)
    _, clusters = _run(world, frame, context)
    assert clusters[found_with] == clusters[s]


def test_a_member_of_staff_named_on_reports_at_two_hotels_is_one_person(world: World) -> None:
    """Hotel reports name the member of staff who made them; the same rare name reporting twice is one
    person, though the two hotels share no guest: the tier of persons named in the same role."""
    guests = _full(world).iloc[:2]
    name = _rare_forename(world, 1).iloc[0]
    first, event = _new_ids(world)
    second = first + 1
    staff = [_partial(uid, str(name["forename"])) | {"surname": "Quennell"} for uid in (first, second)]
    frame = _with(world, *staff)
    context = _context(
        world,
        [
            (int(guests.iloc[0]["unique_id"]), event, None),
            (first, event, None),
            (int(guests.iloc[1]["unique_id"]), event + 1, None),
            (second, event + 1, None),
        ],
    )
    context.kind_of.update({first: "hotel_report/person_reporting", second: "hotel_report/person_reporting"})
    found, clusters = _run(world, frame, context)
    assert clusters[first] == clusters[second]
    pair = found[(found["record_l"] == first) & (found["record_r"] == second)]
    assert "named in the same role elsewhere" in pair["explanation"].iloc[0]["context"]["level"]


def test_em_recovers_both_tiers() -> None:
    rng = np.random.default_rng(12)
    print("seed 12")
    questions = []
    for _ in range(3000):
        near, far = list(rng.normal(-8.0, 2.0, size=4)), list(rng.normal(-8.0, 2.0, size=40))
        draw = rng.random()
        if draw < 0.3:
            near[int(rng.integers(0, 4))] = float(rng.normal(14.0, 1.0))
        elif draw < 0.4:
            far[int(rng.integers(0, 40))] = float(rng.normal(14.0, 1.0))
        questions.append(_question(near, far))
    near_share, far_share, _ = estimate_pi(questions)
    assert near_share == pytest.approx(0.3, abs=0.03) and far_share == pytest.approx(0.1, abs=0.03)


def test_a_first_name_only_mention_does_not_stand_for_a_person_whose_surname_is_known(world: World) -> None:
    """The suspect of a crime against the child also appears as a first-name-only mention, joined to
    him. The child is then found with the suspect's first name and another surname ("Quennell"): the
    mention agrees with it on all it says, but the suspect's surname is known, and it is not Quennell.
    His person fits no better than his own full record does, and the record stays apart."""
    suspect = _rare_forename(world, 1).iloc[0]
    s, child = int(suspect["unique_id"]), int(_full(world).iloc[0]["unique_id"])
    found_with, event = _new_ids(world)
    mention = found_with + 1
    forename = str(suspect["forename"])
    frame = _with(
        world, _partial(found_with, forename) | {"surname": "Quennell"}, _partial(mention, forename)
    )
    context = _context(
        world, [(child, event, None), (s, event, None), (mention, event, None), (found_with, event + 1, None)]
    )
    context.records_in[event + 1].append(child)
    ids = frame["unique_id"].astype(int).tolist()
    joined = [(min(s, mention), max(s, mention), 0.99)]

    def recluster(extra: list[tuple[int, int, float]]) -> dict[int, int]:
        return cluster_records(ids, joined + extra, 0.9)

    linker = ContextLinker(frame, world.model, context)
    _, clusters = linker.link(recluster([]), recluster, 0.9, set())
    assert clusters[mention] == clusters[s]
    assert clusters[found_with] != clusters[s]


@pytest.mark.parametrize(("days_apart", "joined"), [(20, True), (3 * 365, False)])
def test_a_person_seen_at_the_hotel_that_year_is_context_and_one_seen_years_before_is_not(
    world: World, days_apart: int, joined: bool
) -> None:
    """A child is found at a hotel with "<rare first name>"; the one person of that name was a guest at
    the same hotel. Twenty days before, the stay is context and the record joins him; three years
    before, a stay says nothing of who was there now, and the record stays apart."""
    suspect = int(_rare_forename(world, 1).iloc[0]["unique_id"])
    child = int(_full(world).iloc[0]["unique_id"])
    found_with, event = _new_ids(world)
    stay = event + 1
    name = str(world.frame.set_index("unique_id").at[suspect, "forename"])
    frame = _with(world, _partial(found_with, name))
    context = _context(world, [(child, event, None), (found_with, event, None), (suspect, stay, None)])
    hotel = ("the quennell court hotel", "ZZ1 1ZZ")
    for e, day in ((event, 740_000), (stay, 740_000 - days_apart)):
        context.place_of[e] = hotel
        context.events_at.setdefault(hotel, []).append(e)
        context.day_of[e] = day
    _, clusters = _run(world, frame, context)
    assert (clusters[found_with] == clusters[suspect]) is joined
