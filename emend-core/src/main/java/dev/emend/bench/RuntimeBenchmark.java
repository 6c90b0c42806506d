package dev.emend.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.emend.EmendException;
import dev.emend.model.ForwardRequest;
import dev.emend.model.LanguageModel;
import dev.emend.model.ModelConfig;
import dev.emend.model.ModelLoader;
import dev.emend.model.WeightStore;
import dev.emend.tensor.Tensors;
import dev.emend.tokenizer.HfTokenizer;
import dev.emend.tokenizer.TokenBatch;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Runtime measurements of the forward pass, the forward and backward pass, and model loading, on random token ids.
 * {@code tools/bench/torch_runtime.py} takes the same measurements on HF transformers with the same ids (the
 * {@link #tokenIds SplitMix64 scheme}), so the two can be compared as a ratio on one machine.
 *
 * <ul>
 *   <li>forward: {@code LanguageModel.forward} for [B,T] ids with logits at every position, gradients off, synchronised
 *       by summing the logits [B,T,V], one {@link NDScope} per iteration;
 *   <li>fwd-bwd: every parameter replaced by an owned leaf that requires gradient (as {@code Trainer} does); per
 *       iteration zero the gradients, forward, mean cross-entropy over all B*T positions against the ids shifted by
 *       one, backward under a {@link GradientCollector}; the original weights are put back afterwards;
 *   <li>load: {@link ModelLoader#load} (memory-mapped weights), then the process's resident memory after loading and
 *       after one forward pass that touches every weight.
 * </ul>
 *
 * Times are wall-clock per iteration after {@code warmup} untimed iterations; the median is the headline number.
 */
public final class RuntimeBenchmark {
    private RuntimeBenchmark() {}

    /**
     * What to run.
     *
     * @param batch B rows
     * @param tokens T tokens per row
     * @param warmup untimed iterations first
     * @param iters timed iterations
     * @param seed token-id seed
     */
    public record Settings(int batch, int tokens, int warmup, int iters, long seed) {
        /** Validates the sizes. */
        public Settings {
            if (batch < 1 || tokens < 1 || iters < 1 || warmup < 0) {
                throw new IllegalArgumentException(("batch %d, tokens %d and iters %d must be >= 1 and warmup %d >= 0")
                        .formatted(batch, tokens, iters, warmup));
            }
        }
    }

    /**
     * Per-iteration wall times.
     *
     * @param millis one entry per timed iteration
     */
    public record Timing(double[] millis) {
        /** @return the median in milliseconds */
        public double median() {
            double[] s = millis.clone();
            Arrays.sort(s);
            int n = s.length;
            return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
        }

        /** @return the mean in milliseconds */
        public double mean() {
            return Arrays.stream(millis).average().orElse(Double.NaN);
        }

        /** @return the fastest iteration in milliseconds */
        public double min() {
            return Arrays.stream(millis).min().orElse(Double.NaN);
        }

        /** @return the slowest iteration in milliseconds */
        public double max() {
            return Arrays.stream(millis).max().orElse(Double.NaN);
        }
    }

    /**
     * The outcome of a forward or fwd-bwd run.
     *
     * @param timing per-iteration times
     * @param checksum forward: the sum of the last logits; fwd-bwd: the last loss
     * @param loss the last mean cross-entropy (NaN for forward)
     * @param gradNorm the global L2 norm of the last iteration's gradients (NaN for forward)
     */
    public record Result(Timing timing, double checksum, double loss, double gradNorm) {
        /**
         * @param settings the run's sizes
         * @return B*T tokens over the median iteration time
         */
        public double tokensPerSecond(Settings settings) {
            return (double) settings.batch() * settings.tokens() / (timing.median() / 1000.0);
        }
    }

    /**
     * The outcome of a load run.
     *
     * @param config the model's config
     * @param params the model's parameter count
     * @param timing per-load times ({@code ModelLoader.load}: config, tokenizer, mapped weights)
     * @param firstMillis the first load in the process (class loading and JIT included; not in {@code timing})
     * @param tokenizer per-load times of the tokenizer alone ({@code tokenizer.json}), a part of each load
     * @param fileMib bytes of the safetensors files the model maps, in MiB
     * @param memory the process's memory around the first load
     */
    public record LoadResult(ModelConfig config, long params, Timing timing, double firstMillis, Timing tokenizer,
            double fileMib, Memory memory) {
        /**
         * Memory in MiB from {@code /proc/self/status} (NaN where unavailable), for a process that loaded the model
         * once.
         *
         * @param rssBaseMib resident before the load (JVM + engine)
         * @param rssLoadMib resident after the load
         * @param rssMib resident after a forward pass over [B,T] ids, which touches every weight
         * @param rssAnonMib of {@code rssMib}, anonymous memory (heap, native allocations: copies would show here)
         * @param rssFileMib of {@code rssMib}, file-backed pages (mapped weights, shared libraries)
         * @param hwmMib peak resident so far (VmHWM)
         * @param heapUsedMib JVM heap in use after the load and a GC; weights are mapped, so this stays small
         */
        public record Memory(double rssBaseMib, double rssLoadMib, double rssMib, double rssAnonMib, double rssFileMib,
                double hwmMib, double heapUsedMib) {}
    }

    /**
     * The benchmark's token ids: B rows of T+1 ids, each the next SplitMix64 output modulo the vocabulary (taken
     * unsigned). {@code torch_runtime.py} generates the same ids. Inputs are the first T of a row, targets the last T.
     *
     * @param seed generator seed
     * @param batch B
     * @param tokens T
     * @param vocab V
     * @return ids [B*(T+1)] row-major
     */
    public static long[] tokenIds(long seed, int batch, int tokens, int vocab) {
        long x = seed;
        long[] out = new long[batch * (tokens + 1)];
        for (int i = 0; i < out.length; i++) {
            x += 0x9E3779B97F4A7C15L;   // SplitMix64 (Steele, Lea, Flood 2014)
            long z = x;
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            z = z ^ (z >>> 31);
            out[i] = Long.remainderUnsigned(z, vocab);
        }
        return out;
    }

    /**
     * Times forward passes with logits at every position, gradients off.
     *
     * @param model the model
     * @param s sizes and iterations
     * @return times and the sum of the last logits
     */
    public static Result forward(LanguageModel model, Settings s) {
        TokenBatch batch = inputs(model, s);
        boolean gradMode = JniUtils.isGradMode();
        JniUtils.setGradMode(false); // torch.no_grad(): no graph is recorded
        try {
            double[] times = new double[s.iters()];
            double checksum = Double.NaN;
            for (int i = 0; i < s.warmup() + s.iters(); i++) {
                long t0 = System.nanoTime();
                try (NDScope ignored = new NDScope()) {
                    NDArray logits = model.forward(ForwardRequest.builder(batch).build()).logits();   // [B,T,V]
                    checksum = logits.sum().getFloat();
                }
                record(times, i - s.warmup(), t0);
            }
            return new Result(new Timing(times), checksum, Double.NaN, Double.NaN);
        } finally {
            JniUtils.setGradMode(gradMode);
        }
    }

    /**
     * Times training steps without the update: zero gradients, forward, mean token cross-entropy, backward with
     * respect to every parameter. The model's weights are swapped for float32 leaf copies for the run and restored
     * afterwards.
     *
     * @param model a float32 model
     * @param s sizes and iterations
     * @return times, the last loss and the last gradients' global norm
     */
    public static Result forwardBackward(LanguageModel model, Settings s) {
        WeightStore weights = model.weights();
        if (weights.computeType() != DataType.FLOAT32) {
            throw new IllegalArgumentException("fwd-bwd runs in fp32 only (the model computes in %s); drop --dtype"
                    .formatted(weights.computeType()));
        }
        TokenBatch batch = inputs(model, s);
        NDManager m = model.manager();
        Map<String, NDArray> previous = new LinkedHashMap<>();
        List<NDArray> params = new ArrayList<>();
        NDArray targets = Tensors.create(m, targets(model, s), new Shape(s.batch(), s.tokens()));   // [B,T]
        Engine engine = Engine.getInstance();
        try {
            for (String name : weights.names()) {
                NDArray leaf = Tensors.convert(weights.get(name), DataType.FLOAT32, m);
                leaf.setRequiresGradient(true);
                previous.put(name, weights.replace(name, leaf));
                params.add(leaf);
            }
            double[] times = new double[s.iters()];
            double loss = Double.NaN;
            for (int i = 0; i < s.warmup() + s.iters(); i++) {
                long t0 = System.nanoTime();
                if (i > 0) {   // the last iteration's gradients stay for the norm below
                    for (NDArray p : params) {
                        JniUtils.zeroGrad((PtNDArray) p);
                    }
                }
                try (NDScope ignored = new NDScope()) {
                    try (GradientCollector gc = engine.newGradientCollector()) {
                        NDArray logits = model.forward(ForwardRequest.builder(batch).build()).logits();   // [B,T,V]
                        NDArray logp = logits.logSoftmax(-1).gather(targets.expandDims(2), 2);          // [B,T,1]
                        NDArray lossArray = logp.mean().neg();                                          // []
                        gc.backward(lossArray);
                        loss = lossArray.getFloat();
                    }
                    JniUtils.setGradMode(false);
                }
                record(times, i - s.warmup(), t0);
            }
            return new Result(new Timing(times), loss, loss, gradientNorm(params));
        } finally {
            JniUtils.setGradMode(false);
            previous.forEach((name, original) -> {
                NDArray leaf = weights.replace(name, original);
                leaf.setRequiresGradient(false);
                weights.release(leaf);
            });
            targets.close();
        }
    }

    /**
     * Starts the PyTorch engine (loads the native libraries) if it is not running yet.
     *
     * @return milliseconds it took (about 0 when the engine was already up)
     */
    public static double startEngine() {
        long t0 = System.nanoTime();
        Engine.getInstance();
        return (System.nanoTime() - t0) / 1e6;
    }

    /**
     * Measures what loading costs. First, as a process that loads the model once: resident memory before, the first
     * {@link ModelLoader#load} (config, tokenizer, memory-mapped weights), heap and resident memory after it, then
     * after one forward pass over [B,T] ids, which touches every weight page. Then, for the load time, {@code warmup}
     * untimed and {@code iters} timed loads, each followed by a timed load of the tokenizer alone. Start the engine
     * first ({@link #startEngine}).
     *
     * @param dir the model folder
     * @param options load options
     * @param s sizes and iterations
     * @return times and memory
     */
    public static LoadResult load(Path dir, ModelLoader.Options options, Settings s) {
        double rssBase = ProcessMemory.mib("VmRSS");
        long t0 = System.nanoTime();
        LoadResult.Memory memory;
        ModelConfig config;
        long params;
        long fileBytes;
        double first;
        try (LanguageModel model = ModelLoader.load(dir, options)) {
            first = (System.nanoTime() - t0) / 1e6;
            config = model.config();
            params = model.weights().parameterCount();
            fileBytes = fileBytes(model);
            System.gc();
            Runtime rt = Runtime.getRuntime();
            double heapUsed = (rt.totalMemory() - rt.freeMemory()) / (1024.0 * 1024.0);
            double rssLoad = ProcessMemory.mib("VmRSS");
            forward(model, new Settings(s.batch(), s.tokens(), 0, 1, s.seed()));
            memory = new LoadResult.Memory(rssBase, rssLoad, ProcessMemory.mib("VmRSS"), ProcessMemory.mib("RssAnon"),
                    ProcessMemory.mib("RssFile"), ProcessMemory.mib("VmHWM"), heapUsed);
        }
        double[] times = new double[s.iters()];
        double[] tokenizerTimes = new double[s.iters()];
        for (int i = 0; i < s.warmup() + s.iters(); i++) {
            long t1 = System.nanoTime();
            ModelLoader.load(dir, options).close();
            record(times, i - s.warmup(), t1);
            long t2 = System.nanoTime();
            HfTokenizer.load(dir).close();
            record(tokenizerTimes, i - s.warmup(), t2);
        }
        return new LoadResult(config, params, new Timing(times), first, new Timing(tokenizerTimes),
                fileBytes / (1024.0 * 1024.0), memory);
    }

    private static void record(double[] times, int timedIndex, long t0) {
        if (timedIndex >= 0) {
            times[timedIndex] = (System.nanoTime() - t0) / 1e6;
        }
    }

    private static long[] ids(LanguageModel model, Settings s) {
        int positions = model.config().maxPositions();
        if (s.tokens() > positions) {
            throw new IllegalArgumentException("--tokens %d exceeds the model's %d positions".formatted(s.tokens(),
                    positions));
        }
        return tokenIds(s.seed(), s.batch(), s.tokens(), model.config().vocabSize());
    }

    /** The first T ids of each row: [B,T], no padding. */
    private static TokenBatch inputs(LanguageModel model, Settings s) {
        long[] all = ids(model, s);
        int t = s.tokens();
        long[] in = new long[s.batch() * t];
        for (int b = 0; b < s.batch(); b++) {
            System.arraycopy(all, b * (t + 1), in, b * t, t);
        }
        long[] mask = new long[in.length];
        Arrays.fill(mask, 1);
        return TokenBatch.of(s.batch(), t, in, mask);
    }

    /** The last T ids of each row: [B*T], the next token of every input position. */
    private static long[] targets(LanguageModel model, Settings s) {
        long[] all = ids(model, s);
        int t = s.tokens();
        long[] out = new long[s.batch() * t];
        for (int b = 0; b < s.batch(); b++) {
            System.arraycopy(all, b * (t + 1) + 1, out, b * t, t);
        }
        return out;
    }

    /** sqrt(Σ g²) over every parameter's gradient, in float64; fails if a gradient is not finite. */
    private static double gradientNorm(List<NDArray> params) {
        double sq = 0;
        try (NDScope ignored = new NDScope()) {
            for (NDArray p : params) {
                NDArray g = p.getGradient();
                sq += g.toType(DataType.FLOAT64, false).square().sum().getDouble();
            }
        }
        if (!Double.isFinite(sq)) {
            throw new EmendException("fwd-bwd produced non-finite gradients (sum of squares %s)".formatted(sq));
        }
        return Math.sqrt(sq);
    }

    private static long fileBytes(LanguageModel model) {
        Set<Path> files = new LinkedHashSet<>();
        WeightStore w = model.weights();
        w.names().forEach(n -> files.add(w.file(n)));
        long bytes = 0;
        for (Path f : files) {
            try {
                bytes += Files.size(f);
            } catch (IOException e) {
                throw new EmendException("cannot stat " + f + ": " + e.getMessage(), e);
            }
        }
        return bytes;
    }
}
