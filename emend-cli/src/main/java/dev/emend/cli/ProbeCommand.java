package dev.emend.cli;

import dev.emend.edit.EditRequest;
import dev.emend.edit.Editor;
import dev.emend.eval.general.GeneralData;
import dev.emend.eval.general.GeneralProbe;
import dev.emend.eval.general.MultipleChoice;
import dev.emend.eval.general.MultipleChoiceTask;
import dev.emend.eval.general.ProbeComparison;
import dev.emend.eval.general.ProbeReport;
import dev.emend.eval.general.ProbeTask;
import dev.emend.eval.general.TaskScores;
import dev.emend.eval.general.TriviaQaTask;
import dev.emend.eval.general.XSumTask;
import dev.emend.model.GenerationConfig;
import dev.emend.model.LanguageModel;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code emend probe}: the general-capability probe ({@link GeneralProbe}) on a local data file; with
 * {@code --requests}, before and after applying those edits, with the deltas; the edits are reverted afterwards.
 */
@Command(name = "probe", description = "General-capability probe from a local file (multiple choice by option log-likelihood, "
        + "TriviaQA exact match, XSum ROUGE), optionally before and after edits (--requests), with the deltas.")
final class ProbeCommand implements Callable<Integer> {
    @Mixin
    ModelOptions options;

    @Spec
    CommandSpec spec;

    @Option(names = "--task", required = true, paramLabel = "mc|triviaqa|xsum", description = "mc: CommonsenseQA or PIQA, acc and "
            + "acc_norm; triviaqa: greedy answers, exact match and F1; xsum: greedy summaries, ROUGE-1/2/L F")
    String task;

    @Option(names = "--data", required = true, paramLabel = "FILE", description = "the data file (JSON Lines; TriviaQA also its rc JSON)")
    Path data;

    @Option(names = "--format", paramLabel = "commonsenseqa|piqa", description = "multiple-choice format (default: recognised from the fields)")
    String format;

    @Option(names = "--labels", paramLabel = "FILE", description = "PIQA labels file (one 0/1 per line), if the records have no label")
    Path labels;

    @Option(names = "--limit", defaultValue = "0", paramLabel = "N", description = "the first N items only (default: all)")
    int limit;

    @Option(names = "--template", paramLabel = "TEXT", description = "prompt template with {question} (mc, triviaqa) or {document} "
            + "(xsum); default: \"Question: {question}\\nAnswer:\" or \"{document}\\nTL;DR:\"")
    String template;

    @Option(names = "--max-new-tokens", paramLabel = "N", description = "generated tokens at most (default: 16 for triviaqa, 64 for xsum)")
    Integer maxNewTokens;

    @Option(names = "--batch-size", paramLabel = "B", description = "rows per forward pass (default: 16 for mc, 8 for triviaqa, 4 for xsum)")
    Integer batchSize;

    @Option(names = "--requests", paramLabel = "FILE", description = "edits to apply between the two probes (EasyEdit/KnowEdit JSON or "
            + "JSON Lines of {prompt, subject, target_new, ground_truth?}), applied in order, reverted at the end")
    Path requests;

    @Option(names = "--method", paramLabel = "ROME|R-ROME|MEMIT|AlphaEdit", description = "editing method for --requests (default: ROME)")
    String method;

    @Option(names = "--hparams", paramLabel = "FILE|NAME", description = "EasyEdit hparams YAML, or the name of a bundled one "
            + "(default: the bundled file named after the model folder)")
    String hparams;

    @Option(names = "--stats-corpus", paramLabel = "FILE", description = "local text for the key statistics (.txt lines, .jsonl/.json with \"text\")")
    Path statsCorpus;

    @Option(names = "--stats-dir", paramLabel = "DIR", description = "statistics cache (default: ~/.cache/emend/stats)")
    Path statsDir;

    @Option(names = "--seed", defaultValue = "42", paramLabel = "N", description = "context-template seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        if (requests == null && (method != null || hparams != null)) {
            throw new IllegalArgumentException("--method and --hparams choose how to apply --requests FILE; give the requests too");
        }
        if (limit < 0) {
            throw new IllegalArgumentException("--limit must be 0 (all) or positive, got " + limit);
        }
        ProbeTask t = task();
        List<EditRequest> edits = requests == null ? List.of() : EditRequest.readAll(requests);
        try (LanguageModel model = options.load()) {
            if (edits.isEmpty()) {
                ProbeReport r = GeneralProbe.run(model, List.of(t), limit);
                TaskScores s = r.tasks().get(0);
                out.printf(Locale.ROOT, "%s on %s: %d items, %.1f s%n", s.task(), options.model, s.items(), s.seconds());
                out.printf("%-12s %8s%n", "metric", "score");
                s.metrics().forEach((k, v) -> out.printf(Locale.ROOT, "%-12s %8.4f%n", k, v));
            } else {
                String m = method != null ? method : "ROME";
                Editor editor = EditorSetup.create(m, model, options.model, hparams,
                        EditorSetup.context(options.model, statsCorpus, statsDir, seed, null, null).build());
                ProbeComparison c = GeneralProbe.beforeAfter(model, List.of(t), limit, editor, edits);
                TaskScores before = c.before().tasks().get(0);
                TaskScores after = c.after().tasks().get(0);
                out.printf(Locale.ROOT, "%s on %s: %d items; %s, %d edit%s (params: %s), %.2f s editing%n", before.task(),
                        options.model, before.items(), c.method(), c.edits(), c.edits() == 1 ? "" : "s",
                        EditorSetup.paramsName(m, options.model, hparams), c.editStats().seconds());
                out.printf("%-12s %8s %8s %8s%n", "metric", "before", "after", "delta");
                Map<String, Double> deltas = c.deltas().get(before.task());
                before.metrics().forEach((k, v) -> out.printf(Locale.ROOT, "%-12s %8.4f %8.4f %+8.4f%n", k, v, after.metric(k),
                        deltas.get(k)));
                out.println("edits reverted");
            }
        }
        out.flush();
        return 0;
    }

    private ProbeTask task() {
        return switch (task.toLowerCase(Locale.ROOT)) {
            case "mc" -> {
                if (maxNewTokens != null) {
                    throw new IllegalArgumentException("--max-new-tokens is for the generation tasks (triviaqa, xsum); mc scores options");
                }
                GeneralData.McFormat f = format != null ? GeneralData.McFormat.parse(format) : GeneralData.detectFormat(data);
                List<MultipleChoice> items = GeneralData.multipleChoice(data, f, labels);
                String name = f.name().toLowerCase(Locale.ROOT);
                yield new MultipleChoiceTask(name, items, template != null ? template : MultipleChoiceTask.DEFAULT_TEMPLATE,
                        batchSize != null ? batchSize : 16);
            }
            case "triviaqa" -> {
                noMcOptions();
                TriviaQaTask base = TriviaQaTask.of("triviaqa", GeneralData.triviaQa(data));
                GenerationConfig gen = maxNewTokens(base.generation());
                yield new TriviaQaTask(base.name(), base.items(), template != null ? template : base.template(), gen,
                        batchSize != null ? batchSize : base.batchSize());
            }
            case "xsum" -> {
                noMcOptions();
                XSumTask base = XSumTask.of("xsum", GeneralData.xsum(data));
                GenerationConfig gen = maxNewTokens(base.generation());
                yield new XSumTask(base.name(), base.items(), template != null ? template : base.template(), gen,
                        batchSize != null ? batchSize : base.batchSize());
            }
            default -> throw new IllegalArgumentException("--task '%s' is not one of mc, triviaqa, xsum".formatted(task));
        };
    }

    private GenerationConfig maxNewTokens(GenerationConfig g) {
        return maxNewTokens == null ? g : new GenerationConfig(maxNewTokens, g.temperature(), g.topK(), g.topP(), g.seed(),
                g.stopStrings(), g.stopAtEos());
    }

    private void noMcOptions() {
        if (format != null || labels != null) {
            throw new IllegalArgumentException("--format and --labels are for --task mc");
        }
    }
}
