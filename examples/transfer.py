"""Money moves between accounts in transactions; a failed transfer leaves no trace."""

import memtables

db = memtables.open()
conn = db.connect()
conn.execute(
    "CREATE TABLE accounts (name TEXT PRIMARY KEY, balance INTEGER NOT NULL CHECK (balance >= 0))"
)
conn.execute("INSERT INTO accounts VALUES ('alice', 100), ('bob', 50)")
conn.commit()


def transfer(src: str, dst: str, amount: int) -> None:
    with conn:  # commits on success, rolls back on any error
        conn.execute("UPDATE accounts SET balance = balance - ? WHERE name = ?", (amount, src))
        conn.execute("UPDATE accounts SET balance = balance + ? WHERE name = ?", (amount, dst))


transfer("alice", "bob", 30)
try:
    transfer("bob", "alice", 500)  # would overdraw bob: the CHECK constraint refuses it
except memtables.IntegrityError as e:
    print(f"transfer refused: {e}")

auditor = db.connect()  # a second connection sees only committed data
for name, balance in auditor.execute("SELECT name, balance FROM accounts ORDER BY name"):
    print(f"{name}: {balance}")
print("total:", auditor.execute("SELECT sum(balance) FROM accounts").fetchone()[0])
db.close()
