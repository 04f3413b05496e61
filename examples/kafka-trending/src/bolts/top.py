"""The trending.top_n words with the highest rolling counts, logged and written to
<trending.dir>/top.json on every tick."""

import json
import os

from stormbridge import Bolt


class TopWordsBolt(Bolt):
    config = {"topology.tick.tuple.freq.secs": 2}

    def initialize(self, conf, ctx):
        self.top_n = int(conf.get("trending.top_n", 10))
        self.folder = conf.get("trending.dir")
        self.counts = {}
        self.last = []  # nothing to report until words arrive

    def process(self, tup):
        word, count = tup.values
        if count:
            self.counts[word] = count
        else:
            self.counts.pop(word, None)

    def process_tick(self, tup):
        ranking = sorted(self.counts.items(), key=lambda item: (-item[1], item[0]))
        top = [[word, count] for word, count in ranking[: self.top_n]]
        if top == self.last:
            return
        self.last = top
        self.logger.info("trending: %s", ", ".join(f"{w} ({c})" for w, c in top))
        if self.folder:
            os.makedirs(self.folder, exist_ok=True)
            path = os.path.join(self.folder, "top.json")
            with open(path + ".tmp", "w") as out:
                json.dump(top, out)
            os.replace(path + ".tmp", path)
