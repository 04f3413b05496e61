"""A transform bolt: ``id`` -> ``(id, label)``, anchored to its input and acked after it."""

from __future__ import annotations

from spouts.ids import write_pid_file

from streamparse import Bolt


class TransformBolt(Bolt):
    outputs = ["id", "label"]

    def initialize(self, conf, context):
        write_pid_file(conf["reliable.dir"], self.component_name, self.task_id)

    def process(self, tup):
        (tup_id,) = tup.values
        self.emit([tup_id, f"item-{tup_id:08d}"])  # auto_anchor: part of the same tuple tree
