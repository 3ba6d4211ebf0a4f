package io.fedlora.coordinator.app;

import io.fedlora.crypto.pki.CertificateRole;

/**
 * Everything an operator may ask of the coordinator, through gRPC or the dashboard, with the role it
 * needs and whether it is written to the audit log. Refusals of any action are always audited.
 */
public enum Action {
    LIST_JOBS("AdminService/ListJobs", CertificateRole.VIEWER, false),
    GET_JOB("AdminService/GetJob", CertificateRole.VIEWER, false),
    LIST_ROUNDS("AdminService/ListRounds", CertificateRole.VIEWER, false),
    WATCH_JOB("AdminService/WatchJob", CertificateRole.VIEWER, false),
    READ_JOB_LOG("AdminService/WatchJobLog", CertificateRole.VIEWER, false),
    READ_PRIVACY("AdminService/GetPrivacyReport", CertificateRole.VIEWER, false),
    DOWNLOAD_ADAPTER("AdminService/DownloadAdapter", CertificateRole.VIEWER, false),
    LIST_NODES("AdminService/ListNodes", CertificateRole.VIEWER, false),
    CREATE_JOB("AdminService/CreateJob", CertificateRole.ADMIN, true),
    START_JOB("AdminService/StartJob", CertificateRole.OPERATOR, true),
    PAUSE_JOB("AdminService/PauseJob", CertificateRole.OPERATOR, true),
    RESUME_JOB("AdminService/ResumeJob", CertificateRole.OPERATOR, true),
    CANCEL_JOB("AdminService/CancelJob", CertificateRole.OPERATOR, true),
    REVOKE_NODE("TrustAdminService/Revoke", CertificateRole.ADMIN, true),
    CREATE_ENROLLMENT_TOKEN("TrustAdminService/CreateEnrollmentToken", CertificateRole.ADMIN, true),
    CREATE_DASHBOARD_LOGIN("TrustAdminService/CreateDashboardLogin", CertificateRole.ADMIN, true),
    LIST_CERTIFICATES("TrustAdminService/ListCertificates", CertificateRole.ADMIN, false),
    READ_AUDIT("TrustAdminService/ListAuditLog", CertificateRole.ADMIN, false);

    private final String auditName;
    private final CertificateRole role;
    private final boolean audited;

    Action(String auditName, CertificateRole role, boolean audited) {
        this.auditName = auditName;
        this.role = role;
        this.audited = audited;
    }

    /** The name the audit log gives this action, the same through either front door (the gRPC method's). */
    public String auditName() {
        return auditName;
    }

    /** The least role that may perform this action. */
    public CertificateRole role() {
        return role;
    }

    /** Whether every attempt, allowed or not, is audited (refusals of unaudited actions are audited too). */
    public boolean audited() {
        return audited;
    }

    /** Whether {@code principal}'s role allows this action. */
    public boolean allows(Principal principal) {
        return principal.role().includes(role);
    }
}
