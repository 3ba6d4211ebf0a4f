package io.fedlora.deploy.doctor;

import io.fedlora.crypto.pki.TlsCredentials;
import java.io.IOException;

/** A check that needs the node's TLS credentials: one that cannot load them fails, naming the directory. */
abstract class CredentialedCheck implements Check {

    final CoordinatorEndpoint endpoint;

    CredentialedCheck(CoordinatorEndpoint endpoint) {
        this.endpoint = endpoint;
    }

    @Override
    public final CheckResult run() {
        TlsCredentials creds;
        try {
            creds = endpoint.credentials();
        } catch (IOException e) {
            return CheckResult.fail(name(), e.getMessage());
        }
        return check(creds);
    }

    abstract CheckResult check(TlsCredentials creds);
}
