package io.fedlora.coordinator.web;

import io.fedlora.adapter.PeftAdapterDir;
import io.fedlora.coordinator.AdapterBlob;
import io.fedlora.proto.v1.JobConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** An adapter version as a zipped PEFT directory: {@code adapter_config.json} and the safetensors file. */
final class PeftZip {

    private PeftZip() {}

    static byte[] of(JobConfig job, AdapterBlob blob) {
        try (ByteArrayOutputStream bytes = new ByteArrayOutputStream(blob.data().length + 4096);
                ZipOutputStream zip = new ZipOutputStream(bytes)) {
            zip.putNextEntry(new ZipEntry(PeftAdapterDir.CONFIG));
            zip.write(PeftAdapterDir.configJson(job.getLora(), job.getBaseModelId()).getBytes(StandardCharsets.UTF_8));
            zip.closeEntry();
            zip.putNextEntry(new ZipEntry(PeftAdapterDir.WEIGHTS));
            zip.write(blob.data());
            zip.closeEntry();
            zip.finish();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
