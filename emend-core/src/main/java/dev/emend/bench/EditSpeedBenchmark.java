package dev.emend.bench;

import dev.emend.ConfigException;
import dev.emend.bench.RuntimeBenchmark.Timing;
import dev.emend.edit.EditContext;
import dev.emend.edit.EditListener;
import dev.emend.edit.EditRequest;
import dev.emend.edit.EditResult;
import dev.emend.edit.Editor;
import dev.emend.edit.OptimizationStep;
import dev.emend.edit.ft.FtEditor;
import dev.emend.edit.lora.LoraEditor;
import dev.emend.edit.rome.RomeEditor;
import dev.emend.model.LanguageModel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Seconds per edit of any editor: {@link Editor#apply} timed wall-clock, each edit reverted (untimed) before the next,
 * so that every edit starts from the same model. The first {@code warmup} edits are not timed; they also pay for what
 * an editor does once (context templates, layer statistics) and for the JIT. The editor's stage announcements
 * ({@link EditListener#onStage}) are timed too.
 *
 * <p>{@code emend bench-rome} ({@link RomeBenchmark}) and {@code emend bench-edit} use it; the PyTorch transcriptions
 * under {@code tools/reference/} time the same edits ({@code tools/bench/run-rome-bench.sh},
 * {@code tools/bench/run-ft-bench.sh}; BENCHMARKS.md).
 */
public final class EditSpeedBenchmark {
    private EditSpeedBenchmark() {}

    /**
     * What to run.
     *
     * @param warmup untimed edits first
     * @param iters timed edits
     */
    public record Settings(int warmup, int iters) {
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
     * @param editor the editor that made the edits
     * @param timing milliseconds per timed edit
     * @param firstMillis the first edit (warm-up included)
     * @param stages median milliseconds per timed edit spent in each stage the editor announced, in order
     * @param last the last edit (reverted; its stats are the loss per step and the method's numbers)
     */
    public record Result(Editor editor, Timing timing, double firstMillis, Map<String, Double> stages, EditResult last) {}

    /**
     * The same editor, made again so that it runs a fixed number of optimisation steps: FT-L and FT-M with
     * {@link FtEditor#NO_EARLY_STOP} (always {@code num_steps} epochs, every batch steps), ROME and R-ROME with
     * {@link RomeEditor#NO_EARLY_STOP}; LoRA editors ({@link LoraEditor}) have no early stopping (EasyEdit's
     * {@code lora_main.py} has none) and are returned as they are.
     *
     * @param editor an editor made by the registry
     * @param model its model
     * @param context its context
     * @return an editor without early stopping
     * @throws ConfigException for a method whose early stopping cannot be switched off
     */
    public static Editor fixedSteps(Editor editor, LanguageModel model, EditContext context) {
        if (editor instanceof FtEditor ft) {
            return new FtEditor(model, ft.params(), context, FtEditor.NO_EARLY_STOP);
        }
        if (editor instanceof RomeEditor rome) {
            return new RomeEditor(model, rome.params(), context, RomeEditor.NO_EARLY_STOP);
        }
        if (editor instanceof LoraEditor) {
            return editor;
        }
        throw new ConfigException(("%s has no switch for its early stopping; run it without --no-early-stop (FT-L, FT-M, "
                + "ROME, R-ROME and LoRA have one or need none)").formatted(editor.method()));
    }

    /**
     * Runs {@code warmup + iters} edits, cycling through {@code requests}.
     *
     * @param editor makes the editor from the context (whose listener is the stage clock)
     * @param context statistics, corpora, seed and context templates; its listener is replaced by the stage clock
     * @param requests the edits, used in turn
     * @param s counts
     * @return times and the last edit
     */
    public static Result run(Function<EditContext, Editor> editor, EditContext.Builder context, List<EditRequest> requests,
            Settings s) {
        if (requests.isEmpty()) {
            throw new IllegalArgumentException("the edit benchmark needs at least one request");
        }
        StageClock clock = new StageClock();
        Editor e = editor.apply(context.optListener(clock).build());
        double[] times = new double[s.iters()];
        List<Map<String, Double>> stages = new ArrayList<>();
        double first = Double.NaN;
        EditResult last = null;
        for (int i = 0; i < s.warmup() + s.iters(); i++) {
            EditRequest r = requests.get(i % requests.size());
            clock.reset();
            long t0 = System.nanoTime();
            last = e.apply(r);
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
        return new Result(e, new Timing(times), first, medians, last);
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
