"""A person joined through a chain is split where the model, asked about two of its records directly,
says they are different people, unless an analyst decided they are the same."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest

from joindots.link.cluster import cluster_records
from joindots.link.contradictions import contradictions
from joindots.link.evaluate import truth_labels
from joindots.link.frame import build_frame
from link_model_world import World, build_world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    built = build_world(tmp_path_factory.mktemp("linkcontra"))
    yield built
    built.engine.dispose()


def _chain(world: World) -> tuple[pd.DataFrame, int, int, int]:
    """Two women of one common name born 45 years apart in different towns, and a hotel record of that
    name (the world's commonest forename and surname)."""
    forename = world.frame["forename"].mode().iloc[0]
    surname = world.frame["surname"].mode().iloc[0]
    top = int(world.frame["unique_id"].max())
    older, younger, guest = top + 1, top + 2, top + 3
    raw = pd.DataFrame(
        [
            {"unique_id": older, "forename": forename, "surname": surname, "dob": "1964-09-20",
             "postcode": "RG15 0TP", "address": "4 Mill Lane, Readwell"},
            {"unique_id": younger, "forename": forename, "surname": surname, "dob": "2009-03-19",
             "postcode": "HX1 8SR", "address": "77 Bank Street, Halton"},
            {"unique_id": guest, "forename": forename, "surname": surname},
        ]
    )  # fmt: skip
    raw["source"], raw["record_id"] = "test", raw["unique_id"].astype(str)
    frame = pd.concat([world.frame, build_frame(raw)], ignore_index=True)
    return frame, older, younger, guest


def test_a_chain_through_a_partial_record_is_split_at_its_weakest_pair(world: World) -> None:
    frame, older, younger, guest = _chain(world)
    ids = frame["unique_id"].astype(int).tolist()
    edges = [(min(older, guest), max(older, guest), 0.97), (min(younger, guest), max(younger, guest), 0.93)]
    clusters = cluster_records(ids, edges, 0.9)
    assert clusters[older] == clusters[younger]
    found = contradictions(frame, world.model, clusters)
    assert found == [(older, younger)]
    split = cluster_records(ids, edges, 0.9, cannot_link=found)
    assert split[older] != split[younger] and split[guest] == split[older]  # the stronger pair holds


def test_an_analysts_same_is_never_contradicted(world: World) -> None:
    frame, older, younger, guest = _chain(world)
    ids = frame["unique_id"].astype(int).tolist()
    clusters = cluster_records(ids, [], 0.9, must_link=[(older, younger), (older, guest)])
    assert contradictions(frame, world.model, clusters, [(older, guest), (guest, younger)]) == []


def test_the_true_persons_of_a_world_are_rarely_called_contradictions(world: World) -> None:
    truth = truth_labels(world.frame, world.truth)
    first: dict[str, int] = {}
    clusters = {uid: first.setdefault(person, uid) for uid, person in sorted(truth.items())}
    found = contradictions(world.frame, world.model, clusters)
    print(f"{len(found)} contradictions among {len(world.frame)} records clustered by truth")
    assert len(found) <= 0.005 * len(world.frame)


def test_a_chain_is_split_when_no_agency_gave_an_address(world: World) -> None:
    """An address comparison the model holds still applies when every address is missing: the
    check once failed there ("address_keys: list and scalar use mixed") and persons went unchecked."""
    frame, older, younger, guest = _chain(world)
    frame[["address", "address_fold", "address_keys"]] = None
    frame.loc[frame["unique_id"] == younger, "sex"] = "M"  # without the addresses, a son of the name
    frame.loc[frame["unique_id"] == older, "sex"] = "F"
    ids = frame["unique_id"].astype(int).tolist()
    edges = [(min(older, guest), max(older, guest), 0.97), (min(younger, guest), max(younger, guest), 0.93)]
    assert contradictions(frame, world.model, cluster_records(ids, edges, 0.9)) == [(older, younger)]
