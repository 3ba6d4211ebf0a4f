package io.fedlora.crypto.secagg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class WireFormatTest {

  /** One genuine message of every type from a full round. */
  private static List<SecAggMessage> allMessages() {
    Fixture f = new Fixture(5, Fixture.params(5, 4, 2), 7, 31);
    List<SecAggMessage> all = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      AdvertiseKeys a = f.clients[i].advertiseKeys();
      all.add(a);
      f.send(a);
    }
    f.advance();
    all.add(f.inbox(0));
    for (int i = 0; i < 5; i++) {
      ShareKeys s = f.clients[i].onKeyDirectory((KeyDirectory) f.inbox(i));
      all.add(s);
      f.send(s);
    }
    f.advance();
    all.add(f.inbox(0));
    for (int i = 0; i < 5; i++) {
      f.clients[i].onShareBundle((ShareBundle) f.inbox(i));
      MaskedInput m = f.clients[i].maskInput(f.inputs[i]);
      all.add(m);
      f.send(m);
    }
    f.advance();
    all.add(f.inbox(0));
    UnmaskResponse r = f.clients[0].onUnmaskRequest((UnmaskRequest) f.inbox(0));
    all.add(r);
    return all;
  }

  @Test
  void everyMessageRoundTripsDeterministically() {
    for (SecAggMessage m : allMessages()) {
      byte[] b = m.toBytes();
      SecAggMessage back = SecAggMessage.parse(b);
      assertEquals(m.type(), back.type());
      assertArrayEquals(b, back.toBytes(), m.type().name());
      if (!(m instanceof UnmaskResponse)) { // holds SecretBytes: equal by constant-time compare too
        assertEquals(m, back);
      }
    }
  }

  @Test
  void everyTruncationAndTrailingByteIsRejected() {
    List<String> failures = new ArrayList<>();
    for (SecAggMessage m : allMessages()) {
      byte[] b = m.toBytes();
      int step = Math.max(1, b.length / 300);
      for (int len = 0; len < b.length; len += step) {
        try {
          SecAggMessage.parse(Arrays.copyOf(b, len));
          failures.add(m.type() + " truncated to " + len);
        } catch (MalformedMessageException expected) {
          // ok
        }
      }
      try {
        SecAggMessage.parse(Arrays.copyOf(b, b.length + 1));
        failures.add(m.type() + " with trailing byte");
      } catch (MalformedMessageException expected) {
        // ok
      }
    }
    assertEquals(List.of(), failures);
  }

  @Test
  void headerFieldsAreValidated() {
    byte[] b = new UnmaskRequest(Fixture.ROUND, Fixture.id(1), List.of(), List.of()).toBytes();
    byte[] badMagic = b.clone();
    badMagic[0] = 0;
    assertThrows(MalformedMessageException.class, () -> SecAggMessage.parse(badMagic));
    byte[] badVersion = b.clone();
    badVersion[2] = 9;
    assertThrows(MalformedMessageException.class, () -> SecAggMessage.parse(badVersion));
    byte[] badType = b.clone();
    badType[3] = 99;
    assertThrows(MalformedMessageException.class, () -> SecAggMessage.parse(badType));
    assertThrows(MalformedMessageException.class, () -> ClientMessage.parse(b));
    assertThrows(MalformedMessageException.class, () -> ShareBundle.parse(b));
    assertThrows(MalformedMessageException.class, () -> SecAggMessage.parse(null));
  }

  @Test
  void wireEncodingIsFrozen() {
    RoundId rid = new RoundId("job-1", 7);
    UnmaskRequest r = new UnmaskRequest(rid, ClientId.of("c2"), List.of(ClientId.of("c1"), ClientId.of("c3")),
        List.of(ClientId.of("c4")));
    assertEquals("4653010600056a6f622d3100000000000000070002633200020002633100026333000100026334",
        HexFormat.of().formatHex(r.toBytes()));
    MaskedInput m = new MaskedInput(rid, ClientId.of("c1"), MaskedVector.of(new int[] {1, -1, 0x01020304}));
    assertEquals("4653010500056a6f622d310000000000000007000263310000000301000000ffffffff04030201",
        HexFormat.of().formatHex(m.toBytes()));
  }
}
