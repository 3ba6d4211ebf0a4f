package io.fedlora.client.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class JinjaTemplateTextTest {

    @Test
    void spellingsJinjaTreatsAlikeHaveOneCanonicalForm() {
        JinjaTemplateText t = JinjaTemplateText.parse(
                "{%- for message in messages -%}\n  {{- \"<|im_start|>\" + message.role + \"\\n\" }}\n{%- endfor %}");
        assertTrue(t.hasTags("{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' }}{% endfor %}"));
        assertTrue(t.hasExpression("message [ 'role' ] + '\\n'"));
        // Whole tokens only: a longer name or a different string is another expression.
        assertFalse(t.hasExpression("message['rol']"));
        assertFalse(t.hasExpression("'<|im_start|>' + message['role'] + '\\n\\n'"));
        // A method call keeps its dot.
        assertTrue(JinjaTemplateText.parse("{{ content.strip() }}").hasExpression("content.strip()"));
        assertFalse(JinjaTemplateText.parse("{{ content.strip() }}").hasExpression("content['strip']"));
    }

    @Test
    void rawTextIsKeptAsHuggingFacesEnvironmentOutputsIt() {
        // trim_blocks drops the newline after a statement, lstrip_blocks the indentation before one; an
        // output tag keeps the whitespace around it, and '-' strips it.
        JinjaTemplateText t = JinjaTemplateText.parse(
                "<s>{% if x %}\n    [A]\n    {% endif %}\n{{ y }} \n{{ z -}}\n   [B]");
        assertEquals(List.of("<s>", "    [A]\n", " \n", "[B]"), t.literals());
        assertTrue(t.hasTags("{{ '<s>' }}{% if x %}{{ '    [A]\n' }}{% endif %}{{ y }}{{ ' \n' }}{{ z }}{{ '[B]' }}"));
    }

    @Test
    void stringsAreUnescapedLikeJinja() {
        JinjaTemplateText t = JinjaTemplateText.parse("{{ 'a\\nb' + \"it\\'s \\\"x\\\"\" + '\\u00e9\\\\' }}");
        assertEquals(List.of("a\nb", "it's \"x\"", "é\\"), t.literals());
    }

    @Test
    void findsAssignmentsLoopsAndNames() {
        JinjaTemplateText t = JinjaTemplateText.parse("{# comment #}{%- set d = strftime_now('%d') %}{% set d = \"26 Jul\" %}"
                + "{% for m in ms %}{{ bos_token }}{% endfor %}{{ bos_token }}");
        assertEquals(Optional.of("26 Jul"), t.assignedString("d"));
        assertEquals(Optional.empty(), t.assignedString("e"));
        assertEquals(2, t.nameCount("bos_token"));
        assertEquals(3, t.tagIndex("{{ bos_token }}"));
        assertEquals(1, t.loopDepthAt(3));
        assertEquals(0, t.loopDepthAt(5));
    }

    @Test
    void unterminatedPartsAreErrors() {
        assertThrows(IllegalArgumentException.class, () -> JinjaTemplateText.parse("{{ 'a' "));
        assertThrows(IllegalArgumentException.class, () -> JinjaTemplateText.parse("{{ 'a }}"));
        assertThrows(IllegalArgumentException.class, () -> JinjaTemplateText.parse("{# a "));
    }
}
