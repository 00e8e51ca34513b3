"""Gas of consent and audit on chain, and the latency of a consent check from the mirror.

Measured in one run, on the embedded dev chain by default (or a Hardhat node this script
starts with --start-hardhat, or any node with --rpc-url and --private-key), with the service's
own code paths (the consent service, the outbox, the indexer):

  gas per grant and per revoke   relayed EIP-712 consents, from their outbox receipts
  gas per batch anchor           AuditAnchor.anchor for a batch of --batch-size entries
  gas per access, batched        that anchor amortised over its entries
  gas per access, single tx      the baseline: each access anchored in its own transaction
  consent check, mirror          the access gate's decision (unlogged): mirror brought to the
                                 latest block + one query
  consent check, eth_call        ConsentRegistry.isAuthorized at the node (the baseline)

The last line is one JSON object with the keys gas_per_grant, gas_per_revoke, gas_per_anchor,
gas_per_access_batched, gas_per_access_single_tx, consent_check_mirror_ms,
consent_check_rpc_ms.

    .venv/bin/python scripts/bench_chain.py [--start-hardhat | --rpc-url URL --private-key K]
                                            [--start-postgres | --database-url URL]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from eth_account import Account  # noqa: E402 - after the sys.path fix, like those below
from pydantic import SecretStr  # noqa: E402
from sqlalchemy import select  # noqa: E402

from api.background import attach_background  # noqa: E402
from api.composition import build_container  # noqa: E402
from api.consent import service as consent  # noqa: E402
from api.consent.models import Consent, ConsentStatus  # noqa: E402
from api.db.migrate import upgrade  # noqa: E402
from api.db.session import SYSTEM, session_scope  # noqa: E402
from api.deps import Principal  # noqa: E402
from api.identity import service as identity  # noqa: E402
from api.identity.models import User  # noqa: E402
from api.ledger.models import OutboxTransaction  # noqa: E402
from api.roles.catalog import Role  # noqa: E402
from api.settings import Settings  # noqa: E402
from api.tenants import service as tenants  # noqa: E402
from api.tenants.models import OrganizationKind  # noqa: E402
from chain import MerkleTree, leaf_hash, sign_typed_data  # noqa: E402
from scripts.services.hardhat import hardhat_node  # noqa: E402
from scripts.services.postgres import postgres_cluster  # noqa: E402

PASSWORD = "Bench-Consent-Otter-42"  # noqa: S105 - throwaway accounts


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def timed(fn: Callable[[], Any], rounds: int) -> list[float]:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rpc-url", help="an EVM JSON-RPC node (default: the dev chain)")
    parser.add_argument("--private-key", help="funded operator key for --rpc-url")
    parser.add_argument("--start-hardhat", action="store_true",
                        help="start a Hardhat node on loopback and use it")
    parser.add_argument("--database-url", help="PostgreSQL URL (default: SQLite)")
    parser.add_argument("--start-postgres", action="store_true",
                        help="start a throwaway PostgreSQL cluster and use it")
    parser.add_argument("--grants", type=int, default=10, help="grants (and revokes) measured")
    parser.add_argument("--batch-size", type=int, default=1000, help="entries per audit batch")
    parser.add_argument("--single-tx", type=int, default=20,
                        help="accesses anchored one per transaction (baseline)")
    parser.add_argument("--checks", type=int, default=200, help="consent checks timed")
    args = parser.parse_args()

    with ExitStack() as stack:
        data_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ohms-bench-")))
        overrides: dict[str, Any] = {"data_dir": data_dir, "run_workers": False,
                                     "log_level": "WARNING",
                                     "argon2_time_cost": 1, "argon2_memory_kib": 8192,
                                     "argon2_parallelism": 1}
        if args.start_hardhat:
            node = stack.enter_context(hardhat_node())
            overrides |= {"chain_rpc_url": node.rpc_url,
                          "chain_private_key": SecretStr(node.private_keys[0])}
        elif args.rpc_url:
            if not args.private_key:
                parser.error("--rpc-url needs --private-key")
            overrides |= {"chain_rpc_url": args.rpc_url,
                          "chain_private_key": SecretStr(args.private_key)}
        if args.start_postgres:
            cluster = stack.enter_context(postgres_cluster())
            overrides["database_url"] = cluster.create_database("ohms_bench")
        elif args.database_url:
            overrides["database_url"] = args.database_url
        settings = Settings(**overrides)
        container = build_container(settings)
        stack.callback(container.close)
        upgrade(container.engine)
        workers = attach_background(container)
        chain = container.chain.ready()
        backend = f"{'hardhat/rpc' if settings.chain_rpc_url else 'dev chain'} + " \
                  f"{container.engine.dialect.name}"

        # People: a lab technician and patients with wallets.
        with session_scope(container.sessions, SYSTEM) as session:
            lab = tenants.create_organization(session, "Bench Lab", OrganizationKind.lab)
            tech = identity.create_staff(session, container, organization_id=lab.id,
                                         email="tech@bench.example", password=PASSWORD,
                                         full_name="Bench Tech", roles=[Role.lab_technician])
            lab_id, tech_id, tech_uhid = lab.id, tech.id, tech.uhid
            wallets = []
            for i in range(args.grants):
                wallet = Account.create()
                patient = identity.register_patient(
                    session, container, email=f"p{i}@bench.example", password=PASSWORD,
                    full_name=f"Bench Patient {i}", date_of_birth=date(1980, 1, 1))
                patient.wallet_address = wallet.address
                wallets.append((patient.id, wallet))

        def settle() -> None:
            for _ in range(4):
                workers.run_all_once()

        expires = datetime.now(UTC) + timedelta(days=30)
        consent_ids = []
        for patient_id, wallet in wallets:
            with session_scope(container.sessions, SYSTEM) as session:
                owner = session.get(User, patient_id)
                assert owner is not None
                typed = consent.grant_typed_data_for(
                    session, container, owner, grantee_ref=str(lab_id), scope="category:lab",
                    purpose="treatment", expires_at=expires, data_from=None, data_to=None)
                submitted = consent.submit_grant(
                    session, container, owner, typed_data=typed,
                    signature=sign_typed_data(wallet.key, typed), kfrags=None,
                    verifying_key=None)
                consent_ids.append(submitted.consent.id)
        settle()

        principal = Principal(user_id=tech_id, uhid=tech_uhid, email="tech@bench.example",
                              organization_id=lab_id, roles=frozenset({Role.lab_technician}),
                              permissions=frozenset(), session_id=tech_id)
        first_patient, first_wallet = wallets[0]

        def mirror_check() -> None:
            with session_scope(container.sessions, SYSTEM) as session:
                patient = session.get(User, first_patient)
                assert patient is not None
                decision = container.access_gate(session).decide(
                    accessor=principal, patient=patient, scopes=["category:lab"],
                    purpose="treatment")
                assert decision.granted

        with session_scope(container.sessions, SYSTEM) as session:
            lab_address = session.scalar(
                select(Consent.grantee_address).where(Consent.id == consent_ids[0]))
        assert lab_address is not None

        def rpc_check() -> None:
            assert chain.is_authorized(first_wallet.address, lab_address, "category:lab",
                                       "treatment")

        mirror_check()
        rpc_check()
        mirror_ms = timed(mirror_check, args.checks)
        rpc_ms = timed(rpc_check, args.checks)

        # Revocations, relayed the same way.
        for (patient_id, wallet), consent_id in zip(wallets, consent_ids, strict=True):
            with session_scope(container.sessions, SYSTEM) as session:
                owner = session.get(User, patient_id)
                record = session.get(Consent, consent_id)
                assert owner is not None and record is not None
                assert record.status is ConsentStatus.active
                typed = consent.revocation_typed_data_for(session, container, owner, record)
                consent.submit_revocation(session, container, owner, record, typed_data=typed,
                                          signature=sign_typed_data(wallet.key, typed))
        settle()
        with session_scope(container.sessions, SYSTEM) as session:
            def gas_of(kind: str) -> list[int]:
                rows = session.scalars(select(OutboxTransaction).where(
                    OutboxTransaction.kind == kind)).all()
                assert rows and all(r.status == "confirmed" and r.gas_used for r in rows), kind
                return [int(r.gas_used or 0) for r in rows]

            grant_gas = gas_of("consent.grant")
            revoke_gas = gas_of("consent.revoke")

        # Audit anchors: one root for a batch, against one transaction per access.
        leaves = [leaf_hash(os.urandom(32)) for _ in range(args.batch_size)]
        tree = MerkleTree.build(leaves)
        base = int(time.time())
        anchor = chain.execute(chain.anchor_transaction(base, tree.root, len(leaves)))
        single = [chain.execute(chain.anchor_transaction(base + 1 + i, leaf, 1)).gas_used
                  for i, leaf in enumerate(leaves[: args.single_tx])]

    figures = {
        "gas_per_grant": round(statistics.mean(grant_gas)),
        "gas_per_revoke": round(statistics.mean(revoke_gas)),
        "gas_per_anchor": anchor.gas_used,
        "gas_per_access_batched": round(anchor.gas_used / args.batch_size, 1),
        "gas_per_access_single_tx": round(statistics.mean(single)),
        "consent_check_mirror_ms": round(statistics.median(mirror_ms), 3),
        "consent_check_rpc_ms": round(statistics.median(rpc_ms), 3),
    }
    print(f"OHMS chain benchmark on {backend}")
    print(f"  grant relayed            {figures['gas_per_grant']:>10} gas "
          f"(mean of {len(grant_gas)})")
    print(f"  revoke relayed           {figures['gas_per_revoke']:>10} gas")
    print(f"  anchor, {args.batch_size} entries     {figures['gas_per_anchor']:>10} gas")
    ratio = figures["gas_per_access_single_tx"] / max(figures["gas_per_access_batched"], 1e-9)
    print(f"  per access, batched      {figures['gas_per_access_batched']:>10} gas "
          f"(baseline one tx per access: {figures['gas_per_access_single_tx']} gas, "
          f"{ratio:.0f}x more)")
    print(f"  consent check, mirror    {figures['consent_check_mirror_ms']:>10} ms p50 "
          f"(p95 {percentile(mirror_ms, 0.95):.3f})")
    print(f"  consent check, eth_call  {figures['consent_check_rpc_ms']:>10} ms p50 "
          f"(p95 {percentile(rpc_ms, 0.95):.3f}; mirror/eth_call "
          f"{figures['consent_check_mirror_ms'] / figures['consent_check_rpc_ms']:.2f}x)")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
