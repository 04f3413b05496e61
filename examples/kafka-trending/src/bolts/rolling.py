"""Counts per word over the last trending.window.secs seconds, in one-tick buckets."""

from collections import Counter, deque

from stormbridge import Bolt

TICK_SECS = 2


class RollingCountBolt(Bolt):
    outputs = ["word", "count"]
    config = {"topology.tick.tuple.freq.secs": TICK_SECS}

    def initialize(self, conf, ctx):
        buckets = max(1, int(conf.get("trending.window.secs", 60)) // TICK_SECS)
        self.buckets = deque([Counter()], maxlen=buckets)
        self.totals = Counter()

    def process(self, tup):
        word = tup.values[0]
        self.buckets[-1][word] += 1
        self.totals[word] += 1

    def process_tick(self, tup):
        """Report every word seen in the window, then open a new bucket (the oldest goes)."""
        for word, count in self.totals.items():
            self.emit([word, count])
        if len(self.buckets) == self.buckets.maxlen:
            self.totals -= self.buckets[0]  # Counter subtraction drops words that reach 0
            for word in self.buckets[0]:
                if word not in self.totals:
                    self.emit([word, 0])
        self.buckets.append(Counter())
