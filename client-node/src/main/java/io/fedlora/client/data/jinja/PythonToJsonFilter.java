package io.fedlora.client.data.jinja;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;
import java.util.Map;

/**
 * {@code tojson} as transformers defines it for chat templates: Python's {@code json.dumps} with
 * {@code ensure_ascii=False}, so {@code ", "} and {@code ": "} between items (Jinjava's own is
 * compact) and, with {@code indent=n}, one item a line.
 */
final class PythonToJsonFilter implements Filter {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public String getName() {
        return "tojson";
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
        Object indent = kwargs.containsKey("indent") ? kwargs.get("indent") : args.length > 0 ? args[0] : null;
        try {
            return JSON.writer(printer(indent == null ? -1 : ((Number) indent).intValue())).writeValueAsString(var);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("tojson: " + e.getOriginalMessage(), e);
        }
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
        return filter(var, interpreter, args, Map.of());
    }

    private static DefaultPrettyPrinter printer(int indent) {
        Separators python = Separators.createDefaultInstance()
                .withObjectFieldValueSpacing(Separators.Spacing.AFTER)
                .withObjectEmptySeparator("")
                .withArrayEmptySeparator("");
        if (indent < 0) {
            python = python.withObjectEntrySpacing(Separators.Spacing.AFTER)
                    .withArrayValueSpacing(Separators.Spacing.AFTER);
            return new DefaultPrettyPrinter(python).withoutSpacesInObjectEntries()
                    .withObjectIndenter(new DefaultIndenter("", ""))
                    .withArrayIndenter(new DefaultIndenter("", ""))
                    .withSeparators(python);
        }
        DefaultIndenter lines = new DefaultIndenter(" ".repeat(indent), "\n");
        return new DefaultPrettyPrinter(python).withObjectIndenter(lines).withArrayIndenter(lines);
    }
}
