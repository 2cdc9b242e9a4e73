"""A faithful fake of the Enrow API endpoints tap-enrow-phone reads, for tests and demos.

Written from the API contract (`shared/enrow-api.md` in the project's steering repo and
Enrow's docs): same paths (bulk and single results, account info), auth header, status codes and error bodies, both documented
shapes of a batch answer, and batches that go from ongoing to completed as they are read.
"""

from fake_enrow.data import (
    DEMO_API_KEY,
    DEMO_BATCH_IDS,
    DEMO_SINGLE_SEARCH_IDS,
    Batch,
    Catalog,
    SingleSearch,
)
from fake_enrow.server import FakeEnrowServer, Fault

__all__ = [
    "DEMO_API_KEY",
    "DEMO_BATCH_IDS",
    "DEMO_SINGLE_SEARCH_IDS",
    "Batch",
    "Catalog",
    "FakeEnrowServer",
    "Fault",
    "SingleSearch",
]
