"""Send sentences to the example's topic with kafka-python (pip install kafka-python).

python produce.py [COUNT] [BOOTSTRAP_SERVERS] [TOPIC]
"""

import random
import sys

from kafka import KafkaProducer

SENTENCES = [
    "storm processes streams of tuples",
    "kafka keeps the streams durable",
    "python bolts speak multilang to storm",
    "trending words rise and fall",
    "storm and kafka and python",
]


def main(argv):
    count = int(argv[0]) if argv else 1000
    servers = argv[1] if len(argv) > 1 else "127.0.0.1:9092"
    topic = argv[2] if len(argv) > 2 else "sentences"
    producer = KafkaProducer(bootstrap_servers=servers)
    for n in range(count):
        producer.send(topic, key=str(n).encode(), value=random.choice(SENTENCES).encode())
    producer.flush()
    producer.close()
    print(f"sent {count} sentences to {topic} on {servers}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
