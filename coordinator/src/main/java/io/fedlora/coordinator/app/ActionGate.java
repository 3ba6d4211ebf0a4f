package io.fedlora.coordinator.app;

import io.fedlora.coordinator.auth.AuditTrail;
import java.util.function.Supplier;

/**
 * Where an action meets its rule: the role check, and the audit entry for every audited action and
 * every refusal, in the same hash-chained log whichever front door the request came through.
 */
public final class ActionGate {

    private final AuditTrail audit;

    public ActionGate(AuditTrail audit) {
        this.audit = audit;
    }

    /**
     * Runs {@code body} as {@code principal} if its role allows {@code action}; otherwise
     * PERMISSION_DENIED (audited) and the body does not run. Failures come out as {@link AppError}.
     *
     * @param target what the action is about, as {@code field=value} pairs (never a secret)
     */
    public <T> T perform(Principal principal, Action action, String target, Supplier<T> body) {
        if (!action.allows(principal)) {
            AppError e = AppError.of(AppError.Kind.PERMISSION_DENIED, "role " + principal.roleLabel() + " may not "
                    + action.auditName() + " (needs " + action.role().label() + ")");
            record(principal, action, target, e);
            throw e;
        }
        T result;
        try {
            result = body.get();
        } catch (RuntimeException ex) {
            AppError e = AppError.of(ex);
            if (action.audited() || e.kind() == AppError.Kind.PERMISSION_DENIED) {
                record(principal, action, target, e);
            }
            throw e;
        }
        if (action.audited()) {
            audit.record(principal.name(), principal.roleLabel(), action.auditName(), target, "OK", "");
        }
        return result;
    }

    /** Audits an event of the dashboard's own that succeeded (a sign-in). */
    public void succeeded(Principal principal, String actionName, String target) {
        audit.record(principal.name(), principal.roleLabel(), actionName, target, "OK", "");
    }

    /** Audits a request refused before it had a principal (no session, expired, bad CSRF token). */
    public void refusedAnonymous(String actionName, AppError e) {
        audit.record("anonymous", "", actionName, "", e.grpcStatus().getCode().name(), e.getMessage());
    }

    /** Audits a refusal of a known principal outside {@link #perform} (a missing CSRF token, a rate limit). */
    public void refused(Principal principal, String actionName, AppError e) {
        audit.record(principal.name(), principal.roleLabel(), actionName, "", e.grpcStatus().getCode().name(),
                e.getMessage());
    }

    private void record(Principal p, Action action, String target, AppError e) {
        audit.record(p.name(), p.roleLabel(), action.auditName(), target, e.grpcStatus().getCode().name(),
                e.getMessage());
    }
}
