package io.fedlora.coordinator.round;

import com.google.protobuf.ByteString;
import io.fedlora.crypto.Ed25519PrivateKey;
import io.fedlora.crypto.SecretBytes;
import io.fedlora.crypto.encoding.SecureUpdateFormat;
import io.fedlora.crypto.secagg.ClientId;
import io.fedlora.crypto.secagg.KeyDirectory;
import io.fedlora.crypto.secagg.RoundConfig;
import io.fedlora.crypto.secagg.SecAggClient;
import io.fedlora.crypto.secagg.ShareBundle;
import io.fedlora.crypto.secagg.UnmaskRequest;
import io.fedlora.proto.v1.CohortMember;
import io.fedlora.proto.v1.SecAggSetup;
import io.fedlora.proto.v1.SecureAggregationConfig;
import io.fedlora.rounds.SecureRoundSetup;
import java.io.ByteArrayOutputStream;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A fixed secure round (4 members, dropout 0.25: k = 3, t = 2; 6 parameters) and honest transcripts
 * of it in {@link SecureRoundFuzzTest}'s input format. The server side uses no randomness, so a
 * recorded transcript replays identically against every fresh {@link #newRound()}.
 */
final class SecureRoundTranscript {

    static final String JOB = "job-fuzz";
    static final int ROUND = 1;
    static final int DIMENSION = 6;
    static final int MEMBERS = 4;
    static final int SEND = 0;
    static final int MASKED_INPUT = 1;
    static final int CLOSE_STAGE = 2;
    private static final SecAggSetup SETUP = setup();
    /** A job whose adapter is one DIMENSION-element tensor (the round only reads its layout and mode). */
    private static final io.fedlora.proto.v1.JobConfig JOB_CONFIG = io.fedlora.proto.v1.JobConfig.newBuilder()
            .setAdapterLayout(io.fedlora.proto.v1.AdapterLayout.newBuilder().addTensors(
                    io.fedlora.proto.v1.TensorSpec.newBuilder().setName("m.lora_B.weight").addShape(2).addShape(3)))
            .setLora(io.fedlora.proto.v1.LoraConfig.newBuilder().setRank(3)
                    .setAggregationMode(io.fedlora.proto.v1.AggregationMode.AGGREGATION_MODE_EXACT_FROZEN_A))
            .build();

    private SecureRoundTranscript() {}

    static SecureRound newRound() {
        return new SecureRound(JOB, ROUND, SETUP, JOB_CONFIG);
    }

    static String member(int index) {
        return "node-" + index % MEMBERS;
    }

    private static Ed25519PrivateKey identity(int index) {
        byte[] seed = new byte[32];
        Arrays.fill(seed, (byte) (index + 1));
        return Ed25519PrivateKey.fromSeed(SecretBytes.copyOf(seed));
    }

    private static SecAggSetup setup() {
        List<CohortMember> members = new ArrayList<>();
        for (int i = 0; i < MEMBERS; i++) {
            members.add(CohortMember.newBuilder().setNodeId(member(i))
                    .setIdentityKey(ByteString.copyFrom(identity(i).publicKey().toBytes())).build());
        }
        SecureAggregationConfig cfg = SecureAggregationConfig.newBuilder().setDropoutFraction(0.25)
                .setCorruptFraction(0).setClipNorm(10).setMaxWeight(1000).build();
        byte[] graphSeed = new byte[SecureRoundSetup.GRAPH_SEED_BYTES];
        Arrays.fill(graphSeed, (byte) 7);
        return SecureRoundSetup.create(cfg, members, DIMENSION, graphSeed);
    }

    /** An honest round as fuzz input; member {@code silent} (or none, -1) goes quiet after stage 2. */
    static byte[] record(int silent) {
        return record(silent, -1);
    }

    /** As {@link #record(int)}; member {@code liar} (or none, -1) masks a negative weight. */
    static byte[] record(int silent, int liar) {
        SecureRound round = newRound();
        RoundConfig config = SecureRoundSetup.roundConfig(JOB, ROUND, SETUP);
        SecureUpdateFormat format = SecureRoundSetup.format(SETUP, DIMENSION);
        SecureRandom random = new SecureRandom();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        SecAggClient[] clients = new SecAggClient[MEMBERS];
        for (int i = 0; i < MEMBERS; i++) {
            clients[i] = SecAggClient.create(config, ClientId.of(member(i)), identity(i), random);
            step(out, round, SEND, i, clients[i].advertiseKeys().toBytes());
        }
        Map<String, byte[]> directories = close(out, round);
        for (int i = 0; i < MEMBERS; i++) {
            byte[] d = directories.get(member(i));
            step(out, round, SEND, i, clients[i].onKeyDirectory(KeyDirectory.parse(d)).toBytes());
        }
        Map<String, byte[]> bundles = close(out, round);
        for (int i = 0; i < MEMBERS; i++) {
            if (i != silent) {
                clients[i].onShareBundle(ShareBundle.parse(bundles.get(member(i))));
                float[] update = new float[DIMENSION];
                Arrays.fill(update, 0.1f * (i + 1));
                int[] words = format.encode(update, 10 * (i + 1), 2.0, random);
                if (i == liar) {
                    words[DIMENSION] = -1000;
                }
                step(out, round, MASKED_INPUT, i, clients[i].maskInput(words).toBytes());
            }
        }
        Map<String, byte[]> requests = close(out, round);
        for (int i = 0; i < MEMBERS; i++) {
            if (i != silent) {
                byte[] r = requests.get(member(i));
                step(out, round, SEND, i, clients[i].onUnmaskRequest(UnmaskRequest.parse(r)).toBytes());
            }
        }
        out.write(CLOSE_STAGE);
        out.write(0);
        return out.toByteArray();
    }

    private static void step(ByteArrayOutputStream out, SecureRound round, int op, int member, byte[] message) {
        out.write(op);
        out.write(member);
        out.write(message.length >>> 8);
        out.write(message.length);
        out.writeBytes(message);
        if (op == SEND) {
            round.receive(member(member), message);
        } else {
            round.receiveMaskedInput(member(member), message, 0.5);
        }
    }

    private static Map<String, byte[]> close(ByteArrayOutputStream out, SecureRound round) {
        out.write(CLOSE_STAGE);
        out.write(0);
        return round.advance();
    }
}
