package dev.emend.edit;

import dev.emend.model.LanguageModel;

/**
 * Creates editors of one method. Registered explicitly in {@link Editors}: MEMIT's {@code ALG_DICT}, typed, without
 * reflection.
 *
 * @param <P> the method's params record
 */
public interface EditorFactory<P extends EditParams> {
    /** @return the method name, equal to the params' {@code alg_name} */
    String method();

    /** @return the params record type */
    Class<P> paramsType();

    /**
     * Creates an editor bound to a model.
     *
     * @param model the model to edit
     * @param params checked against the model's architecture
     * @param context statistics cache, corpora, seed, listener
     * @return the editor
     */
    Editor create(LanguageModel model, P params, EditContext context);
}
