package dev.emend.cli;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.emend.bench.RuntimeBenchmark;
import dev.emend.bench.RuntimeBenchmark.Result;
import dev.emend.bench.RuntimeBenchmark.Settings;
import dev.emend.bench.RuntimeBenchmark.Timing;
import dev.emend.model.LanguageModel;
import dev.emend.model.ModelConfig;
import dev.emend.model.ModelLoader;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code emend bench-runtime}: one runtime measurement as one JSON line, with the keys of
 * {@code tools/bench/torch_runtime.py}; {@code tools/bench/run-runtime-bench.sh} runs both and tabulates the ratios.
 */
@Command(name = "bench-runtime", description = "Time forward, forward+backward or loading on random token ids; "
        + "prints one JSON line (see BENCHMARKS.md).")
final class BenchRuntimeCommand implements Callable<Integer> {
    /** What to measure. */
    enum Mode {
        FORWARD("forward"), FWD_BWD("fwd-bwd"), LOAD("load");

        final String label;

        Mode(String label) {
            this.label = label;
        }

        static Mode parse(String s) {
            for (Mode m : values()) {
                if (m.label.equals(s)) {
                    return m;
                }
            }
            throw new IllegalArgumentException("--mode '%s' is not one of forward, fwd-bwd, load".formatted(s));
        }
    }

    @Mixin
    ModelOptions options;

    @Spec
    CommandSpec spec;

    @Option(names = "--mode", required = true, paramLabel = "forward|fwd-bwd|load")
    String mode;

    @Option(names = "--batch", defaultValue = "8", paramLabel = "B",
            description = "rows (default: ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--tokens", defaultValue = "64", paramLabel = "T",
            description = "tokens per row (default: ${DEFAULT-VALUE})")
    int tokens;

    @Option(names = "--warmup", defaultValue = "2", paramLabel = "N",
            description = "untimed iterations (default: ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--iters", defaultValue = "10", paramLabel = "N",
            description = "timed iterations (default: ${DEFAULT-VALUE})")
    int iters;

    @Option(names = "--threads", defaultValue = "0", paramLabel = "N",
            description = "intra-op threads; 0 = the engine's default")
    int threads;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S",
            description = "token-id seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Override
    public Integer call() {
        Mode m = Mode.parse(mode);
        Settings s = new Settings(batch, tokens, warmup, iters, seed);
        if (threads < 0) {
            throw new IllegalArgumentException("--threads must be >= 0, got " + threads);
        }
        double engineMillis = RuntimeBenchmark.startEngine();
        Engine engine = Engine.getInstance();
        if (threads > 0) {
            JniUtils.setNumThreads(threads);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        if (m == Mode.LOAD) {
            RuntimeBenchmark.LoadResult r =
                    RuntimeBenchmark.load(options.model, ModelLoader.Options.ofDtype(options.dtype), s);
            header(out, m, r.config(), r.params(), engine);
            out.put("load_ms", round(r.timing().median()));
            out.put("load_ms_first", round(r.firstMillis()));
            out.put("tokenizer_ms", round(r.tokenizer().median()));
            out.put("engine_ms", round(engineMillis));
            out.put("file_mib", round1(r.fileMib()));
            RuntimeBenchmark.LoadResult.Memory mem = r.memory();
            out.put("rss_base_mib", round1(mem.rssBaseMib()));
            out.put("rss_load_mib", round1(mem.rssLoadMib()));
            out.put("rss_mib", round1(mem.rssMib()));
            out.put("rss_anon_mib", round1(mem.rssAnonMib()));
            out.put("rss_file_mib", round1(mem.rssFileMib()));
            out.put("hwm_mib", round1(mem.hwmMib()));
            out.put("rss_minus_file_mib", round1(mem.rssMib() - r.fileMib()));
            out.put("heap_used_mib", round1(mem.heapUsedMib()));
        } else {
            try (LanguageModel model = options.load()) {
                Result r = m == Mode.FORWARD ? RuntimeBenchmark.forward(model, s)
                        : RuntimeBenchmark.forwardBackward(model, s);
                header(out, m, model.config(), model.weights().parameterCount(), engine);
                Timing t = r.timing();
                out.put("ms_per_iter", round(t.median()));
                out.put("ms_mean", round(t.mean()));
                out.put("ms_min", round(t.min()));
                out.put("ms_max", round(t.max()));
                out.put("tokens_per_s", round(r.tokensPerSecond(s)));
                out.put("checksum", finite(r.checksum()));
                out.put("loss", finite(r.loss()));
                out.put("grad_norm", finite(r.gradNorm()));
            }
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

    private void header(Map<String, Object> out, Mode m, ModelConfig c, long params, Engine engine) {
        out.put("impl", "emend");
        out.put("mode", m.label);
        out.put("model", options.model.toAbsolutePath().normalize().toString());
        out.put("layers", c.numLayers());
        out.put("d_model", c.hiddenSize());
        out.put("vocab", c.vocabSize());
        out.put("params", params);
        out.put("batch", batch);
        out.put("tokens", tokens);
        out.put("threads", JniUtils.getNumThreads());
        out.put("warmup", warmup);
        out.put("iters", iters);
        out.put("attention", "manual");   // softmax(QK^T/sqrt(d) + mask) V as separate ops: DJL has no SDPA
        out.put("dtype", options.dtype);
        out.put("version", "%s, DJL %s, libtorch %s".formatted(Main.class.getAnnotation(Command.class).version()[0],
                Engine.getDjlVersion(), engine.getVersion()));
    }

    private static Double round(double v) {
        return Double.isFinite(v) ? Math.round(v * 1000.0) / 1000.0 : null;
    }

    private static Double round1(double v) {
        return Double.isFinite(v) ? Math.round(v * 10.0) / 10.0 : null;
    }

    private static Double finite(double v) {
        return Double.isFinite(v) ? v : null;
    }
}
