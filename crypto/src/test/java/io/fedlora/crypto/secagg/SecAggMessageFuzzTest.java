package io.fedlora.crypto.secagg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Every SecAgg+ wire message comes from a party we do not trust. The parsers either return a
 * message whose encoding is exactly the input (the format is canonical: no two byte strings mean
 * the same message) or throw {@link MalformedMessageException}; the per-kind parsers agree.
 * Seeds: one genuine message of each type ({@code SecAggMessageFuzzTestInputs/parse}).
 */
class SecAggMessageFuzzTest {

  @FuzzTest
  void parse(byte[] bytes) {
    SecAggMessage m;
    try {
      m = SecAggMessage.parse(bytes);
    } catch (MalformedMessageException expected) {
      assertThrows(MalformedMessageException.class, () -> ClientMessage.parse(bytes));
      assertThrows(MalformedMessageException.class, () -> ServerMessage.parse(bytes));
      return;
    }
    assertArrayEquals(bytes, m.toBytes(), "encoding is not canonical");
    if (m instanceof ClientMessage) {
      assertEquals(m.type(), ClientMessage.parse(bytes).type());
      assertThrows(MalformedMessageException.class, () -> ServerMessage.parse(bytes));
    } else {
      assertEquals(m.type(), ServerMessage.parse(bytes).type());
      assertThrows(MalformedMessageException.class, () -> ClientMessage.parse(bytes));
    }
    assertEquals(m.type(), parseAs(m.type(), bytes).type());
  }

  private static SecAggMessage parseAs(MessageType type, byte[] bytes) {
    return switch (type) {
      case ADVERTISE_KEYS -> AdvertiseKeys.parse(bytes);
      case KEY_DIRECTORY -> KeyDirectory.parse(bytes);
      case SHARE_KEYS -> ShareKeys.parse(bytes);
      case SHARE_BUNDLE -> ShareBundle.parse(bytes);
      case MASKED_INPUT -> MaskedInput.parse(bytes);
      case UNMASK_REQUEST -> UnmaskRequest.parse(bytes);
      case UNMASK_RESPONSE -> UnmaskResponse.parse(bytes);
    };
  }
}
