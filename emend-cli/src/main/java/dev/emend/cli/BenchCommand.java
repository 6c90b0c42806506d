package dev.emend.cli;

import dev.emend.data.DataFormat;
import dev.emend.data.Dataset;
import dev.emend.edit.Editor;
import dev.emend.embed.SentenceEmbedder;
import dev.emend.eval.BenchConfig;
import dev.emend.eval.BenchmarkRun;
import dev.emend.eval.EditBenchmark;
import dev.emend.eval.EvalOptions;
import dev.emend.eval.Summary;
import dev.emend.model.LanguageModel;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code emend bench}: an editing method on a data set with EasyEdit's metrics, into a resumable results folder
 * ({@link BenchmarkRun}): {@code run.json}, {@code cases.jsonl} (one EasyEdit case record per line), {@code summary.json}.
 * Rerun the same command to resume an interrupted run.
 */
@Command(name = "bench", description = "Benchmark an editing method on a data set (KnowEdit, CounterFact, zsRE) with "
        + "EasyEdit's metrics; resumable: rerun the same command after an interruption.")
final class BenchCommand implements Callable<Integer> {
    @Mixin
    ModelOptions options;

    @Spec
    CommandSpec spec;

    @Option(names = "--method", defaultValue = "ROME", paramLabel = "ROME|R-ROME|MEMIT|AlphaEdit|FT-L|FT-M|LoRA|AdaLoRA|IKE|ICE", description = "editing method (default: ${DEFAULT-VALUE}); IKE and ICE edit in context and change no weight")
    String method;

    @Option(names = "--hparams", paramLabel = "FILE|NAME", description = "EasyEdit hparams YAML, or the name of a bundled one "
            + "(e.g. smollm2-135m; default: the bundled file named after the model folder)")
    String hparams;

    @Option(names = "--train", paramLabel = "FILE", description = "IKE: training requests (KnowEdit/EasyEdit JSON) its "
            + "demonstrations are drawn from; must not contain the evaluated cases")
    Path train;

    @Option(names = "--data", required = true, paramLabel = "FILE", description = "data file: JSON array, JSON Lines or (Sanitation) one object")
    Path data;

    @Option(names = "--format", paramLabel = "F", description = "data format (default: recognised from the fields): "
            + "knowedit, wikibio, convsent, sanitation, counterfact, zsre-mend, rome-counterfact")
    String format;

    @Option(names = "--limit", defaultValue = "0", paramLabel = "N", description = "the first N requests only (default: all)")
    int limit;

    @Option(names = "--mode", defaultValue = "single", paramLabel = "single|sequential|sequential-eval-each|batch",
            description = "single: edit, score, revert per case (default); sequential: all edits stacked, scored after all; "
                    + "sequential-eval-each: stacked, each scored right after its edit; batch: --batch-size cases per edit")
    String mode;

    @Option(names = "--batch-size", defaultValue = "1", paramLabel = "B", description = "cases per edit in batch mode (default: ${DEFAULT-VALUE})")
    int batchSize;

    @Option(names = "--seed", defaultValue = "42", paramLabel = "S", description = "context-template, fluency and ConvSent seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--stats-corpus", paramLabel = "FILE", description = "local text for the key statistics (.txt lines, .jsonl/.json with \"text\")")
    Path statsCorpus;

    @Option(names = "--stats-dir", paramLabel = "DIR", description = "statistics cache (default: ~/.cache/emend/stats)")
    Path statsDir;

    @Option(names = "--cache-dir", paramLabel = "DIR", description = "pre-edit score cache (default: ~/.cache/emend/bench)")
    Path cacheDir;

    @Option(names = "--fluency", description = "also score fluency (EasyEdit's test_generation: n-gram entropy of a sampled text)")
    boolean fluency;

    @Option(names = "--generation", description = "also run the generation protocol (greedy answers, exact match and F1; "
            + "needed by emend report's error analysis)")
    boolean generation;

    @Option(names = "--kl-top-k", paramLabel = "K", defaultValue = "" + EvalOptions.DEFAULT_KL_TOP_K,
            description = "ConvSent's dd: unedited-model tokens kept per answer position, the rest merged into one outcome "
                    + "(a lower bound of the KL; exact when K ≥ the vocabulary size) (default: ${DEFAULT-VALUE})")
    int klTopK;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "results folder (resumed if it holds this run)")
    Path out;

    @Override
    public Integer call() {
        PrintWriter stdout = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        EditBenchmark.Mode m = parseMode(mode);
        DataFormat f = format == null ? null : DataFormat.parse(format);
        BenchConfig config = new BenchConfig(options.model, options.dtype, method,
                EditorSetup.paramsName(method, options.model, hparams), EditorSetup.paramsText(method, options.model, hparams),
                data, f, limit, m, batchSize, seed, EvalOptions.defaults().withFluency(fluency).withGeneration(generation).withKlTopK(klTopK),
                statsCorpus, train, out, cacheDir != null ? cacheDir : Path.of(System.getProperty("user.home"), ".cache", "emend", "bench"));
        BenchmarkRun run = BenchmarkRun.open(config);
        Dataset d = run.dataset();
        err.println("data: " + d.describe() + (limit > 0 ? "; first " + run.requests().size() + " used" : ""));
        if (!run.done().isEmpty()) {
            err.printf("resuming %s: %d of %d cases done%s%n", out, run.done().size(), run.requests().size(),
                    m == EditBenchmark.Mode.SEQUENTIAL || m == EditBenchmark.Mode.SEQUENTIAL_EVAL_EACH
                            ? " (their edits are applied again first)" : "");
        }
        long start = System.nanoTime();
        Summary s;
        try (LanguageModel model = options.load(); SentenceEmbedder embedder = EditorSetup.embedder(train)) {
            Editor editor = EditorSetup.create(method, model, options.model, hparams,
                    EditorSetup.context(options.model, statsCorpus, statsDir, seed, train, embedder).build());
            s = run.run(model, editor, new Bar(err));
        }
        Summary.PhaseSummary pre = s.pre();
        Summary.PhaseSummary post = s.post();
        stdout.printf(Locale.ROOT, "%s on %s (%s), %d cases, %s mode%s%n", method, d.name(), d.format().cliName(), s.cases(),
                mode, s.failed() > 0 ? ", " + s.failed() + " failed edits" : "");
        stdout.printf(Locale.ROOT, "Edit Succ. %s  Portability %s  Locality%s %s  Fluency %s%n", pct(post.editSucc()),
                pct(post.portabilityMean()), post.localityIsDivergence() ? " ↓" : "", pct(post.knowEditLocality()),
                post.fluency() == null ? "-" : pct(post.fluency()));
        Summary.ProtocolSummary pp = post.protocol();
        if (pp != null && pp.es() != null) {
            stdout.printf(Locale.ROOT, "es %s -> %s, dd %s (KL, lower is better)%n", num(pre.protocol() == null ? null : pre.protocol().es()),
                    num(pp.es()), pp.dd() == null ? "-" : String.format(Locale.ROOT, "%.4g", pp.dd()));
        } else if (pp != null && pp.sanitationSuccess() != null) {
            stdout.printf(Locale.ROOT, "sanitation success %s -> %s, retain_acc %s%n",
                    num(pre.protocol() == null ? null : pre.protocol().sanitationSuccess()), num(pp.sanitationSuccess()),
                    num(pp.sanitationRetain()));
        }
        stdout.printf(Locale.ROOT, "rewrite_acc %s -> %s%s%s%n", num(pre.rewriteAcc()), num(post.rewriteAcc()),
                post.rephraseAcc() == null ? "" : ", rephrase_acc %s -> %s".formatted(num(pre.rephraseAcc()), num(post.rephraseAcc())),
                keys("locality", post.locality()) + keys("portability", post.portability()));
        stdout.printf(Locale.ROOT, "%s s per edit; %s this session%n", Double.isNaN(s.time()) ? "-" : String.format(Locale.ROOT, "%.2f", s.time()),
                ProgressBar.duration((System.nanoTime() - start) / 1e9));
        stdout.printf("results: %s, %s%n", run.casesFile(), run.summaryFile());
        stdout.flush();
        return 0;
    }

    static EditBenchmark.Mode parseMode(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "single" -> EditBenchmark.Mode.SINGLE;
            case "sequential" -> EditBenchmark.Mode.SEQUENTIAL;
            case "sequential-eval-each" -> EditBenchmark.Mode.SEQUENTIAL_EVAL_EACH;
            case "batch" -> EditBenchmark.Mode.BATCH;
            default -> throw new IllegalArgumentException("--mode '%s' is not one of single, sequential, sequential-eval-each, batch"
                    .formatted(s));
        };
    }

    private static String pct(Double v) {
        return v == null ? "-" : String.format(Locale.ROOT, "%.2f", 100 * v);
    }

    private static String num(Double v) {
        return v == null ? "-" : String.format(Locale.ROOT, "%.3f", v);
    }

    private static String keys(String name, Map<String, Double> m) {
        if (m.isEmpty()) {
            return "";
        }
        StringBuilder b = new StringBuilder(", ").append(name).append(' ');
        m.forEach((k, v) -> b.append(k).append(' ').append(num(v)).append(' '));
        return b.toString().stripTrailing();
    }

    /** The run's progress as a bar with ETA on stderr, one per stage. */
    private static final class Bar implements BenchmarkRun.Progress {
        private final PrintWriter err;
        private ProgressBar bar;
        private int total;

        Bar(PrintWriter err) {
            this.err = err;
        }

        @Override
        public void start(String stage, int total, int already) {
            this.total = total;
            this.bar = new ProgressBar(err, String.format(Locale.ROOT, "%-17s", stage), already);
            bar.update(already, total, "");
        }

        @Override
        public void advance(int done, String details) {
            bar.update(done, total, details);
        }

        @Override
        public void finish() {
            bar.finish();
        }
    }
}
