package stormbridge.kafka;

import java.io.IOException;
import java.io.StringReader;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.storm.kafka.spout.FirstPollOffsetStrategy;
import org.apache.storm.kafka.spout.KafkaSpout;
import org.apache.storm.kafka.spout.KafkaSpoutConfig;
import org.apache.storm.kafka.spout.KafkaSpoutRetryExponentialBackoff;
import org.apache.storm.kafka.spout.KafkaSpoutRetryExponentialBackoff.TimeInterval;

/**
 * storm-kafka-client's KafkaSpout (String keys and values, tuples of topic, partition, offset,
 * key, value) built from plain strings, so that a Thrift JavaObject can name it: Storm creates
 * a JavaObject through a constructor whose arguments are strings, longs, ints or booleans, and a
 * KafkaSpoutConfig is none of those.
 *
 * <p>{@code spoutOptions} and {@code consumerProperties} are java.util.Properties text. The spout
 * options are first.poll.offset.strategy, processing.guarantee, offset.commit.period.ms,
 * max.uncommitted.offsets, poll.timeout.ms, partition.refresh.period.ms and the retry.* keys of
 * the exponential backoff (retry.initial.delay.ms, retry.delay.period.ms, retry.max.retries,
 * retry.max.delay.ms); the consumer properties go to the Kafka consumer as they are.
 */
public class ConfiguredKafkaSpout extends KafkaSpout<String, String> {
  private static final long serialVersionUID = 1L;

  private static final Set<String> SPOUT_OPTIONS =
      Set.of(
          "first.poll.offset.strategy",
          "processing.guarantee",
          "offset.commit.period.ms",
          "max.uncommitted.offsets",
          "poll.timeout.ms",
          "partition.refresh.period.ms",
          "retry.initial.delay.ms",
          "retry.delay.period.ms",
          "retry.max.retries",
          "retry.max.delay.ms");

  public ConfiguredKafkaSpout(
      String bootstrapServers,
      String topics,
      String groupId,
      String spoutOptions,
      String consumerProperties) {
    super(config(bootstrapServers, topics, groupId, spoutOptions, consumerProperties));
  }

  static KafkaSpoutConfig<String, String> config(
      String bootstrapServers,
      String topics,
      String groupId,
      String spoutOptions,
      String consumerProperties) {
    Properties options = properties(spoutOptions, "spout options");
    for (String key : options.stringPropertyNames()) {
      if (!SPOUT_OPTIONS.contains(key)) {
        throw new IllegalArgumentException(
            "unknown Kafka spout option " + key + "; known: " + SPOUT_OPTIONS);
      }
    }
    KafkaSpoutConfig.Builder<String, String> builder =
        KafkaSpoutConfig.builder(bootstrapServers, topics.split(","));
    builder.setProp(properties(consumerProperties, "consumer properties"));
    builder.setGroupId(groupId);
    String strategy = options.getProperty("first.poll.offset.strategy");
    if (strategy != null) {
      builder.setFirstPollOffsetStrategy(FirstPollOffsetStrategy.valueOf(strategy));
    }
    String guarantee = options.getProperty("processing.guarantee");
    if (guarantee != null) {
      builder.setProcessingGuarantee(KafkaSpoutConfig.ProcessingGuarantee.valueOf(guarantee));
    }
    Map<String, Long> numbers = new HashMap<>();
    for (String key : options.stringPropertyNames()) {
      if (key.endsWith(".ms") || key.startsWith("max.") || key.equals("retry.max.retries")) {
        numbers.put(key, Long.parseLong(options.getProperty(key)));
      }
    }
    if (numbers.containsKey("offset.commit.period.ms")) {
      builder.setOffsetCommitPeriodMs(numbers.get("offset.commit.period.ms"));
    }
    if (numbers.containsKey("max.uncommitted.offsets")) {
      builder.setMaxUncommittedOffsets(Math.toIntExact(numbers.get("max.uncommitted.offsets")));
    }
    if (numbers.containsKey("poll.timeout.ms")) {
      builder.setPollTimeoutMs(numbers.get("poll.timeout.ms"));
    }
    if (numbers.containsKey("partition.refresh.period.ms")) {
      builder.setPartitionRefreshPeriodMs(numbers.get("partition.refresh.period.ms"));
    }
    if (numbers.keySet().stream().anyMatch(key -> key.startsWith("retry."))) {
      // storm-kafka-client's defaults where one is not given: 0 ms, 2 ms, unlimited, 10 s
      builder.setRetry(
          new KafkaSpoutRetryExponentialBackoff(
              TimeInterval.milliSeconds(numbers.getOrDefault("retry.initial.delay.ms", 0L)),
              TimeInterval.milliSeconds(numbers.getOrDefault("retry.delay.period.ms", 2L)),
              Math.toIntExact(
                  numbers.getOrDefault("retry.max.retries", (long) Integer.MAX_VALUE)),
              TimeInterval.milliSeconds(numbers.getOrDefault("retry.max.delay.ms", 10_000L))));
    }
    return builder.build();
  }

  private static Properties properties(String text, String what) {
    Properties properties = new Properties();
    try {
      properties.load(new StringReader(text == null ? "" : text));
    } catch (IOException | IllegalArgumentException e) {
      throw new IllegalArgumentException("cannot read the Kafka spout's " + what, e);
    }
    return properties;
  }
}
