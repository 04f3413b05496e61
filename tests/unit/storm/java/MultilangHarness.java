import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.storm.multilang.BoltMsg;
import org.apache.storm.multilang.ISerializer;
import org.apache.storm.multilang.NoOutputException;
import org.apache.storm.multilang.ShellMsg;
import org.apache.storm.multilang.SpoutMsg;

/**
 * Drives a multilang ISerializer (named by class) for stormbridge's tests and benchmark.
 *
 * <pre>
 *   read  CLASS        stdin: frames from a subprocess; stdout: one line per ShellMsg read
 *                      (types spelled out), then "EOF" or "ERROR Class: message"
 *   write CLASS        stdout: the frames CLASS writes for a fixed set of bolt/spout messages
 *   bench CLASS N FILE N times: read every frame of FILE, and write a word-count bolt tuple;
 *                      prints "read_ns_per_msg write_ns_per_msg" (thread CPU time, 2nd half)
 * </pre>
 */
public final class MultilangHarness {
    private static final java.lang.management.ThreadMXBean CPU =
        java.lang.management.ManagementFactory.getThreadMXBean();

    public static void main(String[] args) throws Exception {
        ISerializer s = (ISerializer) Class.forName(args[1]).getDeclaredConstructor().newInstance();
        switch (args[0]) {
            case "read":
                read(s);
                break;
            case "write":
                write(s);
                break;
            case "bench":
                bench(args[1], Integer.parseInt(args[2]), java.nio.file.Files.readAllBytes(
                    java.nio.file.Paths.get(args[3])));
                break;
            default:
                throw new IllegalArgumentException(args[0]);
        }
    }

    private static void read(ISerializer s) {
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        s.initialize(OutputStream.nullOutputStream(), System.in);
        while (true) {
            ShellMsg m;
            try {
                m = s.readShellMsg();
            } catch (NoOutputException e) {
                out.println("EOF " + e.getMessage().replace('\n', ' '));
                return;
            } catch (Throwable e) {
                out.println("ERROR " + e.getClass().getName() + ": "
                            + String.valueOf(e.getMessage()).replace('\n', ' '));
                return;
            }
            out.println("command=" + show(m.getCommand()) + " id=" + show(m.getId())
                        + " stream=" + show(m.getStream()) + " task=" + m.getTask()
                        + " need_task_ids=" + m.areTaskIdsNeeded() + " anchors="
                        + show(m.getAnchors()) + " tuple=" + show(m.getTuple()) + " msg="
                        + show(m.getMsg()) + " level=" + m.getLogLevel() + " name="
                        + show(m.getMetricName()) + " params=" + show(m.getMetricParams()));
        }
    }

    /** A value with its Java types: s"..", i5, l5, d1.5, true, null, [..], {k: v} (sorted). */
    static String show(Object v) {
        if (v == null) {
            return "null";
        }
        if (v instanceof String) {
            StringBuilder b = new StringBuilder("s\"");
            for (char c : ((String) v).toCharArray()) {
                if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') {
                    b.append(String.format("\\u%04x", (int) c));
                } else {
                    b.append(c);
                }
            }
            return b.append('"').toString();
        }
        if (v instanceof Integer) {
            return "i" + v;
        }
        if (v instanceof Long) {
            return "l" + v;
        }
        if (v instanceof Double || v instanceof Float) {
            return "d" + ((Number) v).doubleValue();
        }
        if (v instanceof java.math.BigInteger) {
            return "big" + v;
        }
        if (v instanceof Boolean) {
            return v.toString();
        }
        if (v instanceof List) {
            List<String> parts = new ArrayList<>();
            for (Object o : (List<?>) v) {
                parts.add(show(o));
            }
            return "[" + String.join(", ", parts) + "]";
        }
        if (v instanceof Map) {
            TreeMap<String, String> sorted = new TreeMap<>();
            for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
                sorted.put(String.valueOf(e.getKey()), show(e.getValue()));
            }
            return "{" + sorted.toString().substring(1);
        }
        return v.getClass().getName() + ":" + v;
    }

    private static BoltMsg bolt(String id, String comp, String stream, long task, Object... values) {
        BoltMsg m = new BoltMsg();
        m.setId(id);
        m.setComp(comp);
        m.setStream(stream);
        m.setTask(task);
        m.setTuple(new ArrayList<>(Arrays.asList(values)));
        return m;
    }

    private static SpoutMsg spout(String command, Object id) {
        SpoutMsg m = new SpoutMsg();
        m.setCommand(command);
        m.setId(id);
        return m;
    }

    private static void write(ISerializer s) throws Exception {
        s.initialize(System.out, InputStream.nullInputStream());
        Map<String, Object> nested = new LinkedHashMap<>();
        nested.put("k", Arrays.asList(1, 2L, "three", null, true));
        nested.put("\u00e9\u6f22", new HashMap<>(Map.of("x", 1.5)));
        s.writeBoltMsg(bolt("-6955565822418862353", "word_spout", "default", 7, "dog", 10));
        s.writeBoltMsg(bolt("1", null, "__heartbeat", -1));
        s.writeBoltMsg(bolt("2", "__system", "__tick", -1, 30));
        s.writeBoltMsg(bolt("3", "c", "s", Long.MAX_VALUE, "quote\" back\\ nl\n tab\t ctl\u0001 del\u007f",
                            "caf\u00e9 \u6f22\u5b57 \ud83d\ude00", Long.MIN_VALUE, Integer.MIN_VALUE,
                            0.1, -2.5e-300, 1e300, Double.NaN, Double.POSITIVE_INFINITY,
                            Double.NEGATIVE_INFINITY, 3.25f, true, false, null, nested,
                            new java.math.BigInteger("123456789012345678901234567890"),
                            (short) 7, (byte) -3, 'c', new Object[] {"arr", 1}));
        s.writeSpoutMsg(spout("next", ""));
        s.writeSpoutMsg(spout("ack", 12345));
        s.writeSpoutMsg(spout("fail", "msg-id \u00e9"));
        s.writeSpoutMsg(spout("ack", Arrays.asList("compound", 1)));
        s.writeSpoutMsg(spout("activate", ""));
        s.writeTaskIds(Arrays.asList(4, 5, 6));
        s.writeTaskIds(new ArrayList<>());
        System.out.flush();
    }

    private static void bench(String cls, int rounds, byte[] frames) throws Exception {
        BoltMsg msg = bolt("-6955565822418862353", "word_spout", "default", 7, "elephant");
        long readNs = 0;
        long writeNs = 0;
        long reads = 0;
        long writes = 0;
        for (int round = 0; round < rounds; round++) {
            ISerializer s = (ISerializer) Class.forName(cls).getDeclaredConstructor().newInstance();
            ByteArrayOutputStream sink = new ByteArrayOutputStream(1 << 20);
            s.initialize(sink, new ByteArrayInputStream(frames));
            long t0 = CPU.getCurrentThreadCpuTime();
            int n = 0;
            while (true) {
                try {
                    s.readShellMsg();
                    n++;
                } catch (NoOutputException e) {
                    break;
                }
            }
            long t1 = CPU.getCurrentThreadCpuTime();
            for (int i = 0; i < n; i++) {
                s.writeBoltMsg(msg);
                if (sink.size() > (1 << 20)) {
                    sink.reset();
                }
            }
            long t2 = CPU.getCurrentThreadCpuTime();
            if (round >= rounds / 2) { // the second half, after the JIT warmed up
                readNs += t1 - t0;
                writeNs += t2 - t1;
                reads += n;
                writes += n;
            }
        }
        System.out.println((readNs / (double) reads) + " " + (writeNs / (double) writes));
    }
}
