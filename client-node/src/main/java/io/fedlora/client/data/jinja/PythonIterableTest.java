package io.fedlora.client.data.jinja;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.exptest.ExpTest;
import java.util.Map;

/**
 * Jinja2's {@code is iterable}: whatever Python can iterate, strings and dicts included (Llama
 * 3.1's template writes a tool result through {@code tojson} when it is), where Jinjava's own test
 * takes only lists and arrays.
 */
final class PythonIterableTest implements ExpTest {

    @Override
    public String getName() {
        return "iterable";
    }

    @Override
    public boolean evaluate(Object var, JinjavaInterpreter interpreter, Object... args) {
        return var instanceof Iterable<?> || var instanceof Map<?, ?> || var instanceof CharSequence
                || var != null && var.getClass().isArray();
    }
}
