"""CIDs computed without a node match the ones a real IPFS node gave for the same bytes."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest

from storage import InvalidCid, LocalBlobStore, compute_cid, normalise_cid
from storage.cid import FileCidBuilder

KIB = 1024
MIB = 1024 * KIB
CHUNK = 256 * KIB

# Taken from js-ipfs (cid-version=1, raw-leaves) for golden_blob(size).
GOLDEN_CIDS = {
    0: "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku",
    KIB: "bafkreiaylmntwvu4ck4ycosrbjl6codaqx3a7e5etcmoyesrgogyl5sxjy",
    200 * KIB: "bafkreidaxogzo6fcvnsafct2tl7rh6r6geokf7cj2xejcxooun7autn6ry",
    CHUNK + 1: "bafybeihmuw2zkztu7x2iu45pc4tc3osebsnltgvw4j6qf4cgp3xmtjpnfy",
    5 * MIB: "bafybeihocyv426niexe2x5mqz2z4typedtpt5fgzuvnykidhfv3f6vswny",
    174 * CHUNK + 1: "bafybeiallqfn3gj2jjceoihecobbszabnrhhlhrstgczafp4fhfbughwki",
    50 * MIB: "bafybeifnoaghfxb7n63eyg5yr7xucsnqnexfx4vk3rq2xbo4b4xr4fqgeu",
}


@pytest.mark.parametrize("size", sorted(GOLDEN_CIDS), ids=lambda size: f"{size}B")
def test_computed_cid_matches_the_ipfs_node(size: int,
                                            golden_blob: Callable[[int], bytes]) -> None:
    assert compute_cid(golden_blob(size)) == GOLDEN_CIDS[size]


def test_cid_does_not_depend_on_how_the_bytes_arrive(golden_blob: Callable[[int], bytes]) -> None:
    data = golden_blob(5 * MIB)
    odd_pieces = [data[i:i + 100_003] for i in range(0, len(data), 100_003)]
    builder = FileCidBuilder()
    for piece in odd_pieces:
        builder.update(piece)
    assert builder.cid() == GOLDEN_CIDS[5 * MIB]
    assert builder.size == len(data)


@pytest.mark.parametrize("size", [0, KIB, CHUNK + 1, 5 * MIB], ids=lambda size: f"{size}B")
def test_local_store_names_blobs_by_the_golden_cids(
        size: int, golden_blob: Callable[[int], bytes], tmp_path: Path) -> None:
    store = LocalBlobStore(str(tmp_path), max_blob_bytes=8 * MIB)
    data = golden_blob(size)
    assert store.put(data) == GOLDEN_CIDS[size]
    assert store.put(io.BytesIO(data)) == GOLDEN_CIDS[size]
    assert store.get(GOLDEN_CIDS[size]) == data


def test_normalise_accepts_other_encodings_of_the_same_cid() -> None:
    base32 = GOLDEN_CIDS[KIB]
    base58 = "zb2rhYHMZ2LBJR8vjB8Ggtkfvxku9tQ3qFobut5Fc6tpa84YM"
    assert normalise_cid(base58) == normalise_cid(base32) == base32
    # A CIDv0 (dag-pb, base58btc) becomes its CIDv1 in base32.
    assert normalise_cid("QmZfF6C9j4VtoCsTp4KSrhYH47QMd3DNXVZBKaxJdhaPab").startswith("bafybei")


@pytest.mark.parametrize("text", ["", "hello", "bafkrei", "../../etc/passwd",
                                  # a valid CID, but sha2-512 and dag-cbor: not one of ours
                                  ("bafyrgqfevpkejdcjkywyfaiv2e5b7thksj7vfngviwjjp6fuhzbnvcjdrpatmjx"
                                   "ehxftrxnqqjeisj7msbh3iicxiq4yh2efqulz2ucvdl7ge")])
def test_anything_but_a_blob_cid_is_refused(text: str) -> None:
    with pytest.raises(InvalidCid):
        normalise_cid(text)
