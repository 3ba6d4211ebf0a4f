package io.fedlora.coordinator.service;

import io.fedlora.coordinator.CoordinatorException.FailedPrecondition;
import io.fedlora.coordinator.trust.Enrollment;
import io.fedlora.proto.v1.EnrollRequest;
import io.fedlora.proto.v1.EnrollResponse;
import io.fedlora.proto.v1.EnrollmentServiceGrpc;
import io.grpc.stub.StreamObserver;
import java.security.cert.CertificateEncodingException;
import java.util.Optional;

/** Enroll: the one call that needs no client certificate. The token, CSR and proof are checked by {@link Enrollment}. */
public final class EnrollmentServiceImpl extends EnrollmentServiceGrpc.EnrollmentServiceImplBase {

    private final Optional<Enrollment> enrollment;
    private final byte[] caDer;

    /** @param enrollment empty on a coordinator without TLS, which has no CA to enrol with */
    public EnrollmentServiceImpl(Optional<Enrollment> enrollment, byte[] caDer) {
        this.enrollment = enrollment;
        this.caDer = caDer.clone();
    }

    @Override
    public void enroll(EnrollRequest req, StreamObserver<EnrollResponse> obs) {
        StatusMapper.unary(obs, () -> {
            Enrollment e = enrollment.orElseThrow(() -> new FailedPrecondition(
                    "this coordinator runs without TLS (--insecure-transport); there is nothing to enrol for"));
            Enrollment.Enrolled done = e.enroll(req.getToken(), req.getName(), req.getCsr().toByteArray(),
                    req.getIdentityKeyProof().toByteArray());
            try {
                return EnrollResponse.newBuilder()
                        .setSubjectId(done.subjectId())
                        .setRole(done.role().label())
                        .setCertificate(com.google.protobuf.ByteString.copyFrom(done.certificate().getEncoded()))
                        .setCaCertificate(com.google.protobuf.ByteString.copyFrom(caDer))
                        .setExpiresUnixMs(done.certificate().getNotAfter().getTime())
                        .build();
            } catch (CertificateEncodingException ex) {
                throw new IllegalStateException(ex);
            }
        });
    }
}
