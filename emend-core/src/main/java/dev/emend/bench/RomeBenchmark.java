package dev.emend.bench;

import dev.emend.bench.RuntimeBenchmark.Timing;
import dev.emend.edit.EditContext;
import dev.emend.edit.EditListener;
import dev.emend.edit.EditRequest;
import dev.emend.edit.EditResult;
import dev.emend.edit.OptimizationStep;
import dev.emend.edit.rome.RomeEditor;
import dev.emend.edit.rome.RomeParams;
import dev.emend.model.LanguageModel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Seconds per ROME edit: {@link RomeEditor#apply} (keys, v*, the rank-one update, commit) timed wall-clock, each edit
 * reverted (untimed) before the next, so that every edit starts from the same model. The first {@code warmup} edits
 * are not timed; they also pay for what an editor does once (generating context templates, layer statistics) and for
 * the JIT. {@code tools/reference/rome_speed_reference.py} times the same edit in PyTorch
 * ({@code tools/bench/run-rome-bench.sh} runs both; BENCHMARKS.md, "ROME: seconds per edit").
 */
public final class RomeBenchmark {
    private RomeBenchmark() {}

    /**
     * What to run.
     *
     * @param warmup untimed edits first
     * @param iters timed edits
     * @param earlyStopLoss the v* early-stopping threshold ({@link RomeEditor#EARLY_STOP_LOSS}, or
     *     {@link RomeEditor#NO_EARLY_STOP} for a fixed number of steps)
     */
    public record Settings(int warmup, int iters, double earlyStopLoss) {
        /** Validates the counts. */
        public Settings {
            if (warmup < 0 || iters < 1) {
                throw new IllegalArgumentException("iters %d must be >= 1 and warmup %d >= 0".formatted(iters, warmup));
            }
        }
    }

    /**
     * The outcome.
     *
     * @param timing milliseconds per timed edit
     * @param firstMillis the first edit (warm-up; context templates and statistics included)
     * @param stages median milliseconds per timed edit spent in each stage the editor reports ("keys", "v*",
     *     "commit"), in order
     * @param last the last edit's stats (loss per step, norms)
     * @param contextTemplates how many context templates the edits used
     */
    public record Result(Timing timing, double firstMillis, Map<String, Double> stages, EditResultSummary last,
            int contextTemplates) {}

    /**
     * Numbers of one edit, to check that two implementations did the same edit.
     *
     * @param steps v* iterations run
     * @param losses the loss per iteration
     * @param deltaNorm ‖δ‖
     * @param vStarNorm ‖v*‖
     * @param updateNorm ‖Δ‖
     */
    public record EditResultSummary(int steps, List<Double> losses, double deltaNorm, double vStarNorm, double updateNorm) {}

    /**
     * Runs {@code warmup + iters} edits, cycling through {@code requests}.
     *
     * @param model the model (float32)
     * @param params ROME or R-ROME params
     * @param context statistics, corpora, seed and context templates; its listener is replaced by the stage clock
     * @param requests the edits, used in turn
     * @param s counts and the early-stopping threshold
     * @return times and the last edit's numbers
     */
    public static Result run(LanguageModel model, RomeParams params, EditContext.Builder context, List<EditRequest> requests,
            Settings s) {
        if (requests.isEmpty()) {
            throw new IllegalArgumentException("the ROME benchmark needs at least one request");
        }
        StageClock clock = new StageClock();
        RomeEditor editor = new RomeEditor(model, params, context.optListener(clock).build(), s.earlyStopLoss());
        double[] times = new double[s.iters()];
        List<Map<String, Double>> stages = new ArrayList<>();
        double first = Double.NaN;
        EditResult last = null;
        for (int i = 0; i < s.warmup() + s.iters(); i++) {
            EditRequest r = requests.get(i % requests.size());
            clock.reset();
            long t0 = System.nanoTime();
            last = editor.apply(r);
            double ms = (System.nanoTime() - t0) / 1e6;
            stages.add(clock.stop());
            last.patch().revert();
            if (i == 0) {
                first = ms;
            }
            if (i >= s.warmup()) {
                times[i - s.warmup()] = ms;
            }
        }
        Map<String, Double> medians = new LinkedHashMap<>();
        List<Map<String, Double>> timed = stages.subList(s.warmup(), stages.size());
        for (String stage : timed.get(timed.size() - 1).keySet()) {
            medians.put(stage, new Timing(timed.stream().mapToDouble(m -> m.getOrDefault(stage, 0.0)).toArray()).median());
        }
        EditResultSummary summary = new EditResultSummary((int) last.stats().value("steps"), last.stats().loss(),
                last.stats().value("delta_norm"), last.stats().value("v_star_norm"), last.stats().value("update_norm"));
        return new Result(new Timing(times), first, medians, summary, editor.contextTemplates().size());
    }

    /** Wall time between the editor's stage announcements. */
    private static final class StageClock implements EditListener {
        private final Map<String, Double> millis = new LinkedHashMap<>();
        private String stage;
        private long since;

        void reset() {
            millis.clear();
            stage = null;
        }

        @Override
        public void onStage(String next) {
            lap();
            stage = next;
            since = System.nanoTime();
        }

        @Override
        public void onStep(OptimizationStep step) {}

        Map<String, Double> stop() {
            lap();
            stage = null;
            return new LinkedHashMap<>(millis);
        }

        private void lap() {
            if (stage != null) {
                millis.merge(stage, (System.nanoTime() - since) / 1e6, Double::sum);
            }
        }
    }
}
