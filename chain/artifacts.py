"""Compiled OHMS contracts (ABI and bytecode), built offline from contracts/*.sol.

The compiler is npm's solc-js driven through py-solc-x and a small shim that behaves like
native solc for standard-JSON input (scripts/solc/solc). Artefacts are cached under a build
directory keyed by a hash of everything that shapes the output (sources, compiler version,
OpenZeppelin version, settings), so they are built once and rebuilt only when that changes.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import solcx
from solcx.exceptions import SolcError

from chain.errors import ContractBuildError

PROJECT_ROOT = Path(__file__).resolve().parents[1]
CONTRACT_NAMES = ("ConsentRegistry", "AuditAnchor")

# py-evm, the embedded chain's EVM, runs up to Prague; newer solc releases default beyond it.
COMPILER_SETTINGS: dict[str, Any] = {
    "optimizer": {"enabled": True, "runs": 200},
    "evmVersion": "cancun",
    "outputSelection": {
        "*": {"*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"]},
    },
}


@dataclass(frozen=True)
class ContractArtifact:
    """One compiled contract."""

    name: str
    abi: tuple[Mapping[str, Any], ...]
    bytecode: str
    deployed_bytecode: str


@dataclass(frozen=True)
class ContractSources:
    """Where the Solidity sources, the npm packages, the compiler shim and the cache live."""

    project_root: Path = PROJECT_ROOT
    build_dir: Path | None = None
    solc_binary: Path | None = None

    @property
    def contracts_dir(self) -> Path:
        return self.project_root / "contracts"

    @property
    def node_modules(self) -> Path:
        return self.project_root / "node_modules"

    @property
    def cache_dir(self) -> Path:
        return self.build_dir or self.contracts_dir / "build"

    @property
    def compiler(self) -> Path:
        return self.solc_binary or self.project_root / "scripts" / "solc" / "solc"


def load_artifacts(sources: ContractSources | None = None) -> dict[str, ContractArtifact]:
    """The compiled contracts by name, from the cache or compiled now (a few seconds)."""
    sources = sources or ContractSources()
    source_files = _source_files(sources)
    key = _build_key(sources, source_files)
    cached = sources.cache_dir / key / "artifacts.json"
    if cached.exists():
        return _parse_artifacts(json.loads(cached.read_text(encoding="utf-8")))
    compiled = _compile(sources, source_files)
    _write_atomically(cached, json.dumps(compiled, indent=1, sort_keys=True))
    return _parse_artifacts(compiled)


def source_hash(sources: ContractSources | None = None) -> str:
    """The cache key of the current sources: identifies the build that was deployed."""
    sources = sources or ContractSources()
    return _build_key(sources, _source_files(sources))


def _source_files(sources: ContractSources) -> dict[str, str]:
    files: dict[str, str] = {}
    for name in CONTRACT_NAMES:
        path = sources.contracts_dir / f"{name}.sol"
        if not path.exists():
            raise ContractBuildError(f"contract source missing: {path}")
        files[f"contracts/{name}.sol"] = path.read_text(encoding="utf-8")
    return files


def _package_version(sources: ContractSources, package: str) -> str:
    manifest = sources.node_modules / package / "package.json"
    if not manifest.exists():
        raise ContractBuildError(
            f"npm package {package} is not installed in {sources.node_modules}: "
            "run `npm install --no-audit --no-fund` at the project root"
        )
    version: str = json.loads(manifest.read_text(encoding="utf-8"))["version"]
    return version


def _build_key(sources: ContractSources, source_files: Mapping[str, str]) -> str:
    digest = hashlib.sha256()
    material = {
        "sources": dict(sorted(source_files.items())),
        "solc": _package_version(sources, "solc"),
        "openzeppelin": _package_version(sources, "@openzeppelin/contracts"),
        "settings": COMPILER_SETTINGS,
    }
    digest.update(json.dumps(material, sort_keys=True).encode())
    return digest.hexdigest()[:24]


def _compile(sources: ContractSources, source_files: Mapping[str, str]) -> dict[str, Any]:
    compiler = sources.compiler
    if not os.access(compiler, os.X_OK):
        raise ContractBuildError(f"solc shim not executable: {compiler}")
    standard_input = {
        "language": "Solidity",
        "sources": {name: {"content": text} for name, text in source_files.items()},
        "settings": COMPILER_SETTINGS,
    }
    try:
        output = solcx.compile_standard(
            standard_input,
            solc_binary=compiler,
            base_path=str(sources.project_root),
            allow_paths=[str(sources.project_root)],
        )
    except (SolcError, OSError) as error:
        raise ContractBuildError(f"compiling contracts failed: {error}") from error
    compiled: dict[str, Any] = {}
    for name in CONTRACT_NAMES:
        contract = output["contracts"][f"contracts/{name}.sol"][name]
        compiled[name] = {
            "abi": contract["abi"],
            "bytecode": "0x" + contract["evm"]["bytecode"]["object"],
            "deployed_bytecode": "0x" + contract["evm"]["deployedBytecode"]["object"],
        }
    return compiled


def _parse_artifacts(compiled: Mapping[str, Any]) -> dict[str, ContractArtifact]:
    return {
        name: ContractArtifact(
            name=name,
            abi=tuple(compiled[name]["abi"]),
            bytecode=compiled[name]["bytecode"],
            deployed_bytecode=compiled[name]["deployed_bytecode"],
        )
        for name in CONTRACT_NAMES
    }


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
