"""The monthly bar chart: an accessible image whose texts are escaped, one bar per month."""

from __future__ import annotations

from datetime import date

from portal.presentation.statistics_charts import month_bars


def test_one_labelled_bar_per_month_with_title_and_description() -> None:
    months = [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]
    svg = str(month_bars(months, [3, 0, 12], title="T <b>", description="D & d", chart_id="c"))
    assert svg.count("<rect") == 3
    assert 'role="img"' in svg and 'aria-labelledby="c-title c-desc"' in svg
    assert '<title id="c-title">T &lt;b&gt;</title>' in svg
    assert "D &amp; d" in svg and "<b>" not in svg
    assert ">12</text>" in svg and "01-2026" in svg


def test_no_months_draws_an_empty_chart() -> None:
    svg = str(month_bars([], [], title="t", description="d"))
    assert svg.startswith("<svg") and "<rect" not in svg
