package stormbridge.bench;

import java.util.HashMap;
import java.util.Map;
import org.apache.storm.spout.SpoutOutputCollector;
import org.apache.storm.task.OutputCollector;
import org.apache.storm.task.TopologyContext;
import org.apache.storm.topology.OutputFieldsDeclarer;
import org.apache.storm.topology.base.BaseRichBolt;
import org.apache.storm.topology.base.BaseRichSpout;
import org.apache.storm.tuple.Fields;
import org.apache.storm.tuple.Tuple;
import org.apache.storm.tuple.Values;

/**
 * The benchmark's word count in Java: the limit of what the cluster does with no Python and no
 * multilang pipe. Same shape as the Python pair (spouts.bench_words.ReliableWordSpout and
 * bolts.wordcount.WordCountBolt): the four words in turn with a message id each, counts with
 * "dog" weighing 10, emitting (word, count) anchored to the input and acking it.
 */
public final class BenchWordCount {
    private BenchWordCount() {
    }

    /** Emits dog, cat, zebra, elephant in turn, each with a new message id. */
    public static class WordSpout extends BaseRichSpout {
        private static final String[] WORDS = {"dog", "cat", "zebra", "elephant"};
        private transient SpoutOutputCollector collector;
        private transient String[] words;
        private long next;
        private double rate;
        private long start;

        @Override
        public void open(Map<String, Object> conf, TopologyContext context,
                         SpoutOutputCollector collector) {
            this.collector = collector;
            // bench.tuple.bytes: each word padded with '-' to that many bytes (larger tuples)
            Object pad = conf.get("bench.tuple.bytes");
            int size = pad instanceof Number ? ((Number) pad).intValue() : 0;
            Object r = conf.get("bench.rate");
            rate = r instanceof Number ? ((Number) r).doubleValue() : 0;
            start = System.nanoTime();
            words = new String[WORDS.length];
            for (int i = 0; i < WORDS.length; i++) {
                StringBuilder b = new StringBuilder(WORDS[i]);
                while (b.length() < size) {
                    b.append('-');
                }
                words[i] = b.toString();
            }
        }

        @Override
        public void nextTuple() {
            if (rate > 0 && next >= (System.nanoTime() - start) * 1e-9 * rate) {
                return; // ahead of the offered rate (bench.rate tuples/s)
            }
            next++;
            collector.emit(new Values(words[(int) (next % words.length)]), next);
        }

        @Override
        public void declareOutputFields(OutputFieldsDeclarer declarer) {
            declarer.declare(new Fields("word"));
        }
    }

    /**
     * Counts words ("dog" weighs 10) and emits (word, running count) anchored to the input,
     * then acks it. A rich bolt: a Thrift JavaObject bolt must be an IBolt (an IBasicBolt is
     * only wrapped by TopologyBuilder).
     */
    public static class CountBolt extends BaseRichBolt {
        private final Map<String, Long> counts = new HashMap<>();
        private transient OutputCollector collector;

        @Override
        public void prepare(Map<String, Object> conf, TopologyContext context,
                            OutputCollector collector) {
            this.collector = collector;
        }

        @Override
        public void execute(Tuple input) {
            String word = input.getString(0);
            long count = counts.merge(word, "dog".equals(word) ? 10L : 1L, Long::sum);
            collector.emit(input, new Values(word, count));
            collector.ack(input);
        }

        @Override
        public void declareOutputFields(OutputFieldsDeclarer declarer) {
            declarer.declare(new Fields("word", "count"));
        }
    }
}
