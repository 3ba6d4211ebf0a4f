package io.fedlora.deploy.jobs;

import io.fedlora.adapter.FlatAdapter;
import io.fedlora.adapter.Sha256;
import io.fedlora.proto.v1.AdminServiceGrpc;
import io.fedlora.proto.v1.Chunk;
import io.fedlora.proto.v1.DownloadAdapterRequest;
import io.fedlora.proto.v1.Job;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Iterator;

/** Reassembles a chunked adapter download and checks its size and sha256. */
public final class AdapterDownload {

    private AdapterDownload() {}

    public static FlatAdapter fetch(AdminServiceGrpc.AdminServiceBlockingStub admin, Job job,
            DownloadAdapterRequest request) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        String sha = null;
        long total = -1;
        for (Iterator<Chunk> it = admin.downloadAdapter(request); it.hasNext(); ) {
            Chunk c = it.next();
            if (c.getOffset() != out.size()) {
                throw new IOException("adapter download: chunk at offset " + c.getOffset() + ", expected " + out.size());
            }
            out.writeBytes(c.getData().toByteArray());
            sha = c.getSha256();
            total = c.getTotalSize();
        }
        byte[] bytes = out.toByteArray();
        if (bytes.length != total || !Sha256.hex(bytes).equals(sha)) {
            throw new IOException("adapter download: size or sha256 mismatch (got " + bytes.length + " bytes)");
        }
        return FlatAdapter.fromSafetensors(job.getConfig().getAdapterLayout(), bytes);
    }
}
