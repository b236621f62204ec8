"""Tests of the stratified train/test split, on the embedded digits and on synthetic labels."""

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from cnnvis.config import Settings
from cnnvis.data import load_default_split, stratified_split
from cnnvis.data.embedded import load_embedded
from cnnvis.data.split import SPLIT_SEED, TEST_FRACTION


@pytest.fixture(scope="module")
def labels() -> np.ndarray:
    """Labels of the 10,000 embedded digits, read from the local cache without npm."""
    _, labels = load_embedded(Settings().data_dir, fetch=False)
    return labels


def test_split_sizes(labels: np.ndarray) -> None:
    train, test = stratified_split(labels)

    assert len(labels) == 10_000
    assert len(train) == 8_000
    assert len(test) == 2_000


def test_split_disjoint_and_complete(labels: np.ndarray) -> None:
    train, test = stratified_split(labels)

    assert np.intersect1d(train, test).size == 0
    assert len(np.unique(train)) == len(train), "train indices repeat"
    assert len(np.unique(test)) == len(test), "test indices repeat"
    np.testing.assert_array_equal(
        np.sort(np.concatenate([train, test])), np.arange(len(labels))
    )


def test_split_class_shares(labels: np.ndarray) -> None:
    _, test = stratified_split(labels)

    for digit in range(10):
        in_class = int((labels == digit).sum())
        in_test = int((labels[test] == digit).sum())
        assert abs(in_test - in_class * TEST_FRACTION) < 1, (
            f"digit {digit}: {in_test} of {in_class} in the test part"
        )


def test_split_deterministic(labels: np.ndarray) -> None:
    first_train, first_test = stratified_split(labels)
    second_train, second_test = stratified_split(labels)

    np.testing.assert_array_equal(first_train, second_train)
    np.testing.assert_array_equal(first_test, second_test)


def test_split_seed_changes_split(labels: np.ndarray) -> None:
    _, default_test = stratified_split(labels)
    _, other_test = stratified_split(labels, seed=SPLIT_SEED + 1)

    assert len(other_test) == len(default_test)
    assert not np.array_equal(default_test, other_test)


def test_load_default_split_digits() -> None:
    train, test = load_default_split(Settings().data_dir, fetch=False)

    for part, expected_size in ((train, 8_000), (test, 2_000)):
        assert len(part) == expected_size
        assert part.images.shape == (expected_size, 1, 28, 28)
        assert part.images.dtype == torch.float32
        assert float(part.images.min()) >= 0.0
        assert float(part.images.max()) <= 1.0
        assert part.labels.shape == (expected_size,)
        assert part.labels.dtype == torch.int64
        assert set(part.labels.tolist()) == set(range(10))
    assert "(train)" in train.source
    assert "(test)" in test.source


def test_load_default_split_matches_split(labels: np.ndarray) -> None:
    train_index, test_index = stratified_split(labels)

    train, test = load_default_split(Settings().data_dir, fetch=False)

    np.testing.assert_array_equal(train.labels.numpy(), labels[train_index])
    np.testing.assert_array_equal(test.labels.numpy(), labels[test_index])


@given(
    labels=hnp.arrays(
        dtype=np.int64,
        shape=st.integers(1, 300),
        elements=st.integers(0, 9),
    ),
    test_fraction=st.sampled_from([TEST_FRACTION, 0.1, 0.25, 1 / 3, 0.5, 0.9]),
    seed=st.integers(0, 2**32 - 1),
)
def test_split_invariants_property(
    labels: np.ndarray, test_fraction: float, seed: int
) -> None:
    train, test = stratified_split(labels, test_fraction=test_fraction, seed=seed)

    assert len(test) == round(len(labels) * test_fraction)
    assert len(train) + len(test) == len(labels)
    np.testing.assert_array_equal(
        np.sort(np.concatenate([train, test])), np.arange(len(labels))
    )
    for digit in np.unique(labels):
        in_class = int((labels == digit).sum())
        in_test = int((labels[test] == digit).sum())
        assert abs(in_test - in_class * test_fraction) < 1, (
            f"digit {digit}: {in_test} of {in_class} in the test part"
        )
