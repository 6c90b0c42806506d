package dev.emend.edit.ike;

import dev.emend.ConfigException;
import dev.emend.edit.EditContext;
import dev.emend.edit.EditRequest;
import dev.emend.edit.EditResult;
import dev.emend.edit.EditStats;
import dev.emend.edit.Editor;
import dev.emend.edit.EditorFactory;
import dev.emend.edit.PromptPatch;
import dev.emend.embed.SentenceEmbedder;
import dev.emend.model.LanguageModel;
import dev.emend.model.PromptContext;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * IKE, in-context knowledge editing (Zheng et al., EMNLP 2023; EasyEdit {@code models/ike/ike_main.py}; algorithms
 * §11.1): the edit is a {@link PromptPatch} that puts, before every prompt,
 * <pre>''.join(demonstrations) + "New Fact: {p} {t}\n" + "Prompt: " + query</pre>
 * where the demonstrations are the {@code k} sentences of the {@link DemonstrationStore} closest (dot product of
 * sentence embeddings) to {@code "New Fact: {p} {t}\nPrompt: {p}\n\n"}, most similar first. With
 * {@code use_icl_examples: false} there are no demonstrations (EasyEdit's "ICE" column). No weight changes.
 *
 * <p>The training requests and the embedder come from the {@link EditContext} ({@code optTrainingRequests},
 * {@code optEmbedder}); the store is embedded once, when the editor is made.
 *
 * <p>Deviation, for models with a short context: EasyEdit joins all {@code k} demonstrations whatever their length
 * (and fails past the model's positions). Here the least similar demonstrations are dropped until the context (the
 * demonstrations, the "New Fact" line and "Prompt: ") takes at most {@code maxPositions − min(maxPositions/2, 128)}
 * tokens, so that every query keeps at least that reserve. For GPT-2 (1024) that is 896 tokens, which 16 typical
 * demonstrations do not reach; for the bundled fact-world model (64 positions) it is 32 tokens, about one
 * demonstration. The stats report {@code demonstrations} (kept), {@code retrieved} and {@code context_tokens}.
 */
public final class IkeEditor implements Editor {
    /** What introduces the query after the "New Fact" line. */
    public static final String QUERY_LEAD = "Prompt: ";

    private final LanguageModel model;
    private final IkeParams params;
    private final SentenceEmbedder embedder;
    private final DemonstrationStore store;

    /**
     * @param model the model whose prompt context the edits change
     * @param params the params
     * @param context with {@code use_icl_examples: true}: the training requests and the sentence embedder
     * @throws ConfigException if demonstrations are wanted but the context has no embedder or no training requests
     */
    public IkeEditor(LanguageModel model, IkeParams params, EditContext context) {
        this.model = model;
        this.params = params;
        if (params.useIclExamples()) {
            this.embedder = context.embedder().orElseThrow(() -> new ConfigException(("IKE with use_icl_examples: true "
                    + "ranks its demonstrations with a sentence embedder (EasyEdit: %s), and none was given; pass one "
                    + "with EditContext.builder().optEmbedder(...), or set use_icl_examples: false for the New Fact line "
                    + "alone").formatted(params.sentenceModelName())));
            if (context.trainingRequests().isEmpty()) {
                throw new ConfigException("IKE with use_icl_examples: true draws its demonstrations from training requests "
                        + "(EasyEdit's train_ds), and none were given; pass them with EditContext.builder()"
                        + ".optTrainingRequests(...) (emend: --train FILE), or set use_icl_examples: false");
            }
            this.store = DemonstrationStore.build(context.trainingRequests(), embedder);
        } else {
            this.embedder = null;
            this.store = null;
        }
    }

    /** @return the factory registered as "IKE" */
    public static EditorFactory<IkeParams> factory() {
        return EditorFactory.of(IkeParams.IKE, IkeParams.class, IkeEditor::new);
    }

    @Override
    public String method() {
        return IkeParams.IKE;
    }

    /** @return the params */
    public IkeParams params() {
        return params;
    }

    /**
     * The retrieved demonstrations for a request, before any is dropped for length.
     *
     * @param request the edit
     * @return the top-k sentences, most similar first; empty with {@code use_icl_examples: false}
     */
    public List<String> demonstrations(EditRequest request) {
        if (store == null) {
            return List.of();
        }
        float[] q = embedder.embed(List.of(DemonstrationStore.query(request)))[0];        // [d]
        return store.search(q, params.k()).stream().map(DemonstrationStore.Hit::sentence).toList();
    }

    @Override
    public EditResult apply(EditRequest request) {
        long start = System.nanoTime();
        List<String> retrieved = demonstrations(request);
        String fact = "New Fact: " + DemonstrationStore.newFact(request) + "\n";
        int budget = contextBudget(model.config().maxPositions());
        List<String> kept = new ArrayList<>(retrieved);
        int tokens = tokens(kept, fact);
        while (!kept.isEmpty() && tokens > budget) {
            kept.remove(kept.size() - 1);                                                  // the least similar
            tokens = tokens(kept, fact);
        }
        PromptPatch patch = new PromptPatch(model, List.of(new PromptContext.Part(String.join("", kept), fact, QUERY_LEAD)));
        patch.apply();
        Map<String, Double> values = new LinkedHashMap<>();
        values.put("demonstrations", (double) kept.size());
        values.put("retrieved", (double) retrieved.size());
        values.put("context_tokens", (double) tokens);
        return new EditResult(List.of(request), patch, new EditStats(List.of(), values, (System.nanoTime() - start) / 1e9));
    }

    /**
     * @param maxPositions the model's context length
     * @return the most tokens the in-context part may take: {@code maxPositions − min(maxPositions/2, 128)}
     */
    static int contextBudget(int maxPositions) {
        return maxPositions - Math.min(maxPositions / 2, 128);
    }

    private int tokens(List<String> examples, String fact) {
        return model.tokenizer().encode(String.join("", examples) + fact + QUERY_LEAD, false).length;
    }
}
