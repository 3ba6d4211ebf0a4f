package io.fedlora.rounds;

import io.fedlora.adapter.UpdateCoordinates;
import io.fedlora.crypto.encoding.SecureVectorFormat;
import java.security.SecureRandom;

/**
 * A secure vector format applied to the coordinates of a flat adapter update that can move (see
 * {@link UpdateCoordinates}): gathers them before encoding, puts the decoded mean back in place,
 * zero elsewhere.
 */
final class SelectedCoordinatesFormat implements SecureVectorFormat {

    private final SecureVectorFormat inner;
    private final UpdateCoordinates coordinates;

    SelectedCoordinatesFormat(SecureVectorFormat inner, UpdateCoordinates coordinates) {
        if (inner.dimension() != coordinates.count()) {
            throw new IllegalArgumentException("format takes " + inner.dimension() + " values, "
                    + coordinates.count() + " coordinates are selected");
        }
        this.inner = inner;
        this.coordinates = coordinates;
    }

    SecureVectorFormat inner() {
        return inner;
    }

    @Override
    public int vectorLength() {
        return inner.vectorLength();
    }

    @Override
    public int dimension() {
        return coordinates.total();
    }

    @Override
    public double clipNorm() {
        return inner.clipNorm();
    }

    @Override
    public int maxWeight() {
        return inner.maxWeight();
    }

    @Override
    public int[] encode(float[] update, int weight, double loss, io.fedlora.crypto.encoding.EvalScore eval,
            SecureRandom random) {
        float[] selected = coordinates.gather(update);
        try {
            return inner.encode(selected, weight, loss, eval, random);
        } finally {
            java.util.Arrays.fill(selected, 0f);
        }
    }

    @Override
    public Aggregate decode(int[] sum, int contributors) {
        Aggregate a = inner.decode(sum, contributors);
        return new Aggregate(coordinates.scatter(a.meanUpdate()), a.totalWeight(), a.meanLoss(), a.eval());
    }
}
