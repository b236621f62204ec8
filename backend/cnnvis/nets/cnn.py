"""The digit classifier: two conv stages into a 2048-vector, then three FC layers."""

from collections.abc import Iterator

from torch import Tensor, nn

from cnnvis.nets.layers import LayerOutput, LayerwiseNet, run_sequence


class DigitCNN(LayerwiseNet):
    """Conv → ReLU → max-pool twice, flattened to 2048, then 2048→1024→256→10.

    Both convolutions are 5×5 without padding, as in LeNet-5, so the 28×28
    input shrinks to 24, 12, 8 and 4 pixels, and 128 channels of 4×4 flatten to
    exactly 2,048 values.
    """

    logits_layer = "fc3"

    def __init__(self, dropout: float = 0.4) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, kernel_size=5)  # (N, 32, 24, 24)
        self.relu1 = nn.ReLU()
        self.pool1 = nn.MaxPool2d(2)  # (N, 32, 12, 12)
        self.conv2 = nn.Conv2d(32, 128, kernel_size=5)  # (N, 128, 8, 8)
        self.relu2 = nn.ReLU()
        self.pool2 = nn.MaxPool2d(2)  # (N, 128, 4, 4)
        self.flatten = nn.Flatten()  # (N, 2048)
        self.fc1 = nn.Linear(2048, 1024)
        self.relu3 = nn.ReLU()
        self.dropout = nn.Dropout(dropout)
        self.fc2 = nn.Linear(1024, 256)
        self.relu4 = nn.ReLU()
        self.fc3 = nn.Linear(256, 10)  # logits
        self.softmax = nn.Softmax(dim=1)

    def iter_layers(self, x: Tensor) -> Iterator[LayerOutput]:
        # Children run in the order they were registered in __init__.
        yield from run_sequence(iter(self.named_children()), x)
