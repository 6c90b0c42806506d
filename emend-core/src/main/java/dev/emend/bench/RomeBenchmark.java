package dev.emend.bench;

import dev.emend.bench.RuntimeBenchmark.Timing;
import dev.emend.edit.EditContext;
import dev.emend.edit.EditRequest;
import dev.emend.edit.EditStats;
import dev.emend.edit.rome.RomeEditor;
import dev.emend.edit.rome.RomeParams;
import dev.emend.model.LanguageModel;
import java.util.List;
import java.util.Map;

/**
 * Seconds per ROME edit: {@link RomeEditor#apply} (keys, v*, the rank-one update, commit) timed by
 * {@link EditSpeedBenchmark} (each edit reverted, untimed, before the next; warm-up edits untimed), with ROME's
 * numbers of the last edit. {@code tools/reference/rome_speed_reference.py} times the same edit in PyTorch
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
        EditSpeedBenchmark.Result r = EditSpeedBenchmark.run(ctx -> new RomeEditor(model, params, ctx, s.earlyStopLoss()),
                context, requests, new EditSpeedBenchmark.Settings(s.warmup(), s.iters()));
        EditStats stats = r.last().stats();
        EditResultSummary summary = new EditResultSummary((int) stats.value("steps"), stats.loss(),
                stats.value("delta_norm"), stats.value("v_star_norm"), stats.value("update_norm"));
        return new Result(r.timing(), r.firstMillis(), r.stages(), summary,
                ((RomeEditor) r.editor()).contextTemplates().size());
    }
}
