package dev.emend.cli;

import dev.emend.edit.EditContext;
import dev.emend.edit.EditRequest;
import dev.emend.edit.EditResult;
import dev.emend.edit.Editor;
import dev.emend.edit.Editors;
import dev.emend.model.LanguageModel;
import dev.emend.model.ModelLoader;
import dev.emend.world.DemoQuestions;
import dev.emend.world.FactQuery;
import dev.emend.world.World;
import dev.emend.world.WorldCorpus;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code emend demo}: asks the bundled fact-world model a few facts and shows its answers with probabilities, then
 * moves one fact with ROME and shows the edited prompt, a paraphrase, an alias and an unrelated fact before and after.
 */
@Command(name = "demo", description = "Ask the bundled fact-world model a few facts, then edit one with ROME and show before and after.")
final class DemoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", paramLabel = "DIR", description = "a fact-world model folder (default: the bundled one)")
    Path model;

    @Option(names = "--no-edit", description = "only ask; do not demonstrate an edit")
    boolean noEdit;

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
            if (!noEdit) {
                edit(out, dir, world, m);
            }
        }
        return 0;
    }

    /** Moves one person's birthplace with ROME, shows the probes before and after, then reverts. */
    private void edit(PrintWriter out, Path dir, World world, LanguageModel m) {
        DemoQuestions.DemoEdit e = DemoQuestions.edit(world);
        EditContext.Builder ctx = EditContext.builder().optSeed(42)
                .optStatsDir(Path.of(System.getProperty("user.home"), ".cache", "emend", "stats"));
        WorldCorpus.statsCorpus(dir).ifPresent(c -> ctx.optCorpus(c.name(), c));
        Editor rome = Editors.standard().createBundled("ROME", m, "fact-world", ctx.build());
        List<FactQuery.Answer> before = e.probes().stream().map(q -> FactQuery.ask(m, q.prompt(), q.expected(), 1)).toList();
        out.printf("%nROME: \"%s\" → %s (bundled ROME/fact-world.yaml)%n", e.prompt(), e.newTarget());
        EditResult r = rome.apply(EditRequest.of(e.prompt(), e.subject(), e.newTarget()));
        List<FactQuery.Answer> after = e.probes().stream().map(q -> FactQuery.ask(m, q.prompt(), q.expected(), 1)).toList();
        out.printf("  edited layer %d in %.2f s; each probe: answer before → after (p of the expected answer after)%n",
                (int) r.stats().value("layer"), r.stats().seconds());
        for (int i = 0; i < e.probes().size(); i++) {
            DemoQuestions.Question q = e.probes().get(i);
            out.printf("  [%s] %s … %s → %s   %s (expected %s, p=%.3f)%n", q.label(), q.prompt(), before.get(i).answer(),
                    after.get(i).answer(), after.get(i).correct() ? "✓" : "✗", q.expected(),
                    after.get(i).expectedProbability());
        }
        r.patch().revert();
        FactQuery.Answer restored = FactQuery.ask(m, e.prompt(), null, 1);
        out.printf("  reverted (bit-exact): %s … %s%n", e.prompt(), restored.answer());
    }
}
