package io.fedlora.coordinator.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.crypto.pki.CertificateRole;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The trust tables of migration 5: single-use tokens, issued certificates, revocations, the audit log. */
class TrustStoreTest {

    @TempDir
    Path dir;

    @Test
    void aTokenIsRedeemedOnceAndTheCertificateRecordedWithIt() {
        try (H2Store s = H2Store.open(dir)) {
            String hash = "aa".repeat(32);
            s.insertEnrollmentToken(new EnrollmentTokenRecord(hash, "hospital-a", CertificateRole.AGENT, 10, 1000,
                    "local-admin", 0, ""));
            CertificateRecord first = new CertificateRecord("1f", "node-1", "hospital-a", CertificateRole.AGENT,
                    "bb".repeat(32), 20, 2000);
            assertTrue(s.redeemEnrollmentToken(hash, 20, first));
            assertFalse(s.redeemEnrollmentToken(hash, 21, new CertificateRecord("2f", "node-2", "hospital-a",
                    CertificateRole.AGENT, "cc".repeat(32), 21, 2000)), "a spent token enrols nobody else");
            assertEquals(List.of(first), s.certificates());
            EnrollmentTokenRecord t = s.enrollmentToken(hash).orElseThrow();
            assertTrue(t.isUsed());
            assertEquals("node-1", t.usedBy());
            assertTrue(s.enrollmentToken("dd".repeat(32)).isEmpty());
        }
    }

    @Test
    void revocationsAndTheAuditLogSurviveARestart() {
        try (H2Store s = H2Store.open(dir)) {
            assertTrue(s.insertRevocation(new RevocationRecord("node-1", 5, "local-admin", "stolen")));
            assertFalse(s.insertRevocation(new RevocationRecord("node-1", 6, "local-admin", "again")));
            long a = s.appendAudit(new AuditRecord(0, 7, "local-admin", "admin", "TrustAdminService/Revoke",
                    "subject_id=node-1", "OK", ""));
            long b = s.appendAudit(new AuditRecord(0, 8, "anonymous", "", "AdminService/CreateJob", "",
                    "UNAUTHENTICATED", "x".repeat(5000)));
            assertTrue(b > a);
        }
        try (H2Store s = H2Store.open(dir)) {
            assertEquals(List.of("node-1"), s.revocations().stream().map(RevocationRecord::subjectId).toList());
            List<AuditRecord> log = s.auditLog(0, 10);
            assertEquals(2, log.size());
            assertEquals("subject_id=node-1", log.get(0).target());
            assertEquals(1024, log.get(1).detail().length(), "long details are clipped, not refused");
            assertEquals(1, s.auditLog(log.get(0).seq(), 10).size());
        }
    }
}
