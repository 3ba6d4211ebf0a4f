package io.fedlora.client.data.jinja;

import jinjava.de.odysseus.el.tree.Bindings;
import jinjava.de.odysseus.el.tree.impl.ast.AstNode;
import jinjava.de.odysseus.el.tree.impl.ast.AstRightValue;
import jinjava.javax.el.ELContext;

/** The {@code ::step} of a slice while it is parsed; never evaluated on its own. */
final class SliceStep extends AstRightValue {

    private final AstNode step;

    SliceStep(AstNode step) {
        this.step = step;
    }

    AstNode step() {
        return step;
    }

    @Override
    public Object eval(Bindings bindings, ELContext context) {
        throw new IllegalStateException("a slice step outside a slice");
    }

    @Override
    public void appendStructure(StringBuilder b, Bindings bindings) {
        b.append("::");
        step.appendStructure(b, bindings);
    }

    @Override
    public String toString() {
        return "::" + step;
    }

    @Override
    public int getCardinality() {
        return 1;
    }

    @Override
    public AstNode getChild(int i) {
        return i == 0 ? step : null;
    }
}
