"""Cache-aside: a slow lookup answered from a cache table after the first call.

The classic Redis pattern, inside the process: look in the cache; on a miss, ask the slow
store and keep the answer with a TTL; on a hit, skip the slow store entirely.
"""

import time

import memtables

conn = memtables.connect()
conn.execute(
    "CREATE CACHE TABLE user_cache (key TEXT PRIMARY KEY, value TEXT) "
    "WITH (max_rows = 10000, eviction = 'allkeys-lru', default_ttl = 300)"
)
conn.commit()
cache = conn.cache("user_cache")


def slow_database_lookup(user_id: int) -> str:
    """Pretend to be a slow primary database."""
    time.sleep(0.2)
    return f"user-{user_id}@example.com"


def get_user_email(user_id: int) -> str:
    key = f"user:{user_id}:email"
    value: str | None = cache.get(key)
    if value is None:
        value = slow_database_lookup(user_id)
        cache.set(key, value)  # default TTL: 5 minutes
    return value


for attempt in ("first call (cache miss)", "second call (cache hit)"):
    t0 = time.perf_counter()
    email = get_user_email(42)
    ms = (time.perf_counter() - t0) * 1000
    print(f"{attempt}: {email} in {ms:.2f} ms")

stats = cache.stats()
print(f"hits={stats['hits']} misses={stats['misses']} hit rate={stats['hit_rate']:.0%}")


# The same in one line with the decorator:
@memtables.cached(conn, ttl=300)
def user_profile(user_id: int) -> dict[str, object]:
    time.sleep(0.2)
    return {"id": user_id, "email": f"user-{user_id}@example.com"}


for attempt in ("decorated, miss", "decorated, hit"):
    t0 = time.perf_counter()
    user_profile(7)
    print(f"{attempt}: {(time.perf_counter() - t0) * 1000:.2f} ms")
