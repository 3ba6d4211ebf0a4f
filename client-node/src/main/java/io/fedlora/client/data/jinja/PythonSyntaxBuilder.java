package io.fedlora.client.data.jinja;

import com.hubspot.jinjava.el.ExtendedSyntaxBuilder;
import jinjava.de.odysseus.el.tree.impl.Parser;

/** Jinjava's expression syntax with the Python forms Hugging Face chat templates use that it reads otherwise. */
final class PythonSyntaxBuilder extends ExtendedSyntaxBuilder {

    private static final long serialVersionUID = 1L;

    /** The features of Jinjava's own builder (the JUEL "JEE6" profile): method calls and varargs. */
    PythonSyntaxBuilder() {
        super(Feature.METHOD_INVOCATIONS, Feature.VARARGS);
    }

    @Override
    protected Parser createParser(String expression) {
        return new PythonSyntaxParser(this, expression);
    }
}
