package io.fedlora.crypto.secagg;

import io.fedlora.crypto.AesGcmAead;
import io.fedlora.crypto.Bytes;
import io.fedlora.crypto.DecryptionException;
import io.fedlora.crypto.Ed25519PrivateKey;
import io.fedlora.crypto.InvalidParametersException;
import io.fedlora.crypto.KeyAgreementException;
import io.fedlora.crypto.MaskPrg;
import io.fedlora.crypto.MaskPrg.MaskTerm;
import io.fedlora.crypto.SecretBytes;
import io.fedlora.crypto.ShamirSecretSharing;
import io.fedlora.crypto.ShamirShare;
import io.fedlora.crypto.X25519KeyPair;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.IntFunction;
import java.util.stream.IntStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client side of one SecAgg+ round: a state machine driven by server messages, producing the
 * messages to send back. No I/O, no threads. Call order: {@link #advertiseKeys()},
 * {@link #onKeyDirectory}, {@link #onShareBundle}, {@link #maskInput}, {@link #onUnmaskRequest};
 * anything else raises {@link InvalidStageException} and leaves the state unchanged.
 *
 * <p>Peers whose signed keys do not verify, or whose shares do not decrypt, are reported by
 * {@link #rejectedPeers()}; the client refuses to continue ({@link RoundAbortedException}) when
 * fewer than t neighbours remain, so it cannot be isolated.
 */
public final class SecAggClient {
  private static final Logger LOG = LoggerFactory.getLogger(SecAggClient.class);

  private final RoundConfig config;
  private final ClientId self;
  private final int selfPosition;
  private final Ed25519PrivateKey identity;
  private final SecureRandom random;
  private final Transcript transcript;
  private ClientStage stage = ClientStage.NEW;

  private X25519KeyPair encryptionKeys;
  private X25519KeyPair maskKeys;
  private SecretBytes selfSeed;
  private final Map<ClientId, SignedKeys> peerKeys = new LinkedHashMap<>();
  // X25519 results computed once at stage 2 (agreement dominates the client's fixed cost).
  private final Map<ClientId, SecretBytes> encryptionDh = new HashMap<>();
  private final Map<ClientId, SecretBytes> maskDh = new HashMap<>();
  private final Map<ClientId, ShamirShare[]> heldShares = new LinkedHashMap<>();
  private List<ClientId> maskPeers = List.of();
  private final Set<ClientId> rejected = new LinkedHashSet<>();
  private int threads = 1;

  /**
   * Test seam, package-private and null in production: sees each secret as this client makes or
   * receives it, so that an end-to-end test can search logs and stored files for every one of them.
   */
  interface SecretObserver {
    void observe(ClientId client, String what, SecretBytes secret);
  }

  static volatile SecretObserver secretObserver;

  private void observe(String what, SecretBytes secret) {
    SecretObserver o = secretObserver;
    if (o != null) {
      o.observe(self, what, secret);
    }
  }

  private SecAggClient(RoundConfig config, ClientId self, Ed25519PrivateKey identity, SecureRandom random) {
    this.config = config;
    this.self = self;
    this.selfPosition = config.positionOf(self);
    this.identity = identity;
    this.random = random;
    this.transcript = new Transcript(config.roundId());
  }

  /**
   * @param identity the client's long-term Ed25519 key; its public half must be the one in the
   *     round config
   */
  public static SecAggClient create(
      RoundConfig config, ClientId self, Ed25519PrivateKey identity, SecureRandom random) {
    if (!config.contains(self)) {
      throw new InvalidParametersException("client " + self + " is not in the cohort");
    }
    if (!identity.publicKey().equals(config.identityKey(self))) {
      throw new InvalidParametersException("identity key of " + self + " does not match the round config");
    }
    return new SecAggClient(config, self, identity, random);
  }

  /**
   * How many threads this client's key agreement and masking may use, from the common fork-join
   * pool (default 1). The result is the same for any count; only the wall time changes. An agent,
   * the only client in its process, gives it every core; simulations of many clients in one
   * process keep 1, or their clients would queue on the shared pool.
   */
  public SecAggClient threads(int count) {
    if (count < 1) {
      throw new IllegalArgumentException("threads must be >= 1, got " + count);
    }
    this.threads = count;
    return this;
  }

  public ClientStage stage() {
    return stage;
  }

  public ClientId id() {
    return self;
  }

  /** Peers excluded for a bad signature or an undecryptable share. */
  public Set<ClientId> rejectedPeers() {
    return Collections.unmodifiableSet(rejected);
  }

  /** The peers this client masks with (known after {@link #onShareBundle}). */
  public List<ClientId> maskPeers() {
    return maskPeers;
  }

  /** Dispatches a server message; returns the reply, if the stage has one without local input. */
  public Optional<ClientMessage> handle(ServerMessage message) {
    if (message instanceof KeyDirectory d) {
      return Optional.of(onKeyDirectory(d));
    } else if (message instanceof ShareBundle b) {
      onShareBundle(b);
      return Optional.empty();
    } else if (message instanceof UnmaskRequest r) {
      return Optional.of(onUnmaskRequest(r));
    }
    throw new IllegalArgumentException("unknown server message");
  }

  private void expect(ClientStage expected, String attempted) {
    if (stage != expected) {
      throw new InvalidStageException("client " + stage, attempted);
    }
  }

  private void checkHeader(ServerMessage m) {
    if (!m.roundId().equals(config.roundId())) {
      throw new InvalidServerMessageException(m.type() + " is for another round");
    }
    if (!m.recipient().equals(self)) {
      throw new InvalidServerMessageException(m.type() + " is addressed to another client");
    }
  }

  private RoundAbortedException abort(RoundAbortedException.Reason reason, String detail) {
    stage = ClientStage.ABORTED;
    destroySecrets();
    return new RoundAbortedException(reason, self, detail);
  }

  private <T> T failing(java.util.function.Supplier<T> step) {
    try {
      return step.get();
    } catch (InvalidServerMessageException e) {
      stage = ClientStage.ABORTED;
      destroySecrets();
      throw e;
    }
  }

  /** Stage 1: fresh round key pairs and self-mask seed; the signed public keys to advertise. */
  public AdvertiseKeys advertiseKeys() {
    expect(ClientStage.NEW, "advertiseKeys");
    encryptionKeys = X25519KeyPair.generate(random);
    maskKeys = X25519KeyPair.generate(random);
    selfSeed = SecretBytes.random(MaskPrg.SEED_SIZE, random);
    observe("encryption private key", encryptionKeys.privateKey().secret());
    observe("mask private key", maskKeys.privateKey().secret());
    observe("self-mask seed", selfSeed);
    stage = ClientStage.ADVERTISED;
    return new AdvertiseKeys(config.roundId(), SignedKeys.sign(config.roundId(), self,
        encryptionKeys.publicKey(), maskKeys.publicKey(), identity));
  }

  /** Stage 2: verifies neighbours' keys and deals t-of-k shares of the seed and mask key to them. */
  public ShareKeys onKeyDirectory(KeyDirectory directory) {
    expect(ClientStage.ADVERTISED, MessageType.KEY_DIRECTORY.name());
    return failing(() -> {
      checkHeader(directory);
      Set<ClientId> seen = new HashSet<>();
      for (SignedKeys k : directory.peers()) {
        ClientId peer = k.owner();
        if (!seen.add(peer) || peer.equals(self) || !config.areNeighbours(self, peer)) {
          throw new InvalidServerMessageException("key directory lists " + peer
              + ", who is not a distinct neighbour of " + self);
        }
      }
      // Verification and agreement are the client's dominant fixed cost and independent per peer.
      List<PeerAgreement> agreements = agreeWithAll(directory.peers());
      Map<ClientId, SecretBytes> encShared = new LinkedHashMap<>();
      for (PeerAgreement a : agreements) {
        if (a.failure() != null) {
          reject(a.keys().owner(), a.failure());
          continue;
        }
        observe("encryption agreement with " + a.keys().owner(), a.encryption());
        observe("mask agreement with " + a.keys().owner(), a.mask());
        encShared.put(a.keys().owner(), a.encryption());
        maskDh.put(a.keys().owner(), a.mask());
        peerKeys.put(a.keys().owner(), a.keys());
      }
      int t = config.threshold();
      if (peerKeys.size() < t) {
        throw abort(RoundAbortedException.Reason.TOO_FEW_NEIGHBOURS,
            peerKeys.size() + " valid neighbours, threshold " + t);
      }
      List<ClientId> holders = new ArrayList<>(peerKeys.keySet());
      holders.sort((a, b) -> Integer.compare(config.indexOf(a), config.indexOf(b)));
      int[] xs = holders.stream().mapToInt(config::positionOf).toArray();
      List<ShamirShare> seedShares = ShamirSecretSharing.split(selfSeed, t, xs, random);
      List<ShamirShare> keyShares =
          ShamirSecretSharing.split(maskKeys.privateKey().secret(), t, xs, random);
      List<EncryptedShare> out = new ArrayList<>(holders.size());
      byte[] pt = new byte[2 * ShamirSecretSharing.SHARE_SIZE];
      for (int i = 0; i < holders.size(); i++) {
        ClientId holder = holders.get(i);
        byte[] s1 = seedShares.get(i).value().toByteArray();
        byte[] s2 = keyShares.get(i).value().toByteArray();
        System.arraycopy(s1, 0, pt, 0, s1.length);
        System.arraycopy(s2, 0, pt, s1.length, s2.length);
        SecretBytes key = transcript.shareKey(encShared.get(holder), self, holder);
        observe("self-seed share for " + holder, seedShares.get(i).value());
        observe("mask-key share for " + holder, keyShares.get(i).value());
        observe("share encryption key for " + holder, key);
        byte[] ct = AesGcmAead.create(key, random).encrypt(pt, transcript.shareAad(self, holder));
        out.add(new EncryptedShare(holder, Bytes.copyOf(ct),
            transcript.shareDigest(self, holder, ShareKind.SELF_SEED, xs[i], s1),
            transcript.shareDigest(self, holder, ShareKind.MASK_KEY, xs[i], s2)));
        key.destroy();
        Arrays.fill(s1, (byte) 0);
        Arrays.fill(s2, (byte) 0);
      }
      Arrays.fill(pt, (byte) 0);
      encryptionDh.putAll(encShared);
      byte[] seed = selfSeed.toByteArray();
      Bytes seedDigest = transcript.selfSeedDigest(self, seed);
      Arrays.fill(seed, (byte) 0);
      stage = ClientStage.SHARED;
      return new ShareKeys(config.roundId(), self, seedDigest, out);
    });
  }

  /** The outcome for one advertised peer: both shared secrets, or why the peer is rejected. */
  private record PeerAgreement(SignedKeys keys, SecretBytes encryption, SecretBytes mask, String failure) {}

  private List<PeerAgreement> agreeWithAll(List<SignedKeys> peers) {
    IntFunction<PeerAgreement> agree = i -> agreeWith(peers.get(i));
    IntStream indices = IntStream.range(0, peers.size());
    return (threads > 1 ? indices.parallel() : indices).mapToObj(agree).toList();
  }

  private PeerAgreement agreeWith(SignedKeys k) {
    if (!k.verifies(config.roundId(), config.identityKey(k.owner()))) {
      return new PeerAgreement(k, null, null, "signature on advertised keys does not verify");
    }
    SecretBytes e = null;
    try {
      e = encryptionKeys.privateKey().agree(k.encryptionKey());
      SecretBytes m = maskKeys.privateKey().agree(k.maskKey()); // rejects low-order keys now
      return new PeerAgreement(k, e, m, null);
    } catch (KeyAgreementException ex) {
      if (e != null) {
        e.destroy();
      }
      return new PeerAgreement(k, null, null, "low-order public key");
    }
  }

  private void reject(ClientId peer, String why) {
    rejected.add(peer);
    LOG.warn("secagg job={} round={} node={}: rejecting peer {}: {}", config.roundId().jobId(),
        config.roundId().round(), self, peer, why);
  }

  /** Stage 2 → 3: receives the shares dealt to this client; fixes the set of mask peers. */
  public void onShareBundle(ShareBundle bundle) {
    expect(ClientStage.SHARED, MessageType.SHARE_BUNDLE.name());
    failing(() -> {
      checkHeader(bundle);
      Set<ClientId> seen = new HashSet<>();
      for (RoutedShare s : bundle.shares()) {
        if (!seen.add(s.dealer()) || !peerKeys.containsKey(s.dealer())) {
          throw new InvalidServerMessageException("share bundle has a share from " + s.dealer()
              + ", who is not a distinct accepted peer of " + self);
        }
      }
      int t = config.threshold();
      if (bundle.shares().size() < t) {
        throw abort(RoundAbortedException.Reason.TOO_FEW_NEIGHBOURS,
            bundle.shares().size() + " neighbours dealt shares, threshold " + t);
      }
      List<ClientId> peers = new ArrayList<>();
      for (RoutedShare s : bundle.shares()) {
        ClientId dealer = s.dealer();
        peers.add(dealer);
        SecretBytes key = null;
        try {
          key = transcript.shareKey(encryptionDh.get(dealer), dealer, self);
          byte[] pt = AesGcmAead.create(key, random)
              .decrypt(s.ciphertext().toByteArray(), transcript.shareAad(dealer, self));
          int n = ShamirSecretSharing.SHARE_SIZE;
          heldShares.put(dealer, new ShamirShare[] {
              new ShamirShare(selfPosition, SecretBytes.copyOf(Arrays.copyOfRange(pt, 0, n))),
              new ShamirShare(selfPosition, SecretBytes.copyOf(Arrays.copyOfRange(pt, n, 2 * n)))});
          Arrays.fill(pt, (byte) 0);
          observe("self-seed share from " + dealer, heldShares.get(dealer)[0].value());
          observe("mask-key share from " + dealer, heldShares.get(dealer)[1].value());
        } catch (DecryptionException | IllegalArgumentException e) {
          // Still mask with the dealer (its mask key is signed); just hold no share for it.
          reject(dealer, "share does not decrypt");
        } finally {
          if (key != null) {
            key.destroy();
          }
        }
      }
      peers.sort((a, b) -> Integer.compare(config.indexOf(a), config.indexOf(b)));
      maskPeers = List.copyOf(peers);
      encryptionDh.values().forEach(SecretBytes::destroy);
      encryptionDh.clear();
      stage = ClientStage.READY_TO_MASK;
      return null;
    });
  }

  /**
   * Stage 3: y = x + PRG(b) + Σ_{v ∈ peers} ±PRG(s_uv) (mod 2^32), + when this client's position
   * is below v's, − otherwise, so pairwise masks cancel in the sum.
   *
   * @param input the encoded vector, {@link RoundConfig#vectorLength()} words; not modified
   */
  public MaskedInput maskInput(int[] input) {
    expect(ClientStage.READY_TO_MASK, "maskInput");
    if (input.length != config.vectorLength()) {
      throw new IllegalArgumentException("input has " + input.length + " words, round expects "
          + config.vectorLength());
    }
    List<MaskTerm> terms = new ArrayList<>(maskPeers.size() + 1);
    terms.add(MaskTerm.plus(selfSeed));
    for (ClientId peer : maskPeers) {
      SecretBytes dh = maskDh.get(peer);
      boolean lower = selfPosition < config.positionOf(peer);
      SecretBytes seed = lower ? transcript.pairMaskSeed(dh, self, peer)
          : transcript.pairMaskSeed(dh, peer, self);
      dh.destroy();
      observe("pairwise mask seed with " + peer, seed);
      terms.add(new MaskTerm(seed, !lower));
    }
    // Masked straight into wire form: no int[] copy of the input, no extra pass to serialise it.
    byte[] y = new byte[4 * input.length];
    MaskPrg.accumulateLittleEndian(terms, input, y, threads);
    for (int i = 1; i < terms.size(); i++) {
      terms.get(i).seed().destroy();
    }
    MaskedVector v = MaskedVector.wrapLittleEndian(y);
    stage = ClientStage.MASKED;
    return new MaskedInput(config.roundId(), self, v);
  }

  /**
   * Stage 4: reveals self-seed shares of surviving peers and mask-key shares of dropped peers —
   * never both for the same peer. Refuses when it and its surviving peers number fewer than t, or
   * fewer than {@link RoundConfig#minimumContributors()}.
   */
  public UnmaskResponse onUnmaskRequest(UnmaskRequest request) {
    expect(ClientStage.MASKED, MessageType.UNMASK_REQUEST.name());
    return failing(() -> {
      checkHeader(request);
      Set<ClientId> peers = new HashSet<>(maskPeers);
      Set<ClientId> seen = new HashSet<>();
      for (ClientId id : request.survivors()) {
        if (!peers.contains(id) || !seen.add(id)) {
          throw new InvalidServerMessageException("unmask request lists survivor " + id
              + ", who is not a distinct mask peer of " + self);
        }
      }
      for (ClientId id : request.dropped()) {
        if (!peers.contains(id) || !seen.add(id)) {
          throw new InvalidServerMessageException("unmask request lists dropped client " + id
              + ", who is not a distinct mask peer of " + self + " or is also listed as survivor");
        }
      }
      int t = config.threshold();
      if (request.survivors().size() + 1 < t) {
        throw abort(RoundAbortedException.Reason.TOO_FEW_NEIGHBOURS,
            (request.survivors().size() + 1) + " surviving (incl. self), threshold " + t);
      }
      // Only above t in a complete graph (RoundConfig checks), where the survivors are everyone's.
      if (request.survivors().size() + 1 < config.minimumContributors()) {
        throw abort(RoundAbortedException.Reason.TOO_FEW_SURVIVORS, (request.survivors().size() + 1)
            + " surviving (incl. self), the sum must have at least " + config.minimumContributors());
      }
      List<RevealedShare> out = new ArrayList<>();
      for (ClientId id : request.survivors()) {
        ShamirShare[] s = heldShares.get(id);
        if (s != null) {
          out.add(new RevealedShare(id, ShareKind.SELF_SEED, s[0].value()));
        }
      }
      for (ClientId id : request.dropped()) {
        ShamirShare[] s = heldShares.get(id);
        if (s != null) {
          out.add(new RevealedShare(id, ShareKind.MASK_KEY, s[1].value()));
        }
      }
      stage = ClientStage.DONE;
      UnmaskResponse response = new UnmaskResponse(config.roundId(), self, out);
      destroySecrets();
      return response;
    });
  }

  private void destroySecrets() {
    if (selfSeed != null) {
      selfSeed.destroy();
    }
    if (maskKeys != null) {
      maskKeys.privateKey().secret().destroy();
    }
    if (encryptionKeys != null) {
      encryptionKeys.privateKey().secret().destroy();
    }
    encryptionDh.values().forEach(SecretBytes::destroy);
    maskDh.values().forEach(SecretBytes::destroy);
  }

  @Override
  public String toString() {
    return "SecAggClient[" + self + ", " + config.roundId() + ", " + stage + "]";
  }
}
