package io.fedlora.crypto.secagg;

import java.util.function.BiConsumer;

/**
 * Test access to {@link SecAggClient}'s package-private secret seam (this class sits in the crypto
 * package, in test sources only): every secret each client in this JVM makes or receives.
 */
public final class SecAggSecretsTap {

    private SecAggSecretsTap() {}

    /** {@code sink} gets a description ("node: what") and a copy of each secret. */
    public static void install(BiConsumer<String, byte[]> sink) {
        SecAggClient.secretObserver = (client, what, secret) -> sink.accept(client + ": " + what, secret.toByteArray());
    }

    public static void uninstall() {
        SecAggClient.secretObserver = null;
    }
}
