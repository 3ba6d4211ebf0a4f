package io.fedlora.deploy.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** docs/configuration.md is what the declarations say; {@code -Dfedlora.writeDocs=true} rewrites it. */
class ConfigurationDocTest {

    private static final Path PAGE = Path.of("../docs/configuration.md");

    @Test
    void theCheckedInPageIsCurrent() throws Exception {
        String expected = ConfigurationDoc.render();
        if (Boolean.getBoolean("fedlora.writeDocs")) {
            Files.writeString(PAGE, expected, StandardCharsets.UTF_8);
        }
        String actual = Files.exists(PAGE) ? Files.readString(PAGE, StandardCharsets.UTF_8) : "";
        assertTrue(expected.equals(actual), "docs/configuration.md is stale: run " + ConfigurationDoc.REGENERATE);
    }

    @Test
    void everyVisibleSettingIsInThePageAndNoHiddenOne() {
        String page = ConfigurationDoc.render();
        for (var def : ConfigurationDoc.PROGRAMS) {
            for (var s : def.settings()) {
                assertEquals(!s.hidden(), page.contains("| `" + s.key() + "` |"), s.key());
            }
        }
        assertFalse(page.contains("fault-hold") || page.contains("record-updates"));
    }
}
