package dev.emend.cli;

import dev.emend.ConfigException;
import dev.emend.bench.RomeBenchmark;
import dev.emend.config.ParamsLoader;
import dev.emend.edit.EditContext;
import dev.emend.edit.EditRequest;
import dev.emend.edit.Editors;
import dev.emend.edit.rome.RomeEditor;
import dev.emend.edit.rome.RomeParams;
import dev.emend.model.LanguageModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code emend bench-rome}: seconds per ROME edit as one JSON line, with the keys of
 * {@code tools/reference/rome_speed_reference.py}; {@code tools/bench/run-rome-bench.sh} runs both.
 */
@Command(name = "bench-rome", description = "Time ROME edits (each reverted before the next); prints one JSON line "
        + "(see BENCHMARKS.md).")
final class BenchRomeCommand implements Callable<Integer> {
    @Mixin
    ModelOptions options;

    @Mixin
    EditBenchOptions bench;

    @Spec
    CommandSpec spec;

    @Option(names = "--hparams", paramLabel = "FILE",
            description = "ROME hparams YAML (default: the bundled file named after the model folder)")
    Path hparams;

    @Override
    public Integer call() throws IOException {
        bench.startEngine();
        String name = EditorSetup.modelName(options.model);
        RomeParams params = hparams != null ? ParamsLoader.load(hparams, RomeParams.class) : bundled(name);
        EditContext.Builder ctx = EditorSetup.context(options.model, null, bench.statsDir, bench.seed, null, null);
        List<EditRequest> requests = bench.requests(options.model, ctx);
        RomeBenchmark.Settings s = new RomeBenchmark.Settings(bench.warmup, bench.iters,
                bench.noEarlyStop ? RomeEditor.NO_EARLY_STOP : RomeEditor.EARLY_STOP_LOSS);
        Map<String, Object> out;
        try (LanguageModel model = options.load()) {
            RomeBenchmark.Result r = RomeBenchmark.run(model, params, ctx, requests, s);
            out = EditBenchOptions.header("emend", options.model, model);
            out.put("layer", params.layers().get(params.layers().size() - 1));
            out.put("steps", r.last().steps());
            out.put("templates", r.contextTemplates());
            out.put("mom2_adjustment", params.mom2Adjustment());
            bench.putTimes(out, requests.size(), r.timing(), r.firstMillis(), r.stages());
            out.put("early_stop", bench.noEarlyStop ? "off" : String.valueOf(RomeEditor.EARLY_STOP_LOSS));
            List<Double> losses = r.last().losses();
            out.put("first_loss", losses.get(0));
            out.put("final_loss", losses.get(losses.size() - 1));
            out.put("delta_norm", r.last().deltaNorm());
            out.put("v_star_norm", r.last().vStarNorm());
            out.put("update_norm", r.last().updateNorm());
            out.put("attention", "manual");
        }
        EditBenchOptions.print(spec, out);
        return 0;
    }

    private static RomeParams bundled(String name) {
        String text = Editors.bundledText(RomeParams.ROME, name).orElseThrow(() -> new ConfigException(
                "Emend has no bundled ROME params for '%s'; pass --hparams FILE".formatted(name)));
        return ParamsLoader.read(new java.io.ByteArrayInputStream(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)),
                "hparams/ROME/" + name + ".yaml", RomeParams.class);
    }
}
