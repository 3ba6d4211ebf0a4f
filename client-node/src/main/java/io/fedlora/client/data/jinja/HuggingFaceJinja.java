package io.fedlora.client.data.jinja;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.el.TruthyTypeConverter;
import com.hubspot.jinjava.interpret.Context;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import com.hubspot.jinjava.tree.Node;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import jinjava.de.odysseus.el.ExpressionFactoryImpl;
import jinjava.de.odysseus.el.tree.TreeStore;
import jinjava.de.odysseus.el.tree.impl.Cache;
import jinjava.javax.el.CompositeELResolver;
import jinjava.javax.el.ExpressionFactory;

/**
 * Jinjava set up the way transformers renders chat templates: {@code trim_blocks} and
 * {@code lstrip_blocks}, {@code raise_exception}, {@code strftime_now}, Python's {@code tojson},
 * string methods, keyword arguments and stepped slices, and the {@code generation} tag. One
 * instance is safe to share; each render is independent.
 */
public final class HuggingFaceJinja {

    /**
     * Jinja2's lstrip_blocks: spaces and tabs from the start of a line to a block tag or comment
     * (not {@code {%+}) are dropped, and only there.
     */
    private static final Pattern LINE_START_BEFORE_BLOCK = Pattern.compile("(?m)^[ \\t]+(?=\\{[%#](?!\\+))");

    private final Jinjava jinjava;
    private final InstantSource clock;

    public HuggingFaceJinja(InstantSource clock) {
        this.clock = clock;
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PythonStringMethods());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_WRITE);
        JinjavaConfig config = JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                // Jinjava's lstrip_blocks also strips spaces after text on the tag's line; see parse().
                .withLstripBlocks(false)
                .withElResolver(resolver)
                .withLegacyOverrides(LegacyOverrides.newBuilder()
                        // Jinja2 applies filters and tests before "not": "not x is defined" is not (x is defined).
                        .withUseNaturalOperatorPrecedence(false)
                        .withParseWhitespaceControlStrictly(true)
                        .withKeepNullableLoopValues(true)
                        .withUseTrimmingForNotesAndExpressions(true)
                        .build())
                .build();
        ExpressionFactory python = new ExpressionFactoryImpl(new TreeStore(new PythonSyntaxBuilder(), new Cache(500)),
                new TruthyTypeConverter());
        this.jinjava = new Jinjava(config) {
            @Override
            public ExpressionFactory getExpressionFactory() {
                return python;
            }
        };
        jinjava.getGlobalContext().registerFilter(new PythonToJsonFilter());
        jinjava.getGlobalContext().registerExpTest(new PythonIterableTest());
        jinjava.getGlobalContext().registerTag(new GenerationTag());
        jinjava.getGlobalContext().registerTag(new FilteredLoopRefusal());
        try {
            jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception",
                    HuggingFaceFunctions.class.getMethod("raiseException", Object.class)));
            jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "strftime_now",
                    HuggingFaceFunctions.class.getMethod("strftimeNow", String.class)));
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Parses {@code source} once, for many renders; what fails to parse (an unknown tag, a syntax
     * error) fails here.
     */
    public Template parse(String source) throws TemplateFailure {
        JinjavaInterpreter interpreter = interpreter(Map.of());
        JinjavaInterpreter.pushCurrent(interpreter);
        try {
            Node root = interpreter.parse(LINE_START_BEFORE_BLOCK.matcher(source).replaceAll(""));
            for (TemplateError e : interpreter.getErrorsCopy()) {
                throw TemplateFailure.of(e);
            }
            List<String> unknown = KnownNames.unknown(source, jinjava.getGlobalContext());
            if (!unknown.isEmpty()) {
                throw TemplateFailure.unknownNames(unknown);
            }
            return new Template(root);
        } finally {
            JinjavaInterpreter.popCurrent();
        }
    }

    /**
     * Renders a parsed template with {@code variables}; with {@code markGeneration}, the body of
     * each {@code generation} block is put between {@link #GENERATION_OPEN} and {@link #GENERATION_CLOSE}.
     */
    public String render(Template template, Map<String, Object> variables, boolean markGeneration)
            throws TemplateFailure {
        Map<String, Object> bindings = new HashMap<>(variables);
        bindings.put(HuggingFaceFunctions.CLOCK, clock);
        bindings.put(GenerationTag.MARK, markGeneration);
        // transformers' functions are globals: "strftime_now is defined" holds (Llama 3.2 asks before calling it).
        bindings.put("strftime_now", true);
        bindings.put("raise_exception", true);
        JinjavaInterpreter interpreter = interpreter(bindings);
        JinjavaInterpreter.pushCurrent(interpreter);
        try {
            String out = interpreter.render(template.root);
            for (TemplateError e : interpreter.getErrorsCopy()) {
                throw TemplateFailure.of(e);
            }
            return out;
        } catch (RuntimeException e) {
            throw TemplateFailure.of(TemplateError.fromException(e));
        } finally {
            JinjavaInterpreter.popCurrent();
        }
    }

    private JinjavaInterpreter interpreter(Map<String, Object> bindings) {
        JinjavaConfig config = jinjava.getGlobalConfig();
        Context context = new Context(jinjava.getGlobalContextCopy(), bindings, config.getDisabled());
        return new JinjavaInterpreter(jinjava, context, config);
    }

    /** A parsed template: immutable, so renders may share it. */
    public static final class Template {
        private final Node root;

        private Template(Node root) {
            this.root = root;
        }
    }

    public static final char GENERATION_OPEN = GenerationTag.OPEN;
    public static final char GENERATION_CLOSE = GenerationTag.CLOSE;

    /** Whether a template marks the assistant's text with {@code {% generation %}} blocks. */
    public static boolean hasGenerationBlocks(String template) {
        return template.matches("(?s).*\\{%[-+]?\\s*generation\\s*[-+]?%}.*");
    }
}
