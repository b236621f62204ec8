"""Training and evaluation of the served networks, and their model cards."""

import hashlib
import json
import logging
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from safetensors.torch import save_file
from torch import Tensor, nn
from tqdm import tqdm

from cnnvis.data import Digits
from cnnvis.nets import LayerwiseNet, build_model, describe_layers

logger = logging.getLogger(__name__)


@dataclass
class TrainConfig:
    """Hyperparameters of one training run; stored in the model card."""

    epochs: int = 12
    batch_size: int = 64
    lr: float = 1e-3
    betas: tuple[float, float] = (0.9, 0.999)
    weight_decay: float = 0.0
    seed: int = 0
    max_rotation_deg: float = 10.0
    max_shift_px: float = 2.0
    scale_range: tuple[float, float] = (0.9, 1.1)
    limit: int | None = None


@dataclass
class EpochRecord:
    epoch: int
    train_loss: float
    train_accuracy: float
    test_accuracy: float
    seconds: float
    grad_norms: dict[str, float] = field(default_factory=dict)


def random_affine(
    images: Tensor, config: TrainConfig, generator: torch.Generator
) -> Tensor:
    """Rotate, scale and shift each image by a small random amount.

    Args:
        images: (N, 1, 28, 28), white ink on black, so zero padding is background.
    """
    n = images.shape[0]
    angle = (torch.rand(n, generator=generator) * 2 - 1) * math.radians(
        config.max_rotation_deg
    )
    low, high = config.scale_range
    scale = low + torch.rand(n, generator=generator) * (high - low)
    # affine_grid works in [-1, 1] coordinates, where 28 pixels span 2 units.
    shift = (
        (torch.rand(n, 2, generator=generator) * 2 - 1) * config.max_shift_px * 2 / 28
    )
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack(
        [
            torch.stack([cos, -sin, shift[:, 0]], dim=1),
            torch.stack([sin, cos, shift[:, 1]], dim=1),
        ],
        dim=1,
    )  # (N, 2, 3)
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    return F.grid_sample(images, grid, padding_mode="zeros", align_corners=False)


def parameter_layers(model: nn.Module) -> dict[str, nn.Module]:
    """Modules that own parameters directly, by layer name."""
    return {
        name: module
        for name, module in model.named_modules()
        if name and any(True for _ in module.parameters(recurse=False))
    }


@torch.inference_mode()
def predict_all(model: nn.Module, images: Tensor, batch_size: int = 500) -> Tensor:
    model.eval()
    outputs = [
        model(images[i : i + batch_size]).argmax(1)
        for i in range(0, len(images), batch_size)
    ]
    return torch.cat(outputs)


def confusion_matrix(labels: Tensor, predictions: Tensor) -> list[list[int]]:
    """Counts indexed [true label][predicted label]."""
    matrix = torch.zeros(10, 10, dtype=torch.int64)
    matrix.index_put_((labels, predictions), torch.ones_like(labels), accumulate=True)
    return matrix.tolist()


def train_model(
    model: LayerwiseNet,
    train: Digits,
    test: Digits,
    config: TrainConfig,
    *,
    on_epoch: Callable[[EpochRecord], None] | None = None,
    progress: bool = True,
) -> list[EpochRecord]:
    """Train with cross-entropy and Adam on augmented digits; evaluate each epoch.

    The gradient norms recorded per epoch are the mean, over the epoch's batches,
    of the L2 norm of each layer's weight gradient.
    """
    generator = torch.Generator().manual_seed(config.seed)
    optimizer = torch.optim.Adam(
        model.parameters(),
        lr=config.lr,
        betas=config.betas,
        weight_decay=config.weight_decay,
    )
    steps_per_epoch = math.ceil(len(train) / config.batch_size)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(
        optimizer, T_max=config.epochs * steps_per_epoch
    )
    layers = parameter_layers(model)
    history = []

    for epoch in range(1, config.epochs + 1):
        started = time.perf_counter()
        model.train()
        order = torch.randperm(len(train), generator=generator)
        loss_sum, correct = 0.0, 0
        norm_sums = dict.fromkeys(layers, 0.0)
        bar = tqdm(
            range(steps_per_epoch),
            desc=f"epoch {epoch}/{config.epochs}",
            disable=not progress,
        )
        for step in bar:
            index = order[step * config.batch_size : (step + 1) * config.batch_size]
            images = random_affine(train.images[index], config, generator)
            labels = train.labels[index]

            logits = model(images)
            loss = F.cross_entropy(logits, labels)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()  # type: ignore[no-untyped-call]
            for name, module in layers.items():
                weight = getattr(module, "weight", None)
                if isinstance(weight, Tensor) and weight.grad is not None:
                    norm_sums[name] += float(weight.grad.norm())
            optimizer.step()
            schedule.step()

            loss_sum += loss.item() * len(index)
            correct += int((logits.argmax(1) == labels).sum())
            seen = min((step + 1) * config.batch_size, len(train))
            bar.set_postfix(loss=f"{loss_sum / seen:.4f}", acc=f"{correct / seen:.4f}")

        test_accuracy = float(
            (predict_all(model, test.images) == test.labels).float().mean()
        )
        record = EpochRecord(
            epoch=epoch,
            train_loss=loss_sum / len(train),
            train_accuracy=correct / len(train),
            test_accuracy=test_accuracy,
            seconds=time.perf_counter() - started,
            grad_norms={
                name: total / steps_per_epoch for name, total in norm_sums.items()
            },
        )
        history.append(record)
        if on_epoch is not None:
            on_epoch(record)
    return history


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_model(
    *,
    model_id: str,
    model: LayerwiseNet,
    out_dir: Path,
    config: TrainConfig,
    history: list[EpochRecord],
    train: Digits,
    test: Digits,
) -> Path:
    """Write <id>.safetensors and the model card <id>.json; return the card's path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    weights_path = out_dir / f"{model_id}.safetensors"
    state = {
        name: tensor.detach().contiguous()
        for name, tensor in model.state_dict().items()
    }
    save_file(state, str(weights_path), metadata={"model_id": model_id})

    predictions = predict_all(model, test.images)
    card: dict[str, Any] = {
        "id": model_id,
        "architecture": type(model).__name__
        + ("" if model_id == "cnn" else f"(skip={model_id == 'resnet'})"),
        "description": (model.__doc__ or "").strip().splitlines()[0],
        "weights": weights_path.name,
        "sha256": sha256_file(weights_path),
        "num_params": sum(p.numel() for p in model.parameters()),
        "input": {
            "shape": [1, 28, 28],
            "range": [0.0, 1.0],
            "polarity": "white ink (1) on black (0), MNIST-style",
        },
        "classes": list(range(10)),
        "data": {
            "train_source": train.source,
            "test_source": test.source,
            "train_size": len(train),
            "test_size": len(test),
        },
        "training": {
            **asdict(config),
            "loss": "cross-entropy",
            "optimizer": "Adam",
            "schedule": "cosine annealing of the learning rate to 0, per step",
            "augmentation": "random affine per image: rotation, scale and shift "
            "within the limits above",
            "torch_version": torch.__version__,
            "seconds": sum(r.seconds for r in history),
        },
        "test_accuracy": float((predictions == test.labels).float().mean()),
        "confusion_matrix": confusion_matrix(test.labels, predictions),
        "history": [asdict(r) for r in history],
        "layers": [asdict(info) for info in describe_layers(model)],
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    card_path = out_dir / f"{model_id}.json"
    card_path.write_text(json.dumps(card, indent=1) + "\n")
    return card_path


def train_and_write(
    model_id: str,
    train: Digits,
    test: Digits,
    config: TrainConfig,
    out_dir: Path,
    *,
    progress: bool = True,
    on_epoch: Callable[[EpochRecord], None] | None = None,
) -> Path:
    torch.manual_seed(config.seed)
    model = build_model(model_id)
    if config.limit is not None:
        # A seeded random subset, because the split is ordered by class.
        subset = torch.randperm(len(train), generator=torch.Generator().manual_seed(0))
        subset = subset[: config.limit]
        train = Digits(train.images[subset], train.labels[subset], train.source)
    history = train_model(
        model, train, test, config, progress=progress, on_epoch=on_epoch
    )
    return write_model(
        model_id=model_id,
        model=model,
        out_dir=out_dir,
        config=config,
        history=history,
        train=train,
        test=test,
    )
