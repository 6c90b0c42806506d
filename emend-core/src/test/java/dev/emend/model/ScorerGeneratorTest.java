package dev.emend.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import dev.emend.Fixtures;
import dev.emend.tokenizer.TokenBatch;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Teacher-forced scoring against a full-forward oracle; generation: stops, seeds, sampling filters. */
class ScorerGeneratorTest {
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
    void scoresEqualTheFullForwardOracleAndDoNotDependOnBatching() {
        int[] prompt = {10, 20, 30, 40};
        int[] target = {50, 60, 70};
        Scorer.TargetScore s = new Scorer(model).score(List.of(new Scorer.Request(prompt, target))).get(0);
        float[] expected = new float[3];
        int[] argmax = new int[3];
        try (NDScope ignored = new NDScope()) {
            NDArray lp = model.forward(TokenBatch.single(10, 20, 30, 40, 50, 60, 70), Hooks.none()).logits().logSoftmax(-1);
            for (int j = 0; j < 3; j++) {
                expected[j] = lp.get("0, " + (3 + j) + ", " + target[j]).getFloat();
                argmax[j] = (int) lp.get("0, " + (3 + j)).argMax().getLong();
            }
        }
        assertThat(Fixtures.maxAbsDiff(expected, s.logProbs())).isLessThan(1e-5);
        assertThat(s.argmax()).containsExactly(argmax);
        assertThat(s.total()).isCloseTo(expected[0] + expected[1] + expected[2], org.assertj.core.data.Offset.offset(1e-4));

        List<Scorer.Request> mixed = List.of(new Scorer.Request(new int[] {1}, new int[] {2, 3, 4, 5}),
                new Scorer.Request(prompt, target), new Scorer.Request(new int[] {9, 9, 9, 9, 9, 9}, new int[] {8}));
        List<Scorer.TargetScore> batched = new Scorer(model, 8).score(mixed);
        List<Scorer.TargetScore> single = new Scorer(model, 1).score(mixed);
        for (int i = 0; i < mixed.size(); i++) {
            assertThat(Fixtures.maxAbsDiff(single.get(i).logProbs(), batched.get(i).logProbs())).isLessThan(1e-5);
        }
        assertThat(batched.get(1).logProbs()).hasSize(3);
    }

    @Test
    void distributionsEqualTheFullForwardOracleAndHoldTheScoredLogProbs() {
        int v = model.config().vocabSize();
        int[] prompt = {10, 20, 30, 40};
        int[] target = {50, 60, 70};
        float[] expected = new float[3 * v];
        try (NDScope ignored = new NDScope()) {
            NDArray lp = model.forward(TokenBatch.single(10, 20, 30, 40, 50, 60, 70), Hooks.none()).logits().logSoftmax(-1);
            for (int j = 0; j < 3; j++) {
                System.arraycopy(lp.get("0, " + (3 + j)).toFloatArray(), 0, expected, j * v, v);
            }
        }
        List<Scorer.Request> mixed = List.of(new Scorer.Request(new int[] {1}, new int[] {2, 3, 4, 5}),
                new Scorer.Request(prompt, target), new Scorer.Request(new int[] {9, 9, 9, 9, 9, 9}, new int[] {8}));
        List<float[]> d = new Scorer(model, 8).logProbDistributions(mixed);
        assertThat(d.get(1)).hasSize(3 * v);
        assertThat(Fixtures.maxAbsDiff(expected, d.get(1))).isLessThan(1e-5);
        List<Scorer.TargetScore> scores = new Scorer(model, 8).score(mixed);
        for (int i = 0; i < mixed.size(); i++) {
            int[] t = mixed.get(i).target();
            assertThat(d.get(i)).hasSize(t.length * v);
            for (int j = 0; j < t.length; j++) {
                assertThat(d.get(i)[j * v + t[j]]).as("row %d token %d", i, j).isEqualTo(scores.get(i).logProbs()[j]);
                double mass = 0;
                for (int k = 0; k < v; k++) {
                    mass += Math.exp(d.get(i)[j * v + k]);
                }
                assertThat(mass).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-4));
            }
        }
    }

    @Test
    void textScoringEncodesPromptAndTargetSeparately() {
        Scorer.TargetScore s = new Scorer(model).score("The quick brown", " fox");
        assertThat(s.targetIds()).containsExactly(model.tokenizer().encode(" fox", false));
        assertThat(s.mean()).isLessThan(0);
    }

    @Test
    void samplingIsReproducibleBySeedAndTopKOneIsGreedy() {
        Generator g = new Generator(model);
        List<int[]> p = List.of(new int[] {10, 20, 30});
        GenerationConfig hot = new GenerationConfig(12, 1.5, 50, 0.95, 1234, List.of(), false);
        int[] a = g.generateIds(p, hot).get(0).newIds();
        int[] b = g.generateIds(p, hot).get(0).newIds();
        assertThat(a).containsExactly(b);
        boolean anyDiffers = false;
        for (long seed = 1; seed <= 5 && !anyDiffers; seed++) {
            anyDiffers = !java.util.Arrays.equals(a, g.generateIds(p,
                    new GenerationConfig(12, 1.5, 50, 0.95, seed, List.of(), false)).get(0).newIds());
        }
        assertThat(anyDiffers).as("other seeds give other samples").isTrue();
        int[] greedy = g.generateIds(p, GenerationConfig.greedy(12).withStopAtEos(false)).get(0).newIds();
        int[] topOne = g.generateIds(p, new GenerationConfig(12, 0.7, 1, 1.0, 99, List.of(), false)).get(0).newIds();
        assertThat(topOne).containsExactly(greedy);
    }

    @Test
    void topPKeepsTheSmallestNucleus() {
        float[] logits = {2f, 1f, 0f, -1f};  // probs ≈ .644 .237 .087 .032
        java.util.Random r = new java.util.Random(0);
        java.util.Set<Integer> seen = new java.util.HashSet<>();
        GenerationConfig c = new GenerationConfig(1, 1.0, 0, 0.8, 0, List.of(), false);
        for (int i = 0; i < 500; i++) {
            seen.add(Generator.sample(logits, c, r));
        }
        assertThat(seen).containsExactlyInAnyOrder(0, 1);
    }

    @Test
    void stopStringsCutTheText() {
        Generator g = new Generator(model);
        GenerationResult full = g.generate("The quick brown fox", GenerationConfig.greedy(8).withStopAtEos(false));
        String stop = full.text().substring(2, 4);
        GenerationResult cut = g.generate("The quick brown fox",
                GenerationConfig.greedy(8).withStopAtEos(false).withStopStrings(List.of(stop)));
        assertThat(cut.stop()).isEqualTo(GenerationResult.StopReason.STOP_STRING);
        assertThat(cut.text()).isEqualTo(full.text().substring(0, full.text().indexOf(stop)));
        assertThat(cut.newIds().length).isLessThanOrEqualTo(full.newIds().length);
    }

    @Test
    void eosEndsARow(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws java.io.IOException {
        int[] prompt = {10, 20, 30};
        int[] free = new Generator(model).generateIds(List.of(prompt), GenerationConfig.greedy(6).withStopAtEos(false))
                .get(0).newIds();
        // a copy of the model whose generation_config declares the third greedy token an EOS
        java.nio.file.Path dir = tmp.resolve("m");
        java.nio.file.Files.createDirectories(dir);
        try (var files = java.nio.file.Files.list(Fixtures.tiny("gpt2"))) {
            for (java.nio.file.Path f : (Iterable<java.nio.file.Path>) files::iterator) {
                java.nio.file.Files.copy(f, dir.resolve(f.getFileName()));
            }
        }
        java.nio.file.Files.writeString(dir.resolve("generation_config.json"), "{\"eos_token_id\": " + free[2] + "}");
        try (LanguageModel m = ModelLoader.load(dir)) {
            assertThat(m.tokenizer().specials().isEos(free[2])).isTrue();
            GenerationResult r = new Generator(m).generateIds(List.of(prompt), GenerationConfig.greedy(6)).get(0);
            assertThat(r.stop()).isEqualTo(GenerationResult.StopReason.EOS);
            int first = 0;
            while (free[first] != free[2]) {
                first++;
            }
            assertThat(r.newIds()).containsExactly(java.util.Arrays.copyOf(free, first + 1));
        }
    }
}
