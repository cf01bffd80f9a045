"""The dense index at catalogue scale: exact vs approximate FAISS search, 10k to 1M.

    .venv/bin/python -m bench.index_scale [--sizes 10000 100000 1000000] [--queries 1000]

For each size: build time and memory of the exact index and of the IVF index that
``matching.vector_index`` promotes to (and of HNSW, for comparison, at the sizes in
``--hnsw-sizes``); single-query latency p50/p95/p99 (k = 10, first query excluded);
recall@10 of the approximate indexes against exact search, and how it moves with
``nprobe`` / ``efSearch``; the cost of incremental updates and of loading a published
file. Then the memory of 1, 2 and 4 processes sharing the largest index file, memory-mapped
or read. Results go to ``docs/img/index-scale.jsonl``, plots to ``docs/img/`` and tables
into ``docs/index-scale.md`` (between its ``bench:begin`` / ``bench:end`` markers).

Vectors. Encoding a million texts takes about 14 hours here (~20 documents/s), so the
catalogues are synthetic, drawn from a model of real embeddings: ~19,600 capability
documents of demo catalogues generated with seeds 1-17 (the ``bench.eval_scale`` corpus,
read from the evaluation harness's embedding cache, encoded if missing) embedded with
the default model; a Gaussian mixture (k-means means, tied covariance) fitted to them
draws the catalogue. Queries are real: need texts of demo catalogues (seeds 1-5, written
and concept-expanded as ``MatchEngine.retrieve`` does) encoded as queries. The report
compares the mixture with the real vectors at equal size.

Threads: builds use 2 OpenMP threads (both cores); searches run on one
(``VectorIndex.search`` pins it, see there), HNSW's too.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing as mp
import os
import platform
import resource
import sqlite3
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from catalog.demo import generate_demo_catalog
from catalog.reference_data import taxonomy_data
from catalog.text import nfc
from matching.embedding_cache import EmbeddingCache
from matching.encoder import Encoder, default_model

EVAL_CACHE = Path("~/.cache/ketnoi/embeddings.sqlite").expanduser()
WORK = Path("/tmp/ketnoi-index-scale")


def _names() -> dict[str, tuple[str, str]]:
    return {c["id"]: (c["name_vi"], c["name_en"]) for c in taxonomy_data()}


def capability_texts(seeds: range) -> list[str]:
    """Capability documents of generated demo catalogues, as ``matching.eval`` embeds them."""
    from bench.eval_scale import capability_text

    names = _names()
    texts: list[str] = []
    for seed in seeds:
        for firm in generate_demo_catalog(seed=seed)["suppliers"]:
            for cap in firm["capabilities"]:
                title, text = nfc(cap["title"]), nfc(capability_text(cap, names))
                texts.append(text if text.startswith(title) else f"{title}. {text}")
    return list(dict.fromkeys(texts))


def need_texts(seeds: range) -> list[str]:
    """Buyers' needs of generated demo catalogues, written and expanded as ``retrieve`` does."""
    from matching.concepts import ConceptTagger, expand_query

    names = _names()
    tagger = ConceptTagger.from_records(taxonomy_data())

    def bilingual(cid: str) -> str:
        vi, en = names[cid]
        return vi if vi == en else f"{vi} / {en}"

    texts: list[str] = []
    for seed in seeds:
        for need in generate_demo_catalog(seed=seed)["needs"]:
            parts = [need["title"], need["description"], bilingual(need["process"])]
            parts.append(", ".join(bilingual(m) for m in need["materials"]))
            text = nfc(". ".join(p.strip().rstrip(".") for p in parts if p and p.strip()))
            texts.append(expand_query(text, tagger))
    return list(dict.fromkeys(texts))


def _cached(path: Path, keys: list[str]) -> dict[str, np.ndarray]:
    if not path.exists():
        return {}
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    found: dict[str, np.ndarray] = {}
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for key, blob in conn.execute(
            f"SELECT key, vector FROM embeddings WHERE key IN ({marks})", chunk
        ):
            found[key] = np.frombuffer(blob, dtype=np.float32)
    conn.close()
    return found


def embed(texts: list[str], kind: str, cache: Path) -> tuple[np.ndarray, int]:
    """Embeddings of ``texts`` by the default model; (vectors, how many were encoded now).

    Looks in the evaluation harness's cache (read only) and in the benchmark's own cache
    first, so a rerun encodes nothing.
    """
    keys = [EmbeddingCache.key(default_model(), kind, t) for t in texts]
    found = _cached(EVAL_CACHE, keys)
    found.update(_cached(cache, [k for k in keys if k not in found]))
    todo = [(k, t) for k, t in zip(keys, texts, strict=True) if k not in found]
    if todo:
        encoder = Encoder(default_model())
        prompt = "passage" if kind == "passage" else "query"
        fresh = encoder._encode([t for _, t in todo], prompt, True)
        new = {k: v for (k, _), v in zip(todo, fresh, strict=True)}
        EmbeddingCache(cache).put_many(new)
        found.update(new)
    return np.vstack([found[k] for k in keys]).astype(np.float32), len(todo)


class Mixture:
    """A Gaussian mixture fitted to real embeddings, to draw catalogues of any size.

    k-means (``components`` cells) on the real vectors gives the means and weights; the
    covariance is tied (one 384×384 matrix, from every vector's offset to its cell mean,
    well estimated from ~20k vectors where per-cell covariances would not be), scaled per
    cell by that cell's spread. Samples are normalised like the encoder's output.
    """

    def __init__(self, real: np.ndarray, components: int = 256, seed: int = 1):
        import faiss

        d = real.shape[1]
        km = faiss.Kmeans(d, components, niter=20, seed=seed)
        km.train(real)
        _, assign = km.index.search(real, 1)
        assign = assign[:, 0]
        offsets = real - km.centroids[assign]
        w, v = np.linalg.eigh(np.cov(offsets, rowvar=False))
        self.root = (v * np.sqrt(np.clip(w, 0, None))).astype(np.float32)
        counts = np.bincount(assign, minlength=components)
        spread = np.zeros(components)
        for c in np.flatnonzero(counts):
            spread[c] = (offsets[assign == c] ** 2).sum(1).mean()
        self.scale = np.sqrt(spread / (offsets**2).sum(1).mean()).astype(np.float32)
        self.weights = counts / counts.sum()
        self.means = km.centroids.copy()

    def sample(self, n: int, seed: int) -> np.ndarray:
        rng = np.random.default_rng(seed)
        c = rng.choice(len(self.weights), n, p=self.weights)
        z = rng.standard_normal((n, self.root.shape[0]), dtype=np.float32)
        x = self.means[c] + self.scale[c, None] * (z @ self.root.T)
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        return x.astype(np.float32)


def synthetic_catalogue(path: Path, n: int, mixture: Mixture, chunk: int = 50_000) -> np.ndarray:
    """``n`` vectors drawn from ``mixture`` into a .npy file; returned memory-mapped.

    Drawn in fixed chunks with fixed seeds, so the first 100k of the 1M catalogue are the
    100k catalogue: every size is a prefix of the largest.
    """
    if path.exists():
        arr = np.load(path, mmap_mode="r")
        if arr.shape[0] >= n:
            return arr[:n]
    d = mixture.root.shape[0]
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(n, d))
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        out[start:stop] = mixture.sample(stop - start, seed=1000 + start // chunk)
    out.flush()
    del out
    return np.load(path, mmap_mode="r")


# -- process memory ---------------------------------------------------------------------
def proc_status() -> dict[str, int]:
    """VmRSS, RssAnon, RssFile, VmHWM of this process, in bytes."""
    out: dict[str, int] = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "RssAnon", "RssFile", "VmHWM"):
            out[key] = int(value.split()[0]) * 1024
    return out


def smaps_rollup() -> dict[str, int]:
    """Rss, Pss (shared pages divided by their sharers), Pss_Anon, Pss_File…, in bytes."""
    out: dict[str, int] = {}
    for line in Path("/proc/self/smaps_rollup").read_text().splitlines()[1:]:
        key, _, value = line.partition(":")
        parts = value.split()
        if parts and parts[-1] == "kB":
            out[key] = int(parts[0]) * 1024
    out.update({k: v for k, v in proc_status().items() if k in ("RssAnon", "RssFile")})
    return out


def run_child(fn, *args):
    """Run ``fn(*args)`` in a fresh (spawned) process, so its memory numbers are its own."""
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child_main, args=(child, fn, args))
    proc.start()
    child.close()
    result = parent.recv()
    proc.join()
    if isinstance(result, BaseException):
        raise result
    return result


def _busy_seconds() -> float:
    """CPU seconds spent by the whole machine so far (all cores, not idle or iowait)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _own_seconds() -> float:
    me, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def wait_for_quiet(limit_s: float = 3600) -> float:
    """Wait until no other process uses more than 10% of a core; return the seconds waited."""
    start = time.monotonic()
    while time.monotonic() - start < limit_s:
        busy, own = _busy_seconds(), _own_seconds()
        time.sleep(3)
        if (_busy_seconds() - busy) - (_own_seconds() - own) < 0.3:
            return time.monotonic() - start
        time.sleep(27)
    return time.monotonic() - start


def measured(fn, *args, attempts: int = 4) -> dict:
    """``run_child`` on a quiet machine; measured again if something else ran meanwhile.

    Other processes' CPU time during the run is the machine's busy time minus this
    process's and its children's; above 10% of one core the timings are not kept.
    """
    for attempt in range(1, attempts + 1):
        waited = wait_for_quiet()
        if waited > 5:
            print(f"waited {waited:.0f} s for a quiet machine", file=sys.stderr)
        busy, own, start = _busy_seconds(), _own_seconds(), time.monotonic()
        result = run_child(fn, *args)
        others = (_busy_seconds() - busy) - (_own_seconds() - own)
        share = others / max(time.monotonic() - start, 1e-9)
        result["other_cpu"] = round(share, 3)
        if share < 0.1:
            return result
        print(
            f"{fn.__name__}{args[2:3]}: others used {share:.0%} of a core; again "
            f"({attempt}/{attempts})",
            file=sys.stderr,
        )
    return result


def _child_main(conn, fn, args) -> None:
    try:
        conn.send(fn(*args))
    except BaseException as exc:  # report it to the parent instead of dying silently
        conn.send(RuntimeError(f"{fn.__name__}: {exc!r}"))
    conn.close()


# -- measurements -----------------------------------------------------------------------
def percentiles(seconds: list[float]) -> dict[str, float]:
    ms = np.asarray(seconds[1:]) * 1000  # the first query is excluded (cold caches)
    return {f"p{q}": round(float(np.percentile(ms, q)), 3) for q in (50, 95, 99)}


def timed_searches(index, queries: np.ndarray, k: int = 10) -> tuple[list[float], np.ndarray]:
    """One query at a time through ``VectorIndex.search``, as the service calls it."""
    seconds, found = [], np.full((len(queries), k), -1, dtype=np.int64)
    for row, q in enumerate(queries):
        start = time.perf_counter()
        hits = index.search(q, k)
        seconds.append(time.perf_counter() - start)
        found[row, : len(hits)] = [i for i, _ in hits]
    return seconds, found


def recall_at(found: np.ndarray, truth: np.ndarray, k: int = 10) -> float:
    pairs = zip(found, truth, strict=True)
    hits = [len(set(f[:k].tolist()) & set(t[:k].tolist())) for f, t in pairs]
    return round(float(np.mean(hits)) / k, 4)


def _data(catalogue: str, queries: str, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x = np.ascontiguousarray(np.load(catalogue, mmap_mode="r")[:n])
    return x, np.load(queries), np.arange(1, n + 1, dtype=np.int64)


def _burn(started, stop) -> None:
    started.set()
    while not stop.is_set():
        sum(range(10_000))


@contextlib.contextmanager
def busy_core() -> Iterator[None]:
    """Keep one core busy meanwhile, as a second web worker or the Celery worker would."""
    ctx = mp.get_context("spawn")
    started, stop = ctx.Event(), ctx.Event()
    proc = ctx.Process(target=_burn, args=(started, stop))
    proc.start()
    started.wait()
    try:
        yield
    finally:
        stop.set()
        proc.join()


def raw_searches(index, queries: np.ndarray, threads: int) -> list[float]:
    """Single queries straight to FAISS with ``threads`` OpenMP threads."""
    import faiss

    faiss.omp_set_num_threads(threads)
    seconds = []
    for row in queries:
        start = time.perf_counter()
        index.index.search(row[None, :], 10)
        seconds.append(time.perf_counter() - start)
    faiss.omp_set_num_threads(2)
    return seconds


def child_exact(catalogue: str, queries: str, n: int, truth: str, index_path: str) -> dict:
    """Exact index: build, ground truth (top 10 of every query), latency on 1 and 2 threads."""
    import faiss

    from matching.vector_index import VectorIndex

    faiss.omp_set_num_threads(2)
    x, q, ids = _data(catalogue, queries, n)
    before = proc_status()
    start = time.perf_counter()
    index = VectorIndex(x.shape[1], exact_threshold=n + 1)
    index.add(ids, x)
    build = time.perf_counter() - start
    after = proc_status()
    _, top = index.index.search(q, 10)  # batch: 2 threads, BLAS
    np.save(truth, top)
    seconds, found = timed_searches(index, q)
    assert recall_at(found, top) == 1.0
    # The same single queries with FAISS's default of one thread per core, on an idle
    # machine and with the other core busy.
    threads = {
        "idle": {"1": percentiles(seconds), "2": percentiles(raw_searches(index, q[:300], 2))}
    }
    with busy_core():
        threads["one core busy"] = {
            str(t): percentiles(raw_searches(index, q[:200], t)) for t in (1, 2)
        }
    index.save(index_path)
    return {
        "section": "exact",
        "n": n,
        "kind": index.kind,
        "build_s": round(build, 3),
        "index_mb": round((after["RssAnon"] - before["RssAnon"]) / 2**20, 1),
        "peak_mb": round((after["VmHWM"] - before["VmRSS"]) / 2**20, 1),
        "file_mb": round(os.path.getsize(index_path) / 2**20, 1),
        **percentiles(seconds),
        "threads": threads,
        "queries": len(q),
    }


def child_ivf(
    catalogue: str, queries: str, n: int, truth: str, index_path: str, sweep_queries: int
) -> dict:
    """IVF index as ``VectorIndex`` builds it: build, latency, recall, nprobe sweep, updates."""
    import faiss

    from matching.vector_index import VectorIndex

    faiss.omp_set_num_threads(2)
    x, q, ids = _data(catalogue, queries, n)
    top = np.load(truth)
    before = proc_status()
    start = time.perf_counter()
    index = VectorIndex(x.shape[1], exact_threshold=0)  # approximate at every size here
    index.add(ids, x)
    build = time.perf_counter() - start
    after = proc_status()
    default = index.nprobe
    seconds, found = timed_searches(index, q)
    result = {
        "section": "ivf",
        "n": n,
        "nlist": index.nlist,
        "nprobe": default,
        "build_s": round(build, 3),
        "index_mb": round((after["RssAnon"] - before["RssAnon"]) / 2**20, 1),
        "peak_mb": round((after["VmHWM"] - before["VmRSS"]) / 2**20, 1),
        **percentiles(seconds),
        "recall@10": recall_at(found, top),
        "queries": len(q),
    }
    sweep = []
    nprobe = 1
    while nprobe <= min(index.nlist, 512):
        index.nprobe = nprobe
        s, f = timed_searches(index, q[:sweep_queries])
        _, f_all = index.index.search(q, 10)
        sweep.append({"nprobe": nprobe, "recall@10": recall_at(f_all, top), **percentiles(s)})
        nprobe *= 2
    result["sweep"] = sweep
    index.nprobe = default
    index.save(index_path)
    result["file_mb"] = round(os.path.getsize(index_path) / 2**20, 1)
    # Incremental updates, 100 capabilities at a time (a firm or an import batch): a
    # warm-up round, then the median of 5.
    rng = np.random.default_rng(7)
    rounds: dict[str, list[float]] = {"replace_100_ms": [], "add_100_ms": [], "remove_100_ms": []}
    next_id = n + 1
    for round_no in range(6):
        batch = ids[rng.choice(n, 100, replace=False)]
        new_ids = np.arange(next_id, next_id + 100)
        next_id += 100
        start = time.perf_counter()
        index.add(batch, x[rng.choice(n, 100, replace=False)])
        replace = time.perf_counter() - start
        start = time.perf_counter()
        index.add(new_ids, x[batch - 1])
        add = time.perf_counter() - start
        start = time.perf_counter()
        removed = index.remove(new_ids.tolist())
        remove = time.perf_counter() - start
        assert removed == 100 and len(index) == n
        if round_no:
            for key, value in zip(rounds, (replace, add, remove), strict=True):
                rounds[key].append(value * 1000)
    result["updates"] = {k: round(float(np.median(v)), 2) for k, v in rounds.items()}
    # Publishing writes the whole file (the store's versions are complete folders).
    start = time.perf_counter()
    index.save(f"{index_path}.updated")
    with open(f"{index_path}.updated", "rb") as fh:
        os.fsync(fh.fileno())
    result["updates"]["save_s"] = round(time.perf_counter() - start, 2)
    os.unlink(f"{index_path}.updated")
    # Loading a published version: read into memory vs mapped (file in the page cache).
    loads = {}
    for mmap in (False, True):
        start = time.perf_counter()
        loaded = VectorIndex.load(index_path, mmap=mmap)
        loaded.search(q[0], 10)
        loads["mmap_s" if mmap else "read_s"] = round(time.perf_counter() - start, 3)
        del loaded
    result["load"] = loads
    return result


def child_hnsw(catalogue: str, queries: str, n: int, truth: str, sweep_queries: int) -> dict:
    """HNSW (M = 32, efConstruction = 200) for comparison: build, memory, efSearch sweep."""
    import faiss

    faiss.omp_set_num_threads(2)
    x, q, _ = _data(catalogue, queries, n)
    top = np.load(truth)
    before = proc_status()
    start = time.perf_counter()
    index = faiss.IndexHNSWFlat(x.shape[1], 32, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = 200
    index.add(x)
    build = time.perf_counter() - start
    after = proc_status()
    faiss.omp_set_num_threads(1)
    sweep = []
    for ef in (16, 32, 64, 128, 256, 512):
        index.hnsw.efSearch = ef
        seconds = []
        for row in q[:sweep_queries]:
            start = time.perf_counter()
            index.search(row[None, :], 10)
            seconds.append(time.perf_counter() - start)
        _, found = index.search(q, 10)
        sweep.append(
            {"efSearch": ef, "recall@10": recall_at(found + 1, top), **percentiles(seconds)}
        )
    return {
        "section": "hnsw",
        "n": n,
        "M": 32,
        "efConstruction": 200,
        "build_s": round(build, 3),
        "index_mb": round((after["RssAnon"] - before["RssAnon"]) / 2**20, 1),
        "peak_mb": round((after["VmHWM"] - before["VmRSS"]) / 2**20, 1),
        "sweep": sweep,
    }


def child_grid(catalogue: str, queries: str, n: int, count: int) -> dict:
    """Around the threshold: exact and default-IVF p95 and recall at one size."""
    import faiss

    from matching.vector_index import VectorIndex

    faiss.omp_set_num_threads(2)
    x, q, ids = _data(catalogue, queries, n)
    q = q[:count]
    exact = VectorIndex(x.shape[1], exact_threshold=n + 1)
    exact.add(ids, x)
    seconds, top = timed_searches(exact, q)
    with busy_core():
        busy, _ = timed_searches(exact, q[:300])
    row = {
        "section": "grid",
        "n": n,
        "exact": percentiles(seconds),
        "exact_busy": percentiles(busy),
    }
    del exact
    ivf = VectorIndex(x.shape[1], exact_threshold=0)
    start = time.perf_counter()
    ivf.add(ids, x)
    build = time.perf_counter() - start
    seconds, found = timed_searches(ivf, q)
    row["ivf"] = {
        **percentiles(seconds),
        "recall@10": recall_at(found, top),
        "nlist": ivf.nlist,
        "nprobe": ivf.nprobe,
        "build_s": round(build, 2),
    }
    return row


def _touch(index) -> None:
    """Read one byte of every page of the vectors, so all of them are resident."""
    import faiss

    inner = index.index
    if isinstance(inner, faiss.IndexIVF):
        invlists = inner.invlists
        for list_no in range(invlists.nlist):
            size = invlists.list_size(list_no)
            if size:
                codes = faiss.rev_swig_ptr(invlists.get_codes(list_no), size * invlists.code_size)
                int(codes[::4096].sum())
    else:
        flat = faiss.downcast_index(inner.index)
        n = inner.ntotal * inner.d
        int(faiss.rev_swig_ptr(flat.get_xb(), n).view(np.uint8)[::4096].sum())


def child_share(path: str, mmap: bool, queries: str, barrier, conn) -> None:
    """One web process: load the published index, touch it, search, report its memory."""
    from matching.vector_index import VectorIndex

    q = np.load(queries)
    base = smaps_rollup()
    start = time.perf_counter()
    index = VectorIndex.load(path, mmap=mmap)
    load_s = time.perf_counter() - start
    _touch(index)
    for row in q[:200]:
        index.search(row, 10)
    barrier.wait()  # everyone has loaded: now the pages have all their sharers
    now = smaps_rollup()
    conn.send({"base": base, "now": now, "load_s": load_s})
    barrier.wait()  # stay alive until everyone has measured
    conn.close()


def sharing(path: str, queries: str, counts: list[int]) -> list[dict]:
    """Memory of 1, 2, 4… processes that load the same index file, mapped or read."""
    ctx = mp.get_context("spawn")
    rows = []
    for mmap in (True, False):
        for count in counts:
            wait_for_quiet()
            barrier = ctx.Barrier(count)
            pipes, procs = [], []
            for _ in range(count):
                parent, child = ctx.Pipe(duplex=False)
                proc = ctx.Process(target=child_share, args=(path, mmap, queries, barrier, child))
                proc.start()
                child.close()
                pipes.append(parent)
                procs.append(proc)
            reports = [p.recv() for p in pipes]
            for proc in procs:
                proc.join()

            def added(key: str, reports: list[dict] = reports) -> float:
                values = [r["now"].get(key, 0) - r["base"].get(key, 0) for r in reports]
                return round(float(np.mean(values)) / 2**20, 1)

            rows.append(
                {
                    "section": "sharing",
                    "mmap": mmap,
                    "processes": count,
                    "rss_mb": added("Rss"),
                    "pss_mb": added("Pss"),
                    "anon_mb": added("RssAnon"),
                    "file_mb": added("RssFile"),
                    "total_pss_mb": round(
                        sum(r["now"]["Pss"] - r["base"]["Pss"] for r in reports) / 2**20, 1
                    ),
                    "load_s": round(float(np.mean([r["load_s"] for r in reports])), 3),
                }
            )
            print(json.dumps(rows[-1]), file=sys.stderr)
    return rows


def validation(real: np.ndarray, mixture: Mixture, queries: np.ndarray) -> list[dict]:
    """The mixture against the real vectors at equal size: similarity and IVF recall."""
    import faiss

    from matching.vector_index import VectorIndex, nlist_for

    synthetic = mixture.sample(len(real), seed=99)
    rows = []
    rng = np.random.default_rng(3)
    a, b = rng.integers(0, len(real), 20_000), rng.integers(0, len(real), 20_000)
    for name, base in (("real", real), ("synthetic", synthetic)):
        ids = np.arange(1, len(base) + 1)
        flat = faiss.IndexFlatIP(base.shape[1])
        flat.add(base)
        scores, top = flat.search(queries, 11)
        index = VectorIndex(base.shape[1], exact_threshold=0)
        index.add(ids, base)
        row = {
            "section": "validation",
            "vectors": name,
            "n": len(base),
            "random_pair_cos": round(float((base[a] * base[b]).sum(1).mean()), 3),
            "query_top1_cos": round(float(scores[:, 0].mean()), 3),
            "query_top10_cos": round(float(scores[:, 9].mean()), 3),
            "gap_10_11": round(float((scores[:, 9] - scores[:, 10]).mean()), 5),
            "nlist": nlist_for(len(base)),
            "recall": {},
        }
        for nprobe in (1, 2, 4, 8, 16):
            index.nprobe = nprobe
            _, found = index.index.search(queries, 10)
            row["recall"][str(nprobe)] = recall_at(found, top[:, :10] + 1)
        rows.append(row)
    return rows


# -- report -----------------------------------------------------------------------------
def plots(records: list[dict], out: Path, threshold: int) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    exact = sorted((r for r in records if r["section"] == "exact"), key=lambda r: r["n"])
    ivf = sorted((r for r in records if r["section"] == "ivf"), key=lambda r: r["n"])
    hnsw = sorted((r for r in records if r["section"] == "hnsw"), key=lambda r: r["n"])
    grid = sorted((r for r in records if r["section"] == "grid"), key=lambda r: r["n"])
    share = [r for r in records if r["section"] == "sharing"]
    written = []

    # Latency against size.
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for rows, label, style in ((exact, "exact (Flat)", "o-"), (ivf, "IVF (default nprobe)", "s-")):
        if rows:
            ns = [r["n"] for r in rows]
            for q, alpha in (("p50", 0.45), ("p95", 1.0), ("p99", 0.7)):
                ax.plot(ns, [r[q] for r in rows], style, alpha=alpha, label=f"{label} {q}")
    if grid:
        ax.plot(
            [r["n"] for r in grid],
            [r["exact"]["p95"] for r in grid],
            "o:",
            color="grey",
            label="exact p95 (threshold grid)",
        )
    if hnsw:
        best = [_hnsw_pick(r) for r in hnsw]
        ax.plot([r["n"] for r in hnsw], [b["p95"] for b in best], "^-", label="HNSW p95")
    ax.axhline(20, color="red", lw=0.8, ls="--", label="target p95 at 1M: 20 ms")
    ax.axvline(threshold, color="black", lw=0.8, ls=":", label=f"exact→IVF at {threshold:,}")
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="vectors in the index",
        ylabel="single-query latency, ms (1 thread)",
        title="Search latency by catalogue size",
    )
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(out / "index-latency-vs-size.png", dpi=120)
    plt.close(fig)
    written.append("index-latency-vs-size.png")

    # Recall against nprobe (and against latency).
    if ivf:
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.5))
        for r in ivf:
            xs = [s["nprobe"] for s in r["sweep"]]
            line = a1.plot(
                xs,
                [s["recall@10"] for s in r["sweep"]],
                "o-",
                label=f"{r['n']:,} (nlist {r['nlist']})",
            )[0]
            a1.plot([r["nprobe"]], [r["recall@10"]], "*", ms=14, color=line.get_color())
            a2.plot(
                [s["p95"] for s in r["sweep"]],
                [s["recall@10"] for s in r["sweep"]],
                "o-",
                color=line.get_color(),
                label=f"IVF {r['n']:,}",
            )
        for r in hnsw:
            a2.plot(
                [s["p95"] for s in r["sweep"]],
                [s["recall@10"] for s in r["sweep"]],
                "^--",
                label=f"HNSW {r['n']:,}",
            )
        for a in (a1, a2):
            a.axhline(0.95, color="red", lw=0.8, ls="--")
            a.grid(True, which="both", alpha=0.3)
            a.legend(fontsize=7)
        a1.set(
            xscale="log",
            xlabel="nprobe (cells searched; ★ = default)",
            ylabel="recall@10 vs exact",
            title="IVF recall by nprobe",
        )
        a1.set_xscale("log", base=2)
        a2.set(
            xscale="log",
            xlabel="p95 latency, ms (1 thread)",
            ylabel="recall@10 vs exact",
            title="Recall against latency (nprobe / efSearch sweeps)",
        )
        fig.tight_layout()
        fig.savefig(out / "index-recall-vs-nprobe.png", dpi=120)
        plt.close(fig)
        written.append("index-recall-vs-nprobe.png")

    # Build time and memory against size.
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.5))
    for rows, label, style in ((exact, "exact", "o-"), (ivf, "IVF", "s-"), (hnsw, "HNSW", "^-")):
        if rows:
            ns = [r["n"] for r in rows]
            a1.plot(ns, [r["build_s"] for r in rows], style, label=label)
            a2.plot(ns, [r["index_mb"] for r in rows], style, label=label)
    a1.set(
        xscale="log",
        yscale="log",
        xlabel="vectors",
        ylabel="build time, s (2 threads)",
        title="Build time",
    )
    a2.set(
        xscale="log",
        yscale="log",
        xlabel="vectors",
        ylabel="index memory, MiB (RssAnon Δ)",
        title="Memory of the built index",
    )
    for a in (a1, a2):
        a.grid(True, which="both", alpha=0.3)
        a.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "index-build-vs-size.png", dpi=120)
    plt.close(fig)
    written.append("index-build-vs-size.png")

    # Memory of N processes sharing one file.
    if share:
        fig, ax = plt.subplots(figsize=(7, 4.5))
        metrics = (
            ("total_pss_mb", "PSS of all processes", "C2"),
            ("pss_mb", "PSS per process", "C0"),
            ("anon_mb", "private (anon) per process", "C1"),
        )
        for mmap, style in ((True, "o-"), (False, "s--")):
            rows = sorted((r for r in share if r["mmap"] == mmap), key=lambda r: r["processes"])
            name = "mmap" if mmap else "read"
            ps = [r["processes"] for r in rows]
            for key, label, color in metrics:
                ax.plot(ps, [r[key] for r in rows], style, color=color, label=f"{name}: {label}")
        ax.set(
            xlabel="processes loading the same index",
            ylabel="MiB added by the index",
            title="Web processes sharing one index file",
            xticks=[1, 2, 4],
        )
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(out / "index-mmap-sharing.png", dpi=120)
        plt.close(fig)
        written.append("index-mmap-sharing.png")
    return written


def _hnsw_pick(row: dict) -> dict:
    """The cheapest efSearch that reaches recall@10 ≥ 0.95 (else the best)."""
    ok = [s for s in row["sweep"] if s["recall@10"] >= 0.95]
    return ok[0] if ok else max(row["sweep"], key=lambda s: s["recall@10"])


def _machine() -> dict[str, str]:
    import faiss

    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = int(Path("/proc/meminfo").read_text().split()[1]) / 2**20
    return {
        "cpu": f"{os.cpu_count()} cores ({platform.machine()}, {cpu})",
        "memory": f"{mem:.0f} GiB",
        "python": platform.python_version(),
        "faiss": faiss.__version__,
        "numpy": np.__version__,
        "kernel": platform.release(),
    }


def _n(n: int) -> str:
    return f"{n // 1_000_000}M" if n >= 1_000_000 and n % 1_000_000 == 0 else f"{n // 1000}k"


def markdown(records: list[dict], meta: dict, images: list[str]) -> str:
    exact = {r["n"]: r for r in records if r["section"] == "exact"}
    ivf = {r["n"]: r for r in records if r["section"] == "ivf"}
    hnsw = {r["n"]: r for r in records if r["section"] == "hnsw"}
    grid = sorted((r for r in records if r["section"] == "grid"), key=lambda r: r["n"])
    share = [r for r in records if r["section"] == "sharing"]
    valid = [r for r in records if r["section"] == "validation"]
    lines = [
        f"Measured {meta['date']} with `{meta['command']}` (total {meta['total_min']:.0f} min).",
        "",
        f"Machine: {meta['machine']['cpu']}, {meta['machine']['memory']} RAM, no GPU; Python "
        f"{meta['machine']['python']}, faiss-cpu {meta['machine']['faiss']}, numpy "
        f"{meta['machine']['numpy']}, Linux {meta['machine']['kernel']}. Each measurement "
        "waited for a quiet machine and was repeated if other processes used over 10% of a "
        "core meanwhile (largest share kept: "
        f"{max((r.get('other_cpu', 0) for r in records), default=0):.0%}). Builds on 2 OpenMP "
        "threads, every search on 1.",
        "",
        f"Data: {meta['real']:,} real passage embeddings ({meta['model']}; {meta['encoded']:,} "
        f"encoded by this run, the rest from the embedding cache), a {meta['components']}-"
        f"component mixture fitted to them drew the catalogues (each size is a prefix of the "
        f"largest); {meta['queries']:,} real need queries. Ids 1…n, k = 10, the first query of "
        "every series excluded.",
        "",
        "### Exact and approximate search by size",
        "",
        "| vectors | index | build s | index MiB | p50 ms | p95 ms | p99 ms | recall@10 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for n in sorted(exact):
        e = exact[n]
        lines.append(
            f"| {n:,} | exact (Flat) | {e['build_s']:.1f} | {e['index_mb']:,.0f} | {e['p50']:.2f} "
            f"| {e['p95']:.2f} | {e['p99']:.2f} | 1 |"
        )
        if n in ivf:
            v = ivf[n]
            lines.append(
                f"| {n:,} | IVF nlist {v['nlist']}, nprobe {v['nprobe']} | {v['build_s']:.1f} | "
                f"{v['index_mb']:,.0f} | {v['p50']:.2f} | **{v['p95']:.2f}** | {v['p99']:.2f} | "
                f"**{v['recall@10']:.3f}** |"
            )
        if n in hnsw:
            h = hnsw[n]
            pick = _hnsw_pick(h)
            lines.append(
                f"| {n:,} | HNSW M 32, efC 200, efSearch {pick['efSearch']} | {h['build_s']:.1f} "
                f"| {h['index_mb']:,.0f} | {pick['p50']:.2f} | {pick['p95']:.2f} | "
                f"{pick['p99']:.2f} | {pick['recall@10']:.3f} |"
            )
    big = max(ivf) if ivf else None
    if big:
        v = ivf[big]
        ok = v["p95"] < 20 and v["recall@10"] >= 0.95
        lines += [
            "",
            f"Target at {big:,}: approximate p95 < 20 ms at recall@10 ≥ 0.95 — "
            f"**{'met' if ok else 'NOT met'}**: p95 {v['p95']:.2f} ms at recall@10 "
            f"{v['recall@10']:.3f} (exact: p95 {exact[big]['p95']:.1f} ms).",
        ]
    lines += ["", "### Recall@10 and p95 by nprobe (IVF)", ""]
    if ivf:
        probes = sorted({s["nprobe"] for v in ivf.values() for s in v["sweep"]})
        lines.append(
            "| nprobe | "
            + " | ".join(f"{_n(n)} (nlist {ivf[n]['nlist']})" for n in sorted(ivf))
            + " |"
        )
        lines.append("|---" * (len(ivf) + 1) + "|")
        for p in probes:
            cells = []
            for n in sorted(ivf):
                s = next((s for s in ivf[n]["sweep"] if s["nprobe"] == p), None)
                mark = "**" if p == ivf[n]["nprobe"] else ""
                cells.append(f"{mark}{s['recall@10']:.3f} / {s['p95']:.2f} ms{mark}" if s else "—")
            lines.append(f"| {p} | " + " | ".join(cells) + " |")
        lines += ["", "Bold: the default (nprobe = nlist / 32, at least 8)."]
    if hnsw:
        lines += ["", "### HNSW for comparison: recall@10 / p95 by efSearch", ""]
        lines.append("| efSearch | " + " | ".join(_n(n) for n in sorted(hnsw)) + " |")
        lines.append("|---" * (len(hnsw) + 1) + "|")
        for i, s0 in enumerate(next(iter(hnsw.values()))["sweep"]):
            cells = [
                f"{hnsw[n]['sweep'][i]['recall@10']:.3f} / {hnsw[n]['sweep'][i]['p95']:.2f} ms"
                for n in sorted(hnsw)
            ]
            lines.append(f"| {s0['efSearch']} | " + " | ".join(cells) + " |")
    if grid:
        lines += [
            "",
            "### Around the threshold",
            "",
            "| vectors | exact p50 | exact p95 | exact p99 | exact p95, one core busy | IVF "
            "nlist / nprobe | IVF p95 | IVF recall@10 | IVF build s |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for g in grid:
            e, b, v = g["exact"], g["exact_busy"], g["ivf"]
            lines.append(
                f"| {g['n']:,} | {e['p50']:.2f} | {e['p95']:.2f} | {e['p99']:.2f} | {b['p95']:.2f} "
                f"| {v['nlist']} / {v['nprobe']} | {v['p95']:.2f} | {v['recall@10']:.3f} | "
                f"{v['build_s']:.1f} |"
            )
    lines += [
        "",
        "### One thread or two for a single query (exact search)",
        "",
        'p50 / p95 ms. "One core busy": a process spinning on the other core meanwhile, as a '
        "second web worker or the Celery worker would.",
        "",
        "| vectors | idle, 1 thread | idle, 2 threads | one core busy, 1 thread | "
        "one core busy, 2 threads |",
        "|---|---|---|---|---|",
    ]
    for n in sorted(exact):
        t = exact[n]["threads"]
        cells = [
            f"{t[state][k]['p50']:.2f} / {t[state][k]['p95']:.2f}"
            for state in ("idle", "one core busy")
            for k in ("1", "2")
        ]
        lines.append(f"| {n:,} | " + " | ".join(cells) + " |")
    if ivf:
        lines += [
            "",
            "### Updates and loading (IVF)",
            "",
            'Medians of 5 rounds after a warm-up; "write file" is `save` plus fsync of the '
            "whole index, what publishing a version costs.",
            "",
            "| vectors | replace 100 ms | add 100 ms | remove 100 ms | file MiB | write file s "
            "| load (read) s | load (mmap) s |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for n in sorted(ivf):
            u, ld = ivf[n]["updates"], ivf[n]["load"]
            lines.append(
                f"| {n:,} | {u['replace_100_ms']:.2f} | {u['add_100_ms']:.2f} | "
                f"{u['remove_100_ms']:.2f} | {ivf[n]['file_mb']:,.0f} | {u['save_s']:.2f} | "
                f"{ld['read_s']:.2f} | {ld['mmap_s']:.3f} |"
            )
    if share:
        lines += [
            "",
            f"### Processes sharing one index file ({meta['share_n']:,} vectors, IVF, "
            f"{meta['share_file_mb']:,.0f} MiB)",
            "",
            "Each process loads the file, reads every page of the vectors, runs 200 queries; "
            "then all are measured at once (`/proc/self/smaps_rollup`), minus what the process "
            "used before loading. PSS divides each shared page by the processes mapping it.",
            "",
            "| load | processes | RSS MiB / process | private (anon) MiB / process | "
            "PSS MiB / process | PSS MiB, all processes |",
            "|---|---|---|---|---|---|",
        ]
        for r in sorted(share, key=lambda r: (not r["mmap"], r["processes"])):
            lines.append(
                f"| {'mmap' if r['mmap'] else 'read'} | {r['processes']} | {r['rss_mb']:,.0f} | "
                f"{r['anon_mb']:,.0f} | {r['pss_mb']:,.0f} | {r['total_pss_mb']:,.0f} |"
            )
    if valid:
        lines += [
            "",
            "### The mixture against the real vectors (equal size)",
            "",
            "| vectors | random pair cos | query top-1 cos | query top-10 cos | top-10 − 11th | "
            "IVF recall@10, nprobe 1 / 2 / 4 / 8 / 16 |",
            "|---|---|---|---|---|---|",
        ]
        for r in valid:
            rec = " / ".join(f"{r['recall'][p]:.3f}" for p in ("1", "2", "4", "8", "16"))
            lines.append(
                f"| {r['vectors']} ({r['n']:,}, nlist {r['nlist']}) | {r['random_pair_cos']:.3f} "
                f"| {r['query_top1_cos']:.3f} | {r['query_top10_cos']:.3f} | {r['gap_10_11']:.5f}"
                f" | {rec} |"
            )
    lines += ["", "### Plots", ""]
    lines += [f"![{img}](img/{img})" for img in images]
    return "\n".join(lines) + "\n"


BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


def write_doc(path: Path, block: str) -> None:
    """Replace the generated block of ``path`` (the text around it is written by hand)."""
    text = path.read_text() if path.exists() else f"# Index at scale\n\n{BEGIN}\n{END}\n"
    if BEGIN not in text or END not in text:
        text = text.rstrip() + f"\n\n## Results\n\n{BEGIN}\n{END}\n"
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    path.write_text(f"{head}{BEGIN}\n{block}{END}{tail}")


# -- main -------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--sweep-queries", type=int, default=300)
    parser.add_argument("--hnsw-sizes", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument(
        "--grid", type=int, nargs="*", default=[10_000, 25_000, 50_000, 75_000, 100_000, 200_000]
    )
    parser.add_argument("--processes", type=int, nargs="*", default=[1, 2, 4])
    parser.add_argument("--work", type=Path, default=WORK)
    parser.add_argument("--cache", type=Path, default=WORK / "embeddings.sqlite")
    parser.add_argument("--img", type=Path, default=Path("docs/img"))
    parser.add_argument("--doc", type=Path, default=Path("docs/index-scale.md"))
    parser.add_argument("--no-doc", action="store_true", help="write only the JSON lines")
    parser.add_argument(
        "--replot", action="store_true", help="plots and tables again from the JSON lines"
    )
    args = parser.parse_args()
    if args.replot:
        from matching.vector_index import EXACT_THRESHOLD

        lines = (args.img / "index-scale.jsonl").read_text().splitlines()
        meta, *records = (json.loads(line) for line in lines)
        images = plots(records, args.img, EXACT_THRESHOLD)
        write_doc(args.doc, markdown(records, meta, images))
        return
    started = time.perf_counter()
    args.work.mkdir(parents=True, exist_ok=True)
    args.img.mkdir(parents=True, exist_ok=True)

    import faiss

    from matching.vector_index import EXACT_THRESHOLD

    faiss.omp_set_num_threads(2)
    passages = capability_texts(range(1, 18))
    real, encoded = embed(passages, "passage", args.cache)
    seeds = range(1, 2 + args.queries // 240)
    needs = need_texts(seeds)[: args.queries]
    queries, encoded_q = embed(needs, "query", args.cache)
    queries_path = str(args.work / f"queries-{len(queries)}.npy")
    np.save(queries_path, queries)
    print(f"{len(real):,} real passages, {len(queries):,} queries", file=sys.stderr)
    mixture = Mixture(real)
    largest = max([*args.sizes, *args.grid])
    catalogue = str(args.work / f"catalogue-{largest}.npy")
    synthetic_catalogue(Path(catalogue), largest, mixture)

    records: list[dict] = list(validation(real, mixture, queries))
    for n in sorted(args.sizes):
        truth = str(args.work / f"truth-{n}.npy")
        exact_path = str(args.work / f"exact-{n}.faiss")
        ivf_path = str(args.work / f"ivf-{n}.faiss")
        jobs = [
            (child_exact, catalogue, queries_path, n, truth, exact_path),
            (child_ivf, catalogue, queries_path, n, truth, ivf_path, args.sweep_queries),
        ]
        if n in args.hnsw_sizes:
            jobs.append((child_hnsw, catalogue, queries_path, n, truth, args.sweep_queries))
        for job in jobs:
            records.append(measured(*job))
            shown = {k: v for k, v in records[-1].items() if k != "sweep"}
            print(json.dumps(shown), file=sys.stderr)
        os.unlink(exact_path)
    for n in sorted(args.grid):
        records.append(measured(child_grid, catalogue, queries_path, n, min(args.queries, 500)))
        print(json.dumps(records[-1]), file=sys.stderr)
    share_n = max(args.sizes)
    share_path = str(args.work / f"ivf-{share_n}.faiss")
    if args.processes:
        records.extend(sharing(share_path, queries_path, sorted(args.processes)))

    meta = {
        "section": "meta",
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": "python -m bench.index_scale " + " ".join(sys.argv[1:]),
        "machine": _machine(),
        "model": default_model(),
        "real": len(real),
        "encoded": encoded + encoded_q,
        "components": len(mixture.weights),
        "queries": len(queries),
        "threshold": EXACT_THRESHOLD,
        "share_n": share_n,
        "share_file_mb": os.path.getsize(share_path) / 2**20,
        "total_min": (time.perf_counter() - started) / 60,
    }
    with open(args.img / "index-scale.jsonl", "w") as fh:
        for record in [meta, *records]:
            fh.write(json.dumps(record) + "\n")
    if not args.no_doc:
        images = plots(records, args.img, EXACT_THRESHOLD)
        write_doc(args.doc, markdown(records, meta, images))
    print(f"done in {meta['total_min']:.1f} min", file=sys.stderr)


if __name__ == "__main__":
    main()
