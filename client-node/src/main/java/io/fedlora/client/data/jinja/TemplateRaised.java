package io.fedlora.client.data.jinja;

/** What a template's own {@code raise_exception(message)} throws: the template refuses the conversation. */
final class TemplateRaised extends RuntimeException {

    private static final long serialVersionUID = 1L;

    TemplateRaised(String message) {
        super(message, null, false, false);
    }
}
