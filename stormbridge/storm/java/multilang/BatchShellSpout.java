package stormbridge.multilang;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
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
 * A multilang spout that never waits on its subprocess in Storm's spout thread: the batched
 * transport's spout.
 *
 * <p>Same protocol and semantics as Storm's ShellSpout (every command answered by one
 * {@code sync}, emits with message ids, task-id replies, log/error/metrics messages, the
 * subprocess heartbeat timeout), with these changes:
 * <ul>
 * <li>{@code next} carries {@code "max": k}: a subprocess that was offered the batched
 * transport at the handshake ({@code "stormbridge.transport": "batched"} in the conf) may call
 * its next_tuple up to k times before its {@code sync}. A subprocess that ignores "max"
 * answers as before.</li>
 * <li>A reader thread reads what the subprocess writes and hands it to Storm's spout thread
 * one burst (one read of the pipe) at a time; {@link #nextTuple} emits what has arrived and
 * returns, so acks keep flowing through the spout's executor (and complete latency keeps
 * counting from the emit) while the subprocess works.</li>
 * <li>Up to {@link #NEXTS_IN_FLIGHT} {@code next}s are outstanding, so the subprocess starts
 * the next burst while the JVM emits the last one. Their k add up to at most
 * {@code topology.max.spout.pending} minus the tuples in flight (each never more than
 * {@code stormbridge.spout.max.emits.per.next}, default 100), so pending stays within
 * Storm's bound.</li>
 * <li>{@code ack} and {@code fail} are not waited for: they are written with the next
 * {@code next} (one flush), or at once when the spout is not active or {@link #MAX_DEFERRED}
 * are waiting, and their syncs are read as they come.</li>
 * </ul>
 * Commands are written only by Storm's spout thread; the subprocess answers them in order, so
 * each {@code sync} is matched to the oldest command still owed one.
 */
public class BatchShellSpout implements ISpout {
    static final String MAX_EMITS_KEY = "stormbridge.spout.max.emits.per.next";
    static final int MAX_DEFERRED = 256;
    static final int NEXTS_IN_FLIGHT = 2;
    /** The longest nextTuple waits for the subprocess's output: Storm's own idle sleep. */
    static final long WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    /** In {@link #owed}: a command other than {@code next} (acks, fails, (de)activate). */
    private static final int NOT_NEXT = -1;
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
    private transient volatile long lastHeartbeat;
    private transient long timeoutMillis;
    private transient Thread heartbeats;
    private transient Thread reader;

    // Storm's spout thread only.
    private transient boolean active;
    private transient int maxEmits;
    private transient int maxPending;
    private transient long pending;
    private transient long emits;
    private transient List<SpoutMsg> deferred;
    /** One entry per written command still owed its sync: the "max" of a next, or NOT_NEXT. */
    private transient ArrayDeque<Integer> owed;
    private transient int nextsOwed;
    private transient long requested;
    private transient ArrayList<ShellMsg> spare;
    /** owed.size(), for the heartbeat thread. */
    private transient volatile int owedCount;

    // From the reader thread to the spout thread, guarded by lock.
    private transient ReentrantLock lock;
    private transient Condition arrived;
    private transient ArrayList<ShellMsg> inbox;
    private transient volatile Throwable readFailure;

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
        owed = new ArrayDeque<>();
        spare = new ArrayList<>();
        inbox = new ArrayList<>();
        lock = new ReentrantLock();
        arrived = lock.newCondition();
        running = true;

        process = ShellComponents.launch(command, topoConf, context, LOG);
        fast = ShellComponents.holding(process);
        logHandler = ShellUtils.getLogHandler(topoConf);
        logHandler.setUpContext(BatchShellSpout.class, process, context);
        lastHeartbeat = System.currentTimeMillis();
        String name = context.getThisComponentId() + "-" + context.getThisTaskId();
        heartbeats = new Thread(this::heartbeatLoop, "stormbridge-spout-heartbeat-" + name);
        reader = new Thread(this::readLoop, "stormbridge-spout-reader-" + name);
        heartbeats.setDaemon(true);
        reader.setDaemon(true);
        heartbeats.start();
        reader.start();
    }

    @Override
    public void close() {
        running = false;
        heartbeats.interrupt();
        reader.interrupt();
        process.destroy();
    }

    @Override
    public void nextTuple() {
        check();
        long before = emits;
        handleArrived(false);
        request();
        if (emits == before && nextsOwed > 0) {
            // Nothing to emit yet: wait for the subprocess's burst rather than let Storm's
            // spout wait strategy sleep a whole millisecond.
            handleArrived(true);
            request();
        }
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
            check();
            try {
                writeDeferred();
                flush();
            } catch (IOException e) {
                throw failed(e);
            }
        }
    }

    @Override
    public void activate() {
        lastHeartbeat = System.currentTimeMillis();
        active = true;
        command("activate");
    }

    @Override
    public void deactivate() {
        active = false;
        command("deactivate");
    }

    /** Writes a command other than next (after the deferred acks/fails) and waits until the
     *  subprocess has answered everything written so far, as Storm's ShellSpout does. */
    private void command(String cmd) {
        check();
        try {
            writeDeferred();
            SpoutMsg m = new SpoutMsg();
            m.setCommand(cmd);
            m.setId("");
            writeSpout(m);
            owe(NOT_NEXT);
            flush();
        } catch (IOException e) {
            throw failed(e);
        }
        while (!owed.isEmpty()) {
            handleArrived(true);
        }
    }

    /** Writes nexts (after the deferred acks/fails) while fewer than NEXTS_IN_FLIGHT are
     *  outstanding and max.spout.pending leaves room; flushes once. */
    private void request() {
        if (!active) {
            return;
        }
        boolean wrote = false;
        try {
            while (nextsOwed < NEXTS_IN_FLIGHT) {
                long room = maxPending > 0 ? maxPending - pending - requested : maxEmits;
                if (room <= 0 || (fast == null && nextsOwed > 0)) {
                    break; // (Storm's serializer: one plain next at a time)
                }
                int max = (int) Math.min(maxEmits, room);
                writeDeferred();
                if (fast != null) {
                    fast.writeNext(max);
                } else {
                    SpoutMsg m = new SpoutMsg();
                    m.setCommand("next");
                    m.setId("");
                    writeSpout(m);
                    max = 1;
                }
                owe(max);
                nextsOwed++;
                requested += max;
                wrote = true;
            }
            if (wrote) {
                flush();
            }
        } catch (IOException e) {
            throw failed(e);
        }
    }

    private void writeDeferred() throws IOException {
        for (SpoutMsg m : deferred) {
            writeSpout(m);
            owe(NOT_NEXT);
        }
        deferred.clear();
    }

    private void owe(int what) {
        if (owed.isEmpty()) {
            lastHeartbeat = System.currentTimeMillis(); // the subprocess's clock starts now
        }
        owed.addLast(what);
        owedCount = owed.size();
    }

    private void flush() throws IOException {
        if (fast != null) {
            fast.flush();
        }
        process.logErrorStream();
    }

    private void writeSpout(SpoutMsg m) throws IOException {
        if (fast != null) {
            fast.writeSpoutMsg(m);
        } else {
            process.writeSpoutMsg(m);
        }
    }

    /** Handles what the reader thread has brought; with {@code wait}, first waits (at most
     *  {@link #WAIT_NANOS}) for something to arrive. */
    private void handleArrived(boolean wait) {
        ArrayList<ShellMsg> got;
        lock.lock();
        try {
            if (wait && inbox.isEmpty() && readFailure == null) {
                try {
                    arrived.awaitNanos(WAIT_NANOS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new RuntimeException("interrupted waiting for the subprocess", e);
                }
            }
            got = inbox;
            inbox = spare;
        } finally {
            lock.unlock();
        }
        try {
            for (int i = 0, n = got.size(); i < n; i++) {
                handle(got.get(i));
            }
        } catch (IOException e) {
            throw failed(e);
        } finally {
            got.clear();
            spare = got;
        }
        check();
    }

    private void handle(ShellMsg msg) throws IOException {
        String c = msg.getCommand();
        if (c == null) {
            throw new IllegalArgumentException("Command not found in spout message: " + msg);
        }
        switch (c) {
            case "sync":
                synced();
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

    private void synced() {
        Integer what = owed.pollFirst();
        if (what == null) {
            throw new RuntimeException("the subprocess sent a sync no command was waiting for");
        }
        owedCount = owed.size();
        if (what != NOT_NEXT) {
            nextsOwed--;
            requested -= what;
        }
    }

    private void emit(ShellMsg msg) throws IOException {
        Object messageId = msg.getId();
        if (messageId != null) {
            pending++;
        }
        emits++;
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

    /** The reader thread: reads messages and hands them over one burst at a time. */
    private void readLoop() {
        ArrayList<ShellMsg> got = new ArrayList<>();
        try {
            while (running) {
                got.add(process.readShellMsg());
                lastHeartbeat = System.currentTimeMillis();
                if (fast != null && fast.hasBufferedInput() && got.size() < MAX_DEFERRED) {
                    continue; // more of this burst is already here
                }
                lock.lock();
                try {
                    if (inbox.isEmpty()) {
                        ArrayList<ShellMsg> t = inbox;
                        inbox = got;
                        got = t;
                    } else {
                        inbox.addAll(got);
                        got.clear();
                    }
                    arrived.signal();
                } finally {
                    lock.unlock();
                }
            }
        } catch (Throwable t) {
            if (!running) {
                return;
            }
            lock.lock();
            try {
                inbox.addAll(got); // what came before the failure is still handled first
                readFailure = t;
                arrived.signal();
            } finally {
                lock.unlock();
            }
        }
    }

    /** Throws when the subprocess is gone or timed out, as Storm's ShellSpout does. */
    private void check() {
        if (exception != null) {
            throw exception;
        }
        if (readFailure == null) {
            return;
        }
        Throwable t;
        lock.lock();
        try {
            t = inbox.isEmpty() ? readFailure : null; // what came before it is handled first
        } finally {
            lock.unlock();
        }
        if (t != null) {
            throw failed(t);
        }
    }

    private RuntimeException failed(Throwable cause) {
        return ShellComponents.dying("BatchShellSpout", command, process, context, cause, LOG);
    }

    private void heartbeatLoop() {
        while (running) {
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                return;
            }
            long silent = System.currentTimeMillis() - lastHeartbeat;
            if (owedCount > 0 && silent > timeoutMillis) {
                die(new ShellComponents.NoHeartbeat(silent, timeoutMillis));
            }
        }
    }

    private void die(Throwable cause) {
        exception = failed(cause);
        collector.reportError(exception);
        if (running || cause instanceof Error) {
            System.exit(11);
        }
    }
}
