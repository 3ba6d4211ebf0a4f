package io.fedlora.coordinator.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.crypto.pki.CertificateRole;
import io.fedlora.proto.v1.AdminServiceGrpc;
import io.fedlora.proto.v1.AgentServiceGrpc;
import io.fedlora.proto.v1.EnrollmentServiceGrpc;
import io.fedlora.proto.v1.TrustAdminServiceGrpc;
import io.grpc.MethodDescriptor;
import io.grpc.ServiceDescriptor;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class AccessPolicyTest {

    @Test
    void everyMethodOfEveryServiceHasARuleAndOnlyEnrollNeedsNoCertificate() {
        List<String> missing = new ArrayList<>();
        List<String> anonymous = new ArrayList<>();
        for (ServiceDescriptor s : List.of(AgentServiceGrpc.getServiceDescriptor(), AdminServiceGrpc.getServiceDescriptor(),
                TrustAdminServiceGrpc.getServiceDescriptor(), EnrollmentServiceGrpc.getServiceDescriptor())) {
            for (MethodDescriptor<?, ?> m : s.getMethods()) {
                var rule = AccessPolicy.ruleFor(m.getFullMethodName());
                if (rule.isEmpty()) {
                    missing.add(m.getFullMethodName());
                } else if (rule.get().role().isEmpty()) {
                    anonymous.add(m.getFullMethodName());
                }
            }
        }
        assertEquals(List.of(), missing);
        assertEquals(List.of(EnrollmentServiceGrpc.getEnrollMethod().getFullMethodName()), anonymous);
        assertTrue(AccessPolicy.ruleFor("grpc.testing.TestService/EmptyCall").isEmpty(), "unknown methods are refused");
    }

    @Test
    void rolesMatchTheIssue() {
        assertEquals(Optional.of(CertificateRole.ADMIN), role(AdminServiceGrpc.getCreateJobMethod()));
        assertEquals(Optional.of(CertificateRole.OPERATOR), role(AdminServiceGrpc.getStartJobMethod()));
        for (MethodDescriptor<?, ?> control : List.of(AdminServiceGrpc.getPauseJobMethod(),
                AdminServiceGrpc.getResumeJobMethod(), AdminServiceGrpc.getCancelJobMethod())) {
            assertEquals(Optional.of(CertificateRole.OPERATOR), role(control), control.getFullMethodName());
            assertTrue(AccessPolicy.ruleFor(control.getFullMethodName()).orElseThrow().audited());
        }
        // So admins may pause, resume and cancel too, and viewers may not.
        assertTrue(CertificateRole.ADMIN.includes(CertificateRole.OPERATOR));
        assertFalse(CertificateRole.VIEWER.includes(CertificateRole.OPERATOR));
        assertEquals(Optional.of(CertificateRole.VIEWER), role(AdminServiceGrpc.getListJobsMethod()));
        assertEquals(Optional.of(CertificateRole.VIEWER), role(AdminServiceGrpc.getDownloadAdapterMethod()));
        assertEquals(Optional.of(CertificateRole.ADMIN), role(TrustAdminServiceGrpc.getRevokeMethod()));
        assertEquals(Optional.of(CertificateRole.ADMIN), role(TrustAdminServiceGrpc.getListAuditLogMethod()));
        assertEquals(Optional.of(CertificateRole.AGENT), role(AgentServiceGrpc.getSubmitUpdateMethod()));
        assertEquals("AdminService/CreateJob", AccessPolicy.action(AdminServiceGrpc.getCreateJobMethod().getFullMethodName()));
    }

    private static Optional<CertificateRole> role(MethodDescriptor<?, ?> m) {
        return AccessPolicy.ruleFor(m.getFullMethodName()).orElseThrow().role();
    }
}
