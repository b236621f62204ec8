"""A live experiment: gradient norms per layer of a deep plain and a deep residual net.

Both networks are built from one seed and are identical but for the skip
connections: a stem conv, `blocks` basic blocks of two 3×3 convs at a constant
width (so every skip is the identity), global average pooling and a linear
classifier. The residual network starts from exactly the plain network's
weights. The experiment measures every conv's weight-gradient norm and every
block output's activation-gradient norm on one batch of real digits, at
initialisation and after `steps` Adam steps, and the training loss per step.
"""

import math
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any, Literal, Protocol

import torch
import torch.nn.functional as F
from torch import Tensor, nn

Init = Literal["default", "kaiming", "xavier"]
LOSS = (
    "mean cross-entropy over the batch: the first batch_size training digits for "
    "the gradient norms, seeded random batches for the training steps"
)


class CancelFlag(Protocol):
    """Anything with is_set(), such as threading.Event."""

    def is_set(self) -> bool: ...


class Cancelled(Exception):
    """The client went away; the run stopped between two steps."""


@dataclass(frozen=True)
class FlowConfig:
    blocks: int = 25
    width: int = 8
    batchnorm: bool = False
    init: Init = "default"
    steps: int = 0
    batch_size: int = 32
    lr: float = 1e-3
    seed: int = 0


class FlowBlock(nn.Module):
    def __init__(self, width: int, batchnorm: bool, skip: bool) -> None:
        super().__init__()
        self.skip = skip
        self.conv1 = nn.Conv2d(width, width, 3, padding=1, bias=not batchnorm)
        self.bn1 = nn.BatchNorm2d(width) if batchnorm else nn.Identity()
        self.conv2 = nn.Conv2d(width, width, 3, padding=1, bias=not batchnorm)
        self.bn2 = nn.BatchNorm2d(width) if batchnorm else nn.Identity()

    def forward(self, x: Tensor) -> Tensor:
        branch = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return F.relu(branch + x) if self.skip else F.relu(branch)


class FlowNet(nn.Module):
    """Stem, `blocks` blocks, pool, linear; `skip` adds the identity to each block."""

    def __init__(self, config: FlowConfig, skip: bool) -> None:
        super().__init__()
        width = config.width
        # A stride-2 stem halves the 28×28 digits to 14×14, so that 50 blocks stay fast.
        self.stem = nn.Conv2d(
            1, width, 3, stride=2, padding=1, bias=not config.batchnorm
        )
        self.stem_bn = nn.BatchNorm2d(width) if config.batchnorm else nn.Identity()
        self.blocks = nn.ModuleList(
            FlowBlock(width, config.batchnorm, skip) for _ in range(config.blocks)
        )
        self.fc = nn.Linear(width, 10)

    def forward_with_blocks(self, x: Tensor) -> tuple[Tensor, list[Tensor]]:
        x = F.relu(self.stem_bn(self.stem(x)))  # (N, width, 14, 14)
        block_outputs = []
        for block in self.blocks:
            x = block(x)
            block_outputs.append(x)
        logits = self.fc(x.mean(dim=(2, 3)))  # (N, 10)
        return logits, block_outputs

    def conv_layers(self) -> Iterator[tuple[str, nn.Conv2d]]:
        yield "stem", self.stem
        for index, block in enumerate(self.blocks):
            assert isinstance(block, FlowBlock)
            yield f"blocks.{index}.conv1", block.conv1
            yield f"blocks.{index}.conv2", block.conv2


def build_pair(config: FlowConfig) -> tuple[FlowNet, FlowNet]:
    """Build the plain and the residual network with identical weights."""
    torch.manual_seed(config.seed)
    plain = FlowNet(config, skip=False)
    for module in plain.modules():
        if isinstance(module, nn.Conv2d | nn.Linear) and config.init != "default":
            if config.init == "kaiming":
                nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
            else:
                nn.init.xavier_normal_(module.weight)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
    residual = FlowNet(config, skip=True)
    residual.load_state_dict(plain.state_dict())
    return plain, residual


def _finite_or_none(value: float) -> float | None:
    return value if math.isfinite(value) else None


def measure(net: FlowNet, images: Tensor, labels: Tensor) -> dict[str, Any]:
    """Gradient norms of every conv's weight and every block's output, and the loss."""
    convs = list(net.conv_layers())
    with torch.enable_grad():
        logits, block_outputs = net.forward_with_blocks(images)
        loss = F.cross_entropy(logits, labels)
        weights = [conv.weight for _, conv in convs]
        grads = torch.autograd.grad(loss, weights + block_outputs)
    weight_grads = [float(g.double().norm()) for g in grads[: len(weights)]]
    activation_grads = [float(g.double().norm()) for g in grads[len(weights) :]]
    return {
        "loss": _finite_or_none(loss.item()),
        "layers": [name for name, _ in convs],
        "weight_grad_norms": [_finite_or_none(v) for v in weight_grads],
        "weight_norms": [
            float(conv.weight.detach().double().norm()) for _, conv in convs
        ],
        "block_activation_grad_norms": [_finite_or_none(v) for v in activation_grads],
        "non_finite": any(
            not math.isfinite(v) for v in weight_grads + activation_grads
        ),
    }


def first_to_last(norms: list[float | None]) -> float | None:
    """Return the first layer's gradient norm over the last one's (None if undefined)."""
    first, last = norms[0], norms[-1]
    if first is None or last is None or last == 0:
        return None
    return first / last


def train_steps(
    net: FlowNet,
    train_images: Tensor,
    train_labels: Tensor,
    config: FlowConfig,
    cancel: CancelFlag | None,
) -> list[float | None]:
    """Run Adam on seeded random batches; return each step's training loss."""
    optimizer = torch.optim.Adam(net.parameters(), lr=config.lr)
    generator = torch.Generator().manual_seed(config.seed + 1)
    losses: list[float | None] = []
    net.train()
    for _ in range(config.steps):
        if cancel is not None and cancel.is_set():
            raise Cancelled
        index = torch.randint(
            len(train_labels), (config.batch_size,), generator=generator
        )
        with torch.enable_grad():
            logits, _ = net.forward_with_blocks(train_images[index])
            loss = F.cross_entropy(logits, train_labels[index])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()  # type: ignore[no-untyped-call]
            optimizer.step()
        losses.append(_finite_or_none(loss.item()))
    return losses


def measurement_batch(labels: Tensor, size: int, seed: int) -> Tensor:
    """Return indices of `size` digits whose labels cycle 0, 1, …, 9, drawn with `seed`.

    The training split is stored sorted by label, so its first digits are all
    zeros: a batch of them gives a network a near-zero loss and gradients.
    """
    generator = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(labels), generator=generator)
    shuffled = labels[order]
    by_label = [order[shuffled == digit] for digit in range(10)]
    return torch.stack([by_label[i % 10][i // 10] for i in range(size)])


def run_experiment(
    config: FlowConfig,
    train_images: Tensor,
    train_labels: Tensor,
    cancel: CancelFlag | None = None,
) -> dict[str, Any]:
    """Measure both networks at initialisation and after `config.steps` steps.

    The norms are measured on `batch_size` training digits with every label in
    turn (chosen with `config.seed`), in train mode as during training, so
    BatchNorm uses the batch's own statistics. Training draws seeded random
    batches from the whole training split.
    """
    if cancel is not None and cancel.is_set():
        raise Cancelled  # cancelled while it waited for its turn
    started = time.perf_counter()
    index = measurement_batch(train_labels, config.batch_size, config.seed)
    images = train_images[index]
    labels = train_labels[index]
    plain, residual = build_pair(config)
    results: dict[str, Any] = {"config": asdict(config), "networks": {}}
    for name, net in (("plain", plain), ("residual", residual)):
        net.train()
        at_init = measure(net, images, labels)
        losses = train_steps(net, train_images, train_labels, config, cancel)
        after = measure(net, images, labels) if config.steps else None
        results["networks"][name] = {
            "at_init": at_init,
            "after_training": after,
            "first_to_last_ratio_at_init": first_to_last(at_init["weight_grad_norms"]),
            "first_to_last_ratio_after": None
            if after is None
            else first_to_last(after["weight_grad_norms"]),
            "loss_per_step": losses,
        }
    results["seconds"] = time.perf_counter() - started
    return results
