package io.fedlora.client.data;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/** The {@code messages} array of a chat-form JSONL record. */
final class ChatRecords {

    private ChatRecords() {}

    static ChatExample parse(JsonNode record, JsonFields fields) throws DataFormatException {
        JsonNode array = record.get("messages");
        if (array == null || !array.isArray()) {
            throw fields.error("messages", "must be an array of {role, content} objects, got "
                    + (array == null ? "nothing" : array.getNodeType()));
        }
        if (array.isEmpty()) {
            throw fields.error("messages", "empty");
        }
        List<ChatMessage> out = new ArrayList<>(array.size());
        boolean anyAssistant = false;
        for (int i = 0; i < array.size(); i++) {
            String at = "messages[" + i + "]";
            JsonNode m = array.get(i);
            if (!m.isObject()) {
                throw fields.error(at, "must be an object with role and content, got " + m.getNodeType());
            }
            String roleName = fields.required(m, "role", at + ".role");
            // The role's value is not echoed: a malformed file may hold training text in any field.
            ChatRole role = ChatRole.fromWireName(roleName)
                    .orElseThrow(() -> fields.error(at + ".role", "must be one of system/user/assistant"));
            if (role == ChatRole.SYSTEM && i > 0) {
                throw fields.error(at + ".role", "system is only allowed as the first message");
            }
            anyAssistant |= role == ChatRole.ASSISTANT;
            out.add(new ChatMessage(role, fields.required(m, "content", at + ".content")));
        }
        if (!anyAssistant) {
            throw fields.error("messages", "no assistant message: a chat example needs at least one assistant turn "
                    + "to train on");
        }
        return new ChatExample(out);
    }
}
