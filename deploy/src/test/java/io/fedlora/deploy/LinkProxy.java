package io.fedlora.deploy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP relay on a loopback port to another one: a link a test can take down (its live connections
 * cut at once, new ones refused, as when a site's uplink fails mid-round) and bring back up.
 */
final class LinkProxy implements AutoCloseable {

    private final ServerSocket listener;
    private final int targetPort;
    private final List<Socket> open = new CopyOnWriteArrayList<>();
    private volatile boolean closed;
    private volatile boolean down;

    private LinkProxy(ServerSocket listener, int targetPort) {
        this.listener = listener;
        this.targetPort = targetPort;
    }

    static LinkProxy to(int targetPort) throws IOException {
        LinkProxy p = new LinkProxy(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()), targetPort);
        Thread t = new Thread(p::acceptLoop, "link-proxy-" + targetPort);
        t.setDaemon(true);
        t.start();
        return p;
    }

    int port() {
        return listener.getLocalPort();
    }

    /** Cuts every relayed connection now, both ends, and refuses new ones until {@link #up}. */
    void down() {
        down = true;
        cutAll();
    }

    void up() {
        down = false;
    }

    private void cutAll() {
        for (Socket s : open) {
            closeQuietly(s);
        }
        open.clear();
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket in = listener.accept();
                if (down) {
                    closeQuietly(in);
                    continue;
                }
                Socket out = new Socket();
                out.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort), 5000);
                open.add(in);
                open.add(out);
                pump(in, out);
                pump(out, in);
            } catch (IOException e) {
                if (!closed) {
                    continue; // one failed relay; keep accepting
                }
            }
        }
    }

    private void pump(Socket from, Socket to) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[64 * 1024];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buf)) >= 0) {
                    out.write(buf, 0, n);
                    out.flush();
                }
            } catch (IOException e) {
                // The link was cut or one side closed: close both below.
            } finally {
                closeQuietly(from);
                closeQuietly(to);
            }
        }, "link-proxy-pump");
        t.setDaemon(true);
        t.start();
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // Already closed.
        }
    }

    @Override
    public void close() {
        closed = true;
        cutAll();
        try {
            listener.close();
        } catch (IOException ignored) {
            // Already closed.
        }
    }
}
