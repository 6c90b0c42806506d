package dev.emend.cli;

import dev.emend.model.LanguageModel;
import dev.emend.stats.LayerStatsCache;
import dev.emend.stats.SecondMoment;
import dev.emend.stats.TextCorpus;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code emend stats}: computes (or finds in the cache) the key second moments {@code C = E[k kᵀ]} that ROME, MEMIT
 * and AlphaEdit read, so that a later edit starts at once. The cache key is the one editors use, so an edit with the
 * same corpus, count and dtype finds these files.
 */
@Command(name = "stats", description = "Compute and cache the key statistics C = E[k k^T] of MLP layers from local text.")
final class StatsCommand implements Callable<Integer> {
    @Mixin
    ModelOptions options;

    @Option(names = "--layers", required = true, split = ",", paramLabel = "L,L,...", description = "blocks, e.g. 4,5,6")
    List<Integer> layers;

    @Option(names = "--corpus", required = true, paramLabel = "FILE", description = "text (.txt: a document per line; "
            + ".json/.jsonl: \"text\" fields); repeat for several files, read in order")
    List<Path> corpus;

    static final class Count {
        @Option(names = "--samples", paramLabel = "N", description = "documents to read (EasyEdit's mom2_n_samples)")
        Integer documents;

        @Option(names = "--tokens", paramLabel = "N", description = "read documents until N tokens (after truncation "
                + "to the context) are covered")
        Long tokens;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Count count;

    @Option(names = "--mom2-dtype", defaultValue = "float32", paramLabel = "float32|float64", description = "accumulation type "
            + "(mom2_dtype; default: ${DEFAULT-VALUE})")
    String dtype;

    @Option(names = "--stats-dir", paramLabel = "DIR", description = "statistics cache (default: ~/.cache/emend/stats)")
    Path statsDir;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        TextCorpus text = read(corpus);
        try (LanguageModel model = options.load()) {
            int documents = count.documents != null ? count.documents : documentsFor(model, text, count.tokens);
            if (documents < 1) {
                throw new IllegalArgumentException("--samples must be at least 1, got " + documents);
            }
            int n = Math.min(documents, text.size());
            Path dir = statsDir != null ? statsDir : Path.of(System.getProperty("user.home"), ".cache", "emend", "stats");
            LayerStatsCache cache = new LayerStatsCache(dir);
            out.printf("corpus %s: %d documents, reading %d%n", text.name(), text.size(), n);
            for (int layer : layers) {
                if (layer < 0 || layer >= model.config().numLayers()) {
                    throw new IllegalArgumentException("layer %d is outside the model's layers 0..%d"
                            .formatted(layer, model.config().numLayers() - 1));
                }
                long start = System.nanoTime();
                ProgressBar bar = new ProgressBar(err, "layer " + layer);
                SecondMoment m = cache.secondMoment(model, layer, text, n, dtype, docs -> bar.update(docs, n, "documents"));
                bar.finish();
                double trace = 0;
                for (int i = 0; i < m.dim(); i++) {
                    trace += m.moment(i, i);
                }
                out.printf("layer %d: C is %d x %d from %d key rows of %d documents (%s), trace %.4g, %.1f s%n", layer,
                        m.dim(), m.dim(), m.count(), m.documents(), m.dtype(), trace, (System.nanoTime() - start) / 1e9);
            }
            out.printf("cached in %s%n", cache.dir());
            out.flush();
        }
        return 0;
    }

    private static TextCorpus read(List<Path> files) {
        if (files.size() == 1) {
            return TextCorpus.read(files.get(0));
        }
        List<String> docs = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (Path f : files) {
            TextCorpus c = TextCorpus.read(f);
            docs.addAll(c.documents());
            names.add(c.name());
        }
        return TextCorpus.of(String.join("+", names), docs);
    }

    /** The number of leading documents whose tokens, each truncated to the context, reach {@code tokens}. */
    private static int documentsFor(LanguageModel model, TextCorpus text, long tokens) {
        if (tokens < 1) {
            throw new IllegalArgumentException("--tokens must be at least 1, got " + tokens);
        }
        int context = model.config().maxPositions();
        long seen = 0;
        int docs = 0;
        for (String d : text.documents()) {
            seen += Math.min(context, model.tokenizer().encode(d, true).length);
            docs++;
            if (seen >= tokens) {
                break;
            }
        }
        return docs;
    }
}
