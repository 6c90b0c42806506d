package dev.emend.stats;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import dev.emend.model.ForwardRequest;
import dev.emend.model.ForwardResult;
import dev.emend.model.HookPoint;
import dev.emend.model.LanguageModel;
import dev.emend.tensor.Tensors;
import dev.emend.tokenizer.TokenBatch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streams a corpus through the model up to {@code blocks.L.mlp.hook_post} and accumulates {@code S += XᵀX} over the
 * keys of every real token (ROME {@code layer_stats.py}): documents are tokenised with the tokenizer's special tokens,
 * truncated to the model's context, right-padded into batches of similar length; padding rows are excluded; the pass
 * stops after the key. Nothing but the [F,F] sum is kept between batches.
 */
public final class LayerStatsCollector {
    private static final Logger LOG = LoggerFactory.getLogger(LayerStatsCollector.class);

    /** Batches hold at most this many tokens (including padding). */
    private static final int TOKENS_PER_BATCH = 4096;

    private final LanguageModel model;

    /** @param model the model, unedited at the layers that feed the key */
    public LayerStatsCollector(LanguageModel model) {
        this.model = model;
    }

    /**
     * Accumulates the second moment.
     *
     * @param layer block index
     * @param corpus the documents
     * @param samples documents to read (capped at the corpus size), ROME's {@code mom2_n_samples}
     * @param dtype "float32" (as the reference) or "float64"
     * @param progress receives the number of documents read so far (may be null)
     * @return the statistic
     */
    public SecondMoment collect(int layer, TextCorpus corpus, int samples, String dtype, IntConsumer progress) {
        DataType acc = accumulationType(dtype);
        int n = Math.min(samples, corpus.size());
        int f = model.config().intermediateSize();
        int maxLen = model.config().maxPositions();
        HookPoint key = HookPoint.mlpPost(layer);
        List<int[]> docs = new ArrayList<>(n);
        for (String d : corpus.documents().subList(0, n)) {
            int[] ids = model.tokenizer().encode(d, true);
            if (ids.length > 0) {
                docs.add(ids.length > maxLen ? Arrays.copyOf(ids, maxLen) : ids);
            }
        }
        // sort by length so that batches carry little padding (ROME sorts by length too)
        docs.sort((a, b) -> Integer.compare(a.length, b.length));
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        long count = 0;
        float[] out;
        try (NDManager m = model.manager().newSubManager()) {
            NDArray sum = m.zeros(new Shape(f, f), acc);                                    // [F,F]
            NDScope.unregister(sum);
            int start = 0;
            while (start < docs.size()) {
                int end = start;
                while (end < docs.size() && (end - start + 1) * docs.get(end).length <= TOKENS_PER_BATCH) {
                    end++;
                }
                end = Math.max(end, start + 1);
                count += accumulate(sum, docs.subList(start, end), key, f, acc);
                if (progress != null) {
                    progress.accept(end);
                }
                start = end;
            }
            out = sum.toType(DataType.FLOAT32, false).toFloatArray();
        } finally {
            JniUtils.setGradMode(grad);
        }
        LOG.info("second moment at layer {}: {} documents, {} key rows", layer, n, count);
        if (count == 0) {
            throw new IllegalArgumentException("corpus '%s' produced no tokens".formatted(corpus.name()));
        }
        return new SecondMoment(layer, f, count, n, out, dtype);
    }

    private long accumulate(NDArray sum, List<int[]> rows, HookPoint key, int f, DataType acc) {
        try (NDScope ignored = new NDScope()) {
            TokenBatch batch = TokenBatch.of(rows, TokenBatch.Side.RIGHT, model.tokenizer().specials().padOrFallback());
            ForwardResult r = model.forward(ForwardRequest.builder(batch).noLogits()
                    .hooks(dev.emend.model.Hooks.builder().stopAfter(key).build()).build());
            NDArray k = r.cache().get(key);                                                 // [B,T,F]
            int b = batch.batchSize();
            int t = batch.length();
            long[] real = new long[Arrays.stream(rows.toArray(int[][]::new)).mapToInt(x -> x.length).sum()];
            int c = 0;
            for (int i = 0; i < b; i++) {
                for (int j = 0; j < t; j++) {
                    if (batch.isReal(i, j)) {
                        real[c++] = (long) i * t + j;
                    }
                }
            }
            NDArray idx = Tensors.create(model.manager(), real, new Shape(real.length));
            NDArray x = k.reshape((long) b * t, f).get(idx);                                // [N,F]
            if (x.getDataType() != acc) {
                x = x.toType(acc, false);
            }
            sum.addi(x.transpose().matMul(x));                                              // S += XᵀX
            return real.length;
        }
    }

    /**
     * @param dtype "float32" or "float64"
     * @return the DJL type
     */
    static DataType accumulationType(String dtype) {
        return switch (dtype) {
            case "float32" -> DataType.FLOAT32;
            case "float64" -> DataType.FLOAT64;
            default -> throw new IllegalArgumentException("mom2_dtype must be float32 or float64, got '%s'".formatted(dtype));
        };
    }
}
