"""Summary statistics per partition, combined: equal to the same statistics computed on the whole history."""

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest

from smartcustoms.risk.origin import OriginScreen
from smartcustoms.risk.valuation import LEVELS, ValuationScreen, adjusted_declarations
from smartcustoms.scale import stats
from smartcustoms.scale.partitions import declaration_partitions
from smartcustoms.targeting.encoding import key_totals
from smartcustoms.world import WorldConfig, generate

AS_OF = pd.Timestamp("2025-03-20")


@pytest.fixture(scope="module")
def world():
    return generate(WorldConfig(declarations=3000, seed=5, start="2025-01-01", days=100))


def _parts(frame):
    return [rows for _, rows in declaration_partitions(frame)]


def test_partitions_hold_whole_declarations_by_month_and_office(world):
    parts = list(declaration_partitions(world.declarations))
    assert len(parts) > 8
    seen = set()
    for (month, office), rows in parts:
        assert set(rows["office_id"]) == {office}
        assert set(rows["acceptance_datetime"].dt.strftime("%Y-%m")) == {month}
        ids = set(rows["declaration_id"])
        assert not ids & seen
        seen |= ids
    assert sum(len(rows) for _, rows in parts) == len(world.declarations)


def test_reference_prices_from_partitions_equal_the_screen_fitted_on_the_whole(world):
    history, outcomes = world.declarations, world.inspections
    whole = ValuationScreen().fit(history, outcomes, as_of=AS_OF)
    adjusted = adjusted_declarations(outcomes, None, AS_OF)
    partials = [stats.price_rows(part, adjusted, AS_OF) for part in _parts(history)]
    tables = stats.reference_tables(partials, buckets=3)
    for level in LEVELS:
        assert len(whole.references_[level]) > 0
        pdt.assert_frame_equal(tables[level], whole.references_[level].sort_index(), check_exact=True)
    # and a screen built from them scores every item exactly as the screen fitted on the whole
    later = history[history["acceptance_datetime"] >= AS_OF]
    built = stats.valuation_screen(tables, as_of=AS_OF)
    pdt.assert_frame_equal(built.score(later), whole.score(later), check_exact=True)


def test_route_counts_from_partitions_equal_the_origin_screen(world):
    history, outcomes = world.declarations, world.inspections
    whole = OriginScreen().fit(history, outcomes, as_of=AS_OF)
    false_origin = adjusted_declarations(outcomes, ("false_origin",), AS_OF)
    combined = stats.combine_counts(stats.route_partial(p, false_origin, AS_OF) for p in _parts(history))
    expected = whole.route_pairs_.sort_index()
    assert combined.sum() == expected.sum() > 0
    assert combined.to_dict() == expected.to_dict()


@pytest.mark.parametrize("party", ["importer_id", "declarant_id"])
def test_trader_counts_from_partitions_equal_the_whole(world, party):
    history, outcomes = world.declarations, world.inspections
    whole = stats.trader_partial(history, outcomes, party, AS_OF).sort_index()
    combined = stats.combine_traders(stats.trader_partial(p, outcomes, party, AS_OF) for p in _parts(history))
    assert whole["controls"].sum() > 0 and whole["hits"].sum() > 0
    pdt.assert_frame_equal(combined, whole, check_exact=True)
    # grouping the partials differently gives the same
    parts = [stats.trader_partial(p, outcomes, party, AS_OF) for p in _parts(history)]
    halves = [stats.combine_traders(parts[::2]), stats.combine_traders(parts[1::2])]
    pdt.assert_frame_equal(stats.combine_traders(halves), whole, check_exact=True)


@pytest.mark.parametrize("keys", [["importer_id"], ["office_id", "dispatch_country"]])
def test_target_encoding_totals_from_partitions_equal_the_whole(world, keys):
    history, outcomes = world.declarations, world.inspections
    combined = stats.combine_counts(stats.encoding_partial(p, outcomes, keys, AS_OF) for p in _parts(history))
    whole = stats.encoding_partial(history, outcomes, keys, AS_OF)
    whole = whole.groupby(level=list(range(whole.index.nlevels))).sum().sort_index()
    assert whole["labelled"].sum() > 0
    pdt.assert_frame_equal(combined, whole, check_exact=True)
    # nothing after the date counts: an outcome inspected on or after it changes nothing
    moved = outcomes.assign(result=np.where(pd.to_datetime(outcomes["inspection_date"]) >= AS_OF, "discrepancy",
                                            outcomes["result"]))
    again = stats.combine_counts(stats.encoding_partial(p, moved, keys, AS_OF) for p in _parts(history))
    pdt.assert_frame_equal(again, combined)
    rate = stats.encoded_rate(combined)
    assert rate.between(0, 1).all()


def test_key_totals_is_what_the_encoding_partial_sums(world):
    heads = world.declarations.drop_duplicates("declaration_id")
    assert key_totals(heads, "importer_id")["seen"].sum() == len(heads)
