package dev.emend.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.emend.EmendException;
import dev.emend.model.ForwardRequest;
import dev.emend.model.LanguageModel;
import dev.emend.model.ModelLayout;
import dev.emend.model.WeightStore;
import dev.emend.tensor.SafeTensors;
import dev.emend.tensor.StorageType;
import dev.emend.tensor.Tensors;
import dev.emend.tokenizer.TokenBatch;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Trains every parameter of a model as a causal LM on packed token blocks: AdamW, warm-up and cosine schedule,
 * global-norm clipping, periodic evaluation and resumable checkpoints. The model's parameters are replaced by owned
 * leaf arrays that require gradients; the step is one forward and one backward under a {@link GradientCollector},
 * then the update outside it.
 */
public final class Trainer implements AutoCloseable {
    /**
     * Progress of one step.
     *
     * @param step 1-based step
     * @param total total steps
     * @param loss mean token cross-entropy of the batch
     * @param lr learning rate used
     * @param gradNorm global gradient norm before clipping
     * @param tokensPerSecond training throughput (real tokens)
     * @param elapsedSeconds wall time since start (this run)
     */
    public record Step(long step, int total, double loss, double lr, double gradNorm, double tokensPerSecond,
            double elapsedSeconds) {}

    /** Receives progress; the CLI draws a progress bar from it. */
    public interface Listener {
        /** @param s one step */
        void onStep(Step s);

        /** @param step the step @param metrics evaluation results */
        default void onEval(long step, Map<String, Double> metrics) {}

        /** @param step the step @param dir where the checkpoint was written */
        default void onCheckpoint(long step, Path dir) {}
    }

    private final LanguageModel model;
    private final WeightStore weights;
    private final TrainConfig config;
    private final PackedData data;
    private final AdamW adam;
    private final Set<String> decayed = new HashSet<>();
    private final int padId;
    private long step;

    /**
     * Prepares training: every parameter becomes an owned FLOAT32 leaf that requires gradients.
     *
     * @param model a float32 model (e.g. freshly initialised with {@link ModelInit})
     * @param sequences training token sequences (each starting with the separator token)
     * @param config hyper-parameters
     */
    public Trainer(LanguageModel model, List<int[]> sequences, TrainConfig config) {
        this.model = model;
        this.weights = model.weights();
        this.config = config;
        this.data = new PackedData(sequences, config.tokensPerRow(), config.batchSize(), config.seed());
        this.adam = new AdamW(model.manager(), 0.9f, (float) config.beta2(), 1e-8f);
        this.padId = model.tokenizer().specials().padOrFallback();
        ModelLayout layout = model.architecture().layout();
        for (String name : weights.names()) {
            NDArray leaf = Tensors.convert(weights.get(name), DataType.FLOAT32, model.manager());
            leaf.setRequiresGradient(true);
            NDArray previous = weights.replace(name, leaf);
            if (weights.original(name) != previous) {
                weights.release(previous);
            }
            boolean embedding = name.equals(layout.tokenEmbedding()) || name.equals(layout.positionEmbedding());
            if (leaf.getShape().dimension() >= 2 && !embedding) {
                decayed.add(name);
            }
        }
    }

    /** @return steps done */
    public long step() {
        return step;
    }

    /** @return tokens per epoch (without padding) */
    public long tokensPerEpoch() {
        return data.tokensPerEpoch();
    }

    /** @return batches per epoch */
    public int stepsPerEpoch() {
        return data.batchesPerEpoch();
    }

    /**
     * Trains to {@code config.steps()}, resuming from {@code checkpointDir} if it holds a checkpoint.
     *
     * @param checkpointDir where checkpoints go (null: none)
     * @param evaluate evaluation run every {@code evalEvery} steps and at the end (may be null)
     * @param listener progress receiver
     * @return the last evaluation (empty if none)
     */
    public Map<String, Double> train(Path checkpointDir, Function<LanguageModel, Map<String, Double>> evaluate,
            Listener listener) {
        if (checkpointDir != null && Files.isRegularFile(checkpointDir.resolve("state.json"))) {
            restore(checkpointDir);
        }
        Engine engine = Engine.getInstance();
        LrSchedule schedule = config.schedule();
        long start = System.nanoTime();
        long tokens = 0;
        Map<String, Double> last = Map.of();
        while (step < config.steps()) {
            int[][] blocks = data.batch(step);
            step++;
            double lr = schedule.at(step);
            double loss;
            try (NDScope ignored = new NDScope()) {
                Batch b = toBatch(blocks);
                tokens += b.realTargets;
                try (GradientCollector gc = engine.newGradientCollector()) {
                    NDArray logits = model.forward(ForwardRequest.builder(b.tokens).build()).logits();     // [B,T,V]
                    NDArray logp = logits.logSoftmax(-1).gather(b.targets.expandDims(2), 2).squeeze(2);  // [B,T]
                    NDArray lossArray = logp.mul(b.mask).sum().neg().div(Tensors.scalar(logp, b.realTargets));
                    gc.backward(lossArray);
                    loss = lossArray.getFloat();
                }
                JniUtils.setGradMode(false);
                if (!Double.isFinite(loss)) {
                    throw new EmendException("training diverged at step %d (loss %s); lower the learning rate (now %g)"
                            .formatted(step, loss, lr));
                }
                double norm = update((float) lr);
                double seconds = (System.nanoTime() - start) / 1e9;
                listener.onStep(new Step(step, config.steps(), loss, lr, norm, tokens / seconds, seconds));
            }
            if (evaluate != null && config.evalEvery() > 0 && step % config.evalEvery() == 0 && step < config.steps()) {
                last = evaluate.apply(model);
                listener.onEval(step, last);
            }
            if (checkpointDir != null && config.checkpointEvery() > 0 && step % config.checkpointEvery() == 0) {
                checkpoint(checkpointDir);
                listener.onCheckpoint(step, checkpointDir);
            }
        }
        if (evaluate != null) {
            last = evaluate.apply(model);
            listener.onEval(step, last);
        }
        return last;
    }

    private record Batch(TokenBatch tokens, NDArray targets, NDArray mask, int realTargets) {}

    private Batch toBatch(int[][] blocks) {
        int b = blocks.length;
        int t = config.tokensPerRow();
        long[] ids = new long[b * t];
        long[] attention = new long[b * t];
        long[] targets = new long[b * t];
        float[] mask = new float[b * t];
        int real = 0;
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < t; j++) {
                int in = blocks[i][j];
                int out = blocks[i][j + 1];
                ids[i * t + j] = in == PackedData.PAD ? padId : in;
                attention[i * t + j] = in == PackedData.PAD ? 0 : 1;
                targets[i * t + j] = out == PackedData.PAD ? padId : out;
                if (in != PackedData.PAD && out != PackedData.PAD) {
                    mask[i * t + j] = 1f;
                    real++;
                }
            }
        }
        NDManager m = model.manager();
        return new Batch(TokenBatch.of(b, t, ids, attention), Tensors.create(m, targets, new Shape(b, t)),
                Tensors.create(m, mask, new Shape(b, t)), Math.max(real, 1));
    }

    /** Clips the global gradient norm, takes an AdamW step, zeroes gradients. Returns the norm before clipping. */
    private double update(float lr) {
        Map<String, NDArray> grads = new LinkedHashMap<>();
        for (String name : weights.names()) {
            grads.put(name, weights.get(name).getGradient());
        }
        double norm = GradClip.globalNorm(grads.values());
        float scale = (float) GradClip.coefficient(norm, config.clipNorm());
        adam.beginStep();
        for (Map.Entry<String, NDArray> e : grads.entrySet()) {
            NDArray p = weights.get(e.getKey());
            NDArray g = scale == 1f ? e.getValue() : e.getValue().mul(scale);
            adam.update(e.getKey(), p, g, lr, decayed.contains(e.getKey()) ? (float) config.weightDecay() : 0f);
            JniUtils.zeroGrad((PtNDArray) p);
        }
        return norm;
    }

    /**
     * Writes a checkpoint: parameters, Adam moments, and the step, atomically (a temporary folder renamed).
     *
     * @param dir the checkpoint folder
     */
    public void checkpoint(Path dir) {
        Path tmp = dir.resolveSibling(dir.getFileName() + ".tmp");
        try {
            deleteTree(tmp);
            Files.createDirectories(tmp);
            List<SafeTensors.Entry> params = new ArrayList<>();
            for (String name : weights.names()) {
                params.add(new SafeTensors.Entry(name, weights.get(name), StorageType.F32));
            }
            SafeTensors.write(tmp.resolve("model.safetensors"), params, Map.of("format", "pt"));
            List<SafeTensors.Entry> moments = new ArrayList<>();
            adam.moments().forEach((k, mv) -> {
                moments.add(new SafeTensors.Entry("m." + k, mv[0], StorageType.F32));
                moments.add(new SafeTensors.Entry("v." + k, mv[1], StorageType.F32));
            });
            SafeTensors.write(tmp.resolve("adam.safetensors"), moments, Map.of());
            ObjectNode state = new ObjectMapper().createObjectNode();
            state.put("step", step);
            state.put("adam_step", adam.step());
            state.put("seed", config.seed());
            state.put("steps", config.steps());
            state.put("batch_size", config.batchSize());
            state.put("tokens_per_row", config.tokensPerRow());
            Files.writeString(tmp.resolve("state.json"), state.toPrettyString());
            deleteTree(dir);
            Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new EmendException("cannot write checkpoint " + dir + ": " + e.getMessage(), e);
        }
    }

    private void restore(Path dir) {
        try {
            var state = new ObjectMapper().readTree(dir.resolve("state.json").toFile());
            if (state.get("seed").asLong() != config.seed()) {
                throw new EmendException("checkpoint %s was made with seed %d, not %d; use the same seed or delete it"
                        .formatted(dir, state.get("seed").asLong(), config.seed()));
            }
            // the batches are a function of (seed, batch size, block length, step): resuming with another shape
            // would silently train on a different data order than the run being resumed
            for (var check : List.of(Map.entry("batch_size", config.batchSize()),
                    Map.entry("tokens_per_row", config.tokensPerRow()))) {
                if (state.has(check.getKey()) && state.get(check.getKey()).asInt() != check.getValue()) {
                    throw new EmendException("checkpoint %s was made with %s %d, not %d; use the same value or delete it"
                            .formatted(dir, check.getKey().replace('_', ' '), state.get(check.getKey()).asInt(),
                                    check.getValue()));
                }
            }
            try (NDManager m = NDManager.newBaseManager()) {
                SafeTensors.Header h = SafeTensors.readHeader(dir.resolve("model.safetensors"));
                for (SafeTensors.TensorInfo t : h.tensors()) {
                    NDArray saved = SafeTensors.load(m, h, t, DataType.FLOAT32);
                    NDArray p = weights.get(t.name());
                    p.set(saved.toByteBuffer()); // in place: p stays the same leaf
                }
                SafeTensors.Header a = SafeTensors.readHeader(dir.resolve("adam.safetensors"));
                Map<String, NDArray[]> moments = new LinkedHashMap<>();
                for (SafeTensors.TensorInfo t : a.tensors()) {
                    String name = t.name().substring(2);
                    NDArray[] mv = moments.computeIfAbsent(name, k -> new NDArray[2]);
                    mv[t.name().startsWith("m.") ? 0 : 1] = SafeTensors.load(m, a, t, DataType.FLOAT32);
                }
                adam.restore(state.get("adam_step").asLong(), moments);
            }
            step = state.get("step").asLong();
        } catch (IOException e) {
            throw new EmendException("cannot read checkpoint " + dir + ": " + e.getMessage(), e);
        }
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (var walk = Files.walk(p)) {
            for (Path q : (Iterable<Path>) walk.sorted(java.util.Comparator.reverseOrder())::iterator) {
                Files.delete(q);
            }
        }
    }

    /** @return the parameters as an NDList (debugging, tests) */
    NDList parameters() {
        NDList l = new NDList();
        weights.names().forEach(n -> l.add(weights.get(n)));
        return l;
    }

    /** Frees the optimizer state (the model stays open). */
    @Override
    public void close() {
        JniUtils.setGradMode(false);
        for (String name : weights.names()) {
            weights.get(name).setRequiresGradient(false);
        }
        adam.close();
    }
}
