package dev.emend.edit.ice;

import dev.emend.edit.EditContext;
import dev.emend.edit.EditRequest;
import dev.emend.edit.EditResult;
import dev.emend.edit.EditStats;
import dev.emend.edit.Editor;
import dev.emend.edit.EditorFactory;
import dev.emend.edit.PromptPatch;
import dev.emend.model.LanguageModel;
import dev.emend.model.PromptContext;
import java.util.List;
import java.util.Map;

/**
 * ICE, RippleEdits' in-context editing baseline (Cohen et al., TACL 2024, arXiv:2307.12976;
 * {@code edenbiran/RippleEdits} {@code src/modeleditor.py::InContextModelEditor}; algorithms §11.2(a)): the edit is a
 * {@link PromptPatch} that puts {@code "Imagine that {p} {t}\n"} before every prompt, {@code p} being the filled
 * prompt and {@code t} the new target. No weight changes; several edits give one "Imagine that" line each, in order.
 *
 * <p>Not EasyEdit's "ICE" column (that is IKE with {@code use_icl_examples: false}), nor Qi et al.'s fine-tuning
 * "In-Context Editing" (algorithms §11.2(b)).
 */
public final class IceEditor implements Editor {
    /** RippleEdits' instruction before the fact. */
    public static final String PREFIX = "Imagine that ";

    private final LanguageModel model;

    /**
     * @param model the model whose prompt context the edits change
     * @param params the (empty) params
     * @param context unused
     */
    public IceEditor(LanguageModel model, IceParams params, EditContext context) {
        this.model = model;
    }

    /** @return the factory registered as "ICE" */
    public static EditorFactory<IceParams> factory() {
        return EditorFactory.of(IceParams.ICE, IceParams.class, IceEditor::new);
    }

    @Override
    public String method() {
        return IceParams.ICE;
    }

    /**
     * @param request an edit
     * @return its context line, {@code "Imagine that {p} {t}\n"}
     */
    public static String fact(EditRequest request) {
        return PREFIX + request.filledPrompt() + " " + request.targetNew() + "\n";
    }

    @Override
    public EditResult apply(EditRequest request) {
        long start = System.nanoTime();
        PromptPatch patch = new PromptPatch(model, List.of(new PromptContext.Part("", fact(request), "")));
        patch.apply();
        return new EditResult(List.of(request), patch, new EditStats(List.of(), Map.of(), (System.nanoTime() - start) / 1e9));
    }
}
