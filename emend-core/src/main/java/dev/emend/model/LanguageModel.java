package dev.emend.model;

import ai.djl.ndarray.NDManager;
import dev.emend.tokenizer.TokenBatch;
import dev.emend.tokenizer.Tokenizer;
import java.nio.file.Path;

/** A decoder-only causal LM whose forward pass exposes named intervention points ({@link HookPoint}). */
public interface LanguageModel extends AutoCloseable {
    /** @return the normalised config */
    ModelConfig config();

    /** @return checkpoint names, orientation and hook-point mapping */
    Architecture architecture();

    /** @return the tokenizer */
    Tokenizer tokenizer();

    /** @return named parameters */
    WeightStore weights();

    /**
     * The text that active in-context edits (IKE, ICE) put before every prompt. Whatever turns a user prompt into
     * model input on behalf of an edited model (the evaluator's probes, {@link Generator}'s text prompts, the CLI)
     * passes it through {@link PromptContext#wrap}; token-level entry points ({@link #forward}, {@link Scorer} on ids)
     * are the raw model.
     *
     * @return this model's prompt context, empty while no in-context edit is applied
     */
    PromptContext promptContext();

    /** @return the folder or file the model was loaded from */
    Path source();

    /**
     * The manager activations are created in. Arrays a forward pass returns are attached here and registered with
     * the caller's current {@code NDScope}; run forward passes inside a scope.
     *
     * @return the activation manager
     */
    NDManager manager();

    /**
     * Runs the model.
     *
     * @param request tokens, hooks, overrides, logits wanted, cache
     * @return logits and captured activations, registered with the caller's current scope
     */
    ForwardResult forward(ForwardRequest request);

    /**
     * Runs the model with hooks and logits at every position.
     *
     * @param batch token ids [B,T] and mask [B,T]
     * @param hooks captures and interventions; {@link Hooks#none()} for a plain pass
     * @return logits [B,T,V] and captured activations, registered with the caller's current scope
     */
    default ForwardResult forward(TokenBatch batch, Hooks hooks) {
        return forward(ForwardRequest.builder(batch).hooks(hooks).build());
    }

    /** Frees the weights and every native resource. */
    @Override
    void close();
}
