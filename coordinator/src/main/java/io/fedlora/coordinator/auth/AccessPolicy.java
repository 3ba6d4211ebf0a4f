package io.fedlora.coordinator.auth;

import io.fedlora.coordinator.app.Action;
import io.fedlora.crypto.pki.CertificateRole;
import io.fedlora.proto.v1.AdminServiceGrpc;
import io.fedlora.proto.v1.AgentServiceGrpc;
import io.fedlora.proto.v1.EnrollmentServiceGrpc;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.fedlora.proto.v1.TrustAdminServiceGrpc;
import io.grpc.MethodDescriptor;
import io.grpc.ServiceDescriptor;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Which role each RPC needs, in one table. A method missing here is refused (fail closed). Audited
 * methods are the ones that change something an operator answers for; refused calls to the admin
 * APIs are audited too (see {@link CallAuthorizer}).
 */
public final class AccessPolicy {

    /**
     * @param role the role the caller's certificate must include; empty = no certificate needed
     *     (enrollment, which a token authenticates)
     * @param audited whether every call, allowed or not, goes into the audit log
     * @param adminApi whether this is part of the operator-facing API (refusals there are audited)
     */
    public record Rule(Optional<CertificateRole> role, boolean audited, boolean adminApi) {}

    private static final Map<String, Rule> RULES = rules();

    private AccessPolicy() {}

    private static Map<String, Rule> rules() {
        Map<String, Rule> m = new HashMap<>();
        Rule agent = new Rule(Optional.of(CertificateRole.AGENT), false, false);
        forAll(m, AgentServiceGrpc.getServiceDescriptor(), agent);

        // The operator-facing API: each method is an application-layer Action, which names its role.
        put(m, AdminServiceGrpc.getCreateJobMethod(), Action.CREATE_JOB);
        put(m, AdminServiceGrpc.getStartJobMethod(), Action.START_JOB);
        put(m, AdminServiceGrpc.getGetJobMethod(), Action.GET_JOB);
        put(m, AdminServiceGrpc.getListJobsMethod(), Action.LIST_JOBS);
        put(m, AdminServiceGrpc.getListRoundsMethod(), Action.LIST_ROUNDS);
        put(m, AdminServiceGrpc.getWatchJobMethod(), Action.WATCH_JOB);
        put(m, AdminServiceGrpc.getListNodesMethod(), Action.LIST_NODES);
        put(m, AdminServiceGrpc.getDownloadAdapterMethod(), Action.DOWNLOAD_ADAPTER);
        put(m, AdminServiceGrpc.getPauseJobMethod(), Action.PAUSE_JOB);
        put(m, AdminServiceGrpc.getResumeJobMethod(), Action.RESUME_JOB);
        put(m, AdminServiceGrpc.getCancelJobMethod(), Action.CANCEL_JOB);
        put(m, AdminServiceGrpc.getWatchJobLogMethod(), Action.READ_JOB_LOG);
        put(m, TrustAdminServiceGrpc.getCreateEnrollmentTokenMethod(), Action.CREATE_ENROLLMENT_TOKEN);
        put(m, TrustAdminServiceGrpc.getRevokeMethod(), Action.REVOKE_NODE);
        put(m, TrustAdminServiceGrpc.getListCertificatesMethod(), Action.LIST_CERTIFICATES);
        put(m, TrustAdminServiceGrpc.getListAuditLogMethod(), Action.READ_AUDIT);
        put(m, TrustAdminServiceGrpc.getCreateDashboardLoginMethod(), Action.CREATE_DASHBOARD_LOGIN);
        // A method added to these services without an Action falls back to its service's strictest
        // default (admin) rather than to nothing, so it still needs a certificate and a role.
        Rule adminDefault = new Rule(Optional.of(CertificateRole.ADMIN), false, true);
        for (ServiceDescriptor sd : new ServiceDescriptor[] {AdminServiceGrpc.getServiceDescriptor(),
                TrustAdminServiceGrpc.getServiceDescriptor()}) {
            for (MethodDescriptor<?, ?> md : sd.getMethods()) {
                m.putIfAbsent(md.getFullMethodName(), adminDefault);
            }
        }

        put(m, EnrollmentServiceGrpc.getEnrollMethod(), new Rule(Optional.empty(), true, false));
        put(m, EnrollmentServiceGrpc.getRenewMethod(), new Rule(Optional.of(CertificateRole.AGENT), true, false));
        // Health says SERVING or not, nothing else: probes and 'fedlora doctor' need no particular role.
        put(m, HealthGrpc.getCheckMethod(), new Rule(Optional.empty(), false, false));
        // Reflection describes the API (the same as proto/), nothing stored: any operator role may ask.
        forAll(m, ServerReflectionGrpc.getServiceDescriptor(), new Rule(Optional.of(CertificateRole.VIEWER), false, true));
        return Map.copyOf(m);
    }

    private static void forAll(Map<String, Rule> m, ServiceDescriptor service, Rule rule) {
        for (MethodDescriptor<?, ?> md : service.getMethods()) {
            m.put(md.getFullMethodName(), rule);
        }
    }

    private static void put(Map<String, Rule> m, MethodDescriptor<?, ?> md, Action action) {
        m.put(md.getFullMethodName(), new Rule(Optional.of(action.role()), action.audited(), true));
    }

    private static void put(Map<String, Rule> m, MethodDescriptor<?, ?> md, Rule rule) {
        m.put(md.getFullMethodName(), rule);
    }

    /** The rule for a full method name ({@code fedlora.v1.AdminService/CreateJob}); empty = refuse. */
    public static Optional<Rule> ruleFor(String fullMethodName) {
        return Optional.ofNullable(RULES.get(fullMethodName));
    }

    /** The short action name used in the audit log, e.g. {@code AdminService/CreateJob}. */
    public static String action(String fullMethodName) {
        int dot = fullMethodName.lastIndexOf('.', fullMethodName.indexOf('/'));
        return dot < 0 ? fullMethodName : fullMethodName.substring(dot + 1);
    }
}
