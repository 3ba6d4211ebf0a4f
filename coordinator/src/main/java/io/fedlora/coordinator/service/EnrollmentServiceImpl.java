package io.fedlora.coordinator.service;

import com.google.protobuf.ByteString;
import io.fedlora.coordinator.CoordinatorException.FailedPrecondition;
import io.fedlora.coordinator.auth.Caller;
import io.fedlora.coordinator.trust.CertificateRenewal;
import io.fedlora.coordinator.trust.Enrollment;
import io.fedlora.proto.v1.EnrollRequest;
import io.fedlora.proto.v1.EnrollResponse;
import io.fedlora.proto.v1.EnrollmentServiceGrpc;
import io.fedlora.proto.v1.RenewRequest;
import io.grpc.stub.StreamObserver;
import java.security.cert.CertificateEncodingException;
import java.util.Optional;

/**
 * Enroll, the one call that needs no client certificate (the token, CSR and proof are checked by
 * {@link Enrollment}), and Renew, which needs the agent's current one ({@link CertificateRenewal}).
 */
public final class EnrollmentServiceImpl extends EnrollmentServiceGrpc.EnrollmentServiceImplBase {

    private static final String NO_TLS =
            "this coordinator runs without TLS (--insecure-transport); there are no certificates here";

    private final Optional<Enrollment> enrollment;
    private final Optional<CertificateRenewal> renewal;
    private final byte[] caDer;

    /** @param enrollment and {@code renewal} empty on a coordinator without TLS, which has no CA */
    public EnrollmentServiceImpl(Optional<Enrollment> enrollment, Optional<CertificateRenewal> renewal, byte[] caDer) {
        this.enrollment = enrollment;
        this.renewal = renewal;
        this.caDer = caDer.clone();
    }

    @Override
    public void enroll(EnrollRequest req, StreamObserver<EnrollResponse> obs) {
        StatusMapper.unary(obs, () -> {
            Enrollment e = enrollment.orElseThrow(() -> new FailedPrecondition(NO_TLS));
            return response(e.enroll(req.getToken(), req.getName(), req.getCsr().toByteArray(),
                    req.getIdentityKeyProof().toByteArray()));
        });
    }

    @Override
    public void renew(RenewRequest req, StreamObserver<EnrollResponse> obs) {
        StatusMapper.unary(obs, () -> {
            CertificateRenewal r = renewal.orElseThrow(() -> new FailedPrecondition(NO_TLS));
            Caller caller = Caller.current();
            return response(r.renew(caller.certificate().orElseThrow(() -> new FailedPrecondition(NO_TLS)),
                    req.getSubjectId(), req.getCsr().toByteArray(), req.getIdentityKeyProof().toByteArray()));
        });
    }

    private EnrollResponse response(Enrollment.Enrolled done) {
        try {
            return EnrollResponse.newBuilder()
                    .setSubjectId(done.subjectId())
                    .setRole(done.role().label())
                    .setCertificate(ByteString.copyFrom(done.certificate().getEncoded()))
                    .setCaCertificate(ByteString.copyFrom(caDer))
                    .setExpiresUnixMs(done.certificate().getNotAfter().getTime())
                    .setSerial(done.certificate().getSerialNumber().toString(16))
                    .build();
        } catch (CertificateEncodingException ex) {
            throw new IllegalStateException(ex);
        }
    }
}
