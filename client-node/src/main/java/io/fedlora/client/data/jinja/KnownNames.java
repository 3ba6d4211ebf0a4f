package io.fedlora.client.data.jinja;

import com.hubspot.jinjava.interpret.Context;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The filters and tests a template names must exist: Jinjava renders an unknown one as nothing,
 * where Jinja2 refuses the template. Checked on the source, string literals left out.
 */
final class KnownNames {

    private static final Pattern CODE = Pattern.compile("(?s)\\{\\{(.*?)}}|\\{%(.*?)%}");
    private static final Pattern FILTER = Pattern.compile("\\|\\s*([A-Za-z_]\\w*)");
    private static final Pattern TEST = Pattern.compile("\\bis\\s+(?:not\\s+)?([A-Za-z_]\\w*)");

    private KnownNames() {}

    /** Each unknown filter or test, as {@code "line N: unknown filter 'x'"}; empty when all are known. */
    static List<String> unknown(String source, Context names) {
        List<String> out = new ArrayList<>();
        Matcher code = CODE.matcher(source);
        while (code.find()) {
            int group = code.group(1) != null ? 1 : 2;
            String expression = ExpressionText.outsideStrings(code.group(group), true);
            int line = 1 + (int) source.substring(0, code.start(group)).chars().filter(c -> c == '\n').count();
            Matcher f = FILTER.matcher(expression);
            while (f.find()) {
                if (names.getFilter(f.group(1)) == null) {
                    out.add("line " + line + ": unknown filter '" + f.group(1) + "'");
                }
            }
            Matcher t = TEST.matcher(expression);
            while (t.find()) {
                if (names.getExpTest(t.group(1)) == null) {
                    out.add("line " + line + ": unknown test '" + t.group(1) + "'");
                }
            }
        }
        return out;
    }
}
