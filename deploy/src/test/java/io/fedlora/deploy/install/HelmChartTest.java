package io.fedlora.deploy.install;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The Helm chart {@code deploy/helm/fedlora-coordinator}, linted and rendered with its defaults by
 * Helm itself (its Go code, loaded as a native library), and the rendering read against the
 * Kubernetes schemas: every resource the issue asks for is there, with the secrets coming from
 * Secrets and nothing unknown to the API.
 */
class HelmChartTest {

    private static final Path CHART = Path.of("helm/fedlora-coordinator").toAbsolutePath();

    @Test
    void theChartLintsCleanInStrictMode() {
        LintResult lint = new Helm(CHART).lint().strict().call();
        assertFalse(lint.isFailed(), "helm lint --strict: " + lint.getMessages());
    }

    @Test
    void theDefaultRenderingIsValidAndHasEveryPiece() throws Exception {
        String yaml = new Helm(CHART).template().withName("fedlora").withNamespace("fedlora").call();
        List<HasMetadata> resources = StrictKubernetesTypes.read(yaml);

        StatefulSet sts = only(resources, StatefulSet.class);
        Container c = sts.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertEquals("fedlora/coordinator:0.1.0-SNAPSHOT", c.getImage());
        assertEquals(1, sts.getSpec().getVolumeClaimTemplates().size(), "a PVC for the data directory");
        assertEquals("/var/lib/fedlora", c.getVolumeMounts().stream().filter(m -> m.getName().equals("data"))
                .findFirst().orElseThrow().getMountPath());
        assertTrue(c.getResources().getRequests().containsKey("memory") && c.getResources().getRequests()
                .containsKey("cpu"), "resource requests");
        assertTrue(c.getLivenessProbe() != null && c.getReadinessProbe() != null && c.getStartupProbe() != null);
        assertTrue(sts.getSpec().getTemplate().getSpec().getSecurityContext().getRunAsNonRoot());
        assertFalse(c.getSecurityContext().getAllowPrivilegeEscalation());

        // The CA key and the store password come from Secrets as files, never as values.
        List<String> secrets = sts.getSpec().getTemplate().getSpec().getVolumes().stream()
                .filter(v -> v.getSecret() != null).map(v -> v.getSecret().getSecretName()).toList();
        assertTrue(secrets.containsAll(List.of("fedlora-ca", "fedlora-store")), "secrets mounted: " + secrets);
        List<String> args = c.getArgs();
        assertEquals("/etc/fedlora/ca/ca.key", args.get(args.indexOf("--ca-key") + 1));
        assertEquals("/etc/fedlora/store/password", args.get(args.indexOf("--store-password-file") + 1));
        assertTrue(c.getEnv() == null || c.getEnv().stream().allMatch(e -> e.getValue() == null
                || !e.getName().toUpperCase().contains("PASSWORD")), "no password in the environment");
        assertFalse(yaml.contains("BEGIN"), "no key material in the rendering");

        List<Service> services = all(resources, Service.class);
        assertTrue(services.stream().anyMatch(s -> s.getSpec().getPorts().stream()
                .anyMatch(p -> p.getName().equals("grpc") && p.getPort() == 7070)), "a Service for gRPC");
        Ingress ingress = only(resources, Ingress.class);
        assertEquals("fedlora-dashboard", ingress.getSpec().getRules().get(0).getHttp().getPaths().get(0)
                .getBackend().getService().getName());
        ServiceMonitor monitor = only(resources, ServiceMonitor.class);
        assertEquals("/metrics", monitor.getSpec().getEndpoints().get(0).getPath());
        NetworkPolicy policy = only(resources, NetworkPolicy.class);
        assertEquals(List.of("Ingress", "Egress"), policy.getSpec().getPolicyTypes());
    }

    @Test
    void probesUseThePortAStandbyAnswersOnToo() throws Exception {
        String yaml = new Helm(CHART).template().withName("fedlora").withNamespace("fedlora").call();
        Container c = only(StrictKubernetesTypes.read(yaml), StatefulSet.class).getSpec().getTemplate().getSpec()
                .getContainers().get(0);
        assertEquals("8081", c.getArgs().get(c.getArgs().indexOf("--health-port") + 1));
        assertEquals("/livez", c.getLivenessProbe().getHttpGet().getPath());
        assertEquals("/livez", c.getStartupProbe().getHttpGet().getPath());
        assertEquals("/readyz", c.getReadinessProbe().getHttpGet().getPath());
        assertEquals("health", c.getReadinessProbe().getHttpGet().getPort().getStrVal());
        assertFalse(c.getArgs().contains("--standby"));
    }

    @Test
    void withAStandbyTwoPodsShareTheStoreAndTheBucketOnDifferentNodes() throws Exception {
        String yaml = new Helm(CHART).template().withName("fedlora").withNamespace("fedlora")
                .set("standby.enabled", "true").set("blobs.url", "s3://fedlora-adapters/prod")
                .set("blobs.s3Endpoint", "https://minio.example.org").set("blobs.credentialsSecretName", "fedlora-s3")
                .call();
        List<HasMetadata> resources = StrictKubernetesTypes.read(yaml);
        StatefulSet sts = only(resources, StatefulSet.class);
        assertEquals(2, sts.getSpec().getReplicas());
        assertEquals("Parallel", sts.getSpec().getPodManagementPolicy(), "a standby never gets ready");
        Container c = sts.getSpec().getTemplate().getSpec().getContainers().get(0);
        List<String> args = c.getArgs();
        assertTrue(args.contains("--standby"), args.toString());
        assertEquals("8", args.get(args.indexOf("--lease-ttl-seconds") + 1));
        assertEquals("s3://fedlora-adapters/prod", args.get(args.indexOf("--blobs") + 1));
        assertEquals("/etc/fedlora/s3/credentials", args.get(args.indexOf("--s3-credentials-file") + 1));
        assertTrue(sts.getSpec().getTemplate().getSpec().getVolumes().stream().anyMatch(v -> v.getSecret() != null
                && v.getSecret().getSecretName().equals("fedlora-s3")), "S3 credentials from a Secret, as a file");
        assertEquals("kubernetes.io/hostname", sts.getSpec().getTemplate().getSpec().getAffinity().getPodAntiAffinity()
                .getPreferredDuringSchedulingIgnoredDuringExecution().get(0).getPodAffinityTerm().getTopologyKey());
        NetworkPolicy policy = only(resources, NetworkPolicy.class);
        assertTrue(policy.getSpec().getEgress().stream().anyMatch(e -> e.getPorts().get(0).getPort().getIntVal() == 443),
                "egress to the S3 endpoint");
        LintResult lint = new Helm(CHART).lint().strict().call();
        assertFalse(lint.isFailed(), lint.getMessages().toString());
    }

    @Test
    void aStandbyWithoutASharedStoreOrBucketDoesNotRender() {
        Exception noBucket = org.junit.jupiter.api.Assertions.assertThrows(Exception.class, () -> new Helm(CHART)
                .template().withName("fedlora").set("standby.enabled", "true").call());
        assertTrue(noBucket.getMessage().contains("blobs.url s3://"), noBucket.getMessage());
        Exception noStore = org.junit.jupiter.api.Assertions.assertThrows(Exception.class, () -> new Helm(CHART)
                .template().withName("fedlora").set("standby.enabled", "true").set("store.url", "")
                .set("blobs.url", "s3://b/p").call());
        assertTrue(noStore.getMessage().contains("store.url jdbc:postgresql://"), noStore.getMessage());
    }

    @Test
    void aMisspeltFieldIsCaughtByTheSchemaCheck() {
        String yaml = """
                apiVersion: v1
                kind: Service
                metadata:
                  name: x
                spec:
                  prots:
                    - port: 1
                """;
        AssertionError e = org.junit.jupiter.api.Assertions.assertThrows(AssertionError.class,
                () -> StrictKubernetesTypes.read(yaml));
        assertTrue(e.getMessage().contains("prots"), e.getMessage());
    }

    private static <T> T only(List<HasMetadata> resources, Class<T> type) {
        List<T> found = all(resources, type);
        assertEquals(1, found.size(), type.getSimpleName() + "s rendered");
        return found.get(0);
    }

    private static <T> List<T> all(List<HasMetadata> resources, Class<T> type) {
        return resources.stream().filter(type::isInstance).map(type::cast).toList();
    }
}
