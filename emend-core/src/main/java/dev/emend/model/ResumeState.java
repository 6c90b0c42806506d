package dev.emend.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.emend.tensor.Tensors;
import dev.emend.tokenizer.TokenBatch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * What a forward pass computed up to a hook point, kept so that the rest of the pass can be run again (with other
 * hooks or overrides after the point) without recomputing what comes before it. A pass records it when asked
 * ({@link ForwardRequest.Builder#saveResume}); a later pass starts from it ({@link ForwardRequest.Builder#resume}).
 * This is what the v* optimisation of ROME and MEMIT needs: δ enters at one point, so everything before that point is
 * the same in every step.
 *
 * <table>
 *   <caption>What is kept, by site (the activation is always the one the point's hooks receive, before they run)</caption>
 *   <tr><th>site</th><th>activation</th><th>also kept</th></tr>
 *   <tr><td>EMBED, RESID_PRE, RESID_POST</td><td>the residual stream [B,T,D]</td><td>nothing</td></tr>
 *   <tr><td>ATTN_OUT</td><td>attention output [B,T,D]</td><td>the block input</td></tr>
 *   <tr><td>MLP_POST</td><td>the MLP key [B,T,F]</td><td>sequential blocks: the residual after attention;
 *       parallel blocks: the block input and the attention output (after its hooks)</td></tr>
 *   <tr><td>MLP_OUT</td><td>the MLP output [B,T,D]</td><td>as MLP_POST</td></tr>
 *   <tr><td>FINAL_NORM</td><td>the normalised stream [B,T,D]</td><td>nothing</td></tr>
 * </table>
 *
 * <p>Resuming reproduces the full pass exactly: the same operations run on the same values in the same order. What
 * ran before the point, hooks and overrides included, is frozen into the state; a resumed pass may not hook a point
 * before it, and must not override a parameter used before it (the override would be silently ignored there).
 *
 * <p>{@link #suffix} goes one step further for causal models: a change at the point to positions {@code ≥ from[b]}
 * of row b cannot change any earlier position, so those positions are needed later only as attention keys and
 * values. A state recorded with the keys of later layers ({@code saveResume(point, true)}) can be cut to the slots
 * from {@code from[b]} on; the earlier slots become a read-only past that the resumed pass attends to.
 *
 * <p>The arrays belong to the activation manager and were registered with the scope that was current when the pass
 * (or {@link #suffix}) returned: keep the state in a scope that outlives the passes that resume from it, or close it.
 */
public final class ResumeState implements AutoCloseable {
    private final HookPoint point;
    private final TokenBatch batch;
    private final NDArray activation;
    private final NDArray residual;
    private final NDArray attention;
    private final NDArray[] pastKeys;     // per layer [B,KVH,P,hd] or null; null array if no past
    private final NDArray[] pastValues;
    private final long[] pastMask;        // [B*P], or null if no past
    private final NDArray[] laterKeys;    // per layer [B,KVH,T,hd] of this state's own slots, for suffix(); or null
    private final NDArray[] laterValues;

    ResumeState(HookPoint point, TokenBatch batch, NDArray activation, NDArray residual, NDArray attention,
            NDArray[] pastKeys, NDArray[] pastValues, long[] pastMask, NDArray[] laterKeys, NDArray[] laterValues) {
        this.point = Objects.requireNonNull(point);
        this.batch = Objects.requireNonNull(batch);
        this.activation = Objects.requireNonNull(activation);
        this.residual = residual;
        this.attention = attention;
        this.pastKeys = pastKeys;
        this.pastValues = pastValues;
        this.pastMask = pastMask;
        this.laterKeys = laterKeys;
        this.laterValues = laterValues;
    }

    /**
     * Whether the attention of {@code layer} runs after {@code point}: those layers' keys are what a suffix needs.
     *
     * @param point the resume point
     * @param layer a block
     * @return true if a pass resumed at {@code point} computes attention in {@code layer}
     */
    static boolean attentionRunsAfter(HookPoint point, int layer) {
        return switch (point.site()) {
            case EMBED -> true;
            case RESID_PRE -> layer >= point.layer();
            case FINAL_NORM -> false;
            default -> layer > point.layer();
        };
    }

    /** @return where the pass resumes */
    public HookPoint point() {
        return point;
    }

    /** @return the tokens of the resumed pass: resume with a request for exactly these */
    public TokenBatch batch() {
        return batch;
    }

    /** @return the activation at the point, before its hooks, [B,T,·] */
    public NDArray activation() {
        return activation;
    }

    NDArray residual() {
        return residual;
    }

    NDArray attention() {
        return attention;
    }

    /** @return true if the resumed pass attends to a read-only past (a {@link #suffix}) */
    public boolean hasPast() {
        return pastMask != null;
    }

    /** @return P, the number of past slots (0 without a past) */
    public int pastLength() {
        return pastMask == null ? 0 : pastMask.length / batch.batchSize();
    }

    long[] pastMask() {
        return pastMask;
    }

    NDArray pastKeys(int layer) {
        return pastKeys == null ? null : pastKeys[layer];
    }

    NDArray pastValues(int layer) {
        return pastValues == null ? null : pastValues[layer];
    }

    /** @return true if the keys and values of the later layers were kept, so that {@link #suffix} works */
    public boolean hasLaterKeys() {
        return laterKeys != null;
    }

    /**
     * Cuts the state to the slots {@code from[b]} on of each row. Slots before {@code from[b]} become a read-only
     * past: the resumed pass does not compute them, but its later layers attend to their kept keys and values. The
     * resumed pass then equals the full pass at the kept slots (up to the rounding of different matrix shapes),
     * provided that its hooks change nothing before {@code from[b]} in row b, which causality makes true of any
     * change made at the point to later slots.
     *
     * <p>Positions (learned or rotary) continue from the past: a kept slot keeps its position.
     *
     * @param from from[b]: the first slot of row b to keep, at most the row's last real slot
     * @return a new state over a new batch of the kept slots (right-aligned at slot 0), owning copies of the keys
     * @throws IllegalStateException if the state was saved without later keys, or is itself a suffix
     * @throws IllegalArgumentException if {@code from} does not fit the batch
     */
    public ResumeState suffix(int[] from) {
        if (laterKeys == null) {
            throw new IllegalStateException("this resume state at %s kept no keys of later layers; record it with "
                    .formatted(point) + "ForwardRequest.Builder.saveResume(point, true) to cut it to a suffix");
        }
        if (hasPast()) {
            throw new IllegalStateException("this resume state is already a suffix");
        }
        int b = batch.batchSize();
        int t = batch.length();
        if (from.length != b) {
            throw new IllegalArgumentException("from has %d rows, the batch has %d".formatted(from.length, b));
        }
        int width = 0;
        for (int i = 0; i < b; i++) {
            int last = batch.lastIndex(i);
            if (from[i] < 0 || from[i] > last) {
                throw new IllegalArgumentException("from[%d] = %d is outside the row's slots [0, %d]".formatted(i, from[i], last));
            }
            width = Math.max(width, last + 1 - from[i]);
        }
        long[] ids = new long[b * width];
        long[] mask = new long[b * width];
        long[] gather = new long[b * width];
        long[] past = new long[b * t];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < width; j++) {
                int src = from[i] + j;
                boolean inRow = src < t;
                ids[i * width + j] = batch.id(i, inRow ? src : from[i]);
                mask[i * width + j] = inRow && batch.isReal(i, src) ? 1 : 0;
                gather[i * width + j] = (long) i * t + (inRow ? src : from[i]);
            }
            for (int j = 0; j < from[i]; j++) {
                past[i * t + j] = batch.isReal(i, j) ? 1 : 0;
            }
        }
        TokenBatch kept = TokenBatch.of(b, width, ids, mask);
        NDManager m = activation.getManager();
        NDArray idx = Tensors.create(m, gather, new Shape(gather.length));
        NDArray[] pk = new NDArray[laterKeys.length];
        NDArray[] pv = new NDArray[laterValues.length];
        for (int l = 0; l < laterKeys.length; l++) {
            if (laterKeys[l] != null) {
                pk[l] = laterKeys[l].duplicate();
                pv[l] = laterValues[l].duplicate();
            }
        }
        ResumeState s = new ResumeState(point, kept, rows(activation, idx, b, width), rows(residual, idx, b, width),
                rows(attention, idx, b, width), pk, pv, past, null, null);
        idx.close();
        return s;
    }

    /** x [B,T,W] at the flat slot indices idx: [B,S,W]. */
    private static NDArray rows(NDArray x, NDArray idx, int b, int width) {
        if (x == null) {
            return null;
        }
        Shape s = x.getShape();
        return x.reshape(s.get(0) * s.get(1), s.get(2)).get(idx).reshape(b, width, s.get(2));
    }

    /** @return every array the state holds */
    List<NDArray> arrays() {
        List<NDArray> out = new ArrayList<>();
        out.add(activation);
        if (residual != null) {
            out.add(residual);
        }
        if (attention != null) {
            out.add(attention);
        }
        for (NDArray[] group : new NDArray[][] {pastKeys, pastValues, laterKeys, laterValues}) {
            if (group != null) {
                Arrays.stream(group).filter(Objects::nonNull).forEach(out::add);
            }
        }
        return out;
    }

    /** Frees the kept arrays. */
    @Override
    public void close() {
        arrays().forEach(NDArray::close);
    }
}
