package io.fedlora.client.privacy;

/**
 * An (epsilon, delta) budget: for each job, and over everything this client ever releases.
 * Validated here, once: a budget can never silently mean "no limit".
 */
public record PrivacyBudget(double perJobEpsilon, double overallEpsilon, double delta) {

    public PrivacyBudget {
        positiveFinite("per-job epsilon", perJobEpsilon);
        positiveFinite("overall epsilon", overallEpsilon);
        if (!(delta > 0 && delta < 1)) {
            throw new IllegalArgumentException("privacy budget delta must be in (0, 1), got " + delta);
        }
        if (perJobEpsilon > overallEpsilon) {
            throw new IllegalArgumentException("per-job epsilon " + perJobEpsilon + " exceeds the overall epsilon "
                    + overallEpsilon);
        }
    }

    private static void positiveFinite(String what, double v) {
        if (!(v > 0) || !Double.isFinite(v)) {
            throw new IllegalArgumentException("privacy budget " + what + " must be a positive number, got " + v);
        }
    }
}
