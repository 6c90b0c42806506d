package dev.emend.eval;

import dev.emend.EditException;
import dev.emend.edit.EditRequest;
import dev.emend.edit.EditResult;
import dev.emend.edit.EditSession;
import dev.emend.edit.Editor;
import dev.emend.model.LanguageModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * EasyEdit's editing loop ({@code BaseEditor.edit_requests}; easyedit-reference §5.1): score every case on the
 * unedited model, apply the edits, score again, revert. Each edit is reverted through its
 * {@link dev.emend.edit.ModelPatch} (bit-exact by that contract; this class checks nothing about it), and the model is
 * restored even if scoring throws.
 *
 * <p>The pre-edit pass runs first for all cases, on the unedited model, in shared batches, as EasyEdit does; it also
 * records each case's pre-edit locality argmaxes, which every post-edit pass reuses. A case whose edit throws
 * {@link EditException} (the model is then unchanged, per {@link Editor#apply}) is recorded with its error and no
 * post-edit scores; other exceptions end the run (after the revert).
 */
public final class EditBenchmark {
    /** How edits are applied and when they are evaluated. */
    public enum Mode {
        /** EasyEdit's default ({@code sequential_edit=False}): per case edit, evaluate, revert. */
        SINGLE,
        /**
         * Sequential ("lifelong") editing evaluated after all edits: apply every edit in order on the edited model,
         * then evaluate every case on the final model (EasyEdit before June 2026, WISE's protocol); revert all.
         */
        SEQUENTIAL,
        /** Sequential editing evaluated after each edit, on the model edited so far (EasyEdit HEAD); revert all. */
        SEQUENTIAL_EVAL_EACH,
        /**
         * EasyEdit's {@code batch_edit}: the cases in consecutive batches, each applied at once with
         * {@link Editor#applyAll} (MEMIT, AlphaEdit), evaluated, and reverted; a case's time is its batch's share.
         */
        BATCH
    }

    private final Editor editor;
    private final EditEvaluator evaluator;

    /**
     * @param model the model the editor edits
     * @param editor the editor, bound to {@code model}
     * @param options what to measure
     */
    public EditBenchmark(LanguageModel model, Editor editor, EvalOptions options) {
        this(editor, new EditEvaluator(model, options));
    }

    /**
     * @param editor the editor, bound to the evaluator's model
     * @param evaluator the scorer
     */
    public EditBenchmark(Editor editor, EditEvaluator evaluator) {
        this.editor = Objects.requireNonNull(editor, "editor");
        this.evaluator = Objects.requireNonNull(evaluator, "evaluator");
    }

    /**
     * Runs the cases; afterwards the model is as before (every applied patch reverted).
     *
     * @param requests the cases; case {@code i} gets id {@code i}
     * @param mode single or sequential
     * @return per-case results and their summary
     */
    public EvalReport run(List<EditRequest> requests, Mode mode) {
        return run(requests, mode, 1);
    }

    /**
     * Runs the cases; afterwards the model is as before (every applied patch reverted).
     *
     * @param requests the cases; case {@code i} gets id {@code i}
     * @param mode how to apply and evaluate
     * @param batchSize cases per {@code applyAll} in {@link Mode#BATCH} (ignored otherwise)
     * @return per-case results and their summary
     */
    public EvalReport run(List<EditRequest> requests, Mode mode, int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be at least 1, got " + batchSize);
        }
        List<EditEvaluator.PreEdit> pre = evaluator.pre(requests);
        List<CaseResult> results = switch (mode) {
            case SINGLE -> single(requests, pre);
            case SEQUENTIAL -> sequential(requests, pre, false);
            case SEQUENTIAL_EVAL_EACH -> sequential(requests, pre, true);
            case BATCH -> batches(requests, pre, batchSize);
        };
        return new EvalReport(editor.method(), mode, evaluator.options(), results, Summary.of(results));
    }

    private List<CaseResult> single(List<EditRequest> requests, List<EditEvaluator.PreEdit> pre) {
        List<CaseResult> out = new ArrayList<>();
        for (int i = 0; i < requests.size(); i++) {
            EditRequest r = requests.get(i);
            EditResult edit;
            try {
                edit = editor.apply(r);
            } catch (EditException e) {
                out.add(failed(i, r, pre.get(i), e));
                continue;
            }
            PhaseScores post;
            try {
                post = evaluator.post(i, r, pre.get(i));
            } finally {
                edit.patch().revert();
            }
            out.add(new CaseResult(i, r, pre.get(i).scores(), post, edit.stats().seconds(), null));
        }
        return out;
    }

    private List<CaseResult> batches(List<EditRequest> requests, List<EditEvaluator.PreEdit> pre, int size) {
        List<CaseResult> out = new ArrayList<>();
        for (int start = 0; start < requests.size(); start += size) {
            int end = Math.min(requests.size(), start + size);
            List<Integer> ids = new ArrayList<>();
            for (int i = start; i < end; i++) {
                ids.add(i);
            }
            List<EditRequest> rs = requests.subList(start, end);
            List<EditEvaluator.PreEdit> ps = pre.subList(start, end);
            EditResult edit;
            try {
                edit = editor.applyAll(rs);
            } catch (EditException e) {
                for (int i = start; i < end; i++) {
                    out.add(failed(i, requests.get(i), pre.get(i), e));
                }
                continue;
            }
            List<PhaseScores> scores;
            try {
                scores = evaluator.postCases(ids, rs, ps);
            } finally {
                edit.patch().revert();
            }
            for (int j = 0; j < rs.size(); j++) {
                out.add(new CaseResult(start + j, rs.get(j), ps.get(j).scores(), scores.get(j), edit.stats().seconds() / rs.size(), null));
            }
        }
        return out;
    }

    private List<CaseResult> sequential(List<EditRequest> requests, List<EditEvaluator.PreEdit> pre, boolean evalEach) {
        int n = requests.size();
        double[] time = new double[n];
        PhaseScores[] post = new PhaseScores[n];
        EditException[] errors = new EditException[n];
        EditSession session = new EditSession();
        try {
            for (int i = 0; i < n; i++) {
                try {
                    time[i] = session.apply(editor, requests.get(i)).stats().seconds();
                } catch (EditException e) {
                    errors[i] = e;
                    continue;
                }
                if (evalEach) {
                    post[i] = evaluator.post(i, requests.get(i), pre.get(i));
                }
            }
            if (!evalEach) {
                List<Integer> ids = new ArrayList<>();
                List<EditRequest> rs = new ArrayList<>();
                List<EditEvaluator.PreEdit> ps = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    if (errors[i] == null) {
                        ids.add(i);
                        rs.add(requests.get(i));
                        ps.add(pre.get(i));
                    }
                }
                List<PhaseScores> scores = evaluator.postCases(ids, rs, ps);
                for (int j = 0; j < ids.size(); j++) {
                    post[ids.get(j)] = scores.get(j);
                }
            }
        } finally {
            session.revertAll();
        }
        List<CaseResult> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(errors[i] != null ? failed(i, requests.get(i), pre.get(i), errors[i])
                    : new CaseResult(i, requests.get(i), pre.get(i).scores(), post[i], time[i], null));
        }
        return out;
    }

    private static CaseResult failed(int id, EditRequest r, EditEvaluator.PreEdit pre, EditException e) {
        return new CaseResult(id, r, pre.scores(), null, Double.NaN, String.valueOf(e.getMessage()));
    }
}
