package dev.emend.eval.general;

import dev.emend.edit.EditRequest;
import dev.emend.edit.EditResult;
import dev.emend.edit.Editor;
import dev.emend.model.LanguageModel;
import java.util.ArrayList;
import java.util.List;

/**
 * The general-capability probe: how far editing harms abilities unrelated to the edited facts (the "general
 * abilities" study of knowledge editing), measured on local files with zero-shot multiple choice, TriviaQA exact match
 * and XSum ROUGE.
 */
public final class GeneralProbe {
    private GeneralProbe() {}

    /**
     * Runs every task on the model as it is now.
     *
     * @param model the model; not changed
     * @param tasks the tasks, run in order
     * @param limit items per task (0 or less: all)
     * @return the scores
     */
    public static ProbeReport run(LanguageModel model, List<? extends ProbeTask> tasks, int limit) {
        List<TaskScores> out = new ArrayList<>();
        for (ProbeTask t : tasks) {
            out.add(t.run(model, limit));
        }
        return new ProbeReport(out);
    }

    /**
     * Probes the unedited model, applies the requests (one edit, or {@link Editor#applyAll} for several: a sequence
     * for one-at-a-time methods, one batch for MEMIT-style ones), probes again, then reverts the edits, also when the
     * second probe fails. The model ends as it started, bit for bit.
     *
     * @param model the model, unedited
     * @param tasks the tasks
     * @param limit items per task (0 or less: all)
     * @param editor the editor bound to {@code model}
     * @param requests the edits, at least one
     * @return before and after scores
     * @throws dev.emend.EditException if an edit cannot be computed (the model is then unchanged)
     */
    public static ProbeComparison beforeAfter(LanguageModel model, List<? extends ProbeTask> tasks, int limit, Editor editor,
            List<EditRequest> requests) {
        if (requests.isEmpty()) {
            throw new IllegalArgumentException("no edit requests");
        }
        ProbeReport before = run(model, tasks, limit);
        EditResult edit = requests.size() == 1 ? editor.apply(requests.get(0)) : editor.applyAll(requests);
        ProbeReport after;
        try {
            after = run(model, tasks, limit);
        } finally {
            edit.patch().revert();
        }
        return new ProbeComparison(before, after, editor.method(), requests.size(), edit.stats());
    }
}
