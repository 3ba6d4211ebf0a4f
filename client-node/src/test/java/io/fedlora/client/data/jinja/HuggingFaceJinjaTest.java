package io.fedlora.client.data.jinja;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Each Jinja2 behaviour Hugging Face chat templates rely on, as transformers renders it (Jinja2
 * with trim_blocks and lstrip_blocks); the expected outputs are Jinja2's.
 */
class HuggingFaceJinjaTest {

    private final HuggingFaceJinja jinja = new HuggingFaceJinja(InstantSource.fixed(Instant.parse("2026-12-06T10:00:00Z")));

    private static final Map<String, Object> VARS = Map.of(
            "messages", List.of(Map.of("role", "user", "content", "<tool_response>x</tool_response>"),
                    Map.of("role", "assistant", "content", "a</think>\n\nb", "tool_calls", List.of(Map.of("name", "f")))),
            "s", "  a.b\n",
            "tool", ordered("name", "get_weather", "parameters", ordered("type", "object", "required", List.of("city"))));

    /** A dict keeps its order in Python; so must the test's. */
    private static Map<String, Object> ordered(Object... keysAndValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            m.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return m;
    }

    private String render(String template) throws TemplateFailure {
        return jinja.render(jinja.parse(template), VARS, false);
    }

    @Test
    void rendersWhatJinja2RendersForTheFormsTemplatesUse() throws Exception {
        String[][] cases = {
            // whitespace control, trim_blocks and lstrip_blocks
            {"a\n  {{- 'x' -}}  \nb", "axb"},
            {"a\n  {#- note -#}\n  b", "ab"},
            {"{% for m in messages %}\n  {{ m.role }}\n{% endfor %}\nz", "  user\n  assistant\nz"},
            {"  {% if true %}\nx{% endif %}\ny", "xy"},
            {"x  {% if true %}y{% endif %} {# c #}\n  {# c #}z", "x  y z"},
            {"{{ 'x' }}\n  {{ 'y' }}\n{% set z = 1 %}\n\nw", "x\n  y\n\nw"},
            {"{{ 'a\\nb' }}", "a\nb"},
            // tests and operators, with Jinja2's precedence: not binds looser than "is"
            {"{{ not nothing is defined }} {{ not s is defined }} {{ not s is none }}", "true false true"},
            {"{{ not messages|length == 1 }} {{ not 'x' in s }} {{ not true and false }} {{ not not true }}",
                "true true false true"},
            {"{{ s is string }} {{ messages is iterable }} {{ tool is mapping }}", "true true true"},
            {"{{ s is iterable }} {{ tool is iterable }} {{ 3 is iterable }} {{ nothing is iterable }}",
                "true true false false"},
            {"{{ '</think>' in messages[1].content }} {{ 'tool_calls' in messages[1] }}", "true true"},
            {"{{ (messages|length) // 2 }} {{ 7 % 2 == 1 }} {{ 'x' ~ 1 }}", "1 true x1"},
            // loops, slices, namespaces
            {"{% for m in messages %}{{ loop.index0 }}{{ loop.first }}{{ loop.last }};{% endfor %}", "0truefalse;1falsetrue;"},
            {"{% for m in messages[::-1] %}{{ m.role }} {% endfor %}{{ 'abc'[::-1] }} {{ messages[1:]|length }}",
                "assistant user cba 1"},
            {"{% set ns = namespace(last=messages|length - 1, found=false) %}{% set ns.found = true %}"
                    + "{{ ns.last }} {{ ns.found }}", "1 true"},
            // Python's str methods (split is literal, not a regex)
            {"{{ messages[0].content.startswith('<tool_response>') and messages[0].content.endswith(('a', '>')) }}",
                "true"},
            {"[{{ s.strip() }}|{{ s.lstrip() }}|{{ s.rstrip() }}|{{ s.strip(' \\n.') }}]", "[a.b|a.b\n|  a.b|a.b]"},
            {"{{ messages[1].content.split('</think>')[-1].lstrip('\\n') }} {{ s.split('.')|length }} {{ s.split()|length }}",
                "b 2 1"},
            {"{{ 'ab'.upper() }}{{ 'AB'.lower() }}{{ 'hello world'.title() }}{{ 'a-b'.replace('-', '+') }}", "ABabHello Worlda+b"},
            // tojson as transformers defines it: json.dumps(ensure_ascii=False)
            {"{{ tool | tojson }}", "{\"name\": \"get_weather\", \"parameters\": {\"type\": \"object\", \"required\": [\"city\"]}}"},
            {"{{ tool | tojson(indent=2) }}", "{\n  \"name\": \"get_weather\",\n  \"parameters\": {\n    \"type\": \"object\",\n"
                + "    \"required\": [\n      \"city\"\n    ]\n  }\n}"},
            {"{{ 'é\"\\n' | tojson }} {{ [] | tojson }} {{ {} | tojson }}", "\"é\\\"\\n\" [] {}"},
            // transformers' globals
            {"{% if strftime_now is defined %}{{ strftime_now('%d %B %Y, %H:%M') }}{% endif %}", "06 December 2026, 10:00"},
            {"{% generation %}{{ s.strip() }}{% endgeneration %}!", "a.b!"},
        };
        List<String> failures = new ArrayList<>();
        for (String[] c : cases) {
            try {
                String out = render(c[0]);
                if (!out.equals(c[1])) {
                    failures.add(c[0] + " => '" + out + "', Jinja2: '" + c[1] + "'");
                }
            } catch (TemplateFailure e) {
                failures.add(c[0] + " => failed: " + e.getMessage());
            }
        }
        assertEquals(List.of(), failures);
    }

    @Test
    void generationBlocksAreMarkedOnlyWhenAsked() throws Exception {
        HuggingFaceJinja.Template t = jinja.parse("a{%- generation -%} b {%- endgeneration %}c");
        assertEquals("abc", jinja.render(t, VARS, false));
        assertEquals("a" + HuggingFaceJinja.GENERATION_OPEN + "b" + HuggingFaceJinja.GENERATION_CLOSE + "c",
                jinja.render(t, VARS, true));
        assertTrue(HuggingFaceJinja.hasGenerationBlocks("x{%- generation %}y{% endgeneration %}"));
        assertFalse(HuggingFaceJinja.hasGenerationBlocks("{{ 'generation' }}"));
    }

    @Test
    void refusalsAndMissingFeaturesFailWithTheTemplatesLine() throws Exception {
        TemplateFailure raised = assertThrows(TemplateFailure.class,
                () -> render("line one\n{{ raise_exception('Conversation roles must alternate') }}"));
        assertTrue(raised.raisedByTemplate());
        assertEquals("Conversation roles must alternate", raised.getMessage());
        assertEquals(2, raised.line());
        TemplateFailure tag = assertThrows(TemplateFailure.class, () -> jinja.parse("x\n\n{% frobnicate %}"));
        assertFalse(tag.raisedByTemplate());
        assertEquals(3, tag.line());
        assertTrue(tag.getMessage().contains("Unknown tag: frobnicate"), tag.getMessage());
        TemplateFailure function = assertThrows(TemplateFailure.class, () -> render("{{ frobnicate(s) }}"));
        assertTrue(function.getMessage().contains("frobnicate"), function.getMessage());
        TemplateFailure method = assertThrows(TemplateFailure.class, () -> render("{{ s.frobnicate() }}"));
        assertTrue(method.getMessage().contains("frobnicate"), method.getMessage());
        assertThrows(TemplateFailure.class, () -> render("{{ messages[1::2] }}"));
        // Jinjava would render these as nothing.
        TemplateFailure filter = assertThrows(TemplateFailure.class,
                () -> jinja.parse("{{ s | trim }}\n{{ 'a|b' }}{{ s | frobnicate }}{% if s is frobnicated %}{% endif %}"));
        assertEquals("line 2: unknown filter 'frobnicate'; line 2: unknown test 'frobnicated'", filter.getMessage());
        assertEquals(2, filter.line());
        HuggingFaceJinja.Template filteredLoop = jinja.parse("{% if nothing %}{% for m in messages if m.role == 'user' %}"
                + "{% endfor %}{% endif %}\n{% for m in messages %}{% if s %}{% endif %}{% endfor %}");
        assertEquals("", jinja.render(filteredLoop, VARS, false)); // parses, and runs while the filter is not reached
        TemplateFailure loop = assertThrows(TemplateFailure.class,
                () -> render("\n{% for m in messages if m.role == 'user' %}{{ m.role }}{% endfor %}"));
        assertTrue(loop.getMessage().contains("loop filters"), loop.getMessage());
        assertEquals(2, loop.line());
    }
}
