"""The sink: records every id it receives in SQLite (``<reliable.dir>/sink-<task>.db``),
durably, before the tuple is acked. Duplicates are kept, so they can be counted."""

from __future__ import annotations

import os

from spouts.ids import open_db, write_pid_file

from streamparse import Bolt


class RecordBolt(Bolt):
    outputs = []

    def initialize(self, conf, context):
        directory = conf["reliable.dir"]
        self.db = open_db(os.path.join(directory, f"sink-{self.task_id}.db"))
        self.db.execute("CREATE TABLE IF NOT EXISTS seen (id INTEGER, label TEXT, pid INTEGER)")
        write_pid_file(directory, self.component_name, self.task_id)

    def process(self, tup):
        tup_id, label = tup.values
        self.db.execute("INSERT INTO seen VALUES (?, ?, ?)", (tup_id, label, os.getpid()))
        # returning acks the tuple (auto_ack): only after the row is written
