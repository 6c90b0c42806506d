package dev.emend.cli;

import dev.emend.edit.EditContext;
import dev.emend.edit.EditListener;
import dev.emend.edit.EditRequest;
import dev.emend.edit.EditResult;
import dev.emend.edit.EditSession;
import dev.emend.edit.Editor;
import dev.emend.embed.SentenceEmbedder;
import dev.emend.edit.OptimizationStep;
import dev.emend.edit.PeftAdapter;
import dev.emend.edit.PromptPatch;
import dev.emend.edit.WeightDelta;
import dev.emend.edit.locate.TargetTokens;
import dev.emend.model.GenerationConfig;
import dev.emend.model.Generator;
import dev.emend.model.LanguageModel;
import dev.emend.model.ModelSaver;
import dev.emend.model.Scorer;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code emend edit}: one ROME / R-ROME edit ({@code --prompt --subject --target}) or a file of them
 * ({@code --requests}); prints each request's old and new target probabilities before and after, and on request saves
 * the edited model ({@code --save}) or the edit as a PEFT LoRA adapter ({@code --adapter}).
 */
@Command(name = "edit", description = "Rewrite facts (any registered method) and show the target probabilities before and after.")
final class EditCommand implements Callable<Integer> {
    @Mixin
    ModelOptions options;

    @Spec
    CommandSpec spec;

    @Option(names = "--method", defaultValue = "ROME", paramLabel = "ROME|R-ROME|MEMIT|AlphaEdit|FT-L|FT-M|LoRA|AdaLoRA|IKE|ICE", description = "editing method (default: ${DEFAULT-VALUE}); IKE and ICE edit in context and change no weight")
    String method;

    @Option(names = "--hparams", paramLabel = "FILE|NAME", description = "EasyEdit hparams YAML, or the name of a bundled one "
            + "(e.g. smollm2-135m; default: the bundled file named after the model folder)")
    String hparams;

    @Option(names = "--prompt", paramLabel = "TEXT", description = "the prompt, containing the subject (or {} where it goes)")
    String prompt;

    @Option(names = "--subject", paramLabel = "TEXT")
    String subject;

    @Option(names = "--target", paramLabel = "TEXT", description = "the new object")
    String target;

    @Option(names = "--old", paramLabel = "TEXT", description = "the current object (default: the model's greedy answer)")
    String old;

    @Option(names = "--requests", paramLabel = "FILE", description = "EasyEdit/KnowEdit requests (JSON array or JSON Lines of "
            + "{prompt, subject, target_new, ground_truth?}), applied in order; instead of --prompt/--subject/--target")
    Path requestsFile;

    @Option(names = "--train", paramLabel = "FILE", description = "IKE: training requests (KnowEdit/EasyEdit JSON) its "
            + "demonstrations are drawn from")
    Path train;

    @Option(names = "--save", paramLabel = "DIR", description = "save the edited model as an HF folder")
    Path save;

    @Option(names = "--adapter", paramLabel = "DIR", description = "write the edit as a PEFT LoRA adapter for the unedited model")
    Path adapter;

    @Option(names = "--stats-corpus", paramLabel = "FILE", description = "local text for the key statistics (.txt lines, .jsonl/.json with \"text\")")
    Path statsCorpus;

    @Option(names = "--stats-dir", paramLabel = "DIR", description = "statistics cache (default: ~/.cache/emend/stats)")
    Path statsDir;

    @Option(names = "--seed", defaultValue = "42", paramLabel = "N", description = "context-template seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = {"-v", "--verbose"}, description = "print each optimisation step on stderr")
    boolean verbose;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        List<EditRequest> requests = requests();
        try (LanguageModel model = options.load(); SentenceEmbedder embedder = EditorSetup.embedder(train)) {
            EditContext.Builder ctx = EditorSetup.context(options.model, statsCorpus, statsDir, seed, train, embedder);
            if (verbose) {
                ctx.optListener(new EditListener() {
                    @Override
                    public void onStage(String stage) {
                        err.println("· " + stage);
                    }

                    @Override
                    public void onStep(OptimizationStep s) {
                        err.printf("  step %2d  loss %.4f = %.4f + %.4f + %.4f  p(target) %.4f%n", s.step(), s.loss(), s.nll(),
                                s.kl(), s.weightDecay(), s.targetProbability());
                    }
                });
            }
            Editor editor = EditorSetup.create(method, model, options.model, hparams, ctx.build());
            List<String> olds = new ArrayList<>();
            List<double[]> before = new ArrayList<>();
            for (EditRequest q : requests) {
                String o = old != null ? old : q.knownTarget().orElseGet(() -> greedyAnswer(model, q.filledPrompt()));
                olds.add(o);
                before.add(probabilities(model, q.filledPrompt(), q.targetNew(), o));
            }
            EditResult r = requests.size() == 1 ? editor.apply(requests.get(0)) : editor.applyAll(requests);
            EditSession session = new EditSession();
            session.record(r);

            out.printf("%s edit of %s (params: %s)%s%n", editor.method(), options.model, EditorSetup.paramsName(method,
                    options.model, hparams), requests.size() == 1 ? "" : ", " + requests.size() + " requests");
            for (int i = 0; i < requests.size(); i++) {
                EditRequest q = requests.get(i);
                double[] after = probabilities(model, q.filledPrompt(), q.targetNew(), olds.get(i));
                String label = requests.size() == 1 ? "prompt  " : "[%d] ".formatted(i + 1);
                out.printf("%s%s%n", label, q.filledPrompt());
                int w = Math.max(q.targetNew().length(), olds.get(i).length()) + 2;
                out.printf("%-5s %-" + w + "s %9s %9s%n", "", "", "before", "after");
                out.printf("%-5s %-" + w + "s %9.4f %9.4f%n", "new", quote(q.targetNew()), before.get(i)[0], after[0]);
                out.printf("%-5s %-" + w + "s %9.4f %9.4f%n", "old", quote(olds.get(i)), before.get(i)[1], after[1]);
            }
            List<Double> loss = r.stats().loss();
            if (requests.size() == 1 && !Double.isNaN(r.stats().value("division_factor"))) {
                out.printf("layer %d · %.2f s · %d steps · loss %.3f → %.3f · ‖Δ‖ %.3g · k·u %.3g%n",
                        (int) r.stats().value("layer"), r.stats().seconds(), loss.size(), loss.get(0), loss.get(loss.size() - 1),
                        r.stats().value("update_norm"), r.stats().value("division_factor"));
            } else {
                String norms = r.patch() instanceof WeightDelta d ? d.parameters().stream()
                        .map(p -> "%s ‖Δ‖ %.3g".formatted(p, d.update(p).norm())).collect(java.util.stream.Collectors.joining(", "))
                        : "no weight changed; prompt context: %d tokens".formatted(model.tokenizer().encode(
                                model.promptContext().wrap(""), false).length);
                out.printf("%d edit%s · %.2f s · %d optimisation steps · %s%n", requests.size(), requests.size() == 1 ? "" : "s",
                        r.stats().seconds(), loss.size(), norms);
            }
            if ((save != null || adapter != null) && r.patch() instanceof PromptPatch) {
                throw new IllegalArgumentException("%s edits in context and changes no weight, so there is nothing to save "
                        .formatted(editor.method()) + "with --save or --adapter; drop them, or use a weight-editing method");
            }
            if (save != null) {
                ModelSaver.save(model, save, ModelSaver.Options.full());
                out.printf("saved to %s%n", save);
            }
            if (adapter != null) {
                PeftAdapter a = PeftAdapter.of(model, session);
                a.write(adapter);
                out.printf("PEFT LoRA adapter (r=%d: %s) written to %s%n", a.rank(),
                        String.join(", ", a.modules().stream().map(PeftAdapter.Module::name).toList()), adapter);
            }
            out.flush();
        }
        return 0;
    }

    /** The requests of exactly one of the two forms: --requests FILE, or --prompt, --subject and --target. */
    private List<EditRequest> requests() {
        boolean single = prompt != null || subject != null || target != null;
        if (requestsFile != null) {
            if (single || old != null) {
                throw new IllegalArgumentException("give either --requests FILE or --prompt, --subject and --target (and "
                        + "--old), not both; a request file names each current object as ground_truth");
            }
            return EditRequest.readAll(requestsFile);
        }
        if (prompt == null || subject == null || target == null) {
            throw new IllegalArgumentException("missing %s: give --prompt, --subject and --target, or --requests FILE"
                    .formatted(prompt == null ? "--prompt" : subject == null ? "--subject" : "--target"));
        }
        return List.of(EditRequest.of(prompt, subject, target));
    }

    /**
     * P(target | prompt) for the new and the old target, teacher-forced over all their tokens; the prompt goes through
     * the model's prompt context (in-context edits).
     */
    private static double[] probabilities(LanguageModel model, String prompt, String... targets) {
        int[] p = model.tokenizer().encode(model.promptContext().wrap(prompt), true);
        List<Scorer.Request> reqs = java.util.Arrays.stream(targets)
                .map(t -> new Scorer.Request(p, TargetTokens.encode(model.tokenizer(), t))).toList();
        return new Scorer(model).score(reqs).stream().mapToDouble(s -> Math.exp(s.total())).toArray();
    }

    /** The model's greedy answer: up to 4 tokens, cut at a full stop or line end. */
    private static String greedyAnswer(LanguageModel model, String prompt) {
        GenerationConfig cfg = GenerationConfig.greedy(4).withStopStrings(List.of(".", "\n"));
        String text = new Generator(model).generate(prompt, cfg).text().strip();
        return text.isEmpty() ? "?" : text;
    }

    private static String quote(String s) {
        return "\"" + s + "\"";
    }
}
