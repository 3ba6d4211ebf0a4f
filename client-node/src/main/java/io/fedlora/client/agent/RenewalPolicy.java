package io.fedlora.client.agent;

import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;

/**
 * When an agent renews its certificate: once less than {@code remainingFraction} of its lifetime,
 * or less than {@code remainingAtMost}, is left, whichever comes first. Checked at start and every
 * {@code checkInterval} while the agent runs.
 *
 * @param remainingFraction in [0, 1); e.g. 1/3: a 365-day certificate renews with about 122 days left
 * @param remainingAtMost renew with this much left at the latest; zero = by the fraction alone
 * @param checkInterval how often to look; keep it well below the time the policy leaves
 */
public record RenewalPolicy(double remainingFraction, Duration remainingAtMost, Duration checkInterval) {

    public RenewalPolicy {
        if (!(remainingFraction >= 0 && remainingFraction < 1)) {
            throw new IllegalArgumentException("renewal: the remaining fraction must be in [0, 1), got "
                    + remainingFraction);
        }
        if (remainingAtMost == null || remainingAtMost.isNegative()) {
            throw new IllegalArgumentException("renewal: the remaining duration must be >= 0, got " + remainingAtMost);
        }
        if (remainingFraction == 0 && remainingAtMost.isZero()) {
            throw new IllegalArgumentException("renewal: give a remaining fraction or duration, or the certificate"
                    + " would only be renewed once it had expired");
        }
        if (checkInterval == null || checkInterval.isNegative() || checkInterval.isZero()) {
            throw new IllegalArgumentException("renewal: the check interval must be positive, got " + checkInterval);
        }
    }

    /** Renew with a third of the lifetime left, checking hourly. */
    public static RenewalPolicy defaults() {
        return new RenewalPolicy(1.0 / 3, Duration.ZERO, Duration.ofHours(1));
    }

    /** Whether {@code cert} should be renewed at {@code now}. */
    public boolean isDue(X509Certificate cert, Instant now) {
        Instant notAfter = cert.getNotAfter().toInstant();
        Duration lifetime = Duration.between(cert.getNotBefore().toInstant(), notAfter);
        Duration byFraction = Duration.ofMillis((long) (lifetime.toMillis() * remainingFraction));
        Duration threshold = byFraction.compareTo(remainingAtMost) > 0 ? byFraction : remainingAtMost;
        return Duration.between(now, notAfter).compareTo(threshold) < 0;
    }
}
