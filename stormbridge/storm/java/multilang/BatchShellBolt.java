package stormbridge.multilang;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.storm.Config;
import org.apache.storm.Constants;
import org.apache.storm.multilang.BoltMsg;
import org.apache.storm.multilang.ShellMsg;
import org.apache.storm.task.IBolt;
import org.apache.storm.task.OutputCollector;
import org.apache.storm.task.TopologyContext;
import org.apache.storm.tuple.Tuple;
import org.apache.storm.utils.ConfigUtils;
import org.apache.storm.utils.ShellLogHandler;
import org.apache.storm.utils.ShellProcess;
import org.apache.storm.utils.ShellUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A multilang bolt that moves tuples to its subprocess in bursts: the batched transport.
 *
 * <p>Same protocol and semantics as Storm's ShellBolt (anchoring, acks, fails, heartbeats,
 * ticks, task-id replies, errors, log and metrics messages, the worker halting when the
 * subprocess dies), but the writer thread takes every tuple queued since its last write and
 * writes them all with one flush, so a busy bolt costs one write, one flush and one wake-up
 * of the subprocess per burst instead of per tuple. A tuple is never held back to fill a
 * burst: the writer writes whatever is queued as soon as it wakes. The handshake's conf
 * carries {@code "stormbridge.transport": "batched"}.
 *
 * <p>With stormbridge's serializer (the default) frames are held and flushed once per burst;
 * with another serializer each frame is flushed as written (still one wake-up per burst).
 */
public class BatchShellBolt implements IBolt {
    public static final String HEARTBEAT_STREAM_ID = "__heartbeat";
    private static final Logger LOG = LoggerFactory.getLogger(BatchShellBolt.class);
    private static final long serialVersionUID = 2916208145031427361L;

    private final String[] command;
    private transient OutputCollector collector;
    private transient TopologyContext context;
    private transient ShellProcess process;
    private transient FastJsonSerializer fast;
    private transient ShellLogHandler logHandler;
    private transient Map<String, Tuple> inputs;
    private transient long nextId;
    private transient volatile boolean running;
    private transient volatile Throwable exception;
    private transient boolean localMode;
    private transient long timeoutMillis;
    private transient volatile long lastHeartbeat;
    private transient Thread reader;
    private transient Thread writer;
    private transient Thread heartbeats;

    // What the writer thread has to write, guarded by lock.
    private transient ReentrantLock lock;
    private transient Condition ready;
    private transient Condition room;
    private transient ArrayList<BoltMsg> queued;
    private transient ArrayList<BoltMsg> spare;
    private transient ArrayList<List<Integer>> taskIds;
    private transient boolean heartbeatDue;
    private transient int capacity;

    /** The same two strings as a Thrift ShellComponent: the program and its script. */
    public BatchShellBolt(String executionCommand, String script) {
        this.command = new String[] {executionCommand, script};
    }

    @Override
    public void prepare(Map<String, Object> topoConf, TopologyContext context,
                        OutputCollector collector) {
        this.collector = collector;
        this.context = context;
        localMode = ConfigUtils.isLocalMode(topoConf);
        Object maxPending = topoConf.get(Config.TOPOLOGY_SHELLBOLT_MAX_PENDING);
        capacity = maxPending instanceof Number && ((Number) maxPending).intValue() > 0
            ? ((Number) maxPending).intValue() : 100;
        timeoutMillis = ShellComponents.timeoutMillis(topoConf);
        inputs = new ConcurrentHashMap<>();
        lock = new ReentrantLock();
        ready = lock.newCondition();
        room = lock.newCondition();
        queued = new ArrayList<>();
        spare = new ArrayList<>();
        taskIds = new ArrayList<>();
        running = true;

        process = ShellComponents.launch(command, topoConf, context, LOG);
        fast = ShellComponents.holding(process);
        logHandler = ShellUtils.getLogHandler(topoConf);
        logHandler.setUpContext(BatchShellBolt.class, process, context);
        lastHeartbeat = System.currentTimeMillis();
        String name = context.getThisComponentId() + "-" + context.getThisTaskId();
        reader = new Thread(this::readLoop, "stormbridge-bolt-reader-" + name);
        writer = new Thread(this::writeLoop, "stormbridge-bolt-writer-" + name);
        heartbeats = new Thread(this::heartbeatLoop, "stormbridge-bolt-heartbeat-" + name);
        reader.setDaemon(true);
        writer.setDaemon(true);
        heartbeats.setDaemon(true);
        reader.start();
        writer.start();
        heartbeats.start();
    }

    @Override
    public void execute(Tuple input) {
        if (exception != null) {
            throw new RuntimeException(exception);
        }
        String id = Long.toString(nextId++);
        inputs.put(id, input);
        BoltMsg msg = new BoltMsg();
        msg.setId(id);
        msg.setComp(input.getSourceComponent());
        msg.setStream(input.getSourceStreamId());
        msg.setTask(input.getSourceTask());
        msg.setTuple(input.getValues());
        lock.lock();
        try {
            while (queued.size() >= capacity && running) {
                room.await();
            }
            queued.add(msg);
            ready.signal();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // shutting down
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void cleanup() {
        running = false;
        heartbeats.interrupt();
        writer.interrupt();
        reader.interrupt();
        process.destroy();
        inputs.clear();
    }

    private void writeLoop() {
        List<List<Integer>> ids = new ArrayList<>();
        while (running) {
            ArrayList<BoltMsg> batch;
            boolean heartbeat;
            lock.lock();
            try {
                while (running && queued.isEmpty() && taskIds.isEmpty() && !heartbeatDue) {
                    ready.await(1, TimeUnit.SECONDS);
                }
                batch = queued;
                queued = spare;
                ids.addAll(taskIds);
                taskIds.clear();
                heartbeat = heartbeatDue;
                heartbeatDue = false;
                room.signalAll();
            } catch (InterruptedException e) {
                continue; // shutting down: running is false
            } finally {
                lock.unlock();
            }
            try {
                if (heartbeat) {
                    write(heartbeatMessage());
                }
                for (List<Integer> t : ids) {
                    if (fast != null) {
                        fast.writeTaskIds(t);
                    } else {
                        process.writeTaskIds(t);
                    }
                }
                for (BoltMsg m : batch) {
                    write(m);
                }
                if (fast != null) {
                    fast.flush();
                    process.logErrorStream();
                }
            } catch (Throwable t) {
                die(t);
            } finally {
                ids.clear();
                batch.clear();
                lock.lock();
                try {
                    spare = batch;
                } finally {
                    lock.unlock();
                }
            }
        }
    }

    private void write(BoltMsg m) throws java.io.IOException {
        if (fast != null) {
            fast.writeBoltMsg(m);
        } else {
            process.writeBoltMsg(m);
        }
    }

    private BoltMsg heartbeatMessage() {
        BoltMsg msg = new BoltMsg();
        msg.setId("hb" + System.nanoTime());
        msg.setComp(null);
        msg.setTask(Constants.SYSTEM_TASK_ID);
        msg.setStream(HEARTBEAT_STREAM_ID);
        msg.setTuple(new ArrayList<>());
        return msg;
    }

    private void readLoop() {
        while (running) {
            try {
                ShellMsg msg = process.readShellMsg();
                String cmd = msg.getCommand();
                if (cmd == null) {
                    throw new IllegalArgumentException("Command not found in bolt message: " + msg);
                }
                lastHeartbeat = System.currentTimeMillis();
                switch (cmd) {
                    case "emit":
                        emit(msg);
                        break;
                    case "ack":
                        collector.ack(take(msg.getId(), "Acked"));
                        break;
                    case "fail":
                        collector.fail(take(msg.getId(), "Failed"));
                        break;
                    case "error":
                        collector.reportError(new Exception("Shell Process Exception: " + msg.getMsg()));
                        break;
                    case "log":
                        logHandler.log(msg);
                        break;
                    case "metrics":
                        ShellComponents.updateMetric(context, msg);
                        break;
                    default:
                        break; // sync: the heartbeat answer, already noted
                }
            } catch (Throwable t) {
                if (!running && t instanceof InterruptedException) {
                    return;
                }
                die(t);
                if (!running) {
                    return;
                }
            }
        }
    }

    private Tuple take(Object id, String what) {
        Tuple t = inputs.remove(id);
        if (t == null) {
            throw new RuntimeException(what + " a non-existent or already acked/failed id: " + id);
        }
        return t;
    }

    private void emit(ShellMsg msg) {
        List<String> ids = msg.getAnchors();
        List<Tuple> anchors = new ArrayList<>(ids == null ? 0 : ids.size());
        if (ids != null) {
            for (String id : ids) {
                Tuple t = inputs.get(id);
                if (t == null) {
                    throw new RuntimeException("Anchored onto " + id + " after ack/fail");
                }
                anchors.add(t);
            }
        }
        if (msg.getTask() == 0) {
            List<Integer> tasks = collector.emit(msg.getStream(), anchors, msg.getTuple());
            if (msg.areTaskIdsNeeded()) {
                lock.lock();
                try {
                    taskIds.add(tasks);
                    ready.signal();
                } finally {
                    lock.unlock();
                }
            }
        } else {
            collector.emitDirect((int) msg.getTask(), msg.getStream(), anchors, msg.getTuple());
        }
    }

    private void heartbeatLoop() {
        while (running) {
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                return;
            }
            long silent = System.currentTimeMillis() - lastHeartbeat;
            if (silent > timeoutMillis) {
                die(new ShellComponents.NoHeartbeat(silent, timeoutMillis));
            }
            lock.lock();
            try {
                heartbeatDue = true;
                ready.signal();
            } finally {
                lock.unlock();
            }
        }
    }

    private synchronized void die(Throwable cause) {
        if (exception != null || !running) {
            return; // already dying (reader and writer can both notice), or cleanup stopped it
        }
        RuntimeException death = ShellComponents.dying("BatchShellBolt", command, process,
                                                       context, cause, LOG);
        exception = death;
        collector.reportError(death);
        if (!localMode && (running || cause instanceof Error)) {
            System.exit(11);
        }
        running = false;
    }
}
