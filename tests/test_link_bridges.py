"""An undated record (a name in a missing episode) that links to two namesakes is one of them at most:
it stays with the one it clearly fits, or on its own, and the namesakes stay two people."""

from __future__ import annotations

import pandas as pd

from joindots.link.bridges import bridging_records, thin_records
from joindots.link.cluster import cluster_records

# persons A (records 1, 2) and B (3, 4): same name, born years apart, never paired with each other
NAMESAKES = [(1, 2, 0.9999), (3, 4, 0.9999)]
UNDATED = {5}


def _people(pairs, apart):  # type: ignore[no-untyped-def]
    clusters = cluster_records(range(1, 6), pairs, 0.9, cannot_link=apart)
    groups: dict[int, set[int]] = {}
    for record, cluster in clusters.items():
        groups.setdefault(cluster, set()).add(record)
    return sorted(sorted(g) for g in groups.values())


def test_a_name_that_fits_two_namesakes_equally_joins_neither() -> None:
    pairs = [*NAMESAKES, (1, 5, 0.94), (3, 5, 0.94)]
    chained = cluster_records(range(1, 6), pairs, 0.9)
    apart = bridging_records(UNDATED, chained, pairs, 0.9)
    assert apart == [(1, 5), (3, 5)]
    assert _people(pairs, apart) == [[1, 2], [3, 4], [5]]


def test_a_name_that_clearly_fits_one_namesake_stays_with_it() -> None:
    # with 1 its pair agrees on a phone as well: odds 99,999 against 11.5
    pairs = [*NAMESAKES, (1, 5, 0.99999), (3, 5, 0.92)]
    apart = bridging_records(UNDATED, cluster_records(range(1, 6), pairs, 0.9), pairs, 0.9)
    assert apart == [(3, 5)]
    assert _people(pairs, apart) == [[1, 2, 5], [3, 4]]


def test_pairs_below_the_threshold_bridge_nothing() -> None:
    pairs = [*NAMESAKES, (1, 5, 0.94), (3, 5, 0.6)]
    assert bridging_records(UNDATED, cluster_records(range(1, 6), pairs, 0.9), pairs, 0.9) == []


def test_a_dated_record_between_two_is_left_to_the_contradictions_step() -> None:
    pairs = [*NAMESAKES, (1, 5, 0.94), (3, 5, 0.94)]
    assert bridging_records(set(), cluster_records(range(1, 6), pairs, 0.9), pairs, 0.9) == []


def test_an_analysts_same_is_never_undone() -> None:
    pairs = [*NAMESAKES, (1, 5, 0.94), (3, 5, 0.94)]
    clusters = cluster_records(range(1, 6), pairs, 0.9)
    assert bridging_records(UNDATED, clusters, pairs, 0.9, joined_by_analysts=[(3, 5)]) == []


def test_a_record_without_a_forename_is_thin_like_one_without_a_birth_date() -> None:
    """'Lamb, born 8 March 1988' links to twin sisters alike: it cannot tell them apart, so it is
    weighed as a bridge; records with both a forename and a birth date are not."""
    frame = pd.DataFrame(
        {
            "unique_id": [1, 2, 3, 4],
            "forename": ["Angela", "Olivia", None, "Angela"],
            "dob": ["1988-03-08", "1988-03-08", "1988-03-08", None],
        }
    )
    assert thin_records(frame) == {3, 4}
    twins = [(1, 3, 0.98), (2, 3, 0.98)]
    apart = bridging_records(thin_records(frame), cluster_records([1, 2, 3], twins, 0.9), twins, 0.9)
    assert apart == [(1, 3), (2, 3)]


def test_a_bridge_of_several_undated_records_is_kept_apart_whole() -> None:
    """'Frederick Thomson' found with a child twice (records 5 and 6, one person) links to two men of
    that name born eight years apart; a loose 'Fred' (7) joins record 5 a little more strongly. Keeping
    only the strongest pair's record apart would cut 7 off and leave 5 and 6 joining both men."""
    pairs = [*NAMESAKES, (5, 6, 0.99), (5, 7, 0.95), (1, 7, 0.96), (3, 7, 0.96), (1, 5, 0.93)]
    pairs += [(3, 5, 0.93), (1, 6, 0.93), (3, 6, 0.93)]
    records = range(1, 8)
    apart = bridging_records({5, 6, 7}, cluster_records(records, pairs, 0.9), pairs, 0.9)
    assert apart == [(1, 5), (1, 6), (1, 7), (3, 5), (3, 6), (3, 7)]
    clusters = cluster_records(records, pairs, 0.9, cannot_link=apart)
    assert clusters[1] == clusters[2] != clusters[3] == clusters[4]
    assert clusters[5] == clusters[6] == clusters[7] not in (clusters[1], clusters[3])
