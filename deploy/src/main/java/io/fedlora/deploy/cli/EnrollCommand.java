package io.fedlora.deploy.cli;

import io.fedlora.client.tls.CoordinatorChannels;
import io.fedlora.client.tls.Enroller;
import io.fedlora.client.tls.EnrollmentToken;
import io.fedlora.crypto.pki.CertificateRole;
import io.fedlora.crypto.pki.TlsCredentials;
import io.grpc.ManagedChannel;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** An operator's enrollment: a key pair made here, a certificate for it, written for {@code fedlora admin --credentials}. */
@Command(name = "enroll", mixinStandardHelpOptions = true,
        description = {"Enrol an operator (viewer, operator or admin) with a one-time token from 'fedlora admin"
                + " enroll-token --role ROLE'.", "The key pair is made on this machine; --out receives client.key (mode"
                + " 0600), client.crt and ca.crt, for 'fedlora admin --credentials DIR'. Client nodes enrol themselves:"
                + " 'fedlora client --enroll-token-file'."})
public final class EnrollCommand implements Callable<Integer> {

    @Option(names = "--coordinator", required = true, paramLabel = "HOST:PORT", description = "Coordinator address.")
    String coordinator;

    static final class TokenSource {
        @Option(names = "--token", paramLabel = "TOKEN", description = "The token (visible to other local users in ps).")
        String token;

        @Option(names = "--token-file", paramLabel = "FILE", description = "A file holding the token.")
        Path tokenFile;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    TokenSource tokenSource;

    @Option(names = "--name", required = true, description = "The name the token was issued for.")
    String name;

    @Option(names = "--ca-cert", required = true, paramLabel = "FILE",
            description = "The coordinator's CA certificate (its DATA_DIR/pki/ca.crt); the coordinator is trusted by it.")
    Path caCert;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Where to write the credentials.")
    Path out;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        EnrollmentToken token = tokenSource.token != null ? EnrollmentToken.of(tokenSource.token)
                : EnrollmentToken.readFrom(tokenSource.tokenFile);
        if (TlsCredentials.existIn(out)) {
            throw new IllegalArgumentException(out + " already holds credentials; choose another --out");
        }
        ManagedChannel ch = CoordinatorChannels.serverAuthenticated(coordinator, TlsCredentials.readCertificate(caCert));
        try {
            SecureRandom random = new SecureRandom();
            Enroller.Enrolled e = Enroller.enroll(ch, token, name, TlsCredentials.readCertificate(caCert), Optional.empty(),
                    Duration.ofSeconds(30), random);
            if (e.role() == CertificateRole.AGENT) {
                throw new IllegalArgumentException("that token is for a client node; start it with 'fedlora client"
                        + " --enroll-token-file' instead");
            }
            e.credentials().store(out, random);
            spec.commandLine().getOut().printf("enrolled %s as %s; credentials in %s (use: fedlora admin --credentials %s"
                    + " ...)%n", e.subjectId(), e.role().label(), out, out);
            spec.commandLine().getOut().flush();
            return 0;
        } finally {
            CoordinatorChannels.close(ch);
        }
    }
}
