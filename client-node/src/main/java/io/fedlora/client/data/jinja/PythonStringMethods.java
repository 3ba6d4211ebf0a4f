package io.fedlora.client.data.jinja;

import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELException;
import jinjava.javax.el.ELResolver;

/**
 * Python's {@code str} methods on strings, ahead of Jinjava's own resolver, which would call Java's
 * methods of the same name ({@code split} takes a regex there) or none ({@code startswith}).
 */
final class PythonStringMethods extends ELResolver {

    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
        if (!(base instanceof String s) || !(method instanceof String name)) {
            return null;
        }
        Object[] a = params == null ? new Object[0] : params;
        Object result = call(s, name, a);
        if (result != NOT_A_METHOD) {
            context.setPropertyResolved(true);
        }
        return result == NOT_A_METHOD ? null : result;
    }

    private static final Object NOT_A_METHOD = new Object();

    private static Object call(String s, String name, Object[] a) {
        switch (name) {
            case "strip":
                return PythonStrings.strip(s, chars(a), true, true);
            case "lstrip":
                return PythonStrings.strip(s, chars(a), true, false);
            case "rstrip":
                return PythonStrings.strip(s, chars(a), false, true);
            case "split":
                return PythonStrings.split(s, a.length > 0 ? (String) a[0] : null,
                        a.length > 1 ? ((Number) a[1]).intValue() : -1);
            case "startswith":
                return affixes(a).stream().anyMatch(s::startsWith);
            case "endswith":
                return affixes(a).stream().anyMatch(s::endsWith);
            case "upper":
                return s.toUpperCase(Locale.ROOT);
            case "lower":
                return s.toLowerCase(Locale.ROOT);
            case "title":
                return PythonStrings.title(s);
            case "capitalize":
                return s.isEmpty() ? s
                        : s.substring(0, 1).toUpperCase(Locale.ROOT) + s.substring(1).toLowerCase(Locale.ROOT);
            case "replace":
                return s.replace(string(a, 0), string(a, 1));
            case "find":
                return s.indexOf(string(a, 0));
            case "count":
                return PythonStrings.count(s, string(a, 0));
            case "join":
                return PythonStrings.join(s, a.length > 0 ? a[0] : null);
            default:
                return NOT_A_METHOD;
        }
    }

    private static String chars(Object[] a) {
        return a.length == 0 || a[0] == null ? null : a[0].toString();
    }

    private static String string(Object[] a, int i) {
        if (a.length <= i || a[i] == null) {
            throw new ELException("string method needs argument " + (i + 1));
        }
        return a[i].toString();
    }

    /** {@code startswith} takes one string or a tuple of them. */
    private static List<String> affixes(Object[] a) {
        List<String> out = new ArrayList<>();
        if (a.length > 0 && a[0] instanceof Iterable<?> many) {
            many.forEach(x -> out.add(String.valueOf(x)));
        } else {
            out.add(string(a, 0));
        }
        return out;
    }

    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {}

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
        return true;
    }

    @Override
    public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
        return null;
    }

    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) {
        return null;
    }
}
