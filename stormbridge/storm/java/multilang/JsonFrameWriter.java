package stormbridge.multilang;

import java.io.IOException;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.RandomAccess;

/**
 * Writes multilang frames (one JSON value, then "\nend\n") into one reused byte buffer and
 * hands each whole frame to the stream with a single write and flush.
 *
 * <p>Values: null, String, Character, Boolean, Integer/Long/Short/Byte, Double/Float (NaN and
 * the infinities written bare, as Python's json module does), BigInteger/BigDecimal, List,
 * Map (keys as strings), Object[] and other Collections. Anything else is written as the JSON
 * string of its toString(). Text is written as raw UTF-8; control characters, quote and
 * backslash are escaped, and a lone surrogate is written as a \\u escape.
 */
final class JsonFrameWriter {
    private static final byte[] END = {'\n', 'e', 'n', 'd', '\n'};
    private static final byte[] NULL = bytes("null");
    private static final byte[] TRUE = bytes("true");
    private static final byte[] FALSE = bytes("false");
    private static final byte[] NAN = bytes("NaN");
    private static final byte[] INF = bytes("Infinity");
    private static final byte[] NEG_INF = bytes("-Infinity");
    private static final byte[] HEX = bytes("0123456789abcdef");
    /** A buffer grown past this for one big frame is dropped afterwards. */
    private static final int KEEP = 1 << 20;

    private final OutputStream out;
    private byte[] buf = new byte[16 * 1024];
    private int len;

    JsonFrameWriter(OutputStream out) {
        this.out = out;
    }

    static byte[] bytes(String ascii) {
        return ascii.getBytes(StandardCharsets.UTF_8);
    }

    /** While true, ended frames stay in the buffer until {@link #flushHeld} (one write and
     *  one flush per burst: the batched transport's shell components set it). */
    boolean hold;
    /** Held bytes past which endFrame writes them out even while holding. */
    private static final int HOLD_LIMIT = 64 * 1024;

    /** Ends the frame: appends "\nend\n", writes and flushes it, and starts the next one
     *  (or, while {@link #hold} is set, keeps it for {@link #flushHeld}). */
    void endFrame() throws IOException {
        raw(END);
        if (hold && len < HOLD_LIMIT) {
            return;
        }
        flushHeld();
    }

    /** Writes and flushes every ended frame held so far (nothing when there is none). */
    void flushHeld() throws IOException {
        if (len == 0) {
            return;
        }
        try {
            out.write(buf, 0, len);
            out.flush();
        } finally {
            len = 0;
            if (buf.length > KEEP) {
                buf = new byte[16 * 1024];
            }
        }
    }

    /** Drops a half-written frame (after an exception while writing it). */
    void discard() {
        len = 0;
    }

    private void ensure(int more) {
        int need = len + more;
        if (need > buf.length) {
            long size = Math.max((long) buf.length * 2, need);
            if (size > Integer.MAX_VALUE - 16) {
                throw new IllegalStateException("a multilang frame larger than 2 GiB");
            }
            byte[] bigger = new byte[(int) size];
            System.arraycopy(buf, 0, bigger, 0, len);
            buf = bigger;
        }
    }

    void raw(byte[] b) {
        ensure(b.length);
        System.arraycopy(b, 0, buf, len, b.length);
        len += b.length;
    }

    void raw(char c) {
        ensure(1);
        buf[len++] = (byte) c;
    }

    /** Text that is already JSON (written as UTF-8, unchanged). */
    void rawJson(String json) {
        raw(json.getBytes(StandardCharsets.UTF_8));
    }

    void value(Object v) {
        if (v == null) {
            raw(NULL);
        } else if (v instanceof String) {
            string((String) v);
        } else if (v instanceof Integer || v instanceof Long || v instanceof Short
                   || v instanceof Byte) {
            number(((Number) v).longValue());
        } else if (v instanceof Double) {
            number(((Double) v).doubleValue());
        } else if (v instanceof Boolean) {
            raw(((Boolean) v) ? TRUE : FALSE);
        } else if (v instanceof List) {
            list((List<?>) v);
        } else if (v instanceof Map) {
            map((Map<?, ?>) v);
        } else if (v instanceof Float) {
            float f = (Float) v;
            if (Float.isNaN(f) || Float.isInfinite(f)) {
                number((double) f);
            } else {
                rawJson(Float.toString(f));
            }
        } else if (v instanceof BigInteger || v instanceof BigDecimal) {
            rawJson(v.toString());
        } else if (v instanceof Character) {
            string(v.toString());
        } else if (v instanceof Object[]) {
            Object[] items = (Object[]) v;
            raw('[');
            for (int i = 0; i < items.length; i++) {
                if (i > 0) {
                    raw(',');
                }
                value(items[i]);
            }
            raw(']');
        } else if (v instanceof Collection) {
            raw('[');
            boolean first = true;
            for (Object item : (Collection<?>) v) {
                if (!first) {
                    raw(',');
                }
                first = false;
                value(item);
            }
            raw(']');
        } else if (v instanceof Number) {
            rawJson(v.toString());
        } else {
            string(v.toString());
        }
    }

    void list(List<?> items) {
        raw('[');
        if (items instanceof RandomAccess) {
            int n = items.size();
            for (int i = 0; i < n; i++) {
                if (i > 0) {
                    raw(',');
                }
                value(items.get(i));
            }
        } else {
            boolean first = true;
            for (Object item : items) {
                if (!first) {
                    raw(',');
                }
                first = false;
                value(item);
            }
        }
        raw(']');
    }

    void map(Map<?, ?> map) {
        raw('{');
        boolean first = true;
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (!first) {
                raw(',');
            }
            first = false;
            string(String.valueOf(e.getKey()));
            raw(':');
            value(e.getValue());
        }
        raw('}');
    }

    void number(long v) {
        if (v == Long.MIN_VALUE) {
            rawJson(Long.toString(v));
            return;
        }
        ensure(20);
        if (v < 0) {
            buf[len++] = '-';
            v = -v;
        }
        if (v < 10) {
            buf[len++] = (byte) ('0' + v);
            return;
        }
        int digits = 0;
        for (long t = v; t > 0; t /= 10) {
            digits++;
        }
        int p = len + digits;
        len = p;
        while (v > 0) {
            buf[--p] = (byte) ('0' + (v % 10));
            v /= 10;
        }
    }

    void number(double d) {
        if (Double.isNaN(d)) {
            raw(NAN);
        } else if (Double.isInfinite(d)) {
            raw(d > 0 ? INF : NEG_INF);
        } else {
            rawJson(Double.toString(d));
        }
    }

    /** A JSON string: raw UTF-8 with the escapes JSON requires. */
    void string(String s) {
        int n = s.length();
        ensure(n * 6 + 2);
        byte[] b = buf;
        int p = len;
        b[p++] = '"';
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                if (c >= 0x20 && c != '"' && c != '\\') {
                    b[p++] = (byte) c;
                    continue;
                }
                b[p++] = '\\';
                switch (c) {
                    case '"': b[p++] = '"'; break;
                    case '\\': b[p++] = '\\'; break;
                    case '\n': b[p++] = 'n'; break;
                    case '\r': b[p++] = 'r'; break;
                    case '\t': b[p++] = 't'; break;
                    case '\b': b[p++] = 'b'; break;
                    case '\f': b[p++] = 'f'; break;
                    default: p = unicodeEscape(b, p, c); break;
                }
            } else if (c < 0x800) {
                b[p++] = (byte) (0xC0 | (c >> 6));
                b[p++] = (byte) (0x80 | (c & 0x3F));
            } else if (Character.isHighSurrogate(c) && i + 1 < n
                       && Character.isLowSurrogate(s.charAt(i + 1))) {
                int cp = Character.toCodePoint(c, s.charAt(++i));
                b[p++] = (byte) (0xF0 | (cp >> 18));
                b[p++] = (byte) (0x80 | ((cp >> 12) & 0x3F));
                b[p++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
                b[p++] = (byte) (0x80 | (cp & 0x3F));
            } else if (Character.isSurrogate(c)) {
                b[p++] = '\\';
                p = unicodeEscape(b, p, c);
            } else {
                b[p++] = (byte) (0xE0 | (c >> 12));
                b[p++] = (byte) (0x80 | ((c >> 6) & 0x3F));
                b[p++] = (byte) (0x80 | (c & 0x3F));
            }
        }
        b[p++] = '"';
        len = p;
    }

    /** Writes "uXXXX" (the backslash is already written); returns the new position. */
    private static int unicodeEscape(byte[] b, int p, char c) {
        b[p++] = 'u';
        b[p++] = HEX[(c >> 12) & 0xF];
        b[p++] = HEX[(c >> 8) & 0xF];
        b[p++] = HEX[(c >> 4) & 0xF];
        b[p++] = HEX[c & 0xF];
        return p;
    }
}
