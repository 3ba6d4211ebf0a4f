package io.fedlora.client.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Typed reads of {@code config.json} fields; every error names the file and the field. */
public record ConfigFields(Path file, JsonNode root) {

    public boolean has(String field) {
        return root.hasNonNull(field);
    }

    public String string(String field) throws ModelFormatException {
        JsonNode v = root.get(field);
        if (v == null || !v.isTextual()) {
            throw new ModelFormatException(file, "field " + field + ": missing or not a string");
        }
        return v.asText();
    }

    /** The text of an optional field, or {@code dflt} when it is absent or null. */
    public String string(String field, String dflt) throws ModelFormatException {
        return has(field) ? string(field) : dflt;
    }

    public int positiveInt(String field, Integer dflt) throws ModelFormatException {
        JsonNode v = root.get(field);
        if (v == null || v.isNull()) {
            if (dflt == null) {
                throw new ModelFormatException(file, "field " + field + ": missing");
            }
            return dflt;
        }
        if (!v.canConvertToInt() || !v.isIntegralNumber() || v.asInt() <= 0) {
            throw new ModelFormatException(file, "field " + field + ": must be a positive integer, got " + v);
        }
        return v.asInt();
    }

    public double positiveDouble(String field, double dflt) throws ModelFormatException {
        JsonNode v = root.get(field);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isNumber() || v.asDouble() <= 0) {
            throw new ModelFormatException(file, "field " + field + ": must be a positive number, got " + v);
        }
        return v.asDouble();
    }

    public boolean bool(String field, boolean dflt) throws ModelFormatException {
        JsonNode v = root.get(field);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isBoolean()) {
            throw new ModelFormatException(file, "field " + field + ": must be true or false, got " + v);
        }
        return v.asBoolean();
    }

    /** A token id, or the first of a list of ids (Llama 3 lists several EOS ids); -1 when absent. */
    public int tokenId(String field) throws ModelFormatException {
        JsonNode v = root.get(field);
        if (v == null || v.isNull()) {
            return -1;
        }
        if (v.isArray() && v.size() > 0) {
            v = v.get(0);
        }
        if (!v.isIntegralNumber() || v.asInt() < 0) {
            throw new ModelFormatException(file, "field " + field + ": must be a non-negative integer, got " + v);
        }
        return v.asInt();
    }

    /** A list of strings, each one of {@code allowed}; empty when absent. */
    public List<String> strings(String field, List<String> allowed) throws ModelFormatException {
        JsonNode v = root.get(field);
        if (v == null || v.isNull()) {
            return List.of();
        }
        if (!v.isArray()) {
            throw new ModelFormatException(file, "field " + field + ": must be a list, got " + v);
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < v.size(); i++) {
            if (!v.get(i).isTextual() || !allowed.contains(v.get(i).asText())) {
                throw new ModelFormatException(file, "field " + field + "[" + i + "]: must be one of " + allowed
                        + ", got " + v.get(i));
            }
            out.add(v.get(i).asText());
        }
        return out;
    }

    /** The hidden activation ({@code hidden_activation}, else {@code hidden_act}), which must be {@code expected}. */
    public void requireActivation(String expected, String dflt) throws ModelFormatException {
        String field = has("hidden_activation") ? "hidden_activation" : "hidden_act";
        String act = string(field, dflt);
        if (!act.equals(expected)) {
            throw new ModelFormatException(file, "field " + field + ": '" + act + "' is not supported (only "
                    + expected + ")");
        }
    }
}
