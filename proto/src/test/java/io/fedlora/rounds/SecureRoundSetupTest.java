package io.fedlora.rounds;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.fedlora.crypto.Ed25519PrivateKey;
import io.fedlora.crypto.InvalidParametersException;
import io.fedlora.crypto.secagg.RoundConfig;
import io.fedlora.proto.v1.CohortMember;
import io.fedlora.proto.v1.SecAggSetup;
import io.fedlora.proto.v1.SecureAggregationConfig;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SecureRoundSetupTest {

  private static final SecureAggregationConfig CFG = SecureAggregationConfig.newBuilder().setDropoutFraction(0.25)
      .setCorruptFraction(0).setClipNorm(10).setMaxWeight(1000).build();

  private static SecAggSetup setup(int n) {
    List<CohortMember> members = new ArrayList<>();
    SecureRandom r = new SecureRandom();
    for (int i = 0; i < n; i++) {
      members.add(CohortMember.newBuilder().setNodeId("node-" + i)
          .setIdentityKey(ByteString.copyFrom(Ed25519PrivateKey.generate(r).publicKey().toBytes())).build());
    }
    return SecureRoundSetup.create(CFG, members, 100, new byte[32]);
  }

  @Test
  void bothSidesBuildTheSameRoundFromTheSetup() {
    SecAggSetup s = setup(4);
    assertEquals(3, s.getNeighbours());
    assertEquals(2, s.getThreshold());
    RoundConfig c = SecureRoundSetup.roundConfig("job", 7, s);
    assertEquals(105, c.vectorLength());
    assertEquals(4, c.cohort().size());
    assertEquals(105, SecureRoundSetup.format(s, 100).vectorLength());
  }

  @Test
  void aClientRefusesWeakerOrInconsistentParameters() {
    SecAggSetup s = setup(6);
    var weakerThreshold = assertThrows(InvalidParametersException.class,
        () -> SecureRoundSetup.roundConfig("job", 1, s.toBuilder().setThreshold(1).build()));
    assertTrue(weakerThreshold.getMessage().startsWith("secagg.neighbours/threshold"), weakerThreshold.getMessage());
    var badKey = assertThrows(InvalidParametersException.class, () -> SecureRoundSetup.roundConfig("job", 1,
        s.toBuilder().setCohort(2, s.getCohort(2).toBuilder().setIdentityKey(ByteString.copyFrom(new byte[5]))).build()));
    assertTrue(badKey.getMessage().startsWith("secagg.cohort[2].identity_key"), badKey.getMessage());
    var wrongLength = assertThrows(InvalidParametersException.class, () -> SecureRoundSetup.format(s, 99));
    assertTrue(wrongLength.getMessage().startsWith("secagg.vector_length"), wrongLength.getMessage());
    var overflow = assertThrows(InvalidParametersException.class,
        () -> SecureRoundSetup.format(s.toBuilder().setScale(s.getScale() * 4).build(), 100));
    assertTrue(overflow.getMessage().contains("overflow"), overflow.getMessage());
  }

  @Test
  void cohortSizesAreChosenWhereTheFormulaHolds() {
    // delta = 0.25: 4 works (t=2 of k=3), 5 does not (ceil(1.25) = 2 dropouts leave k-2 < t), 6 does.
    assertEquals(4, SecureRoundSetup.largestFeasibleCohort(CFG, 100, 5));
    assertEquals(6, SecureRoundSetup.largestFeasibleCohort(CFG, 100, 6));
    assertEquals(0, SecureRoundSetup.largestFeasibleCohort(CFG, 100, 3));
  }
}
