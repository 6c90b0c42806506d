package dev.emend.cli;

import dev.emend.EmendException;
import dev.emend.model.LanguageModel;
import dev.emend.model.ModelLoader;
import dev.emend.world.FactWorldTrainer;
import dev.emend.world.ModelCard;
import dev.emend.world.World;
import dev.emend.world.WorldEvaluator;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code emend eval-world}: first-token accuracy of a fact-world model on every probe set of its world. */
@Command(name = "eval-world", description = "Measure a fact-world model: trained facts, held-out templates, aliases, two-hop.")
final class EvalWorldCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", paramLabel = "DIR",
            description = "fact-world model folder with world.json (default: the bundled models/fact-world)")
    Path model;

    @Option(names = "--check", description = "fail unless the counts equal the folder's metrics.json")
    boolean check;

    @Option(names = "--write-card", description = "write metrics.json and re-render the model card README.md")
    boolean writeCard;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        Path dir = model != null ? model : BundledModel.path();
        World world = World.read(dir.resolve("world.json"));
        try (LanguageModel m = ModelLoader.load(dir)) {
            Map<String, WorldEvaluator.Accuracy> measured = FactWorldTrainer.evaluate(m, world);
            measured.forEach((set, a) -> out.printf("%-18s %s%n", set, a));
            if (check) {
                Map<String, WorldEvaluator.Accuracy> card = ModelCard.readMetrics(dir);
                if (!card.equals(measured)) {
                    throw new EmendException("measured %s but %s records %s; re-measure with `emend eval-world "
                            + "--write-card` if the model changed on purpose".formatted(measured,
                                    dir.resolve("metrics.json"), card));
                }
                out.println("matches " + dir.resolve("metrics.json"));
            }
            if (writeCard) {
                ModelCard.writeMetrics(dir, measured);
                ModelCard.render(dir, FactWorldTrainer.samples(m, world));
                out.println("wrote " + dir.resolve("metrics.json") + " and " + dir.resolve("README.md"));
            }
        }
        return 0;
    }
}
