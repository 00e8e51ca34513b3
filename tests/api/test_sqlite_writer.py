"""SQLite's writers take turns on a lock beside the database file (api.db.sqlite_writer): held
from a transaction's first write until it commits or rolls back, whichever thread ends it;
reads never wait for it; engines (as server processes do) queue on it and none loses a
write."""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from api.db.session import make_engine


@pytest.fixture
def database(tmp_path: Path) -> Iterator[tuple[Path, Engine]]:
    path = tmp_path / "ohms.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER)"))
        connection.execute(text("INSERT INTO counter VALUES (1, 0)"))
    yield path, engine
    engine.dispose()


def lock_is_free(path: Path) -> bool:
    """Whether another process's writer could take the lock now (a new open file
    description competes for the flock as another process would)."""
    fd = os.open(f"{path}-writer.lock", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)  # closing lets go of a lock taken here
    return True


def test_a_transaction_holds_the_lock_from_its_first_write_until_it_commits(
        database: tuple[Path, Engine]) -> None:
    path, engine = database
    with engine.connect() as connection:
        connection.execute(text("SELECT n FROM counter"))
        assert lock_is_free(path)  # reads take no turn
        connection.execute(text("UPDATE counter SET n = n + 1"))
        assert not lock_is_free(path)
        connection.commit()
        assert lock_is_free(path)


@pytest.mark.parametrize("end", ["rollback", "close", "failed statement"])
def test_the_lock_is_let_go_however_the_transaction_ends(
        database: tuple[Path, Engine], end: str) -> None:
    path, engine = database
    connection = engine.connect()
    if end == "failed statement":
        # Refused before pysqlite began a transaction: nothing is held after it.
        with pytest.raises(Exception, match="no such table"):
            connection.execute(text("INSERT INTO missing VALUES (1)"))
        assert lock_is_free(path)
        connection.close()
        return
    connection.execute(text("UPDATE counter SET n = 99"))
    assert not lock_is_free(path)
    if end == "rollback":
        connection.rollback()
    connection.close()  # returned to the pool, which rolls back
    assert lock_is_free(path)
    with engine.connect() as again:
        assert again.execute(text("SELECT n FROM counter")).scalar_one() == 0


def test_a_transaction_written_in_one_thread_and_committed_in_another_lets_go(
        database: tuple[Path, Engine]) -> None:
    """As a request's session is: written in one pool thread, committed in another."""
    path, engine = database
    connection = engine.connect()
    with ThreadPoolExecutor(max_workers=1) as one, ThreadPoolExecutor(max_workers=1) as other:
        one.submit(connection.execute, text("UPDATE counter SET n = 7")).result()
        assert not lock_is_free(path)
        other.submit(connection.commit).result()
    assert lock_is_free(path)
    connection.close()
    with engine.connect() as again:
        assert again.execute(text("SELECT n FROM counter")).scalar_one() == 7


def test_a_reader_goes_on_while_a_writer_holds_the_lock(
        database: tuple[Path, Engine]) -> None:
    path, engine = database
    with engine.connect() as writer, engine.connect() as reader:
        writer.execute(text("UPDATE counter SET n = 5"))
        assert not lock_is_free(path)
        assert reader.execute(text("SELECT n FROM counter")).scalar_one() == 0  # WAL
        writer.commit()
        assert reader.execute(text("SELECT n FROM counter")).scalar_one() == 5


def test_a_second_engine_waits_its_turn_and_goes_as_soon_as_the_first_commits(
        database: tuple[Path, Engine]) -> None:
    """Another engine stands for another server process: its write waits on the lock (not in
    SQLite's busy handler) while the first holds it, and runs once the first commits."""
    path, engine = database
    second = make_engine(f"sqlite:///{path}")
    try:
        first = engine.connect()
        first.execute(text("UPDATE counter SET n = n + 1"))
        started, finished = threading.Event(), threading.Event()

        def write() -> None:
            with second.begin() as connection:
                started.set()
                connection.execute(text("UPDATE counter SET n = n * 10"))
            finished.set()

        worker = threading.Thread(target=write)
        worker.start()
        assert started.wait(10)
        assert not finished.wait(0.3)  # its turn has not come
        first.commit()
        first.close()
        assert finished.wait(10)
        worker.join()
        with engine.connect() as connection:
            assert connection.execute(text("SELECT n FROM counter")).scalar_one() == 10
    finally:
        second.dispose()


def test_writers_of_two_engines_and_many_threads_lose_no_update(
        database: tuple[Path, Engine]) -> None:
    path, engine = database
    second = make_engine(f"sqlite:///{path}")

    def add(which: Engine) -> None:
        for _ in range(25):
            with which.begin() as connection:
                n = connection.execute(text("SELECT n FROM counter")).scalar_one()
                # Read before the write, outside its transaction (pysqlite begins at the
                # write): the conditional UPDATE is what keeps the count right.
                done = connection.execute(
                    text("UPDATE counter SET n = :new WHERE n = :old"),
                    {"new": n + 1, "old": n}).rowcount
                if not done:
                    connection.execute(text("UPDATE counter SET n = n + 1"))

    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            for future in [pool.submit(add, engine if i % 2 else second) for i in range(8)]:
                future.result()
        with engine.connect() as connection:
            assert connection.execute(text("SELECT n FROM counter")).scalar_one() == 200
        assert lock_is_free(path)
    finally:
        second.dispose()
