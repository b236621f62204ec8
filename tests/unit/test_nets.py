"""Tests of the three networks and their forward-order layer outputs.

The models are seeded random-init ones in eval mode, so no test here needs
trained weights.
"""

import copy

import pytest
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from cnnvis.nets import MODEL_IDS, LayerwiseNet, build_model, describe_layers
from cnnvis.nets.resnet import BasicBlock


def seeded_model(model_id: str) -> LayerwiseNet:
    torch.manual_seed(0)
    return build_model(model_id).eval()


def digits(n: int) -> Tensor:
    """Random images in 0..1, shape (n, 1, 28, 28)."""
    return torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(n))


def layer_dict(model: LayerwiseNet, x: Tensor) -> dict[str, Tensor]:
    with torch.inference_mode():
        return {layer.name: layer.tensor for layer in model.iter_layers(x)}


@pytest.fixture(params=MODEL_IDS)
def model(request: pytest.FixtureRequest) -> LayerwiseNet:
    return seeded_model(request.param)


@pytest.mark.parametrize("n", [1, 3])
def test_model_output_shape(model: LayerwiseNet, n: int) -> None:
    with torch.inference_mode():
        logits = model(digits(n))

    assert logits.shape == (n, 10)
    assert logits.dtype == torch.float32
    assert bool(torch.isfinite(logits).all())


def test_build_model_unknown_id() -> None:
    with pytest.raises(ValueError, match="'vgg'.*cnn, resnet, plain"):
        build_model("vgg")


def test_iter_layers_ends_with_softmax(model: LayerwiseNet) -> None:
    x = digits(3)

    with torch.inference_mode():
        layers = list(model.iter_layers(x))
        logits = model(x)

    names = [layer.name for layer in layers]
    assert len(names) == len(set(names)), f"repeated names: {names}"
    assert layers[-1].kind == "softmax"
    assert layers[-1].name == "softmax"
    assert names.index(model.logits_layer) == len(layers) - 2
    by_name = dict(zip(names, layers, strict=True))
    torch.testing.assert_close(
        by_name[model.logits_layer].tensor, logits, rtol=0, atol=0
    )
    torch.testing.assert_close(layers[-1].tensor, torch.softmax(logits, dim=1))


def test_iter_layers_forward_order(model: LayerwiseNet) -> None:
    # Record the order in which modules actually run, on a copy so that the
    # model under test never carries a hook.
    observed = copy.deepcopy(model)
    calls: list[str] = []
    handles = []
    for name, module in observed.named_modules():
        if name and not list(module.children()):

            def record(
                _module: nn.Module, _args: object, _output: object, name: str = name
            ) -> None:
                calls.append(name)

            handles.append(module.register_forward_hook(record))
    try:
        with torch.inference_mode():
            observed(digits(1))
    finally:
        for handle in handles:
            handle.remove()

    modules = dict(model.named_modules())
    with torch.inference_mode():
        layers = list(model.iter_layers(digits(1)))
    # A block's output comes from its relu2, which is not yielded under its own name.
    producers = [
        f"{layer.name}.relu2" if layer.kind == "block" else layer.name
        for layer in layers
    ]
    leaf_layers = [
        name
        for name in producers
        if name in modules and not list(modules[name].children())
    ]
    # forward stops at the logits, so the softmax runs only in iter_layers.
    assert leaf_layers[:-1] == calls
    assert leaf_layers[-1] == "softmax"


def test_cnn_layer_names_in_order() -> None:
    model = seeded_model("cnn")

    with torch.inference_mode():
        names = [layer.name for layer in model.iter_layers(digits(1))]

    assert names == [
        "conv1", "relu1", "pool1", "conv2", "relu2", "pool2", "flatten",
        "fc1", "relu3", "dropout", "fc2", "relu4", "fc3", "softmax",
    ]  # fmt: skip


def test_describe_layers_shapes(model: LayerwiseNet) -> None:
    with torch.inference_mode():
        real = list(model.iter_layers(digits(3)))

    infos = describe_layers(model)

    assert [info.name for info in infos] == [layer.name for layer in real]
    assert [info.kind for info in infos] == [layer.kind for layer in real]
    for info, layer in zip(infos, real, strict=True):
        assert info.shape == tuple(layer.tensor.shape[1:]), info.name


def test_describe_layers_params(model: LayerwiseNet) -> None:
    modules = dict(model.named_modules())

    infos = describe_layers(model)

    for info in infos:
        if info.name in modules:
            owned = sum(p.numel() for p in modules[info.name].parameters())
            assert info.params == owned, info.name
        else:
            assert info.params == 0, info.name
    top_level = sum(info.params for info in infos if info.parent is None)
    assert top_level == sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("model_id", MODEL_IDS)
def test_describe_layers_keeps_state(model_id: str) -> None:
    # A freshly built model is in training mode, where BatchNorm updates its
    # running statistics on every forward pass.
    torch.manual_seed(0)
    model = build_model(model_id)
    before = {name: value.clone() for name, value in model.state_dict().items()}

    describe_layers(model)

    changed = [
        name
        for name, value in model.state_dict().items()
        if not torch.equal(value, before[name])
    ]
    assert changed == [], f"describe_layers changed {changed}"
    assert model.training, "describe_layers changed the training flag"


def test_cnn_flatten_and_linear_sizes() -> None:
    model = seeded_model("cnn")

    infos = {info.name: info for info in describe_layers(model)}

    assert infos["flatten"].shape == (2048,)
    assert infos["fc1"].shape == (1024,)
    assert infos["fc2"].shape == (256,)
    assert infos["fc3"].shape == (10,)
    sizes = [
        (module.in_features, module.out_features)
        for module in model.modules()
        if isinstance(module, nn.Linear)
    ]
    assert sizes == [(2048, 1024), (1024, 256), (256, 10)]


def test_resnet_blocks_and_adds() -> None:
    infos = describe_layers(seeded_model("resnet"))

    blocks = [info.name for info in infos if info.kind == "block"]
    adds = [info.name for info in infos if info.kind == "add"]
    assert len(blocks) >= 6, blocks
    assert adds == [f"{block}.add" for block in blocks]
    assert any(".shortcut_conv" in info.name for info in infos)
    for info in infos:
        if info.kind == "add":
            assert info.parent == info.name.removesuffix(".add")


def test_plain_blocks_without_skips() -> None:
    resnet = describe_layers(seeded_model("resnet"))
    plain_model = seeded_model("plain")
    plain = describe_layers(plain_model)

    resnet_blocks = [(i.name, i.shape) for i in resnet if i.kind == "block"]
    plain_blocks = [(i.name, i.shape) for i in plain if i.kind == "block"]
    assert plain_blocks == resnet_blocks
    assert [i.name for i in plain if i.kind == "add"] == []
    assert [i.name for i in plain if "shortcut" in i.name] == []
    module_names = [name for name, _ in plain_model.named_modules()]
    assert [name for name in module_names if "shortcut" in name] == []


def test_resnet_plain_share_parameters() -> None:
    resnet = seeded_model("resnet").state_dict()
    plain = seeded_model("plain").state_dict()

    shared = {name for name in resnet if ".shortcut_" not in name}
    assert set(plain) == shared
    assert len(shared) < len(resnet), "resnet has no shortcut parameters"
    for name in shared:
        assert plain[name].shape == resnet[name].shape, name


def hook_counts(model: nn.Module) -> dict[str, int]:
    counts: dict[str, int] = {}
    for name, module in model.named_modules():
        total = (
            len(module._forward_hooks)
            + len(module._forward_pre_hooks)
            + len(module._backward_hooks)
            + len(module._backward_pre_hooks)
        )
        if total:
            counts[name or "<root>"] = total
    return counts


def test_iter_layers_registers_no_hooks(model: LayerwiseNet) -> None:
    x = digits(2).requires_grad_()

    layers = list(model.iter_layers(x))
    layers[-2].tensor.sum().backward()  # type: ignore[no-untyped-call]
    describe_layers(model)

    assert hook_counts(model) == {}
    assert len(nn.modules.module._global_forward_hooks) == 0
    assert len(nn.modules.module._global_forward_pre_hooks) == 0


def batch_norm(x: Tensor, bn: nn.BatchNorm2d) -> Tensor:
    """Eval-mode BatchNorm written out: (x - mean) / sqrt(var + eps) * gamma + beta."""
    assert bn.running_mean is not None and bn.running_var is not None
    shape = (1, -1, 1, 1)
    scale = (bn.running_var + bn.eps).rsqrt().view(shape) * bn.weight.view(shape)
    return (x - bn.running_mean.view(shape)) * scale + bn.bias.view(shape)


@pytest.mark.parametrize(
    ("block_name", "previous"), [("layer1.1", "layer1.0"), ("layer2.0", "layer1.1")]
)
def test_resnet_block_by_hand(block_name: str, previous: str) -> None:
    model = seeded_model("resnet")
    # Non-default BatchNorm statistics, so that the by-hand formula is exercised.
    generator = torch.Generator().manual_seed(1)
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            assert module.running_mean is not None and module.running_var is not None
            module.running_mean.normal_(0, 0.1, generator=generator)
            module.running_var.uniform_(0.5, 2.0, generator=generator)
            nn.init.normal_(module.weight, 1.0, 0.2, generator=generator)
            nn.init.normal_(module.bias, 0.0, 0.2, generator=generator)
    block = model.get_submodule(block_name)
    assert isinstance(block, BasicBlock)

    layers = layer_dict(model, digits(2))
    x = layers[previous]
    with torch.inference_mode():
        branch = F.relu(
            batch_norm(
                F.conv2d(x, block.conv1.weight, stride=block.conv1.stride, padding=1),
                block.bn1,
            )
        )
        branch = batch_norm(F.conv2d(branch, block.conv2.weight, padding=1), block.bn2)
        if block.shortcut_conv is None or block.shortcut_bn is None:
            shortcut = x
        else:
            projected = F.conv2d(
                x, block.shortcut_conv.weight, stride=block.shortcut_conv.stride
            )
            shortcut = batch_norm(projected, block.shortcut_bn)
        expected = F.relu(branch + shortcut)

    torch.testing.assert_close(layers[f"{block_name}.bn2"], branch)
    torch.testing.assert_close(layers[f"{block_name}.add"], branch + shortcut)
    torch.testing.assert_close(layers[block_name], expected)


@pytest.mark.parametrize("model_id", MODEL_IDS)
def test_captured_conv_keeps_negatives(model_id: str) -> None:
    model = seeded_model(model_id)
    x = digits(1)

    layers = layer_dict(model, x)

    conv = layers["conv1"]
    conv1 = model.get_submodule("conv1")
    assert isinstance(conv1, nn.Conv2d)
    with torch.inference_mode():
        direct = F.conv2d(x, conv1.weight, conv1.bias, padding=conv1.padding)
    assert float(conv.min()) < 0, "conv1 output was rectified after capture"
    torch.testing.assert_close(conv, direct, rtol=0, atol=1e-6)


@pytest.mark.parametrize("model_id", MODEL_IDS)
def test_captured_pre_relu_keeps_negatives(model_id: str) -> None:
    model = seeded_model(model_id)

    with torch.inference_mode():
        layers = list(model.iter_layers(digits(1)))

    # A block's output is the ReLU of the layer yielded just before it.
    rectified = [
        index for index, layer in enumerate(layers) if layer.kind in ("relu", "block")
    ]
    assert len(rectified) >= 4
    for index in rectified:
        before, after = layers[index - 1], layers[index]
        assert float(before.tensor.min()) < 0, f"{before.name} lost its negatives"
        assert float(after.tensor.min()) == 0.0, after.name
        torch.testing.assert_close(after.tensor, F.relu(before.tensor))
