package io.fedlora.client.data;

import java.util.Optional;

/** Who speaks a chat message; the JSONL spelling is the lower-case name. */
public enum ChatRole {
    SYSTEM, USER, ASSISTANT;

    /** As written in the data and in chat templates: {@code system}, {@code user}, {@code assistant}. */
    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    public static Optional<ChatRole> fromWireName(String name) {
        for (ChatRole r : values()) {
            if (r.wireName().equals(name)) {
                return Optional.of(r);
            }
        }
        return Optional.empty();
    }
}
