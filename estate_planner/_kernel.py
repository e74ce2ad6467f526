"""Compiled bounded Dijkstra over a CSR graph (numba), parallel over sources.

Before searching, chains of pass-through nodes (degree-2 street shape points that are
neither sources nor targets) are merged into single edges (:func:`contract_chains`);
each merged edge keeps its links' times and the kernel adds them in order, so times
equal a search over the original graph bit for bit, while the heap sees only junctions.

Why not scipy's ``dijkstra(limit=...)``: it allocates and clears a full distance row
per source, so a 30-minute search on a 1M-node graph pays for 1M nodes even when it
settles 50k. Here each thread keeps one distance array and resets only the nodes it
touched, so a bounded search costs what it settles. The queue is a 4-ary heap whose
entries pack (time, node) side by side, so each comparison reads one cache line;
node indices are int32 where the graph allows, halving memory traffic.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

INF = np.inf


@njit(cache=True, inline="always")
def _push(heap, size, d, n):
    i = size
    while i > 0:
        parent = (i - 1) >> 2
        if heap[parent, 0] <= d:
            break
        heap[i, 0] = heap[parent, 0]
        heap[i, 1] = heap[parent, 1]
        i = parent
    heap[i, 0] = d
    heap[i, 1] = n
    return size + 1


@njit(cache=True, inline="always")
def _pop(heap, size):
    top_d = heap[0, 0]
    top_n = heap[0, 1]
    size -= 1
    d = heap[size, 0]
    n = heap[size, 1]
    i = 0
    while True:
        first = 4 * i + 1
        if first >= size:
            break
        best = first
        best_d = heap[first, 0]
        for c in range(first + 1, min(first + 4, size)):
            if heap[c, 0] < best_d:
                best_d = heap[c, 0]
                best = c
        if d <= best_d:
            break
        heap[i, 0] = best_d
        heap[i, 1] = heap[best, 1]
        i = best
    heap[i, 0] = d
    heap[i, 1] = n
    return top_d, int(top_n), size


@njit(cache=True)
def _one_source(indptr, indices, first, ext, more, source, limit, dist, touched, heap):
    """Dijkstra from ``source`` up to ``limit``; returns how many nodes it touched.

    Edge ``k`` is a run of street links: the first takes ``first[k]`` seconds, the
    rest ``more[ext[k]:ext[k + 1]]`` (none for most edges). They are added one by one,
    in order, so a time is the same float sum a search of the uncontracted graph makes.
    """
    n_touched = 0
    dist[source] = 0.0
    touched[n_touched] = source
    n_touched += 1
    size = _push(heap, 0, 0.0, source)
    while size > 0:
        d, u, size = _pop(heap, size)
        if d > dist[u]:
            continue
        for k in range(indptr[u], indptr[u + 1]):
            v = indices[k]
            nd = d + first[k]
            for j in range(ext[k], ext[k + 1]):
                nd += more[j]
            if nd <= limit and nd < dist[v]:
                if dist[v] == INF:
                    touched[n_touched] = v
                    n_touched += 1
                dist[v] = nd
                size = _push(heap, size, nd, v)
    return n_touched


@njit(cache=True, parallel=True)
def bounded_times(
    indptr, indices, first, ext, more, sources, target_node, target_col, limit, n_threads,
    cols, times,
):  # fmt: skip
    """Times from each source to the targets it reaches within ``limit``.

    ``target_node[c]`` is the node of output column ``c``; ``target_col[node]`` is the
    reverse (or -1). Row ``s`` is written to ``cols`` and ``times`` from offset
    ``s * n_targets``, columns ascending (arrays the caller allocates uninitialised,
    so only what is written costs memory). Returns the count per source. Sources are
    dealt to the threads in turn, so each gets a like mix of large and small searches.
    """
    n_nodes = indptr.shape[0] - 1
    n_src = sources.shape[0]
    n_targets = target_node.shape[0]
    counts = np.zeros(n_src, np.int64)
    for b in prange(n_threads):
        dist = np.full(n_nodes, INF)
        touched = np.empty(n_nodes, indices.dtype)
        heap = np.empty((indices.shape[0] + 1, 2))
        for s in range(b, n_src, n_threads):
            n_touched = _one_source(
                indptr, indices, first, ext, more, sources[s], limit, dist, touched, heap
            )
            at = s * n_targets
            found = 0
            if 4 * n_touched > n_targets:
                # a search reaching much of the graph: read the targets in column order
                for c in range(n_targets):
                    d = dist[target_node[c]]
                    if d < INF:
                        cols[at + found] = c
                        times[at + found] = d
                        found += 1
            else:
                for t in range(n_touched):
                    col = target_col[touched[t]]
                    if col >= 0:
                        cols[at + found] = col
                        times[at + found] = dist[touched[t]]
                        found += 1
                order = np.argsort(cols[at : at + found])
                row_cols = cols[at : at + found][order]
                row_times = times[at : at + found][order]
                cols[at : at + found] = row_cols
                times[at : at + found] = row_times
            for t in range(n_touched):
                dist[touched[t]] = INF
            counts[s] = found
    return counts


@njit(cache=True, parallel=True)
def compact_rows(cols, times, counts, n_targets, row_ptr):
    """Gather rows written at ``s * n_targets`` into CSR ``indices`` and ``data``."""
    total = row_ptr[-1]
    indices = np.empty(total, cols.dtype)
    data = np.empty(total, np.float64)
    for s in prange(counts.shape[0]):
        src = s * n_targets
        dst = row_ptr[s]
        for i in range(counts[s]):
            indices[dst + i] = cols[src + i]
            data[dst + i] = times[src + i]
    return indices, data


@njit(cache=True)
def contract_chains(indptr, indices, weights, keep):
    """Merge chains of pass-through nodes into single edges, keeping every time exact.

    A node is passed through when it is not in ``keep`` and either has one way in and
    one way out to two different nodes, or links both ways to exactly two nodes (a
    two-way street with no junction). Each edge of the result records the times of
    the links it replaces (``first``, then ``more[ext[k]:ext[k + 1]]``), added in order
    by the kernel. Returns (indptr, indices, first, ext, more, new index of each kept
    node or -1).
    """
    n = indptr.shape[0] - 1
    in_deg = np.zeros(n, np.int64)
    in_a = np.full(n, -1, np.int64)
    in_b = np.full(n, -1, np.int64)
    for u in range(n):
        for k in range(indptr[u], indptr[u + 1]):
            v = indices[k]
            if in_deg[v] == 0:
                in_a[v] = u
            elif in_deg[v] == 1:
                in_b[v] = u
            in_deg[v] += 1
    through = np.zeros(n, np.bool_)
    for v in range(n):
        if keep[v]:
            continue
        out_deg = indptr[v + 1] - indptr[v]
        if out_deg == 1 and in_deg[v] == 1:
            w = indices[indptr[v]]
            through[v] = w != in_a[v] and w != v
        elif out_deg == 2 and in_deg[v] == 2:
            a = indices[indptr[v]]
            b = indices[indptr[v] + 1]
            through[v] = (
                a != b
                and a != v
                and b != v
                and ((a == in_a[v] and b == in_b[v]) or (a == in_b[v] and b == in_a[v]))
            )
    new_id = np.full(n, -1, np.int64)
    m = 0
    for v in range(n):
        if not through[v]:
            new_id[v] = m
            m += 1
    out_ptr = np.zeros(m + 1, np.int64)
    out_idx = np.empty(indices.shape[0], np.int64)
    first = np.empty(indices.shape[0], np.float64)
    ext = np.zeros(indices.shape[0] + 1, np.int64)
    more = np.empty(weights.shape[0], np.float64)
    n_edges = 0
    n_more = 0
    for u in range(n):
        if through[u]:
            continue
        for k in range(indptr[u], indptr[u + 1]):
            prev = u
            cur = indices[k]
            steps = 0
            while through[cur] and steps < n:
                start = indptr[cur]
                nxt = indices[start]
                step = weights[start]
                if nxt == prev and indptr[cur + 1] - start == 2:
                    nxt = indices[start + 1]
                    step = weights[start + 1]
                more[n_more] = step
                n_more += 1
                prev = cur
                cur = nxt
                steps += 1
            if cur == u:  # a loop back to where it started shortens nothing
                n_more = ext[n_edges]
                continue
            out_idx[n_edges] = new_id[cur]
            first[n_edges] = weights[k]
            n_edges += 1
            ext[n_edges] = n_more
        out_ptr[new_id[u] + 1] = n_edges
    return (
        out_ptr,
        out_idx[:n_edges],
        first[:n_edges],
        ext[: n_edges + 1],
        more[:n_more],
        new_id,
    )


@njit(cache=True, parallel=True)
def reduced_costs(indptr, indices, cost, lam):
    """Per site (CSR row), the sum over its pairs of ``min(0, cost - lam[demand])``."""
    n = indptr.shape[0] - 1
    out = np.zeros(n)
    for j in prange(n):
        total = 0.0
        for p in range(indptr[j], indptr[j + 1]):
            r = cost[p] - lam[indices[p]]
            if r < 0.0:
                total += r
        out[j] = total
    return out
