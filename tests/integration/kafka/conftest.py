"""``kafka_broker``: a real Kafka 4.1 broker (KRaft, one node on 127.0.0.1, free ports) for the
tests of this folder, from Maven Central jars (``make test`` fetches them ahead), with its data
and log in the module's tmp dir. It is stopped at the end; when a test of the module failed, the
tail of its log is printed."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from stormbridge.testing.kafka import KafkaBroker


@pytest.fixture(scope="module")
def kafka_broker(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[KafkaBroker]:
    if shutil.which("java") is None or shutil.which("mvn") is None:
        pytest.skip("needs Java 17 and Maven (make system-deps)")
    failed_before = request.session.testsfailed
    broker = KafkaBroker.start(tmp_path_factory.mktemp("kafka"))
    try:
        yield broker
    finally:
        broker.stop()
        reporter = request.config.pluginmanager.get_plugin("terminalreporter")
        if request.session.testsfailed > failed_before and reporter is not None:
            for line in broker.log_tail(80).splitlines():
                reporter.write_line(line)
