"""Create a table, load it, query it and handle an error: the first ten minutes with memtables."""

import memtables

conn = memtables.connect()
conn.execute(
    "CREATE TABLE books (id INTEGER PRIMARY KEY, title TEXT NOT NULL, year INTEGER, rating REAL)"
)
conn.executemany(
    "INSERT INTO books (title, year, rating) VALUES (?, ?, ?)",
    [
        ("The C Programming Language", 1978, 4.6),
        ("Structure and Interpretation of Computer Programs", 1985, 4.7),
        ("Designing Data-Intensive Applications", 2017, 4.8),
        ("Readings in Database Systems", 1988, None),
    ],
)
conn.commit()

print("Books after 1980, best first:")
for title, year, rating in conn.execute(
    "SELECT title, year, rating FROM books WHERE year > ? ORDER BY rating DESC", (1980,)
):
    print(f"  {year}  {title}  ({'unrated' if rating is None else rating})")

count, avg = conn.execute("SELECT count(*), avg(rating) FROM books").fetchone()
print(f"{count} books, average rating {avg:.2f}")

try:
    conn.execute("INSERT INTO books (id, title) VALUES (1, 'Duplicate')")
except memtables.IntegrityError as e:
    print(f"refused: {e}")
conn.close()
