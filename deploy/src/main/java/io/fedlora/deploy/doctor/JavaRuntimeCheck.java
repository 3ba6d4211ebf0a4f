package io.fedlora.deploy.doctor;

/** The Java runtime: fedlora needs 17 or newer. */
final class JavaRuntimeCheck implements Check {

    static final int MINIMUM_FEATURE = 17;

    private final Runtime.Version version;
    private final String vendor;

    JavaRuntimeCheck(Runtime.Version version, String vendor) {
        this.version = version;
        this.vendor = vendor;
    }

    static JavaRuntimeCheck ofThisJvm() {
        return new JavaRuntimeCheck(Runtime.version(), System.getProperty("java.vendor", "unknown vendor"));
    }

    @Override
    public String name() {
        return "java";
    }

    @Override
    public CheckResult run() {
        String what = "Java " + version + " (" + vendor + ")";
        return version.feature() >= MINIMUM_FEATURE ? CheckResult.ok(name(), what)
                : CheckResult.fail(name(), what + ": fedlora needs Java " + MINIMUM_FEATURE + " or newer");
    }
}
