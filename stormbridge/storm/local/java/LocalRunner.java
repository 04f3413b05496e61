/*
 * stormbridge local mode: one JVM running Storm's LocalCluster with its Nimbus Thrift daemon.
 *
 * Usage: java -cp <storm lib/*>:<this class dir>:<dir containing resources/> \
 *            stormbridge.local.LocalRunner <daemon-conf.json>
 *
 * The JSON file holds the daemon configuration (an object). The runner
 *   - starts an in-process ZooKeeper on 127.0.0.1 (a free port), unless the configuration names
 *     storm.zookeeper.servers;
 *   - starts Nimbus with its Thrift server bound to 127.0.0.1 (nimbus.thrift.port; 0 picks a
 *     free port), and one supervisor (in-process workers);
 *   - prints exactly one line "STORMBRIDGE-LOCAL READY port=<nimbus thrift port>" on stdout;
 *   - stops (LocalCluster.close(): workers, shell subprocesses, Nimbus, ZooKeeper) on stdin EOF
 *     or on SIGTERM/SIGINT, prints "STORMBRIDGE-LOCAL STOPPED" and exits 0 (stdin EOF) or 1;
 *   - when the JVM exits for another reason (Storm calls System.exit when a worker dies, e.g.
 *     after a Python spout died), prints "STORMBRIDGE-LOCAL EXITING" first.
 * Any startup failure prints "STORMBRIDGE-LOCAL FAILED <reason>" and exits 1.
 */
package stormbridge.local;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.storm.LocalCluster;
import org.apache.storm.security.auth.SimpleTransportPlugin;
import org.apache.storm.shade.net.minidev.json.JSONValue;
import org.apache.storm.shade.org.apache.zookeeper.server.NIOServerCnxnFactory;
import org.apache.storm.shade.org.apache.zookeeper.server.ZooKeeperServer;
import org.apache.storm.thrift.TProcessor;
import org.apache.storm.thrift.protocol.TBinaryProtocol;
import org.apache.storm.thrift.server.THsHaServer;
import org.apache.storm.thrift.server.TServer;
import org.apache.storm.thrift.transport.TNonblockingServerSocket;
import org.apache.storm.thrift.transport.TTransportException;

public final class LocalRunner {
    static final String PREFIX = "STORMBRIDGE-LOCAL ";

    private LocalRunner() {
    }

    /**
     * Storm's SimpleTransportPlugin (framed transport, binary protocol, no auth), but the server
     * socket binds the loopback address instead of every interface.
     */
    public static final class LoopbackTransportPlugin extends SimpleTransportPlugin {
        @Override
        public TServer getServer(TProcessor processor) throws IOException, TTransportException {
            int port = type.getPort(topoConf);
            TNonblockingServerSocket socket =
                new TNonblockingServerSocket(new InetSocketAddress("127.0.0.1", port));
            setPrivatePort(socket.getPort());
            int threads = type.getNumThreads(topoConf);
            int maxBuffer = type.getMaxBufferSize(topoConf);
            Integer queueSize = type.getQueueSize(topoConf);
            THsHaServer.Args args = new THsHaServer.Args(socket);
            args.processor(wrap(processor));
            args.maxWorkerThreads(threads);
            args.protocolFactory(new TBinaryProtocol.Factory(false, true, maxBuffer, -1));
            args.maxReadBufferBytes = maxBuffer;
            if (queueSize != null) {
                args.executorService(new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS,
                    new ArrayBlockingQueue<>(queueSize)));
            }
            return new THsHaServer(args);
        }

        /** Storm's own wrapper sets the request context (remote address, subject) per call. */
        private TProcessor wrap(TProcessor processor) throws IOException {
            try {
                Class<?> cls = Class.forName(SimpleTransportPlugin.class.getName() + "$SimpleWrapProcessor");
                Constructor<?> ctor = cls.getDeclaredConstructor(SimpleTransportPlugin.class, TProcessor.class);
                ctor.setAccessible(true);
                return (TProcessor) ctor.newInstance(this, processor);
            } catch (ReflectiveOperationException e) {
                throw new IOException("cannot wrap the Nimbus processor: " + e, e);
            }
        }

        private void setPrivatePort(int port) throws IOException {
            try {
                Field field = SimpleTransportPlugin.class.getDeclaredField("port");
                field.setAccessible(true);
                field.setInt(this, port);
            } catch (ReflectiveOperationException e) {
                throw new IOException("cannot record the Nimbus port: " + e, e);
            }
        }
    }

    @SuppressWarnings("unchecked")
    public static void main(String[] argv) throws Exception {
        if (argv.length != 1) {
            System.out.println(PREFIX + "FAILED usage: LocalRunner <daemon-conf.json>");
            System.exit(2);
        }
        Map<String, Object> conf;
        try {
            String text = new String(Files.readAllBytes(Paths.get(argv[0])), StandardCharsets.UTF_8);
            conf = (Map<String, Object>) JSONValue.parseWithException(text);
        } catch (Exception e) {
            System.out.println(PREFIX + "FAILED cannot read the daemon configuration " + argv[0] + ": " + e);
            System.exit(1);
            return;
        }
        conf.putIfAbsent("nimbus.thrift.transport", LoopbackTransportPlugin.class.getName());

        CountDownLatch stop = new CountDownLatch(1);
        CountDownLatch stopped = new CountDownLatch(1);
        AtomicBoolean asked = new AtomicBoolean(false);
        AtomicBoolean built = new AtomicBoolean(false);
        Thread hook = new Thread(() -> {
            if (!built.get()) {
                // Storm gave up while starting (e.g. the Nimbus port is taken) and called
                // System.exit: nothing to close.
                System.out.println(PREFIX + "FAILED Storm exited while starting (see the log)");
                System.out.flush();
                return;
            }
            if (!asked.get()) {
                System.out.println(PREFIX + "EXITING");
                System.out.flush();
            }
            stop.countDown();
            try {
                stopped.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "stormbridge-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);

        NIOServerCnxnFactory zookeeper = null;
        LocalCluster cluster;
        try {
            if (!conf.containsKey("storm.zookeeper.servers")) {
                // LocalCluster's own in-process ZooKeeper listens on every interface: keep it on
                // loopback by starting it here.
                File zkDir = Files.createTempDirectory("stormbridge-zookeeper").toFile();
                zookeeper = new NIOServerCnxnFactory();
                zookeeper.configure(new InetSocketAddress("127.0.0.1", 0), 0);
                zookeeper.startup(new ZooKeeperServer(zkDir, zkDir, 2000));
                conf.put("storm.zookeeper.servers", java.util.List.of("127.0.0.1"));
                conf.put("storm.zookeeper.port", zookeeper.getLocalPort());
            }
            cluster = new LocalCluster.Builder()
                .withDaemonConf(conf)
                .withNimbusDaemon()
                .withSupervisors(1)
                .withPortsPerSupervisor(2)
                .build();
        } catch (Throwable e) {
            e.printStackTrace();
            System.out.println(PREFIX + "FAILED " + e);
            System.out.flush();
            Runtime.getRuntime().halt(1);
            return;
        }
        built.set(true);
        System.out.println(PREFIX + "READY port=" + cluster.getThriftServerPort());
        System.out.flush();

        Thread stdinWatch = new Thread(() -> {
            try (InputStream in = System.in) {
                byte[] buffer = new byte[256];
                while (in.read(buffer) >= 0) {
                    // the parent keeps stdin open while it wants us alive
                }
            } catch (IOException e) {
                // treat a broken stdin like EOF
            }
            asked.set(true);
            stop.countDown();
        }, "stormbridge-stdin");
        stdinWatch.setDaemon(true);
        stdinWatch.start();

        stop.await();
        int code = asked.get() ? 0 : 1;
        try {
            cluster.close();
        } catch (Throwable e) {
            e.printStackTrace();
            code = 1;
        }
        if (zookeeper != null) {
            zookeeper.shutdown();
        }
        System.out.println(PREFIX + "STOPPED");
        System.out.flush();
        stopped.countDown();
        // LocalCluster can leave non-daemon threads behind: leave now. halt() skips the shutdown
        // hooks, which is right whether a signal (the hook is already running) or EOF stopped us.
        Runtime.getRuntime().halt(code);
    }
}
