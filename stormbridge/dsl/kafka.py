"""A Kafka spout in one line: storm-kafka-client's ``KafkaSpout`` as a spec (pure data).

``KafkaSpout.spec(bootstrap_servers=..., topic=..., group_id=...)`` validates its arguments
at once and compiles to a Thrift ``JavaObject`` of :data:`KAFKA_SPOUT_CLASS`, stormbridge's
small Java class (``stormbridge/storm/java/kafka/``) whose constructor takes five strings and
builds storm-kafka-client's ``KafkaSpoutConfig`` on the worker: Thrift's ``JavaObject`` can
only pass strings, numbers and booleans, not a config object. Keys and values are read as
strings; every record becomes one tuple ``(topic, partition, offset, key, value)`` on the
default stream, anchored, so a bolt that fails it has the spout replay it (at least once).

The spec says it needs the ``"kafka"`` JVM jars (:data:`KAFKA_REQUIREMENT`); the build step
puts storm-kafka-client, kafka-clients and the compiled class into the topology jar.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar

from ..errors import TopologyError, TopologyTypeError
from .component import _ForeignComponent
from .specs import JavaSpoutSpec
from .stream import Stream

__all__ = [
    "FIRST_POLL_OFFSETS",
    "KAFKA_FIELDS",
    "KAFKA_REQUIREMENT",
    "KAFKA_SPOUT_CLASS",
    "PROCESSING_GUARANTEES",
    "KafkaSpout",
    "KafkaSpoutSpec",
    "properties_text",
]

#: The Java class a Kafka spout spec names (compiled by :mod:`stormbridge.storm.kafka`).
KAFKA_SPOUT_CLASS = "stormbridge.kafka.ConfiguredKafkaSpout"
#: The name of the JVM jars a Kafka spout needs in the topology jar.
KAFKA_REQUIREMENT = "kafka"
#: The fields of every tuple the spout emits (storm-kafka-client's default translator).
KAFKA_FIELDS = ("topic", "partition", "offset", "key", "value")
#: Where a consumer group without committed offsets starts (storm-kafka-client's names).
FIRST_POLL_OFFSETS = ("EARLIEST", "LATEST", "UNCOMMITTED_EARLIEST", "UNCOMMITTED_LATEST")
#: When offsets are committed: after the tuple tree is acked, before emitting, or periodically.
PROCESSING_GUARANTEES = ("AT_LEAST_ONCE", "AT_MOST_ONCE", "NO_GUARANTEE")

#: Consumer properties the spec's own arguments set.
_OWN_PROPERTIES = {
    "bootstrap.servers": "bootstrap_servers",
    "group.id": "group_id",
    "key.deserializer": "nothing (keys are read as strings)",
    "value.deserializer": "nothing (values are read as strings)",
    "enable.auto.commit": "processing_guarantee",
}
#: Keyword argument -> the spout option the Java class reads; all positive integers.
_NUMBER_OPTIONS = {
    "offset_commit_period_ms": "offset.commit.period.ms",
    "max_uncommitted_offsets": "max.uncommitted.offsets",
    "poll_timeout_ms": "poll.timeout.ms",
    "partition_refresh_period_ms": "partition.refresh.period.ms",
    "retry_initial_delay_ms": "retry.initial.delay.ms",
    "retry_delay_period_ms": "retry.delay.period.ms",
    "retry_max_retries": "retry.max.retries",
    "retry_max_delay_ms": "retry.max.delay.ms",
}
#: Java int options (the rest are longs).
_INT_OPTIONS = frozenset({"max_uncommitted_offsets", "retry_max_retries"})
_TOPIC = re.compile(r"[a-zA-Z0-9._-]{1,249}")
_SERVER = re.compile(r"(?P<host>\[[0-9a-fA-F:.]+\]|[^\s:,\[\]]+):(?P<port>\d{1,5})")
_OWNER = "KafkaSpout.spec()"


def _strings(value: object, what: str, example: str) -> list[str]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)) or not items:
        raise TopologyTypeError(
            f"{_OWNER}: {what} must be a non-empty string or list of strings "
            f"(e.g. {example!r}); given {value!r}"
        )
    for item in items:
        if not isinstance(item, str) or not item.strip():
            raise TopologyError(f"{_OWNER}: {what} has an empty or non-string entry: {value!r}")
    return [item.strip() for item in items]


def _servers(value: object) -> str:
    parts = _strings(value, "bootstrap_servers", "127.0.0.1:9092")
    servers = [s.strip() for part in parts for s in part.split(",") if s.strip()]
    for server in servers:
        match = _SERVER.fullmatch(server)
        if match is None or not 1 <= int(match.group("port")) <= 65535:
            raise TopologyError(
                f"{_OWNER}: bootstrap server {server!r} is not host:port with a port from 1 "
                "to 65535 (e.g. '127.0.0.1:9092')"
            )
    return ",".join(servers)


def _topics(value: object) -> str:
    topics = _strings(value, "topic", "words")
    for topic in topics:
        if not _TOPIC.fullmatch(topic) or topic in (".", ".."):
            raise TopologyError(
                f"{_OWNER}: {topic!r} is not a Kafka topic name (1 to 249 of a-z A-Z 0-9 . _ -)"
            )
    if len(set(topics)) != len(topics):
        raise TopologyError(f"{_OWNER}: topic lists {value!r} twice")
    return ",".join(topics)


def _choice(value: object, what: str, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value.strip().upper() not in choices:
        raise TopologyError(f"{_OWNER}: {what} must be one of {list(choices)}; given {value!r}")
    return value.strip().upper()


def _number(keyword: str, value: object) -> int:
    high = 2**31 - 1 if keyword in _INT_OPTIONS else 2**63 - 1
    low = 0 if keyword in ("retry_initial_delay_ms", "retry_max_retries") else 1
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise TopologyError(
            f"{_OWNER}: {keyword} must be an integer from {low} to {high}; given {value!r}"
        )
    return value


def _consumer_properties(value: object) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise TopologyTypeError(
            f"{_OWNER}: consumer_properties must be a dict of Kafka consumer settings "
            f"(e.g. {{'max.poll.records': 100}}); given {value!r}"
        )
    result: dict[str, str] = {}
    for key, item in value.items():
        if not isinstance(key, str) or not key:
            raise TopologyTypeError(f"{_OWNER}: consumer property names are strings: {key!r}")
        if key in _OWN_PROPERTIES:
            raise TopologyError(
                f"{_OWNER}: consumer property {key!r} is set by the spec; use "
                f"{_OWN_PROPERTIES[key]} instead"
            )
        if isinstance(item, bool):
            result[key] = "true" if item else "false"
        elif isinstance(item, (str, int, float)):
            result[key] = str(item)
        else:
            raise TopologyTypeError(
                f"{_OWNER}: consumer property {key!r} must be a string, number or bool; "
                f"given {item!r}"
            )
    return result


def _escape(text: str, *, key: bool) -> str:
    out = []
    for i, char in enumerate(text):
        if char in "\\=:#!" or (char == " " and (key or i == 0)):
            out.append("\\" + char)
        elif char in "\n\r\t\f":
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t", "\f": "\\f"}[char])
        else:
            out.append(char)
    return "".join(out)


def properties_text(values: Mapping[str, str]) -> str:
    """``values`` as ``java.util.Properties`` text (sorted lines, special characters escaped)."""
    return "".join(
        f"{_escape(k, key=True)}={_escape(v, key=False)}\n" for k, v in sorted(values.items())
    )


class KafkaSpoutSpec(JavaSpoutSpec):
    """The spec :meth:`KafkaSpout.spec` returns: a Java spout that needs the Kafka jars."""

    #: What the build step must add to the topology jar for this spec.
    jvm_requires: ClassVar[frozenset[str]] = frozenset({KAFKA_REQUIREMENT})

    bootstrap_servers: str
    topics: tuple[str, ...]
    group_id: str
    spout_options: dict[str, str]
    consumer_properties: dict[str, str]

    def __init__(
        self,
        component_cls: type,
        *,
        bootstrap_servers: str,
        topics: str,
        group_id: str,
        spout_options: dict[str, str],
        consumer_properties: dict[str, str],
        name: str | None,
        par: object,
        config: object,
    ) -> None:
        args = [
            bootstrap_servers,
            topics,
            group_id,
            properties_text(spout_options),
            properties_text(consumer_properties),
        ]
        super().__init__(
            component_cls,
            name=name,
            full_class_name=KAFKA_SPOUT_CLASS,
            args_list=args,
            par=par,
            config=config,
            outputs=[Stream(fields=list(KAFKA_FIELDS))],
        )
        self.bootstrap_servers = bootstrap_servers
        self.topics = tuple(topics.split(","))
        self.group_id = group_id
        self.spout_options = dict(spout_options)
        self.consumer_properties = dict(consumer_properties)

    def _describe(self) -> str:
        return (
            f"bootstrap_servers={self.bootstrap_servers!r}, topics={list(self.topics)!r}, "
            f"group_id={self.group_id!r}"
        )


class KafkaSpout(_ForeignComponent):
    """storm-kafka-client's Kafka spout: ``KafkaSpout.spec(bootstrap_servers=..., topic=...,
    group_id=...)``. Tuples are ``(topic, partition, offset, key, value)``."""

    outputs: ClassVar[Any] = [Stream(fields=list(KAFKA_FIELDS))]

    @classmethod
    def spec(
        cls,
        *,
        bootstrap_servers: str | list[str],
        topic: str | list[str],
        group_id: str,
        first_poll_offset: str = "UNCOMMITTED_EARLIEST",
        processing_guarantee: str = "AT_LEAST_ONCE",
        offset_commit_period_ms: int | None = None,
        max_uncommitted_offsets: int | None = None,
        poll_timeout_ms: int | None = None,
        partition_refresh_period_ms: int | None = None,
        retry_initial_delay_ms: int | None = None,
        retry_delay_period_ms: int | None = None,
        retry_max_retries: int | None = None,
        retry_max_delay_ms: int | None = None,
        consumer_properties: Mapping[str, Any] | None = None,
        name: str | None = None,
        par: Any = 1,
        config: Any = None,
    ) -> KafkaSpoutSpec:
        """A Kafka spout reading ``topic`` (one name or a list) from ``bootstrap_servers``
        (``"host:port"``, comma-separated or a list) as consumer group ``group_id``.

        ``first_poll_offset`` is where a group without committed offsets starts
        (:data:`FIRST_POLL_OFFSETS`; ``UNCOMMITTED_*`` resume from the committed offset),
        ``processing_guarantee`` when offsets are committed (:data:`PROCESSING_GUARANTEES`).
        The ``*_ms``/``max_*`` arguments are storm-kafka-client's builder settings, the
        ``retry_*`` ones its exponential backoff for failed tuples (unset: its defaults);
        ``consumer_properties`` go to the Kafka consumer as they are.
        """
        if not isinstance(group_id, str) or not group_id.strip():
            raise TopologyError(
                f"{_OWNER}: group_id must be a non-empty string (the Kafka consumer group whose "
                f"committed offsets the spout resumes from); given {group_id!r}"
            )
        options = {
            "first.poll.offset.strategy": _choice(
                first_poll_offset, "first_poll_offset", FIRST_POLL_OFFSETS
            ),
            "processing.guarantee": _choice(
                processing_guarantee, "processing_guarantee", PROCESSING_GUARANTEES
            ),
        }
        numbers = {
            "offset_commit_period_ms": offset_commit_period_ms,
            "max_uncommitted_offsets": max_uncommitted_offsets,
            "poll_timeout_ms": poll_timeout_ms,
            "partition_refresh_period_ms": partition_refresh_period_ms,
            "retry_initial_delay_ms": retry_initial_delay_ms,
            "retry_delay_period_ms": retry_delay_period_ms,
            "retry_max_retries": retry_max_retries,
            "retry_max_delay_ms": retry_max_delay_ms,
        }
        for keyword, value in numbers.items():
            if value is not None:
                options[_NUMBER_OPTIONS[keyword]] = str(_number(keyword, value))
        return KafkaSpoutSpec(
            cls,
            bootstrap_servers=_servers(bootstrap_servers),
            topics=_topics(topic),
            group_id=group_id.strip(),
            spout_options=options,
            consumer_properties=_consumer_properties(consumer_properties),
            name=name,
            par=par,
            config=config,
        )
