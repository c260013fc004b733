package dev.kiln.platform.vmm;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * A QEMU Machine Protocol client on a unix socket: one JSON object per line each way. Commands
 * carry an id and complete their own future; events go to the listener. One virtual thread
 * reads, and ends when the socket closes (QEMU exited, or {@link #close()}).
 */
final class Qmp implements AutoCloseable {
    interface Listener {
        void event(String event, JsonNode data);

        /** The connection ended; not called when {@link #close()} ended it. */
        void closed();
    }

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final SocketChannel ch;
    private final String name;
    private final Listener listener;
    private final Map<Long, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();
    private final CompletableFuture<Void> ready = new CompletableFuture<>();
    private final Object writeLock = new Object();
    private final Thread reader;
    private volatile boolean closing;

    private Qmp(SocketChannel ch, String name, Listener listener) {
        this.ch = ch;
        this.name = name;
        this.listener = listener;
        this.reader = Thread.ofVirtual().name(name + "-qmp").start(this::run);
    }

    /**
     * Connects and negotiates capabilities. Throws {@link java.net.SocketException} while
     * nothing listens on {@code socket} yet (callers poll), {@link VmmException} if QEMU does
     * not complete the greeting within {@code timeout}.
     */
    static Qmp connect(Path socket, String name, Duration timeout, Listener listener) throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            ch.connect(UnixDomainSocketAddress.of(socket));
        } catch (IOException e) {
            ch.close();
            throw e;
        }
        Qmp q = new Qmp(ch, name, listener);
        try {
            q.ready.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return q;
        } catch (TimeoutException e) {
            q.close();
            throw new VmmException(name + ": QEMU did not complete the QMP greeting within " + timeout.toMillis() + " ms");
        } catch (ExecutionException e) {
            q.close();
            throw new VmmException(name + ": QMP greeting failed: " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            q.close();
            Thread.currentThread().interrupt();
            throw new IOException(name + ": interrupted during the QMP greeting", e);
        }
    }

    /** Sends a command; the future completes with its {@code return} value, or fails with its {@code error}. */
    CompletableFuture<JsonNode> execute(String command) {
        long id = ids.incrementAndGet();
        CompletableFuture<JsonNode> f = new CompletableFuture<>();
        pending.put(id, f);
        try {
            send(command, id);
        } catch (IOException e) {
            pending.remove(id);
            f.completeExceptionally(e);
        }
        return f;
    }

    private void send(String command, long id) throws IOException {
        ObjectNode msg = JSON.createObjectNode().put("execute", command).put("id", id);
        ByteBuffer b = ByteBuffer.wrap((JSON.writeValueAsString(msg) + "\n").getBytes(StandardCharsets.UTF_8));
        synchronized (writeLock) {
            while (b.hasRemaining()) ch.write(b);
        }
    }

    private void run() {
        LineReader lines = new LineReader(ch);
        try {
            String greeting = lines.next();
            if (greeting == null || !JSON.readTree(greeting).has("QMP")) {
                throw new IOException("expected the QMP greeting, got " + greeting);
            }
            send("qmp_capabilities", 0);
            String line;
            while ((line = lines.next()) != null) {
                JsonNode msg = JSON.readTree(line);
                if (msg.has("event")) {
                    listener.event(msg.get("event").asString(), msg.path("data"));
                } else if (msg.has("id")) {
                    long id = msg.get("id").asLong();
                    if (id == 0) {
                        if (msg.has("error")) throw new IOException("qmp_capabilities: " + msg.get("error"));
                        ready.complete(null);
                        continue;
                    }
                    CompletableFuture<JsonNode> f = pending.remove(id);
                    if (f == null) continue;
                    if (msg.has("error")) {
                        f.completeExceptionally(new VmmException(name + ": QMP " + msg.path("error").path("desc").asString()));
                    } else {
                        f.complete(msg.path("return"));
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            ready.completeExceptionally(e);
        } finally {
            try {
                ch.close();
            } catch (IOException ignored) {
                // closing a socket that QEMU already closed
            }
            IOException gone = new IOException(name + ": QMP connection closed");
            ready.completeExceptionally(gone);
            pending.values().forEach(f -> f.completeExceptionally(gone));
            pending.clear();
            if (!closing) listener.closed();
        }
    }

    /** Closes the connection and waits for the reader to end. */
    @Override
    public void close() {
        closing = true;
        try {
            ch.close();
        } catch (IOException ignored) {
            // nothing to do about a failed close of a socket
        }
        if (Thread.currentThread() == reader) return;
        try {
            reader.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Lines of UTF-8 from a blocking channel; QMP ends them with \r\n. */
    private static final class LineReader {
        private final SocketChannel ch;
        private final ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
        private final java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream();

        LineReader(SocketChannel ch) {
            this.ch = ch;
            buf.flip();
        }

        String next() throws IOException {
            while (true) {
                while (buf.hasRemaining()) {
                    byte b = buf.get();
                    if (b == '\n') {
                        String s = line.toString(StandardCharsets.UTF_8).strip();
                        line.reset();
                        if (!s.isEmpty()) return s;
                    } else {
                        line.write(b);
                    }
                }
                buf.clear();
                int n = ch.read(buf);
                buf.flip();
                if (n < 0) return null;
            }
        }
    }
}
