package dev.emend.edit.ike;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.emend.ConfigException;
import dev.emend.Fixtures;
import dev.emend.edit.EditContext;
import dev.emend.edit.EditRequest;
import dev.emend.edit.EditResult;
import dev.emend.edit.EditTesting;
import dev.emend.edit.Editors;
import dev.emend.edit.PromptPatch;
import dev.emend.edit.ice.IceEditor;
import dev.emend.edit.ice.IceParams;
import dev.emend.eval.EditEvaluator;
import dev.emend.eval.EvalOptions;
import dev.emend.eval.PhaseScores;
import dev.emend.eval.metrics.Locality;
import dev.emend.eval.metrics.TeacherForced;
import dev.emend.model.GenerationConfig;
import dev.emend.model.Generator;
import dev.emend.model.LanguageModel;
import dev.emend.model.ModelLoader;
import dev.emend.model.Scorer;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * IKE and ICE on the bundled fact-world model: prompt patches revert exactly, the evaluator's inputs are EasyEdit's
 * strings, several edits compose, generation sees the context. Retrieval uses {@link HashedWordsEmbedder}, a test
 * double, not MiniLM.
 */
class InContextEditTest {
    static LanguageModel model;
    static List<EditRequest> cases;

    @BeforeAll
    static void load() throws IOException {
        cases = Fixtures.factWorldModification();
        model = ModelLoader.load(Fixtures.factWorld());
    }

    @AfterAll
    static void close() {
        if (model != null) {
            model.close();
        }
    }

    @AfterEach
    void contextIsEmpty() {
        assertThat(model.promptContext().isEmpty()).as("a test left a prompt patch applied").isTrue();
    }

    @Test
    void promptPatchChangesNoParameterAndRevertsToAnEmptyContext() {
        Map<String, byte[]> before = EditTesting.snapshot(model);
        IkeEditor ike = new IkeEditor(model, IkeParams.of(4, true), context(cases.subList(200, 220)));
        EditResult r = ike.apply(cases.get(0));
        PromptPatch p = (PromptPatch) r.patch();
        assertThat(p.isApplied()).isTrue();
        assertThat(model.promptContext().parts()).hasSize(1);
        assertThat(EditTesting.differing(before, EditTesting.snapshot(model))).isEmpty();
        p.revert();
        assertThat(p.isApplied()).isFalse();
        assertThat(model.promptContext().isEmpty()).isTrue();
        p.revert();                                                                        // idempotent
        p.apply();
        p.apply();                                                                         // no-op when applied
        assertThat(model.promptContext().parts()).hasSize(1);
        p.revert();
        assertThat(EditTesting.differing(before, EditTesting.snapshot(model))).isEmpty();
    }

    /** EasyEdit's compute_icl_edit_quality strings for a hand-written case (use_icl_examples: false). */
    @Test
    void newFactContextIsEasyEditsString() {
        EditRequest hand = EditRequest.of("The capital of X is", "X", "Y");
        EditResult r = new IkeEditor(model, IkeParams.of(16, false), EditContext.defaults()).apply(hand);
        try {
            assertThat(model.promptContext().wrap(hand.filledPrompt()))
                    .isEqualTo("New Fact: The capital of X is Y\nPrompt: The capital of X is");
            assertThat(model.promptContext().wrap("Who rules X?")).isEqualTo("New Fact: The capital of X is Y\nPrompt: Who rules X?");
        } finally {
            r.patch().revert();
        }
        r = new IceEditor(model, IceParams.of(), EditContext.defaults()).apply(hand);
        try {
            assertThat(model.promptContext().wrap("The capital of X is")).isEqualTo("Imagine that The capital of X is Y\nThe capital of X is");
        } finally {
            r.patch().revert();
        }
    }

    /**
     * The evaluator's post-edit rows are the literal EasyEdit inputs: rewrite, rephrase and portability scored after
     * {@code "New Fact: {p} {t}\nPrompt: "}, locality compares the bare pre-edit argmax with the argmax after it.
     */
    @Test
    void evaluatorScoresTheLiteralContextStrings() {
        EditRequest c = cases.get(1);                                  // has rephrase, locality and portability probes
        EditEvaluator ev = new EditEvaluator(model, EvalOptions.defaults().withFluency(false));
        EditEvaluator.PreEdit pre = ev.pre(0, c);
        EditResult r = new IkeEditor(model, IkeParams.of(16, false), EditContext.defaults()).apply(c);
        PhaseScores post;
        try {
            post = ev.post(0, c, pre);
        } finally {
            r.patch().revert();
        }
        String lead = "New Fact: " + c.filledPrompt() + " " + c.targetNew() + "\nPrompt: ";
        assertThat(post.rewriteAcc()).containsExactly(accuracy(lead + c.filledPrompt(), c.targetNew()));
        assertThat(post.rephraseAcc()).containsExactly(accuracy(lead + c.rephrasePrompts().get(0), c.targetNew()));
        assertThat(pre.scores().rewriteAcc()).containsExactly(accuracy(c.filledPrompt(), c.targetNew()));
        c.portability().forEach((k, probes) -> assertThat(post.portabilityAcc().get(k)).containsExactlyElementsOf(
                probes.stream().map(p -> accuracy(lead + p.prompt(), p.groundTruth())).toList()));
        c.locality().forEach((k, probes) -> assertThat(post.locality().get(k)).containsExactlyElementsOf(probes.stream()
                .map(p -> Locality.agreement(argmax(p.prompt(), p.groundTruth()), argmax(lead + p.prompt(), p.groundTruth())))
                .toList()));
    }

    @Test
    void demonstrationsAreTheTopKThenFittedToTheContext() {
        List<EditRequest> pool = cases.subList(200, 260);
        HashedWordsEmbedder e = new HashedWordsEmbedder(4096);
        IkeEditor ike = new IkeEditor(model, IkeParams.of(16, true), context(pool));
        EditRequest c = cases.get(0);
        DemonstrationStore store = DemonstrationStore.build(pool, e);
        List<String> expected = store.search(e.embed(List.of(DemonstrationStore.query(c)))[0], 16).stream()
                .map(DemonstrationStore.Hit::sentence).toList();
        assertThat(ike.demonstrations(c)).hasSize(16).containsExactlyElementsOf(expected);
        EditResult r = ike.apply(c);
        try {
            int kept = (int) r.stats().value("demonstrations");
            String fact = "New Fact: " + c.filledPrompt() + " " + c.targetNew() + "\n";
            assertThat(model.promptContext().wrap("q")).isEqualTo(String.join("", expected.subList(0, kept)) + fact + "Prompt: q");
            // fact-world has 64 positions: the context may take 32 tokens, and the most similar demonstrations are kept
            assertThat(IkeEditor.contextBudget(64)).isEqualTo(32);
            assertThat(IkeEditor.contextBudget(1024)).isEqualTo(896);
            assertThat((int) r.stats().value("context_tokens")).isLessThanOrEqualTo(32);
            int withOneMore = model.tokenizer().encode(String.join("", expected.subList(0, kept + 1)) + fact + "Prompt: ", false).length;
            assertThat(withOneMore).isGreaterThan(32);
        } finally {
            r.patch().revert();
        }
    }

    @Test
    void severalEditsComposeInOrderAndRevertTogether() {
        EditRequest a = cases.get(0);
        EditRequest b = cases.get(1);
        EditResult ice = new IceEditor(model, IceParams.of(), EditContext.defaults()).applyAll(List.of(a, b));
        assertThat(model.promptContext().wrap("q")).isEqualTo(IceEditor.fact(a) + IceEditor.fact(b) + "q");
        EditResult ike = new IkeEditor(model, IkeParams.of(16, false), EditContext.defaults()).apply(a);
        assertThat(model.promptContext().wrap("q")).isEqualTo(IceEditor.fact(a) + IceEditor.fact(b) + "New Fact: "
                + a.filledPrompt() + " " + a.targetNew() + "\nPrompt: q");
        ice.patch().revert();                                            // prompt patches revert in any order
        assertThat(model.promptContext().wrap("q")).isEqualTo("New Fact: " + a.filledPrompt() + " " + a.targetNew() + "\nPrompt: q");
        ike.patch().revert();
        assertThat(model.promptContext().wrap("q")).isEqualTo("q");
    }

    @Test
    void generatorTextPromptsSeeTheContext() {
        EditRequest c = cases.get(0);
        GenerationConfig greedy = GenerationConfig.greedy(3);
        EditResult r = new IceEditor(model, IceParams.of(), EditContext.defaults()).apply(c);
        try {
            Generator g = new Generator(model);
            int[] literal = model.tokenizer().encode(IceEditor.fact(c) + c.filledPrompt(), true);
            assertThat(g.generate(c.filledPrompt(), greedy).newIds()).containsExactly(g.generateIds(List.of(literal), greedy).get(0).newIds());
        } finally {
            r.patch().revert();
        }
    }

    @Test
    void registeredAndRefusingWithoutEmbedderOrTrainingSet() {
        assertThat(Editors.standard().methods()).contains("IKE", "ICE");
        assertThatThrownBy(() -> new IkeEditor(model, IkeParams.of(16, true), EditContext.defaults()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("optEmbedder");
        assertThatThrownBy(() -> new IkeEditor(model, IkeParams.of(16, true), EditContext.builder()
                .optEmbedder(new HashedWordsEmbedder(64)).build())).isInstanceOf(ConfigException.class).hasMessageContaining("--train");
        assertThat(Editors.standard().createBundled("ICE", model, "fact-world", EditContext.defaults()).method()).isEqualTo("ICE");
    }

    static EditContext context(List<EditRequest> pool) {
        return EditContext.builder().optTrainingRequests(pool).optEmbedder(new HashedWordsEmbedder(4096)).build();
    }

    static double accuracy(String prompt, String target) {
        Scorer.TargetScore s = new Scorer(model).score(List.of(TeacherForced.request(model.tokenizer(), prompt, target))).get(0);
        return TeacherForced.accuracy(s.argmax(), s.targetIds());
    }

    static int[] argmax(String prompt, String target) {
        return new Scorer(model).score(List.of(TeacherForced.request(model.tokenizer(), prompt, target))).get(0).argmax();
    }
}
