package dev.emend.eval;

import dev.emend.eval.metrics.TeacherForced;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The scores of one case in one phase ({@code pre} or {@code post} in EasyEdit's per-case record; §2.1).
 *
 * @param rewrite the teacher-forced pass on the edit prompt and {@code target_new}; its accuracy is {@code rewrite_acc}
 * @param rephrase the same on each rephrase prompt ({@code rephrase_acc}); empty if the request has none
 * @param locality per locality key, the agreement of each probe's argmaxes with the unedited model's
 *     ({@code <key>_acc}); empty in the pre phase, where EasyEdit keeps only the raw outputs
 * @param portability per portability key, the teacher-forced pass on each probe and its ground truth
 *     ({@code <key>_acc})
 * @param fluency the n-gram entropy of a sampled continuation of the edit prompt, or null if not asked
 * @param generation the generation-based protocol's answers, or null if not asked
 * @param protocol the scores of the request's {@link dev.emend.edit.EvalProtocol} (ConvSent's {@code es}/{@code dd},
 *     Sanitation's), or null if it has none
 */
public record PhaseScores(List<TokenMatch> rewrite, List<TokenMatch> rephrase, Map<String, List<Double>> locality,
        Map<String, List<TokenMatch>> portability, Fluency fluency, Generation generation, ProtocolScores protocol) {

    /** Copies the collections. */
    public PhaseScores {
        rewrite = List.copyOf(rewrite);
        rephrase = List.copyOf(rephrase);
        locality = copy(locality);
        portability = copy(portability);
    }

    /**
     * Scores without a data-set protocol.
     *
     * @param rewrite the edit prompt's pass
     * @param rephrase the rephrase prompts' passes
     * @param locality per key, agreements
     * @param portability per key, passes
     * @param fluency fluency, or null
     * @param generation the generation protocol, or null
     */
    public PhaseScores(List<TokenMatch> rewrite, List<TokenMatch> rephrase, Map<String, List<Double>> locality,
            Map<String, List<TokenMatch>> portability, Fluency fluency, Generation generation) {
        this(rewrite, rephrase, locality, portability, fluency, generation, null);
    }

    /** The scores of a request's {@link dev.emend.edit.EvalProtocol}. */
    public sealed interface ProtocolScores permits Sentiment, Erasure {}

    /**
     * ConvSent's metric ({@link dev.emend.eval.metrics.SentimentMetric}). Before the edit, {@code zTopic} is 1 and
     * {@code es} is the unedited model's {@code zSent}, a baseline EasyEdit does not report; {@code dd} is null.
     *
     * @param es {@code zSent · zTopic}, EasyEdit's {@code es}
     * @param zSent σ(target − other mean log-probability)
     * @param zTopic min(1, exp(target mean log-probability after − before))
     * @param dd mean token KL(pre ‖ post) on the next topic's answers (EasyEdit's {@code dd}; lower is better), or
     *     null before the edit or without a next topic
     * @param targetLogProb pooled mean log-probability of the target-sentiment answers
     * @param otherLogProb pooled mean log-probability of the other sentiment's answers
     */
    public record Sentiment(double es, double zSent, double zTopic, Double dd, double targetLogProb, double otherLogProb)
            implements ProtocolScores {}

    /**
     * Sanitation's scoring: greedy answers ({@link dev.emend.edit.EvalProtocol.Erasure#maxNewTokens()} tokens).
     *
     * @param forget the answer to the edit prompt; its score is 1 if it contains {@code target_new} ("I don't
     *     know."), ignoring case (EasyEdit's {@code compare})
     * @param retain after the edit, per locality (retain) probe: the answer, the unedited model's answer as reference,
     *     and the share of the reference's tokens that the answer repeats at the same positions (EasyEdit's
     *     {@code locality}); empty before the edit
     */
    public record Erasure(ErasureAnswer forget, List<ErasureAnswer> retain) implements ProtocolScores {
        /** Copies the list. */
        public Erasure {
            retain = List.copyOf(retain);
        }

        /** @return the retain scores */
        public List<Double> retainScores() {
            return retain.stream().map(ErasureAnswer::score).toList();
        }
    }

    /**
     * One greedy answer of Sanitation's scoring.
     *
     * @param prompt the question prompt
     * @param answer the decoded new tokens (special tokens left out)
     * @param reference {@code target_new} for the forget question, the unedited model's answer for a retain one
     * @param score forget: 1 or 0; retain: the token agreement in [0,1]
     */
    public record ErasureAnswer(String prompt, String answer, String reference, double score) {}

    /**
     * One teacher-forced pass: the target tokens and the model's argmax at each target position.
     *
     * @param prompt the prompt
     * @param target the target text
     * @param labels target token ids [m]
     * @param predicted argmax token ids at the target positions [m]
     */
    public record TokenMatch(String prompt, String target, int[] labels, int[] predicted) {
        /** Checks the lengths. */
        public TokenMatch {
            if (labels.length != predicted.length || labels.length == 0) {
                throw new IllegalArgumentException("labels and predictions must have the same, non-zero length");
            }
            labels = labels.clone();
            predicted = predicted.clone();
        }

        /** @return the token accuracy, EasyEdit's per-prompt {@code *_acc} value */
        public double accuracy() {
            return TeacherForced.accuracy(predicted, labels);
        }

        /** @return 1 if the first target token is the argmax, else 0 (not an EasyEdit metric; ROME's efficacy cut) */
        public double firstToken() {
            return predicted[0] == labels[0] ? 1 : 0;
        }
    }

    /**
     * The fluency measurement.
     *
     * @param ngramEntropy EasyEdit's {@code ngram_entropy}, in bits
     * @param text the scored text: prompt and sampled continuation, cleaned as EasyEdit cleans it
     */
    public record Fluency(double ngramEntropy, String text) {}

    /**
     * One greedy answer of the generation protocol.
     *
     * @param prompt the probe prompt
     * @param answer the generated answer: at most (reference tokens + margin) tokens, cut before the first "." or
     *     newline (EasyEdit's LLM-judge stop strings), trimmed
     * @param reference what it is compared to: {@code target_new} (rewrite, rephrase), the probe's ground truth
     *     (portability; locality before the edit), or the unedited model's answer (locality after the edit)
     * @param exactMatch 1 if the SQuAD-normalised strings are equal
     * @param f1 SQuAD token F1
     */
    public record AnswerScore(String prompt, String answer, String reference, double exactMatch, double f1) {}

    /**
     * The generation-based protocol for one phase, by probe kind.
     *
     * @param rewrite the edit prompt
     * @param rephrase the rephrase prompts
     * @param locality per key, each probe
     * @param portability per key, each probe
     */
    public record Generation(List<AnswerScore> rewrite, List<AnswerScore> rephrase,
            Map<String, List<AnswerScore>> locality, Map<String, List<AnswerScore>> portability) {
        /** Copies the collections. */
        public Generation {
            rewrite = List.copyOf(rewrite);
            rephrase = List.copyOf(rephrase);
            locality = copy(locality);
            portability = copy(portability);
        }
    }

    /** @return EasyEdit's {@code rewrite_acc}: one token accuracy per edit prompt */
    public List<Double> rewriteAcc() {
        return accuracies(rewrite);
    }

    /** @return EasyEdit's {@code rephrase_acc}: one token accuracy per rephrase prompt (empty if none) */
    public List<Double> rephraseAcc() {
        return accuracies(rephrase);
    }

    /** @return per portability key, one token accuracy per probe ({@code <key>_acc}) */
    public Map<String, List<Double>> portabilityAcc() {
        return map(portability, PhaseScores::accuracies);
    }

    private static List<Double> accuracies(List<TokenMatch> m) {
        List<Double> out = new ArrayList<>();
        m.forEach(t -> out.add(t.accuracy()));
        return Collections.unmodifiableList(out);
    }

    static <A, B> Map<String, B> map(Map<String, A> in, Function<A, B> f) {
        Map<String, B> out = new LinkedHashMap<>();
        in.forEach((k, v) -> out.put(k, f.apply(v)));
        return Collections.unmodifiableMap(out);
    }

    private static <T> Map<String, List<T>> copy(Map<String, List<T>> m) {
        Map<String, List<T>> out = new LinkedHashMap<>();
        m.forEach((k, v) -> out.put(k, List.copyOf(v)));
        return Collections.unmodifiableMap(out);
    }
}
