package dev.emend.edit.locate;

import dev.emend.EditException;
import dev.emend.edit.EditContext;
import dev.emend.model.LanguageModel;
import dev.emend.stats.LayerStatsCache;
import dev.emend.stats.SecondMoment;
import dev.emend.stats.TextCorpus;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * The key second moments {@code C_l = E[k kᵀ]} one editor uses (algorithms §1.4), read from the disk cache or
 * computed from the local corpus the params name ({@code mom2_dataset}), once per layer, from the model as it is at
 * first use (the reference code never refreshes them after edits). Derived forms (a Cholesky factor, a null-space
 * basis) are cached beside them.
 */
public final class KeyStatistics {
    /**
     * Where the statistics come from.
     *
     * @param dataset {@code mom2_dataset}, resolved through the edit context's corpora
     * @param samples {@code mom2_n_samples}, documents
     * @param dtype {@code mom2_dtype}
     * @param statsDir {@code stats_dir}, used unless the edit context names a folder
     */
    public record Source(String dataset, int samples, String dtype, String statsDir) {}

    private final LanguageModel model;
    private final EditContext context;
    private final Source source;
    private final Map<Integer, SecondMoment> moments = new HashMap<>();
    private final Map<String, Object> derived = new HashMap<>();

    /**
     * @param model the model (its weights at first use define C)
     * @param context corpora, cache folder, listener
     * @param source the params' statistics keys
     */
    public KeyStatistics(LanguageModel model, EditContext context, Source source) {
        this.model = model;
        this.context = context;
        this.source = source;
    }

    /**
     * @param layer the block
     * @return C of that layer
     * @throws EditException if the params name a corpus the context does not have
     */
    public SecondMoment secondMoment(int layer) {
        SecondMoment m = moments.get(layer);
        if (m == null) {
            TextCorpus corpus = context.corpus(source.dataset()).orElseThrow(() -> new EditException((
                    "the key statistics need a local corpus for mom2_dataset '%s', and none was given (registered: %s). "
                    + "Pass one (emend edit --stats-corpus FILE; EditContext.optCorpus), or set mom2_adjustment: false "
                    + "where the method allows it").formatted(source.dataset(), context.corpusNames())));
            context.listener().onStage("layer statistics");
            Path dir = context.statsDir().orElse(Path.of(source.statsDir()));
            int total = Math.min(source.samples(), corpus.size());
            m = new LayerStatsCache(dir).secondMoment(model, layer, corpus, source.samples(), source.dtype(),
                    docs -> context.listener().onStatistics(docs, total));
            moments.put(layer, m);
        }
        return m;
    }

    /**
     * A form derived from C, computed once per layer and kind.
     *
     * @param kind a name for the form, e.g. "cholesky"
     * @param layer the block
     * @param derive computes the form from C
     * @param <T> the form's type
     * @return the cached form
     */
    @SuppressWarnings("unchecked")
    public <T> T derived(String kind, int layer, Function<SecondMoment, T> derive) {
        String key = kind + "/" + layer;
        Object v = derived.get(key);
        if (v == null) {
            v = derive.apply(secondMoment(layer));
            derived.put(key, v);
        }
        return (T) v;
    }
}
