package dev.emend.cli;

import dev.emend.bench.EditSpeedBenchmark;
import dev.emend.edit.EditContext;
import dev.emend.edit.EditRequest;
import dev.emend.edit.EditStats;
import dev.emend.edit.Editor;
import dev.emend.model.LanguageModel;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code emend bench-edit}: seconds per edit of any method as one JSON line, with the keys of
 * {@code tools/reference/ft_speed_reference.py}; {@code tools/bench/run-ft-bench.sh} runs both for FT-L, FT-M and LoRA
 * (BENCHMARKS.md, "Fine-tuning editors: seconds per edit").
 */
@Command(name = "bench-edit", description = "Time edits of one method (each reverted before the next); prints one JSON "
        + "line (see BENCHMARKS.md).")
final class BenchEditCommand implements Callable<Integer> {
    @Mixin
    ModelOptions options;

    @Mixin
    EditBenchOptions bench;

    @Spec
    CommandSpec spec;

    @Option(names = "--method", required = true, paramLabel = "METHOD", description = "editing method, e.g. FT-L, FT-M, LoRA")
    String method;

    @Option(names = "--hparams", paramLabel = "FILE|NAME",
            description = "params YAML or a bundled params name (default: the bundled file named after the model folder)")
    String hparams;

    @Override
    public Integer call() throws IOException {
        bench.startEngine();
        String paramsName = EditorSetup.paramsName(method, options.model, hparams);
        EditorSetup.paramsText(method, options.model, hparams);       // fails early, before loading, if none
        EditContext.Builder ctx = EditorSetup.context(options.model, null, bench.statsDir, bench.seed, null, null);
        List<EditRequest> requests = bench.requests(options.model, ctx);
        Map<String, Object> out;
        try (LanguageModel model = options.load()) {
            Function<EditContext, Editor> make = c -> {
                Editor e = EditorSetup.create(method, model, options.model, hparams, c);
                return bench.noEarlyStop ? EditSpeedBenchmark.fixedSteps(e, model, c) : e;
            };
            EditSpeedBenchmark.Result r = EditSpeedBenchmark.run(make, ctx, requests, bench.settings());
            EditStats stats = r.last().stats();
            List<Double> losses = stats.loss();
            out = EditBenchOptions.header("emend", options.model, model);
            out.put("method", method);
            out.put("hparams", paramsName);
            out.put("steps", losses.size());
            bench.putTimes(out, requests.size(), r.timing(), r.firstMillis(), r.stages());
            out.put("first_loss", losses.get(0));
            out.put("final_loss", losses.get(losses.size() - 1));
            out.put("update_norm", stats.values().get("update_norm"));
            out.put("stats", new TreeMap<>(stats.values()));
        }
        EditBenchOptions.print(spec, out);
        return 0;
    }
}
