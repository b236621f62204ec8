"""Tests of the `cnnvis` command line, run as `python -m cnnvis` in subprocesses."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cnnvis.config import Settings
from cnnvis.nets import MODEL_IDS

COMMANDS = ["", "serve", "train", "evaluate", "fetch-data"]
UNIT_WORDS = ("bytes", "pixels", "digits", "default")
# Arguments of each `cnnvis` run, keyed by subcommand. They are `--help` for the
# program and for every subcommand, plus one subcommand that does not exist.
ARGUMENTS = {command: [*command.split(), "--help"] for command in COMMANDS} | {
    "bake": ["bake"]
}


@pytest.fixture(scope="module")
def cli_runs() -> dict[str, subprocess.CompletedProcess[str]]:
    """Run every entry of ARGUMENTS in parallel, because each run imports torch."""
    processes = {
        command: subprocess.Popen(
            [sys.executable, "-m", "cnnvis", *arguments],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for command, arguments in ARGUMENTS.items()
    }
    runs = {}
    for command, process in processes.items():
        stdout, stderr = process.communicate(timeout=120)
        runs[command] = subprocess.CompletedProcess(
            process.args, process.returncode, stdout, stderr
        )
    return runs


@pytest.mark.parametrize("command", COMMANDS)
def test_help_exits_zero(
    cli_runs: dict[str, subprocess.CompletedProcess[str]], command: str
) -> None:
    run = cli_runs[command]

    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith(f"usage: cnnvis {command}".rstrip()), run.stdout
    assert run.stderr == ""


@pytest.mark.parametrize("command", COMMANDS)
def test_help_mentions_units(
    cli_runs: dict[str, subprocess.CompletedProcess[str]], command: str
) -> None:
    text = cli_runs[command].stdout

    assert any(word in text for word in UNIT_WORDS), (
        f"`cnnvis {command} --help` names none of {UNIT_WORDS}:\n{text}"
    )


def test_help_lists_subcommands(
    cli_runs: dict[str, subprocess.CompletedProcess[str]],
) -> None:
    text = cli_runs[""].stdout

    for command in COMMANDS[1:]:
        assert command in text, text


def test_unknown_subcommand_exits_2(
    cli_runs: dict[str, subprocess.CompletedProcess[str]],
) -> None:
    run = cli_runs["bake"]

    assert run.returncode == 2, run.stderr
    assert "invalid choice: 'bake'" in run.stderr


def committed_models() -> list[str]:
    models_dir = Settings().models_dir
    return [
        model_id
        for model_id in MODEL_IDS
        if (models_dir / f"{model_id}.json").is_file()
        and (models_dir / f"{model_id}.safetensors").is_file()
    ]


@pytest.fixture(scope="module")
def evaluate_run() -> subprocess.CompletedProcess[str]:
    """One `cnnvis evaluate` over every model whose weights and card exist."""
    models = committed_models()
    if not models:
        pytest.skip(f"no committed models in {Settings().models_dir}")
    return subprocess.run(
        [sys.executable, "-m", "cnnvis", "evaluate", "--models", *models],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def evaluated_models(run: subprocess.CompletedProcess[str]) -> list[str]:
    """Return the model ids that followed --models on the command line."""
    args = list(run.args)
    return args[args.index("--models") + 1 :]


@pytest.mark.parametrize("model_id", MODEL_IDS)
def test_evaluate_matches_card(
    evaluate_run: subprocess.CompletedProcess[str], model_id: str
) -> None:
    card_path = Settings().models_dir / f"{model_id}.json"
    if model_id not in evaluated_models(evaluate_run):
        pytest.skip(f"{card_path} or its weights were not written yet")
    card: dict[str, Any] = json.loads(card_path.read_text())

    assert evaluate_run.returncode == 0, evaluate_run.stderr
    match = re.search(
        rf"^{model_id}: test accuracy (\d\.\d{{4}}) on (\d+) digits",
        evaluate_run.stdout,
        re.MULTILINE,
    )
    assert match is not None, evaluate_run.stdout
    assert match.group(1) == f"{card['test_accuracy']:.4f}", evaluate_run.stdout
    assert int(match.group(2)) == card["data"]["test_size"] == 2_000


def test_evaluate_prints_confusion(
    evaluate_run: subprocess.CompletedProcess[str],
) -> None:
    assert evaluate_run.returncode == 0, evaluate_run.stderr
    rows = re.findall(r"^  true (\d): ((?: *\d+){10})$", evaluate_run.stdout, re.M)

    assert len(rows) == 10 * len(evaluated_models(evaluate_run)), evaluate_run.stdout
    for start in range(0, len(rows), 10):
        block = rows[start : start + 10]
        assert [int(label) for label, _ in block] == list(range(10))
        assert sum(int(n) for _, counts in block for n in counts.split()) == 2_000


def test_fetch_data_into_a_file_names_setting(tmp_path: Path) -> None:
    """A data folder that is a file gives one line naming the setting, no traceback."""
    data_file = tmp_path / "digits"
    data_file.write_text("not a folder")

    run = subprocess.run(
        [sys.executable, "-m", "cnnvis", "fetch-data"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "CNNVIS_DATA_DIR": str(data_file)},
        check=False,
    )

    assert run.returncode == 2, run.stderr
    assert run.stderr.startswith("error: the data folder"), run.stderr
    assert "CNNVIS_DATA_DIR" in run.stderr
    assert "Traceback" not in run.stderr
