package dev.emend.cli;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.emend.ConfigException;
import dev.emend.bench.RomeBenchmark;
import dev.emend.bench.RuntimeBenchmark;
import dev.emend.config.ParamsLoader;
import dev.emend.edit.EditContext;
import dev.emend.edit.EditRequest;
import dev.emend.edit.Editors;
import dev.emend.edit.rome.RomeEditor;
import dev.emend.edit.rome.RomeParams;
import dev.emend.model.LanguageModel;
import dev.emend.stats.TextCorpus;
import dev.emend.world.WorldCorpus;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
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

    @Spec
    CommandSpec spec;

    @Option(names = "--hparams", paramLabel = "FILE",
            description = "ROME hparams YAML (default: the bundled file named after the model folder)")
    Path hparams;

    @Option(names = "--case", paramLabel = "FILE", description = "JSON with \"request\" {prompt, subject, target_new} "
            + "and optional \"context_templates\" (default: the model's bench/modification.json cases)")
    Path kase;

    @Option(names = "--cases", defaultValue = "10", paramLabel = "N",
            description = "without --case: the first N cases of the model's bench/modification.json, in turn "
                    + "(default: ${DEFAULT-VALUE})")
    int cases;

    @Option(names = "--no-early-stop", description = "always run v_num_grad_steps steps (ROME stops once the v* loss "
            + "is below 0.05)")
    boolean noEarlyStop;

    @Option(names = "--warmup", defaultValue = "1", paramLabel = "N",
            description = "untimed edits (default: ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--iters", defaultValue = "3", paramLabel = "N",
            description = "timed edits (default: ${DEFAULT-VALUE})")
    int iters;

    @Option(names = "--threads", defaultValue = "0", paramLabel = "N",
            description = "intra-op threads; 0 = the engine's default")
    int threads;

    @Option(names = "--stats-dir", paramLabel = "DIR", description = "statistics cache (default: ~/.cache/emend/stats)")
    Path statsDir;

    @Option(names = "--seed", defaultValue = "42", paramLabel = "N", description = "context-template seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Override
    public Integer call() throws IOException {
        if (threads < 0) {
            throw new IllegalArgumentException("--threads must be >= 0, got " + threads);
        }
        RuntimeBenchmark.startEngine();
        Engine engine = Engine.getInstance();
        if (threads > 0) {
            JniUtils.setNumThreads(threads);
        }
        String name = options.model.toAbsolutePath().normalize().getFileName().toString();
        RomeParams params = hparams != null ? ParamsLoader.load(hparams, RomeParams.class) : bundled(name);
        List<EditRequest> requests = new ArrayList<>();
        EditContext.Builder ctx = EditContext.builder().optSeed(seed)
                .optStatsDir(statsDir != null ? statsDir : Path.of(System.getProperty("user.home"), ".cache", "emend", "stats"));
        if (kase != null) {
            JsonNode c = new ObjectMapper().readTree(kase.toFile());
            JsonNode r = c.get("request");
            if (r == null) {
                throw new ConfigException("%s has no \"request\"".formatted(kase));
            }
            requests.add(EditRequest.of(r.get("prompt").asText(), r.get("subject").asText(), r.get("target_new").asText()));
            if (c.has("context_templates")) {
                List<String> templates = new ArrayList<>();
                c.get("context_templates").forEach(t -> templates.add(t.asText()));
                ctx.optContextTemplates(templates);
            }
        } else {
            Path file = options.model.resolve("bench").resolve("modification.json");
            if (!Files.isRegularFile(file)) {
                throw new ConfigException("no --case given and %s does not exist".formatted(file));
            }
            JsonNode all = new ObjectMapper().readTree(file.toFile());
            for (int i = 0; i < Math.min(cases, all.size()); i++) {
                requests.add(EditRequest.fromJson(all.get(i)));
            }
        }
        WorldCorpus.statsCorpus(options.model).ifPresent((TextCorpus c) -> ctx.optCorpus(c.name(), c));
        RomeBenchmark.Settings s = new RomeBenchmark.Settings(warmup, iters,
                noEarlyStop ? RomeEditor.NO_EARLY_STOP : RomeEditor.EARLY_STOP_LOSS);
        Map<String, Object> out = new LinkedHashMap<>();
        try (LanguageModel model = options.load()) {
            RomeBenchmark.Result r = RomeBenchmark.run(model, params, ctx, requests, s);
            out.put("impl", "emend");
            out.put("variant", "emend");
            out.put("model", options.model.toAbsolutePath().normalize().toString());
            out.put("layers", model.config().numLayers());
            out.put("d_model", model.config().hiddenSize());
            out.put("vocab", model.config().vocabSize());
            out.put("params", model.weights().parameterCount());
            out.put("layer", params.layers().get(params.layers().size() - 1));
            out.put("steps", r.last().steps());
            out.put("templates", r.contextTemplates());
            out.put("requests", requests.size());
            out.put("early_stop", noEarlyStop ? "off" : String.valueOf(RomeEditor.EARLY_STOP_LOSS));
            out.put("mom2_adjustment", params.mom2Adjustment());
            out.put("threads", JniUtils.getNumThreads());
            out.put("warmup", warmup);
            out.put("iters", iters);
            out.put("s_per_edit", seconds(r.timing().median()));
            out.put("s_mean", seconds(r.timing().mean()));
            out.put("s_min", seconds(r.timing().min()));
            out.put("s_max", seconds(r.timing().max()));
            out.put("s_first_edit", seconds(r.firstMillis()));
            Map<String, Double> stages = new LinkedHashMap<>();
            r.stages().forEach((k, v) -> stages.put(k, seconds(v)));
            out.put("stage_s", stages);
            List<Double> losses = r.last().losses();
            out.put("first_loss", losses.get(0));
            out.put("final_loss", losses.get(losses.size() - 1));
            out.put("delta_norm", r.last().deltaNorm());
            out.put("v_star_norm", r.last().vStarNorm());
            out.put("update_norm", r.last().updateNorm());
            out.put("attention", "manual");
            out.put("version", "%s, DJL %s, libtorch %s".formatted(Main.class.getAnnotation(Command.class).version()[0],
                    Engine.getDjlVersion(), engine.getVersion()));
        }
        PrintWriter pw = spec.commandLine().getOut();
        try {
            pw.println(new ObjectMapper().writeValueAsString(out));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        pw.flush();
        return 0;
    }

    private static RomeParams bundled(String name) {
        String text = Editors.bundledText(RomeParams.ROME, name).orElseThrow(() -> new ConfigException(
                "Emend has no bundled ROME params for '%s'; pass --hparams FILE".formatted(name)));
        return ParamsLoader.read(new java.io.ByteArrayInputStream(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)),
                "hparams/ROME/" + name + ".yaml", RomeParams.class);
    }

    private static Double seconds(double millis) {
        return Double.isFinite(millis) ? Math.round(millis) / 1000.0 : null;
    }
}
