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

    /** An editor constructor, {@code (model, params, context) -> editor}. */
    @FunctionalInterface
    interface Constructor<P> {
        /**
         * @param model the model
         * @param params the params
         * @param context the context
         * @return the editor
         */
        Editor create(LanguageModel model, P params, EditContext context);
    }

    /**
     * The usual factory: refuses params written for another method, then calls the constructor.
     *
     * @param method the method name
     * @param paramsType the params record type
     * @param constructor builds the editor
     * @param <P> the params type
     * @return the factory
     */
    static <P extends EditParams> EditorFactory<P> of(String method, Class<P> paramsType, Constructor<P> constructor) {
        return new EditorFactory<>() {
            @Override
            public String method() {
                return method;
            }

            @Override
            public Class<P> paramsType() {
                return paramsType;
            }

            @Override
            public Editor create(LanguageModel model, P params, EditContext context) {
                if (!method.equals(params.method())) {
                    throw new dev.emend.ConfigException("the params say alg_name: %s, but the method is %s; use a %s params file"
                            .formatted(params.algName(), method, method));
                }
                return constructor.create(model, params, context);
            }
        };
    }
}
