package dev.emend.train;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Packs token sequences into fixed-length blocks for language-model training. Each epoch shuffles the sequences
 * (seeded by epoch), fills blocks greedily so every block starts at a sequence boundary, pads the tail, shuffles the
 * blocks and groups them into batches. Batches are a pure function of (seed, step), so training resumes exactly.
 */
public final class PackedData {
    /** Marks a padded slot in a block. */
    public static final int PAD = -1;

    private final List<int[]> sequences;
    private final int blockLength;
    private final int batchSize;
    private final long seed;
    private int cachedEpoch = -1;
    private List<int[][]> cachedBatches;
    /** epochStarts[e]: the first step of epoch e (grows as steps advance). */
    private final List<Long> epochStarts = new ArrayList<>(List.of(0L));

    /**
     * @param sequences token sequences, each at most {@code tokensPerRow + 1} long (longer ones are cut)
     * @param tokensPerRow T, the model input length; a block holds T+1 tokens (inputs and shifted targets)
     * @param batchSize B
     * @param seed shuffling seed
     */
    public PackedData(List<int[]> sequences, int tokensPerRow, int batchSize, long seed) {
        if (sequences.isEmpty()) {
            throw new IllegalArgumentException("no training sequences");
        }
        this.sequences = sequences;
        this.blockLength = tokensPerRow + 1;
        this.batchSize = batchSize;
        this.seed = seed;
    }

    /** @return batches in one epoch */
    public int batchesPerEpoch() {
        return epoch(0).size();
    }

    /** @return total tokens (without padding) in one epoch */
    public long tokensPerEpoch() {
        long n = 0;
        for (int[] s : sequences) {
            n += Math.min(s.length, blockLength);
        }
        return n;
    }

    /**
     * The batch of a 0-based step.
     *
     * @param step training step, counting from 0
     * @return B blocks of T+1 token ids, {@link #PAD} in padded slots
     */
    public int[][] batch(long step) {
        if (step < 0) {
            throw new IllegalArgumentException("step must be >= 0, got " + step);
        }
        // epochs pack differently, so their lengths differ: find the epoch holding this step from their starts
        int e = 0;
        while (true) {
            if (epochStarts.size() <= e + 1) {
                epochStarts.add(epochStarts.get(e) + epoch(e).size());
            }
            if (step < epochStarts.get(e + 1)) {
                return epoch(e).get((int) (step - epochStarts.get(e)));
            }
            e++;
        }
    }

    private List<int[][]> epoch(int e) {
        if (e == cachedEpoch) {
            return cachedBatches;
        }
        List<int[]> order = new ArrayList<>(sequences);
        Random random = new Random(seed * 1_000_003L + e);
        Collections.shuffle(order, random);
        List<int[]> blocks = new ArrayList<>();
        int[] block = newBlock();
        int fill = 0;
        for (int[] s : order) {
            int len = Math.min(s.length, blockLength);
            if (fill + len > blockLength) {
                blocks.add(block);
                block = newBlock();
                fill = 0;
            }
            System.arraycopy(s, 0, block, fill, len);
            fill += len;
        }
        blocks.add(block);
        Collections.shuffle(blocks, random);
        while (blocks.size() % batchSize != 0) {
            blocks.add(blocks.get(blocks.size() % Math.max(1, blocks.size())));
        }
        List<int[][]> batches = new ArrayList<>();
        for (int i = 0; i < blocks.size(); i += batchSize) {
            batches.add(blocks.subList(i, i + batchSize).toArray(new int[0][]));
        }
        cachedEpoch = e;
        cachedBatches = batches;
        return batches;
    }

    private int[] newBlock() {
        int[] b = new int[blockLength];
        java.util.Arrays.fill(b, PAD);
        return b;
    }
}
