package dev.emend.edit.ike;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.emend.Fixtures;
import dev.emend.edit.EditContext;
import dev.emend.edit.EditRequest;
import dev.emend.edit.EditTesting;
import dev.emend.edit.Editor;
import dev.emend.edit.Editors;
import dev.emend.eval.EditBenchmark;
import dev.emend.eval.EvalOptions;
import dev.emend.eval.Summary;
import dev.emend.model.LanguageModel;
import dev.emend.model.ModelLoader;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * ICE and IKE on the bundled fact-world modification benchmark, single edits, EasyEdit's metrics (no fluency), first
 * 40 cases ({@code -Demend.factworld.cases=200} for 200). IKE's demonstrations come from cases 200-399, which no run
 * evaluates, ranked by {@link HashedWordsEmbedder}: a TEST DOUBLE (hashed bag of words), not all-MiniLM-L6-v2.
 *
 * <p>What the numbers show: the fact-world model (4 layers, 64 positions, trained only on single fact sentences, no
 * document with two facts) has no in-context learning; "Fact", "Prompt" and "Imagine" are not even in its vocabulary
 * ([UNK]), and its newline-free word-level tokenizer drops the line breaks. A context therefore hardly moves its
 * answers: reliability stays near the unedited model's, and locality stays high. The assertions pin that measured
 * behaviour (and the exact revert); they are not the IKE bar (reliability ≥ 0.90), which this model cannot
 * reach with any retriever.
 */
class FactWorldIclTest {
    static final int CASES = Integer.getInteger("emend.factworld.cases", 40);
    static LanguageModel model;
    static List<EditRequest> cases;
    static List<EditRequest> pool;

    @BeforeAll
    static void load() throws IOException {
        List<EditRequest> all = Fixtures.factWorldModification();
        model = ModelLoader.load(Fixtures.factWorld());
        cases = all.subList(0, CASES);
        pool = all.subList(200, all.size());
    }

    @AfterAll
    static void close() {
        if (model != null) {
            model.close();
        }
    }

    @Test
    void ice() {
        Map<String, byte[]> before = EditTesting.snapshot(model);
        Summary s = run("ICE", Editors.standard().createBundled("ICE", model, "fact-world", EditContext.defaults()));
        assertThat(EditTesting.differing(before, EditTesting.snapshot(model))).isEmpty();
        assertThat(model.promptContext().isEmpty()).isTrue();
        assertThat(s.failed()).isZero();
        pin(s, 0.113, 0.100, 0.538, 0.778);
    }

    @Test
    void ikeWithTestDoubleRetrieval() {
        EditContext ctx = EditContext.builder().optTrainingRequests(pool).optEmbedder(new HashedWordsEmbedder(4096)).build();
        Summary s = run("IKE (k 16, hashed-words test double)", Editors.standard().createBundled("IKE", model, "fact-world", ctx));
        assertThat(s.failed()).isZero();
        assertThat(model.promptContext().isEmpty()).isTrue();
        pin(s, 0.100, 0.088, 0.606, 0.639);
    }

    @Test
    void ikeNewFactOnly() {
        Summary s = run("IKE use_icl_examples false (EasyEdit's ICE column)", new IkeEditor(model, IkeParams.of(16, false),
                EditContext.defaults()));
        assertThat(s.failed()).isZero();
        pin(s, 0.075, 0.075, 0.556, 0.597);
    }

    /**
     * Pins the 40-case numbers measured when this test was written (CPU, deterministic) to ±0.03: reliability near the
     * unedited 0.100, locality well below 1 (the context moves unrelated answers more than the edited one).
     */
    static void pin(Summary s, double rewrite, double rephrase, double neighborhood, double relation) {
        assertThat(s.pre().rewriteAcc()).as("unedited rewrite_acc").isCloseTo(0.100, within(0.03));
        if (CASES != 40) {
            return;
        }
        assertThat(s.post().rewriteAcc()).as("rewrite_acc").isCloseTo(rewrite, within(0.03));
        assertThat(s.post().rephraseAcc()).as("rephrase_acc").isCloseTo(rephrase, within(0.03));
        assertThat(s.post().locality().get("Neighborhood")).as("Neighborhood").isCloseTo(neighborhood, within(0.03));
        assertThat(s.post().locality().get("Relation_Specificity")).as("Relation_Specificity").isCloseTo(relation, within(0.03));
    }

    static Summary run(String label, Editor editor) {
        Summary s = new EditBenchmark(model, editor, EvalOptions.defaults().withFluency(false)).run(cases,
                EditBenchmark.Mode.SINGLE).summary();
        Map<String, String> loc = new TreeMap<>();
        s.post().locality().forEach((k, v) -> loc.put(k, "%.3f".formatted(v)));
        Map<String, String> port = new TreeMap<>();
        s.post().portability().forEach((k, v) -> port.put(k, "%.3f".formatted(v)));
        System.out.printf("fact-world %s, %d cases: rewrite_acc %.3f -> %.3f, rephrase_acc %.3f -> %.3f, locality %s, "
                + "portability %s%n", label, s.cases(), s.pre().rewriteAcc(), s.post().rewriteAcc(), s.pre().rephraseAcc(),
                s.post().rephraseAcc(), loc, port);
        System.out.flush();
        return s;
    }
}
