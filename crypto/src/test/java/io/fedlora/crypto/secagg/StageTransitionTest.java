package io.fedlora.crypto.secagg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** Every (stage, message) pair that is not the protocol's next step raises InvalidStageException. */
class StageTransitionTest {

  /** One valid message of every client type, from a separate finished round (same config). */
  private static Map<MessageType, ClientMessage> sampleClientMessages() {
    Fixture f = new Fixture(5, Fixture.params(5, 4, 2), 8, 21);
    Map<MessageType, ClientMessage> m = new EnumMap<>(MessageType.class);
    for (int i = 0; i < 5; i++) {
      AdvertiseKeys a = f.clients[i].advertiseKeys();
      m.putIfAbsent(MessageType.ADVERTISE_KEYS, a);
      f.send(a);
    }
    f.advance();
    for (int i = 0; i < 5; i++) {
      ShareKeys s = f.clients[i].onKeyDirectory((KeyDirectory) f.inbox(i));
      m.putIfAbsent(MessageType.SHARE_KEYS, s);
      f.send(s);
    }
    f.advance();
    for (int i = 0; i < 5; i++) {
      f.clients[i].onShareBundle((ShareBundle) f.inbox(i));
      MaskedInput mi = f.clients[i].maskInput(f.inputs[i]);
      m.putIfAbsent(MessageType.MASKED_INPUT, mi);
      f.send(mi);
    }
    f.advance();
    for (int i = 0; i < 5; i++) {
      UnmaskResponse r = f.clients[i].onUnmaskRequest((UnmaskRequest) f.inbox(i));
      m.putIfAbsent(MessageType.UNMASK_RESPONSE, r);
      f.send(r);
    }
    f.server.finish();
    return m;
  }

  /** A fresh server driven to {@code stage}. */
  private static SecAggServer serverAt(ServerStage stage) {
    Fixture f = new Fixture(5, Fixture.params(5, 4, 2), 8, 22);
    if (stage == ServerStage.ABORTED) {
      f.advance(); // nobody advertised → abort
      throw new IllegalStateException("unreachable");
    }
    int target = stage.ordinal();
    if (target >= 1) {
      for (int i = 0; i < 5; i++) {
        f.send(f.clients[i].advertiseKeys());
      }
      f.advance();
    }
    if (target >= 2) {
      for (int i = 0; i < 5; i++) {
        f.send(f.clients[i].onKeyDirectory((KeyDirectory) f.inbox(i)));
      }
      f.advance();
    }
    if (target >= 3) {
      for (int i = 0; i < 5; i++) {
        f.clients[i].onShareBundle((ShareBundle) f.inbox(i));
        f.send(f.clients[i].maskInput(f.inputs[i]));
      }
      f.advance();
    }
    if (target >= 4) {
      for (int i = 0; i < 5; i++) {
        f.send(f.clients[i].onUnmaskRequest((UnmaskRequest) f.inbox(i)));
      }
      f.server.finish();
    }
    assertEquals(stage, f.server.stage());
    return f.server;
  }

  private static SecAggServer abortedServer() {
    Fixture f = new Fixture(5, Fixture.params(5, 4, 2), 8, 23);
    assertThrows(RoundAbortedException.class, f::advance);
    assertEquals(ServerStage.ABORTED, f.server.stage());
    return f.server;
  }

  @Test
  void serverRejectsEveryMessageOutsideItsStage() {
    Map<MessageType, ClientMessage> samples = sampleClientMessages();
    List<String> failures = new ArrayList<>();
    int checked = 0;
    for (ServerStage stage : ServerStage.values()) {
      for (MessageType type : samples.keySet()) {
        if (type == stage.accepts()) {
          continue;
        }
        SecAggServer server = stage == ServerStage.ABORTED ? abortedServer() : serverAt(stage);
        try {
          server.receive(ClientMessage.parse(samples.get(type).toBytes()));
          failures.add(stage + "×" + type + " accepted");
        } catch (InvalidStageException expected) {
          if (server.stage() != stage) {
            failures.add(stage + "×" + type + " changed stage");
          }
        } catch (RuntimeException other) {
          failures.add(stage + "×" + type + " threw " + other.getClass().getSimpleName());
        }
        checked++;
      }
      // advance() / finish() outside their stages
      SecAggServer server = stage == ServerStage.ABORTED ? abortedServer() : serverAt(stage);
      if (stage.ordinal() >= ServerStage.COLLECTING_UNMASK_SHARES.ordinal()) {
        expectInvalid(failures, stage + " advance", s -> s.advance(), server);
      }
      if (stage != ServerStage.COLLECTING_UNMASK_SHARES) {
        expectInvalid(failures, stage + " finish", s -> s.finish(), server);
      }
      if (stage != ServerStage.COMPLETED) {
        expectInvalid(failures, stage + " result", s -> s.result(), server);
      }
    }
    assertEquals(List.of(), failures);
    assertEquals(6 * 4 - 4, checked);
  }

  private static void expectInvalid(List<String> failures, String what, Consumer<SecAggServer> call,
      SecAggServer server) {
    try {
      call.accept(server);
      failures.add(what + " allowed");
    } catch (InvalidStageException expected) {
      // ok
    } catch (RuntimeException e) {
      failures.add(what + " threw " + e.getClass().getSimpleName());
    }
  }

  /** Client inputs: the three server messages plus the two local calls. */
  private enum ClientInput { ADVERTISE, KEY_DIRECTORY, SHARE_BUNDLE, MASK_INPUT, UNMASK_REQUEST }

  @Test
  void clientRejectsEveryInputOutsideItsStage() {
    // Collect one genuine server message of each type for client 0.
    Fixture f = new Fixture(5, Fixture.params(5, 4, 2), 8, 24);
    Map<ClientInput, ServerMessage> msgs = new EnumMap<>(ClientInput.class);
    for (int i = 0; i < 5; i++) {
      f.send(f.clients[i].advertiseKeys());
    }
    f.advance();
    msgs.put(ClientInput.KEY_DIRECTORY, f.inbox(0));
    for (int i = 0; i < 5; i++) {
      f.send(f.clients[i].onKeyDirectory((KeyDirectory) f.inbox(i)));
    }
    f.advance();
    msgs.put(ClientInput.SHARE_BUNDLE, f.inbox(0));
    for (int i = 0; i < 5; i++) {
      f.clients[i].onShareBundle((ShareBundle) f.inbox(i));
      f.send(f.clients[i].maskInput(f.inputs[i]));
    }
    f.advance();
    msgs.put(ClientInput.UNMASK_REQUEST, f.inbox(0));

    List<String> failures = new ArrayList<>();
    for (ClientStage stage : ClientStage.values()) {
      for (ClientInput input : ClientInput.values()) {
        Fixture g = new Fixture(f.config, 24);
        SecAggClient c = g.clients[0];
        driveTo(c, stage, msgs, g.inputs[0]);
        if (c.stage() != stage) {
          failures.add("could not reach " + stage);
          continue;
        }
        boolean valid = (stage == ClientStage.NEW && input == ClientInput.ADVERTISE)
            || (stage == ClientStage.ADVERTISED && input == ClientInput.KEY_DIRECTORY)
            || (stage == ClientStage.SHARED && input == ClientInput.SHARE_BUNDLE)
            || (stage == ClientStage.READY_TO_MASK && input == ClientInput.MASK_INPUT)
            || (stage == ClientStage.MASKED && input == ClientInput.UNMASK_REQUEST);
        if (valid) {
          continue;
        }
        try {
          apply(c, input, msgs, g.inputs[0]);
          failures.add(stage + "×" + input + " accepted");
        } catch (InvalidStageException expected) {
          if (c.stage() != stage) {
            failures.add(stage + "×" + input + " changed stage");
          }
        } catch (RuntimeException e) {
          failures.add(stage + "×" + input + " threw " + e.getClass().getSimpleName());
        }
      }
    }
    assertEquals(List.of(), failures);
  }

  private static void apply(SecAggClient c, ClientInput input, Map<ClientInput, ServerMessage> msgs,
      int[] x) {
    switch (input) {
      case ADVERTISE -> c.advertiseKeys();
      case MASK_INPUT -> c.maskInput(x);
      default -> c.handle(msgs.get(input));
    }
  }

  /**
   * Drives a fresh client through genuine messages. Its new keys differ from those the server saw,
   * which is fine: only stage bookkeeping matters here, and the messages are addressed to it.
   */
  private static void driveTo(SecAggClient c, ClientStage stage, Map<ClientInput, ServerMessage> msgs,
      int[] x) {
    if (stage == ClientStage.ABORTED) {
      c.advertiseKeys();
      KeyDirectory d = (KeyDirectory) msgs.get(ClientInput.KEY_DIRECTORY);
      try {
        c.onKeyDirectory(new KeyDirectory(d.roundId(), d.recipient(), List.of()));
      } catch (RoundAbortedException expected) {
        // ABORTED
      }
      return;
    }
    ClientInput[] path = {ClientInput.ADVERTISE, ClientInput.KEY_DIRECTORY, ClientInput.SHARE_BUNDLE,
        ClientInput.MASK_INPUT, ClientInput.UNMASK_REQUEST};
    for (int i = 0; i < stage.ordinal(); i++) {
      apply(c, path[i], msgs, x);
    }
  }
}
