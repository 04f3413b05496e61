"""Sentences from the Kafka spout's tuples (topic, partition, offset, key, value) to words."""

import re

from stormbridge import Bolt

WORD = re.compile(r"[a-z0-9']+")


class SplitSentenceBolt(Bolt):
    outputs = ["word"]

    def process(self, tup):
        sentence = tup.values[4] or ""  # the record's value; None for a tombstone
        for word in WORD.findall(sentence.lower()):
            self.emit([word])  # anchored to the Kafka tuple: a failure replays the record
