package io.fedlora.client.data.jinja;

import com.hubspot.jinjava.interpret.TemplateError;
import java.util.List;

/**
 * A template that does not render: its own {@code raise_exception} (a refusal of the conversation)
 * or something the engine cannot do (a syntax error, an unknown filter, tag or function).
 */
public final class TemplateFailure extends Exception {

    private static final long serialVersionUID = 1L;

    private final boolean raisedByTemplate;
    private final int line;

    private TemplateFailure(String message, boolean raisedByTemplate, int line) {
        super(message);
        this.raisedByTemplate = raisedByTemplate;
        this.line = line;
    }

    static TemplateFailure of(TemplateError e) {
        Throwable cause = e.getException();
        while (cause != null && !(cause instanceof TemplateRaised)) {
            cause = cause.getCause();
        }
        if (cause != null) {
            return new TemplateFailure(cause.getMessage(), true, e.getLineno());
        }
        return new TemplateFailure(e.getMessage(), false, e.getLineno());
    }

    /** Filters or tests the engine does not have, each as {@code "line N: unknown filter 'x'"}. */
    static TemplateFailure unknownNames(List<String> problems) {
        String first = problems.get(0);
        int line = Integer.parseInt(first.substring("line ".length(), first.indexOf(':')));
        return new TemplateFailure(String.join("; ", problems), false, line);
    }

    /** The template's own refusal, as opposed to a feature the engine lacks. */
    public boolean raisedByTemplate() {
        return raisedByTemplate;
    }

    /** The template line, 1-based; 0 or less when the engine did not say. */
    public int line() {
        return line;
    }
}
