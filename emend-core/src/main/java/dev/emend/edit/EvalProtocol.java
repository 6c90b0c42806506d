package dev.emend.edit;

import dev.emend.edit.EditRequest.Probe;
import java.util.List;

/**
 * A data set's own scoring, which a request carries beside the teacher-forced probes every request gets
 * (easyedit-reference §2.7): the evaluator scores it from these data alone, whatever the editing method. Editors
 * never read it.
 */
public sealed interface EvalProtocol permits EvalProtocol.Sentiment, EvalProtocol.Erasure {

    /**
     * KnowEdit ConvSent's sentiment metric (EasyEdit's {@code compute_sent_metric}): {@code es} from the topic's
     * answers of both sentiments before and after the edit, {@code dd} from the next topic's answers.
     *
     * @param targetSentiment "pos" or "neg", the sentiment the edit asks for
     * @param target every answer of the target sentiment, each after a question about the topic (EasyEdit's
     *     {@code inner_all_qa} rows with {@code same_mask} true); the edit's {@code target_new} is one of them
     * @param other every answer of the other sentiment, likewise ({@code same_mask} false)
     * @param nextTopic every answer (positive, then negative) of the next topic, each after a question about it
     *     (EasyEdit's {@code outer_all_qa})
     */
    record Sentiment(String targetSentiment, List<Probe> target, List<Probe> other, List<Probe> nextTopic)
            implements EvalProtocol {
        /** Requires the sentiment and at least one answer of each kind; copies the lists. */
        public Sentiment {
            if (!"pos".equals(targetSentiment) && !"neg".equals(targetSentiment)) {
                throw new IllegalArgumentException("target sentiment must be 'pos' or 'neg', got '" + targetSentiment + "'");
            }
            if (target == null || target.isEmpty() || other == null || other.isEmpty()) {
                throw new IllegalArgumentException("the sentiment metric needs answers of both sentiments; got %d target, %d other"
                        .formatted(target == null ? 0 : target.size(), other == null ? 0 : other.size()));
            }
            target = List.copyOf(target);
            other = List.copyOf(other);
            nextTopic = nextTopic == null ? List.of() : List.copyOf(nextTopic);
        }
    }

    /**
     * KnowEdit Sanitation's scoring (EasyEdit's {@code run_santinization_llama2.py}): the edited model's greedy answer
     * to the edit prompt should contain {@code target_new} ("I don't know."), and its greedy answers to the locality
     * (retain) probes should agree token by token with the unedited model's.
     *
     * @param maxNewTokens greedy tokens generated per question (EasyEdit: 10)
     */
    record Erasure(int maxNewTokens) implements EvalProtocol {
        /** EasyEdit's answer length. */
        public static final int EASYEDIT_NEW_TOKENS = 10;

        /** Requires a positive length. */
        public Erasure {
            if (maxNewTokens < 1) {
                throw new IllegalArgumentException("max new tokens must be ≥ 1, got " + maxNewTokens);
            }
        }

        /** @return EasyEdit's setting, 10 new tokens */
        public static Erasure easyEdit() {
            return new Erasure(EASYEDIT_NEW_TOKENS);
        }
    }
}
