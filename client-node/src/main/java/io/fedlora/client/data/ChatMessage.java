package io.fedlora.client.data;

import java.util.Objects;

/** One turn of a conversation. */
public record ChatMessage(ChatRole role, String content) {

    public ChatMessage {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(content, "content");
    }

    public static ChatMessage system(String content) {
        return new ChatMessage(ChatRole.SYSTEM, content);
    }

    public static ChatMessage user(String content) {
        return new ChatMessage(ChatRole.USER, content);
    }

    public static ChatMessage assistant(String content) {
        return new ChatMessage(ChatRole.ASSISTANT, content);
    }

    /** No training text in logs or error messages: only the role and a size. */
    @Override
    public String toString() {
        return role.wireName() + "[" + content.length() + " chars]";
    }
}
