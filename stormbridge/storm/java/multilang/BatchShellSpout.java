package stormbridge.multilang;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.storm.Config;
import org.apache.storm.multilang.ShellMsg;
import org.apache.storm.multilang.SpoutMsg;
import org.apache.storm.spout.ISpout;
import org.apache.storm.spout.SpoutOutputCollector;
import org.apache.storm.task.TopologyContext;
import org.apache.storm.utils.ObjectReader;
import org.apache.storm.utils.ShellLogHandler;
import org.apache.storm.utils.ShellProcess;
import org.apache.storm.utils.ShellUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A multilang spout with fewer round trips: the batched transport's spout.
 *
 * <p>Same protocol and semantics as Storm's ShellSpout (every command answered by one
 * {@code sync}, emits with message ids, task-id replies, log/error/metrics messages, the
 * subprocess heartbeat timeout), with two changes that cut the round trips per tuple:
 * <ul>
 * <li>{@code next} carries {@code "max": k}: a subprocess that was offered the batched
 * transport at the handshake ({@code "stormbridge.transport": "batched"} in the conf) may call
 * its next_tuple up to k times before its {@code sync}; k is
 * {@code stormbridge.spout.max.emits.per.next} (default 100) but never more than
 * {@code topology.max.spout.pending} minus the tuples this spout has in flight, so pending
 * stays within Storm's bound. A subprocess that ignores "max" answers as before.</li>
 * <li>{@code ack} and {@code fail} are written without waiting for their {@code sync}; they go
 * out with the next {@code next} (one flush), and all their syncs are read then. They are
 * sent at once when the spout is not active or {@link #MAX_DEFERRED} are waiting.</li>
 * </ul>
 */
public class BatchShellSpout implements ISpout {
    static final String MAX_EMITS_KEY = "stormbridge.spout.max.emits.per.next";
    static final int MAX_DEFERRED = 256;
    private static final Logger LOG = LoggerFactory.getLogger(BatchShellSpout.class);
    private static final long serialVersionUID = 7184622086930128421L;

    private final String[] command;
    private transient SpoutOutputCollector collector;
    private transient TopologyContext context;
    private transient ShellProcess process;
    private transient FastJsonSerializer fast;
    private transient ShellLogHandler logHandler;
    private transient volatile RuntimeException exception;
    private transient volatile boolean running;
    private transient volatile boolean waiting;
    private transient volatile long lastHeartbeat;
    private transient long timeoutMillis;
    private transient Thread heartbeats;
    private transient boolean active;
    private transient int maxEmits;
    private transient int maxPending;
    private transient long pending;
    private transient List<SpoutMsg> deferred;

    /** The same two strings as a Thrift ShellComponent: the program and its script. */
    public BatchShellSpout(String executionCommand, String script) {
        this.command = new String[] {executionCommand, script};
    }

    @Override
    public void open(Map<String, Object> topoConf, TopologyContext context,
                     SpoutOutputCollector collector) {
        this.collector = collector;
        this.context = context;
        timeoutMillis = ShellComponents.timeoutMillis(topoConf);
        maxEmits = Math.max(1, ObjectReader.getInt(topoConf.get(MAX_EMITS_KEY), 100));
        Object mp = topoConf.get(Config.TOPOLOGY_MAX_SPOUT_PENDING);
        maxPending = mp instanceof Number ? ((Number) mp).intValue() : 0;
        deferred = new ArrayList<>();
        running = true;

        process = ShellComponents.launch(command, topoConf, context, LOG);
        fast = ShellComponents.holding(process);
        logHandler = ShellUtils.getLogHandler(topoConf);
        logHandler.setUpContext(BatchShellSpout.class, process, context);
        lastHeartbeat = System.currentTimeMillis();
        heartbeats = new Thread(this::heartbeatLoop,
            "stormbridge-spout-heartbeat-" + context.getThisComponentId() + "-"
            + context.getThisTaskId());
        heartbeats.setDaemon(true);
        heartbeats.start();
    }

    @Override
    public void close() {
        running = false;
        heartbeats.interrupt();
        process.destroy();
    }

    @Override
    public void nextTuple() {
        int max = maxEmits;
        if (maxPending > 0) {
            max = (int) Math.max(1, Math.min(max, maxPending - pending));
        }
        roundTrip("next", "", max);
    }

    @Override
    public void ack(Object msgId) {
        later("ack", msgId);
    }

    @Override
    public void fail(Object msgId) {
        later("fail", msgId);
    }

    private void later(String cmd, Object msgId) {
        pending--;
        SpoutMsg msg = new SpoutMsg();
        msg.setCommand(cmd);
        msg.setId(msgId);
        deferred.add(msg);
        if (!active || deferred.size() >= MAX_DEFERRED) {
            roundTrip(null, null, 0);
        }
    }

    @Override
    public void activate() {
        lastHeartbeat = System.currentTimeMillis();
        active = true;
        roundTrip("activate", "", 0);
    }

    @Override
    public void deactivate() {
        active = false;
        roundTrip("deactivate", "", 0);
    }

    /** Writes the deferred acks/fails and then {@code cmd} (none when null) in one flush,
     *  and handles what the subprocess sends until every one of them is synced. */
    private void roundTrip(String cmd, Object id, int max) {
        if (exception != null) {
            throw exception;
        }
        try {
            lastHeartbeat = System.currentTimeMillis();
            waiting = true;
            int syncs = deferred.size();
            for (SpoutMsg m : deferred) {
                writeSpout(m);
            }
            deferred.clear();
            if (cmd != null) {
                if (fast != null && max > 0) {
                    fast.writeNext(max);
                } else {
                    SpoutMsg m = new SpoutMsg();
                    m.setCommand(cmd);
                    m.setId(id);
                    writeSpout(m);
                }
                syncs++;
            }
            if (fast != null) {
                fast.flush();
            }
            process.logErrorStream();
            while (syncs > 0) {
                ShellMsg msg = process.readShellMsg();
                String c = msg.getCommand();
                if (c == null) {
                    throw new IllegalArgumentException("Command not found in spout message: " + msg);
                }
                lastHeartbeat = System.currentTimeMillis();
                switch (c) {
                    case "sync":
                        syncs--;
                        break;
                    case "emit":
                        emit(msg);
                        break;
                    case "log":
                        logHandler.log(msg);
                        break;
                    case "error":
                        collector.reportError(new Exception("Shell Process Exception: " + msg.getMsg()));
                        break;
                    case "metrics":
                        ShellComponents.updateMetric(context, msg);
                        break;
                    default:
                        throw new RuntimeException("Unknown command received: " + c);
                }
            }
        } catch (Exception e) {
            String info = process.getProcessInfoString() + process.getProcessTerminationInfoString();
            throw new RuntimeException(info, e);
        } finally {
            waiting = false;
        }
    }

    private void writeSpout(SpoutMsg m) throws IOException {
        if (fast != null) {
            fast.writeSpoutMsg(m);
        } else {
            process.writeSpoutMsg(m);
        }
    }

    private void emit(ShellMsg msg) throws IOException {
        Object messageId = msg.getId();
        if (messageId != null) {
            pending++;
        }
        long task = msg.getTask();
        if (task == 0) {
            List<Integer> tasks = collector.emit(msg.getStream(), msg.getTuple(), messageId);
            if (msg.areTaskIdsNeeded()) {
                if (fast != null) {
                    fast.writeTaskIds(tasks);
                    fast.flush();
                } else {
                    process.writeTaskIds(tasks);
                }
            }
        } else {
            collector.emitDirect((int) task, msg.getStream(), msg.getTuple(), messageId);
        }
    }

    private void heartbeatLoop() {
        while (running) {
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                return;
            }
            if (waiting && System.currentTimeMillis() - lastHeartbeat > timeoutMillis) {
                die(new RuntimeException("subprocess heartbeat timeout"));
            }
        }
    }

    private void die(Throwable cause) {
        exception = ShellComponents.dying("BatchShellSpout", command, process, cause, LOG);
        collector.reportError(cause);
        if (running || cause instanceof Error) {
            System.exit(11);
        }
    }
}
