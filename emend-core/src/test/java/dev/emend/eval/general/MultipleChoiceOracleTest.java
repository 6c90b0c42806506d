package dev.emend.eval.general;

import static org.assertj.core.api.Assertions.assertThat;

import dev.emend.Fixtures;
import dev.emend.edit.PromptPatch;
import dev.emend.model.LanguageModel;
import dev.emend.model.ModelLoader;
import dev.emend.model.PromptContext;
import dev.emend.model.Scorer;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link MultipleChoiceTask} on the tiny byte-level-BPE GPT-2 fixture with the default cloze prompt, against a plain
 * oracle: each option scored alone with {@link Scorer#score(String, String)} as {@code " " + option} after
 * {@code "Question: {stem}\nAnswer:"}, the argmax of the sums (acc) and of the sums over {@code len(" " + option)}
 * (acc_norm) compared with the answer by hand.
 */
class MultipleChoiceOracleTest {
    static LanguageModel model;

    @BeforeAll
    static void load() {
        model = ModelLoader.load(Fixtures.tiny("gpt2"));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void batchedScoresMatchOneByOneScoring() {
        List<MultipleChoice> qs = GeneralData.commonsenseQa(GeneralDataTest.sample("commonsenseqa.jsonl"));
        int hits = 0;
        int hitsNorm = 0;
        Scorer scorer = new Scorer(model, 1);
        for (MultipleChoice q : qs) {
            String prompt = "Question: " + q.question() + "\nAnswer:";
            double[] ll = new double[q.options().size()];
            double[] norm = new double[ll.length];
            for (int o = 0; o < ll.length; o++) {
                String option = " " + q.options().get(o);
                ll[o] = scorer.score(prompt, option).total();
                norm[o] = ll[o] / option.length();
            }
            hits += argmax(ll) == q.answer() ? 1 : 0;
            hitsNorm += argmax(norm) == q.answer() ? 1 : 0;
        }
        TaskScores s = MultipleChoiceTask.of("csqa", qs).run(model, 0);
        assertThat(s.items()).isEqualTo(3);
        assertThat(s.metric("acc")).isEqualTo(hits / 3.0);
        assertThat(s.metric("acc_norm")).isEqualTo(hitsNorm / 3.0);
        TaskScores batchOfTwo = new MultipleChoiceTask("csqa", qs, MultipleChoiceTask.DEFAULT_TEMPLATE, 2).run(model, 0);
        assertThat(batchOfTwo.metrics()).isEqualTo(s.metrics());
    }

    @Test
    void anInContextEditIsSeenByTheProbePrompts() {
        List<MultipleChoice> qs = GeneralData.commonsenseQa(GeneralDataTest.sample("commonsenseqa.jsonl"));
        MultipleChoiceTask task = MultipleChoiceTask.of("csqa", qs);
        String filled = Prompts.fill(MultipleChoiceTask.DEFAULT_TEMPLATE, "question", qs.get(0).question());
        int[] bare = model.tokenizer().encode(filled, true);
        assertThat(task.requests(model, qs).get(0).prompt()).containsExactly(bare);
        PromptPatch patch = new PromptPatch(model, List.of(new PromptContext.Part("", "Imagine that rivers hold sand\n", "")));
        patch.apply();
        try {
            int[] wrapped = model.tokenizer().encode("Imagine that rivers hold sand\n" + filled, true);
            assertThat(task.requests(model, qs).get(0).prompt()).containsExactly(wrapped);
            // XSum's (and TriviaQA's) prompts go through the same Prompts.encode
            Document d = new Document("d", "The river rose.", "s");
            assertThat(XSumTask.of("xsum", List.of(d)).fit(model, d, 512)).containsExactly(model.tokenizer()
                    .encode("Imagine that rivers hold sand\n" + Prompts.fill(XSumTask.DEFAULT_TEMPLATE, "document", d.document()), true));
        } finally {
            patch.revert();
        }
        assertThat(task.requests(model, qs).get(0).prompt()).containsExactly(bare);
    }

    @Test
    void longPromptsAreCutFromTheLeft() {
        String stem = "word ".repeat(400) + "What flows in a river?";
        MultipleChoice q = new MultipleChoice("long", stem, List.of("water", "sand"), 0);
        TaskScores s = MultipleChoiceTask.of("long", List.of(q)).run(model, 0);
        assertThat(s.items()).isEqualTo(1);
        assertThat(s.metric("acc")).isBetween(0.0, 1.0);
    }

    private static int argmax(double[] x) {
        int best = 0;
        for (int i = 1; i < x.length; i++) {
            if (x[i] > x[best]) {
                best = i;
            }
        }
        return best;
    }
}
