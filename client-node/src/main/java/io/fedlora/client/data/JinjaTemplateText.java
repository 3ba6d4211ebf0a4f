package io.fedlora.client.data;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A Jinja chat template reduced to a canonical sequence of tags, so that the template families
 * fedlora reproduces can be recognised by their shape; it is never executed (that would take a
 * Jinja engine). Quote style, whitespace control, {@code x.attr} versus {@code x['attr']} and the
 * source layout do not change the canonical form. Raw text between tags is kept the way the
 * Hugging Face environment outputs it (trim_blocks, lstrip_blocks, '-' whitespace control), as an
 * output tag of a string literal.
 */
final class JinjaTemplateText {

    /** A token inside a tag: a string literal (with its unescaped value) or anything else as written. */
    private record Token(String text, String value) {
        boolean isString() {
            return value != null;
        }

        boolean isName() {
            return value == null && (Character.isLetter(text.charAt(0)) || text.charAt(0) == '_');
        }
    }

    /** One tag: '{' for an output tag, '%' for a statement. */
    private record Tag(char kind, List<Token> tokens) {
        String canonical() {
            StringBuilder b = new StringBuilder(kind == '{' ? "{{" : "{%");
            for (Token t : tokens) {
                b.append(' ').append(t.text());
            }
            return b.append(kind == '{' ? " }}" : " %}").toString();
        }
    }

    private static final char SEPARATOR = '\u0001';

    private final List<Tag> tags;
    private final List<String> literals;
    private final String joined;

    private JinjaTemplateText(List<Tag> tags, List<String> literals) {
        this.tags = List.copyOf(tags);
        this.literals = List.copyOf(literals);
        this.joined = join(this.tags);
    }

    /** @throws IllegalArgumentException for an unterminated tag, comment or string */
    static JinjaTemplateText parse(String template) {
        Lexer lexer = new Lexer(template);
        lexer.run();
        return new JinjaTemplateText(lexer.tags, lexer.literals);
    }

    /** Every string literal and every piece of raw output text, unescaped, in template order. */
    List<String> literals() {
        return literals;
    }

    /** Whether the template holds these tags (Jinja source, any quoting) one after another. */
    boolean hasTags(String snippet) {
        return joined.contains(join(parse(snippet).tags));
    }

    /** Whether an expression (Jinja source) occurs inside some tag, at token boundaries. */
    boolean hasExpression(String expression) {
        String tag = parse("{{ " + expression + " }}").tags.get(0).canonical();
        return joined.contains(tag.substring(2, tag.length() - 2));
    }

    /** Index of the first tag of the first occurrence of {@code snippet}, or -1. */
    int tagIndex(String snippet) {
        String wanted = join(parse(snippet).tags);
        int at = joined.indexOf(wanted);
        return at < 0 ? -1 : (int) joined.substring(0, at).chars().filter(c -> c == SEPARATOR).count();
    }

    /** How many {@code for} loops enclose the tag at {@code index}. */
    int loopDepthAt(int index) {
        int depth = 0;
        for (Tag t : tags.subList(0, index)) {
            String first = t.kind() == '%' && !t.tokens().isEmpty() ? t.tokens().get(0).text() : "";
            depth += first.equals("for") ? 1 : first.equals("endfor") ? -1 : 0;
        }
        return depth;
    }

    /** How many tokens of the template are exactly this name (e.g. {@code bos_token}). */
    long nameCount(String name) {
        return tags.stream().flatMap(t -> t.tokens().stream()).filter(t -> t.isName() && t.text().equals(name)).count();
    }

    /** The string of the first {@code {% set name = '...' %}}, if any. */
    Optional<String> assignedString(String name) {
        for (Tag t : tags) {
            List<Token> k = t.tokens();
            if (t.kind() == '%' && k.size() == 4 && k.get(0).text().equals("set") && k.get(1).text().equals(name)
                    && k.get(2).text().equals("=") && k.get(3).isString()) {
                return Optional.of(k.get(3).value());
            }
        }
        return Optional.empty();
    }

    private static String join(List<Tag> tags) {
        StringBuilder b = new StringBuilder().append(SEPARATOR);
        for (Tag t : tags) {
            b.append(t.canonical()).append(SEPARATOR);
        }
        return b.toString();
    }

    private static String quote(String value) {
        StringBuilder b = new StringBuilder("'");
        for (char c : value.toCharArray()) {
            switch (c) {
                case '\\' -> b.append("\\\\");
                case '\'' -> b.append("\\'");
                case '\n' -> b.append("\\n");
                case '\t' -> b.append("\\t");
                case '\r' -> b.append("\\r");
                default -> b.append(c);
            }
        }
        return b.append('\'').toString();
    }

    private static final class Lexer {
        private final String s;
        private final List<Tag> tags = new ArrayList<>();
        private final List<String> literals = new ArrayList<>();
        private int i;
        /** How the previous tag treats the raw text after it: '-' strips all, 't' trims one newline. */
        private char afterPrevious = ' ';

        Lexer(String s) {
            this.s = s;
        }

        void run() {
            while (i < s.length()) {
                int tag = nextTag(i);
                if (tag < 0) {
                    raw(i, s.length(), ' ');
                    return;
                }
                char kind = s.charAt(tag + 1);
                char mark = tag + 2 < s.length() ? s.charAt(tag + 2) : ' ';
                boolean dash = mark == '-';
                // lstrip_blocks applies to statements and comments unless the tag opens with '+'.
                raw(i, tag, dash ? '-' : (kind != '{' && mark != '+') ? 'l' : ' ');
                i = tag + 2 + (mark == '-' || mark == '+' ? 1 : 0);
                if (kind == '#') {
                    int end = s.indexOf("#}", i);
                    if (end < 0) {
                        throw new IllegalArgumentException("unterminated comment at " + tag);
                    }
                    afterPrevious = s.charAt(end - 1) == '-' ? '-' : s.charAt(end - 1) == '+' ? ' ' : 't';
                    i = end + 2;
                    continue;
                }
                tag(kind, tag);
            }
        }

        private int nextTag(int from) {
            int best = -1;
            for (String open : new String[] {"{{", "{%", "{#"}) {
                int at = s.indexOf(open, from);
                if (at >= 0 && (best < 0 || at < best)) {
                    best = at;
                }
            }
            return best;
        }

        /** Raw output text between tags, trimmed as the previous and next tags say. */
        private void raw(int from, int to, char beforeNext) {
            String original = s.substring(from, to);
            String text = original;
            if (afterPrevious == '-') {
                text = text.stripLeading();
            } else if (afterPrevious == 't' && text.startsWith("\n")) {
                text = text.substring(1);
            } else if (afterPrevious == 't' && text.startsWith("\r\n")) {
                text = text.substring(2);
            }
            afterPrevious = ' ';
            if (beforeNext == '-') {
                text = text.stripTrailing();
            } else if (beforeNext == 'l') {
                // Only whitespace between the start of a line and the statement is stripped.
                int newline = original.lastIndexOf('\n');
                String indent = original.substring(newline + 1);
                if ((newline >= 0 || from == 0) && indent.chars().allMatch(c -> c == ' ' || c == '\t')
                        && text.endsWith(indent)) {
                    text = text.substring(0, text.length() - indent.length());
                }
            }
            if (!text.isEmpty()) {
                literals.add(text);
                tags.add(new Tag('{', List.of(new Token(quote(text), text))));
            }
        }

        private void tag(char kind, int openedAt) {
            String close = kind == '{' ? "}}" : "%}";
            List<Token> tokens = new ArrayList<>();
            while (true) {
                while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
                    i++;
                }
                if (i >= s.length()) {
                    throw new IllegalArgumentException("unterminated tag at " + openedAt);
                }
                char c = s.charAt(i);
                if (s.startsWith(close, i)) {
                    i += 2;
                    afterPrevious = kind == '%' ? 't' : ' ';
                    break;
                }
                if ((c == '-' || c == '+') && s.startsWith(close, i + 1)) {
                    i += 3;
                    afterPrevious = c == '-' ? '-' : ' ';
                    break;
                }
                if (c == '\'' || c == '"') {
                    String value = string(c);
                    literals.add(value);
                    tokens.add(new Token(quote(value), value));
                } else if (Character.isLetter(c) || c == '_') {
                    int start = i;
                    while (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '_')) {
                        i++;
                    }
                    tokens.add(new Token(s.substring(start, i), null));
                } else if (Character.isDigit(c)) {
                    int start = i;
                    while (i < s.length() && (Character.isDigit(s.charAt(i)) || s.charAt(i) == '.')) {
                        i++;
                    }
                    tokens.add(new Token(s.substring(start, i), null));
                } else {
                    String two = i + 1 < s.length() ? s.substring(i, i + 2) : "";
                    boolean pair = List.of("==", "!=", "<=", ">=", "//", "**").contains(two);
                    tokens.add(new Token(pair ? two : String.valueOf(c), null));
                    i += pair ? 2 : 1;
                }
            }
            tags.add(new Tag(kind, subscriptAttributes(tokens)));
        }

        /** A Jinja string literal, unescaped as Python's unicode-escape does for the common escapes. */
        private String string(char quote) {
            int start = i;
            StringBuilder b = new StringBuilder();
            i++;
            while (true) {
                if (i >= s.length()) {
                    throw new IllegalArgumentException("unterminated string at " + start);
                }
                char c = s.charAt(i++);
                if (c == quote) {
                    return b.toString();
                }
                if (c != '\\' || i >= s.length()) {
                    b.append(c);
                    continue;
                }
                char e = s.charAt(i++);
                switch (e) {
                    case 'n' -> b.append('\n');
                    case 't' -> b.append('\t');
                    case 'r' -> b.append('\r');
                    case '\\', '\'', '"' -> b.append(e);
                    case 'u', 'x' -> {
                        int len = e == 'u' ? 4 : 2;
                        b.append((char) Integer.parseInt(s.substring(i, i + len), 16));
                        i += len;
                    }
                    default -> b.append('\\').append(e);
                }
            }
        }

        /** {@code x.name} (not a method call) becomes {@code x['name']}: Jinja treats them alike here. */
        private static List<Token> subscriptAttributes(List<Token> in) {
            List<Token> out = new ArrayList<>();
            for (int k = 0; k < in.size(); k++) {
                Token t = in.get(k);
                boolean attribute = t.text().equals(".") && !t.isString() && k > 0 && k + 1 < in.size()
                        && in.get(k + 1).isName() && (k + 2 >= in.size() || !in.get(k + 2).text().equals("("));
                if (attribute) {
                    String name = in.get(k + 1).text();
                    out.add(new Token("[", null));
                    out.add(new Token(quote(name), name));
                    out.add(new Token("]", null));
                    k++;
                } else {
                    out.add(t);
                }
            }
            return out;
        }
    }
}
