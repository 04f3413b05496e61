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
 *  timeout, reporting its death, and a "metrics" message. */
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

    /** How long {@link #dying} waits for a dead subprocess to be reaped, so that its exit
     *  code or signal is known when the death is reported. */
    static final long REAP_WAIT_MILLIS = 1000;

    /** The cause {@link #dying} is given when the subprocess stopped answering heartbeats. */
    static final class NoHeartbeat extends RuntimeException {
        private static final long serialVersionUID = 1L;

        NoHeartbeat(long silentMillis, long timeoutMillis) {
            super(String.format("no heartbeat for %d s (topology.subprocess.timeout.secs is %d)",
                                silentMillis / 1000, timeoutMillis / 1000));
        }
    }

    /**
     * Reports the death of a component's subprocess: waits up to {@link #REAP_WAIT_MILLIS} for
     * it to be reaped, then logs and returns an exception whose message names the component,
     * task, pid, how the subprocess ended (signal, exit code, no heartbeat, or still running)
     * and where to look. The caller reports the returned exception (it is what the UI shows).
     */
    static RuntimeException dying(String what, String[] command, ShellProcess process,
                                  TopologyContext context, Throwable cause, Logger log) {
        int exit = cause instanceof NoHeartbeat ? process.getExitCode()
            : awaitExit(process, REAP_WAIT_MILLIS);
        String stderr = process.getErrorsString();
        if (stderr.startsWith("(Unable to capture")) {
            stderr = ""; // Storm's text for an already closed stream: nothing to tell
        }
        String message = deathMessage(context.getThisComponentId(), context.getThisTaskId(),
                                      process.getPid(), exit, cause, stderr);
        log.error(String.format("Halting process: %s died. %s Command: %s", what, message,
                                Arrays.toString(command)), cause);
        return new RuntimeException(message, cause);
    }

    /** The subprocess's exit status once reaped (128 + n when killed by signal n, as Java
     *  reports it), or -1 if it has not ended within {@code millis}. */
    static int awaitExit(ShellProcess process, long millis) {
        long deadline = System.nanoTime() + millis * 1_000_000L;
        int exit = process.getExitCode();
        while (exit == -1 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            exit = process.getExitCode();
        }
        return exit;
    }

    /** What the log and the UI say about a subprocess's death (the facts first: the UI shows
     *  a component's last error cut to 200 characters). */
    static String deathMessage(String component, int task, Number pid, int exit, Throwable cause,
                               String stderr) {
        StringBuilder b = new StringBuilder();
        b.append("Python subprocess of component '").append(component).append("' task ")
            .append(task).append(" (pid ").append(pid).append(") ");
        if (exit > 128 && exit < 128 + 65) {
            b.append("was killed by signal ").append(exit - 128).append(signalName(exit - 128))
                .append(" (exit status ").append(exit).append(')');
        } else if (exit >= 0) {
            b.append("exited with code ").append(exit);
        } else if (cause instanceof NoHeartbeat) {
            b.append("sent ").append(cause.getMessage()).append("; it is killed with its worker");
        } else {
            b.append("had not exited ").append(REAP_WAIT_MILLIS / 1000)
                .append(" s after the JVM stopped talking to it (").append(cause).append(')');
        }
        String err = stderr == null ? "" : stderr.strip();
        int eol = err.indexOf('\n');
        if (!err.isEmpty()) { // its last words (a Python exception's summary line) come first
            String first = eol < 0 ? err : err.substring(0, eol);
            b.append("; stderr: ").append(first.length() > 300 ? first.substring(0, 300) + "..."
                                                                : first);
        }
        b.append(". On a cluster the worker exits and Storm restarts it. For the cause, read this"
                 + " component's log lines just before this one and the worker log"
                 + " (workers-artifacts/<topology id>/<port>/worker.log).");
        if (eol >= 0 || err.length() > 300) {
            String rest = err.substring(eol + 1);
            if (rest.length() > 4000) {
                rest = "..." + rest.substring(rest.length() - 4000);
            }
            b.append("\nIts stderr went on:\n").append(rest);
        }
        return b.toString();
    }

    /** " (SIGKILL)" for the Linux signals a subprocess usually dies of, else "". */
    static String signalName(int signal) {
        switch (signal) {
            case 1: return " (SIGHUP)";
            case 2: return " (SIGINT)";
            case 3: return " (SIGQUIT)";
            case 4: return " (SIGILL)";
            case 6: return " (SIGABRT)";
            case 7: return " (SIGBUS)";
            case 8: return " (SIGFPE)";
            case 9: return " (SIGKILL)";
            case 11: return " (SIGSEGV)";
            case 13: return " (SIGPIPE)";
            case 14: return " (SIGALRM)";
            case 15: return " (SIGTERM)";
            default: return "";
        }
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
