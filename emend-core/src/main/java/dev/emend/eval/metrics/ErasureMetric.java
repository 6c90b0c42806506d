package dev.emend.eval.metrics;

import java.util.Locale;

/**
 * KnowEdit Sanitation's scores, as EasyEdit's {@code run_santinization_llama2.py} computes them from greedy answers
 * (easyedit-reference §2.7): a forget question counts as erased if the edited model's answer contains the target ("I
 * don't know."), and a retain question scores the share of the unedited model's answer tokens that the edited model
 * repeats at the same positions.
 */
public final class ErasureMetric {
    private ErasureMetric() {}

    /**
     * EasyEdit's {@code compare}: {@code target.lower() in answer.lower()}.
     *
     * @param answer the edited model's answer
     * @param target the target, e.g. "I don't know."
     * @return 1 if the answer contains the target, ignoring case, else 0
     */
    public static double forgot(String answer, String target) {
        return answer.toLowerCase(Locale.ROOT).contains(target.toLowerCase(Locale.ROOT)) ? 1 : 0;
    }

    /**
     * EasyEdit's {@code locality}: {@code #{i < |pre| : i < |post| and pre[i] == post[i]} / |pre|}.
     *
     * @param pre the unedited model's answer tokens (the reference)
     * @param post the edited model's answer tokens
     * @return the agreement in [0,1]; for an empty reference, 1 if the answer is empty too, else 0
     */
    public static double retained(int[] pre, int[] post) {
        if (pre.length == 0) {
            return post.length == 0 ? 1 : 0;
        }
        int hits = 0;
        for (int i = 0; i < Math.min(pre.length, post.length); i++) {
            hits += pre[i] == post[i] ? 1 : 0;
        }
        return (double) hits / pre.length;
    }
}
