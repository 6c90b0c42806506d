package dev.emend.cli;

import dev.emend.train.TrainConfig;
import dev.emend.train.Trainer;
import dev.emend.world.FactWorldTrainer;
import dev.emend.world.WorldEvaluator;
import dev.emend.world.WorldGenerator;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code emend train-world}: generate a fact world and train a GPT-2-shaped model on it, resumably. */
@Command(name = "train-world", description = "Generate a world of facts and train a model that knows it (resumes from OUT/checkpoint).")
final class TrainWorldCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "model folder to write")
    Path out;

    @Option(names = "--seed", defaultValue = "1")
    long seed;

    @Option(names = "--tiny", description = "a world of about 20 subjects (smoke tests)")
    boolean tiny;

    @Option(names = "--layers", defaultValue = "4")
    int layers;

    @Option(names = "--d-model", defaultValue = "256")
    int width;

    @Option(names = "--heads", defaultValue = "8")
    int heads;

    @Option(names = "--positions", defaultValue = "64", description = "context length")
    int positions;

    @Option(names = "--steps", defaultValue = "6000")
    int steps;

    @Option(names = "--batch", defaultValue = "32", description = "blocks per step")
    int batch;

    @Option(names = "--tokens", defaultValue = "64", description = "tokens per block")
    int tokens;

    @Option(names = "--lr", defaultValue = "1e-3")
    double lr;

    @Option(names = "--min-lr", defaultValue = "1e-4")
    double minLr;

    @Option(names = "--warmup", defaultValue = "300")
    int warmup;

    @Option(names = "--weight-decay", defaultValue = "0.01")
    double weightDecay;

    @Option(names = "--clip", defaultValue = "1.0")
    double clip;

    @Option(names = "--eval-every", defaultValue = "1000")
    int evalEvery;

    @Option(names = "--checkpoint-every", defaultValue = "500")
    int checkpointEvery;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        TrainConfig train = new TrainConfig(steps, batch, tokens, lr, minLr, warmup, weightDecay, clip, 0.98, seed,
                evalEvery, checkpointEvery);
        WorldGenerator.Spec world = tiny ? WorldGenerator.Spec.tiny() : WorldGenerator.Spec.standard();
        ProgressBar bar = new ProgressBar(err, "train");
        FactWorldTrainer.Result r = FactWorldTrainer.run(new FactWorldTrainer.Options(this.out, seed, world, layers,
                width, heads, positions, train), new Trainer.Listener() {
                    @Override
                    public void onStep(Trainer.Step s) {
                        if (s.step() % 10 == 0 || s.step() == s.total()) {
                            bar.update(s.step(), s.total(), "loss %.3f lr %.1e |g| %.2f %.1fk tok/s".formatted(s.loss(),
                                    s.lr(), s.gradNorm(), s.tokensPerSecond() / 1000));
                        }
                    }

                    @Override
                    public void onEval(long step, Map<String, Double> metrics) {
                        err.printf("%n  step %d: %s%n", step, metrics);
                    }

                    @Override
                    public void onCheckpoint(long step, Path dir) {
                        // the bar shows progress; checkpoints are silent
                    }
                });
        bar.finish();
        out.printf("model       %s (%,d parameters)%n", this.out, r.parameters());
        out.printf("world       %d entities, %d facts, %d two-hop facts (seed %d)%n", r.world().entities().size(),
                r.world().facts().size(), r.world().twoHop().size(), seed);
        out.printf("training    %s this run%n", ProgressBar.duration(r.seconds()));
        for (Map.Entry<String, WorldEvaluator.Accuracy> e : r.accuracy().entrySet()) {
            out.printf("%-18s %s%n", e.getKey(), e.getValue());
        }
        return 0;
    }
}
