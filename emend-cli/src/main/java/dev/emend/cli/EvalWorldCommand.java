package dev.emend.cli;

import dev.emend.model.LanguageModel;
import dev.emend.model.ModelLoader;
import dev.emend.world.FactWorldTrainer;
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

    @Option(names = "--model", defaultValue = "models/fact-world", paramLabel = "DIR",
            description = "fact-world model folder with world.json (default: ${DEFAULT-VALUE})")
    Path model;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        World world = World.read(model.resolve("world.json"));
        try (LanguageModel m = ModelLoader.load(model)) {
            for (Map.Entry<String, WorldEvaluator.Accuracy> e : FactWorldTrainer.evaluate(m, world).entrySet()) {
                out.printf("%-18s %s%n", e.getKey(), e.getValue());
            }
        }
        return 0;
    }
}
