package io.fedlora.crypto.secagg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedlora.crypto.Bytes;
import io.fedlora.crypto.SecretBytes;
import io.fedlora.crypto.X25519KeyPair;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SecAggProtocolTest {

  @Test
  void masksCancelToExactSumUnderRandomDropoutsAtEveryStage() {
    Random pick = new Random(11);
    int completed = 0;
    int aborted = 0;
    for (int iter = 0; iter < 40; iter++) {
      int n = 5 + pick.nextInt(30);
      SecAggParameters p;
      if (pick.nextBoolean()) {
        int k = n - 1;
        p = Fixture.params(n, k, Math.max(1, k / 2 + 1));
      } else {
        int k = Math.min(n - 2, 2 * (2 + pick.nextInt(4)));
        k -= k % 2;
        p = Fixture.params(n, k, k / 2 + 1);
      }
      Fixture f = new Fixture(n, p, 1 + pick.nextInt(9000), iter);
      int[] silent = new int[n];
      for (int i = 0; i < n; i++) {
        silent[i] = pick.nextDouble() < 0.15 ? 1 + pick.nextInt(4) : 5;
      }
      try {
        int[] expected = f.runAll(silent);
        AggregateSum sum = f.server.finish();
        assertArrayEquals(expected, sum.sum(), "iter " + iter);
        completed++;
      } catch (RoundAbortedException e) {
        aborted++; // allowed: never a wrong sum
        assertEquals(ServerStage.ABORTED, f.server.stage());
      }
    }
    assertTrue(completed >= 30, "completed " + completed + ", aborted " + aborted);
  }

  @Test
  void noDropoutsGivesThePlainSum() {
    Fixture f = new Fixture(8, Fixture.params(8, 7, 4), 100, 1);
    int[] expected = f.runAll(new int[] {5, 5, 5, 5, 5, 5, 5, 5});
    AggregateSum s = f.server.finish();
    assertArrayEquals(expected, s.sum());
    assertEquals(8, s.contributors().size());
    assertSame(f.server.result(), s);
  }

  private static void assertSame(Object a, Object b) {
    org.junit.jupiter.api.Assertions.assertSame(a, b);
  }

  @Test
  void tooFewSurvivorsAbortsWithReason() {
    Fixture f = new Fixture(6, Fixture.params(6, 5, 4), 10, 2);
    int[] silent = {5, 5, 5, 3, 3, 3}; // only 3 deal shares, threshold 4
    RoundAbortedException e = assertThrows(RoundAbortedException.class, () -> f.runAll(silent));
    assertEquals(RoundAbortedException.Reason.TOO_FEW_SURVIVORS, e.reason());
    assertEquals(ServerStage.ABORTED, f.server.stage());
    assertThrows(InvalidStageException.class, f::advance);
  }

  @Test
  void tooFewUnmaskResponsesAborts() {
    Fixture f = new Fixture(6, Fixture.params(6, 5, 4), 10, 3);
    f.runAll(new int[] {5, 5, 5, 4, 4, 4});
    RoundAbortedException e = assertThrows(RoundAbortedException.class, f.server::finish);
    assertEquals(RoundAbortedException.Reason.TOO_FEW_SURVIVORS, e.reason());
  }

  @Test
  void clientRefusesToMaskWithTooFewNeighbours() {
    Fixture f = new Fixture(6, Fixture.params(6, 5, 4), 10, 4);
    for (int i = 0; i < 6; i++) {
      f.send(f.clients[i].advertiseKeys());
    }
    f.advance();
    for (int i = 0; i < 6; i++) {
      f.send(f.clients[i].onKeyDirectory((KeyDirectory) f.inbox(i)));
    }
    f.advance();
    ShareBundle real = (ShareBundle) f.inbox(0);
    ShareBundle thin = new ShareBundle(real.roundId(), real.recipient(), real.shares().subList(0, 2));
    RoundAbortedException e = assertThrows(RoundAbortedException.class,
        () -> f.clients[0].onShareBundle(thin));
    assertEquals(RoundAbortedException.Reason.TOO_FEW_NEIGHBOURS, e.reason());
    assertEquals(ClientStage.ABORTED, f.clients[0].stage());
    assertThrows(InvalidStageException.class, () -> f.clients[0].maskInput(f.inputs[0]));
  }

  @Test
  void badSignatureIsRejectedAndRoundCompletes() {
    Fixture f = new Fixture(7, Fixture.params(7, 6, 4), 50, 5);
    SecureRandom r = new SecureRandom();
    for (int i = 0; i < 7; i++) {
      AdvertiseKeys a = f.clients[i].advertiseKeys();
      if (i == 2) { // swap in another key under the original signature
        SignedKeys k = a.keys();
        AdvertiseKeys forged = new AdvertiseKeys(a.roundId(), new SignedKeys(k.owner(),
            X25519KeyPair.generate(r).publicKey(), k.maskKey(), k.signature()));
        ProtocolViolationException e = assertThrows(ProtocolViolationException.class, () -> f.send(forged));
        assertEquals(Fixture.id(2), e.offender());
        assertEquals(ProtocolViolationException.Reason.BAD_SIGNATURE, e.reason());
        // The genuine message afterwards is refused too: the offender stays dropped.
        assertThrows(ProtocolViolationException.class, () -> f.send(a));
        continue;
      }
      f.send(a);
    }
    f.advance();
    assertFalse(f.outbox.containsKey(Fixture.id(2)));
    int[] expected = finishFromStageTwo(f);
    assertArrayEquals(expected, f.server.finish().sum());
  }

  @Test
  void clientRejectsPeerWithForgedSignatureInDirectory() {
    Fixture f = new Fixture(5, Fixture.params(5, 4, 2), 10, 6);
    for (int i = 0; i < 5; i++) {
      f.send(f.clients[i].advertiseKeys());
    }
    f.advance();
    KeyDirectory d = (KeyDirectory) f.inbox(0);
    List<SignedKeys> peers = new ArrayList<>(d.peers());
    SignedKeys victim = peers.get(0);
    peers.set(0, new SignedKeys(victim.owner(), victim.encryptionKey(),
        X25519KeyPair.generate(new SecureRandom()).publicKey(), victim.signature()));
    ShareKeys sk = f.clients[0].onKeyDirectory(new KeyDirectory(d.roundId(), d.recipient(), peers));
    assertTrue(f.clients[0].rejectedPeers().contains(victim.owner()));
    assertEquals(3, sk.shares().size());
  }

  @Test
  void wrongVectorLengthDropsTheSenderAndRoundCompletes() {
    Fixture f = new Fixture(6, Fixture.params(6, 5, 3), 20, 7);
    toMaskedInputStage(f);
    int[] expected = new int[20];
    for (int i = 0; i < 6; i++) {
      f.clients[i].onShareBundle((ShareBundle) f.inbox(i));
      if (i == 4) {
        MaskedInput bad = new MaskedInput(Fixture.ROUND, Fixture.id(4), MaskedVector.of(new int[19]));
        ProtocolViolationException e = assertThrows(ProtocolViolationException.class, () -> f.send(bad));
        assertEquals(ProtocolViolationException.Reason.WRONG_VECTOR_LENGTH, e.reason());
        assertEquals(Fixture.id(4), e.offender());
        assertFalse(e.getMessage().contains("[")); // no vector content in the message
        continue;
      }
      f.send(f.clients[i].maskInput(f.inputs[i]));
      add(expected, f.inputs[i]);
    }
    f.advance();
    unmaskAll(f, -1);
    assertArrayEquals(expected, f.server.finish().sum());
  }

  @Test
  void duplicateMaskedInputIsRejectedButTheFirstCounts() {
    Fixture f = new Fixture(6, Fixture.params(6, 5, 3), 20, 8);
    toMaskedInputStage(f);
    int[] expected = new int[20];
    for (int i = 0; i < 6; i++) {
      f.clients[i].onShareBundle((ShareBundle) f.inbox(i));
      MaskedInput m = f.clients[i].maskInput(f.inputs[i]);
      f.send(m);
      add(expected, f.inputs[i]);
      if (i == 1) {
        ProtocolViolationException e = assertThrows(ProtocolViolationException.class, () -> f.send(m));
        assertEquals(ProtocolViolationException.Reason.DUPLICATE_MESSAGE, e.reason());
      }
    }
    f.advance();
    assertFalse(f.outbox.containsKey(Fixture.id(1)));
    unmaskAll(f, -1);
    AggregateSum s = f.server.finish();
    assertArrayEquals(expected, s.sum());
    assertTrue(s.contributors().contains(Fixture.id(1)));
  }

  @Test
  void forgedAndDuplicatedSharesAreCaughtAndNamed() {
    Fixture f = new Fixture(8, Fixture.params(8, 7, 3), 30, 9);
    toMaskedInputStage(f);
    int[] expected = new int[30];
    for (int i = 0; i < 8; i++) {
      f.clients[i].onShareBundle((ShareBundle) f.inbox(i));
      if (i == 7) {
        continue; // drops before masking: its mask key must be rebuilt
      }
      f.send(f.clients[i].maskInput(f.inputs[i]));
      add(expected, f.inputs[i]);
    }
    f.advance();
    for (int i = 0; i < 7; i++) {
      UnmaskResponse r = f.clients[i].onUnmaskRequest((UnmaskRequest) f.inbox(i));
      if (i == 0) { // forged: flip one byte of one share
        List<RevealedShare> s = new ArrayList<>(r.shares());
        byte[] v = s.get(0).value().toByteArray();
        v[20] ^= 1;
        s.set(0, new RevealedShare(s.get(0).owner(), s.get(0).kind(), SecretBytes.copyOf(v)));
        UnmaskResponse forged = new UnmaskResponse(r.roundId(), r.sender(), s);
        ProtocolViolationException e = assertThrows(ProtocolViolationException.class, () -> f.send(forged));
        assertEquals(ProtocolViolationException.Reason.FORGED_SHARE, e.reason());
        assertEquals(Fixture.id(0), e.offender());
        continue;
      }
      if (i == 1) { // duplicated share
        List<RevealedShare> s = new ArrayList<>(r.shares());
        s.add(s.get(0));
        UnmaskResponse dup = new UnmaskResponse(r.roundId(), r.sender(), s);
        ProtocolViolationException e = assertThrows(ProtocolViolationException.class, () -> f.send(dup));
        assertEquals(ProtocolViolationException.Reason.DUPLICATE_SHARE, e.reason());
        continue;
      }
      if (i == 2) { // asks for the other kind of secret than requested
        RevealedShare first = r.shares().get(0);
        ShareKind other = first.kind() == ShareKind.SELF_SEED ? ShareKind.MASK_KEY : ShareKind.SELF_SEED;
        UnmaskResponse wrongKind = new UnmaskResponse(r.roundId(), r.sender(),
            List.of(new RevealedShare(first.owner(), other, first.value())));
        ProtocolViolationException e = assertThrows(ProtocolViolationException.class, () -> f.send(wrongKind));
        assertEquals(ProtocolViolationException.Reason.UNREQUESTED_SHARE, e.reason());
        continue;
      }
      f.send(r);
    }
    // Four honest responders remain (3..6): every secret still has t = 3 honest shares.
    assertArrayEquals(expected, f.server.finish().sum());
    assertEquals(3, f.server.offenders().size());
  }

  @Test
  void messagesFromOutsideTheRoundOrReplayedFromAnotherRoundAreRejected() {
    Fixture f = new Fixture(5, Fixture.params(5, 4, 2), 10, 10);
    // Outsider: valid structure, not in the cohort.
    Fixture other = new Fixture(Fixture.config(6, Fixture.params(6, 5, 2), 10, (byte) 1), 1);
    AdvertiseKeys outsider = other.clients[5].advertiseKeys();
    ProtocolViolationException e = assertThrows(ProtocolViolationException.class, () -> f.send(outsider));
    assertEquals(ProtocolViolationException.Reason.NOT_IN_COHORT, e.reason());
    // Replay from another round of the same job.
    Fixture previous = new Fixture(Fixture.config(new RoundId("job-test", 2), 5, Fixture.params(5, 4, 2),
        10, (byte) 10), 1);
    AdvertiseKeys replay = previous.clients[1].advertiseKeys();
    ProtocolViolationException r = assertThrows(ProtocolViolationException.class, () -> f.send(replay));
    assertEquals(ProtocolViolationException.Reason.WRONG_ROUND, r.reason());
    assertEquals(Fixture.id(1), r.offender());
    // Same round number, other job.
    Fixture otherJob = new Fixture(Fixture.config(new RoundId("job-other", 3), 5, Fixture.params(5, 4, 2),
        10, (byte) 10), 1);
    ProtocolViolationException j = assertThrows(ProtocolViolationException.class,
        () -> f.send(otherJob.clients[3].advertiseKeys()));
    assertEquals(ProtocolViolationException.Reason.WRONG_JOB, j.reason());
    // A signature made for another round does not verify in this one, even relabelled.
    AdvertiseKeys relabelled = new AdvertiseKeys(Fixture.ROUND, replay.keys());
    assertFalse(relabelled.keys().verifies(Fixture.ROUND, f.config.identityKey(Fixture.id(1))));
  }

  @Test
  void clientRejectsServerMessagesForAnotherRoundOrRecipient() {
    Fixture f = new Fixture(5, Fixture.params(5, 4, 2), 10, 12);
    for (int i = 0; i < 5; i++) {
      f.send(f.clients[i].advertiseKeys());
    }
    f.advance();
    KeyDirectory d = (KeyDirectory) f.inbox(0);
    KeyDirectory wrongRound = new KeyDirectory(new RoundId("job-test", 4), d.recipient(), d.peers());
    assertThrows(InvalidServerMessageException.class, () -> f.clients[0].onKeyDirectory(wrongRound));
    assertEquals(ClientStage.ABORTED, f.clients[0].stage());
    KeyDirectory d1 = (KeyDirectory) f.inbox(1);
    assertThrows(InvalidServerMessageException.class,
        () -> f.clients[2].onKeyDirectory(d1));
  }

  @Test
  void unmaskRequestAskingForBothSecretsOfOnePeerIsRefused() {
    Fixture f = new Fixture(5, Fixture.params(5, 4, 2), 10, 13);
    toMaskedInputStage(f);
    for (int i = 0; i < 5; i++) {
      f.clients[i].onShareBundle((ShareBundle) f.inbox(i));
      f.send(f.clients[i].maskInput(f.inputs[i]));
    }
    f.advance();
    UnmaskRequest r = (UnmaskRequest) f.inbox(0);
    UnmaskRequest greedy = new UnmaskRequest(r.roundId(), r.recipient(), r.survivors(),
        List.of(r.survivors().get(0)));
    assertThrows(InvalidServerMessageException.class, () -> f.clients[0].onUnmaskRequest(greedy));
  }

  @Test
  void errorMessagesNeverContainSecretMaterial() {
    SecretBytes s = SecretBytes.copyOf(new byte[] {(byte) 0xab, (byte) 0xcd});
    RevealedShare share = new RevealedShare(Fixture.id(1), ShareKind.SELF_SEED,
        SecretBytes.copyOf(new byte[33]));
    assertFalse(s.toString().contains("ab"));
    assertTrue(share.toString().contains("redacted"));
    assertFalse(Bytes.copyOf(new byte[0]).toString().contains("redacted"));
  }

  // --- helpers ---

  private static void add(int[] acc, int[] x) {
    for (int i = 0; i < acc.length; i++) {
      acc[i] += x[i];
    }
  }

  private static void toMaskedInputStage(Fixture f) {
    for (int i = 0; i < f.n; i++) {
      f.send(f.clients[i].advertiseKeys());
    }
    f.advance();
    for (int i = 0; i < f.n; i++) {
      f.send(f.clients[i].onKeyDirectory((KeyDirectory) f.inbox(i)));
    }
    f.advance();
  }

  private static void unmaskAll(Fixture f, int skip) {
    for (int i = 0; i < f.n; i++) {
      ServerMessage m = f.inbox(i);
      if (m != null && i != skip) {
        f.send(f.clients[i].onUnmaskRequest((UnmaskRequest) m));
      }
    }
  }

  /** Continues a round from stage 2 with every client that got a key directory. */
  private static int[] finishFromStageTwo(Fixture f) {
    int[] expected = new int[f.config.vectorLength()];
    for (int i = 0; i < f.n; i++) {
      if (f.inbox(i) != null) {
        f.send(f.clients[i].onKeyDirectory((KeyDirectory) f.inbox(i)));
      }
    }
    f.advance();
    for (int i = 0; i < f.n; i++) {
      if (f.inbox(i) != null) {
        f.clients[i].onShareBundle((ShareBundle) f.inbox(i));
        f.send(f.clients[i].maskInput(f.inputs[i]));
        add(expected, f.inputs[i]);
      }
    }
    f.advance();
    unmaskAll(f, -1);
    return expected;
  }
}
