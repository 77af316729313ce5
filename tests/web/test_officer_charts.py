"""The officer console's charts (smartcustoms.charts): a unit price against its reference band, and a model's
contributions; real SVG or PNG files, titled, that say "no data" rather than fail."""

import xml.etree.ElementTree as ET

import pandas as pd
import pytest

from smartcustoms import charts

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def texts(svg: bytes) -> list[str]:
    return [t.strip() for t in ET.fromstring(svg).itertext() if t.strip()]


def band(declared, low=51.55, high=93.85, median=70.81, fmt="svg") -> bytes:
    return charts.unit_price_band_chart(declared, low, high, median, title="Item 1: price", xlabel="EUR per item",
                                        fmt=fmt)


def test_the_band_chart_draws_the_declared_price_the_band_and_its_values():
    words = texts(band(7.0))
    assert "Item 1: price" in words and "EUR per item" in words
    assert {"7", "P10 51.55", "P90 93.85"} <= set(words)
    assert {"reference band (P10 to P90)", "reference median", "declared unit price"} <= set(words)
    png = band(7.0, fmt="png")
    assert png.startswith(PNG_SIGNATURE) and b"Item 1: price" in png


def test_the_band_chart_turns_logarithmic_when_the_values_are_far_apart():
    far, near = texts(band(0.25)), texts(band(40.0))
    assert {"1", "10", "100"} <= set(far) and "0" not in far  # powers of ten: a logarithmic axis
    assert {"0", "20", "40", "60", "80", "100"} <= set(near)  # a linear axis from zero


@pytest.mark.parametrize("values", [(None, 1.0, 2.0), (5.0, None, 2.0), (5.0, 1.0, None), (0.0, 1.0, 2.0)])
def test_the_band_chart_says_no_data_without_a_band_or_a_price(values):
    declared, low, high = values
    words = texts(charts.unit_price_band_chart(declared, low, high, title="t", xlabel="x"))
    assert "no data" in words and "t" in words


def test_the_contributions_chart_shows_the_largest_in_size_with_their_sign():
    values = pd.Series({f"feature {i}": (-1) ** i * i / 10 for i in range(1, 15)})
    words = texts(charts.contributions_chart(values, title="What moved the score", xlabel="log-odds", top=5))
    assert "What moved the score" in words
    assert [w for w in words if w.startswith("feature ")] == [f"feature {i}" for i in (10, 11, 12, 13, 14)]
    assert [w for w in words if w[:1] in "+-"] == ["+1.00", "-1.10", "+1.20", "-1.30", "+1.40"]  # largest on top
    assert {"raises the risk", "lowers the risk"} <= set(words)
    assert "no data" in texts(charts.contributions_chart(pd.Series(dtype=float), title="t", xlabel="x"))
    with pytest.raises(charts.ChartError):
        charts.contributions_chart(values, title="t", xlabel="x", fmt="gif")
