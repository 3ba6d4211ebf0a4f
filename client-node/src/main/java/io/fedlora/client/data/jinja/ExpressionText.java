package io.fedlora.client.data.jinja;

/** Reading the source of a Jinja expression the way its lexer would: string literals and brackets. */
final class ExpressionText {

    private ExpressionText() {}

    /**
     * {@code expression} with each string literal blanked (same length, so positions hold) and,
     * with {@code nestedToo} false, everything inside brackets too: what is left is its top level.
     */
    static String outsideStrings(String expression, boolean nestedToo) {
        StringBuilder out = new StringBuilder(expression.length());
        char quote = 0;
        int depth = 0;
        for (int i = 0; i < expression.length(); i++) {
            char c = expression.charAt(i);
            if (quote != 0) {
                if (c == '\\' && i + 1 < expression.length()) {
                    out.append("  ");
                    i++;
                    continue;
                }
                if (c == quote) {
                    quote = 0;
                }
                out.append(' ');
            } else if (c == '\'' || c == '"') {
                quote = c;
                out.append(' ');
            } else {
                if (c == '(' || c == '[' || c == '{') {
                    depth++;
                } else if ((c == ')' || c == ']' || c == '}') && depth > 0) {
                    depth--;
                    out.append(nestedToo ? c : ' ');
                    continue;
                }
                out.append(nestedToo || depth == 0 ? c : ' ');
            }
        }
        return out.toString();
    }
}
