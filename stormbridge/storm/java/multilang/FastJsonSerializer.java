package stormbridge.multilang;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.storm.multilang.BoltMsg;
import org.apache.storm.multilang.ISerializer;
import org.apache.storm.multilang.NoOutputException;
import org.apache.storm.multilang.ShellMsg;
import org.apache.storm.multilang.SpoutMsg;
import org.apache.storm.task.TopologyContext;

/**
 * stormbridge's multilang serializer: the wire format of Storm's JsonSerializer (one JSON
 * value, then a line "end"), written and parsed by hand over reused byte buffers instead of
 * through json-smart's maps.
 *
 * <p>Set {@code topology.multilang.serializer: stormbridge.multilang.FastJsonSerializer}; the
 * class must be on the worker's classpath (stormbridge puts it in the topology jar).
 *
 * <p>Unlike Storm 2.6-2.8's JsonSerializer, a {@code "task"} (direct emit) is read as any
 * integral number, so emitDirect from a shell component works instead of killing the worker
 * with a ClassCastException. Messages that are not an object with a string {@code "command"}
 * are refused with an IOException that quotes the offending bytes. Metrics a component's conf
 * declares ({@code stormbridge.metrics}) are registered before the handshake, so that its
 * {@code "metrics"} messages work (see {@link ShellMetrics}).
 */
public class FastJsonSerializer implements ISerializer {
    private static final long serialVersionUID = 8244316504528741093L;

    private static final byte[] K_COMMAND = JsonFrameWriter.bytes("command");
    private static final byte[] K_TUPLE = JsonFrameWriter.bytes("tuple");
    private static final byte[] K_ID = JsonFrameWriter.bytes("id");
    private static final byte[] K_STREAM = JsonFrameWriter.bytes("stream");
    private static final byte[] K_TASK = JsonFrameWriter.bytes("task");
    private static final byte[] K_ANCHORS = JsonFrameWriter.bytes("anchors");
    private static final byte[] K_NEED_TASK_IDS = JsonFrameWriter.bytes("need_task_ids");
    private static final byte[] K_MSG = JsonFrameWriter.bytes("msg");
    private static final byte[] K_LEVEL = JsonFrameWriter.bytes("level");
    private static final byte[] K_NAME = JsonFrameWriter.bytes("name");
    private static final byte[] K_PARAMS = JsonFrameWriter.bytes("params");

    /** Commands read without allocating (ShellBolt and ShellSpout compare them by value). */
    private static final String[] COMMANDS = {"emit", "ack", "fail", "sync", "log", "error",
                                              "metrics", "next"};
    private static final byte[][] COMMAND_BYTES = new byte[COMMANDS.length][];

    static {
        for (int i = 0; i < COMMANDS.length; i++) {
            COMMAND_BYTES[i] = JsonFrameWriter.bytes(COMMANDS[i]);
        }
    }

    private static final byte[] NEXT_FRAME = JsonFrameWriter.bytes(
        "{\"command\":\"next\",\"id\":\"\"}");
    private static final byte[] NEXT_MAX = JsonFrameWriter.bytes(
        "{\"command\":\"next\",\"id\":\"\",\"max\":");
    private static final byte[] BOLT_ID = JsonFrameWriter.bytes("{\"id\":");
    private static final byte[] BOLT_COMP = JsonFrameWriter.bytes(",\"comp\":");
    private static final byte[] BOLT_STREAM = JsonFrameWriter.bytes(",\"stream\":");
    private static final byte[] BOLT_TASK = JsonFrameWriter.bytes(",\"task\":");
    private static final byte[] BOLT_TUPLE = JsonFrameWriter.bytes(",\"tuple\":");
    private static final byte[] SPOUT_COMMAND = JsonFrameWriter.bytes("{\"command\":");
    private static final byte[] SPOUT_ID = JsonFrameWriter.bytes(",\"id\":");

    private transient JsonFrameWriter writer;
    private transient JsonFrameReader reader;
    /** The last stream id read, and its bytes: most emits name the same stream. */
    private transient byte[] lastStreamBytes;
    private transient String lastStream;

    @Override
    public void initialize(OutputStream processIn, InputStream processOut) {
        writer = new JsonFrameWriter(processIn);
        reader = new JsonFrameReader(processOut);
    }

    @Override
    public Number connect(Map<String, Object> conf, TopologyContext context)
        throws IOException, NoOutputException {
        ShellMetrics.register(conf, context); // still inside ShellBolt.prepare/ShellSpout.open
        synchronized (writer) {
            try {
                writer.raw(JsonFrameWriter.bytes("{\"pidDir\":"));
                writer.value(context.getPIDDir());
                writer.raw(JsonFrameWriter.bytes(",\"conf\":"));
                writer.value(conf);
                writer.raw(JsonFrameWriter.bytes(",\"context\":"));
                writer.rawJson(context.toJSONString());
                writer.raw('}');
                writer.endFrame();
            } catch (RuntimeException e) {
                writer.discard();
                throw e;
            }
        }
        reader.nextFrame();
        if (reader.peek() != '{') {
            throw reader.error("the handshake reply must be an object {\"pid\": N}");
        }
        Map<String, Object> reply = reader.object();
        reader.expectFrameEnd();
        Object pid = reply.get("pid");
        if (!(pid instanceof Number)) {
            throw new IOException("the subprocess's handshake reply has no numeric \"pid\": "
                                  + reply);
        }
        return (Number) pid;
    }

    @Override
    public ShellMsg readShellMsg() throws IOException, NoOutputException {
        JsonFrameReader r = reader;
        r.nextFrame();
        if (r.peek() != '{') {
            throw r.error("a message must be a JSON object with a \"command\"");
        }
        r.pos++;
        ShellMsg msg = new ShellMsg();
        String command = null;
        String stream = null;
        boolean needTaskIds = true;
        long task = 0;
        if (r.peek() == '}') {
            r.pos++;
        } else {
            while (true) {
                if (r.peek() != '"') {
                    throw r.error("expected a string key");
                }
                if (r.stringEquals(K_COMMAND)) {
                    r.expect(':');
                    command = command(r);
                } else if (r.stringEquals(K_TUPLE)) {
                    r.expect(':');
                    Object tuple = r.value();
                    if (tuple != null && !(tuple instanceof List)) {
                        throw r.error("\"tuple\" must be a list");
                    }
                    @SuppressWarnings("unchecked")
                    List<Object> values = (List<Object>) tuple;
                    msg.setTuple(values);
                } else if (r.stringEquals(K_ID)) {
                    r.expect(':');
                    msg.setId(r.value());
                } else if (r.stringEquals(K_STREAM)) {
                    r.expect(':');
                    stream = stream(r);
                } else if (r.stringEquals(K_TASK)) {
                    r.expect(':');
                    task = task(r);
                } else if (r.stringEquals(K_ANCHORS)) {
                    r.expect(':');
                    anchors(r, msg);
                } else if (r.stringEquals(K_NEED_TASK_IDS)) {
                    r.expect(':');
                    Object need = r.value();
                    if (need != null && !(need instanceof Boolean)) {
                        throw r.error("\"need_task_ids\" must be true or false");
                    }
                    needTaskIds = need == null || (Boolean) need;
                } else if (r.stringEquals(K_MSG)) {
                    r.expect(':');
                    Object text = r.value();
                    if (text != null && !(text instanceof String)) {
                        throw r.error("\"msg\" must be a string");
                    }
                    msg.setMsg((String) text);
                } else if (r.stringEquals(K_LEVEL)) {
                    r.expect(':');
                    Object level = r.value();
                    if (level instanceof Number) {
                        msg.setLogLevel(((Number) level).intValue());
                    }
                } else if (r.stringEquals(K_NAME)) {
                    r.expect(':');
                    Object name = r.value();
                    msg.setMetricName(name instanceof String ? (String) name : null);
                } else if (r.stringEquals(K_PARAMS)) {
                    r.expect(':');
                    msg.setMetricParams(r.value());
                } else {
                    r.string();
                    r.expect(':');
                    r.value();
                }
                int c = r.peek();
                r.pos++;
                if (c == '}') {
                    break;
                }
                if (c != ',') {
                    r.pos--;
                    throw r.error("expected ',' or '}'");
                }
            }
        }
        r.expectFrameEnd();
        if (command == null) {
            r.pos = r.end;
            throw r.error("the message has no \"command\"");
        }
        msg.setCommand(command);
        msg.setStream(stream == null ? "default" : stream);
        msg.setTask(task);
        msg.setNeedTaskIds(needTaskIds);
        return msg;
    }

    private static String command(JsonFrameReader r) throws IOException {
        if (r.peek() == '"') {
            for (int i = 0; i < COMMANDS.length; i++) {
                if (r.stringEquals(COMMAND_BYTES[i])) {
                    return COMMANDS[i];
                }
            }
        }
        Object command = r.value();
        if (!(command instanceof String)) {
            throw r.error("\"command\" must be a string");
        }
        return (String) command;
    }

    private String stream(JsonFrameReader r) throws IOException {
        if (r.peek() == '"' && lastStreamBytes != null && r.stringEquals(lastStreamBytes)) {
            return lastStream;
        }
        Object stream = r.value();
        if (stream == null) {
            return null;
        }
        if (!(stream instanceof String)) {
            throw r.error("\"stream\" must be a string");
        }
        String s = (String) stream;
        byte[] b = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        boolean plain = true;
        for (byte x : b) {
            if (x == '"' || x == '\\') {
                plain = false;
                break;
            }
        }
        if (plain) {
            lastStreamBytes = b;
            lastStream = s;
        }
        return s;
    }

    private static long task(JsonFrameReader r) throws IOException {
        Object task = r.value();
        if (task == null) {
            return 0;
        }
        if (task instanceof Integer || task instanceof Long) {
            return ((Number) task).longValue();
        }
        throw r.error("\"task\" must be an integer task id, not " + task);
    }

    private static void anchors(JsonFrameReader r, ShellMsg msg) throws IOException {
        Object anchors = r.value();
        if (anchors == null) {
            return;
        }
        if (anchors instanceof String) {
            msg.addAnchor((String) anchors);
            return;
        }
        if (!(anchors instanceof List)) {
            throw r.error("\"anchors\" must be a list of tuple ids");
        }
        List<?> list = (List<?>) anchors;
        List<String> ids = new ArrayList<>(list.size());
        for (Object o : list) {
            if (!(o instanceof String)) {
                throw r.error("\"anchors\" must hold tuple id strings, not " + o);
            }
            ids.add((String) o);
        }
        msg.setAnchors(ids);
    }

    /** Whether more of the subprocess's output is already read but not yet returned by
     *  {@link #readShellMsg} (for the thread that reads; a burst ends when this is false). */
    public boolean hasBufferedInput() {
        return reader.buffered();
    }

    @Override
    public void writeBoltMsg(BoltMsg msg) throws IOException {
        JsonFrameWriter w = writer;
        synchronized (w) {
            try {
                w.raw(BOLT_ID);
                w.value(msg.getId());
                w.raw(BOLT_COMP);
                w.value(msg.getComp());
                w.raw(BOLT_STREAM);
                w.value(msg.getStream());
                w.raw(BOLT_TASK);
                w.number(msg.getTask());
                w.raw(BOLT_TUPLE);
                w.value(msg.getTuple());
                w.raw('}');
            } catch (RuntimeException e) {
                w.discard();
                throw e;
            }
            w.endFrame();
        }
    }

    @Override
    public void writeSpoutMsg(SpoutMsg msg) throws IOException {
        JsonFrameWriter w = writer;
        synchronized (w) {
            Object id = msg.getId();
            if ("next".equals(msg.getCommand()) && "".equals(id)) {
                w.raw(NEXT_FRAME);
            } else {
                try {
                    w.raw(SPOUT_COMMAND);
                    w.value(msg.getCommand());
                    w.raw(SPOUT_ID);
                    w.value(id);
                    w.raw('}');
                } catch (RuntimeException e) {
                    w.discard();
                    throw e;
                }
            }
            w.endFrame();
        }
    }

    /**
     * Keeps written frames until {@link #flush} (true) or writes each at once (false, the
     * default). BatchShellBolt and BatchShellSpout hold frames and flush once per burst.
     */
    public void holdFrames(boolean hold) throws IOException {
        JsonFrameWriter w = writer;
        synchronized (w) {
            w.hold = hold;
            if (!hold) {
                w.flushHeld();
            }
        }
    }

    /** Writes and flushes the frames held since the last flush. */
    public void flush() throws IOException {
        JsonFrameWriter w = writer;
        synchronized (w) {
            w.flushHeld();
        }
    }

    /**
     * A {@code next} that lets the subprocess call its spout's next_tuple up to {@code max}
     * times before its {@code sync} (the batched transport; a plain next is {@code max} 1).
     */
    public void writeNext(int max) throws IOException {
        JsonFrameWriter w = writer;
        synchronized (w) {
            w.raw(NEXT_MAX);
            w.number(max);
            w.raw('}');
            w.endFrame();
        }
    }

    @Override
    public void writeTaskIds(List<Integer> taskIds) throws IOException {
        JsonFrameWriter w = writer;
        synchronized (w) {
            w.raw('[');
            int n = taskIds.size();
            for (int i = 0; i < n; i++) {
                if (i > 0) {
                    w.raw(',');
                }
                w.number(taskIds.get(i).longValue());
            }
            w.raw(']');
            w.endFrame();
        }
    }
}
