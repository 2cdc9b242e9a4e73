"""The fake's encoded-template answers for generated batches match encoding them afresh."""

from __future__ import annotations

import json

import pytest

from fake_enrow.data import Catalog, generated_batch, numbers_in


@pytest.mark.parametrize("batch_id", ["gen-a-1", "gen-bench.007-25", "gen-x_y-1000"])
def test_a_generated_answer_is_the_batch_encoded(batch_id: str) -> None:
    size = int(batch_id.rsplit("-", 1)[1])
    document = generated_batch(batch_id, size).document(1)

    answer = Catalog().generated_answer(batch_id)

    assert answer == (json.dumps(document).encode(), numbers_in(document))


def test_an_added_batch_is_not_served_from_the_template() -> None:
    catalog = Catalog()
    catalog.add(generated_batch("gen-mine-3", 2))
    assert catalog.generated_answer("gen-mine-3") is None
    assert catalog.generated_answer("b-nobody-knows") is None
