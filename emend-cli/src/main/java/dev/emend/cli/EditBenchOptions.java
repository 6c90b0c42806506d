package dev.emend.cli;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.emend.ConfigException;
import dev.emend.bench.EditSpeedBenchmark;
import dev.emend.bench.RuntimeBenchmark;
import dev.emend.edit.EditContext;
import dev.emend.edit.EditRequest;
import dev.emend.model.LanguageModel;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/**
 * What the edit-timing commands ({@code bench-rome}, {@code bench-edit}) share: the requests ({@code --case FILE} or
 * the model's own {@code bench/modification.json} cases), the counts, the thread count and early stopping, and the
 * JSON line's common keys, which the PyTorch transcriptions under {@code tools/reference/} print too.
 */
final class EditBenchOptions {
    @Option(names = "--case", paramLabel = "FILE", description = "JSON with \"request\" {prompt, subject, target_new} "
            + "and optional \"context_templates\" (default: the model's bench/modification.json cases)")
    Path kase;

    @Option(names = "--cases", defaultValue = "10", paramLabel = "N",
            description = "without --case: the first N cases of the model's bench/modification.json, in turn "
                    + "(default: ${DEFAULT-VALUE})")
    int cases;

    @Option(names = "--no-early-stop", description = "always run the params' number of steps (FT: no skipped step "
            + "below a loss of 0.01 and all num_steps epochs; ROME: all v_num_grad_steps, not stopping below 0.05)")
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

    /** Starts the engine and sets the thread count. */
    void startEngine() {
        if (threads < 0) {
            throw new IllegalArgumentException("--threads must be >= 0, got " + threads);
        }
        RuntimeBenchmark.startEngine();
        if (threads > 0) {
            JniUtils.setNumThreads(threads);
        }
    }

    /** @return the counts */
    EditSpeedBenchmark.Settings settings() {
        return new EditSpeedBenchmark.Settings(warmup, iters);
    }

    /**
     * The requests, and the case file's context templates put into {@code ctx}.
     *
     * @param modelPath the model folder (for its {@code bench/modification.json})
     * @param ctx the editing context being built
     * @return the requests, used in turn
     */
    List<EditRequest> requests(Path modelPath, EditContext.Builder ctx) throws IOException {
        List<EditRequest> requests = new ArrayList<>();
        if (kase != null) {
            JsonNode c = new ObjectMapper().readTree(kase.toFile());
            JsonNode r = c.get("request");
            if (r == null) {
                throw new ConfigException("%s has no \"request\"; write {\"request\": {\"prompt\": ..., \"subject\": ..., "
                        + "\"target_new\": ...}}".formatted(kase));
            }
            requests.add(EditRequest.of(r.get("prompt").asText(), r.get("subject").asText(), r.get("target_new").asText()));
            if (c.has("context_templates")) {
                List<String> templates = new ArrayList<>();
                c.get("context_templates").forEach(t -> templates.add(t.asText()));
                ctx.optContextTemplates(templates);
            }
        } else {
            Path file = modelPath.resolve("bench").resolve("modification.json");
            if (!Files.isRegularFile(file)) {
                throw new ConfigException("no --case given and %s does not exist".formatted(file));
            }
            JsonNode all = new ObjectMapper().readTree(file.toFile());
            for (int i = 0; i < Math.min(cases, all.size()); i++) {
                requests.add(EditRequest.fromJson(all.get(i)));
            }
        }
        return requests;
    }

    /**
     * The keys every edit-timing line starts with: implementation, model and its shape.
     *
     * @param variant the implementation's name
     * @param modelPath where the model was loaded from
     * @param model the model
     * @return an ordered map to add the method's keys to
     */
    static Map<String, Object> header(String variant, Path modelPath, LanguageModel model) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("impl", "emend");
        out.put("variant", variant);
        out.put("model", modelPath.toAbsolutePath().normalize().toString());
        out.put("layers", model.config().numLayers());
        out.put("d_model", model.config().hiddenSize());
        out.put("vocab", model.config().vocabSize());
        out.put("params", model.weights().parameterCount());
        return out;
    }

    /**
     * Adds the run's counts and times (seconds, rounded to the millisecond).
     *
     * @param out the line
     * @param requests how many requests were cycled through
     * @param timing milliseconds per timed edit
     * @param firstMillis the first edit
     * @param stageMillis median milliseconds per stage
     */
    void putTimes(Map<String, Object> out, int requests, RuntimeBenchmark.Timing timing, double firstMillis,
            Map<String, Double> stageMillis) {
        out.put("requests", requests);
        out.put("early_stop", noEarlyStop ? "off" : "on");
        out.put("threads", JniUtils.getNumThreads());
        out.put("warmup", warmup);
        out.put("iters", iters);
        out.put("s_per_edit", seconds(timing.median()));
        out.put("s_mean", seconds(timing.mean()));
        out.put("s_min", seconds(timing.min()));
        out.put("s_max", seconds(timing.max()));
        out.put("s_first_edit", seconds(firstMillis));
        Map<String, Double> stages = new LinkedHashMap<>();
        stageMillis.forEach((k, v) -> stages.put(k, seconds(v)));
        out.put("stage_s", stages);
    }

    /** Adds the versions and prints the line. */
    static void print(CommandSpec spec, Map<String, Object> out) {
        out.put("version", "%s, DJL %s, libtorch %s".formatted(Main.class.getAnnotation(Command.class).version()[0],
                Engine.getDjlVersion(), Engine.getInstance().getVersion()));
        PrintWriter pw = spec.commandLine().getOut();
        try {
            pw.println(new ObjectMapper().writeValueAsString(out));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        pw.flush();
    }

    private static Double seconds(double millis) {
        return Double.isFinite(millis) ? Math.round(millis) / 1000.0 : null;
    }
}
