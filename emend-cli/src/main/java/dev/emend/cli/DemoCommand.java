package dev.emend.cli;

import dev.emend.model.LanguageModel;
import dev.emend.model.ModelLoader;
import dev.emend.world.DemoQuestions;
import dev.emend.world.FactQuery;
import dev.emend.world.World;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code emend demo}: asks the bundled fact-world model a few facts and shows its answers with probabilities. */
@Command(name = "demo", description = "Ask the bundled fact-world model a few facts; show answers and probabilities.")
final class DemoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", paramLabel = "DIR", description = "a fact-world model folder (default: the bundled one)")
    Path model;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        Path dir = model != null ? model : BundledModel.path();
        World world = World.read(dir.resolve("world.json"));
        try (LanguageModel m = ModelLoader.load(dir)) {
            out.printf("fact-world model %s: %d layers, d_model %d, %,d parameters; a world of %d subjects and %d facts%n%n",
                    dir, m.config().numLayers(), m.config().hiddenSize(), m.weights().parameterCount(),
                    world.entities().size(), world.facts().size());
            for (DemoQuestions.Question q : DemoQuestions.pick(world)) {
                FactQuery.Answer a = FactQuery.ask(m, q.prompt(), q.expected(), 3);
                out.printf("[%s] %s … %s   %s (truth: %s, p=%.3f)%n", q.label(), q.prompt(), a.answer(),
                        a.correct() ? "✓" : "✗", q.expected(), a.expectedProbability());
                out.printf("    next token: %s%n", a.top().stream()
                        .map(c -> "%s %.3f".formatted(c.token(), c.probability())).collect(Collectors.joining(", ")));
            }
        }
        return 0;
    }
}
