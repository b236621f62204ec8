"""scripts/audit: a reported vulnerability fails it, an unusable service does not.

pip-audit and npm are replaced by stubs that print what the real tools print in
each case (the JSON shapes of pip-audit 2.10.1 and npm 11.19), so every branch
runs without the advisory services.
"""

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.servers import REPO_ROOT

AUDIT = REPO_ROOT / "scripts" / "audit"

PIP_CLEAN = {
    "dependencies": [
        {"name": "numpy", "version": "2.4.6", "vulns": []},
        {"name": "torch", "version": "2.13.0", "vulns": []},
    ],
    "fixes": [],
}
PIP_VULNERABLE = {
    "dependencies": [
        {"name": "numpy", "version": "2.4.6", "vulns": []},
        {
            "name": "jinja2",
            "version": "2.4.1",
            "vulns": [{"id": "PYSEC-2021-66", "fix_versions": ["2.11.3"]}],
        },
    ],
    "fixes": [],
}
PIP_NOT_FOUND = {
    "dependencies": [
        {
            "name": name,
            "skip_reason": "Dependency not found on PyPI and could not be audited: "
            f"{name} (1.0)",
        }
        for name in ("numpy", "torch")
    ],
    "fixes": [],
}
PIP_CONNECTION_ERROR = (
    "requests.exceptions.ConnectionError: HTTPSConnectionPool(host='api.osv.dev', "
    "port=443): Max retries exceeded with url: /v1/query (Caused by "
    "NameResolutionError(...))"
)
NPM_CLEAN = {
    "auditReportVersion": 2,
    "vulnerabilities": {},
    "metadata": {
        "vulnerabilities": {"low": 0, "moderate": 0, "high": 0, "total": 0},
        "dependencies": {"prod": 3, "dev": 0, "total": 2},
    },
}
NPM_VULNERABLE = {
    "auditReportVersion": 2,
    "vulnerabilities": {
        "swagger-ui-dist": {
            "name": "swagger-ui-dist",
            "severity": "moderate",
            "isDirect": True,
            "via": [{"title": "Cross-site scripting", "severity": "moderate"}],
            "effects": [],
            "range": "<5.35.1",
            "nodes": ["node_modules/swagger-ui-dist"],
            "fixAvailable": True,
        }
    },
    "metadata": {
        "vulnerabilities": {"moderate": 1, "total": 1},
        "dependencies": {"prod": 3, "dev": 0, "total": 2},
    },
}
NPM_REJECTED = {
    "message": "405 Method Not Allowed - POST "
    "https://registry.npmjs.org/-/npm/v1/security/advisories/bulk",
    "method": "POST",
    "statusCode": 405,
    "body": "",
}
NPM_NO_LOCKFILE = {
    "error": {
        "code": "ENOLOCK",
        "summary": "This command requires an existing lockfile.",
    }
}


def stub(
    folder: Path, name: str, stdout: str, stderr: str, code: int, sleep_s: float = 0
) -> Path:
    """Write an executable that sleeps, prints stdout and stderr, then exits."""
    path = folder / name
    lines = [
        f"#!{sys.executable}",
        "import sys, time",
        f"time.sleep({sleep_s})",
        f"sys.stdout.write({stdout!r})",
        f"sys.stderr.write({stderr!r})",
        f"sys.exit({code})",
    ]
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o755)
    return path


def audit(
    tmp_path: Path,
    pip: tuple[Any, str, int],
    npm: tuple[Any, int],
    timeout_s: float = 30,
    pip_sleep_s: float = 0,
) -> subprocess.CompletedProcess[str]:
    """Run scripts/audit with stubs: pip = (JSON, stderr, code), npm = (JSON, code)."""
    pip_report, pip_stderr, pip_code = pip
    pip_stdout = "" if pip_report is None else json.dumps(pip_report)
    pip_audit = stub(
        tmp_path, "pip-audit", pip_stdout, pip_stderr, pip_code, pip_sleep_s
    )
    npm_report, npm_code = npm
    npm_stub = stub(tmp_path, "npm", json.dumps(npm_report), "", npm_code)
    command = [sys.executable, str(AUDIT), "--pip-audit", str(pip_audit)]
    command += ["--npm", str(npm_stub), "--timeout", str(timeout_s)]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=120, check=False
    )


def test_audit_clean_passes(tmp_path: Path) -> None:
    result = audit(tmp_path, (PIP_CLEAN, "", 0), (NPM_CLEAN, 0))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "pip-audit: 0 known vulnerabilities in 2 packages" in result.stdout
    assert "npm audit: 0 packages with known vulnerabilities" in result.stdout
    assert "NOT AUDITED" not in result.stdout


def test_audit_pip_vulnerability_fails(tmp_path: Path) -> None:
    # pip-audit exits 1 when it reports a vulnerability.
    result = audit(tmp_path, (PIP_VULNERABLE, "", 1), (NPM_CLEAN, 0))

    assert result.returncode == 1, result.stdout + result.stderr
    assert "VULNERABLE: jinja2 2.4.1: PYSEC-2021-66 (fixed in 2.11.3)" in (
        result.stdout
    )


def test_audit_npm_vulnerability_fails(tmp_path: Path) -> None:
    result = audit(tmp_path, (PIP_CLEAN, "", 0), (NPM_VULNERABLE, 1))

    assert result.returncode == 1, result.stdout + result.stderr
    assert "VULNERABLE: swagger-ui-dist <5.35.1: moderate" in result.stdout


def test_audit_vulnerability_fails_despite_skips(tmp_path: Path) -> None:
    report = {
        "dependencies": PIP_VULNERABLE["dependencies"] + PIP_NOT_FOUND["dependencies"],
        "fixes": [],
    }

    result = audit(tmp_path, (report, "", 1), (NPM_REJECTED, 1))

    assert result.returncode == 1, result.stdout + result.stderr
    assert "PYSEC-2021-66" in result.stdout
    assert "NOT AUDITED: 2 packages (numpy, torch)" in result.stdout


@pytest.mark.parametrize(
    ("pip", "expected"),
    [
        ((PIP_NOT_FOUND, "No known vulnerabilities found\n", 0), "none of the 2"),
        ((None, PIP_CONNECTION_ERROR, 1), "the advisory service could not be"),
    ],
    ids=["not_found", "connection_error"],
)
def test_audit_unreachable_service_passes(
    tmp_path: Path, pip: tuple[Any, str, int], expected: str
) -> None:
    result = audit(tmp_path, pip, (NPM_REJECTED, 1))

    assert result.returncode == 0, result.stdout + result.stderr
    assert f"pip-audit: NOT AUDITED: {expected}" in result.stdout
    assert "npm audit: NOT AUDITED: the advisory request failed (405" in (result.stdout)


def test_audit_timeout_passes(tmp_path: Path) -> None:
    result = audit(
        tmp_path, (PIP_CLEAN, "", 0), (NPM_CLEAN, 0), timeout_s=1, pip_sleep_s=60
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "pip-audit: NOT AUDITED: pip-audit timed out after 1 s" in result.stdout


@pytest.mark.parametrize(
    ("pip", "npm"),
    [
        (
            (None, "pip-audit: error: unrecognized arguments: --bad\n", 2),
            (NPM_CLEAN, 0),
        ),
        ((PIP_CLEAN, "", 0), (NPM_NO_LOCKFILE, 1)),
    ],
    ids=["pip_usage_error", "npm_no_lockfile"],
)
def test_audit_tool_failure_fails(
    tmp_path: Path, pip: tuple[Any, str, int], npm: tuple[Any, int]
) -> None:
    result = audit(tmp_path, pip, npm)

    assert result.returncode == 1, result.stdout + result.stderr
    assert "failed" in result.stdout
