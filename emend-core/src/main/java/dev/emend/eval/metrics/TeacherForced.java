package dev.emend.eval.metrics;

import dev.emend.edit.locate.TargetTokens;
import dev.emend.model.Scorer;
import dev.emend.tokenizer.Tokenizer;
import java.util.Arrays;

/**
 * EasyEdit's teacher-forced token accuracy ({@code evaluate_utils.py::test_prediction_acc}; easyedit-reference §2.2),
 * the scorer behind {@code rewrite_acc}, {@code rephrase_acc}, {@code portability} and (returning the argmaxes
 * instead of an accuracy) {@code locality}.
 *
 * <p>Tokenisation, as EasyEdit does it: the text {@code x = prompt + " " + target} is encoded with special tokens
 * (BOS where the tokenizer adds one), the prompt alone likewise, and {@code prompt_len} is the prompt's token count.
 * The labels are {@code ids(x)[prompt_len:]} and the predictions the argmax at positions
 * {@code prompt_len-1 .. len(x)-2}, so
 * <pre>acc = (1/m) Σ_j 1[argmax_v P(v | x_{&lt;prompt_len+j}) == x_{prompt_len+j}]</pre>
 * over the m target tokens: a fraction in [0,1] with partial credit, not exact match. The one space joins the two
 * strings, which gives GPT-2's byte-level BPE its word-initial {@code "Ġ"} token, SentencePiece its {@code "▁"}, and
 * a whitespace-split vocabulary a word boundary. EasyEdit left-pads a batch and counts pads into {@code prompt_len};
 * the {@link Scorer} right-pads and scores each row on its own tokens, which is the same slice.
 *
 * <p>Deviations, both for inputs EasyEdit mishandles:
 * <ul>
 *   <li>Leading whitespace of the target is stripped before joining (EasyEdit would write two spaces and, for
 *       GPT-2, score a lone {@code "Ġ"} token).
 *   <li>If BPE merges across the boundary so that {@code x} has no tokens after {@code prompt_len} (EasyEdit: a mean
 *       over an empty slice, NaN), the prompt and target are tokenised separately instead: prompt with special tokens,
 *       target by {@link TargetTokens} (the editors' rule). Where {@code ids(x)} does not start with {@code ids(prompt)}
 *       the boundary is still taken at {@code prompt_len}, as EasyEdit does (the shift it causes is part of the
 *       reference metric).
 * </ul>
 */
public final class TeacherForced {
    private TeacherForced() {}

    /**
     * Tokenises one prompt and target the way EasyEdit scores them.
     *
     * @param tok the model's tokenizer
     * @param prompt the prompt, e.g. "Bouvmere is a city in"
     * @param target the answer, e.g. "Vietnam" (leading whitespace is ignored)
     * @return prompt ids (with special tokens) and target ids, whose concatenation is {@code ids(prompt + " " + target)}
     */
    public static Scorer.Request request(Tokenizer tok, String prompt, String target) {
        String t = target.stripLeading();
        if (t.isEmpty()) {
            throw new IllegalArgumentException("target for prompt '%s' is blank".formatted(prompt));
        }
        int[] x = tok.encode(prompt + " " + t, true);
        int promptLen = tok.encode(prompt, true).length;
        if (promptLen >= 1 && x.length > promptLen) {
            return new Scorer.Request(Arrays.copyOf(x, promptLen), Arrays.copyOfRange(x, promptLen, x.length));
        }
        return new Scorer.Request(tok.encode(prompt, true), TargetTokens.encode(tok, t));
    }

    /**
     * The share of positions where the prediction equals the label.
     *
     * @param predicted argmax tokens at the target positions [m]
     * @param labels target tokens [m]
     * @return hits / m, in [0,1]
     */
    public static double accuracy(int[] predicted, int[] labels) {
        if (predicted.length != labels.length || labels.length == 0) {
            throw new IllegalArgumentException("need equal, non-zero lengths; got %d predictions and %d labels"
                    .formatted(predicted.length, labels.length));
        }
        int hits = 0;
        for (int i = 0; i < labels.length; i++) {
            hits += predicted[i] == labels[i] ? 1 : 0;
        }
        return (double) hits / labels.length;
    }
}
