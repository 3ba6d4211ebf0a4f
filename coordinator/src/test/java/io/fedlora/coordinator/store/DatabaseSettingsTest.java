package io.fedlora.coordinator.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.coordinator.store.jdbc.SqlDialect;
import io.fedlora.crypto.SecretBytes;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class DatabaseSettingsTest {

    @Test
    void theDialectFollowsTheUrlAndOthersAreRefusedByName() {
        assertEquals(SqlDialect.H2, DatabaseSettings.embedded(Path.of("/data")).dialect());
        assertEquals(SqlDialect.POSTGRESQL, DatabaseSettings.jdbc("jdbc:postgresql://db:5432/fedlora", "fedlora",
                Optional.empty()).dialect());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DatabaseSettings.jdbc("jdbc:mysql://db/fedlora", "u", Optional.empty()));
        assertTrue(e.getMessage().contains("unsupported store URL (jdbc:mysql://db/fedlora)"), e.getMessage());
    }

    @Test
    void aPasswordInTheUrlIsRefusedWithoutRepeatingIt() {
        for (String url : new String[] {"jdbc:postgresql://db/fedlora?user=u&password=s3cret",
            "jdbc:postgresql://u:s3cret@db/fedlora", "jdbc:h2:file:/x;PASSWORD=s3cret"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> DatabaseSettings.jdbc(url, "u", Optional.empty()), url);
            assertTrue(e.getMessage().contains("must not carry a password"), e.getMessage());
            assertTrue(!e.getMessage().contains("s3cret"), e.getMessage());
        }
    }

    @Test
    void whatIsLoggedHasNoParametersAndNoPassword() {
        DatabaseSettings s = DatabaseSettings.jdbc("jdbc:postgresql://db:5432/fedlora?sslmode=require", "fedlora",
                Optional.of(SecretBytes.copyOf("s3cret".getBytes())));
        assertEquals("jdbc:postgresql://db:5432/fedlora as fedlora", s.describe());
        assertTrue(!s.toString().contains("s3cret"), s.toString());
    }
}
