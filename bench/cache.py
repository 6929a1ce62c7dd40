"""Cache figures: the key-value face beside cachetools (the in-process yardstick), the face
and SQL point reads beside redis-py on a local redis-server (127.0.0.1, started and stopped
here), and hit rates of each eviction policy under a Zipf workload.

``python -m bench cache --only cachetools`` runs the first table alone. cachetools, redis-py
(both in the ``bench`` extra) and redis-server (``apt-get install redis-server``) are
optional: without one, its column is skipped with a note.
"""

from __future__ import annotations

import random
import shutil
import socket
import subprocess
import tempfile
import time

import memtables

from .harness import best_time, human

N_KEYS = 10_000
OPS = 20_000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """A throwaway redis-server on loopback, or None when it cannot be had."""

    def __init__(self) -> None:
        self.proc = None
        self.client = None
        self.reason = ""
        exe = shutil.which("redis-server")
        if exe is None:
            self.reason = "redis-server not installed (apt-get install redis-server)"
            return
        try:
            import redis
        except ImportError:
            self.reason = "redis-py not installed (pip install redis)"
            return
        self.dir = tempfile.mkdtemp(prefix="memtables-redis-")
        port = _free_port()
        self.proc = subprocess.Popen(
            [
                exe,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.dir,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(host="127.0.0.1", port=port)
        for _ in range(100):
            try:
                client.ping()
                self.client = client
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        if self.client is None:
            self.reason = "redis-server did not start"
            self.stop()

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait()
            self.proc = None
            shutil.rmtree(self.dir, ignore_errors=True)


def _keys() -> list[str]:
    rnd = random.Random(9)
    return [f"key:{rnd.randrange(N_KEYS)}" for _ in range(OPS)]


def memtables_figures() -> dict:
    conn = memtables.connect()
    conn.execute("CREATE CACHE TABLE kv (key TEXT PRIMARY KEY, value TEXT)")
    conn.commit()
    kv = conn.cache("kv")
    for i in range(N_KEYS):
        kv.set(f"key:{i}", f"value-{i}")
    keys = _keys()
    out = {}

    def sets() -> int:
        for k in keys:
            kv.set(k, "v")
        return len(keys)

    def gets() -> int:
        for k in keys:
            kv.get(k)
        return len(keys)

    cur = conn.cursor()

    def sql_gets() -> int:
        for k in keys:
            cur.execute("SELECT value FROM kv WHERE key = ?", (k,))
            cur.fetchone()
        return len(keys)

    batches = [keys[i : i + 100] for i in range(0, len(keys), 100)]

    def many() -> int:
        for b in batches:
            kv.get_many(b)
        return len(keys)

    out["kv.set, one by one"] = best_time(sets)
    out["kv.get, one by one"] = best_time(gets)
    out["SQL point get (execute+fetchone)"] = best_time(sql_gets)
    out["get_many of 100, per key"] = best_time(many)
    return out


def kv_table(bound: int, ttl: float | None = None):
    """A non-durable cache table with an LRU bound of ``bound`` rows, as a key-value face."""
    conn = memtables.connect()
    conn.execute(
        "CREATE CACHE TABLE kv (key TEXT PRIMARY KEY, value TEXT) "
        f"WITH (max_rows = {bound}, eviction = 'allkeys-lru')"
    )
    conn.commit()
    return conn.cache("kv")


def cachetools_figures() -> list[tuple[str, float, float | None, str]]:
    """(operation, memtables time, cachetools time, cachetools operation), per operation:
    the same keys through ``kv`` on an LRU-bounded cache table and through cachetools'
    ``LRUCache``/``TTLCache`` of the same bound, each filled with every key first."""
    try:
        import cachetools
    except ImportError:
        cachetools = None
    keys = _keys()
    filled = [(f"key:{i}", f"value-{i}") for i in range(N_KEYS)]
    out = []

    def add(name: str, mt_fn, ct_fn, ct_name: str) -> None:
        # alternated, best of 7 each: both sides see the same moments of a shared machine
        mt = ct = float("inf")
        for _ in range(7):
            mt = min(mt, best_time(mt_fn, repeat=1))
            if ct_fn is not None:
                ct = min(ct, best_time(ct_fn, repeat=1))
        out.append((name, mt, ct if ct_fn is not None else None, ct_name))

    kv = kv_table(N_KEYS)
    for k, v in filled:
        kv.set(k, v)
    lru = ttl = None
    if cachetools is not None:
        lru = cachetools.LRUCache(maxsize=N_KEYS)
        ttl = cachetools.TTLCache(maxsize=N_KEYS, ttl=60)
        for k, v in filled:
            lru[k] = v
            ttl[k] = v

    def kv_gets() -> int:
        get = kv.get
        for k in keys:
            get(k)
        return len(keys)

    def lru_gets() -> int:
        get = lru.get
        for k in keys:
            get(k)
        return len(keys)

    def kv_sets() -> int:
        put = kv.set
        for k in keys:
            put(k, "v")
        return len(keys)

    def kv_sets_ttl() -> int:
        put = kv.set
        for k in keys:
            put(k, "v", ttl=60)
        return len(keys)

    def ttl_sets() -> int:
        put = ttl.__setitem__
        for k in keys:
            put(k, "v")
        return len(keys)

    has = cachetools is not None
    add("kv.get", kv_gets, lru_gets if has else None, "LRUCache.get")
    add("kv.set", kv_sets, ttl_sets if has else None, "TTLCache[k] = v")
    add("kv.set(ttl=60)", kv_sets_ttl, ttl_sets if has else None, "TTLCache[k] = v")

    # a bound of half the keys: about every other write evicts the least recently used key
    half = N_KEYS // 2
    kv = kv_table(half)
    small = cachetools.TTLCache(maxsize=half, ttl=60) if has else None

    def kv_evicting() -> int:
        put = kv.set
        for k in keys:
            put(k, "v", ttl=60)
        return len(keys)

    def ttl_evicting() -> int:
        put = small.__setitem__
        for k in keys:
            put(k, "v")
        return len(keys)

    add("kv.set(ttl=60), evicting", kv_evicting, ttl_evicting if has else None, "TTLCache[k] = v")
    return out


def print_cachetools() -> None:
    """The key-value face beside cachetools, as a table of ratios."""
    print(
        f"Key-value face on a non-durable cache table (LRU bound of {N_KEYS:,} rows) "
        "beside cachetools, per operation:"
    )
    rows = cachetools_figures()
    head = f"{'operation':28} {'memtables':>10} {'cachetools':>11} {'as':18} {'ratio':>7}"
    print(head)
    print("-" * len(head))
    for name, mt, ct, ct_name in rows:
        ratio = f"{mt / ct:6.2f}x" if ct else "-".rjust(7)
        print(f"{name:28} {human(mt):>10} {human(ct) if ct else '-':>11} {ct_name:18} {ratio}")
    if rows and rows[0][2] is None:
        print("(cachetools column skipped: pip install cachetools, or the bench extra)")


def redis_figures(client) -> dict:
    client.flushall()
    pipe = client.pipeline(transaction=False)
    for i in range(N_KEYS):
        pipe.set(f"key:{i}", f"value-{i}")
    pipe.execute()
    keys = _keys()[:5000]
    batches = [keys[i : i + 100] for i in range(0, len(keys), 100)]

    def sets() -> int:
        for k in keys:
            client.set(k, "v")
        return len(keys)

    def gets() -> int:
        for k in keys:
            client.get(k)
        return len(keys)

    def many() -> int:
        for b in batches:
            p = client.pipeline(transaction=False)
            for k in b:
                p.get(k)
            p.execute()
        return len(keys)

    return {
        "kv.set, one by one": best_time(sets),
        "kv.get, one by one": best_time(gets),
        "SQL point get (execute+fetchone)": None,
        "get_many of 100, per key": best_time(many),
    }


def zipf_hit_rates(n_keys: int = 20_000, ops: int = 100_000, s: float = 1.0) -> dict:
    """Hit rate of a read-through cache holding 10% of the keys, per policy."""
    rnd = random.Random(4)
    weights = [1 / (i + 1) ** s for i in range(n_keys)]
    stream = rnd.choices(range(n_keys), weights=weights, k=ops)
    ttl_for = {k: (60 if k % 2 == 0 else None) for k in range(n_keys)}  # half with a TTL
    out = {}
    for policy in memtables.cache_policies():
        conn = memtables.connect()
        conn.execute(
            f"CREATE CACHE TABLE z (k INTEGER PRIMARY KEY, v INTEGER) "
            f"WITH (max_rows = {n_keys // 10}, eviction = '{policy}')"
        )
        conn.commit()
        kv = conn.cache("z")
        refused = 0
        for k in stream:
            if kv.get(k) is None:
                try:
                    kv.set(k, k, ttl=ttl_for[k])
                except memtables.OperationalError:
                    refused += 1
        st = kv.stats()
        out[policy] = (st["hit_rate"], refused)
        conn.close()
    return out


def run(only: list[str] | None = None) -> None:
    """Every cache table, or those named in ``only`` (cachetools, redis, zipf)."""
    for name, show in (("cachetools", print_cachetools), ("redis", print_redis)):
        if not only or name in only:
            show()
            print()
    if not only or "zipf" in only:
        print_zipf()


def print_redis() -> None:
    """The key-value face and SQL point reads beside redis-py."""
    print(f"Key-value operations on {N_KEYS:,} keys, per operation:")
    mt = memtables_figures()
    server = RedisServer()
    try:
        rd = redis_figures(server.client) if server.client is not None else None
    finally:
        server.stop()
    head = f"{'operation':36} {'memtables':>11} {'redis-py':>11} {'redis/memtables':>16}"
    print(head)
    print("-" * len(head))
    for name, t in mt.items():
        r = rd.get(name) if rd else None
        ratio = f"{r / t:15.1f}x" if r else "-".rjust(16)
        print(f"{name:36} {human(t):>11} {human(r) if r else '-':>11} {ratio}")
    if rd is None:
        print(f"(Redis column skipped: {server.reason})")


def print_zipf() -> None:
    """Hit rates of each eviction policy under a Zipf workload."""
    print("Zipf workload (s=1.0), cache of 10% of 20,000 keys, half of them with a TTL:")
    for policy, (rate, refused) in zipf_hit_rates().items():
        note = f"  ({refused:,} writes refused)" if refused else ""
        print(f"  {policy:16} hit rate {rate:6.1%}{note}")
