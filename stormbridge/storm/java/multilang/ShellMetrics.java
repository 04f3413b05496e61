package stormbridge.multilang;

import java.io.IOException;
import java.util.Map;
import org.apache.storm.metric.api.IMetric;
import org.apache.storm.metric.api.MeanReducer;
import org.apache.storm.metric.api.rpc.AssignableShellMetric;
import org.apache.storm.metric.api.rpc.CountShellMetric;
import org.apache.storm.metric.api.rpc.ReducedShellMetric;
import org.apache.storm.task.TopologyContext;

/**
 * Registers the metrics a Python component declares, so that its {@code "metrics"} messages
 * reach Storm's metrics consumers instead of killing the worker.
 *
 * <p>ShellBolt and ShellSpout look a {@code "metrics"} message's name up among the task's
 * registered metrics and die when it is missing; a Thrift shell component has no Java code to
 * register any. The serializer's {@code connect} runs inside ShellBolt.prepare/ShellSpout.open,
 * the one moment Storm allows registering, so it registers what the component's conf declares:
 * {@code "stormbridge.metrics": {"name": "count" | "assign" | "mean"}}, reported every
 * {@code "stormbridge.metrics.bucket.secs"} seconds (default: Storm's
 * {@code topology.builtin.metrics.bucket.size.secs}, else 60).
 */
final class ShellMetrics {
    static final String DECLARED = "stormbridge.metrics";
    static final String BUCKET = "stormbridge.metrics.bucket.secs";

    private ShellMetrics() {
    }

    static void register(Map<String, Object> conf, TopologyContext context) throws IOException {
        Object declared = conf.get(DECLARED);
        if (declared == null) {
            return;
        }
        if (!(declared instanceof Map)) {
            throw new IOException(DECLARED + " must map metric names to \"count\", \"assign\" "
                                  + "or \"mean\", not " + declared);
        }
        int bucket = bucketSecs(conf);
        for (Map.Entry<?, ?> e : ((Map<?, ?>) declared).entrySet()) {
            String name = String.valueOf(e.getKey());
            String kind = String.valueOf(e.getValue());
            IMetric metric;
            switch (kind) {
                case "count":
                    metric = new CountShellMetric();
                    break;
                case "assign":
                    metric = new AssignableShellMetric(null);
                    break;
                case "mean":
                    metric = new ReducedShellMetric(new MeanReducer());
                    break;
                default:
                    throw new IOException(DECLARED + ": metric " + name + " has the kind " + kind
                                          + "; use \"count\", \"assign\" or \"mean\"");
            }
            if (context.getRegisteredMetricByName(name) == null) {
                context.registerMetric(name, metric, bucket);
            }
        }
    }

    private static int bucketSecs(Map<String, Object> conf) throws IOException {
        Object secs = conf.get(BUCKET);
        if (secs == null) {
            secs = conf.get("topology.builtin.metrics.bucket.size.secs");
        }
        if (secs == null) {
            return 60;
        }
        if (!(secs instanceof Number) || ((Number) secs).intValue() < 1) {
            throw new IOException(BUCKET + " must be a whole number of seconds >= 1, not " + secs);
        }
        return ((Number) secs).intValue();
    }
}
