package stormbridge.multilang;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.storm.multilang.NoOutputException;

/**
 * Reads multilang frames from the subprocess: the bytes up to a line that is exactly "end"
 * (as Storm's JsonSerializer reads them), parsed in place from one reused buffer.
 *
 * <p>Values come out as json-smart's do, so Java components downstream see the same types:
 * integers that fit 32 bits as Integer, else Long (BigInteger beyond 64 bits), other numbers
 * as Double (NaN and the infinities accepted, as Python writes them), arrays as ArrayList,
 * objects as HashMap, text as String.
 */
final class JsonFrameReader {
    private static final int KEEP = 1 << 20;

    private final InputStream in;
    private byte[] buf = new byte[64 * 1024];
    /** Unread data is buf[start, limit). */
    private int start;
    private int limit;
    /** Where the search for the next terminator resumes. */
    private int scanned;
    /** The frame being parsed is buf[frameStart, end); pos is the parser's position. */
    private int frameStart;
    int pos;
    int end;

    JsonFrameReader(InputStream in) {
        this.in = in;
    }

    /**
     * Finds the next frame and positions the parser at its start.
     *
     * @throws NoOutputException when the stream ends first (the subprocess is gone)
     */
    void nextFrame() throws IOException, NoOutputException {
        if (start == limit && buf.length > KEEP) {
            buf = new byte[64 * 1024];
            start = limit = scanned = 0;
        }
        int from = Math.max(scanned, start);
        while (true) {
            byte[] b = buf;
            for (int i = from; i + 4 < limit; i++) {
                if (b[i] == '\n' && b[i + 1] == 'e' && b[i + 2] == 'n' && b[i + 3] == 'd'
                    && (b[i + 4] == '\n' || b[i + 4] == '\r')) {
                    frameStart = pos = start;
                    end = i;
                    start = scanned = i + 5;
                    return;
                }
            }
            from = Math.max(start, limit - 4);
            int shift = fill();
            if (shift < 0) {
                throw new NoOutputException(brokenPipe());
            }
            from -= shift;
        }
    }

    /** Whether bytes the subprocess wrote are already read and not yet parsed: a caller that
     *  hands messages over in bursts keeps reading while this is true. */
    boolean buffered() {
        return start < limit;
    }

    /** Reads more bytes, compacting or growing the buffer; returns how far data moved, -1 at EOF. */
    private int fill() throws IOException {
        int shift = 0;
        if (limit == buf.length) {
            if (start > 0) {
                shift = start;
                System.arraycopy(buf, start, buf, 0, limit - start);
                limit -= start;
                start = 0;
            } else {
                if (buf.length >= Integer.MAX_VALUE / 2) {
                    throw new IOException("a multilang message from the subprocess is over 1 GiB "
                                          + "without an \"end\" line");
                }
                byte[] bigger = new byte[buf.length * 2];
                System.arraycopy(buf, 0, bigger, 0, limit);
                buf = bigger;
            }
        }
        int n = in.read(buf, limit, buf.length - limit);
        if (n < 0) {
            return -1;
        }
        limit += n;
        return shift;
    }

    private String brokenPipe() {
        String pending = new String(buf, start, limit - start, StandardCharsets.UTF_8).trim();
        StringBuilder msg = new StringBuilder("Pipe to subprocess seems to be broken!");
        if (pending.isEmpty()) {
            msg.append(" No output read.\n");
        } else {
            msg.append(" Currently read output: ").append(pending).append('\n');
        }
        msg.append("Serializer Exception:\n");
        return msg.toString();
    }

    // --- parsing ----------------------------------------------------------------------------

    IOException error(String what) {
        int from = Math.max(frameStart, pos - 60);
        int to = Math.min(end, pos + 60);
        String near = new String(buf, from, Math.max(0, to - from), StandardCharsets.UTF_8);
        return new IOException("invalid multilang message from the subprocess: " + what
                               + " at byte " + (pos - frameStart) + " near: " + near);
    }

    void skipWhitespace() {
        byte[] b = buf;
        int p = pos;
        while (p < end) {
            byte c = b[p];
            if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
                p++;
            } else {
                break;
            }
        }
        pos = p;
    }

    /** The next non-whitespace byte (not consumed), or -1 at the end of the frame. */
    int peek() {
        skipWhitespace();
        return pos < end ? buf[pos] : -1;
    }

    void expect(char c) throws IOException {
        if (peek() != c) {
            throw error("expected '" + c + "'");
        }
        pos++;
    }

    /** After the top-level value: only whitespace may follow. */
    void expectFrameEnd() throws IOException {
        if (peek() != -1) {
            throw error("unexpected data after the JSON value");
        }
    }

    Object value() throws IOException {
        int c = peek();
        switch (c) {
            case '{':
                return object();
            case '[':
                return array();
            case '"':
                return string();
            case 't':
                literal("true");
                return Boolean.TRUE;
            case 'f':
                literal("false");
                return Boolean.FALSE;
            case 'n':
                literal("null");
                return null;
            case 'N':
                literal("NaN");
                return Double.NaN;
            case 'I':
                literal("Infinity");
                return Double.POSITIVE_INFINITY;
            case -1:
                throw error("expected a value, found the end of the message");
            default:
                if (c == '-' || (c >= '0' && c <= '9')) {
                    return number();
                }
                throw error("unexpected character '" + (char) c + "'");
        }
    }

    private void literal(String word) throws IOException {
        int n = word.length();
        if (pos + n > end) {
            throw error("expected " + word);
        }
        for (int i = 0; i < n; i++) {
            if (buf[pos + i] != word.charAt(i)) {
                throw error("expected " + word);
            }
        }
        pos += n;
    }

    Map<String, Object> object() throws IOException {
        expect('{');
        HashMap<String, Object> map = new HashMap<>();
        if (peek() == '}') {
            pos++;
            return map;
        }
        while (true) {
            if (peek() != '"') {
                throw error("expected a string key");
            }
            String key = string();
            expect(':');
            map.put(key, value());
            int c = peek();
            pos++;
            if (c == '}') {
                return map;
            }
            if (c != ',') {
                pos--;
                throw error("expected ',' or '}'");
            }
        }
    }

    List<Object> array() throws IOException {
        expect('[');
        ArrayList<Object> list = new ArrayList<>();
        if (peek() == ']') {
            pos++;
            return list;
        }
        while (true) {
            list.add(value());
            int c = peek();
            pos++;
            if (c == ']') {
                return list;
            }
            if (c != ',') {
                pos--;
                throw error("expected ',' or ']'");
            }
        }
    }

    /** A number; integers as Integer when they fit 32 bits, else Long (BigInteger beyond). */
    Object number() throws IOException {
        byte[] b = buf;
        int s = pos;
        int p = pos;
        boolean negative = false;
        if (b[p] == '-') {
            negative = true;
            p++;
            if (p < end && b[p] == 'I') {
                pos = p;
                literal("Infinity");
                return Double.NEGATIVE_INFINITY;
            }
        }
        long v = 0;
        int digits = 0;
        while (p < end && b[p] >= '0' && b[p] <= '9') {
            v = v * 10 + (b[p] - '0');
            digits++;
            p++;
        }
        if (digits == 0) {
            pos = p;
            throw error("expected digits");
        }
        if (p < end && (b[p] == '.' || b[p] == 'e' || b[p] == 'E')) {
            while (p < end && ((b[p] >= '0' && b[p] <= '9') || b[p] == '.' || b[p] == 'e'
                               || b[p] == 'E' || b[p] == '+' || b[p] == '-')) {
                p++;
            }
            pos = p;
            try {
                return Double.parseDouble(new String(b, s, p - s, StandardCharsets.ISO_8859_1));
            } catch (NumberFormatException e) {
                pos = s;
                throw error("malformed number");
            }
        }
        pos = p;
        if (digits > 18) {
            BigInteger big = new BigInteger(new String(b, s, p - s, StandardCharsets.ISO_8859_1));
            return big.bitLength() < 64 ? (Object) big.longValue() : big;
        }
        if (negative) {
            v = -v;
        }
        if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
            return (int) v;
        }
        return v;
    }

    /** A string (the parser is on its opening quote). */
    String string() throws IOException {
        byte[] b = buf;
        int s = ++pos;
        boolean ascii = true;
        for (int p = s; p < end; p++) {
            byte c = b[p];
            if (c == '"') {
                pos = p + 1;
                return new String(b, s, p - s,
                                  ascii ? StandardCharsets.ISO_8859_1 : StandardCharsets.UTF_8);
            }
            if (c == '\\') {
                return escapedString(s, p);
            }
            if (c < 0) {
                ascii = false;
            }
        }
        pos = s - 1;
        throw error("unterminated string");
    }

    /** Whether the string at pos (on its opening quote) is exactly {@code ascii}; consumes it if so. */
    boolean stringEquals(byte[] ascii) {
        int n = ascii.length;
        int p = pos + 1;
        if (p + n >= end || buf[p + n] != '"') {
            return false;
        }
        for (int i = 0; i < n; i++) {
            if (buf[p + i] != ascii[i]) {
                return false;
            }
        }
        pos = p + n + 1;
        return true;
    }

    private String escapedString(int s, int p) throws IOException {
        byte[] b = buf;
        StringBuilder sb = new StringBuilder(p - s + 16);
        int run = s;
        while (p < end) {
            byte c = b[p];
            if (c == '"') {
                sb.append(new String(b, run, p - run, StandardCharsets.UTF_8));
                pos = p + 1;
                return sb.toString();
            }
            if (c != '\\') {
                p++;
                continue;
            }
            sb.append(new String(b, run, p - run, StandardCharsets.UTF_8));
            if (p + 1 >= end) {
                break;
            }
            byte e = b[p + 1];
            p += 2;
            switch (e) {
                case '"': sb.append('"'); break;
                case '\\': sb.append('\\'); break;
                case '/': sb.append('/'); break;
                case 'b': sb.append('\b'); break;
                case 'f': sb.append('\f'); break;
                case 'n': sb.append('\n'); break;
                case 'r': sb.append('\r'); break;
                case 't': sb.append('\t'); break;
                case 'u':
                    if (p + 4 > end) {
                        pos = p;
                        throw error("short \\u escape");
                    }
                    int cp = 0;
                    for (int i = 0; i < 4; i++) {
                        int h = Character.digit(b[p + i], 16);
                        if (h < 0) {
                            pos = p;
                            throw error("bad \\u escape");
                        }
                        cp = (cp << 4) | h;
                    }
                    sb.append((char) cp);
                    p += 4;
                    break;
                default:
                    pos = p - 2;
                    throw error("bad escape '\\" + (char) e + "'");
            }
            run = p;
        }
        pos = s - 1;
        throw error("unterminated string");
    }
}
