"""Which hashtags are bursting (pure): recent volume against each tag's own
baseline, so a tag that is always busy (#فلسطين) trends only when it is
busier than usual, and a quiet one trends when several outlets take it up."""

from __future__ import annotations

import math


def burst(recent: int, baseline: int, window_hours: float, baseline_hours: float) -> tuple[float, float]:
    """(expected, score) for a tag seen *recent* times in the window and
    *baseline* times in the *baseline_hours* before it.

    The expected count is the baseline rate over a window; the score is how
    many Poisson standard deviations the window lies above it (+1 smoothing
    so a never-seen tag does not divide by zero and a tiny count is not a
    huge burst)."""
    expected = baseline * window_hours / baseline_hours if baseline_hours > 0 else 0.0
    score = (recent - expected) / math.sqrt(expected + 1.0)
    return expected, score


def is_trending(recent: int, sources: int, expected: float, *, min_articles: int, min_sources: int) -> bool:
    # several outlets, enough articles, and clearly above the usual rate
    return recent >= min_articles and sources >= min_sources and recent >= 2.0 * expected + 1.0
