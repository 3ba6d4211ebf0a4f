package io.fedlora.deploy.install;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads Kubernetes manifests into the typed API model (fabric8's classes, generated from the
 * Kubernetes OpenAPI schemas) and reports everything the schema does not know: a kind without a
 * type, and any field the model had to keep as an unknown "additional property" (a misspelt or
 * misplaced key). Types that do not match (a string where a number goes) fail the reading itself.
 */
final class StrictKubernetesTypes {

    private StrictKubernetesTypes() {}

    /** The resources of a multi-document YAML stream, or an error naming each problem found. */
    static List<HasMetadata> read(String yaml) throws java.io.IOException {
        ObjectMapper mapper = new ObjectMapper(new YAMLFactory());
        List<HasMetadata> resources = new ArrayList<>();
        for (String doc : yaml.split("(?m)^---\\s*$")) {
            if (doc.lines().allMatch(l -> l.isBlank() || l.stripLeading().startsWith("#"))) {
                continue;
            }
            // KubernetesResource's deserializer picks the model class by apiVersion and kind.
            resources.add((HasMetadata) mapper.readValue(doc, KubernetesResource.class));
        }
        List<String> problems = new ArrayList<>();
        for (HasMetadata r : resources) {
            String where = r.getKind() + "/" + r.getMetadata().getName();
            if (r instanceof GenericKubernetesResource) {
                problems.add(where + ": no schema for " + r.getApiVersion() + " " + r.getKind());
                continue;
            }
            unknownFields(r, where, problems, java.util.Collections.newSetFromMap(new IdentityHashMap<>()));
        }
        if (!problems.isEmpty()) {
            throw new AssertionError("not valid against the Kubernetes schemas:\n  " + String.join("\n  ", problems));
        }
        return resources;
    }

    private static void unknownFields(Object node, String path, List<String> problems, Set<Object> seen) {
        if (node == null || !seen.add(node)) {
            return;
        }
        if (node instanceof Collection<?> c) {
            int i = 0;
            for (Object o : c) {
                unknownFields(o, path + "[" + i++ + "]", problems, seen);
            }
            return;
        }
        if (node instanceof Map<?, ?> m) {
            m.forEach((k, v) -> unknownFields(v, path + "." + k, problems, seen));
            return;
        }
        if (!node.getClass().getName().startsWith("io.fabric8.")) {
            return;
        }
        for (Method getter : node.getClass().getMethods()) {
            if (getter.getParameterCount() != 0 || !getter.getName().startsWith("get")
                    || getter.getDeclaringClass() == Object.class) {
                continue;
            }
            Object value;
            try {
                value = getter.invoke(node);
            } catch (ReflectiveOperationException | RuntimeException e) {
                continue;
            }
            if (getter.getName().equals("getAdditionalProperties")) {
                if (value instanceof Map<?, ?> extra && !extra.isEmpty()) {
                    problems.add(path + ": unknown field(s) " + extra.keySet());
                }
            } else {
                String field = Character.toLowerCase(getter.getName().charAt(3)) + getter.getName().substring(4);
                unknownFields(value, path + "." + field, problems, seen);
            }
        }
    }
}
