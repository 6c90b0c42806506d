package dev.emend.eval;

import dev.emend.EditException;
import dev.emend.edit.EditRequest;
import dev.emend.edit.EditResult;
import dev.emend.edit.EditSession;
import dev.emend.edit.Editor;
import dev.emend.model.LanguageModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Set;

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
 *
 * <p>A {@link Plan} lets a caller supply the pre-edit measurements (e.g. from a cache), receive each finished case or
 * batch as it completes ({@link CaseListener}, e.g. to append it to a file), and resume an interrupted run by naming
 * the cases already done: in {@link Mode#SINGLE} and {@link Mode#BATCH} they are not run again; in the sequential
 * modes their edits are applied again, in order and without scoring, so that the later cases are edited and scored
 * on the same model state as in an uninterrupted run (deterministic editors assumed).
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

    /** Receives results as they finish, before the next case starts. */
    @FunctionalInterface
    public interface CaseListener {
        /** Ignores everything. */
        CaseListener NONE = (results, edit) -> { };

        /**
         * Called once per finished unit: one case ({@link Mode#SINGLE}, the sequential modes) or one batch
         * ({@link Mode#BATCH}). In {@link Mode#SINGLE} and {@link Mode#BATCH} the edit is already reverted; in the
         * sequential modes it is still applied. An exception thrown here ends the run (the model is still restored).
         *
         * @param results the finished cases, in case order
         * @param edit the edit that produced them (the case's own edit, or the batch's), or null if it failed
         */
        void onCases(List<CaseResult> results, EditResult edit);
    }

    /**
     * How to run the cases.
     *
     * @param batchSize cases per {@code applyAll} in {@link Mode#BATCH} (ignored otherwise)
     * @param pre the pre-edit measurement of every case (by case id, as {@link EditEvaluator#pre(List)} returns
     *     them), or null to compute them; entries of cases in {@code done} may be null
     * @param done ids of cases already done by an earlier, interrupted run; in {@link Mode#BATCH} whole batches only
     * @param listener receives each finished case or batch
     */
    public record Plan(int batchSize, List<EditEvaluator.PreEdit> pre, Set<Integer> done, CaseListener listener) {
        /** Validates the batch size and copies the set. */
        public Plan {
            if (batchSize < 1) {
                throw new IllegalArgumentException("batch size must be at least 1, got " + batchSize);
            }
            pre = pre == null ? null : java.util.Collections.unmodifiableList(new ArrayList<>(pre));
            done = Set.copyOf(done);
            Objects.requireNonNull(listener, "listener");
        }

        /** @param batchSize cases per batch @return a plan that computes everything and runs every case */
        public static Plan of(int batchSize) {
            return new Plan(batchSize, null, Set.of(), CaseListener.NONE);
        }

        /** @param measurements pre-edit measurements by case id @return a copy */
        public Plan withPre(List<EditEvaluator.PreEdit> measurements) {
            return new Plan(batchSize, measurements, done, listener);
        }

        /** @param ids cases already done @return a copy */
        public Plan withDone(Set<Integer> ids) {
            return new Plan(batchSize, pre, ids, listener);
        }

        /** @param l the listener @return a copy */
        public Plan withListener(CaseListener l) {
            return new Plan(batchSize, pre, done, l);
        }
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
        return run(requests, mode, Plan.of(batchSize));
    }

    /**
     * Runs the cases of a plan; afterwards the model is as before (every applied patch reverted).
     *
     * @param requests all cases; case {@code i} gets id {@code i}
     * @param mode how to apply and evaluate
     * @param plan batch size, pre-edit measurements, cases already done, listener
     * @return the results of the cases run now (not those in {@code plan.done()}) and their summary
     * @throws IllegalArgumentException if the pre-edit list does not match the requests, or (batch mode) a batch is
     *     only partly done
     */
    public EvalReport run(List<EditRequest> requests, Mode mode, Plan plan) {
        List<EditEvaluator.PreEdit> pre = plan.pre() != null ? plan.pre() : preFor(requests, plan.done());
        if (pre.size() != requests.size()) {
            throw new IllegalArgumentException("%d requests but %d pre-edit measurements".formatted(requests.size(), pre.size()));
        }
        List<CaseResult> results = switch (mode) {
            case SINGLE -> single(requests, pre, plan);
            case SEQUENTIAL -> sequential(requests, pre, false, plan);
            case SEQUENTIAL_EVAL_EACH -> sequential(requests, pre, true, plan);
            case BATCH -> batches(requests, pre, plan);
        };
        return new EvalReport(editor.method(), mode, evaluator.options(), results, Summary.of(results));
    }

    /** The pre-edit pass over every case not done, in shared batches; null for the done ones. */
    private List<EditEvaluator.PreEdit> preFor(List<EditRequest> requests, Set<Integer> done) {
        if (done.isEmpty()) {
            return evaluator.pre(requests);
        }
        List<Integer> ids = new ArrayList<>();
        List<EditRequest> todo = new ArrayList<>();
        for (int i = 0; i < requests.size(); i++) {
            if (!done.contains(i)) {
                ids.add(i);
                todo.add(requests.get(i));
            }
        }
        EditEvaluator.PreEdit[] out = new EditEvaluator.PreEdit[requests.size()];
        List<EditEvaluator.PreEdit> computed = evaluator.preCases(ids, todo);
        for (int j = 0; j < ids.size(); j++) {
            out[ids.get(j)] = computed.get(j);
        }
        return Arrays.asList(out);
    }

    private List<CaseResult> single(List<EditRequest> requests, List<EditEvaluator.PreEdit> pre, Plan plan) {
        List<CaseResult> out = new ArrayList<>();
        for (int i = 0; i < requests.size(); i++) {
            if (plan.done().contains(i)) {
                continue;
            }
            EditRequest r = requests.get(i);
            EditResult edit;
            try {
                edit = editor.apply(r);
            } catch (EditException e) {
                CaseResult f = failed(i, r, pre.get(i), e);
                out.add(f);
                plan.listener().onCases(List.of(f), null);
                continue;
            }
            PhaseScores post;
            try {
                post = evaluator.post(i, r, pre.get(i));
            } finally {
                edit.patch().revert();
            }
            CaseResult c = new CaseResult(i, r, pre.get(i).scores(), post, edit.stats().seconds(), null);
            out.add(c);
            plan.listener().onCases(List.of(c), edit);
        }
        return out;
    }

    private List<CaseResult> batches(List<EditRequest> requests, List<EditEvaluator.PreEdit> pre, Plan plan) {
        int size = plan.batchSize();
        List<CaseResult> out = new ArrayList<>();
        for (int start = 0; start < requests.size(); start += size) {
            int end = Math.min(requests.size(), start + size);
            List<Integer> ids = new ArrayList<>();
            for (int i = start; i < end; i++) {
                ids.add(i);
            }
            long doneHere = ids.stream().filter(plan.done()::contains).count();
            if (doneHere == ids.size()) {
                continue;
            }
            if (doneHere > 0) {
                throw new IllegalArgumentException("batch of cases %d-%d is only partly done (%d of %d); a batch resumes whole"
                        .formatted(start, end - 1, doneHere, ids.size()));
            }
            List<EditRequest> rs = requests.subList(start, end);
            List<EditEvaluator.PreEdit> ps = pre.subList(start, end);
            EditResult edit;
            try {
                edit = editor.applyAll(rs);
            } catch (EditException e) {
                List<CaseResult> failedBatch = new ArrayList<>();
                for (int i = start; i < end; i++) {
                    failedBatch.add(failed(i, requests.get(i), pre.get(i), e));
                }
                out.addAll(failedBatch);
                plan.listener().onCases(failedBatch, null);
                continue;
            }
            List<PhaseScores> scores;
            try {
                scores = evaluator.postCases(ids, rs, ps);
            } finally {
                edit.patch().revert();
            }
            List<CaseResult> batch = new ArrayList<>();
            for (int j = 0; j < rs.size(); j++) {
                batch.add(new CaseResult(start + j, rs.get(j), ps.get(j).scores(), scores.get(j), edit.stats().seconds() / rs.size(), null));
            }
            out.addAll(batch);
            plan.listener().onCases(batch, edit);
        }
        return out;
    }

    private List<CaseResult> sequential(List<EditRequest> requests, List<EditEvaluator.PreEdit> pre, boolean evalEach,
            Plan plan) {
        int n = requests.size();
        double[] time = new double[n];
        PhaseScores[] post = new PhaseScores[n];
        EditException[] errors = new EditException[n];
        EditResult[] edits = new EditResult[n];
        List<CaseResult> out = new ArrayList<>();
        EditSession session = new EditSession();
        try {
            for (int i = 0; i < n; i++) {
                boolean done = plan.done().contains(i);
                try {
                    edits[i] = session.apply(editor, requests.get(i));
                    time[i] = edits[i].stats().seconds();
                } catch (EditException e) {
                    errors[i] = e;
                    if (evalEach && !done) {
                        CaseResult f = failed(i, requests.get(i), pre.get(i), e);
                        out.add(f);
                        plan.listener().onCases(List.of(f), null);
                    }
                    continue;
                }
                if (evalEach && !done) {
                    post[i] = evaluator.post(i, requests.get(i), pre.get(i));
                    CaseResult c = new CaseResult(i, requests.get(i), pre.get(i).scores(), post[i], time[i], null);
                    out.add(c);
                    plan.listener().onCases(List.of(c), edits[i]);
                }
            }
            if (!evalEach) {
                List<Integer> ids = new ArrayList<>();
                List<EditRequest> rs = new ArrayList<>();
                List<EditEvaluator.PreEdit> ps = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    if (errors[i] == null && !plan.done().contains(i)) {
                        ids.add(i);
                        rs.add(requests.get(i));
                        ps.add(pre.get(i));
                    }
                }
                List<PhaseScores> scores = evaluator.postCases(ids, rs, ps);
                for (int j = 0; j < ids.size(); j++) {
                    post[ids.get(j)] = scores.get(j);
                }
                for (int i = 0; i < n; i++) {
                    if (plan.done().contains(i)) {
                        continue;
                    }
                    CaseResult c = errors[i] != null ? failed(i, requests.get(i), pre.get(i), errors[i])
                            : new CaseResult(i, requests.get(i), pre.get(i).scores(), post[i], time[i], null);
                    out.add(c);
                    plan.listener().onCases(List.of(c), edits[i]);
                }
            }
        } finally {
            session.revertAll();
        }
        return out;
    }

    private static CaseResult failed(int id, EditRequest r, EditEvaluator.PreEdit pre, EditException e) {
        return new CaseResult(id, r, pre.scores(), null, Double.NaN, String.valueOf(e.getMessage()));
    }
}
