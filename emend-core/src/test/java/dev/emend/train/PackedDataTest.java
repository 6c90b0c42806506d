package dev.emend.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Packing: every epoch holds every sequence whole, blocks start at sequence boundaries, batches are reproducible. */
class PackedDataTest {
    private static List<int[]> sequences(int n, long seed) {
        Random r = new Random(seed);
        List<int[]> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int[] s = new int[2 + r.nextInt(9)];
            s[0] = 0; // separator
            for (int j = 1; j < s.length; j++) {
                s[j] = 1000 * (i + 1) + j; // unique per (sequence, offset)
            }
            out.add(s);
        }
        return out;
    }

    @Test
    void everyEpochHoldsEverySequenceWholeAndBlocksStartAtBoundaries() {
        List<int[]> seqs = sequences(157, 3);
        PackedData data = new PackedData(seqs, 16, 4, 7);
        long step = 0;
        for (int epoch = 0; epoch < 12; epoch++) {
            Map<Integer, Integer> firstTokens = new HashMap<>();
            int[][] batch;
            // walk one epoch: it ends when the first tokens of every sequence were seen (duplicated pad blocks aside)
            while (firstTokens.size() < seqs.size()) {
                batch = data.batch(step++);
                assertThat(batch).hasNumberOfRows(4);
                for (int[] block : batch) {
                    assertThat(block).hasSize(17);
                    assertThat(block[0]).as("a block starts with a sequence").isEqualTo(0);
                    for (int j = 0; j + 1 < block.length; j++) {
                        if (block[j] == 0 && block[j + 1] != PackedData.PAD) {
                            firstTokens.merge(block[j + 1] / 1000, 1, Integer::sum);
                        }
                    }
                }
            }
            assertThat(firstTokens).hasSize(seqs.size());
        }
    }

    @Test
    void batchesArePureFunctionsOfSeedAndStepAcrossEpochs() {
        List<int[]> seqs = sequences(90, 5);
        PackedData a = new PackedData(seqs, 12, 3, 11);
        PackedData b = new PackedData(seqs, 12, 3, 11);
        PackedData other = new PackedData(seqs, 12, 3, 12);
        for (long step = 0; step < 600; step++) {
            assertThat(a.batch(step)).isDeepEqualTo(b.batch(step));
        }
        // random access (as when resuming) gives the same batch as walking there
        assertThat(new PackedData(seqs, 12, 3, 11).batch(577)).isDeepEqualTo(a.batch(577));
        assertThat(other.batch(0)).isNotEqualTo(a.batch(0));
    }
}
