package dev.emend.model;

import dev.emend.tensor.Tensors;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import dev.emend.tokenizer.TokenBatch;
import dev.emend.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.List;

/**
 * Teacher-forced scoring of a target continuation: log p(target token j | prompt, target tokens before j). The prompt
 * is encoded with special tokens (BOS where the tokenizer adds one) and the target without, then concatenated, as
 * ROME and EasyEdit do; the caller writes the target with its leading space where the tokenizer needs one
 * (" Paris" for GPT-2). Rows are right-padded into batches and logits are computed only at the scored positions.
 */
public final class Scorer {
    private static final int DEFAULT_BATCH = 16;

    private final LanguageModel model;
    private final int batchSize;

    /** @param model the model to score with */
    public Scorer(LanguageModel model) {
        this(model, DEFAULT_BATCH);
    }

    /**
     * @param model the model to score with
     * @param batchSize rows per forward pass
     */
    public Scorer(LanguageModel model, int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
        }
        this.model = model;
        this.batchSize = batchSize;
    }

    /**
     * A prompt and its target, as token ids.
     *
     * @param prompt prompt tokens, non-empty
     * @param target target tokens, non-empty
     */
    public record Request(int[] prompt, int[] target) {
        /** Checks both parts are non-empty. */
        public Request {
            if (prompt.length == 0 || target.length == 0) {
                throw new IllegalArgumentException("prompt and target must each have at least one token");
            }
        }
    }

    /**
     * Scores of one target.
     *
     * @param targetIds the target's tokens
     * @param logProbs log p of each target token [m]
     * @param argmax the model's most likely token at each target position [m]
     */
    public record TargetScore(int[] targetIds, float[] logProbs, int[] argmax) {
        /** @return the sum of log-probabilities (log p of the whole target) */
        public double total() {
            double s = 0;
            for (float f : logProbs) {
                s += f;
            }
            return s;
        }

        /** @return the mean log-probability per token */
        public double mean() {
            return total() / logProbs.length;
        }

        /** @return the fraction of positions where the argmax equals the target token */
        public double tokenAccuracy() {
            int hit = 0;
            for (int i = 0; i < argmax.length; i++) {
                hit += argmax[i] == targetIds[i] ? 1 : 0;
            }
            return (double) hit / argmax.length;
        }
    }

    /**
     * Scores a text target after a text prompt.
     *
     * @param prompt the prompt
     * @param target the target, including any leading space
     * @return the score
     */
    public TargetScore score(String prompt, String target) {
        return scoreTexts(List.of(prompt), List.of(target)).get(0);
    }

    /**
     * Scores text targets in batches.
     *
     * @param prompts prompts
     * @param targets one target per prompt
     * @return one score per pair
     */
    public List<TargetScore> scoreTexts(List<String> prompts, List<String> targets) {
        if (prompts.size() != targets.size()) {
            throw new IllegalArgumentException("%d prompts but %d targets".formatted(prompts.size(), targets.size()));
        }
        Tokenizer tok = model.tokenizer();
        List<Request> requests = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            requests.add(new Request(tok.encode(prompts.get(i), true), tok.encode(targets.get(i), false)));
        }
        return score(requests);
    }

    /**
     * Scores tokenised requests in batches.
     *
     * @param requests prompt and target ids
     * @return one score per request
     */
    public List<TargetScore> score(List<Request> requests) {
        List<TargetScore> out = new ArrayList<>();
        for (int start = 0; start < requests.size(); start += batchSize) {
            out.addAll(scoreBatch(requests.subList(start, Math.min(requests.size(), start + batchSize))));
        }
        return out;
    }

    /**
     * The model's whole next-token distribution at each target position, for metrics that compare two distributions
     * (a KL divergence). Rows are batched as in {@link #score(List)}.
     *
     * @param requests prompt and target ids
     * @return per request, {@code log p(v | prompt, target_<j)} for every token v, row-major [m × V] (m target tokens,
     *     V the vocabulary size)
     */
    public List<float[]> logProbDistributions(List<Request> requests) {
        List<float[]> out = new ArrayList<>();
        for (int start = 0; start < requests.size(); start += batchSize) {
            List<Request> batch = requests.subList(start, Math.min(requests.size(), start + batchSize));
            try (NDScope ignored = new NDScope()) {
                NDArray lp = logSoftmaxAtTargets(batch);                                  // [B,P,V]
                int p = (int) lp.getShape().get(1);
                int v = (int) lp.getShape().get(2);
                float[] all = lp.toFloatArray();
                for (int i = 0; i < batch.size(); i++) {
                    int m = batch.get(i).target().length;
                    float[] row = new float[m * v];
                    System.arraycopy(all, i * p * v, row, 0, m * v);
                    out.add(row);
                }
            }
        }
        return out;
    }

    /** Log-softmax at each row's target positions, padded to the longest target by repeating the last [B,P,V]. */
    private NDArray logSoftmaxAtTargets(List<Request> requests) {
        int b = requests.size();
        List<int[]> rows = new ArrayList<>();
        int maxTarget = 0;
        for (Request r : requests) {
            int[] row = new int[r.prompt().length + r.target().length];
            System.arraycopy(r.prompt(), 0, row, 0, r.prompt().length);
            System.arraycopy(r.target(), 0, row, r.prompt().length, r.target().length);
            rows.add(row);
            maxTarget = Math.max(maxTarget, r.target().length);
        }
        TokenBatch batch = TokenBatch.of(rows, TokenBatch.Side.RIGHT, model.tokenizer().specials().padOrFallback());
        int[][] positions = new int[b][maxTarget];
        for (int i = 0; i < b; i++) {
            Request r = requests.get(i);
            for (int j = 0; j < maxTarget; j++) {
                int jj = Math.min(j, r.target().length - 1); // pad with a repeat; ignored by the callers
                positions[i][j] = r.prompt().length + jj - 1;
            }
        }
        ForwardResult res = model.forward(ForwardRequest.builder(batch).logitsAt(positions).build());
        return res.logits().logSoftmax(-1);                                                 // [B,P,V]
    }

    private List<TargetScore> scoreBatch(List<Request> requests) {
        int b = requests.size();
        int maxTarget = requests.stream().mapToInt(r -> r.target().length).max().orElse(0);
        long[] targets = new long[b * maxTarget];
        for (int i = 0; i < b; i++) {
            Request r = requests.get(i);
            for (int j = 0; j < maxTarget; j++) {
                targets[i * maxTarget + j] = r.target()[Math.min(j, r.target().length - 1)];
            }
        }
        float[] logp;
        long[] best;
        try (NDScope ignored = new NDScope()) {
            NDArray lp = logSoftmaxAtTargets(requests);                                  // [B,P,V]
            NDArray tgt = Tensors.create(model.manager(), targets, new ai.djl.ndarray.types.Shape(b, maxTarget, 1));
            logp = lp.gather(tgt, 2).toFloatArray();                                    // [B,P]
            best = lp.argMax(2).toLongArray();                                          // [B,P]
        }
        List<TargetScore> out = new ArrayList<>();
        for (int i = 0; i < b; i++) {
            int m = requests.get(i).target().length;
            float[] l = new float[m];
            int[] a = new int[m];
            for (int j = 0; j < m; j++) {
                l[j] = logp[i * maxTarget + j];
                a[j] = (int) best[i * maxTarget + j];
            }
            out.add(new TargetScore(requests.get(i).target().clone(), l, a));
        }
        return out;
    }
}
