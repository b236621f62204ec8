"""A small ResNet for digits and the same network without skip connections."""

from collections.abc import Iterator

from torch import Tensor, nn

from cnnvis.nets.layers import LayerOutput, LayerwiseNet, run_sequence

# (out_channels, stride of the first block) per stage; two blocks per stage.
STAGES = ((16, 1), (32, 2), (64, 2))
BLOCKS_PER_STAGE = 2


def conv3x3(in_channels: int, out_channels: int, stride: int = 1) -> nn.Conv2d:
    # No bias: the BatchNorm after it adds one (its beta).
    return nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)


class BasicBlock(nn.Module):
    """Two 3×3 convolutions, with or without the skip connection.

    With skip: a[l+2] = relu(bn2(W2 * relu(bn1(W1 * a[l]))) + shortcut(a[l])),
    where the shortcut is the identity, or a 1×1 convolution with BatchNorm when
    the stride or the channel count changes. Without skip the sum loses its
    second term and nothing else changes.
    """

    is_block = True

    def __init__(self, in_channels: int, out_channels: int, stride: int, skip: bool):
        super().__init__()
        self.skip = skip
        self.conv1 = conv3x3(in_channels, out_channels, stride)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.relu1 = nn.ReLU()
        self.conv2 = conv3x3(out_channels, out_channels)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.relu2 = nn.ReLU()
        self.shortcut_conv: nn.Conv2d | None = None
        self.shortcut_bn: nn.BatchNorm2d | None = None
        if skip and (stride != 1 or in_channels != out_channels):
            self.shortcut_conv = nn.Conv2d(
                in_channels, out_channels, 1, stride=stride, bias=False
            )
            self.shortcut_bn = nn.BatchNorm2d(out_channels)

    def iter_layers(self, x: Tensor, prefix: str) -> Iterator[LayerOutput]:
        branch = x
        steps = [
            ("conv1", self.conv1),
            ("bn1", self.bn1),
            ("relu1", self.relu1),
            ("conv2", self.conv2),
            ("bn2", self.bn2),
        ]
        for layer in run_sequence(iter(steps), x, prefix=prefix + "."):
            branch = layer.tensor
            yield layer

        if not self.skip:
            yield LayerOutput(prefix, "block", self.relu2(branch))
            return

        identity = x
        if self.shortcut_conv is not None and self.shortcut_bn is not None:
            projection = [
                ("shortcut_conv", self.shortcut_conv),
                ("shortcut_bn", self.shortcut_bn),
            ]
            for layer in run_sequence(iter(projection), x, prefix=prefix + "."):
                identity = layer.tensor
                yield layer

        total = branch + identity
        yield LayerOutput(prefix + ".add", "add", total)
        yield LayerOutput(prefix, "block", self.relu2(total))

    def forward(self, x: Tensor) -> Tensor:
        *_, last = self.iter_layers(x, "block")
        return last.tensor


class DigitResNet(LayerwiseNet):
    """Stem conv, three stages of two basic blocks, global average pool, FC → 10.

    `skip=False` builds the `plain` network: the same layers and widths, with
    every skip connection (and so every projection shortcut) removed.
    """

    logits_layer = "fc"

    def __init__(self, skip: bool = True) -> None:
        super().__init__()
        self.skip = skip
        self.conv1 = conv3x3(1, STAGES[0][0])  # (N, 16, 28, 28)
        self.bn1 = nn.BatchNorm2d(STAGES[0][0])
        self.relu1 = nn.ReLU()
        in_channels = STAGES[0][0]
        for stage, (out_channels, stride) in enumerate(STAGES, start=1):
            blocks = []
            for index in range(BLOCKS_PER_STAGE):
                block_stride = stride if index == 0 else 1
                blocks.append(BasicBlock(in_channels, out_channels, block_stride, skip))
                in_channels = out_channels
            self.add_module(f"layer{stage}", nn.ModuleList(blocks))
        # After the stages: (N, 64, 7, 7).
        self.avgpool = nn.AdaptiveAvgPool2d(1)  # (N, 64, 1, 1)
        self.flatten = nn.Flatten()  # (N, 64)
        self.fc = nn.Linear(in_channels, 10)
        self.softmax = nn.Softmax(dim=1)

        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(
                    module.weight, mode="fan_out", nonlinearity="relu"
                )

    def iter_layers(self, x: Tensor) -> Iterator[LayerOutput]:
        stem = [("conv1", self.conv1), ("bn1", self.bn1), ("relu1", self.relu1)]
        for layer in run_sequence(iter(stem), x):
            x = layer.tensor
            yield layer

        for stage in range(1, len(STAGES) + 1):
            blocks = self.get_submodule(f"layer{stage}")
            assert isinstance(blocks, nn.ModuleList)
            for index, block in enumerate(blocks):
                assert isinstance(block, BasicBlock)
                for layer in block.iter_layers(x, f"layer{stage}.{index}"):
                    yield layer
                x = layer.tensor

        head = [
            ("avgpool", self.avgpool),
            ("flatten", self.flatten),
            ("fc", self.fc),
            ("softmax", self.softmax),
        ]
        yield from run_sequence(iter(head), x)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
