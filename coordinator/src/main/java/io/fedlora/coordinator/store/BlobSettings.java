package io.fedlora.coordinator.store;

import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;

/** Where adapter blobs live: a local directory (the default) or an S3-compatible bucket. */
public sealed interface BlobSettings permits BlobSettings.Directory, BlobSettings.S3Bucket {

    BlobStore open();

    /** What may be logged (never credentials). */
    String describe();

    static BlobSettings directory(Path dir) {
        return new Directory(dir);
    }

    /**
     * A bucket named by {@code s3://BUCKET[/PREFIX]}.
     *
     * @param endpoint the server, for S3-compatible ones (MinIO, Ceph, s3proxy); empty for AWS itself
     * @param credentials where the access key comes from (the environment or a credentials file)
     */
    static BlobSettings s3(String url, Optional<URI> endpoint, String region, AwsCredentialsProvider credentials) {
        if (url == null || !url.startsWith("s3://")) {
            throw new IllegalArgumentException("blobs: expected s3://BUCKET[/PREFIX], got " + url);
        }
        String rest = url.substring("s3://".length());
        int slash = rest.indexOf('/');
        String bucket = slash < 0 ? rest : rest.substring(0, slash);
        String prefix = slash < 0 ? "" : rest.substring(slash + 1);
        if (!bucket.matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")) {
            throw new IllegalArgumentException("blobs: '" + bucket + "' in " + url + " is not a valid bucket name"
                    + " (3-63 characters: lower-case letters, digits, '.', '-')");
        }
        if (!prefix.isEmpty() && !prefix.endsWith("/")) {
            prefix = prefix + "/";
        }
        return new S3Bucket(bucket, prefix, endpoint, region, credentials);
    }

    record Directory(Path dir) implements BlobSettings {
        @Override
        public BlobStore open() {
            return new FileBlobStore(dir);
        }

        @Override
        public String describe() {
            return dir.toAbsolutePath().toString();
        }
    }

    record S3Bucket(String bucket, String prefix, Optional<URI> endpoint, String region,
            AwsCredentialsProvider credentials) implements BlobSettings {

        public S3Bucket {
            if (region == null || region.isBlank()) {
                throw new IllegalArgumentException("blobs: an S3 region is required (e.g. us-east-1)");
            }
        }

        @Override
        public BlobStore open() {
            return S3BlobStore.open(client(), bucket, prefix);
        }

        /** A client for this bucket's server; the caller closes it. */
        public S3Client client() {
            S3ClientBuilder b = S3Client.builder().region(Region.of(region)).credentialsProvider(credentials)
                    .httpClientBuilder(UrlConnectionHttpClient.builder())
                    // S3-compatible servers do not all know the newer checksum headers; blobs are
                    // verified against their sha256 on every read anyway.
                    .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                    .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
            endpoint.ifPresent(e -> b.endpointOverride(e).forcePathStyle(true));
            return b.build();
        }

        @Override
        public String describe() {
            return "s3://" + bucket + "/" + prefix + endpoint.map(e -> " at " + e).orElse("");
        }

        @Override
        public String toString() {
            return "S3Bucket[" + describe() + ", region " + region + "]";
        }
    }
}
