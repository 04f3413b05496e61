"""A reliable spout: every id from 0 to ``reliable.ids`` - 1 reaches the end of the topology at
least once, through failed tuples, timeouts and killed processes.

* Each id is emitted with itself as message id, so Storm reports its tuple tree back: ``ack``
  when every bolt acked it, ``fail`` when one failed it or ``topology.message.timeout.secs``
  passed.
* A failed id goes back to the front of the queue and is emitted again.
* Acked ids are written to SQLite (``<reliable.dir>/spout-<index>.db``) before anything else
  happens, so a spout process that is killed (and with it, in Storm, its whole worker) starts
  again with every id that was not acked yet: in-flight ids are replayed, never lost. Ids that
  reached the sink but whose ack had not been written yet arrive twice: at-least-once.
* At most ``reliable.max_pending`` ids are in flight (on top of ``topology.max.spout.pending``);
  ``reliable.rate`` (ids per second, 0 = unlimited) paces the run.
* With ``par`` > 1 each spout task owns the ids ``i`` with ``i % tasks == its index``.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections import deque

from streamparse import Spout


def write_pid_file(directory, component, task):
    """``<directory>/pid-<component>-<task>`` holds this process's pid (for fault tests)."""
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, f"pid-{component}-{task}")
    with open(path + ".tmp", "w") as out:
        out.write(str(os.getpid()))
    os.replace(path + ".tmp", path)


def open_db(path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    db = sqlite3.connect(path, isolation_level=None)  # autocommit: every statement is durable
    db.execute("PRAGMA journal_mode=WAL")  # survives a killed process; readers do not block
    db.execute("PRAGMA synchronous=NORMAL")
    return db


class IdSpout(Spout):
    outputs = ["id"]

    def initialize(self, conf, context):
        directory = conf["reliable.dir"]
        self.total = int(conf["reliable.ids"])
        self.max_pending = int(conf.get("reliable.max_pending", 500))
        self.rate = float(conf.get("reliable.rate", 0))
        mine = sorted(
            int(task)
            for task, component in context["task->component"].items()
            if component == self.component_name
        )
        index, tasks = mine.index(int(self.task_id)), len(mine)
        self.db = open_db(os.path.join(directory, f"spout-{index}.db"))
        self.db.execute("CREATE TABLE IF NOT EXISTS acked (id INTEGER PRIMARY KEY)")
        acked = {row[0] for row in self.db.execute("SELECT id FROM acked")}
        self.todo = deque(i for i in range(index, self.total, tasks) if i not in acked)
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS starts (pid INTEGER, acked INTEGER, todo INTEGER)"
        )
        self.db.execute(
            "INSERT INTO starts VALUES (?, ?, ?)", (os.getpid(), len(acked), len(self.todo))
        )
        self.pending = set()
        self.emitted = 0
        self.started = time.monotonic()
        self.logger.info(
            "ids %d..%d step %d: %d acked before, %d to emit",
            index, self.total - 1, tasks, len(acked), len(self.todo),
        )  # fmt: skip
        write_pid_file(directory, self.component_name, self.task_id)

    def next_tuple(self):
        if not self.todo or len(self.pending) >= self.max_pending:
            return
        if self.rate and self.emitted >= (time.monotonic() - self.started) * self.rate:
            return
        tup_id = self.todo.popleft()
        self.pending.add(tup_id)
        self.emitted += 1
        self.emit([tup_id], tup_id=tup_id)

    def ack(self, tup_id):
        tup_id = int(tup_id)
        self.pending.discard(tup_id)
        self.db.execute("INSERT OR IGNORE INTO acked (id) VALUES (?)", (tup_id,))

    def fail(self, tup_id):
        tup_id = int(tup_id)
        if tup_id in self.pending:
            self.pending.discard(tup_id)
            self.todo.appendleft(tup_id)  # replay it next
