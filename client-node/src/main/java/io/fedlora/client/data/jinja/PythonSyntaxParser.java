package io.fedlora.client.data.jinja;

import com.hubspot.jinjava.el.ext.AstNamedParameter;
import com.hubspot.jinjava.el.ext.ExtendedParser;
import com.hubspot.jinjava.el.ext.NamedParameterOperator;
import java.util.ArrayList;
import java.util.List;
import jinjava.de.odysseus.el.tree.impl.Builder;
import jinjava.de.odysseus.el.tree.impl.Scanner;
import jinjava.de.odysseus.el.tree.impl.Scanner.ScanException;
import jinjava.de.odysseus.el.tree.impl.Scanner.Symbol;
import jinjava.de.odysseus.el.tree.impl.ast.AstBracket;
import jinjava.de.odysseus.el.tree.impl.ast.AstNode;
import jinjava.de.odysseus.el.tree.impl.ast.AstParameters;
import jinjava.de.odysseus.el.tree.impl.ast.AstUnary;

/**
 * Three Python forms Jinjava's parser reads differently from Jinja2:
 * <ul>
 *   <li>{@code not} binds looser than comparisons: {@code not xs|length == 1} is
 *       {@code not (xs|length == 1)} (Llama 3.1), where EL negated the length first;
 *   <li>a keyword argument takes the whole expression after {@code =}: Jinjava binds {@code =} like
 *       {@code +}, so {@code namespace(last=messages|length - 1)} subtracted from the parameter;
 *   <li>a slice with a step and no bounds, {@code messages[::-1]} (Qwen3 walks its messages
 *       backwards); bounds together with a step ({@code xs[1::2]}) are still refused.
 * </ul>
 */
final class PythonSyntaxParser extends ExtendedParser {

    PythonSyntaxParser(Builder context, String input) {
        super(context, input);
    }

    @Override
    protected AstNode unary(boolean required) throws ScanException, ParseException {
        if (getToken().getSymbol() == Symbol.NOT) {
            consumeToken();
            return createAstUnary(eq(true), AstUnary.NOT);
        }
        return super.unary(required);
    }

    @Override
    protected AstParameters params(Symbol left, Symbol right) throws ScanException, ParseException {
        consumeToken(left);
        List<AstNode> l = new ArrayList<>();
        AstNode v = parameter(false);
        if (v != null) {
            l.add(v);
            while (getToken().getSymbol() == Symbol.COMMA) {
                consumeToken();
                l.add(parameter(true));
            }
        }
        consumeToken(right);
        return createAstParameters(l);
    }

    private AstNode parameter(boolean required) throws ScanException, ParseException {
        if (getToken().getSymbol() == Symbol.IDENTIFIER
                && NamedParameterOperator.TOKEN.getImage().equals(lookahead(0).getImage())) {
            String name = consumeToken().getImage();
            consumeToken();
            return new AstNamedParameter(identifier(name), expr(true));
        }
        return expr(required);
    }

    /** Reached on the {@code ::} of {@code [::step]} where an index would start: the step, marked as such. */
    @Override
    protected AstNode expr(boolean required) throws ScanException, ParseException {
        if (isColon(getToken()) && isColon(lookahead(0))) {
            consumeToken();
            consumeToken();
            return new SliceStep(expr(true));
        }
        return super.expr(required);
    }

    private static boolean isColon(Scanner.Token t) {
        return t.getSymbol() == Symbol.COLON && ":".equals(t.getImage());
    }

    @Override
    protected AstBracket createAstBracket(AstNode base, AstNode property, boolean lvalue, boolean strict) {
        if (property instanceof SliceStep step) {
            return new SteppedSlice(base, step.step(), lvalue, strict);
        }
        return super.createAstBracket(base, property, lvalue, strict);
    }
}
