"""Runs the contracts' own Solidity tests (Hardhat 3, contracts/test/*.t.sol) with gas
statistics, and checks that every function of both contracts was exercised."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from chain import load_artifacts

ROOT = Path(__file__).resolve().parents[2]
NODE = ROOT / "node_modules" / ".bin" / "node"
HARDHAT = ROOT / "node_modules" / "hardhat" / "dist" / "src" / "cli.js"


def test_solidity_tests_pass_and_cover_every_function_with_gas_figures(tmp_path: Path) -> None:
    gas_report = tmp_path / "gas-stats.json"
    run = subprocess.run(
        [str(NODE), str(HARDHAT), "test", "solidity", "--gas-stats",
         "--gas-stats-json", str(gas_report)],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
        env={**os.environ, "HARDHAT_DISABLE_TELEMETRY": "true"},
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    assert " passing" in output and " failing" not in output, output

    measured = json.loads(gas_report.read_text())["contracts"]
    for name, artifact in load_artifacts().items():
        functions = measured[f"contracts/{name}.sol:{name}"]["functions"]
        abi_functions = {entry["name"] for entry in artifact.abi if entry["type"] == "function"}
        assert abi_functions <= set(functions), abi_functions - set(functions)
        assert all(figures["count"] >= 1 and figures["max"] > 0
                   for figures in functions.values())
