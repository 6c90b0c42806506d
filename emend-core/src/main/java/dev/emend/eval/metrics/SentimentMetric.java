package dev.emend.eval.metrics;

import java.util.List;
import java.util.PriorityQueue;

/**
 * KnowEdit ConvSent's metric, EasyEdit's {@code compute_sent_metric} ({@code evaluate/personality_evaluate.py}, with
 * {@code es} and {@code kl_loc_loss} of {@code evaluate_utils.py}; easyedit-reference §2.7), from the maths:
 * <pre>
 * z_sent  = σ( mean logp_post(target-sentiment answers) − mean logp_post(other-sentiment answers) )
 * z_topic = min(1, exp( mean logp_post(target-sentiment answers) − mean logp_pre(target-sentiment answers) ))
 * es      = z_sent · z_topic
 * dd      = Σ_t KL( p_pre(·|t) ‖ p_post(·|t) ) / #t      over every answer token t of the next topic
 * </pre>
 * Each mean is EasyEdit's {@code masked_mean}: pooled over every answer token of every answer of the set (not a mean
 * of per-answer means, not a sum), so long answers weigh more. {@code dd} is likewise pooled over tokens; lower is
 * better (0 when the edit leaves the next topic's distributions as they were).
 *
 * <p>The pre-edit distribution of a {@code dd} position is kept as a {@link Sketch}: its top-k tokens and the mass of
 * the rest. The KL against the post-edit distribution then merges the rest into one outcome, which by the log-sum
 * inequality is a lower bound of the full KL and equals it when k covers the vocabulary.
 *
 * <p>Differences from EasyEdit's code, all where it departs from the maths above:
 * <ul>
 *   <li>EasyEdit's {@code es} gathers {@code log_softmax(logits)} at the row's own token ids without shifting them
 *       against the logits, so each value is the next-token probability of the token already there; here each answer
 *       token is scored given the tokens before it (teacher forcing, as every other metric).
 *   <li>EasyEdit's rows are {@code question + " </s> " + answer} for llama (128 tokens at most), masked from the
 *       {@code </s>} on, which also scores the separator's and the last position's predictions and, in a padded
 *       batch, pad positions; here a row is {@code question + " " + answer}, tokenised as the teacher-forced probes,
 *       and exactly the answer tokens are scored.
 *   <li>EasyEdit calls {@code compute_sent_metric(self.model, edited_model, …)} after the edit; for editors that
 *       change the weights in place (ROME, MEMIT, FT) both are the same module, so its "pre" logits are the edited
 *       model's, {@code z_topic} is 1 and {@code dd} is 0, which would explain the 0.00 Locality of ROME, MEMIT, FT-L
 *       and FT-M in KnowEdit's ConvSent row. Here "pre" is the unedited model (the pre-edit pass).
 *   <li>{@code dd} comes from the pre-edit {@link Sketch}es (top-k, a lower bound; exact with k ≥ V).
 * </ul>
 */
public final class SentimentMetric {
    private SentimentMetric() {}

    /**
     * The pooled mean log-probability, EasyEdit's {@code masked_mean} over the answer tokens of a set of rows.
     *
     * @param logProbs per answer, the log-probability of each of its tokens [m_i]
     * @return Σ_i Σ_j logProbs[i][j] / Σ_i m_i
     * @throws IllegalArgumentException if there is no token
     */
    public static double pooledMean(List<float[]> logProbs) {
        double sum = 0;
        long n = 0;
        for (float[] lp : logProbs) {
            for (float f : lp) {
                sum += f;
            }
            n += lp.length;
        }
        if (n == 0) {
            throw new IllegalArgumentException("no answer token to average");
        }
        return sum / n;
    }

    /**
     * @param targetPost pooled mean log-probability of the target-sentiment answers, after the edit
     * @param otherPost the same for the other sentiment's answers, after the edit
     * @return {@code σ(targetPost − otherPost)}, in (0,1)
     */
    public static double zSent(double targetPost, double otherPost) {
        return 1 / (1 + Math.exp(-(targetPost - otherPost)));
    }

    /**
     * @param targetPost pooled mean log-probability of the target-sentiment answers, after the edit
     * @param targetPre the same before the edit
     * @return {@code min(1, exp(targetPost − targetPre))}: 1 unless the edit made the topic's answers less likely
     */
    public static double zTopic(double targetPost, double targetPre) {
        return Math.min(1, Math.exp(targetPost - targetPre));
    }

    /**
     * The unedited model's distribution at one position, kept for a later KL: the k most likely tokens with their
     * log-probabilities, and the total probability of the other tokens.
     *
     * @param vocab the vocabulary size V
     * @param ids the kept tokens, most likely first [k]
     * @param logProbs their log-probabilities [k]
     * @param tailMass the probability of the V − k other tokens (0 when k = V)
     */
    public record Sketch(int vocab, int[] ids, float[] logProbs, double tailMass) {
        /** Checks the sizes. */
        public Sketch {
            if (ids.length != logProbs.length || ids.length == 0 || ids.length > vocab) {
                throw new IllegalArgumentException("a sketch needs 1..V ids and one log-probability each; got %d ids, %d values, V=%d"
                        .formatted(ids.length, logProbs.length, vocab));
            }
            ids = ids.clone();
            logProbs = logProbs.clone();
        }

        /** @return true if every token is kept, so the KL is exact */
        public boolean exact() {
            return ids.length == vocab;
        }

        /**
         * Keeps the top {@code k} tokens of one position's distribution.
         *
         * @param logProbs log-probabilities, row-major [positions × V]
         * @param offset where this position's V values start
         * @param vocab V
         * @param k tokens to keep (all if ≥ V)
         * @return the sketch
         */
        public static Sketch of(float[] logProbs, int offset, int vocab, int k) {
            int keep = Math.min(Math.max(1, k), vocab);
            int[] ids;
            if (keep == vocab) {
                ids = new int[vocab];
                for (int v = 0; v < vocab; v++) {
                    ids[v] = v;
                }
            } else {
                // min-heap of the best `keep` tokens so far
                PriorityQueue<Integer> heap = new PriorityQueue<>(keep + 1,
                        (a, b) -> Float.compare(logProbs[offset + a], logProbs[offset + b]));
                for (int v = 0; v < vocab; v++) {
                    if (heap.size() < keep) {
                        heap.add(v);
                    } else if (logProbs[offset + v] > logProbs[offset + heap.peek()]) {
                        heap.poll();
                        heap.add(v);
                    }
                }
                ids = new int[keep];
                for (int i = keep - 1; i >= 0; i--) {
                    ids[i] = heap.poll();
                }
            }
            float[] lp = new float[ids.length];
            boolean[] kept = new boolean[vocab];
            for (int i = 0; i < ids.length; i++) {
                lp[i] = logProbs[offset + ids[i]];
                kept[ids[i]] = true;
            }
            double tail = 0;
            if (keep < vocab) {
                for (int v = 0; v < vocab; v++) {
                    if (!kept[v]) {
                        tail += Math.exp(logProbs[offset + v]);
                    }
                }
            }
            return new Sketch(vocab, ids, lp, tail);
        }

        /**
         * {@code KL(pre ‖ post)} at this position: {@code Σ_v p(v) (log p(v) − log q(v))} over the kept tokens, plus
         * {@code P_rest · log(P_rest / Q_rest)} for the rest merged into one outcome (absent when every token is kept).
         *
         * @param post the edited model's log-probabilities, row-major [positions × V]
         * @param offset where this position's V values start
         * @return the divergence in nats, ≥ 0 up to rounding
         */
        public double klTo(float[] post, int offset) {
            double kl = 0;
            double keptPost = 0;
            for (int i = 0; i < ids.length; i++) {
                double lp = logProbs[i];
                double lq = post[offset + ids[i]];
                kl += Math.exp(lp) * (lp - lq);
                keptPost += Math.exp(lq);
            }
            if (!exact() && tailMass > 0) {
                double restPost = 0;
                boolean[] kept = new boolean[vocab];
                for (int id : ids) {
                    kept[id] = true;
                }
                for (int v = 0; v < vocab; v++) {
                    if (!kept[v]) {
                        restPost += Math.exp(post[offset + v]);
                    }
                }
                restPost = restPost > 0 ? restPost : Math.max(Double.MIN_NORMAL, 1 - keptPost);
                kl += tailMass * (Math.log(tailMass) - Math.log(restPost));
            }
            return kl;
        }
    }

    /**
     * EasyEdit's {@code kl_loc_loss} with its answer mask: the mean over positions of {@code KL(pre ‖ post)}.
     *
     * @param pre per answer, the sketches of its positions
     * @param post per answer, the edited model's log-probabilities [m_i × V]
     * @return the pooled mean over every position of every answer
     * @throws IllegalArgumentException if the shapes disagree or there is no position
     */
    public static double dd(List<List<Sketch>> pre, List<float[]> post) {
        if (pre.size() != post.size()) {
            throw new IllegalArgumentException("%d pre-edit answers but %d post-edit ones".formatted(pre.size(), post.size()));
        }
        double sum = 0;
        long n = 0;
        for (int i = 0; i < pre.size(); i++) {
            List<Sketch> positions = pre.get(i);
            float[] q = post.get(i);
            for (int t = 0; t < positions.size(); t++) {
                Sketch s = positions.get(t);
                if (q.length != positions.size() * s.vocab()) {
                    throw new IllegalArgumentException("answer %d: %d pre-edit positions of V=%d but %d post-edit values"
                            .formatted(i, positions.size(), s.vocab(), q.length));
                }
                sum += s.klTo(q, t * s.vocab());
                n++;
            }
        }
        if (n == 0) {
            throw new IllegalArgumentException("no answer position to compare");
        }
        return sum / n;
    }
}
