package stormbridge;

import java.io.IOException;
import java.lang.reflect.Constructor;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.apache.storm.security.auth.SimpleTransportPlugin;
import org.apache.storm.security.auth.ThriftConnectionType;
import org.apache.storm.thrift.TProcessor;
import org.apache.storm.thrift.protocol.TBinaryProtocol;
import org.apache.storm.thrift.server.THsHaServer;
import org.apache.storm.thrift.server.TServer;
import org.apache.storm.thrift.transport.TNonblockingServerSocket;
import org.apache.storm.thrift.transport.TTransportException;

/**
 * stormbridge: Storm's plain (no auth) Thrift transport, listening on one address only.
 *
 * <p>Storm's SimpleTransportPlugin always listens on every interface. This plugin is the same
 * transport (framed, binary protocol, THsHaServer, same thread, buffer and queue settings) but
 * binds the address in the storm.yaml key {@code stormbridge.thrift.bind.host} (default
 * 127.0.0.1). The request-context wrapper is Storm's own, so everything above the socket
 * behaves exactly as with SimpleTransportPlugin. Set it as {@code nimbus.thrift.transport} and
 * {@code supervisor.thrift.transport}; the client side is inherited unchanged.
 */
public class LoopbackTransportPlugin extends SimpleTransportPlugin {
    public static final String BIND_HOST = "stormbridge.thrift.bind.host";

    private int boundPort;

    @Override
    public TServer getServer(TProcessor processor) throws IOException, TTransportException {
        Map<String, Object> conf = topoConf;
        Object host = conf.get(BIND_HOST);
        String bindHost = host == null ? "127.0.0.1" : host.toString();
        ThriftConnectionType connectionType = type;
        InetSocketAddress address = new InetSocketAddress(bindHost, connectionType.getPort(conf));
        TNonblockingServerSocket socket = new TNonblockingServerSocket(address);
        boundPort = socket.getPort();
        int threads = connectionType.getNumThreads(conf);
        int maxBuffer = connectionType.getMaxBufferSize(conf);
        Integer queueSize = connectionType.getQueueSize(conf);
        THsHaServer.Args args = new THsHaServer.Args(socket)
                .processor(wrapWithRequestContext(processor))
                .maxWorkerThreads(threads)
                .protocolFactory(new TBinaryProtocol.Factory(false, true, maxBuffer, -1));
        args.maxReadBufferBytes = maxBuffer;
        if (queueSize != null) {
            args.executorService(new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS,
                    new ArrayBlockingQueue<Runnable>(queueSize)));
        }
        return new THsHaServer(args);
    }

    @Override
    public int getPort() {
        return boundPort;
    }

    /** Storm's (private) processor wrapper that fills the request context. */
    private TProcessor wrapWithRequestContext(TProcessor processor) throws IOException {
        try {
            Class<?> cls = Class.forName(
                    "org.apache.storm.security.auth.SimpleTransportPlugin$SimpleWrapProcessor");
            Constructor<?> ctor = cls.getDeclaredConstructor(SimpleTransportPlugin.class,
                    TProcessor.class);
            ctor.setAccessible(true);
            return (TProcessor) ctor.newInstance(this, processor);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IOException("stormbridge: cannot wrap the Thrift processor the way "
                    + "SimpleTransportPlugin does (Storm version mismatch?): " + e, e);
        }
    }
}
