package io.fedlora.crypto.secagg;

import io.fedlora.crypto.Bytes;
import io.fedlora.crypto.Ed25519PublicKey;
import io.fedlora.crypto.InvalidParametersException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Everything the server and every client of one round agree on, all public: the round, the ordered
 * cohort (a client's position, 1-based, is its Shamir evaluation point and orders mask signs), the
 * clients' long-term Ed25519 identity keys, a 32-byte public graph seed, the SecAgg parameters and
 * the length of the masked vector, and the fewest contributors a revealed sum may have.
 */
public final class RoundConfig {
  public static final int MAX_VECTOR_LENGTH = 1 << 28;

  private final RoundId roundId;
  private final List<ClientId> cohort;
  private final Map<ClientId, Integer> index;
  private final Map<ClientId, Ed25519PublicKey> identities;
  private final Bytes graphSeed;
  private final SecAggParameters parameters;
  private final int vectorLength;
  private final int minimumContributors;
  private final NeighbourGraph graph;

  private RoundConfig(Builder b) {
    this.roundId = b.roundId;
    this.cohort = List.copyOf(b.cohort);
    Map<ClientId, Integer> idx = new HashMap<>();
    for (int i = 0; i < cohort.size(); i++) {
      idx.put(cohort.get(i), i);
    }
    this.index = Map.copyOf(idx);
    this.identities = Map.copyOf(b.identities);
    this.graphSeed = b.graphSeed;
    this.parameters = b.parameters;
    this.vectorLength = b.vectorLength;
    this.minimumContributors = Math.max(b.minimumContributors, parameters.threshold());
    this.graph = NeighbourGraph.build(roundId, graphSeed, cohort.size(), parameters.neighbours(),
        parameters.completeGraph());
  }

  public static Builder builder() {
    return new Builder();
  }

  public RoundId roundId() {
    return roundId;
  }

  public List<ClientId> cohort() {
    return cohort;
  }

  public SecAggParameters parameters() {
    return parameters;
  }

  public int threshold() {
    return parameters.threshold();
  }

  public int vectorLength() {
    return vectorLength;
  }

  /**
   * The fewest masked inputs a sum may contain and still be unmasked: at least t, more when set
   * (client-level DP calibrates its noise for this many clients). The server aborts below it;
   * each client refuses to reveal shares when it and its surviving peers number fewer.
   */
  public int minimumContributors() {
    return minimumContributors;
  }

  public Bytes graphSeed() {
    return graphSeed;
  }

  public NeighbourGraph graph() {
    return graph;
  }

  public boolean contains(ClientId id) {
    return index.containsKey(id);
  }

  /** 0-based index in the cohort; -1 if absent. */
  public int indexOf(ClientId id) {
    Integer i = index.get(id);
    return i == null ? -1 : i;
  }

  /** 1-based position: the Shamir evaluation point. */
  public int positionOf(ClientId id) {
    return indexOf(id) + 1;
  }

  public ClientId clientAt(int index) {
    return cohort.get(index);
  }

  public Ed25519PublicKey identityKey(ClientId id) {
    return identities.get(id);
  }

  /** Neighbours of {@code id}, in cohort order. */
  public List<ClientId> neighboursOf(ClientId id) {
    int[] nb = graph.neighboursOf(indexOf(id));
    List<ClientId> out = new ArrayList<>(nb.length);
    for (int x : nb) {
      out.add(cohort.get(x));
    }
    return out;
  }

  public boolean areNeighbours(ClientId a, ClientId b) {
    int ia = indexOf(a);
    int ib = indexOf(b);
    return ia >= 0 && ib >= 0 && graph.areNeighbours(ia, ib);
  }

  /** Builder; {@link #build()} reports every problem at once. */
  public static final class Builder {
    private RoundId roundId;
    private List<ClientId> cohort = List.of();
    private Map<ClientId, Ed25519PublicKey> identities = Map.of();
    private Bytes graphSeed;
    private SecAggParameters parameters;
    private int vectorLength = -1;
    private int minimumContributors;

    public Builder roundId(RoundId roundId) {
      this.roundId = roundId;
      return this;
    }

    public Builder cohort(List<ClientId> cohort) {
      this.cohort = new ArrayList<>(cohort);
      return this;
    }

    public Builder identities(Map<ClientId, Ed25519PublicKey> identities) {
      this.identities = new LinkedHashMap<>(identities);
      return this;
    }

    /** 32 public random bytes chosen by the coordinator for this round. */
    public Builder graphSeed(Bytes graphSeed) {
      this.graphSeed = graphSeed;
      return this;
    }

    public Builder parameters(SecAggParameters parameters) {
      this.parameters = parameters;
      return this;
    }

    /** Number of 32-bit words in every masked vector. */
    public Builder vectorLength(int vectorLength) {
      this.vectorLength = vectorLength;
      return this;
    }

    /**
     * Raises the fewest contributors of an unmasked sum above t. Only in a complete graph, where
     * every client sees every survivor and so can enforce it itself.
     */
    public Builder minimumContributors(int minimumContributors) {
      this.minimumContributors = minimumContributors;
      return this;
    }

    public RoundConfig build() {
      List<String> errors = new ArrayList<>();
      if (roundId == null) {
        errors.add("roundId is required");
      }
      if (parameters == null) {
        errors.add("parameters are required");
      } else if (parameters.cohortSize() != cohort.size()) {
        errors.add("parameters are for " + parameters.cohortSize() + " clients, cohort has " + cohort.size());
      }
      if (cohort.stream().anyMatch(Objects::isNull)) {
        errors.add("cohort contains null");
      } else if (cohort.stream().distinct().count() != cohort.size()) {
        errors.add("cohort contains duplicate client ids");
      } else {
        for (ClientId id : cohort) {
          if (identities.get(id) == null) {
            errors.add("no identity key for client " + id);
          }
        }
      }
      if (graphSeed == null || graphSeed.size() != 32) {
        errors.add("graphSeed must be 32 bytes");
      }
      if (vectorLength < 1 || vectorLength > MAX_VECTOR_LENGTH) {
        errors.add("vectorLength must be in 1.." + MAX_VECTOR_LENGTH);
      }
      if (minimumContributors < 0 || minimumContributors > cohort.size()) {
        errors.add("minimumContributors must be in 0.." + cohort.size() + ", got " + minimumContributors);
      } else if (parameters != null && !parameters.completeGraph()
          && minimumContributors > parameters.threshold()) {
        errors.add("minimumContributors above t = " + parameters.threshold() + " needs a complete graph:"
            + " in a sparse one no client sees every survivor, so none could enforce it");
      }
      if (!errors.isEmpty()) {
        throw new InvalidParametersException(String.join("; ", errors));
      }
      return new RoundConfig(this);
    }
  }
}
