package io.fedlora.crypto.encoding;

/** A decoded sum: the weighted mean update and the total weight it was divided by. */
public record DecodedAggregate(float[] mean, long totalWeight) {
  public DecodedAggregate {
    mean = mean.clone();
  }

  @Override
  public float[] mean() {
    return mean.clone();
  }
}
