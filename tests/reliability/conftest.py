"""The reliability suite: faults injected, bad inputs tried, and the figures they give.

Every test here adds to `FIGURES` only after its assertions passed, so the summary that
`pytest tests/reliability` prints at the end counts what was proven, not what was tried.
"""

from __future__ import annotations

import typing as t
from collections import Counter
from dataclasses import dataclass, field

import pytest

if t.TYPE_CHECKING:
    from _pytest.terminal import TerminalReporter


@dataclass
class Figures:
    """What the suite injected and how the tap came out of it."""

    faults_survived: Counter[str] = field(default_factory=Counter)
    fatal_answers_stopped_cleanly: Counter[str] = field(default_factory=Counter)
    malformed_answers_reported: Counter[str] = field(default_factory=Counter)
    bad_inputs_refused: Counter[str] = field(default_factory=Counter)
    kills_resumed: int = 0
    documents_generated: int = 0
    records_expected: int = 0
    records_delivered: int = 0

    def delivered(self, expected: set[tuple[str, int]], got: list[tuple[str, int]]) -> None:
        """Count records of runs that were checked to lose and repeat nothing."""
        self.records_expected += len(expected)
        self.records_delivered += len(expected & set(got))

    def lines(self) -> list[str]:
        """The summary, one figure a line."""
        lost = self.records_expected - self.records_delivered
        delivered = f"{self.records_expected}, delivered {self.records_delivered}, lost {lost}"
        return [
            _figure("transient faults injected and survived", self.faults_survived),
            _figure(
                "fatal answers that stopped the run in one line", self.fatal_answers_stopped_cleanly
            ),
            _figure(
                "answers not the documented shape, reported by batch",
                self.malformed_answers_reported,
            ),
            _figure("bad inputs tried and refused before any request", self.bad_inputs_refused),
            f"runs killed mid-run (SIGKILL) and resumed from their last state: {self.kills_resumed}",
            f"generated documents through the parser: {self.documents_generated}",
            f"records expected in checked runs: {delivered}",
        ]


def _figure(label: str, counts: Counter[str]) -> str:
    detail = ", ".join(f"{kind} x{n}" for kind, n in sorted(counts.items()))
    return f"{label}: {sum(counts.values())} ({detail})"


FIGURES = Figures()


@pytest.fixture
def figures() -> Figures:
    """The suite-wide tally; add to it only once a test's assertions passed."""
    return FIGURES


def pytest_terminal_summary(terminalreporter: TerminalReporter) -> None:
    """Print the reliability figures when any test of this suite recorded some."""
    if Figures() == FIGURES:
        return
    terminalreporter.section("reliability figures")
    for line in FIGURES.lines():
        terminalreporter.write_line(line)
