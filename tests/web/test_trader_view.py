"""What a trader is told about a decision: the lane and what to do; never source, score or reasons."""

import pytest

from smartcustoms.web.trader_view import CONFIDENTIAL, for_role, for_trader, what_to_do

ANSWER = {"declaration_id": "D1", "lane": "red", "source": "profile", "risk_score": 0.97, "status": "held",
          "reasons": [{"kind": "profile", "name": "P-RIMS-LOWVAL",
                       "text": "commodity_code starts with 870870; origin_country in [CN]; unit_value <= 20"}]}


def test_a_trader_gets_the_lane_and_what_to_do_and_nothing_of_the_selection():
    told = for_trader(ANSWER)
    assert told == {"declaration_id": "D1", "lane": "red", "status": "held", "what_to_do": "book_inspection"}
    assert not set(CONFIDENTIAL) & set(told) and "P-RIMS" not in repr(told)


def test_staff_get_everything():
    for role in ("officer", "analyst", "supervisor", "admin"):
        assert for_role(ANSWER, role) == ANSWER
    assert for_role(ANSWER, "trader") == for_trader(ANSWER)
    assert for_role(ANSWER, None) == for_trader(ANSWER)  # unknown: treated as outside customs


@pytest.mark.parametrize("lane, status, code", [
    ("green", "released", "nothing"), ("blue", "released", "keep_documents"), ("yellow", "held", "answer_requests"),
    ("red", "held", "book_inspection"), ("red", "released", "nothing"), ("red", "seized", "wait"),
    (None, "lodged", "assessing"),
])
def test_what_to_do(lane, status, code):
    assert what_to_do(lane, status) == code
