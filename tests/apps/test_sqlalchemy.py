"""SQLAlchemy 2 (Core and ORM) with psycopg 3 and its QueuePool under 100 green threads, in a
monkey-patched child process: the pool limit (pool_size + max_overflow) holds, in the pool and in
pg_stat_activity; no connection is ever used by two green threads at once; a checkout that waits
longer than pool_timeout raises sqlalchemy.exc.TimeoutError; nothing deadlocks."""

import json
import uuid

import pytest

from apps_support import need, run_python

pytestmark = pytest.mark.one_backend

SCRIPT = r"""
import json, sys, threading, time
import fasthub
fasthub.monkey_patch()

import psycopg
import sqlalchemy as sa
from sqlalchemy import event, exc, func, select, text
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

dsn, schema, app_name = sys.argv[1:4]
url = dsn.replace("postgresql://", "postgresql+psycopg://", 1)
connect_args = {"application_name": app_name, "options": f"-c search_path={schema}"}
engine = sa.create_engine(url, pool_size=5, max_overflow=5, pool_timeout=20,
                          connect_args=connect_args)
LIMIT = 10

# Who holds each DBAPI connection: checked on checkout and on every statement.
holders, violations, peak = {}, [], [0]

@event.listens_for(engine, "checkout")
def checkout(dbapi_conn, record, proxy):
    if id(dbapi_conn) in holders:
        violations.append("checked out twice")
    holders[id(dbapi_conn)] = threading.get_ident()
    peak[0] = max(peak[0], len(holders))

@event.listens_for(engine, "checkin")
def checkin(dbapi_conn, record):
    holders.pop(id(dbapi_conn), None)

@event.listens_for(engine, "before_cursor_execute")
def before_execute(conn, cursor, statement, parameters, context, executemany):
    if holders.get(id(conn.connection.dbapi_connection)) != threading.get_ident():
        violations.append(f"statement on a connection another green thread holds: {statement}")

# This engine's backends in pg_stat_activity, sampled while the work runs (own connection).
samples, stop = [], threading.Event()
def sample():
    with psycopg.connect(dsn, autocommit=True) as c:
        while not stop.is_set():
            samples.append(c.execute("SELECT count(*) FROM pg_stat_activity"
                                     " WHERE application_name = %s", [app_name]).fetchone()[0])
            time.sleep(0.02)
sampler = threading.Thread(target=sample)
sampler.start()

def run_threads(fn, n=100):
    # n green threads (threading is patched); all must finish: a deadlock fails here, named.
    errors = []
    def guarded(i):
        try:
            fn(i)
        except Exception as e:
            errors.append(repr(e))
    threads = [threading.Thread(target=guarded, args=(i,)) for i in range(n)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not any(t.is_alive() for t in threads), "green threads still running after 30 s"
    assert errors == [], errors[:3]
    return time.monotonic() - t0

# Core: 100 green threads, each waits 0.1 s in PostgreSQL; 10 connections: ~1 s, 10 s serially.
results = {}
def core(i):
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_sleep(0.1)"))
        results[i] = conn.execute(text("SELECT :i * 2"), {"i": i}).scalar_one()
core_elapsed = run_threads(core)
assert results == {i: 2 * i for i in range(100)}

# ORM: 100 green threads insert and read back through Sessions.
class Base(DeclarativeBase):
    pass

class Item(Base):
    __tablename__ = "items"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str]
    n: Mapped[int]

Base.metadata.create_all(engine)
def orm(i):
    with Session(engine) as s, s.begin():
        s.add(Item(name=f"item-{i}", n=i))
        s.flush()
        s.execute(select(func.pg_sleep(0.05)))
    with Session(engine) as s:
        assert s.scalars(select(Item.n).where(Item.name == f"item-{i}")).one() == i
orm_elapsed = run_threads(orm)
with Session(engine) as s:
    assert s.scalar(select(func.count(Item.id))) == 100
    assert s.scalar(select(func.sum(Item.n))) == sum(range(100))
stop.set()
sampler.join()

# Checkout timeout: a pool of 2 with both connections held; a third checkout gives up after 0.3 s.
small = sa.create_engine(url, pool_size=2, max_overflow=0, pool_timeout=0.3,
                         connect_args=connect_args)
release, held, outcome = threading.Event(), [], {}
def hold():
    with small.connect() as conn:
        conn.execute(text("SELECT 1"))
        held.append(1)
        release.wait(10)
holders_ = [threading.Thread(target=hold) for _ in range(2)]
for t in holders_:
    t.start()
while len(held) < 2:
    time.sleep(0.01)
t0 = time.monotonic()
try:
    small.connect()
except exc.TimeoutError as e:
    outcome["timeout"] = time.monotonic() - t0
release.set()
for t in holders_:
    t.join(10)
with small.connect() as conn:   # free again
    assert conn.execute(text("SELECT 7")).scalar_one() == 7
small.dispose()
engine.dispose()

print(json.dumps({"violations": violations, "peak_checked_out": peak[0],
                  "peak_backends": max(samples), "core_elapsed": core_elapsed,
                  "orm_elapsed": orm_elapsed, "checkout_timeout": outcome.get("timeout")}))
"""


@pytest.fixture
def schema(pg_dsn):
    psycopg = need("psycopg")
    name = f"fasthub_apps_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_dsn, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {name}")
        try:
            yield name
        finally:
            admin.execute(f"DROP SCHEMA {name} CASCADE")


def test_queuepool_under_100_green_threads(pg_dsn, schema):
    need("sqlalchemy")
    app_name = f"fasthub-apps-sqla-{uuid.uuid4().hex[:8]}"
    out = run_python(SCRIPT, args=[pg_dsn, schema, app_name], timeout=90)
    report = json.loads(out.strip().splitlines()[-1])
    assert report["violations"] == []
    assert 2 <= report["peak_checked_out"] <= 10, report      # pool_size 5 + max_overflow 5
    assert 2 <= report["peak_backends"] <= 10, report
    assert report["core_elapsed"] < 5.0, report              # 10 s if the queries did not overlap
    assert report["orm_elapsed"] < 5.0, report
    assert report["checkout_timeout"] is not None, "no sqlalchemy.exc.TimeoutError was raised"
    assert 0.25 <= report["checkout_timeout"] < 2.0, report
