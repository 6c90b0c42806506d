package dev.emend.eval.general;

import dev.emend.model.LanguageModel;

/** One general-capability task over local data; stateless, so the same task can score a model before and after an edit. */
public sealed interface ProbeTask permits MultipleChoiceTask, TriviaQaTask, XSumTask {
    /** @return the name used in reports, e.g. "commonsenseqa" */
    String name();

    /**
     * Scores the model on the task's first {@code limit} items.
     *
     * @param model the model, in whatever edit state it is now; it is not changed
     * @param limit how many items to use; 0 or less for all
     * @return the scores
     */
    TaskScores run(LanguageModel model, int limit);
}
