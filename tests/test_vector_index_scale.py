"""The dense index chooses exact or IVF search by size and keeps working across the switch.

Real FAISS on small clustered sets (thresholds passed as parameters); timings belong to
bench/index_scale.py, not here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from matching.vector_index import EXACT_THRESHOLD, VectorIndex, nlist_for, nprobe_for

# Nothing here reads the database: run in the first pass only (tests/conftest.py).
pytestmark = pytest.mark.no_database

D = 384


def clustered(n: int, seed: int = 0, centres: int = 100) -> np.ndarray:
    """Normalised vectors from a Gaussian mixture shaped like sentence embeddings.

    A shared offset (embeddings are anisotropic: random pairs have a high cosine), cluster
    means around it, and within-cluster variance decaying along random directions (as
    multilingual-e5's does; here more slowly, i.e. a harder set for IVF than the real one:
    one probed cell finds only ~2/3 of the true top 10).
    """
    rng = np.random.default_rng(seed)
    common = 2.0 * rng.standard_normal(D)
    means = common + rng.standard_normal((centres, D))
    basis, _ = np.linalg.qr(rng.standard_normal((D, D)))
    sd = np.arange(1, D + 1) ** -0.25
    sd *= np.sqrt(D) / np.linalg.norm(sd)
    c = rng.choice(centres, n, p=rng.dirichlet(np.full(centres, 2.0)))
    x = means[c] + (rng.standard_normal((n, D)) * sd) @ basis.T
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x.astype(np.float32)


@pytest.fixture(scope="module")
def data() -> np.ndarray:
    return clustered(20_200)


@pytest.fixture(scope="module")
def base(data) -> np.ndarray:
    return data[:20_000]


@pytest.fixture(scope="module")
def queries(data) -> np.ndarray:
    return data[20_000:]


@pytest.fixture(scope="module")
def ivf(base) -> VectorIndex:
    index = VectorIndex(D, exact_threshold=5_000)
    index.add(list(range(1, len(base) + 1)), base)
    return index


def exact_top(base: np.ndarray, query: np.ndarray, k: int = 10) -> list[int]:
    return [int(i) + 1 for i in np.argsort(-(base @ query), kind="stable")[:k]]


def recall_at_10(index: VectorIndex, base: np.ndarray, queries: np.ndarray) -> float:
    found = [
        len({i for i, _ in index.search(q, 10)} & set(exact_top(base, q))) / 10 for q in queries
    ]
    return float(np.mean(found))


def test_exact_below_the_threshold_ivf_from_it(base):
    index = VectorIndex(D, exact_threshold=1_000)
    index.add(list(range(1, 1_000)), base[:999])
    assert index.kind == "exact" and not index.approximate and index.nprobe is None
    index.add([1_000], base[999:1_000])
    assert index.kind == "ivf" and index.nlist == nlist_for(1_000)
    assert index.nprobe == nprobe_for(index.nlist) < index.nlist
    assert len(index) == 1_000
    assert index.search(base[500], 1)[0][0] == 501


def test_default_threshold_is_used_when_none_is_given():
    assert VectorIndex(D).exact_threshold == EXACT_THRESHOLD


def test_recall_at_10_against_exact_at_default_parameters(ivf, base, queries):
    assert ivf.kind == "ivf" and ivf.nlist == nlist_for(len(base))
    assert ivf.nprobe == nprobe_for(ivf.nlist) < ivf.nlist  # really approximate
    assert recall_at_10(ivf, base, queries) >= 0.95


def test_recall_is_measured_not_assumed(base, queries):
    """One probed cell misses much of the top 10 here: the recall test can fail."""
    one = VectorIndex(D, exact_threshold=5_000, nprobe=1)
    one.add(list(range(1, len(base) + 1)), base)
    assert one.nprobe == 1
    assert recall_at_10(one, base, queries) < 0.9


def test_scores_are_inner_products_of_stored_vectors(ivf, base, queries):
    hits = ivf.search(queries[0], 10)
    ids = [i for i, _ in hits]
    assert np.allclose([s for _, s in hits], base[np.array(ids) - 1] @ queries[0], atol=1e-5)
    assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)


def test_add_replace_remove_by_id_in_ivf_mode(base, queries):
    index = VectorIndex(D, exact_threshold=5_000)
    index.add(list(range(1, 10_001)), base[:10_000])
    assert index.approximate
    n = len(index)

    # Replace: id 7 now holds another vector; the old one no longer finds it.
    new = base[15_000]
    index.add([7], new[None, :])
    assert len(index) == n
    assert index.search(new, 1) == [(7, pytest.approx(1.0, abs=1e-5))]
    assert 7 not in {i for i, _ in index.search(base[6], 10)}
    assert np.array_equal(index.vector(7), new)

    # Add new ids.
    index.add([50_001, 50_002], base[15_001:15_003])
    assert len(index) == n + 2
    assert index.search(base[15_002], 1)[0][0] == 50_002

    # Remove: gone from search and from reconstruction; unknown ids are ignored.
    assert index.remove([7, 50_001, 999_999]) == 2
    assert len(index) == n
    assert 7 not in {i for i, _ in index.search(new, 10)}
    assert 50_001 not in {i for i, _ in index.search(base[15_001], 10)}
    with pytest.raises(RuntimeError):
        index.vector(7)
    assert index.approximate  # still above half the threshold
    assert set(index.ids().tolist()) == (set(range(1, 10_001)) - {7}) | {50_002}


@pytest.mark.parametrize("threshold", [100_000, 5_000])
def test_vectors_reconstruct_exactly(base, threshold):
    index = VectorIndex(D, exact_threshold=threshold)
    ids = list(range(101, 8_101))
    index.add(ids, base[:8_000])
    assert index.kind == ("exact" if threshold > 8_000 else "ivf")
    some = [101, 8_100, 4_242, 102]
    assert np.array_equal(index.vectors(some), base[np.array(some) - 101])
    assert np.array_equal(index.vector(4_242), base[4_141])
    assert index.vectors([]).shape == (0, D)


def test_promotion_trains_on_the_vectors_present(base):
    index = VectorIndex(D, exact_threshold=4_000)
    for start in range(0, 6_000, 1_000):  # incremental adds, as reindex_firms does
        index.add(list(range(start + 1, start + 1_001)), base[start : start + 1_000])
        assert index.kind == ("exact" if start + 1_000 < 4_000 else "ivf")
    assert len(index) == 6_000
    # Everything added before the promotion is still there, searchable and reconstructable.
    assert np.array_equal(index.vectors([1, 2_000, 3_000]), base[[0, 1_999, 2_999]])
    assert index.search(base[10], 1)[0][0] == 11
    assert index.search(base[5_500], 1)[0][0] == 5_501


def test_demotion_below_half_the_threshold(base):
    index = VectorIndex(D, exact_threshold=20_000)
    index.add(list(range(1, 20_001)), base)
    assert index.kind == "ivf" and index.nlist == 256
    # Hysteresis: below the threshold but above half of it, it stays approximate
    # (and its cells still fit: no retraining either).
    index.remove(list(range(1, 9_501)))
    assert index.kind == "ivf" and index.nlist == 256 and len(index) == 10_500
    index.remove(list(range(9_501, 10_002)))
    assert index.kind == "exact" and len(index) == 9_999
    q = base[15_000]
    assert [i for i, _ in index.search(q, 10)] == [i + 10_001 for i in exact_top(base[10_001:], q)]


def test_ivf_is_retrained_when_the_catalogue_grows_fourfold(base):
    index = VectorIndex(D, exact_threshold=1_000)
    index.add(list(range(1, 1_001)), base[:1_000])
    small = index.nlist
    index.add(list(range(1_001, 16_001)), base[1_000:16_000])
    assert index.nlist == nlist_for(16_000) > 2 * small
    assert index.nprobe == nprobe_for(index.nlist)
    assert index.search(base[12_345], 1)[0][0] == 12_346


def test_an_explicit_nprobe_is_kept_through_promotion_and_load(base, tmp_path):
    index = VectorIndex(D, exact_threshold=1_000, nprobe=3)
    index.add(list(range(1, 2_001)), base[:2_000])
    assert index.nprobe == 3
    index.save(str(tmp_path / "v.faiss"))
    loaded = VectorIndex.load(str(tmp_path / "v.faiss"), exact_threshold=1_000)
    assert loaded.nprobe == 3
    assert VectorIndex.load(str(tmp_path / "v.faiss"), nprobe=5).nprobe == 5
    loaded.add(list(range(2_001, 10_001)), base[2_000:10_000])  # grows fivefold: retrained
    assert loaded.nlist == nlist_for(10_000) and loaded.nprobe == 3


@pytest.mark.parametrize("threshold", [100_000, 5_000])
def test_save_and_load_memory_mapped_give_the_same_results(base, queries, tmp_path, threshold):
    index = VectorIndex(D, exact_threshold=threshold)
    index.add(list(range(1, 10_001)), base[:10_000])
    path = str(tmp_path / "vectors.faiss")
    index.save(path)
    for mmap in (False, True):
        loaded = VectorIndex.load(path, mmap=mmap, exact_threshold=threshold)
        assert loaded.mapped is mmap and loaded.kind == index.kind
        assert loaded.describe() == {**index.describe(), "mapped": mmap}
        for q in queries[:20]:
            assert loaded.search(q, 10) == index.search(q, 10)
        assert np.array_equal(loaded.vectors([1, 5_000, 10_000]), base[[0, 4_999, 9_999]])
        assert sorted(loaded.ids().tolist()) == list(range(1, 10_001))


@pytest.mark.parametrize("threshold", [100_000, 5_000])
def test_a_mapped_index_is_copied_before_it_changes(base, tmp_path, threshold):
    path = str(tmp_path / "vectors.faiss")
    original = VectorIndex(D, exact_threshold=threshold)
    original.add(list(range(1, 6_001)), base[:6_000])
    original.save(path)
    index = VectorIndex.load(path, mmap=True, exact_threshold=threshold)
    # In FAISS, resizing a mapped vector aborts the process; here it must just work.
    index.add([1], base[7_000][None, :])
    index.remove([2])
    assert not index.mapped and len(index) == 5_999
    assert index.search(base[7_000], 1)[0][0] == 1
    # ... and the published file is untouched.
    again = VectorIndex.load(path, mmap=True, exact_threshold=threshold)
    assert len(again) == 6_000 and again.search(base[1], 1)[0][0] == 2


def test_saving_over_a_mapped_file_leaves_its_readers_intact(base, tmp_path):
    """``save`` renames a new file into place; truncating it would crash the readers."""
    path = str(tmp_path / "vectors.faiss")
    first = VectorIndex(D, exact_threshold=1_000)
    first.add(list(range(1, 3_001)), base[:3_000])
    first.save(path)
    reader = VectorIndex.load(path, mmap=True, exact_threshold=1_000)
    before = reader.search(base[3], 5)
    second = VectorIndex(D, exact_threshold=1_000)
    second.add(list(range(10_001, 13_001)), base[3_000:6_000])
    second.save(path)
    assert reader.search(base[3], 5) == before
    assert VectorIndex.load(path).search(base[3_003], 1)[0][0] == 10_004
    assert [p.name for p in tmp_path.iterdir()] == ["vectors.faiss"]


@pytest.mark.parametrize("threshold", [100_000, 5_000])
def test_blocks_are_every_vector_as_views(base, tmp_path, threshold):
    index = VectorIndex(D, exact_threshold=threshold)
    index.add(list(range(1, 8_001)), base[:8_000])
    index.save(str(tmp_path / "v.faiss"))
    mapped = VectorIndex.load(str(tmp_path / "v.faiss"), mmap=True, exact_threshold=threshold)
    for source in (index, mapped):
        blocks = list(source.blocks())
        assert len(blocks) == (1 if threshold > 8_000 else len(blocks)) >= 1
        ids = np.concatenate([i for i, _ in blocks])
        assert sorted(ids.tolist()) == list(range(1, 8_001))
        for block_ids, vectors in blocks:
            assert not vectors.flags.writeable and not vectors.flags.owndata  # views, no copy
            assert np.array_equal(vectors, base[block_ids - 1])
    assert list(VectorIndex(D).blocks()) == []


def test_an_index_written_by_the_previous_version_loads_as_exact(base, tmp_path):
    import faiss

    legacy = faiss.IndexIDMap2(faiss.IndexFlatIP(D))
    legacy.add_with_ids(base[:500], np.arange(1, 501, dtype=np.int64))
    faiss.write_index(legacy, str(tmp_path / "old.faiss"))
    index = VectorIndex.load(str(tmp_path / "old.faiss"), mmap=True)
    assert index.kind == "exact" and len(index) == 500
    assert index.search(base[42], 1)[0][0] == 43


_RSS_CHILD = """
import json, sys
from matching.vector_index import VectorIndex

def anon():
    for line in open("/proc/self/status"):
        if line.startswith("RssAnon:"):
            return int(line.split()[1]) * 1024

before = anon()
index = VectorIndex.load(sys.argv[1], mmap=sys.argv[2] == "1")
ids = index.ids()
index.vectors(ids[::50].tolist())  # touch pages all over the file
for i in range(0, 200):
    index.search(index.vector(int(ids[i * 50])), 10)
print(json.dumps({"anon": anon() - before, "kind": index.kind}))
"""


def test_memory_mapped_vectors_are_not_private_memory(base, tmp_path):
    """Loaded with mmap, the vectors are file pages (shared between processes), not anon."""
    index = VectorIndex(D, exact_threshold=5_000)
    index.add(list(range(1, 20_001)), base)
    path = tmp_path / "vectors.faiss"
    index.save(str(path))
    size = path.stat().st_size
    root = Path(__file__).resolve().parent.parent

    def child(mmap: bool) -> dict:
        out = subprocess.run(
            [sys.executable, "-c", _RSS_CHILD, str(path), "1" if mmap else "0"],
            capture_output=True,
            text=True,
            check=True,
            cwd=root,
        )
        return json.loads(out.stdout.strip().splitlines()[-1])

    mapped, read = child(True), child(False)
    assert mapped["kind"] == read["kind"] == "ivf"
    assert read["anon"] > 0.8 * size  # a private copy of the vectors
    assert mapped["anon"] < 0.3 * size  # only the id map and centroids
