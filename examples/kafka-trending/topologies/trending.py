"""Trending words from Kafka: sentences from a topic, split into words, counted over a
rolling window, ranked. The broker and topic come from the environment (defaults: a broker
on 127.0.0.1:9092, topic "sentences")."""

import os

from bolts.rolling import RollingCountBolt
from bolts.split import SplitSentenceBolt
from bolts.top import TopWordsBolt

from stormbridge import Grouping, KafkaSpout, Topology

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
TOPIC = os.environ.get("TRENDING_TOPIC", "sentences")


class Trending(Topology):
    kafka_spout = KafkaSpout.spec(
        bootstrap_servers=BOOTSTRAP_SERVERS,
        topic=TOPIC,
        group_id="trending",
        first_poll_offset="UNCOMMITTED_EARLIEST",
    )
    split_bolt = SplitSentenceBolt.spec(inputs={kafka_spout: Grouping.SHUFFLE}, par=2)
    count_bolt = RollingCountBolt.spec(inputs={split_bolt: Grouping.fields("word")}, par=2)
    top_bolt = TopWordsBolt.spec(inputs={count_bolt: Grouping.GLOBAL})
