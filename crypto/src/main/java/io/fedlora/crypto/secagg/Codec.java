package io.fedlora.crypto.secagg;

import io.fedlora.crypto.Bytes;
import io.fedlora.crypto.SecretBytes;
import io.fedlora.crypto.ShamirSecretSharing;
import io.fedlora.crypto.X25519PublicKey;
import io.fedlora.crypto.internal.WireReader;
import io.fedlora.crypto.internal.WireReader.WireFormatException;
import io.fedlora.crypto.internal.WireWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** The deterministic binary encoding of {@link SecAggMessage}s (see there for the header). */
final class Codec {
  static final int MAGIC = 0x4653; // "FS"
  static final int VERSION = 1;
  private static final int MAX_JOB_BYTES = 1024;
  private static final int MAX_ID_BYTES = 128;

  private Codec() {}

  /**
   * Starts a message with room for the header plus {@code bodyHint} bytes. The header is sized
   * exactly, so a body whose size is known (a masked vector) fills the buffer and
   * {@link WireWriter#toByteArray()} returns it without copying 4·P bytes again.
   */
  private static WireWriter header(SecAggMessage m, ClientId party, int bodyHint) {
    // magic, version, type, job id (u16 length + UTF-8), round, party id (u16 length + UTF-8)
    int headerSize = 2 + 1 + 1 + 2 + utf8Length(m.roundId().jobId()) + 8 + 2
        + utf8Length(party.value());
    WireWriter w = new WireWriter(headerSize + bodyHint);
    w.u16(MAGIC).u8(VERSION).u8(m.type().code());
    w.string16(m.roundId().jobId()).i64(m.roundId().round());
    w.string16(party.value());
    return w;
  }

  private static int utf8Length(String s) {
    return s.getBytes(StandardCharsets.UTF_8).length;
  }

  private static void keys(WireWriter w, SignedKeys k, boolean withOwner) {
    if (withOwner) {
      w.string16(k.owner().value());
    }
    w.raw(k.encryptionKey().toBytes()).raw(k.maskKey().toBytes()).raw(k.signature().toByteArray());
  }

  static byte[] encode(SecAggMessage msg) {
    if (msg instanceof AdvertiseKeys m) {
      WireWriter w = header(m, m.sender(), 128);
      keys(w, m.keys(), false);
      return w.toByteArray();
    } else if (msg instanceof KeyDirectory m) {
      WireWriter w = header(m, m.recipient(), m.peers().size() * 170);
      w.u16(m.peers().size());
      for (SignedKeys k : m.peers()) {
        keys(w, k, true);
      }
      return w.toByteArray();
    } else if (msg instanceof ShareKeys m) {
      WireWriter w = header(m, m.sender(), 32 + m.shares().size() * 200);
      w.raw(m.selfSeedDigest().toByteArray()).u16(m.shares().size());
      for (EncryptedShare s : m.shares()) {
        w.string16(s.holder().value()).bytes16(s.ciphertext().toByteArray())
            .raw(s.selfSeedShareDigest().toByteArray()).raw(s.maskKeyShareDigest().toByteArray());
      }
      return w.toByteArray();
    } else if (msg instanceof ShareBundle m) {
      WireWriter w = header(m, m.recipient(), m.shares().size() * 140);
      w.u16(m.shares().size());
      for (RoutedShare s : m.shares()) {
        w.string16(s.dealer().value()).bytes16(s.ciphertext().toByteArray());
      }
      return w.toByteArray();
    } else if (msg instanceof MaskedInput m) {
      int size = m.vector().byteSize();
      WireWriter w = header(m, m.sender(), 4 + size);
      w.i32(m.vector().length());
      int at = w.reserve(size);
      m.vector().copyTo(w.buffer(), at);
      return w.toByteArray();
    } else if (msg instanceof UnmaskRequest m) {
      WireWriter w = header(m, m.recipient(), (m.survivors().size() + m.dropped().size()) * 40);
      w.u16(m.survivors().size());
      m.survivors().forEach(id -> w.string16(id.value()));
      w.u16(m.dropped().size());
      m.dropped().forEach(id -> w.string16(id.value()));
      return w.toByteArray();
    } else if (msg instanceof UnmaskResponse m) {
      WireWriter w = header(m, m.sender(), m.shares().size() * 80);
      w.u16(m.shares().size());
      for (RevealedShare s : m.shares()) {
        byte[] v = s.value().toByteArray();
        w.string16(s.owner().value()).u8(s.kind().code()).raw(v);
        java.util.Arrays.fill(v, (byte) 0);
      }
      return w.toByteArray();
    }
    throw new IllegalArgumentException("unknown message class " + msg.getClass());
  }

  static SecAggMessage parse(byte[] bytes, MessageType expected) {
    if (bytes == null) {
      throw new MalformedMessageException("null message");
    }
    WireReader r = new WireReader(bytes);
    try {
      if (r.u16("magic") != MAGIC) {
        throw new MalformedMessageException("bad magic");
      }
      int version = r.u8("version");
      if (version != VERSION) {
        throw new MalformedMessageException("unsupported version " + version);
      }
      MessageType type = MessageType.fromCode(r.u8("type"));
      if (type == null) {
        throw new MalformedMessageException("unknown message type");
      }
      if (expected != null && type != expected) {
        throw new MalformedMessageException("expected " + expected + ", got " + type);
      }
      RoundId roundId = new RoundId(r.string16("job id", MAX_JOB_BYTES), r.i64("round"));
      ClientId party = id(r, "party id");
      SecAggMessage m = body(type, roundId, party, r);
      r.expectEnd();
      return m;
    } catch (WireFormatException e) {
      throw new MalformedMessageException(e.getMessage());
    } catch (IllegalArgumentException e) {
      throw new MalformedMessageException("invalid field: " + e.getMessage());
    }
  }

  private static ClientId id(WireReader r, String what) throws WireFormatException {
    return new ClientId(r.string16(what, MAX_ID_BYTES));
  }

  private static SignedKeys keys(WireReader r, ClientId owner) throws WireFormatException {
    X25519PublicKey enc = X25519PublicKey.fromBytes(r.raw(32, "encryption key"));
    X25519PublicKey mask = X25519PublicKey.fromBytes(r.raw(32, "mask key"));
    return new SignedKeys(owner, enc, mask, Bytes.copyOf(r.raw(64, "signature")));
  }

  private static SecAggMessage body(MessageType type, RoundId roundId, ClientId party, WireReader r)
      throws WireFormatException {
    switch (type) {
      case ADVERTISE_KEYS:
        return new AdvertiseKeys(roundId, keys(r, party));
      case KEY_DIRECTORY: {
        int n = r.u16("peer count");
        List<SignedKeys> peers = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          peers.add(keys(r, id(r, "peer id")));
        }
        return new KeyDirectory(roundId, party, peers);
      }
      case SHARE_KEYS: {
        Bytes seedDigest = Bytes.copyOf(r.raw(32, "self-seed digest"));
        int n = r.u16("share count");
        List<EncryptedShare> shares = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          ClientId holder = id(r, "holder id");
          Bytes ct = Bytes.copyOf(r.bytes16("share ciphertext", EncryptedShare.CIPHERTEXT_SIZE,
              EncryptedShare.CIPHERTEXT_SIZE));
          shares.add(new EncryptedShare(holder, ct, Bytes.copyOf(r.raw(32, "share digest")),
              Bytes.copyOf(r.raw(32, "share digest"))));
        }
        return new ShareKeys(roundId, party, seedDigest, shares);
      }
      case SHARE_BUNDLE: {
        int n = r.u16("share count");
        List<RoutedShare> shares = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          ClientId dealer = id(r, "dealer id");
          shares.add(new RoutedShare(dealer, Bytes.copyOf(r.bytes16("share ciphertext",
              EncryptedShare.CIPHERTEXT_SIZE, EncryptedShare.CIPHERTEXT_SIZE))));
        }
        return new ShareBundle(roundId, party, shares);
      }
      case MASKED_INPUT: {
        int n = r.i32("word count");
        if (n < 1 || n > RoundConfig.MAX_VECTOR_LENGTH) {
          throw new WireFormatException("word count " + n + " outside 1.." + RoundConfig.MAX_VECTOR_LENGTH);
        }
        if (r.remaining() != 4L * n) {
          throw new WireFormatException("vector payload has " + r.remaining() + " bytes, header says "
              + 4L * n);
        }
        return new MaskedInput(roundId, party, MaskedVector.wrapLittleEndian(r.raw(4 * n, "vector")));
      }
      case UNMASK_REQUEST: {
        List<ClientId> survivors = ids(r, "survivor");
        List<ClientId> dropped = ids(r, "dropped");
        return new UnmaskRequest(roundId, party, survivors, dropped);
      }
      case UNMASK_RESPONSE: {
        int n = r.u16("share count");
        List<RevealedShare> shares = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          ClientId owner = id(r, "owner id");
          ShareKind kind = ShareKind.fromCode(r.u8("share kind"));
          if (kind == null) {
            throw new WireFormatException("unknown share kind");
          }
          shares.add(new RevealedShare(owner, kind,
              SecretBytes.copyOf(r.raw(ShamirSecretSharing.SHARE_SIZE, "share value"))));
        }
        return new UnmaskResponse(roundId, party, shares);
      }
      default:
        throw new WireFormatException("unhandled type");
    }
  }

  private static List<ClientId> ids(WireReader r, String what) throws WireFormatException {
    int n = r.u16(what + " count");
    List<ClientId> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(id(r, what + " id"));
    }
    return out;
  }
}
