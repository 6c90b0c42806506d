package dev.emend.world;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.emend.EmendException;
import dev.emend.model.Architecture;
import dev.emend.model.GenerationConfig;
import dev.emend.model.Generator;
import dev.emend.model.HfConfig;
import dev.emend.model.LanguageModel;
import dev.emend.model.ModelFamilies;
import dev.emend.model.ModelLoader;
import dev.emend.model.ModelSaver;
import dev.emend.model.gpt2.Gpt2Family;
import dev.emend.train.ModelInit;
import dev.emend.train.TrainConfig;
import dev.emend.train.Trainer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Builds a fact-world model end to end: generates the world, writes its tokenizer, initialises a GPT-2-shaped
 * model, trains it on the world's corpus (resuming from {@code checkpoint/} if present), saves it as an HF folder
 * with {@code world.json}, and measures first-token accuracy on trained facts, held-out templates, aliases and
 * untrained two-hop compositions.
 */
public final class FactWorldTrainer {
    /** Probes sampled for the periodic evaluation during training. */
    private static final int EVAL_SAMPLE = 400;
    /** Cases per edit benchmark (insertion is capped by the reserved people). */
    private static final int BENCH_CASES = 400;

    private FactWorldTrainer() {}

    /**
     * What to build.
     *
     * @param out the model folder
     * @param seed world and initialisation seed
     * @param spec world size
     * @param layers transformer blocks
     * @param width d_model
     * @param heads attention heads
     * @param positions context length
     * @param train optimisation settings
     */
    public record Options(Path out, long seed, WorldGenerator.Spec spec, int layers, int width, int heads,
            int positions, TrainConfig train) {}

    /**
     * What was built.
     *
     * @param world the world
     * @param accuracy final first-token accuracies: trained, held_out, aliases, two_hop_untrained
     * @param seconds training wall time of this run
     * @param parameters parameter count
     */
    public record Result(World world, Map<String, WorldEvaluator.Accuracy> accuracy, double seconds, long parameters) {}

    /**
     * Generates, trains, saves and evaluates.
     *
     * @param o options
     * @param listener training progress
     * @return the result
     */
    public static Result run(Options o, Trainer.Listener listener) {
        World world = WorldGenerator.generate(o.seed(), o.spec());
        List<String> sentences = WorldCorpus.trainingSentences(world);
        List<String> extra = new ArrayList<>();
        world.reserved().forEach(e -> extra.add(e.name()));
        prepareFolder(o, world, sentences, extra);
        Path checkpoint = o.out().resolve("checkpoint");
        long start = System.nanoTime();
        Map<String, WorldEvaluator.Accuracy> accuracy;
        long params;
        Trainer.Step[] last = new Trainer.Step[1];
        Trainer.Listener recording = new Trainer.Listener() {
            @Override
            public void onStep(Trainer.Step s) {
                last[0] = s;
                listener.onStep(s);
            }

            @Override
            public void onEval(long step, Map<String, Double> metrics) {
                listener.onEval(step, metrics);
            }

            @Override
            public void onCheckpoint(long step, Path dir) {
                listener.onCheckpoint(step, dir);
            }
        };
        try (LanguageModel model = ModelLoader.load(o.out())) {
            List<int[]> sequences = new ArrayList<>();
            for (String s : sentences) {
                sequences.add(model.tokenizer().encode(s, true));
            }
            List<WorldCorpus.Probe> trainedSample = WorldEvaluator.sample(WorldCorpus.trained(world), EVAL_SAMPLE);
            List<WorldCorpus.Probe> heldSample = WorldEvaluator.sample(WorldCorpus.heldOut(world), EVAL_SAMPLE);
            try (Trainer trainer = new Trainer(model, sequences, o.train())) {
                trainer.train(checkpoint, m -> {
                    Map<String, Double> r = new LinkedHashMap<>();
                    r.put("trained", WorldEvaluator.firstToken(m, trainedSample, 64).value());
                    r.put("held_out", WorldEvaluator.firstToken(m, heldSample, 64).value());
                    return r;
                }, recording);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            ModelSaver.save(model, o.out(), ModelSaver.Options.full());
            accuracy = evaluate(model, world);
            params = model.weights().parameterCount();
            ModelCard.writeTraining(o.out(), trainingRecord(o, last[0], params));
            ModelCard.writeMetrics(o.out(), accuracy);
            ModelCard.render(o.out(), samples(model, world));
            deleteTree(checkpoint);
            return new Result(world, accuracy, seconds, params);
        }
    }

    /**
     * Greedy continuations of the card's generic prompts (fluency samples).
     *
     * @param model the model
     * @param world its world
     * @return prompt → continuation
     */
    public static Map<String, String> samples(LanguageModel model, World world) {
        Map<String, String> out = new LinkedHashMap<>();
        Generator g = new Generator(model);
        for (String p : ModelCard.samplePrompts(world)) {
            out.put(p, g.generate(p, GenerationConfig.greedy(16).withStopStrings(List.of("."))).text() + ".");
        }
        return out;
    }

    /** The command that rebuilds this model. */
    static String command(Options o) {
        TrainConfig t = o.train();
        return ("./emend train-world --out %s --seed %d%s --layers %d --d-model %d --heads %d --positions %d --steps %d "
                + "--batch %d --tokens %d --lr %s --min-lr %s --warmup %d --weight-decay %s --clip %s").formatted(
                o.out(), o.seed(), o.spec().equals(WorldGenerator.Spec.tiny()) ? " --tiny" : "", o.layers(),
                o.width(), o.heads(), o.positions(), t.steps(), t.batchSize(), t.tokensPerRow(), t.peakLr(),
                t.minLr(), t.warmup(), t.weightDecay(), t.clipNorm());
    }

    private static ObjectNode trainingRecord(Options o, Trainer.Step last, long params) {
        TrainConfig t = o.train();
        ObjectNode r = new ObjectMapper().createObjectNode();
        r.put("command", command(o));
        r.put("seed", o.seed());
        r.put("parameters", params);
        r.put("steps", t.steps());
        r.put("batch", t.batchSize());
        r.put("tokens", t.tokensPerRow());
        r.put("lr", t.peakLr());
        r.put("min_lr", t.minLr());
        r.put("warmup", t.warmup());
        r.put("weight_decay", t.weightDecay());
        r.put("clip", t.clipNorm());
        r.put("seconds", last == null ? 0 : last.elapsedSeconds());
        r.put("tokens_per_second", last == null ? 0 : last.tokensPerSecond());
        r.put("final_loss", last == null ? Double.NaN : last.loss());
        r.put("machine", machine());
        return r;
    }

    /** @return e.g. "2 cores (amd64, Linux), Java 17.0.15" */
    static String machine() {
        return "%d cores (%s, %s), Java %s".formatted(Runtime.getRuntime().availableProcessors(),
                System.getProperty("os.arch"), System.getProperty("os.name"), System.getProperty("java.version"));
    }

    /**
     * Measures every probe set of a world.
     *
     * @param model a model trained on the world
     * @param world the world
     * @return accuracies by set name
     */
    public static Map<String, WorldEvaluator.Accuracy> evaluate(LanguageModel model, World world) {
        Map<String, WorldEvaluator.Accuracy> out = new LinkedHashMap<>();
        out.put("trained", WorldEvaluator.firstToken(model, WorldCorpus.trained(world), 128));
        out.put("held_out", WorldEvaluator.firstToken(model, WorldCorpus.heldOut(world), 128));
        out.put("aliases", WorldEvaluator.firstToken(model, WorldCorpus.aliases(world), 128));
        out.put("two_hop_untrained", WorldEvaluator.firstToken(model, WorldCorpus.twoHopUntrained(world), 128));
        return out;
    }

    /** Writes world.json, tokenizer, config and fresh weights (unless a checkpoint is there to resume). */
    private static void prepareFolder(Options o, World world, List<String> sentences, List<String> extra) {
        try {
            Files.createDirectories(o.out());
            world.write(o.out().resolve("world.json"));
            List<String> vocab = WordLevelTokenizerWriter.vocabulary(sentences, extra);
            WordLevelTokenizerWriter.write(o.out(), vocab, o.positions());
            ObjectMapper json = new ObjectMapper();
            ObjectNode config = Gpt2Family.configJson(o.layers(), o.width(), o.heads(), o.positions(), vocab.size(), 0);
            Files.writeString(o.out().resolve("config.json"), json.writerWithDefaultPrettyPrinter().writeValueAsString(config));
            ObjectNode gen = json.createObjectNode();
            gen.put("bos_token_id", 0);
            gen.put("eos_token_id", 0);
            gen.put("pad_token_id", 0);
            Files.writeString(o.out().resolve("generation_config.json"), gen.toPrettyString());
            Architecture arch = ModelFamilies.forModelType("gpt2").create(new HfConfig(config, "config.json"), Set.of());
            ModelInit.write(arch, o.out().resolve("model.safetensors"), o.seed());
            EditBenchWriter.write(world, o.out().resolve("bench"), o.seed(), BENCH_CASES);
        } catch (IOException e) {
            throw new EmendException("cannot prepare " + o.out() + ": " + e.getMessage(), e);
        }
    }

    private static void deleteTree(Path p) {
        if (!Files.exists(p)) {
            return;
        }
        try (var walk = Files.walk(p)) {
            for (Path q : (Iterable<Path>) walk.sorted(java.util.Comparator.reverseOrder())::iterator) {
                Files.delete(q);
            }
        } catch (IOException e) {
            throw new EmendException("cannot delete " + p + ": " + e.getMessage(), e);
        }
    }
}
