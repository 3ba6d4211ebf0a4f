package io.fedlora.client.agent;

import io.fedlora.client.tls.Enroller;
import io.fedlora.client.tls.RenewableChannel;
import io.fedlora.crypto.Ed25519PrivateKey;
import io.fedlora.crypto.pki.InvalidCertificateException;
import io.fedlora.crypto.pki.TlsCredentials;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.InstantSource;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the agent's certificate from expiring: when the {@link RenewalPolicy} says so, renews it with
 * the coordinator the agent follows now (or the next address that answers), writes the new key and
 * certificate to {@code <state-dir>/tls} (staged, then moved into place), and presents it on every
 * call from then on, to every coordinator address (a standby that takes over must see the new one
 * too). The open Connect stream stays on its connection; the old certificate is valid until it
 * expires.
 */
final class CertificateRenewer {

    private static final Logger log = LoggerFactory.getLogger(CertificateRenewer.class);

    private final AgentConfig config;
    private final Ed25519PrivateKey identity;
    /** One per coordinator address, all presenting the same credentials. */
    private final List<RenewableChannel> channels;
    /** The channels to renew over, the coordinator followed now first. */
    private final Supplier<List<Channel>> inTurn;
    private final InstantSource clock;
    private final SecureRandom random;

    CertificateRenewer(AgentConfig config, Ed25519PrivateKey identity, List<RenewableChannel> channels,
            Supplier<List<Channel>> inTurn, InstantSource clock, SecureRandom random) {
        this.config = config;
        this.identity = identity;
        this.channels = List.copyOf(channels);
        this.inTurn = inTurn;
        this.clock = clock;
        this.random = random;
    }

    /** Renews over the first coordinator that answers: one that just lost the lease refuses connections. */
    private Enroller.Enrolled renew(TlsCredentials presented) throws InvalidCertificateException {
        StatusRuntimeException unavailable = null;
        for (Channel ch : inTurn.get()) {
            try {
                return Enroller.renew(ch, presented, identity, config.callTimeout(), random);
            } catch (StatusRuntimeException e) {
                if (e.getStatus().getCode() != Status.Code.UNAVAILABLE) {
                    throw e;
                }
                unavailable = e;
            }
        }
        throw unavailable;
    }

    /** Renews when due; true when it did. Failures are logged, never thrown: the next check tries again. */
    boolean renewIfDue() {
        TlsCredentials presented = channels.get(0).credentials();
        X509Certificate cert = presented.certificate();
        if (!config.renewal().isDue(cert, clock.instant())) {
            return false;
        }
        Path dir = config.stateDir().resolve(AgentCredentials.DIR);
        try {
            Enroller.Enrolled renewed = renew(presented);
            renewed.credentials().replace(dir, random);
            for (RenewableChannel ch : channels) {
                ch.replace(renewed.credentials());
            }
            log.info("renewed this node's certificate: serial {} valid until {} (was {}, until {})",
                    renewed.credentials().certificate().getSerialNumber().toString(16),
                    renewed.credentials().certificate().getNotAfter().toInstant(),
                    cert.getSerialNumber().toString(16), cert.getNotAfter().toInstant());
            return true;
        } catch (StatusRuntimeException e) {
            boolean expired = !cert.getNotAfter().toInstant().isAfter(clock.instant());
            if (e.getStatus().getCode() == Status.Code.UNAVAILABLE && !expired) {
                log.info("certificate renewal: coordinator unavailable ({}); trying again in {} s",
                        e.getStatus().getDescription(), config.renewal().checkInterval().toSeconds());
            } else {
                log.error("certificate renewal refused: {} {}{}", e.getStatus().getCode(),
                        e.getStatus().getDescription(), expired ? " (the certificate has expired: enrol again with a"
                                + " new token and a fresh state dir)" : "");
            }
        } catch (InvalidCertificateException e) {
            log.error("certificate renewal: the coordinator's answer is unusable: {}", e.getMessage());
        } catch (IOException e) {
            log.error("certificate renewal: cannot store the renewed certificate in {}; keeping the current one",
                    dir, e);
        } catch (RuntimeException e) {
            // Thrown out of a scheduled task it would cancel every later check.
            log.error("certificate renewal failed; trying again at the next check", e);
        }
        return false;
    }
}
