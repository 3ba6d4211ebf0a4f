package io.fedlora.client.data.jinja;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.TemplateSyntaxException;
import com.hubspot.jinjava.lib.tag.ForTag;
import com.hubspot.jinjava.tree.TagNode;
import java.util.regex.Pattern;

/**
 * Jinjava's {@code for}, refusing a loop filter ({@code {% for x in xs if cond %}}) when it runs:
 * Jinjava reads the {@code if} as a conditional expression and renders an empty loop. Refusing
 * only when it runs keeps templates usable whose filtered loops sit in branches chat data never
 * takes (Mistral v0.3 filters its tool definitions).
 */
final class FilteredLoopRefusal extends ForTag {

    private static final long serialVersionUID = 1L;
    private static final Pattern IN = Pattern.compile("\\sin\\s");
    private static final Pattern IF = Pattern.compile("\\sif\\s");

    @Override
    public String interpret(TagNode tagNode, JinjavaInterpreter interpreter) {
        String top = ExpressionText.outsideStrings(tagNode.getHelpers(), false);
        var in = IN.matcher(top);
        if (in.find() && IF.matcher(top.substring(in.end())).find()) {
            throw new TemplateSyntaxException(tagNode.getHelpers(), "loop filters ({% for x in xs if cond %}) are not "
                    + "supported by fedlora's Jinja engine", tagNode.getLineNumber());
        }
        return super.interpret(tagNode, interpreter);
    }
}
