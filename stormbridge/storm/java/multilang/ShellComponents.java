package stormbridge.multilang;

import java.io.IOException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.apache.storm.Config;
import org.apache.storm.metric.api.IMetric;
import org.apache.storm.metric.api.rpc.IShellMetric;
import org.apache.storm.multilang.ShellMsg;
import org.apache.storm.task.TopologyContext;
import org.apache.storm.utils.ObjectReader;
import org.apache.storm.utils.ShellProcess;
import org.slf4j.Logger;

/** What BatchShellBolt and BatchShellSpout share: starting the subprocess, its heartbeat
 *  timeout, dying, and a "metrics" message. */
final class ShellComponents {
    static final String TRANSPORT_KEY = "stormbridge.transport";
    static final String TRANSPORT = "batched";

    private ShellComponents() {
    }

    /** topology.subprocess.timeout.secs (else supervisor.worker.timeout.secs) in ms. */
    static long timeoutMillis(Map<String, Object> conf) {
        Object secs = conf.get(Config.TOPOLOGY_SUBPROCESS_TIMEOUT_SECS);
        if (secs == null) {
            secs = conf.get(Config.SUPERVISOR_WORKER_TIMEOUT_SECS);
        }
        return 1000L * ObjectReader.getInt(secs, 30);
    }

    /** Starts the subprocess in the jar's resources with the handshake's conf offering the
     *  batched transport; logs its pid. */
    static ShellProcess launch(String[] command, Map<String, Object> topoConf,
                               TopologyContext context, Logger log) {
        Map<String, Object> conf = new HashMap<>(topoConf);
        conf.put(TRANSPORT_KEY, TRANSPORT);
        ShellProcess process = new ShellProcess(command);
        Number pid = process.launch(conf, context, true);
        log.info("Launched subprocess with pid {} (batched transport)", pid);
        return process;
    }

    /** stormbridge's serializer of {@code process}, set to hold frames until a flush; null
     *  when the topology names another serializer (then every frame is flushed). */
    static FastJsonSerializer holding(ShellProcess process) {
        if (!(process.serializer instanceof FastJsonSerializer)) {
            return null;
        }
        FastJsonSerializer fast = (FastJsonSerializer) process.serializer;
        try {
            fast.holdFrames(true);
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
        return fast;
    }

    /** Logs why the component dies, as Storm's shell components do; the exception to keep. */
    static RuntimeException dying(String what, String[] command, ShellProcess process,
                                  Throwable cause, Logger log) {
        String info = process.getProcessInfoString() + process.getProcessTerminationInfoString();
        log.error(String.format("Halting process: %s died. Command: %s, ProcessInfo %s", what,
                                Arrays.toString(command), info), cause);
        return new RuntimeException(info, cause);
    }

    /** Updates the registered shell metric a "metrics" message names; throws (the component
     *  then dies, as with Storm's shell components) for an unknown name. */
    static void updateMetric(TopologyContext context, ShellMsg msg) {
        String name = msg.getMetricName();
        if (name == null || name.isEmpty()) {
            throw new RuntimeException("Receive Metrics name is empty");
        }
        IMetric metric = context.getRegisteredMetricByName(name);
        if (metric == null) {
            throw new RuntimeException("Could not find metric by name[" + name + "] ");
        }
        if (!(metric instanceof IShellMetric)) {
            throw new RuntimeException("Metric[" + name + "] is not IShellMetric, can not call by RPC");
        }
        try {
            ((IShellMetric) metric).updateMetricFromRPC(msg.getMetricParams());
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
    }
}
