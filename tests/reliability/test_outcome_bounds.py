"""Issue 14 (1): the outcomes import refuses an inspection date outside the window and over-long text with the
row and field, instead of storing it or failing in the database."""

import pytest

from smartcustoms.declarations.mapping import IntakeError
from smartcustoms.outcomes.models import read_outcomes

HEAD = "declaration_id,inspection_date,control_type,selection_reason,result,infringement,duty_recovered\n"


@pytest.mark.parametrize("row, field", [
    ("D1,9999-12-31,physical,risk,discrepancy,,1", "inspection_date"),
    ("D1,0999-01-01,physical,risk,discrepancy,,1", "inspection_date"),
    ("D1,2025-03-01," + "p" * 30 + ",risk,discrepancy,,1", "control_type"),
])
def test_an_outcome_out_of_bounds_is_refused_with_its_field(tmp_path, row, field):
    path = tmp_path / "outcomes.csv"
    path.write_text(HEAD + "D0,2025-03-01,physical,risk,no_discrepancy,,0\n" + row + "\n")
    with pytest.raises(IntakeError, match=f"row 3, {field}"):
        read_outcomes(path)


def test_markup_in_an_outcome_is_kept_as_text(tmp_path):
    path = tmp_path / "outcomes.csv"
    path.write_text(HEAD + 'D1,2025-03-01,<b>x</b>,risk,discrepancy,"<script>1</script>,100%d",1\n')
    assert read_outcomes(path)["control_type"].tolist() == ["<b>x</b>"]
