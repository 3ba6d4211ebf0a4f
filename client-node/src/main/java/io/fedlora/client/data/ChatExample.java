package io.fedlora.client.data;

import java.util.List;

/**
 * One chat-format training record: a conversation with at least one assistant turn (the tokens
 * trained on) and a system message, if any, only at the start.
 */
public record ChatExample(List<ChatMessage> messages) implements TrainingExample {

    public ChatExample {
        messages = List.copyOf(messages);
        if (messages.stream().noneMatch(m -> m.role() == ChatRole.ASSISTANT)) {
            throw new IllegalArgumentException("a chat example needs an assistant message to train on");
        }
        for (int i = 1; i < messages.size(); i++) {
            if (messages.get(i).role() == ChatRole.SYSTEM) {
                throw new IllegalArgumentException("a system message may only come first (message " + i + ")");
            }
        }
    }

    public static ChatExample of(ChatMessage... messages) {
        return new ChatExample(List.of(messages));
    }

    @Override
    public DataForm form() {
        return DataForm.CHAT;
    }

    @Override
    public String toString() {
        return "ChatExample" + messages;
    }
}
