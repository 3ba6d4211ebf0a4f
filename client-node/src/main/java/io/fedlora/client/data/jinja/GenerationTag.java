package io.fedlora.client.data.jinja;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.tag.Tag;
import com.hubspot.jinjava.tree.Node;
import com.hubspot.jinjava.tree.TagNode;

/**
 * {@code {% generation %}...{% endgeneration %}}, transformers' marker of the text the assistant
 * writes: rendered as its body, between {@link #OPEN} and {@link #CLOSE} when the render asks for
 * the marks (so that the trained spans can be found in the output).
 */
final class GenerationTag implements Tag {

    private static final long serialVersionUID = 1L;

    /** Unicode noncharacters: reserved for a program's internal use, never in text. */
    static final char OPEN = '\uFDD0';
    static final char CLOSE = '\uFDD1';
    static final String MARK = "__fedlora_mark_generation";

    @Override
    public String getName() {
        return "generation";
    }

    @Override
    public String interpret(TagNode tagNode, JinjavaInterpreter interpreter) {
        StringBuilder body = new StringBuilder();
        for (Node child : tagNode.getChildren()) {
            body.append(child.render(interpreter));
        }
        return Boolean.TRUE.equals(interpreter.getContext().get(MARK)) ? OPEN + body.toString() + CLOSE
                : body.toString();
    }
}
