"""A Kafka broker for this example: Apache Kafka 4.1 from Maven Central, KRaft, one node on
127.0.0.1 (port 9092 unless given), data in ./_kafka, until Ctrl-C.

    python broker.py [PORT]
"""

import signal
import sys
from pathlib import Path

from stormbridge.testing.kafka import KafkaBroker


def main(argv):
    port = int(argv[0]) if argv else 9092
    print("starting Kafka (the first run downloads its jars with Maven)...", flush=True)
    broker = KafkaBroker.start(Path(__file__).resolve().parent / "_kafka", port=port)
    print(
        f"Kafka is up on {broker.bootstrap_servers} ({broker.started_secs:.1f} s); "
        f"log: {broker.log_file}; Ctrl-C stops it",
        flush=True,
    )
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        broker.process.wait()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        broker.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
