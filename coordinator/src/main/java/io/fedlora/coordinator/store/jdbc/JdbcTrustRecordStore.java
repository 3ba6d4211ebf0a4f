package io.fedlora.coordinator.store.jdbc;

import io.fedlora.coordinator.store.CertificateRecord;
import io.fedlora.coordinator.store.EnrollmentTokenRecord;
import io.fedlora.coordinator.store.RevocationRecord;
import io.fedlora.coordinator.store.StoreException;
import io.fedlora.coordinator.store.TrustRecordStore;
import io.fedlora.crypto.pki.CertificateRole;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;

/** Enrollment tokens, certificates and revocations, in the tables of the same names. */
final class JdbcTrustRecordStore implements TrustRecordStore {

    private static final String TOKEN_COLUMNS = "token_sha256, name, role, created_ms, expires_ms, created_by, used_ms,"
            + " used_by";
    private static final String CERTIFICATE_COLUMNS = "serial, subject_id, name, role, identity_key, issued_ms,"
            + " expires_ms";

    private final Transactions tx;

    JdbcTrustRecordStore(Transactions tx) {
        this.tx = tx;
    }

    @Override
    public void insertEnrollmentToken(EnrollmentTokenRecord t) {
        tx.run("insert enrollment token", sql -> sql.update("INSERT INTO enrollment_tokens (" + TOKEN_COLUMNS
                + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)", t.tokenSha256(), t.name(), t.role().label(), t.createdUnixMs(),
                t.expiresUnixMs(), t.createdBy(), t.usedUnixMs(), t.usedBy()));
    }

    @Override
    public Optional<EnrollmentTokenRecord> enrollmentToken(String tokenSha256) {
        return tx.run("read enrollment token", sql -> sql.queryOne("SELECT " + TOKEN_COLUMNS
                + " FROM enrollment_tokens WHERE token_sha256 = ?", JdbcTrustRecordStore::token, tokenSha256));
    }

    private static EnrollmentTokenRecord token(ResultSet rs) throws SQLException {
        return new EnrollmentTokenRecord(rs.getString("token_sha256"), rs.getString("name"),
                CertificateRole.fromLabel(rs.getString("role")), rs.getLong("created_ms"), rs.getLong("expires_ms"),
                rs.getString("created_by"), rs.getLong("used_ms"), rs.getString("used_by"));
    }

    @Override
    public int outstandingEnrollmentTokens(long nowUnixMs) {
        return tx.run("count enrollment tokens", sql -> (int) sql.queryLong(
                "SELECT COUNT(*) FROM enrollment_tokens WHERE used_ms = 0 AND expires_ms > ?", nowUnixMs));
    }

    @Override
    public boolean redeemEnrollmentToken(String tokenSha256, long usedUnixMs, CertificateRecord issued) {
        return tx.run("redeem enrollment token", sql -> {
            // The compare-and-set on used_ms makes a token single-use even under concurrent enrollments.
            int n = sql.update("UPDATE enrollment_tokens SET used_ms = ?, used_by = ? WHERE token_sha256 = ?"
                    + " AND used_ms = 0", usedUnixMs, issued.subjectId(), tokenSha256);
            if (n != 1) {
                return false;
            }
            insertCertificateRow(sql, issued);
            return true;
        });
    }

    @Override
    public void insertCertificate(CertificateRecord issued) {
        tx.run("insert certificate", sql -> {
            insertCertificateRow(sql, issued);
            return null;
        });
    }

    private static void insertCertificateRow(Sql sql, CertificateRecord c) throws SQLException {
        sql.update("INSERT INTO certificates (" + CERTIFICATE_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?)", c.serialHex(),
                c.subjectId(), c.name(), c.role().label(), c.identityKeyHex(), c.issuedUnixMs(), c.expiresUnixMs());
    }

    @Override
    public List<CertificateRecord> certificates() {
        return tx.run("list certificates", sql -> sql.query("SELECT " + CERTIFICATE_COLUMNS
                + " FROM certificates ORDER BY issued_ms, serial", rs -> new CertificateRecord(rs.getString("serial"),
                rs.getString("subject_id"), rs.getString("name"), CertificateRole.fromLabel(rs.getString("role")),
                rs.getString("identity_key"), rs.getLong("issued_ms"), rs.getLong("expires_ms"))));
    }

    @Override
    public boolean insertRevocation(RevocationRecord r) {
        try {
            return tx.run("revoke", sql -> {
                if (sql.queryOne("SELECT 1 FROM revocations WHERE subject_id = ?", rs -> 1, r.subjectId()).isPresent()) {
                    return false;
                }
                sql.update("INSERT INTO revocations (subject_id, revoked_ms, revoked_by, reason) VALUES (?, ?, ?, ?)",
                        r.subjectId(), r.revokedUnixMs(), r.revokedBy(), r.reason());
                return true;
            });
        } catch (StoreException e) {
            if (Transactions.isUniqueViolation(e)) {
                return false; // revoked by a concurrent call between the check and the insert
            }
            throw e;
        }
    }

    @Override
    public List<RevocationRecord> revocations() {
        return tx.run("list revocations", sql -> sql.query("SELECT subject_id, revoked_ms, revoked_by, reason"
                + " FROM revocations ORDER BY revoked_ms, subject_id", rs -> new RevocationRecord(rs.getString(1),
                rs.getLong(2), rs.getString(3), rs.getString(4))));
    }
}
