"""Fixtures shared by the tests of the core: the CLI runner and the fixture corpora as documents."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from news_dedupe.document import Document
from news_dedupe.loader import load

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.fixture
def runner() -> CliRunner:
    """A click runner; since click 8.2 its results keep stdout and stderr apart."""
    return CliRunner()


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture(scope="session")
def seeds_path() -> Path:
    """The five versions of the Reuters story on Iran and the Iraqi militias."""
    return FIXTURES / "seeds.txt"


@pytest.fixture(scope="session")
def cases_dir() -> Path:
    return FIXTURES / "cases"


def _load(path: Path) -> dict[str, Document]:
    return {d.id: d for d in load([str(path)])}


@pytest.fixture(scope="session")
def load_docs() -> Callable[[Path], dict[str, Document]]:
    """Documents of a fixture file by id, as the loader reads them."""
    return _load


@pytest.fixture(scope="session")
def seed_docs(seeds_path: Path) -> dict[str, Document]:
    return _load(seeds_path)


@pytest.fixture(scope="session")
def case_docs(cases_dir: Path) -> dict[str, dict[str, Document]]:
    """Documents of every fixtures/cases/<name>.txt, by name then id."""
    return {p.stem: _load(p) for p in sorted(cases_dir.glob("*.txt"))}
