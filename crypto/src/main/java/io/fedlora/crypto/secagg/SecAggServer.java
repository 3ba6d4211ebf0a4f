package io.fedlora.crypto.secagg;

import io.fedlora.crypto.Bytes;
import io.fedlora.crypto.KeyAgreementException;
import io.fedlora.crypto.MaskPrg;
import io.fedlora.crypto.MaskPrg.MaskTerm;
import io.fedlora.crypto.ReconstructionException;
import io.fedlora.crypto.SecretBytes;
import io.fedlora.crypto.ShamirSecretSharing;
import io.fedlora.crypto.ShamirShare;
import io.fedlora.crypto.X25519PrivateKey;
import io.fedlora.crypto.X25519PublicKey;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server side of one SecAgg+ round. The coordinator feeds it client messages with
 * {@link #receive}, closes each stage with {@link #advance()} (at a deadline or when everyone
 * answered) and sends the returned messages, and finally calls {@link #finish()} for the sum.
 *
 * <p>Bad messages raise typed errors: {@link InvalidStageException} (wrong stage; nothing changes,
 * e.g. a late straggler), {@link ProtocolViolationException} (names the client, which is dropped
 * from the rest of the round). When fewer than t clients survive a stage, or a secret cannot be
 * rebuilt, {@link RoundAbortedException}: the server never returns a wrong sum.
 *
 * <p>Masked inputs are added into one running sum as they arrive (the server never holds more than
 * one vector). Unmasking expands, in one cache-friendly pass, PRG(b_u) for each contributor u and
 * PRG(s_uv) for each (dropped u, contributing peer v) pair.
 */
public final class SecAggServer {
  private static final Logger LOG = LoggerFactory.getLogger(SecAggServer.class);

  private final RoundConfig config;
  private final Transcript transcript;
  private final int n;
  private final int t;
  private int threads = 1;
  private ServerStage stage = ServerStage.COLLECTING_KEYS;

  private final SignedKeys[] keys;
  private final Map<ClientId, EncryptedShare>[] dealt;
  private final Bytes[] seedDigests;
  private final boolean[] inU1;
  private final boolean[] inU2;
  private final boolean[] inU3;
  private final boolean[] inU4;
  private final boolean[] offender;
  private final Set<ClientId>[] links;
  private final UnmaskRequest[] requests;
  private final List<ShamirShare>[] seedShares;
  private final List<ShamirShare>[] keyShares;
  private final int[] sum;
  private final List<ProtocolViolationException> violations = new ArrayList<>();
  private AggregateSum result;
  private final ShamirSecretSharing.Reconstructor reconstructor;

  @SuppressWarnings("unchecked")
  private SecAggServer(RoundConfig config) {
    this.config = config;
    this.transcript = new Transcript(config.roundId());
    this.n = config.cohort().size();
    this.t = config.threshold();
    keys = new SignedKeys[n];
    dealt = new Map[n];
    seedDigests = new Bytes[n];
    inU1 = new boolean[n];
    inU2 = new boolean[n];
    inU3 = new boolean[n];
    inU4 = new boolean[n];
    offender = new boolean[n];
    links = new Set[n];
    requests = new UnmaskRequest[n];
    seedShares = new List[n];
    keyShares = new List[n];
    sum = new int[config.vectorLength()];
    reconstructor = new ShamirSecretSharing.Reconstructor(t);
  }

  public static SecAggServer create(RoundConfig config) {
    return new SecAggServer(config);
  }

  /**
   * How many threads of the common fork-join pool {@link #finish} may use for the dropouts' key
   * agreements and the mask expansion (default 1). The sum is the same for any count.
   */
  public SecAggServer threads(int count) {
    if (count < 1) {
      throw new IllegalArgumentException("threads must be >= 1, got " + count);
    }
    this.threads = count;
    return this;
  }

  public ServerStage stage() {
    return stage;
  }

  public RoundConfig config() {
    return config;
  }

  /** Every violation seen so far, in order. */
  public List<ProtocolViolationException> violations() {
    return Collections.unmodifiableList(violations);
  }

  /** Clients dropped for a violation. */
  public Set<ClientId> offenders() {
    Set<ClientId> s = new HashSet<>();
    for (int i = 0; i < n; i++) {
      if (offender[i]) {
        s.add(config.clientAt(i));
      }
    }
    return s;
  }

  /** Accepts one client message for the current stage. */
  public void receive(ClientMessage message) {
    if (stage.accepts() == null || message.type() != stage.accepts()) {
      throw new InvalidStageException("server " + stage, message.type().name());
    }
    ClientId sender = message.sender();
    int u = config.indexOf(sender);
    if (u < 0) {
      ProtocolViolationException e = new ProtocolViolationException(sender,
          ProtocolViolationException.Reason.NOT_IN_COHORT, "");
      violations.add(e);
      throw e;
    }
    if (!message.roundId().jobId().equals(config.roundId().jobId())) {
      throw violation(u, ProtocolViolationException.Reason.WRONG_JOB, "");
    }
    if (message.roundId().round() != config.roundId().round()) {
      throw violation(u, ProtocolViolationException.Reason.WRONG_ROUND,
          "round " + message.roundId().round());
    }
    if (offender[u]) {
      throw violation(u, ProtocolViolationException.Reason.NOT_EXPECTED_IN_STAGE,
          "client was dropped earlier in this round");
    }
    if (message instanceof AdvertiseKeys m) {
      onAdvertise(u, m);
    } else if (message instanceof ShareKeys m) {
      onShareKeys(u, m);
    } else if (message instanceof MaskedInput m) {
      onMaskedInput(u, m);
    } else if (message instanceof UnmaskResponse m) {
      onUnmaskResponse(u, m);
    }
  }

  private ProtocolViolationException violation(int u, ProtocolViolationException.Reason reason,
      String detail) {
    offender[u] = true;
    ProtocolViolationException e = new ProtocolViolationException(config.clientAt(u), reason, detail);
    violations.add(e);
    LOG.warn("secagg job={} round={} stage={}: dropping client {}: {}", config.roundId().jobId(),
        config.roundId().round(), stage, config.clientAt(u), reason);
    return e;
  }

  private void onAdvertise(int u, AdvertiseKeys m) {
    if (keys[u] != null) {
      throw violation(u, ProtocolViolationException.Reason.DUPLICATE_MESSAGE, "");
    }
    if (!m.keys().verifies(config.roundId(), config.identityKey(m.sender()))) {
      throw violation(u, ProtocolViolationException.Reason.BAD_SIGNATURE, "");
    }
    keys[u] = m.keys();
  }

  private void onShareKeys(int u, ShareKeys m) {
    if (!inU1[u]) {
      throw violation(u, ProtocolViolationException.Reason.NOT_EXPECTED_IN_STAGE,
          "keys were not accepted in stage 1");
    }
    if (dealt[u] != null) {
      throw violation(u, ProtocolViolationException.Reason.DUPLICATE_MESSAGE, "");
    }
    Map<ClientId, EncryptedShare> byHolder = new LinkedHashMap<>();
    for (EncryptedShare s : m.shares()) {
      int h = config.indexOf(s.holder());
      if (h < 0 || !inU1[h] || !config.graph().areNeighbours(u, h)) {
        throw violation(u, ProtocolViolationException.Reason.BAD_SHARE_SET,
            "share for " + s.holder() + ", who is not a live neighbour");
      }
      if (byHolder.put(s.holder(), s) != null) {
        throw violation(u, ProtocolViolationException.Reason.DUPLICATE_SHARE,
            "two shares for " + s.holder());
      }
    }
    if (byHolder.size() < t) {
      throw violation(u, ProtocolViolationException.Reason.BAD_SHARE_SET,
          byHolder.size() + " shares, threshold " + t);
    }
    dealt[u] = byHolder;
    seedDigests[u] = m.selfSeedDigest();
  }

  private void onMaskedInput(int u, MaskedInput m) {
    if (!inU2[u]) {
      throw violation(u, ProtocolViolationException.Reason.NOT_EXPECTED_IN_STAGE,
          "shares were not accepted in stage 2");
    }
    if (inU3[u]) {
      // Its input is already in the sum: it stays a contributor but is asked for nothing.
      throw violation(u, ProtocolViolationException.Reason.DUPLICATE_MESSAGE, "");
    }
    if (m.vector().length() != sum.length) {
      throw violation(u, ProtocolViolationException.Reason.WRONG_VECTOR_LENGTH,
          m.vector().length() + " words, expected " + sum.length);
    }
    m.vector().addTo(sum);
    inU3[u] = true;
  }

  private void onUnmaskResponse(int u, UnmaskResponse m) {
    UnmaskRequest req = requests[u];
    if (req == null) {
      throw violation(u, ProtocolViolationException.Reason.NOT_EXPECTED_IN_STAGE, "was not asked");
    }
    if (inU4[u]) {
      throw violation(u, ProtocolViolationException.Reason.DUPLICATE_MESSAGE, "");
    }
    Set<ClientId> survivors = new HashSet<>(req.survivors());
    Set<ClientId> dropped = new HashSet<>(req.dropped());
    Set<ClientId> seen = new HashSet<>();
    ClientId holder = config.clientAt(u);
    int x = u + 1;
    for (RevealedShare s : m.shares()) {
      boolean asked = s.kind() == ShareKind.SELF_SEED ? survivors.contains(s.owner())
          : dropped.contains(s.owner());
      if (!asked) {
        throw violation(u, ProtocolViolationException.Reason.UNREQUESTED_SHARE,
            s.kind() + " share of " + s.owner());
      }
      if (!seen.add(s.owner())) {
        throw violation(u, ProtocolViolationException.Reason.DUPLICATE_SHARE, "share of " + s.owner());
      }
      EncryptedShare committed = dealt[config.indexOf(s.owner())].get(holder);
      Bytes expected = s.kind() == ShareKind.SELF_SEED ? committed.selfSeedShareDigest()
          : committed.maskKeyShareDigest();
      byte[] v = s.value().toByteArray();
      Bytes actual = transcript.shareDigest(s.owner(), holder, s.kind(), x, v);
      if (!MessageDigest.isEqual(expected.toByteArray(), actual.toByteArray())) {
        throw violation(u, ProtocolViolationException.Reason.FORGED_SHARE, "share of " + s.owner());
      }
    }
    for (RevealedShare s : m.shares()) {
      int o = config.indexOf(s.owner());
      List<ShamirShare>[] store = s.kind() == ShareKind.SELF_SEED ? seedShares : keyShares;
      if (store[o] == null) {
        store[o] = new ArrayList<>();
      }
      store[o].add(new ShamirShare(x, s.value()));
    }
    inU4[u] = true;
  }

  /**
   * Closes the current collecting stage (one of the first three) and returns the messages to send,
   * by recipient.
   */
  public Map<ClientId, ServerMessage> advance() {
    switch (stage) {
      case COLLECTING_KEYS:
        return closeKeys();
      case COLLECTING_SHARES:
        return closeShares();
      case COLLECTING_MASKED_INPUTS:
        return closeMaskedInputs();
      default:
        throw new InvalidStageException("server " + stage, "advance");
    }
  }

  private int count(boolean[] set) {
    int c = 0;
    for (int i = 0; i < n; i++) {
      if (set[i] && !offender[i]) {
        c++;
      }
    }
    return c;
  }

  private RoundAbortedException abort(RoundAbortedException.Reason reason, ClientId client, String detail) {
    stage = ServerStage.ABORTED;
    LOG.warn("secagg job={} round={}: aborted: {} {}", config.roundId().jobId(), config.roundId().round(),
        reason, detail);
    return new RoundAbortedException(reason, client, detail);
  }

  private Map<ClientId, ServerMessage> closeKeys() {
    for (int i = 0; i < n; i++) {
      inU1[i] = keys[i] != null && !offender[i];
    }
    int live = count(inU1);
    if (live < t) {
      throw abort(RoundAbortedException.Reason.TOO_FEW_SURVIVORS, null,
          live + " clients advertised keys, threshold " + t);
    }
    Map<ClientId, ServerMessage> out = new LinkedHashMap<>();
    for (int v = 0; v < n; v++) {
      if (!inU1[v]) {
        continue;
      }
      List<SignedKeys> peers = new ArrayList<>();
      for (int w : config.graph().neighboursOf(v)) {
        if (inU1[w]) {
          peers.add(keys[w]);
        }
      }
      out.put(config.clientAt(v), new KeyDirectory(config.roundId(), config.clientAt(v), peers));
    }
    stage = ServerStage.COLLECTING_SHARES;
    return out;
  }

  private Map<ClientId, ServerMessage> closeShares() {
    for (int i = 0; i < n; i++) {
      inU2[i] = dealt[i] != null && !offender[i];
    }
    int live = count(inU2);
    if (live < t) {
      throw abort(RoundAbortedException.Reason.TOO_FEW_SURVIVORS, null,
          live + " clients dealt shares, threshold " + t);
    }
    Map<ClientId, ServerMessage> out = new LinkedHashMap<>();
    for (int v = 0; v < n; v++) {
      if (!inU2[v]) {
        continue;
      }
      ClientId vid = config.clientAt(v);
      Set<ClientId> l = new HashSet<>();
      List<RoutedShare> shares = new ArrayList<>();
      for (int w : config.graph().neighboursOf(v)) {
        ClientId wid = config.clientAt(w);
        // Linked iff each dealt to the other: masks are then added by both or by neither.
        if (inU2[w] && dealt[w].containsKey(vid) && dealt[v].containsKey(wid)) {
          l.add(wid);
          shares.add(new RoutedShare(wid, dealt[w].get(vid).ciphertext()));
        }
      }
      links[v] = l;
      out.put(vid, new ShareBundle(config.roundId(), vid, shares));
    }
    stage = ServerStage.COLLECTING_MASKED_INPUTS;
    return out;
  }

  private Map<ClientId, ServerMessage> closeMaskedInputs() {
    int contributors = 0;
    for (int i = 0; i < n; i++) {
      contributors += inU3[i] ? 1 : 0;
    }
    if (contributors < t) {
      throw abort(RoundAbortedException.Reason.TOO_FEW_SURVIVORS, null,
          contributors + " masked inputs, threshold " + t);
    }
    if (contributors < config.minimumContributors()) {
      throw abort(RoundAbortedException.Reason.TOO_FEW_SURVIVORS, null, contributors
          + " masked inputs, the sum must have at least " + config.minimumContributors());
    }
    Map<ClientId, ServerMessage> out = new LinkedHashMap<>();
    for (int v = 0; v < n; v++) {
      if (!inU3[v] || offender[v]) {
        continue;
      }
      List<ClientId> survivors = new ArrayList<>();
      List<ClientId> dropped = new ArrayList<>();
      for (int w : config.graph().neighboursOf(v)) {
        ClientId wid = config.clientAt(w);
        if (links[v].contains(wid)) {
          (inU3[w] ? survivors : dropped).add(wid);
        }
      }
      ClientId vid = config.clientAt(v);
      requests[v] = new UnmaskRequest(config.roundId(), vid, survivors, dropped);
      out.put(vid, requests[v]);
    }
    stage = ServerStage.COLLECTING_UNMASK_SHARES;
    return out;
  }

  /** Closes the unmask stage: rebuilds the needed secrets, removes every mask, returns Σ x. */
  public AggregateSum finish() {
    if (stage != ServerStage.COLLECTING_UNMASK_SHARES) {
      throw new InvalidStageException("server " + stage, "finish");
    }
    int responders = count(inU4);
    if (responders < t) {
      throw abort(RoundAbortedException.Reason.TOO_FEW_SURVIVORS, null,
          responders + " unmask responses, threshold " + t);
    }
    List<MaskTerm> terms = new ArrayList<>();
    for (int u = 0; u < n; u++) {
      if (!inU3[u]) {
        continue;
      }
      ClientId uid = config.clientAt(u);
      SecretBytes b = rebuild(seedShares[u], uid, "self-mask seed");
      byte[] raw = b.toByteArray();
      boolean ok = MessageDigest.isEqual(transcript.selfSeedDigest(uid, raw).toByteArray(),
          seedDigests[u].toByteArray());
      java.util.Arrays.fill(raw, (byte) 0);
      if (!ok) {
        throw abort(RoundAbortedException.Reason.INCONSISTENT_DEALER, uid,
            "rebuilt self-mask seed does not match its commitment");
      }
      terms.add(MaskTerm.minus(b));
    }
    for (int u = 0; u < n; u++) {
      if (!inU2[u] || inU3[u]) {
        continue;
      }
      ClientId uid = config.clientAt(u);
      List<Integer> contributingPeers = new ArrayList<>();
      for (ClientId vid : links[u]) {
        int v = config.indexOf(vid);
        if (inU3[v]) {
          contributingPeers.add(v);
        }
      }
      if (contributingPeers.isEmpty()) {
        continue;
      }
      X25519PrivateKey sk = X25519PrivateKey.fromSecret(rebuild(keyShares[u], uid, "mask key"));
      X25519PublicKey advertised = keys[u].maskKey();
      if (!sk.publicKey().equals(advertised)) {
        throw abort(RoundAbortedException.Reason.INCONSISTENT_DEALER, uid,
            "rebuilt mask key does not match the advertised key");
      }
      terms.addAll(pairTerms(u, sk, contributingPeers));
      sk.secret().destroy();
    }
    MaskPrg.accumulate(terms, sum, threads);
    terms.forEach(term -> term.seed().destroy());
    List<ClientId> contributors = new ArrayList<>();
    List<ClientId> dropped = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      (inU3[i] ? contributors : dropped).add(config.clientAt(i));
    }
    result = new AggregateSum(sum, contributors, dropped);
    stage = ServerStage.COMPLETED;
    return result;
  }

  /**
   * The pair masks dropout {@code u} shared with its contributing peers, to take back out of the
   * sum; the agreements run on {@link #threads} threads, the checks after them on this one.
   */
  private List<MaskTerm> pairTerms(int u, X25519PrivateKey sk, List<Integer> peers) {
    ClientId uid = config.clientAt(u);
    java.util.stream.IntStream indices = java.util.stream.IntStream.range(0, peers.size());
    List<MaskTerm> out = (threads > 1 ? indices.parallel() : indices).mapToObj(i -> {
      int v = peers.get(i);
      ClientId vid = config.clientAt(v);
      SecretBytes dh;
      try {
        dh = sk.agree(keys[v].maskKey());
      } catch (KeyAgreementException e) {
        return null; // refused below, on the caller's thread
      }
      boolean vLower = v < u;
      SecretBytes seed = vLower ? transcript.pairMaskSeed(dh, vid, uid) : transcript.pairMaskSeed(dh, uid, vid);
      dh.destroy();
      // v added +PRG(s_uv) if its position is lower, −PRG otherwise: take the same back out.
      return new MaskTerm(seed, vLower);
    }).toList();
    for (int i = 0; i < out.size(); i++) {
      if (out.get(i) == null) {
        out.stream().filter(java.util.Objects::nonNull).forEach(term -> term.seed().destroy());
        throw abort(RoundAbortedException.Reason.INCONSISTENT_DEALER, config.clientAt(peers.get(i)),
            "low-order mask key");
      }
    }
    return out;
  }

  private SecretBytes rebuild(List<ShamirShare> shares, ClientId owner, String what) {
    int have = shares == null ? 0 : shares.size();
    if (have < t) {
      throw abort(RoundAbortedException.Reason.TOO_FEW_SHARES, owner,
          have + " shares of its " + what + ", threshold " + t);
    }
    try {
      return reconstructor.reconstruct(shares);
    } catch (ReconstructionException e) {
      throw abort(RoundAbortedException.Reason.INCONSISTENT_DEALER, owner, what + ": " + e.getMessage());
    }
  }

  /** The result, once {@link #finish()} succeeded. */
  public AggregateSum result() {
    if (result == null) {
      throw new InvalidStageException("server " + stage, "result");
    }
    return result;
  }

}
