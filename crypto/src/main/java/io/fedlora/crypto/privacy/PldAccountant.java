package io.fedlora.crypto.privacy;

import io.fedlora.crypto.privacy.internal.ComposedLoss;
import io.fedlora.crypto.privacy.internal.LossDirection;
import io.fedlora.crypto.privacy.internal.NormalDistribution;
import io.fedlora.crypto.privacy.internal.ParameterChecks;
import io.fedlora.crypto.privacy.internal.PldComposer;
import io.fedlora.crypto.privacy.internal.PrivacyLossPmf;
import java.util.ArrayList;
import java.util.List;

/**
 * Privacy-loss-distribution accountant (the "prv" accountant of the CLI) for the Poisson-subsampled
 * Gaussian mechanism with heterogeneous composition, add-or-remove-one adjacency.
 *
 * <p>Method: per step and per {@link LossDirection direction}, the exact hockey-stick curve is
 * discretised with connect-the-dots (Doroshenko et al. 2022), which yields a dominating PLD on a
 * grid of spacing h; the pieces are composed by FFT (Koskela, Jalko, Honkela 2020; Gopi, Lee,
 * Wutschitz 2021 use the same convolution), with a Chernoff-bounded window. The reported epsilon is
 * the worse of the two directions and is an upper bound on the true epsilon up to floating-point
 * error, the clamping of round-off negatives, and {@link PldDiscretisation#tailBound()}; it is tighter
 * than {@link RdpAccountant} (never larger in the tests) because no RDP conversion is involved.
 *
 * <p>Immutable; the composed distribution is computed on first query and cached.
 */
public final class PldAccountant implements PrivacyAccountant {
  private static final int MAX_COARSENINGS = 8;

  private final PldDiscretisation discretisation;
  private final List<SampledGaussianSteps> history;
  private volatile ComposedLoss[] composed;

  private PldAccountant(PldDiscretisation discretisation, List<SampledGaussianSteps> history) {
    this.discretisation = discretisation;
    this.history = history;
  }

  /** An empty accountant with {@link PldDiscretisation#DEFAULT}. */
  public static PldAccountant create() {
    return create(PldDiscretisation.DEFAULT);
  }

  public static PldAccountant create(PldDiscretisation discretisation) {
    if (discretisation == null) {
      throw new InvalidPrivacyParameterException("discretisation must not be null");
    }
    return new PldAccountant(discretisation, List.of());
  }

  @Override
  public PldAccountant compose(double samplingRate, double noiseMultiplier, long steps) {
    return compose(new SampledGaussianSteps(samplingRate, noiseMultiplier, steps));
  }

  @Override
  public PldAccountant compose(SampledGaussianSteps piece) {
    if (piece == null) {
      throw new InvalidPrivacyParameterException("steps must not be null");
    }
    List<SampledGaussianSteps> h = new ArrayList<>(history);
    h.add(piece);
    return new PldAccountant(discretisation, List.copyOf(h));
  }

  @Override
  public List<SampledGaussianSteps> history() {
    return history;
  }

  public PldDiscretisation discretisation() {
    return discretisation;
  }

  @Override
  public double epsilon(double delta) {
    ParameterChecks.delta(delta);
    if (history.isEmpty()) {
      return 0.0;
    }
    double eps = 0.0;
    for (ComposedLoss loss : composed()) {
      eps = Math.max(eps, loss.epsilon(delta));
    }
    return eps;
  }

  @Override
  public double delta(double epsilon) {
    ParameterChecks.epsilon(epsilon);
    if (history.isEmpty()) {
      return 0.0;
    }
    double d = 0.0;
    for (ComposedLoss loss : composed()) {
      d = Math.max(d, loss.delta(epsilon));
    }
    return d;
  }

  /** The loss-grid spacing actually used (may exceed the configured one for very wide windows). */
  public double effectiveLossInterval() {
    return history.isEmpty() ? discretisation.lossInterval() : composed()[0].h();
  }

  private ComposedLoss[] composed() {
    ComposedLoss[] c = composed;
    if (c == null) {
      synchronized (this) {
        c = composed;
        if (c == null) {
          c = new ComposedLoss[] {
            composeDirection(LossDirection.REMOVE), composeDirection(LossDirection.ADD)
          };
          composed = c;
        }
      }
    }
    return c;
  }

  private ComposedLoss composeDirection(LossDirection direction) {
    PldComposer composer =
        new PldComposer(discretisation.tailBound(), discretisation.maxFftLength());
    double tailZ = tailQuantile(discretisation.tailBound() * 1e-15);
    double h = discretisation.lossInterval();
    for (int attempt = 0; attempt <= MAX_COARSENINGS; attempt++, h *= 2) {
      List<PldComposer.Piece> pieces = new ArrayList<>();
      for (SampledGaussianSteps s : history) {
        pieces.add(new PldComposer.Piece(
            PrivacyLossPmf.subsampledGaussian(
                s.samplingRate(), s.noiseMultiplier(), direction, h, tailZ),
            s.steps()));
      }
      if (composer.requiredLength(pieces) > 0) {
        return composer.compose(pieces);
      }
    }
    throw new IllegalStateException("composed privacy loss too wide for FFT length "
        + discretisation.maxFftLength() + " even at h=" + h / 2 + "; history=" + history);
  }

  /** z with P(Z &gt; z) ~= p (bisection; p is tiny). */
  private static double tailQuantile(double p) {
    double lo = 0.0;
    double hi = 40.0;
    for (int i = 0; i < 100; i++) {
      double mid = 0.5 * (lo + hi);
      if (NormalDistribution.logSf(mid) > Math.log(p)) {
        lo = mid;
      } else {
        hi = mid;
      }
    }
    return hi;
  }

  @Override
  public String toString() {
    return "PldAccountant{" + discretisation + ", history=" + history + "}";
  }
}
