package io.fedlora.client.data.jinja;

import com.hubspot.jinjava.el.ext.AstRangeBracket;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import jinjava.de.odysseus.el.tree.Bindings;
import jinjava.de.odysseus.el.tree.impl.ast.AstNode;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELException;

/** {@code seq[::step]} with Python's meaning, for lists and strings. */
final class SteppedSlice extends AstRangeBracket {

    private final AstNode step;

    SteppedSlice(AstNode base, AstNode step, boolean lvalue, boolean strict) {
        super(base, null, null, lvalue, strict, false);
        this.step = step;
    }

    @Override
    public Object eval(Bindings bindings, ELContext context) {
        Object base = prefix.eval(bindings, context);
        Object stepValue = step.eval(bindings, context);
        if (!(stepValue instanceof Number n) || n.intValue() == 0) {
            throw new ELException("slice step must be a non-zero integer, got " + stepValue);
        }
        int by = n.intValue();
        if (base instanceof String s) {
            StringBuilder out = new StringBuilder();
            for (int i : indices(s.length(), by)) {
                out.append(s.charAt(i));
            }
            return out.toString();
        }
        List<Object> items = new ArrayList<>();
        if (base instanceof Iterable<?> it) {
            it.forEach(items::add);
        } else if (base instanceof Object[] array) {
            items.addAll(Arrays.asList(array));
        } else {
            throw new ELException("Property " + prefix + " is not a sequence.");
        }
        List<Object> out = new ArrayList<>();
        for (int i : indices(items.size(), by)) {
            out.add(items.get(i));
        }
        return out;
    }

    /** The indices Python visits for {@code [::step]}: from the end backwards when the step is negative. */
    private static List<Integer> indices(int length, int step) {
        int from = step > 0 ? 0 : length - 1;
        List<Integer> out = new ArrayList<>();
        for (int i = from; step > 0 ? i < length : i >= 0; i += step) {
            out.add(i);
        }
        return out;
    }

    @Override
    public String toString() {
        return prefix + "[::" + step + "]";
    }
}
