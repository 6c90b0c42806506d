package dev.emend.tokenizer;

import java.util.Arrays;
import java.util.List;

/**
 * Token ids [B,T] with an attention mask [B,T] (1 for real tokens, 0 for padding), held as Java arrays; the model
 * turns them into tensors. Rows shorter than T are padded on {@link #side()}.
 */
public final class TokenBatch {
    /** Which end of a row receives padding. */
    public enum Side {
        /** Pad before the tokens (generation: every row ends at T-1). */
        LEFT,
        /** Pad after the tokens (scoring: every row starts at 0). */
        RIGHT
    }

    private final int batch;
    private final int length;
    private final long[] ids;
    private final long[] mask;
    private final int[] lengths;
    private final Side side;

    private TokenBatch(int batch, int length, long[] ids, long[] mask, int[] lengths, Side side) {
        this.batch = batch;
        this.length = length;
        this.ids = ids;
        this.mask = mask;
        this.lengths = lengths;
        this.side = side;
    }

    /**
     * Pads sequences into a batch.
     *
     * @param sequences token ids per row, each non-empty
     * @param side where padding goes
     * @param padId id written into padded slots (masked out, so any valid id)
     * @return the batch
     */
    public static TokenBatch of(List<int[]> sequences, Side side, int padId) {
        if (sequences.isEmpty()) {
            throw new IllegalArgumentException("a batch needs at least one sequence");
        }
        int b = sequences.size();
        int t = 0;
        for (int i = 0; i < b; i++) {
            if (sequences.get(i).length == 0) {
                throw new IllegalArgumentException("sequence %d is empty; every row needs at least one token".formatted(i));
            }
            t = Math.max(t, sequences.get(i).length);
        }
        long[] ids = new long[b * t];
        long[] mask = new long[b * t];
        int[] lengths = new int[b];
        Arrays.fill(ids, padId);
        for (int i = 0; i < b; i++) {
            int[] s = sequences.get(i);
            int offset = side == Side.LEFT ? t - s.length : 0;
            for (int j = 0; j < s.length; j++) {
                ids[i * t + offset + j] = s[j];
                mask[i * t + offset + j] = 1;
            }
            lengths[i] = s.length;
        }
        return new TokenBatch(b, t, ids, mask, lengths, side);
    }

    /**
     * Builds a batch from explicit ids and mask, e.g. read from a fixture.
     *
     * @param batch B
     * @param length T
     * @param ids [B*T] row-major
     * @param mask [B*T] 1/0
     * @return the batch; the side is inferred (RIGHT unless some row starts with padding)
     */
    public static TokenBatch of(int batch, int length, long[] ids, long[] mask) {
        if (ids.length != batch * length || mask.length != batch * length) {
            throw new IllegalArgumentException("ids and mask must have %d x %d entries".formatted(batch, length));
        }
        int[] lengths = new int[batch];
        Side side = Side.RIGHT;
        for (int i = 0; i < batch; i++) {
            for (int j = 0; j < length; j++) {
                lengths[i] += (int) mask[i * length + j];
            }
            if (mask[i * length] == 0 && lengths[i] > 0) {
                side = Side.LEFT;
            }
        }
        return new TokenBatch(batch, length, ids.clone(), mask.clone(), lengths, side);
    }

    /** @param ids one unpadded sequence @return a batch of one */
    public static TokenBatch single(int... ids) {
        return of(List.of(ids), Side.RIGHT, 0);
    }

    /** @return B */
    public int batchSize() {
        return batch;
    }

    /** @return T */
    public int length() {
        return length;
    }

    /** @return the padding side */
    public Side side() {
        return side;
    }

    /** @return ids [B*T] row-major (a copy) */
    public long[] ids() {
        return ids.clone();
    }

    /** @return mask [B*T] row-major (a copy) */
    public long[] mask() {
        return mask.clone();
    }

    /** @param row b @param t position @return the id */
    public long id(int row, int t) {
        return ids[row * length + t];
    }

    /** @param row b @param t position @return true if the slot holds a real token */
    public boolean isReal(int row, int t) {
        return mask[row * length + t] != 0;
    }

    /** @param row b @return the number of real tokens */
    public int realLength(int row) {
        return lengths[row];
    }

    /** @param row b @return the index of the row's last real token */
    public int lastIndex(int row) {
        for (int t = length - 1; t >= 0; t--) {
            if (isReal(row, t)) {
                return t;
            }
        }
        return length - 1;
    }

    /** @param row b @return the index of the row's first real token */
    public int firstIndex(int row) {
        for (int t = 0; t < length; t++) {
            if (isReal(row, t)) {
                return t;
            }
        }
        return 0;
    }

    /** @param row b @return the row's real tokens */
    public int[] tokens(int row) {
        int[] out = new int[lengths[row]];
        int k = 0;
        for (int t = 0; t < length; t++) {
            if (isReal(row, t)) {
                out[k++] = (int) ids[row * length + t];
            }
        }
        return out;
    }

    /** @return true if every slot is real */
    public boolean isDense() {
        for (long m : mask) {
            if (m == 0) {
                return false;
            }
        }
        return true;
    }
}
