package io.fedlora.deploy.doctor;

import java.util.Objects;

/** What one check found: its status and one line saying why. */
public record CheckResult(String name, Status status, String detail) {

    public enum Status { OK, WARN, FAIL, SKIP }

    public CheckResult {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(detail, "detail");
    }

    static CheckResult ok(String name, String detail) {
        return new CheckResult(name, Status.OK, detail);
    }

    static CheckResult warn(String name, String detail) {
        return new CheckResult(name, Status.WARN, detail);
    }

    static CheckResult fail(String name, String detail) {
        return new CheckResult(name, Status.FAIL, detail);
    }

    static CheckResult skip(String name, String detail) {
        return new CheckResult(name, Status.SKIP, detail);
    }
}
