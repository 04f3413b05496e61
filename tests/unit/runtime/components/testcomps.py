"""Components the runtime tests start under ``stormbridge.runtime.run`` (cwd = this folder)."""

import logging
import os
import sys
import time

from streamparse import BatchingBolt, Bolt, ReliableSpout, Spout, TicklessBatchingBolt


class EchoBolt(Bolt):
    """Emits the first value back; conf keys steer the other behaviours."""

    def process(self, tup):
        word = tup.values[0]
        if word == "boom":
            raise ValueError("boom requested")
        if word == "big":
            self.emit([2**63])
        elif word == "unencodable":
            self.emit([{1, 2}])
        elif word == "direct":
            self.emit([word], direct_task=3)
        elif word == "stream":
            self.emit([word], stream="other")
        elif word == "taskids":
            ids = self.emit([word], need_task_ids=True)
            self.emit(["got", ids])
        elif word == "anchors":
            self.emit([word], anchors=[tup, "abc"])
        elif word == "fields":
            self.emit([type(tup.values).__name__, tup.values.word])
        elif word == "print":
            print("hello from print")
            os.write(1, b"raw fd write\n")
        elif word == "log":
            self.log("via log", "warn")
            self.logger.info("via logger")
            self.logger.debug("debug line")
        elif word == "metric":
            self.report_metric("m", 1)
            self.report_metric("m", 2)
        elif word == "failme":
            self.fail(tup)
        else:
            self.emit([word])

    def process_tick(self, tup):
        self.emit(["tick", tup.values[0]])


class QuietBolt(EchoBolt):
    auto_ack = False
    auto_anchor = False


class ForgivingBolt(EchoBolt):
    exit_on_exception = False


class BadInitBolt(Bolt):
    def initialize(self, conf, ctx):
        raise RuntimeError("cannot connect to the database")

    def process(self, tup):  # pragma: no cover - never reached
        pass


class SleepyBolt(Bolt):
    def process(self, tup):
        time.sleep(600)  # far beyond any test deadline: only a signal ends it in time


class WordSpout(Spout):
    def initialize(self, conf, ctx):
        self.n = 0

    def next_tuple(self):
        self.n += 1
        if self.n == 3:
            raise RuntimeError("spout broke")
        self.emit([f"w{self.n}"], tup_id=self.n)

    def ack(self, tup_id):
        self.log(f"acked {tup_id!r}")

    def fail(self, tup_id):
        self.log(f"failed {tup_id!r}")

    def activate(self):
        self.log("activated")

    def deactivate(self):
        self.log("deactivated")


class TaskIdSpout(Spout):
    def next_tuple(self):
        ids = self.emit(["x"], need_task_ids=True)
        self.emit(["ids", ids], stream="ids")


class RetrySpout(ReliableSpout):
    max_fails = 2

    def next_tuple(self):
        self.emit(["once"], tup_id="t1")


class Batcher(BatchingBolt):
    def group_key(self, tup):
        return tup.values[0][0]

    def process_batch(self, key, tups):
        if key == "x":
            raise ValueError("bad batch")
        self.emit([key, len(tups)])


class ExactBatcher(Batcher):
    exact_tick_batches = True


class Tickless(TicklessBatchingBolt):
    secs_between_batches = 0.2
    exit_on_exception = False

    def process_batch(self, key, tups):
        words = [t.values[0] for t in tups]
        if "x" in words:
            raise ValueError("bad batch")
        if "slow" in words:  # hold the batch until the test says so (or 20 s)
            release = self.storm_conf.get("test.release_file")
            deadline = time.monotonic() + 20
            while release and not os.path.exists(release) and time.monotonic() < deadline:
                time.sleep(0.01)
        self.emit([",".join(words)])


class TicklessFatal(Tickless):
    exit_on_exception = True


logging.getLogger(__name__).debug("loaded from %s", sys.path[0])


class KeyFailingBatcher(BatchingBolt):
    """One batch (key None) for every tuple except ``["bad"]``, whose group_key raises."""

    exit_on_exception = False
    exact_tick_batches = True

    def group_key(self, tup):
        if tup.values[0] == "bad":
            raise ValueError("no key for 'bad'")
        return None

    def process_batch(self, key, tups):
        self.emit([key, len(tups)])


class LimitedSpout(Spout):
    """Emits 1, 2, ... with message ids, up to 3 tuples in all; then nothing."""

    def initialize(self, conf, ctx):
        self.n = 0

    def next_tuple(self):
        if self.n < 3:
            self.n += 1
            self.emit([self.n], tup_id=self.n)
