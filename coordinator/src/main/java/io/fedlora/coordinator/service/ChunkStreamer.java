package io.fedlora.coordinator.service;

import com.google.protobuf.ByteString;
import io.fedlora.coordinator.AdapterBlob;
import io.fedlora.proto.v1.Chunk;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;

/**
 * Streams a blob in chunks of at most {@link #CHUNK_BYTES}, only as fast as the client reads
 * (gRPC flow control), so a large adapter is never queued whole in the transport.
 */
final class ChunkStreamer implements Runnable {

    static final int CHUNK_BYTES = 1 << 20;

    private final AdapterBlob blob;
    private final ServerCallStreamObserver<Chunk> obs;
    private int offset;
    private boolean done;

    private ChunkStreamer(AdapterBlob blob, ServerCallStreamObserver<Chunk> obs) {
        this.blob = blob;
        this.obs = obs;
    }

    static void stream(AdapterBlob blob, StreamObserver<Chunk> responses) {
        ServerCallStreamObserver<Chunk> obs = (ServerCallStreamObserver<Chunk>) responses;
        ChunkStreamer s = new ChunkStreamer(blob, obs);
        obs.setOnCancelHandler(s::cancel);
        obs.setOnReadyHandler(s);
        s.run();
    }

    private synchronized void cancel() {
        done = true;
    }

    @Override
    public synchronized void run() {
        byte[] data = blob.data();
        while (!done && obs.isReady() && offset < data.length) {
            int n = Math.min(CHUNK_BYTES, data.length - offset);
            obs.onNext(Chunk.newBuilder()
                    .setOffset(offset)
                    .setData(ByteString.copyFrom(data, offset, n))
                    .setTotalSize(data.length)
                    .setSha256(blob.sha256())
                    .build());
            offset += n;
        }
        if (!done && offset >= data.length) {
            done = true;
            obs.onCompleted();
        }
    }
}
