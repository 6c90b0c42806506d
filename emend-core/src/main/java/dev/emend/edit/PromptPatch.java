package dev.emend.edit;

import dev.emend.model.LanguageModel;
import dev.emend.model.PromptContext;
import java.util.List;
import java.util.Objects;

/**
 * An in-context edit (IKE, ICE): text put before every prompt through the model's
 * {@link LanguageModel#promptContext() prompt context}. It changes no parameter, so reverting is exact by
 * construction: {@link #revert()} only removes this patch's parts from the context.
 *
 * <p>A patch may carry several parts (one per request of an {@code applyAll}); applying adds them all after the parts
 * already active, reverting removes them all. Unlike {@link WeightDelta}s, prompt patches may be reverted in any order:
 * the remaining parts keep their order.
 */
public final class PromptPatch implements ModelPatch {
    private final PromptContext context;
    private final List<PromptContext.Part> parts;

    /**
     * Creates the patch, not yet applied.
     *
     * @param model the model whose prompt context it changes
     * @param parts the context parts, in order; at least one
     */
    public PromptPatch(LanguageModel model, List<PromptContext.Part> parts) {
        this(Objects.requireNonNull(model, "model").promptContext(), parts);
    }

    private PromptPatch(PromptContext context, List<PromptContext.Part> parts) {
        this.context = context;
        this.parts = List.copyOf(parts);
        if (this.parts.isEmpty()) {
            throw new IllegalArgumentException("a prompt patch needs at least one context part");
        }
    }

    /**
     * Joins applied patches of one model into one applied patch with all their parts, in order; the given patches
     * are then reverted (their parts live on in the result). Used by {@link Editor#applyAll}.
     *
     * @param patches applied patches, in application order, the most recent ones of their context
     * @return one applied patch whose revert removes every part
     */
    public static PromptPatch sequence(List<PromptPatch> patches) {
        if (patches.isEmpty()) {
            throw new IllegalArgumentException("nothing to join");
        }
        PromptContext context = patches.get(0).context;
        List<PromptContext.Part> all = new java.util.ArrayList<>();
        for (PromptPatch p : patches) {
            if (p.context != context || !p.isApplied()) {
                throw new IllegalArgumentException("only applied prompt patches of one model can be joined");
            }
            all.addAll(p.parts);
        }
        patches.forEach(PromptPatch::revert);
        PromptPatch joined = new PromptPatch(context, all);
        joined.apply();
        return joined;
    }

    /** @return the parts this patch adds, in order */
    public List<PromptContext.Part> parts() {
        return parts;
    }

    @Override
    public boolean isApplied() {
        return context.contains(this);
    }

    @Override
    public void apply() {
        if (!isApplied()) {
            context.add(this, parts);
        }
    }

    @Override
    public void revert() {
        context.remove(this);
    }
}
